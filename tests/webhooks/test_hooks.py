"""Issue 21, webhooks in: /hooks/<esp>/<token>/ verifies each ESP's signature, stores the body once and
answers at once; refusals are audited; the micro-batch import stores each event once."""
from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliverability.campaigns.models import Campaign, Event
from deliverability.webhooks import services, tasks, verify
from deliverability.webhooks.models import WebhookAudit, WebhookDailyCount, WebhookEndpoint, WebhookPayload

pytestmark = pytest.mark.django_db

SG_EVENTS = [{"email": "ana@acme.example", "timestamp": 1793613605, "event": "bounce", "sg_event_id": "sg-1",
              "sg_message_id": "m1", "reason": "550 5.1.1 user unknown", "status": "5.1.1", "type": "bounce",
              "category": "November"},
             {"email": "bob@acme.example", "timestamp": 1793613606, "event": "delivered", "sg_event_id": "sg-2",
              "sg_message_id": "m2", "response": "250 OK"},
             {"email": "cy@acme.example", "timestamp": 1793613606, "event": "processed", "sg_event_id": "sg-3"}]
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-events"


@pytest.fixture(autouse=True)
def no_network_subscriptions(settings):
    settings.WEBHOOK_SNS_AUTO_CONFIRM = False  # nothing here reaches the internet


def url(endpoint: WebhookEndpoint) -> str:
    return reverse("webhook", args=[endpoint.esp, endpoint.token])


def post(client, endpoint, body: bytes | str, **headers):
    data = body.encode() if isinstance(body, str) else body
    return client.post(url(endpoint), data=data, content_type="application/json", **headers)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def refusals(endpoint) -> list[str]:
    return list(WebhookAudit.objects.filter(endpoint=endpoint, kind="signature").values_list("reason", flat=True))


# --- SendGrid ----------------------------------------------------------------------------------
@pytest.fixture
def sendgrid(org_a):
    private, public = verify.new_sendgrid_keys()
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="main", signing_key=public)
    endpoint.private = private
    return endpoint


def sendgrid_headers(endpoint, body: bytes, stamp: int | None = None) -> dict:
    stamp = str(stamp if stamp is not None else int(time.time()))
    return {"HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": stamp,
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": verify.sign_sendgrid(endpoint.private, stamp, body)}


def test_sendgrid_signed_request_is_stored_and_answered_200(client, sendgrid):
    body = json.dumps(SG_EVENTS).encode()
    response = post(client, sendgrid, body, **sendgrid_headers(sendgrid, body))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert WebhookPayload.objects.get(endpoint=sendgrid).body == body.decode()
    assert WebhookDailyCount.objects.get(endpoint=sendgrid).requests == 1


@pytest.mark.parametrize("attack", ["tampered", "missing", "other key", "old timestamp"])
def test_sendgrid_unsigned_tampered_or_replayed_requests_get_403_and_an_audit_entry(client, sendgrid, attack):
    body = json.dumps(SG_EVENTS).encode()
    headers = sendgrid_headers(sendgrid, body)
    if attack == "tampered":
        body = body.replace(b"ana@", b"eve@")
    elif attack == "missing":
        headers = {}
    elif attack == "other key":
        other, _ = verify.new_sendgrid_keys()
        sendgrid.private = other
        headers = sendgrid_headers(sendgrid, body)
    else:
        headers = sendgrid_headers(sendgrid, body, stamp=int(time.time()) - 3600)  # captured an hour ago
    response = post(client, sendgrid, body, **headers)
    assert response.status_code == 403
    assert not WebhookPayload.objects.exists()
    assert len(refusals(sendgrid)) == 1
    assert WebhookDailyCount.objects.get(endpoint=sendgrid).signature_failures == 1


def test_sendgrid_without_signing_still_needs_the_token_and_basic_auth(client, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="unsigned",
                                              basic_user="sg", basic_password="s3cret")
    body = json.dumps(SG_EVENTS)
    assert post(client, endpoint, body).status_code == 401
    assert post(client, endpoint, body, HTTP_AUTHORIZATION=basic("sg", "wrong")).status_code == 403
    assert post(client, endpoint, body, HTTP_AUTHORIZATION=basic("sg", "s3cret")).status_code == 200
    assert len(refusals(endpoint)) == 1  # the wrong password; the 401 challenge is a client's normal first step


def test_unknown_token_or_wrong_esp_is_404(client, sendgrid):
    body = json.dumps(SG_EVENTS).encode()
    assert client.post(reverse("webhook", args=["sendgrid", "no-such-token"]), data=body,
                       content_type="application/json").status_code == 404
    assert client.post(reverse("webhook", args=["mailgun", sendgrid.token]), data=body,
                       content_type="application/json").status_code == 404


def test_malformed_json_is_400_in_plain_words(client, sendgrid):
    body = b'[{"email": "ana@acme.example", '
    response = post(client, sendgrid, body, **sendgrid_headers(sendgrid, body))
    assert response.status_code == 400
    assert response.content.decode() == "The request body is not valid JSON."
    assert not WebhookPayload.objects.exists()


def test_a_body_over_the_limit_is_413(client, sendgrid, settings):
    settings.WEBHOOK_MAX_BYTES = 1000
    body = json.dumps(SG_EVENTS * 10).encode()
    assert post(client, sendgrid, body, **sendgrid_headers(sendgrid, body)).status_code == 413
    assert not WebhookPayload.objects.exists()


def test_a_retried_request_is_acknowledged_and_stored_once(client, sendgrid):
    body = json.dumps(SG_EVENTS).encode()
    for _ in range(3):
        assert post(client, sendgrid, body, **sendgrid_headers(sendgrid, body)).status_code == 200
    assert WebhookPayload.objects.count() == 1
    counts = WebhookDailyCount.objects.get(endpoint=sendgrid)
    assert (counts.requests, counts.retries) == (3, 2)


# --- Mailgun -----------------------------------------------------------------------------------
@pytest.fixture
def mailgun(org_a):
    return WebhookEndpoint.objects.create(organization=org_a, esp="mailgun", name="mg", signing_key="key-abc123")


def mailgun_body(endpoint, *, stamp=None, token=None, key=None, recipient="ana@acme.example") -> str:
    stamp = str(stamp if stamp is not None else int(time.time()))
    token = token or secrets.token_hex(25)
    return json.dumps({
        "signature": {"timestamp": stamp, "token": token,
                      "signature": verify.mailgun_signature(key or endpoint.signing_key, stamp, token)},
        "event-data": {"id": f"mg-{recipient}", "timestamp": 1793613605.5, "event": "failed", "severity": "permanent",
                       "reason": "bounce", "recipient": recipient,
                       "delivery-status": {"code": 550, "message": "5.1.1 user unknown"}}})


def test_mailgun_signed_request_is_stored(client, mailgun):
    assert post(client, mailgun, mailgun_body(mailgun)).status_code == 200
    assert WebhookPayload.objects.filter(endpoint=mailgun).count() == 1


@pytest.mark.parametrize("attack", ["wrong key", "old timestamp", "no signature"])
def test_mailgun_bad_signatures_and_replays_outside_the_window_are_refused(client, mailgun, attack):
    if attack == "wrong key":
        body = mailgun_body(mailgun, key="key-other")
    elif attack == "old timestamp":
        body = mailgun_body(mailgun, stamp=int(time.time()) - 3600)
    else:
        body = json.dumps({"event-data": json.loads(mailgun_body(mailgun))["event-data"]})
    assert post(client, mailgun, body).status_code == 403
    assert len(refusals(mailgun)) == 1 and not WebhookPayload.objects.exists()


def test_mailgun_token_replayed_with_another_body_is_refused(client, mailgun):
    """The HMAC covers only timestamp and token: a captured signature must not carry forged events."""
    token = secrets.token_hex(25)
    assert post(client, mailgun, mailgun_body(mailgun, token=token)).status_code == 200
    forged = mailgun_body(mailgun, token=token, recipient="eve@acme.example")
    assert post(client, mailgun, forged).status_code == 403
    assert WebhookPayload.objects.count() == 1 and "replay" in refusals(mailgun)[0]


# --- Postmark ----------------------------------------------------------------------------------
def test_postmark_needs_its_basic_auth(client, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm", basic_user="pm",
                                              basic_password="pw")
    body = json.dumps({"RecordType": "Delivery", "MessageID": "pm-1", "Recipient": "ana@acme.example",
                       "DeliveredAt": "2026-11-02T10:00:05Z"})
    assert post(client, endpoint, body, HTTP_AUTHORIZATION=basic("pm", "nope")).status_code == 403
    assert post(client, endpoint, body, HTTP_AUTHORIZATION=basic("pm", "pw")).status_code == 200


# --- Amazon SES through SNS ----------------------------------------------------------------------
@pytest.fixture
def ses(org_a):
    private, certificate = verify.new_sns_certificate()
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="ses", name="ses", topic_arns=TOPIC,
                                              sns_certificate=certificate)
    endpoint.private = private
    return endpoint


def sns_notification(endpoint, event: dict, version: str = "2", **fields) -> dict:
    message = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": TOPIC, "Message": json.dumps(event),
               "Timestamp": "2026-11-02T10:00:06.000Z",
               "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem", **fields}
    signed = verify.sign_sns(message, endpoint.private)
    if version == "1":  # SignatureVersion 1: SHA1 (still what many topics send)
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        key = serialization.load_pem_private_key(endpoint.private.encode(), password=None)
        signed["SignatureVersion"] = "1"
        signed["Signature"] = base64.b64encode(key.sign(verify.sns_string_to_sign(signed), padding.PKCS1v15(),
                                                        hashes.SHA1())).decode()
    return signed


SES_DELIVERY = {"eventType": "Delivery", "mail": {"timestamp": "2026-11-02T10:00:00Z", "messageId": "s1",
                                                  "destination": ["ana@acme.example"]},
                "delivery": {"timestamp": "2026-11-02T10:00:05Z", "recipients": ["ana@acme.example"]}}


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_notification_signed_by_the_trusted_certificate_is_stored(client, ses, version):
    assert post(client, ses, json.dumps(sns_notification(ses, SES_DELIVERY, version))).status_code == 200
    assert WebhookPayload.objects.filter(endpoint=ses).count() == 1


@pytest.mark.parametrize("attack", ["tampered message", "topic not allowed", "other certificate"])
def test_ses_tampered_or_foreign_notifications_are_refused(client, ses, attack):
    message = sns_notification(ses, SES_DELIVERY)
    if attack == "tampered message":
        message["Message"] = message["Message"].replace("ana@", "eve@")
    elif attack == "topic not allowed":
        message = verify.sign_sns({**message, "TopicArn": "arn:aws:sns:eu-west-1:999999999999:other"}, ses.private)
    else:
        ses.private, _ = verify.new_sns_certificate()
        message = sns_notification(ses, SES_DELIVERY)
    assert post(client, ses, json.dumps(message)).status_code == 403
    assert len(refusals(ses)) == 1 and not WebhookPayload.objects.exists()


def test_ses_subscription_confirmation_is_verified_and_offered_for_confirmation(client, ses):
    confirmation = verify.sign_sns({
        "Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": TOPIC, "Token": "tok",
        "Message": "You have chosen to subscribe to the topic.", "Timestamp": "2026-11-02T10:00:06.000Z",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=tok",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem"}, ses.private)
    assert post(client, ses, json.dumps(confirmation)).status_code == 200
    ses.refresh_from_db()
    assert ses.pending_subscribe_url.startswith("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription")
    assert not WebhookPayload.objects.exists()


def test_without_a_trusted_certificate_only_sns_hosts_are_fetched(ses):
    ses.sns_certificate = ""
    with pytest.raises(verify.Refused, match="not an Amazon SNS URL"):
        services.sns_certificate(ses, {"SigningCertURL": "https://attacker.example/cert.pem"})
    with pytest.raises(verify.Refused, match="not an Amazon SNS URL"):
        services.sns_certificate(ses, {"SigningCertURL": "http://sns.eu-west-1.amazonaws.com/cert.pem"})


# --- the import ----------------------------------------------------------------------------------
def test_pending_payloads_are_imported_once_with_campaigns_from_the_endpoint_mapping(client, sendgrid):
    sendgrid.campaign_label = "category"
    sendgrid.save()
    first = json.dumps(SG_EVENTS).encode()
    second = json.dumps(SG_EVENTS[1:] + [{"email": "dee@acme.example", "timestamp": 1793613607, "event": "open",
                                          "sg_event_id": "sg-4", "sg_message_id": "m4"}]).encode()
    for body in (first, second):
        assert post(client, sendgrid, body, **sendgrid_headers(sendgrid, body)).status_code == 200
    upload = services.import_pending(sendgrid.pk, analyse=False)
    assert upload is not None and upload.status == "done"
    events = Event.objects.filter(organization=sendgrid.organization)
    assert events.count() == 3  # sg-1, sg-2 (sent twice: once), sg-4; processed stores nothing
    assert events.get(esp_event_id="sg-1").campaign.name == "November"  # from the category label
    day_campaign = Campaign.objects.get(organization=sendgrid.organization, name="SendGrid 2026-11-02")
    assert events.get(esp_event_id="sg-4").campaign == day_campaign  # names none: one per ESP and send day
    assert set(WebhookPayload.objects.values_list("status", flat=True)) == {"imported"}
    counts = WebhookDailyCount.objects.get(endpoint=sendgrid)
    assert (counts.events, counts.duplicates) == (3, 1)
    assert services.import_pending(sendgrid.pk) is None  # nothing left


def test_an_import_bringing_only_events_already_stored_leaves_no_upload(client, sendgrid):
    body = json.dumps(SG_EVENTS[:1]).encode()
    post(client, sendgrid, body, **sendgrid_headers(sendgrid, body))
    assert services.import_pending(sendgrid.pk, analyse=False) is not None
    again = json.dumps(SG_EVENTS[:1] + [SG_EVENTS[2]]).encode()  # the same event in another batch
    post(client, sendgrid, again, **sendgrid_headers(sendgrid, again))
    services.import_pending(sendgrid.pk, analyse=False)
    assert Event.objects.count() == 1
    assert sendgrid.organization.uploads.count() == 1


def test_the_next_import_is_due_a_minute_after_the_last_and_queued_once(sendgrid, settings):
    settings.WEBHOOK_BATCH_DELAY_SECONDS = 5
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # the scheduling path of a real deployment…
    sent = []
    original = tasks.import_webhooks.apply_async
    tasks.import_webhooks.apply_async = lambda args, countdown: sent.append((args, countdown))  # …recorded, not sent
    try:
        last = timezone.now() - timedelta(seconds=20)
        WebhookEndpoint.objects.filter(pk=sendgrid.pk).update(last_import_at=last)
        from django.db import transaction

        with transaction.atomic():
            assert tasks.schedule_import(sendgrid.pk) == 1
            assert tasks.schedule_import(sendgrid.pk) == 0  # already due: requests ride along
        sendgrid.refresh_from_db()
        assert abs((sendgrid.import_due_at - last).total_seconds() - 60) < 1
    finally:
        tasks.import_webhooks.apply_async = original


def test_erasure_removes_the_payloads_naming_the_address_and_purge_the_old_ones(client, sendgrid, staff):
    from deliverability.verdicts.erasure import erase_address

    body = json.dumps(SG_EVENTS).encode()
    post(client, sendgrid, body, **sendgrid_headers(sendgrid, body))
    other = json.dumps([{**SG_EVENTS[1], "sg_event_id": "sg-9"}]).encode()
    post(client, sendgrid, other, **sendgrid_headers(sendgrid, other))
    services.import_pending(sendgrid.pk, analyse=False)
    result = erase_address(sendgrid.organization, "ANA@acme.example", staff)
    assert result.files_removed == 1
    assert WebhookPayload.objects.count() == 1
    WebhookPayload.objects.update(received_at=timezone.now() - timedelta(days=31))
    assert services.purge_payloads() == 1 and not WebhookPayload.objects.exists()


def test_a_run_left_by_a_dead_worker_is_undone_and_waits_again_but_a_late_backlog_is_not(client, sendgrid, staff):
    body = json.dumps(SG_EVENTS).encode()
    post(client, sendgrid, body, **sendgrid_headers(sendgrid, body))
    WebhookPayload.objects.update(received_at=timezone.now() - timedelta(hours=2))  # a backlog, claimed just now
    WebhookPayload.objects.update(status="importing", claim="c1")
    import hashlib

    from deliverability.campaigns.models import Upload

    digest = hashlib.sha256(f"webhook:{sendgrid.pk}:c1".encode()).hexdigest()
    upload = Upload.objects.create(organization=sendgrid.organization, file="", original_name="run", sha256=digest,
                                   status="running")
    assert services.recover_stuck() == 0
    Upload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.recover_stuck() == 1
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert list(WebhookPayload.objects.values_list("status", flat=True)) == ["pending"]
    imported = services.import_pending(sendgrid.pk, analyse=False)
    client.force_login(staff)
    page = client.get(reverse("upload_detail", args=[sendgrid.organization.slug, imported.pk]))
    assert page.status_code == 200 and "SendGrid webhook" in page.content.decode()


def legacy_form(endpoint, key=None, **fields) -> str:
    from urllib.parse import urlencode

    stamp, token = str(int(time.time())), secrets.token_hex(25)
    return urlencode({**fields, "timestamp": stamp, "token": token,
                      "signature": verify.mailgun_signature(key or endpoint.signing_key, stamp, token)})


def test_mailgun_legacy_form_webhooks_are_verified_stored_as_received_and_read(client, mailgun):
    """Legacy webhooks (formats.md §1.3) come form-encoded, with the signature fields among the others."""
    headers = json.dumps([["Message-Id", "<m1@sender.example>"], ["To", "Ana <ana@acme.example>"]])
    bounced = legacy_form(mailgun, event="bounced", recipient="ana@acme.example", code="550",
                          error="5.1.1 The email account that you tried to reach does not exist",
                          **{"message-headers": headers})
    dropped = legacy_form(mailgun, event="dropped", recipient="bob@acme.example", code="605", reason="hardfail",
                          description="Not delivering to previously bounced address")
    forged = legacy_form(mailgun, key="key-other", event="delivered", recipient="eve@acme.example")
    form = "application/x-www-form-urlencoded"
    assert client.post(url(mailgun), data=bounced, content_type=form).status_code == 200
    assert client.post(url(mailgun), data=dropped, content_type=form).status_code == 200
    assert client.post(url(mailgun), data=forged, content_type=form).status_code == 403
    assert WebhookPayload.objects.filter(body=bounced).exists()  # the raw body, as received
    services.import_pending(mailgun.pk, analyse=False)
    events = {e.recipient.email: e for e in Event.objects.select_related("recipient")}
    assert (events["ana@acme.example"].type, events["ana@acme.example"].reply_code) == ("bounce", 550)
    assert events["ana@acme.example"].esp_event_id.startswith("m1@sender.example|bounce|ana@acme.example|")
    assert events["bob@acme.example"].type == "suppressed"
    assert "eve@acme.example" not in events


def test_sparkpost_needs_basic_auth_and_its_events_are_imported(client, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sparkpost", name="sp", basic_user="sp",
                                              basic_password="pw")
    body = json.dumps([{"msys": {"message_event": {
        "type": "bounce", "bounce_class": "10", "event_id": "sp-1", "rcpt_to": "ana@acme.example",
        "timestamp": "1793613605", "raw_reason": "550 5.1.1 user unknown", "message_id": "m"}}}])
    assert post(client, endpoint, body).status_code == 401
    assert post(client, endpoint, body, HTTP_AUTHORIZATION=basic("sp", "pw")).status_code == 200
    services.import_pending(endpoint.pk, analyse=False)
    assert list(Event.objects.values_list("type", "esp_event_id")) == [("bounce", "sp-1")]
