"""Webhook intake: a request is verified and its body stored (nothing else, so the answer is fast); pending
bodies are imported later, a micro-batch at a time, through the import pipeline that reads uploaded files.

The same ESP readers read both (deliverability.ingest), so a webhook event and an export of the same event
get one identity (ingest.esp.event_identity) and count once (the unique (organisation, ESP event id)).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, quote, quote_plus
from urllib.request import urlopen

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deliverability.accounts.models import Organization
from deliverability.campaigns.importer import ImportResult, import_records
from deliverability.campaigns.models import Upload
from deliverability.campaigns.pipeline import after_import, show_campaigns
from deliverability.campaigns.services import delete_upload
from deliverability.ingest import STREAM_READERS, Record, RowError
from deliverability.ingest.textio import Peeked
from deliverability.webhooks import verify
from deliverability.webhooks.models import Esp, WebhookAudit, WebhookDailyCount, WebhookEndpoint, WebhookPayload

log = logging.getLogger(__name__)

ESP_LABELS = dict(Esp.choices)


@dataclass
class Answer:
    """What the hook view answers: an HTTP status and one plain sentence (never a trace)."""

    status: int
    message: str
    payload_id: int | None = None


# --- receiving ---------------------------------------------------------------------------------
def receive(endpoint: WebhookEndpoint, body: bytes, headers, remote_addr: str = "") -> Answer:
    """Verify one request to `endpoint` and store its body; the import happens later (import_pending)."""
    now = time.time()
    tolerance = settings.WEBHOOK_TIMESTAMP_TOLERANCE
    replay_key = ""
    try:
        if endpoint.basic_auth_required:
            verify.check_basic_auth(headers.get("Authorization"), endpoint.basic_user, endpoint.basic_password)
        if endpoint.esp == Esp.SENDGRID and endpoint.signing_key.strip():
            verify.check_sendgrid(body, headers.get("X-Twilio-Email-Event-Webhook-Signature"),
                                  headers.get("X-Twilio-Email-Event-Webhook-Timestamp"), endpoint.signing_key,
                                  now, tolerance)
    except verify.Refused as exc:
        return _refuse(endpoint, str(exc), remote_addr)
    try:
        if endpoint.esp == Esp.MAILGUN and is_form(headers.get("Content-Type")):
            payload = mailgun_legacy_form(body)
        else:
            payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Answer(400, _("The request body is not valid JSON."))
    if not isinstance(payload, (dict, list)):
        return Answer(400, _("The request body is JSON but not an object or an array of events."))
    try:
        if endpoint.esp == Esp.MAILGUN:
            replay_key = verify.check_mailgun(payload, endpoint.signing_key, now, tolerance)
        elif endpoint.esp == Esp.SES:
            if not isinstance(payload, dict):
                raise verify.Refused("not an SNS message")
            verify.check_sns_envelope(payload, endpoint.allowed_topics)  # before any certificate is fetched
            verify.check_sns(payload, sns_certificate(endpoint, payload), endpoint.allowed_topics)
    except verify.Refused as exc:
        return _refuse(endpoint, str(exc), remote_addr)
    if endpoint.esp == Esp.SES and payload.get("Type") != "Notification":
        return _sns_control_message(endpoint, payload)
    return _store(endpoint, body, replay_key)


FORM = "application/x-www-form-urlencoded"


def is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == FORM


def mailgun_legacy_form(body: bytes | str) -> dict:
    """A Mailgun legacy webhook (form-encoded): its fields, the last value of a repeated one winning (as
    django-anymail reads them: user variables may repeat a name), with the signature fields moved into a
    ``signature`` block like the JSON webhooks'. ValueError when it is not a form."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    if not fields:
        raise ValueError("empty form")
    fields["signature"] = {name: fields.get(name) for name in ("timestamp", "token", "signature")}
    return fields


def _store(endpoint: WebhookEndpoint, body: bytes, replay_key: str) -> Answer:
    """One transaction, so one durable commit (the WAL flush is most of a request's time): the body, the
    day's count and the endpoint's last event. A body stored already (the ESP retried) is acknowledged."""
    digest = hashlib.sha256(body).hexdigest()
    if connection.vendor == "postgresql":
        stored_id = _store_in_one_statement(endpoint, body, digest, replay_key)
        if stored_id is not None:
            return Answer(200, _("Stored."), stored_id)
        return _not_stored(endpoint, digest)
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = WebhookPayload.objects.create(
                    endpoint=endpoint, organization_id=endpoint.organization_id, body=body.decode("utf-8"),
                    body_sha256=digest, replay_key=replay_key[:200])
        except IntegrityError:
            stored = None
        if stored is not None:
            _count(endpoint, requests=1)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_event_at=timezone.now())
            return Answer(200, _("Stored."), stored.pk)
    return _not_stored(endpoint, digest)


def _not_stored(endpoint: WebhookEndpoint, digest: str) -> Answer:
    seen = WebhookPayload.objects.filter(endpoint=endpoint, body_sha256=digest).values_list("pk", flat=True).first()
    if seen is None:  # the token was used before with another body: a replayed signature
        return _refuse(endpoint, "Mailgun token used before with another body (replay)", "")
    # The ESP retried a request that was stored already (its answer was lost or late): acknowledged.
    _count(endpoint, requests=1, retries=1)
    return Answer(200, _("Already stored."), seen)


def _store_in_one_statement(endpoint: WebhookEndpoint, body: bytes, digest: str, replay_key: str) -> int | None:
    """PostgreSQL: the body, the day's count and the endpoint's last event in one statement, one round trip
    and one commit (measured: the ORM's seven round trips were most of a request's time on a busy server).
    None when the body (or the Mailgun token) was stored already: nothing is written then."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH stored AS (
                INSERT INTO webhooks_webhookpayload (endpoint_id, organization_id, received_at, body, body_sha256,
                                                     replay_key, status, claim, error)
                VALUES (%(endpoint)s, %(org)s, %(now)s, %(body)s, %(digest)s, %(key)s, 'pending', '', '')
                ON CONFLICT DO NOTHING RETURNING id
            ), counted AS (
                INSERT INTO webhooks_webhookdailycount (endpoint_id, day, requests, retries, events, duplicates,
                                                        signature_failures)
                SELECT %(endpoint)s, %(day)s, 1, 0, 0, 0, 0 FROM stored
                ON CONFLICT (endpoint_id, day) DO UPDATE SET requests = webhooks_webhookdailycount.requests + 1
            ), touched AS (
                UPDATE webhooks_webhookendpoint SET last_event_at = %(now)s
                WHERE id = %(endpoint)s AND EXISTS (SELECT 1 FROM stored)
            )
            SELECT id FROM stored
            """,
            {"endpoint": endpoint.pk, "org": endpoint.organization_id, "now": now, "body": body.decode("utf-8"),
             "digest": digest, "key": replay_key[:200], "day": timezone.localdate(now)})
        row = cursor.fetchone()
    return row[0] if row else None


def _refuse(endpoint: WebhookEndpoint, reason: str, remote_addr: str) -> Answer:
    WebhookAudit.objects.create(organization_id=endpoint.organization_id, endpoint=endpoint,
                                endpoint_name=str(endpoint)[:120], kind=WebhookAudit.Kind.SIGNATURE,
                                reason=reason[:300], remote_addr=remote_addr[:64])
    _count(endpoint, signature_failures=1)
    return Answer(403, _("The request's signature or credentials were not accepted."))


def _count(endpoint: WebhookEndpoint, **increments: int) -> None:
    day = timezone.localdate()
    changes = {name: F(name) + value for name, value in increments.items()}
    if WebhookDailyCount.objects.filter(endpoint=endpoint, day=day).update(**changes):
        return
    try:
        with transaction.atomic():
            WebhookDailyCount.objects.create(endpoint=endpoint, day=day, **increments)
    except IntegrityError:  # created meanwhile by a concurrent request
        WebhookDailyCount.objects.filter(endpoint=endpoint, day=day).update(**changes)


# --- Amazon SNS --------------------------------------------------------------------------------
def sns_certificate(endpoint: WebhookEndpoint, message: dict) -> bytes:
    """The certificate an SNS message is checked against: the endpoint's trusted certificate when one is
    configured (tests, the demo: nothing here reaches the internet), else the one at SigningCertURL — an
    SNS host over HTTPS only — fetched once and cached for a day."""
    if endpoint.sns_certificate.strip():
        return endpoint.sns_certificate.strip().encode()
    url = str(message.get("SigningCertURL") or "")
    if not verify.SNS_URL.match(url):
        raise verify.Refused("SigningCertURL is not an Amazon SNS URL")
    key = "sns-cert:" + hashlib.sha256(url.encode()).hexdigest()
    pem = cache.get(key)
    if pem is None:
        try:
            with urlopen(url, timeout=5) as response:  # an https SNS URL, checked above
                pem = response.read(64 * 1024)
        except (OSError, ValueError) as exc:  # http.client.InvalidURL is a ValueError
            raise verify.Refused(f"SNS certificate not fetched ({exc.__class__.__name__})") from None
        cache.set(key, pem, 86400)
    return pem


_SUBSCRIBE_URL = re.compile(r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/\?Action=ConfirmSubscription&[^\s\x00-\x1f\x7f]*\Z")


def _sns_control_message(endpoint: WebhookEndpoint, message: dict) -> Answer:
    """A verified SubscriptionConfirmation is confirmed (GET SubscribeURL, an SNS host only); when that is
    off or fails, the integration page shows the link to confirm by hand. Unsubscribe confirmations are noted."""
    kind = message.get("Type")
    url = str(message.get("SubscribeURL") or "")
    if kind == "SubscriptionConfirmation":
        confirmed = False
        if settings.WEBHOOK_SNS_AUTO_CONFIRM and _SUBSCRIBE_URL.match(url):
            try:
                with urlopen(url, timeout=5) as response:  # an https SNS URL, checked above
                    confirmed = response.status == 200
            except (OSError, ValueError) as exc:
                log.warning("SNS subscription of endpoint %s not confirmed: %s", endpoint.pk, exc)
        # Only an SNS confirmation link is offered on the integration page (never another host, never a
        # javascript: link, even in a message signed by a trusted certificate).
        offered = url[:1000] if not confirmed and _SUBSCRIBE_URL.match(url) else ""
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(pending_subscribe_url=offered)
        reason = f"{message.get('TopicArn')}: " + ("confirmed" if confirmed else "waiting for confirmation by hand")
    else:
        reason = f"{message.get('TopicArn')}: {kind}"
    WebhookAudit.objects.create(organization_id=endpoint.organization_id, endpoint=endpoint,
                                endpoint_name=str(endpoint)[:120], kind=WebhookAudit.Kind.SUBSCRIPTION,
                                reason=reason[:300])
    return Answer(200, _("SNS message received."))


# --- importing ---------------------------------------------------------------------------------
def default_campaign_name(endpoint: WebhookEndpoint, record: Record, tz) -> str:
    """Events naming no campaign: the endpoint's default campaign, else one per ESP and send day."""
    if endpoint.default_campaign:
        return endpoint.default_campaign
    day = (record.occurred_at.astimezone(tz) if record.occurred_at else timezone.now().astimezone(tz)).date()
    return f"{ESP_LABELS[endpoint.esp]} {day.isoformat()}"


def payload_records(endpoint: WebhookEndpoint, payload_id: int, body: str, skipped: Counter | None = None,
                    tz=None) -> Iterator[Record | RowError]:
    """The records of one stored body, read by the ESP's reader, with the endpoint's campaign mapping."""
    tz = tz or endpoint.organization.tzinfo
    reader = STREAM_READERS[endpoint.esp]
    if endpoint.esp == Esp.MAILGUN and body.lstrip()[:1] not in ("{", "["):
        try:  # a legacy webhook, stored as received: its fields are read as one JSON event
            fields = mailgun_legacy_form(body)
        except ValueError:
            fields = None
        if fields is not None:
            fields.pop("signature")
            body = json.dumps(fields)
    label = endpoint.campaign_label.strip().lower().replace("_", "").replace("-", "")
    for item in reader(Peeked.from_bytes(body.encode("utf-8"), f"request {payload_id}"), skipped=skipped):
        if isinstance(item, RowError):
            yield RowError(item.row, f"request {payload_id}: {item.message}")
            continue
        if label:
            value = next((v for k, v in item.esp_labels.items()
                          if k.lower().replace("_", "").replace("-", "") == label and v), None)
            item.campaign = (value[:300] if value else None) or item.campaign
        if not item.campaign:
            item.campaign = default_campaign_name(endpoint, item, tz)
        yield item


def import_pending(endpoint_id: int, limit: int | None = None, *, analyse: bool = True) -> Upload | None:
    """Import the endpoint's waiting payloads (up to `limit`) as one upload; then the upload's analysis
    (domains, verdicts and rollups of every campaign touched) is queued once. Safe to run twice: payloads
    are claimed with a conditional update."""
    limit = limit or settings.WEBHOOK_IMPORT_MAX_PAYLOADS
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(pk=endpoint_id).first()
    if endpoint is None:
        return None
    claim = uuid.uuid4().hex
    ids = list(WebhookPayload.objects.filter(endpoint=endpoint, status=WebhookPayload.Status.PENDING)
               .order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids or not WebhookPayload.objects.filter(pk__in=ids, status=WebhookPayload.Status.PENDING).update(
            status=WebhookPayload.Status.IMPORTING, claim=claim):
        return None
    claimed = WebhookPayload.objects.filter(claim=claim, status=WebhookPayload.Status.IMPORTING)
    count = claimed.count()
    org: Organization = endpoint.organization
    upload = Upload.objects.create(
        organization=org, file="", original_name=f"{ESP_LABELS[endpoint.esp]} webhook · {endpoint.name} · "
        f"{count} request{'s' if count != 1 else ''}"[:255],
        sha256=hashlib.sha256(f"webhook:{endpoint.pk}:{claim}".encode()).hexdigest(),
        requested_format=endpoint.esp, detected_format=endpoint.esp, status=Upload.Status.RUNNING,
        size=sum(len(b) for b in claimed.values_list("body", flat=True)))
    skipped: Counter = Counter()
    tz = org.tzinfo

    def records() -> Iterator[Record | RowError]:
        for pk, body in claimed.order_by("pk").values_list("pk", "body").iterator(chunk_size=50):
            yield from payload_records(endpoint, pk, body, skipped, tz)

    try:
        result = import_records(upload, records(), esp=ESP_LABELS[endpoint.esp])
    except Exception:
        log.exception("webhook import of endpoint %s failed; its payloads wait for the next run", endpoint.pk)
        delete_upload(upload)
        claimed.update(status=WebhookPayload.Status.PENDING, claim="")
        raise
    _finish(endpoint, upload, result, skipped, claimed, analyse)
    return upload


def _finish(endpoint, upload: Upload, result: ImportResult, skipped: Counter, claimed, analyse: bool) -> None:
    now = timezone.now()
    show_campaigns(result.campaigns.values())
    keep = result.events > 0
    if keep:
        Upload.objects.filter(pk=upload.pk).update(
            status=Upload.Status.DONE, rows_done=result.rows, rows_total=result.rows, rows_skipped=result.skipped,
            row_errors=[list(e) for e in result.row_errors],
            summary=result.summary() | {"passed_over": dict(skipped.most_common(20)), "webhook_endpoint": endpoint.pk},
            started_at=upload.created_at, finished_at=now,
            **({} if analyse else {"analysis": {"skipped": "imported without analysis"}}))
    claimed.update(status=WebhookPayload.Status.IMPORTED, upload=upload if keep else None,
                   error=(f"{result.skipped} row(s) not read" if result.skipped else ""))
    _count(endpoint, events=result.events, duplicates=result.duplicates)
    if not keep:  # every event was stored already (ESP retries, an export first): no empty upload left
        Upload.objects.filter(pk=upload.pk).delete()
        return
    upload.refresh_from_db()
    if analyse:
        after_import(upload)


def recover_stuck(now=None) -> int:
    """Payloads left importing by a worker that died: their partial upload goes, they wait again. A run is
    stuck when its upload (created at the claim, named by the claim's digest) has been running longer than
    WEBHOOK_IMPORT_STUCK_SECONDS — not by the payloads' age: a backlog imported late is not stuck."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.WEBHOOK_IMPORT_STUCK_SECONDS)
    importing = WebhookPayload.objects.filter(status=WebhookPayload.Status.IMPORTING)
    recovered = 0
    for claim, endpoint_id in set(importing.values_list("claim", "endpoint_id")):
        digest = hashlib.sha256(f"webhook:{endpoint_id}:{claim}".encode()).hexdigest()
        uploads = list(Upload.objects.filter(sha256=digest, status=Upload.Status.RUNNING))
        if uploads and all(upload.created_at >= cutoff for upload in uploads):
            continue  # still running, within its time
        if not uploads and importing.filter(claim=claim, received_at__gte=cutoff).exists():
            continue  # claimed a moment ago, its upload not created yet
        for upload in uploads:
            delete_upload(upload)
        importing.filter(claim=claim).update(status=WebhookPayload.Status.PENDING, claim="")
        recovered += 1
    return recovered


def endpoints_with_pending(older_than_seconds: int = 0) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return sorted(set(WebhookPayload.objects.filter(status=WebhookPayload.Status.PENDING, received_at__lte=cutoff)
                      .values_list("endpoint_id", flat=True)))


# --- retention and erasure ----------------------------------------------------------------------
def purge_payloads(now=None) -> int:
    """Raw payloads go after WEBHOOK_PAYLOAD_DAYS, or sooner when the organisation keeps its data less long.
    Waiting ones stay (they are not imported yet)."""
    now = now or timezone.now()
    removed = 0
    default_days = settings.WEBHOOK_PAYLOAD_DAYS
    for org_id, retention in Organization.objects.values_list("pk", "retention_days"):
        days = min(default_days, retention) if retention else default_days
        removed += WebhookPayload.objects.filter(
            organization_id=org_id, received_at__lt=now - timedelta(days=days)).exclude(
            status__in=(WebhookPayload.Status.PENDING, WebhookPayload.Status.IMPORTING)).delete()[0]
    return removed


def erase_payloads(org: Organization, address: str) -> int:
    """An erasure request removes every stored payload of the organisation that names the address (as the
    original uploaded files are removed): their events are imported; only replaying them becomes impossible.
    Bodies are stored as received, so the address is looked for as each body writes it: plain, form-encoded
    (Mailgun legacy webhooks: ana%40acme.example) and JSON-escaped (a non-ASCII address as \\u00e9)."""
    spellings = {address, quote_plus(address), quote(address, safe=""), json.dumps(address)[1:-1],
                 json.dumps(address, ensure_ascii=False)[1:-1]}
    names = Q()
    for spelling in spellings:
        names |= Q(body__icontains=spelling)
    return WebhookPayload.objects.filter(names, organization=org).delete()[0]
