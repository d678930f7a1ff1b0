"""classify(): evidence order, stage, hard flag, cache, and the SMTP field manual replies."""
import dataclasses
import glob
import json
from pathlib import Path

import pytest

from deliverability.bounces import Classification, classify, parse_reply
from deliverability.bounces.taxonomy import CATEGORIES, HARD_CATEGORIES
from deliverability.devtools.corpora import shared_data

FIELD_MANUAL = shared_data("smtp-field-manual", "codes")


def test_blocklist_text_overrides_a_catch_all_user_unknown_status():
    result = classify("550 5.1.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org")
    assert result.category == "reputation_block"


def test_user_unknown_text_wins_over_a_generic_policy_status():
    assert classify("550 5.7.1 No such user here", stage="RCPT").category == "invalid_mailbox"


def test_user_unknown_after_data_is_a_filter_not_a_missing_mailbox():
    result = classify("550 User unknown", stage="DATA")
    assert result.category == "policy_block"
    assert result.signature == "user_unknown_after_data"


def test_refusal_at_mail_from_is_about_the_sender():
    assert classify("550 Access denied", stage="MAIL").category == "sender_rejected"


def test_refusal_at_connection_is_about_the_sending_ip():
    assert classify("554 Access denied", stage="CONNECT").category == "reputation_block"


def test_specific_status_decides_when_text_is_silent():
    assert classify("550 computer says no", status="5.2.2").category == "mailbox_full"


def test_reply_code_is_the_last_resort():
    assert classify("552 nope").category == "mailbox_full"
    assert classify(None).category == "unknown"


def test_only_mailbox_and_domain_bounces_are_hard():
    assert classify("550 5.1.1 user unknown", stage="RCPT").hard is True
    assert classify("550 5.1.2 Host unknown").hard is True
    assert classify("452 4.2.2 Mailbox full").hard is False
    assert classify("554 5.7.1 spam detected").hard is False


def test_temporary_dns_failure_is_not_a_missing_domain():
    assert classify("451 4.4.0 DNS lookup failed: domain not found").category == "technical"


def test_null_mx_is_an_invalid_domain_even_when_reported_as_temporary():
    text = "DNS Error: the domain example.org doesn't receive email according to the administrator: returned Null MX"
    assert classify(text, status="4.0.0").category == "invalid_domain"


def test_remote_mta_names_the_vendor_when_no_signature_matches():
    assert classify("550 5.1.1 User unknown", remote_mta="mx0a-00069f02.pphosted.com").vendor == "proofpoint"


def test_classification_is_a_frozen_dataclass_with_the_public_fields():
    result = classify("550 5.1.1 user unknown")
    assert isinstance(result, Classification)
    assert {"category", "hard", "vendor", "signature", "explanation", "status", "reply_code"} <= {
        f.name for f in dataclasses.fields(result)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.category = "x"


def test_classify_is_cached_on_every_argument():
    a = classify("550 5.1.1 user unknown", stage="RCPT")
    assert classify("550 5.1.1 user unknown", stage="RCPT") is a
    assert classify("550 5.1.1 user unknown", stage="DATA") is not a


def test_explanation_is_one_sentence():
    for text in ("550 5.1.1 user unknown", "421 4.7.0 try later", "554 spam", None):
        explanation = classify(text).explanation
        assert explanation and explanation.endswith(".") and "\n" not in explanation


def _field_manual_replies():
    replies = []
    for path in sorted(glob.glob(str(FIELD_MANUAL / "*.json"))):
        doc = json.loads(Path(path).read_text())
        for group in ("providers", "spamFilters"):
            for provider in doc.get(group) or []:
                for response in provider["responses"]:
                    replies.append((provider["id"], response["response"]))
    return replies


@pytest.mark.skipif(not FIELD_MANUAL.exists(), reason="smtp-field-manual not available")
@pytest.mark.parametrize("provider,text", _field_manual_replies())
def test_field_manual_reply_gets_a_category_and_its_code(provider, text):
    result = classify(text)
    assert result.category in CATEGORIES
    # Only a temporary reply that names no cause ("421 Temporary failure, please try again later.") is unknown.
    assert result.category != "unknown" or result.rule == "no_cause", text
    # Hard: the address does not exist, said by a permanent reply (a 4xx reply is never hard, issue 16).
    assert result.hard == (result.category in HARD_CATEGORIES and not result.temporary)
    assert result.reply_code == parse_reply(text).reply_code


@pytest.mark.parametrize("text,category", [
    ("smtp;550 5.1.1 The email account that you tried to reach does not exist.", "invalid_mailbox"),
    ("smtp;552 5.2.2 The email account that you tried to reach is over quota.", "mailbox_full"),
    ("smtp;550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.", "authentication"),
    ("smtp;421 4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address", "rate_limited"),
    ("smtp;554 5.7.1 <x@example.com>: Relay access denied", "policy_block"),
    ("smtp;550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus.", "reputation_block"),
    ("smtp;552-5.2.3 Your message exceeded Google's message size limits.", "message_too_large"),
    ("smtp;550 5.2.1 The email account that you tried to reach is disabled.", "mailbox_disabled"),
    ("smtp;550 Requested action not taken: mailbox unavailable", "invalid_mailbox"),
    ("smtp;550 5.1.8 Domain of sender address does not exist", "sender_rejected"),
])
def test_field_manual_literal_texts_get_the_expected_category(text, category):
    assert classify(text).category == category


@pytest.mark.parametrize("text", [
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "550 5.1.10 Recipient not found by SMTP address lookup",
])
def test_microsoft_5_1_10_recipient_not_found_is_an_unknown_recipient_not_a_null_mx(text):
    result = classify(text)
    assert (result.category, result.signature, result.vendor) == ("invalid_mailbox", "user_unknown", "microsoft365")


@pytest.mark.parametrize("text", [
    "556 5.1.10 Recipient address has null MX",
    "550 5.1.10 The domain example.org does not accept mail (null MX)",
])
def test_null_mx_wording_is_an_invalid_domain(text):
    result = classify(text)
    assert result.category == "invalid_domain"
    assert result.signature == "null_mx"


def test_a_bare_5_1_10_is_not_called_a_null_mx():
    assert classify("550 5.1.10 computer says no").signature != "null_mx"


@pytest.mark.parametrize("text", [
    "450 4.0.0 Temporary failure",
    "451 4.3.0 This message could not be delivered due to a recipient error. Please try again later.",
    "421 Temporary failure, please try again later.",
])
def test_temporary_reply_that_names_no_cause_is_unknown(text):
    result = classify(text)
    assert (result.category, result.rule, result.temporary) == ("unknown", "no_cause", True)


@pytest.mark.parametrize("text", [
    "421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster",
    "451 4.3.0 Error: queue file write error",
    "452 temporary domain failure <someone@example.com>",
    "Status: Error, Address: <a@example.com>, ResponseCode 421, , Host not reachable.",
    "421 4.4.2 Temporary system failure, try again later",
    "454 4.7.0 Temporary failure",  # a status with a subject (X.7: policy) is not "no cause"
])
def test_temporary_reply_naming_a_subject_is_not_unknown(text):
    assert classify(text).category != "unknown"


@pytest.mark.parametrize("text", [
    "550-5.1.0 MXIN506 MailFrom domain is listed in Spamhaus. To request removal from this list see https://www.spamhaus.org/query/lookup/",
    "A message that you sent could not be delivered. \"Sorry, you are sending to/from an address that has been blacklisted\"",
    "554 5.7.1 Sender address is blacklisted",
])
def test_blocklist_naming_the_sender_address_or_domain_refuses_the_sender(text):
    assert classify(text).category == "sender_rejected"


def test_blocklist_naming_the_ip_stays_a_reputation_block():
    assert classify("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org").category == "reputation_block"


def test_a_temporarily_rejected_message_is_not_a_policy_refusal():
    assert classify("451 4.3.0 Mail server temporarily rejected message. - gsmtp").category == "technical"
