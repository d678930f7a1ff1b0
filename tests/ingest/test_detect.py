"""Format detection is by content: renamed files are still recognised, unknown ones explained."""
from __future__ import annotations

import shutil

import pytest

from deliverability.ingest import FORMATS, UnsupportedFormat, detect_format
from deliverability.ingest.detect import detect_sample

from .conftest import FIXTURES

EXPECTED = {
    "csv/results_comma.csv": "csv",
    "csv/results_semicolon_cp1252.csv": "csv",
    "csv/results_tab_bom.tsv": "csv",
    "csv/diagnostic_only.csv": "csv",
    "csv/unmappable.csv": "csv",
    "sendgrid/events.json": "sendgrid",
    "sendgrid/events.jsonl": "sendgrid",
    "sendgrid/activity.csv": "sendgrid",
    "sendgrid/legacy_bounces.csv": "sendgrid",
    "ses/notifications.jsonl": "ses",
    "ses/sns_envelopes.json": "ses",
    "ses/event_publishing.jsonl": "ses",
    "mailgun/events_page.json": "mailgun",
    "mailgun/webhook_failed.json": "mailgun",
    "postmark/bounces_api.json": "postmark",
    "postmark/webhooks.jsonl": "postmark",
    "hubspot/events_api.json": "hubspot",
    "hubspot/email_export.csv": "hubspot",
    "mailchimp/cleaned_members_export_3c3a1f.csv": "mailchimp",
    "mailchimp/unsubscribed_members_export_3c3a1f.csv": "mailchimp",
    "mailchimp/subscribed_members_export_3c3a1f.csv": "mailchimp",
    "dsn/postfix_dsn.eml": "dsn",
    "dsn/bounces.mbox": "dsn",
    "dsn/arf_complaint.eml": "dsn",
    "cross/mailgun_campaign.jsonl": "mailgun",
}


@pytest.mark.parametrize("name,expected", sorted(EXPECTED.items()))
def test_each_fixture_is_detected_as_its_format(name, expected):
    assert detect_format(FIXTURES / name) == expected


@pytest.mark.parametrize("name", ["sendgrid/events.json", "mailchimp/cleaned_members_export_3c3a1f.csv", "dsn/postfix_dsn.eml"])
def test_detection_ignores_the_file_name(tmp_path, name):
    renamed = tmp_path / "upload.bin"
    shutil.copy(FIXTURES / name, renamed)
    assert detect_format(renamed) == EXPECTED[name]


def test_a_folder_is_read_as_bounce_emails(tmp_path):
    assert detect_format(tmp_path) == "dsn"


def test_every_detected_name_is_a_declared_format():
    assert set(EXPECTED.values()) <= set(FORMATS)


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4])
def test_empty_or_binary_files_are_refused_with_one_sentence_naming_the_formats(tmp_path, content):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormat) as caught:
        detect_format(path)
    message = str(caught.value)
    assert "SendGrid" in message and "CSV" in message and "Mailchimp" in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_json_of_an_unknown_shape_is_refused_with_the_json_formats_named():
    with pytest.raises(UnsupportedFormat, match="Amazon SES, SendGrid, Mailgun, Postmark"):
        detect_sample(b'{"hello": "world"}')


def test_a_zip_is_detected_by_its_magic_bytes():
    assert detect_sample(b"PK\x03\x04rest") == "zip"


def test_a_missing_file_is_an_unsupported_format_not_an_os_error(tmp_path):
    with pytest.raises(UnsupportedFormat, match="cannot be read"):
        detect_format(tmp_path / "nope.csv")


@pytest.mark.parametrize("header,expected", [
    ("Recipient,Status,Bounce Reason,Timestamp", "csv"),  # a generic file, not HubSpot's export
    ("Email Address,Status,bounce_classification", "csv"),  # SendGrid words, generic shape
    ("email,event,timestamp,sg_event_id", "sendgrid"),
    ("Recipient,Delivered,Opened,Bounce,Bounce Reason", "hubspot"),
    ("Email Address,First Name,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE", "mailchimp"),
])
def test_csv_presets_need_the_shape_of_their_export_not_just_one_familiar_column(header, expected):
    assert detect_sample(f"{header}\n".encode()) == expected
