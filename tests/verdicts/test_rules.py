"""Each rule on its own: what it votes for, and when it stays silent."""
from __future__ import annotations

from datetime import timedelta

import pytest

from deliverability.verdicts import rules, weights
from deliverability.verdicts.facts import RecipientFacts, RecipientHistory

from .builders import (
    DBEB,
    GMAIL_UNKNOWN,
    MAILBOX_FULL,
    NO_HISTORY,
    PROOFPOINT_MX,
    SPAMHAUS,
    T0,
    bounce,
    corporate_behind,
    pattern,
    scattered,
)


def votes(rule, facts):
    return [(e.code, e.verdict, e.weight) for e in rule(facts)]


def test_category_claim_votes_the_category_verdict():
    assert votes(rules.category_claim, bounce("a@x.example", category="mailbox_full", diagnostic=MAILBOX_FULL)) == [
        ("claim_mailbox_full", "temporary", weights.CATEGORY_VOTES["mailbox_full"][1])]


def test_category_claim_shrinks_user_unknown_when_the_text_is_a_gateway_directory_rejection():
    [(code, verdict, weight)] = votes(rules.category_claim,
                                      bounce("a@x.example", signature="gateway_directory_unknown", diagnostic=DBEB))
    assert verdict == "invalid_recipient" and weight == weights.GATEWAY_DIRECTORY_INVALID_RESIDUAL


def test_category_claim_is_silent_without_a_category():
    assert rules.category_claim(bounce("a@x.example", category=None, signature=None)) == []


def test_rate_limit_is_temporary_with_a_small_sender_vote():
    verdicts = {v for _c, v, _w in votes(rules.category_claim, bounce("a@x.example", category="rate_limited",
                                                                        diagnostic="421 4.7.28 unusual rate"))}
    assert verdicts == {"temporary", "sender_issue"}


def test_text_naming_a_blocklist_is_a_sender_issue_whatever_the_category():
    facts = bounce("a@x.example", category="policy_block", diagnostic=SPAMHAUS)
    assert votes(rules.text_names_sender_problem, facts) == [
        ("names_sender_problem", "sender_issue", weights.SENDER_MENTION_WEIGHT)]


def test_sender_markers_cover_ip_reputation_authentication_and_spam():
    for text in (
        "550 5.7.606 Access denied, banned sending IP [203.0.113.7]",
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy",
        "550-5.7.1 Our system has detected that this message is likely unsolicited mail",
        "554 Email rejected due to spam content",
        "550 5.7.1 Mail from 203.0.113.7 refused: IP is listed",
        "550 Sender address rejected: Domain not found",
    ):
        assert rules.sender_problem_named(text) is not None, text


def test_sender_markers_ignore_user_unknown_and_directory_texts():
    for text in (DBEB, "550 5.1.1 User Unknown", "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
                 "550 5.7.1 <a@x>: Recipient address rejected: User email address is marked as invalid.",
                 "host mx.anti-spam.example[198.51.100.2] said: 550 5.1.1 user unknown",
                 "554 5.7.1 <a@x>: Recipient address rejected: Access denied."):
        assert rules.sender_problem_named(text) is None, text


def test_answering_vendor_names_the_gateway_and_its_mx():
    facts = bounce("a@acme.example", **corporate_behind("proofpoint", PROOFPOINT_MX, provider="microsoft365"))
    [evidence] = rules.answering_vendor(facts)
    assert evidence.weight == 0
    assert evidence.text == (f"The answering gateway is Proofpoint (MX {PROOFPOINT_MX}), in front of Microsoft 365.")


def test_gateway_directory_unknown_votes_filter_rejection():
    facts = bounce("a@acme.example", signature="gateway_directory_unknown",
                   diagnostic="550 Invalid Recipient", **corporate_behind("mimecast"))
    [(code, verdict, weight)] = votes(rules.gateway_directory_unknown, facts)
    assert (code, verdict, weight) == ("gateway_directory_unknown", "filter_rejection",
                                       weights.GATEWAY_DIRECTORY_FILTER_WEIGHT)


def test_plain_user_unknown_from_a_security_gateway_is_weakly_suspect():
    facts = bounce("a@acme.example", **corporate_behind("proofpoint", PROOFPOINT_MX))
    assert votes(rules.gateway_user_unknown, facts) == [
        ("gateway_user_unknown", "filter_rejection", weights.GATEWAY_USER_UNKNOWN_FILTER_WEIGHT)]


def test_plain_user_unknown_from_a_mailbox_provider_is_not_suspect():
    assert rules.gateway_user_unknown(bounce("a@acme.example", **corporate_behind("google_workspace"))) == []


def test_gateway_named_only_in_the_bounce_text_still_counts_as_the_answering_vendor():
    facts = bounce("a@acme.example", bounce_vendor="barracuda", mx_vendor=None)
    assert votes(rules.gateway_user_unknown, facts)


def test_policy_block_by_a_gateway_without_sender_mention_is_a_filter_rejection():
    facts = bounce("a@acme.example", category="policy_block", signature="policy",
                   diagnostic="550 permanent failure for one or more recipients (a@acme.example:blocked)",
                   **corporate_behind("barracuda"))
    assert votes(rules.policy_block_by_filter, facts) == [
        ("filter_policy", "filter_rejection", weights.GATEWAY_POLICY_FILTER_WEIGHT)]


def test_policy_block_at_a_consumer_provider_is_about_the_sender():
    facts = bounce("a@yahoo.com", category="policy_block", signature="policy", domain_kind="consumer", mx_vendor="yahoo",
                   diagnostic="554 5.7.9 Message not accepted for policy reasons.")
    assert [v for _c, v, _w in votes(rules.policy_block_by_filter, facts)] == ["sender_issue"]


def test_policy_block_naming_a_blocklist_is_left_to_the_sender_rule():
    facts = bounce("a@acme.example", category="policy_block", diagnostic=SPAMHAUS, **corporate_behind("barracuda"))
    assert rules.policy_block_by_filter(facts) == []


def test_domain_burst_after_deliveries_reads_like_the_design_example():
    facts = bounce("a@acme.example", pattern=pattern(30, 42, spacing=4))
    [evidence] = rules.domain_burst_after_deliveries(facts)
    assert evidence.text == "42 rejections at this domain within 3 minutes after 30 deliveries."
    assert (evidence.verdict, evidence.weight) == ("filter_rejection", weights.DOMAIN_SWITCH_BURST_WEIGHT)


def test_slow_switch_without_a_dense_burst_votes_less():
    facts = bounce("a@acme.example", pattern=pattern(10, 6, spacing=3600))
    [evidence] = rules.domain_burst_after_deliveries(facts)
    assert evidence.weight == weights.DOMAIN_SWITCH_WEIGHT
    assert evidence.text == "After 10 deliveries, this domain refused 6 of the next 6 messages."


def test_domain_burst_does_not_explain_away_a_sender_issue():
    facts = bounce("a@acme.example", category="reputation_block", diagnostic=SPAMHAUS, pattern=pattern(30, 42))
    assert rules.domain_burst_after_deliveries(facts) == []


def test_vendor_burst_counts_when_the_domain_alone_shows_nothing():
    vendor_wide = pattern(12, 38, domain="proofpoint")
    facts = bounce("a@small.example", pattern=scattered(0, {0}, domain="small.example"),
                   vendor_pattern=vendor_wide, **corporate_behind("proofpoint"))
    [evidence] = rules.vendor_burst_after_deliveries(facts)
    assert evidence.verdict == "filter_rejection"
    assert "companies protected by Proofpoint" in evidence.text


def test_vendor_burst_is_not_counted_twice_with_the_domain_burst():
    facts = bounce("a@acme.example", pattern=pattern(30, 42), vendor_pattern=pattern(50, 80, domain="proofpoint"))
    assert rules.vendor_burst_after_deliveries(facts) == []


def test_domain_refused_everything_is_a_mild_filter_vote():
    facts = bounce("a@acme.example", pattern=pattern(0, 8))
    assert votes(rules.domain_refused_everything, facts) == [
        ("domain_refused_everything", "filter_rejection", weights.REFUSED_EVERYTHING_WEIGHT)]


def test_lone_user_unknown_among_many_deliveries_without_history_is_invalid():
    facts = bounce("gone@big.example", pattern=scattered(17, {9}), history=NO_HISTORY)
    [evidence] = rules.lone_rejection_among_deliveries(facts)
    assert evidence.verdict == "invalid_recipient" and evidence.weight == weights.LONE_MANY_WEIGHT
    assert evidence.text.startswith("17 other recipients at the same domain were delivered in this campaign")


def test_lone_rule_needs_enough_deliveries():
    assert rules.lone_rejection_among_deliveries(bounce("a@s.example", pattern=scattered(2, {1}))) == []


def test_lone_rule_leaves_recent_history_to_the_history_rule():
    history = RecipientHistory(delivered_before=3, last_delivered_at=T0 - timedelta(days=20))
    assert rules.lone_rejection_among_deliveries(bounce("a@big.example", pattern=scattered(20, {3}),
                                                        history=history)) == []


def test_lone_rule_is_silent_for_many_rejections():
    assert rules.lone_rejection_among_deliveries(bounce("a@big.example", pattern=scattered(20, {1, 5, 9, 13, 17}))) == []


def test_recent_click_contradicts_does_not_exist():
    history = RecipientHistory(clicked_at=T0 - timedelta(days=3), delivered_before=4,
                               last_delivered_at=T0 - timedelta(days=3))
    found = rules.history_contradicts_unknown(bounce("a@acme.example", history=history))
    assert found[0].code == "recent_click" and found[0].weight == weights.HISTORY_CLICK_WEIGHT
    assert found[0].text == "This recipient clicked a campaign on 2026-10-02."
    assert all(e.weight == 0 for e in found[1:])


def test_old_history_counts_for_less_and_stale_history_for_nothing():
    old = rules.history_contradicts_unknown(bounce("a@x.example", history=RecipientHistory(
        opened_at=T0 - timedelta(days=200))))
    stale = rules.history_contradicts_unknown(bounce("a@x.example", history=RecipientHistory(
        opened_at=T0 - timedelta(days=800))))
    assert old[0].weight == weights.HISTORY_OPEN_WEIGHT * weights.HISTORY_OLD_FACTOR
    assert stale[0].weight == 0


def test_history_counts_for_less_at_consumer_providers():
    history = RecipientHistory(clicked_at=T0 - timedelta(days=3))
    [evidence] = rules.history_contradicts_unknown(bounce("a@gmail.com", history=history, domain_kind="consumer"))
    assert evidence.weight == weights.HISTORY_CLICK_WEIGHT * weights.HISTORY_CONSUMER_FACTOR


def test_earlier_hard_bounces_support_invalid():
    facts = bounce("a@x.example", history=RecipientHistory(previous_hard_bounces=2))
    [evidence] = rules.earlier_hard_bounces(facts)
    assert evidence.text == "This address also bounced hard in 2 earlier campaigns."


def test_consumer_user_unknown_is_real():
    facts = bounce("a@gmail.com", diagnostic=GMAIL_UNKNOWN, domain_kind="consumer", mx_vendor="gmail")
    assert votes(rules.consumer_provider_user_unknown, facts) == [
        ("consumer_provider_user_unknown", "invalid_recipient", weights.CONSUMER_USER_UNKNOWN_WEIGHT)]


def test_consumer_vendor_counts_when_the_domain_kind_is_not_known():
    assert rules.consumer_provider_user_unknown(bounce("a@hotmail.de", mx_vendor="outlook_com"))


def test_disposable_domain_supports_invalid():
    assert rules.disposable_domain(bounce("a@mailinator.com", domain_kind="disposable"))


def test_null_mx_nxdomain_and_no_mail_are_strong_invalid_votes():
    for status in ("null_mx", "nxdomain", "no_mail"):
        [evidence] = rules.dns_says_no_mail(bounce("a@dead.example", category="invalid_domain", mx_status=status))
        assert (evidence.verdict, evidence.weight) == ("invalid_recipient", weights.DNS_NO_MAIL_WEIGHT)


@pytest.mark.parametrize("status", ["timeout", "servfail"])
def test_dns_timeouts_decide_nothing_but_say_the_enrichment_is_missing(status):
    [evidence] = rules.dns_says_no_mail(bounce("a@x.example", mx_status=status))
    assert (evidence.code, evidence.weight) == ("dns_unchecked", 0.0)
    assert "x.example could not be checked" in evidence.text


def test_working_mx_contradicts_domain_unknown():
    [evidence] = rules.dns_says_no_mail(bounce("a@x.example", category="invalid_domain", mx_status="ok"))
    assert evidence.verdict == "temporary"


def test_temporary_reply_code_and_deferred_outcome_vote_temporary():
    assert votes(rules.temporary_reply_code, bounce("a@x.example", reply_code=451, status="4.7.1"))[0][1] == "temporary"
    deferred = RecipientFacts(email="a@x.example", domain="x.example", outcome="deferred")
    assert votes(rules.last_attempt_deferred, deferred)[0][1] == "temporary"


def test_not_sent_by_esp_is_unknown():
    dropped = RecipientFacts(email="a@x.example", domain="x.example", outcome="dropped")
    assert votes(rules.not_sent_by_esp, dropped)[0][1] == "unknown"


def test_quote_keeps_untrusted_text_on_one_short_line_in_quotes():
    text = 'bad "stuff"\r\n<script>alert(1)</script>\u202e' + "x" * 500
    quoted = rules.quote(text)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert "\n" not in quoted and "\r" not in quoted and "\u202e" not in quoted
    assert '"' not in quoted[1:-1]
    assert len(quoted) <= weights.QUOTE_LIMIT + 2 and quoted.endswith('…"')


def test_every_rule_is_silent_for_a_delivered_recipient():
    delivered = RecipientFacts(email="a@x.example", domain="x.example", outcome="delivered",
                               mx_vendor="proofpoint", mx_status="nxdomain", domain_kind="disposable",
                               history=RecipientHistory(previous_hard_bounces=3))
    for rule in rules.RULES:
        assert rule(delivered) == [], rule.__name__


def test_policy_category_naming_a_blocklist_votes_sender_issue():
    facts = bounce("a@acme.example", category="policy_block", diagnostic=SPAMHAUS, **corporate_behind("barracuda"))
    assert [v for _c, v, _w in votes(rules.category_claim, facts)] == ["sender_issue"]


def test_lone_rule_counts_for_less_with_old_history():
    history = RecipientHistory(delivered_before=2, last_delivered_at=T0 - timedelta(days=200))
    [evidence] = rules.lone_rejection_among_deliveries(bounce("a@big.example", pattern=scattered(20, {3}),
                                                              history=history))
    assert evidence.weight == weights.LONE_MANY_WEIGHT * weights.LONE_OLD_HISTORY_FACTOR


def test_lone_rule_ignores_history_older_than_a_year():
    history = RecipientHistory(delivered_before=2, last_delivered_at=T0 - timedelta(days=700))
    [evidence] = rules.lone_rejection_among_deliveries(bounce("a@big.example", pattern=scattered(20, {3}),
                                                              history=history))
    assert evidence.weight == weights.LONE_MANY_WEIGHT and "for over a year" in evidence.text


def test_sender_markers_from_the_sisimai_corpus():
    """Texts from ../shared/data/sisimai-dev: reverse-DNS and UBE refusals name the sender;
    a Lotus Domino "not listed in Domino Directory" is an unknown user, not a blocklist."""
    assert rules.sender_problem_named("554 5.7.1 Reverse DNS lookup for host 203.0.113.2 failed") is not None
    assert rules.sender_problem_named("571 No PTR Record found. Reverse DNS required: 203.0.113.22") is not None
    assert rules.sender_problem_named("550 5.7.1 Message content rejected, UBE, id=00000-00-000") is not None
    assert rules.sender_problem_named(
        "because: User some.name (kijitora@example.jp) not listed in Domino Directory") is None


def test_unknown_user_filed_as_policy_still_counts_as_an_unknown_user_claim():
    """GIVEN "User unknown" under a 5.7.1 status (the bounce engine files it as policy_block)
    WHEN the recipient clicked last week THEN history contradicts it, and the claim gets a small
    invalid vote of its own."""
    facts = bounce("a@acme.example", category="policy_block", signature="user_unknown_unconfirmed", status="5.7.1",
                   diagnostic="550 5.7.1 <a@acme.example>: Recipient address rejected: User unknown",
                   history=RecipientHistory(clicked_at=T0 - timedelta(days=5)))
    assert rules.says_unknown_user(facts)
    assert rules.history_contradicts_unknown(facts)[0].code == "recent_click"
    assert ("claims_unknown_user", "invalid_recipient", weights.SIGNATURE_SECOND_VOTES["user_unknown_unconfirmed"][1]) \
        in votes(rules.category_claim, facts)


def test_a_sender_side_category_is_never_read_as_an_unknown_user():
    facts = bounce("a@x.example", category="reputation_block", signature="user_unknown", diagnostic=SPAMHAUS)
    assert not rules.says_unknown_user(facts)


def test_a_switch_with_deliveries_after_it_or_few_rejections_votes_less():
    """GIVEN 6 deliveries, then 3 rejections and 1 more delivery (3 real missing mailboxes out of 10
    can look like this) WHEN weighing the switch THEN it counts half."""
    messy = scattered(7, {6, 8, 9})
    assert messy.rejections_after_deliveries and not messy.clean_switch
    [evidence] = rules.domain_burst_after_deliveries(bounce("a@big.example", pattern=messy))
    assert evidence.weight == weights.DOMAIN_SWITCH_BURST_WEIGHT * weights.SWITCH_WEAK_FACTOR
