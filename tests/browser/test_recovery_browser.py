"""Issue 17 in a real browser (Debian Chromium): an upload that came while the task queue was down says so
on its page, and keeps saying so while the page polls; a campaign analysed without DNS says for how many
domains and marks the verdicts resting on the bounce text alone. Screenshots in test-artifacts/recovery/."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign
from tests.browser.test_client_portal_browser import _login
from tests.campaigns.test_import import csv_bytes
from tests.verdicts.test_analysis_once import many_domains_csv, silent_resolver  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_upload_waiting_for_the_queue_and_a_campaign_without_dns_say_so(
        live_server, page, artifacts, tmp_path, settings, org_a, viewer_a, silent_resolver):  # noqa: F811
    folder = artifacts / "recovery"
    folder.mkdir(exist_ok=True)
    waiting = services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="while-redis-was-down.csv").upload
    services.mark_queue_unavailable(waiting.pk)  # what start_import records when the broker refuses
    settings.CELERY_BROKER_URL = ""  # the silent resolver exists in this process only
    settings.DNS_NAMESERVERS = [silent_resolver]
    path = tmp_path / "unreachable.csv"
    path.write_bytes(many_domains_csv(5))
    call_command("import_results", str(path), "--org", org_a.slug, stdout=io.StringIO(), stderr=io.StringIO())
    campaign = Campaign.objects.get(organization=org_a, name="Unreachable")

    _login(page, live_server.url, viewer_a.username)
    page.goto(f"{live_server.url}/o/{org_a.slug}/uploads/{waiting.pk}/")
    label = page.locator("#status-label")
    assert "task queue is unavailable" in label.inner_text()
    page.wait_for_timeout(2500)  # the page polls its status: the sentence stays
    assert "start by itself when the queue is back" in label.inner_text()
    page.screenshot(path=str(folder / "upload-waiting-for-queue.png"), full_page=True)

    page.goto(f"{live_server.url}/o/{org_a.slug}/campaigns/{campaign.pk}/")
    assert "DNS enrichment failed for 5 domains of this campaign" in page.locator("#explanation").inner_text()
    page.click("#technical summary")  # the list of bounced addresses is in the technical detail
    page.locator("#recipients").scroll_into_view_if_needed()
    marks = page.locator("#recipient-table .dns-unchecked")
    assert marks.count() == 5 and marks.first.is_visible()
    assert "bounce text alone" in marks.first.get_attribute("title")
    page.screenshot(path=str(folder / "campaign-dns-unchecked.png"), full_page=True)
    assert not page.errors, page.errors
