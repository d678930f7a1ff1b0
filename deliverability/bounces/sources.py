"""Where bounce emails come from: a single .eml, an mbox, a directory (recursively) or a zip.

Yields ``(source_label, data, error)``: exactly one of ``data`` / ``error`` is set. A bad file or
zip member yields a one-line error and iteration goes on with the next one.
"""
from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # one email; bigger ones are reported, not read
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024  # all members of one zip, uncompressed
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per member: above this it is a zip bomb
MAX_ZIP_MEMBERS = 100_000
_MBOX_FROM = re.compile(rb"^From \S+", re.M)
_MBOX_FROM_LINE = re.compile(rb"From \S*\s")
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")

Item = tuple[str, bytes | None, str | None]


def iter_messages(path: str | os.PathLike[str]) -> Iterator[Item]:
    """Every email under ``path``, labelled ``path``, ``path#N`` (mbox) or ``path!member`` (zip)."""
    p = Path(path)
    label = str(path)
    try:
        if p.is_dir():
            yield from _iter_directory(p)
        elif not p.exists():
            yield label, None, "no such file or directory"
        else:
            yield from _iter_file(p, label)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        yield label, None, f"cannot read: {type(exc).__name__}: {exc}"[:300]


def _iter_file(p: str | os.PathLike[str], label: str) -> Iterator[Item]:
    """One file: a zip, an mbox or a single message. Opened once; a zip is told by its end record
    (what zipfile.is_zipfile looks for), searched in the bytes already read."""
    with open(p, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_MESSAGE_BYTES * 16:
            yield label, None, f"file too large ({size} bytes)"
            return
        data = fh.read()
    if b"PK\x05\x06" in data[-65557:] and zipfile.is_zipfile(_BytesView(data)):
        yield from _iter_zip(Path(p), label)
    else:
        yield from _iter_bytes(label, data)


def _iter_directory(root: Path) -> Iterator[Item]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            try:
                yield from _iter_file(path, path)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
                yield path, None, f"cannot read: {type(exc).__name__}: {exc}"[:300]


def _iter_bytes(label: str, data: bytes) -> Iterator[Item]:
    if is_mbox(data):
        for n, message in enumerate(split_mbox(data), start=1):
            if len(message) > MAX_MESSAGE_BYTES:
                yield f"{label}#{n}", None, f"message too large ({len(message)} bytes)"
            else:
                yield f"{label}#{n}", message, None
    elif len(data) > MAX_MESSAGE_BYTES:
        yield label, None, f"message too large ({len(data)} bytes)"
    else:
        yield label, data, None


def is_mbox(data: bytes) -> bool:
    """An mbox starts with a "From " separator line; a single .eml starts with a header."""
    return data[:5] == b"From " and not _HEADER_LINE.match(data[:200])


def split_mbox(data: bytes) -> Iterator[bytes]:
    """Messages of an mboxo/mboxrd file; a broken separator just merges two messages."""
    starts = [m.start() for m in _MBOX_FROM.finditer(data) if m.start() == 0 or data[m.start() - 1:m.start()] == b"\n"]
    # A separator must be followed by a header line, or it is body text that starts with "From ".
    starts = [s for s in starts if s == 0 or _looks_like_message_start(data, s)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        chunk = data[start:end]
        newline = chunk.find(b"\n")
        body = chunk[newline + 1:] if newline >= 0 else b""
        body = re.sub(rb"(?m)^>(>*From )", rb"\1", body)  # mboxrd unescaping
        if body.strip():
            yield body


def _looks_like_message_start(data: bytes, start: int) -> bool:
    newline = data.find(b"\n", start)
    if newline < 0:
        return False
    return bool(_HEADER_LINE.match(data[newline + 1:newline + 200]))


def _iter_zip(path: Path, label: str) -> Iterator[Item]:
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            yield label, None, f"zip has too many members ({len(members)})"
            return
        total = 0
        for info in members:
            if info.is_dir():
                continue
            member_label = f"{label}!{info.filename}"
            problem = _unsafe_member(info)
            if problem:
                yield member_label, None, problem
                continue
            total += info.file_size
            if total > MAX_ZIP_TOTAL_BYTES:
                yield member_label, None, "zip expands beyond the size limit; remaining members skipped"
                return
            try:
                data = _read_member(archive, info)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError, EOFError) as exc:
                yield member_label, None, f"cannot read zip member: {type(exc).__name__}"
                continue
            if data is None:
                yield member_label, None, "zip member expands beyond its declared size (zip bomb?)"
                continue
            if zipfile.is_zipfile(_BytesView(data)):
                yield member_label, None, "nested zip archives are not read"
                continue
            yield from _iter_bytes(member_label, data)


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        return "unsafe path in zip (path traversal); member skipped"
    if info.file_size > MAX_MESSAGE_BYTES * 16:
        return f"zip member too large ({info.file_size} bytes)"
    if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO and info.file_size > 1024 * 1024:
        return f"zip member compression ratio {info.file_size // max(info.compress_size, 1)}:1 looks like a zip bomb; skipped"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Read at most the declared size (+1 byte to detect lies about it)."""
    limit = min(info.file_size, MAX_MESSAGE_BYTES * 16) + 1
    chunks, size = [], 0
    with archive.open(info) as fh:
        while size < limit:
            chunk = fh.read(min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > info.file_size:
        return None
    return b"".join(chunks)


class _BytesView:
    """A seekable file over bytes, for zipfile.is_zipfile without copying."""

    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)

    def __getattr__(self, name: str):
        return getattr(self._io, name)
