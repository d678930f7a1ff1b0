"""Property tests: whatever bytes arrive, detection and reading end in records, RowErrors or one
UnsupportedFormat — never a traceback."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliverability.ingest import Record, RowError, UnsupportedFormat, read_records
from deliverability.ingest.detect import detect_sample
from deliverability.ingest.values import parse_timestamp, split_reply

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

HEADERS = ["email", "Email Address", "status", "event", "SMTP Response", "reply code", "enhanced status",
           "timestamp", "campaign", "diagnostic", "type", "???", "", "rcpt"]
cells = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["delivered", "bounce", "hard_bounce", "5.1.1", "550", "a@b.example", "x@", "@y",
                     "2026-10-01T09:00:00Z", "1790845202", "1790845202000", "Thu, 01 Oct 2026 09:00:00 +0000",
                     "=SUM(1)", "<script>", "\x00", '"', "\r\n", ";", "\t"]),
)


def read_bytes(tmp_path, data: bytes, fmt: str = "auto"):
    path = tmp_path / "fuzz.dat"
    path.write_bytes(data)
    try:
        items = list(read_records(path, fmt))
    except UnsupportedFormat:
        return None
    for item in items:
        assert isinstance(item, (Record, RowError))
        if isinstance(item, Record):
            # an ESP's event for a value that is no address is kept, flagged (test_esp_events: the client sees
            # the list entry to fix); anything else is an address
            assert "@" in item.email or item.address_invalid
            assert item.occurred_at is None or item.occurred_at.tzinfo is not None
    return items


@FAST
@given(data=st.binary(max_size=2000))
def test_detection_of_arbitrary_bytes_returns_a_format_or_refuses(data):
    try:
        assert isinstance(detect_sample(data), str)
    except UnsupportedFormat as exc:
        assert str(exc)


@FAST
@given(data=st.binary(max_size=2000))
def test_reading_arbitrary_bytes_never_raises(tmp_path, data):
    read_bytes(tmp_path, data)


@FAST
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
    rows=st.lists(st.lists(cells, max_size=7), max_size=15),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_of_random_cells_never_raises(tmp_path, header, rows, delimiter, encoding):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    read_bytes(tmp_path, out.getvalue().encode(encoding, errors="replace"))


@FAST
@given(text=st.text(max_size=3000), fmt=st.sampled_from(["csv", "sendgrid", "ses", "mailgun", "postmark", "hubspot", "mailchimp", "dsn"]))
def test_any_text_forced_through_any_reader_never_raises(tmp_path, text, fmt):
    read_bytes(tmp_path, text.encode("utf-8", errors="replace"), fmt)


@FAST
@given(value=st.one_of(st.text(max_size=80), st.integers(), st.floats(allow_nan=True)))
def test_timestamps_parse_or_raise_value_error(value):
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        return
    assert parsed is None or (isinstance(parsed, datetime) and parsed.tzinfo is not None)


@FAST
@given(text=st.text(max_size=300))
def test_reply_splitting_never_raises(text):
    code, status = split_reply(text)
    assert code is None or 200 <= code <= 599
    assert status is None or status[0] in "245"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["bounce", "failed", "Bounce", "HardBounce", "a@b.example", "5.1.1", "550 5.1.1 x"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["event", "email", "recipient", "Email", "type", "Type", "notificationType", "bounce",
                         "bouncedRecipients", "emailAddress", "mail", "event-data", "delivery-status", "code",
                         "items", "Bounces", "events", "timestamp", "created", "severity", "reason", "Message",
                         "TopicArn", "RecordType", "activity", "x"]),
        children, max_size=5),
    max_leaves=25,
)


@FAST
@given(value=json_values, fmt=st.sampled_from(["sendgrid", "ses", "mailgun", "postmark", "hubspot", "mailchimp"]),
       lines=st.booleans())
def test_esp_readers_survive_arbitrary_json_shapes(tmp_path, value, fmt, lines):
    import json

    text = json.dumps(value)
    if lines:
        text = text + "\n" + text + "\n"
    read_bytes(tmp_path, text.encode(), fmt)


ODD_SHAPES = [
    '{"notificationType":"Complaint","complaint":{"complainedRecipients":5}}',
    '{"notificationType":"Delivery","delivery":{"recipients":7}}',
    '{"eventType":"Open","mail":{"destination":3}}',
    '{"notificationType":"Bounce","bounce":{"bouncedRecipients":true}}',
    '{"events":[{"type":"STATUSCHANGE","subscriptions":9,"recipient":"a@b.c"}]}',
    '{"emails":[{"email_address":"a@b.c","activity":5}]}',
    '{"Bounces":[{"Type":"HardBounce","Email":"a@b.c","TypeCode":"x","BouncedAt":[1]}]}',
    '{"event-data":{"event":"failed","recipient":"a@b.c","campaigns":5,"user-variables":3,"timestamp":"nan"}}',
    '[{"email":"a@b.c","event":"bounce","timestamp":1e300}]',
    '{"Type":"Notification","TopicArn":"x","Message":"[1]"}',
    '{"mail":{"tags":{"campaign":[{"a":1}]},"destination":["a@b.c"]},"eventType":"Open"}',
]


def test_odd_json_shapes_found_by_review_are_row_errors_or_records(tmp_path):
    for text in ODD_SHAPES:
        for fmt in ("sendgrid", "ses", "mailgun", "postmark", "hubspot", "mailchimp"):
            read_bytes(tmp_path, text.encode(), fmt)
