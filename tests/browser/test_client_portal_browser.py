"""The client's view of a campaign in a real browser: the explanation first, the agency's note, the
charts, the technical detail behind a toggle; the letter for a recipient's IT team; a staff review."""
from __future__ import annotations

import pytest

from deliverability import taskqueue
from deliverability.campaigns import services, tasks
from deliverability.campaigns.demo import write_demo_csv
from deliverability.campaigns.models import Campaign
from deliverability.taskqueue import wait_for_background_tasks
from deliverability.verdicts.models import CampaignNote, RecipientVerdict
from tests.browser.conftest import log_in as _login
from tests.factories import make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _drain() -> None:
    """Tasks dispatch follow-up tasks (rollups, weekly snapshots): wait until none is left."""
    for _ in range(20):
        if not taskqueue._pending:
            return
        wait_for_background_tasks(timeout=120)


@pytest.fixture(autouse=True)
def no_background_work_left_behind():
    """A task still writing when the next test flushes the SQLite database would lock its tables."""
    yield
    _drain()




def _import_and_analyse(org, path) -> None:
    """Import and analyse where the product does, on the background task thread (the DNS
    enrichment uses asyncio, which Playwright's loop in this thread would refuse; and an import run
    on this thread left SQLite's shared in-memory tables locked for the next browser test)."""
    received = services.receive_upload(org, path, original_name=path.name)
    tasks.start_import(received.upload)
    _drain()
    assert RecipientVerdict.objects.filter(organization=org).exists()


def test_client_reads_the_explanation_first_and_opens_the_technical_detail(live_server, page, artifacts, tmp_path):
    org = make_org("Lumen Analytics", "lumen")
    make_membership(make_user("client"), org, "viewer")
    staff = make_user("account-manager", is_staff=True)
    csv_path = tmp_path / "november.csv"
    write_demo_csv(csv_path, seed=3)
    _import_and_analyse(org, csv_path)
    campaign = Campaign.objects.get(organization=org, name="November product update")
    CampaignNote.objects.create(campaign=campaign, author=staff, body=(
        "Most refusals came from two gateways after the send rate doubled; we are asking their IT teams "
        "to allowlist you. <b>Not bold</b>"))
    base = live_server.url

    _login(page, base, "client")
    page.goto(f"{base}/o/lumen/campaigns/{campaign.pk}/")
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
    lead = page.locator("#explanation .lead")
    assert lead.is_visible() and "hard bounces" in lead.inner_text()
    note = page.locator("#notes .note-body")
    assert "allowlist you" in note.inner_text() and "<b>Not bold</b>" in note.inner_text()  # shown as text
    assert page.locator("#notes b").count() == 0
    figures = page.locator("div.plotly-figure")
    assert figures.count() >= 3
    for i in range(figures.count()):
        assert figures.nth(i).locator("svg.main-svg").count() >= 1
    # The explanation sits above the charts, and the technical tables start hidden.
    assert page.locator("#explanation").bounding_box()["y"] < page.locator(".charts").first.bounding_box()["y"]
    assert not page.locator("#recipient-table").is_visible()
    assert page.locator("#review-form").count() == 0
    page.screenshot(path=str(artifacts / "client-campaign.png"), full_page=True)

    page.click("#technical > summary")
    assert page.locator("#recipient-table").is_visible()
    page.screenshot(path=str(artifacts / "client-campaign-technical.png"), full_page=True)

    # The glossary and the letter for an IT team are one click away.
    page.click("#explanation a:has-text('Glossary')")
    assert page.locator("h1").inner_text() == "Glossary"
    page.go_back()
    page.locator("#explanation a[href*='/guidance/']").first.click()
    page.wait_for_selector("#guidance-letter")
    page.fill("input[name=sender_domain]", "news.lumen.example")
    page.fill("input[name=sender_ips]", "192.0.2.10")
    page.click("button:has-text('Update the letter')")
    page.wait_for_load_state()
    letter = page.locator("#guidance-letter").inner_text()
    assert "news.lumen.example" in letter and "192.0.2.10" in letter
    assert page.locator("#allowlist-steps li").count() >= 2
    page.screenshot(path=str(artifacts / "client-guidance-letter.png"), full_page=True)
    assert not page.errors, page.errors


def test_staff_override_on_the_recipient_page(live_server, page, artifacts, tmp_path):
    org = make_org("Lumen Analytics", "lumen")
    make_user("account-manager", is_staff=True)
    csv_path = tmp_path / "november.csv"
    write_demo_csv(csv_path, seed=3)
    _import_and_analyse(org, csv_path)
    campaign = Campaign.objects.get(organization=org, name="November product update")
    row = RecipientVerdict.objects.filter(campaign=campaign, verdict="invalid_recipient").order_by("email").first()
    base = live_server.url

    _login(page, base, "account-manager")
    page.goto(f"{base}/o/lumen/campaigns/{campaign.pk}/recipients/{row.recipient_id}/")
    page.select_option("#review-form select[name=decision]", "filter_rejection")
    page.fill("#review-form textarea[name=note]", "The contact confirmed by phone that the mailbox exists.")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#review-status")
    status = page.locator("#review-status").inner_text()
    assert "Set by hand" in status and "account-manager" in status and "confirmed by phone" in status
    page.screenshot(path=str(artifacts / "staff-override.png"), full_page=True)
    assert RecipientVerdict.objects.get(campaign=campaign, email=row.email).verdict == "filter_rejection"
    assert not page.errors, page.errors
