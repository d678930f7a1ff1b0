"""In a real browser: the Content-Security-Policy blocks nothing the pages need, and chart labels
show names as typed (a `"` in a campaign name is not shown as &quot;)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from deliverability.campaigns.models import Upload
from deliverability.verdicts.models import CampaignDomainStat, CampaignTimeline
from tests.dashboard.conftest import SENT, add_verdict, diagnose
from tests.factories import PASSWORD, make_campaign, make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every Content-Security-Policy violation, as the browser reports it to the page.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || "")));
"""
QUOTED = 'Spring "Flash" sale & <more>'


def _world():
    org = make_org("Acme Industrial", "acme")
    make_membership(make_user("viewer"), org, "viewer")
    make_user("staffer", is_staff=True)
    october = make_campaign(org, "October webinar", sent_at=SENT - timedelta(days=28))
    november = make_campaign(org, QUOTED, sent_at=SENT)
    Upload.objects.create(organization=org, original_name="n.csv", sha256="n" * 64, file="uploads/none",
                          status=Upload.Status.DONE)
    diagnose(october, hard=0.03)
    diagnose(november)
    add_verdict(november, "jane@northwind-freight.com", "filter_rejection", vendor="proofpoint")
    CampaignDomainStat.objects.create(campaign=november, domain="northwind-freight.com", kind="corporate",
                                      vendor="proofpoint", recipients=60, delivered=8, bounced=52, filter_rejection=50,
                                      invalid_recipient=2)
    for i in range(20):
        CampaignTimeline.objects.create(campaign=november, minute=SENT + timedelta(minutes=i), delivered=20,
                                        bounced=30 if 10 <= i < 13 else 0)
    return org, november


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _visit_and_hover(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    figures = page.locator("div.plotly-figure")
    for i in range(figures.count()):
        box = figures.nth(i).locator("svg.main-svg").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)


def test_pages_with_charts_raise_no_csp_violation_and_show_quotes_as_typed(live_server, page):
    org, november = _world()
    page.add_init_script(RECORD_VIOLATIONS)
    base = live_server.url
    _login(page, base, "staffer")
    for path in (f"/o/{org.slug}/", f"/o/{org.slug}/campaigns/{november.pk}/", "/staff/vendors/",
                 f"/o/{org.slug}/weekly/"):
        _visit_and_hover(page, base + path)
        assert page.evaluate("window.__cspViolations") == [], path
        if path == f"/o/{org.slug}/":
            ticks = page.evaluate("Array.from(document.querySelectorAll('div.plotly-figure svg text'))"
                                  ".map((t) => t.textContent).join(' ')")
            assert QUOTED in ticks or 'Spring "Flash"' in ticks, ticks
            assert "&quot;" not in ticks and "&amp;" not in ticks
    assert page.errors == []
