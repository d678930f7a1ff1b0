"""Issue 16 item 7 and issue 21 "same store, no double counting", on the real import pipeline: an event
for an address that is not one is stored (flagged), and a webhook event and an export of the same send
count once."""
from __future__ import annotations

import json

import pytest

from deliverability.campaigns.importer import import_records
from deliverability.campaigns.models import Campaign, Event, Recipient, Upload
from deliverability.ingest import read_records
from tests.factories import make_org

pytestmark = pytest.mark.django_db


def upload_of(org, name: str) -> Upload:
    campaign = Campaign.objects.create(organization=org, name="Default")
    return Upload.objects.create(organization=org, original_name=name, sha256=f"{name:0>64}"[-64:],
                                 file=f"uploads/{name}", campaign=campaign)


def test_sendgrid_dropped_invalid_address_is_stored_as_given_and_flagged(tmp_path):
    org = make_org("Acme", "acme")
    path = tmp_path / "events.json"
    path.write_text(json.dumps([
        {"email": "invalid@invalid", "event": "dropped", "reason": "Invalid", "status": "5.1.3",
         "timestamp": 1793613605, "sg_event_id": "sg-1", "sg_message_id": "m"},
        {"email": "ana@acme.example", "event": "delivered", "timestamp": 1793613605, "sg_event_id": "sg-2"}]))
    result = import_records(upload_of(org, "events.json"), read_records(path))
    assert result.events == 2 and not result.row_errors
    event = Event.objects.get(esp_event_id="sg-1")
    assert (event.type, event.recipient.email, event.domain) == ("dropped", "invalid@invalid", "invalid")
    assert event.esp_labels["address"] == "invalid"
    assert Recipient.objects.filter(organization=org).count() == 2


def test_a_webhook_event_and_a_later_export_of_the_same_send_count_once(tmp_path):
    org = make_org("Acme", "acme")
    hook = tmp_path / "hook.json"
    hook.write_text(json.dumps({"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1,
                                "MessageID": "pm-1", "Email": "Ana@acme.example",
                                "BouncedAt": "2026-11-02T10:00:05Z", "Details": "550 5.1.1 unknown"}))
    export = tmp_path / "bounces.json"
    export.write_text(json.dumps({"TotalCount": 2, "Bounces": [
        {"ID": 42, "Type": "HardBounce", "TypeCode": 1, "MessageID": "pm-1", "Email": "ana@acme.example",
         "BouncedAt": "2026-11-02T10:00:05.000+00:00", "Details": "550 5.1.1 unknown"},
        {"ID": 43, "Type": "HardBounce", "TypeCode": 1, "MessageID": "pm-2", "Email": "bob@acme.example",
         "BouncedAt": "2026-11-02T10:01:00Z", "Details": "550 5.1.1 unknown"}]}))
    first = import_records(upload_of(org, "hook.json"), read_records(hook))
    second = import_records(Upload.objects.create(organization=org, original_name="b", sha256="b" * 64,
                                                  file="uploads/b", campaign=Campaign.objects.get(name="Default")),
                            read_records(export))
    assert (first.events, second.events, second.duplicates) == (1, 1, 1)
    assert Event.objects.filter(organization=org, type="bounce").count() == 2
