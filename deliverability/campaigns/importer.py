"""The import pipeline: canonical records → the event store, in batches, at COPY speed.

Readers (deliverability.ingest) stream records; this module normalises them, classifies
each distinct diagnostic once (the engine caches by everything its decision reads),
resolves campaigns, recipients and diagnostics through per-import dictionaries, and writes
events with PostgreSQL COPY (executemany on SQLite). Each batch commits, so progress is
visible; pages only show uploads that finished, and a re-run first removes what an
interrupted run of the same upload left, so counts are exact whatever happened before.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Iterator

from django.db import connection, transaction

from deliverability.accounts.models import Organization
from deliverability.bounces import classify
from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.ingest.records import EVENT_TYPES, Record, RowError

log = logging.getLogger(__name__)

BATCH_SIZE = 50_000
MAX_ROW_ERRORS_KEPT = 100
# Only these event types carry a receiving server's answer worth classifying.
_CLASSIFIED_TYPES = frozenset({"bounce", "deferred", "dropped", "suppressed", "complaint"})
_EVENT_TYPES = frozenset(EVENT_TYPES)
_EVENT_COLUMNS = (
    "organization_id", "campaign_id", "recipient_id", "upload_id", "esp_event_id", "type",
    "occurred_at", "week", "domain", "reply_code", "enhanced_status", "diagnostic_id",
    "remote_mta", "esp_labels", "category", "signature", "bounce_vendor", "hard",
)
MAX_DIAGNOSTIC_CHARS = 4000
MAX_FIELD_CHARS = 250
_CACHE_LIMIT = 2_000_000


def normalise_email(raw: str) -> tuple[str, str] | None:
    """'  John.Doe@Example.COM ' → ('john.doe@example.com', 'example.com'), or None if not an address."""
    email = raw.strip().strip("<>").lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        return None
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        email = f"{local}@{domain}"
    return email, domain


def monday_of(moment: datetime | None, tz) -> date | None:
    if moment is None:
        return None
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def _clip(text: str | None, limit: int) -> str:
    if not text:
        return ""
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[:limit]


@dataclass
class ImportResult:
    rows: int = 0
    events: int = 0
    skipped: int = 0
    duplicates: int = 0
    row_errors: list[tuple[int, str]] = field(default_factory=list)
    events_by_type: Counter = field(default_factory=Counter)
    campaigns: dict[str, int] = field(default_factory=dict)  # name → id
    new_recipients: int = 0
    domains: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def add_error(self, row: int, message: str) -> None:
        self.skipped += 1
        if len(self.row_errors) < MAX_ROW_ERRORS_KEPT:
            self.row_errors.append((row, message))

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "events": self.events,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "events_by_type": dict(sorted(self.events_by_type.items())),
            "campaigns": sorted(self.campaigns),
            "new_recipients": self.new_recipients,
            "domains": len(self.domains),
            "seconds": round(self.seconds, 2),
        }


class _Lookups:
    """Per-import dictionaries from natural keys to ids, filled in bulk per batch."""

    def __init__(self, org: Organization, default_campaign: Campaign | None):
        self.org = org
        self.default_campaign = default_campaign
        self.campaigns: dict[str, int] = {}
        self.recipients: dict[str, int] = {}
        self.diagnostics: dict[str, int] = {}  # text → id
        # Raw values repeat across rows (an address appears once per event): remember their readings.
        self.email_cache: dict[str, tuple[str, str]] = {}
        self.campaign_cache: dict[str | None, int] = {}
        self.week_cache: dict[int, date] = {}

    def campaign_id(self, name: str | None, esp: str) -> int | None:
        if not name:
            if self.default_campaign is None:
                return None
            name = self.default_campaign.name
        name = _clip(name.strip(), 300)
        found = self.campaigns.get(name)
        if found is None:
            campaign, _ = Campaign.objects.get_or_create(
                organization=self.org, name=name, defaults={"esp": esp[:40]}
            )
            found = self.campaigns[name] = campaign.id
        return found

    def resolve_recipients(self, pairs: dict[str, str], result: ImportResult) -> None:
        missing = [email for email in pairs if email not in self.recipients]
        if not missing:
            return
        ids, created = _get_or_create_ids(
            "campaigns_recipient", "email", [(email, pairs[email]) for email in missing],
            extra_column="domain", org_id=self.org.id,
        )
        self.recipients.update(ids)
        result.new_recipients += created

    def resolve_diagnostics(self, texts: set[str]) -> None:
        missing = {hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest(): t for t in texts if t not in self.diagnostics}
        if not missing:
            return
        ids, _ = _get_or_create_ids("campaigns_diagnostic", "sha1", list(missing.items()), extra_column="text")
        for sha1, pk in ids.items():
            self.diagnostics[missing[sha1]] = pk


def _get_or_create_ids(
    table: str, key_column: str, rows: list[tuple[str, str]], *, extra_column: str, org_id: int | None = None,
) -> tuple[dict[str, int], int]:
    """Ids for (key, extra) rows, inserting the keys not stored yet; returns (key → id, how many were new).

    PostgreSQL: one statement per batch (arrays unnested, insert-or-skip, then the existing ids);
    SQLite: INSERT OR IGNORE and chunked look-ups.
    """
    keys = [row[0] for row in rows]
    extras = [row[1] for row in rows]
    scope = "organization_id, " if org_id is not None else ""
    scope_value = [org_id] if org_id is not None else []
    scope_filter = f"AND t.organization_id = {int(org_id)}" if org_id is not None else ""
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Most keys of a new upload are new: insert-or-skip returns their ids; only the
            # keys that already existed are looked up afterwards.
            cursor.execute(
                f"INSERT INTO {table} ({scope}{key_column}, {extra_column}) "
                f"SELECT {'%s, ' if org_id is not None else ''}k, x FROM unnest(%s::text[], %s::text[]) AS input(k, x) "
                f"ON CONFLICT DO NOTHING RETURNING {key_column}, id",
                [*scope_value, keys, extras],
            )
            found.update(cursor.fetchall())
            created = len(found)
            existing = [key for key in keys if key not in found]
            if existing:
                cursor.execute(
                    f"SELECT {key_column}, id FROM {table} t WHERE {key_column} = ANY(%s) {scope_filter}", [existing]
                )
                found.update(cursor.fetchall())
            return found, created
        placeholders = ", ".join(["%s"] * (3 if org_id is not None else 2))
        before = connection.connection.total_changes
        cursor.executemany(
            f"INSERT OR IGNORE INTO {table} ({scope}{key_column}, {extra_column}) VALUES ({placeholders})",
            [(*scope_value, key, extra) for key, extra in rows],
        )
        created = connection.connection.total_changes - before
        for chunk in _chunks(keys, 900):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {key_column}, id FROM {table} t WHERE {key_column} IN ({marks}) {scope_filter}", chunk
            )
            found.update(cursor.fetchall())
    return found, created


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_ESP_ID = _EVENT_COLUMNS.index("esp_event_id")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _esc(text: str) -> str:
    """A text value in PostgreSQL's COPY text format (backslash, tab and line breaks escaped)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _copy_line(row: tuple) -> str:
    """One event row as a COPY text line. Building it here, column by column with the types the
    importer guarantees, is several times faster than psycopg's per-value adapters."""
    (org, campaign, recipient, upload, esp_id, type_, moment, week, domain, code, status, diagnostic,
     mta, labels, category, signature, vendor, hard) = row
    return (
        f"{org}\t{campaign}\t{recipient}\t{upload}\t{_NULL if esp_id is None else _esc(esp_id)}\t{type_}\t"
        f"{_NULL if moment is None else moment.isoformat()}\t{_NULL if week is None else week.isoformat()}\t"
        f"{_esc(domain)}\t{_NULL if code is None else code}\t{_esc(status)}\t"
        f"{_NULL if diagnostic is None else diagnostic}\t{_esc(mta)}\t{_esc(labels)}\t"
        f"{category}\t{signature}\t{vendor}\t{_NULL if hard is None else ('t' if hard else 'f')}\n"
    )


_NULL = "\\N"


def _write_events(rows: list[tuple]) -> int:
    """Write event rows; returns how many were new (an ESP event id already stored is skipped)."""
    if not rows:
        return 0
    cols = ", ".join(_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            placeholders = ", ".join(["%s"] * len(_EVENT_COLUMNS))
            before = connection.connection.total_changes
            cursor.executemany(f"INSERT OR IGNORE INTO campaigns_event ({cols}) VALUES ({placeholders})", rows)
            return connection.connection.total_changes - before
        plain = [row for row in rows if row[_ESP_ID] is None]
        keyed = [row for row in rows if row[_ESP_ID] is not None] if len(plain) < len(rows) else []
        if plain:
            with cursor.cursor.copy(f"COPY campaigns_event ({cols}) FROM STDIN") as copy:
                copy.write("".join(map(_copy_line, plain)).encode("utf-8", "surrogatepass"))
        written = len(plain)
        if keyed:
            # ESP event ids repeat across overlapping exports: stage, then insert only what is new.
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS event_staging ON COMMIT DELETE ROWS "
                f"AS SELECT {cols} FROM campaigns_event WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY event_staging ({cols}) FROM STDIN") as copy:
                copy.write("".join(map(_copy_line, keyed)).encode("utf-8", "surrogatepass"))
            cursor.execute(
                f"INSERT INTO campaigns_event ({cols}) SELECT DISTINCT ON (esp_event_id) {cols} FROM event_staging "
                "ON CONFLICT (organization_id, esp_event_id) WHERE esp_event_id IS NOT NULL DO NOTHING"
            )
            written += cursor.rowcount
        return written


def import_records(
    upload: Upload,
    records: Iterable[Record | RowError],
    *,
    esp: str = "",
    on_batch: Callable[[ImportResult], None] | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Load records into the event store for `upload`. Safe to run again for the same upload."""
    started = time.monotonic()
    org = upload.organization
    tz = org.tzinfo
    lookups = _Lookups(org, upload.campaign)
    batch_size = batch_size or BATCH_SIZE
    result = ImportResult()
    Event.objects.filter(upload=upload).delete()  # what an interrupted earlier run left

    with _fast_commits():
        _load_all(records, upload, lookups, tz, esp, result, on_batch, batch_size)
    result.campaigns = {name: pk for name, pk in lookups.campaigns.items()}
    result.seconds = time.monotonic() - started
    return result


class _fast_commits:
    """Batches commit without waiting for the WAL flush (PostgreSQL synchronous_commit off).

    Safe here: a crash can lose only the last batches' commits, and an interrupted import is
    re-run from the start of the upload anyway (its partial events are removed first).
    """

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")

    def __exit__(self, *exc):
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        return False


def _load_all(records, upload, lookups, tz, esp, result, on_batch, batch_size) -> None:
    batch: list[Record] = []
    for item in records:
        if isinstance(item, RowError):
            result.rows += 1
            result.add_error(item.row, item.message)
            continue
        result.rows += 1
        batch.append(item)
        if len(batch) >= batch_size:
            _load_batch(batch, upload, lookups, tz, esp, result)
            batch = []
            if on_batch:
                on_batch(result)
    if batch:
        _load_batch(batch, upload, lookups, tz, esp, result)
        if on_batch:
            on_batch(result)


def _load_batch(batch: list[Record], upload: Upload, lookups: _Lookups, tz, esp: str, result: ImportResult) -> None:
    prepared = []
    pairs: dict[str, str] = {}
    texts: set[str] = set()
    emails = lookups.email_cache
    campaigns = lookups.campaign_cache
    for rec in batch:
        raw = rec.email
        normal = emails.get(raw)
        if normal is None:
            normal = normalise_email(raw) if raw else None
            if normal is None:
                result.add_error(rec.row, f"not an email address: {_clip(raw, 80)!r}")
                continue
            if len(emails) < _CACHE_LIMIT:
                emails[raw] = normal
        if rec.event_type not in _EVENT_TYPES:
            result.add_error(rec.row, f"unknown event type {_clip(rec.event_type, 40)!r}")
            continue
        campaign_id = campaigns.get(rec.campaign)
        if campaign_id is None:
            campaign_id = campaigns[rec.campaign] = lookups.campaign_id(rec.campaign, esp)
            if campaign_id is None:
                del campaigns[rec.campaign]
                result.add_error(rec.row, "no campaign: the row names none and no default campaign was given")
                continue
        email, domain = normal
        pairs[email] = domain
        diagnostic = rec.diagnostic
        if diagnostic:
            diagnostic = _clip(diagnostic, MAX_DIAGNOSTIC_CHARS)
            texts.add(diagnostic)
        prepared.append((rec, campaign_id, email, domain, diagnostic))

    weeks = lookups.week_cache
    with transaction.atomic():
        lookups.resolve_recipients(pairs, result)
        lookups.resolve_diagnostics(texts)
        rows = []
        org_id, upload_id = lookups.org.id, upload.id
        recipients, diagnostics = lookups.recipients, lookups.diagnostics
        by_type = result.events_by_type
        for rec, campaign_id, email, domain, diagnostic in prepared:
            category = signature = vendor = ""
            hard = None
            status = rec.enhanced_status
            reply_code = rec.reply_code
            event_type = rec.event_type
            if event_type in _CLASSIFIED_TYPES and (diagnostic or status or reply_code):
                reading = classify(diagnostic or None, status or None, reply_code)
                category = reading.category
                signature = reading.signature or ""
                vendor = reading.vendor or ""
                hard = reading.hard
                status = status or reading.status
                reply_code = reply_code or reading.reply_code
            elif event_type == "complaint":
                category = "complaint"
            elif event_type == "suppressed":
                category = "suppressed"
            if reply_code is not None and not (100 <= reply_code <= 599):
                reply_code = None
            moment = rec.occurred_at
            week = None
            if moment is not None:
                slot = int(moment.timestamp()) // 900  # every UTC offset is a multiple of 15 minutes
                week = weeks.get(slot)
                if week is None:
                    week = weeks[slot] = monday_of(moment, tz)
            rows.append((
                org_id, campaign_id, recipients[email], upload_id,
                (_clip(rec.esp_event_id, 200) or None) if rec.esp_event_id else None, event_type,
                moment, week, domain, reply_code,
                _clip(status, 16) if status else "", diagnostics.get(diagnostic) if diagnostic else None,
                _clip(rec.remote_mta, MAX_FIELD_CHARS) if rec.remote_mta else "",
                json.dumps(_clean_labels(rec.esp_labels)) if rec.esp_labels else "{}",
                category, signature, vendor, hard,
            ))
            by_type[event_type] += 1
            result.domains.add(domain)
        written = _write_events(rows)
    result.duplicates += len(rows) - written
    result.events += written


def _clean_labels(labels: dict) -> dict:
    if not labels:
        return {}
    return {_clip(str(k), 60): _clip(str(v), MAX_FIELD_CHARS) for k, v in list(labels.items())[:20]}
