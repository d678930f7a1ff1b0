"""Thin Celery tasks: take primary keys, call a service, safe to run twice. Tasks sit above the
services (services never import them): pages and commands queue work through the helpers here."""
from celery import shared_task

from deliverability.campaigns import services
from deliverability.campaigns.models import Upload
from deliverability.taskqueue import dispatch_reporting


@shared_task(bind=True, queue="import", acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def import_upload(self, upload_id: int) -> str:
    upload = services.run_import(upload_id, claim=self.request.id or None)
    return upload.status if upload else "skipped"


def start_import(upload: Upload | int) -> None:
    """Queue the upload's import (after the current transaction commits). With the queue down the
    upload waits, says so, and recover_uploads queues it once the queue is back."""
    pk = upload if isinstance(upload, int) else upload.pk
    dispatch_reporting(import_upload, (pk,), sent=lambda: services.mark_queued(pk),
                       unavailable=lambda exc: services.mark_queue_unavailable(pk))


@shared_task(queue="default", ignore_result=True)
def recover_uploads() -> dict:
    """The beat's clean-up (every IMPORT_RECOVERY_EVERY_SECONDS): imports that lost their worker are
    queued again, and uploads that came while the queue was down are queued now."""
    lost = services.requeue_lost_imports()
    waiting = [pk for pk in services.unqueued_uploads() if pk not in lost]
    for pk in lost + waiting:
        start_import(pk)
    return {"requeued": lost, "queued": waiting}
