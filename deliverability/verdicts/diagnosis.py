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

from deliverability.domains.resolver import TRANSIENT_STATUSES

from .explanations import (
    NO_RECIPIENTS,
    dns_unchecked_said,
    headline_said,
    partial_file_said,
    vendor_display_name,
    what_to_do,
)
from .facts import RecipientFacts
from .judge import Verdict, apply_override, verdict_value
from .vocabulary import KEEP_VERDICTS, VERDICTS, VerdictKind

TOP_DOMAINS = 10
RATE_DIGITS = 4
# "The same company accepted N colleagues' copies within the minute": deliveries to the refusing
# domain this close to its first filter refusal (before or after) count as the colleagues' copies.
COLLEAGUE_WINDOW_SECONDS = 600


def _seconds(a, b) -> float:
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs((a - b).total_seconds())


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
    # The same three over the reported hard bounces only: the headline counts what it names.
    hard_filter_companies: int = 0
    hard_filter_vendor_names: list[str] = field(default_factory=list)
    hard_filter_mostly_gateways: bool = True
    # Whose hard/soft split the headline reads: the ESP's own label, or a 5xx reply where it gave none.
    hard_labelled_by_esp: int = 0
    hard_inferred: int = 0
    # The strongest "the same company accepted colleagues' copies" case, or None (see _Tally.colleagues).
    colleagues: dict | None = None
    headline: str = ""
    # The headline's and the notes' sentences (deliverability.sentences), rendered in the reader's language
    # by the pages; ``headline`` and ``notes`` are their English texts.
    headline_msg: dict | None = None
    notes_msg: list[dict] = field(default_factory=list)

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
            "hard_by_verdict": dict(self.hard_by_verdict),
            "by_vendor": {name: dict(figures) for name, figures in self.by_vendor.items()},
            "top_domains": [dict(row) for row in self.top_domains],
            "outcomes": dict(self.outcomes),
            "recovered": self.recovered,
            "hard_bounce_source": {"esp_label": self.hard_labelled_by_esp, "inferred_from_reply": self.hard_inferred},
            "colleagues_accepted": dict(self.colleagues) if self.colleagues else None,
            "headline": self.headline,
            "what_to_do": [dict(item) for item in self.what_to_do],
            "notes": list(self.notes),
            "headline_msg": self.headline_msg,
            "notes_msg": list(self.notes_msg),
        }


def esp_would_suppress(facts: RecipientFacts) -> bool:
    """A naive ESP suppresses hard bounces; a ``suppressed`` outcome is one it already did."""
    return facts.reported_hard or facts.outcome == "suppressed"


def belongs_on_recovery_list(facts: RecipientFacts, verdict: str) -> bool:
    """The recovery-list rule: the ESP would suppress the address (or already did), but the verdict
    keeps it. A spam complaint never is on it, whatever the verdict."""
    return esp_would_suppress(facts) and verdict in KEEP_VERDICTS and facts.category != "complaint"


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


class _Tally:
    """The running counts of one campaign, one ``add`` per recipient."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.segments = {"b2b": Segment(), "b2c": Segment()}
        self.by_verdict = _verdict_counts()  # over bounced recipients
        self.hard_by_verdict = _verdict_counts()  # over reported hard bounces
        self.not_delivered_by_verdict: Counter[str] = Counter()  # every outcome but delivered
        self.vendors: dict[str, dict] = {}  # display name → row
        self.domains: dict[str, dict] = {}  # domain → row
        self.invalid = self.hard = self.recovered = 0
        self.filter_vendors: Counter[str] = Counter()  # display name → filter rejections
        self.filter_gateway_refusals = 0
        self.per_vendor_verdict: dict[str | None, Counter[str]] = defaultdict(Counter)
        self.per_vendor_filter_domains: dict[str | None, set[str]] = defaultdict(set)
        self.hard_filter_vendors: Counter[str] = Counter()
        self.hard_filter_domains: set[str] = set()
        self.hard_filter_gateway_refusals = 0
        self.hard_esp = self.hard_inferred = 0
        # domain → delivery times, and domain → filter-rejection times (the colleagues argument)
        self.delivered_at: dict[str, list] = defaultdict(list)
        self.filter_at: dict[str, list] = defaultdict(list)
        # Consumer and disposable domains: their users are strangers to one another, not one company's colleagues.
        self.b2c_domains: set[str] = set()

    def add(self, facts: RecipientFacts, verdict: Verdict | str | None) -> None:
        self.outcomes[facts.outcome] += 1
        segment = self.segments["b2c" if facts.is_b2c else "b2b"]
        segment.recipients += 1
        vendor_id = facts.answering_vendor
        vendor_key = vendor_display_name(vendor_id)
        vendor_row = self.vendors.setdefault(vendor_key, {
            "vendor_id": vendor_id, "category": facts.answering_vendor_category,
            "recipients": 0, "bounced": 0, "by_verdict": _verdict_counts(),
        })
        vendor_row["recipients"] += 1
        domain_row = self.domains.setdefault(facts.domain, {
            "domain": facts.domain, "vendor": vendor_key if vendor_id else None,
            "domain_kind": facts.domain_kind, "recipients": 0, "delivered": 0, "bounced": 0,
            "by_verdict": _verdict_counts(),
        })
        domain_row["recipients"] += 1
        if facts.is_b2c:
            self.b2c_domains.add(facts.domain)
        if facts.outcome == "delivered":
            domain_row["delivered"] += 1
            if facts.occurred_at is not None:
                self.delivered_at[facts.domain].append(facts.occurred_at)
            return
        value = verdict_value(verdict)
        self.not_delivered_by_verdict[value] += 1
        if value == VerdictKind.INVALID_RECIPIENT:
            self.invalid += 1
            segment.invalid += 1
        if facts.reported_hard:
            self.hard += 1
            segment.reported_hard_bounced += 1
            self.hard_by_verdict[value] += 1
            if facts.esp_hard is None:
                self.hard_inferred += 1
            else:
                self.hard_esp += 1
            if value == VerdictKind.FILTER_REJECTION:
                self.hard_filter_domains.add(facts.domain)
                if vendor_id:
                    self.hard_filter_vendors[vendor_key] += 1
                if facts.answering_vendor_category == "security_gateway":
                    self.hard_filter_gateway_refusals += 1
        if belongs_on_recovery_list(facts, value):
            self.recovered += 1
        if facts.outcome != "bounce":
            return
        segment.bounced += 1
        self.by_verdict[value] += 1
        vendor_row["bounced"] += 1
        vendor_row["by_verdict"][value] += 1
        domain_row["bounced"] += 1
        domain_row["by_verdict"][value] += 1
        self.per_vendor_verdict[vendor_id][value] += 1
        if value == VerdictKind.FILTER_REJECTION:
            if facts.occurred_at is not None:
                self.filter_at[facts.domain].append(facts.occurred_at)
            self.per_vendor_filter_domains[vendor_id].add(facts.domain)
            if vendor_id:
                self.filter_vendors[vendor_key] += 1
            if facts.answering_vendor_category == "security_gateway":
                self.filter_gateway_refusals += 1

    def vendor_rows(self) -> dict[str, dict]:
        """Vendors with bounces, most bounces first."""
        return dict(sorted(
            ((key, row) for key, row in self.vendors.items() if row["bounced"]),
            key=lambda item: (-item[1]["bounced"], item[0]),
        ))

    def top_domains(self) -> list[dict]:
        return sorted((row for row in self.domains.values() if row["bounced"]),
                      key=lambda row: (-row["bounced"], -row["recipients"], row["domain"]))[:TOP_DOMAINS]

    def filter_companies(self) -> int:
        """Distinct domains with a filter rejection."""
        return len(set().union(*self.per_vendor_filter_domains.values()))

    def filter_mostly_gateways(self) -> bool:
        total = self.by_verdict[VerdictKind.FILTER_REJECTION]
        return self.filter_gateway_refusals * 2 >= total if total else True

    def hard_filter_mostly_gateways(self) -> bool:
        total = self.hard_by_verdict[VerdictKind.FILTER_REJECTION]
        return self.hard_filter_gateway_refusals * 2 >= total if total else True

    def colleagues(self) -> dict | None:
        """The domain whose filter refusals are best contradicted by its own deliveries: how many
        colleagues' copies it accepted within COLLEAGUE_WINDOW of its first refusal, and the span
        from the earliest of those deliveries to that refusal. None when no domain shows it. Only a company's
        own domain makes the argument: at a consumer provider (gmail.com) one user's delivered copy says nothing
        of whether another address exists, nor is there a company whose filter turned the sender away."""
        best = None
        for domain, refused in self.filter_at.items():
            delivered = self.delivered_at.get(domain)
            if not delivered or domain in self.b2c_domains:
                continue
            first = min(refused)
            near = [t for t in delivered if _seconds(first, t) <= COLLEAGUE_WINDOW_SECONDS]
            if not near:
                continue
            span = max(_seconds(first, t) for t in near)
            row = {"domain": domain, "vendor": self.domains[domain]["vendor"], "accepted": len(near),
                   "refused": len(refused), "seconds": round(span)}
            # The most refusals first: the argument is about the company that refused the most.
            if best is None or (row["refused"], row["accepted"]) > (best["refused"], best["accepted"]):
                best = row
        return best


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
    tally = _Tally()
    for facts, verdict in effective_verdicts(latest.values(), verdicts, overrides):
        tally.add(facts, verdict)

    outcomes = tally.outcomes
    distinct = sum(outcomes.values())
    recipients, delivered, source, said = distinct, outcomes["delivered"], "outcomes", []
    if sent_count and sent_count > distinct:
        recipients, source = sent_count, "sent_count"
        delivered = sent_count - (distinct - outcomes["delivered"])
        for segment in tally.segments.values():
            segment.recipients = None
        said.append(partial_file_said(distinct, sent_count))
    if not recipients:
        said.append(NO_RECIPIENTS)
    # Bounced addresses whose domain's DNS the analysis could not check (the same test as the verdict rule).
    unchecked = [f.domain for f in latest.values() if f.outcome != "delivered" and f.mx_status in TRANSIENT_STATUSES]
    if unchecked:
        said.append(dns_unchecked_said(len(set(unchecked)), len(unchecked)))

    diagnosis = CampaignDiagnosis(
        name=name,
        recipients=recipients,
        delivered=delivered,
        bounced=outcomes["bounce"],
        reported_hard_bounced=tally.hard,
        invalid=tally.invalid,
        b2b=tally.segments["b2b"],
        b2c=tally.segments["b2c"],
        by_verdict=tally.by_verdict,
        hard_by_verdict=tally.hard_by_verdict,
        by_vendor=tally.vendor_rows(),
        top_domains=tally.top_domains(),
        what_to_do=what_to_do(tally.not_delivered_by_verdict, tally.recovered, tally.per_vendor_verdict,
                              tally.per_vendor_filter_domains, tally.domains),
        outcomes={outcome: outcomes[outcome] for outcome in sorted(outcomes)},
        recipients_source=source,
        notes=[sentence.english() for sentence in said],
        notes_msg=[sentence.to_json() for sentence in said],
        recovered=tally.recovered,
        filter_companies=tally.filter_companies(),
        filter_vendor_names=[name for name, _count in tally.filter_vendors.most_common()],
        filter_mostly_gateways=tally.filter_mostly_gateways(),
        hard_filter_companies=len(tally.hard_filter_domains),
        hard_filter_vendor_names=[name for name, _count in tally.hard_filter_vendors.most_common()],
        hard_filter_mostly_gateways=tally.hard_filter_mostly_gateways(),
        hard_labelled_by_esp=tally.hard_esp,
        hard_inferred=tally.hard_inferred,
        colleagues=tally.colleagues(),
    )
    headline = headline_said(diagnosis)
    diagnosis.headline, diagnosis.headline_msg = headline.english(), headline.to_json()
    return diagnosis
