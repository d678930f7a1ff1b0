"""Issue 19 items 11-12 in a real browser: every page of the permission matrix (tests/test_permissions.py,
its URL list and its world, plus the demo campaign imported and analysed for realistic widths) at
1400 px and at 390 px: no horizontal overflow; the staff navigation is the same on every page and
fits one line at 1400 px; at 390 px it is folded into a "Menu" on the brand's line (a <details>, no
JavaScript) that opens in a click without overflowing; a screenshot of each page at each width is kept in
test-artifacts/layout/ (and at 390 px with the menu open)."""
from __future__ import annotations

import pytest
from django.test import Client

from deliverability.accounts.tenancy import Access
from deliverability.campaigns.demo import write_demo_csv
from deliverability.campaigns.models import Campaign, Upload
from deliverability.verdicts.models import RecipientVerdict
from tests.browser.test_client_portal_browser import _drain, _import_and_analyse
from tests.test_permissions import KWARGS, VARIANTS, _access, world  # noqa: F401 - world is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1400, 390)
SLACK_PX = 1  # sub-pixel rounding

# The overflow, and the widest elements that cause it, measured in the page.
OVERFLOW_JS = """() => {
  const doc = document.documentElement, limit = window.innerWidth;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > limit + 1 && !el.closest('.table-scroll, table.data, .js-plotly-plot')) {
      culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                    (el.className && el.className.baseVal === undefined ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') +
                    ' right=' + Math.round(r.right));
    }
  }
  return {overflow: doc.scrollWidth - limit, culprits: culprits.slice(0, 6)};
}"""


# At 390 px: the folded navigation. What is wrong with it, or "".
FOLDED_NAV_JS = """() => {
  const bar = document.querySelector('header.topbar');
  const brand = bar.querySelector('.brand'), summary = bar.querySelector('details.nav-menu > summary');
  if (!summary || !summary.checkVisibility()) return 'no Menu button';
  const b = brand.getBoundingClientRect(), s = summary.getBoundingClientRect();
  if (Math.abs((b.top + b.bottom) / 2 - (s.top + s.bottom) / 2) > 4) return 'the Menu button wrapped under the brand';
  if (s.right > window.innerWidth + 1) return 'the Menu button overflows (right=' + Math.round(s.right) + ')';
  const line = parseFloat(getComputedStyle(document.body).lineHeight) || 22;
  const height = bar.getBoundingClientRect().height;
  if (height > 2.2 * line) return 'the bar wraps (' + Math.round(height) + ' px high)';
  const shown = [...bar.querySelectorAll('nav a, nav button')].filter(el => el.checkVisibility());
  if (shown.length) return shown.length + ' navigation links shown before the menu is opened';
  return '';
}"""
# Once opened: every link shown, inside the screen.
OPENED_NAV_JS = """() => {
  const links = [...document.querySelectorAll('header.topbar nav a, header.topbar nav button')];
  const hidden = links.filter(el => !el.checkVisibility()).length;
  const outside = links.filter(el => el.getBoundingClientRect().right > window.innerWidth + 1).length;
  return hidden || outside ? `${hidden} links hidden, ${outside} past the right edge of ${links.length}` : '';
}"""


@pytest.fixture
def demo_world(world, tmp_path):  # noqa: F811 - the permission matrix's fixture
    """The permission matrix's world, with the demo campaigns imported into organisation A."""
    path = tmp_path / "demo.csv"
    write_demo_csv(path, seed=7)
    _import_and_analyse(world["org_a"], path)
    november = Campaign.objects.get(organization=world["org_a"], name="November product update")
    bounced = RecipientVerdict.objects.filter(campaign=november, domain="northwind-freight.com").first()
    overlay = dict(world, campaign=november, recipient=bounced.recipient,
                   upload=Upload.objects.filter(organization=world["org_a"]).latest("pk"))
    yield overlay
    _drain()


def _pages(objects: dict) -> list[tuple[str, str, str]]:
    """(route name, url, who) for every page a browser can open: GET, 200, HTML."""
    from django.urls import reverse

    pages = []
    for name, pattern, query in VARIANTS:  # with the matrix's query parameters (a campaign's filters open)
        access = _access(pattern)
        kwargs = {key: KWARGS[key](objects) for key in pattern.pattern.converters}
        url = reverse(name, kwargs=kwargs) + query
        for who in (("anonymous",) if access is Access.PUBLIC else
                    ("staff",) if access is Access.STAFF else ("staff", "viewer_a")):
            client = Client()
            if who != "anonymous":
                client.force_login(objects["users"][who])
            response = client.get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                pages.append((name, url, who))
    return pages


def _context(browser, base: str, width: int, session: str | None):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    return context


def test_no_page_overflows_sideways_and_the_staff_navigation_holds(live_server, browser, artifacts, demo_world):
    base = live_server.url
    pages = _pages(demo_world)
    assert len({name for name, _url, _who in pages}) >= 20, pages
    sessions: dict[str, str | None] = {"anonymous": None}
    for who in ("staff", "viewer_a"):
        client = Client()
        client.force_login(demo_world["users"][who])
        sessions[who] = client.cookies["sessionid"].value
    folder = artifacts / "layout"
    folder.mkdir(exist_ok=True)

    failures, navs = [], {}
    for width in WIDTHS:
        contexts = {who: _context(browser, base, width, session) for who, session in sessions.items()}
        try:
            for name, url, who in pages:
                tab = contexts[who].new_page()
                tab.goto(base + url)
                tab.wait_for_load_state()
                if tab.locator("div.plotly-figure").count():
                    tab.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined")
                measured = tab.evaluate(OVERFLOW_JS)
                if measured["overflow"] > SLACK_PX:
                    failures.append(f"{width}px {who} {url}: {measured['overflow']} px too wide; {measured['culprits']}")
                if who == "staff" and width == 1400:
                    nav = tab.locator("header.topbar nav")
                    links = tuple(nav.locator("a").evaluate_all("els => els.map(a => a.textContent.trim())"))
                    navs[url] = links
                    height = nav.evaluate("n => n.getBoundingClientRect().height")
                    line = tab.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight) || 22")
                    if height > 1.6 * line:
                        failures.append(f"1400px staff {url}: the navigation wraps ({height:.0f} px high)")
                if who != "anonymous" and width == 390:
                    problem = tab.evaluate(FOLDED_NAV_JS)
                    if problem:
                        failures.append(f"390px {who} {url}: {problem}")
                elif who == "staff" and width == 1400 and tab.locator("details.nav-menu > summary").is_visible():
                    failures.append(f"1400px staff {url}: the Menu button shows at desktop width")
                tab.screenshot(path=str(folder / f"{width}-{who}-{name.replace(':', '-')}.png"), full_page=True)
                if who != "anonymous" and width == 390 and not any(url in f for f in failures):
                    tab.locator("details.nav-menu > summary").click()
                    problem = tab.evaluate(OPENED_NAV_JS)
                    overflow = tab.evaluate(OVERFLOW_JS)["overflow"]
                    if problem or overflow > SLACK_PX:
                        failures.append(f"390px {who} {url} menu open: {problem} overflow {overflow} px")
                    if name in ("organization", "home"):
                        tab.screenshot(path=str(folder / f"{width}-{who}-{name}-menu.png"))
                tab.close()
        finally:
            for context in contexts.values():
                context.close()
    assert not failures, "\n".join(failures)
    # The staff navigation: the same cross-client links on every page; the organisation's links on every
    # page of an organisation (the upload pages included).
    staff_links = {links[-6:] for links in navs.values()}
    assert len(staff_links) == 1, staff_links
    org_pages = [url for url in navs if url.startswith(f"/o/{demo_world['org_a'].slug}/")]
    assert any("/uploads/" in url for url in org_pages)
    for url in org_pages:
        assert navs[url][:3] == (demo_world["org_a"].name, "Weekly review", "Search"), (url, navs[url])
