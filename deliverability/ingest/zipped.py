"""A zip holding any mix of the formats we read (Mailchimp's audience export is one).

Members are read straight from the archive, never extracted, so member names cannot write
anywhere; names that try to (``../``, absolute paths) are still refused as a sign of a hostile
file. Zip bombs: the declared sizes are checked before reading (zipfile then refuses to inflate
past them), the compression ratio of large members is capped, nested archives are not opened,
and the total read is bounded. A member that cannot be read becomes one RowError (row 0: the
member as a whole) and the next member is read.
"""
from __future__ import annotations

import zipfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Iterator

from . import dsn
from .detect import detect_sample
from .records import Record, RowError, UnsupportedFormat
from .textio import Peeked

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_TOTAL_BYTES = 5 * 1024**3
MAX_RATIO = 250  # text compresses 5–20×, very repetitive exports ~100×; a bomb ~1000×
RATIO_CHECK_FROM = 1024 * 1024  # small members may compress absurdly well and harm nobody
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def read_path(path: str | Path, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise UnsupportedFormat(f"The file {Path(path).name!r} looks like a zip archive but cannot be opened ({exc}).") from exc
    return _members(archive, mapping, skipped)


def _members(archive: zipfile.ZipFile, mapping, skipped: Counter | None) -> Iterator[Record | RowError]:
    from . import STREAM_READERS

    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
        if len(infos) > MAX_MEMBERS:
            yield RowError(0, f"the archive holds {len(infos):,} files; only the first {MAX_MEMBERS:,} were read")
            infos = infos[:MAX_MEMBERS]
        total = 0
        for info in infos:
            name = info.filename[:200]
            problem = _refuse(info)
            if problem:
                yield RowError(0, f"{name}: {problem}")
                continue
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                yield RowError(0, f"{name}: not read; the archive unpacks to more than {MAX_TOTAL_BYTES // 1024**3} GB")
                return
            try:
                with archive.open(info) as member:
                    peeked = Peeked(member, name)
                    fmt = detect_sample(peeked.sample, name)
                    if fmt == "zip":
                        yield RowError(0, f"{name}: archives inside archives are not opened; upload it on its own")
                        continue
                    reader = STREAM_READERS.get(fmt, dsn.read)
                    for item in reader(peeked, mapping=mapping, skipped=skipped):
                        if isinstance(item, RowError):
                            item = RowError(item.row, f"{name}: {item.message}")
                        yield item
            except UnsupportedFormat as exc:
                yield RowError(0, f"{name}: {exc}")
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
                yield RowError(0, f"{name}: unreadable in this archive ({type(exc).__name__}: {str(exc)[:120]})")


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
