"""Issue 19 item 3: a 4xx refusal is temporary unless stronger evidence says otherwise, and the
campaign headline counts exactly what it names."""
from __future__ import annotations

from datetime import timedelta

from deliverability.verdicts.diagnosis import diagnose_campaign
from deliverability.verdicts.facts import RecipientFacts, domain_patterns, pattern_outcome
from deliverability.verdicts.judge import judge

from .builders import PROOFPOINT_MX, at, bounce, corporate_behind, pattern

PROOFPOINT = corporate_behind("proofpoint", PROOFPOINT_MX)
MIMECAST = corporate_behind("mimecast", "eu-smtp-inbound-1.mimecast.com")


def test_try_again_later_in_a_burst_after_deliveries_is_temporary():
    """GIVEN "421 4.7.0 Try again later" (filed as policy by its 4.7.0 status) at a Proofpoint company
    that had accepted 25 copies, then refused the rest within minutes
    THEN the verdict is temporary and its evidence says why."""
    burst = pattern(25, 15, spacing=3)
    facts = bounce("x@acme.example", category="policy_block", signature="policy", reply_code=421, status="4.7.0",
                   diagnostic="421 4.7.0 Try again later", pattern=burst, vendor_pattern=burst, **PROOFPOINT)
    verdict = judge(facts)
    assert verdict.verdict == "temporary", verdict.scores
    assert verdict.confidence > 0.9
    assert verdict.evidence[0]["code"] == "temporary_reply_code"


def test_a_throttling_reply_that_names_the_sending_ip_is_still_temporary():
    facts = bounce("x@acme.example", category="reputation_block", signature="reputation_block", reply_code=451,
                   status="4.7.650", diagnostic="451 4.7.650 The mail server [203.0.113.9] has been temporarily "
                   "rate limited due to IP reputation.", **PROOFPOINT)
    assert judge(facts).verdict == "temporary"


def test_a_temporary_reply_naming_failed_authentication_is_a_sender_issue():
    """Stronger evidence: a retry does not cure a failed DMARC check (Gmail 4.7.x authentication codes)."""
    facts = bounce("x@acme.example", category="authentication", signature="authentication", reply_code=421,
                   status="4.7.26", diagnostic="421 4.7.26 This message fails DMARC for the sending domain",
                   **PROOFPOINT)
    assert judge(facts).verdict == "sender_issue"


def test_a_temporary_reply_at_a_domain_that_does_not_exist_stays_invalid():
    facts = bounce("x@gone.example", category="technical", signature="technical", reply_code=451, status="4.4.0",
                   diagnostic="451 4.4.0 DNS lookup failed", domain_kind="corporate", mx_status="nxdomain")
    assert judge(facts).verdict == "invalid_recipient"


def test_a_gateway_policy_refusal_naming_no_sender_problem_is_a_filter_rejection():
    facts = bounce("x@acme.example", category="policy_block", signature="policy", reply_code=554, status="5.7.1",
                   diagnostic="554 5.7.1 Message refused: blocked by the recipient organisation's security policy",
                   **MIMECAST)
    assert judge(facts).verdict == "filter_rejection"


def test_a_policy_refusal_naming_the_sending_ip_on_a_blocklist_is_a_sender_issue():
    facts = bounce("x@acme.example", category="policy_block", signature="policy", reply_code=554, status="5.7.1",
                   diagnostic="554 5.7.1 Rejected: client host [203.0.113.9] is listed at zen.spamhaus.org",
                   **MIMECAST)
    assert judge(facts).verdict == "sender_issue"


def test_temporary_answers_are_not_rejections_in_a_domain_pattern():
    """A burst of 4xx does not make the domain's two real "user unknown" answers a filter's."""
    rows = [("acme.example", at(i), "delivered") for i in range(20)]
    rows += [("acme.example", at(20 + i), pattern_outcome("bounce", 421, "4.7.0")) for i in range(12)]
    rows += [("acme.example", at(40), pattern_outcome("bounce", 550, "5.1.1")),
             ("acme.example", at(41), "bounce")]
    built = domain_patterns(rows)["acme.example"]
    assert (built.bounced, built.other) == (2, 12)
    assert not built.rejections_after_deliveries
    facts = bounce("gone@acme.example", pattern=built, history=None, **corporate_behind("microsoft365"))
    assert judge(facts).verdict == "invalid_recipient"


def _delivered(email, moment, **fields):
    return RecipientFacts(email=email, domain=email.split("@")[1], outcome="delivered", occurred_at=moment, **fields)


def test_the_headline_names_only_the_vendors_of_the_hard_bounces_it_counts():
    """GIVEN 14 hard filter refusals behind Proofpoint and 6 soft (4xx) refusals behind Mimecast
    THEN the hard-bounce sentence names Proofpoint and one company, not Mimecast."""
    campaign = [_delivered(f"d{i}@north.example", at(i), **PROOFPOINT) for i in range(10)]
    campaign += [bounce(f"p{i}@north.example", occurred_at=at(12 + i), **PROOFPOINT) for i in range(14)]
    campaign += [_delivered(f"m{i}@halden.example", at(i), **MIMECAST) for i in range(10)]
    campaign += [bounce(f"t{i}@halden.example", category="policy_block", reply_code=421, status="4.7.0",
                        diagnostic="421 4.7.0 Try again later", **MIMECAST) for i in range(6)]
    verdicts = {f.email: ("filter_rejection" if f.email.startswith("p") else "temporary")
                for f in campaign if f.outcome == "bounce"}
    d = diagnose_campaign(campaign, verdicts)
    assert d.reported_hard_bounced == 14
    assert "1 company (Proofpoint)" in d.headline
    assert "Mimecast" not in d.headline
    assert "35.0 points were refused" in d.headline  # 14 of 40 recipients
    assert "none is an address that really does not exist" in d.headline
    assert "read the reply codes" in d.headline  # no ESP label: the split is ours, and it says so


def test_the_headline_says_when_the_hard_soft_split_is_the_esps_own():
    campaign = [_delivered(f"d{i}@north.example", at(i), **PROOFPOINT) for i in range(5)]
    campaign += [bounce(f"p{i}@north.example", esp_hard=True, **PROOFPOINT) for i in range(3)]
    d = diagnose_campaign(campaign, {f"p{i}@north.example": "invalid_recipient" for i in range(3)})
    assert "(as your ESP labelled them)" in d.headline
    campaign.append(bounce("q@north.example", **PROOFPOINT))  # no label: read from its 550
    d = diagnose_campaign(campaign, {f.email: "invalid_recipient" for f in campaign if f.outcome == "bounce"})
    assert "3 labelled hard by your ESP, 1 read by us from 5xx replies" in d.headline
    assert d.to_json()["hard_bounce_source"] == {"esp_label": 3, "inferred_from_reply": 1}


def test_the_headline_carries_the_colleagues_argument():
    """GIVEN a company that accepted 30 copies in the minute before refusing 12
    THEN the headline says so, with the domain and its gateway."""
    campaign = [_delivered(f"d{i}@north.example", at(i * 2), **PROOFPOINT) for i in range(30)]
    campaign += [bounce(f"p{i}@north.example", occurred_at=at(60) + timedelta(seconds=i), **PROOFPOINT)
                 for i in range(12)]
    d = diagnose_campaign(campaign, {f"p{i}@north.example": "filter_rejection" for i in range(12)})
    assert d.colleagues == {"domain": "north.example", "vendor": "Proofpoint", "accepted": 30, "refused": 12,
                            "seconds": 60}
    assert ("At north.example (behind Proofpoint) the same company accepted 30 colleagues' copies within the "
            "minute of its first refusal and then refused 12 messages") in d.headline


def test_throttling_under_a_5xx_code_is_still_temporary():
    """"Too many connections from your IP" names the IP because that is what is throttled (DESIGN overlap)."""
    facts = bounce("x@acme.example", category="rate_limited", signature="rate_limit", reply_code=550, status="5.7.1",
                   diagnostic="550 5.7.1 Too many connections from your IP, rate limited", **MIMECAST)
    assert judge(facts).verdict == "temporary"


def test_a_temporary_code_for_an_unmet_sender_requirement_is_a_sender_issue():
    """Gmail's 4.7.27 (SPF) and a missing reverse DNS fail the same way on every retry."""
    spf = bounce("x@acme.example", category="policy_block", signature="policy", reply_code=421, status="4.7.27",
                 diagnostic="421 4.7.27 Your email has been rate limited because SPF authentication didn't pass",
                 **PROOFPOINT)
    ptr = bounce("y@acme.example", category="reputation_block", signature="reputation_block", reply_code=450,
                 status="4.7.1", diagnostic="450 4.7.1 Client host rejected: cannot find your reverse hostname",
                 **PROOFPOINT)
    assert judge(spf).verdict == "sender_issue"
    assert judge(ptr).verdict == "sender_issue"


def test_a_consumer_provider_makes_no_colleagues_argument():
    """GIVEN Gmail, which delivered 30 copies in the minute before refusing 12 (new-user trial: "the same company
    accepted 23 colleagues' copies" at gmail.com) THEN no colleagues argument: Gmail's users are strangers to one
    another, one delivered copy says nothing of another address, and there is no company's filter."""
    gmail = {"domain_kind": "consumer", "mx_status": "ok", "mx_vendor": "gmail"}
    campaign = [_delivered(f"d{i}@gmail.com", at(i * 2), **gmail) for i in range(30)]
    campaign += [bounce(f"p{i}@gmail.com", occurred_at=at(60) + timedelta(seconds=i), **gmail) for i in range(12)]
    d = diagnose_campaign(campaign, {f"p{i}@gmail.com": "filter_rejection" for i in range(12)})
    assert d.colleagues is None
    assert "colleagues" not in d.headline
