"""Values inside a bounce: header-style field blocks, addresses, dates, diagnostic text bounds."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from .mime import Head, Parts, decode
from .record import MAX_DIAGNOSTIC_CHARS

# An address as it appears in running text (no display names, no quoting).
ADDRESS = re.compile(r"(?<![A-Za-z0-9._%+\-=/!#$&'*?^`{|}~])[A-Za-z0-9][A-Za-z0-9._%+\-=/!#$&'*?^`{|}~]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+")
# The local parts of mail systems, never a bounced recipient.
ROBOT = re.compile(r"^(?:mailer-daemon|post_?master|mail-daemon|maildaemon|daemon|bounce[s]?|"
                   r"no-?reply|double-bounce|root)(?:@|$)", re.I)


class Lowered:
    """A lower-case pattern applied to lower-cased text: re.I disables re's literal fast paths."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text.lower())

    def match(self, text: str) -> re.Match[str] | None:
        return self.pattern.match(text.lower())


def header_date(value: str | None) -> datetime | None:
    """An RFC 5322 date (after a ``;``, as in Received or Arrival-Date), UTC when it names no zone."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(str(value).split(";")[-1].strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


# Something, an "@", something, no space: a local name ("user@localhost", PMDF's "user@sims-ms-daemon") or an
# address mistyped in the sender's list ("user@#example.net", which Sendmail reports as "Host unknown"). What
# address_in keeps when no Internet address is there; callers decide whether it will do.
_LOCAL_NAME = re.compile(r"[^\s@<>(),;:]+@[^\s@<>\"(),;:]+")  # a quoted local part too ("a..b"@example.org)


def address_in(value: str | None) -> str | None:
    """The address in a field value ("rfc822; user@example.com", "<user@example.com>"), as written.

    Never a text without an "@": a display name or an RFC 5322 group ("Undisclosed Recipients",
    "<Undisclosed Recipients>", "undisclosed-recipients:;") names nobody, and an X.400 O/R address is not an
    Internet address either. A local name ("user@localhost") is returned as found.
    """
    if not value:
        return None
    value = str(value)
    if ";" in value:
        value = value.split(";", 1)[1]
    m = ADDRESS.search(value)
    if m:
        return m.group(0).strip(".")
    value = value.strip().strip("<>").strip()
    return value if _LOCAL_NAME.fullmatch(value) else None


def is_address(value: str | None) -> bool:
    """An Internet address: something, an "@", and a domain of dot-separated labels (not a local name)."""
    return bool(value) and ADDRESS.fullmatch(str(value).strip(".")) is not None


# RFC 5322 §3.6.4 msg-ids ("<id-left@id-right>", the same syntax as an address) in the id fields: Message-ID,
# In-Reply-To, References, Resent-Message-ID, Content-ID (RFC 2045 §7) and the X-…-Message-ID copies some MTAs
# add; and the "id <…>" clause of a Received field (RFC 5321 §4.4). An id is never a recipient, wherever it is
# quoted: in the bounce's headers, the returned message's, or header lines pasted into the bounce's text (Zoho's
# notice quotes the original's "Message-ID:<…>" right under the recipient lines).
MAX_ID_SCAN = 64 * 1024  # quoted headers sit at the top of a text: ids are looked for in its first 64 KB
_ID_FIELD = r"(?:resent-|original-|x-[\w-]*)?(?:message-id|in-reply-to|references|content-id)"
_ID_NAMES = ("message-id", "in-reply-to", "references", "resent-message-id", "content-id", "original-message-id")
_QUOTED_FIELD_START = re.compile(rf"[ \t>]*(received|{_ID_FIELD})[ \t]*:", re.I)
# An indented line that is a field of its own ("        To: user@example.org" in the X.400 gateways' summary of
# the returned message), not the continuation of the field above it.
_INDENTED_FIELD = re.compile(r"[ \t>]*[\w-]+:")
_RECEIVED_ID = Lowered(r"\bid\s+<?([^\s<>;]+@[^\s<>;]+?)>?(?=[\s;>]|$)")  # "id" and its value may be folded apart


def _continues(line: str) -> bool:
    """A header field's continuation line: indented, not blank, not a field of its own."""
    return line[:1] in (" ", "\t") and bool(line.strip()) and not _INDENTED_FIELD.match(line)


def quoted_id_field(lines: list[str], no: int) -> str | None:
    """"id" when line ``no`` of a text belongs to a quoted id field (its continuation lines included), "received"
    when it belongs to a quoted Received field, else None."""
    for i in range(no, max(-1, no - 30), -1):
        line = lines[i]
        if _continues(line):
            continue  # the field starts above
        m = _QUOTED_FIELD_START.match(line)
        if m is None:
            return None
        return "received" if m.group(1).lower() == "received" else "id"
    return None


def quoted_ids_on(line: str, field: str | None) -> set[str]:
    """The msg-ids (lower-cased) on one line of a text: every address-shaped token on an id field's line, the
    "id <…>" clause's on a Received line, none elsewhere."""
    if field == "id":
        return {m.group(0).strip(".").lower() for m in ADDRESS.finditer(line)}
    if field == "received":
        return {m.group(1).strip(".") for m in _RECEIVED_ID.pattern.finditer(line.lower())}
    return set()


_ADDRESS_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-=/!#$&'*?^`{|}~@")
_RECEIVED_ID_BEFORE = re.compile(r"\bid\s+<?\Z")  # what stands before a Received field's id: "id <"


def _tokens(text: str, token: str):
    """The positions where ``token`` stands in ``text`` as a whole address-shaped token (not inside a longer one)."""
    at = text.find(token)
    while at >= 0:
        end = at + len(token)
        if (at == 0 or text[at - 1] not in _ADDRESS_CHARS) and (end == len(text) or text[end] not in _ADDRESS_CHARS
                                                                 or text[end] == "." and text[end + 1:end + 2] in ("", " ", "\n")):
            yield at
        at = text.find(token, end)


def message_id_test(msg: Message, parts: Parts):
    """A test ``address -> bool``: whether the address is a msg-id of this bounce, in its headers or the returned
    originals' (parsed, or kept as text: text/rfc822-headers). Built once per message; only the id and Received
    headers, and the lines that mention the address, are looked at. (The bounce's own text is read for recipients
    with its quoted id fields left out: text._mentions.)"""
    received: list[str] = []  # raw values of the Received headers, and of the id fields
    id_fields: list[str] = []
    for head in (msg, *(o for o in parts.originals[:3] if isinstance(o, Message))):
        # Raw values by lower-cased name (Head's index, built once per message): no header is parsed for this.
        index = head._index() if isinstance(head, Head) else {}
        if not isinstance(head, Head):
            for k, v in head.raw_items():
                index.setdefault(k.lower(), []).append((k, v))
        received += [str(v) for _, v in index.get("received", ())]
        for name in _ID_NAMES:
            id_fields += [str(v) for _, v in index.get(name, ())]
        id_fields += [str(v) for name, pairs in index.items() if name[:2] == "x-" and name.endswith("message-id")
                      for _, v in pairs]  # X-Original-Message-ID, X-Microsoft-Original-Message-ID…
    # One lower-cased text each, one value a line: most addresses are in neither, and that is one search.
    received_text = "\n".join(received).lower()
    id_text = "\n".join(id_fields).lower()
    texts = [o[:MAX_ID_SCAN].lower() for o in parts.originals[:3] if isinstance(o, str)]

    def is_id(address: str) -> bool:
        low = address.lower().strip("<>")
        if any(True for _ in _tokens(id_text, low)):
            return True
        if any(_RECEIVED_ID_BEFORE.search(received_text, max(0, at - 12), at) for at in _tokens(received_text, low)):
            return True
        for text in texts:
            at = text.find(low)
            while at >= 0:
                # The line of the mention, and the lines above it while it is a continuation line (a field's).
                start = text.rfind("\n", 0, at) + 1
                end = text.find("\n", at)
                lines = [text[start:end if end >= 0 else len(text)]]
                while start > 0 and len(lines) < 30 and _continues(lines[0]):
                    above = text.rfind("\n", 0, start - 1) + 1
                    lines.insert(0, text[above:start - 1])
                    start = above
                if low in quoted_ids_on(lines[-1], quoted_id_field(lines, len(lines) - 1)):
                    return True
                at = text.find(low, at + len(low))
        return False

    return is_id


def header_addresses(msg: Message, *names: str) -> set[str]:
    """Every address in these headers, lower-cased."""
    found: set[str] = set()
    for name in names:
        for value in msg.get_all(name) or []:
            # A plain address scan: RFC 5322 address-list parsing costs more than the rest of the
            # bounce and these sets only exclude the bounce's own addresses from recipients.
            found.update(m.group(0).strip(".").lower() for m in ADDRESS.finditer(str(value)))
    return found


_ARF_FIELD = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*)$")


def fields_in_text(text: str) -> list[tuple[str, str]]:
    """Header-style fields, continuation lines unfolded; blank lines are ignored."""
    fields: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and fields and line.strip():
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        m = _ARF_FIELD.match(line.strip())
        if m:
            fields.append((m.group(1).lower(), m.group(2).strip()))
    return fields


def part_fields(part: Message) -> list[tuple[str, str]]:
    """All the fields of a report part (a feedback report), block after block."""
    payload = part.get_payload()
    if isinstance(payload, list):
        fields: list[tuple[str, str]] = []
        for block in payload:
            if isinstance(block, Message):
                fields.extend((k.lower(), " ".join(str(v).split())) for k, v in block.items())
                body = block.get_payload()
                if isinstance(body, str) and body.strip():
                    fields.extend(fields_in_text(body))
        return fields
    return fields_in_text(decode(part))


def part_blocks(part: Message) -> list[list[tuple[str, str]]]:
    """The field blocks of a delivery-status part (per-message block first, then per-recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                fields = [(k.lower(), " ".join(str(v).split())) for k, v in block.items()]
                body = block.get_payload()
                if isinstance(body, str) and body.strip():
                    fields.extend(fields_in_text(body))
                blocks.append(fields)
        return blocks
    text = decode(part)
    return [fields_in_text(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", text) if chunk.strip()]


def original_to(parts: Parts) -> str | None:
    """The recipient named by the returned original's headers."""
    for original in parts.originals:
        if isinstance(original, Message):
            for name in ("To", "Delivered-To", "X-Original-To"):
                if original.get(name):
                    return address_in(original.get(name))
        else:
            m = re.search(r"(?im)^(?:to|x-original-to|delivered-to):\s*(.+)$", original)
            if m:
                return address_in(m.group(1))
    return None


def iso_time(value: object) -> datetime | None:
    """An ISO 8601 time from a JSON value, UTC when it names no zone; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def mta_host(value: object) -> str | None:
    """The host of an MTA field ("dns; mx.example.com" → "mx.example.com")."""
    if not value:
        return None
    text = str(value)
    return text.split(";", 1)[-1].strip() or None


def join_diagnostics(a: str | None, b: str | None) -> str | None:
    """Two readings of one failure as one text, without repeating the first when the second holds it."""
    if a and b and a not in b:
        return f"{a} {b}"
    return b or a


def cap_diagnostic(text: str | None) -> str | None:
    """A diagnostic cut to MAX_DIAGNOSTIC_CHARS."""
    if text and len(text) > MAX_DIAGNOSTIC_CHARS:
        return text[:MAX_DIAGNOSTIC_CHARS]
    return text
