"""Phantom recipients: what has an address's shape (a msg-id) or stands where an address should (a display name, a
group) is never reported as a recipient. Per family, on emails written here (not corpus copies); the shared
corpora are checked as a whole at the end."""
from __future__ import annotations

import pytest

from deliverability.bounces.measure import phantom_recipients
from deliverability.bounces.reading import parse_message
from deliverability.bounces.reading.fields import address_in, is_address, message_id_test, quoted_id_field
from deliverability.bounces.reading.mime import Parts, mime_tree
from deliverability.devtools.corpora import shared_data


def _email(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _recipients(data: bytes) -> list[str | None]:
    return [r.recipient for r in parse_message(data)]


ZOHO_HEADERS = """Received: from mail.zoho.example by mx.zohomail.example
    with SMTP id 1700000000000001.1; Mon, 2 Nov 2026 09:00:01 -0800 (PST)
Date: Mon, 2 Nov 2026 09:00:01 -0800
From: mailer-daemon@mail.zoho.example
To: news@shop.example.com
Message-ID: <18b2f0a1c22.aa01.-77@zohomail.example>
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
"""


def _zoho(lines: str, pasted: str) -> bytes:
    return _email(ZOHO_HEADERS, "This message was created automatically by mail delivery software.\n"
                  "A message that you sent could not be delivered to one or more of its recipients. "
                  "This is a permanent error.\n\n" + lines + "\n\n\n" + pasted)


# Zoho's bounce layout: the returned message's headers pasted under the recipient lines, "Name:value" with no space.
ZOHO_PASTED = ("Received:from mail.zoho.example by mx.zohomail.example\n\twith SMTP id 1700000000000000.2; "
               "Mon, 2 Nov 2026 09:00:00 -0800 (PST)\n"
               "Message-ID:<18b2f0a1b00.c0ffee.123456789@shop.example.com>\nDate:Mon, 2 Nov 2026 17:00:00 +0000\n"
               "From:News <news@shop.example.com>\nTo:<ann@acme.example>, <bob@acme.example>\nSubject:Hello\n")


def test_zohos_layout_reports_its_listed_recipients_never_the_pasted_message_id():
    data = _zoho("ann@acme.example Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <ann@acme.example>... User Unknown\n"
                 "bob@acme.example Invalid Address, ERROR_CODE :550, ERROR_CODE :5.2.2 <bob@acme.example>... Mailbox Full",
                 ZOHO_PASTED)
    records = parse_message(data)
    assert [(r.recipient, r.status, r.reply_code) for r in records] == [
        ("ann@acme.example", "5.1.1", 550), ("bob@acme.example", "5.2.2", 550)]
    assert all("Message-ID" not in (r.diagnostic or "") for r in records)  # the pasted headers are not its words


def test_zohos_pasted_headers_end_the_notice_so_a_recipient_that_did_not_fail_is_not_reported():
    """The pasted To names everyone the message went to; only the lines above it name who failed."""
    pasted = ZOHO_PASTED.replace("To:<ann@acme.example>, <bob@acme.example>", "To:<ann@acme.example>, <carol@acme.example>")
    data = _zoho("ann@acme.example Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <ann@acme.example>... User Unknown",
                 pasted)
    assert _recipients(data) == ["ann@acme.example"]


def test_a_msg_id_quoted_in_a_notice_is_never_a_recipient_even_where_the_text_is_not_cut():
    """RFC 5322 §3.6.4: the original's Message-ID, In-Reply-To and References (a continuation line of bare ids looks
    like a listed recipient) quoted in a notice's own words, with no header line that ends the notice."""
    data = _email(ZOHO_HEADERS.replace("Zoho", "Gateway"),
                  "We could not deliver your message to carol@acme.example. This is a permanent error.\n"
                  "The server said: 550 5.1.1 User unknown\n\n"
                  "Message-ID: <20261102.1234.abc@shop.example.com>\n"
                  "References: <first.0@shop.example.com>\n\t<prev.1@shop.example.com>\n"
                  "In-Reply-To: <prev.1@shop.example.com>\n")
    assert _recipients(data) == ["carol@acme.example"]


def test_a_notice_whose_only_address_is_a_msg_id_reports_no_recipient():
    data = _email(ZOHO_HEADERS, "Delivery failed permanently: 550 5.1.1 user unknown\n\n"
                                "Message-ID: <18b2f0a1b00.c0ffee.1@shop.example.com>\n")
    assert _recipients(data) == [None]


def test_a_msg_id_is_dropped_whichever_layout_read_it_and_the_record_says_why():
    """A gateway that wrote the returned message's id where RFC 3464 wants the recipient: no record names it."""
    data = _email(
        "From: MAILER-DAEMON@gw.example.net\nTo: news@shop.example.com\nSubject: Delivery Status Notification\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        "--b1\nContent-Type: text/plain\n\nDelivery failed.\n\n--b1\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; gw.example.net\n\nFinal-Recipient: rfc822; <m.77@shop.example.com>\nAction: failed\n"
        "Status: 5.1.1\n\n--b1\nContent-Type: text/rfc822-headers\n\nFrom: news@shop.example.com\n"
        "Message-ID: <m.77@shop.example.com>\nSubject: hello\n\n--b1--\n")
    [record] = parse_message(data)
    assert record.recipient is None and "message id" in record.note


def test_msg_ids_are_the_id_fields_and_received_id_clauses_never_a_received_for_or_a_to():
    msg = mime_tree(_email(
        "Received: from relay.example.net by mx.example.org with ESMTP id <q1.77@mx.example.org>\n"
        "\tfor <dora@example.org>; Mon, 2 Nov 2026 09:00:00 +0000\n"
        "From: MAILER-DAEMON@mx.example.org\nTo: news@shop.example.com\nMessage-ID: <own.5@mx.example.org>\n"
        'Subject: failure notice\nMIME-Version: 1.0\nContent-Type: multipart/report; boundary="b"',
        "--b\nContent-Type: text/plain\n\nDelivery failed.\n\n--b\nContent-Type: text/rfc822-headers\n\n"
        "Received: from shop.example.com by relay.example.net with SMTP id <q0.3@relay.example.net>\n"
        "\tfor <dora@example.org>; Mon, 2 Nov 2026 08:59:59 +0000\n"
        "Message-ID: <orig.9@shop.example.com>\nReferences: <first.0@shop.example.com>\n\t<prev.1@shop.example.com>\n"
        "To: dora@example.org\n\n--b--\n"))
    is_message_id = message_id_test(msg, Parts.collect(msg))
    for quoted in ("own.5@mx.example.org", "Q1.77@mx.example.org", "q0.3@relay.example.net", "orig.9@shop.example.com",
                   "first.0@shop.example.com", "prev.1@shop.example.com"):
        assert is_message_id(quoted), quoted
    assert not is_message_id("dora@example.org")  # Received's "for <…>" and the To name the recipient
    # An id is a whole token: the recipient inside "<1761564505.dora@example.org>" (an id some MTAs build from the
    # sender's or the recipient's address) is not that id.
    msg = mime_tree(_email("From: MAILER-DAEMON@mx.example.org\nTo: news@shop.example.com\nSubject: failure notice\n"
                           'MIME-Version: 1.0\nContent-Type: multipart/report; boundary="b"',
                           "--b\nContent-Type: text/rfc822-headers\n\nMessage-Id: <1761564505.dora@example.org>\n"
                           "To: dora@example.org\n\n--b--\n"))
    assert not message_id_test(msg, Parts.collect(msg))("dora@example.org")


def test_a_quoted_field_runs_over_its_continuation_lines_not_over_an_indented_field():
    """The X.400 gateways' summary of the returned message indents each field: "  To:" is not part of Message-ID."""
    lines = ["This report relates to your message:", "  Subject: test,", "  Message-ID: <orig.9@shop.example.com>,",
             "  To: dora@example.org", "References: <first.0@shop.example.com>", "\t<prev.1@shop.example.com>", ""]
    assert [quoted_id_field(lines, no) for no in range(len(lines))] == [None, None, "id", None, "id", "id", None]


# --- RFC 5965 ARF: the complaint is about the original recipient, or no one ----------------------------------------
def _arf(feedback_fields: str, original_to: str) -> bytes:
    return _email(
        "From: <fbl@isp.example>\nTo: <abuse@shop.example.com>\nSubject: FW: Hello\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="fb"',
        "--fb\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n"
        f"--fb\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n"
        f"{feedback_fields}\n"
        "--fb\nContent-Type: message/rfc822\n\nFrom: <news@shop.example.com>\n"
        f"To: {original_to}\nSubject: Hello\nMessage-ID: <m.42@shop.example.com>\n\nHello\n--fb--\n")


@pytest.mark.parametrize("fields,to,expected", [
    ("Original-Rcpt-To: <eve@isp.example>\n", "<Undisclosed Recipients>", "eve@isp.example"),
    ("", "Eve Example <eve@isp.example>", "eve@isp.example"),
    ("Original-Rcpt-To: Undisclosed\n", "<eve@isp.example>", "eve@isp.example"),  # a name in the field: the To
])
def test_an_arf_report_is_a_complaint_about_its_original_recipient(fields, to, expected):
    [record] = parse_message(_arf(fields, to))
    assert (record.recipient, record.category_hint) == (expected, "complaint")


@pytest.mark.parametrize("to", ["<Undisclosed Recipients>", "undisclosed-recipients:;", '"undisclosed"', ""])
def test_an_arf_report_naming_no_address_has_no_recipient_and_says_why(to):
    [record] = parse_message(_arf("", to))
    assert record.recipient is None and record.category_hint == "complaint"
    assert "naming no recipient address" in record.note


@pytest.mark.parametrize("value,expected", [
    ("rfc822; ann@example.org", "ann@example.org"),
    ("<Undisclosed Recipients>", None),
    ("undisclosed-recipients:;", None),
    ('"Ann Example"', None),
    ("rfc822; ann@localhost", "ann@localhost"),  # a local name: the caller decides (dsn_recipient keeps it)
    ("x400; /RFC-822=ann(a)example.org/ADMD= /C=WW/", None),
])
def test_an_address_is_never_made_of_a_text_without_an_at(value, expected):
    assert address_in(value) == expected


def test_an_internet_address_needs_a_domain_with_a_dot():
    assert is_address("ann@example.org") and not is_address("ann@localhost") and not is_address("Undisclosed")


# --- the shared corpora, as a whole ---------------------------------------------------------------------------------
@pytest.mark.parametrize("corpus", ["sisimai-dev", "peers-dev"])
def test_no_record_of_the_shared_corpora_names_a_msg_id_or_a_text_without_an_at(corpus):
    """Before this rule: 5 such records in sisimai-dev (2 ARF display names, 3 Zoho message ids), 0 in peers-dev."""
    folder = shared_data(corpus)
    if not (folder / "emails").exists():
        pytest.skip(f"{corpus} corpus not present (set SHARED_DIR)")
    assert phantom_recipients(folder) == []
