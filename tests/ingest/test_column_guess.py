"""Columns recognised by their values, status values mapped by the user, the mapping page's survey (issue 19)."""
from __future__ import annotations

from collections import Counter

import pytest

from deliverability.ingest import csv_generic
from deliverability.ingest.records import Record, RowError, UnsupportedFormat
from deliverability.ingest.textio import Peeked

GERMAN = (b"Kontakt;Ergebnis;Zeit;Antwort\n"
          b"ana@acme.com;zugestellt;2026-11-02 09:00:00;250 2.0.0 OK\n"
          b"bob@acme.com;unzustellbar;2026-11-02 09:01:00;550 5.1.1 user unknown\n"
          b"carla@acme.com;zugestellt;2026-11-02 09:02:00;250 2.0.0 OK\n"
          b"dan@acme.com;in Warteschlange;2026-11-02 09:03:00;\n")


def read(data: bytes, **kwargs):
    return list(csv_generic.read(Peeked.from_bytes(data, "upload.csv"), **kwargs))


def test_an_address_column_headed_contact_is_found_by_its_values():
    items = read(b"Contact,status\nana@acme.com,delivered\nbob@acme.com,bounced\n")
    assert [(r.email, r.event_type) for r in items] == [("ana@acme.com", "delivered"), ("bob@acme.com", "bounce")]


def test_a_status_column_in_known_words_is_found_by_its_values():
    items = read(b"Contact,Ergebnis\nana@acme.com,delivered\nbob@acme.com,bounced\n")
    assert [r.event_type for r in items] == ["delivered", "bounce"]


def test_a_column_of_names_is_not_taken_for_the_address():
    with pytest.raises(csv_generic.ColumnMappingNeeded):
        read(b"Person,status\nAna Perez,delivered\nBob,bounced\n")


def test_status_values_in_another_language_are_read_as_the_user_says():
    skipped: Counter = Counter()
    items = read(GERMAN, mapping={"Kontakt": "email", "Ergebnis": "event_type", "Zeit": "occurred_at",
                                  "Antwort": "smtp_response"},
                 status_values={"Zugestellt": "delivered", "UNZUSTELLBAR": "bounce", "in warteschlange": "ignore"},
                 skipped=skipped)
    assert all(isinstance(r, Record) for r in items)
    assert [(r.email, r.event_type) for r in items] == [
        ("ana@acme.com", "delivered"), ("bob@acme.com", "bounce"), ("carla@acme.com", "delivered")]
    assert items[1].esp_labels["status"] == "unzustellbar" and items[1].enhanced_status == "5.1.1"
    assert sum(skipped.values()) == 1


def test_an_unmapped_status_value_stays_a_row_error():
    items = read(GERMAN, mapping={"Kontakt": "email", "Ergebnis": "event_type"}, status_values={"zugestellt": "delivered"})
    errors = [i for i in items if isinstance(i, RowError)]
    assert [e.row for e in errors] == [3, 5] and "unzustellbar" in errors[0].message


def test_a_status_meaning_outside_the_vocabulary_is_refused():
    with pytest.raises(UnsupportedFormat, match="Unknown meaning"):
        read(GERMAN, mapping={"Kontakt": "email", "Ergebnis": "event_type"}, status_values={"zugestellt": "maybe"})


def test_the_survey_guesses_every_column_and_lists_the_status_values():
    found = csv_generic.survey(Peeked.from_bytes(GERMAN, "upload.csv"))
    assert found.mapping == {"Kontakt": "email", "Ergebnis": "event_type", "Zeit": "occurred_at",
                             "Antwort": "diagnostic"}
    assert found.status_values == [("zugestellt", 2, None), ("unzustellbar", 1, None), ("in Warteschlange", 1, None)]
    assert found.rows_scanned == 4 and found.complete


def test_the_survey_follows_the_users_mapping_and_meanings():
    found = csv_generic.survey(Peeked.from_bytes(GERMAN, "upload.csv"),
                               mapping={"Kontakt": "email", "Ergebnis": "event_type", "Zeit": "ignore"},
                               status_values={"zugestellt": "delivered"})
    assert found.mapping == {"Kontakt": "email", "Ergebnis": "event_type", "Zeit": "ignore", "Antwort": "ignore"}
    assert {v: m for v, _, m in found.status_values} == {
        "zugestellt": "delivered", "unzustellbar": None, "in Warteschlange": None}


def test_the_survey_reads_known_headers_first_and_never_guesses_a_field_twice():
    data = b"email,status,Kontakt 2\nana@acme.com,delivered,bob@acme.com\nbob@acme.com,bounced,carla@acme.com\n"
    found = csv_generic.survey(Peeked.from_bytes(data, "upload.csv"))
    assert found.mapping == {"email": "email", "status": "event_type", "Kontakt 2": "ignore"}
    assert [v for v, _, _ in found.status_values] == ["delivered", "bounced"]
    assert all(m for _, _, m in found.status_values)  # known words need no answer


def test_the_survey_stops_at_max_rows():
    data = b"email,status\n" + b"".join(b"a%d@acme.com,delivered\n" % i for i in range(50))
    found = csv_generic.survey(Peeked.from_bytes(data, "upload.csv"), max_rows=10)
    assert found.rows_scanned == 10 and not found.complete
    assert found.status_values == [("delivered", 10, "delivered")]


def _office(members: dict[str, str]) -> bytes:
    from tests.factories import zip_bytes

    return zip_bytes(members)


@pytest.mark.parametrize("members,says", [
    ({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<sheetData/>"},
     "is an Excel workbook"),
    ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office/>"},
     "is an OpenDocument spreadsheet"),
], ids=["xlsx", "ods"])
def test_a_spreadsheet_workbook_is_refused_with_how_to_get_the_csv(tmp_path, members, says):
    from deliverability.ingest import read_records

    path = tmp_path / "stored-copy"
    path.write_bytes(_office(members))
    with pytest.raises(UnsupportedFormat, match=says) as caught:
        list(read_records(path))
    assert "save it as CSV" in str(caught.value) and "stored-copy" in str(caught.value)
