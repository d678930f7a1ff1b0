"""Retention: an organisation's campaigns older than its retention period lose their events and
per-recipient verdicts; their figures (diagnosis, domain table, timeline) stay.

The unit is the campaign, not the single event: a campaign with half its events gone would be
recounted wrong by the next recomputation. A purged campaign's diagnosis is marked
(`data["events_purged_at"]`), and `services.judge_campaign` keeps the figures of a marked
campaign that has no events left instead of rebuilding them from nothing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from deliverability.accounts import audit
from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Campaign, Event, Recipient
from deliverability.verdicts import recovery
from deliverability.verdicts.models import CampaignDiagnosis, RecipientVerdict


@dataclass
class Purged:
    campaigns: int = 0
    events: int = 0
    verdicts: int = 0
    recipients: int = 0


def expired_campaigns(org: Organization, now: datetime | None = None):
    """Campaigns of `org` sent (or, undated, created) before the retention cut-off."""
    if not org.retention_days:
        return Campaign.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=org.retention_days)
    return (Campaign.objects.filter(organization=org)
            .annotate(reference=Coalesce("sent_at", "created_at")).filter(reference__lt=cutoff))


def purge_organization(org: Organization, now: datetime | None = None) -> Purged:
    """Delete the events and verdicts of `org`'s expired campaigns. Safe to run any number of times."""
    result = Purged()
    campaign_ids = list(expired_campaigns(org, now).values_list("id", flat=True))
    if not campaign_ids:
        return result
    stamp = (now or timezone.now()).isoformat()
    with transaction.atomic():
        for diagnosis in CampaignDiagnosis.objects.filter(campaign_id__in=campaign_ids):
            if not (diagnosis.data or {}).get("events_purged_at"):
                diagnosis.data = {**(diagnosis.data or {}), "events_purged_at": stamp}
                diagnosis.save(update_fields=["data"])
        for start in range(0, len(campaign_ids), 500):
            chunk = campaign_ids[start:start + 500]
            result.events += Event.objects.filter(campaign_id__in=chunk).delete()[0]
            result.verdicts += RecipientVerdict.objects.filter(campaign_id__in=chunk).delete()[0]
        # Addresses left with nothing (no event, no verdict in any campaign) go too.
        orphans = (Recipient.objects.filter(organization=org)
                   .exclude(Q(pk__in=Event.objects.filter(organization=org).values("recipient_id")))
                   .exclude(Q(pk__in=RecipientVerdict.objects.filter(organization=org).values("recipient_id"))))
        result.recipients = orphans.delete()[1].get("campaigns.Recipient", 0)
        # The purged complaints no longer keep addresses of other campaigns off their ESP files.
        recovery.mark_stale(org.pk)
    result.campaigns = len(campaign_ids)
    if result.events or result.verdicts:
        recovery.refresh_plans(org.pk)  # the plans marked stale above, computed again now rather than on a visit
    if result.events or result.verdicts or result.recipients:
        audit.record(audit.Action.RETENTION, organization=org,
                     summary=f"Retention ({org.retention_days} days): purged {result.events} events", **asdict(result))
    return result


def purge_all(now: datetime | None = None) -> dict[str, dict]:
    done = {}
    for org in Organization.objects.filter(retention_days__isnull=False).exclude(retention_days=0):
        done[org.slug] = asdict(purge_organization(org, now))
    return done
