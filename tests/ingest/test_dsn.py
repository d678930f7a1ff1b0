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
