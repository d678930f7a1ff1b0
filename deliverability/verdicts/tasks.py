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


@shared_task(queue="reports", acks_late=True, time_limit=1800)
def refresh_recovery_plans(organization_id: int) -> dict:
    """After an upload's deletion (its campaigns judged again): the organisation's other un-suppression plans."""
    from deliverability.verdicts.recovery import refresh_plans

    return dict(refresh_plans(organization_id))


@shared_task(queue="reports", acks_late=True, time_limit=1800)
def store_recovery_plan(campaign_id: int) -> bool:
    """A stale un-suppression plan a page asked for (the page says it is being computed meanwhile)."""
    from django.core.cache import cache

    from deliverability.campaigns.models import Campaign
    from deliverability.verdicts.recovery import refresh_key, store_plan

    try:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is not None:
            store_plan(campaign)
        return campaign is not None
    finally:
        cache.delete(refresh_key(campaign_id))
