"""The whole chain on a B2B campaign whose truth is known: import → DNS enrichment over the
loopback server → verdicts → rollups. The demo scenario (campaigns/demo.py) is built so that
every domain's behaviour says what the right verdict is."""
from __future__ import annotations

import pytest

from deliverability.accounts.models import Organization
from deliverability.campaigns import services
from deliverability.campaigns.demo import SCENARIOS, write_demo_csv
from deliverability.campaigns.models import Campaign
from deliverability.domains.models import Domain
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, CampaignTimeline, RecipientVerdict

EXPECTED = {
    "gateway_burst": "filter_rejection",   # Proofpoint accepted eight, then refused everyone with "user unknown"
    "directory": "filter_rejection",       # gateway directory rejections of people who opened last month
    "reputation": "sender_issue",          # Barracuda names the sending IP on its blocklist
    "content": "sender_issue",             # Symantec filtered the message content
    "lone_invalid": "invalid_recipient",   # one or two unknown users among many deliveries: people left
    "dead": "invalid_recipient",           # null MX / domain does not exist
}
CONSUMER_EXPECTED = {"gmail.com": "invalid_recipient", "yahoo.com": "invalid_recipient", "outlook.com": "temporary"}


@pytest.fixture
def analysed(db, tmp_path):
    org = Organization.objects.create(name="Lumen Analytics", slug="lumen", timezone="Europe/Madrid")
    path = tmp_path / "demo.csv"
    write_demo_csv(path, seed=7)
    received = services.receive_upload(org, path, original_name="demo.csv")
    upload = services.run_import(received.upload.pk)
    analyze_upload(upload.pk)
    return org


def test_every_bounced_recipient_gets_the_verdict_its_domain_behaviour_implies(analysed):
    november = Campaign.objects.get(organization=analysed, name="November product update")
    verdicts = {row.email: row for row in RecipientVerdict.objects.filter(campaign=november)}
    behaviour = {s.domain: s.behaviour for s in SCENARIOS}
    wrong = []
    for email, row in verdicts.items():
        domain = email.rpartition("@")[2]
        expected = CONSUMER_EXPECTED.get(domain) or EXPECTED.get(behaviour[domain])
        if row.verdict != expected:
            wrong.append(f"{email}: {row.verdict} ({row.confidence:.2f}) expected {expected}; {row.category}/{row.signature}; "
                         + " | ".join(e["text"] for e in row.evidence[:3]))
    assert not wrong, "\n".join(wrong)
    assert len(verdicts) > 60


def test_verdicts_carry_confidence_and_readable_evidence(analysed):
    row = RecipientVerdict.objects.filter(domain="northwind-freight.com").first()
    assert 0.5 < row.confidence <= 1
    texts = " ".join(item["text"] for item in row.evidence)
    assert "Proofpoint" in texts


def test_campaign_figures_separate_reported_hard_bounces_from_real_invalids(analysed):
    diagnosis = CampaignDiagnosis.objects.get(campaign__name="November product update", campaign__organization=analysed)
    assert diagnosis.reported_hard_bounce_rate > 2 * diagnosis.estimated_invalid_rate > 0
    assert diagnosis.b2b_bounced / diagnosis.b2b_recipients > diagnosis.b2c_bounced / diagnosis.b2c_recipients
    assert diagnosis.by_verdict["filter_rejection"] > diagnosis.by_verdict["invalid_recipient"]
    assert "Proofpoint" in diagnosis.by_vendor
    assert diagnosis.headline


def test_rollups_cover_every_domain_and_minute(analysed):
    november = Campaign.objects.get(organization=analysed, name="November product update")
    stats = {s.domain: s for s in CampaignDomainStat.objects.filter(campaign=november)}
    assert set(stats) == {s.domain for s in SCENARIOS}
    assert stats["northwind-freight.com"].filter_rejection == stats["northwind-freight.com"].bounced == 52
    assert stats["northwind-freight.com"].vendor == "proofpoint"
    timeline = CampaignTimeline.objects.filter(campaign=november)
    assert sum(t.delivered + t.bounced for t in timeline) == november.diagnosis.recipients


def test_domains_were_enriched_from_the_loopback_dns(analysed):
    assert Domain.objects.get(name="northwind-freight.com").vendor_id == "proofpoint"
    assert Domain.objects.get(name="gmail.com").kind == "consumer"
    assert Domain.objects.get(name="vanished-ventures.com").mx_status == "nxdomain"


def test_a_staff_override_wins_and_survives_recomputation(analysed, staff):
    from deliverability.verdicts.services import judge_campaign, set_override

    row = RecipientVerdict.objects.filter(domain="bellmark-insurance.com").first()
    set_override(row, "filter_rejection", staff, note="The client confirmed this person still works there.")
    judge_campaign(row.campaign_id)
    row = RecipientVerdict.objects.get(campaign=row.campaign, recipient=row.recipient)
    assert (row.verdict, row.computed_verdict, row.override_verdict) == ("filter_rejection", "invalid_recipient", "filter_rejection")
    assert row.campaign.diagnosis.by_verdict["filter_rejection"] >= 1


def test_recovery_and_suppress_lists_split_the_bounces(analysed, client, staff):
    import csv
    import io

    from django.urls import reverse

    client.force_login(staff)
    november = Campaign.objects.get(organization=analysed, name="November product update")
    def rows(name):
        response = client.get(reverse(name, args=[analysed.slug, november.pk]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))  # a byte-order mark for Excel
    suppress = rows("campaign_suppress_list")
    recovery = rows("campaign_recovery_list")
    assert suppress and all(r["verdict"] == "Invalid recipient" for r in suppress)
    assert any(r["domain"] == "northwind-freight.com" for r in recovery)
    assert not {r["email"] for r in suppress} & {r["email"] for r in recovery}
