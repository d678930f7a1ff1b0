"""Address search moves to its own table; the diagnostic key loses its unused LIKE index; the event
table's upload index is a BRIN index in the migration state too.

- RecipientSearch holds (recipient, organisation, address, domain) with the trigram GIN index
  (PostgreSQL) and the (organisation, domain) index, which leaves campaigns_recipient in 0011.
  The index used to sit on campaigns_recipient, where it cost 7–18 µs per new address inside every
  import (measured on 200k new addresses, bench/bench_import.py): more than all the rest of an
  import of a real single-send export. The upload's analysis fills the new table after the import.
  Existing addresses are copied over here.
- Diagnostic.sha1: a unique constraint instead of `unique=True`, which also built a
  varchar_pattern_ops index that no query uses.
- event_upload: migration 0008 made it a BRIN index with raw SQL, so the migration state still said
  B-tree; BrinOnPostgres says what the database holds (state only: nothing is rebuilt).
"""
import django.db.models.deletion
from django.db import migrations, models

import deliverability.campaigns.models


def move_trigram_index(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO campaigns_recipientsearch (recipient_id, organization_id, email, domain) "
        "SELECT id, organization_id, email, domain FROM campaigns_recipient"
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS recipient_email_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX recipient_search_trgm ON campaigns_recipientsearch USING gin (email gin_trgm_ops)"
    )


def restore_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS recipient_email_trgm ON campaigns_recipient USING gin (email gin_trgm_ops) "
        "WITH (gin_pending_list_limit = 16384)"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_client_portal"),
        ("campaigns", "0008_event_upload_brin"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecipientSearch",
            fields=[
                ("recipient", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                   related_name="+", serialize=False, to="campaigns.recipient",
                                                   db_constraint=False)),
                ("email", models.CharField(max_length=320)),
                ("domain", models.CharField(max_length=253)),
                ("organization", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="+", to="accounts.organization",
                                                   db_constraint=False)),
            ],
        ),
        migrations.AddIndex(
            model_name="recipientsearch",
            index=models.Index(fields=["organization", "email"], name="recipient_search_org_email"),
        ),
        migrations.AddIndex(
            model_name="recipientsearch",
            index=models.Index(fields=["organization", "domain"], name="recipient_search_org_domain"),
        ),
        migrations.RunPython(move_trigram_index, restore_trigram_index),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="event", name="event_upload"),
                migrations.AddIndex(
                    model_name="event",
                    index=deliverability.campaigns.models.BrinOnPostgres(fields=["upload"], name="event_upload"),
                ),
            ],
        ),
        migrations.AlterField(model_name="diagnostic", name="sha1", field=models.CharField(max_length=40)),
        migrations.AddConstraint(
            model_name="diagnostic",
            constraint=models.UniqueConstraint(fields=("sha1",), name="diagnostic_sha1"),
        ),
    ]
