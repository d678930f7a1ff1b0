"""What reading a bounce produces: one record per recipient, and the bounds on the reading."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# A bounce's notification sits at the top; what follows is the returned original, which may be huge.
MAX_PARSE_BYTES = 4 * 1024 * 1024
MAX_PARTS = 200
MAX_RECIPIENTS = 1000
MAX_TEXT_CHARS = 200_000
MAX_DIAGNOSTIC_CHARS = 1000
MAX_LINE_CHARS = 2000  # a longer "line" is an encoded blob, not an SMTP reply


@dataclass(slots=True)
class BounceRecord:
    """One recipient of one bounce, as far as the message tells."""

    index: int  # 1-based position of this recipient record within the message
    recipient: str | None
    action: str | None = None  # failed / delayed / delivered / relayed / expanded
    status: str | None = None  # RFC 3463 "5.1.1"
    reply_code: int | None = None
    diagnostic: str | None = None
    remote_mta: str | None = None
    category_hint: str | None = None  # complaint / auto_reply / delivered when the layout says so
    occurred_at: datetime | None = None
    stage: str | None = None  # CONNECT / HELO / MAIL / RCPT / DATA
    note: str | None = None  # why the record is incomplete (unreadable input)
    confidence: str | None = None  # "low" when the recipient or the reason is a guess (rules.py: fallback)


SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
