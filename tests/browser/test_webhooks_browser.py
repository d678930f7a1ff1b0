"""In a real browser: a manager creates a SendGrid endpoint on the integration page, the URL it shows is
posted to as SendGrid would (over HTTP, with the basic-auth credentials the URL carries), and after the
import the page shows the last event and the day's counts (screenshot kept)."""
from __future__ import annotations

import base64
import json
import urllib.request
from urllib.parse import urlsplit

import pytest

from deliverability.campaigns.models import Event
from deliverability.webhooks import services
from deliverability.webhooks.models import WebhookEndpoint
from tests.browser.test_client_portal_browser import _drain
from tests.factories import PASSWORD, make_membership, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVENTS = [{"email": "ana@acme.example", "timestamp": 1793613605, "event": "bounce", "sg_event_id": "sg-1",
           "sg_message_id": "m1", "reason": "550 5.1.1 user unknown", "status": "5.1.1", "type": "bounce"},
          {"email": "bob@acme.example", "timestamp": 1793613606, "event": "delivered", "sg_event_id": "sg-2",
           "sg_message_id": "m2", "response": "250 OK"}]


def test_a_manager_creates_an_endpoint_whose_url_receives_events(live_server, page, artifacts):
    org = make_org("Acme Industrial", "acme")
    make_membership(make_user("manager"), org, "manager")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")  # the sign-in form (the header also has the language form)
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/o/{org.slug}/")
    page.click("nav >> text=Integrations")
    page.wait_for_load_state()
    page.select_option("select[name=esp]", "sendgrid")
    page.fill("input[name=name]", "Marketing account")
    page.click("#new-endpoint button[type=submit]")
    page.wait_for_load_state()
    shown = page.locator(".endpoint-url").inner_text().strip()
    parts = urlsplit(shown)
    assert parts.path == f"/hooks/sendgrid/{WebhookEndpoint.objects.get().token}/" and parts.username

    request = urllib.request.Request(
        f"{live_server.url}{parts.path}", data=json.dumps(EVENTS).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(f"{parts.username}:{parts.password}".encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    _drain()  # without a broker the request has queued the import on the web process's task thread
    services.import_pending(WebhookEndpoint.objects.get().pk, analyse=False)  # with one: nothing ran yet
    assert Event.objects.filter(organization=org).count() == 2

    page.reload()
    section = page.locator(".endpoint")
    assert "Last event: none yet" not in section.inner_text()
    assert section.locator("table.counts td").nth(3).inner_text() == "2"  # events stored today
    section.locator("summary").click()
    assert "Signed Event Webhook" in section.inner_text()
    page.screenshot(path=str(artifacts / "integrations.png"), full_page=True)
    assert page.errors == []
