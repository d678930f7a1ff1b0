"""One campaign exported by two ESPs must give the same counts: the readers agree on meaning."""
from __future__ import annotations

from .conftest import FIXTURES, read_all


def test_the_same_campaign_from_sendgrid_and_mailgun_gives_the_same_counts():
    sendgrid = read_all(FIXTURES / "cross/sendgrid_campaign.json")
    mailgun = read_all(FIXTURES / "cross/mailgun_campaign.jsonl")
    assert not sendgrid.errors and not mailgun.errors
    assert sendgrid.types() == mailgun.types() == {
        "delivered": 4, "bounce": 2, "deferred": 1, "suppressed": 1, "open": 1, "click": 1, "complaint": 1,
        "unsubscribe": 1}


def test_the_same_campaign_gives_the_same_recipients_and_smtp_facts():
    def facts(result):
        return sorted((r.email, r.event_type, r.reply_code, r.enhanced_status) for r in result.records)

    assert facts(read_all(FIXTURES / "cross/sendgrid_campaign.json")) == facts(read_all(FIXTURES / "cross/mailgun_campaign.jsonl"))


def test_the_echo_is_suppressed_in_both_and_never_counted_as_a_bounce():
    for name in ("cross/sendgrid_campaign.json", "cross/mailgun_campaign.jsonl"):
        result = read_all(FIXTURES / name)
        assert result.by_email("hu@acme.example").event_type == "suppressed"
