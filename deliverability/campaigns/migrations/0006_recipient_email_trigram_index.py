"""Search for part of an address ("jane", "@acme") without scanning every recipient.

PostgreSQL only: a trigram GIN index serves `email LIKE '%…%'` (addresses are stored lower case,
so the search lower-cases the text and uses a case-sensitive LIKE). SQLite keeps the plain scan.
pg_trgm ships with PostgreSQL (contrib); creating it needs the database owner's rights.
"""
from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS recipient_email_trgm ON campaigns_recipient USING gin (email gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS recipient_email_trgm")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_saved_column_mapping")]
    operations = [migrations.RunPython(create, drop)]
