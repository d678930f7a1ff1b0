"""Import campaign result files from the command line, through the same pipeline as the upload page."""
from __future__ import annotations

import contextlib
import json
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.text import slugify

from deliverability import ingest
from deliverability.accounts.models import Organization
from deliverability.campaigns import limits, services
from deliverability.campaigns.models import Upload
from deliverability.taskqueue import uses_broker, wait_for_background_tasks


class Command(BaseCommand):
    help = "Import ESP exports, CSVs or bounce emails into an organisation (created when missing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--campaign", default="", help="campaign for rows that name none")
        parser.add_argument("--format", default="auto", choices=["auto", *ingest.FORMATS])
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", dest="mapping")
        parser.add_argument("--status", action="append", default=[], metavar="VALUE=MEANING", dest="statuses",
                            help="what a status value means, e.g. zugestellt=delivered (MEANING: "
                                 f"{', '.join(ingest.STATUS_CHOICES)})")
        parser.add_argument("--no-enrich", action="store_true", help="skip DNS enrichment and verdicts")
        parser.add_argument("--wait", type=float, default=3600, metavar="SECONDS",
                            help="how long to wait for the analysis (DNS enrichment and verdicts); 0: do not wait")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON document on standard output")

    def handle(self, *args, files, org, campaign, format, mapping, statuses, no_enrich, wait, as_json, **options):
        column_mapping = {}
        for item in mapping:
            column, sep, field = item.partition("=")
            if not sep or field not in ingest.MAPPABLE_FIELDS:
                raise CommandError(f"--map {item!r}: expected COLUMN=FIELD with FIELD one of {', '.join(ingest.MAPPABLE_FIELDS)}")
            column_mapping[column] = field
        for item in statuses:
            value, sep, meaning = item.rpartition("=")
            if not sep or not value or meaning not in ingest.STATUS_CHOICES:
                raise CommandError(f"--status {item!r}: expected VALUE=MEANING with MEANING one of "
                                   f"{', '.join(ingest.STATUS_CHOICES)}")
            column_mapping.setdefault(services.STATUS_VALUES_KEY, {})[value] = meaning
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            organization = Organization.objects.create(slug=slugify(org)[:80] or "org", name=org)
            self.stderr.write(f"Created organisation {organization.slug!r}")
        results = []
        failed = False
        for path in files:
            if os.path.isfile(path):
                try:
                    limits.check_path(path)
                except limits.FileTooLarge as exc:
                    results.append({"file": path, "status": "failed", "error": str(exc)})
                    failed = True
                    continue
            try:
                received = services.receive_upload(organization, path, original_name=path, campaign_name=campaign,
                                                   requested_format=format, column_mapping=column_mapping)
            except OSError as exc:
                results.append({"file": path, "status": "failed", "error": f"cannot read the file: {exc.strerror}"})
                failed = True
                continue
            if not received.created and not received.replaced:
                upload = received.upload
                self.stderr.write(f"{path}: the same file was imported before (upload {upload.pk}); not counted twice")
            else:
                # New, or the same file that failed before, now with these settings. The analysis (DNS
                # enrichment, verdicts) is queued once by the import itself, as for an upload from the
                # page; --no-enrich queues none.
                upload = services.run_import(received.upload.pk, on_batch=self._progress(path),
                                             analyse=not no_enrich) or received.upload
                upload.refresh_from_db()
                if upload.status == Upload.Status.DONE:
                    self.stderr.write("")
                    if no_enrich:
                        services.finish_without_analysis(upload, "imported with --no-enrich")
                    else:
                        upload = self._wait_for_analysis(path, upload, wait)
            failed |= upload.status == Upload.Status.FAILED
            results.append({
                "file": path, "upload": upload.pk, "status": upload.status, "format": upload.detected_format,
                "error": upload.error or None, "duplicate_file": not received.created and not received.replaced,
                "row_errors": upload.row_errors, **{k: v for k, v in upload.summary.items() if k != "claim"},
                "analysis": upload.analysis or None, "analysed": upload.analyzed_at is not None,
            })
        if as_json:
            self.stdout.write(json.dumps({"organization": organization.slug, "files": results}, default=str))
        else:
            for r in results:
                if r["status"] == "failed":
                    self.stdout.write(f"{r['file']}: FAILED — {r['error']}")
                    continue
                self.stdout.write(
                    f"{r['file']}: {r.get('format')} · {r.get('rows', 0)} rows · {r.get('events', 0)} events · "
                    f"{r.get('skipped', 0)} rows skipped · {r.get('duplicates', 0)} duplicates · "
                    f"campaigns: {', '.join(r.get('campaigns', []))}"
                )
                for row, message in r["row_errors"][:10]:
                    self.stdout.write(f"  row {row}: {message}")
        if failed:
            raise CommandError("some files could not be imported")

    def _wait_for_analysis(self, path: str, upload: Upload, wait: float) -> Upload:
        """Wait until the upload's analysis (queued by the import) is done, saying so on standard error."""
        if wait <= 0:
            self.stderr.write(f"{path}: analysis queued; not waiting (--wait 0)")
            return upload
        if connection.in_atomic_block:  # a caller's transaction: the task is queued when it commits
            self.stderr.write(f"{path}: analysis queued for when the surrounding transaction commits")
            return upload
        where = "a Celery worker (queue 'enrich')" if uses_broker() else "the background thread"
        self.stderr.write(f"{path}: waiting for the analysis (DNS enrichment and verdicts) by {where}…")
        started = time.monotonic()
        told = started
        while True:
            if not uses_broker():
                with contextlib.suppress(TimeoutError):  # reported below
                    wait_for_background_tasks(timeout=max(1.0, wait - (time.monotonic() - started)))
            upload.refresh_from_db()
            if upload.analyzed_at is not None:
                self.stderr.write(f"{path}: analysed in {time.monotonic() - started:.1f} s")
                if upload.enrichment_note:
                    self.stderr.write(f"{path}: {upload.enrichment_note}")
                return upload
            if time.monotonic() - started > wait:
                raise CommandError(f"{path}: imported, but its analysis did not finish within {wait:.0f} s "
                                   f"(is {where} running?); it will finish in the background")
            if time.monotonic() - told > 30:
                told = time.monotonic()
                self.stderr.write(f"{path}: still analysing ({told - started:.0f} s)…")
            time.sleep(0.2)

    def _progress(self, path: str):
        def report(result) -> None:
            self.stderr.write(f"\r{path}: {result.rows:,} rows", ending="")
            self.stderr.flush()
        return report
