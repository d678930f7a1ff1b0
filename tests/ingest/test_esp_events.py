"""Issue 16 item 7: every ESP event type stored as the table says, SES inside SNS envelopes, event
identities, addresses that are not addresses. Payloads written here, one per ESP and event type, in the
shapes of the ESPs' documentation (formats.md §1.1-1.4)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from deliverability.ingest import Record, RowError, read_records
from deliverability.ingest.esp import event_identity

MAIL = {"timestamp": "2026-11-02T10:00:00.000Z", "source": "news@sender.example", "messageId": "ses-m-1",
        "sendingAccountId": "123456789012", "destination": ["ana@acme.example"],
        "tags": {"campaign": ["November"]}}
AT = "2026-11-02T10:00:05.000Z"


def ses_event(kind: str, **body) -> dict:
    return {"eventType": kind, "mail": MAIL, **body}


SES_EVENTS = {
    "Delivery": (ses_event("Delivery", delivery={"timestamp": AT, "recipients": ["ana@acme.example"],
                                                  "smtpResponse": "250 2.0.0 OK", "reportingMTA": "a8-1.smtp-out"}),
                 "delivered"),
    "Bounce Permanent": (ses_event("Bounce", bounce={
        "bounceType": "Permanent", "bounceSubType": "General", "timestamp": AT, "feedbackId": "fb-1",
        "bouncedRecipients": [{"emailAddress": "ana@acme.example", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}), "bounce"),
    "Bounce Transient": (ses_event("Bounce", bounce={
        "bounceType": "Transient", "bounceSubType": "MailboxFull", "timestamp": AT, "feedbackId": "fb-2",
        "bouncedRecipients": [{"emailAddress": "ana@acme.example", "status": "4.2.2"}]}), "bounce"),
    "Complaint": (ses_event("Complaint", complaint={"timestamp": AT, "feedbackId": "fb-3",
                                                     "complainedRecipients": [{"emailAddress": "ana@acme.example"}],
                                                     "complaintFeedbackType": "abuse"}), "complaint"),
    "Open": (ses_event("Open", open={"timestamp": AT, "userAgent": "Mozilla/5.0", "ipAddress": "192.0.2.1"}), "open"),
    "Click": (ses_event("Click", click={"timestamp": AT, "link": "https://sender.example/x"}), "click"),
    "Reject": (ses_event("Reject", reject={"reason": "Bad content"}), "dropped"),
    "Rendering Failure": (ses_event("Rendering Failure", failure={"templateName": "news",
                                                                  "errorMessage": "Attribute 'name' missing"}),
                          "dropped"),
    "DeliveryDelay": (ses_event("DeliveryDelay", deliveryDelay={
        "timestamp": AT, "delayType": "TransientCommunicationFailure", "expirationTime": "2026-11-03T10:00:00Z",
        "delayedRecipients": [{"emailAddress": "ana@acme.example", "status": "4.4.1",
                               "diagnosticCode": "smtp; 421 4.4.1 timeout"}]}), "deferred"),
    "Subscription": (ses_event("Subscription", subscription={
        "contactList": "news", "timestamp": AT, "source": "UnsubscribeHeader",
        "newTopicPreferences": {"unsubscribeAll": True,
                                "topicSubscriptionStatus": [{"topicName": "weekly", "subscriptionStatus": "OptOut"}]},
        "oldTopicPreferences": {"unsubscribeAll": False}}), "unsubscribe"),
}


def sns(message: dict | str, **extra) -> dict:
    """An SNS HTTP notification around an SES event (AWS SNS developer guide: the event is a JSON string)."""
    return {"Type": "Notification", "MessageId": "sns-delivery-1", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses",
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": "2026-11-02T10:00:06.000Z", "SignatureVersion": "1", "Signature": "x",
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/cert.pem", **extra}


def read(tmp_path, payload, name="payload.json", fmt="auto"):
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    skipped: Counter = Counter()
    items = list(read_records(path, fmt, skipped=skipped))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, RowError)], skipped


@pytest.mark.parametrize("name", sorted(SES_EVENTS))
def test_every_ses_event_type_inside_an_sns_envelope_is_stored_as_the_table_says(tmp_path, name):
    event, expected = SES_EVENTS[name]
    records, errors, _ = read(tmp_path, sns(event))
    assert not errors
    assert [(r.email, r.event_type) for r in records] == [("ana@acme.example", expected)]
    assert records[0].campaign == "November"


@pytest.mark.parametrize("name", sorted(SES_EVENTS))
def test_every_ses_event_type_bare_gives_the_same_record_as_inside_the_envelope(tmp_path, name):
    event, _ = SES_EVENTS[name]
    bare, _, _ = read(tmp_path, event, "bare.json")
    wrapped, _, _ = read(tmp_path, sns(event), "wrapped.json")
    assert [(r.event_type, r.esp_event_id, r.occurred_at) for r in bare] == \
        [(r.event_type, r.esp_event_id, r.occurred_at) for r in wrapped]


def test_ses_bounce_keeps_permanent_or_transient_as_the_esp_label(tmp_path):
    permanent, _, _ = read(tmp_path, sns(SES_EVENTS["Bounce Permanent"][0]), "p.json")
    transient, _, _ = read(tmp_path, sns(SES_EVENTS["Bounce Transient"][0]), "t.json")
    assert permanent[0].esp_labels["bounceType"] == "Permanent"
    assert transient[0].esp_labels["bounceType"] == "Transient" and transient[0].event_type == "bounce"


def test_ses_send_stores_nothing_and_a_subscription_without_opt_out_stores_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, [sns(ses_event("Send", send={})), sns(ses_event(
        "Subscription", subscription={"timestamp": AT, "newTopicPreferences": {
            "unsubscribeAll": False, "topicSubscriptionStatus": [{"topicName": "w", "subscriptionStatus": "OptIn"}]}}))])
    assert not records and not errors
    assert skipped == {"SES Send (accepted for sending)": 1, "SES Subscription (no topic opted out)": 1}


def test_sns_topic_validation_notice_and_subscription_confirmation_store_nothing(tmp_path):
    confirmation = {"Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": "arn:aws:sns:eu-west-1:1:ses",
                    "Message": "You have chosen to subscribe to the topic", "SubscribeURL": "https://sns.example/x",
                    "Token": "t"}
    records, errors, skipped = read(tmp_path, [confirmation, sns(
        "Successfully validated SNS topic for Amazon SES event publishing.")])
    assert not records and not errors
    assert skipped == {"SNS SubscriptionConfirmation": 1, "SNS topic validation message": 1}


def test_an_sns_envelope_holding_only_an_event_publishing_open_is_recognised_as_ses(tmp_path):
    """The SES event is an escaped string inside the envelope: detection must still name SES."""
    minimal = {"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:1:t", "Message": json.dumps(
        {"eventType": "Open", "mail": {"messageId": "m", "destination": ["ana@acme.example"]},
         "open": {"timestamp": AT}})}
    records, errors, _ = read(tmp_path, minimal)
    assert [(r.email, r.event_type) for r in records] == [("ana@acme.example", "open")] and not errors


def test_ses_identity_is_message_type_recipient_time_never_the_sns_message_id(tmp_path):
    event = SES_EVENTS["Delivery"][0]
    first, _, _ = read(tmp_path, sns(event, MessageId="sns-1"), "a.json")
    again, _, _ = read(tmp_path, sns(event, MessageId="sns-2"), "b.json")  # redelivered notification
    assert first[0].esp_event_id == again[0].esp_event_id == "ses-m-1|delivered|ana@acme.example|2026-11-02T10:00:05Z"
    other, _, _ = read(tmp_path, sns(SES_EVENTS["Open"][0], MessageId="sns-1"), "c.json")  # same SNS id, other event
    assert other[0].esp_event_id != first[0].esp_event_id


# --- SendGrid ---------------------------------------------------------------------------------
def sendgrid(event: str, **fields) -> dict:
    return {"email": "ana@acme.example", "timestamp": 1793613605, "event": event, "sg_event_id": f"sg-{event}",
            "sg_message_id": "sgm-1.filter0001", "smtp-id": "<m1@sender.example>", **fields}


SENDGRID_EVENTS = [
    (sendgrid("delivered", response="250 OK"), "delivered"),
    (sendgrid("deferred", response="421 try later", attempt="1"), "deferred"),
    (sendgrid("bounce", reason="550 5.1.1 user unknown", status="5.1.1", type="bounce"), "bounce"),
    (sendgrid("bounce", reason="550 5.7.1 blocked", status="5.7.1", type="blocked"), "bounce"),
    (sendgrid("dropped", reason="Unsubscribed Address", status="5.0.0"), "dropped"),
    (sendgrid("dropped", reason="Bounced Address", status="5.0.0"), "suppressed"),
    (sendgrid("open", useragent="Mozilla", ip="192.0.2.1"), "open"),
    (sendgrid("click", url="https://sender.example"), "click"),
    (sendgrid("spamreport"), "complaint"),
    (sendgrid("unsubscribe"), "unsubscribe"),
    (sendgrid("group_unsubscribe", asm_group_id=4), "unsubscribe"),
]


@pytest.mark.parametrize(("event", "expected"), SENDGRID_EVENTS, ids=[f"{e['event']}-{t}" for e, t in SENDGRID_EVENTS])
def test_every_sendgrid_event_type_is_stored_as_the_table_says(tmp_path, event, expected):
    records, errors, _ = read(tmp_path, [event])
    assert [(r.email, r.event_type, r.esp_event_id) for r in records] == [("ana@acme.example", expected, event["sg_event_id"])]
    assert not errors


def test_sendgrid_processed_and_group_resubscribe_store_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, [sendgrid("processed"), sendgrid("group_resubscribe", asm_group_id=4)])
    assert not records and not errors and sum(skipped.values()) == 2


def test_sendgrid_dropped_invalid_address_is_a_dropped_event_flagged_invalid_not_a_row_error(tmp_path):
    records, errors, _ = read(tmp_path, [sendgrid("dropped", email="invalid@invalid", reason="Invalid", status="5.1.3")])
    assert not errors
    [rec] = records
    assert (rec.email, rec.event_type, rec.address_invalid) == ("invalid@invalid", "dropped", True)
    assert rec.esp_labels["address"] == "invalid" and rec.esp_labels["reason"] == "Invalid"


def test_an_esp_bounce_for_a_non_address_is_stored_as_dropped_keeping_its_event_and_an_absent_address_is_an_error(tmp_path):
    records, errors, _ = read(tmp_path, [sendgrid("bounce", email="no-at-sign", reason="550 x", status="5.1.1"),
                                         sendgrid("bounce", email="", reason="550 x")])
    assert [(r.email, r.event_type, r.esp_labels["event"], r.address_invalid) for r in records] == [
        ("no-at-sign", "dropped", "bounce", True)]
    assert len(errors) == 1 and "invalid email address" in errors[0].message


def test_sendgrid_export_without_event_id_gets_the_identity_of_message_type_recipient_time(tmp_path):
    csv = ("email,event,timestamp,sg_message_id,status,reason\n"
           "Ana@Acme.example,bounce,2026-11-02 10:00:05,sgm-1.filter0001,5.1.1,550 user unknown\n")
    records, _, _ = read(tmp_path, csv, "activity.csv")
    assert records[0].esp_event_id == event_identity(
        "sgm-1.filter0001", "bounce", "ana@acme.example", datetime(2026, 11, 2, 10, 0, 5, tzinfo=UTC))


# --- Mailgun ----------------------------------------------------------------------------------
def mailgun(event: str, **fields) -> dict:
    data = {"id": f"mg-{event}", "timestamp": 1793613605.25, "event": event, "recipient": "ana@acme.example",
            "message": {"headers": {"to": "Ana <ana@acme.example>", "message-id": "m1@sender.example"}}, **fields}
    return {"signature": {"token": "t", "timestamp": "1793613605", "signature": "s"}, "event-data": data}


MAILGUN_EVENTS = [
    (mailgun("delivered", **{"delivery-status": {"code": 250, "message": "OK"}}), "delivered"),
    (mailgun("failed", severity="permanent", reason="bounce",
             **{"delivery-status": {"code": 550, "message": "5.1.1 user unknown"}}), "bounce"),
    (mailgun("failed", severity="temporary", reason="generic", **{"delivery-status": {"code": 452}}), "deferred"),
    (mailgun("failed", severity="permanent", reason="suppress-bounce", **{"delivery-status": {"code": 605}}),
     "suppressed"),
    (mailgun("failed", severity="permanent", reason="suppress-unsubscribe"), "dropped"),
    (mailgun("rejected", reject={"reason": "Sandbox subdomains are for test purposes only"}), "dropped"),
    (mailgun("opened"), "open"),
    (mailgun("clicked", url="https://sender.example"), "click"),
    (mailgun("complained"), "complaint"),
    (mailgun("unsubscribed"), "unsubscribe"),
]


@pytest.mark.parametrize(("event", "expected"), MAILGUN_EVENTS, ids=[
    f"{e['event-data']['event']}-{t}" for e, t in MAILGUN_EVENTS])
def test_every_mailgun_webhook_event_type_is_stored_as_the_table_says(tmp_path, event, expected):
    records, errors, _ = read(tmp_path, event)
    assert [(r.email, r.event_type, r.esp_event_id) for r in records] == [
        ("ana@acme.example", expected, event["event-data"]["id"])]


def test_mailgun_event_naming_its_recipient_only_in_the_message_headers_is_read(tmp_path):
    event = mailgun("rejected", reject={"reason": "blocked"})
    del event["event-data"]["recipient"]
    records, errors, _ = read(tmp_path, event)
    assert [(r.email, r.event_type) for r in records] == [("ana@acme.example", "dropped")] and not errors


def test_mailgun_envelope_targets_name_the_recipient_when_recipient_is_absent(tmp_path):
    event = mailgun("failed", severity="permanent", reason="bounce", envelope={"targets": "bob@acme.example"})
    del event["event-data"]["recipient"]
    del event["event-data"]["message"]["headers"]["to"]
    records, _, _ = read(tmp_path, event)
    assert [r.email for r in records] == ["bob@acme.example"]


def test_mailgun_accepted_stores_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, mailgun("accepted"))
    assert not records and not errors and sum(skipped.values()) == 1


# --- Postmark ---------------------------------------------------------------------------------
POSTMARK_EVENTS = [
    ({"RecordType": "Delivery", "MessageID": "pm-1", "Recipient": "ana@acme.example",
      "DeliveredAt": "2026-11-02T10:00:05Z", "Details": "smtp;250 OK", "Tag": "November"}, "delivered"),
    ({"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1, "MessageID": "pm-1",
      "Email": "ana@acme.example", "BouncedAt": "2026-11-02T10:00:05Z", "Details": "550 5.1.1 unknown",
      "Inactive": True}, "bounce"),
    ({"RecordType": "Bounce", "ID": 43, "Type": "Transient", "TypeCode": 2, "MessageID": "pm-1",
      "Email": "ana@acme.example", "BouncedAt": "2026-11-02T10:00:05Z"}, "deferred"),
    ({"RecordType": "SpamComplaint", "ID": 44, "Type": "SpamComplaint", "TypeCode": 100001, "MessageID": "pm-1",
      "Email": "ana@acme.example", "BouncedAt": "2026-11-02T10:00:05Z"}, "complaint"),
    ({"RecordType": "Open", "MessageID": "pm-1", "Recipient": "ana@acme.example",
      "ReceivedAt": "2026-11-02T10:00:05Z"}, "open"),
    ({"RecordType": "Click", "MessageID": "pm-1", "Recipient": "ana@acme.example",
      "ReceivedAt": "2026-11-02T10:00:05Z", "OriginalLink": "https://sender.example"}, "click"),
    ({"RecordType": "SubscriptionChange", "MessageID": "pm-1", "Recipient": "ana@acme.example",
      "ChangedAt": "2026-11-02T10:00:05Z", "SuppressSending": True, "SuppressionReason": "HardBounce"}, "suppressed"),
    ({"RecordType": "SubscriptionChange", "MessageID": "pm-1", "Recipient": "ana@acme.example",
      "ChangedAt": "2026-11-02T10:00:05Z", "SuppressSending": True, "SuppressionReason": "ManualSuppression"},
     "unsubscribe"),
]


@pytest.mark.parametrize(("event", "expected"), POSTMARK_EVENTS, ids=[
    f"{e['RecordType']}-{t}" for e, t in POSTMARK_EVENTS])
def test_every_postmark_webhook_record_type_is_stored_as_the_table_says(tmp_path, event, expected):
    records, errors, _ = read(tmp_path, event)
    assert [(r.email, r.event_type) for r in records] == [("ana@acme.example", expected)] and not errors
    assert records[0].esp_event_id.startswith(f"pm-1|{expected}|ana@acme.example|2026-11-02T10:00:05Z")


def test_postmark_resubscription_stores_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, {
        "RecordType": "SubscriptionChange", "MessageID": "pm-1", "Recipient": "ana@acme.example",
        "ChangedAt": "2026-11-02T10:00:05Z", "SuppressSending": False, "SuppressionReason": None})
    assert not records and not errors and skipped == {"Postmark SubscriptionChange (reactivation)": 1}


def test_postmark_id_alone_is_never_the_identity(tmp_path):
    """The same ID on a bounce of one message and a complaint of another must stay two events."""
    bounce, complaint = POSTMARK_EVENTS[1][0], {**POSTMARK_EVENTS[3][0], "ID": 42, "MessageID": "pm-2"}
    records, _, _ = read(tmp_path, [bounce, complaint])
    assert len({r.esp_event_id for r in records}) == 2
    assert records[0].esp_labels["ID"] == "42"


def test_postmark_webhook_and_bounces_api_export_of_one_bounce_have_one_identity(tmp_path):
    webhook, _ = POSTMARK_EVENTS[1]
    export = {"TotalCount": 1, "Bounces": [{k: v for k, v in webhook.items() if k != "RecordType"}]}
    from_hook, _, _ = read(tmp_path, webhook, "hook.json")
    from_export, _, _ = read(tmp_path, export, "export.json")
    assert from_hook[0].esp_event_id == from_export[0].esp_event_id


def test_identity_reads_the_same_time_from_epoch_seconds_and_iso_text():
    epoch = datetime.fromtimestamp(1793613605, UTC)
    assert event_identity("<m1>", "open", "Ana@Acme.Example", epoch) == event_identity(
        "m1", "open", "ana@acme.example", datetime.fromisoformat("2026-11-02T10:00:05+00:00"))
    long_id = "x" * 300
    assert event_identity(long_id, "open", "a@b.example", None).startswith("sha1:")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"event": "delivered", "recipient": "ana@acme.example", "Message-Id": "<m1>"}, "delivered"),
    ({"event": "bounced", "recipient": "ana@acme.example", "code": "550", "error": "5.1.1 unknown"}, "bounce"),
    ({"event": "dropped", "recipient": "ana@acme.example", "code": "605", "reason": "hardfail"}, "suppressed"),
    ({"event": "dropped", "recipient": "ana@acme.example", "reason": "old", "description": "Too old"}, "bounce"),
    ({"event": "dropped", "recipient": "ana@acme.example", "code": "607", "reason": "hardfail"}, "dropped"),
    ({"event": "complained", "recipient": "ana@acme.example", "message-headers": "[]"}, "complaint"),
], ids=["delivered", "bounced", "dropped-605", "dropped-old", "dropped-607", "complained"])
def test_mailgun_legacy_webhook_fields_are_read(tmp_path, fields, expected):
    records, errors, _ = read(tmp_path, {**fields, "timestamp": "1793613605"}, fmt="mailgun")
    assert [(r.email, r.event_type) for r in records] == [("ana@acme.example", expected)] and not errors


# --- SparkPost --------------------------------------------------------------------------------
def sparkpost(kind: str, wrapper: str = "message_event", **fields) -> dict:
    return {"msys": {wrapper: {"type": kind, "event_id": f"sp-{kind}-{fields.get('bounce_class', '')}",
                               "rcpt_to": "ana@acme.example", "timestamp": "1793613605", "message_id": "spm-1",
                               "transmission_id": "t-1", "campaign_id": "November", **fields}}}


SPARKPOST_EVENTS = [
    (sparkpost("delivery"), "delivered"),
    (sparkpost("bounce", bounce_class="10", raw_reason="550 5.1.1 user unknown", error_code="550"), "bounce"),
    (sparkpost("bounce", bounce_class="50", raw_reason="554 5.7.1 blocked"), "bounce"),
    (sparkpost("bounce", bounce_class="25", raw_reason="550 suppressed by customer policy"), "suppressed"),
    (sparkpost("bounce", bounce_class="90"), "unsubscribe"),
    (sparkpost("out_of_band", bounce_class="10", raw_reason="550 5.1.1 no such user"), "bounce"),
    (sparkpost("delay", raw_reason="421 try later"), "deferred"),
    (sparkpost("policy_rejection", reason="Message generation rejected"), "dropped"),
    (sparkpost("spam_complaint", fbtype="abuse"), "complaint"),
    (sparkpost("list_unsubscribe", "unsubscribe_event"), "unsubscribe"),
    (sparkpost("link_unsubscribe", "unsubscribe_event"), "unsubscribe"),
    (sparkpost("open", "track_event"), "open"),
    (sparkpost("click", "track_event", target_link_url="https://sender.example"), "click"),
]


@pytest.mark.parametrize(("event", "expected"), SPARKPOST_EVENTS, ids=[
    f"{next(iter(e['msys'].values()))['type']}-{t}" for e, t in SPARKPOST_EVENTS])
def test_every_sparkpost_event_type_is_stored_as_the_table_says(tmp_path, event, expected):
    records, errors, _ = read(tmp_path, [event])
    inner = next(iter(event["msys"].values()))
    assert [(r.email, r.event_type, r.esp_event_id) for r in records] == [
        ("ana@acme.example", expected, inner["event_id"])] and not errors
    assert records[0].campaign == "November"


def test_sparkpost_injection_auto_replies_and_empty_test_entries_store_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, [sparkpost("injection"), sparkpost("bounce", bounce_class="60"),
                                               {"msys": {}}])
    assert not records and not errors and sum(skipped.values()) == 3


def test_sparkpost_bounce_keeps_its_class_and_reply(tmp_path):
    records, _, _ = read(tmp_path, [SPARKPOST_EVENTS[2][0]])
    assert (records[0].esp_labels["bounce_class"], records[0].reply_code, records[0].enhanced_status) == ("50", 554, "5.7.1")


# --- Mailjet ----------------------------------------------------------------------------------
def mailjet(event: str, **fields) -> dict:
    return {"event": event, "time": 1793613605, "MessageID": 19421777835146490, "Message_GUID": "g-1",
            "email": "ana@acme.example", "mj_campaign_id": 7257, "mj_contact_id": 4, "customcampaign": "November",
            **fields}


MAILJET_EVENTS = [
    (mailjet("sent", smtp_reply="250 OK"), "delivered"),
    (mailjet("bounce", hard_bounce=True, error_related_to="recipient", error="user unknown",
             smtp_reply="550 5.1.1 user unknown"), "bounce"),
    (mailjet("bounce", hard_bounce=False, error_related_to="domain", error="greylisted",
             smtp_reply="451 4.7.1 greylisted"), "deferred"),
    (mailjet("blocked", error_related_to="mailjet", error="preblocked"), "suppressed"),
    (mailjet("blocked", error_related_to="mailjet", error="duplicate in campaign"), "dropped"),
    (mailjet("spam", source="JMRPP"), "complaint"),
    (mailjet("unsub", mj_list_id=1), "unsubscribe"),
    (mailjet("open", ip="192.0.2.1", agent="Mozilla"), "open"),
    (mailjet("click", url="https://sender.example"), "click"),
]


@pytest.mark.parametrize(("event", "expected"), MAILJET_EVENTS, ids=[
    f"{e['event']}-{t}" for e, t in MAILJET_EVENTS])
def test_every_mailjet_event_type_is_stored_as_the_table_says(tmp_path, event, expected):
    single, errors, _ = read(tmp_path, event, "one.json")  # "group events" off: one bare event
    grouped, _, _ = read(tmp_path, [event], "many.json")
    assert [(r.email, r.event_type, r.campaign) for r in single] == [("ana@acme.example", expected, "November")]
    assert single[0].esp_event_id == grouped[0].esp_event_id == event_identity(
        "19421777835146490", expected, "ana@acme.example", datetime(2026, 11, 2, 10, 0, 5, tzinfo=UTC))
    assert not errors


# --- Brevo ------------------------------------------------------------------------------------
def brevo(event: str, **fields) -> dict:
    # ts and date are in the account's time zone (here UTC+1); ts_epoch is UTC milliseconds.
    return {"event": event, "email": "ana@acme.example", "id": 1234, "date": "2026-11-02 11:00:05",
            "ts": 1793617205, "ts_event": 1793617205, "ts_epoch": 1793613605000, "message-id": "<b1@smtp-relay>",
            "tag": "November", **fields}


BREVO_EVENTS = [
    (brevo("delivered"), "delivered"),
    (brevo("hard_bounce", reason="550 5.1.1 user unknown"), "bounce"),
    (brevo("soft_bounce", reason="452 4.2.2 mailbox full"), "bounce"),
    (brevo("deferred", reason="421 try later"), "deferred"),
    (brevo("blocked", reason="blocked : due to blacklist user"), "dropped"),
    (brevo("invalid_email"), "dropped"),
    (brevo("spam"), "complaint"),
    (brevo("unique_opened"), "open"),
    (brevo("proxy_open"), "open"),
    (brevo("click", link="https://sender.example"), "click"),
    (brevo("unsubscribed"), "unsubscribe"),
]


@pytest.mark.parametrize(("event", "expected"), BREVO_EVENTS, ids=[f"{e['event']}-{t}" for e, t in BREVO_EVENTS])
def test_every_brevo_event_type_is_stored_as_the_table_says_at_its_utc_time(tmp_path, event, expected):
    records, errors, _ = read(tmp_path, event)
    assert [(r.email, r.event_type, r.campaign) for r in records] == [("ana@acme.example", expected, "November")]
    assert records[0].occurred_at == datetime(2026, 11, 2, 10, 0, 5, tzinfo=UTC)  # ts_epoch, not the local ts
    assert records[0].esp_event_id.startswith(f"b1@smtp-relay|{expected}|ana@acme.example|") and not errors


def test_brevo_request_stores_nothing(tmp_path):
    records, errors, skipped = read(tmp_path, brevo("request"))
    assert not records and not errors and skipped == {"Brevo request (queued for sending)": 1}
