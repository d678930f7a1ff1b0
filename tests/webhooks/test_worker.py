"""The real path: a signed request to the hook is answered, the real Celery worker imports it as a micro-batch
and analyses it; the campaign's verdicts exist without anyone running anything by hand."""
from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from deliverability.campaigns.models import Campaign, Event
from deliverability.verdicts.models import RecipientVerdict
from deliverability.webhooks import verify
from deliverability.webhooks.models import WebhookEndpoint, WebhookPayload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("worker_idle_at_teardown")]


def test_a_signed_burst_is_imported_and_judged_by_the_worker(celery_worker, org_a, client):
    private, public = verify.new_sendgrid_keys()
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="main", signing_key=public,
                                              campaign_label="category")
    for batch in range(3):
        events = [{"email": f"user{batch}-{i}@northwind-freight.com", "timestamp": 1793613605 + i, "event": "bounce",
                   "sg_event_id": f"sg-{batch}-{i}", "sg_message_id": f"m{batch}-{i}", "category": "November",
                   "reason": "550 5.7.1 Message rejected by policy", "status": "5.7.1", "type": "blocked"}
                  for i in range(100)]
        body = json.dumps(events).encode()
        stamp = str(int(time.time()))
        response = client.post(reverse("webhook", args=["sendgrid", endpoint.token]), data=body,
                               content_type="application/json", HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=stamp,
                               HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=verify.sign_sendgrid(private, stamp, body))
        assert response.status_code == 200
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if RecipientVerdict.objects.filter(organization=org_a).count() == 300:
            break
        time.sleep(0.5)
    assert Event.objects.filter(organization=org_a).count() == 300, celery_worker.log()[-3000:]
    assert RecipientVerdict.objects.filter(campaign=Campaign.objects.get(name="November")).count() == 300
    assert set(WebhookPayload.objects.values_list("status", flat=True)) == {"imported"}
    assert "import_webhooks" in celery_worker.log()
    assert org_a.uploads.count() == 1  # the three requests arrived within the batch delay: one micro-batch
