"""A zip holding any mix of the formats we read (Mailchimp's audience export is one).

Members are read straight from the archive, never extracted, so member names cannot write
anywhere; names that try to (``../``, absolute paths) are still refused as a sign of a hostile
file. Zip bombs: before anything is inflated, an archive whose members declare in total more
than MAX_ARCHIVE_RATIO times the archive's own size, or more than the caller's limit (the upload
limit), is refused as a whole (many small members each compressing absurdly well add up); the
compression ratio of large members is capped; nested archives are not opened; and the bytes
actually inflated are counted against the same budget (declared sizes can lie), stopping the
read when it is spent. A member that cannot be read becomes one RowError (row 0: the member as a
whole) and the next member is read.
"""
from __future__ import annotations

import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path, PurePosixPath

from .detect import detect_sample
from .records import Record, RowError, UnsupportedFormat
from .textio import Peeked

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_TOTAL_BYTES = 5 * 1024**3  # when the caller names no limit
MAX_ARCHIVE_RATIO = 100  # whole archive: unpacked total / archive size
MAX_RATIO = 250  # text compresses 5–20×, very repetitive exports ~100×; a bomb ~1000×
RATIO_CHECK_FROM = 1024 * 1024  # small members may compress absurdly well and harm nobody
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def read_path(path: str | Path, mapping: dict[str, str] | None = None, skipped: Counter | None = None,
              max_total_bytes: int | None = None, status_values: dict[str, str] | None = None,
              day_first: bool = False, day_first_forced: bool = False,
              notes: dict | None = None, zone: tzinfo | None = None,
              local_times: bool = False) -> Iterator[Record | RowError]:
    """The records of every member. `max_total_bytes`: the most the archive may unpack to (the upload
    limit); an archive declaring more, or more than MAX_ARCHIVE_RATIO times its size, is refused."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise UnsupportedFormat(f"The file {path.name!r} looks like a zip archive but cannot be opened ({exc}).") from exc
    try:
        _refuse_office_document(archive, path.name)
        budget = check_declared_total(archive, path.stat().st_size, max_total_bytes, path.name)
    except BaseException:
        archive.close()
        raise
    return _members(archive, mapping, skipped, budget, status_values, day_first, day_first_forced, notes, zone,
                    local_times)


# Office documents are zip archives too. A workbook (Excel .xlsx: "[Content_Types].xml" and "xl/", ECMA-376
# part 2; OpenDocument .ods: a "mimetype" member, OASIS ODF 1.2 part 3 §3.3) is what an account manager
# often has in hand: say how to get the CSV we read instead of listing its XML parts as unreadable files.
_SPREADSHEET_HINT = "save it as CSV (in the spreadsheet: Save as / Download as, CSV UTF-8) and upload that file"


def _refuse_office_document(archive: zipfile.ZipFile, name: str) -> None:
    names = set(archive.namelist()[:5000])
    if "[Content_Types].xml" in names:
        kind = ("an Excel workbook" if any(n.startswith("xl/") for n in names) else
                "a Word or PowerPoint document" if any(n.startswith(("word/", "ppt/")) for n in names) else
                "an Office document")
        raise UnsupportedFormat(f"The file {name!r} is {kind}, not campaign results we can read; "
                                + (_SPREADSHEET_HINT if kind == "an Excel workbook" else "upload the CSV export instead") + ".")
    if "mimetype" in names:
        try:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace")
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError):
            return
        if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
            raise UnsupportedFormat(f"The file {name!r} is an OpenDocument spreadsheet (.ods); {_SPREADSHEET_HINT}.")


def check_declared_total(archive: zipfile.ZipFile, archive_size: int, max_total_bytes: int | None = None,
                         name: str = "the archive") -> int:
    """The number of bytes the archive may unpack to; UnsupportedFormat when its central directory
    declares more (read before anything is inflated)."""
    limit = max_total_bytes or MAX_TOTAL_BYTES
    budget = min(limit, MAX_ARCHIVE_RATIO * max(archive_size, 1))
    declared = sum(i.file_size for i in archive.infolist() if not i.is_dir())
    if declared > budget:
        reason = (f"more than {MAX_ARCHIVE_RATIO}× its own size ({_size(archive_size)})"
                  if budget < limit else f"more than the limit of {_size(limit)}")
        raise UnsupportedFormat(f"{name} is refused: its files unpack to {_size(declared)}, {reason}; "
                                f"a zip bomb would look like this. Upload the files themselves, or a smaller archive.")
    return budget


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


class _Budget:
    """A member's stream that counts inflated bytes against the archive's budget."""

    def __init__(self, raw, spent: list[int], budget: int) -> None:
        self._raw, self._spent, self._budget = raw, spent, budget

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._spent[0] += len(data)
        if self._spent[0] > self._budget:
            raise _BudgetSpent()
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._raw.closed


class _BudgetSpent(Exception):
    pass


def _members(archive: zipfile.ZipFile, mapping, skipped: Counter | None, budget: int,
             status_values: dict[str, str] | None = None, day_first: bool = False,
             day_first_forced: bool = False, notes: dict | None = None,
             zone: tzinfo | None = None, local_times: bool = False) -> Iterator[Record | RowError]:
    from . import stream_reader

    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
        if len(infos) > MAX_MEMBERS:
            yield RowError(0, f"the archive holds {len(infos):,} files; only the first {MAX_MEMBERS:,} were read")
            infos = infos[:MAX_MEMBERS]
        spent = [0]  # bytes inflated so far, all members
        for info in infos:
            name = info.filename[:200]
            problem = _refuse(info)
            if problem:
                yield RowError(0, f"{name}: {problem}")
                continue
            try:
                with archive.open(info) as member:
                    peeked = Peeked(_Budget(member, spent, budget), name)
                    fmt = detect_sample(peeked.sample, name)
                    if fmt == "zip":
                        yield RowError(0, f"{name}: archives inside archives are not opened; upload it on its own")
                        continue
                    read = {}  # what this member's reader says about its times, added to `notes` once it is read
                    reader = stream_reader(fmt, status_values=status_values, day_first=day_first,
                                           day_first_forced=day_first_forced, notes=read, zone=zone,
                                           local_times=local_times)
                    try:
                        for item in reader(peeked, mapping=mapping, skipped=skipped):
                            if isinstance(item, RowError) and not item.message.startswith(name):
                                # Named once: a raw bounce email's errors already start with its name (dsn.py).
                                item = RowError(item.row, f"{name}: {item.message}")
                            yield item
                    finally:
                        if notes is not None and read:
                            add_member_notes(notes, read, name)
            except _BudgetSpent:
                yield RowError(0, f"{name}: reading stopped; the archive unpacked to more than {_size(budget)} "
                                  f"(its declared sizes were wrong: a zip bomb?)")
                return
            except UnsupportedFormat as exc:
                yield RowError(0, f"{name}: {exc}")
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
                yield RowError(0, f"{name}: unreadable in this archive ({type(exc).__name__}: {str(exc)[:120]})")


def add_member_notes(notes: dict, member: dict, name: str) -> None:
    """Add what one member's reader noted about its times (csv_generic.read_dates, hubspot) to the archive's
    ``notes``, which the upload's page shows as one. Each member decides its own slash-date order; the page
    shows the decision the user may want to change: a guessed order (the zone's custom) or the user's choice
    before an order the member's own dates showed, the first member's otherwise, naming its file, with
    ``mixed`` when members were read in different orders. Times without a zone in any member are reported."""
    if member.get("times_without_zone"):
        notes["times_without_zone"] = True
    for key in ("times_in_zone", "times_local"):
        if member.get(key):
            notes[key] = member[key]
    found = member.get("dates")
    if not found:
        return
    found = {**found, "file": name}
    shown = notes.get("dates")
    if shown is None:
        notes["dates"] = found
        return
    mixed = shown.get("mixed") or shown["order"] != found["order"]
    if shown.get("decided_by") == "values" and found.get("decided_by") != "values":
        shown = found
    notes["dates"] = {**shown, "mixed": True} if mixed else shown


def _is_junk(name: str) -> bool:
    return name.startswith(_JUNK[0]) or PurePosixPath(name).name in _JUNK[1:]


def _refuse(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        return "refused: the member's path points outside the archive"
    if info.flag_bits & 0x1:
        return "refused: the member is encrypted"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"refused: it unpacks to {info.file_size:,} bytes (limit {MAX_MEMBER_BYTES:,})"
    if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"refused: compressed {info.file_size // max(info.compress_size, 1):,}× (a zip bomb?)"
    return None
