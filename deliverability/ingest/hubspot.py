"""HubSpot: Email Events API JSON (``{"events": […], "hasMore": …}``) and CSV exports.

Facts (formats.md §1.7): events have ``type`` (SENT, DROPPED, PROCESSED, DELIVERED, DEFERRED,
BOUNCE, OPEN, CLICK, PRINT, FORWARD, STATUSCHANGE, SPAMREPORT, SUGGESTION, UNBOUNCE), ``recipient``,
``created`` (epoch ms), ``id``, ``emailCampaignId``. BOUNCE carries ``category``, ``response``,
``status``; DROPPED carries ``dropReason`` (PREVIOUSLY_BOUNCED is an echo → ``suppressed``).

Two CSV shapes are read: one event per row (the API's columns), and the UI's per-recipient
export (Recipient, Sent At, Delivered, Opened, Clicked, Bounce, Bounce Reason, Not Sent Reason,
Spam Report, Unsubscribed — column names from code that parses real exports, unverified), where
each filled-in flag column becomes one event.

``emailCampaignId`` is a number, not a campaign name: it is kept as a label and the campaign is
left to the import command.

Times: the API's are epoch milliseconds (UTC). The UI export heads its time column "Sent At (Your time
zone)" (formats.md §1.7): its times name no zone and are in the exporting user's HubSpot time zone, so a
naive time in such a row is read in the ``zone`` the caller gives (the organisation's), not as UTC, and
``notes["times_in_zone"]`` says so for the upload's page. Without a ``zone`` they stay UTC, as elsewhere.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from .esp import as_list, first, note_skip, read_entries, record
from .records import Record, RowError
from .textio import Peeked
from .values import parse_timestamp, states_zone, wall_clock_in

_TYPES = {
    "DELIVERED": "delivered", "DEFERRED": "deferred", "BOUNCE": "bounce", "DROPPED": "dropped",
    "OPEN": "open", "CLICK": "click", "SPAMREPORT": "complaint",
}
_NOT_STORED = {"SENT", "PROCESSED", "PRINT", "FORWARD", "SUGGESTION", "UNBOUNCE"}
_ECHO_DROPS = {"PREVIOUSLY_BOUNCED", "PREVIOUS_SPAM", "PREVIOUSLY_SPAMMED"}
# The UI export: flag column → event type.
_FLAG_COLUMNS = (("delivered", "delivered"), ("opened", "open"), ("clicked", "click"),
                 ("bounce", "bounce"), ("bounced", "bounce"), ("spamreport", "complaint"),
                 ("unsubscribed", "unsubscribe"))
_FALSE = {"", "no", "false", "0", "-", "n", "none", "null"}


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None,
         zone: tzinfo | None = None, notes: dict | None = None) -> Iterator[Record | RowError]:
    """``zone``: where the UI export's "(Your time zone)" times are (the organisation's zone); ``notes``: told
    when times were read in it (see the module docstring)."""
    def entry_records(row: int, entry: dict[str, Any], skipped: Counter | None):
        """An API event (it has a type), or a row of the UI's per-recipient export."""
        if "type" in entry or "eventtype" in entry:
            return event_record(row, entry, skipped)
        return summary_records(row, entry, zone, notes)

    return read_entries(peeked, ("events", "results"), entry_records, skipped)


def event_record(row: int, event: dict[str, Any], skipped: Counter | None) -> Record | RowError | None:
    raw_type = str(first(event, "type", "eventtype") or "").strip()
    key = raw_type.upper()
    if key in _NOT_STORED:
        note_skip(skipped, f"HubSpot {key}")
        return None
    labels: dict[str, Any] = {"emailCampaignId": event.get("emailcampaignid")}
    diagnostic = enhanced = None
    if key == "STATUSCHANGE":
        if not _unsubscribed(event):
            note_skip(skipped, "HubSpot STATUSCHANGE (not an unsubscribe)")
            return None
        event_type = "unsubscribe"
    else:
        event_type = _TYPES.get(key)
        if event_type is None:
            return RowError(row, f"unknown HubSpot event type {raw_type[:40]!r}")
    if event_type == "bounce":
        labels.update({"category": event.get("category"), "status": event.get("status")})
        diagnostic = event.get("response")
        enhanced = event.get("status")
    elif event_type in ("deferred", "delivered"):
        diagnostic = event.get("response")
        labels["attempt"] = event.get("attempt")
    elif event_type == "dropped":
        drop_reason = str(event.get("dropreason") or "")
        labels.update({"dropReason": drop_reason, "dropMessage": event.get("dropmessage")})
        if drop_reason.upper() in _ECHO_DROPS:
            event_type = "suppressed"
    return record(
        row, first(event, "recipient", "email"), event_type,
        occurred_at=first(event, "created", "timestamp"),
        esp_event_id=event.get("id"),
        diagnostic=diagnostic,
        enhanced_status=enhanced,
        labels=labels,
    )


def _unsubscribed(event: dict[str, Any]) -> bool:
    if str(event.get("portalsubscriptionstatus") or "").upper() == "UNSUBSCRIBED":
        return True
    for sub in as_list(event.get("subscriptions")):
        if isinstance(sub, dict) and str(sub.get("status") or "").upper() == "UNSUBSCRIBED":
            return True
    return str(event.get("changetype") or event.get("requestedchangetype") or "").upper() in (
        "UNSUBSCRIBE", "UNSUBSCRIBED", "PORTAL_UNSUBSCRIBE")


def summary_records(row: int, entry: dict[str, Any], zone: tzinfo | None = None,
                    notes: dict | None = None) -> Iterator[Record | RowError]:
    """The UI export: one row per recipient, one event per filled-in flag column."""
    email = first(entry, "recipient", "email")
    sent_key, sent_at = next(((k, v) for k, v in entry.items() if k.startswith("sentat") and v), (None, None))
    if zone is not None and sent_key is not None and _LOCAL_TIMES in sent_key:
        sent_at = _in_zone(sent_at, zone, notes)
    else:
        zone = None  # a time column that does not say the user's zone: its naive times stay UTC
    found = False
    for column, event_type in _FLAG_COLUMNS:
        value = entry.get(column)
        if value is None or str(value).strip().lower() in _FALSE:
            continue
        found = True
        when = (_in_zone(value, zone, notes) if zone is not None else value) if _looks_like_time(value) else sent_at
        labels: dict[str, Any] = {}
        diagnostic = None
        if event_type == "bounce":
            diagnostic = entry.get("bouncereason")
            labels["Bounce"] = value if not _looks_like_time(value) else None
        yield record(row, email, event_type, occurred_at=when, diagnostic=diagnostic, labels=labels)
    not_sent = str(entry.get("notsentreason") or "").strip()
    if not_sent:
        found = True
        event_type = "suppressed" if not_sent.upper() in _ECHO_DROPS else "dropped"
        yield record(row, email, event_type, occurred_at=sent_at, labels={"dropReason": not_sent})
    if not found:
        yield RowError(row, "no event in this HubSpot row (no Delivered/Bounce/… value)")


_LOCAL_TIMES = "yourtimezone"  # "Sent At (Your time zone)", normalised as every header is (normalise_header)


def _in_zone(value: Any, zone: tzinfo, notes: dict | None) -> Any:
    """A naive time cell as the moment it names in ``zone``; any other value as it is (a time naming its zone
    keeps it; an unreadable one is reported by record())."""
    text = str(value).strip()
    if states_zone(text) is not False:
        return value
    try:
        moment = parse_timestamp(text)  # naive, read as UTC: the wall-clock time is what is kept
    except ValueError:
        return value
    if notes is not None:
        notes["times_in_zone"] = str(zone)
    return wall_clock_in(moment, zone)


def _looks_like_time(value: Any) -> bool:
    text = str(value).strip()
    return len(text) >= 8 and text[:4].isdigit() or (text[:1].isdigit() and "/" in text and ":" in text)
