"""Bounces without a machine-readable report: the plain-text layouts that MTAs such as Exim, qmail,
Sendmail V5, Yahoo, Gmail or appliances write instead of a DSN."""
from __future__ import annotations

import re
from datetime import datetime
from email.message import Message

from .. import rules as rule_families
from ..smtp import clean_diagnostic, detect_stage, find_remote_mta, find_reply_code, find_status, transcript_stages
from .fields import ROBOT, address_in, cap_diagnostic, header_addresses, join_diagnostics, original_to
from .kinds import is_delay_warning
from .mime import Parts, body_text
from .notices import is_auto_reply
from .record import MAX_TEXT_CHARS, BounceRecord
from .text import ERROR_LINE, REPLY_START, notification_text, text_records, transcript_stage

_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|notification|report|problem)|returned mail|failure notice|"
    r"mail delivery|non-?delivery|could not be delivered|returned to sender|bounce|rejected|"
    r"delivery has failed|warning: could not send|error (?:sending|delivering)|(?:could not|couldn't) send",
    re.I,
)


def _inline_original_to(parts: Parts) -> str | None:
    """The recipient of an original quoted inline ("To: …" in the text)."""
    for text in parts.texts[:2]:
        m = re.search(r"(?im)^to:\s*(.+)$", text)
        if m:
            return address_in(m.group(1))
    return None


def from_text(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """The recipients a plain-text bounce names and why each failed; [] when the message is not a bounce."""
    text = notification_text(parts)
    if not text.strip():
        return []
    subject = str(msg.get("Subject") or "")
    looks_like_bounce = bool(
        _BOUNCE_SUBJECT.search(subject)
        or msg.get("X-Failed-Recipients")
        or ROBOT.match(next(iter(header_addresses(msg, "From")), "") or "")
        or msg.get_content_type() == "multipart/report"
    )
    if not looks_like_bounce and is_auto_reply(msg):
        return []
    records = text_records(msg, text)
    stages, first_stage = transcript_stages(text)
    for r in records:
        r.stage = r.stage or transcript_stage(stages, first_stage, r.recipient, len(records))
    for r in records:
        if (r.recipient or "").lower().endswith("@googlegroups.com") and not (r.status or r.reply_code):
            r.diagnostic = "Google Groups: the sender is not permitted to post to this group, or the group does not exist"
    if not records and looks_like_bounce:
        recipient = original_to(parts) or _inline_original_to(parts)
        if recipient is None and rule_families.on("fallback"):
            recipient = _bare_name_recipient(text, next(iter(header_addresses(msg, "From")), "") or "")
        errors = [line.strip() for line in text.splitlines() if ERROR_LINE.search(line)]
        if recipient or errors:
            diag = cap_diagnostic(clean_diagnostic(" ".join(errors[:6]))) if errors else None
            records = [BounceRecord(index=0, recipient=recipient, diagnostic=diag,
                                    status=find_status(diag), reply_code=find_reply_code(diag),
                                    remote_mta=find_remote_mta(diag), stage=detect_stage(diag),
                                    confidence="low")]
    if not looks_like_bounce and not any(r.reply_code or r.status for r in records):
        return []
    delayed = is_delay_warning(msg, text) if rule_families.on("delay") else None
    for r in records:
        if looks_like_bounce and r.recipient and not (r.reply_code or r.status):
            _reply_from_returned_bounce(r, parts)
        r.occurred_at = occurred_at
        if delayed is None:
            r.action = r.action or ("delayed" if (r.status or "").startswith("4") else "failed")
        else:
            # A plain-text notice returns the message (failed) unless its words say delivery goes on: a
            # 4.x.x reply quoted in a returned message was the last try before the MTA gave up (qmail's
            # "I'm not going to try again", Exim's retry timeout), not a warning.
            r.action = r.action or ("delayed" if delayed else "failed")
    return records


def _reply_from_returned_bounce(record: BounceRecord, parts: Parts) -> None:
    """A gateway's notice that gives no reason ("Unable to deliver message to <user@…>") while the
    message it returns is the bounce it received: take that bounce's reply for this recipient."""
    wanted = (record.recipient or "").lower()
    for original in parts.originals[:2]:
        text = original if isinstance(original, str) else body_text(original)
        if wanted not in text.lower():
            continue
        lines = text[:MAX_TEXT_CHARS].splitlines()
        for no, line in enumerate(lines):
            near = " ".join(lines[max(0, no - 1):no + 1]).lower()
            if wanted in near and REPLY_START.match(line.strip()):
                diagnostic = cap_diagnostic(clean_diagnostic(re.sub(r"^\s*<<<\s*", "", line)))
                record.diagnostic = join_diagnostics(record.diagnostic, diagnostic)
                record.status = find_status(diagnostic)
                record.reply_code = find_reply_code(diagnostic)
                record.stage = record.stage or detect_stage(lines[no - 1] if no else "") or detect_stage(diagnostic)
                return


# A failure notice beyond doubt: sent by a mail system (RFC 5321 §4.5.5 null reverse-path, RFC 3834's
# MAILER-DAEMON / postmaster senders) and saying so in its subject (Sendmail "Returned mail", qmail
# "failure notice", Exim "Mail delivery failed", Exchange "Undeliverable", Domino "DELIVERY FAILURE").
_NOTICE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|notification|report|problem)|returned mail|failure notice|"
    r"mail delivery|non-?delivery|could not be delivered|returned to sender|nicht zustellbar|"
    r"unzustellbar|nicht zugestellt|non recapitabile|no entregado|non distribu|onbestelbaar|"
    r"(?:delivery|mail) (?:has )?failed|failed delivery|failure delivery", re.I)


def from_failure_notice(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """A notice that is plainly a bounce but whose layout yielded no recipient: one record, with the best
    recipient guess and ``confidence="low"``, never silence."""
    sender = next(iter(header_addresses(msg, "From")), "") or ""
    subject = str(msg.get("Subject") or "")
    robot_sender = bool(ROBOT.match(sender)) or str(msg.get("Return-Path") or "").strip() == "<>"
    if not ((robot_sender and _NOTICE_SUBJECT.search(subject)) or msg.get("X-Failed-Recipients")
            or (msg.get_content_type() == "multipart/report"
                and str(msg.get_param("report-type") or "").lower() == "delivery-status")):
        return []
    text = notification_text(parts)
    failed = [a.strip() for a in ",".join(msg.get_all("X-Failed-Recipients") or []).split(",") if "@" in a]
    recipient = (failed[0] if failed else None) or original_to(parts) or _inline_original_to(parts) \
        or _bare_name_recipient(text, sender)
    errors = [line.strip() for line in text.splitlines() if ERROR_LINE.search(line)][:6]
    diag = cap_diagnostic(clean_diagnostic(" ".join(errors))) if errors else cap_diagnostic(" ".join(subject.split()))
    delayed = is_delay_warning(msg, text) if rule_families.on("delay") else False
    return [BounceRecord(index=0, recipient=recipient, action="delayed" if delayed else "failed", diagnostic=diag,
                         status=find_status(diag), reply_code=find_reply_code(diag), remote_mta=find_remote_mta(diag),
                         stage=detect_stage(diag), occurred_at=occurred_at, confidence="low")]


# AOL's and other webmail systems' notices list screen names without a domain under "the following
# recipients": the address is the name at the reporting system's domain.
_LIST_INTRO = re.compile(r"following (?:recipients?|address(?:es)?)", re.I)
_BARE_NAME = re.compile(r"^\s+([A-Za-z0-9][A-Za-z0-9._+\-]{0,63})\s*$")


def _bare_name_recipient(text: str, sender: str) -> str | None:
    if "@" not in sender:
        return None
    lines = text.splitlines()
    for no, line in enumerate(lines[:60]):
        if _LIST_INTRO.search(line):
            for following in lines[no + 1:no + 4]:
                m = _BARE_NAME.match(following)
                if m:
                    return f"{m.group(1)}@{sender.rsplit('@', 1)[1]}"
    return None
