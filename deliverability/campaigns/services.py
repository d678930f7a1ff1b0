"""Uploads: receive a file, import it in the background, report progress, delete it cleanly."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from deliverability import ingest
from deliverability.accounts.models import Organization
from deliverability.campaigns.importer import ImportResult, import_records
from deliverability.campaigns.models import Campaign, Event, Recipient, SavedColumnMapping, Upload
from deliverability.campaigns.pipeline import after_delete, after_import, show_campaigns
from deliverability.campaigns.signals import batch_committed
from deliverability.ingest.records import UnsupportedFormat
from deliverability.ingest.values import day_first_in

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass
class Received:
    upload: Upload
    created: bool  # False: the same file was uploaded before to this organisation
    # The same file had failed (or imported nothing) before: that upload takes the new settings and is
    # imported again (the duplicate check is on the file; a failed upload holds nothing to double-count).
    replaced: bool = False


def receive_upload(
    org: Organization,
    source,  # a file-like object or a path
    *,
    original_name: str,
    user=None,
    campaign_name: str = "",
    requested_format: str = "auto",
    column_mapping: dict | None = None,
) -> Received:
    """Store the file on disk (streaming, hashing as it goes); the same file twice is recognised."""
    digest = hashlib.sha256()
    size = 0
    tmp_dir = Path(settings.MEDIA_ROOT) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    # A path is opened here and closed below; a file object stays the caller's.
    opened = open(source, "rb") if isinstance(source, (str, os.PathLike)) else None  # noqa: SIM115
    stream = opened or source
    try:
        with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False) as tmp:
            chunks = stream.chunks(CHUNK) if hasattr(stream, "chunks") else iter(lambda: stream.read(CHUNK), b"")
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
    finally:
        if opened:
            opened.close()
    sha256 = digest.hexdigest()
    existing = Upload.objects.filter(organization=org, sha256=sha256).first()
    if existing:
        os.unlink(tmp.name)
        if existing.status == Upload.Status.FAILED:
            retry(existing, mapping=column_mapping or None, campaign_name=campaign_name,
                  requested_format=requested_format, original_name=original_name, user=user)
            return Received(existing, created=False, replaced=True)
        return Received(existing, created=False)
    campaign = None
    if campaign_name.strip():
        campaign, _ = Campaign.objects.get_or_create(organization=org, name=campaign_name.strip()[:300],
                                                     defaults={"awaiting_import": True})
    upload = Upload(
        organization=org, campaign=campaign, original_name=original_name[:255], size=size, sha256=sha256,
        requested_format=requested_format or "auto", column_mapping=column_mapping or {}, created_by=user,
    )
    with open(tmp.name, "rb") as handle:
        upload.file.save(sha256, File(handle), save=False)
    os.unlink(tmp.name)
    try:
        with transaction.atomic():
            upload.save()
    except IntegrityError:  # the same file, sent twice at once (a double submit): the other request won
        upload.file.delete(save=False)  # this request's copy, stored under another name: no file without its row
        return Received(Upload.objects.get(organization=org, sha256=sha256), created=False)
    return Received(upload, created=True)


def claim_upload(upload_id: int, claim: str) -> Upload | None:
    """Take an upload for importing. A redelivered task (same claim) may take it again.

    Taking it also forgets any earlier analysis: an upload imported again is analysed again, once.
    """
    claimed = Upload.objects.filter(
        Q(status=Upload.Status.PENDING) | Q(status=Upload.Status.RUNNING, summary__claim=claim), pk=upload_id
    ).update(status=Upload.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(),
             summary={"claim": claim}, analysis_claim="", analyzed_at=None, analysis={})
    return Upload.objects.select_related("organization", "campaign").get(pk=upload_id) if claimed else None


def run_import(upload_id: int, claim: str | None = None, on_batch=None, *, analyse: bool = True) -> Upload | None:
    """Import an upload's file, then (with `analyse`) announce it so that its analysis is queued once.

    Idempotent: safe to run twice and after an interrupted run. A redelivered task that finds the import
    done but its analysis never started (the worker died in between) announces it again; the analysis
    claims the upload, so it still runs once.
    """
    rerun = Upload.objects.filter(pk=upload_id, started_at__isnull=False).exists()  # an earlier run started
    upload = claim_upload(upload_id, claim or uuid.uuid4().hex)
    if upload is None:
        log.info("upload %s is not waiting for import; nothing to do", upload_id)
        unanalysed = Upload.objects.filter(pk=upload_id, status=Upload.Status.DONE, analysis_claim="",
                                           analyzed_at__isnull=True).exclude(analysis__has_key="skipped").first(
        ) if analyse else None
        if unanalysed is not None:
            after_import(unanalysed)
        return None
    with import_lock(upload.pk):
        # Still ours once the lock is had: an earlier run of the same claim (a redelivered task) may
        # have finished meanwhile.
        if not Upload.objects.filter(pk=upload.pk, status=Upload.Status.RUNNING, summary__claim=upload.summary["claim"]).exists():
            return None
        try:
            return _import_claimed(upload, on_batch, analyse, rerun)
        except ImportSuperseded as exc:  # the other run owns the upload now: its rows are left alone
            log.warning("%s", exc)
            return None


def _import_claimed(upload: Upload, on_batch, analyse: bool, rerun: bool) -> Upload:
    claim = upload.summary["claim"]
    path = upload.file.path
    touched: tuple[set[int], list[int]] = (set(), [])
    try:
        if rerun:
            # What an interrupted earlier run left, or a finished one imported again with new settings: its
            # events go first, and the run starts again from the first row, so every count is exact. Its
            # addresses stay until the run is over (settle_rerun): those it names again keep their ids, and
            # with them their verdicts' manual overrides.
            touched = _remove_events(upload)
        fmt = upload.requested_format
        if fmt == "auto":
            fmt = ingest.detect_format(path)
        Upload.objects.filter(pk=upload.pk).update(detected_format=fmt)
        passed_over: Counter = Counter()
        dates: dict = {}  # how the file's times were read (slash order, zone), for the upload's page

        def read(mapping: dict | None):
            """The file's records with a stored mapping: its columns, status values, date order (the user's, else
            the zone's custom) and whether zone-less times are local."""
            day_first, forced = date_reading(upload, date_order_of(mapping))
            return ingest.read_records(path, fmt, mapping=columns_of(mapping), skipped=passed_over,
                                       status_values=statuses_of(mapping), max_unpacked_bytes=settings.UPLOAD_MAX_BYTES,
                                       day_first=day_first, day_first_forced=forced, notes=dates,
                                       zone=upload.organization.tzinfo, local_times=local_times_of(mapping))

        try:
            records = read(upload.column_mapping)
        except ingest.ColumnMappingNeeded as exc:
            saved = None if upload.column_mapping else SavedColumnMapping.objects.filter(
                organization=upload.organization, headers_key=SavedColumnMapping.key_for(exc.headers)).first()
            if saved is None:
                raise
            # The organisation mapped this layout before: use that mapping again.
            upload.column_mapping = saved.mapping
            Upload.objects.filter(pk=upload.pk).update(column_mapping=saved.mapping)
            records = read(saved.mapping)
        bytes_per_row = _estimate_bytes_per_row(path)

        def progress(result: ImportResult) -> None:
            total = max(result.rows, int(upload.size / bytes_per_row)) if bytes_per_row else None
            # The heartbeat rides on the progress update (one statement per committed batch).
            if not Upload.objects.filter(pk=upload.pk, summary__claim=claim).update(
                    rows_done=result.rows, rows_total=total, heartbeat_at=timezone.now()):
                raise ImportSuperseded(f"upload {upload.pk} was taken by another import")
            batch_committed.send(sender=Upload, upload_id=upload.pk, rows_done=result.rows)
            if on_batch:
                on_batch(result)

        result = import_records(upload, records, esp=fmt if fmt not in ("csv", "dsn", "zip") else "", on_batch=progress)
        if rerun:
            # A lost run may have stored addresses of a batch it never wrote (the pipelined writer stores a
            # batch's addresses before its events): the rerun found them, so count as new every address
            # that no other upload names.
            result.new_recipients = Recipient.objects.filter(
                pk__in=Event.objects.filter(upload=upload).values("recipient_id")).exclude(
                Exists(Event.objects.filter(recipient_id=OuterRef("pk")).exclude(upload=upload))).count()
    except ImportSuperseded:
        raise
    except UnsupportedFormat as exc:
        # The reader names the stored copy (its hash): the user knows the file by the name they gave it.
        _fail(upload, str(exc).replace(Path(path).name, Path(upload.original_name).name), extra=_mapping_request(exc))
        _settle_rerun(upload, *touched, kept=None)
        upload.refresh_from_db()
        return upload
    except Exception:  # a broken file must never break the worker: record it, keep the trace in the log
        log.exception("import of upload %s failed", upload.pk)
        _fail(upload, "The import stopped on an unexpected problem with this file; nothing from it is shown.")
        _settle_rerun(upload, *touched, kept=None)
        upload.refresh_from_db()
        return upload
    # An import that stored nothing is never done, not even for a moment, and shows no campaign: it
    # fails below with what to do (the campaign named for it stays hidden, kept for the retry).
    stored_something = bool(result.events or result.duplicates)
    with transaction.atomic():
        if stored_something:  # campaigns this import made become visible with it
            show_campaigns({*result.campaigns.values(), upload.campaign_id})
        done = Upload.objects.filter(pk=upload.pk, summary__claim=claim).update(
            rows_done=result.rows,
            rows_total=result.rows,
            rows_skipped=result.skipped,
            row_errors=[list(e) for e in result.row_errors],
            summary=result.summary() | {"passed_over": dict(passed_over.most_common(20)), "dates": dates},
            error="",
            **({"status": Upload.Status.DONE, "finished_at": timezone.now()} if stored_something else {}),
        )
        if not done:
            raise ImportSuperseded(f"upload {upload.pk} was taken by another import before it finished")
    upload.refresh_from_db()
    if _fail_when_nothing_imported(upload, path):
        _settle_rerun(upload, *touched, kept=None)
        return upload
    _settle_rerun(upload, *touched, kept=set(result.campaigns.values()))
    if analyse:
        after_import(upload)
    return upload


class ImportSuperseded(RuntimeError):
    """This run lost the upload: it was given to another run (see requeue_lost_imports)."""


# Advisory-lock keys of imports (PostgreSQL): this prefix plus the upload's id.
_IMPORT_LOCK_BASE = 0x17_0000_0000_0000


@contextmanager
def import_lock(upload_id: int):
    """Held by the process importing the upload, for the whole run (PostgreSQL session advisory lock).

    The server lets go of it the moment that process's connection ends — a worker killed with -9
    included — so a free lock on a running import means nobody is importing it (import_lock_free).
    A second run waits here for the first to end. Other databases run one import thread and go without.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_IMPORT_LOCK_BASE + upload_id])
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_IMPORT_LOCK_BASE + upload_id])


def import_lock_free(upload_id: int) -> bool:
    """No process is importing the upload now (always True off PostgreSQL, where the heartbeat alone decides)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_IMPORT_LOCK_BASE + upload_id])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_IMPORT_LOCK_BASE + upload_id])
    return True


def requeue_lost_imports(now=None) -> list[int]:
    """Uploads whose import lost its worker, made to wait for a new import; returns their ids (the
    caller queues them). Lost: still importing, no heartbeat for IMPORT_LOST_AFTER_SECONDS, and (on
    PostgreSQL) nobody holds its import lock. The next run removes what the lost one left."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.IMPORT_LOST_AFTER_SECONDS)
    stale = Upload.objects.filter(status=Upload.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    lost = []
    for pk, heartbeat in stale.values_list("pk", "heartbeat_at"):
        if not import_lock_free(pk):
            continue  # alive but slow (a long batch, a busy database): not lost
        # Compare and set on the heartbeat read: a run that beat since then keeps the upload.
        if Upload.objects.filter(pk=pk, status=Upload.Status.RUNNING, heartbeat_at=heartbeat).update(
                status=Upload.Status.PENDING, queued_at=None, heartbeat_at=None, summary={}):
            log.warning("upload %s: the import lost its worker (no heartbeat since %s); queued again", pk, heartbeat)
            lost.append(pk)
    return lost


def unqueued_uploads(now=None) -> list[int]:
    """Uploads waiting for an import that was never handed to the queue (it was down when they came),
    older than a few seconds (a page's own hand-over may still be on its way), and uploads still waiting
    a visibility timeout after their hand-over (the broker lost the task: Redis restarted without its
    data). Sending one twice is harmless: the second task finds the upload claimed and does nothing."""
    now = now or timezone.now()
    lost_after = timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600))
    return list(Upload.objects.filter(status=Upload.Status.PENDING).filter(
        Q(queued_at__isnull=True, created_at__lt=now - timedelta(seconds=QUEUE_GRACE_SECONDS))
        | Q(queued_at__lt=now - lost_after)).values_list("pk", flat=True))


QUEUE_GRACE_SECONDS = 10


def mark_queued(upload_id: int) -> None:
    Upload.objects.filter(pk=upload_id).update(queued_at=timezone.now())


def mark_queue_unavailable(upload_id: int) -> None:
    """The broker refused the import: the upload waits, and says so, until the beat queues it."""
    Upload.objects.filter(pk=upload_id, status=Upload.Status.PENDING).update(
        queued_at=None, summary={"queue_unavailable": True})


def finish_without_analysis(upload: Upload, reason: str) -> None:
    """An upload imported on request without DNS enrichment and verdicts (`import_results --no-enrich`):
    its addresses become searchable and its pages say why there are no verdicts."""
    index_for_search(upload)
    Upload.objects.filter(pk=upload.pk).update(analysis={"skipped": reason})
    upload.refresh_from_db()


def index_for_search(upload: Upload) -> int:
    """Add the upload's addresses to the address search (RecipientSearch); returns how many were new.

    The first step of an upload's analysis (its trigram index is too costly for the import itself).
    Idempotent: addresses already searchable are skipped.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_recipientsearch (recipient_id, organization_id, email, domain) "
            "SELECT r.id, r.organization_id, r.email, r.domain FROM campaigns_recipient r "
            "WHERE r.id IN (SELECT e.recipient_id FROM campaigns_event e WHERE e.upload_id = %s) "
            "ON CONFLICT DO NOTHING",
            [upload.pk],
        )
        return max(cursor.rowcount, 0)


def _estimate_bytes_per_row(path: str) -> float:
    try:
        with open(path, "rb") as handle:
            sample = handle.read(256 * 1024)
    except OSError:
        return 0.0
    lines = sample.count(b"\n")
    return len(sample) / lines if lines > 1 else 0.0


def _mapping_request(exc: Exception) -> dict:
    headers = getattr(exc, "headers", None)
    if not headers:
        return {}
    return {"needs_mapping": True, "headers": list(headers)[:100], "sample": [list(r)[:100] for r in getattr(exc, "sample", [])][:5]}


def _fail(upload: Upload, message: str, extra: dict | None = None) -> None:
    """A failed import keeps its upload row (the page says why) and nothing else it brought."""
    campaign_ids = _remove_what_only_it_brought(upload, keep_default_campaign=True)  # a retry needs it
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.FAILED, error=message[:1000], summary=extra or {}, finished_at=timezone.now()
    )
    after_delete(upload.organization, campaign_ids - {upload.campaign_id})


DELETE_CHUNK = 20_000  # recipients per statement: a 1M-row upload is removed in bounded steps


def _remove_what_only_it_brought(upload: Upload, keep_default_campaign: bool = False) -> set[int]:
    """Delete the upload's events, and the recipients that no other upload's event names (with their
    search rows and verdicts); returns the campaigns it touched (the caller removes those left empty
    and has the others judged again). Diagnostic texts are shared across organisations and stay."""
    campaign_ids, recipient_ids = _remove_events(upload, drop_orphans=True)
    if upload.campaign_id and not keep_default_campaign:
        campaign_ids.add(upload.campaign_id)
    return campaign_ids


def _remove_events(upload: Upload, drop_orphans: bool = False) -> tuple[set[int], list[int]]:
    """Delete the upload's events (and, with ``drop_orphans``, the recipients no event names any more), in
    steps of DELETE_CHUNK recipients; returns (the campaigns, the recipients) they named."""
    events = Event.objects.filter(upload=upload)
    campaign_ids = set(events.values_list("campaign_id", flat=True).distinct())
    recipient_ids = sorted(set(events.values_list("recipient_id", flat=True).distinct()))
    for start in range(0, len(recipient_ids), DELETE_CHUNK):
        chunk = recipient_ids[start:start + DELETE_CHUNK]
        with transaction.atomic():
            Event.objects.filter(upload=upload, recipient_id__in=chunk).delete()
            if drop_orphans:
                _drop_orphans(chunk)
    events.delete()  # rows written after the ids were read (none, unless an import still runs)
    return campaign_ids, recipient_ids


def _drop_orphans(recipient_ids: list[int]) -> None:
    """Delete the recipients among ``recipient_ids`` that no event names (with their verdicts)."""
    still_used = Event.objects.filter(recipient_id__in=recipient_ids).values("recipient_id")
    Recipient.objects.filter(pk__in=recipient_ids).exclude(pk__in=still_used).delete()


def _settle_rerun(upload: Upload, campaign_ids: set[int], recipient_ids: list[int], kept: set[int] | None) -> None:
    """After a rerun (``_remove_events`` first): the addresses an earlier run brought that no event names now
    go; the campaigns it filled that this run did not (``kept``: the run's campaigns; None: it failed or
    stored nothing) are removed when left empty and judged again otherwise. The upload's own campaign, when
    the run failed and left it empty, stays for the retry but out of sight."""
    for start in range(0, len(recipient_ids), DELETE_CHUNK):
        with transaction.atomic():
            _drop_orphans(recipient_ids[start:start + DELETE_CHUNK])
    if kept is None:
        gone = campaign_ids - {upload.campaign_id}
        if upload.campaign_id:
            Campaign.objects.filter(pk=upload.campaign_id).exclude(
                Exists(Event.objects.filter(campaign_id=OuterRef("pk")))).update(awaiting_import=True)
    else:
        gone = campaign_ids - kept
    if gone:
        after_delete(upload.organization, gone)


def retry_with_mapping(upload: Upload, mapping: dict[str, str]) -> bool:
    """Make the upload wait for another import with the user's column mapping, and remember the mapping
    for this layout; the caller queues the import (tasks.start_import). False when the upload could not be
    taken (its analysis started meanwhile, or it is importing)."""
    headers = upload.summary.get("headers") or []
    if headers and columns_of(mapping):
        SavedColumnMapping.objects.update_or_create(
            organization=upload.organization, headers_key=SavedColumnMapping.key_for(headers),
            # the date order and the times' zone are this file's: the next file of the layout decides its own
            defaults={"headers": headers, "mapping": {k: v for k, v in mapping.items() if k not in PER_FILE_KEYS}},
        )
    # Only a failed upload, or a finished one whose analysis is not running (it would judge events being
    # removed): compare and set, as the analysis claims an upload.
    taken = Upload.objects.filter(_RETRYABLE, pk=upload.pk).update(
        column_mapping=mapping, status=Upload.Status.PENDING, error="", summary={}, rows_done=0, queued_at=None
    )
    upload.refresh_from_db()
    return bool(taken)


# An upload whose analysis has been claimed and has not finished (verdicts.analysis: claim_analysis).
_ANALYSING = ~Q(analysis_claim="") & Q(analyzed_at__isnull=True)
# What may be imported again: a failed upload, or a finished one whose analysis is not running.
_RETRYABLE = Q(status=Upload.Status.FAILED) | (Q(status=Upload.Status.DONE) & ~_ANALYSING)


# Status meanings ride in the column mapping's JSON (Upload.column_mapping, SavedColumnMapping.mapping) under a
# key no CSV header can be (headers are stripped: none starts with a space).
STATUS_VALUES_KEY = " status values"


DATE_ORDER_KEY = " date order"  # the user's reading of slash dates: "day_first" or "month_first"
TIMES_KEY = " times"  # "local": the user says the file's zone-less times are the organisation's local time
PER_FILE_KEYS = (DATE_ORDER_KEY, TIMES_KEY)


def columns_of(mapping: dict | None) -> dict[str, str] | None:
    """The header → field part of a stored mapping (None when there is none)."""
    return {k: v for k, v in (mapping or {}).items() if k not in (STATUS_VALUES_KEY, *PER_FILE_KEYS)} or None


DATE_ORDERS = ("day_first", "month_first")


def date_order_of(mapping: dict | None) -> str | None:
    """The user's reading of slash dates in a stored mapping ("day_first", "month_first"), or None."""
    order = (mapping or {}).get(DATE_ORDER_KEY)
    return order if order in DATE_ORDERS else None


def local_times_of(mapping: dict | None) -> bool:
    """Whether the user said the file's times that name no zone are the organisation's local time (else UTC)."""
    return (mapping or {}).get(TIMES_KEY) == "local"


def date_reading(upload: Upload, order: str | None) -> tuple[bool, bool]:
    """(day_first, forced) for ingest.read_records: the user's ``order`` when it is one of DATE_ORDERS (it wins
    over the file's values), else the custom of the organisation's time zone (the file's values win)."""
    if order in DATE_ORDERS:
        return order == "day_first", True
    return day_first_in(upload.organization.timezone), False


def statuses_of(mapping: dict | None) -> dict[str, str] | None:
    """The status value → meaning part of a stored mapping (None when there is none)."""
    return (mapping or {}).get(STATUS_VALUES_KEY) or None


def retry(upload: Upload, *, mapping: dict[str, str] | None = None, status_values: dict[str, str] | None = None,
          campaign_name: str | None = None, requested_format: str | None = None, original_name: str | None = None,
          user=None, date_order: str | None = None, local_times: bool | None = None) -> bool:
    """Make a failed upload (or one that imported nothing, or one with rows it could not read: see
    can_import_again) wait for another import with new settings: a default campaign, a format, a column
    mapping and the meaning of status values (each kept when None). The next import first removes what an
    earlier one brought. The caller queues the import (tasks.start_import)."""
    if not Upload.objects.filter(_RETRYABLE, pk=upload.pk).exists():
        return False  # importing, or its analysis started meanwhile: nothing changes
    changes: dict = {}
    if campaign_name is not None:
        name = campaign_name.strip()[:300]
        # A campaign made here stays out of the pages until an import fills it (as in receive_upload).
        changes["campaign"] = Campaign.objects.get_or_create(organization=upload.organization, name=name,
                                                             defaults={"awaiting_import": True})[0] if name else None
    if requested_format:
        changes["requested_format"] = requested_format
    if original_name:
        changes["original_name"] = original_name[:255]
    if user is not None and getattr(user, "is_authenticated", False):
        changes["created_by"] = user
    if changes:
        Upload.objects.filter(pk=upload.pk).update(**changes)
    stored = dict(upload.column_mapping or {}) if mapping is None else dict(mapping)
    if status_values is not None:
        stored[STATUS_VALUES_KEY] = status_values
    if not stored.get(STATUS_VALUES_KEY):
        stored.pop(STATUS_VALUES_KEY, None)
    if date_order is not None:  # "" : as the file's dates and the organisation's zone say
        stored[DATE_ORDER_KEY] = date_order
    if date_order_of(stored) is None:
        stored.pop(DATE_ORDER_KEY, None)
    if local_times is not None:
        stored[TIMES_KEY] = "local" if local_times else ""
    if not local_times_of(stored):
        stored.pop(TIMES_KEY, None)
    return retry_with_mapping(upload, stored)


def _fail_when_nothing_imported(upload: Upload, path: str) -> bool:
    """An import that stored no event and found none already stored is not a success: it fails with what
    to do (name a campaign, map a column or a status value), offered on the upload page. True if so."""
    summary = upload.summary or {}
    if summary.get("events") or summary.get("duplicates"):
        return False
    message, reasons = nothing_imported_message(upload)
    extra = summary | {"nothing_imported": True, "reasons": reasons}
    if upload.detected_format == "csv":
        extra["headers"] = _csv_headers(path)  # the layout a mapping given on the page is remembered for
    _fail(upload, message, extra=extra)
    upload.refresh_from_db()
    return True


def _csv_headers(path: str) -> list[str]:
    try:
        return [c.header for c in ingest.survey_csv(path, max_rows=0).columns][:100]
    except (OSError, UnicodeError, ValueError):
        return []


# Row problems (campaigns.importer._problem, ingest.csv_generic) by what the user can do about them.
_REASONS = (("no campaign", "campaign"), ("unknown status", "status"), ("unknown event type", "status"),
            ("no status column", "status"), ("not an email address", "email"), ("invalid email address", "email"))


def refused_reasons(upload: Upload) -> Counter:
    """{what the user can do: "campaign", "status", "email" or "other": rows} among the upload's kept row errors."""
    reasons: Counter = Counter()
    for _row, text in upload.row_errors or []:
        reasons[next((kind for start, kind in _REASONS if start in str(text)), "other")] += 1
    return reasons


# Refused rows a user can make readable on the upload page: name a campaign, say what a status value means.
FIXABLE_REASONS = frozenset({"campaign", "status"})


def can_import_again(upload: Upload) -> bool:
    """An upload that finished with rows refused for a reason the user can fix on its page (no campaign, a
    status value not recognised), whose slash dates had to be read in a guessed order, or whose times named no
    zone (read as UTC, or as local time as the user chose), may be imported
    again with new settings: the new import replaces what this one brought. Not a webhook batch (no file to
    read again), not while its analysis runs."""
    if upload.status != Upload.Status.DONE or not upload.file:
        return False
    if upload.analysis_claim and upload.analyzed_at is None and not (upload.analysis or {}).get("skipped"):
        return False  # analysing now: once it is done
    if (upload.summary or {}).get("events") and not Event.objects.filter(upload=upload).exists():
        return False  # its events were purged by the retention period: importing again would bring them back
    read = (upload.summary or {}).get("dates") or {}
    if (read.get("dates") or {}).get("decided_by") in ("default", "user"):
        return True  # slash dates whose order was a guess or a choice: the user may say otherwise
    if read.get("times_without_zone") or read.get("times_local"):
        return True  # times without a zone read as UTC, or as local time as chosen: the user may say otherwise
    fixable = FIXABLE_REASONS if upload.detected_format == "csv" else {"campaign"}  # values are mapped in CSVs only
    return bool(fixable & set(refused_reasons(upload)))


def nothing_imported_message(upload: Upload) -> tuple[str, dict[str, int]]:
    """(one paragraph for the user, {reason: rows among the kept row errors}) for an upload that imported nothing."""
    from django.utils.formats import number_format
    from django.utils.translation import gettext as _

    name = Path(upload.original_name).name
    rows = int((upload.summary or {}).get("rows") or 0)
    reasons = refused_reasons(upload)
    if not rows:
        passed = (upload.summary or {}).get("passed_over") or {}
        if passed:
            return (_("Nothing was imported from %(name)s: it holds no delivery, bounce or engagement event "
                      "(only %(what)s).") % {"name": name, "what": ", ".join(passed)}, {})
        return _("Nothing was imported from %(name)s: it holds no rows.") % {"name": name}, {}
    parts = [_("Nothing was imported from %(name)s: none of its %(rows)s rows could be read.")
             % {"name": name, "rows": number_format(rows, force_grouping=True)}]
    if reasons["campaign"]:
        parts.append(_("The rows name no campaign: type a campaign name below."))
    if reasons["status"]:
        parts.append(_("Their status was not recognised: say below what each status value means."))
    if reasons["email"]:
        parts.append(_("No address was found where we looked: choose the column that holds the email addresses."))
    if reasons["other"] and len(reasons) == 1:
        parts.append(_("The first problems are listed below."))
    parts.append(_("Then import again."))
    return " ".join(parts), dict(reasons)


@dataclass
class DeletionPreview:
    """What deleting an upload removes, counted before anything is (the confirmation page)."""

    events: int
    recipients: int  # addresses no other upload names: they go, with their verdicts
    recipients_kept: int  # addresses another upload also names: they stay
    campaigns_removed: list[str]  # campaigns left with no event
    campaigns_changed: list[str]  # campaigns that keep other uploads' events (judged again)
    estimated: bool = False  # from the import summaries: events as imported, addresses an upper bound


# Above this many events the confirmation page reads the import summaries instead of counting: the exact
# distinct counts took 4.4 s at a million events and over nine minutes for 2.6M events beside 10M others
# (bench_upload_pages.py, bench_dashboard.py, issue 20), and a confirmation page must answer at once.
DELETION_EXACT_LIMIT = 200_000


def describe_deletion(upload: Upload) -> DeletionPreview:
    """What deleting ``upload`` removes: exact counts up to DELETION_EXACT_LIMIT events, from the import
    summaries above it (``estimated``)."""
    summary = upload.summary or {}
    if int(summary.get("events") or 0) > DELETION_EXACT_LIMIT and "new_recipients" in summary:
        return _deletion_from_summaries(upload, summary)
    return _count_deletion(upload)


def _deletion_from_summaries(upload: Upload, summary: dict) -> DeletionPreview:
    """Events as the import stored them; the addresses it was the first to bring as an upper bound of those
    that go (a later upload may name some of them too, and they stay); a campaign stays when another
    upload's summary names it."""
    names = set(summary.get("campaigns") or [])
    if upload.campaign_id:
        names.add(upload.campaign.name)
    others: set[str] = set()
    for other in (Upload.objects.filter(organization=upload.organization).exclude(pk=upload.pk)
                  .values_list("summary", flat=True)):
        others.update((other or {}).get("campaigns") or ())
    removed, changed = [], []
    for name in sorted(names):
        (changed if name in others else removed).append(name)
    return DeletionPreview(int(summary["events"]), int(summary["new_recipients"]), 0, removed, changed, estimated=True)


def _count_deletion(upload: Upload) -> DeletionPreview:
    """Exact counts, each look-up driven from the smaller side: the upload's own events, or the events of
    the organisation's other uploads (sized from their import summaries; the counts do not depend on it).
    A million-event upload beside a small one probes the small one's addresses (bench_upload_pages.py)."""
    events = Event.objects.filter(upload=upload)
    totals = events.aggregate(events=Count("id"), recipients=Count("recipient_id", distinct=True))
    campaign_ids = set(events.values_list("campaign_id", flat=True).distinct())
    if upload.campaign_id:
        campaign_ids.add(upload.campaign_id)
    others = Upload.objects.filter(organization=upload.organization).exclude(pk=upload.pk)
    other_size = sum(int((summary or {}).get("events") or 0) for summary in others.values_list("summary", flat=True))
    if other_size < totals["events"]:  # one pass over the other uploads' events answers both questions
        found = Event.objects.filter(upload_id__in=list(others.values_list("pk", flat=True))).aggregate(
            shared=Count("recipient_id", distinct=True,
                         filter=Q(Exists(events.filter(recipient_id=OuterRef("recipient_id"))))),
            **{f"c{pk}": Count("id", filter=Q(campaign_id=pk)) for pk in campaign_ids})
        shared = found["shared"]
        kept = {pk for pk in campaign_ids if found[f"c{pk}"]}
    else:
        shared = Event.objects.filter(recipient_id__in=events.values("recipient_id")).exclude(upload=upload) \
            .values("recipient_id").distinct().count()
        kept = {pk for pk in campaign_ids if Event.objects.filter(campaign_id=pk).exclude(upload=upload).exists()}
    removed, changed = [], []
    for campaign in Campaign.objects.filter(pk__in=campaign_ids).order_by("name"):
        (changed if campaign.pk in kept else removed).append(campaign.name)
    return DeletionPreview(totals["events"], totals["recipients"] - shared, shared, removed, changed)


def delete_upload(upload: Upload) -> None:
    """Remove exactly what this upload brought — its events, the recipients no other upload names, the
    campaigns it leaves empty, its stored file — and have the campaigns it shared judged again. Everything
    is gone when this returns."""
    campaign_ids = _remove_what_only_it_brought(upload)
    upload.delete()
    upload.file.delete(save=False)
    after_delete(upload.organization, campaign_ids)
