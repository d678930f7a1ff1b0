"""The campaign diagnosis: the figures of ``analyze --json`` and a short "what to do" list.

Definitions (issue 7):
- ``recipients``: distinct addresses with a send outcome in the campaign; when the file holds only
  part of them (a bounce-only export) and a sent count is given, the sent count, and a note says so.
- ``reported_hard_bounce_rate``: recipients whose outcome is a bounce the ESP labelled hard /
  permanent (with no ESP label: a 5xx reply), divided by ``recipients``.
- ``estimated_invalid_rate``: recipients with verdict ``invalid_recipient`` / ``recipients``.
- ``b2b`` / ``b2c``: by the recipient's domain kind; disposable counts as B2C, unknown as B2B.
- ``by_verdict`` and ``by_vendor``: over bounced recipients (outcome ``bounce``).
Rates are fractions in [0, 1].
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from deliverability.bounces.vendors import get_vendor

from .explanations import campaign_headline
from .facts import VERDICTS, RecipientFacts
from .judge import Verdict, apply_override, verdict_value

UNIDENTIFIED_VENDOR = "Unidentified (own or unknown server)"
KEEP_VERDICTS = frozenset({"filter_rejection", "sender_issue", "temporary"})
TOP_DOMAINS = 10
ASK_IT_DOMAINS = 8
RATE_DIGITS = 4


def _rate(count: int, total: int | None) -> float | None:
    if not total:
        return 0.0 if total == 0 else None
    return round(count / total, RATE_DIGITS)


def _verdict_counts() -> dict[str, int]:
    return dict.fromkeys(VERDICTS, 0)


@dataclass(slots=True)
class Segment:
    """B2B or B2C figures."""

    recipients: int | None = 0  # None when only a sent count is known (no split)
    bounced: int = 0
    reported_hard_bounced: int = 0
    invalid: int = 0

    @property
    def bounce_rate(self) -> float | None:
        return _rate(self.bounced, self.recipients)

    def to_json(self) -> dict:
        return {
            "recipients": self.recipients,
            "bounced": self.bounced,
            "bounce_rate": self.bounce_rate,
            "reported_hard_bounces": self.reported_hard_bounced,
            "reported_hard_bounce_rate": _rate(self.reported_hard_bounced, self.recipients),
            "estimated_invalid_rate": _rate(self.invalid, self.recipients),
        }


@dataclass(slots=True)
class CampaignDiagnosis:
    name: str
    recipients: int
    delivered: int
    bounced: int
    reported_hard_bounced: int
    invalid: int  # recipients with verdict invalid_recipient (any outcome)
    b2b: Segment
    b2c: Segment
    by_verdict: dict[str, int]  # over bounced recipients
    hard_by_verdict: dict[str, int]  # over reported hard bounces
    by_vendor: dict[str, dict]
    top_domains: list[dict]
    what_to_do: list[dict]
    outcomes: dict[str, int]
    recipients_source: str = "outcomes"  # or "sent_count"
    notes: list[str] = field(default_factory=list)
    recovered: int = 0  # reported as hard / suppressed by the ESP, but the verdict says keep
    filter_companies: int = 0  # distinct domains with a filter_rejection
    filter_vendor_names: list[str] = field(default_factory=list)  # most refusals first
    filter_mostly_gateways: bool = True
    headline: str = ""

    @property
    def reported_hard_bounce_rate(self) -> float:
        return _rate(self.reported_hard_bounced, self.recipients) or 0.0

    @property
    def estimated_invalid_rate(self) -> float:
        return _rate(self.invalid, self.recipients) or 0.0

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "recipients": self.recipients,
            "recipients_source": self.recipients_source,
            "delivered": self.delivered,
            "bounced": self.bounced,
            "reported_hard_bounces": self.reported_hard_bounced,
            "reported_hard_bounce_rate": self.reported_hard_bounce_rate,
            "estimated_invalid": self.invalid,
            "estimated_invalid_rate": self.estimated_invalid_rate,
            "b2b": self.b2b.to_json(),
            "b2c": self.b2c.to_json(),
            "by_verdict": dict(self.by_verdict),
            "by_vendor": {name: dict(figures) for name, figures in self.by_vendor.items()},
            "top_domains": [dict(row) for row in self.top_domains],
            "outcomes": dict(self.outcomes),
            "recovered": self.recovered,
            "headline": self.headline,
            "what_to_do": [dict(item) for item in self.what_to_do],
            "notes": list(self.notes),
        }


def vendor_display_name(vendor_id: str | None) -> str:
    vendor = get_vendor(vendor_id)
    if vendor:
        return vendor.name
    return vendor_id or UNIDENTIFIED_VENDOR


def esp_would_suppress(facts: RecipientFacts) -> bool:
    """A naive ESP suppresses hard bounces; a ``suppressed`` outcome is one it already did."""
    return facts.reported_hard or facts.outcome == "suppressed"


def effective_verdicts(
    recipient_outcomes: Iterable[RecipientFacts],
    verdicts: Mapping[str, Verdict | str | None],
    overrides: Mapping[str, str] | None = None,
) -> Iterable[tuple[RecipientFacts, Verdict | str | None]]:
    """(facts, verdict) with staff overrides applied; delivered recipients get None."""
    overrides = overrides or {}
    for facts in recipient_outcomes:
        verdict = verdicts.get(facts.email)
        override = overrides.get(facts.email)
        if override:
            verdict = apply_override(verdict if isinstance(verdict, Verdict) else None, override)
        yield facts, verdict


def diagnose_campaign(
    recipient_outcomes: Iterable[RecipientFacts],
    verdicts: Mapping[str, Verdict | str | None],
    sent_count: int | None = None,
    *,
    name: str = "",
    overrides: Mapping[str, str] | None = None,
) -> CampaignDiagnosis:
    """Figures for one campaign from each recipient's facts (one per distinct address; a later
    duplicate replaces an earlier one) and its verdict (``verdicts[email]``: a Verdict, a verdict
    name, or missing → unknown). ``overrides`` (email → verdict) win over the computed ones."""
    latest: dict[str, RecipientFacts] = {}
    for facts in recipient_outcomes:
        latest[facts.email] = facts

    outcomes: Counter[str] = Counter()
    segments = {"b2b": Segment(), "b2c": Segment()}
    by_verdict, hard_by_verdict = _verdict_counts(), _verdict_counts()
    vendors: dict[str, dict] = {}
    domains: dict[str, dict] = {}
    invalid = hard = recovered = 0
    filter_domains: set[str] = set()
    filter_vendors: Counter[str] = Counter()
    filter_gateway_refusals = 0
    per_vendor_verdict: dict[str | None, Counter[str]] = defaultdict(Counter)
    per_vendor_filter_domains: dict[str | None, set[str]] = defaultdict(set)
    per_verdict_count: Counter[str] = Counter()

    for facts, verdict in effective_verdicts(latest.values(), verdicts, overrides):
        outcomes[facts.outcome] += 1
        segment = segments["b2c" if facts.is_b2c else "b2b"]
        segment.recipients += 1
        vendor_id = facts.answering_vendor
        vendor_key = vendor_display_name(vendor_id)
        vendor_row = vendors.setdefault(vendor_key, {
            "vendor_id": vendor_id, "category": facts.answering_vendor_category,
            "recipients": 0, "bounced": 0, "by_verdict": _verdict_counts(),
        })
        vendor_row["recipients"] += 1
        domain_row = domains.setdefault(facts.domain, {
            "domain": facts.domain, "vendor": vendor_key if vendor_id else None,
            "domain_kind": facts.domain_kind, "recipients": 0, "delivered": 0, "bounced": 0,
            "by_verdict": _verdict_counts(),
        })
        domain_row["recipients"] += 1
        if facts.outcome == "delivered":
            domain_row["delivered"] += 1
            continue
        value = verdict_value(verdict)
        per_verdict_count[value] += 1
        if value == "invalid_recipient":
            invalid += 1
            segment.invalid += 1
        if facts.reported_hard:
            hard += 1
            segment.reported_hard_bounced += 1
            hard_by_verdict[value] += 1
        if esp_would_suppress(facts) and value in KEEP_VERDICTS and facts.category != "complaint":
            recovered += 1
        if facts.outcome != "bounce":
            continue
        segment.bounced += 1
        by_verdict[value] += 1
        vendor_row["bounced"] += 1
        vendor_row["by_verdict"][value] += 1
        domain_row["bounced"] += 1
        domain_row["by_verdict"][value] += 1
        per_vendor_verdict[vendor_id][value] += 1
        if value == "filter_rejection":
            filter_domains.add(facts.domain)
            per_vendor_filter_domains[vendor_id].add(facts.domain)
            if vendor_id:
                filter_vendors[vendor_key] += 1
            if facts.answering_vendor_category == "security_gateway":
                filter_gateway_refusals += 1

    distinct = sum(outcomes.values())
    recipients, delivered, source, notes = distinct, outcomes["delivered"], "outcomes", []
    if sent_count and sent_count > distinct:
        recipients, source = sent_count, "sent_count"
        delivered = sent_count - (distinct - outcomes["delivered"])
        for segment in segments.values():
            segment.recipients = None
        notes.append(
            f"The file lists {distinct} of the campaign's {sent_count} recipients (e.g. a bounce-only "
            f"export); rates use the sent count of {sent_count}, and delivered is the sent count minus "
            "the other outcomes. The B2B/B2C split of the sent count is not known."
        )
    if not recipients:
        notes.append("No recipient has a send outcome in this campaign.")

    vendor_rows = dict(sorted(
        ((key, row) for key, row in vendors.items() if row["bounced"]),
        key=lambda item: (-item[1]["bounced"], item[0]),
    ))
    top = sorted((row for row in domains.values() if row["bounced"]),
                 key=lambda row: (-row["bounced"], -row["recipients"], row["domain"]))[:TOP_DOMAINS]
    filter_total = by_verdict["filter_rejection"]

    diagnosis = CampaignDiagnosis(
        name=name,
        recipients=recipients,
        delivered=delivered,
        bounced=outcomes["bounce"],
        reported_hard_bounced=hard,
        invalid=invalid,
        b2b=segments["b2b"],
        b2c=segments["b2c"],
        by_verdict=by_verdict,
        hard_by_verdict=hard_by_verdict,
        by_vendor=vendor_rows,
        top_domains=top,
        what_to_do=[],
        outcomes={outcome: outcomes[outcome] for outcome in sorted(outcomes)},
        recipients_source=source,
        notes=notes,
        recovered=recovered,
        filter_companies=len(filter_domains),
        filter_vendor_names=[name for name, _count in filter_vendors.most_common()],
        filter_mostly_gateways=filter_gateway_refusals * 2 >= filter_total if filter_total else True,
    )
    diagnosis.what_to_do = what_to_do(
        per_verdict_count, recovered, per_vendor_verdict, per_vendor_filter_domains, domains
    )
    diagnosis.headline = campaign_headline(diagnosis)
    return diagnosis


def what_to_do(
    per_verdict: Mapping[str, int],
    recovered: int,
    per_vendor_verdict: Mapping[str | None, Mapping[str, int]],
    per_vendor_filter_domains: Mapping[str | None, set[str]],
    domains: Mapping[str, dict],
) -> list[dict]:
    """A short, ordered list of actions: {code, text, count?, vendor?, url?, domains?}."""
    actions: list[dict] = []
    if recovered:
        actions.append({
            "code": "keep", "count": recovered,
            "text": (f"Keep {recovered} address{'es' if recovered != 1 else ''} your ESP reported as hard "
                     "bounces (or already suppressed): the receiving side refused the message, not the "
                     "address. They are on the recovery list; mail them again once the causes below are fixed."),
        })
    invalid = per_verdict.get("invalid_recipient", 0)
    if invalid:
        actions.append({
            "code": "suppress", "count": invalid,
            "text": (f"Suppress {invalid} address{'es' if invalid != 1 else ''} that really do not exist "
                     "(the suppress list): mailing them again hurts your sending reputation."),
        })
    sender = per_verdict.get("sender_issue", 0)
    if sender:
        actions.append({
            "code": "fix_sending", "count": sender,
            "text": (f"{sender} refusal{'s' if sender != 1 else ''} name a problem on your side: a blocklisted "
                     "or poorly rated sending IP, failing SPF/DKIM/DMARC (the checks that prove mail comes "
                     "from your domain) or spam-like content. Ask your ESP which IP sent the campaign, check "
                     "your domain's DNS records, and request delisting where the pages below allow it."),
        })
    for vendor_id, counts in sorted(per_vendor_verdict.items(), key=lambda item: -sum(item[1].values())):
        vendor = get_vendor(vendor_id)
        if vendor is None:
            continue
        refused = counts.get("filter_rejection", 0)
        blocked = counts.get("sender_issue", 0)
        if not (refused or blocked):
            continue
        where = sorted(per_vendor_filter_domains.get(vendor_id, set()),
                       key=lambda d: -domains[d]["bounced"])
        parts = []
        if refused:
            parts.append(f"{refused} at {len(where)} compan{'y' if len(where) == 1 else 'ies'} "
                         "without naming a reason on your side")
        if blocked:
            parts.append(f"{blocked} naming your sending setup")
        check = (f" Check your sending IP's reputation with {vendor.name} at {vendor.lookup_url} and request "
                 "delisting if it is listed." if vendor.lookup_url else "")
        allow = (" Ask those companies to allowlist your sending domain and IP in "
                 f"{vendor.name}." if refused and vendor.category == "security_gateway" else "")
        actions.append({
            "code": "vendor", "vendor": vendor.name, "url": vendor.lookup_url,
            "count": refused + blocked, "domains": where[:ASK_IT_DOMAINS],
            "text": f"{vendor.name} refused {refused + blocked} message{'s' if refused + blocked != 1 else ''}: "
                    f"{'; '.join(parts)}.{check}{allow}",
        })
    filter_domains = sorted({d for ds in per_vendor_filter_domains.values() for d in ds},
                            key=lambda d: (-domains[d]["by_verdict"]["filter_rejection"], d))
    if filter_domains:
        shown = ", ".join(filter_domains[:ASK_IT_DOMAINS])
        more = f" and {len(filter_domains) - ASK_IT_DOMAINS} more" if len(filter_domains) > ASK_IT_DOMAINS else ""
        actions.append({
            "code": "ask_it_team", "domains": filter_domains[:ASK_IT_DOMAINS],
            "text": (f"Ask the IT team at {shown}{more}: (1) to allowlist your sending domain and IP in their "
                     "mail gateway (the filter in front of their mailboxes); (2) to check that the refused "
                     "addresses are in the gateway's directory (its copy of their address list); (3) to look up "
                     "the refused messages in the gateway's log, by time, and tell you the reason it recorded."),
        })
    temporary = per_verdict.get("temporary", 0)
    if temporary:
        actions.append({
            "code": "retry", "count": temporary,
            "text": (f"Retry {temporary} address{'es' if temporary != 1 else ''} later (full mailboxes, rate "
                     "limits, passing faults); suppress them only if they keep failing for several weeks."),
        })
    unknown = per_verdict.get("unknown", 0)
    if unknown:
        actions.append({
            "code": "review", "count": unknown,
            "text": f"Review {unknown} address{'es' if unknown != 1 else ''} by hand: the answer does not say enough.",
        })
    return actions


def recipient_record(campaign: str, facts: RecipientFacts, verdict: Verdict | None) -> dict:
    """One entry of ``analyze --json --recipients``."""
    return {
        "campaign": campaign,
        "email": facts.email,
        "outcome": facts.outcome,
        "verdict": verdict.verdict if verdict else None,
        "confidence": verdict.confidence if verdict else None,
        "category": facts.category,
        "vendor": vendor_display_name(facts.answering_vendor) if facts.answering_vendor else None,
        "evidence": [dict(item) for item in verdict.evidence] if verdict else [],
    }
