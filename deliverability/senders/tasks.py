"""Thin tasks: the daily sender check of every organisation (CELERY_BEAT_SCHEDULE 'sender-checks')."""
from __future__ import annotations

from celery import shared_task

from deliverability.accounts.models import Organization


@shared_task(queue="enrich", acks_late=True, time_limit=1800)
def check_organization_senders(organization_id: int) -> int:
    from .services import check_organization

    org = Organization.objects.filter(pk=organization_id).first()
    return len(check_organization(org)) if org else 0


@shared_task(queue="default", acks_late=True, time_limit=600)
def check_all_senders() -> int:
    """Daily: one task per organisation with sending domains or IPs (safe to run twice: a second run
    adds a result and records no change that the first did not)."""
    from deliverability.taskqueue import dispatch

    from .services import organizations_to_check, prune_history

    prune_history()
    ids = list(organizations_to_check().values_list("pk", flat=True))
    for org_id in ids:
        dispatch(check_organization_senders, org_id)
    return len(ids)
