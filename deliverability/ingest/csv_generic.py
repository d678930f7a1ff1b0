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
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo

from . import values
from .records import MAPPABLE_FIELDS, EventType, Record, RowError, UnsupportedFormat
from .textio import CsvTable, Peeked, open_csv
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
# The same fields as Catalan and Spanish spreadsheets name them (the product's first clients are a Catalan
# agency's; their exports are often renamed by hand or come from localised tools), accents folded: after the
# English names, so a file with both keeps the English column.
for _field, _words in {
    "email": "correu correuelectronic adreca adrecaelectronica adrecadecorreu destinatari "
             "correo correoelectronico direccion direcciondecorreo destinatario",
    "event_type": "estat resultat esdeveniment estado resultado evento",
    "occurred_at": "datahora dataihora datadenviament fecha fechahora fechayhora fechadeenvio fechaenvio data hora",
    "campaign": "campanya nomdelacampanya nomcampanya campana nombredecampana nombrecampana",
    "reply_code": "codi codismtp codigo codigosmtp",
    "diagnostic": "resposta respostasmtp motiu missatge respuesta respuestasmtp motivo mensaje descripcion",
}.items():
    _ALIASES[_field] = (*_ALIASES[_field], *_words.split())
_ALIAS_RANK = {alias: (field, rank) for field, aliases in _ALIASES.items() for rank, alias in enumerate(aliases)}
_HEADER_PREFIXES = (("sentat", "occurred_at"), ("timestamp", "occurred_at"))

# Status vocabularies of ESPs and spreadsheets, normalised (lower case, letters and digits only).
STATUS_WORDS: dict[str, str] = {}
_ENGLISH_STATUS_WORDS = {
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
}
# The everyday Catalan and Spanish words for the same outcomes (a client's own spreadsheet, a localised export),
# accents folded. Not "enviat"/"enviado" (sent, which says nothing of delivery) nor a bare "error".
_CATALAN_SPANISH_STATUS_WORDS = {
    "delivered": "lliurat entregat entregado recibido",
    "bounce": "retornat rebotat rebuig rebutjat fallit rebotado rebote rechazado fallido devuelto",
    "deferred": "ajornat endarrerit diferit aplazado diferido retrasado demorado",
    "dropped": "noenviat descartat noenviado descartado",
    "open": "obert obertura abierto apertura",
    "click": "clic clicat clicado pulsado",
    "complaint": "queixa queja denunciadocomospam marcatcomaspam marcadocomospam",
    "unsubscribe": "baixa donatdebaixa desubscrit baja dadodebaja desuscrito",
}
for _vocabulary in (_ENGLISH_STATUS_WORDS, _CATALAN_SPANISH_STATUS_WORDS):
    for _event, _words in _vocabulary.items():
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
    """"Email Address", "email_address", "EMAIL-ADDRESS" → "emailaddress"; "Campaña" → "campana" (cached: keys repeat)."""
    found = _normalised.get(header)
    if found is None:
        # Accents folded (NFKD, combining marks dropped): "Campaña", "Adreça", "Código" as typed without them.
        found = "".join(ch for ch in unicodedata.normalize("NFKD", header.lower()) if ch.isalnum())
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


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None,
         status_values: dict[str, str] | None = None, day_first: bool = False, day_first_forced: bool = False,
         notes: dict | None = None, local_zone: tzinfo | None = None) -> Iterator[Record | RowError]:
    """``status_values``: the user's meaning of status cells we do not know ("zugestellt" → "delivered",
    "in Warteschlange" → "ignore"), case- and punctuation-insensitive; they win over our vocabulary.
    ``day_first``: how to read slash dates (02/11/2026) when the file's own values do not tell (see
    read_dates), or whatever they tell when ``day_first_forced`` (the user said so). ``local_zone``: where
    times that name no zone are (the user said they are local times); without it they are UTC. ``notes``:
    filled with how the times were read, for the upload's page."""
    table = open_csv(peeked, sample_rows=GUESS_ROWS)
    columns, labels = map_columns(table.header, mapping)
    columns = _guess_missing(columns, labels, table, mapping)
    _require(columns, table)
    slash = read_dates(table, columns.get("occurred_at"), day_first, notes if notes is not None else {},
                       forced=day_first_forced)
    local = _LocalTimes(local_zone, notes if notes is not None else {}) if local_zone is not None else None
    return _records(table, columns, labels, _user_statuses(status_values), skipped, slash, local)


# --- Dates: slash order and time zone, decided per file --------------------------------------------

DATE_SCAN_ROWS = 5_000  # rows whose time cells decide the file's slash order (kept, then read as usual)
DATE_SCAN_CHARS = 8_000_000  # …and no more characters than this (cells may be long: memory stays bounded)
_DATE_SCAN_ERRORS = 100
_SLASH_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)")


def read_dates(table: CsvTable, index: int | None, day_first: bool, notes: dict,
               forced: bool = False) -> _SlashDates | None:
    """How this file's time column is read. Its first rows (DATE_SCAN_ROWS, DATE_SCAN_CHARS) are read ahead
    and replayed: slash dates are read day first when a first number above 12 shows up (13/11/2026), month
    first when a second one does (11/13/2026), else by ``day_first`` (the organisation's convention), which
    ``forced`` makes win over the values (the user's choice). Returns the reader of slash-date cells (None
    without a time column); ``notes`` says what was decided (as soon as a slash date is met, in the scanned
    rows or later) and whether the scanned times name a zone (naive times are read as UTC)."""
    if index is None:
        return None
    head: list = []  # rows, and csv.Errors where the reader met them
    chars = errors = 0
    rows = table.rows
    while len(head) < DATE_SCAN_ROWS and chars < DATE_SCAN_CHARS:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # replayed in its place: the reader reports it as usual; the scan goes on
            head.append(exc)
            errors += 1
            if errors >= _DATE_SCAN_ERRORS:
                break
            continue
        head.append(row)
        chars += sum(map(len, row))
    table.rows = _Replay(head, rows)
    cells = [row[index] for row in head if type(row) is list and index < len(row) and row[index].strip()]
    order = slash_order(cells)
    decided = order in ("day_first", "month_first") and not forced
    first = order == "day_first" if decided else day_first
    slash = _SlashDates(values.DAY_FIRST_SLASH if first else values.MONTH_FIRST_SLASH, notes,
                        "user" if forced else "values" if decided else "default")
    for cell in cells:
        if "/" in cell and _SLASH_DATE.match(cell):
            slash.note(cell)
            break
    zones = [False if _SLASH_DATE.match(cell) else values.states_zone(cell) for cell in cells[:200]]
    if False in zones and True not in zones:
        notes["times_without_zone"] = True
    return slash


class _SlashDates:
    """Reads the time cells of one file that hold a slash (see read_dates) in the file's order."""

    def __init__(self, formats: tuple[str, ...], notes: dict, decided_by: str):
        self.formats, self.notes, self.decided_by = formats, notes, decided_by

    def note(self, cell: str) -> None:
        """The first slash date met: what was decided, with it as the example."""
        if "dates" not in self.notes:
            found = _SLASH_DATE.match(cell)
            self.notes["dates"] = {"order": "day_first" if self.formats is values.DAY_FIRST_SLASH else "month_first",
                                   "decided_by": self.decided_by, "example": found.group(0).strip() if found else ""}

    def __call__(self, cell: str) -> datetime | None:
        """A cell holding a "/": a slash date read in the file's order (naive: UTC), another shape through
        _event_time; _Refused for a slash date that does not fit the file's order."""
        text = cell.strip()
        if not _SLASH_DATE.match(text):
            return _event_time(cell)
        if "dates" not in self.notes:
            self.note(text)
        for fmt in self.formats:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        order = "day/month" if self.formats is values.DAY_FIRST_SLASH else "month/day"
        raise _Refused(f"unreadable date {text[:80]!r} (the file's dates are read {order}/year)")


def slash_order(cells: list[str]) -> str | None:
    """"day_first" or "month_first" when the slash dates among ``cells`` show it (a number above 12 on one
    side only), "unknown" when they do not (every number 12 or less, or both ways), None without any."""
    day = month = seen = 0
    for cell in cells:
        found = _SLASH_DATE.match(cell)
        if found is None:
            continue
        seen += 1
        first, second = int(found.group(1)), int(found.group(2))
        day += first > 12 >= second
        month += second > 12 >= first
    if not seen:
        return None
    if bool(day) != bool(month):
        return "day_first" if day else "month_first"
    return "unknown"


class _LocalTimes:
    """Times that name no zone read in the zone the user said they are in (see read): a time naming its zone, or
    epoch seconds, keeps its moment. One decision per distinct cell."""

    def __init__(self, zone: tzinfo, notes: dict):
        self.zone, self.notes = zone, notes
        self.seen: dict[str, datetime] = {}

    def __call__(self, cell: str, moment: datetime) -> datetime:
        found = self.seen.get(cell)
        if found is None:
            text = cell.strip()
            found = moment
            if _SLASH_DATE.match(text) or values.states_zone(text) is False:  # slash dates never name a zone
                found = values.wall_clock_in(moment, self.zone)
                self.notes["times_local"] = str(self.zone)
            if len(self.seen) >= 100_000:
                self.seen.clear()
            self.seen[cell] = found
        return found


class _Replay:
    """Rows read ahead (with the csv.Errors met among them, raised once each in their place), then the rest."""

    def __init__(self, head: list, rest: Iterator[list[str]]):
        self.head, self.rest = head, rest
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        if self.position < len(self.head):
            item = self.head[self.position]
            self.head[self.position] = None  # freed as it is read
            self.position += 1
            if type(item) is not list:
                raise item
            return item
        return next(self.rest)


# --- Columns found by their values ---------------------------------------------------------------

GUESS_ROWS = 20  # data rows read from the file's first 64 KB to recognise columns by their values
_SMTP_REPLY = re.compile(r"^\s*[245]\d\d(?:[ -]|$)|\b[245]\.\d{1,3}\.\d{1,3}\b")
_ENHANCED_ONLY = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def _share(cells: list[str], test: Callable[[str], bool]) -> float:
    """The share of non-blank ``cells`` that pass ``test`` (0 when all are blank)."""
    filled = [c.strip() for c in cells if c.strip()]
    return sum(1 for c in filled if test(c)) / len(filled) if filled else 0.0


def _is_address(cell: str) -> bool:
    return "@" in cell and clean_email(cell) is not None


def _is_known_status(cell: str) -> bool:
    return bool(_resolve_status(cell)[0])


def _is_time(cell: str) -> bool:
    if len(cell) < 8 or cell.isdigit() and len(cell) < 9:  # "550", "20261102" are not moments
        return False
    try:
        return parse_timestamp(cell) is not None
    except ValueError:
        return False


def _is_reply_code(cell: str) -> bool:
    return len(cell) == 3 and cell.isdigit() and 200 <= int(cell) <= 599


def _is_smtp_reply(cell: str) -> bool:
    return len(cell) > 8 and _SMTP_REPLY.search(cell) is not None


def _is_status_word(cell: str) -> bool:
    """A short word or two, not a number, address or time: a status in a language we do not read."""
    return len(cell) <= 40 and any(ch.isalpha() for ch in cell) and "@" not in cell and not _is_time(cell)


# Value tests, in the order a column is tried: the first field whose test most cells pass wins.
# The family: spreadsheet and CRM exports whose headers we do not know (a German "Kontakt" /
# "Ergebnis", an address column headed "Contact", issue 19), read by what their cells hold.
VALUE_TESTS: tuple[tuple[str, Callable[[str], bool], float], ...] = (
    ("email", _is_address, 0.8),
    ("enhanced_status", lambda c: _ENHANCED_ONLY.match(c) is not None, 0.9),
    ("reply_code", _is_reply_code, 0.9),
    ("diagnostic", _is_smtp_reply, 0.5),
    ("event_type", _is_known_status, 0.8),
    ("occurred_at", _is_time, 0.8),
)


def column_cells(rows: list[list[str]], index: int) -> list[str]:
    return [row[index] for row in rows if index < len(row)]


def guess_by_values(cells: list[str], fields: tuple[str, ...] | None = None) -> str | None:
    """The field a column's ``cells`` look like (see VALUE_TESTS), or None."""
    for field, test, share in VALUE_TESTS:
        if (fields is None or field in fields) and _share(cells, test) >= share:
            return field
    return None


def _guess_missing(columns: dict[str, int], labels: list[tuple[str, int]], table: CsvTable,
                   mapping: dict[str, str] | None) -> dict[str, int]:
    """The address and status columns a header did not name, found by their values (only in columns
    nobody mapped, named or labelled): a file that names them plainly imports without asking."""
    needed = [f for f in ("email", "event_type") if f not in columns]
    if not needed or not table.sample_rows:
        return columns
    if "event_type" in needed and columns.keys() & {"reply_code", "enhanced_status", "diagnostic"}:
        needed.remove("event_type")  # the reply tells what happened
    named = {normalise_header(c) for c in (mapping or {})} | set(mapping or {})
    taken = set(columns.values()) | {i for _, i in labels}
    found = dict(columns)
    for index, name in enumerate(table.header):
        if index in taken or name in named or normalise_header(name) in named:
            continue
        field = guess_by_values(column_cells(table.sample_rows, index), tuple(needed))
        if field and field not in found:
            found[field] = index
    return found


def _require(columns: dict[str, int], table: CsvTable) -> None:
    missing = []
    if "email" not in columns:
        missing.append("email")
    if not columns.keys() & {"event_type", "reply_code", "enhanced_status", "diagnostic"}:
        missing.append("event_type")
    if not missing:
        return
    shown = ", ".join(repr(h) for h in table.header[:20]) or "none"
    what = " and ".join({"email": "the email address", "event_type": "the status (what happened: delivered, bounced…)"}[m] for m in missing)
    raise ColumnMappingNeeded(
        f"This CSV file has no column we recognise as {what} (columns found: {shown}); "
        "say which column holds it and import again.",
        table.header,
        table.sample_rows,
        missing,
    )


class _Refused(Exception):
    """A row that cannot become a record; the message becomes its RowError."""


def _records(table: CsvTable, columns: dict[str, int], labels: list[tuple[str, int]],
             user_statuses: dict[str, str] | None = None, skipped: Counter | None = None,
             slash: _SlashDates | None = None, local: _LocalTimes | None = None) -> Iterator[Record | RowError]:
    """Each data row as a Record, or a RowError saying why it is not one; a blank line gives nothing.

    A line the csv module cannot read is a RowError too, and reading stops after _MAX_CSV_ERRORS of them.
    """
    read_row = _row_reader(columns, labels, user_statuses or {}, skipped, slash, len(table.header), table.delimiter,
                           local)
    row_number = 1  # the header
    unreadable = 0
    while True:
        first = row_number + 1
        try:
            for row_number, row in enumerate(table.rows, first):
                item = read_row(row_number, row)
                if item is not None:
                    yield item
            return
        except csv.Error as exc:
            row_number += 1
            unreadable += 1
            yield RowError(row_number, f"unreadable CSV row ({exc})")
            if unreadable >= _MAX_CSV_ERRORS:
                yield RowError(row_number, f"stopped after {_MAX_CSV_ERRORS:,} unreadable rows")
                return


def _row_reader(columns: dict[str, int], labels: list[tuple[str, int]], user_statuses: dict[str, str],
                skipped: Counter | None, slash: _SlashDates | None = None, header_cells: int | None = None,
                delimiter: str = ",", local: _LocalTimes | None = None,
                ) -> Callable[[int, list[str]], Record | RowError | None]:
    """The reader of one row of this file's layout (None for a blank line).

    Column positions and per-file caches are bound once, here. Per row, each cell costs a look-up
    or a slice in the common case, written inline because every Python call per row costs this
    reader about 2% of its speed (bench/bench_ingest_parse.py); the uncommon cases (an unusual
    address, a text not seen before, an over-long cell, separate reply-code columns, a time) go
    to the helpers below.
    """
    i_email = columns["email"]
    i_event = columns.get("event_type")
    i_diag = columns.get("diagnostic")
    i_time = columns.get("occurred_at")
    i_campaign = columns.get("campaign")
    i_id = columns.get("esp_event_id")
    i_mta = columns.get("remote_mta")
    i_code = columns.get("reply_code")
    i_enhanced = columns.get("enhanced_status")
    has_reply_columns = i_code is not None or i_enhanced is not None
    width = max([*columns.values(), *(i for _, i in labels)]) + 1
    header_cells = header_cells or width
    # A row with more filled cells than the header has columns holds the separator in a value that is not in
    # quotes (hand-made and naively written CSVs: "550 5.7.1 Service unavailable; client host blocked" in a
    # ;-separated file, "Nov 05, 2026" in a ,-separated one): every cell after it is shifted. When the value is
    # the reply text in the last column, the overflow is that text: joined back. Anywhere else the row is
    # refused with the reason, instead of being read shifted (a date in the status column, a reply cut short).
    rejoin_reply = i_diag is not None and i_diag == header_cells - 1
    known_reply = values.reply_lookup()  # the caches of split_reply and parse_timestamp, read inline
    known_timestamp = values.timestamp_lookup()
    statuses: dict[str, tuple[str, str | None, str | None]] = {}
    campaigns: dict[str, str | None] = {}
    make_record = _positional_record()
    max_cell = MAX_CELL_CHARS

    def read_row(row_number: int, row: list[str]) -> Record | RowError | None:
        if len(row) > header_cells and any(row[header_cells:]):
            if not rejoin_reply:
                return RowError(row_number, overflow_reason(len(row), header_cells, delimiter))
            row = [*row[:i_diag], delimiter.join(row[i_diag:])]
        if len(row) < width:
            if not any(row):
                return None  # blank line
            row = row + [""] * (width - len(row))  # trailing empty cells dropped by a spreadsheet
        esp_labels: dict[str, str] = {}
        reply_code = enhanced = diagnostic = occurred_at = campaign = None
        try:
            email = row[i_email]
            at = email.find("@")  # a plain address is taken as it is; anything unusual goes through clean_email
            if at < 1 or email[-1] == "@" or " " in email or len(email) > 320 or not email.isprintable() or email[0] == "<":
                email = _unusual_address(email, row)
                if email is None:
                    return None  # blank line
            if has_reply_columns:
                reply_code, enhanced = _reply_columns(row, i_code, i_enhanced, None, None)
            if i_diag is not None and row[i_diag]:
                diagnostic = row[i_diag]
                if len(diagnostic) > max_cell:
                    diagnostic = _cut(diagnostic, esp_labels)
                # The reply columns win over what the diagnostic says: read it only for what they lack
                # (an export with both columns filled gives every row its own reply text: no regex per row).
                if reply_code is None or enhanced is None:
                    found_code, found_enhanced = known_reply(diagnostic) or split_reply(diagnostic)
                    reply_code = reply_code if reply_code is not None else found_code
                    enhanced = enhanced if enhanced is not None else found_enhanced
            if i_event is None:
                event_type = _event_from_reply(reply_code, enhanced)
            else:
                raw = row[i_event]
                event_type, label, status_enhanced = statuses.get(raw) or _learn_status(raw, statuses, user_statuses)
                if not event_type:
                    raise _Refused(f"unknown status {raw[:80]!r}")
                if label is not None:
                    if event_type == "ignore":  # the user said rows with this status are not ours to store
                        return _ignored(raw, skipped)
                    esp_labels["status"] = label
                if status_enhanced and not enhanced:
                    enhanced = status_enhanced
            if i_time is not None:
                cell = row[i_time]
                if cell:  # slash dates in the file's own order, never through parse_timestamp's shared cache
                    occurred_at = slash(cell) if slash is not None and "/" in cell else (
                        known_timestamp(cell) or _event_time(cell))
                    if local is not None and occurred_at is not None:
                        occurred_at = local(cell, occurred_at)
        except _Refused as refused:
            return RowError(row_number, str(refused))
        if i_campaign is not None:
            cell = row[i_campaign]
            campaign = campaigns.get(cell) or _learn_campaign(cell, campaigns)
        if labels:
            for name, index in labels:
                if row[index]:
                    esp_labels[name] = row[index][:200]
        return make_record(
            row_number, email, event_type, occurred_at, campaign,
            (row[i_id].strip()[:255] or None) if i_id is not None else None,
            reply_code, enhanced, diagnostic,
            (row[i_mta].strip()[:255] or None) if i_mta is not None else None,
            esp_labels,
        )

    return read_row


def overflow_reason(cells: int, header_cells: int, delimiter: str) -> str:
    """Why a row with more filled cells than its header is not read (see _row_reader)."""
    shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "vertical bar"}.get(delimiter, repr(delimiter))
    return (f"this row has {cells} cells where the header has {header_cells}: a value holding a {shown} without "
            f"quotes around it shifts the cells after it; put that value in double quotes")


def _ignored(raw: str, skipped: Counter | None) -> None:
    if skipped is not None:
        skipped[f"status {raw.strip()[:60]!r} (not imported, as mapped)"] += 1
    return None


def _unusual_address(raw: str, row: list[str]) -> str | None:
    """An address cell that needs clean_email; None on a blank line; _Refused when it is not an address."""
    email = clean_email(raw)
    if email is None:
        if not raw.strip() and not any(row):
            return None
        raise _Refused(f"invalid email address {raw[:80]!r}")
    return email


def _cut(diagnostic: str, esp_labels: dict[str, str]) -> str:
    """An over-long diagnostic cut to MAX_CELL_CHARS; the record says so."""
    esp_labels["truncated"] = f"diagnostic cut from {len(diagnostic):,} to {MAX_CELL_CHARS:,} characters"
    return diagnostic[:MAX_CELL_CHARS]


def _reply_columns(row: list[str], i_code: int | None, i_enhanced: int | None, reply_code: int | None,
                   enhanced: str | None) -> tuple[int | None, str | None]:
    """(reply code, enhanced status) where the file gives them in their own columns: those win over
    what the diagnostic says."""
    if i_code is not None and row[i_code]:
        reply_code = reply_code_from(row[i_code]) or reply_code
    if i_enhanced is not None:
        cell = row[i_enhanced].strip()
        if cell:
            enhanced = split_reply(cell)[1] or enhanced
    return reply_code, enhanced


def _event_from_reply(reply_code: int | None, enhanced: str | None) -> str:
    """The event of a file without a status column: the class of the reply; _Refused without one."""
    event_type = _event_from_codes(reply_code, enhanced)
    if event_type is None:
        raise _Refused("no status column and no SMTP reply code to tell what happened")
    return event_type


def _learn_status(raw: str, statuses: dict[str, tuple[str, str | None, str | None]],
                  user_statuses: dict[str, str] | None = None) -> tuple[str, str | None, str | None]:
    """A status cell not seen before in this file: the user's meaning of it, else resolved (see
    _resolve_status); remembered."""
    mapped = user_statuses.get(normalise_header(raw)) if user_statuses else None
    status = (mapped, raw.strip()[:200] or None, None) if mapped else _resolve_status(raw)
    if len(statuses) < 10_000:
        statuses[raw] = status
    return status


def _learn_campaign(cell: str, campaigns: dict[str, str | None]) -> str | None:
    """A campaign cell not seen before in this file: trimmed, capped, remembered."""
    campaign = cell.strip()[:255] or None
    if len(campaigns) < 10_000:
        campaigns[cell] = campaign
    return campaign


def _event_time(cell: str) -> datetime | None:
    """A time cell not in parse_timestamp's cache: the common ISO shape with Z read directly (a cache
    of times to the second would only grow), anything else through parse_timestamp; _Refused when
    unreadable."""
    if len(cell) == 20 and cell[19] == "Z" and cell[10] == "T":  # 2026-09-01T08:15:07Z
        try:
            return datetime.fromisoformat(cell)
        except ValueError:
            pass
    try:
        return parse_timestamp(cell)
    except ValueError:
        raise _Refused(f"unreadable date {cell[:80]!r}") from None


_RECORD_ORDER = ("row", "email", "event_type", "occurred_at", "campaign", "esp_event_id", "reply_code",
                 "enhanced_status", "diagnostic", "remote_mta", "esp_labels")


def _positional_record():
    """Record's constructor called positionally (twice as fast as keywords on the hot path), or a
    keyword adapter if someone reorders Record's fields."""
    if tuple(f.name for f in dataclasses.fields(Record))[: len(_RECORD_ORDER)] == _RECORD_ORDER:
        return Record
    return lambda *args: Record(**dict(zip(_RECORD_ORDER, args, strict=True)))


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


STATUS_CHOICES = (*(kind.value for kind in EventType), "ignore")  # what a user may say a status value means


def _user_statuses(status_values: dict[str, str] | None) -> dict[str, str]:
    """The user's status meanings keyed as cells are compared (normalised); UnsupportedFormat on a
    meaning that is not an event type or "ignore"."""
    found: dict[str, str] = {}
    for value, meaning in (status_values or {}).items():
        meaning = meaning.strip().lower()
        if meaning not in STATUS_CHOICES:
            raise UnsupportedFormat(f"Unknown meaning {meaning!r} for the status {value!r}; use one of: "
                                    f"{', '.join(STATUS_CHOICES)}.")
        key = normalise_header(value)
        if key:
            found[key] = meaning
    return found


def _event_from_codes(reply_code: int | None, enhanced: str | None) -> str | None:
    klass = enhanced[0] if enhanced else (str(reply_code)[0] if reply_code else None)
    return {"2": "delivered", "4": "deferred", "5": "bounce"}.get(klass or "")


# --- The mapping page's view of a file ------------------------------------------------------------

MAX_DISTINCT = 50  # distinct values kept per column (a status column has a handful)


@dataclasses.dataclass
class ColumnSurvey:
    index: int
    header: str
    first_values: list[str]  # the first non-blank cells, capped
    guess: str  # the field we would read it as ("ignore": none)
    distinct: list[tuple[str, int]]  # (value, rows) by frequency, when the column has few values


@dataclasses.dataclass
class Survey:
    columns: list[ColumnSurvey]
    rows_scanned: int
    complete: bool  # every row of the file was scanned
    mapping: dict[str, str]  # header → field, as the file will be read (the user's, else our guess)
    status_index: int | None  # the column read as the status
    # (value, rows, meaning): meaning is the user's, else our reading of a known word, else None (to ask).
    status_values: list[tuple[str, int, str | None]]


def guess_mapping(header: list[str], rows: list[list[str]]) -> dict[str, str]:
    """header → field for every column: by its name (map_columns), else by its values (VALUE_TESTS),
    else a column of a few repeated words is the status when nothing else is; the rest "ignore".
    No field twice, except the ESP's own labels."""
    columns, labels = map_columns(header)
    by_index = {index: field for field, index in columns.items()} | {index: "esp_label" for _, index in labels}
    used = set(columns)
    for index in range(len(header)):
        if index in by_index:
            continue
        cells = column_cells(rows, index)
        field = guess_by_values(cells, tuple(f for f, _, _ in VALUE_TESTS if f not in used))
        if field:
            by_index[index] = field
            used.add(field)
    if "event_type" not in used:
        # A status in words we do not know ("zugestellt", "unzustellbar"): a column of two to twelve
        # short words repeated over the rows; the user says what each means (preferred to reading
        # the event from the reply code: the file's own status is what its sender saw).
        for index in range(len(header)):
            cells = [c.strip() for c in column_cells(rows, index) if c.strip()]
            distinct = len(set(cells))
            if index not in by_index and _share(cells, _is_status_word) == 1.0 \
                    and 2 <= distinct <= min(12, len(cells) // 2 + 1) and distinct < len(cells):
                by_index[index] = "event_type"
                break
    return {name: by_index.get(index, "ignore") for index, name in enumerate(header)}


def survey(peeked: Peeked, mapping: dict[str, str] | None = None, status_values: dict[str, str] | None = None,
           max_rows: int = 20_000) -> Survey:
    """The columns of a CSV file, what we would read each as, and the values of its status column
    (the first ``max_rows`` rows), for the page where the user maps columns and status values."""
    table = open_csv(peeked, sample_rows=0)
    header = table.header
    rows: list[list[str]] = []
    counts: list[Counter] = [Counter() for _ in header]
    many = [False] * len(header)  # the column has more than MAX_DISTINCT values
    scanned = 0
    complete = True
    try:
        for row in table.rows:
            if not any(row):
                continue
            if scanned >= max_rows:
                complete = False
                break
            scanned += 1
            if len(rows) < 200:
                rows.append([cell[:200] for cell in row[:len(header)]])
            for index, cell in enumerate(row[:len(header)]):
                if many[index]:
                    continue
                cell = cell.strip()[:200]
                if cell:
                    counts[index][cell] += 1
                    if len(counts[index]) > MAX_DISTINCT:
                        many[index] = True
                        counts[index].clear()
    except csv.Error:
        complete = False
    guessed = guess_mapping(header, rows)
    chosen = {name: _field_name(field) if field != "ignore" else "ignore"
              for name, field in (mapping or {}).items() if name in header}
    effective = {name: chosen.get(name, "ignore") for name in header} if chosen else guessed
    status_index = next((i for i, name in enumerate(header) if effective.get(name) == "event_type"), None)
    user = _user_statuses(status_values)
    status_rows: list[tuple[str, int, str | None]] = []
    if status_index is not None:
        for value, n in counts[status_index].most_common():
            meaning = user.get(normalise_header(value)) or _resolve_status(value)[0] or None
            status_rows.append((value, n, meaning))
    columns = [
        ColumnSurvey(index, name or f"column {index + 1}",
                     [r[index] for r in rows if index < len(r) and r[index].strip()][:3],
                     guessed[name], [] if many[index] else counts[index].most_common(8))
        for index, name in enumerate(header)
    ]
    return Survey(columns, scanned, complete, effective, status_index, status_rows)
