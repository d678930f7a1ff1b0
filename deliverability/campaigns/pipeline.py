"""What follows an import or a deletion, announced to the layers above (verdicts listens: enrichment,
verdicts and rollups run in its analysis task, see verdicts/receivers.py). Domain rows are created by
that enrichment, not here: registering 43k new domains one ORM object at a time cost seconds of every
large import for rows the analysis writes anyway."""
from __future__ import annotations

import logging

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.campaigns.signals import campaigns_changed, upload_imported

log = logging.getLogger(__name__)


def after_import(upload: Upload) -> None:
    upload_imported.send(sender=Upload, upload_id=upload.pk)


def after_delete(org: Organization, campaign_ids: set[int]) -> None:
    # A campaign that only this upload filled goes with it.
    Campaign.objects.filter(organization=org, id__in=campaign_ids).exclude(
        id__in=Event.objects.filter(campaign_id__in=campaign_ids).values("campaign_id")
    ).delete()
    remaining = set(Campaign.objects.filter(id__in=campaign_ids).values_list("id", flat=True))
    campaigns_changed.send(sender=Campaign, organization_id=org.pk, campaign_ids=sorted(remaining))


def show_campaigns(campaign_ids) -> None:
    """Campaigns an import creates stay out of the pages until it is done (Campaign.awaiting_import): these are."""
    ids = set(campaign_ids) - {None}
    if ids:
        Campaign.objects.filter(pk__in=ids, awaiting_import=True).update(awaiting_import=False)
