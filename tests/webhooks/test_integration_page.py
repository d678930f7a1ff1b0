"""The integration page: managers and staff create, rotate and delete endpoints and see what arrived."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from deliverability.webhooks.models import WebhookAudit, WebhookEndpoint
from deliverability.webhooks.services import _count

pytestmark = pytest.mark.django_db


def test_a_manager_creates_a_postmark_endpoint_and_sees_the_url_with_its_credentials(client, org_a, manager_a):
    client.force_login(manager_a)
    page = reverse("integrations", args=[org_a.slug])
    response = client.post(page, {"esp": "postmark", "name": "Transactional"})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(organization=org_a)
    assert endpoint.basic_user and len(endpoint.basic_password) >= 20
    html = client.get(page).content.decode()
    assert f"{endpoint.basic_user}:{endpoint.basic_password}@testserver/hooks/postmark/{endpoint.token}/" in html
    assert WebhookAudit.objects.filter(kind="created", username="manager-a").exists()


def test_mailgun_without_its_signing_key_and_ses_without_a_topic_are_refused_with_a_reason(client, org_a, staff):
    client.force_login(staff)
    page = reverse("integrations", args=[org_a.slug])
    assert client.post(page, {"esp": "mailgun", "name": "x"}).status_code == 400
    response = client.post(page, {"esp": "ses", "name": "x"})
    assert response.status_code == 400 and "Name the SNS topic" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotation_gives_a_new_url_and_the_old_one_is_404(client, org_a, manager_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm", basic_user="pm",
                                              basic_password="pw")
    old = reverse("webhook", args=["postmark", endpoint.token])
    client.force_login(manager_a)
    assert client.post(reverse("integration_rotate", args=[org_a.slug, endpoint.pk])).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.rotated_at and endpoint.basic_password != "pw"
    client.logout()
    assert client.post(old, data=json.dumps({}), content_type="application/json").status_code == 404


def test_counts_per_day_and_refused_requests_are_shown_and_escaped(client, org_a, staff):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="<b>main</b>",
                                              basic_user="u", basic_password="p")
    _count(endpoint, requests=7, events=1200)
    WebhookAudit.objects.create(organization=org_a, endpoint=endpoint, endpoint_name=str(endpoint), kind="signature",
                                reason="SendGrid signature wrong", remote_addr="198.51.100.7")
    client.force_login(staff)
    html = client.get(reverse("integrations", args=[org_a.slug])).content.decode()
    assert "<td>1200</td>" in html and "SendGrid signature wrong" in html and "198.51.100.7" in html
    assert "<b>main</b>" not in html and "&lt;b&gt;main&lt;/b&gt;" in html


def test_delete_removes_the_endpoint_of_this_organisation_only(client, org_a, org_b, manager_a):
    theirs = WebhookEndpoint.objects.create(organization=org_b, esp="postmark", name="b")
    client.force_login(manager_a)
    assert client.post(reverse("integration_delete", args=[org_a.slug, theirs.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_the_creation_message_is_shown_once(client, org_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("integrations", args=[org_a.slug]), {"esp": "postmark", "name": "pm"}, follow=True)
    html = response.content.decode()
    assert html.count("Endpoint created: paste its URL into Postmark.") == 1, html
    assert "Endpoint created · " in html  # the audit line, apart from the message


def test_the_form_asks_only_what_a_user_knows_not_the_trusted_sns_certificate(client, org_a, manager_a):
    client.force_login(manager_a)
    page = reverse("integrations", args=[org_a.slug])
    html = client.get(page).content.decode()
    assert 'name="topic_arns"' in html and 'name="sns_certificate"' not in html
    # posted anyway, it is not saved: a signature is checked against the certificate SNS names
    client.post(page, {"esp": "ses", "name": "ses", "topic_arns": "arn:aws:sns:eu-west-1:1:t",
                       "sns_certificate": "-----BEGIN CERTIFICATE-----"})
    assert WebhookEndpoint.objects.get(organization=org_a).sns_certificate == ""


def _pending_payloads(endpoint, count):
    from deliverability.webhooks.models import WebhookPayload

    for index in range(count):
        WebhookPayload.objects.create(endpoint=endpoint, organization=endpoint.organization, body="[]",
                                      body_sha256=f"{endpoint.pk}-{index}")


def test_the_waiting_requests_are_counted_in_one_query_whatever_the_number_of_endpoints(client, org_a, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    page = reverse("integrations", args=[org_a.slug])
    first = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="one")
    _pending_payloads(first, 2)
    client.get(page)  # the session and caches warm
    with CaptureQueriesContext(connection) as one:
        html = client.get(page).content.decode()
    assert "2 requests waiting for import" in html
    for index, waiting in enumerate((1, 3, 0)):
        _pending_payloads(WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name=f"more {index}"),
                          waiting)
    with CaptureQueriesContext(connection) as four:
        html = client.get(page).content.decode()
    assert "1 request waiting for import" in html and "3 requests waiting for import" in html
    assert len(four.captured_queries) == len(one.captured_queries), [q["sql"] for q in four.captured_queries]
