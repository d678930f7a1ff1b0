"""A small diagnosed world for the dashboard pages: rollup rows written directly (they are plain models)."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from deliverability.campaigns.models import Diagnostic, Event, Recipient, RecipientSearch, Upload
from deliverability.domains.models import Domain, DomainHistory
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat, CampaignTimeline, RecipientVerdict
from deliverability.verdicts.services import store_vendor_rollups
from tests.factories import make_campaign

SCRIPT_DIAGNOSTIC = '550 5.1.1 <script>alert("pwned")</script> User unknown'
FORMULA_DIAGNOSTIC = '=HYPERLINK("http://evil.example","click")'
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def add_verdict(campaign, email, verdict, *, outcome="bounce", diagnostic="", vendor="", esp_hard=True,
                category="invalid_mailbox", signature="user_unknown", when=SENT, override=""):
    org = campaign.organization
    recipient, _ = Recipient.objects.get_or_create(organization=org, email=email,
                                                   defaults={"domain": email.split("@")[1]})
    return RecipientVerdict.objects.create(
        organization=org, campaign=campaign, recipient=recipient, email=email, domain=recipient.domain,
        outcome=outcome, occurred_at=when, category=category, signature=signature, reply_code=550,
        enhanced_status="5.1.1", diagnostic=diagnostic, vendor=vendor, domain_kind="corporate", esp_hard=esp_hard,
        computed_verdict=verdict, confidence=0.82, verdict=override or verdict, override_verdict=override,
        evidence=[{"code": "gateway", "text": "answering gateway is Proofpoint (MX mx0a-123.pphosted.com)"}],
    )


def add_event(campaign, upload, email, type_, when, diagnostic=""):
    recipient = Recipient.objects.get(organization=campaign.organization, email=email)
    diag = None
    if diagnostic:
        diag, _ = Diagnostic.objects.get_or_create(sha1=hashlib.sha1(diagnostic.encode()).hexdigest(),
                                                   defaults={"text": diagnostic})
    return Event.objects.create(organization=campaign.organization, campaign=campaign, recipient=recipient,
                                upload=upload, type=type_, occurred_at=when, domain=recipient.domain,
                                reply_code=550 if type_ == "bounce" else None, diagnostic=diag)


def diagnose(campaign, *, recipients=600, bounced=48, hard=0.08, invalid=0.01, headline="Headline"):
    return CampaignDiagnosis.objects.create(
        campaign=campaign, recipients=recipients, delivered=recipients - bounced, bounced=bounced,
        reported_hard_bounce_rate=hard, estimated_invalid_rate=invalid, b2b_recipients=400, b2b_bounced=44,
        b2c_recipients=200, b2c_bounced=4,
        by_verdict={"filter_rejection": 40, "invalid_recipient": 6, "temporary": 2},
        by_vendor={"Proofpoint": {"vendor_id": "proofpoint", "category": "security_gateway", "recipients": 60,
                                  "bounced": 40, "by_verdict": {"filter_rejection": 38, "invalid_recipient": 2}},
                   "Mimecast": {"vendor_id": "mimecast", "category": "security_gateway", "recipients": 40,
                                "bounced": 8, "by_verdict": {"filter_rejection": 2, "invalid_recipient": 4,
                                                             "temporary": 2}}},
        headline=headline,
        data={"b2b": {"reported_hard_bounces": 40, "estimated_invalid_rate": 0.0125},
              "b2c": {"reported_hard_bounces": 3, "estimated_invalid_rate": 0.01},
              "reported_hard_bounces": 43, "estimated_invalid": 6, "recovered": 40,
              "what_to_do": [{"code": "keep", "text": "Keep 40 addresses <b>now</b>"}], "notes": []},
    )


@pytest.fixture
def diagnosed(org_a, org_b):
    """Org A: two diagnosed campaigns at northwind-freight.com (Proofpoint) and more; org B: one bounce there."""
    october = make_campaign(org_a, "October <webinar>", sent_at=SENT - timedelta(days=28))
    november = make_campaign(org_a, "November product update", sent_at=SENT)
    upload = Upload.objects.create(organization=org_a, original_name="n.csv", sha256="n" * 64, file="uploads/none",
                                   status=Upload.Status.DONE)
    diagnose(october, hard=0.03, invalid=0.005, headline="October was fine")
    diagnose(november, headline='8 of your 11 points came from <script>alert(1)</script> Proofpoint')
    domain = Domain.objects.create(name="northwind-freight.com", kind="corporate", vendor_id="proofpoint",
                                   mx_status="ok", mx=[[10, "mx0a-123.pphosted.com"]])
    DomainHistory.objects.create(domain=domain, observed_at=SENT - timedelta(days=40), mx_status="ok",
                                 mx=[[10, "mail.northwind-freight.com"]], vendor_id="")
    DomainHistory.objects.create(domain=domain, observed_at=SENT - timedelta(days=2), mx_status="ok",
                                 mx=[[10, "mx0a-123.pphosted.com"]], vendor_id="proofpoint")
    jane = add_verdict(november, "jane.doe@northwind-freight.com", "filter_rejection", diagnostic=SCRIPT_DIAGNOSTIC,
                       vendor="proofpoint")
    add_verdict(november, "gone@northwind-freight.com", "invalid_recipient", diagnostic=FORMULA_DIAGNOSTIC,
                vendor="proofpoint", signature="user_unknown")
    add_verdict(october, "jane.doe@northwind-freight.com", "temporary", diagnostic="452 4.2.2 over quota",
                vendor="proofpoint", category="mailbox_full", signature="mailbox_full", when=SENT - timedelta(days=28))
    add_event(october, upload, "jane.doe@northwind-freight.com", "bounce", SENT - timedelta(days=28),
              "452 4.2.2 over quota")
    add_event(november, upload, "jane.doe@northwind-freight.com", "delivered", SENT - timedelta(minutes=5))
    add_event(november, upload, "jane.doe@northwind-freight.com", "bounce", SENT, SCRIPT_DIAGNOSTIC)
    add_event(november, upload, "gone@northwind-freight.com", "bounce", SENT, FORMULA_DIAGNOSTIC)
    CampaignDomainStat.objects.create(campaign=november, domain="northwind-freight.com", kind="corporate",
                                      vendor="proofpoint", recipients=60, delivered=8, bounced=52,
                                      filter_rejection=50, invalid_recipient=2)
    CampaignDomainStat.objects.create(campaign=october, domain="northwind-freight.com", kind="corporate",
                                      vendor="proofpoint", recipients=60, delivered=59, bounced=1, temporary=1)
    CampaignDomainStat.objects.create(campaign=november, domain="gmail.com", kind="consumer", vendor="gmail",
                                      recipients=120, delivered=116, bounced=4, invalid_recipient=4)
    CampaignDomainStat.objects.create(campaign=november, domain="=cmd|' /C calc'!A0.example", kind="corporate",
                                      recipients=1, bounced=1, unknown=1)
    for i in range(30):
        CampaignTimeline.objects.create(campaign=november, minute=SENT + timedelta(minutes=i), delivered=20,
                                        bounced=30 if 10 <= i < 13 else 0)
    # Organisation B mailed the same domain: its recipients must never show on A's pages.
    borealis = make_campaign(org_b, "Borealis winter")
    add_verdict(borealis, "secret.person@northwind-freight.com", "filter_rejection", vendor="proofpoint",
                diagnostic="550 Borealis only")
    CampaignDomainStat.objects.create(campaign=borealis, domain="northwind-freight.com", kind="corporate",
                                      vendor="proofpoint", recipients=3, bounced=1, filter_rejection=1)
    diagnose(borealis, headline="Borealis")
    # The vendor page's rollups, from the rows above, as the analysis builds them after writing its verdicts.
    for campaign in (october, november, borealis):
        store_vendor_rollups(campaign.pk)
    # The analysis makes an upload's addresses searchable (campaigns.services.index_for_search); these rows
    # were built by hand, so they are indexed by hand.
    RecipientSearch.objects.bulk_create(
        RecipientSearch(recipient=r, organization_id=r.organization_id, email=r.email, domain=r.domain) for r in Recipient.objects.all())
    return {"october": october, "november": november, "borealis": borealis, "jane": jane, "upload": upload}
