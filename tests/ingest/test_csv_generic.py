"""The generic CSV reader: column aliases, vocabularies, timestamps, encodings, delimiters, mapping."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliverability.ingest import ColumnMappingNeeded, UnsupportedFormat, read_records
from deliverability.ingest.csv_generic import STATUS_WORDS, map_columns

from .conftest import FIXTURES, read_all


def write(tmp_path, text: str, name: str = "f.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_every_event_type_is_read_from_its_status_vocabulary():
    result = read_all(FIXTURES / "csv/results_comma.csv")
    assert result.types() == {"delivered": 1, "bounce": 4, "deferred": 1, "dropped": 1, "suppressed": 1,
                              "open": 1, "click": 1, "complaint": 1, "unsubscribe": 1}


def test_row_problems_become_row_errors_with_spreadsheet_row_numbers_and_reading_goes_on():
    result = read_all(FIXTURES / "csv/results_comma.csv")
    assert [(e.row, e.message.split(" ")[0]) for e in result.errors] == [(14, "invalid"), (15, "unknown"), (16, "unreadable")]
    assert result.records[0].row == 2  # the header is row 1


def test_reply_code_and_enhanced_status_are_parsed_out_of_a_one_string_response():
    bob = read_all(FIXTURES / "csv/results_comma.csv").by_email("bob@acme.example")
    assert (bob.reply_code, bob.enhanced_status) == (550, "5.1.1")
    assert bob.diagnostic.startswith("550 5.1.1 <bob@acme.example>")


def test_esp_hard_soft_labels_are_kept_raw_beside_the_event_type():
    result = read_all(FIXTURES / "csv/results_comma.csv")
    bob = result.by_email("bob@acme.example")
    assert bob.event_type == "bounce"
    assert bob.esp_labels == {"status": "hard_bounce", "Bounce Type": "hard"}
    assert result.by_email("dev@initech.example").esp_labels["status"] == "soft_bounce"


def test_timestamps_in_iso_epoch_seconds_milliseconds_and_rfc2822_are_all_aware():
    result = read_all(FIXTURES / "csv/results_comma.csv")
    expected = datetime(2026, 10, 1, 9, 0, 2, tzinfo=UTC)
    assert result.by_email("bob@acme.example").occurred_at == expected
    assert result.by_email("cara@globex.example").occurred_at == expected  # 1790845202
    assert result.by_email("dev@initech.example").occurred_at == datetime(2026, 10, 1, 9, 0, 3, tzinfo=UTC)
    assert result.by_email("eve@gmail.com").occurred_at == datetime(2026, 10, 1, 9, 0, 4, tzinfo=UTC)
    naive = result.by_email("fay@acme.example").occurred_at
    assert naive.tzinfo is not None and naive.hour == 9  # naive times are taken as UTC


def test_campaign_column_gives_several_campaigns_in_one_file():
    result = read_all(FIXTURES / "csv/results_comma.csv")
    assert {r.campaign for r in result.records} == {"October newsletter", "October promo"}


def test_event_id_column_is_kept_for_deduplication():
    assert read_all(FIXTURES / "csv/results_comma.csv").by_email("ann@acme.example").esp_event_id == "e1"


def test_semicolons_cp1252_and_split_smtp_columns():
    result = read_all(FIXTURES / "csv/results_semicolon_cp1252.csv")
    renee = result.by_email("renée@société.example")
    assert (renee.reply_code, renee.enhanced_status) == (550, "5.1.1")
    assert renee.diagnostic == "Destinataire inconnu – boîte introuvable"
    # Slashed dates are read month-first, the US export default: a known ambiguity for day-first
    # files like this French one, which need ISO dates or a per-file choice (not built yet).
    assert renee.occurred_at == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def test_tabs_and_a_utf8_bom_are_handled():
    result = read_all(FIXTURES / "csv/results_tab_bom.tsv")
    assert [r.email for r in result.records] == ["ana@beispiel.example", "bo@beispiel.example"]
    assert result.records[0].diagnostic == "550 5.7.1 Nachricht abgelehnt – Richtlinie"


def test_utf16_excel_unicode_text_export_is_read(tmp_path):
    path = tmp_path / "excel.txt"
    path.write_bytes("Email\tStatus\r\nx@y.example\tdelivered\r\n".encode("utf-16"))
    assert [r.email for r in read_all(path).records] == ["x@y.example"]


def test_without_a_status_column_the_event_comes_from_the_reply_code_class():
    result = read_all(FIXTURES / "csv/diagnostic_only.csv")
    assert [(r.email, r.event_type, r.remote_mta) for r in result.records] == [
        ("a@x.example", "bounce", "mx1.x.example"), ("b@x.example", "deferred", "mx1.x.example")]
    assert len(result.errors) == 1


@pytest.mark.parametrize("header", ["Email", "EMAIL_ADDRESS", "e-mail", "Recipient", "rcpt", "Email Address"])
def test_email_header_aliases_are_case_and_punctuation_insensitive(tmp_path, header):
    path = write(tmp_path, f"{header},Event\nq@r.example,Delivered\n")
    assert read_all(path).records[0].email == "q@r.example"


@pytest.mark.parametrize("word", sorted(STATUS_WORDS))
def test_every_status_word_maps_to_a_known_event_type(word):
    from deliverability.ingest import EVENT_TYPES

    assert STATUS_WORDS[word] in EVENT_TYPES


def test_status_words_are_matched_ignoring_case_and_punctuation(tmp_path):
    path = write(tmp_path, "email,status\na@b.example,Hard-Bounce\nc@b.example, DELIVERED \nd@b.example,spam_report\n")
    assert [r.event_type for r in read_all(path).records] == ["bounce", "delivered", "complaint"]


def test_a_dsn_style_status_column_holding_the_enhanced_code_is_understood(tmp_path):
    path = write(tmp_path, "email,status,diagnostic\na@b.example,5.1.1,user unknown\nc@b.example,4.2.2,full\n")
    records = read_all(path).records
    assert [(r.event_type, r.enhanced_status) for r in records] == [("bounce", "5.1.1"), ("deferred", "4.2.2")]


def test_an_unrecognised_required_column_asks_for_a_mapping_with_headers_and_first_rows():
    with pytest.raises(ColumnMappingNeeded) as caught:
        read_records(FIXTURES / "csv/unmappable.csv")
    exc = caught.value
    assert isinstance(exc, UnsupportedFormat)
    assert exc.headers == ["Contact", "Outcome Code", "When"]
    assert exc.sample == [["a@x.example", "D", "2026-10-01"], ["b@x.example", "B", "2026-10-01"]]
    # The address column headed "Contact" is found by its values (issue 19); the status is asked for.
    assert set(exc.missing) == {"event_type"}
    assert "the status" in str(exc)


def test_a_mapping_overrides_the_aliases():
    path = FIXTURES / "csv/needs_status_mapping.csv"
    result = read_all(path, "csv", {"Result of send": "event_type", "When": "occurred_at"})
    assert [r.event_type for r in result.records] == ["delivered", "bounce"]
    assert result.records[0].occurred_at.year == 2026


def test_mapping_accepts_the_upload_page_field_names(tmp_path):
    path = write(tmp_path, "A,B,C,D\nx@y.example,bounce,550 5.1.1 nope,hard\n")
    mapping = {"A": "email", "B": "event_type", "C": "smtp_response", "D": "esp_label"}
    record = read_all(path, "csv", mapping).records[0]
    assert (record.reply_code, record.enhanced_status, record.esp_labels) == (550, "5.1.1", {"D": "hard"})


def test_mapping_a_column_to_ignore_hides_an_alias(tmp_path):
    path = write(tmp_path, "email,status,reason,smtp response\nx@y.example,bounce,ESP text,550 5.1.1 real\n")
    record = read_all(path, "csv", {"reason": "ignore"}).records[0]
    assert record.diagnostic == "550 5.1.1 real"


def test_an_unknown_mapping_field_is_refused_clearly(tmp_path):
    path = write(tmp_path, "email,status\nx@y.example,bounce\n")
    with pytest.raises(UnsupportedFormat, match="Unknown field 'colour'"):
        read_records(path, "csv", {"status": "colour"})


def test_short_rows_are_padded_and_blank_lines_skipped(tmp_path):
    path = write(tmp_path, "email,status,response\n\nx@y.example,delivered\n,,\n")
    result = read_all(path)
    assert [r.email for r in result.records] == ["x@y.example"] and not result.errors


def test_unknown_extra_columns_are_ignored(tmp_path):
    path = write(tmp_path, "email,status,favourite colour\nx@y.example,delivered,blue\n")
    assert read_all(path).records[0].esp_labels == {}


def test_map_columns_prefers_event_over_status_when_both_exist():
    columns, _ = map_columns(["Email", "Status", "Event"])
    assert columns["event_type"] == 2


def test_reading_is_lazy_and_constant_memory_for_a_large_file(tmp_path):
    """GIVEN a 50 MB file WHEN we take the first records THEN the reader has not read it all."""
    path = tmp_path / "big.csv"
    with open(path, "w") as handle:
        handle.write("email,status\n")
        line = "someone@example.com,delivered\n"
        handle.write(line * (50_000_000 // len(line)))
    records = read_records(path)
    first = [next(records) for _ in range(3)]
    assert [r.row for r in first] == [2, 3, 4]
    records.close()


@pytest.mark.parametrize(("header", "rows"), [
    ("correu;estat;data;campanya;resposta",
     ["anna@acme.com;lliurat;2026-11-02 09:00;Tardor;250 OK",
      "pere@acme.com;Retornat;2026-11-02 09:01;Tardor;550 5.1.1 user unknown",
      "marta@acme.com;donat de baixa;2026-11-02 09:02;Tardor;"]),
    ("Correo electrónico,Estado,Fecha,Campaña,Respuesta",
     ["anna@acme.com,Entregado,2026-11-02 09:00,Otoño,250 OK",
      "pere@acme.com,Rebotado,2026-11-02 09:01,Otoño,550 5.1.1 user unknown",
      "marta@acme.com,Baja,2026-11-02 09:02,Otoño,"]),
])
def test_catalan_and_spanish_exports_are_read_without_asking(tmp_path, header, rows):
    """Column names and status words as a Catalan or Spanish spreadsheet writes them, accents or not."""
    result = read_all(write(tmp_path, "\n".join([header, *rows]) + "\n"))
    assert not result.errors, result.errors
    records = result.records
    assert [r.event_type for r in records] == ["delivered", "bounce", "unsubscribe"]
    assert records[1].reply_code == 550 and records[1].enhanced_status == "5.1.1"
    assert records[0].campaign in ("Tardor", "Otoño") and records[0].occurred_at.day == 2


# --- A value holding the separator without quotes (hand-made and naively written CSVs; new-user trial, 5 Dec 2026) ---
def _read_text(tmp_path, text: str, name: str = "export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_all(path)


def test_a_reply_in_the_last_column_holding_the_separator_is_read_whole(tmp_path):
    result = _read_text(tmp_path, "Correu;Estat;Data;Resposta\n"
                                  "joan@acme.com;Retornat;05/11/2026 09:38;550 5.7.1 Servei no disponible; host client "
                                  "bloquejat per Spamhaus\n"
                                  "pau@acme.com;Lliurat;05/11/2026 09:39;250 2.0.0 OK\n")
    assert not result.errors
    assert result.by_email("joan@acme.com").diagnostic == (
        "550 5.7.1 Servei no disponible; host client bloquejat per Spamhaus")


def test_a_value_holding_the_separator_elsewhere_refuses_the_row_and_says_why(tmp_path):
    result = _read_text(tmp_path, "email,status,date,reply\n"
                                  "ana@acme.com,bounced,Nov 05, 2026 09:00,550 5.1.1 unknown\n"
                                  "bob@acme.com,delivered,2026-11-05 09:01,250 OK\n")
    assert [r.email for r in result.records] == ["bob@acme.com"]
    [error] = result.errors
    assert error.row == 2 and "5 cells where the header has 4" in error.message and "comma" in error.message


def test_trailing_empty_cells_are_not_an_overflow(tmp_path):
    result = _read_text(tmp_path, "email,status,response\nana@acme.com,delivered,250 OK,,\n")
    assert not result.errors and result.records[0].diagnostic == "250 OK"


def test_an_esp_export_with_a_shifted_row_says_why_instead_of_misreading_it(tmp_path):
    header = "Recipient,Sent At (Your time zone),Delivered,Opened,Clicked,Bounce,Bounce Reason,Not Sent Reason,Spam Report,Unsubscribed\n"
    result = _read_text(tmp_path, header + "ana@acme.com,Nov 05, 2026 09:00 AM,true,false,false,false,,,false,false\n"
                                           "bob@acme.com,2026-11-05 09:00,true,false,false,false,,,false,false\n",
                        name="hubspot.csv")
    assert [r.email for r in result.records] == ["bob@acme.com"]
    [error] = result.errors
    assert "11 cells where the header has 10" in error.message
