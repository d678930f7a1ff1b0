"""Campaign figures on a small campaign computed by hand."""
from __future__ import annotations

import json

from deliverability.verdicts.diagnosis import diagnose_campaign
from deliverability.verdicts.facts import RecipientFacts

from .builders import bounce


def delivered(email, **fields):
    return RecipientFacts(email=email, domain=email.split("@")[1], outcome="delivered", **fields)


ACME = {"domain_kind": "corporate", "mx_vendor": "proofpoint"}
BIG = {"domain_kind": "corporate", "mx_vendor": "microsoft365"}
GMAIL = {"domain_kind": "consumer", "mx_vendor": "gmail"}

# 10 recipients. Reported hard: a2 (ESP says hard), a3/b2/y1 (no label, 5xx), d1 (ESP hard) = 5.
# g2 is labelled soft by the ESP despite its 552; c1 was only deferred.
CAMPAIGN = [
    delivered("a1@acme.example", **ACME),
    bounce("a2@acme.example", esp_hard=True, **ACME),
    bounce("a3@acme.example", **ACME),
    delivered("b1@big.example", **BIG),
    bounce("b2@big.example", **BIG),
    delivered("g1@gmail.com", **GMAIL),
    bounce("g2@gmail.com", category="mailbox_full", reply_code=552, status="5.2.2", esp_hard=False, **GMAIL),
    bounce("y1@yahoo.com", category="policy_block", reply_code=554, status="5.7.9", domain_kind="consumer",
           mx_vendor="yahoo"),
    bounce("d1@mailinator.com", esp_hard=True, domain_kind="disposable"),
    RecipientFacts(email="c1@corp.example", domain="corp.example", outcome="deferred", domain_kind="corporate"),
]
VERDICTS = {
    "a2@acme.example": "filter_rejection", "a3@acme.example": "filter_rejection",
    "b2@big.example": "invalid_recipient", "g2@gmail.com": "temporary", "y1@yahoo.com": "sender_issue",
    "d1@mailinator.com": "invalid_recipient", "c1@corp.example": "temporary",
}


def test_headline_figures_match_the_hand_count():
    d = diagnose_campaign(CAMPAIGN, VERDICTS, name="October newsletter")
    out = d.to_json()
    assert (out["name"], out["recipients"], out["delivered"], out["bounced"]) == ("October newsletter", 10, 3, 6)
    assert out["reported_hard_bounce_rate"] == 0.5
    assert out["estimated_invalid_rate"] == 0.2


def test_b2b_and_b2c_split_counts_disposable_as_b2c():
    out = diagnose_campaign(CAMPAIGN, VERDICTS).to_json()
    assert {k: out["b2b"][k] for k in ("recipients", "bounced", "bounce_rate")} == {
        "recipients": 6, "bounced": 3, "bounce_rate": 0.5}
    assert {k: out["b2c"][k] for k in ("recipients", "bounced", "bounce_rate")} == {
        "recipients": 4, "bounced": 3, "bounce_rate": 0.75}


def test_verdict_mix_and_vendors_count_bounced_recipients_only():
    out = diagnose_campaign(CAMPAIGN, VERDICTS).to_json()
    assert out["by_verdict"] == {"invalid_recipient": 2, "filter_rejection": 2, "sender_issue": 1,
                                 "temporary": 1, "unknown": 0}
    assert out["by_vendor"]["Proofpoint"]["bounced"] == 2
    assert out["by_vendor"]["Proofpoint"]["by_verdict"]["filter_rejection"] == 2
    assert out["by_vendor"]["Microsoft 365"]["by_verdict"]["invalid_recipient"] == 1
    assert out["by_vendor"]["Yahoo / AOL"]["by_verdict"]["sender_issue"] == 1
    assert sum(v["bounced"] for v in out["by_vendor"].values()) == out["bounced"]
    assert out["top_domains"][0]["domain"] == "acme.example"


def test_recovery_count_and_what_to_do():
    d = diagnose_campaign(CAMPAIGN, VERDICTS)
    assert d.recovered == 3  # a2, a3 (filter) and y1 (sender issue) were reported hard
    codes = [item["code"] for item in d.what_to_do]
    assert codes[:2] == ["keep", "suppress"]
    assert "ask_it_team" in codes and "retry" in codes
    proofpoint = next(item for item in d.what_to_do if item.get("vendor") == "Proofpoint")
    assert proofpoint["url"] == "https://ipcheck.proofpoint.com/"
    assert proofpoint["domains"] == ["acme.example"]


def test_headline_splits_the_reported_rate():
    headline = diagnose_campaign(CAMPAIGN, VERDICTS).headline
    assert headline.startswith("Of your 50.0% hard bounces")
    assert "about 20.0 points are addresses that really do not exist" in headline
    assert "security gateways of 1 company (Proofpoint)" in headline


def test_overrides_win_over_computed_verdicts():
    d = diagnose_campaign(CAMPAIGN, VERDICTS, overrides={"b2@big.example": "filter_rejection"})
    assert d.estimated_invalid_rate == 0.1
    assert d.by_verdict["filter_rejection"] == 3


def test_bounce_only_file_uses_the_sent_count_and_says_so():
    bounces = [bounce(f"x{i}@acme.example", esp_hard=True, **ACME) for i in range(3)]
    d = diagnose_campaign(bounces, {b.email: "invalid_recipient" for b in bounces}, sent_count=100)
    out = d.to_json()
    assert (out["recipients"], out["delivered"], out["bounced"]) == (100, 97, 3)
    assert out["reported_hard_bounce_rate"] == 0.03 and out["estimated_invalid_rate"] == 0.03
    assert out["recipients_source"] == "sent_count" and out["notes"]
    assert out["b2b"]["recipients"] is None and out["b2b"]["bounce_rate"] is None


def test_missing_verdicts_count_as_unknown_and_json_serialises():
    d = diagnose_campaign(CAMPAIGN, {})
    assert d.by_verdict["unknown"] == 6
    json.dumps(d.to_json())


def test_empty_campaign_has_zero_rates():
    out = diagnose_campaign([], {}).to_json()
    assert out["recipients"] == 0 and out["reported_hard_bounce_rate"] == 0.0 and out["by_vendor"] == {}

