"""What runs after an import or a deletion: the upload's addresses made searchable, its domains enriched,
then verdicts and rollups for every campaign it touched. Idempotent: each step recomputes from the events.

Exactly one analysis per import: the analysis claims the upload (an optimistic update on the row), so a
second dispatch — a page and a command, or a redelivered import task — finds it taken and does nothing.
A redelivered analysis task (same claim, its worker died) may retake it.
"""
from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from deliverability.campaigns.models import Event, Upload
from deliverability.campaigns.services import index_for_search
from deliverability.domains.services import enrich_domains
from deliverability.verdicts.recovery import refresh_plans
from deliverability.verdicts.services import judge_campaign

log = logging.getLogger(__name__)


def claim_analysis(upload_id: int, claim: str) -> Upload | None:
    """Take an imported upload for analysis; None when another analysis has it or it is done."""
    waiting = Upload.objects.filter(pk=upload_id, status=Upload.Status.DONE, analyzed_at__isnull=True).exclude(
        analysis__has_key="skipped")  # imported with --no-enrich on purpose: announced again, still not analysed
    if waiting.filter(analysis_claim="").update(analysis_claim=claim, analysis_runs=F("analysis_runs") + 1):
        return Upload.objects.get(pk=upload_id)
    if waiting.filter(analysis_claim=claim).exists():  # the same task again, after a lost worker
        return Upload.objects.get(pk=upload_id)
    return None


def analyze_upload(upload_id: int, nameservers: list[str] | None = None, claim: str | None = None) -> dict:
    upload = claim_analysis(upload_id, claim or uuid.uuid4().hex)
    if upload is None:
        log.info("upload %s: analysis not needed or already taken", upload_id)
        return {"skipped": True}
    index_for_search(upload)
    events = Event.objects.filter(upload=upload)
    names = list(events.values_list("domain", flat=True).distinct())
    summary = enrich_domains(names, nameservers if nameservers is not None else settings.DNS_NAMESERVERS)
    campaign_ids = sorted(set(events.values_list("campaign_id", flat=True).distinct()))
    judged = judge_campaigns(campaign_ids)
    notes = {"domains": len(names), "unresolved": summary.unresolved,  # DNS unknown: the verdicts say so
             "resolver_unreachable": summary.resolver_unreachable}
    Upload.objects.filter(pk=upload.pk).update(analyzed_at=timezone.now(), analysis=notes)
    # This upload's complaints and suppressions can change other campaigns' un-suppression plans too: those
    # plans are updated for the addresses concerned, not computed again (recovery.refresh_plans).
    plans = refresh_plans(upload.organization_id)
    return {**notes, "resolved": summary.resolved, "campaigns": judged, "plans": dict(plans)}


def judge_campaigns(campaign_ids: list[int]) -> int:
    for campaign_id in campaign_ids:
        judge_campaign(campaign_id)
    return len(campaign_ids)
