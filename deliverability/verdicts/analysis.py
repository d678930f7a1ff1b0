"""What runs after an import or a deletion: enrichment of the upload's domains, then verdicts
and rollups for every campaign it touched. Idempotent: each step recomputes from the events."""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from deliverability.campaigns.models import Event, Upload
from deliverability.domains.services import enrich_domains
from deliverability.verdicts.services import judge_campaign

log = logging.getLogger(__name__)


def analyze_upload(upload_id: int, nameservers: list[str] | None = None) -> dict:
    upload = Upload.objects.filter(pk=upload_id, status=Upload.Status.DONE).first()
    if upload is None:
        return {"skipped": True}
    events = Event.objects.filter(upload=upload)
    names = list(events.values_list("domain", flat=True).distinct())
    summary = enrich_domains(names, nameservers if nameservers is not None else settings.DNS_NAMESERVERS)
    campaign_ids = sorted(set(events.values_list("campaign_id", flat=True).distinct()))
    judged = judge_campaigns(campaign_ids)
    Upload.objects.filter(pk=upload.pk).update(analyzed_at=timezone.now())
    return {"domains": len(names), "resolved": summary.resolved, "campaigns": judged}


def judge_campaigns(campaign_ids: list[int]) -> int:
    for campaign_id in campaign_ids:
        judge_campaign(campaign_id)
    return len(campaign_ids)
