"""Bytes → text → CSV rows, streaming: a sample decides encoding and delimiter, the rest flows.

Nothing here reads a whole file. A reader gets a ``Peeked`` stream (the first 64 KB already in
hand for detection) and turns it back into one continuous stream when it starts reading.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO, TextIO

SAMPLE_BYTES = 64 * 1024
# A quoted CSV cell or a physical line longer than this is cut into pieces (the row becomes a
# RowError) rather than held in memory: a 1 GB file with no newline must not take 1 GB.
MAX_FIELD_CHARS = 16 * 1024 * 1024
_READ_BUFFER = 1024 * 1024

if csv.field_size_limit() < MAX_FIELD_CHARS:
    csv.field_size_limit(MAX_FIELD_CHARS)


class _Replay(io.RawIOBase):
    """The sample we already read, then the rest of the underlying stream."""

    def __init__(self, sample: bytes, rest: BinaryIO):
        self._sample = memoryview(sample)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._sample:
            n = min(len(buffer), len(self._sample))
            buffer[:n] = self._sample[:n]
            self._sample = self._sample[n:]
            return n
        data = self._rest.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class Peeked:
    """A binary stream whose first bytes were read for detection; ``stream()`` replays them."""

    def __init__(self, raw: BinaryIO, name: str = "", sample_size: int = SAMPLE_BYTES):
        self.name = name
        self.sample = raw.read(sample_size) or b""
        self._raw = raw
        self._used = False

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "") -> Peeked:
        return cls(io.BytesIO(data), name)

    def stream(self) -> BinaryIO:
        if self._used:
            raise RuntimeError("a Peeked stream can be read once")
        self._used = True
        return io.BufferedReader(_Replay(self.sample, self._raw), _READ_BUFFER)  # type: ignore[arg-type]

    def read_all(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the whole stream (for formats read as one unit, e.g. an email)."""
        return self.stream().read(limit)


def choose_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 (a superset of Latin-1 text)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_sample(sample: bytes, encoding: str) -> str:
    if encoding == "utf-16" and len(sample) % 2:
        sample = sample[:-1]
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)


def looks_binary(sample: bytes) -> bool:
    """True for content that is not text in any encoding we read (images, executables, …)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    head = sample[:4096]
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def open_text(peeked: Peeked, encoding: str | None = None) -> TextIO:
    """The whole stream as text; undecodable bytes become U+FFFD instead of stopping the read."""
    encoding = encoding or choose_encoding(peeked.sample)
    return io.TextIOWrapper(peeked.stream(), encoding=encoding, errors="replace", newline="")


def sniff_delimiter(text: str) -> str:
    """``,`` ``;`` or tab: the one that splits the first lines into the most, equally wide columns."""
    lines = text.splitlines()[:30]
    if len(lines) > 1 and len(text) >= SAMPLE_BYTES // 2:
        lines = lines[:-1]  # the last line of a sample may be cut short
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = [r for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class CsvTable:
    """An open CSV file: its header, a few sample rows, and a reader positioned after the header."""

    header: list[str]
    sample_rows: list[list[str]]
    rows: Iterator[list[str]]
    delimiter: str
    encoding: str


def open_csv(peeked: Peeked, sample_rows: int = 5) -> CsvTable:
    encoding = choose_encoding(peeked.sample)
    delimiter = sniff_delimiter(decode_sample(peeked.sample, encoding))
    text = open_text(peeked, encoding)
    lines = iter(partial(text.readline, MAX_FIELD_CHARS), "")
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] = []
    for _ in range(100):  # skip leading blank lines, not a whole file of them
        try:
            header = next(reader)
        except StopIteration:
            break
        except csv.Error:
            continue
        if any(cell.strip() for cell in header):
            break
    header = [cell.strip().strip("\ufeff")[:200] for cell in header]
    samples: list[list[str]] = []
    if sample_rows:
        samples = _peek_rows(peeked, encoding, delimiter, sample_rows)
    return CsvTable(header, samples, reader, delimiter, encoding)


def _peek_rows(peeked: Peeked, encoding: str, delimiter: str, count: int) -> list[list[str]]:
    """The first data rows, read from the sample (for the column-mapping page), cells capped."""
    text = decode_sample(peeked.sample, encoding)
    rows: list[list[str]] = []
    try:
        header_seen = False
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if not any(cell.strip() for cell in row):
                continue
            if not header_seen:
                header_seen = True
                continue
            rows.append([cell[:200] for cell in row[:100]])
            if len(rows) >= count:
                break
    except csv.Error:
        pass
    return rows
