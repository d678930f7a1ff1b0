"""classify_bounces: the JSON line contract other tools read."""
import io
import json
import sys

from django.core.management import call_command

from deliverability.bounces.report import OUTPUT_KEYS
from tests.bounces.test_bad_input import DSN


def _run(*args, stdin=None):
    out = io.StringIO()
    old = sys.stdin
    try:
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        call_command("classify_bounces", *args, stdout=out, stderr=io.StringIO())
    finally:
        sys.stdin = old
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_files_print_one_object_per_recipient_with_exactly_the_documented_keys(tmp_path):
    path = tmp_path / "one.eml"
    path.write_bytes(DSN)
    (row,) = _run(str(path))
    assert tuple(row) == OUTPUT_KEYS
    assert row["source"] == str(path) and row["index"] == 1
    assert (row["recipient"], row["category"], row["hard"]) == ("gone@example.org", "invalid_mailbox", True)


def test_text_option_classifies_one_diagnostic():
    (row,) = _run("--text", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)")
    assert tuple(row) == OUTPUT_KEYS
    assert (row["category"], row["signature"], row["vendor"]) == ("invalid_mailbox", "gateway_directory_unknown",
                                                                  "microsoft365")


def test_dash_reads_json_lines_from_stdin():
    rows = _run("-", stdin='{"diagnostic": "552 5.2.2 Mailbox full", "status": "5.2.2", "reply_code": 552}\nnot json\n')
    assert [r["category"] for r in rows] == ["mailbox_full"]
