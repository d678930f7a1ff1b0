"""Bad input: every file gets a record or a one-line error — never a traceback, never a hang."""
import io
import time
import zipfile

from deliverability.bounces.classify import classify_record
from deliverability.bounces.reading import parse_message
from deliverability.bounces.report import rows_for_paths
from deliverability.bounces.sources import iter_messages

DSN = (
    b"From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=BB\r\n\r\n"
    b"--BB\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n\r\n"
    b"--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown\r\n\r\n"
    b"--BB--\r\n"
)


def _categories(records):
    return [classify_record(r).category for r in records]


def test_a_plain_dsn_gives_its_recipient():
    (record,) = parse_message(DSN)
    assert record.recipient == "gone@example.org"
    assert (record.status, record.reply_code, record.action) == ("5.1.1", 550, "failed")


def test_malformed_mime_gives_an_unknown_record_with_a_reason():
    data = b"Content-Type: multipart/report; boundary=\"\r\n\r\n--\x00\x01garbage--\r\n"
    records = parse_message(data)
    assert records and _categories(records) == ["unknown"]
    assert records[0].note


def test_missing_headers_and_empty_input():
    for data in (b"", b"\r\n\r\n", b"no headers at all, just text"):
        records = parse_message(data)
        assert len(records) == 1 and _categories(records) == ["unknown"]


def test_non_utf8_bytes_are_tolerated():
    data = DSN.replace(b"User unknown", b"Utilisateur inconnu \xe9\xff\xfe")
    (record,) = parse_message(data)
    assert record.recipient == "gone@example.org"
    assert "\ufffd" in record.diagnostic or "inconnu" in record.diagnostic


def test_binary_attachment_does_not_confuse_the_parser():
    attachment = (b"--BB\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                  b"Content-Disposition: attachment; filename=x.bin\r\n\r\n" + b"AAEC" * 5000 + b"\r\n")
    data = DSN.replace(b"--BB--", attachment + b"--BB--")
    (record,) = parse_message(data)
    assert record.recipient == "gone@example.org"


def test_a_50_mb_email_is_read_quickly():
    big = DSN.replace(b"--BB--", b"--BB\r\nContent-Type: text/plain\r\n\r\n" + b"x" * (50 * 1024 * 1024) + b"\r\n--BB--")
    started = time.monotonic()
    records = parse_message(big)
    assert time.monotonic() - started < 10
    assert records[0].recipient == "gone@example.org"


def test_broken_mbox_separator_keeps_the_other_messages(tmp_path):
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(
        b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n" + DSN.replace(b"\r\n", b"\n")
        + b"\nFrom this line is body text, not a separator\n"
        + b"From MAILER-DAEMON Mon Jan  1 00:00:01 2024\n" + DSN.replace(b"\r\n", b"\n").replace(b"gone@", b"left@")
    )
    items = list(iter_messages(mbox))
    assert [label for label, _, _ in items] == [f"{mbox}#1", f"{mbox}#2"]
    assert all(error is None for _, _, error in items)


def _zip_with(tmp_path, entries):
    path = tmp_path / "bounces.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def test_zip_path_traversal_member_is_skipped_with_an_error(tmp_path):
    path = _zip_with(tmp_path, [("../../etc/evil.eml", DSN), ("ok.eml", DSN)])
    items = {label: error for label, _, error in iter_messages(path)}
    assert "path traversal" in items[f"{path}!../../etc/evil.eml"]
    assert items[f"{path}!ok.eml"] is None


def test_zip_bomb_is_refused_without_expanding_it(tmp_path):
    path = _zip_with(tmp_path, [("bomb.eml", b"\0" * (200 * 1024 * 1024)), ("ok.eml", DSN)])
    started = time.monotonic()
    items = {label: error for label, _, error in iter_messages(path)}
    assert time.monotonic() - started < 5
    assert "zip bomb" in items[f"{path}!bomb.eml"]
    assert items[f"{path}!ok.eml"] is None


def test_truncated_zip_gives_a_one_line_error(tmp_path):
    good = _zip_with(tmp_path, [("ok.eml", DSN)])
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:-30])
    rows = list(rows_for_paths([str(broken)]))
    assert rows and all(row["category"] == "unknown" for row in rows)


def test_directory_is_read_recursively_and_bad_files_do_not_stop_it(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "one.eml").write_bytes(DSN)
    (tmp_path / "a" / "junk.eml").write_bytes(b"\xff\xfe\x00garbage")
    staging = tmp_path.parent / f"{tmp_path.name}-staging"
    staging.mkdir()
    (tmp_path / "zipped.zip").write_bytes(_zip_with(staging, [("two.eml", DSN)]).read_bytes())
    rows = list(rows_for_paths([str(tmp_path)]))
    recipients = [row["recipient"] for row in rows]
    assert recipients.count("gone@example.org") == 2
    assert any(row["category"] == "unknown" for row in rows)


def test_missing_path_is_an_error_not_an_exception():
    ((label, data, error),) = list(iter_messages("/nonexistent/bounces.eml"))
    assert data is None and "no such file" in error


def test_nested_zip_is_not_expanded(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        inner.writestr("x.eml", DSN)
    path = _zip_with(tmp_path, [("inner.zip", buffer.getvalue())])
    ((label, data, error),) = list(iter_messages(path))
    assert data is None and "nested zip" in error
