"""ESP readers: every event type, the echo cases, truncated files and unknown extra fields."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliverability.ingest import ColumnMappingNeeded, RowError, read_records
from deliverability.ingest.mailchimp import NO_SMTP_NOTE

from .conftest import FIXTURES, read_all


# --- SendGrid ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sendgrid/events.json", "sendgrid/events.jsonl"])
def test_sendgrid_webhook_array_and_lines_give_every_event_type(name):
    result = read_all(FIXTURES / name)
    assert result.types() == {"delivered": 1, "bounce": 3, "deferred": 1, "suppressed": 1, "dropped": 1,
                              "open": 1, "click": 1, "complaint": 1, "unsubscribe": 2}
    assert result.skipped == {"SendGrid processed (accepted for sending)": 1, "SendGrid group_resubscribe": 1}
    assert not result.errors


def test_sendgrid_block_is_a_bounce_with_type_and_classification_kept_as_labels():
    cara = read_all(FIXTURES / "sendgrid/events.json").by_email("cara@globex.example")
    assert cara.event_type == "bounce"
    assert cara.esp_labels["type"] == "blocked"
    assert cara.esp_labels["bounceclassification"] == "Reputation"
    assert (cara.reply_code, cara.enhanced_status, cara.esp_event_id) == (550, "5.7.1", "sg-blk-1")
    assert cara.occurred_at == datetime(2026, 10, 1, 9, 0, 3, tzinfo=UTC)


def test_sendgrid_dropped_bounced_address_is_an_echo_other_drops_stay_dropped():
    result = read_all(FIXTURES / "sendgrid/events.json")
    assert result.by_email("eve@acme.example").event_type == "suppressed"
    fay = result.by_email("fay@acme.example")
    assert fay.event_type == "dropped" and fay.esp_labels["reason"] == "Unsubscribed Address"
    assert fay.diagnostic is None  # SendGrid's own sentence is not a receiving server's text


def test_sendgrid_activity_csv_and_legacy_bounce_list():
    activity = read_all(FIXTURES / "sendgrid/activity.csv")
    assert activity.types() == {"delivered": 1, "bounce": 2, "suppressed": 1}
    cara = activity.by_email("cara@globex.example")
    assert cara.remote_mta == "globex-example.mail.protection.outlook.com" and cara.esp_labels["type"] == "blocked"
    legacy = read_all(FIXTURES / "sendgrid/legacy_bounces.csv")
    assert [(r.event_type, r.enhanced_status) for r in legacy.records] == [("bounce", "5.1.1"), ("bounce", "5.7.1")]


def test_sendgrid_unknown_extra_fields_are_not_fatal():
    jon = read_all(FIXTURES / "sendgrid/events.json").by_email("jon@acme.example")
    assert jon.enhanced_status == "5.2.2"


def test_sendgrid_truncated_array_yields_the_records_before_the_break_and_one_error():
    result = read_all(FIXTURES / "sendgrid/truncated.json")
    assert len(result.records) == 3 and len(result.errors) == 1
    assert "truncated" in result.errors[0].message


# --- Amazon SES -------------------------------------------------------------------------------
def test_ses_notifications_give_bounces_complaints_deliveries_and_suppression_echoes():
    result = read_all(FIXTURES / "ses/notifications.jsonl")
    assert result.types() == {"bounce": 3, "suppressed": 2, "complaint": 1, "delivered": 1}
    cara = result.by_email("cara@globex.example")
    assert (cara.reply_code, cara.enhanced_status, cara.remote_mta) == (550, "5.7.1", "198.51.100.25")
    assert cara.esp_labels["bounceType"] == "Permanent" and cara.esp_labels["reportingMTA"].startswith("dsn;")
    assert cara.campaign == "October newsletter"
    assert result.by_email("eve@acme.example").esp_labels["bounceSubType"] == "OnAccountSuppressionList"


def test_ses_transient_invalid_domain_is_still_a_bounce_with_its_status_kept():
    """SES files 5.4.4 Invalid domain as Transient (listmonk#1463): the label must not decide."""
    dev = read_all(FIXTURES / "ses/notifications.jsonl").by_email("dev@nonexistent-domain.example")
    assert dev.event_type == "bounce" and dev.enhanced_status == "5.4.4"
    assert dev.esp_labels["bounceType"] == "Transient"


def test_ses_sns_envelopes_are_unwrapped_and_subscription_confirmations_skipped():
    result = read_all(FIXTURES / "ses/sns_envelopes.json")
    assert result.types() == {"bounce": 2, "suppressed": 1}
    assert result.skipped == {"SNS SubscriptionConfirmation": 1}


def test_ses_event_publishing_covers_delays_rejects_opens_clicks_and_unsubscribes():
    result = read_all(FIXTURES / "ses/event_publishing.jsonl")
    assert result.types() == {"delivered": 1, "bounce": 1, "dropped": 2, "deferred": 1, "open": 1, "click": 1,
                              "unsubscribe": 1, "complaint": 1}
    assert result.skipped == {"SES Send (accepted for sending)": 1}  # Rendering Failure: dropped (issue 16)
    dev = result.by_email("dev@initech.example")
    assert dev.esp_labels["delayType"] == "MailboxFull" and dev.reply_code == 452


def test_ses_truncated_lines_yield_the_complete_lines_and_one_error():
    result = read_all(FIXTURES / "ses/truncated.jsonl")
    assert len(result.records) == 4 and len(result.errors) == 1 and "truncated" in result.errors[0].message


# --- Mailgun ----------------------------------------------------------------------------------
def test_mailgun_events_page_gives_every_event_type():
    result = read_all(FIXTURES / "mailgun/events_page.json")
    assert result.types() == {"delivered": 1, "bounce": 2, "deferred": 1, "suppressed": 1, "dropped": 2,
                              "open": 1, "click": 1, "complaint": 1, "unsubscribe": 1}
    assert sum(result.skipped.values()) == 2 and not result.errors


def test_mailgun_delivery_status_becomes_reply_code_text_and_mx_host():
    cara = read_all(FIXTURES / "mailgun/events_page.json").by_email("cara@globex.example")
    assert (cara.reply_code, cara.enhanced_status, cara.remote_mta) == (550, "5.7.1", "mx0a-001.pphosted.com")
    assert cara.esp_labels["severity"] == "permanent" and cara.esp_labels["reason"] == "bounce"
    assert cara.campaign == "October newsletter"


def test_mailgun_suppress_bounce_is_an_echo_and_its_605_is_not_a_reply_code():
    eve = read_all(FIXTURES / "mailgun/events_page.json").by_email("eve@acme.example")
    assert eve.event_type == "suppressed" and eve.reply_code is None
    assert eve.esp_labels["delivery_status_code"] == "605"


def test_mailgun_webhook_event_data_is_read():
    result = read_all(FIXTURES / "mailgun/webhook_failed.json")
    assert [(r.email, r.event_type, r.enhanced_status) for r in result.records] == [("bob@acme.example", "bounce", "5.1.1")]


def test_mailgun_truncated_page_yields_the_items_before_the_break_and_one_error():
    result = read_all(FIXTURES / "mailgun/truncated.json")
    assert len(result.records) == 4 and len(result.errors) == 1


# --- Postmark ---------------------------------------------------------------------------------
def test_postmark_bounces_api_types_map_to_events_and_auto_replies_are_skipped():
    result = read_all(FIXTURES / "postmark/bounces_api.json")
    assert result.types() == {"bounce": 5, "deferred": 1, "complaint": 1}
    assert result.skipped == {"Postmark AutoResponder (not a delivery failure)": 1}
    bob = result.by_email("bob@acme.example")
    assert (bob.reply_code, bob.enhanced_status) == (550, "5.1.1")
    assert bob.esp_labels["Type"] == "HardBounce" and bob.esp_labels["Inactive"] == "true"


def test_postmark_inactive_on_the_original_bounce_does_not_hide_it():
    """Postmark sets Inactive on the bounce that deactivated the address, so it is not an echo."""
    assert read_all(FIXTURES / "postmark/bounces_api.json").by_email("bob@acme.example").event_type == "bounce"


def test_postmark_webhooks_and_the_suppression_echo():
    result = read_all(FIXTURES / "postmark/webhooks.jsonl")
    assert result.types() == {"delivered": 1, "bounce": 1, "open": 1, "click": 1, "complaint": 1,
                              "suppressed": 1, "unsubscribe": 1}
    assert result.by_email("bob@acme.example", "suppressed").esp_labels["SuppressionReason"] == "HardBounce"


def test_postmark_truncated_file_yields_the_bounces_before_the_break():
    result = read_all(FIXTURES / "postmark/truncated.json")
    assert len(result.records) == 2 and len(result.errors) == 1


# --- HubSpot ----------------------------------------------------------------------------------
def test_hubspot_events_api_keeps_category_status_and_drop_reasons():
    result = read_all(FIXTURES / "hubspot/events_api.json")
    assert result.types() == {"delivered": 1, "bounce": 2, "deferred": 1, "suppressed": 1, "dropped": 1,
                              "open": 1, "click": 1, "complaint": 1, "unsubscribe": 1}
    assert sum(result.skipped.values()) == 6
    cara = result.by_email("cara@globex.example")
    assert cara.esp_labels["category"] == "POLICY" and cara.enhanced_status == "5.7.1"
    assert cara.occurred_at == datetime(2026, 10, 1, 9, 0, 3, tzinfo=UTC)  # epoch milliseconds
    eve = result.by_email("eve@acme.example")
    assert eve.event_type == "suppressed" and eve.esp_labels["dropReason"] == "PREVIOUSLY_BOUNCED"


def test_hubspot_ui_export_turns_flag_columns_into_events():
    result = read_all(FIXTURES / "hubspot/email_export.csv")
    assert result.types() == {"delivered": 3, "open": 1, "click": 1, "bounce": 1, "suppressed": 1, "dropped": 1,
                              "complaint": 1, "unsubscribe": 1}
    assert result.by_email("bob@acme.example").reply_code == 550
    assert [e.row for e in result.errors] == [8]  # ivy: no event at all


def test_hubspot_truncated_file():
    result = read_all(FIXTURES / "hubspot/truncated.json")
    assert len(result.records) == 4 and len(result.errors) == 1


# --- Mailchimp --------------------------------------------------------------------------------
def test_mailchimp_cleaned_export_is_bounces_per_campaign_marked_as_having_no_smtp_text():
    result = read_all(FIXTURES / "mailchimp/cleaned_members_export_3c3a1f.csv")
    assert result.types() == {"bounce": 3}
    assert {r.campaign for r in result.records} == {"October newsletter", "September newsletter"}
    for record in result.records:
        assert record.esp_labels["note"] == NO_SMTP_NOTE
        assert record.diagnostic is None and record.reply_code is None


def test_mailchimp_unsubscribed_and_subscribed_exports():
    unsubscribed = read_all(FIXTURES / "mailchimp/unsubscribed_members_export_3c3a1f.csv")
    assert [(r.email, r.event_type, r.esp_labels["unsub_reason"]) for r in unsubscribed.records] == [
        ("hal@acme.example", "unsubscribe", "NORMAL")]
    subscribed = read_all(FIXTURES / "mailchimp/subscribed_members_export_3c3a1f.csv")
    assert not subscribed.records and subscribed.skipped == {"Mailchimp subscribed member (no event)": 1}


def test_mailchimp_email_activity_json(tmp_path):
    path = tmp_path / "activity.json"
    path.write_text('{"emails": [{"campaign_id": "c1", "list_id": "l1", "email_address": "a@b.example", '
                    '"activity": [{"action": "bounce", "type": "hard", "timestamp": "2026-10-01T09:00:00+00:00"}, '
                    '{"action": "open", "timestamp": "2026-10-01T10:00:00+00:00"}]}], "campaign_id": "c1", "total_items": 1}')
    result = read_all(path)
    assert [(r.event_type, r.esp_labels.get("type")) for r in result.records] == [("bounce", "hard"), ("open", None)]


# --- Overrides --------------------------------------------------------------------------------
def test_the_format_can_be_forced_and_then_the_generic_reader_asks_for_its_columns():
    with pytest.raises(ColumnMappingNeeded, match="status"):
        read_records(FIXTURES / "mailchimp/cleaned_members_export_3c3a1f.csv", "csv")


def test_forcing_the_wrong_format_gives_row_errors_not_a_crash():
    result = read_all(FIXTURES / "sendgrid/events.json", "ses")
    assert not result.records and result.errors


# --- HubSpot UI export: "Sent At (Your time zone)" -------------------------------------------------------
# The UI export heads its time column with the user's zone (formats.md §1.7): its naive times are read in the
# zone the caller gives (the organisation's), not as UTC; a time naming its own zone keeps it.
LOCAL_EXPORT = ("Recipient,{header},Delivered,Opened,Clicked,Bounce,Bounce Reason,Not Sent Reason,Spam Report,Unsubscribed\n"
                "ann@acme.example,2026-10-01 09:00,Yes,No,No,No,,,No,No\n"
                "bob@acme.example,2026-01-15 09:00,No,No,No,Yes,550 5.1.1 unknown,,No,No\n"
                "cy@acme.example,2026-10-01T09:00:00+05:00,Yes,No,No,No,,,No,No\n"
                "dee@acme.example,2026-10-01 09:00,2026-10-01 09:30,No,No,No,,,No,No\n")


def _local_times(tmp_path, header: str, zone) -> tuple[dict[str, datetime], dict]:
    path = tmp_path / "export.csv"
    path.write_text(LOCAL_EXPORT.format(header=header))
    notes: dict = {}
    found = {}
    for item in read_records(path, zone=zone, notes=notes):
        assert not isinstance(item, RowError), item
        found[item.email] = item.occurred_at
    return found, notes


def test_hubspot_ui_export_times_are_read_in_the_users_zone(tmp_path):
    from zoneinfo import ZoneInfo

    found, notes = _local_times(tmp_path, "Sent At (Your time zone)", ZoneInfo("Europe/Madrid"))
    assert found["ann@acme.example"] == datetime(2026, 10, 1, 7, 0, tzinfo=UTC)  # summer time, UTC+2
    assert found["bob@acme.example"] == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)  # winter time, UTC+1
    assert found["cy@acme.example"] == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # it names its zone: kept
    assert found["dee@acme.example"] == datetime(2026, 10, 1, 7, 30, tzinfo=UTC)  # a time in a flag column too
    assert notes == {"times_in_zone": "Europe/Madrid"}


def test_hubspot_times_stay_utc_without_a_zone_or_without_the_users_zone_in_the_header(tmp_path):
    from zoneinfo import ZoneInfo

    for header, zone in (("Sent At (Your time zone)", None), ("Sent At", ZoneInfo("Europe/Madrid"))):
        found, notes = _local_times(tmp_path, header, zone)
        assert found["ann@acme.example"] == datetime(2026, 10, 1, 9, 0, tzinfo=UTC), header
        assert found["cy@acme.example"] == datetime(2026, 10, 1, 4, 0, tzinfo=UTC), header
        assert notes == {}, header


def test_hubspot_ui_export_in_a_zip_is_read_in_the_users_zone_too(tmp_path):
    import io
    import zipfile
    from zoneinfo import ZoneInfo

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hubspot.csv", LOCAL_EXPORT.format(header="Sent At (Your time zone)"))
    path = tmp_path / "export.zip"
    path.write_bytes(buffer.getvalue())
    notes: dict = {}
    times = {r.email: r.occurred_at for r in read_records(path, zone=ZoneInfo("America/New_York"), notes=notes)}
    assert times["ann@acme.example"] == datetime(2026, 10, 1, 13, 0, tzinfo=UTC)  # EDT, UTC-4
    assert notes == {"times_in_zone": "America/New_York"}
