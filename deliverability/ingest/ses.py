"""Amazon SES: SNS notifications, raw SNS envelopes, and event-publishing records.

Facts (formats.md §1.1, awsdocs notification-contents.md): ``notificationType`` Bounce, Complaint,
Delivery (notifications) or ``eventType`` (event publishing: also Send, Reject, DeliveryDelay,
Open, Click, Rendering Failure, Subscription). An SNS envelope carries the notification as a JSON
*string* in ``Message``. Bounce sub-types Suppressed / OnAccountSuppressionList (and the newer
OnTenantSuppressionList) are SES declining to send because of an earlier bounce: ``suppressed``.
SES's bounceType is kept as a label only: it files invalid domains as Transient and out-of-office
replies as Undetermined (listmonk#1463, Mailtrain#114).

Stored types (issue 16 item 7, the same for files and webhooks): Delivery → delivered, Bounce →
bounce (Permanent / Transient kept as the ``bounceType`` label), Complaint → complaint, Open → open,
Click → click, Reject and Rendering Failure → dropped (SES never sent: a virus, a template that did
not render), DeliveryDelay → deferred, Subscription → unsubscribe (AWS SES developer guide, "Contents
of event data that Amazon SES publishes to Amazon SNS": the recipient used the unsubscribe link or
header), Send → nothing (SES accepted the message; it says nothing about the recipient).

Identity: SES has no per-event id (``feedbackId`` names one bounce or complaint report, which may list
several recipients); every event's identity is (mail.messageId, event type, recipient, time), see
esp.event_identity. The SNS envelope's ``MessageId`` names the notification's delivery, not the event
(a redelivered or re-captured notification may carry another), so it is never used.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import as_dict, as_list, first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_SUPPRESSION_SUBTYPES = {"suppressed", "onaccountsuppressionlist", "ontenantsuppressionlist"}
_NOT_STORED = {"send": "SES Send (accepted for sending)"}
# The text SNS sends as a Notification once a topic is set as an SES event destination (quoted by
# django-anymail's amazon_ses webhook, which ignores it the same way): not an event.
_TOPIC_VALIDATED = "Successfully validated SNS topic for Amazon SES event publishing."
_OPT_OUT = {"optout", "opt_out"}  # the event's "OptOut"; the SESv2 API spells it OPT_OUT


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("Records", "records", "events", "Messages"), notification_records, skipped)


def notification_records(row: int, obj: dict[str, Any], skipped: Counter | None) -> Iterator[Record | RowError]:
    message = obj.get("message")
    if isinstance(message, str) and ("topicarn" in obj or obj.get("type") in ("Notification", "SubscriptionConfirmation")):
        if obj.get("type") not in (None, "Notification"):
            note_skip(skipped, f"SNS {obj.get('type')}")
            return
        if message.strip() == _TOPIC_VALIDATED:
            note_skip(skipped, "SNS topic validation message")
            return
        try:
            inner = json.loads(message)
        except ValueError:
            yield RowError(row, "the SNS envelope's Message is not JSON")
            return
        if not isinstance(inner, dict):
            yield RowError(row, "the SNS envelope's Message is not a notification")
            return
        obj = as_dict(inner)
    kind = str(first(obj, "notificationtype", "eventtype") or "")
    key = kind.lower().replace(" ", "")
    mail = as_dict(obj.get("mail"))
    if key in _NOT_STORED:
        note_skip(skipped, _NOT_STORED[key])
        return
    handler = _HANDLERS.get(key)
    if handler is None:
        yield RowError(row, f"not an SES notification (notificationType/eventType {kind[:40]!r})")
        return
    if handler is _subscription:
        yield from _subscription(row, obj, mail, skipped)
        return
    yield from handler(row, obj, mail)


def _campaign(mail: dict[str, Any]) -> str | None:
    tags = as_dict(mail.get("tags"))
    for name in ("campaign", "campaignname", "campaignid"):
        value = tags.get(name)
        if isinstance(value, list) and value:
            return value[0]
        if isinstance(value, str):
            return value
    return None


def _bounce(row: int, obj: dict[str, Any], mail: dict[str, Any]) -> Iterator[Record | RowError]:
    bounce = as_dict(obj.get("bounce"))
    subtype = str(bounce.get("bouncesubtype") or "")
    event_type = "suppressed" if subtype.lower() in _SUPPRESSION_SUBTYPES else "bounce"
    recipients = as_list(bounce.get("bouncedrecipients"))
    if not recipients:
        yield RowError(row, "SES bounce without bouncedRecipients")
    for recipient in recipients:
        r = as_dict(recipient)
        yield record(
            row, r.get("emailaddress"), event_type,
            occurred_at=first(bounce, "timestamp") or mail.get("timestamp"),
            campaign=_campaign(mail),
            message_id=mail.get("messageid"),
            diagnostic=r.get("diagnosticcode"),
            enhanced_status=r.get("status"),
            remote_mta=bounce.get("remotemtaip"),
            labels={"bounceType": bounce.get("bouncetype"), "bounceSubType": subtype,
                    "action": r.get("action"), "reportingMTA": bounce.get("reportingmta"),
                    "feedbackId": bounce.get("feedbackid")},
        )


def _complaint(row: int, obj: dict[str, Any], mail: dict[str, Any]) -> Iterator[Record | RowError]:
    complaint = as_dict(obj.get("complaint"))
    subtype = str(complaint.get("complaintsubtype") or "")
    event_type = "suppressed" if subtype.lower() in _SUPPRESSION_SUBTYPES else "complaint"
    for recipient in as_list(complaint.get("complainedrecipients")):
        r = as_dict(recipient)
        yield record(
            row, r.get("emailaddress"), event_type,
            occurred_at=first(complaint, "timestamp", "arrivaldate") or mail.get("timestamp"),
            campaign=_campaign(mail),
            message_id=mail.get("messageid"),
            labels={"complaintFeedbackType": complaint.get("complaintfeedbacktype"),
                    "complaintSubType": subtype, "userAgent": complaint.get("useragent"),
                    "feedbackId": complaint.get("feedbackid")},
        )


def _delivery(row: int, obj: dict[str, Any], mail: dict[str, Any]) -> Iterator[Record | RowError]:
    delivery = as_dict(obj.get("delivery"))
    for email in as_list(delivery.get("recipients")):
        yield record(
            row, email, "delivered",
            occurred_at=first(delivery, "timestamp") or mail.get("timestamp"),
            campaign=_campaign(mail),
            message_id=mail.get("messageid"),
            diagnostic=delivery.get("smtpresponse"),
            remote_mta=delivery.get("remotemtaip"),
            labels={"reportingMTA": delivery.get("reportingmta")},
        )


def _delay(row: int, obj: dict[str, Any], mail: dict[str, Any]) -> Iterator[Record | RowError]:
    delay = as_dict(obj.get("deliverydelay"))
    for recipient in as_list(delay.get("delayedrecipients")):
        r = as_dict(recipient)
        when = first(delay, "timestamp") or mail.get("timestamp")
        yield record(
            row, r.get("emailaddress"), "deferred",
            occurred_at=when,
            campaign=_campaign(mail),
            message_id=mail.get("messageid"),
            diagnostic=r.get("diagnosticcode"),
            enhanced_status=r.get("status"),
            remote_mta=delay.get("remotemtaip"),
            labels={"delayType": delay.get("delaytype"), "expirationTime": delay.get("expirationtime"),
                    "reportingMTA": delay.get("reportingmta")},
        )


def _per_destination(event_type: str, member: str):
    def handler(row: int, obj: dict[str, Any], mail: dict[str, Any]) -> Iterator[Record | RowError]:
        detail = as_dict(obj.get(member))
        when = first(detail, "timestamp") or mail.get("timestamp")
        labels = {"reason": detail.get("reason"), "link": detail.get("link"),
                  "userAgent": detail.get("useragent"), "errorMessage": detail.get("errormessage"),
                  "templateName": detail.get("templatename"), "source": detail.get("source"),
                  "contactList": detail.get("contactlist")}
        if member == "failure":
            labels["eventType"] = "Rendering Failure"
        for email in as_list(mail.get("destination")):
            yield record(row, email, event_type, occurred_at=when, campaign=_campaign(mail),
                         message_id=mail.get("messageid"), labels=labels)
    return handler


def _subscription(row: int, obj: dict[str, Any], mail: dict[str, Any], skipped: Counter | None = None
                  ) -> Iterator[Record | RowError]:
    """A Subscription event is the recipient changing preferences through the unsubscribe link or
    header: an unsubscribe, unless the new preferences say plainly that nothing was opted out of."""
    detail = as_dict(obj.get("subscription"))
    preferences = as_dict(detail.get("newtopicpreferences"))
    topics = [as_dict(t) for t in as_list(preferences.get("topicsubscriptionstatus"))]
    opted_out = preferences.get("unsubscribeall") is True or any(
        str(t.get("subscriptionstatus") or "").lower() in _OPT_OUT for t in topics)
    if preferences and not opted_out:
        note_skip(skipped, "SES Subscription (no topic opted out)")
        return
    yield from _per_destination("unsubscribe", "subscription")(row, obj, mail)


_HANDLERS = {
    "bounce": _bounce,
    "complaint": _complaint,
    "delivery": _delivery,
    "deliverydelay": _delay,
    "reject": _per_destination("dropped", "reject"),
    "renderingfailure": _per_destination("dropped", "failure"),
    "open": _per_destination("open", "open"),
    "click": _per_destination("click", "click"),
    "subscription": _subscription,
}
