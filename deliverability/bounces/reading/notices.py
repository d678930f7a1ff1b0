"""Messages that are not bounces but come back the same way: a mailing list refusing a post from a
non-member, and RFC 3834 auto-replies."""
from __future__ import annotations

import re
from datetime import datetime
from email.message import Message
from email.utils import getaddresses

from ..smtp import clean_diagnostic
from .fields import ADDRESS, Lowered, address_in, cap_diagnostic
from .mime import Parts
from .record import BounceRecord
from .text import notification_text

# --- a mailing list refusing a post from a non-member -------------------------------------------
_LIST_HEADERS = ("X-MLServer", "X-ML-Name", "X-ML-Info", "Mailing-List", "List-Id", "List-Post", "List-Subscribe")
_LIST_REFUSAL = Lowered(r"\bnot (?:a )?(?:member|subscriber) of (?:this|the|our) (?:mailing[ -]?)?list\b|"
                        r"\bnot member article from\b")


def from_list_refusal(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """A list manager's notice ("You are not a member of this mailing list <list@…>"): the post was
    refused because of its sender. The recipient is the list."""
    if not any(msg.get(h) for h in _LIST_HEADERS):
        return []
    for line in notification_text(parts).splitlines()[:40]:
        if _LIST_REFUSAL.search(line):
            found = ADDRESS.search(line)
            recipient = found.group(0).strip(".") if found else address_in(str(msg.get("List-Post") or ""))
            return [BounceRecord(index=0, recipient=recipient, action="failed",
                                 diagnostic=cap_diagnostic(clean_diagnostic(line)), occurred_at=occurred_at)]
    return []


# --- RFC 3834 auto-replies --------------------------------------------------------------------
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s_-]*(?:reply|response|antwort)|out of (?:the )?office|abwesenheit|"
    r"absence|vacation|on leave|away from|autoreply|autoresponder|r[ée]ponse automatique|"
    r"automatische antwort|自動応答|不在)",
    re.I,
)


def is_auto_reply(msg: Message) -> bool:
    """Whether the headers or the subject mark the message as an automatic answer."""
    auto = str(msg.get("Auto-Submitted") or "").lower()
    return bool(
        auto.startswith("auto-replied")
        or msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress") and _AUTO_SUBJECT.search(str(msg.get("Subject") or ""))
        or str(msg.get("Precedence") or "").lower() == "auto_reply"
        or _AUTO_SUBJECT.search(str(msg.get("Subject") or ""))
    )


def from_auto_reply(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """An out-of-office or other automatic answer: one record for its sender."""
    if not is_auto_reply(msg):
        return []
    senders = [addr for _, addr in getaddresses([str(v) for v in msg.get_all("From") or []]) if addr]
    subject = " ".join(str(msg.get("Subject") or "").split())
    return [BounceRecord(index=0, recipient=senders[0] if senders else None, diagnostic=subject or "auto-reply",
                         category_hint="auto_reply", occurred_at=occurred_at)]
