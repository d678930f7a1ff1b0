"""One-shot analysis: import files into a throwaway workspace, enrich, judge, print the diagnosis.

Standard output carries only the result (readable text, or one JSON document with --json);
progress and logs go to standard error. The workspace is removed afterwards.
"""
from __future__ import annotations

import json
import os
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deliverability import ingest
from deliverability.accounts.models import Organization
from deliverability.campaigns import limits, services
from deliverability.campaigns.models import Campaign, Upload
from deliverability.verdicts import analysis
from deliverability.verdicts.models import CampaignDiagnosis, RecipientVerdict


class Command(BaseCommand):
    help = "Diagnose campaign result files: which bounces are real, which were filter rejections."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--format", default="auto", choices=["auto", *ingest.FORMATS])
        parser.add_argument("--campaign", default="", help="campaign name for rows that name none")
        parser.add_argument("--nameserver", action="append", default=[], help="DNS server HOST:PORT (repeatable)")
        parser.add_argument("--json", action="store_true", help="one JSON document on standard output")
        parser.add_argument("--recipients", action="store_true", help="include every judged recipient")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD")
        parser.add_argument("--sent", type=int, default=None, help="the campaign's sent count (bounce-only files)")

    def handle(self, *args, files, format, campaign, nameserver, json: bool, recipients: bool, map, sent, **opts):
        mapping = dict(item.split("=", 1) for item in map if "=" in item)
        org = Organization.objects.create(name="analyze workspace", slug=f"analyze-{uuid.uuid4().hex[:12]}")
        try:
            campaign_ids: set[int] = set()
            for path in files:
                if not os.path.exists(path):
                    raise CommandError(f"{path}: no such file or folder")
                if os.path.isfile(path):
                    try:
                        limits.check_path(path)
                    except limits.FileTooLarge as exc:
                        raise CommandError(str(exc)) from None
                try:
                    received = services.receive_upload(org, path, original_name=path, campaign_name=campaign or path,
                                                       requested_format=format, column_mapping=mapping)
                except OSError as exc:
                    raise CommandError(f"{path}: cannot read it ({exc.strerror or exc})") from None
                # Analysed here, once, before the workspace goes: not also through the upload_imported task.
                upload = services.run_import(received.upload.pk, analyse=False)
                upload = Upload.objects.filter(pk=received.upload.pk).first()  # as stored: run_import's copy may predate a failure
                if upload is None or upload.status != Upload.Status.DONE:
                    raise CommandError(f"{path}: {_reason(upload, path)}")
                for error_row, message in upload.row_errors[:20]:
                    self.stderr.write(f"{path}: row {error_row}: {message}")
                self.stderr.write(f"{path}: {upload.summary.get('events', 0)} events ({upload.detected_format})")
                if sent:
                    Campaign.objects.filter(organization=org, events__upload=upload).update(sent_count=sent)
                analysis.analyze_upload(upload.pk, nameservers=nameserver or settings.DNS_NAMESERVERS)
                upload.refresh_from_db()
                if upload.enrichment_note:
                    self.stderr.write(f"{path}: {upload.enrichment_note}")
                campaign_ids.update(Campaign.objects.filter(organization=org).values_list("id", flat=True))
            document = self._document(org, recipients)
        finally:
            for upload in Upload.objects.filter(organization=org):
                upload.file.delete(save=False)
            org.delete()
        if json:
            self.stdout.write(_json_dumps(document))
        else:
            self._print_text(document)

    def _document(self, org, with_recipients: bool) -> dict:
        campaigns = []
        for diagnosis in CampaignDiagnosis.objects.filter(campaign__organization=org).select_related("campaign").order_by("campaign__sent_at", "campaign__id"):
            campaigns.append(diagnosis.data | {"name": diagnosis.campaign.name})
        document = {"campaigns": campaigns}
        if with_recipients:
            document["recipients"] = [
                {"campaign": row.campaign.name, "email": row.email, "verdict": row.verdict,
                 "confidence": round(row.confidence, 3), "category": row.category,
                 "vendor": _vendor_name(row.vendor), "evidence": row.evidence}
                for row in RecipientVerdict.objects.filter(organization=org).select_related("campaign").order_by("campaign_id", "email")
            ]
        return document

    def _print_text(self, document: dict) -> None:
        for c in document["campaigns"]:
            self.stdout.write(f"\n{c['name']}")
            self.stdout.write("=" * len(c["name"]))
            if c.get("headline"):
                self.stdout.write(c["headline"])
            self.stdout.write(
                f"recipients {c['recipients']}, delivered {c['delivered']}, bounced {c['bounced']}; "
                f"reported hard-bounce rate {c['reported_hard_bounce_rate']:.1%}, "
                f"estimated truly invalid {c['estimated_invalid_rate']:.1%}"
            )
            for segment in ("b2b", "b2c"):
                s = c[segment]
                rate = f"{s['bounce_rate']:.1%}" if s.get("bounce_rate") is not None else "n/a"
                self.stdout.write(f"  {segment.upper()}: {s['bounced']} of {s['recipients']} bounced ({rate})")
            self.stdout.write("  verdicts: " + ", ".join(f"{k} {v}" for k, v in c["by_verdict"].items() if v))
            for vendor, figures in list(c["by_vendor"].items())[:8]:
                self.stdout.write(f"  {vendor}: {figures.get('bounced', 0)} bounced")
            for item in c.get("what_to_do", [])[:6]:
                self.stdout.write(f"  → {item.get('text') or item}")
        for r in document.get("recipients", []):
            self.stdout.write(f"{r['campaign']}\t{r['email']}\t{r['verdict']}\t{r['confidence']:.2f}\t{r['vendor'] or ''}")


def _reason(upload: Upload | None, path: str) -> str:
    """Why the file was not imported, naming the user's file (the stored copy is named by its hash)."""
    if upload is None:
        return "not imported"
    error = upload.error or f"the import ended as {upload.status} without a reason"
    stored = os.path.basename(upload.file.name) if upload.file else ""
    return error.replace(stored, os.path.basename(path)) if stored else error


def _vendor_name(vendor_id: str) -> str | None:
    from deliverability.bounces.vendors import vendor_name

    return vendor_name(vendor_id) or (vendor_id or None)


def _json_dumps(document: dict) -> str:
    return json.dumps(document, default=str, ensure_ascii=False)
