"""Hostile files never crash a reader: they yield records, RowErrors, or one UnsupportedFormat."""
from __future__ import annotations

import pytest

from deliverability.ingest import FORMATS, Record, RowError, UnsupportedFormat, detect_format, read_records
from deliverability.ingest.values import MAX_CELL_CHARS

from .conftest import FIXTURES, read_all


def drain(path, fmt="auto"):
    """Read everything; only UnsupportedFormat may escape."""
    try:
        return list(read_records(path, fmt))
    except UnsupportedFormat:
        return None


def test_formulas_and_html_are_kept_as_inert_text():
    result = read_all(FIXTURES / "hostile/formulas_and_html.csv")
    assert [e.row for e in result.errors] == [2]  # "=cmd|…@evil.example" is not an address
    ann = result.by_email("ann@acme.example")
    assert ann.diagnostic.startswith("<script>") and ann.campaign == "+SUM(1+1)"
    cara = result.by_email("cara@acme.example")
    assert cara.diagnostic == '550 5.1.1 line one\nline two with "quotes", and a comma'


def test_nul_bytes_do_not_stop_the_reader():
    result = read_all(FIXTURES / "hostile/nul_bytes.csv")
    assert len(result.records) + len(result.errors) == 3
    assert result.by_email("fine@acme.example").event_type == "bounce"


def test_a_10_mb_cell_is_read_and_truncated_with_a_statement(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "w") as handle:
        handle.write("email,status,diagnostic\n")
        handle.write('a@b.example,bounce,"550 5.1.1 ' + "x" * 10_000_000 + '"\n')
        handle.write("c@b.example,delivered,250 OK\n")
    result = read_all(path)
    big = result.by_email("a@b.example")
    assert len(big.diagnostic) == MAX_CELL_CHARS and big.reply_code == 550
    assert "cut from 10,000,010" in big.esp_labels["truncated"]
    assert result.by_email("c@b.example").event_type == "delivered"


def test_a_file_without_newlines_is_read_in_bounded_pieces(tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_text("email,status\n" + "a@b.example,delivered," * 1_500_000)  # 33 MB, no newline
    items = list(read_records(path))
    assert items and all(isinstance(i, (Record, RowError)) for i in items)


def test_a_cell_over_the_csv_field_limit_is_one_row_error_not_a_crash(tmp_path):
    path = tmp_path / "over.csv"
    with open(path, "w") as handle:
        handle.write("email,status,diagnostic\n")
        handle.write('a@b.example,bounce,"' + "y" * 17_000_000 + '"\n')
        handle.write("c@b.example,delivered,250 OK\n")
    items = list(read_records(path))
    assert any(isinstance(i, RowError) for i in items)


def test_junk_values_inside_esp_json_are_row_errors():
    result = read_all(FIXTURES / "hostile/mailgun_junk_values.jsonl", "mailgun")
    assert [r.email for r in result.records] == ["x@y.example"]
    assert len(result.errors) >= 3


def test_deeply_nested_json_is_a_row_error():
    with pytest.raises(UnsupportedFormat):
        detect_format(FIXTURES / "hostile/deep_nesting.json")
    result = read_all(FIXTURES / "hostile/deep_nesting.json", "sendgrid")
    assert not result.records and result.errors


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "zip"])
@pytest.mark.parametrize("name", ["hostile/formulas_and_html.csv", "hostile/nul_bytes.csv",
                                  "hostile/deep_nesting.json", "sendgrid/events.json", "dsn/postfix_dsn.eml",
                                  "mailchimp/cleaned_members_export_3c3a1f.csv"])
def test_any_file_forced_through_any_reader_never_raises_anything_but_unsupported_format(fmt, name):
    items = drain(FIXTURES / name, fmt)
    assert items is None or all(isinstance(i, (Record, RowError)) for i in items)


def test_random_binary_is_refused(tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(256)) * 100)
    assert drain(path) is None
