"""The weekly review in a real browser: charts drawn on screen, and the print layout (A4, charts, no navigation)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from deliverability.dashboard import snapshots, weekly
from deliverability.verdicts.models import CampaignDomainStat
from tests.browser.conftest import log_in, open_with_charts
from tests.dashboard.conftest import diagnose
from tests.factories import make_campaign, make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _published_week(org, unidentified: bool = False):
    """Last week with two campaigns, the week before with one, published as a snapshot; ``unidentified``: one
    domain's bounces answered by no vendor we know (the longest vendor label)."""
    now = timezone.now()
    monday = weekly.monday_of(now, org.tzinfo) - weekly.WEEK
    tz = org.tzinfo
    for offset, name, hard in ((-6, "Autumn <offer>", 0.03), (1, "Webinar invite", 0.09), (3, "Product news", 0.07)):
        sent = datetime.combine(monday + timedelta(days=offset), time(9, 30), tzinfo=tz)
        camp = make_campaign(org, name, sent_at=sent)
        diagnose(camp, hard=hard, invalid=0.01)
        CampaignDomainStat.objects.create(campaign=camp, domain=f"{name.split()[0].lower()}-corp.example",
                                          vendor="proofpoint", recipients=40, bounced=20, filter_rejection=20)
        if unidentified:
            CampaignDomainStat.objects.create(campaign=camp, domain=f"{name.split()[0].lower()}-own.example",
                                              vendor="", recipients=40, bounced=30, filter_rejection=30)
    snapshots.publish(snapshots.claim(org, monday, now), now)
    return monday


def test_weekly_page_draws_its_charts_and_prints_on_a4_without_navigation(live_server, page, artifacts):
    org = make_org("Lumen Analytics", "lumen", timezone="America/New_York")
    make_membership(make_user("viewer"), org, "viewer")
    monday = _published_week(org)
    base = live_server.url

    log_in(page, base, "viewer")
    page.goto(f"{base}/o/lumen/weekly/")
    assert page.url.endswith(f"/o/lumen/weekly/{monday.isoformat()}/"), page.url
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    assert page.locator("div.plotly-figure svg.main-svg").count() >= 3
    assert page.locator("#headline .measure").count() == 4
    page.screenshot(path=str(artifacts / "weekly.png"), full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator("nav.week-nav").is_visible()
    assert not page.locator(".actions").is_visible()
    assert page.locator("#headline").is_visible()
    charts = page.locator("div.plotly-figure")
    assert charts.first.is_visible()
    # A4 portrait at 96 dpi with 12 mm margins leaves 703 px: every chart is redrawn to fit the page width
    # (the charts follow their column on screen, issue 19 item 8; charts.js resizes them for print).
    page.wait_for_function("Array.from(document.querySelectorAll('div.plotly-figure svg.main-svg'))"
                           ".every(svg => svg.getBoundingClientRect().width <= 703)", timeout=10_000)
    widths = page.evaluate("Array.from(document.querySelectorAll('div.plotly-figure svg.main-svg'))"
                           ".map(svg => svg.getBoundingClientRect().width)")
    assert widths and max(widths) <= 703
    page.screenshot(path=str(artifacts / "weekly-print.png"), full_page=True)
    page.pdf(path=str(artifacts / "weekly-print.pdf"), format="A4", prefer_css_page_size=True, print_background=True)
    assert (artifacts / "weekly-print.pdf").read_bytes().startswith(b"%PDF")
    assert page.errors == []


# At a phone's width (new-user trial, 390 px): what charts.js adjusts for a narrow column. Per figure: its title
# inside the drawing, labels over the plot not running together, the x-axis title clear of the tick labels, and
# horizontal bars given at least a third of the width however long the category names.
PHONE_CHART_JS = """() => {
  const problems = [];
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  document.querySelectorAll('div.plotly-figure').forEach((div, i) => {
    const svg = div.querySelector('svg.main-svg').getBoundingClientRect();
    const title = div.querySelector('.gtitle');
    if (title && title.getBoundingClientRect().right > svg.right + 1) problems.push(i + ': title past the edge');
    const notes = [...div.querySelectorAll('.annotation-text')].map(n => n.getBoundingClientRect());
    for (let a = 0; a < notes.length; a++) for (let b = a + 1; b < notes.length; b++)
      if (overlap(notes[a], notes[b])) { problems.push(i + ': labels over the plot overlap'); a = notes.length; break; }
    const xtitle = div.querySelector('.xtitle');
    if (xtitle) {
      const t = xtitle.getBoundingClientRect();
      if ([...div.querySelectorAll('.xtick text')].some(tick => overlap(t, tick.getBoundingClientRect())))
        problems.push(i + ': x-axis title on the tick labels');
    }
    if (div.querySelector('.barlayer .trace.bars') && div.querySelector('.ytick text') && !div.querySelector('.xtick text[data-unformatted*="-"]')) {
      const plot = div.querySelector('.nsewdrag');
      const horizontal = [...div.querySelectorAll('.ytick text')].some(t => isNaN(parseFloat(t.textContent)));
      if (plot && horizontal && plot.getBoundingClientRect().width < svg.width / 3)
        problems.push(i + ': horizontal bars squeezed to ' + Math.round(plot.getBoundingClientRect().width) + ' px');
    }
  });
  return problems;
}"""


def test_weekly_charts_fit_a_phone(live_server, page, artifacts):
    org = make_org("Lumen Analytics", "lumen", timezone="Europe/Madrid")
    org.language = "es"  # the longest titles of the three languages
    org.save()
    make_membership(make_user("viewer"), org, "viewer")
    monday = _published_week(org, unidentified=True)
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, live_server.url, "viewer")
    open_with_charts(page, f"{live_server.url}/o/lumen/weekly/{monday.isoformat()}/")
    page.screenshot(path=str(artifacts / "weekly-390.png"), full_page=True)
    assert page.evaluate(PHONE_CHART_JS) == []
