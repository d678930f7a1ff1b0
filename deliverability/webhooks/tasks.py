"""Thin tasks of the webhook intake (they sit above the services, which never import them).

The micro-batch schedule: the first request to an idle endpoint queues an import WEBHOOK_BATCH_DELAY_SECONDS
later; requests arriving meanwhile ride along; the next import is due no sooner than
WEBHOOK_REFRESH_SECONDS after the last one started. Each import is one upload and one analysis, so a
campaign touched by a burst is judged again at most once a minute. The "default" queue, not "import": a
5-million-row upload on the import queue must not hold live events back for minutes.
"""
from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deliverability.taskqueue import dispatch, uses_broker
from deliverability.webhooks import services
from deliverability.webhooks.models import WebhookEndpoint

STALE_SCHEDULE_SECONDS = 300  # a queued import that never ran (a lost message): queued again


@shared_task(queue="default", acks_late=True, reject_on_worker_lost=True, time_limit=1800, soft_time_limit=1700)
def import_webhooks(endpoint_id: int) -> int:
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(import_due_at=None, last_import_at=now)
    upload = services.import_pending(endpoint_id)
    if endpoint_id in services.endpoints_with_pending():
        schedule_import(endpoint_id)  # more than one run's worth was waiting
    return upload.pk if upload else 0


@shared_task(queue="default", time_limit=300)
def sweep_webhooks() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): imports whose message was lost, payloads of a dead worker."""
    services.recover_stuck()
    queued = 0
    for endpoint_id in services.endpoints_with_pending(older_than_seconds=settings.WEBHOOK_BATCH_DELAY_SECONDS):
        queued += schedule_import(endpoint_id)
    return queued


@shared_task(queue="default", time_limit=3600)
def purge_webhook_payloads() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): raw payloads past WEBHOOK_PAYLOAD_DAYS or the organisation's retention."""
    return services.purge_payloads()


def import_may_be_needed(endpoint: WebhookEndpoint) -> bool:
    """From the endpoint row the request loaded anyway: during a burst an import is already due, and the
    request costs no further query."""
    due = endpoint.import_due_at
    return due is None or due < timezone.now() - timedelta(seconds=STALE_SCHEDULE_SECONDS)


def schedule_import(endpoint_id: int) -> int:
    """Queue the endpoint's next import unless one is queued already; returns 1 when it queued one."""
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).values("last_import_at").first()
    if endpoint is None:
        return 0
    due = now + timedelta(seconds=settings.WEBHOOK_BATCH_DELAY_SECONDS)
    if endpoint["last_import_at"]:
        due = max(due, endpoint["last_import_at"] + timedelta(seconds=settings.WEBHOOK_REFRESH_SECONDS))
    stale = now - timedelta(seconds=STALE_SCHEDULE_SECONDS)
    if not WebhookEndpoint.objects.filter(pk=endpoint_id).filter(
            Q(import_due_at__isnull=True) | Q(import_due_at__lt=stale)).update(import_due_at=due):
        return 0
    if uses_broker():
        delay = max(0.0, (due - now).total_seconds())
        transaction.on_commit(lambda: import_webhooks.apply_async(args=[endpoint_id], countdown=delay))
    else:
        # In-process (no REDIS_URL): the one background thread imports at once; no delayed run exists there.
        dispatch(import_webhooks, endpoint_id)
    return 1
