"""Bytes → the parts of a bounce that matter, read lazily.

The stdlib feed parser walks every line of every part in Python. A bounce needs the headers of
each part and the bodies of a few: header blocks are split here into compat32 Messages (no header
objects), bodies are cut at their boundaries with bytes.find and kept as raw payloads, and a
returned original (message/rfc822) gets its headers parsed, never its MIME tree.
"""
from __future__ import annotations

import re
from email.message import Message

from .record import MAX_PARTS, MAX_TEXT_CHARS

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RFC822_TYPES = frozenset({"message/rfc822", "message/global"})


def mime_tree(data: bytes, depth: int = 0, budget: list[int] | None = None, headers_only: bool = False) -> Message:
    """A compat32 ``Message`` for ``data``: multiparts split into parts, message/rfc822 into its headers."""
    budget = budget if budget is not None else [MAX_PARTS]
    budget[0] -= 1
    end = _header_end(data)
    if data[:1] in (b"\n", b"\r"):  # no headers at all
        head, body = b"", data.lstrip(b"\r\n")
    elif end >= 0:
        head, body = data[:end], data[end:]
    else:
        head, body = data, b""
    msg, spill = _headers(head)
    if spill:  # a line that is not a header ends the header block early: it belongs to the body
        body = spill + body
    msg.raw_bytes = data  # type: ignore[attr-defined]  # re-read whole when it turns out to be a bounce
    ctype = msg.get_content_type()
    if headers_only:
        pass
    elif ctype.startswith("multipart/") and depth < 20 and budget[0] > 0:
        boundary = msg.get_boundary()
        parts = _split_multipart(body, boundary) if boundary else None
        if parts is not None:
            msg.set_payload([mime_tree(part, depth + 1, budget) for part in parts if budget[0] > 0])
            return msg
    elif ctype in _RFC822_TYPES and depth < 20 and budget[0] > 0:
        msg.set_payload([mime_tree(body, depth + 1, budget, headers_only=True)])
        return msg
    msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg


_HEADER_LINE_RE = re.compile(r"[\041-\071\073-\176]+:")


def _header_end(data: bytes) -> int:
    """Where the body starts: the end of the first blank line (what ``_HEADER_END.search`` finds, with two
    bytes.find calls instead of a regex that has no literal to skip ahead with)."""
    lf, crlf = data.find(b"\n\n"), data.find(b"\n\r\n")
    if lf < 0:
        return crlf + 3 if crlf >= 0 else -1
    if crlf < 0 or lf < crlf:
        return lf + 2
    return crlf + 3


class Head(Message):
    """A compat32 ``Message`` whose header look-ups go through an index built on first use.

    ``Message.get`` lower-cases every header name on each call and ``get_param`` re-parses the
    Content-Type each time; a bounce asks for the same few headers dozens of times. Same answers as
    the stdlib (values still pass through the policy's ``header_fetch_parse``); any header change
    drops the index.
    """

    _by_name: dict[str, list[tuple[str, str]]] | None = None
    _ctype: str | None = None

    def _index(self) -> dict[str, list[tuple[str, str]]]:
        index = self._by_name
        if index is None:
            index = {}
            for k, v in self._headers:
                index.setdefault(k.lower(), []).append((k, v))
            self._by_name = index
            self._params: dict[str, list | None] = {}
        return index

    def _changed(self) -> None:
        self._by_name = self._ctype = None

    def get(self, name, failobj=None):
        found = (self._by_name or self._index()).get(name.lower())
        if not found:
            return failobj
        k, v = found[0]
        return self.policy.header_fetch_parse(k, v)

    def get_content_type(self):
        ctype = self._ctype
        if ctype is None:
            ctype = self._ctype = super().get_content_type()
        return ctype

    def get_all(self, name, failobj=None):
        found = self._index().get(name.lower())
        if not found:
            return failobj
        return [self.policy.header_fetch_parse(k, v) for k, v in found]

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        return name.lower() in self._index()

    def get_param(self, param, failobj=None, header="content-type", unquote=True):
        # A parameter whose name is nowhere in the header cannot be in it (RFC 2231 names extend it).
        value = self.get(header)
        if value is None or param.lower() not in str(value).lower():
            return failobj
        return super().get_param(param, failobj, header, unquote)

    def _get_params_preserve(self, failobj, header):
        self._index()
        key = header.lower()
        if key not in self._params:
            self._params[key] = super()._get_params_preserve(None, header)
        found = self._params[key]
        return failobj if found is None else found

    def set_raw(self, name, value):
        self._changed()
        super().set_raw(name, value)

    def __setitem__(self, name, val):
        self._changed()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._changed()
        super().__delitem__(name)

    def set_default_type(self, ctype):
        self._ctype = None
        super().set_default_type(ctype)

    def replace_header(self, _name, _value):
        self._changed()
        super().replace_header(_name, _value)


def _headers(head: bytes) -> tuple[Message, bytes]:
    """A compat32 ``Message`` holding the header block, as the stdlib feed parser would store it.

    Returns the message and any trailing bytes that turned out not to be headers.
    """
    msg = Head()
    raw_headers = msg._headers
    text = head.decode("ascii", "surrogateescape")
    lines = text.splitlines(keepends=True)
    name: str | None = None
    value: list[str] = []
    consumed = 0
    for no, line in enumerate(lines):
        if no == 0 and line.startswith("From "):
            msg.set_unixfrom(line.rstrip("\r\n"))
            consumed += len(line)
            continue
        if line[:1] in (" ", "\t") and name is not None:
            value.append(line)
            consumed += len(line)
            continue
        if not line.strip("\r\n"):
            consumed += len(line)
            break
        m = _HEADER_LINE_RE.match(line)
        if not m:
            break
        if name is not None:  # what compat32's set_raw stores, without its per-call overhead
            raw_headers.append((name, "".join(value).rstrip("\r\n")))
        name = line[:m.end() - 1]
        value = [line[m.end():].lstrip(" \t")]
        consumed += len(line)
    if name is not None:
        raw_headers.append((name, "".join(value).rstrip("\r\n")))
    spill = text[consumed:]
    return msg, spill.encode("ascii", "surrogateescape") if spill.strip() else b""


def _split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The parts between ``--boundary`` delimiter lines (RFC 2046 section 5.1.1); None if there are none."""
    try:
        delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return None
    starts: list[tuple[int, int]] = []  # (where the delimiter line starts, where the next line starts)
    closed_at = None
    pos = 0
    while True:
        i = body.find(delimiter, pos)
        if i < 0:
            break
        pos = i + len(delimiter)
        if i > 0 and body[i - 1:i] != b"\n":
            continue  # not at the start of a line
        end_of_line = body.find(b"\n", pos)
        end_of_line = len(body) if end_of_line < 0 else end_of_line + 1
        rest = body[pos:end_of_line].strip()
        if rest.startswith(b"--"):
            closed_at = i
            break
        if rest:  # "--boundaryX": a longer boundary that merely starts with ours
            continue
        starts.append((i, end_of_line))
        pos = end_of_line
    if not starts:
        return None
    parts = []
    for k, (_, begin) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else (closed_at if closed_at is not None else len(body))
        chunk = body[begin:end]
        # The line break before a delimiter belongs to the delimiter.
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        elif chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        parts.append(chunk)
    return parts


_DSN_FIELDS_START = re.compile(r"(?im)^[ \t]*(?:reporting-mta|original-recipient|final-recipient)[ \t]*:")
_DSN_RECIPIENT = re.compile(r"(?im)^[ \t]*final-recipient[ \t]*:[ \t]*\S")


def delivery_status_in_text(parts: Parts) -> None:
    """RFC 3464 fields printed inside a text part (a broken MIME boundary, or a DSN sent as plain text)."""
    for k, text in enumerate(parts.texts[:3]):
        start = _DSN_FIELDS_START.search(text)
        if start and _DSN_RECIPIENT.search(text, start.start()):
            part = Message()
            part["Content-Type"] = "text/delivery-status"
            part.set_payload(text[start.start():])
            parts.delivery_status.append(part)
            parts.texts[k] = text[:start.start()]
            parts.notice = None
            return


_HTML_TAG = re.compile(r"<[^>]{0,2000}>")


class Parts:
    """The parts of a bounce that matter, without descending into the returned original."""

    __slots__ = ("delivery_status", "feedback", "texts", "originals", "count", "notice")

    def __init__(self) -> None:
        self.delivery_status: list[Message] = []
        self.feedback: list[Message] = []
        self.texts: list[str] = []
        self.originals: list[Message | str] = []
        self.count = 0
        self.notice: tuple[tuple[int, ...], str] | None = None  # text.notification_text's result

    @classmethod
    def collect(cls, msg: Message) -> Parts:
        parts = cls()
        parts._walk(msg, top=True)
        return parts

    def _walk(self, part: Message, top: bool = False) -> None:
        self.count += 1
        if self.count > MAX_PARTS:
            return
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status", "text/delivery-status"):
            self.delivery_status.append(part)
        elif ctype == "message/feedback-report":
            self.feedback.append(part)
        elif ctype in ("message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
                       "message/global-headers") and not top:
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                self.originals.append(payload[0])
            elif isinstance(payload, str):
                self.originals.append(decode(part))
        elif part.is_multipart() or (part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), str)):
            payload = part.get_payload()
            if isinstance(payload, str):  # a multipart whose boundary was lost to a broken header: read as text
                self.texts.append(payload[:MAX_TEXT_CHARS])
                return
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, Message):
                        self._walk(sub)
        elif part.get_content_maintype() == "text" or top or ctype == "application/octet-stream" and not self.texts:
            if part.get_filename() and not top and part.get_content_maintype() != "text":
                return
            text = decode(part)
            if ctype == "text/html":
                text = _HTML_TAG.sub(" ", text).replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
                # keep html only when there is no plain text
                if self.texts:
                    return
            self.texts.append(text[:MAX_TEXT_CHARS])


def decode(part: Message) -> str:
    """A part's text, transfer encoding and charset undone (the raw payload when they cannot be)."""
    try:
        raw = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: fall back to the payload as it is
        raw = None
    if raw is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def body_text(message: Message) -> str:
    """The text parts of a returned message (a few, bounded)."""
    out: list[str] = []
    if message.get_content_maintype() == "multipart" and isinstance(getattr(message, "raw_bytes", None), bytes):
        message = mime_tree(message.raw_bytes)  # returned originals are kept unparsed until needed
    stack = [message]
    while stack and len(out) < 4:
        part = stack.pop(0)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
        elif part.get_content_maintype() == "text":
            out.append(decode(part)[:MAX_TEXT_CHARS])
    return "\n".join(out)
