"""What the ESP readers share: rows as dicts with normalised keys, and one way to build a record.

ESP files are read as "items" — JSON objects or CSV rows — whose keys are normalised the same way
as CSV headers (``sg_event_id``, ``sgEventId`` and ``SG Event ID`` are all ``sgeventid``), so each
reader handles its webhook JSON and its CSV export with one function.
"""
from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from .csv_generic import normalise_header, overflow_reason
from .jsonstream import iter_json
from .records import Record, RowError
from .textio import Peeked, open_csv, open_text
from .values import (
    MAX_EMAIL_CHARS,
    capped,
    clean_email,
    label,
    normalise_email,
    parse_timestamp,
    reply_code_from,
    split_reply,
)

Item = tuple[int, dict[str, Any]]
Handler = Callable[[int, dict[str, Any], "Counter | None"], Any]


def is_json(peeked: Peeked) -> bool:
    return peeked.sample.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def items(peeked: Peeked, wrapper_keys: tuple[str, ...] = ()) -> Iterator[Item | RowError]:
    """(row number, normalised dict) for every JSON record or CSV row; RowError for the unreadable."""
    if is_json(peeked):
        source: Iterable = iter_json(open_text(peeked), wrapper_keys)
        for entry in source:
            if isinstance(entry, RowError):
                yield entry
                continue
            row, value = entry
            for obj in value if isinstance(value, list) else (value,):
                if isinstance(obj, dict):
                    yield row, normalise_keys(obj)
                else:
                    yield RowError(row, f"expected a JSON object, found {type(obj).__name__}")
    else:
        yield from csv_items(peeked)


def read_entries(peeked: Peeked, wrapper_keys: tuple[str, ...], handle: Handler, skipped: Counter | None) -> Iterator[Record | RowError]:
    """Run ``handle(row, entry, skipped)`` over every entry of the file, wrappers unwrapped.

    ``wrapper_keys`` name the arrays that hold the entries (``items``, ``Bounces``…), whether the
    wrapper is the whole file (streamed) or one line of a JSON-lines dump (unwrapped here).
    ``handle`` returns a Record, a RowError, None (skipped) or an iterable of those.
    """
    normalised = tuple(normalise_header(k) for k in wrapper_keys)
    for item in items(peeked, wrapper_keys):
        if isinstance(item, RowError):
            yield item
            continue
        row, obj = item
        inner = unwrap(obj, *normalised)
        for entry in inner if inner is not None else (obj,):
            if not isinstance(entry, dict):
                yield RowError(row, f"expected a JSON object, found {type(entry).__name__}")
                continue
            result = handle(row, entry, skipped)
            if result is None:
                continue
            if isinstance(result, (Record, RowError)):
                yield result
            else:
                yield from result


def normalise_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {normalise_header(key): value for key, value in obj.items()}


def csv_items(peeked: Peeked) -> Iterator[Item | RowError]:
    table = open_csv(peeked, sample_rows=0)
    keys = [normalise_header(h) for h in table.header]
    width = len(keys)
    row_number = 1
    errors = 0
    while True:
        try:
            for row in table.rows:
                row_number += 1
                if len(row) > width and any(row[width:]):  # a value holding the separator unquoted: shifted cells
                    yield RowError(row_number, overflow_reason(len(row), width, table.delimiter))
                elif any(row):
                    yield row_number, dict(zip(keys, row, strict=False))
            return
        except csv.Error as exc:
            row_number += 1
            errors += 1
            yield RowError(row_number, f"unreadable CSV row ({exc})")
            if errors >= 10_000:
                return


def unwrap(obj: dict[str, Any], *keys: str) -> list[dict[str, Any]] | None:
    """The records inside a wrapper object (``items``, ``bounces``…) when ``obj`` is one."""
    for key in keys:
        inner = obj.get(key)
        if isinstance(inner, list):
            return [normalise_keys(x) if isinstance(x, dict) else x for x in inner]
    return None


def note_skip(skipped: Counter | None, reason: str) -> None:
    if skipped is not None:
        skipped[reason] += 1


def record(
    row: int,
    email: Any,
    event_type: str,
    *,
    occurred_at: Any = None,
    campaign: Any = None,
    esp_event_id: Any = None,
    diagnostic: Any = None,
    reply_code: Any = None,
    enhanced_status: Any = None,
    remote_mta: Any = None,
    labels: dict[str, Any] | None = None,
    message_id: Any = None,
) -> Record | RowError:
    """A Record from loosely typed ESP values, or the RowError that explains why not.

    ``esp_event_id`` is the ESP's own per-event id where it has one; otherwise, given the ESP's
    ``message_id``, the record's identity is built from (message id, event type, recipient, time) —
    see ``event_identity``. An address the ESP reported that is not one is kept as given and the
    event stored as ``dropped`` with ``address_invalid`` (see ``_invalid_address``)."""
    address = clean_email(email)
    invalid = address is None or normalise_email(address) is None
    if invalid:
        address = _invalid_address(email)
        if address is None:
            shown = email[:80] if isinstance(email, str) else email
            return RowError(row, f"invalid email address {shown!r}")
    try:
        when = parse_timestamp(occurred_at) if occurred_at not in (None, "") else None
    except (ValueError, TypeError):
        return RowError(row, f"unreadable date {str(occurred_at)[:80]!r}")
    if invalid:
        # SendGrid drops a syntactically invalid address with reason "Invalid" (formats.md §1.2, the
        # dropped reasons): the ESP never sent, whatever the event said; the original type is kept.
        labels = {**(labels or {}), "address": "invalid"}
        if event_type != "dropped":
            labels.setdefault("event", event_type)
            event_type = "dropped"
    identity = _short(esp_event_id)
    if identity is None and _short(message_id):
        identity = event_identity(_short(message_id), event_type, address, when)
    esp_labels: dict[str, str] = {}
    if labels:
        for key, value in labels.items():
            if value is None or value == "":
                continue
            esp_labels[key] = value if type(value) is str and len(value) <= 200 else label(value)
    text = capped(diagnostic, esp_labels, "diagnostic") if not isinstance(diagnostic, (dict, list)) else None
    code = reply_code_from(reply_code)
    enhanced = split_reply(str(enhanced_status))[1] if enhanced_status not in (None, "") else None
    if text and (code is None or enhanced is None):
        parsed_code, parsed_enhanced = split_reply(text)
        code = code or parsed_code
        enhanced = enhanced or parsed_enhanced
    return Record(
        row=row,
        email=address,
        event_type=event_type,
        occurred_at=when,
        campaign=_short(campaign),
        esp_event_id=identity,
        reply_code=code,
        enhanced_status=enhanced,
        diagnostic=text,
        remote_mta=_short(remote_mta),
        esp_labels=esp_labels,
        address_invalid=invalid,
    )


def event_identity(message_id: str, event_type: str, email: str, when: datetime | None) -> str:
    """An event's identity when the ESP gives no per-event id: (ESP message id, stored event type,
    recipient, event time), never the message id alone (every event of one message shares it).

    Computed from parsed values (lower-cased address, UTC time to the second), so a webhook (epoch
    seconds) and an export of the same event (ISO text) give the same identity and count once.
    Capped at 200 characters (``Event.esp_event_id``): longer keys become a SHA-1."""
    moment = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
    key = f"{message_id.strip().strip('<>')}|{event_type}|{email.strip().lower()}|{moment}"
    if len(key) <= 200:
        return key
    return "sha1:" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def _invalid_address(value: Any) -> str | None:
    """The value as given when it can be shown and stored as an (invalid) address: text, one line,
    printable, not absurdly long; None when there is no address at all (a row error)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_EMAIL_CHARS or not text.isprintable():
        return None
    return text


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()[:255]
    return text or None


def first(obj: dict[str, Any], *keys: str) -> Any:
    """The first present, non-empty value among ``keys``."""
    for key in keys:
        value = obj.get(key)
        if value not in (None, ""):
            return value
    return None


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else nothing to iterate (hostile or odd JSON)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return normalise_keys(value) if isinstance(value, dict) else {}
