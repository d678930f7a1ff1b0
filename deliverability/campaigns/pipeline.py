"""What follows an import: register new domains, then announce it; the verdicts layer listens
(enrichment, verdicts and rollups run in its task, see verdicts/tasks.py)."""
from __future__ import annotations

import logging

from deliverability.accounts.models import Organization
from deliverability.campaigns.importer import ImportResult
from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.campaigns.signals import campaigns_changed, upload_imported
from deliverability.domains.models import Domain

log = logging.getLogger(__name__)


def register_domains(names: set[str]) -> None:
    """Create Domain rows for names never seen (one insert that skips the known ones)."""
    Domain.objects.bulk_create([Domain(name=name) for name in sorted(names)], ignore_conflicts=True, batch_size=1000)


def after_import(upload: Upload, result: ImportResult) -> None:
    register_domains(result.domains)
    upload_imported.send(sender=Upload, upload_id=upload.pk)


def after_delete(org: Organization, campaign_ids: set[int]) -> None:
    # A campaign that only this upload filled goes with it.
    Campaign.objects.filter(organization=org, id__in=campaign_ids).exclude(
        id__in=Event.objects.filter(campaign_id__in=campaign_ids).values("campaign_id")
    ).delete()
    remaining = set(Campaign.objects.filter(id__in=campaign_ids).values_list("id", flat=True))
    campaigns_changed.send(sender=Campaign, organization_id=org.pk, campaign_ids=sorted(remaining))
