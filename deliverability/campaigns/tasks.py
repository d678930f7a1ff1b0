"""Thin Celery tasks: take primary keys, call a service, safe to run twice. Tasks sit above the
services (services never import them): pages and commands queue work through the helpers here."""
from celery import shared_task

from deliverability.campaigns import services
from deliverability.campaigns.models import Upload
from deliverability.taskqueue import dispatch


@shared_task(bind=True, queue="import", acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def import_upload(self, upload_id: int) -> str:
    upload = services.run_import(upload_id, claim=self.request.id or None)
    return upload.status if upload else "skipped"


def start_import(upload: Upload) -> None:
    """Queue the upload's import (after the current transaction commits)."""
    dispatch(import_upload, upload.pk)
