"""The client-portal data of the language tests: a campaign imported and analysed for real (tests/portal_data.py)."""
from __future__ import annotations

import pytest

from deliverability.campaigns.models import Campaign
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, RecipientVerdict
from tests.portal_data import SUBJECT, import_campaign, recent


@pytest.fixture
def portal(org_a, manager_a, tmp_path):
    upload = import_campaign(org_a, tmp_path, "November newsletter", recent(3))
    campaign = Campaign.objects.get(organization=org_a, name="November newsletter")
    # One big figure, to see the thousands written as the reader writes them.
    stat = CampaignDomainStat.objects.filter(campaign=campaign).order_by("domain").first()
    stat.recipients = 12345
    stat.save()
    verdict = RecipientVerdict.objects.get(campaign=campaign, email=SUBJECT)
    diagnosis = CampaignDiagnosis.objects.get(campaign=campaign)
    vendor = next(row["vendor_id"] for row in diagnosis.by_vendor.values() if row.get("vendor_id"))
    return {"org": org_a, "user": manager_a, "campaign": campaign, "verdict": verdict, "upload": upload,
            "vendor": vendor}
