"""One bounce email → its recipient records: the layouts, tried from the most to the least explicit."""
from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from .. import rules as rule_families
from .fields import ROBOT, header_date, message_id_test
from .kinds import not_a_bounce
from .mime import Parts, delivery_status_in_text, mime_tree
from .notices import from_auto_reply, from_list_refusal
from .plaintext import from_failure_notice, from_text
from .record import MAX_PARSE_BYTES, MAX_RECIPIENTS, BounceRecord
from .reports import from_amazon_json, from_delivery_status, from_feedback_report, from_unsubscribe_or_jmrp
from .text import notification_text


def parse_message(data: bytes) -> list[BounceRecord]:
    """Every recipient record in one bounce email (DSN, ARF, auto-reply or plain-text layout)."""
    try:
        return _parse(data)
    except Exception as exc:  # bad input must never stop an import
        return [BounceRecord(index=1, recipient=None, note=f"unreadable message: {type(exc).__name__}")]


def _parse(data: bytes, depth: int = 0) -> list[BounceRecord]:
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse_message expects bytes")
    if not data.strip():
        return [BounceRecord(index=1, recipient=None, note="empty message")]
    truncated = len(data) > MAX_PARSE_BYTES
    msg = mime_tree(bytes(data[:MAX_PARSE_BYTES]))
    parts = Parts.collect(msg)
    if not parts.delivery_status:
        delivery_status_in_text(parts)
    occurred_at = header_date(msg.get("Date"))

    records = (
        from_feedback_report(msg, parts, occurred_at)
        or from_unsubscribe_or_jmrp(msg, parts, occurred_at)
        or from_amazon_json(parts)
        or from_delivery_status(msg, parts, occurred_at)
        or (_from_forwarded_bounce(parts, depth) if depth < 3 else [])
        or _not_a_bounce(msg, parts, occurred_at)
        or from_text(msg, parts, occurred_at)
        or from_list_refusal(msg, parts, occurred_at)
        or from_auto_reply(msg, parts, occurred_at)
        or (from_failure_notice(msg, parts, occurred_at) if rule_families.on("fallback") else [])
    )
    if records and any(r.recipient for r in records):
        records = _without_message_ids(msg, parts, records)
    if not records:
        note = "no bounce report found in this message"
        if truncated:
            note += f" (only the first {MAX_PARSE_BYTES // (1024 * 1024)} MB were read)"
        return [BounceRecord(index=1, recipient=None, occurred_at=occurred_at, note=note)]
    for i, record in enumerate(records[:MAX_RECIPIENTS], start=1):
        record.index = i
    return records[:MAX_RECIPIENTS]


def _not_a_bounce(msg: Message, parts: Parts, occurred_at) -> list[BounceRecord]:
    """Challenge/response or whitelist requests and read receipts: one auto-reply record for the
    mailbox that answered (it exists), never a bounce."""
    if not rule_families.on("not_bounce"):
        return []
    text = notification_text(parts)
    why = not_a_bounce(msg, parts, text)
    if why is None or (why != "read receipt" and _FAILURE_EVIDENCE.search(text[:6000])):
        return []  # a refusal that also talks about whitelists is a bounce
    senders = [addr for _, addr in getaddresses([str(v) for v in msg.get_all("From") or []]) if addr]
    return [BounceRecord(index=0, recipient=senders[0] if senders else None, diagnostic=why,
                         category_hint="auto_reply", occurred_at=occurred_at)]


# The marks of an SMTP refusal: a 4xx/5xx reply at a line start or an enhanced status.
_FAILURE_EVIDENCE = re.compile(r"(?m)^\s*(?:<<<\s*)?[45]\d\d[\s-]|\b[45]\.\d{1,3}\.\d{1,3}\b")


def _from_forwarded_bounce(parts: Parts, depth: int) -> list[BounceRecord]:
    """A bounce forwarded as an attachment: read the attached bounce."""
    for original in parts.originals:
        if not isinstance(original, Message):
            continue
        sender = str(original.get("From") or "")
        if original.get_content_type() == "multipart/report" or ROBOT.search(
                next(iter(a for _, a in getaddresses([sender]) if a), "") or ""):
            raw = getattr(original, "raw_bytes", None)
            records = _parse(raw if isinstance(raw, bytes) else original.as_bytes(), depth + 1)
            if records and records[0].recipient:
                return records
    return []


def _without_message_ids(msg: Message, parts: Parts, records: list[BounceRecord]) -> list[BounceRecord]:
    """The records whose recipient is not a msg-id (RFC 5322 §3.6.4: Message-ID, References, a Received "id <…>"),
    whichever layout read it: an id has an address's syntax but never names a recipient. When every record
    was one, a single record without a recipient says so."""
    is_id = message_id_test(msg, parts)
    kept = [r for r in records if not (r.recipient and is_id(r.recipient))]
    if kept:
        return kept
    return [BounceRecord(index=1, recipient=None, occurred_at=records[0].occurred_at,
                         note="the only address found is a message id (Message-ID, References or Received), "
                              "not a recipient")]
