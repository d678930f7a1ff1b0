"""What kind of notice a message is, from its wording: a delay warning, a final failure after retries,
a challenge/response or whitelist request, a read receipt. Each pattern names its family and source."""
from __future__ import annotations

import re
from email.message import Message

from .fields import Lowered
from .mime import Parts

# Delay warnings: the MTA still holds the message and will retry. Families: Sendmail's
# "Warning: could not send message for past 4 hours" / "will keep trying"; Exim's delay_warning
# ("Warning: message … delayed 24 hours", "has not yet been delivered", "No action is required on your
# part. Delivery attempts will continue"); Postfix's delay_notice ("Delayed Mail (still being retried)",
# "THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND"); Exchange / Office 365 "Delivery Status
# Notification (Delay)", "Delivery to the following recipients has been delayed"; MDaemon, Domino and
# GroupWise "Mail Delivery Warning", "has been postponed", "will be retried"; German "verzögert".
DELAY_SUBJECT = Lowered(
    r"\bdelay(?:ed)?\b|\bwarning\b|still being retried|verz[oö]gert|retard|retras|ritard")
DELAY_TEXT = Lowered(
    r"will (?:continue to|keep(?: on)?) try|delivery attempts will continue|will be retried|will retry\b|"
    r"(?:still|will) (?:be )?(?:trying|attempting)|not yet been delivered|has been postponed|"
    r"(?:delivery|message) (?:to the following recipients )?(?:has been |is |was )?delayed|"
    r"could not send message for past|warning(?: message)? only|you do not need to resend|"
    r"do not need to (?:re-?send|take any action)|no action is required on your part|"
    r"wird (?:weiterhin|erneut) versucht|nouvelle tentative|se reintentar")
# A final failure after retries, though the last reply was temporary (qmail's "I'm not going to try
# again; this message has been in the queue too long", Exim's "retry timeout exceeded", Sendmail's
# "Cannot send message for 5 days", Postfix's "delivery temporarily suspended … message expired").
GIVE_UP = Lowered(
    r"not going to try again|in the queue too long|retry time(?:out)? (?:not reached|exceeded)|giving up|"
    r"gave up|cannot send message for|could not be delivered for \d|message expired|"
    r"(?:expired|too old) (?:in|on) (?:the )?queue|permanent(?:ly)? (?:fail|error|undeliverable)|"
    r"no (?:more|further) (?:attempts|retries)|will not be retried|will not retry")


# Words one of which each family's patterns need: a substring test skips most regex scans.
_DELAY_WORDS = ("try", "retr", "delay", "postpone", "not yet", "warning", "resend", "no action", "past",
                "attempts will", "attempting", "do not need to", "versucht", "tentative", "reintentar")
_GIVE_UP_WORDS = ("try", "queue", "retr", "giving up", "gave up", "cannot send", "could not be delivered",
                  "expired", "too old", "permanent", "no more", "no further")
_CHALLENGE_WORDS = ("verif", "confirm", "prove", "authenticat", "validat", "white", "safe", "approv", "pending",
                    "awaiting", "requires", "require ", "to be added", "protected", "filtered", "challenge", "trusted", "bestätig",
                    "bestatig", "veuillez")


def is_delay_warning(msg: Message, text: str) -> bool:
    """A delay warning, by its subject or its words, unless it also says delivery was given up."""
    head = text[:4000].lower()
    subject = str(msg.get("Subject") or "")
    if any(w in head for w in _GIVE_UP_WORDS) and GIVE_UP.pattern.search(head):
        return False
    return bool((any(w in head for w in _DELAY_WORDS) and DELAY_TEXT.pattern.search(head))
                or (DELAY_SUBJECT.search(subject) and not _FAILURE_SUBJECT.search(subject)))


_FAILURE_SUBJECT = Lowered(r"fail|undeliver|returned|not (?:be )?delivered|nicht zugestellt|non remis|rejected")

# Challenge/response and whitelist requests (Boxbe, Spam Arrest, Mailinblack, SpamCop's and ISPs'
# sender verification, TMDA, qconfirm, Bluebottle): the mail is held until the sender proves it is a
# person. Not a bounce: the mailbox exists. RFC 3834 marks some of them auto-replied.
_CHALLENGE = Lowered(
    r"(?:verify|confirm|prove|authenticate|validate)\w* (?:that )?(?:you are|you're) (?:a )?(?:human|real|person|not a)|"
    r"(?:click|follow|visit) (?:on )?(?:the|this) (?:link|url|button) (?:below )?to (?:verify|confirm|validate|approve|be added)|"
    r"(?:added|add you) to (?:my|the|our|their|his|her) (?:white ?list|approved senders|safe ?list|list of (?:approved|trusted) senders)|"
    r"(?:awaiting|pending|requires?) (?:your )?(?:sender )?(?:verification|confirmation|approval)|"
    r"(?:protected|filtered) by (?:boxbe|spam ?arrest|mailinblack|bluebottle|choicemail|sanebox|tmda|qconfirm)|"
    r"\bchallenge[/ -](?:response|email)|anti-?spam (?:verification|confirmation) (?:request|required)|"
    r"sender (?:verification|authentication) (?:request|required)|white ?list request|"
    r"(?:bitte )?best[äa]tigen sie,? dass sie|veuillez confirmer (?:que vous|votre)")
_CHALLENGE_HEADERS = ("X-Boxbe-Challenge", "X-Spamarrest-Noauth", "X-Mib-Challenge", "X-TMDA-Confirm-Address",
                      "X-Challenge", "X-Bluebottle-Request")

# Read receipts: RFC 8098 message disposition notifications (multipart/report;
# report-type=disposition-notification), and Outlook / Exchange "Read: <subject>" receipts sent as plain text.
_RECEIPT_SUBJECT = Lowered(r"^\s*(?:read|gelesen|lu|le[ií]do|letto|gelezen|læst|läst|luettu)\s*:|"
                           r"^\s*(?:read|return|delivery) receipt\b|^\s*(?:message|e-?mail) (?:was )?read\b")
_RECEIPT_TEXT = Lowered(r"(?:was|has been) read on|\bwas read at\b|wurde am .{0,40} gelesen|a été lu")


def not_a_bounce(msg: Message, parts: Parts, text: str) -> str | None:
    """Why the message is not a bounce ("challenge/response request", "read receipt"), or None."""
    report_type = str(msg.get_param("report-type") or "").lower() if msg.get_content_type() == "multipart/report" else ""
    mdn = parts_part(msg, "message/disposition-notification")
    if report_type == "disposition-notification" or mdn is not None:
        # RFC 8098 §3.2.6: "displayed" is a read receipt; "deleted", "denied" or "failed" is a refusal
        # (a Sieve reject, RFC 5429, is sent this way by Dovecot and Cyrus): read as a bounce.
        body = mdn.get_payload() if mdn is not None else ""
        disposition = body if isinstance(body, str) else " ".join(str(b) for b in body)
        if not re.search(r"(?im)^disposition:.*\b(?:deleted|denied|failed|error)\b", disposition):
            return "read receipt"
    subject = str(msg.get("Subject") or "")
    head = text[:6000]
    if _RECEIPT_SUBJECT.search(subject) and (_RECEIPT_TEXT.search(head) or not _FAILURE_WORDS.search(head)):
        return "read receipt"
    if any(msg.get(h) for h in _CHALLENGE_HEADERS):
        return "challenge/response request"
    lowered = head.lower()
    if any(w in lowered for w in _CHALLENGE_WORDS) and _CHALLENGE.pattern.search(lowered):
        return "challenge/response request"
    return None


_FAILURE_WORDS = Lowered(r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b|undeliver|could not be delivered|failed|unknown")


def parts_part(msg: Message, ctype: str) -> Message | None:
    """The first part of this content type (not inside a returned original)."""
    stack, seen = [msg], 0
    while stack and seen < 200:
        part = stack.pop()
        seen += 1
        if part.get_content_type() == ctype:
            return part
        payload = part.get_payload()
        if isinstance(payload, list) and part.get_content_type().startswith("multipart/"):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return None
