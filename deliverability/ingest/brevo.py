"""Brevo (formerly Sendinblue): transactional webhooks (one JSON event per request) and event exports.

Facts (developers.brevo.com/docs/transactional-webhooks, as read by django-anymail's
anymail/webhooks/brevo.py): ``event`` is request, delivered, hard_bounce, soft_bounce, blocked, spam,
complaint, invalid_email, deferred, unique_opened, opened, unique_proxy_open, proxy_open, click,
unsubscribe, error; fields ``email``, ``message-id``, ``reason`` (the receiving server's text), ``tag`` or
``tags``, and times ``ts``/``date``/``ts_event`` in the account's time zone but ``ts_epoch`` in UTC
milliseconds (anymail: "the only field that seems to be consistently UTC") — read first.

Stored types: request → nothing (queued; it comes even for a message that is then blocked); delivered;
hard_bounce and soft_bounce → bounce (the ESP's word kept as the ``event`` label, never deciding); deferred;
blocked (Brevo refusing a blocklisted address: earlier bounce, unsubscribe or complaint, not said which),
invalid_email and error → dropped; spam and complaint → complaint; the opens → open; click; unsubscribe. No
per-event id: the identity is (message-id, type, recipient, time).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_EVENTS = {
    "delivered": "delivered", "hardbounce": "bounce", "softbounce": "bounce", "deferred": "deferred",
    "blocked": "dropped", "invalidemail": "dropped", "error": "dropped", "spam": "complaint",
    "complaint": "complaint", "uniqueopened": "open", "opened": "open", "uniqueproxyopen": "open",
    "proxyopen": "open", "click": "click", "unsubscribe": "unsubscribe", "unsubscribed": "unsubscribe",
}
_NOT_STORED = {"request": "Brevo request (queued for sending)", "listaddition": "Brevo list addition"}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("events",), event_record, skipped)


def event_record(row: int, event: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    raw_event = str(event.get("event") or "")
    key = raw_event.lower().replace("_", "")
    if key in _NOT_STORED:
        note_skip(skipped, _NOT_STORED[key])
        return None
    event_type = _EVENTS.get(key)
    if event_type is None:
        return RowError(row, f"unknown Brevo event {raw_event[:40]!r}")
    tags = event.get("tags")
    tag = tags[0] if isinstance(tags, list) and tags else event.get("tag")
    reason = event.get("reason")
    return record(
        row,
        event.get("email"),
        event_type,
        occurred_at=first(event, "tsepoch", "tsevent", "ts", "date"),
        campaign=tag,
        message_id=event.get("messageid"),
        diagnostic=reason if event_type in ("bounce", "deferred") else None,
        labels={"event": raw_event if raw_event != event_type else None,
                "reason": reason if event_type not in ("bounce", "deferred") else None,
                "template_id": event.get("templateid"), "sending_ip": event.get("sendingip")},
    )
