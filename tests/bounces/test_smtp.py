"""parse_reply(): codes and enhanced statuses in their many wrappings."""
import pytest

from deliverability.bounces import parse_reply


@pytest.mark.parametrize("text,code,status", [
    ("smtp; 550 5.1.1 <a@b.example>: Recipient address rejected", 550, "5.1.1"),
    ("550-5.1.1 The email account that you tried\n550-5.1.1 to reach does not exist\n550 5.1.1 gsmtp", 550, "5.1.1"),
    ("550 #5.1.0 Address rejected", 550, "5.1.0"),
    ("553 Message filtered. Refer to the Troubleshooting page (#5.7.1)", 553, "5.7.1"),
    ("host mx.example.jp [192.0.2.20]: 550 5.7.0 Please use the smtp server of your ISP.", 550, "5.7.0"),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.1 deferred - 4.16.55.1; see https://x", 421, "4.7.0"),
    ("Out: 250 2.1.5 Ok Out: 451 4.3.0 Error: queue file write error", 451, "4.3.0"),
])
def test_reply_code_and_status_are_found(text, code, status):
    reply = parse_reply(text)
    assert (reply.reply_code, reply.status) == (code, status)


def test_numbers_inside_urls_and_ip_addresses_are_not_codes():
    reply = parse_reply("Connections not accepted from 192.0.2.1; see http://postmaster.yahoo.com/550-bl23.html")
    assert reply.reply_code is None and reply.status is None


def test_multiline_continuation_is_folded_into_one_line():
    reply = parse_reply("550-5.1.1 The email account\n550-5.1.1 that you tried\n550 5.1.1 to reach")
    assert "\n" not in reply.diagnostic and "that you tried" in reply.diagnostic


def test_answering_host_is_extracted():
    reply = parse_reply("550 5.4.1 Recipient address rejected: Access denied. [BN1.eop-nam.prod.protection.outlook.com]")
    assert reply.remote_mta == "bn1.eop-nam.prod.protection.outlook.com"
    assert parse_reply("host mx1.example.com[192.0.2.1] said: 550 no").remote_mta == "mx1.example.com"


def test_empty_reply():
    assert parse_reply(None) == (None, None, None, None)
    assert parse_reply("   ") == (None, None, None, None)
