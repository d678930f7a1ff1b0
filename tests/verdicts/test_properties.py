"""Properties over arbitrary facts: the engine never leaves its vocabulary or its range."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deliverability.bounces.taxonomy import CATEGORIES
from deliverability.bounces.vendors import all_vendors
from deliverability.verdicts.exports import FORMULA_TRIGGERS, safe_cell
from deliverability.verdicts.facts import (
    OUTCOMES,
    DomainPattern,
    RecipientFacts,
    RecipientHistory,
    domain_patterns,
)
from deliverability.verdicts.judge import judge
from deliverability.verdicts.vocabulary import VERDICTS

from .builders import T0

maybe = st.none() | st.just("")
moments = st.none() | st.integers(min_value=-800, max_value=800).map(lambda d: T0 + timedelta(days=d))
counts = st.integers(min_value=0, max_value=500)

patterns = st.builds(
    DomainPattern, key=st.just("x.example"), delivered=counts, bounced=counts, other=counts,
    deliveries_before_first_rejection=counts, deliveries_after_first_rejection=counts,
    burst_rejections=counts, burst_seconds=st.none() | st.floats(min_value=0, max_value=86400),
    domains=st.integers(min_value=1, max_value=50),
)
histories = st.builds(RecipientHistory, delivered_before=counts, last_delivered_at=moments, opened_at=moments,
                      clicked_at=moments, previous_hard_bounces=st.integers(min_value=0, max_value=9))
facts_strategy = st.builds(
    RecipientFacts,
    email=st.just("someone@x.example"),
    domain=st.just("x.example"),
    outcome=st.sampled_from(OUTCOMES),
    occurred_at=moments,
    category=maybe | st.sampled_from(CATEGORIES) | st.text(max_size=8),
    signature=maybe | st.sampled_from(["user_unknown", "gateway_directory_unknown", "user_disabled",
                                       "reputation_block", "content_spam", "policy", "authentication",
                                       "rate_limit"]),
    bounce_vendor=maybe | st.sampled_from(sorted(all_vendors())) | st.text(max_size=6),
    reply_code=st.none() | st.integers(min_value=0, max_value=999),
    status=maybe | st.sampled_from(["5.1.1", "4.2.2", "5.7.1", "2.0.0", "x"]),
    diagnostic=st.none() | st.text(max_size=300) | st.sampled_from(
        ["550 5.1.1 User unknown", "blocked using Spamhaus", "DMARC policy", "Access denied"]),
    esp_hard=st.none() | st.booleans(),
    domain_kind=maybe | st.sampled_from(["corporate", "consumer", "disposable"]),
    mx_status=maybe | st.sampled_from(["ok", "null_mx", "implicit_mx", "no_mail", "mx_unresolvable", "nxdomain",
                                       "servfail", "timeout"]),
    mx_vendor=maybe | st.sampled_from(sorted(all_vendors())),
    mx_vendor_category=maybe | st.sampled_from(["security_gateway", "mailbox_provider", "hosting"]),
    provider=maybe | st.sampled_from(sorted(all_vendors())),
    pattern=st.none() | patterns,
    vendor_pattern=st.none() | patterns,
    history=st.none() | histories,
)


@settings(max_examples=300, deadline=None)
@given(facts_strategy)
def test_verdict_is_one_of_five_with_confidence_in_unit_range(facts):
    verdict = judge(facts)
    if facts.outcome == "delivered":
        assert verdict is None
        return
    assert verdict.verdict in VERDICTS
    assert 0.0 <= verdict.confidence <= 1.0
    for item in verdict.evidence:
        assert {"code", "text"} <= set(item) <= {"code", "text", "msg"}  # msg: the sentence, for translation
        assert item["code"] and item["text"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.example", "b.example"]), moments,
                          st.sampled_from(OUTCOMES)), max_size=60))
def test_patterns_account_for_every_outcome(events):
    patterns = domain_patterns(sorted(events, key=lambda e: (e[1] is None, e[1] or T0)))
    assert sum(p.recipients for p in patterns.values()) == len(events)
    for p in patterns.values():
        assert p.deliveries_before_first_rejection + p.deliveries_after_first_rejection == p.delivered
        assert p.burst_rejections <= p.bounced


@given(st.text(max_size=40))
def test_no_exported_cell_starts_like_a_formula(text):
    assert not safe_cell(text).startswith(FORMULA_TRIGGERS)
