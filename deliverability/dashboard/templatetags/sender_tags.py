"""Sender-health snippets for other pages: recent changes (organisation page, weekly review)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliverability import i18n
from deliverability.senders.checks import PROBLEM_SENTENCES
from deliverability.senders.models import SenderChange

register = template.Library()

NEWS = (SenderChange.Kind.PROBLEM_NEW, SenderChange.Kind.DMARC_POLICY, SenderChange.Kind.LISTED,
        SenderChange.Kind.DELISTED, SenderChange.Kind.PROBLEM_GONE)

# Each problem code in words (deliverability.senders.checks.PROBLEM_SENTENCES, the engine's vocabulary), in the
# reader's language; the check's own detail (record text, selector, zone) stays behind the technical toggle.
PROBLEM_WORDS = PROBLEM_SENTENCES


# A check's state (deliverability.senders.checks: PASS, WARN, FAIL, UNKNOWN) in the reader's language.
STATE_WORDS = {"pass": _("passes"), "warn": _("warning"), "fail": _("fails"), "unknown": _("unknown")}


@register.filter
def check_state(state: str) -> str:
    return STATE_WORDS.get(state, state)


@register.filter
def problem_words(code: str) -> str:
    """The problem code in words, in the reader's language; an unknown code as it is."""
    return i18n.label(PROBLEM_WORDS[code]) if code in PROBLEM_WORDS else code


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
