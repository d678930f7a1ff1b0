"""The ESP un-suppression page and downloads on the database: a SendGrid file imported and analysed
for real, the page's counts, the files' contents, permissions, tenancy and the audit entry."""
from __future__ import annotations

import io
import json

import pytest

from deliverability.accounts.models import AuditEvent
from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign
from deliverability.verdicts import services as verdict_services
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.models import RecipientVerdict
from tests.factories import make_membership, make_user


def sg(email, event, second, **fields):
    return {"email": email, "event": event, "timestamp": 1764061200 + second, "sg_event_id": f"{email}-{event}",
            "campaign": "Q4 newsletter", **fields}


SENDGRID_EVENTS = [
    # Sender issue: the text names the sending IP on a blocklist.
    sg("ana@northwind-freight.com", "bounce", 1, type="blocked", status="5.7.1",
       reason="550 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org"),
    # Also a sender issue, but the same address reported the campaign as spam: never lifted.
    sg("cy@northwind-freight.com", "bounce", 2, type="blocked", status="5.7.1",
       reason="550 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org"),
    sg("cy@northwind-freight.com", "spamreport", 3),
    # Invalid: Gmail says the account does not exist.
    sg("bo@gmail.com", "bounce", 4, type="bounce", status="5.1.1",
       reason="550-5.1.1 The email account that you tried to reach does not exist."),
    sg("dan@northwind-freight.com", "delivered", 5, response="250 2.0.0 OK"),
]


@pytest.fixture
def imported(db, org_a):
    data = json.dumps(SENDGRID_EVENTS).encode()
    received = services.receive_upload(org_a, io.BytesIO(data), original_name="sendgrid-events.json")
    upload = services.run_import(received.upload.pk)
    analyze_upload(upload.pk)
    campaign = Campaign.objects.get(organization=org_a, name="Q4 newsletter")
    verdicts = dict(RecipientVerdict.objects.filter(campaign=campaign).values_list("email", "verdict"))
    # The premise: what the engine says of these three (the page then follows the verdicts).
    assert verdicts["ana@northwind-freight.com"] == "sender_issue", verdicts
    assert verdicts["cy@northwind-freight.com"] == "sender_issue", verdicts
    assert verdicts["bo@gmail.com"] == "invalid_recipient", verdicts
    return campaign


@pytest.fixture
def manager(org_a):
    user = make_user("manager-a")
    make_membership(user, org_a, "manager")
    return user


def content(response) -> bytes:
    """A download's bytes (the files stream from the stored plan)."""
    assert response.streaming, "the ESP files are streamed"
    return b"".join(response.streaming_content)


def page_url(campaign):
    return f"/o/{campaign.organization.slug}/campaigns/{campaign.pk}/recovery/"


def download_url(campaign, esp, name):
    return f"{page_url(campaign)}download/?esp={esp}&file={name}"


def test_the_page_says_what_each_file_does_and_how_many_addresses(client, manager, imported):
    client.force_login(manager)
    body = client.get(page_url(imported)).content.decode()
    assert "SendGrid: 1 address" in body
    assert "DELETE https://api.sendgrid.com/v3/suppression/bounces" in body
    assert "block list: 1" in body
    assert "1 address: the verdict is invalid recipient" in body
    assert "1 address: the recipient complained or unsubscribed" in body
    assert "sendgrid-blocks-delete.json" in body and "recovery/download/?esp=sendgrid&amp;file=sendgrid-blocks-delete.json" in body
    # The page names no address: counts only.
    assert "ana@northwind-freight.com" not in body and "bo@gmail.com" not in body


def test_the_campaign_page_links_to_it_for_managers_not_viewers(client, manager, org_a, imported):
    client.force_login(manager)
    assert page_url(imported) in client.get(f"/o/{org_a.slug}/campaigns/{imported.pk}/").content.decode()
    viewer = make_user("viewer-a")
    make_membership(viewer, org_a, "viewer")
    client.force_login(viewer)
    campaign_page = client.get(f"/o/{org_a.slug}/campaigns/{imported.pk}/")
    assert campaign_page.status_code == 200 and page_url(imported) not in campaign_page.content.decode()


def test_a_download_holds_only_the_address_to_keep_and_is_audited(client, manager, imported):
    client.force_login(manager)
    response = client.get(download_url(imported, "sendgrid", "sendgrid-blocks-delete.json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="q4-newsletter-sendgrid-blocks-delete.json"'
    assert json.loads(content(response)) == {"emails": ["ana@northwind-freight.com"]}
    entry = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert entry.user == manager and entry.organization == imported.organization
    assert entry.detail == {"path": f"{page_url(imported)}download/", "campaign_id": imported.pk, "esp": "sendgrid",
                            "file": "sendgrid-blocks-delete.json", "addresses": 1}
    assert "ana@" not in entry.summary and "ana@" not in json.dumps(entry.detail)


def test_a_csv_download_is_guarded_and_audited_once(client, manager, imported):
    client.force_login(manager)
    response = client.get(download_url(imported, "sendgrid", "sendgrid-suppressions.csv"))
    assert content(response).decode() == "email,list\r\nana@northwind-freight.com,blocks\r\n"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1  # not the middleware's too


def test_an_empty_esp_file_downloads_empty_and_an_unknown_one_is_404(client, manager, imported):
    client.force_login(manager)
    assert json.loads(content(client.get(download_url(imported, "sendgrid", "sendgrid-bounces-delete.json")))) == {"emails": []}
    assert client.get(download_url(imported, "sendgrid", "ses-delete-suppressed.sh")).status_code == 404
    assert client.get(download_url(imported, "nope", "x.csv")).status_code == 404
    assert client.get(f"{page_url(imported)}download/").status_code == 302  # no file named: the page


def test_viewers_get_403_and_other_organisations_404(client, org_a, org_b, imported):
    viewer = make_user("viewer-a")
    make_membership(viewer, org_a, "viewer")
    client.force_login(viewer)
    assert client.get(page_url(imported)).status_code == 403
    assert client.get(download_url(imported, "sendgrid", "sendgrid-blocks-delete.json")).status_code == 403
    outsider = make_user("manager-b")
    make_membership(outsider, org_b, "manager")
    client.force_login(outsider)
    assert client.get(page_url(imported)).status_code == 404
    assert client.get(f"/o/{org_b.slug}/campaigns/{imported.pk}/recovery/").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_an_override_to_invalid_takes_the_address_off_the_files(client, staff, imported):
    row = RecipientVerdict.objects.get(campaign=imported, email="ana@northwind-freight.com")
    client.force_login(staff)
    assert json.loads(content(client.get(download_url(imported, "sendgrid", "sendgrid-blocks-delete.json")))) == {
        "emails": ["ana@northwind-freight.com"]}  # the plan stored before the override
    verdict_services.set_override(row, "invalid_recipient", staff)
    assert json.loads(content(client.get(download_url(imported, "sendgrid", "sendgrid-blocks-delete.json")))) == {"emails": []}
    assert "2 addresses: the verdict is invalid recipient" in client.get(page_url(imported)).content.decode()


def ses_bounce(email, second):
    return {"notificationType": "Bounce",
            "mail": {"messageId": f"m-{email}", "timestamp": "2026-11-25T09:00:00Z", "destination": [email],
                     "tags": {"campaign": ["SES launch"]}},
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": f"f-{email}",
                       "timestamp": f"2026-11-25T09:00:{second:02d}Z",
                       "bouncedRecipients": [{"emailAddress": email, "status": "5.7.1", "diagnosticCode":
                                              "smtp; 550 5.7.1 Service unavailable; Client host [203.0.113.7] "
                                              "blocked using zen.spamhaus.org"}]}}


def test_ses_end_to_end_script_and_the_bulk_limit_note(client, manager, org_a, monkeypatch):
    from deliverability.verdicts import unsuppress

    lines = "\n".join(json.dumps(ses_bounce(f"{name}@northwind-freight.com", i)) for i, name in enumerate(["ana", "bo"]))
    received = services.receive_upload(org_a, io.BytesIO(lines.encode()), original_name="ses-notifications.jsonl")
    analyze_upload(services.run_import(received.upload.pk).pk)
    campaign = Campaign.objects.get(organization=org_a, name="SES launch")
    assert set(RecipientVerdict.objects.filter(campaign=campaign).values_list("verdict", flat=True)) == {"sender_issue"}
    client.force_login(manager)
    script = content(client.get(download_url(campaign, "ses", "ses-delete-suppressed.sh"))).decode()
    assert script.count("aws sesv2 delete-suppressed-destination --email-address ") == 2
    assert "--email-address bo@northwind-freight.com" in script
    assert "at most" not in client.get(page_url(campaign)).content.decode()
    monkeypatch.setattr(unsuppress, "SES_BULK_DELETE_LIMIT", 1)
    assert "An SES import job removes at most 1 addresses per S3 object" in client.get(page_url(campaign)).content.decode()


def test_a_complaint_stored_in_another_campaign_takes_the_address_off(client, manager, org_a, imported):
    """GIVEN ana reported an October campaign as spam (another upload, another campaign) THEN the Q4 files
    leave her out, and the page counts her among complaints."""
    october = [{"email": "ana@northwind-freight.com", "event": "spamreport", "timestamp": 1761980400,
                "sg_event_id": "october-spam", "campaign": "October"}]
    received = services.receive_upload(org_a, io.BytesIO(json.dumps(october).encode()), original_name="october.json")
    analyze_upload(services.run_import(received.upload.pk).pk)
    client.force_login(manager)
    assert json.loads(content(client.get(download_url(imported, "sendgrid", "sendgrid-blocks-delete.json")))) == {"emails": []}
    assert "2 addresses: the recipient complained or unsubscribed" in client.get(page_url(imported)).content.decode()
