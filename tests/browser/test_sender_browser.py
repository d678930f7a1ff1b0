"""Sender health in a real browser: a manager names the sending domain and IP, runs a check and reads
the checklist; a viewer of the organisation reads the same page without the settings."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from deliverability.devtools.loopback_dns import LoopbackDNS
from tests.browser.test_dashboard_browser import _login
from tests.factories import make_membership, make_org, make_user
from tests.senders.conftest import ZONES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sender_dns():
    """The sender tests' loopback zones (tests/senders/zones.txt)."""
    with LoopbackDNS.from_file(ZONES) as server:
        yield server


def test_manager_sets_up_and_checks_viewer_reads(live_server, page, artifacts, settings, sender_dns):
    settings.DNS_NAMESERVERS = [sender_dns.nameserver]
    settings.DNS_TIMEOUT = 3.0  # a loaded machine must not turn answers into timeouts
    settings.SENDER_DNSBL_ZONES = ["zen.spamhaus.org", "bl.spamcop.net"]
    settings.SPAMHAUS_DQS_KEY = ""
    cache.clear()
    org = make_org("Lumen Analytics", "lumen")
    make_membership(make_user("manager"), org, "manager")
    make_membership(make_user("viewer"), org, "viewer")
    base = live_server.url

    _login(page, base, "manager")
    page.goto(f"{base}/o/lumen/")
    page.click("text=Sender health")
    page.click("text=Edit sending domains and IPs")
    page.check("input[name=esps][value=sendgrid]")
    page.fill("textarea[name=domains]", "dmarc-none.com from s1\nbounces.good-sender.com return-path")
    page.fill("textarea[name=ips]", "192.0.2.20")
    page.click("button[type=submit]:has-text('Save')")
    assert page.url.endswith("/o/lumen/senders/"), page.url
    page.click("button:has-text('Check now')")
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "Checked 3 domains and IPs." in body
    assert "The DMARC policy only monitors" in body and "Bulk-sender checklist" in body
    assert "dmarc_policy_none" in page.content()  # the code itself behind the technical toggle
    assert "Spamhaus SBL" in body and "listed on zen.spamhaus.org since" in body
    page.screenshot(path=str(artifacts / "sender-health.png"), full_page=True)
    assert page.errors == []

    page.context.clear_cookies()
    _login(page, base, "viewer")
    page.goto(f"{base}/o/lumen/senders/")
    assert "dmarc-none.com" in page.inner_text("main")
    assert page.locator("text=Edit sending domains and IPs").count() == 0
    assert page.locator("button:has-text('Check now')").count() == 0
    assert page.errors == []
