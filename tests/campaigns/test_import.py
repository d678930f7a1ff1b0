"""The import pipeline end to end on the database: counts, duplicates, errors, deletion, re-runs."""
from __future__ import annotations

import io
from datetime import UTC

import pytest

from deliverability.campaigns import services, tasks
from deliverability.campaigns.models import Campaign, Diagnostic, Event, Recipient, RecipientSearch, Upload
from deliverability.domains.models import Domain
from deliverability.ingest.values import normalise_email

HEADER = "email,status,smtp_response,timestamp,campaign\n"
ROWS = [
    "ana@acme-logistics.com,delivered,250 2.0.0 OK,2026-11-02T09:00:00Z,November launch",
    "bob@acme-logistics.com,bounce,550 5.1.1 <bob@acme-logistics.com>: Recipient address rejected: User unknown,2026-11-02T09:00:05Z,November launch",
    "carla@gmail.com,delivered,250 2.0.0 OK,2026-11-02T09:00:06Z,November launch",
    "dan@gmail.com,bounce,550-5.1.1 The email account that you tried to reach does not exist,2026-11-02T09:00:07Z,November launch",
    "eve@globex.com,bounce,550 5.1.1 <eve@globex.com>: Recipient address rejected: User unknown,2026-11-03T10:00:00Z,December teaser",
    "ana@acme-logistics.com,open,,2026-11-02T10:00:00Z,November launch",
]


def csv_bytes(rows=ROWS, header=HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


def upload_and_import(org, data: bytes, name="results.csv", **kwargs) -> Upload:
    received = services.receive_upload(org, io.BytesIO(data), original_name=name, **kwargs)
    assert received.created
    services.run_import(received.upload.pk)
    received.upload.refresh_from_db()
    return received.upload


def test_normalise_email_lowercases_and_rejects_non_addresses():
    assert normalise_email(" Ana.Perez@Acme.COM ") == ("ana.perez@acme.com", "acme.com")
    assert normalise_email("<x@sub.example.org>") == ("x@sub.example.org", "sub.example.org")
    assert normalise_email("josé@bücher.de") == ("josé@xn--bcher-kva.de", "xn--bcher-kva.de")
    for bad in ["", "no-at-sign", "a@nodot", "a b@c.com", "@c.com", "a@.c.com", "a@c..com"]:
        assert normalise_email(bad) is None, bad


def test_csv_import_stores_events_recipients_and_campaigns_and_counts_domains(org_a):
    upload = upload_and_import(org_a, csv_bytes())
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload).count() == 6
    assert set(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == {"November launch", "December teaser"}
    assert Recipient.objects.filter(organization=org_a).count() == 5
    assert set(Event.objects.filter(upload=upload).values_list("domain", flat=True)) == {
        "acme-logistics.com", "gmail.com", "globex.com"}
    assert upload.summary["domains"] == 3
    assert not Domain.objects.exists()  # domain rows are the analysis's (enrichment), not the import's
    assert upload.summary["events_by_type"] == {"bounce": 3, "delivered": 2, "open": 1}


def test_bounce_events_carry_the_engines_reading_and_week(org_a):
    upload_and_import(org_a, csv_bytes())
    bounce = Event.objects.get(type="bounce", recipient__email="bob@acme-logistics.com")
    assert (bounce.reply_code, bounce.enhanced_status, bounce.category, bounce.hard) == (550, "5.1.1", "invalid_mailbox", True)
    assert str(bounce.week) == "2026-11-02"  # Monday, Europe/Madrid
    assert bounce.domain == "acme-logistics.com"


def test_repeated_diagnostics_are_stored_once(org_a):
    same = "550 5.7.1 Service unavailable; client [203.0.113.9] blocked using zen.spamhaus.org"
    rows = [f"user{i}@corp{i}.com,bounce,{same},2026-11-02T09:00:00Z,Blast" for i in range(50)]
    upload_and_import(org_a, csv_bytes(rows))
    assert Diagnostic.objects.filter(text__contains="zen.spamhaus.org").count() == 1
    assert Event.objects.filter(diagnostic__isnull=False).values("diagnostic").distinct().count() == 1


def test_same_file_twice_is_recognised_not_double_counted(org_a):
    upload_and_import(org_a, csv_bytes())
    again = services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="copy.csv")
    assert not again.created
    assert Event.objects.filter(organization=org_a).count() == 6


def test_same_file_in_another_organization_is_a_separate_upload(org_a, org_b):
    upload_and_import(org_a, csv_bytes())
    upload_and_import(org_b, csv_bytes())
    assert Event.objects.filter(organization=org_b).count() == 6
    assert Recipient.objects.filter(organization=org_b).count() == 5


def test_broken_rows_are_reported_with_row_numbers_and_good_rows_import(org_a):
    rows = ROWS[:2] + ["not-an-address,delivered,,2026-11-02T09:00:00Z,November launch"] + ROWS[2:]
    upload = upload_and_import(org_a, csv_bytes(rows))
    assert upload.status == Upload.Status.DONE
    assert Event.objects.filter(upload=upload).count() == 6
    assert upload.rows_skipped == 1
    (row, message), = upload.row_errors
    assert row == 4  # the header is row 1
    assert "not-an-address" in message


def test_a_file_in_no_known_format_fails_with_one_clear_sentence(org_a):
    upload = upload_and_import(org_a, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, name="logo.png")
    assert upload.status == Upload.Status.FAILED
    assert upload.error and "\n" not in upload.error.strip()
    assert Event.objects.filter(upload=upload).count() == 0


def test_deleting_an_upload_removes_exactly_its_events(org_a):
    first = upload_and_import(org_a, csv_bytes())
    other_rows = ["zoe@initech.com,delivered,250 OK,2026-11-09T09:00:00Z,November launch"]
    second = upload_and_import(org_a, csv_bytes(other_rows), name="more.csv")
    services.delete_upload(first)
    assert list(Event.objects.values_list("upload_id", flat=True)) == [second.pk]
    # December teaser came only from the first file, so it goes; November launch stays.
    assert list(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == ["November launch"]
    assert not Upload.objects.filter(pk=first.pk).exists()


class SimulatedCrash(BaseException):
    """Escapes the import's error handling, as a killed process would."""


def test_an_interrupted_import_rerun_finishes_with_exact_counts(org_a, settings):
    """GIVEN an import that dies after its first batch WHEN the same task runs again THEN counts are exact."""

    settings.IMPORT_BATCH_SIZE = 2
    rows = [f"user{i}@corp{i % 7}.com,delivered,250 OK,2026-11-02T09:00:00Z,Big send" for i in range(9)]
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes(rows)), original_name="big.csv")

    def crash(result):
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        services.run_import(received.upload.pk, claim="task-1", on_batch=crash)
    assert Event.objects.count() == 2  # the first batch was committed
    assert Upload.objects.get(pk=received.upload.pk).status == Upload.Status.RUNNING

    assert services.run_import(received.upload.pk, claim="another-task") is None  # someone else's claim
    upload = services.run_import(received.upload.pk, claim="task-1")  # the redelivered task
    assert upload.status == Upload.Status.DONE
    assert Event.objects.count() == 9
    assert Recipient.objects.count() == 9


def test_running_the_import_twice_does_nothing_the_second_time(org_a):
    upload = upload_and_import(org_a, csv_bytes())
    assert services.run_import(upload.pk) is None
    assert Event.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_in_process_dispatch_runs_off_the_request_and_finishes(org_a, settings):
    """The embedded default: no broker, the task runs on a background thread after commit."""
    from django.db import transaction

    from deliverability.taskqueue import wait_for_background_tasks

    settings.CELERY_BROKER_URL = None
    with transaction.atomic():
        received = services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="bg.csv")
        tasks.start_import(received.upload)
    wait_for_background_tasks(timeout=60)
    received.upload.refresh_from_db()
    assert received.upload.status == Upload.Status.DONE
    assert Event.objects.filter(upload=received.upload).count() == 6


def test_awkward_characters_survive_the_bulk_load_exactly(org_a):
    """Tabs, newlines, backslashes and non-ASCII in every text column come back byte for byte."""
    from datetime import datetime

    from deliverability.campaigns.importer import import_records
    from deliverability.ingest.records import Record

    upload = Upload.objects.create(organization=org_a, original_name="x", sha256="b" * 64, file="uploads/x")
    nasty = "a\\tb\tc\nd\re \\N ü <script>alert(1)</script>"
    records = [
        Record(row=2, email="ana@acme.com", event_type="bounce", occurred_at=datetime(2026, 11, 2, 23, 30, tzinfo=UTC),
               campaign="C", esp_event_id="id\t1\\", reply_code=550, enhanced_status="5.1.1", diagnostic=nasty,
               remote_mta=nasty, esp_labels={"type": nasty}),
        Record(row=3, email="bob@acme.com", event_type="delivered", campaign="C", esp_event_id=None),
    ]
    result = import_records(upload, records)
    assert result.events == 2
    event = Event.objects.get(recipient__email="ana@acme.com")
    assert (event.esp_event_id, event.remote_mta, event.esp_labels, event.diagnostic.text) == ("id\t1\\", nasty[:250], {"type": nasty}, nasty)
    assert str(event.week) == "2026-11-02"  # 00:30 on Tuesday in Madrid, still the week of Monday 2 November
    assert Event.objects.get(recipient__email="bob@acme.com").occurred_at is None


def test_events_with_esp_ids_deduplicate_across_uploads(org_a):
    from deliverability.campaigns.importer import import_records
    from deliverability.ingest.records import Record

    first = Upload.objects.create(organization=org_a, original_name="a", sha256="c" * 64, file="uploads/a")
    second = Upload.objects.create(organization=org_a, original_name="b", sha256="d" * 64, file="uploads/b")
    rows = [Record(row=i, email=f"u{i}@acme.com", event_type="delivered", campaign="C", esp_event_id=f"ev-{i}") for i in range(5)]
    assert import_records(first, rows[:3] + rows[:1]).events == 3  # a repeat inside one file is skipped too
    again = import_records(second, rows)
    assert (again.events, again.duplicates) == (2, 3)
    assert Event.objects.count() == 5


def test_addresses_become_searchable_in_the_analysis_step_not_during_the_import(org_a):
    """GIVEN an imported upload WHEN its analysis indexes it for search THEN part of an address finds it.

    The trigram index costs more per new address than the rest of the import, so the import leaves the
    search table alone and the analysis fills it, once, however often it is asked."""
    upload = upload_and_import(org_a, csv_bytes())
    assert not RecipientSearch.objects.exists()
    assert services.index_for_search(upload) == 5
    assert services.index_for_search(upload) == 0  # idempotent
    found = RecipientSearch.objects.filter(organization=org_a, email__contains="carla")
    assert [row.email for row in found] == ["carla@gmail.com"]
    assert found.get().recipient == Recipient.objects.get(organization=org_a, email="carla@gmail.com")


@pytest.mark.postgres
def test_partial_address_search_can_use_the_trigram_index(org_a):
    """On PostgreSQL the search table (`email LIKE '%…%'`) has a trigram index to use."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    services.index_for_search(upload_and_import(org_a, csv_bytes()))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan TO off")
        sql, params = RecipientSearch.objects.filter(email__contains="carla").values(
            "recipient_id").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "recipient_search_trgm" in plan, plan
