"""Issue 23 in a real browser: a client whose organisation reads Catalan sees the weekly review in Catalan
(page and Plotly charts), switches to Spanish with the switcher (a POST form), and the weekly PDF's page
is rendered in Catalan; screenshots kept in test-artifacts/ (weekly-ca.png, weekly-es.png, weekly-pdf-ca.png)."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from deliverability.accounts.models import Profile
from deliverability.dashboard import weekly_views
from deliverability.ingest.values import monday_of_day
from tests.browser.test_weekly_browser import _published_week
from tests.factories import PASSWORD, make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_catalan_client_reads_the_weekly_review_and_switches_to_spanish(live_server, page, artifacts):
    org = make_org("Lumen Analytics", "lumen", timezone="Europe/Madrid")
    org.language = "ca"
    org.save()
    user = make_user("marta")
    make_membership(user, org, "viewer")
    monday = _published_week(org)
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "marta")
    page.fill("input[name=password]", PASSWORD)
    page.click("form:not(.language-switcher) button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/o/lumen/weekly/{monday.isoformat()}/")
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    assert page.locator("html").get_attribute("lang") == "ca"
    assert page.locator("h1").inner_text().startswith("Revisió setmanal")
    charts = page.evaluate("Array.from(document.querySelectorAll('div.plotly-figure svg.main-svg'))"
                           ".map(svg => svg.textContent)")
    assert any("Les últimes" in text for text in charts) and any("Percentatge de destinataris" in t for t in charts)
    assert "%" in page.locator("#headline").inner_text() and "," in page.locator("#headline").inner_text()
    page.screenshot(path=str(artifacts / "weekly-ca.png"), full_page=True)

    page.select_option("#language-select", "es")
    page.click(".language-switcher button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/o/lumen/weekly/{monday.isoformat()}/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text().startswith("Revisión semanal")
    assert Profile.objects.get(user=user).language == "es"
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    page.screenshot(path=str(artifacts / "weekly-es.png"), full_page=True)
    assert page.errors == []

    # The PDF's page, in the organisation's language (Catalan) though Marta now reads Spanish.
    request = RequestFactory().get("/")
    request.user, request.org, request.role = user, org, "viewer"
    html = weekly_views.pdf_page(request, org, monday_of_day(monday)).decode()
    page.set_content(html)
    assert page.locator("h1").inner_text().startswith("Revisió setmanal")
    page.screenshot(path=str(artifacts / "weekly-pdf-ca.png"), full_page=True)
