"""SparkPost (Bird/Momentum): webhook batches and event exports — ``[{"msys": {"message_event": {…}}}, …]``.

Facts (formats.md §1.5; SparkPost/support-docs bounce-classification-codes.md; the event types also read
by django-anymail's anymail/webhooks/sparkpost.py): one wrapper per event (``message_event``,
``track_event``, ``unsubscribe_event``, ``gen_event``, ``relay_event``), each with ``type``, ``rcpt_to``,
``timestamp``, ``event_id`` (SparkPost's per-event id: the identity), ``message_id``, ``campaign_id``,
``raw_reason`` (the receiving server's text), ``error_code``, ``bounce_class``.

Stored types: delivery → delivered; bounce and out_of_band → bounce, except bounce classes that are not a
delivery failure — 25 Admin Failure (SparkPost's own suppression: ``suppressed``), 60 Auto-Reply, 80
Subscribe and 100 Challenge-Response (nothing stored, as Postmark's AutoResponder) and 90 Unsubscribe
(``unsubscribe``); delay → deferred; policy_rejection, generation_failure, generation_rejection → dropped;
spam_complaint → complaint; list_unsubscribe, link_unsubscribe → unsubscribe; open, initial_open, amp_open →
open; click, amp_click → click; injection (accepted for sending) and relay events (inbound) → nothing.
``bounce_class`` is kept as a label; it never decides our category.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import as_dict, first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_EVENTS = {
    "delivery": "delivered", "bounce": "bounce", "outofband": "bounce", "delay": "deferred",
    "policyrejection": "dropped", "generationfailure": "dropped", "generationrejection": "dropped",
    "spamcomplaint": "complaint", "listunsubscribe": "unsubscribe", "linkunsubscribe": "unsubscribe",
    "open": "open", "initialopen": "open", "ampopen": "open", "click": "click", "ampclick": "click",
}
_NOT_STORED = {"injection": "SparkPost injection (accepted for sending)", "smsstatus": "SparkPost SMS status"}
_BOUNCE_CLASSES: dict[str, str | None] = {"25": "suppressed", "60": None, "80": None, "90": "unsubscribe",
                                          "100": None}
_WRAPPERS = ("messageevent", "trackevent", "unsubscribeevent", "genevent", "relayevent", "ampevent")


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("results",), event_record, skipped)


def event_record(row: int, entry: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    msys = as_dict(entry.get("msys")) if "msys" in entry else None
    if msys is not None:
        if not msys:
            note_skip(skipped, "SparkPost empty batch entry (webhook test)")
            return None
        wrapper = next((k for k in _WRAPPERS if k in msys), None)
        if wrapper == "relayevent":
            note_skip(skipped, "SparkPost relay (inbound) event")
            return None
        event = as_dict(msys.get(wrapper)) if wrapper else {}
    else:
        event = entry  # an events API export row: the event itself
    raw_type = str(event.get("type") or "")
    key = raw_type.lower().replace("_", "")
    if key in _NOT_STORED:
        note_skip(skipped, _NOT_STORED[key])
        return None
    event_type = _EVENTS.get(key)
    if event_type is None:
        return RowError(row, f"unknown SparkPost event type {raw_type[:40]!r}")
    bounce_class = str(event.get("bounceclass") or "")
    if event_type == "bounce" and bounce_class in _BOUNCE_CLASSES:
        event_type = _BOUNCE_CLASSES[bounce_class]
        if event_type is None:
            note_skip(skipped, f"SparkPost bounce class {bounce_class} (not a delivery failure)")
            return None
    text = first(event, "rawreason", "reason")
    return record(
        row,
        first(event, "rcptto", "rawrcptto"),
        event_type,
        occurred_at=event.get("timestamp"),
        campaign=first(event, "campaignid"),
        esp_event_id=event.get("eventid"),
        message_id=first(event, "messageid", "transmissionid"),
        diagnostic=text if event_type in ("bounce", "deferred", "dropped", "suppressed") else None,
        reply_code=event.get("errorcode"),
        labels={"type": raw_type if raw_type != event_type else None, "bounce_class": bounce_class or None,
                "reason": event.get("reason") if text != event.get("reason") else None,
                "ip_pool": event.get("ippool"), "subaccount_id": event.get("subaccountid")},
    )
