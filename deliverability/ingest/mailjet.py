"""Mailjet: Event API webhooks (one event, or an array when "group events" is on) and event exports.

Facts (dev.mailjet.com/email/guides/webhooks, as read by django-anymail's anymail/webhooks/mailjet.py and the
mailjet_api_wrapper feedback structs): ``event`` is sent (accepted by the receiving server), open, click,
bounce, blocked, spam, unsub; fields ``email``, ``time`` (epoch seconds), ``MessageID``, ``Message_GUID``,
``mj_campaign_id``, ``customcampaign`` (the X-Mailjet-Campaign header), ``CustomID``, ``Payload``,
``hard_bounce``, ``blocked``, ``error_related_to`` (recipient, domain, spam, content, mailjet), ``error``
("user unknown", "greylisted", "preblocked", "duplicate in campaign"…), ``comment`` and ``smtp_reply``.

Stored types: sent → delivered; bounce → bounce (``hard_bounce`` kept as a label, never deciding), except a
greylisting that is not hard: deferred ("delivery will be re-attempted"); blocked → dropped, or
``suppressed`` for "preblocked" (Mailjet refusing an address it blocked before: an echo); spam → complaint;
unsub → unsubscribe; open, click as such. No per-event id: the identity is (MessageID, type, recipient, time).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .esp import first, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_EVENTS = {"sent": "delivered", "open": "open", "click": "click", "bounce": "bounce", "blocked": "dropped",
           "spam": "complaint", "unsub": "unsubscribe"}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("data",), event_record, skipped)


def event_record(row: int, event: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    raw_event = str(event.get("event") or "")
    event_type = _EVENTS.get(raw_event.lower())
    if event_type is None:
        return RowError(row, f"unknown Mailjet event {raw_event[:40]!r}")
    error = str(event.get("error") or "")
    hard = event.get("hardbounce")
    if event_type == "bounce" and error.lower() == "greylisted" and hard is not True:
        event_type = "deferred"
    elif event_type == "dropped" and error.lower() == "preblocked":
        event_type = "suppressed"
    reply = event.get("smtpreply")
    return record(
        row,
        event.get("email"),
        event_type,
        occurred_at=event.get("time"),
        campaign=first(event, "customcampaign", "mjcampaignid"),
        message_id=first(event, "messageid", "messageguid"),
        diagnostic=reply if event_type in ("bounce", "deferred", "dropped", "suppressed") else None,
        labels={"event": raw_event if raw_event != event_type else None, "error": error or None,
                "error_related_to": event.get("errorrelatedto"), "comment": event.get("comment"),
                "hard_bounce": hard, "blocked": event.get("blocked"), "CustomID": event.get("customid")},
    )
