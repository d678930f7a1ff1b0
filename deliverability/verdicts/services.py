"""The glue between the event store and the verdict engine.

`judge_campaign` streams a campaign's send outcomes once, builds each recipient's facts
(bounce reading, domain enrichment, the domain's pattern in this campaign, the recipient's
history in other campaigns), asks the pure engine for a verdict, and rewrites the campaign's
stored verdicts and rollups in one transaction. Staff overrides survive a recomputation.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from deliverability.campaigns.models import Campaign, Diagnostic, Event, Upload
from deliverability.domains.models import Domain
from deliverability.domains.services import load_domains
from deliverability.ingest.records import SEND_OUTCOMES
from deliverability.verdicts import models as stored
from deliverability.verdicts.diagnosis import diagnose_campaign
from deliverability.verdicts.explanations import campaign_headline
from deliverability.verdicts.facts import (
    DomainPattern,
    RecipientFacts,
    RecipientHistory,
    domain_patterns,
    pattern_outcome,
    vendor_patterns,
)
from deliverability.verdicts.judge import Verdict, apply_override, judge
from deliverability.verdicts.recovery import store_plan

log = logging.getLogger(__name__)

VERDICT_NAMES = [value for value, _ in stored.VERDICT_CHOICES]
_HARD_WORDS = {"hard", "hardbounce", "hard_bounce", "permanent", "hard bounce"}
_SOFT_WORDS = {"soft", "softbounce", "soft_bounce", "transient", "temporary", "soft bounce", "undetermined"}


def esp_hard_from_labels(labels: dict | None) -> bool | None:
    """The ESP's own hard/soft reading, when one of its raw labels says so; None otherwise."""
    if not labels:
        return None
    for key, value in labels.items():
        if key in ("truncated", "note"):
            continue
        word = str(value).strip().lower()
        if word in _HARD_WORDS:
            return True
        if word in _SOFT_WORDS:
            return False
    return None


@dataclass(slots=True)
class _Outcome:
    recipient_id: int
    email: str
    domain: str
    type: str
    occurred_at: datetime | None
    reply_code: int | None
    status: str
    diagnostic_id: int | None
    remote_mta: str
    category: str
    signature: str
    vendor: str
    hard: bool | None
    esp_hard: bool | None
    order: int


def _final_outcomes(campaign: Campaign) -> tuple[dict[int, _Outcome], Counter]:
    """Each recipient's last send outcome, and per-minute counts for the timeline."""
    rows = (
        Event.objects.filter(campaign=campaign, type__in=SEND_OUTCOMES, upload__status=Upload.Status.DONE)
        .order_by("occurred_at", "id")
        .values_list("recipient_id", "recipient__email", "domain", "type", "occurred_at", "reply_code",
                     "enhanced_status", "diagnostic_id", "remote_mta", "category", "signature",
                     "bounce_vendor", "hard", "esp_labels")
    )
    outcomes: dict[int, _Outcome] = {}
    minutes: Counter = Counter()
    for order, row in enumerate(rows.iterator(chunk_size=20_000)):
        (rid, email, domain, type_, at, code, status, diag, mta, category, signature, vendor, hard, labels) = row
        outcomes[rid] = _Outcome(rid, email, domain, type_, at, code, status, diag, mta, category, signature,
                                 vendor, hard, esp_hard_from_labels(labels), order)
        if at is not None and type_ in ("delivered", "bounce", "deferred"):
            minutes[(at.replace(second=0, microsecond=0), type_)] += 1
    return outcomes, minutes


def _histories(campaign: Campaign, recipient_ids: list[int]) -> dict[int, RecipientHistory]:
    """What each recipient did in the organisation's other campaigns."""
    found: dict[int, dict] = defaultdict(dict)
    for start in range(0, len(recipient_ids), 900):
        chunk = recipient_ids[start:start + 900]
        # One pass over the chunk's events: the hard bounces are counted in the same group as the bounces
        # (a second query over the same rows cost half of this step at a million recipients).
        rows = (
            Event.objects.filter(recipient_id__in=chunk, upload__status=Upload.Status.DONE)
            .exclude(campaign=campaign)
            .filter(type__in=("delivered", "open", "click", "bounce"))
            .values("recipient_id", "type")
            .annotate(n=Count("id"), last=Max("occurred_at"), hard=Count("id", filter=Q(hard=True)))
        )
        for row in rows:
            found[row["recipient_id"]][row["type"]] = (row["n"], row["last"])
            if row["type"] == "bounce" and row["hard"]:
                found[row["recipient_id"]]["hard"] = (row["hard"], None)
    histories = {}
    for rid, kinds in found.items():
        delivered = kinds.get("delivered", (0, None))
        histories[rid] = RecipientHistory(
            delivered_before=delivered[0],
            last_delivered_at=delivered[1],
            opened_at=kinds.get("open", (0, None))[1],
            clicked_at=kinds.get("click", (0, None))[1],
            previous_hard_bounces=kinds.get("hard", (0, None))[0],
        )
    return histories


def _facts(o: _Outcome, domain: Domain | None, texts: dict[int, str], pattern: DomainPattern | None,
           vendor_pattern: DomainPattern | None, history: RecipientHistory | None) -> RecipientFacts:
    return RecipientFacts(
        email=o.email, domain=o.domain, outcome=o.type, occurred_at=o.occurred_at,
        category=o.category or None, signature=o.signature or None, hard=o.hard,
        bounce_vendor=o.vendor or None, reply_code=o.reply_code, status=o.status or None,
        diagnostic=texts.get(o.diagnostic_id) if o.diagnostic_id else None, remote_mta=o.remote_mta or None,
        esp_hard=o.esp_hard,
        domain_kind=(domain.kind or None) if domain else None,
        mx_status=(domain.mx_status or None) if domain else None,
        mx_host=(domain.mx_hosts[0] if domain and domain.mx else None),
        mx_vendor=(domain.vendor_id or None) if domain else None,
        mx_vendor_category=(domain.vendor_category or None) if domain else None,
        provider=(domain.provider_id or None) if domain else None,
        pattern=pattern, vendor_pattern=vendor_pattern, history=history,
    )


def judge_campaign(campaign_id: int) -> stored.CampaignDiagnosis | None:
    """Recompute a campaign's verdicts and rollups from its events. Safe to run any number of times.

    Runs of one campaign are serialised: the campaign row is locked (SELECT … FOR UPDATE on PostgreSQL)
    for the whole run, so a second run (an analysis and a deletion's re-judgement, two workers) reads the
    events, overrides and verdicts only after the first has written them, and never interleaves its
    delete-and-insert of the verdicts with another's.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            return None
        return _judge_locked(campaign)


def _judge_locked(campaign: Campaign) -> stored.CampaignDiagnosis | None:
    outcomes, minutes = _final_outcomes(campaign)
    if not outcomes:
        kept = stored.CampaignDiagnosis.objects.filter(campaign=campaign).first()
        if kept is not None and (kept.data or {}).get("events_purged_at"):
            return kept  # events deleted by the retention period: the figures are all that is left
    domains = load_domains({o.domain for o in outcomes.values()})
    ordered = sorted(outcomes.values(), key=lambda o: o.order)
    patterns = domain_patterns((o.domain, o.occurred_at, pattern_outcome(o.type, o.reply_code, o.status))
                               for o in ordered)
    vendor_of = {name: d.vendor_id for name, d in domains.items() if d.vendor_id}
    by_vendor = vendor_patterns(
        (vendor_of.get(o.domain) or o.vendor or None, o.occurred_at, pattern_outcome(o.type, o.reply_code, o.status),
         o.domain) for o in ordered
    )
    not_delivered = [o for o in ordered if o.type != "delivered"]
    histories = _histories(campaign, [o.recipient_id for o in not_delivered])
    diag_ids = [o.diagnostic_id for o in not_delivered if o.diagnostic_id]
    texts = dict(Diagnostic.objects.filter(id__in=set(diag_ids)).values_list("id", "text")) if diag_ids else {}
    overrides = {
        row["recipient_id"]: row
        for row in stored.RecipientVerdict.objects.filter(campaign=campaign).exclude(override_verdict="")
        .values("recipient_id", "override_verdict", "override_note", "overridden_by_id", "overridden_at")
    }

    all_facts: list[RecipientFacts] = []
    verdicts: dict[str, Verdict] = {}
    rows: list[stored.RecipientVerdict] = []
    for o in ordered:
        domain = domains.get(o.domain)
        vendor_key = vendor_of.get(o.domain) or o.vendor or None
        facts = _facts(o, domain, texts, patterns.get(o.domain), by_vendor.get(vendor_key) if vendor_key else None,
                       histories.get(o.recipient_id, RecipientHistory()) if o.type != "delivered" else None)
        all_facts.append(facts)
        if o.type == "delivered":
            continue
        computed = judge(facts)
        if computed is None:
            continue
        override = overrides.get(o.recipient_id)
        effective = apply_override(computed, override["override_verdict"]) if override else computed
        verdicts[o.email] = effective
        rows.append(stored.RecipientVerdict(
            organization_id=campaign.organization_id, campaign=campaign, recipient_id=o.recipient_id,
            email=o.email, domain=o.domain, outcome=o.type, occurred_at=o.occurred_at,
            category=o.category, signature=o.signature, reply_code=o.reply_code, enhanced_status=o.status,
            diagnostic=facts.diagnostic or "", vendor=facts.answering_vendor or "",
            domain_kind=facts.domain_kind or "", esp_hard=o.esp_hard,
            computed_verdict=computed.verdict, confidence=effective.confidence, evidence=effective.evidence,
            verdict=effective.verdict,
            override_verdict=override["override_verdict"] if override else "",
            override_note=override["override_note"] if override else "",
            overridden_by_id=override["overridden_by_id"] if override else None,
            overridden_at=override["overridden_at"] if override else None,
        ))

    diagnosis = diagnose_campaign(all_facts, verdicts, campaign.sent_count, name=campaign.name)
    headline = diagnosis.headline or campaign_headline(diagnosis)
    with transaction.atomic():
        stored.RecipientVerdict.objects.filter(campaign=campaign).delete()
        _insert_verdicts(rows)
        row, _ = stored.CampaignDiagnosis.objects.update_or_create(campaign=campaign, defaults={
            "recipients": diagnosis.recipients, "delivered": diagnosis.delivered, "bounced": diagnosis.bounced,
            "reported_hard_bounce_rate": diagnosis.reported_hard_bounce_rate,
            "estimated_invalid_rate": diagnosis.estimated_invalid_rate,
            "b2b_recipients": diagnosis.b2b.recipients or 0, "b2b_bounced": diagnosis.b2b.bounced,
            "b2c_recipients": diagnosis.b2c.recipients or 0, "b2c_bounced": diagnosis.b2c.bounced,
            "by_verdict": dict(diagnosis.by_verdict), "by_vendor": diagnosis.to_json()["by_vendor"],
            "headline": headline, "data": diagnosis.to_json(),
        })
        _store_domain_stats(campaign, all_facts, verdicts, domains)
        _store_timeline(campaign, minutes)
        store_vendor_rollups(campaign.pk)
        if campaign.sent_at is None and ordered and ordered[0].occurred_at:
            Campaign.objects.filter(pk=campaign.pk).update(sent_at=ordered[0].occurred_at)
        # Last: the plan's history queries turn sequential scans off for the rest of the transaction.
        store_plan(campaign)
    return row


def _insert_verdicts(rows: list[stored.RecipientVerdict]) -> None:
    """Write a campaign's verdicts: COPY on PostgreSQL (bulk_create spent most of its time building and
    adapting the INSERT's parameters: 70 of 240 s of a million events' analysis), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        stored.RecipientVerdict.objects.bulk_create(rows, batch_size=2000)
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in stored.RecipientVerdict._meta.concrete_fields if not f.primary_key]
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    now = timezone.now()
    for row in rows:
        row.computed_at = now  # auto_now, as save() would set it
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {stored.RecipientVerdict._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Jsonb(getattr(row, f.attname)) if f.attname in json_fields else getattr(row, f.attname)
                            for f in fields])


def _store_domain_stats(campaign, all_facts, verdicts, domains) -> None:
    stats: dict[str, dict] = {}
    for facts in all_facts:
        entry = stats.get(facts.domain)
        if entry is None:
            domain = domains.get(facts.domain)
            entry = stats[facts.domain] = {
                "kind": (domain.kind if domain else "") or "", "vendor": (domain.vendor_id if domain else "") or "",
                "recipients": 0, "delivered": 0, "bounced": 0, **dict.fromkeys(VERDICT_NAMES, 0),
            }
        entry["recipients"] += 1
        if facts.outcome == "delivered":
            entry["delivered"] += 1
            continue
        if facts.outcome == "bounce":
            entry["bounced"] += 1
        verdict = verdicts.get(facts.email)
        if verdict is not None:
            entry[verdict.verdict] += 1
    stored.CampaignDomainStat.objects.filter(campaign=campaign).delete()
    stored.CampaignDomainStat.objects.bulk_create(
        [stored.CampaignDomainStat(campaign=campaign, domain=name, **entry) for name, entry in stats.items()],
        batch_size=2000,
    )


def store_vendor_rollups(campaign_id: int) -> None:
    """The vendor page's rollups of one campaign (CampaignVendorStat, CampaignSignatureStat), from its stored
    verdicts and domain rows: the analysis calls it after writing them, the backfill command for campaigns
    judged before these rollups existed, so both build them the same way.

    A delivered recipient's answering vendor is its domain's MX vendor (no bounce text names another), which
    the domain row keeps; every other recipient has a verdict row carrying its answering vendor."""
    verdicts = stored.RecipientVerdict.objects.filter(campaign_id=campaign_id).exclude(vendor="")
    per_domain: dict[tuple[str, str], dict] = {}

    def entry(vendor: str, domain: str) -> dict:
        return per_domain.setdefault((vendor, domain), {"recipients": 0, "delivered": 0, "bounced": 0,
                                                        **dict.fromkeys(VERDICT_NAMES, 0)})

    for vendor, domain, delivered in (stored.CampaignDomainStat.objects.filter(campaign_id=campaign_id, delivered__gt=0)
                                      .exclude(vendor="").values_list("vendor", "domain", "delivered")):
        row = entry(vendor, domain)
        row["recipients"] += delivered
        row["delivered"] += delivered
    for row in verdicts.values("vendor", "domain", "outcome", "verdict").annotate(n=Count("id")).order_by():
        counts = entry(row["vendor"], row["domain"])
        counts["recipients"] += row["n"]
        if row["outcome"] == "bounce":
            counts["bounced"] += row["n"]
            counts[row["verdict"]] += row["n"]
    signatures = (verdicts.filter(outcome="bounce").values("vendor", "category", "signature")
                  .annotate(n=Count("id"), example=Max("diagnostic")).order_by())
    stored.CampaignVendorStat.objects.filter(campaign_id=campaign_id).delete()
    stored.CampaignVendorStat.objects.bulk_create(
        [stored.CampaignVendorStat(campaign_id=campaign_id, vendor=vendor, domain=domain, **counts)
         for (vendor, domain), counts in sorted(per_domain.items())], batch_size=2000)
    stored.CampaignSignatureStat.objects.filter(campaign_id=campaign_id).delete()
    stored.CampaignSignatureStat.objects.bulk_create(
        [stored.CampaignSignatureStat(campaign_id=campaign_id, vendor=r["vendor"], category=r["category"],
                                      signature=r["signature"], bounced=r["n"], example=r["example"] or "")
         for r in signatures], batch_size=2000)


def _store_timeline(campaign, minutes: Counter) -> None:
    buckets: dict[datetime, dict[str, int]] = defaultdict(lambda: {"delivered": 0, "bounced": 0, "deferred": 0})
    for (minute, type_), count in minutes.items():
        buckets[minute]["bounced" if type_ == "bounce" else type_] += count
    stored.CampaignTimeline.objects.filter(campaign=campaign).delete()
    stored.CampaignTimeline.objects.bulk_create(
        [stored.CampaignTimeline(campaign=campaign, minute=minute, **counts) for minute, counts in sorted(buckets.items())],
        batch_size=2000,
    )


def set_override(verdict_row: stored.RecipientVerdict, verdict: str, user, note: str = "") -> None:
    """A staff override: it wins in every figure and export, and survives recomputation."""
    from django.utils import timezone

    if verdict and verdict not in VERDICT_NAMES:
        raise ValueError(f"unknown verdict {verdict!r}")
    stored.RecipientVerdict.objects.filter(pk=verdict_row.pk).update(
        override_verdict=verdict, override_note=note[:2000], overridden_by=user if verdict else None,
        overridden_at=timezone.now() if verdict else None,
    )
    judge_campaign(verdict_row.campaign_id)
    from deliverability.verdicts.signals import verdicts_changed

    verdicts_changed.send(sender=stored.RecipientVerdict, organization_id=verdict_row.organization_id,
                          campaign_ids=[verdict_row.campaign_id])
