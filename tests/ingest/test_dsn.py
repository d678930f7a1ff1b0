"""Raw bounce emails through the bounce engine: actions, complaints, auto-replies, containers."""
from __future__ import annotations

import shutil
import zipfile

import pytest

from deliverability.devtools.corpora import shared_data
from deliverability.ingest.dsn import AUTO_REPLY_SKIP

from .conftest import FIXTURES, read_all


def test_a_dsn_gives_one_record_per_recipient_with_action_mapped():
    result = read_all(FIXTURES / "dsn/postfix_dsn.eml")
    assert [(r.email, r.event_type, r.reply_code, r.enhanced_status, r.remote_mta) for r in result.records] == [
        ("cara@globex.example", "bounce", 550, "5.7.1", "mx0a-00123.pphosted.com"),
        ("dev@initech.example", "deferred", 452, "4.2.2", "mx.initech.example"),
    ]
    assert result.records[0].esp_labels["action"] == "failed"
    assert result.records[0].esp_labels["source"] == "postfix_dsn.eml"


def test_an_arf_report_is_a_complaint():
    result = read_all(FIXTURES / "dsn/arf_complaint.eml")
    assert [(r.email, r.event_type) for r in result.records] == [("gus@acme.example", "complaint")]


def test_an_auto_reply_is_skipped_and_counted_not_a_bounce():
    result = read_all(FIXTURES / "dsn/out_of_office.eml")
    assert not result.records and not result.errors
    assert result.skipped == {AUTO_REPLY_SKIP: 1}


def test_an_mbox_is_split_and_streamed_message_by_message():
    result = read_all(FIXTURES / "dsn/bounces.mbox")
    assert [(r.row, r.event_type) for r in result.records] == [(1, "bounce"), (1, "deferred"), (3, "complaint")]
    assert result.skipped == {AUTO_REPLY_SKIP: 1}
    assert result.records[-1].esp_labels["source"] == "bounces.mbox#3"


def test_a_folder_of_emails_is_read(tmp_path):
    for name in ("postfix_dsn.eml", "arf_complaint.eml", "out_of_office.eml"):
        shutil.copy(FIXTURES / "dsn" / name, tmp_path / name)
    result = read_all(tmp_path)
    assert result.types() == {"bounce": 1, "deferred": 1, "complaint": 1}
    assert all(not r.esp_labels["source"].startswith("/") for r in result.records)  # no server paths


def test_a_zip_of_emails_read_as_dsn(tmp_path):
    path = tmp_path / "bounces.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(FIXTURES / "dsn/postfix_dsn.eml", "postfix_dsn.eml")
        archive.write(FIXTURES / "dsn/arf_complaint.eml", "arf.eml")
    assert read_all(path, "dsn").types() == {"bounce": 1, "deferred": 1, "complaint": 1}
    assert read_all(path).types() == {"bounce": 1, "deferred": 1, "complaint": 1}


def test_an_email_with_no_bounce_report_is_a_row_error(tmp_path):
    path = tmp_path / "hello.eml"
    path.write_text("From: a@b.example\nTo: c@d.example\nSubject: hello\nDate: Thu, 1 Oct 2026 09:00:00 +0000\n"
                    "Message-ID: <1@b>\n\nJust saying hello.\n")
    result = read_all(path)
    assert not result.records and len(result.errors) == 1


def test_the_sisimai_development_set_reads_without_crashing():
    """430 real bounces (BSD-2-Clause, ../shared/data/sisimai-dev): every message yields something."""
    emails = shared_data("sisimai-dev", "emails")
    if not emails.exists():
        pytest.skip("sisimai development set not present (set SHARED_DIR)")
    result = read_all(emails)
    assert len(result.records) > 300
    assert result.types()["bounce"] > 250


# --- permanence: the report's own word, kept as the event's hard/soft label ---------------------------------------
def _write(tmp_path, name: str, headers: str, body: str):
    path = tmp_path / name
    path.write_bytes((headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode())
    return path


DAEMON = "From: MAILER-DAEMON@mx.example.net\nTo: news@shop.example.com\nDate: Mon, 2 Nov 2026 09:00:00 +0000\n"


def _dsn(tmp_path, per_recipient: str):
    return _write(tmp_path, "report.eml", DAEMON + "Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n"
                  'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
                  "--b1\nContent-Type: text/plain\n\nDelivery to the following recipient failed.\n\n"
                  "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
                  f"{per_recipient}\n--b1--\n")


def test_qmail_style_status_in_parentheses_is_a_permanent_bounce(tmp_path):
    """qmail-send's failure notice: "(#5.1.1)" after the reason, no SMTP reply code (RFC 3463 class 5)."""
    path = _write(tmp_path, "qmail.eml", DAEMON + "Subject: failure notice",
                  "Hi. This is the qmail-send program at mx.example.net.\n"
                  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                  "<ann@acme.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
                  "--- Below this line is a copy of the message.\n\nTo: <ann@acme.example>\nSubject: hi\n\nhello\n")
    [r] = read_all(path).records
    assert (r.email, r.event_type, r.reply_code, r.enhanced_status) == ("ann@acme.example", "bounce", None, "5.1.1")
    assert r.esp_labels["permanence"] == "permanent"


def test_action_failed_without_a_status_or_reply_is_permanent(tmp_path):
    """RFC 3464 §2.3.3: Action failed = the reporting MTA gave up, whatever the report leaves out."""
    [r] = read_all(_dsn(tmp_path, "Final-Recipient: rfc822; bob@acme.example\nAction: failed\n")).records
    assert (r.event_type, r.reply_code, r.enhanced_status, r.esp_labels["permanence"]) == ("bounce", None, None, "permanent")


def test_a_plain_text_notice_that_gave_up_without_a_code_is_permanent(tmp_path):
    path = _write(tmp_path, "notice.eml", DAEMON + "Subject: Undeliverable: hello",
                  "Unable to deliver message to the following address(es).\n\n"
                  "<carol@acme.example>:\nThis user doesn't have an acme.example account.\n")
    [r] = read_all(path).records
    assert (r.email, r.event_type, r.enhanced_status, r.esp_labels["permanence"]) == (
        "carol@acme.example", "bounce", None, "permanent")


@pytest.mark.parametrize("per_recipient,event_type,permanence", [
    ("Action: delayed\nStatus: 4.4.1\n", "deferred", "temporary"),
    # Given up after temporary refusals: failed, but its class 4 reads as temporary (the engine's "delay" family).
    ("Action: failed\nStatus: 4.4.7\nDiagnostic-Code: smtp; 421 4.4.7 retry timeout exceeded\n", "bounce", None),
    ("Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n", "bounce", "permanent"),
])
def test_permanence_follows_the_action_and_the_status_class(tmp_path, per_recipient, event_type, permanence):
    [r] = read_all(_dsn(tmp_path, "Final-Recipient: rfc822; dan@acme.example\n" + per_recipient)).records
    assert (r.event_type, r.esp_labels.get("permanence")) == (event_type, permanence)


# --- what is not an address is never stored ------------------------------------------------------------------------
def test_an_arf_report_about_undisclosed_recipients_is_a_row_error_naming_the_file(tmp_path):
    """RFC 5965: the complaint is about the original recipient; "<Undisclosed Recipients>" names nobody."""
    path = _write(tmp_path, "abuse-report.eml",
                  "From: <fbl@isp.example>\nTo: <abuse@shop.example.com>\nSubject: FW: hi\nMIME-Version: 1.0\n"
                  'Content-Type: multipart/report; report-type=feedback-report; boundary="fb"',
                  "--fb\nContent-Type: text/plain\n\nAn abuse report.\n\n--fb\nContent-Type: message/feedback-report\n\n"
                  "Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n\n--fb\nContent-Type: message/rfc822\n\n"
                  "From: <news@shop.example.com>\nTo: <Undisclosed Recipients>\nSubject: hi\n\nhello\n--fb--\n")
    result = read_all(path)
    assert not result.records
    [error] = result.errors
    assert "abuse-report.eml" in error.message and "Undisclosed Recipients" in error.message
    assert "naming no recipient address" in error.message


def test_a_local_name_reported_as_the_final_recipient_is_a_row_error_not_an_invalid_address(tmp_path):
    result = read_all(_dsn(tmp_path, "Final-Recipient: rfc822; ann@localhost\nAction: failed\nStatus: 5.1.1\n"))
    assert not result.records
    [error] = result.errors
    assert "report.eml" in error.message and "'ann@localhost' is not an email address" in error.message
