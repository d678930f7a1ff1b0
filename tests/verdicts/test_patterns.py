"""Domain and vendor patterns in one campaign (facts.domain_patterns / vendor_patterns)."""
from __future__ import annotations

from deliverability.verdicts.facts import DomainPattern, densest_burst, domain_patterns, vendor_patterns

from .builders import at, pattern, scattered


def test_domain_patterns_counts_outcomes_per_domain_case_insensitively():
    events = [("Acme.example", at(0), "delivered"), ("acme.example", at(1), "bounce"),
              ("other.example", at(2), "deferred")]
    patterns = domain_patterns(events)
    assert patterns["acme.example"].delivered == 1
    assert patterns["acme.example"].bounced == 1
    assert patterns["other.example"].other == 1
    assert patterns["other.example"].recipients == 1


def test_burst_after_deliveries_is_recognised_with_its_duration():
    p = pattern(delivered_before=30, rejections=42, spacing=4)
    assert p.deliveries_before_first_rejection == 30
    assert p.deliveries_after_first_rejection == 0
    assert p.burst_rejections == 42
    assert p.burst_seconds == 41 * 4
    assert p.rejections_after_deliveries


def test_scattered_rejections_among_deliveries_are_not_a_switch():
    p = scattered(delivered=40, rejected_positions={5, 17, 33})
    assert p.bounced == 3
    assert p.deliveries_after_first_rejection > p.bounced
    assert not p.rejections_after_deliveries


def test_rejections_without_earlier_deliveries_are_not_a_switch():
    assert not pattern(delivered_before=0, rejections=10).rejections_after_deliveries


def test_two_rejections_are_too_few_for_a_switch():
    assert not pattern(delivered_before=20, rejections=2).rejections_after_deliveries


def test_burst_counts_only_rejections_inside_the_window():
    """GIVEN rejections spread one per 20 minutes WHEN measuring the burst THEN no two share a window."""
    count, seconds = densest_burst([at(i * 1200) for i in range(5)])
    assert (count, seconds) == (1, 0.0)


def test_missing_timestamps_keep_counts_and_order_but_no_burst():
    events = [("a.example", None, "delivered")] * 5 + [("a.example", None, "bounce")] * 4
    p = domain_patterns(events)["a.example"]
    assert p.rejections_after_deliveries
    assert p.burst_rejections == 0 and p.burst_seconds is None


def test_vendor_patterns_count_the_domains_with_rejections():
    events = [("proofpoint", at(i), "delivered", f"d{i}.example") for i in range(6)]
    events += [("proofpoint", at(10 + i), "bounce", f"d{i % 4}.example") for i in range(8)]
    p = vendor_patterns(events)["proofpoint"]
    assert p.domains == 4
    assert p.rejections_after_deliveries


def test_a_hand_built_pattern_behaves_like_a_computed_one():
    p = DomainPattern(key="x.example", delivered=5, bounced=9, deliveries_before_first_rejection=5,
                      burst_rejections=9, burst_seconds=60)
    assert p.rejections_after_deliveries and p.dense_burst


def test_a_few_late_bounces_after_many_deliveries_are_not_a_switch():
    """GIVEN 40 deliveries and 4 bounces that arrived after all of them (asynchronous reports)
    WHEN reading the pattern THEN it is a few rejections, not a gateway switching to refusal."""
    p = pattern(delivered_before=40, rejections=4)
    assert p.few_rejections
    assert not p.rejections_after_deliveries
