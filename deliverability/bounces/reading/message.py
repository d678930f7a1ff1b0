"""One bounce email → its recipient records: the layouts, tried from the most to the least explicit."""
from __future__ import annotations

from email.message import Message
from email.utils import getaddresses

from .fields import ROBOT, header_date
from .mime import Parts, delivery_status_in_text, mime_tree
from .notices import from_auto_reply, from_list_refusal
from .plaintext import from_text
from .record import MAX_PARSE_BYTES, MAX_RECIPIENTS, BounceRecord
from .reports import from_amazon_json, from_delivery_status, from_feedback_report, from_unsubscribe_or_jmrp


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
        or from_text(msg, parts, occurred_at)
        or from_list_refusal(msg, parts, occurred_at)
        or from_auto_reply(msg, parts, occurred_at)
    )
    if not records:
        note = "no bounce report found in this message"
        if truncated:
            note += f" (only the first {MAX_PARSE_BYTES // (1024 * 1024)} MB were read)"
        return [BounceRecord(index=1, recipient=None, occurred_at=occurred_at, note=note)]
    for i, record in enumerate(records[:MAX_RECIPIENTS], start=1):
        record.index = i
    return records[:MAX_RECIPIENTS]


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
