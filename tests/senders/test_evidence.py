"""What the organisation's imports say about its sender setup (dashboard/sender_evidence.py)."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from deliverability.campaigns.models import Diagnostic, Event, Recipient, Upload
from deliverability.dashboard.sender_evidence import sender_evidence
from tests.factories import make_campaign, make_org


def _events(org, rows, weeks_ago=0):
    campaign = make_campaign(org, f"c{weeks_ago}-{len(rows)}")
    upload = Upload.objects.create(organization=org, campaign=campaign, original_name="a.csv", sha256=f"{weeks_ago:064d}",
                                   file="uploads/none", status=Upload.Status.DONE)
    moment = timezone.now() - timedelta(weeks=weeks_ago)
    local = moment.astimezone(org.tzinfo).date()
    week = local - timedelta(days=local.weekday())
    for index, (kind, status, text) in enumerate(rows):
        recipient, _ = Recipient.objects.get_or_create(organization=org, email=f"p{index}@gmail.com", domain="gmail.com")
        diagnostic = None
        if text:
            diagnostic, _ = Diagnostic.objects.get_or_create(sha1=hashlib.sha1(text.encode()).hexdigest(),
                                                             defaults={"text": text})
        Event.objects.create(organization=org, campaign=campaign, recipient=recipient, upload=upload, type=kind,
                             occurred_at=moment, week=week, domain="gmail.com", enhanced_status=status,
                             diagnostic=diagnostic)


def test_codes_that_point_at_requirements_and_the_complaint_rate(db):
    cache.clear()
    org, other = make_org("Acme", "acme"), make_org("Other", "other")
    _events(org, [
        ("bounce", "5.7.26", "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy"),
        ("bounce", "5.7.26", "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy"),
        ("deferred", "4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume"),
        ("bounce", "5.1.1", "550 5.1.1 user unknown"),
        ("complaint", "", ""), ("delivered", "", ""), ("delivered", "", ""), ("delivered", "", ""),
    ])
    _events(org, [("bounce", "5.7.515", "550 5.7.515 Access denied, sending domain does not meet the required authentication level")],
            weeks_ago=10)  # outside the window
    _events(other, [("bounce", "5.7.30", "550 5.7.30 DKIM did not pass")])  # another tenant's
    evidence = sender_evidence(org)
    assert evidence["codes"] == {"5.7.26": 2, "[TSS04]": 1}
    assert evidence["complaints"] == (1, 3)


def test_sending_ips_named_in_rejections():
    from deliverability.dashboard.sender_evidence import named_ips_in

    texts = [
        ("554 5.7.1 Service unavailable; Client host [203.0.113.45] blocked using Barracuda Reputation; "
         "http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.45", 35),
        ("421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume", 2),
        ("550 5.7.606 Access denied, banned sending IP [192.0.2.9]", 1),
        ("554 Rejected: client 10.1.2.3 is internal", 4),  # not a sending-IP wording, and private
        ("550 5.1.1 user unknown", 9),
    ]
    assert dict(named_ips_in(texts)) == {"203.0.113.45": 35, "198.51.100.7": 2, "192.0.2.9": 1}


def test_the_page_names_bounce_ips_missing_from_the_settings(db, client):
    cache.clear()
    org = make_org("Acme", "acme")
    _events(org, [("bounce", "5.7.1", "554 5.7.1 Service unavailable; Client host [203.0.113.45] blocked using "
                   "Barracuda Reputation")])
    Event.objects.filter(organization=org).update(category="reputation_block")
    from django.urls import reverse

    from tests.factories import make_membership, make_user
    viewer = make_user("viewer")
    make_membership(viewer, org, "viewer")
    client.force_login(viewer)
    page = client.get(reverse("sender_health", args=[org.slug])).content.decode()
    assert "IPs named as the sender in your bounces" in page and "203.0.113.45 (1 bounce)" in page


def test_the_text_markers_are_counted_in_one_query_however_many(db, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from deliverability.dashboard import sender_evidence as module

    org = make_org("Acme", "acme")
    _events(org, [("deferred", "4.7.0", "421 4.7.0 [TSS04] Messages temporarily deferred"),
                  ("bounce", "5.7.1", "550 5.7.1 [XYZ1] custom marker"), ("bounce", "5.7.1", "550 [XYZ1] again")])

    def measured() -> tuple[dict, int]:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            codes = sender_evidence(org)["codes"]
        return codes, len(queries.captured_queries)

    codes, few = measured()
    assert codes == {"[TSS04]": 1}
    monkeypatch.setattr(module, "_TEXT", (*module._TEXT, "[XYZ1]", "[XYZ2]", "[XYZ3]"))
    codes, more = measured()
    assert codes == {"[TSS04]": 1, "[XYZ1]": 2} and more == few


def test_a_finished_or_deleted_upload_shows_in_the_evidence_at_once(db):
    """The evidence is cached, keyed on the organisation's finished uploads: a new one (or one deleted) is
    seen on the next read, not after the cache's ten minutes."""
    org = make_org("Acme", "acme")
    _events(org, [("delivered", "", ""), ("delivered", "", "")])
    assert sender_evidence(org)["complaints"] == (0, 2)
    _events(org, [("complaint", "", "")], weeks_ago=1)
    assert sender_evidence(org)["complaints"] == (1, 2)
    Upload.objects.filter(organization=org, events__type="complaint").delete()
    assert sender_evidence(org)["complaints"] == (0, 2)
