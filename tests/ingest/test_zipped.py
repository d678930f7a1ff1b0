"""Zips: Mailchimp's audience export, a mix of formats, and the archives that attack readers."""
from __future__ import annotations

import time
import zipfile

import pytest

from deliverability.ingest import UnsupportedFormat, detect_format, read_records, zipped

from .conftest import FIXTURES, read_all


def make_zip(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_mailchimp_audience_zip_gives_cleaned_bounces_and_unsubscribes(tmp_path):
    names = ["cleaned_members_export_3c3a1f.csv", "unsubscribed_members_export_3c3a1f.csv",
             "subscribed_members_export_3c3a1f.csv"]
    path = make_zip(tmp_path / "members_export_3c3a1f.zip",
                    {n: (FIXTURES / "mailchimp" / n).read_bytes() for n in names})
    assert detect_format(path) == "zip"
    result = read_all(path)
    assert result.types() == {"bounce": 3, "unsubscribe": 1}
    assert result.skipped == {"Mailchimp subscribed member (no event)": 1}


def test_a_zip_of_mixed_formats_reads_each_member_by_its_content(tmp_path):
    members = {
        "a/sendgrid.json": (FIXTURES / "sendgrid/events.json").read_bytes(),
        "b/ses.txt": (FIXTURES / "ses/notifications.jsonl").read_bytes(),
        "c/results.csv": (FIXTURES / "csv/results_tab_bom.tsv").read_bytes(),
        "d/bounce.eml": (FIXTURES / "dsn/postfix_dsn.eml").read_bytes(),
        "d/more.mbox": (FIXTURES / "dsn/bounces.mbox").read_bytes(),
        "__MACOSX/._junk": b"\x00\x05\x16\x07",
    }
    result = read_all(make_zip(tmp_path / "mix.zip", members))
    assert not result.errors
    assert len(result.records) == 12 + 7 + 2 + 2 + 3


def test_a_bad_member_is_one_row_error_naming_it_and_the_rest_is_read(tmp_path):
    members = {"noise.bin": bytes(range(256)) * 10, "ok.json": (FIXTURES / "sendgrid/events.json").read_bytes(),
               "unmappable.csv": (FIXTURES / "csv/unmappable.csv").read_bytes()}
    result = read_all(make_zip(tmp_path / "x.zip", members))
    assert len(result.records) == 12
    assert sorted(e.message.split(":")[0] for e in result.errors) == ["noise.bin", "unmappable.csv"]
    assert all(e.row == 0 for e in result.errors)


def test_path_traversal_members_are_refused(tmp_path):
    good = (FIXTURES / "sendgrid/events.json").read_bytes()
    result = read_all(make_zip(tmp_path / "evil.zip", {"../../etc/evil.json": good, "/abs.json": good, "ok.json": good}))
    assert len(result.records) == 12
    assert len(result.errors) == 2 and all("outside the archive" in e.message for e in result.errors)
    assert not (tmp_path.parent / "etc").exists()


def test_a_zip_bomb_member_is_refused_before_inflating(tmp_path, monkeypatch):
    monkeypatch.setattr(zipped, "MAX_ARCHIVE_RATIO", 10_000)  # the member check, not the archive's
    path = make_zip(tmp_path / "bomb.zip", {"bomb.csv": b"email,status\n" + b"\0" * 50_000_000,
                                            "ok.json": (FIXTURES / "sendgrid/events.json").read_bytes()})
    assert path.stat().st_size < 200_000
    result = read_all(path)
    assert len(result.records) == 12
    assert "zip bomb" in result.errors[0].message


def test_a_single_member_bomb_is_refused_as_a_whole_archive(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", {"bomb.csv": b"email,status\n" + b"\0" * 50_000_000})
    with pytest.raises(UnsupportedFormat, match="a zip bomb would look like this"):
        read_all(path)


def test_nested_archives_are_not_opened(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"a.json": (FIXTURES / "sendgrid/events.json").read_bytes()})
    result = read_all(make_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()}))
    assert not result.records and "inside archives" in result.errors[0].message


def test_a_corrupt_zip_is_an_unsupported_format(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 100)
    with pytest.raises(UnsupportedFormat, match="cannot be opened"):
        read_all(path)


def test_a_member_with_a_bad_crc_is_a_row_error(tmp_path):
    path = make_zip(tmp_path / "crc.zip", {"a.json": (FIXTURES / "sendgrid/events.json").read_bytes()},
                    compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.find(b'"email"')
    data[at + 1] = ord("E")  # corrupt one stored byte: the CRC no longer matches
    path.write_bytes(bytes(data))
    result = read_all(path)
    assert any("unreadable in this archive" in e.message for e in result.errors)


def test_member_count_limit_is_enforced(tmp_path, monkeypatch):
    monkeypatch.setattr(zipped, "MAX_MEMBERS", 2)
    members = {f"{i}.csv": b"email,status\nx@y.example,delivered\n" for i in range(4)}
    result = read_all(make_zip(tmp_path / "many.zip", members))
    assert len(result.records) == 2 and "only the first 2" in result.errors[0].message


def _many_small_members(path, members=3000, member_bytes=100_000):
    return make_zip(path, {f"part-{i}.csv": b"email,status\n" + b"\0" * member_bytes for i in range(members)})


def test_many_small_members_adding_up_to_a_bomb_are_refused_before_inflating(tmp_path):
    """GIVEN a ~1 MB zip of 3,000 members of 100 KB each (each under the per-member ratio check)
    WHEN it is read THEN refused from the central directory: 300 MB > 100x its size."""
    path = _many_small_members(tmp_path / "bomb.zip")
    assert path.stat().st_size < 1_000_000
    started = time.perf_counter()
    with pytest.raises(UnsupportedFormat, match=r"bomb.zip is refused: its files unpack to 286.1 MB .* more than 100"):
        read_all(path)
    assert time.perf_counter() - started < 1.0


def test_the_callers_limit_caps_the_unpacked_total(tmp_path):
    path = make_zip(tmp_path / "ok.zip", {"a.json": (FIXTURES / "sendgrid/events.json").read_bytes()})
    declared = zipfile.ZipFile(path).infolist()[0].file_size
    with pytest.raises(UnsupportedFormat, match="more than the limit of"):
        list(read_records(path, max_unpacked_bytes=declared - 1))
    assert len(read_all(path).records) == 12


def test_inflating_stops_when_the_running_total_passes_the_budget(tmp_path, monkeypatch):
    """Declared sizes can lie: the bytes actually inflated are counted against the same budget."""
    path = make_zip(tmp_path / "liar.zip", {f"{i}.json": (FIXTURES / "sendgrid/events.json").read_bytes()
                                            for i in range(3)})
    one = zipfile.ZipFile(path).infolist()[0].file_size
    monkeypatch.setattr(zipped, "check_declared_total", lambda *args, **kwargs: int(one * 1.5))
    result = read_all(path)
    assert len(result.records) <= 24
    assert "reading stopped; the archive unpacked to more than" in result.errors[-1].message
