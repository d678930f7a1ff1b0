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


def register_domains(names: set[str]) -> list[str]:
    """Create Domain rows for names never seen; returns the new ones."""
    if not names:
        return []
    known = set()
    ordered = sorted(names)
    for start in range(0, len(ordered), 900):
        known.update(Domain.objects.filter(name__in=ordered[start:start + 900]).values_list("name", flat=True))
    new = [name for name in ordered if name not in known]
    Domain.objects.bulk_create([Domain(name=name) for name in new], ignore_conflicts=True, batch_size=1000)
    return new


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
