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


def test_a_named_file_with_no_bounce_is_said_and_the_exit_stays_zero(tmp_path):
    # Issue 16: non-zero only when an input cannot be read.
    notes = tmp_path / "notes.txt"
    notes.write_text("Shopping list: milk, eggs\n")
    err = io.StringIO()
    call_command("classify_bounces", str(notes), stdout=io.StringIO(), stderr=err)
    assert f"{notes}: not a bounce email" in err.getvalue()


def test_a_guessed_recipient_says_its_low_confidence(tmp_path):
    path = tmp_path / "notice.eml"
    # A notice that names no recipient: the returned original's To is the best guess.
    path.write_bytes(b"From: MAILER-DAEMON@relay.example.net\r\nTo: news@shop.example.com\r\n"
                     b"Subject: Delivery failure\r\n\r\nThe message could not be delivered.\r\n\r\n"
                     b"------ This is a copy of the original message ------\r\n"
                     b"To: kim@example.org\r\nSubject: hello\r\n\r\nHi\r\n")
    (row,) = _run(str(path))
    assert (row["recipient"], row["confidence"]) == ("kim@example.org", "low")


def test_many_rows_are_written_whole_and_in_order(tmp_path):
    # The command writes in batches: every row arrives, once, in the order read.
    for n in range(600):
        (tmp_path / f"m{n:04d}.eml").write_bytes(DSN.replace(b"gone@example.org", f"gone{n}@example.org".encode()))
    rows = _run(str(tmp_path))
    assert [r["recipient"] for r in rows] == [f"gone{n}@example.org" for n in range(600)]
