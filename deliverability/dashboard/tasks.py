"""Thin tasks of the weekly review: the hourly beat tick and the refresh after late data."""
from celery import shared_task
from django.utils import timezone

from deliverability.dashboard import snapshots
from deliverability.taskqueue import uses_broker


@shared_task(queue="reports", acks_late=True, time_limit=1800, soft_time_limit=1700)
def weekly_tick() -> dict:
    """Hourly (CELERY_BEAT_SCHEDULE): build due weeks, recompute stale ones. Safe to run twice."""
    return snapshots.weekly_tick(timezone.now())


@shared_task(bind=True, queue="reports", acks_late=True, time_limit=1800, max_retries=30)
def refresh_stale_snapshots(self, organization_id: int) -> dict:
    """After late data: recompute the organisation's stale weeks once its analysis is done.

    With Celery the analysis runs on another queue, so this may come first: it then retries a
    little later (the hourly tick is the safety net). In-process, tasks run in order, after the analysis."""
    counts = snapshots.refresh_stale(timezone.now(), organization_id)
    if counts.get("deferred") and uses_broker():
        raise self.retry(countdown=120)
    return counts
