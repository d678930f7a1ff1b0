"""Organisation checks: results stored, changes recorded between runs, listing periods; the pages."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from deliverability.senders.models import (
    ListingPeriod,
    SenderChange,
    SenderCheck,
    SenderProfile,
    SendingDomain,
    SendingIp,
)
from deliverability.senders.services import check_organization, organizations_to_check
from deliverability.senders.tasks import check_all_senders, check_organization_senders
from tests.factories import make_membership, make_org, make_user

TUESDAY = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
THURSDAY = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
def org(db, sender_dns, settings):
    settings.DNS_NAMESERVERS = [sender_dns.nameserver]
    settings.DNS_TIMEOUT = 3.0  # a loaded machine must not turn answers into timeouts
    settings.SENDER_DNSBL_ZONES = ["zen.spamhaus.org", "bl.spamcop.net"]
    settings.SPAMHAUS_DQS_KEY = ""
    cache.clear()  # blocklist answers cached by another test
    org = make_org("Acme", "acme")
    SenderProfile.objects.create(organization=org, esps=["sendgrid"])
    SendingDomain.objects.create(organization=org, name="dmarc-none.com", role="from", selectors=["s1"])
    SendingDomain.objects.create(organization=org, name="bounces.good-sender.com", role="return_path")
    SendingIp.objects.create(organization=org, address="192.0.2.20")
    return org


def test_check_stores_one_result_per_subject(org, sender_dns):
    checks = check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    by_subject = {c.subject: c for c in checks}
    assert set(by_subject) == {"dmarc-none.com", "bounces.good-sender.com", "192.0.2.20"}
    assert "dmarc_policy_none" in by_subject["dmarc-none.com"].problems
    assert by_subject["bounces.good-sender.com"].result["dkim"] == []  # a bounce domain signs nothing
    assert by_subject["192.0.2.20"].problems == ["dnsbl_listed"] and by_subject["192.0.2.20"].status == "fail"
    # the From domain's alignment is judged against the organisation's Return-Path domain
    assert by_subject["dmarc-none.com"].result["dmarc"]["alignment"]["return_paths"] == ["bounces.good-sender.com"]


def test_changes_between_runs_dmarc_policy_and_listing_period(org, sender_dns):
    check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    assert SenderChange.objects.filter(kind="problem_new", subject="dmarc-none.com", code="dmarc_policy_none").exists()
    assert ListingPeriod.objects.get(subject="192.0.2.20", zone="zen.spamhaus.org").ended_at is None

    sender_dns.set_records("_dmarc.dmarc-none.com.", "TXT", ['"v=DMARC1; p=reject; rua=mailto:d@dmarc-none.com"'])
    sender_dns.set_records("20.2.0.192.zen.spamhaus.org.", "A", [])
    cache.clear()  # a day passes: the blocklist answers cached with their TTL have expired
    try:
        check_organization(org, now=WEDNESDAY, nameservers=[sender_dns.nameserver])
        check_organization(org, now=THURSDAY, nameservers=[sender_dns.nameserver])  # nothing moved: no new change
    finally:
        sender_dns.set_records("_dmarc.dmarc-none.com.", "TXT", ['"v=DMARC1; p=none"'])
        sender_dns.set_records("20.2.0.192.zen.spamhaus.org.", "A", ["127.0.0.2", "127.0.0.11"])
    policy = SenderChange.objects.get(kind="dmarc_policy", subject="dmarc-none.com")
    assert (policy.before, policy.after, policy.occurred_at) == ("none", "reject", WEDNESDAY)
    assert SenderChange.objects.filter(kind="problem_gone", code="dmarc_policy_none").count() == 1
    period = ListingPeriod.objects.get(subject="192.0.2.20", zone="zen.spamhaus.org")
    assert (period.started_at, period.ended_at) == (TUESDAY, WEDNESDAY)
    assert ListingPeriod.objects.get(subject="192.0.2.20", zone="bl.spamcop.net").ended_at is None
    assert SenderCheck.objects.filter(subject="dmarc-none.com").count() == 3


def test_a_timeout_does_not_count_as_a_fix(org, sender_dns):
    check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    sender_dns.set_silent("_dmarc.dmarc-none.com.")
    try:
        check_organization(org, now=WEDNESDAY, nameservers=[sender_dns.nameserver])
    finally:
        sender_dns.set_silent("_dmarc.dmarc-none.com.", False)
    latest = SenderCheck.objects.filter(subject="dmarc-none.com").first()
    assert latest.result["dmarc"]["unknown"] == ["TXT _dmarc.dmarc-none.com: timeout"]
    assert "dmarc_policy_none" not in latest.problems
    assert not SenderChange.objects.filter(kind="problem_gone", code__startswith="dmarc").exists()
    assert not SenderChange.objects.filter(kind="dmarc_policy").exists()


def test_daily_task_checks_each_organisation_with_senders(org):
    make_org("Empty", "empty")
    assert list(organizations_to_check()) == [org]
    assert check_all_senders() == 1  # one task queued per organisation with senders
    assert check_organization_senders(org.pk) == 3
    assert SenderCheck.objects.filter(organization=org).count() == 3


def test_pages_viewer_reads_manager_edits(org, client, sender_dns):
    viewer, manager = make_user("viewer"), make_user("manager")
    make_membership(viewer, org, "viewer")
    make_membership(manager, org, "manager")
    check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    client.force_login(viewer)
    page = client.get(reverse("sender_health", args=[org.slug])).content.decode()
    assert "dmarc-none.com" in page and "dmarc_policy_none" in page and "Bulk-sender checklist" in page
    assert "zen.spamhaus.org" in page and "Spamhaus SBL" in page
    assert reverse("sender_settings", args=[org.slug]) not in page
    assert client.post(reverse("sender_settings", args=[org.slug]), {"domains": "x.com"}).status_code == 403
    client.force_login(manager)
    bad = client.post(reverse("sender_settings", args=[org.slug]),
                      {"domains": "news.example.com from s1\nnot a domain!", "ips": "300.1.1.1"})
    assert bad.status_code == 200 and "is not a domain name" in bad.content.decode()
    assert "is not an IP address" in bad.content.decode()
    ok = client.post(reverse("sender_settings", args=[org.slug]),
                     {"esps": ["google"], "domains": "News.Example.com from s1 s2\nbounce.example.com return-path",
                      "ips": "192.0.2.10 shared", "dnsbl_zones": "", "domain_blocklists": ""})
    assert ok.status_code == 302
    assert [(d.name, d.role, d.selectors) for d in SendingDomain.objects.filter(organization=org)] == [
        ("bounce.example.com", "return_path", []), ("news.example.com", "from", ["s1", "s2"])]
    assert [(i.address, i.dedicated) for i in SendingIp.objects.filter(organization=org)] == [("192.0.2.10", False)]
    assert SenderProfile.objects.get(organization=org).esps == ["google"]


def test_weekly_digest_mentions_the_weeks_new_sender_problems(org, sender_dns):
    from django.template.loader import render_to_string

    check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    payload = {"week": "2026-11-30", "week_end": "2026-12-06", "current": {"campaigns": 0, "recipients": 0},
               "headline": []}
    from deliverability.dashboard.templatetags.sender_tags import sender_changes

    def news(week: str) -> list:  # the digest reads the week's changes once for every subscriber's message
        return sender_changes(org, week)

    context = {"org": org, "p": payload, "url": "http://example.test/w", "sender_news": news(payload["week"])}
    text = render_to_string("dashboard/email/weekly_digest.txt", context)
    assert "Sender health this week:" in text
    assert "- dmarc-none.com: new problem dmarc_policy_none" in text
    assert "- 192.0.2.20: listed on zen.spamhaus.org" in text
    assert "dmarc_policy_none" in render_to_string("dashboard/email/weekly_digest.html", context)
    earlier = render_to_string("dashboard/email/weekly_digest.txt", {**context, "p": {**payload, "week": "2026-11-23"},
                                                                      "sender_news": news("2026-11-23")})
    assert "Sender health" not in earlier


def test_history_older_than_the_retention_is_pruned(org, sender_dns):
    from datetime import timedelta

    from deliverability.senders.services import HISTORY_DAYS, latest_checks, prune_history

    check_organization(org, now=TUESDAY - timedelta(days=HISTORY_DAYS + 1), nameservers=[sender_dns.nameserver])
    check_organization(org, now=TUESDAY, nameservers=[sender_dns.nameserver])
    assert prune_history(now=TUESDAY) == 3
    assert {c.checked_at for c in latest_checks(org).values()} == {TUESDAY}


def test_settings_suggest_the_platforms_the_campaigns_name(org, client):
    from tests.factories import make_campaign

    SenderProfile.objects.filter(organization=org).update(esps=[])
    make_campaign(org, "Spring", esp="Amazon SES")
    make_campaign(org, "Summer", esp="SendGrid")
    manager = make_user("manager")
    make_membership(manager, org, "manager")
    client.force_login(manager)
    form = client.get(reverse("sender_settings", args=[org.slug])).context["form"]
    assert sorted(form.initial["esps"]) == ["amazonses", "sendgrid"]
