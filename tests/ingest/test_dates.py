"""Slash dates and zone-less times in a generic CSV file (02/11/2026: 2 November in Barcelona, 11 February
in Boston): the file's order is decided from its own values (a number above 12 on one side), else from the
organisation's custom, else as the user said; what was decided is reported, never silently guessed."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deliverability.ingest import RowError, csv_generic, read_records
from deliverability.ingest.csv_generic import DATE_SCAN_ROWS, slash_order
from deliverability.ingest.values import day_first_in, parse_timestamp

HEADER = "email,status,date,campaign\n"


def write(tmp_path, rows: list[str]):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def read(path, **kwargs):
    notes: dict = {}
    items = list(read_records(path, "csv", notes=notes, **kwargs))
    return items, notes


def test_a_day_above_12_anywhere_in_the_first_rows_makes_every_slash_date_day_first(tmp_path):
    path = write(tmp_path, ["ana@acme.com,delivered,02/11/2026 09:00,Tardor",
                            "bob@acme.com,delivered,13/11/2026 10:30:15,Tardor"])
    items, notes = read(path, day_first=False)  # the default says month first: the values win
    assert [r.occurred_at for r in items] == [datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                                             datetime(2026, 11, 13, 10, 30, 15, tzinfo=UTC)]
    assert notes["dates"] == {"order": "day_first", "decided_by": "values", "example": "02/11/2026"}
    assert notes["times_without_zone"] is True


def test_a_second_number_above_12_makes_them_month_first(tmp_path):
    path = write(tmp_path, ["ana@acme.com,delivered,11/02/2026 9:00 AM,Fall",
                            "bob@acme.com,delivered,11/13/2026 2:30 PM,Fall"])
    items, notes = read(path, day_first=True)
    assert [r.occurred_at for r in items] == [datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                                             datetime(2026, 11, 13, 14, 30, tzinfo=UTC)]
    assert notes["dates"]["order"] == "month_first" and notes["dates"]["decided_by"] == "values"


@pytest.mark.parametrize(("day_first", "expected"), [(True, datetime(2026, 11, 2, 9, 0, tzinfo=UTC)),
                                                    (False, datetime(2026, 2, 11, 9, 0, tzinfo=UTC))])
def test_dates_that_do_not_show_their_order_follow_the_default_and_say_so(tmp_path, day_first, expected):
    path = write(tmp_path, ["ana@acme.com,delivered,02/11/2026 09:00,Tardor",
                            "bob@acme.com,delivered,03/11/2026 09:00,Tardor"])
    items, notes = read(path, day_first=day_first)
    assert items[0].occurred_at == expected
    assert notes["dates"]["decided_by"] == "default"


def test_the_users_order_wins_and_a_date_that_cannot_be_read_that_way_is_a_row_error(tmp_path):
    path = write(tmp_path, ["ana@acme.com,delivered,02/11/2026 09:00,Tardor",
                            "bob@acme.com,delivered,13/11/2026 09:00,Tardor"])
    items, notes = read(path, day_first=False, day_first_forced=True)
    assert items[0].occurred_at == datetime(2026, 2, 11, 9, 0, tzinfo=UTC)
    assert isinstance(items[1], RowError) and "13/11/2026" in items[1].message and "month/day" in items[1].message
    assert notes["dates"]["decided_by"] == "user"


def test_the_process_wide_timestamp_cache_never_decides_a_files_order(tmp_path):
    assert parse_timestamp("02/11/2026 09:00") == datetime(2026, 2, 11, 9, 0, tzinfo=UTC)  # cached, US order
    path = write(tmp_path, ["ana@acme.com,delivered,02/11/2026 09:00,Tardor",
                            "bob@acme.com,delivered,25/11/2026 09:00,Tardor"])
    items, _ = read(path)
    assert items[0].occurred_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_iso_times_with_a_zone_leave_no_note_and_zone_less_ones_are_reported(tmp_path):
    _, notes = read(write(tmp_path, ["ana@acme.com,delivered,2026-11-02T09:00:00Z,T"]))
    assert notes == {}
    _, notes = read(write(tmp_path, ["ana@acme.com,delivered,2026-11-02 09:00:00,T"]))
    assert notes == {"times_without_zone": True}


def test_the_order_is_decided_over_the_first_rows_and_every_row_is_still_read_once_in_order(tmp_path):
    rows = [f"p{i}@acme.com,delivered,0{1 + i % 9}/11/2026 09:00,T" for i in range(DATE_SCAN_ROWS + 50)]
    rows[DATE_SCAN_ROWS - 1] = "late@acme.com,delivered,30/11/2026 09:00,T"  # the last row scanned
    items, notes = read(write(tmp_path, rows), day_first=False)
    assert [r.row for r in items] == list(range(2, len(rows) + 2))
    assert notes["dates"]["decided_by"] == "values" and items[0].occurred_at.month == 11


def test_unreadable_csv_lines_among_the_scanned_rows_are_reported_in_place_and_the_scan_goes_on(tmp_path):
    """A line the csv module refuses (here: a field over its size limit) among the rows read ahead is a
    RowError in its place; the rows after it still count towards the order and are all read."""
    import csv as csv_module

    limit = csv_module.field_size_limit()
    csv_module.field_size_limit(100)
    try:
        path = write(tmp_path, ["ana@acme.com,delivered,02/11/2026 09:00,T",
                                "bob@acme.com,\"" + "x" * 200 + "\",03/11/2026 09:00,T",
                                "carla@acme.com,delivered,13/11/2026 09:00,T",
                                "dora@acme.com,delivered,04/11/2026 09:00,T"])
        items, notes = read(path, day_first=False)
    finally:
        csv_module.field_size_limit(limit)
    assert [type(i).__name__ for i in items] == ["Record", "RowError", "Record", "Record"]
    assert notes["dates"]["decided_by"] == "values"
    assert [i.occurred_at.day for i in items if not isinstance(i, RowError)] == [2, 13, 4]


def test_slash_dates_first_met_after_the_scanned_rows_follow_the_default_and_are_noted(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_generic, "DATE_SCAN_ROWS", 3)
    rows = [f"p{i}@acme.com,delivered,2026-11-0{i + 1}T09:00:00Z,T" for i in range(3)]
    rows += ["late@acme.com,delivered,02/11/2026 09:00,T"]
    assert parse_timestamp("02/11/2026 09:00").month == 2  # the shared cache holds the US reading
    items, notes = read(write(tmp_path, rows), day_first=True)
    assert items[-1].occurred_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert notes["dates"] == {"order": "day_first", "decided_by": "default", "example": "02/11/2026"}


def test_the_read_ahead_is_bounded_by_characters_too(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_generic, "DATE_SCAN_CHARS", 200)
    rows = [f"p{i}@acme.com,delivered,0{1 + i % 9}/11/2026 09:00,{'T' * 60}" for i in range(50)]
    rows.append("z@acme.com,delivered,13/11/2026 09:00,T")  # far beyond 200 characters: not scanned
    items, notes = read(write(tmp_path, rows), day_first=False)
    assert notes["dates"]["decided_by"] == "default" and len(items) == 51
    assert isinstance(items[-1], RowError) and "month/day" in items[-1].message


def test_slash_order_needs_one_sided_evidence():
    assert slash_order(["2026-11-02T09:00:00Z"]) is None
    assert slash_order(["02/11/2026", "03/11/2026"]) == "unknown"
    assert slash_order(["13/11/2026", "11/13/2026"]) == "unknown"
    assert slash_order(["13/11/26 09:00"]) == "day_first"


@pytest.mark.parametrize(("zone", "day_first"), [("Europe/Madrid", True), ("America/Mexico_City", True),
                                                 ("America/New_York", False), ("US/Pacific", False),
                                                 ("America/Indiana/Indianapolis", False), ("UTC", False),
                                                 ("Etc/GMT+2", False), ("Europe/London", True)])
def test_the_organisations_zone_gives_the_local_custom(zone, day_first):
    assert day_first_in(zone) is day_first


# --- A zip of CSV files: each member decides its own order; the page shows the decision the user may change ---
def _zip(tmp_path, members: dict[str, list[str]]):
    from tests.factories import zip_bytes

    path = tmp_path / "exports.zip"
    path.write_bytes(zip_bytes({name: HEADER + "".join(f"{row}\n" for row in rows) for name, rows in members.items()}))
    return path


SHOWN = ["ana@acme.com,delivered,13/11/2026 09:00,Tardor", "bob@acme.com,delivered,02/11/2026 09:00,Tardor"]
GUESSED = ["cy@acme.com,delivered,02/11/2026 09:00,Hivern"]


def test_zip_members_are_read_each_in_its_own_order_and_the_guessed_one_is_shown(tmp_path):
    notes: dict = {}
    items = list(read_records(_zip(tmp_path, {"a.csv": SHOWN, "b.csv": GUESSED}), notes=notes, day_first=False))
    days = {item.email: item.occurred_at.date().isoformat() for item in items}
    assert days == {"ana@acme.com": "2026-11-13", "bob@acme.com": "2026-11-02",  # a.csv: its own dates say day first
                    "cy@acme.com": "2026-02-11"}  # b.csv: no evidence, the default (month first)
    assert notes["dates"] == {"order": "month_first", "decided_by": "default", "example": "02/11/2026",
                              "file": "b.csv", "mixed": True}


def test_zip_members_read_in_one_order_are_not_mixed_and_a_guess_still_wins_the_note(tmp_path):
    notes: dict = {}
    list(read_records(_zip(tmp_path, {"a.csv": SHOWN, "b.csv": GUESSED}), notes=notes, day_first=True))
    assert notes["dates"] == {"order": "day_first", "decided_by": "default", "example": "02/11/2026", "file": "b.csv"}
    notes = {}
    list(read_records(_zip(tmp_path, {"b.csv": GUESSED, "a.csv": SHOWN}), notes=notes, day_first=True))
    assert notes["dates"]["file"] == "b.csv" and "mixed" not in notes["dates"]  # the guess first: kept


def test_zip_members_that_show_different_orders_are_mixed_without_a_guess(tmp_path):
    notes: dict = {}
    boston = ["dan@acme.com,delivered,11/13/2026 09:00,Fall"]
    list(read_records(_zip(tmp_path, {"a.csv": SHOWN, "c.csv": boston}), notes=notes))
    assert notes["dates"]["decided_by"] == "values" and notes["dates"]["file"] == "a.csv"
    assert notes["dates"]["mixed"] is True


def test_zone_less_times_are_read_in_the_zone_the_user_said_and_zoned_ones_keep_theirs(tmp_path):
    from zoneinfo import ZoneInfo

    path = write(tmp_path, ["ana@acme.com,delivered,2026-11-05 09:05,Tardor",
                            "bob@acme.com,delivered,05/11/2026 09:06,Tardor",
                            "cy@acme.com,delivered,2026-11-05T09:07:00+05:00,Tardor",
                            "dee@acme.com,delivered,2026-07-05 09:08,Tardor"])
    items, notes = read(path, zone=ZoneInfo("Europe/Madrid"), local_times=True, day_first=True)
    times = {item.email: item.occurred_at for item in items}
    assert times == {"ana@acme.com": datetime(2026, 11, 5, 8, 5, tzinfo=UTC),  # CET, UTC+1
                     "bob@acme.com": datetime(2026, 11, 5, 8, 6, tzinfo=UTC),
                     "cy@acme.com": datetime(2026, 11, 5, 4, 7, tzinfo=UTC),  # names its zone: kept
                     "dee@acme.com": datetime(2026, 7, 5, 7, 8, tzinfo=UTC)}  # CEST, UTC+2
    assert notes["times_local"] == "Europe/Madrid"
    items, notes = read(path, zone=ZoneInfo("Europe/Madrid"), day_first=True)  # not said: UTC, as before
    assert items[0].occurred_at == datetime(2026, 11, 5, 9, 5, tzinfo=UTC) and "times_local" not in notes
