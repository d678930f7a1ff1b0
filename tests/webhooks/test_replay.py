"""manage.py replay_webhook: captured bodies posted through the real endpoint, signed as each ESP signs, one
compact JSON line per file with the stored events."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from deliverability.accounts.models import Organization
from deliverability.webhooks.models import WebhookAudit, WebhookEndpoint

pytestmark = pytest.mark.django_db

SES_BOUNCE = {"notificationType": "Bounce", "mail": {"timestamp": "2026-11-02T10:00:00Z", "messageId": "s-1",
                                                     "destination": ["ana@acme.example", "bob@acme.example"]},
              "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-11-02T10:00:05Z",
                         "feedbackId": "f-1", "bouncedRecipients": [
                             {"emailAddress": "ana@acme.example", "status": "5.1.1",
                              "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}


def replay(tmp_path, esp: str, *bodies: str | dict, org: str = "replayed") -> list[dict]:
    files = []
    for index, body in enumerate(bodies):
        path = tmp_path / f"{esp}-{index}.json"
        path.write_text(body if isinstance(body, str) else json.dumps(body))
        files.append(str(path))
    out = io.StringIO()
    call_command("replay_webhook", *files, org=org, esp=esp, no_enrich=True, stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert all('": ' not in line and '", "' not in line for line in lines)  # compact JSON, one object a line
    parsed = [json.loads(line) for line in lines]
    assert [p["file"] for p in parsed] == files
    return parsed


def test_a_bare_ses_event_is_wrapped_in_a_signed_sns_envelope_and_stored(tmp_path):
    [line] = replay(tmp_path, "ses", SES_BOUNCE)
    assert line["status"] == "200"
    assert line["events"] == [{"type": "bounce", "recipient": "ana@acme.example",
                               "occurred_at": "2026-11-02T10:00:05+00:00",
                               "esp_event_id": "s-1|bounce|ana@acme.example|2026-11-02T10:00:05Z"}]
    assert Organization.objects.filter(slug="replayed").exists()
    endpoint = WebhookEndpoint.objects.get(esp="ses", name="replay")
    assert endpoint.sns_certificate.startswith("-----BEGIN CERTIFICATE") and not WebhookAudit.objects.exists()


def test_a_captured_sns_envelope_is_re_signed_with_its_topic_allowed(tmp_path):
    envelope = {"Type": "Notification", "MessageId": "x", "TopicArn": "arn:aws:sns:eu-west-1:1:captured",
                "Message": json.dumps(SES_BOUNCE), "Timestamp": "2026-11-02T10:00:06.000Z",
                "SignatureVersion": "1", "Signature": "captured-signature-from-aws",
                "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem"}
    [line] = replay(tmp_path, "ses", envelope)
    assert (line["status"], [e["type"] for e in line["events"]]) == ("200", ["bounce"])


def test_mailgun_gets_a_fresh_signature_block_and_sendgrid_a_signature_from_the_replay_key(tmp_path):
    mailgun = {"event-data": {"id": "mg-1", "timestamp": 1793613605, "event": "delivered",
                              "recipient": "Ana@Acme.example"}}
    [mg] = replay(tmp_path, "mailgun", mailgun)
    assert mg["status"] == "200"
    assert mg["events"] == [{"type": "delivered", "recipient": "ana@acme.example",
                             "occurred_at": "2026-11-02T10:00:05+00:00", "esp_event_id": "mg-1"}]
    sendgrid = [{"email": "invalid@invalid", "event": "dropped", "reason": "Invalid", "timestamp": 1793613605,
                 "sg_event_id": "sg-1"},
                {"email": "bob@acme.example", "event": "processed", "timestamp": 1793613605, "sg_event_id": "sg-2"}]
    [sg] = replay(tmp_path, "sendgrid", sendgrid)
    assert [(e["type"], e["recipient"]) for e in sg["events"]] == [("dropped", "invalid@invalid")]


def test_postmark_replay_with_basic_auth_and_the_suppression_echo(tmp_path):
    change = {"RecordType": "SubscriptionChange", "MessageID": "pm-1", "Recipient": "ana@acme.example",
              "ChangedAt": "2026-11-02T10:00:05Z", "SuppressSending": True, "SuppressionReason": "HardBounce"}
    [line] = replay(tmp_path, "postmark", change)
    assert [e["type"] for e in line["events"]] == ["suppressed"]


def test_a_second_replay_of_the_same_file_shows_the_same_events_stored_once(tmp_path):
    first = replay(tmp_path, "ses", SES_BOUNCE)
    again = replay(tmp_path, "ses", SES_BOUNCE)
    assert first[0]["events"] == again[0]["events"]
    from deliverability.campaigns.models import Event

    assert Event.objects.count() == 1


def test_a_file_that_is_not_json_gets_400_and_an_unreadable_path_is_named(tmp_path):
    [line] = replay(tmp_path, "postmark", "this is not json")
    assert line == {"file": str(tmp_path / "postmark-0.json"), "status": "400", "events": []}
    with pytest.raises(CommandError, match="1 file"):
        call_command("replay_webhook", str(tmp_path / "missing.json"), org="replayed", esp="postmark",
                     stdout=io.StringIO(), stderr=io.StringIO())


def test_a_mailgun_legacy_form_body_is_posted_as_a_form_with_fresh_signature_fields(tmp_path):
    body = "event=opened&recipient=ana%40acme.example&timestamp=1793613605&token=old&signature=stale&Message-Id=%3Cm9%40s%3E"
    [line] = replay(tmp_path, "mailgun", body)
    assert line["status"] == "200"
    assert [(e["type"], e["recipient"]) for e in line["events"]] == [("open", "ana@acme.example")]


def test_mailjet_and_sparkpost_replays_use_the_endpoints_basic_auth(tmp_path):
    [mj] = replay(tmp_path, "mailjet", {"event": "bounce", "time": 1793613605, "MessageID": 5, "email": "ana@acme.example",
                                        "hard_bounce": True, "smtp_reply": "550 5.1.1 unknown"})
    assert [(e["type"], e["recipient"]) for e in mj["events"]] == [("bounce", "ana@acme.example")]
    [sp] = replay(tmp_path, "sparkpost", [{"msys": {"track_event": {
        "type": "open", "event_id": "sp-1", "rcpt_to": "bob@acme.example", "timestamp": "1793613605"}}}])
    assert [(e["type"], e["esp_event_id"]) for e in sp["events"]] == [("open", "sp-1")]


def _replay_stored(**options) -> list[dict]:
    out = io.StringIO()
    call_command("replay_webhook", no_enrich=True, stdout=out, stderr=io.StringIO(), **options)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_endpoint_replays_only_that_endpoints_stored_requests_and_stores_each_event_once(tmp_path):
    from deliverability.campaigns.models import Event
    from deliverability.webhooks.models import WebhookPayload

    change = {"RecordType": "SubscriptionChange", "MessageID": "pm-1", "Recipient": "ana@acme.example",
              "ChangedAt": "2026-11-02T10:00:05Z", "SuppressSending": True, "SuppressionReason": "HardBounce"}
    replay(tmp_path, "postmark", change)
    endpoint = WebhookEndpoint.objects.get(name="replay")
    other = WebhookEndpoint.objects.create(organization=endpoint.organization, esp="postmark", name="other")
    waiting = WebhookPayload.objects.create(endpoint=other, organization=endpoint.organization,
                                            body=json.dumps({**change, "MessageID": "pm-2"}), body_sha256="x")
    Event.objects.all().delete()  # as if the first import had read nothing (a reader since fixed)

    lines = _replay_stored(org="replayed", endpoint="replay")
    stored = WebhookPayload.objects.get(endpoint=endpoint)
    assert [(line["request"], [e["esp_event_id"] for e in line["events"]]) for line in lines] == [
        (stored.pk, [Event.objects.get().esp_event_id])]
    assert stored.status == "imported"
    waiting.refresh_from_db()
    assert waiting.status == "pending" and Event.objects.count() == 1  # the other endpoint's request untouched

    again = _replay_stored(org="replayed", endpoint=str(endpoint.pk), esp="postmark")  # by id: the same events
    assert again[0]["events"] == lines[0]["events"] and Event.objects.count() == 1


def test_an_unknown_endpoint_or_organisation_is_a_clear_error_and_creates_nothing(tmp_path):
    replay(tmp_path, "postmark", {"RecordType": "Delivery", "MessageID": "pm-3", "Recipient": "ana@acme.example",
                                  "DeliveredAt": "2026-11-02T10:00:05Z"})
    with pytest.raises(CommandError, match=r"no endpoint is named 'nope' in replayed; its endpoints: 'replay' \(postmark"):
        _replay_stored(org="replayed", endpoint="nope")
    with pytest.raises(CommandError, match="no endpoint is named 'replay' in replayed for ses"):
        _replay_stored(org="replayed", endpoint="replay", esp="ses")
    with pytest.raises(CommandError, match="no organisation 'elsewhere'"):
        _replay_stored(org="elsewhere", endpoint="replay")
    with pytest.raises(CommandError, match="not both"):
        call_command("replay_webhook", "x.json", org="replayed", endpoint="replay", stdout=io.StringIO())
    with pytest.raises(CommandError, match="give --esp and at least one FILE"):
        call_command("replay_webhook", "x.json", org="replayed", stdout=io.StringIO())
    assert not Organization.objects.filter(slug="elsewhere").exists()
    assert WebhookEndpoint.objects.count() == 1
