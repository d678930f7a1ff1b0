"""Values inside a bounce: header-style field blocks, addresses, dates, diagnostic text bounds."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from .mime import Parts, decode
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
# quoted: in the bounce's headers, the returned message's, or headers pasted into the bounce's text (Zoho's
# notice quotes the original's "Message-ID:<…>" right under the recipient lines).
MAX_ID_SCAN = 64 * 1024  # quoted headers sit at the top of a text: ids are looked for in its first 64 KB
_ID_FIELD_NAME = re.compile(r"(?:resent-|original-|x-[\w-]*)?(?:message-id|in-reply-to|references|content-id)", re.I)
# A header field quoted in a text, with its continuation lines: (name, value). An indented line that is itself a
# field ("        To: user@example.org", the X.400 gateways' "This report relates to your message" summary) is
# not a continuation.
_QUOTED_FIELD = Lowered(r"(?m)^[ \t>]*(received|(?:resent-|original-|x-[\w-]*)?(?:message-id|in-reply-to|references|"
                        r"content-id))[ \t]*:([^\n]*(?:\n[ \t]+(?![ \t]*[\w-]+:)[^\n]*)*)")
_RECEIVED_ID = Lowered(r"\bid[ \t]+<?([^\s<>;]+@[^\s<>;]+?)>?(?=[\s;>]|$)")


def message_ids(msg: Message, parts: Parts | None = None, texts: list[str] | None = None) -> set[str]:
    """Every msg-id (lower-cased, without brackets) of the bounce's headers, the returned originals' headers
    and header lines quoted in ``texts`` (default: the bounce's text parts and the originals kept as text)."""
    heads: list[Message] = [msg]
    quoted: list[str] = list(texts or [])
    if parts is not None:
        heads += [o for o in parts.originals[:3] if isinstance(o, Message)]
        if texts is None:
            quoted = [t[:MAX_ID_SCAN] for t in parts.texts[:3]] + [o[:MAX_ID_SCAN] for o in parts.originals[:3]
                                                                    if isinstance(o, str)]
    ids: set[str] = set()
    for head in heads:
        for name, value in head.items():
            if name.lower() == "received":
                ids.update(m.group(1).strip(".") for m in _RECEIVED_ID.pattern.finditer(str(value).lower()))
            elif _ID_FIELD_NAME.fullmatch(name):
                ids.update(m.group(0).strip(".").lower() for m in ADDRESS.finditer(str(value)))
    for text in quoted:
        for field in _QUOTED_FIELD.pattern.finditer(text.lower()):
            if field.group(1) == "received":
                ids.update(m.group(1).strip(".") for m in _RECEIVED_ID.pattern.finditer(field.group(2)))
            else:
                ids.update(m.group(0).strip(".") for m in ADDRESS.finditer(field.group(2)))
    return ids


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
