"""Sender-health snippets for other pages: recent changes (organisation page, weekly review)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import template
from django.utils import timezone

from deliverability.senders.models import SenderChange

register = template.Library()

NEWS = (SenderChange.Kind.PROBLEM_NEW, SenderChange.Kind.DMARC_POLICY, SenderChange.Kind.LISTED,
        SenderChange.Kind.DELISTED, SenderChange.Kind.PROBLEM_GONE)


@register.simple_tag
def sender_changes(org, week_start: date | str | None = None, days: int = 14, limit: int = 8):
    """The organisation's sender changes in the week starting `week_start` (its time zone), or in the last `days`."""
    changes = SenderChange.objects.filter(organization=org, kind__in=NEWS)
    if week_start:
        if isinstance(week_start, str):
            week_start = date.fromisoformat(week_start)
        start = datetime.combine(week_start, time.min, tzinfo=org.tzinfo)
        changes = changes.filter(occurred_at__gte=start, occurred_at__lt=start + timedelta(days=7))
    else:
        changes = changes.filter(occurred_at__gte=timezone.now() - timedelta(days=days))
    return list(changes.order_by("-occurred_at")[:limit])
