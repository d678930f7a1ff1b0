"""The inputs of the verdict engine: plain facts about one bounced recipient.

Pure Python (no Django). The glue in ``campaigns`` loads these from the database; tests build
them by hand. Every field is optional except the recipient and its outcome, so a file with
little information still gets a verdict (with less confidence).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from deliverability.bounces.vendors import Vendor, get_vendor
from deliverability.domains.kinds import DomainKind
from deliverability.ingest.records import SEND_OUTCOMES

from . import weights

# A recipient's outcome in a campaign is its LAST send outcome there (deferred then delivered is
# delivered); opens and clicks are engagement, not outcomes.
OUTCOMES = SEND_OUTCOMES


@dataclass(frozen=True, slots=True)
class DomainPattern:
    """How one domain (or all domains behind one vendor) answered in one campaign.

    Built by ``domain_patterns`` / ``vendor_patterns``; ``key`` is the domain or the vendor id.
    """

    key: str
    delivered: int = 0
    bounced: int = 0
    other: int = 0  # deferred / dropped / suppressed as final outcome
    deliveries_before_first_rejection: int = 0
    deliveries_after_first_rejection: int = 0
    first_rejection_at: datetime | None = None
    last_rejection_at: datetime | None = None
    burst_rejections: int = 0  # most rejections inside one BURST_WINDOW
    burst_seconds: float | None = None  # time between the first and last rejection of that burst
    domains: int = 1  # for a vendor pattern: how many domains had rejections

    @property
    def recipients(self) -> int:
        return self.delivered + self.bounced + self.other

    @property
    def rejections_after_deliveries(self) -> bool:
        """True when the rejections came after a run of deliveries and then (almost) everything
        was refused: the signature of a gateway that accepted the first messages, then switched."""
        if self.bounced < weights.BURST_MIN_REJECTIONS or self.few_rejections:
            return False
        if self.deliveries_before_first_rejection < weights.SWITCH_MIN_DELIVERIES_BEFORE:
            return False
        after = self.bounced + self.deliveries_after_first_rejection
        return self.bounced / after >= weights.SWITCH_MIN_REJECTION_SHARE

    @property
    def clean_switch(self) -> bool:
        """The gateway refused (nearly) everything after its first rejection, many times over."""
        if not self.rejections_after_deliveries or self.bounced < weights.SWITCH_CLEAN_MIN_REJECTIONS:
            return False
        return self.bounced / (self.bounced + self.deliveries_after_first_rejection) >= weights.SWITCH_CLEAN_SHARE

    @property
    def few_rejections(self) -> bool:
        """A handful of rejections among the domain's recipients: what staff turnover looks like
        (also when the bounces arrive late, after all the deliveries, as asynchronous reports do)."""
        allowance = max(weights.LONE_MAX_REJECTIONS, weights.LONE_MAX_REJECTION_SHARE * self.recipients)
        return self.bounced <= allowance

    @property
    def dense_burst(self) -> bool:
        return self.burst_rejections >= weights.BURST_MIN_REJECTIONS


@dataclass(frozen=True, slots=True)
class RecipientHistory:
    """The recipient's record in OTHER (earlier) campaigns of the same organisation."""

    delivered_before: int = 0
    last_delivered_at: datetime | None = None
    opened_at: datetime | None = None  # latest open
    clicked_at: datetime | None = None  # latest click
    previous_hard_bounces: int = 0

    @property
    def is_empty(self) -> bool:
        return not (
            self.delivered_before
            or self.last_delivered_at
            or self.opened_at
            or self.clicked_at
            or self.previous_hard_bounces
        )


@dataclass(frozen=True, slots=True)
class RecipientFacts:
    """Everything the engine may weigh about one recipient's outcome in one campaign.

    Empty strings (as stored by the models) are treated like None.
    """

    email: str
    domain: str
    outcome: str  # one of SEND_OUTCOMES: the recipient's last send outcome in the campaign
    occurred_at: datetime | None = None  # when that outcome happened
    # The bounce engine's reading of the bounce (None for other outcomes).
    category: str | None = None  # one of the 17 DESIGN categories
    signature: str | None = None  # user_unknown, gateway_directory_unknown, user_disabled, …
    hard: bool | None = None  # the bounce engine's hard/soft
    bounce_vendor: str | None = None  # vendor id recognised in the text / remote MTA
    reply_code: int | None = None
    status: str | None = None  # enhanced status, "5.1.1"
    diagnostic: str | None = None  # the receiving server's text: UNTRUSTED
    remote_mta: str | None = None
    esp_hard: bool | None = None  # the ESP's own hard/soft label; None when it gave none
    # Domain enrichment.
    domain_kind: str | None = None  # a DomainKind
    mx_status: str | None = None  # ok, null_mx, implicit_mx, no_mail, mx_unresolvable, nxdomain, …
    mx_host: str | None = None  # the preferred MX host name, for the evidence text
    mx_vendor: str | None = None
    mx_vendor_category: str | None = None  # security_gateway / mailbox_provider / hosting
    provider: str | None = None  # mailbox provider behind a gateway (vendor id)
    # Context.
    pattern: DomainPattern | None = None  # this domain in this campaign
    vendor_pattern: DomainPattern | None = None  # all domains behind the answering vendor
    history: RecipientHistory | None = None  # None: no history available at all
    extra: dict = field(default_factory=dict, compare=False)  # free for the glue; engine ignores

    # --- Derived readings shared by rules, diagnosis and exports ---------------------------

    @property
    def signature_class(self) -> str | None:
        return self.signature or None

    @property
    def answering_vendor(self) -> str | None:
        """The vendor that answered: the text / remote MTA when it names one, else the MX.

        When both are known and only one is a security gateway, the gateway is the one that
        answered (a gateway relays or fakes the mailbox's reply)."""
        from_text, from_mx = self.bounce_vendor or None, self.mx_vendor or None
        if from_text and from_mx and from_text != from_mx:
            text_is_gateway = _category(from_text) == "security_gateway"
            mx_is_gateway = self.vendor_category_of_mx == "security_gateway"
            if mx_is_gateway and not text_is_gateway:
                return from_mx
            if _family(from_text) == _family(from_mx):
                # Same company, two products: the text cannot tell Gmail from Google Workspace
                # (or Outlook.com from Microsoft 365); the MX can.
                return from_mx
        return from_text or from_mx

    @property
    def vendor_category_of_mx(self) -> str | None:
        return self.mx_vendor_category or _category(self.mx_vendor)

    @property
    def answering_vendor_category(self) -> str | None:
        vendor = self.answering_vendor
        if vendor and vendor == self.mx_vendor and self.mx_vendor_category:
            return self.mx_vendor_category
        return _category(vendor)

    @property
    def is_consumer(self) -> bool:
        if self.domain_kind:
            return self.domain_kind == DomainKind.CONSUMER
        # With no known kind: a vendor that hosts (almost) only consumer mail (vendors.json).
        vendor = get_vendor(self.mx_vendor)
        return vendor is not None and vendor.consumer_only

    @property
    def is_b2c(self) -> bool:
        """Consumer and disposable domains are B2C; corporate and unknown kinds are B2B."""
        if self.domain_kind:
            return self.domain_kind in DomainKind.b2c_kinds()
        return self.is_consumer

    @property
    def reported_hard(self) -> bool:
        """What a naive reading of the ESP calls a hard bounce: the ESP's hard/permanent label,
        or, with no ESP label, a 5xx reply (the enhanced status class when no reply code)."""
        if self.outcome != "bounce":
            return False
        if self.esp_hard is not None:
            return bool(self.esp_hard)
        return reply_class(self.reply_code, self.status) == 5


def pattern_outcome(outcome: str, reply_code: int | None, status: str | None) -> str:
    """The outcome a domain's pattern counts: a bounce with a temporary (4xx) answer is a deferral
    (RFC 5321 4.2.1, "transient negative completion"), not one of the rejections that make a burst."""
    if outcome == "bounce" and reply_class(reply_code, status) == 4:
        return "deferred"
    return outcome


def reply_class(reply_code: int | None, status: str | None) -> int | None:
    """2, 4 or 5 from the SMTP reply code, else from the enhanced status; None if neither."""
    if reply_code:
        return int(reply_code) // 100
    if status and status[0] in "245":
        return int(status[0])
    return None


def _category(vendor_id: str | None) -> str | None:
    vendor = get_vendor(vendor_id)
    return vendor.category if vendor else None


def _family(vendor_id: str) -> str:
    """The company behind a product (vendors.json): its consumer and business products share
    their rejection texts. A vendor with no family, or not in the registry, is its own."""
    vendor: Vendor | None = get_vendor(vendor_id)
    return (vendor.family or vendor.id) if vendor else vendor_id


# --- Patterns ----------------------------------------------------------------------------------


class _PatternBuilder:
    __slots__ = ("delivered", "bounced", "other", "before", "after", "first", "last", "times", "keys")

    def __init__(self) -> None:
        self.delivered = self.bounced = self.other = self.before = self.after = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.times: list[datetime] = []
        self.keys: set[str] = set()

    def add(self, occurred_at: datetime | None, outcome: str, subkey: str | None) -> None:
        if outcome == "delivered":
            self.delivered += 1
            if self.bounced:
                self.after += 1
            else:
                self.before += 1
        elif outcome == "bounce":
            self.bounced += 1
            if subkey:
                self.keys.add(subkey)
            if occurred_at is not None:
                self.times.append(occurred_at)
                self.first = occurred_at if self.first is None else min(self.first, occurred_at)
                self.last = occurred_at if self.last is None else max(self.last, occurred_at)
        else:
            self.other += 1

    def build(self, key: str) -> DomainPattern:
        burst, seconds = densest_burst(self.times)
        return DomainPattern(
            key=key,
            delivered=self.delivered,
            bounced=self.bounced,
            other=self.other,
            deliveries_before_first_rejection=self.before,
            deliveries_after_first_rejection=self.after,
            first_rejection_at=self.first,
            last_rejection_at=self.last,
            burst_rejections=burst,
            burst_seconds=seconds,
            domains=max(1, len(self.keys)),
        )


def densest_burst(times: list[datetime]) -> tuple[int, float | None]:
    """The most rejections inside one BURST_WINDOW and the seconds they span (two pointers)."""
    if not times:
        return 0, None
    ordered = sorted(times)
    best, best_span, start = 0, 0.0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > weights.BURST_WINDOW:
            start += 1
        count = end - start + 1
        if count > best:
            best, best_span = count, (at - ordered[start]).total_seconds()
    return best, best_span


def _patterns(rows: Iterable[tuple], with_subkey: bool) -> dict[str, DomainPattern]:
    builders: dict[str, _PatternBuilder] = {}
    for row in rows:
        key, occurred_at, outcome = row[0], row[1], row[2]
        if not key:
            continue
        subkey = row[3] if with_subkey and len(row) > 3 else None
        key = key.lower()
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = _PatternBuilder()
        builder.add(occurred_at, outcome, subkey)
    return {key: builder.build(key) for key, builder in builders.items()}


def domain_patterns(events: Iterable[tuple[str, datetime | None, str]]) -> dict[str, DomainPattern]:
    """DomainPattern per domain from time-ordered ``(domain, occurred_at, outcome)`` tuples.

    Give one tuple per recipient: its final send outcome in the campaign and when it happened,
    ordered by time (then by file order for equal or missing times). "Before/after the first
    rejection" follows the order of the stream; bursts use the timestamps. One pass, memory
    proportional to the number of domains plus the number of bounces.
    """
    return _patterns(events, with_subkey=False)


def vendor_patterns(
    events: Iterable[tuple[str | None, datetime | None, str, str | None]],
) -> dict[str, DomainPattern]:
    """The same pattern per answering vendor, from ``(vendor_id, occurred_at, outcome, domain)``
    tuples: a gateway that switched to refusing shows across all the small domains behind it,
    even where each domain alone has too few recipients to show a pattern."""
    return _patterns(events, with_subkey=True)
