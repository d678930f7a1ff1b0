"""Import campaign result files from the command line, through the same pipeline as the upload page."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from deliverability import ingest
from deliverability.accounts.models import Organization
from deliverability.campaigns import services
from deliverability.campaigns.models import Upload


class Command(BaseCommand):
    help = "Import ESP exports, CSVs or bounce emails into an organisation (created when missing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--campaign", default="", help="campaign for rows that name none")
        parser.add_argument("--format", default="auto", choices=["auto", *ingest.FORMATS])
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", dest="mapping")
        parser.add_argument("--no-enrich", action="store_true", help="skip DNS enrichment and verdicts")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON document on standard output")

    def handle(self, *args, files, org, campaign, format, mapping, no_enrich, as_json, **options):
        column_mapping = {}
        for item in mapping:
            column, sep, field = item.partition("=")
            if not sep or field not in ingest.MAPPABLE_FIELDS:
                raise CommandError(f"--map {item!r}: expected COLUMN=FIELD with FIELD one of {', '.join(ingest.MAPPABLE_FIELDS)}")
            column_mapping[column] = field
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            organization = Organization.objects.create(slug=slugify(org)[:80] or "org", name=org)
            self.stderr.write(f"Created organisation {organization.slug!r}")
        results = []
        failed = False
        for path in files:
            try:
                received = services.receive_upload(organization, path, original_name=path, campaign_name=campaign,
                                                   requested_format=format, column_mapping=column_mapping)
            except OSError as exc:
                results.append({"file": path, "status": "failed", "error": f"cannot read the file: {exc.strerror}"})
                failed = True
                continue
            if not received.created:
                upload = received.upload
                self.stderr.write(f"{path}: the same file was imported before (upload {upload.pk}); not counted twice")
            else:
                upload = services.run_import(received.upload.pk, on_batch=self._progress(path)) or received.upload
                upload.refresh_from_db()
            if upload.status == Upload.Status.DONE and not no_enrich and received.created:
                from deliverability.verdicts.analysis import analyze_upload  # the layer above, on request

                analyze_upload(upload.pk)
            failed |= upload.status == Upload.Status.FAILED
            results.append({
                "file": path, "upload": upload.pk, "status": upload.status, "format": upload.detected_format,
                "error": upload.error or None, "duplicate_file": not received.created,
                "row_errors": upload.row_errors, **{k: v for k, v in upload.summary.items() if k != "claim"},
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

    def _progress(self, path: str):
        def report(result) -> None:
            self.stderr.write(f"\r{path}: {result.rows:,} rows", ending="")
            self.stderr.flush()
        return report
