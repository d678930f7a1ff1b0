"""Mailgun: Events API pages (``{"items": […], "paging": …}``) and webhooks (``{"event-data": …}``).

Facts (formats.md §1.3, mailgun/documentation api-events.rst): ``event`` is accepted, rejected,
delivered, failed, opened, clicked, unsubscribed, complained, stored. ``failed`` events carry
``severity`` permanent | temporary and a ``reason`` (bounce, suppress-bounce, generic, espblock,
old, hardfail, greylisted…). ``suppress-bounce`` is Mailgun refusing an address that bounced
before: an echo, stored as ``suppressed``. ``delivery-status.code`` may be a Mailgun-internal
code (605 "previously bounced", 498/499 no MX/connect); only 200–599 become reply codes.

The recipient is ``recipient``; some events (a ``rejected`` one, mailgun api-events.rst) carry it only
in ``message.headers.to`` or ``envelope.targets``, where django-anymail's Mailgun tracking webhook also
looks (anymail/webhooks/mailgun.py, "This event has a somewhat different structure"). Identity: the
event's ``id`` (Mailgun's per-event id), else (message-id header, event type, recipient, time).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from email.utils import getaddresses
from typing import Any

from .csv_generic import normalise_header
from .esp import as_dict, first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked

_EVENTS = {
    "delivered": "delivered",
    "rejected": "dropped",
    "opened": "open",
    "clicked": "click",
    "unsubscribed": "unsubscribe",
    "complained": "complaint",
}
_NOT_STORED = {"accepted": "Mailgun accepted (queued for sending)", "stored": "Mailgun stored (inbound)",
               "listmemberuploaded": "Mailgun list member upload"}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    return read_entries(peeked, ("items",), event_record, skipped)


# Legacy (form-encoded) webhooks, formats.md §1.3 and mailgun/documentation user_manual "Legacy webhooks":
# delivered, bounced (code, error, notification), dropped (reason hardfail | old, code, description),
# opened, clicked, unsubscribed, complained; no event id; the message's headers as a JSON string.
_LEGACY_EVENTS = {"delivered": "delivered", "bounced": "bounce", "opened": "open", "clicked": "click",
                  "unsubscribed": "unsubscribe", "complained": "complaint"}
_LEGACY_SIGNS = ("messageheaders", "messageid", "notification")


def event_record(row: int, event: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    if "eventdata" in event:
        event = as_dict(event["eventdata"])
    elif "deliverystatus" not in event and (
            str(event.get("event") or "").lower() in ("bounced", "dropped") or any(k in event for k in _LEGACY_SIGNS)):
        return legacy_record(row, event)
    raw_event = str(event.get("event") or "")
    key = raw_event.lower().replace("_", "").replace("-", "")
    if key in _NOT_STORED:
        note_skip(skipped, _NOT_STORED[key])
        return None
    severity = str(event.get("severity") or "")
    reason = str(event.get("reason") or "")
    if key == "failed":
        if reason.lower() == "suppress-bounce":
            event_type = "suppressed"
        elif reason.lower().startswith("suppress-"):
            event_type = "dropped"  # refused because of an earlier unsubscribe or complaint
        elif severity.lower() == "temporary":
            event_type = "deferred"
        else:
            event_type = "bounce"
    else:
        event_type = _EVENTS.get(key)
        if event_type is None:
            return RowError(row, f"unknown Mailgun event {raw_event[:40]!r}")
    status = as_dict(event.get("deliverystatus"))
    message = status.get("message")
    description = status.get("description")
    code = status.get("code")
    campaigns = event.get("campaigns")
    campaign = None
    if isinstance(campaigns, list) and campaigns and isinstance(campaigns[0], dict):
        campaign = campaigns[0].get("name") or campaigns[0].get("id")
    headers = as_dict(as_dict(event.get("message")).get("headers"))
    return record(
        row,
        first(event, "recipient") or _header_recipient(event, headers),
        event_type,
        occurred_at=event.get("timestamp"),
        campaign=campaign or as_dict(event.get("uservariables")).get("campaign"),
        esp_event_id=event.get("id"),
        message_id=headers.get("messageid"),
        diagnostic=message or description or None,
        reply_code=code,
        enhanced_status=first(status, "enhancedcode"),
        remote_mta=first(status, "mxhost"),
        labels={"event": raw_event if raw_event != event_type else None, "severity": severity,
                "reason": reason, "delivery_status_code": code,
                "description": description if message and description != message else None,
                "attempt": status.get("attemptno")},
    )


def _header_recipient(event: dict[str, Any], headers: dict[str, Any]) -> str | None:
    """The recipient of an event that names it only in the message: the envelope's targets (a
    comma-separated string), else the first address of the To header ("Name <a@b>" forms)."""
    for value in (as_dict(event.get("envelope")).get("targets"), headers.get("to")):
        if isinstance(value, str) and "@" in value:
            for _name, address in getaddresses([value]):
                if "@" in address:
                    return address
    return None


def legacy_record(row: int, event: dict[str, Any]) -> Record | RowError:
    """A legacy webhook's fields (keys normalised). ``dropped`` with Mailgun's code 605 ("previously bounced")
    is an echo (``suppressed``); reason ``old`` means Mailgun gave up retrying: a delivery failure (``bounce``);
    other drops (607 previous complaint, unsubscribed) are ``dropped``."""
    raw_event = str(event.get("event") or "")
    key = raw_event.lower()
    code = str(event.get("code") or "")
    reason = str(event.get("reason") or "")
    if key == "dropped":
        event_type = "suppressed" if code == "605" else "bounce" if reason.lower() == "old" else "dropped"
    else:
        event_type = _LEGACY_EVENTS.get(key)
        if event_type is None:
            return RowError(row, f"unknown Mailgun event {raw_event[:40]!r}")
    headers = _legacy_headers(event.get("messageheaders"))
    text = first(event, "error", "notification", "description")
    return record(
        row,
        first(event, "recipient") or _header_recipient({}, headers),
        event_type,
        occurred_at=event.get("timestamp"),
        campaign=first(event, "campaignname", "campaignid"),
        message_id=first(event, "messageid") or headers.get("messageid"),
        diagnostic=text if event_type in ("bounce", "suppressed", "dropped") else None,
        reply_code=code,
        labels={"event": raw_event if raw_event != event_type else None, "reason": reason,
                "delivery_status_code": code or None, "tag": event.get("tag"),
                "description": event.get("description") if text != event.get("description") else None},
    )


def _legacy_headers(value: Any) -> dict[str, Any]:
    """``message-headers``: a JSON string of [name, value] pairs; names normalised like our keys."""
    try:
        pairs = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    found: dict[str, Any] = {}
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str):
            found.setdefault(normalise_header(pair[0]), pair[1])
    return found
