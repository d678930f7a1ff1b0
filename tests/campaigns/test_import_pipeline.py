"""The import pipeline's writers on the real database: the pipelined writer (PostgreSQL, outside a
caller's transaction: events COPY'd by a second connection in a thread, the file read ahead in
another) and the serial one must store the same rows, report progress only for committed batches,
stop their threads on every way out, refuse bad rows without side effects, and leave gc as it was.

PostgreSQL-only tests carry the `postgres` marker (the SQLite run skips them by design) and run with
transaction=True: inside a test's transaction the importer deliberately stays serial.
"""
from __future__ import annotations

import gc
import io
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, connections

from deliverability.bounces import classify
from deliverability.campaigns import importer, services
from deliverability.campaigns.importer import import_records
from deliverability.campaigns.models import Campaign, Diagnostic, Event, Recipient, Upload
from deliverability.ingest.records import Record, RowError
from tests.campaigns.test_import import SimulatedCrash, csv_bytes

UTC = UTC
IMPORT_THREADS = ("event-writer", "import-reader")
BATCH = 3

HEADER = "email,status,smtp_response,timestamp,campaign,mx_host,bounce_type\n"
UNKNOWN = "550 5.1.1 <{}>: Recipient address rejected: User unknown"
# (CSV row, the instant it names, the Monday of that instant in Europe/Madrid). 20 rows, 3 campaigns,
# 7 recipients whose events are interleaved and not in time order; batches of 3 rows.
TIMED_ROWS = [
    ("ana@acme-logistics.com,delivered,250 2.0.0 OK,2026-11-02T09:00:00Z,Launch,mx1.acme-logistics.com,",
     datetime(2026, 11, 2, 9, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("bob@globex.com,delivered,250 2.0.0 OK,2026-11-02T09:00:00+02:00,Launch,,",
     datetime(2026, 11, 2, 7, 0, tzinfo=UTC), date(2026, 11, 2)),
    (f"carla@gmail.com,bounce,{UNKNOWN.format('carla@gmail.com')},2026-11-02T09:00:00.123456+02:00,Launch,"
     "gmail-smtp-in.l.google.com,hard",
     datetime(2026, 11, 2, 7, 0, 0, 123456, tzinfo=UTC), date(2026, 11, 2)),
    ("ana@acme-logistics.com,open,,1793955600,Launch,,",  # epoch seconds
     datetime(2026, 11, 6, 9, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("dan@initech.com,delivered,250 OK,1969-07-20T20:17:40Z,Apollo,,",  # before 1970, a Sunday
     datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC), date(1969, 7, 14)),
    ("ana@acme-logistics.com,click,,,Launch,,",  # no time
     None, None),
    ("eve@umbrella.org,deferred,421 4.7.0 Try again later,2026-11-01T23:30:00Z,Winter sale,mx.umbrella.org,soft",
     datetime(2026, 11, 1, 23, 30, tzinfo=UTC), date(2026, 11, 2)),  # Sunday in UTC, Monday 00:30 in Madrid
    ("bob@globex.com,open,,2026-11-02T10:00:00Z,Launch,,",
     datetime(2026, 11, 2, 10, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("dan@initech.com,open,,1969-07-21T02:56:15Z,Apollo,,",
     datetime(1969, 7, 21, 2, 56, 15, tzinfo=UTC), date(1969, 7, 21)),
    (f"carla@gmail.com,bounce,{UNKNOWN.format('carla@gmail.com')},2026-11-03T08:00:00Z,Winter sale,"
     "gmail-smtp-in.l.google.com,hard",
     datetime(2026, 11, 3, 8, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("ana@acme-logistics.com,delivered,250 2.0.0 OK,2026-11-03T08:00:00Z,Winter sale,,",
     datetime(2026, 11, 3, 8, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("eve@umbrella.org,delivered,250 OK,2026-11-01T23:45:00Z,Winter sale,,",
     datetime(2026, 11, 1, 23, 45, tzinfo=UTC), date(2026, 11, 2)),
    ("fay@globex.com,complaint,,2026-11-04T12:00:00.500Z,Launch,,",
     datetime(2026, 11, 4, 12, 0, 0, 500000, tzinfo=UTC), date(2026, 11, 2)),
    ("ana@acme-logistics.com,unsubscribe,,2026-11-02T08:59:59Z,Launch,,",  # earlier than her first row
     datetime(2026, 11, 2, 8, 59, 59, tzinfo=UTC), date(2026, 11, 2)),
    ("bob@globex.com,bounce,550 5.7.1 Service unavailable; client [203.0.113.9] blocked using zen.spamhaus.org,"
     "2026-11-03T09:00:00-05:00,Winter sale,mx.globex.com,",
     datetime(2026, 11, 3, 14, 0, tzinfo=UTC), date(2026, 11, 2)),
    ("dan@initech.com,click,,1969-07-20T20:17:40Z,Apollo,,",
     datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC), date(1969, 7, 14)),
    ("fay@globex.com,delivered,250 OK,2026-11-04T11:59:00Z,Launch,,",
     datetime(2026, 11, 4, 11, 59, tzinfo=UTC), date(2026, 11, 2)),
    ("gus@gmail.com,suppressed,,2026-11-08T23:00:00Z,Winter sale,,",  # Monday 00:00 in Madrid
     datetime(2026, 11, 8, 23, 0, tzinfo=UTC), date(2026, 11, 9)),
    ("gus@gmail.com,dropped,,2026-11-08T22:59:59Z,Winter sale,,",  # Sunday 23:59:59 in Madrid
     datetime(2026, 11, 8, 22, 59, 59, tzinfo=UTC), date(2026, 11, 2)),
    ("ana@acme-logistics.com,open,,2026-11-02T09:00:00Z,Launch,,",
     datetime(2026, 11, 2, 9, 0, tzinfo=UTC), date(2026, 11, 2)),
]
TIMED_CSV = csv_bytes([line for line, _, _ in TIMED_ROWS], header=HEADER)
# Everything an event row holds except ids, with the related rows by their natural keys.
STORED = ("recipient__email", "domain", "campaign__name", "occurred_at", "week", "esp_event_id", "type",
          "reply_code", "enhanced_status", "diagnostic__text", "remote_mta", "esp_labels", "category",
          "signature", "bounce_vendor", "hard")


@pytest.fixture(autouse=True)
def analysis_in_process(settings):
    """run_import ends by dispatching the upload's analysis; in these transactional tests it is sent at
    once. Keep it in this process (not a Celery worker of the PostgreSQL + Redis run) and let it finish
    before the test's database is flushed, which it would otherwise race with."""
    from deliverability.taskqueue import wait_for_background_tasks

    settings.CELERY_BROKER_URL = None
    yield
    wait_for_background_tasks(timeout=60)


def import_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name in IMPORT_THREADS and t.is_alive()]


def new_upload(org, name: str) -> Upload:
    """An upload with no default campaign, for feeding import_records directly."""
    digest = f"{name:0>64}"[-64:]
    return Upload.objects.create(organization=org, original_name=name, sha256=digest, file=f"uploads/{name}")


def receive(org, data: bytes, name: str = "results.csv", **kwargs) -> Upload:
    received = services.receive_upload(org, io.BytesIO(data), original_name=name, **kwargs)
    assert received.created
    return received.upload


def good_records(count: int, *, start: int = 0) -> list[Record]:
    return [Record(row=i + 2, email=f"user{i}@corp{i % 4}.com", event_type="delivered", campaign="Big send",
                   occurred_at=datetime(2026, 11, 2, 9, i % 60, tzinfo=UTC)) for i in range(start, count)]


@pytest.fixture
def writers(monkeypatch, settings):
    """Small batches, and a count of the batches each real writer class was handed."""
    settings.IMPORT_BATCH_SIZE = BATCH
    handed = {"pipelined": [], "serial": [], "instances": []}
    pipelined_init, pipelined_submit = importer._PipelinedWriter.__init__, importer._PipelinedWriter.submit
    serial_submit = importer._SerialWriter.submit

    def init(self, *args, **kwargs):
        handed["instances"].append(self)
        pipelined_init(self, *args, **kwargs)

    def submit_pipelined(self, batch):
        handed["pipelined"].append(batch.size)
        return pipelined_submit(self, batch)

    def submit_serial(self, batch):
        handed["serial"].append(batch.size)
        return serial_submit(self, batch)

    monkeypatch.setattr(importer._PipelinedWriter, "__init__", init)
    monkeypatch.setattr(importer._PipelinedWriter, "submit", submit_pipelined)
    monkeypatch.setattr(importer._SerialWriter, "submit", submit_serial)
    return handed


@pytest.fixture
def pipelined(transactional_db, writers):
    """PostgreSQL outside a transaction: the import takes the pipelined path."""
    if connection.vendor != "postgresql":
        pytest.skip("the pipelined writer runs on PostgreSQL only")
    assert not connection.in_atomic_block
    assert import_threads() == [], "an earlier test left import threads running"
    yield writers
    assert import_threads() == [], "the import left its threads running"


def stored_rows(upload: Upload) -> list[tuple]:
    return list(Event.objects.filter(upload=upload).order_by("id").values_list(*STORED))


# --- 1. the pipelined path stores exactly what the file says ----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pipelined_import_stores_exact_counts_instants_weeks_and_file_order(org_a, pipelined):
    """GIVEN 20 rows over 3 campaigns and 7 recipients, with times in UTC, +02:00, -05:00, microseconds,
    epoch seconds, before 1970, across Madrid's Monday midnight, and one empty
    WHEN they are imported on PostgreSQL with batches of 3 (the pipelined writer)
    THEN every row is one event with its exact instant, its Monday in Madrid, each recipient's events
    in file order, and each batch written in recipient order."""
    upload = receive(org_a, TIMED_CSV)
    services.run_import(upload.pk)
    upload.refresh_from_db()

    assert upload.status == Upload.Status.DONE, upload.error
    assert pipelined["pipelined"] == [3, 3, 3, 3, 3, 3, 2] and pipelined["serial"] == []
    assert Event.objects.filter(upload=upload).count() == 20
    assert Recipient.objects.filter(organization=org_a).count() == 7
    assert set(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == {
        "Launch", "Apollo", "Winter sale"}
    expected_types = {"delivered": 6, "bounce": 3, "open": 4, "click": 2, "deferred": 1, "complaint": 1,
                      "unsubscribe": 1, "suppressed": 1, "dropped": 1}
    assert upload.summary["events_by_type"] == expected_types
    assert dict(Counter(Event.objects.filter(upload=upload).values_list("type", flat=True))) == expected_types
    assert (upload.summary["events"], upload.summary["skipped"], upload.summary["duplicates"]) == (20, 0, 0)

    events = list(Event.objects.filter(upload=upload).order_by("id").values_list(
        "recipient__email", "recipient_id", "type", "occurred_at", "week"))
    # Each recipient's events, in id order, are the file's rows for that recipient in file order.
    expected_by_recipient: dict[str, list] = {}
    for line, moment, week in TIMED_ROWS:
        email, event_type = line.split(",")[:2]
        expected_by_recipient.setdefault(email, []).append((event_type, moment, week))
    stored_by_recipient: dict[str, list] = {}
    for email, _, event_type, moment, week in events:
        stored_by_recipient.setdefault(email, []).append((event_type, moment, week))
    assert stored_by_recipient == expected_by_recipient
    assert Event.objects.get(upload=upload, type="click", recipient__email="ana@acme-logistics.com").occurred_at is None
    # The instants compare equal whatever the offset; the stored values are UTC, to the microsecond.
    micro = Event.objects.get(upload=upload, type="complaint").occurred_at
    assert (micro.utcoffset(), micro.microsecond) == (timedelta(0), 500000)
    # Each batch of 3 (all rows are good, none keyed) is written in recipient order.
    for start in range(0, 20, BATCH):
        recipient_ids = [row[1] for row in events[start:start + BATCH]]
        assert recipient_ids == sorted(recipient_ids), events[start:start + BATCH]


# --- 2. the serial path stores the same rows ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_serial_and_pipelined_writers_store_identical_event_rows(org_a, org_b, pipelined, settings):
    """GIVEN the same file for two organisations in the same time zone
    WHEN one imports through the pipelined writer and the other with PIPELINE = False (serial COPY)
    THEN their stored event rows are identical, value for value, and in the same per-recipient order."""
    assert org_a.timezone == org_b.timezone
    first = receive(org_a, TIMED_CSV)
    services.run_import(first.pk)
    assert len(pipelined["pipelined"]) == 7 and pipelined["serial"] == []

    settings.IMPORT_PIPELINE = False
    second = receive(org_b, TIMED_CSV)
    services.run_import(second.pk)
    assert len(pipelined["pipelined"]) == 7 and pipelined["serial"] == [3, 3, 3, 3, 3, 3, 2]

    piped, serial = stored_rows(first), stored_rows(second)
    assert len(piped) == 20
    assert sorted(piped, key=repr) == sorted(serial, key=repr)
    assert [row for row in piped if row[0] == "ana@acme-logistics.com"] == [
        row for row in serial if row[0] == "ana@acme-logistics.com"]
    bounce = [row for row in piped if row[6] == "bounce" and row[0] == "carla@gmail.com"][0]
    assert (bounce[7], bounce[8], bounce[12], bounce[15]) == (550, "5.1.1", "invalid_mailbox", True)
    assert bounce[10] == "gmail-smtp-in.l.google.com" and bounce[11].get("bounce_type") == "hard"


# --- 3. progress ---------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_is_reported_once_per_committed_batch_and_never_ahead_of_the_database(org_a, pipelined):
    """GIVEN 10 good rows in batches of 3 WHEN run_import reports progress on the pipelined path
    THEN on_batch runs once per batch, with the rows of the committed batches only (not the rows the
    reader is ahead by), and the events it reports are already in the database when it runs."""
    rows = [f"user{i}@corp{i % 4}.com,delivered,250 OK,2026-11-02T09:{i:02d}:00Z,Big send" for i in range(10)]
    upload = receive(org_a, csv_bytes(rows))
    seen = []

    def on_batch(result):
        seen.append((result.rows, result.events, Event.objects.filter(upload=upload).count(),
                     Upload.objects.get(pk=upload.pk).rows_done, gc.isenabled()))

    services.run_import(upload.pk, on_batch=on_batch)

    assert len(pipelined["pipelined"]) == 4
    assert [(rows, events) for rows, events, *_ in seen] == [(3, 3), (6, 6), (9, 9), (10, 10)]
    for rows, events, in_database, rows_done, _ in seen:
        assert in_database >= events, seen  # reported only once committed
        assert in_database in (3, 6, 9, 10), seen  # batches commit whole
        assert rows_done == rows
    assert not any(enabled for *_, enabled in seen), "gc runs during the import"
    assert gc.isenabled()


@pytest.mark.django_db(transaction=True)
def test_progress_on_the_serial_path_matches_the_database_exactly(org_a, writers, settings):
    """GIVEN 7 good rows in batches of 3 and PIPELINE = False WHEN imported (any database)
    THEN on_batch runs once per batch and each report's events are exactly the events stored then."""
    settings.IMPORT_PIPELINE = False
    upload = new_upload(org_a, "progress")
    seen = []
    result = import_records(upload, good_records(7), on_batch=lambda r: seen.append(
        (r.rows, r.events, Event.objects.filter(upload=upload).count())))
    assert result.events == 7
    assert (writers["serial"], writers["pipelined"]) == ([3, 3, 1], [])
    assert seen == [(3, 3, 3), (6, 6, 6), (7, 7, 7)]


# --- 4. a crash from the progress callback -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_crash_after_the_first_committed_batch_leaves_no_thread_and_reruns_exactly(org_a, pipelined):
    """GIVEN a pipelined import that dies in on_batch after its first committed batch
    WHEN the exception escapes THEN no import thread is left, the upload stays RUNNING, and the
    redelivered task (same claim) finishes with exact counts."""
    rows = [f"user{i}@corp{i % 7}.com,delivered,250 OK,2026-11-02T09:00:00Z,Big send" for i in range(10)]
    upload = receive(org_a, csv_bytes(rows), name="big.csv")
    committed = []

    def crash(result):
        committed.append(Event.objects.filter(upload=upload).count())
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        services.run_import(upload.pk, claim="task-1", on_batch=crash)
    assert import_threads() == []
    assert committed and committed[0] >= 3
    assert Event.objects.filter(upload=upload).count() in (3, 6, 9, 10)  # whole batches only
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.RUNNING
    assert gc.isenabled()

    assert services.run_import(upload.pk, claim="another-task") is None
    done = services.run_import(upload.pk, claim="task-1")
    assert done.status == Upload.Status.DONE, done.error
    assert Event.objects.filter(upload=upload).count() == 10
    assert Recipient.objects.filter(organization=org_a).count() == 10
    assert done.summary["events"] == 10 and done.rows_done == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stopping_early_stops_the_reader_thread_and_closes_the_reader(org_a, pipelined):
    """GIVEN a long record stream the reader thread is ahead on WHEN on_batch raises on the first
    report THEN the read-ahead thread stops without reading the rest, and the stream is closed."""
    upload = new_upload(org_a, "early-stop")
    state = {"read": 0, "closed": False}

    def stream():
        try:
            for record in good_records(300):
                state["read"] += 1
                yield record
        finally:
            state["closed"] = True

    def crash(result):
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        import_records(upload, stream(), on_batch=crash)
    assert import_threads() == []
    assert state["closed"]
    assert state["read"] < 300, "the reader went on to the end of the stream after the import stopped"


# --- 5. a reader error mid-file --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reader_error_mid_file_propagates_and_stops_both_threads(org_a, pipelined):
    """GIVEN a record stream that breaks after 7 records WHEN imported on the pipelined path
    THEN the reader's ValueError comes out of import_records, both threads are gone, gc is back on,
    the test's connection still works, and a later run of the same upload is exact."""
    upload = new_upload(org_a, "broken-reader")

    def broken():
        yield from good_records(7)
        raise ValueError("the file broke at row 9")

    with pytest.raises(ValueError, match="the file broke at row 9"):
        import_records(upload, broken())
    assert import_threads() == []
    assert gc.isenabled()
    assert len(pipelined["pipelined"]) >= 1
    assert Event.objects.filter(upload=upload).count() in (0, 3, 6)  # the unfinished chunk is never written
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)

    result = import_records(upload, good_records(10))
    assert (result.events, result.duplicates) == (10, 0)
    assert Event.objects.filter(upload=upload).count() == 10
    assert import_threads() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_the_database_refuses_fails_the_import_on_the_pipelined_path(org_a, pipelined):
    """GIVEN a last batch whose COPY the server refuses (a lone surrogate in the remote host)
    WHEN imported on the pipelined path THEN the writer thread's error comes out of import_records,
    no thread is left, gc is back on, and the test's connection still works."""
    upload = new_upload(org_a, "refused-batch")
    records = good_records(3)
    records.append(Record(row=9, email="zed@corp.com", event_type="bounce", campaign="Big send",
                          remote_mta="mx.\udc80.example", diagnostic="550 5.1.1 user unknown"))
    with pytest.raises(Exception) as caught:
        import_records(upload, records)
    assert "UTF8" in str(caught.value) or "utf-8" in str(caught.value).lower(), caught.value
    assert import_threads() == []
    assert gc.isenabled()
    assert Event.objects.filter(upload=upload).count() in (0, 3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_with_the_last_one_waiting_fails_the_import_instead_of_hanging(org_a, pipelined):
    """GIVEN three batches where the server refuses the second, and the first one's COPY waits on a
    table lock so that the second and third queue up behind it
    WHEN the lock goes THEN the import fails with the writer's error within seconds (it does not hang)."""
    upload = new_upload(org_a, "hang")
    records = [
        *good_records(3),
        Record(row=20, email="zed@corp.com", event_type="bounce", campaign="Big send", remote_mta="mx.\udc80.example"),
        *good_records(5, start=3),
        *(Record(row=30 + i, email=f"late{i}@corp.com", event_type="delivered", campaign="Big send") for i in range(3)),
    ]
    assert len(records) == 9  # batches: good, refused by the server, good

    side = connections.create_connection("default")
    side.ensure_connection()
    raw = side.connection
    raw.autocommit = False

    def stream():
        # In the reader thread, after the import removed earlier events: hold the event table so the
        # writer's first COPY waits; let go half a second later.
        raw.execute("LOCK TABLE campaigns_event IN SHARE MODE")
        threading.Timer(0.5, raw.rollback).start()
        yield from records

    outcome = {}

    def run():
        try:
            import_records(upload, stream())
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="test-import", daemon=True)
    thread.start()
    thread.join(timeout=4)
    hung = thread.is_alive()
    if hung:  # free the queue slot the finishing import waits on, so the thread can end
        pipelined["instances"][-1]._todo.get_nowait()
        thread.join(timeout=10)
    side.close()
    assert not hung, "the import hung after its writer failed"
    assert "UTF8" in str(outcome.get("error")), outcome
    assert import_threads() == []


# --- 6. refused rows -------------------------------------------------------------------------------------


REFUSING = [
    Record(row=2, email="Ana@Acme.com", event_type="delivered", campaign="C"),
    Record(row=3, email="a@nodot", event_type="delivered", campaign="C"),
    Record(row=4, email="ghost@valid.com", event_type="teleported", campaign="C"),
    # a batch with refused rows only
    Record(row=5, email="orphan@valid.com", event_type="delivered", campaign=None),
    RowError(6, "unreadable date 'yesterday'"),
    Record(row=7, email="not an address@x.com", event_type="open", campaign="C"),
    Record(row=8, email="bob@acme.com", event_type="bounce", campaign="C", reply_code=550,
           enhanced_status="5.1.1", diagnostic="550 5.1.1 user unknown"),
    Record(row=9, email="ghost@valid.com", event_type="", campaign="C"),
    Record(row=10, email="ana@acme.com", event_type="open", campaign="C"),
]


@pytest.mark.parametrize("pipeline", [True, False], ids=["default-path", "serial"])
@pytest.mark.django_db(transaction=True)
def test_refused_rows_create_no_recipient_and_are_listed_with_their_row_numbers(org_a, writers, settings, pipeline):
    """GIVEN an upload with no default campaign, and rows with a non-address, an unknown event type,
    no campaign, and a reader's RowError, among good rows WHEN imported
    THEN only the good rows become events and recipients, and each refused row is listed by number."""
    settings.IMPORT_PIPELINE = pipeline
    upload = new_upload(org_a, "refusals")
    result = import_records(upload, REFUSING)

    if connection.vendor == "postgresql":
        assert bool(writers["pipelined"]) == pipeline
    assert (result.rows, result.events, result.skipped) == (9, 3, 6)
    assert dict(result.events_by_type) == {"delivered": 1, "bounce": 1, "open": 1}
    assert result.new_recipients == 2
    assert set(Recipient.objects.filter(organization=org_a).values_list("email", flat=True)) == {
        "ana@acme.com", "bob@acme.com"}
    assert Event.objects.filter(upload=upload).count() == 3
    assert sorted(result.row_errors) == [
        (3, "not an email address: 'a@nodot'"),
        (4, "unknown event type 'teleported'"),
        (5, "no campaign: the row names none and no default campaign was given"),
        (6, "unreadable date 'yesterday'"),
        (7, "not an email address: 'not an address@x.com'"),
        (9, "unknown event type ''"),
    ]


@pytest.mark.django_db(transaction=True)
def test_refused_rows_through_a_csv_upload_without_campaign(org_a, writers):
    """GIVEN a CSV with no campaign column, uploaded with no campaign, and a second upload of rows
    whose addresses pass the reader but not the importer WHEN imported THEN the first upload's rows are
    all refused for having no campaign and the second's bad address is listed by row; no recipients."""
    rows = ["ana@acme.com,delivered,250 OK,2026-11-02T09:00:00Z", "bob@acme.com,open,,2026-11-02T09:01:00Z"]
    upload = receive(org_a, csv_bytes(rows, header="email,status,smtp_response,timestamp\n"), name="nocamp.csv")
    services.run_import(upload.pk)
    upload.refresh_from_db()
    # Every row refused: not a success (issue 19), the page asks for a campaign.
    assert upload.status == Upload.Status.FAILED and upload.summary["reasons"] == {"campaign": 2}
    assert upload.rows_skipped == 2
    assert [row for row, _ in upload.row_errors] == [2, 3]
    assert all("no campaign" in message for _, message in upload.row_errors)
    assert not Recipient.objects.filter(organization=org_a).exists()

    rows = ["ana@acme.com,delivered,250 OK,2026-11-02T09:00:00Z,C", "x@nodot,delivered,250 OK,2026-11-02T09:00:00Z,C"]
    upload = receive(org_a, csv_bytes(rows), name="nodot.csv")
    services.run_import(upload.pk)
    upload.refresh_from_db()
    assert upload.row_errors == [[3, "not an email address: 'x@nodot'"]]
    assert list(Recipient.objects.filter(organization=org_a).values_list("email", flat=True)) == ["ana@acme.com"]


@pytest.mark.django_db(transaction=True)
def test_a_campaign_named_only_by_refused_rows_is_not_created(org_a, writers):
    """GIVEN a good row for campaign C and refused rows (bad address, unknown event type) that alone
    name 'Typo campaign' WHEN imported THEN 'Typo campaign' does not exist and is not in the summary."""
    upload = new_upload(org_a, "typo-campaign")
    result = import_records(upload, [
        Record(row=2, email="ana@acme.com", event_type="delivered", campaign="C"),
        Record(row=3, email="a@nodot", event_type="delivered", campaign="Typo campaign"),
        Record(row=4, email="bob@acme.com", event_type="teleported", campaign="Typo campaign"),
    ])
    assert result.events == 1 and result.skipped == 2
    assert list(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == ["C"]
    assert sorted(result.campaigns) == ["C"]


# --- 7. diagnostics quoting the recipient ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_diagnostics_quoting_the_recipient_read_like_the_original_and_keep_the_real_text(org_a, writers):
    """GIVEN bounces whose diagnostics quote each recipient's own address, two with an enhanced status
    and two whose reading comes from the words alone (reply code only)
    WHEN imported THEN each event carries classify()'s reading of its original text (the same within
    each pair), and four Diagnostic rows keep the real addresses."""
    upload = new_upload(org_a, "quoting")
    words_only = "550 <{}>: Recipient address rejected: User unknown in virtual mailbox table"
    cases = {  # email → (diagnostic, enhanced status, reply code), as a reader hands them over
        "a@x.com": (UNKNOWN.format("a@x.com"), "5.1.1", 550),
        "b@y.com": (UNKNOWN.format("b@y.com"), "5.1.1", 550),
        "c@z.com": (words_only.format("c@z.com"), None, 550),
        "d@w.com": (words_only.format("d@w.com"), None, 550),
    }
    records = [Record(row=i + 2, email=email, event_type="bounce", campaign="C", reply_code=code,
                      enhanced_status=status, diagnostic=text)
               for i, (email, (text, status, code)) in enumerate(cases.items())]
    import_records(upload, records)

    for email, (text, status, code) in cases.items():
        expected = classify(text, status, code)
        event = Event.objects.select_related("diagnostic").get(upload=upload, recipient__email=email)
        assert (event.category, event.signature, event.hard, event.bounce_vendor) == (
            expected.category, expected.signature or "", expected.hard, expected.vendor or ""), email
        assert event.diagnostic.text == text
    assert classify(None, None, 550).category != "invalid_mailbox"  # the words decide the last two
    readings = set(Event.objects.filter(upload=upload).values_list("category", "signature", "hard"))
    assert readings == {("invalid_mailbox", "user_unknown", True)}
    assert set(Diagnostic.objects.values_list("text", flat=True)) == {text for text, _, _ in cases.values()}
    assert not Diagnostic.objects.filter(text__contains="example.invalid").exists()


@pytest.mark.django_db(transaction=True)
def test_bounded_lookups_refilled_from_the_database_keep_every_row_exact(org_a, writers, settings):
    """GIVEN per-import dictionaries limited to 2 entries (so they are emptied and refilled from the
    database over and over) and 30 rows over 8 addresses, 4 diagnostics and 3 campaigns
    WHEN imported in batches of 3 THEN every event has its own row's recipient, diagnostic and
    campaign, and the counts of new recipients, recipients and diagnostics are exact."""
    settings.IMPORT_CACHE_LIMIT = 2
    upload = new_upload(org_a, "bounded")
    texts = [f"550 5.1.1 mailbox {n} unknown" for n in range(4)]
    records = [Record(row=i + 2, email=f"User{i % 8}@Corp{i % 8 % 3}.com", event_type="bounce",
                      campaign=f"C{i % 3}", diagnostic=texts[i % 4], reply_code=550, enhanced_status="5.1.1",
                      occurred_at=datetime(2026, 11, 2, 9, 0, i, tzinfo=UTC)) for i in range(30)]
    result = import_records(upload, records)

    assert (result.events, result.new_recipients, result.skipped) == (30, 8, 0)
    assert Recipient.objects.filter(organization=org_a).count() == 8
    assert Diagnostic.objects.count() == 4
    stored = sorted(Event.objects.filter(upload=upload).values_list(
        "occurred_at", "recipient__email", "domain", "diagnostic__text", "campaign__name"))
    assert stored == [
        (rec.occurred_at, rec.email.lower(), rec.email.lower().split("@")[1], rec.diagnostic, rec.campaign)
        for rec in records]


# --- 8. gc ------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_gc_is_switched_back_on_after_an_import_and_after_a_failed_one(org_a, writers):
    """GIVEN gc enabled WHEN an import succeeds, and when one fails THEN gc is enabled afterwards;
    GIVEN gc disabled by the caller WHEN an import runs THEN it stays disabled."""
    assert gc.isenabled()
    during = []
    import_records(new_upload(org_a, "gc-ok"), good_records(4), on_batch=lambda r: during.append(gc.isenabled()))
    assert during == [False, False]
    assert gc.isenabled()

    def broken():
        yield from good_records(4)
        raise ValueError("broken")

    with pytest.raises(ValueError):
        import_records(new_upload(org_a, "gc-failed"), broken())
    assert gc.isenabled()

    gc.disable()
    try:
        import_records(new_upload(org_a, "gc-off"), good_records(2))
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- 9. ESP event ids --------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_exports_with_esp_event_ids_store_each_id_once(org_a, pipelined):
    """GIVEN two different exports whose event_id values overlap (and one id repeated inside the
    first) WHEN both are imported on the pipelined path in batches of 3
    THEN duplicates are counted and each ESP event id is stored once."""
    header = "email,status,timestamp,campaign,event_id\n"

    def row(i, status="delivered"):
        return f"user{i}@corp{i % 3}.com,{status},2026-11-02T09:{i:02d}:00Z,Ids,ev-{i}"

    first = receive(org_a, csv_bytes([row(i) for i in range(1, 7)] + [row(2)], header=header), name="first.csv")
    services.run_import(first.pk)
    first.refresh_from_db()
    assert first.status == Upload.Status.DONE, first.error
    assert (first.summary["events"], first.summary["duplicates"]) == (6, 1)
    assert len(pipelined["pipelined"]) == 3

    second = receive(org_a, csv_bytes([row(i, "open") for i in range(4, 10)], header=header), name="second.csv")
    services.run_import(second.pk)
    second.refresh_from_db()
    assert (second.summary["events"], second.summary["duplicates"]) == (3, 3)
    assert Event.objects.filter(upload=second).count() == 3

    ids = list(Event.objects.filter(organization=org_a).values_list("esp_event_id", flat=True))
    assert sorted(ids) == sorted(f"ev-{i}" for i in range(1, 10))
    assert set(Event.objects.filter(upload=second).values_list("esp_event_id", flat=True)) == {"ev-7", "ev-8", "ev-9"}


# --- a list imported again: its addresses are looked up before anything is inserted ------------------


@pytest.mark.django_db
def test_a_list_imported_again_reuses_its_recipients_and_creates_only_the_new_ones(org_a, writers, monkeypatch):
    """GIVEN a first upload of 12 addresses and a second with the same 12 plus 2 new ones at the end,
    in batches of 3
    WHEN the second is imported (after its first batch finds every address stored, the next batches
    look addresses up before inserting)
    THEN it creates exactly the 2 new recipients and every event points to its own address."""
    calls = []
    original = importer._get_or_create_ids

    def spy(table, key_column, rows, **kwargs):
        calls.append((table, len(rows), kwargs.get("existing_first", False)))
        return original(table, key_column, rows, **kwargs)

    monkeypatch.setattr(importer, "_get_or_create_ids", spy)
    first = new_upload(org_a, "first.csv")
    import_records(first, good_records(12))
    second = new_upload(org_a, "second.csv")
    again = [Record(row=r.row, email=r.email.upper(), event_type="open", campaign="Big send") for r in good_records(12)]
    fresh = [Record(row=14 + i, email=f"new{i}@corp9.com", event_type="open", campaign="Big send") for i in range(2)]
    result = import_records(second, again + fresh)

    assert result.new_recipients == 2 and result.events == 14
    assert Recipient.objects.filter(organization=org_a).count() == 14
    orders = [existing_first for table, _, existing_first in calls if table == "campaigns_recipient"]
    assert orders[4:] == [False, True, True, True, True], orders  # the second upload's five batches
    for event in Event.objects.filter(upload=second).select_related("recipient"):
        assert event.recipient.domain == event.domain
    emails = set(Event.objects.filter(upload=second).values_list("recipient__email", flat=True))
    assert emails == {r.email for r in good_records(12)} | {"new0@corp9.com", "new1@corp9.com"}


# --- the recipient key in byte order (issue 14) -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_recipient_and_diagnostic_keys_compare_bytes_and_staging_is_in_key_order(org_a):
    """GIVEN PostgreSQL, whatever the database's default collation
    WHEN the schema is migrated and a batch of addresses is staged
    THEN the recipient's address and the diagnostic's digest use the "C" collation (their unique
    indexes compare bytes), and the staged keys arrive in that order, so the probes and inserts walk
    the index leaf by leaf (the order Python sorts str in is the same byte order)."""
    if connection.vendor != "postgresql":
        pytest.skip("collations and the staging table are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE (table_name, column_name) IN (('campaigns_recipient', 'email'), ('campaigns_diagnostic', 'sha1'))")
        assert {(t, c): coll for t, c, coll in cursor.fetchall()} == {
            ("campaigns_recipient", "email"): "C", ("campaigns_diagnostic", "sha1"): "C"}
    pairs = [(f"{name}@corp.example", "corp.example") for name in ("zoe", "Ángel".lower(), "bob", "_x", "ana", "b0b")]
    with connection.cursor() as cursor:
        ids, created = importer._pg_get_or_create_ids(
            cursor, "campaigns_recipient", "email", "domain", pairs, org_a.id, existing_first=False)
        cursor.execute("SELECT k FROM campaigns_recipient_staging")
        staged = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT email FROM campaigns_recipient WHERE organization_id = %s ORDER BY email", [org_a.id])
        by_index_order = [row[0] for row in cursor.fetchall()]
    assert created == len(pairs) and set(ids) == {email for email, _ in pairs}
    assert staged == sorted(email for email, _ in pairs) == by_index_order


@pytest.mark.parametrize("pairs", [
    [("ana@acme.com", "acme.com"), ("bob@globex.com", "globex.com")],
    [("k1", "550 5.1.1 line one\nline two"), ("k2", "tab\there")],
    [("k1", "C:\\path"), ("k2", "carriage\rreturn")],
    [("plain", "text"), ("k\t2", "")],
    [],
])
def test_staged_pairs_are_escaped_exactly_when_they_need_it(pairs):
    """The fast join of (key, extra) pairs gives the same COPY text as escaping every value."""
    expected = "".join(f"{importer._esc(k)}\t{importer._esc(x)}\n" for k, x in pairs)
    assert importer._copy_pairs(pairs) == expected
