"""What an organisation's own imports say about its sender setup: the bounce codes that point at a
bulk-sender requirement (senders.checklist.BOUNCE_CODES) and the complaint rate.

Here, above campaigns, because the senders package sits below the imported data (layers contract).
Both read the last WINDOW_WEEKS weeks of events through the (organisation, week) index, and the
answer is cached for a few minutes (a page view must not scan an organisation's events twice).
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Event, Upload
from deliverability.senders.checklist import ALL_MARKERS

WINDOW_WEEKS = 5
# Where a rejection names the sending IP: "Client host [203.0.113.45] blocked" (Barracuda, Spamhaus-using
# Postfix), "ip=203.0.113.45" (reputation lookup links), "sending IP 203.0.113.45" / "your IP address"
# (Microsoft, Yahoo), "from [203.0.113.45]" (Postfix RBL rejections). Sources: the reply texts of
# research/vendors.md and data/smtp-field-manual.
_SENDING_IP = re.compile(r"(?:client host|ip=|ip address|sending ip|your ip|connecting ip|from)\s*\[?"
                         r"(\d{1,3}(?:\.\d{1,3}){3})\]?", re.IGNORECASE)
_LOCAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")]
SENDER_SIDE = ("reputation_block", "policy_block", "authentication", "sender_rejected", "spam_content")
CACHE_SECONDS = 600
NOT_DELIVERED = ("bounce", "deferred", "dropped")
_DOTTED = tuple(m for m in ALL_MARKERS if m[0].isdigit())
_TEXT = tuple(m for m in ALL_MARKERS if not m[0].isdigit())  # [TSS04], S3150: found in the reply text


def _window_start(org: Organization):
    today = timezone.now().astimezone(org.tzinfo).date()
    return today - timedelta(days=today.weekday() + 7 * (WINDOW_WEEKS - 1))


def sender_evidence(org: Organization) -> dict:
    """{'codes': {marker: count}, 'complaints': (complaints, delivered), 'since': date}."""
    # Keyed on the organisation's finished uploads (how many, the last to finish): an import, a re-import or
    # a deletion shows at once instead of after CACHE_SECONDS (one small query on the upload table).
    done = Upload.objects.filter(organization=org, status=Upload.Status.DONE).aggregate(n=Count("id"),
                                                                                        last=Max("finished_at"))
    key = f"senders:evidence:{org.pk}:{done['n']}:{done['last'].timestamp() if done['last'] else 0}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    since = _window_start(org)
    events = Event.objects.filter(organization=org, week__gte=since, upload__status=Upload.Status.DONE)  # finished imports
    codes = {row["enhanced_status"]: row["n"] for row in events.filter(
        type__in=NOT_DELIVERED, enhanced_status__in=_DOTTED).values("enhanced_status").annotate(n=Count("id"))}
    # The markers found in the reply text ([TSS04], S3150): all counted in one query.
    found = events.filter(type__in=NOT_DELIVERED, diagnostic__isnull=False).aggregate(
        **{f"m{index}": Count("id", filter=Q(diagnostic__text__contains=marker)) for index, marker in enumerate(_TEXT)})
    codes.update((marker, found[f"m{index}"]) for index, marker in enumerate(_TEXT) if found[f"m{index}"])
    totals = events.aggregate(complaints=Count("id", filter=Q(type="complaint")),
                              delivered=Count("id", filter=Q(type="delivered")))
    result = {"codes": codes, "complaints": (totals["complaints"], totals["delivered"]), "since": since,
              "named_ips": _named_ips(events)}
    cache.set(key, result, CACHE_SECONDS)
    return result


def named_ips_in(texts_with_counts) -> Counter:
    """Sending IPs named in rejection texts: (text, count) pairs → Counter of IP → bounces."""
    found: Counter = Counter()
    for text, count in texts_with_counts:
        for match in set(_SENDING_IP.findall(text or "")):
            try:
                address = ipaddress.IPv4Address(match)
            except ValueError:
                continue
            if not any(address in net for net in _LOCAL):
                found[str(address)] += count
    return found


def _named_ips(events) -> list[tuple[str, int]]:
    rows = (events.filter(type__in=NOT_DELIVERED, category__in=SENDER_SIDE, diagnostic__isnull=False)
            .values_list("diagnostic__text").annotate(n=Count("id")).order_by("-n")[:500])
    return named_ips_in(rows).most_common(10)
