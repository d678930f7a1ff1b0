"""Sender-health snippets for other pages: recent changes (organisation page, weekly review)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliverability.senders.models import SenderChange

register = template.Library()

NEWS = (SenderChange.Kind.PROBLEM_NEW, SenderChange.Kind.DMARC_POLICY, SenderChange.Kind.LISTED,
        SenderChange.Kind.DELISTED, SenderChange.Kind.PROBLEM_GONE)

# One plain sentence per problem code of the sender checks (deliverability.senders.checks.PROBLEM_CODES), in
# the reader's language; the check's own detail (record text, selector, zone) stays behind the technical
# toggle, as the engine writes it.
PROBLEM_WORDS = {
    "spf_missing": _("The domain publishes no SPF record."),
    "spf_multiple": _("The domain publishes more than one SPF record, so receivers treat SPF as broken."),
    "spf_syntax": _("The SPF record has a syntax error."),
    "spf_too_many_lookups": _("The SPF record needs more than 10 DNS lookups, so receivers treat it as broken."),
    "spf_void_lookups": _("The SPF record points at names that do not exist (more than 2)."),
    "spf_permissive_all": _("The SPF record lets any server send for the domain."),
    "spf_include_loop": _("The SPF record includes itself in a loop."),
    "spf_include_missing": _("The SPF record includes a name that publishes no SPF record."),
    "spf_esp_missing": _("The SPF record does not include the sending platform."),
    "spf_ptr": _("The SPF record uses the ptr mechanism, which receivers are told not to use."),
    "dkim_missing": _("No DKIM key was found for a selector in use."),
    "dkim_weak_key": _("A DKIM key is shorter than 2048 bits."),
    "dkim_revoked": _("A DKIM key has been revoked."),
    "dkim_syntax": _("A DKIM key record has a syntax error."),
    "dmarc_missing": _("The domain publishes no DMARC policy."),
    "dmarc_multiple": _("The domain publishes more than one DMARC record, so receivers ignore them."),
    "dmarc_syntax": _("The DMARC record has a syntax error."),
    "dmarc_policy_none": _("The DMARC policy only monitors: nothing that fails is quarantined or rejected."),
    "dmarc_no_reports": _("The DMARC record asks for no aggregate reports, so nobody sees who sends as the domain."),
    "dmarc_pct_partial": _("The DMARC policy applies to only part of the mail."),
    "dmarc_not_aligned": _("The sending platform's domains are not aligned with the From domain."),
    "dmarc_rua_unauthorized": _("The DMARC reports go to another domain that has not agreed to receive them."),
    "ptr_missing": _("A sending IP address has no reverse DNS name."),
    "ptr_mismatch": _("A sending IP address's reverse DNS name does not point back to it."),
    "dnsbl_listed": _("A sending IP address or domain is on a blocklist."),
    "dnsbl_refused": _("A blocklist refused to answer (a key or a private resolver is needed)."),
}


# A check's state (deliverability.senders.checks: PASS, WARN, FAIL, UNKNOWN) in the reader's language.
STATE_WORDS = {"pass": _("passes"), "warn": _("warning"), "fail": _("fails"), "unknown": _("unknown")}


@register.filter
def check_state(state: str) -> str:
    return STATE_WORDS.get(state, state)


@register.filter
def problem_words(code: str) -> str:
    """The problem code in words, in the reader's language; an unknown code as it is."""
    return PROBLEM_WORDS.get(code, code)


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
