"""A JSON number too long for Python's int() (over 4,300 digits) is one bad value, not a failed file."""
from __future__ import annotations

import json

from .conftest import FIXTURES, read_all


def test_a_5000_digit_timestamp_is_a_row_error_and_the_rest_is_read(tmp_path):
    path = tmp_path / "events.json"
    path.write_text((FIXTURES / "sendgrid/events.json").read_text())
    before = len(read_all(path).records)
    events = json.loads(path.read_text())
    delivered = next(e for e in events if e["event"] == "delivered")
    delivered["timestamp"] = "HUGE"
    path.write_text(json.dumps(events).replace('"HUGE"', "9" * 5000))
    result = read_all(path)
    assert len(result.records) == before - 1
    assert [e.message for e in result.errors] == ["unreadable date 'inf'"]


def test_the_same_in_json_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"email": "a@b.example", "event": "bounce", "timestamp": %s, "sg_event_id": "x"}\n' % ("9" * 5000)
                    + '{"email": "c@d.example", "event": "delivered", "timestamp": 1790845200, "sg_event_id": "y"}\n')
    result = read_all(path)
    assert len(result.records) == 1 and len(result.errors) == 1
