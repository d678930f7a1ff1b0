"""In a real browser: a manager goes from the campaign page to the ESP un-suppression page, reads
what the SendGrid file will do and for how many addresses, and downloads it (screenshot kept)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign
from deliverability.verdicts.analysis import analyze_upload
from tests.factories import PASSWORD, make_membership, make_org, make_user
from tests.verdicts.test_unsuppress_views import SENDGRID_EVENTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_page_then_downloads_the_sendgrid_block_deletions(live_server, page, artifacts):
    org = make_org("Acme Industrial", "acme")
    make_membership(make_user("manager"), org, "manager")
    received = services.receive_upload(org, io.BytesIO(json.dumps(SENDGRID_EVENTS).encode()),
                                       original_name="sendgrid-events.json")
    analyze_upload(services.run_import(received.upload.pk, analyse=False).pk)
    campaign = Campaign.objects.get(organization=org, name="Q4 newsletter")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")  # the login form's own submit (the page has other forms)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/o/{org.slug}/campaigns/{campaign.pk}/")
    page.click("text=Lift ESP suppressions")
    page.wait_for_load_state()
    section = page.locator("#esp-sendgrid")
    assert "SendGrid: 1 address" in section.inner_text()
    assert "1 address: the verdict is invalid recipient" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "recovery-exports.png"), full_page=True)

    with page.expect_download() as info:
        section.locator("a", has_text="sendgrid-blocks-delete.json").click()
    download = info.value
    assert download.suggested_filename == "q4-newsletter-sendgrid-blocks-delete.json"
    assert json.loads(Path(download.path()).read_text()) == {"emails": ["ana@northwind-freight.com"]}
    assert page.errors == []
