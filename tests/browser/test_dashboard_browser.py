"""The whole path in a real browser: log in, upload a file, watch the import finish, read the campaign."""
from __future__ import annotations

import pytest

from deliverability.campaigns.demo import write_demo_csv
from tests.browser.conftest import log_in as _login
from tests.factories import make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def _assert_every_chart_drawn(page) -> int:
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    figures = page.locator("div.plotly-figure")
    count = figures.count()
    for i in range(count):
        assert figures.nth(i).locator("svg.main-svg").count() >= 1, f"chart {i} has no SVG"
    return count


def test_upload_progress_then_campaign_page_with_every_chart(live_server, page, artifacts, tmp_path):
    org = make_org("Lumen Analytics", "lumen")
    make_membership(make_user("manager"), org, "manager")
    csv_path = tmp_path / "november.csv"
    write_demo_csv(csv_path, seed=3)
    base = live_server.url

    _login(page, base, "manager")
    assert page.url.endswith("/o/lumen/"), page.url
    page.click("text=Upload campaign results")
    page.set_input_files("input[name=file]", str(csv_path))
    page.click("button[type=submit]:has-text('Upload')")
    page.wait_for_selector("#progress-bar")
    page.screenshot(path=str(artifacts / "upload-progress.png"), full_page=True)
    # The page polls the status row and reloads once the import and the analysis are done.
    page.wait_for_selector("text=Summary", timeout=90_000)
    assert page.locator("#progress-bar").get_attribute("value") == "100"
    page.screenshot(path=str(artifacts / "upload-done.png"), full_page=True)

    page.click("a:has-text('November product update')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "November product update"
    drawn = _assert_every_chart_drawn(page)
    assert drawn == 4
    assert page.locator("#domain-table tbody tr").count() > 5
    page.screenshot(path=str(artifacts / "campaign.png"), full_page=True)
    page.locator(".charts").first.screenshot(path=str(artifacts / "campaign-charts.png"))

    page.click("#technical > summary")  # the technical tables sit behind a toggle, below the explanation
    page.locator("#recipient-table tbody tr a").first.click()
    page.wait_for_selector("text=Evidence")
    page.screenshot(path=str(artifacts / "recipient.png"), full_page=True)

    page.goto(f"{base}/o/lumen/")
    assert _assert_every_chart_drawn(page) == 2
    page.screenshot(path=str(artifacts / "organization.png"), full_page=True)
    assert page.errors == []
