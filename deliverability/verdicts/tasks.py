"""Thin tasks: after an import, enrich its domains, then judge its campaigns."""
from celery import shared_task

from deliverability.verdicts import analysis


@shared_task(bind=True, queue="enrich", acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def analyze_upload(self, upload_id: int) -> dict:
    # The task id is the claim: a redelivery of this same task (lost worker) may retake the upload.
    return analysis.analyze_upload(upload_id, claim=self.request.id or None)


@shared_task(queue="reports", acks_late=True, time_limit=1800)
def judge_campaigns(campaign_ids: list[int]) -> int:
    return analysis.judge_campaigns(campaign_ids)


@shared_task(queue="default", acks_late=True, time_limit=3600)
def purge_expired_events() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): each organisation's retention period."""
    from deliverability.verdicts.retention import purge_all

    return purge_all()
