"""A zip of raw bounce emails uploaded from the page, imported and analysed (the new-user trial of 2026-12-05):
no phantom recipient (a msg-id, a display name), and every permanent failure counted as one in the campaign's
figures and headline, also when the report gives its permanence without a reply code.

The first test uses emails written here, one per family; the second rebuilds the trial's zip from the shared
corpora (read in place, never copied into the repository) and skips where they are absent.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from deliverability.campaigns.models import Event, Recipient, Upload
from deliverability.devtools.corpora import shared_data
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.models import CampaignDiagnosis, RecipientVerdict
from tests.factories import zip_bytes

from .test_upload_journey import post_upload, run_pending

DAEMON = "From: MAILER-DAEMON@mx.example.net\nTo: news@shop.example.com\nDate: Mon, 2 Nov 2026 09:00:00 +0000\n"


def _email(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


EMAILS = {
    # Zoho's bounce layout: the returned message's headers pasted under the recipient lines ("Message-ID:<…>").
    "zoho.eml": _email(
        "From: mailer-daemon@mail.zoho.example\nTo: news@shop.example.com\nDate: Mon, 2 Nov 2026 09:00:01 -0800\n"
        "Message-ID: <18b2f0a1c22.aa01.-77@zohomail.example>\nSubject: Undelivered Mail Returned to Sender\n"
        "Content-Type: text/plain",
        "This message was created automatically by mail delivery software.\nA message that you sent could not be "
        "delivered to one or more of its recipients. This is a permanent error.\n\n"
        "ann@acme.example Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <ann@acme.example>... User Unknown\n\n\n"
        "Received:from mail.zoho.example by mx.zohomail.example\n\twith SMTP id 17000.2; Mon, 2 Nov 2026 09:00:00 -0800\n"
        "Message-ID:<18b2f0a1b00.c0ffee.123456789@shop.example.com>\nFrom:News <news@shop.example.com>\n"
        "To:<ann@acme.example>\nSubject:Hello\n"),
    # qmail-send: the status in parentheses, no reply code.
    "qmail.eml": _email(
        DAEMON + "Subject: failure notice",
        "Hi. This is the qmail-send program at mx.example.net.\nI'm afraid I wasn't able to deliver your message to "
        "the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<bob@motors.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\nTo: <bob@motors.example>\nSubject: hi\n\nhello\n"),
    # RFC 3464 with Action: failed and nothing else about the failure.
    "dsn.eml": _email(
        DAEMON + 'Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n'
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        "--b1\nContent-Type: text/plain\n\nDelivery to the following recipient failed.\n\n"
        "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; carol@globex.example\nAction: failed\n\n--b1--\n"),
    # RFC 5965 ARF about a message sent to "<Undisclosed Recipients>".
    "abuse.eml": _email(
        "From: <fbl@isp.example>\nTo: <abuse@shop.example.com>\nSubject: FW: hi\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="fb"',
        "--fb\nContent-Type: text/plain\n\nAn abuse report.\n\n--fb\nContent-Type: message/feedback-report\n\n"
        "Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n\n--fb\nContent-Type: message/rfc822\n\n"
        "From: <news@shop.example.com>\nTo: <Undisclosed Recipients>\nSubject: hi\n\nhello\n--fb--\n"),
}


def _zip(members: dict[str, bytes]) -> bytes:
    return zip_bytes(members)


def _import_and_analyse(client, org, data: bytes) -> Upload:
    post_upload(client, org, data, "bounces.zip", campaign="Trial")
    run_pending(org)
    upload = Upload.objects.get(organization=org)
    assert upload.status == Upload.Status.DONE, upload.error
    analyze_upload(upload.pk)  # the test's transaction holds back the analysis the import announced
    return upload


@pytest.fixture
def manager(client, org_a, manager_a):
    client.force_login(manager_a)
    return manager_a


def test_bounce_emails_store_only_real_recipients_and_count_every_permanent_failure(client, org_a, manager):
    upload = _import_and_analyse(client, org_a, _zip(EMAILS))
    assert set(Recipient.objects.filter(organization=org_a).values_list("email", flat=True)) == {
        "ann@acme.example", "bob@motors.example", "carol@globex.example"}
    assert not Event.objects.filter(upload=upload, type="dropped").exists()
    [(row, message)] = upload.row_errors
    assert message.startswith("abuse.eml: feedback report") and "Undisclosed Recipients" in message
    page = client.get(reverse("upload_detail", args=[org_a.slug, upload.pk])).content.decode()
    assert "abuse.eml: feedback report" in page
    assert client.get(reverse("org_domain", args=[org_a.slug, "undisclosed recipients"])).status_code == 404

    diagnosis = CampaignDiagnosis.objects.get(campaign__organization=org_a)
    assert diagnosis.bounced == 3 and diagnosis.data["reported_hard_bounces"] == 3
    assert "soft bounce" not in diagnosis.headline
    assert set(RecipientVerdict.objects.filter(campaign__organization=org_a).values_list("esp_hard", flat=True)) == {True}


# The trial's files, each named "<source>-<file>" after the corpus it was picked from.
TRIAL = ("bounce_email-tt_1234211357.txt", "bounce_email-tt_1234241664.txt", "bounce_email-tt_bounce_13.txt",
         "bounce_email-tt_bounce_17.txt", "bounced-empty-status.eml", "bounceparser-cam-unknown.msg",
         "bounceparser-misidentified-recipient.msg", "bounceparser-quota-6.msg", "bounceparser-spam-rejection3.msg",
         "bounceparser-spam-rejection37.msg", "flanker-signed.eml", "flufl-dsn_04.txt", "flufl-dsn_09.txt",
         "flufl-simple_06.txt", "flufl-simple_07.txt", "sisimai-arf-11.eml", "sisimai-lhost-dragonfly-03.eml",
         "sisimai-lhost-dragonfly-05.eml", "sisimai-lhost-dragonfly-29.eml", "sisimai-lhost-exim-03.eml",
         "sisimai-lhost-imailserver-03.eml", "sisimai-lhost-mailru-05.eml", "sisimai-lhost-powermta-02.eml",
         "sisimai-lhost-sendmail-53.eml", "sisimai-lhost-surfcontrol-03.eml", "sisimai-lhost-v5sendmail-07.eml",
         "sisimai-lhost-x1-04.eml", "sisimai-lhost-x2-02.eml", "sisimai-lhost-zoho-01.eml", "sisimai-lhost-zoho-02.eml")


def _trial_members() -> dict[str, bytes] | None:
    members = {}
    for name in TRIAL:
        source, _, file = name.partition("-")
        if source == "sisimai":
            path = shared_data("sisimai-dev", "emails") / file
        else:
            found = sorted((shared_data("peers-dev", "emails") / source).rglob(file))
            path = found[0] if found else Path("/nonexistent")
        if not path.is_file():
            return None
        members[name] = path.read_bytes()
    return members


def test_the_trial_zip_rebuilt_from_the_shared_corpora(client, org_a, manager):
    members = _trial_members()
    if members is None:
        pytest.skip("shared corpora not present (set SHARED_DIR)")
    upload = _import_and_analyse(client, org_a, _zip(members))
    # The ids written in the trial's emails, found with a plain pattern of our own (not the reader's).
    ids = {m.lower() for data in members.values()
           for m in re.findall(r"(?i)(?:message-id|references|\bid)\s*:?\s*<([^<>\s]+@[^<>\s]+)>", data.decode("latin-1"))}
    emails = set(Recipient.objects.filter(organization=org_a).values_list("email", flat=True))
    assert emails and not emails & ids
    assert all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e) for e in emails), emails
    assert any("sisimai-arf-11.eml: feedback report" in message for _, message in upload.row_errors)
    diagnosis = CampaignDiagnosis.objects.get(campaign__organization=org_a)
    # Every bounce of the trial is a report that gave up (Action failed, a 5.x.x status or a permanent notice).
    assert diagnosis.data["reported_hard_bounces"] == diagnosis.bounced > 0
    assert "soft bounce" not in diagnosis.headline
