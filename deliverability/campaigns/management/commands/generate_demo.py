"""Build the demo dataset through the real import path and print what was made.

Past PART_EVENTS events, the organisation gets one file per pair of monthly campaigns, each of about
PART_EVENTS events (campaigns of ~1M recipients: the same list mailed month after month, the demo's
October/November pair last), imported and analysed one after the other as a client would upload them.
One file of 10M events would instead make two campaigns of ~3.7M recipients, which no real list is.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from deliverability.accounts.models import Organization
from deliverability.campaigns import services
from deliverability.campaigns.demo import DEMO_CAMPAIGNS, earlier_campaigns, write_demo_csv
from deliverability.campaigns.models import Upload

ROWS_PER_SCALE = 1700  # about one demo scenario's rows (two campaigns)
PART_EVENTS = 2_700_000  # events per file past which another pair of campaigns is made (~1M recipients each)


SEARCH_TABLE = "campaigns_recipientsearch"
ANALYZED_TABLES = (SEARCH_TABLE, "campaigns_recipient", "campaigns_event", "verdicts_recipientverdict",
                   "verdicts_campaigndomainstat", "verdicts_campaigntimeline", "verdicts_campaigndiagnosis")


@contextmanager
def search_indexes_rebuilt_after(bulk: bool):
    """For a large dataset on PostgreSQL, the address search table's secondary indexes (trigram GIN and two
    B-trees) are dropped while the files are imported and built once at the end, from their own definitions:
    adding a million addresses to them row by row took minutes, building them a fraction of that. The
    analysis never reads them (it writes the table by its key), the finished data and indexes are the same;
    other organisations' address searches are slow until the end, acceptable for a demo/benchmark command."""
    if not bulk or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE %s",
                       [SEARCH_TABLE, "CREATE UNIQUE INDEX%"])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            # Fresh planner statistics for the tables the pages read, as autovacuum would gather within
            # minutes: measuring the pages right after the load would otherwise time the planner's guesses
            # for empty tables (seconds instead of milliseconds for a search or a verdict page).
            for table in ANALYZED_TABLES:
                cursor.execute(f"ANALYZE {table}")


class Command(BaseCommand):
    help = "Generate a realistic demo organisation with campaigns, imported through the real upload path."

    def add_arguments(self, parser):
        parser.add_argument("--org", default="demo-client", help="organisation slug (created when missing)")
        parser.add_argument("--events", type=int, default=ROWS_PER_SCALE, help="approximate number of events")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--orgs", type=int, default=1,
                            help="several organisations: SLUG, SLUG-2, … each with --events events (seed + n)")

    def handle(self, *args, org: str, events: int, seed: int, orgs: int, **options):
        with search_indexes_rebuilt_after(bulk=events * max(1, orgs) > PART_EVENTS):
            for n in range(1, max(1, orgs) + 1):
                self.generate(org if n == 1 else f"{org}-{n}", events, seed + n - 1)

    def generate(self, org: str, events: int, seed: int) -> None:
        started = time.monotonic()
        organization, created = Organization.objects.get_or_create(
            slug=org, defaults={"name": "Lumen Analytics (demo client)" if org == "demo-client" else org,
                                "timezone": "Europe/Madrid"},
        )
        parts = max(1, -(-events // PART_EVENTS))
        scale = max(1, round(events / parts / ROWS_PER_SCALE))
        for part in range(parts):
            back = parts - 1 - part  # the earliest months first; the demo's own pair is the last file
            campaigns = earlier_campaigns(2 * back) if back else DEMO_CAMPAIGNS
            suffix = f"-part{part + 1}of{parts}" if parts > 1 else ""
            path = Path(settings.MEDIA_ROOT) / "demo" / f"{org}-{seed}-{scale}{suffix}.csv"
            rows = write_demo_csv(path, seed=seed + back, scale=scale, campaigns=campaigns)
            self.import_file(organization, created, path, rows, started)

    def import_file(self, organization: Organization, created: bool, path: Path, rows: int, started: float) -> None:
        received = services.receive_upload(organization, path, original_name=path.name)
        if received.created:
            services.run_import(received.upload.pk)
            # In-process default: the analysis (enrichment, verdicts, rollups) is queued on the
            # background thread; wait for it so the command ends with a diagnosed dataset.
            from deliverability.taskqueue import uses_broker, wait_for_background_tasks

            if not uses_broker():
                wait_for_background_tasks(timeout=6 * 3600)
        path.unlink(missing_ok=True)  # the upload keeps its own stored copy
        upload = Upload.objects.get(pk=received.upload.pk)
        summary = upload.summary
        self.stdout.write(
            f"{'Created' if created else 'Used'} organisation {organization.slug!r}; "
            f"{'imported' if received.created else 'already had'} {path.name}: {rows} rows, "
            f"{summary.get('events', 0)} events, campaigns {', '.join(summary.get('campaigns', []))}, "
            f"{summary.get('domains', 0)} domains; status {upload.status}, "
            f"analysed {'yes' if upload.analyzed_at else 'not yet'}; {time.monotonic() - started:.0f} s"
        )
