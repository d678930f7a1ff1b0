"""PostgreSQL: the event table's upload index becomes a BRIN index, and the trigram index's pending
list grows.

An upload's events are appended together, so a block-range index finds them (delete an upload,
analyse it) while costing next to nothing per inserted row; the B-tree cost about 0.5 s per million
events (bench/bench_import.py). `autosummarize` summarises each filled range as the import goes,
so a fresh upload's rows are not left to a sequential scan until the next vacuum.

The trigram GIN index on recipient addresses collects new entries in a pending list and merges it
when the list is full; a 16 MB list merges less often during a large import (the default 4 MB list
made recipient inserts cost three times what they cost without the index). SQLite keeps its B-tree
and has no trigram index.
"""
from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS event_upload")
    schema_editor.execute(
        "CREATE INDEX event_upload ON campaigns_event USING brin (upload_id) WITH (autosummarize = on)"
    )
    schema_editor.execute("ALTER INDEX IF EXISTS recipient_email_trgm SET (gin_pending_list_limit = 16384)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS event_upload")
    schema_editor.execute("CREATE INDEX event_upload ON campaigns_event (upload_id)")
    schema_editor.execute("ALTER INDEX IF EXISTS recipient_email_trgm RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0007_recipient_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
