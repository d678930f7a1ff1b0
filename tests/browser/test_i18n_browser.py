"""Issue 23 in a real browser: a client whose organisation reads Catalan sees the weekly review in Catalan
(page and Plotly charts), switches to Spanish with the switcher (a POST form), and the weekly PDF's page
is rendered in Catalan; screenshots kept in test-artifacts/ (weekly-ca.png, weekly-es.png, weekly-pdf-ca.png)."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from deliverability.accounts.models import Profile
from deliverability.dashboard import weekly_views
from deliverability.ingest.values import monday_of_day
from tests.browser.conftest import log_in, open_with_charts
from tests.browser.test_weekly_browser import _published_week
from tests.factories import make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_catalan_client_reads_the_weekly_review_and_switches_to_spanish(live_server, page, artifacts):
    org = make_org("Lumen Analytics", "lumen", timezone="Europe/Madrid")
    org.language = "ca"
    org.save()
    user = make_user("marta")
    make_membership(user, org, "viewer")
    monday = _published_week(org)
    base = live_server.url

    log_in(page, base, "marta")
    open_with_charts(page, f"{base}/o/lumen/weekly/{monday.isoformat()}/")
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


@pytest.mark.parametrize(("language", "month"), [("ca", r"\d{1,2} (gen\.|feb\.|març|abr\.|maig|juny|jul\.|ago\.|set\.|oct\.|nov\.|des\.) 20\d\d"),
                                                 ("es", r"\d{1,2} (ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic) 20\d\d")])
def test_the_timelines_date_ticks_are_written_in_the_readers_language(live_server, page, artifacts, tmp_path, language,
                                                                      month):
    """Plotly writes a date axis's ticks itself: in Catalan and Spanish they read "2 des. 2026", not "Dec 2, 2026"
    (the trial saw "09:00Nov 5, 2026"), and the toolbar's tooltips are translated too."""
    import re

    from tests.portal_data import import_campaign, recent

    org = make_org("Lumen Analytics", "lumen")
    user = make_user("marta")
    make_membership(user, org, "viewer")
    Profile.objects.create(user=user, language=language)
    import_campaign(org, tmp_path, "November newsletter", recent(3))
    campaign = org.campaigns.get(name="November newsletter")
    base = live_server.url
    log_in(page, base, "marta")
    open_with_charts(page, f"{base}/o/lumen/campaigns/{campaign.pk}/")
    ticks = page.locator("div[data-figure=fig-timeline] .xtick text").all_text_contents()
    assert ticks and any(re.search(month, tick) for tick in ticks), ticks
    assert not any(re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d", t) for t in ticks), ticks
    tooltips = page.locator("div[data-figure=fig-timeline] .modebar-btn").evaluate_all("bs => bs.map(b => b.getAttribute('data-title'))")
    assert tooltips and not {"Download plot as a PNG", "Zoom in", "Zoom out", "Reset axes"} & set(tooltips), tooltips
    page.locator("div[data-figure=fig-timeline]").screenshot(path=str(artifacts / f"timeline-{language}.png"))
    assert page.errors == []
