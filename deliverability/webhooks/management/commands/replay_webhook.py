"""Post captured ESP webhook bodies through the real endpoint, signed as the ESP would sign them.

    manage.py replay_webhook --org SLUG --esp {sendgrid,mailgun,postmark,ses,…} FILE…
    manage.py replay_webhook --org SLUG --endpoint NAME [--esp ESP]

Each FILE holds one request body. The organisation and its replay endpoint are created when missing; each
request is made valid as the ESP makes it: a fresh Mailgun signature block (timestamp, token, HMAC with the
replay endpoint's key), an SNS envelope around a bare SES event (or the captured envelope re-signed) with
the replay endpoint's test certificate and its TopicArn allow-listed, a SendGrid ECDSA signature from the
replay endpoint's key pair, Postmark basic auth. What is pending is imported, then one compact JSON object
per file is printed on standard output:
    {"file": "<path as given>", "status": "<HTTP status>", "events": [{"type", "recipient", "occurred_at", "esp_event_id"}]}

With --endpoint instead of files, the requests that endpoint of the organisation stored (kept
WEBHOOK_PAYLOAD_DAYS days) are imported again, and only those: after a reader was fixed, say. Events
already stored are not stored twice. One line per stored request, oldest first:
    {"request": <id>, "received_at": "<ISO time>", "events": [...]}
An unknown organisation or endpoint is an error naming the organisation's endpoints; nothing is created.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory, override_settings
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.text import slugify

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Event
from deliverability.ingest import Record
from deliverability.taskqueue import uses_broker, wait_for_background_tasks
from deliverability.webhooks import services, verify
from deliverability.webhooks.models import BASIC_AUTH_ONLY, Esp, WebhookEndpoint, WebhookPayload

REPLAY_NAME = "replay"
REPLAY_TOPIC = "arn:aws:sns:us-east-1:000000000000:replay"
REPLAY_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-replay.pem"


def replay_endpoint(org: Organization, esp: str) -> WebhookEndpoint:
    """The organisation's replay endpoint for `esp`, with keys of its own (made once)."""
    endpoint = WebhookEndpoint.objects.filter(organization=org, esp=esp, name=REPLAY_NAME).first()
    if endpoint is not None:
        return endpoint
    endpoint = WebhookEndpoint(organization=org, esp=esp, name=REPLAY_NAME)
    if esp == Esp.SENDGRID:
        private, public = verify.new_sendgrid_keys()
        endpoint.signing_key, endpoint.replay_keys = public, {"sendgrid_private": private}
    elif esp == Esp.MAILGUN:
        endpoint.signing_key = secrets.token_hex(16)
    elif esp in BASIC_AUTH_ONLY:
        endpoint.basic_user, endpoint.basic_password = f"{esp}-replay", secrets.token_urlsafe(18)
    else:
        private, certificate = verify.new_sns_certificate()
        endpoint.sns_certificate, endpoint.replay_keys = certificate, {"sns_private": private}
        endpoint.topic_arns = REPLAY_TOPIC
    endpoint.save()
    return endpoint


def signed_request(endpoint: WebhookEndpoint, body: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and headers the ESP would send for `body` to `endpoint`."""
    headers: dict[str, str] = {}
    if endpoint.esp == Esp.SENDGRID:
        stamp = str(int(time.time()))
        headers["HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP"] = stamp
        headers["HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE"] = verify.sign_sendgrid(
            endpoint.replay_keys["sendgrid_private"], stamp, body)
    elif endpoint.esp in BASIC_AUTH_ONLY:
        pair = f"{endpoint.basic_user}:{endpoint.basic_password}".encode()
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(pair).decode()
    elif endpoint.esp in (Esp.MAILGUN, Esp.SES):
        try:
            payload = json.loads(body)
        except ValueError:
            if endpoint.esp == Esp.MAILGUN:
                try:
                    return _legacy_mailgun(endpoint, body), {**headers, "content_type": services.FORM}
                except (ValueError, UnicodeDecodeError):
                    pass
            return body, headers  # posted as it is: the endpoint answers 400, as it would to the ESP
        if endpoint.esp == Esp.MAILGUN and isinstance(payload, dict):
            stamp, token = str(int(time.time())), secrets.token_hex(25)
            payload["signature"] = {"timestamp": stamp, "token": token,
                                    "signature": verify.mailgun_signature(endpoint.signing_key, stamp, token)}
            body = json.dumps(payload).encode()
        elif endpoint.esp == Esp.SES and isinstance(payload, dict):
            body = json.dumps(_sns_envelope(endpoint, payload, body)).encode()
    return body, headers


def _legacy_mailgun(endpoint: WebhookEndpoint, body: bytes) -> bytes:
    """A legacy (form-encoded) Mailgun webhook with fresh timestamp, token and signature fields."""
    services.mailgun_legacy_form(body)  # ValueError when it is not a form
    fields = [(k, v) for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True)
              if k not in ("timestamp", "token", "signature")]
    stamp, token = str(int(time.time())), secrets.token_hex(25)
    fields += [("timestamp", stamp), ("token", token),
               ("signature", verify.mailgun_signature(endpoint.signing_key, stamp, token))]
    return urlencode(fields).encode()


def _sns_envelope(endpoint: WebhookEndpoint, payload: dict, body: bytes) -> dict:
    if payload.get("Type") in verify.SNS_TYPES and isinstance(payload.get("Message"), str):
        message = dict(payload)  # a captured envelope: re-signed, its topic allowed on the replay endpoint
        topic = str(message.get("TopicArn") or REPLAY_TOPIC)
        if topic not in endpoint.allowed_topics:
            endpoint.topic_arns = "\n".join(sorted(endpoint.allowed_topics | {topic}))
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(topic_arns=endpoint.topic_arns)
        message["TopicArn"] = topic
    else:  # a bare SES event: the notification SNS would deliver
        message = {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": REPLAY_TOPIC,
                   "Message": body.decode("utf-8"),
                   "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
    message["SigningCertURL"] = REPLAY_CERT_URL
    return verify.sign_sns(message, endpoint.replay_keys["sns_private"])


def _hold_scheduling(endpoint: WebhookEndpoint) -> None:
    """This command imports what it replays itself (with or without analysis): the hook's own scheduling is
    held meanwhile (it queues nothing while an import is due)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(import_due_at=timezone.now() + timedelta(hours=1))


class Command(BaseCommand):
    help = "Post captured ESP webhook bodies (one per file) through the real endpoint; one JSON line per file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE")
        parser.add_argument("--org", required=True, metavar="SLUG")
        parser.add_argument("--esp", choices=[e.value for e in Esp], help="required with FILEs")
        parser.add_argument("--endpoint", metavar="NAME",
                            help="instead of FILEs: import again the requests this endpoint (name or id) stored")
        parser.add_argument("--no-enrich", action="store_true", help="import without DNS enrichment and verdicts")

    def handle(self, *args, files, org, esp, endpoint, no_enrich, **options):
        if endpoint is not None:
            if files:
                raise CommandError("give FILEs or --endpoint, not both")
            return self._replay_stored(org, esp, endpoint, analyse=not no_enrich)
        if not files or not esp:
            raise CommandError("give --esp and at least one FILE (or --endpoint NAME to replay stored requests)")
        organization, created = Organization.objects.get_or_create(slug=slugify(org)[:80] or "replay",
                                                                   defaults={"name": org[:200]})
        if created:
            self.stderr.write(f"created organisation {organization.slug}")
        endpoint = replay_endpoint(organization, esp)
        self._post_files(endpoint, files, analyse=not no_enrich)

    def _post_files(self, endpoint: WebhookEndpoint, files: list[str], analyse: bool) -> None:
        match = resolve(reverse("webhook", args=[endpoint.esp, endpoint.token]))
        factory = RequestFactory()
        posted: list[tuple[str, str, int | None]] = []
        unreadable = 0
        _hold_scheduling(endpoint)
        # Nothing here reaches the internet: no SNS subscription is confirmed by fetching its URL.
        with override_settings(WEBHOOK_SNS_AUTO_CONFIRM=False):
            for name in files:
                try:
                    raw = Path(name).read_bytes()
                except OSError as exc:
                    self.stderr.write(f"{name}: cannot be read ({exc.strerror})")
                    unreadable += 1
                    continue
                body, headers = signed_request(endpoint, raw)
                content_type = headers.pop("content_type", "application/json")
                request = factory.post(reverse("webhook", args=[endpoint.esp, endpoint.token]),
                                       data=body, content_type=content_type, **headers)
                response = match.func(request, **match.kwargs)
                digest = hashlib.sha256(body).hexdigest()
                payload_id = WebhookPayload.objects.filter(endpoint=endpoint, body_sha256=digest).values_list(
                    "pk", flat=True).first()
                posted.append((name, str(response.status_code), payload_id if response.status_code == 200 else None))
        try:
            self._import(endpoint, [p for _, _, p in posted if p], analyse=analyse)
        finally:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(import_due_at=None)
        for name, status, payload_id in posted:
            self.stdout.write(json.dumps({"file": name, "status": status, "events": self._events(endpoint, payload_id)},
                                         separators=(",", ":"), ensure_ascii=False))
        if unreadable:
            raise CommandError(f"{unreadable} file(s) could not be read")

    def _replay_stored(self, slug: str, esp: str | None, name: str, analyse: bool) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organisation {slug!r}")
        endpoints = WebhookEndpoint.objects.filter(organization=organization)
        if esp:
            endpoints = endpoints.filter(esp=esp)
        found = list(endpoints.filter(pk=int(name)) if name.isdigit() else []) or list(endpoints.filter(name=name))
        if len(found) != 1:
            known = ", ".join(f"{e.name!r} ({e.esp}, id {e.pk})" for e in endpoints) or "none"
            problem = "several endpoints are" if found else "no endpoint is"
            raise CommandError(f"{problem} named {name!r} in {organization.slug}"
                               f"{' for ' + esp if esp else ''}; its endpoints: {known}"
                               + ("; add --esp or give the id" if found else ""))
        endpoint = found[0]
        stored = WebhookPayload.objects.filter(endpoint=endpoint, status__in=(
            WebhookPayload.Status.IMPORTED, WebhookPayload.Status.FAILED, WebhookPayload.Status.PENDING))
        ids = list(stored.order_by("pk").values_list("pk", flat=True))
        _hold_scheduling(endpoint)
        try:
            WebhookPayload.objects.filter(pk__in=ids).update(status=WebhookPayload.Status.PENDING, claim="", error="")
            self._import(endpoint, ids, analyse=analyse)
        finally:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(import_due_at=None)
        self.stderr.write(f"{len(ids)} stored request(s) of {endpoint} imported again")
        for pk, received in WebhookPayload.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "received_at"):
            self.stdout.write(json.dumps({"request": pk, "received_at": received.isoformat(),
                                          "events": self._events(endpoint, pk)}, separators=(",", ":"),
                                         ensure_ascii=False))

    def _import(self, endpoint: WebhookEndpoint, payload_ids: list[int], analyse: bool) -> None:
        if not uses_broker():
            wait_for_background_tasks(timeout=600)  # the hook queued an import on this process's thread
        while services.import_pending(endpoint.pk, analyse=analyse):
            pass
        deadline = time.monotonic() + 600
        waiting = WebhookPayload.objects.filter(pk__in=payload_ids, status__in=(
            WebhookPayload.Status.PENDING, WebhookPayload.Status.IMPORTING))
        while waiting.exists():  # a worker took some first: wait for it
            if time.monotonic() > deadline:
                raise CommandError("the import of the replayed requests did not finish within 600 s")
            time.sleep(0.5)
        if not uses_broker():
            wait_for_background_tasks(timeout=3600)  # the analysis, on this process's thread

    def _events(self, endpoint: WebhookEndpoint, payload_id: int | None) -> list[dict]:
        if payload_id is None:
            return []
        body = WebhookPayload.objects.filter(pk=payload_id).values_list("body", flat=True).first() or ""
        identities = [r.esp_event_id for r in services.payload_records(endpoint, payload_id, body)
                      if isinstance(r, Record) and r.esp_event_id]
        found = {e.esp_event_id: e for e in Event.objects.filter(
            organization_id=endpoint.organization_id, esp_event_id__in=identities).select_related("recipient")}
        return [{"type": e.type, "recipient": e.recipient.email,
                 "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None, "esp_event_id": e.esp_event_id}
                for e in (found.get(i) for i in dict.fromkeys(identities)) if e is not None]
