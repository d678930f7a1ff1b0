"""SendGrid: Event Webhook JSON (an array, or one event per line) and the CSV exports.

Facts (formats.md §1.2, SendGrid Event Webhook reference): ``event`` is processed, dropped,
delivered, deferred, bounce, open, click, spamreport, unsubscribe, group_unsubscribe,
group_resubscribe. A block is ``event=bounce`` with ``type=blocked``. ``dropped`` with reason
"Bounced Address" is SendGrid refusing to send to an address that bounced before: an echo, stored
as ``suppressed``; a drop with reason "Invalid" names an address that is not one (``invalid@invalid``):
kept as given, flagged invalid (esp.record). ``processed`` (accepted for sending) and
``group_resubscribe`` store nothing. The legacy bounce list export has only created, email, reason, status.
``type`` and ``bounce_classification`` are kept as labels; they never decide our category.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_EVENTS = {
    "delivered": "delivered",
    "deferred": "deferred",
    "bounce": "bounce",
    "blocked": "bounce",  # some CSV exports spell the block out as an event
    "dropped": "dropped",
    "open": "open",
    "click": "click",
    "spamreport": "complaint",
    "unsubscribe": "unsubscribe",
    "groupunsubscribe": "unsubscribe",
}
_NOT_STORED = {"processed": "SendGrid processed (accepted for sending)",
               "groupresubscribe": "SendGrid group_resubscribe"}
_ECHO_REASONS = {"bounced address"}
_LABELS = ("type", "bounceclassification", "attempt", "tls", "category", "asmgroupid", "smtpid",
           "sgmessageid", "ip", "useragent", "url")


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, (), event_record, skipped)


def event_record(row: int, event: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    raw_event = str(event.get("event") or "").strip()
    key = raw_event.lower().replace("_", "")
    if not key and {"created", "email", "reason", "status"} <= event.keys():
        key = "bounce"  # the legacy bounce list: every row is a bounce
    if key in _NOT_STORED:
        note_skip(skipped, _NOT_STORED[key])
        return None
    event_type = _EVENTS.get(key)
    if event_type is None:
        return RowError(row, f"unknown SendGrid event {raw_event[:40]!r}")
    labels = {name: event[name] for name in _LABELS if name in event}
    reason = event.get("reason")
    diagnostic = None
    enhanced = None
    if event_type == "dropped":
        # The reason of a drop is SendGrid's own sentence, not the receiving server's.
        labels["reason"] = reason
        labels["status"] = event.get("status")
        if str(reason or "").strip().lower() in _ECHO_REASONS:
            event_type = "suppressed"
    elif event_type in ("bounce", "deferred", "delivered"):
        diagnostic = first(event, "response", "reason") if event_type != "bounce" else first(event, "reason", "response")
        enhanced = event.get("status")
        if key == "blocked" and not labels.get("type"):
            labels["type"] = "blocked"
    if raw_event and raw_event != event_type:
        labels["event"] = raw_event
    return record(
        row,
        event.get("email"),
        event_type,
        occurred_at=first(event, "timestamp", "created", "processed", "eventtime", "time"),
        campaign=first(event, "campaign", "campaignname"),
        esp_event_id=event.get("sgeventid"),
        # Without sg_event_id (some CSV exports), the identity is built from sg_message_id (esp.record).
        message_id=first(event, "sgmessageid", "smtpid"),
        diagnostic=diagnostic,
        enhanced_status=enhanced,
        remote_mta=first(event, "mxserver", "mxhost"),
        labels=labels,
    )
