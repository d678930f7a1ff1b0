"""JSON files as a stream of records, without loading the file.

Handles what ESP exports and webhook dumps look like in practice:
- a top-level array ``[{…}, {…}]`` — decoded element by element;
- JSON lines, or objects simply concatenated — decoded one value at a time;
- one wrapper object holding the records in an array (``{"items": […], "paging": …}``,
  ``{"Bounces": […]}``, ``{"events": […]}``) — the named array is streamed element by element.

``json.JSONDecoder.raw_decode`` runs over a sliding text buffer that grows only while one value is
incomplete, so memory is bounded by the largest single record (capped at MAX_VALUE_CHARS).
A syntax error or a truncated file yields a RowError; in JSON lines the next line is tried again.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from .records import RowError

CHUNK_CHARS = 256 * 1024
MAX_VALUE_CHARS = 32 * 1024 * 1024  # real ESP records are < 100 KB; a page ~1 MB
_WHITESPACE = " \t\r\n\ufeff"
MAX_INT_DIGITS = 1000  # Python refuses int("…") past 4,300 digits with a ValueError the readers do not expect


def _parse_int(text: str) -> int | float:
    """A JSON integer; an absurdly long one becomes a float (inf past 308 digits), which every field
    that reads numbers already refuses as out of range, instead of failing the whole file."""
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


_decoder = json.JSONDecoder(parse_int=_parse_int)


class _Buffer:
    def __init__(self, text: TextIO):
        self._text = text
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._chunk = CHUNK_CHARS

    def _refill(self) -> bool:
        if self.eof:
            return False
        data = self._text.read(self._chunk)
        if not data:
            self.eof = True
            return False
        if self.pos > CHUNK_CHARS:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += data
        return True

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end), without consuming it."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if not self._refill():
                return ""

    def take(self) -> str:
        c = self.peek()
        if c:
            self.pos += 1
        return c

    def value(self) -> Any:
        """Decode the next value, reading more text while it is incomplete."""
        self.peek()
        self._chunk = CHUNK_CHARS
        while True:
            try:
                obj, end = _decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise json.JSONDecodeError("nested too deeply", self.buf, self.pos) from None
            except json.JSONDecodeError as exc:
                if self.eof or len(self.buf) - self.pos > MAX_VALUE_CHARS:
                    raise
                near_end = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string")
                if not near_end:
                    raise  # a real syntax error with complete text after it
                # The error may only mean "the value continues past the buffer"; read more,
                # doubling the read so a large value costs O(n), not O(n²).
                self._chunk = max(CHUNK_CHARS, len(self.buf) - self.pos)
                if not self._refill():
                    raise exc from None
                continue
            # A bare number may continue in the next chunk.
            if end == len(self.buf) and not self.eof and not isinstance(obj, dict | list | str) and self._refill():
                continue
            self.pos = end
            return obj

    def skip_line(self) -> None:
        """Drop text up to and including the next newline (JSON lines: resynchronise)."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self._refill():
                return


def iter_json(text: TextIO, wrapper_keys: tuple[str, ...] = ()) -> Iterator[tuple[int, Any] | RowError]:
    """(record number, value) for each record in the file; RowError for what cannot be decoded.

    ``wrapper_keys`` name the arrays that hold records inside a top-level wrapper object.
    """
    buf = _Buffer(text)
    first = buf.peek()
    if first == "[":
        buf.take()
        yield from _array(buf, 0)
        return
    count = 0
    if first == "{" and wrapper_keys:
        count = yield from _wrapper(buf, wrapper_keys)
        if count is None:
            return  # the wrapper was broken or truncated; what follows cannot be trusted
    yield from _sequence(buf, count)


def _array(buf: _Buffer, count: int) -> Iterator[tuple[int, Any] | RowError]:
    if buf.peek() == "]":
        buf.take()
        return
    while True:
        try:
            value = buf.value()
        except json.JSONDecodeError as exc:
            yield RowError(count + 1, _describe(exc, buf))
            return
        count += 1
        yield count, value
        c = buf.take()
        if c == ",":
            continue
        if c == "]":
            return
        if c == "":
            yield RowError(count + 1, "the file ends inside a JSON array: it looks truncated")
        else:
            yield RowError(count + 1, f"expected ',' or ']' after record {count}, found {c!r}")
        return


def _wrapper(buf: _Buffer, keys: tuple[str, ...]):
    """Stream a ``{"items": [...]}`` wrapper; other members are decoded and, if no array matched,
    the whole object is yielded as one record."""
    members: dict[str, Any] = {}
    streamed = False
    count = 0
    buf.take()  # "{"
    try:
        if buf.peek() == "}":
            buf.take()
            yield 1, {}
            return 1
        while True:
            key = buf.value()
            if not isinstance(key, str) or buf.take() != ":":
                raise json.JSONDecodeError("expected a member name", buf.buf, buf.pos)
            if key in keys and buf.peek() == "[":
                buf.take()
                for item in _array(buf, count):
                    if isinstance(item, RowError):
                        yield item
                        return None
                    count = item[0]
                    yield item
                streamed = True
            else:
                members[key] = buf.value()
            c = buf.take()
            if c == ",":
                continue
            if c == "}":
                break
            raise json.JSONDecodeError("expected ',' or '}'", buf.buf, buf.pos)
    except json.JSONDecodeError as exc:
        yield RowError(count + 1, _describe(exc, buf))
        return None
    if not streamed:
        count += 1
        yield count, members
    return count


def _sequence(buf: _Buffer, count: int) -> Iterator[tuple[int, Any] | RowError]:
    """JSON lines / concatenated values. A bad line is reported and the next line is tried."""
    errors = 0
    while buf.peek():
        try:
            value = buf.value()
        except json.JSONDecodeError as exc:
            count += 1
            yield RowError(count, _describe(exc, buf))
            errors += 1
            if buf.eof and buf.pos >= len(buf.buf) or errors > 1000:
                return
            buf.skip_line()
            continue
        count += 1
        yield count, value


def _describe(exc: json.JSONDecodeError, buf: _Buffer) -> str:
    if buf.eof and (exc.pos >= len(buf.buf.rstrip()) or exc.msg.startswith("Unterminated string")):
        return "the file ends in the middle of a JSON record: it looks truncated"
    if len(buf.buf) - buf.pos > MAX_VALUE_CHARS:
        return f"a JSON record is larger than {MAX_VALUE_CHARS // (1024 * 1024)} MB; not read"
    return f"not valid JSON ({exc.msg})"
