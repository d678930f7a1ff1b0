"""judge() on realistic situations: the verdict, a sensible confidence, readable evidence."""
from __future__ import annotations

from datetime import timedelta

import pytest

from deliverability.verdicts.facts import RecipientFacts, RecipientHistory, domain_patterns
from deliverability.verdicts.judge import Verdict, apply_override, decide, judge
from deliverability.verdicts.rules import Evidence

from .builders import (
    DBEB,
    GMAIL_UNKNOWN,
    MAILBOX_FULL,
    NO_HISTORY,
    PROOFPOINT_MX,
    SPAMHAUS,
    T0,
    at,
    bounce,
    corporate_behind,
)


def campaign_stream():
    """One B2B send: acme.example (Proofpoint) accepts 5 then refuses 20 with a fake user-unknown;
    big.example (Microsoft 365) accepts 40, with 2 real missing mailboxes scattered among them."""
    events = [("acme.example", at(i), "delivered") for i in range(5)]
    events += [("acme.example", at(5 + i * 5), "bounce") for i in range(20)]
    big = [("big.example", at(200 + i * 2), "bounce" if i in (11, 29) else "delivered") for i in range(42)]
    return sorted(events + big, key=lambda e: e[1])


@pytest.fixture(scope="module")
def patterns():
    return domain_patterns(campaign_stream())


def test_gateway_refusing_everything_after_its_first_deliveries_is_a_filter_rejection(patterns):
    """GIVEN Proofpoint accepted 5 messages to acme.example, then answered "user unknown" to 20
    WHEN judging one of the 20, with no history THEN filter_rejection, saying why."""
    facts = bounce("p.jones@acme.example", occurred_at=at(40), pattern=patterns["acme.example"],
                   history=NO_HISTORY, **corporate_behind("proofpoint", PROOFPOINT_MX))
    verdict = judge(facts)
    assert verdict.verdict == "filter_rejection"
    assert verdict.confidence >= 0.7
    texts = [item["text"] for item in verdict.evidence]
    assert texts[0] == "20 rejections at this domain within 2 minutes after 5 deliveries."
    assert f"The answering gateway is Proofpoint (MX {PROOFPOINT_MX})." in texts


def test_real_invalid_addresses_scattered_among_deliveries_are_invalid(patterns):
    facts = bounce("left.company@big.example", occurred_at=at(222), pattern=patterns["big.example"],
                   history=NO_HISTORY, diagnostic="550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
                   **corporate_behind("microsoft365", "big-example.mail.protection.outlook.com"))
    verdict = judge(facts)
    assert verdict.verdict == "invalid_recipient"
    assert verdict.confidence >= 0.7
    assert verdict.evidence[0]["code"] == "lone_rejection_among_deliveries"


def test_lone_directory_rejection_without_history_is_still_most_likely_invalid(patterns):
    """GIVEN a gateway-directory "unknown" (suspect) WHEN it is a lone rejection among 40
    deliveries for an address with no history THEN invalid_recipient, with modest confidence."""
    facts = bounce("old.hand@big.example", signature="gateway_directory_unknown", status="5.4.1", diagnostic=DBEB,
                   pattern=patterns["big.example"], history=NO_HISTORY, **corporate_behind("microsoft365"))
    verdict = judge(facts)
    assert verdict.verdict == "invalid_recipient"
    assert 0.4 <= verdict.confidence < 0.9


def test_lone_rejection_of_an_address_that_clicked_last_week_is_a_filter_rejection(patterns):
    history = RecipientHistory(delivered_before=6, last_delivered_at=T0 - timedelta(days=7),
                               clicked_at=T0 - timedelta(days=7))
    facts = bounce("active@big.example", signature="gateway_directory_unknown", status="5.4.1", diagnostic=DBEB,
                   pattern=patterns["big.example"], history=history, **corporate_behind("microsoft365"))
    verdict = judge(facts)
    assert verdict.verdict == "filter_rejection"
    assert verdict.evidence[0]["code"] == "recent_click"


def test_blocklisted_sending_ip_is_a_sender_issue_even_behind_a_gateway(patterns):
    facts = bounce("a@acme.example", category="reputation_block", signature="reputation_block", status="5.7.1",
                   diagnostic=SPAMHAUS, pattern=patterns["acme.example"], **corporate_behind("proofpoint"))
    verdict = judge(facts)
    assert verdict.verdict == "sender_issue"
    assert verdict.confidence >= 0.8


def test_full_mailbox_is_temporary():
    verdict = judge(bounce("a@gmail.com", category="mailbox_full", status="5.2.2", reply_code=552,
                           diagnostic=MAILBOX_FULL, domain_kind="consumer", mx_vendor="gmail"))
    assert verdict.verdict == "temporary"


def test_consumer_user_unknown_is_invalid_even_with_old_engagement():
    history = RecipientHistory(opened_at=T0 - timedelta(days=300))
    verdict = judge(bounce("someone@gmail.com", diagnostic=GMAIL_UNKNOWN, domain_kind="consumer",
                           mx_vendor="gmail", history=history))
    assert verdict.verdict == "invalid_recipient"
    assert verdict.confidence >= 0.7


def test_null_mx_is_invalid_with_high_confidence():
    verdict = judge(bounce("a@closed.example", category="invalid_domain", signature=None, status="5.1.10",
                           diagnostic="556 5.1.10 Recipient address has null MX", mx_status="null_mx"))
    assert verdict.verdict == "invalid_recipient"
    assert verdict.confidence >= 0.9


def test_nxdomain_without_a_useful_bounce_text_is_still_invalid():
    verdict = judge(bounce("a@typo-domain.example", category="unknown", signature=None, diagnostic=None,
                           mx_status="nxdomain"))
    assert verdict.verdict == "invalid_recipient"


def test_policy_block_by_a_security_gateway_is_a_filter_rejection():
    verdict = judge(bounce("a@corp.example", category="policy_block", signature="policy", status="5.7.1",
                           diagnostic="550 Administrative prohibition - envelope blocked",
                           **corporate_behind("mimecast")))
    assert verdict.verdict == "filter_rejection"


def test_dmarc_failure_is_a_sender_issue():
    verdict = judge(bounce("a@corp.example", category="authentication", signature="authentication", status="5.7.26",
                           diagnostic="550 5.7.26 This mail has been blocked because the sender is unauthenticated. DMARC policy",
                           **corporate_behind("google_workspace")))
    assert verdict.verdict == "sender_issue"


def test_unclassified_bounce_with_no_other_evidence_is_unknown():
    verdict = judge(bounce("a@corp.example", category="unknown", signature=None, diagnostic="550 Rejected"))
    assert verdict.verdict == "unknown"


def test_deferred_outcome_is_temporary():
    verdict = judge(RecipientFacts(email="a@x.example", domain="x.example", outcome="deferred", reply_code=421,
                                   diagnostic="421 4.7.0 Try again later"))
    assert verdict.verdict == "temporary"


def test_delivered_recipients_get_no_verdict():
    assert judge(RecipientFacts(email="a@x.example", domain="x.example", outcome="delivered")) is None


def test_bare_facts_still_produce_a_verdict():
    verdict = judge(RecipientFacts(email="a@x.example", domain="x.example", outcome="bounce"))
    assert verdict.verdict == "unknown" and verdict.evidence == []


def test_models_blank_strings_are_treated_as_missing():
    verdict = judge(RecipientFacts(email="a@x.example", domain="x.example", outcome="bounce", category="",
                                   signature="", bounce_vendor="", mx_vendor="", diagnostic="", mx_status=""))
    assert verdict.verdict == "unknown"


def test_evidence_lists_the_support_first_and_never_repeats_an_item():
    votes = [Evidence("a", "A.", "filter_rejection", 1.0), Evidence("b", "B.", "invalid_recipient", 0.5),
             Evidence("c", "C.", "unknown", 0.0), Evidence("a", "A.", "filter_rejection", 1.0),
             Evidence("d", "D.", "filter_rejection", 2.0)]
    verdict = decide(votes)
    assert [item["code"] for item in verdict.evidence] == ["d", "a", "c", "b"]


def test_a_tie_goes_to_unknown():
    verdict = decide([Evidence("x", "X.", "filter_rejection", 1.0)])  # equals the unknown prior
    assert verdict.verdict == "unknown"


def test_staff_override_wins_and_keeps_the_computed_evidence():
    computed = judge(bounce("a@gmail.com", diagnostic=GMAIL_UNKNOWN, domain_kind="consumer"))
    overridden = apply_override(computed, "filter_rejection")
    assert isinstance(overridden, Verdict)
    assert (overridden.verdict, overridden.confidence, overridden.overridden) == ("filter_rejection", 1.0, True)
    assert overridden.evidence[0]["code"] == "staff_override"
    assert "invalid recipient" in overridden.evidence[0]["text"]
    assert overridden.evidence[1:] == computed.evidence


def test_override_with_an_unknown_verdict_is_refused():
    with pytest.raises(ValueError):
        apply_override(None, "fine")


def test_consumer_unknown_user_filed_as_policy_is_still_invalid():
    verdict = judge(bounce("a@sfr.fr", category="policy_block", signature="user_unknown_unconfirmed", status="5.7.1",
                           diagnostic="550 5.7.1 <a@sfr.fr>: Recipient address rejected: User unknown",
                           domain_kind="consumer"))
    assert verdict.verdict == "invalid_recipient"
