"""Generic "campaign results" CSV → canonical records.

Columns are recognised by name, case- and punctuation-insensitively ("Email Address",
"email_address" and "EMAIL-ADDRESS" are the same column); ``mapping`` overrides. The SMTP reply
may come as one string ("550 5.1.1 user unknown") or split into reply code / enhanced status /
diagnostic columns. When the email or the status column cannot be found, ``ColumnMappingNeeded``
carries the headers and first rows so the upload page can ask the user.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
Speed: this runs once per row of million-row files, so the loop does dictionary look-ups and
slicing only; timestamps and SMTP replies are parsed once per distinct value (see ``values``).
"""
from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from datetime import datetime
from typing import Iterator

from .records import MAPPABLE_FIELDS, Record, RowError, UnsupportedFormat
from .textio import CsvTable, Peeked, open_csv
from . import values
from .values import MAX_CELL_CHARS, clean_email, parse_timestamp, reply_code_from, split_reply

# Fields a column can be mapped to (the values of ``mapping``): records.MAPPABLE_FIELDS.
FIELDS = MAPPABLE_FIELDS
_FIELD_SYNONYMS = {
    # A one-string SMTP response and a diagnostic are read the same way: the reply code and
    # enhanced status are parsed out of the text when no separate column gives them.
    "smtp_response": "diagnostic",
    "label": "esp_label",
    "status": "event_type",
    "event": "event_type",
    "timestamp": "occurred_at",
    "time": "occurred_at",
    "date": "occurred_at",
    "response": "diagnostic",
    "campaign_name": "campaign",
    "event_id": "esp_event_id",
    "smtp_code": "reply_code",
    "enhanced_code": "enhanced_status",
    "mx_host": "remote_mta",
}

# Normalised header → field, in order of preference when a file has several candidates.
_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "recipient", "rcpt", "rcptto", "recipientemail",
              "recipientaddress", "emailaddr", "address", "toaddress", "to", "subscriberemail",
              "contactemail", "mail"),
    "event_type": ("event", "eventtype", "status", "action", "deliverystatus", "result", "outcome",
                   "eventname", "activity", "state"),
    "occurred_at": ("timestamp", "eventtime", "occurredat", "time", "datetime", "date", "eventdate",
                    "createdat", "created", "sentat", "senttime", "sentdate", "bouncedat",
                    "timelogged", "processed"),
    "campaign": ("campaign", "campaignname", "campaigntitle", "emailcampaign", "mailing",
                 "mailingname", "campaignid"),
    "esp_event_id": ("eventid", "sgeventid", "espeventid", "messageeventid", "eventuuid"),
    "reply_code": ("replycode", "smtpcode", "smtpreplycode", "responsecode", "code", "statuscode"),
    "enhanced_status": ("enhancedstatus", "enhancedcode", "enhancedstatuscode", "dsnstatus",
                        "smtpstatus", "extendedcode"),
    "diagnostic": ("diagnostic", "diagnosticcode", "diagnostictext", "smtpresponse", "response",
                   "smtpmessage", "dsndiag", "bouncereason", "reason", "error", "errormessage",
                   "bouncemessage", "failurereason", "message", "description", "details"),
    "remote_mta": ("remotemta", "mxhost", "mxserver", "mx", "remotehost", "dsnmta", "remotemtaip",
                   "remoteip"),
    "esp_label": ("type", "bouncetype", "espbouncetype", "bounceclassification", "bounceclass",
              "bouncecategory", "category", "severity", "bouncecat", "classification",
              "bouncesubtype", "subtype", "esp", "provider", "sendingip"),
}
_ALIAS_RANK = {alias: (field, rank) for field, aliases in _ALIASES.items() for rank, alias in enumerate(aliases)}
_HEADER_PREFIXES = (("sentat", "occurred_at"), ("timestamp", "occurred_at"))

# Status vocabularies of ESPs and spreadsheets, normalised (lower case, letters and digits only).
STATUS_WORDS: dict[str, str] = {}
for _event, _words in {
    "delivered": "delivered delivery deliver success successful succeeded relayed",
    "bounce": "bounce bounced bounces failed failure fail hardbounce softbounce hard soft blocked "
              "block rejected reject undeliverable hardfail permanentfailure permanent",
    "deferred": "deferred deferral defer delayed delay deliverydelay transient softfail retry "
                "temporaryfailure temporary",
    "dropped": "dropped drop notsent",
    "suppressed": "suppressed suppress suppression suppressbounce",
    "open": "open opened opens",
    "click": "click clicked clicks",
    "complaint": "complaint complaints complained spamreport spamreported spam abuse spamcomplaint fbl",
    "unsubscribe": "unsubscribe unsubscribed unsub optout optedout groupunsubscribe listunsubscribe",
}.items():
    for _word in _words.split():
        STATUS_WORDS[_word] = _event

_MAX_CSV_ERRORS = 10_000
_UNKNOWN = ("", None, None)


class ColumnMappingNeeded(UnsupportedFormat):
    """A required column has no recognisable header; the user must say which column it is."""

    def __init__(self, message: str, headers: list[str], rows: list[list[str]], missing: list[str]):
        super().__init__(message)
        self.headers = headers
        self.sample = rows  # the first data rows, cells capped, for the mapping page
        self.rows = rows
        self.missing = missing


_normalised: dict[str, str] = {}


def normalise_header(header: str) -> str:
    """"Email Address", "email_address", "EMAIL-ADDRESS" → "emailaddress" (cached: keys repeat)."""
    found = _normalised.get(header)
    if found is None:
        found = "".join(ch for ch in header.lower() if ch.isalnum())
        if len(_normalised) < 50_000:
            _normalised[header] = found
    return found


def _field_name(value: str) -> str:
    field = _FIELD_SYNONYMS.get(value.strip().lower(), value.strip().lower())
    if field not in FIELDS and field != "diagnostic":
        raise UnsupportedFormat(
            f"Unknown field {value!r} in the column mapping; use one of: {', '.join(FIELDS)}."
        )
    return field


def map_columns(header: list[str], mapping: dict[str, str] | None = None) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """(field → column index, [(label name, column index)]) for a header row."""
    overrides: dict[str, str] = {}
    for column, field in (mapping or {}).items():
        overrides[column] = _field_name(field)
        overrides[normalise_header(column)] = overrides[column]
    chosen: dict[str, tuple[int, int]] = {}  # field → (rank, index)
    labels: list[tuple[str, int]] = []
    for index, name in enumerate(header):
        key = normalise_header(name)
        field = overrides.get(name) or overrides.get(key)
        rank = -1  # an explicit mapping beats any alias
        if field is None:
            found = _ALIAS_RANK.get(key)
            if found is None:
                found = next(((f, 99) for prefix, f in _HEADER_PREFIXES if key.startswith(prefix)), None)
            if found is None:
                continue
            field, rank = found
        if field == "ignore":
            continue
        if field == "esp_label":
            labels.append((name or f"column {index + 1}", index))
            continue
        if field not in chosen or rank < chosen[field][0]:
            chosen[field] = (rank, index)
    return {field: index for field, (_, index) in chosen.items()}, labels


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    table = open_csv(peeked)
    columns, labels = map_columns(table.header, mapping)
    _require(columns, table)
    return _records(table, columns, labels)


def _require(columns: dict[str, int], table: CsvTable) -> None:
    missing = []
    if "email" not in columns:
        missing.append("email")
    if not columns.keys() & {"event_type", "reply_code", "enhanced_status", "diagnostic"}:
        missing.append("event_type")
    if not missing:
        return
    shown = ", ".join(repr(h) for h in table.header[:20]) or "none"
    what = " and ".join({"email": "the email address", "event_type": "the status (event)"}[m] for m in missing)
    raise ColumnMappingNeeded(
        f"This CSV file has no column we recognise as {what} (columns found: {shown}); "
        "say which column holds it and import again.",
        table.header,
        table.sample_rows,
        missing,
    )


def _records(table: CsvTable, columns: dict[str, int], labels: list[tuple[str, int]]) -> Iterator[Record | RowError]:
    i_email = columns["email"]
    i_event = columns.get("event_type")
    i_time = columns.get("occurred_at")
    i_campaign = columns.get("campaign")
    i_id = columns.get("esp_event_id")
    i_code = columns.get("reply_code")
    i_enhanced = columns.get("enhanced_status")
    i_diag = columns.get("diagnostic")
    i_mta = columns.get("remote_mta")
    width = max([*columns.values(), *(i for _, i in labels)]) + 1
    status_cache: dict[str, tuple[str, str | None, str | None]] = {}
    campaign_cache: dict[str, str | None] = {}
    time_cache = values._timestamp_cache  # parse_timestamp fills it; reading it inline saves a call
    reply_cache = values._reply_cache
    make_record = _positional_record()
    from_iso = datetime.fromisoformat  # the ISO shape with Z: aware, UTC; a cache would only grow
    max_cell = MAX_CELL_CHARS

    row_number = 1  # the header
    csv_errors = 0
    reader = table.rows
    while True:
        try:
            for row in reader:
                row_number += 1
                if len(row) < width:
                    if not any(row):
                        continue  # blank line
                    row = row + [""] * (width - len(row))  # trailing empty cells dropped by a spreadsheet
                raw_email = row[i_email]
                # Fast path for the plain address; anything unusual goes through clean_email.
                at = raw_email.find("@")
                if 0 < at and raw_email[-1] != "@" and " " not in raw_email and len(raw_email) <= 320 \
                        and raw_email.isprintable() and raw_email[0] != "<":
                    email = raw_email
                else:
                    email = clean_email(raw_email)
                    if email is None:
                        if not raw_email.strip() and not any(row):
                            continue
                        yield RowError(row_number, f"invalid email address {raw_email[:80]!r}")
                        continue

                esp_labels: dict[str, str] = {}
                reply_code = enhanced = diagnostic = None
                if i_diag is not None:
                    diagnostic = row[i_diag]
                    if diagnostic:
                        if len(diagnostic) > max_cell:
                            esp_labels["truncated"] = (
                                f"diagnostic cut from {len(diagnostic):,} to {max_cell:,} characters")
                            diagnostic = diagnostic[:max_cell]
                        parsed = reply_cache.get(diagnostic)
                        reply_code, enhanced = parsed if parsed is not None else split_reply(diagnostic)
                    else:
                        diagnostic = None
                if i_code is not None and row[i_code]:
                    reply_code = reply_code_from(row[i_code]) or reply_code
                if i_enhanced is not None:
                    cell = row[i_enhanced].strip()
                    if cell:
                        enhanced = split_reply(cell)[1] or enhanced

                if i_event is not None:
                    raw_status = row[i_event]
                    status = status_cache.get(raw_status)
                    if status is None:
                        status = _resolve_status(raw_status)
                        if len(status_cache) < 10_000:
                            status_cache[raw_status] = status
                    event_type, status_label, status_enhanced = status
                    if not event_type:
                        yield RowError(row_number, f"unknown status {raw_status[:80]!r}")
                        continue
                    if status_label is not None:
                        esp_labels["status"] = status_label
                    if status_enhanced and not enhanced:
                        enhanced = status_enhanced
                else:
                    event_type = _event_from_codes(reply_code, enhanced)
                    if event_type is None:
                        yield RowError(row_number, "no status column and no SMTP reply code to tell what happened")
                        continue

                occurred_at = None
                if i_time is not None:
                    cell = row[i_time]
                    if cell:
                        occurred_at = None
                        if len(cell) == 20 and cell[19] == "Z" and cell[10] == "T":  # 2026-09-01T08:15:07Z
                            try:
                                occurred_at = from_iso(cell)
                            except ValueError:
                                pass
                        if occurred_at is None:
                            occurred_at = time_cache.get(cell)
                        if occurred_at is None:
                            try:
                                occurred_at = parse_timestamp(cell)
                            except ValueError:
                                yield RowError(row_number, f"unreadable date {cell[:80]!r}")
                                continue
                campaign = None
                if i_campaign is not None:
                    cell = row[i_campaign]
                    campaign = campaign_cache.get(cell)
                    if campaign is None:
                        campaign = cell.strip()[:255] or None
                        if len(campaign_cache) < 10_000:
                            campaign_cache[cell] = campaign
                for name, index in labels:
                    if row[index]:
                        esp_labels[name] = row[index][:200]

                yield make_record(
                    row_number,
                    email,
                    event_type,
                    occurred_at,
                    campaign,
                    (row[i_id].strip()[:255] or None) if i_id is not None else None,
                    reply_code,
                    enhanced,
                    diagnostic,
                    (row[i_mta].strip()[:255] or None) if i_mta is not None else None,
                    esp_labels,
                )
            return
        except csv.Error as exc:
            row_number += 1
            csv_errors += 1
            yield RowError(row_number, f"unreadable CSV row ({exc})")
            if csv_errors >= _MAX_CSV_ERRORS:
                yield RowError(row_number, f"stopped after {_MAX_CSV_ERRORS:,} unreadable rows")
                return


_RECORD_ORDER = ("row", "email", "event_type", "occurred_at", "campaign", "esp_event_id", "reply_code",
                 "enhanced_status", "diagnostic", "remote_mta", "esp_labels")


def _positional_record():
    """Record's constructor called positionally (twice as fast as keywords on the hot path), or a
    keyword adapter if someone reorders Record's fields."""
    if tuple(f.name for f in dataclasses.fields(Record))[: len(_RECORD_ORDER)] == _RECORD_ORDER:
        return Record
    return lambda *args: Record(**dict(zip(_RECORD_ORDER, args)))


def _resolve_status(raw: str) -> tuple[str, str | None, str | None]:
    """(event type, raw label to keep or None, enhanced status) for one status cell; ("", …) if unknown."""
    text = raw.strip()
    if not text or len(text) > 64:
        return _UNKNOWN
    key = normalise_header(text)
    event_type = STATUS_WORDS.get(key)
    if event_type is not None:
        return event_type, (None if key == event_type else text), None
    # A DSN-style status column holding the enhanced code itself ("5.1.1").
    _, enhanced = split_reply(text)
    if enhanced and enhanced == text:
        return _event_from_codes(None, enhanced) or "", None, enhanced
    return _UNKNOWN


def _event_from_codes(reply_code: int | None, enhanced: str | None) -> str | None:
    klass = enhanced[0] if enhanced else (str(reply_code)[0] if reply_code else None)
    return {"2": "delivered", "4": "deferred", "5": "bounce"}.get(klass or "")
