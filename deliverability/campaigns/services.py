"""Uploads: receive a file, import it in the background, report progress, delete it cleanly."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from deliverability import ingest
from deliverability.accounts.models import Organization
from deliverability.campaigns.importer import ImportResult, import_records
from deliverability.campaigns.models import Campaign, Event, Recipient, SavedColumnMapping, Upload
from deliverability.campaigns.pipeline import after_delete, after_import
from deliverability.campaigns.signals import batch_committed
from deliverability.ingest.records import UnsupportedFormat

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass
class Received:
    upload: Upload
    created: bool  # False: the same file was uploaded before to this organisation


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
        return Received(existing, created=False)
    campaign = None
    if campaign_name.strip():
        campaign, _ = Campaign.objects.get_or_create(organization=org, name=campaign_name.strip()[:300])
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
    from django.db.models import Q

    claimed = Upload.objects.filter(
        Q(status=Upload.Status.PENDING) | Q(status=Upload.Status.RUNNING, summary__claim=claim), pk=upload_id
    ).update(status=Upload.Status.RUNNING, started_at=timezone.now(), summary={"claim": claim},
             analysis_claim="", analyzed_at=None, analysis={})
    return Upload.objects.select_related("organization", "campaign").get(pk=upload_id) if claimed else None


def run_import(upload_id: int, claim: str | None = None, on_batch=None, *, analyse: bool = True) -> Upload | None:
    """Import an upload's file, then (with `analyse`) announce it so that its analysis is queued once.

    Idempotent: safe to run twice and after an interrupted run. A redelivered task that finds the import
    done but its analysis never started (the worker died in between) announces it again; the analysis
    claims the upload, so it still runs once.
    """
    upload = claim_upload(upload_id, claim or uuid.uuid4().hex)
    if upload is None:
        log.info("upload %s is not waiting for import; nothing to do", upload_id)
        unanalysed = Upload.objects.filter(pk=upload_id, status=Upload.Status.DONE, analysis_claim="",
                                           analyzed_at__isnull=True).first() if analyse else None
        if unanalysed is not None:
            after_import(unanalysed)
        return None
    path = upload.file.path
    try:
        fmt = upload.requested_format
        if fmt == "auto":
            fmt = ingest.detect_format(path)
        Upload.objects.filter(pk=upload.pk).update(detected_format=fmt)
        passed_over: Counter = Counter()
        try:
            records = ingest.read_records(path, fmt, mapping=upload.column_mapping or None, skipped=passed_over,
                                          max_unpacked_bytes=settings.UPLOAD_MAX_BYTES)
        except ingest.ColumnMappingNeeded as exc:
            saved = None if upload.column_mapping else SavedColumnMapping.objects.filter(
                organization=upload.organization, headers_key=SavedColumnMapping.key_for(exc.headers)).first()
            if saved is None:
                raise
            # The organisation mapped this layout before: use that mapping again.
            upload.column_mapping = saved.mapping
            Upload.objects.filter(pk=upload.pk).update(column_mapping=saved.mapping)
            records = ingest.read_records(path, fmt, mapping=saved.mapping, skipped=passed_over,
                                          max_unpacked_bytes=settings.UPLOAD_MAX_BYTES)
        bytes_per_row = _estimate_bytes_per_row(path)

        def progress(result: ImportResult) -> None:
            total = max(result.rows, int(upload.size / bytes_per_row)) if bytes_per_row else None
            Upload.objects.filter(pk=upload.pk).update(rows_done=result.rows, rows_total=total)
            batch_committed.send(sender=Upload, upload_id=upload.pk, rows_done=result.rows)
            if on_batch:
                on_batch(result)

        result = import_records(upload, records, esp=fmt if fmt not in ("csv", "dsn", "zip") else "", on_batch=progress)
    except UnsupportedFormat as exc:
        # The reader names the stored copy (its hash): the user knows the file by the name they gave it.
        _fail(upload, str(exc).replace(Path(path).name, Path(upload.original_name).name), extra=_mapping_request(exc))
        upload.refresh_from_db()
        return upload
    except Exception:  # a broken file must never break the worker: record it, keep the trace in the log
        log.exception("import of upload %s failed", upload.pk)
        _fail(upload, "The import stopped on an unexpected problem with this file; nothing from it is shown.")
        upload.refresh_from_db()
        return upload
    Upload.objects.filter(pk=upload.pk).update(
        status=Upload.Status.DONE,
        rows_done=result.rows,
        rows_total=result.rows,
        rows_skipped=result.skipped,
        row_errors=[list(e) for e in result.row_errors],
        summary=result.summary() | {"passed_over": dict(passed_over.most_common(20))},
        finished_at=timezone.now(),
        error="",
    )
    upload.refresh_from_db()
    if analyse:
        after_import(upload)
    return upload


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
    events = Event.objects.filter(upload=upload)
    campaign_ids = set(events.values_list("campaign_id", flat=True).distinct())
    if upload.campaign_id and not keep_default_campaign:
        campaign_ids.add(upload.campaign_id)
    recipient_ids = sorted(set(events.values_list("recipient_id", flat=True).distinct()))
    for start in range(0, len(recipient_ids), DELETE_CHUNK):
        chunk = recipient_ids[start:start + DELETE_CHUNK]
        with transaction.atomic():
            Event.objects.filter(upload=upload, recipient_id__in=chunk).delete()
            still_used = Event.objects.filter(recipient_id__in=chunk).values("recipient_id")
            Recipient.objects.filter(pk__in=chunk).exclude(pk__in=still_used).delete()
    events.delete()  # rows written after the ids were read (none, unless an import still runs)
    return campaign_ids


def retry_with_mapping(upload: Upload, mapping: dict[str, str]) -> None:
    """Make the upload wait for another import with the user's column mapping, and remember the mapping
    for this layout; the caller queues the import (tasks.start_import)."""
    headers = upload.summary.get("headers") or []
    if headers:
        SavedColumnMapping.objects.update_or_create(
            organization=upload.organization, headers_key=SavedColumnMapping.key_for(headers),
            defaults={"headers": headers, "mapping": mapping},
        )
    Upload.objects.filter(pk=upload.pk).update(
        column_mapping=mapping, status=Upload.Status.PENDING, error="", summary={}, rows_done=0
    )
    upload.refresh_from_db()


def delete_upload(upload: Upload) -> None:
    """Remove exactly what this upload brought — its events, the recipients no other upload names, the
    campaigns it leaves empty, its stored file — and have the campaigns it shared judged again. Everything
    is gone when this returns."""
    campaign_ids = _remove_what_only_it_brought(upload)
    upload.delete()
    upload.file.delete(save=False)
    after_delete(upload.organization, campaign_ids)
