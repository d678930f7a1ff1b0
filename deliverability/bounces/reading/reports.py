"""Machine-readable reports: RFC 3464 delivery status notifications, ARF feedback reports (RFC 5965)
and the complaints sent without one (Apple Mail unsubscribe, Microsoft JMRP), Amazon SES notifications."""
from __future__ import annotations

import json
import re
from datetime import datetime
from email.message import Message
from email.utils import getaddresses

from .. import rules as rule_families
from ..smtp import clean_diagnostic, detect_stage, find_remote_mta, find_reply_code, find_status, transcript_stages
from .fields import (
    address_in,
    cap_diagnostic,
    fields_in_text,
    header_date,
    is_address,
    iso_time,
    join_diagnostics,
    mta_host,
    original_to,
    part_blocks,
    part_fields,
)
from .kinds import is_delay_warning
from .mime import Parts
from .record import SUCCESS_ACTIONS, BounceRecord
from .text import notification_text, text_records, transcript_stage


# --- ARF --------------------------------------------------------------------------------------
def from_feedback_report(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """An ARF feedback report (a spam complaint): one complaint record per reported recipient."""
    report_type = (msg.get_param("report-type") or "") if msg.get_content_type() == "multipart/report" else ""
    if (not parts.feedback and str(report_type).lower() != "feedback-report"
            and not re.search(r"(?im)^feedback-type:\s*\w", "\n".join(parts.texts[:3]))):
        return []
    fields: list[tuple[str, str]] = []
    for part in parts.feedback:
        fields.extend(part_fields(part))
    if not fields:
        fields = fields_in_text("\n".join(parts.texts))
    values = {}
    for name, value in fields:
        values.setdefault(name, value)
    # RFC 5965 §3.2: the complaint is about the original recipient: Original-Rcpt-To (and Removal-Recipient, RFC 6650
    # §5, the address to take off a list), else the reported message's To when it is an address. A display name or
    # an empty group ("<Undisclosed Recipients>", "undisclosed-recipients:;") names nobody: the report is then
    # one record without a recipient, saying why (never a recipient made of a name).
    recipients = [address_in(v) for n, v in fields if n in ("original-rcpt-to", "removal-recipient")]
    recipients = [r for r in recipients if is_address(r)]
    if not recipients:
        to = original_to(parts)
        recipients = [to] if is_address(to) else []
    when = header_date(values.get("arrival-date") or values.get("received-date")) or occurred_at
    feedback_type = values.get("feedback-type", "abuse")
    if not recipients:
        return [BounceRecord(index=0, recipient=None, diagnostic=f"feedback report: {feedback_type}",
                             category_hint="complaint", occurred_at=when,
                             note=f"feedback report ({feedback_type}) naming no recipient address: no Original-Rcpt-To, "
                                  f"and the reported message's To {_quoted_to(parts)}is not an address")]
    return [
        BounceRecord(index=0, recipient=r, action=None, diagnostic=f"feedback report: {feedback_type}",
                     remote_mta=values.get("reporting-mta", "").split(";")[-1].strip() or None,
                     category_hint="complaint", occurred_at=when)
        for r in dict.fromkeys(recipients)
    ]


def _quoted_to(parts: Parts) -> str:
    """The reported message's To as written (a display name, a group), quoted for a note; "" when it has none."""
    for original in parts.originals:
        value = original.get("To") if isinstance(original, Message) else None
        if value is None and isinstance(original, str):
            m = re.search(r"(?im)^to:[ \t]*(.*)$", original)
            value = m.group(1) if m else None
        if value is not None:
            shown = " ".join(str(value).split())[:60]
            return f'("{shown}") ' if shown else ""
    return ""


def from_unsubscribe_or_jmrp(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """Apple Mail's one-click unsubscribe and Microsoft's JMRP reports: complaints without an ARF part."""
    if str(msg.get("X-Apple-Unsubscribe") or "").lower() == "true":
        senders = [a for _, a in getaddresses([str(v) for v in msg.get_all("From") or []]) if a]
        return [BounceRecord(index=0, recipient=senders[0] if senders else None, category_hint="complaint",
                             diagnostic="unsubscribe request (Apple Mail)", occurred_at=occurred_at)]
    for original in parts.originals:
        if isinstance(original, Message) and original.get("X-HmXmrOriginalRecipient"):
            return [BounceRecord(index=0, recipient=address_in(original.get("X-HmXmrOriginalRecipient")),
                                 category_hint="complaint", diagnostic="feedback report: abuse (Microsoft JMRP)",
                                 occurred_at=occurred_at)]
    return []


# --- Amazon SES notification (JSON in the body) ------------------------------------------------
def from_amazon_json(parts: Parts) -> list[BounceRecord]:
    """An SES bounce, complaint or delivery notification (or its SNS envelope) pasted in the body."""
    for text in parts.texts[:2]:
        if '"notificationType"' not in text and '\\"notificationType\\"' not in text:
            continue
        start = text.find("{")
        if start < 0:
            continue
        try:
            doc, _ = json.JSONDecoder().raw_decode(text[start:].replace("\n ", "").replace("\r\n ", ""))
        except ValueError:
            try:
                doc, _ = json.JSONDecoder().raw_decode(re.sub(r"\r?\n ", "", text[start:]))
            except ValueError:
                continue
        if isinstance(doc, dict) and isinstance(doc.get("Message"), str):
            try:
                doc = json.loads(doc["Message"])
            except ValueError:
                continue
        if isinstance(doc, dict):
            return _ses_records(doc)
    return []


def _ses_records(doc: dict) -> list[BounceRecord]:
    kind = str(doc.get("notificationType") or doc.get("eventType") or "").lower()
    records: list[BounceRecord] = []
    if kind == "bounce":
        bounce = doc.get("bounce") or {}
        when = iso_time(bounce.get("timestamp"))
        for rcpt in bounce.get("bouncedRecipients") or []:
            diag = clean_diagnostic(rcpt.get("diagnosticCode"))
            records.append(BounceRecord(
                index=0, recipient=rcpt.get("emailAddress"), action=rcpt.get("action") or "failed",
                status=find_status(rcpt.get("status")) or find_status(diag), reply_code=find_reply_code(diag),
                diagnostic=diag, remote_mta=mta_host(bounce.get("remoteMtaIp") or bounce.get("reportingMTA")),
                occurred_at=when, stage=detect_stage(diag),
                category_hint="suppressed" if str(bounce.get("bounceSubType", "")).lower()
                in ("suppressed", "onaccountsuppressionlist") else None,
            ))
    elif kind == "complaint":
        complaint = doc.get("complaint") or {}
        for rcpt in complaint.get("complainedRecipients") or []:
            records.append(BounceRecord(index=0, recipient=rcpt.get("emailAddress"), category_hint="complaint",
                                        diagnostic="feedback report: " + str(complaint.get("complaintFeedbackType") or "abuse"),
                                        occurred_at=iso_time(complaint.get("timestamp"))))
    elif kind == "delivery":
        delivery = doc.get("delivery") or {}
        for rcpt in delivery.get("recipients") or []:
            diag = clean_diagnostic(delivery.get("smtpResponse"))
            records.append(BounceRecord(index=0, recipient=rcpt, action="delivered", status=find_status(diag),
                                        reply_code=find_reply_code(diag), diagnostic=diag,
                                        remote_mta=delivery.get("reportingMTA"), category_hint="delivered",
                                        occurred_at=iso_time(delivery.get("timestamp"))))
    return records


# --- RFC 3464 ---------------------------------------------------------------------------------
# An X.400 O/R address ("x400; /RFC-822=user(a)example.com/ADMD= /C=WW/", gateways such as Exchange 5.5,
# MMS and BT's X.400 relays) or any other address type that is not an Internet address.
_X400 = re.compile(r"/[a-z0-9-]+=|^/|\(a\)", re.I)
_INTERNET_TYPES = ("rfc822", "utf-8", "")


def dsn_recipient(fields_of: dict[str, str]) -> tuple[str | None, str | None]:
    """(the address the sender mailed, the final recipient) of one RFC 3464 per-recipient block.

    RFC 3464 §2.3.1: Original-Recipient is the address as the sender gave it (before aliases and
    forwarding rewrote it into the Final-Recipient, e.g. "user@sims-ms-daemon", a PMDF or Sun
    Messaging Server's local channel). Reported when it is a usable Internet address; the final
    recipient stays the evidence the text is read against. Never an X.400 O/R address.
    """
    final = _internet_address(fields_of.get("final-recipient"))
    if not rule_families.on("recipient"):
        return address_in(fields_of.get("final-recipient") or fields_of.get("original-recipient")), final
    original = _internet_address(fields_of.get("original-recipient"))
    chosen = original or final or _internet_address(fields_of.get("x-actual-recipient"))
    if chosen is None:  # a local name ("user@localhost"): still the recipient, unless an X.400 address
        raw = address_in(fields_of.get("final-recipient") or fields_of.get("original-recipient"))
        chosen = raw if raw and "@" in raw and not _X400.search(raw) else None
    return chosen, final


def _internet_address(value: str | None) -> str | None:
    if not value:
        return None
    kind = value.split(";", 1)[0].strip().lower() if ";" in value else ""
    if kind not in _INTERNET_TYPES:
        return None
    found = address_in(value)
    if not found or "@" not in found or _X400.search(found):
        return None
    domain = found.rsplit("@", 1)[1]
    return found if "." in domain or domain.startswith("[") else None

_PER_RECIPIENT_START = ("original-recipient", "final-recipient")
_PER_RECIPIENT_FIELDS = frozenset({"action", "status", "diagnostic-code", "remote-mta", "last-attempt-date",
                                   "will-retry-until", "x-actual-recipient"})
_X_UNIX_EXIT = re.compile(r"^\s*x-unix\s*;\s*(\d{1,3})\s*$", re.I)


def from_delivery_status(msg: Message, parts: Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """An RFC 3464 report: one record per recipient block, completed from the text where the fields say little."""
    if not parts.delivery_status:
        return []
    blocks: list[list[tuple[str, str]]] = []
    for part in parts.delivery_status:
        blocks.extend(part_blocks(part))
    per_message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    for block in blocks:
        current: dict[str, str] | None = None
        pending: dict[str, str] = {}
        for name, value in block:
            if name in _PER_RECIPIENT_START:
                if current is None or name in current:
                    current = dict(pending)
                    pending = {}
                    recipients.append(current)
                current.setdefault(name, value)
            elif current is None:
                if name in _PER_RECIPIENT_FIELDS:
                    pending.setdefault(name, value)
                else:
                    per_message.setdefault(name, value)
            elif name == "diagnostic-code" and name in current:
                current[name] += " " + value
            else:
                current.setdefault(name, value)
        if current is None:
            per_message.update({k: v for k, v in pending.items() if k not in per_message})
    text = notification_text(parts)
    read_in_text = {(_r.recipient or "").lower(): _r for _r in text_records(msg, text)} if text else {}
    stages, first_stage = transcript_stages(text)
    records: list[BounceRecord] = []
    for fields_of in recipients:
        recipient, final = dsn_recipient(fields_of)
        guessed = recipient is None and rule_families.on("fallback")
        if guessed:  # an X.400-only block: the returned original's To is the best guess
            recipient = original_to(parts)
        action = (fields_of.get("action") or "").strip().lower() or None
        if action is None and rule_families.on("delay") and text:
            # No Action field (RFC 3464 makes it required; some gateways leave it out): the notice's words.
            action = "delayed" if is_delay_warning(msg, text) else None
        raw_diagnostic = fields_of.get("diagnostic-code") or ""
        diagnostic = clean_diagnostic(raw_diagnostic)
        if diagnostic and diagnostic.lower() in ("", "none", "smtp;", "x-unix;"):
            diagnostic = None
        exit_status = _X_UNIX_EXIT.match(raw_diagnostic)
        if exit_status:  # RFC 3464 diagnostic type X-Unix: a local delivery program's exit status, not SMTP
            diagnostic = f"local delivery program failed (mailer error, exit status={exit_status.group(1)})"
        from_text = read_in_text.get((final or "").lower()) or read_in_text.get((recipient or "").lower())
        if from_text and from_text.diagnostic and (
                not diagnostic or (find_reply_code(diagnostic) is None and len(diagnostic) < 25)):
            diagnostic = join_diagnostics(diagnostic, from_text.diagnostic)
        status = find_status(fields_of.get("status")) or find_status(diagnostic)
        remote = mta_host(fields_of.get("remote-mta")) or find_remote_mta(diagnostic)
        when = header_date(fields_of.get("last-attempt-date") or per_message.get("arrival-date")) or occurred_at
        records.append(BounceRecord(
            index=0, recipient=recipient, action=action, status=status, reply_code=find_reply_code(diagnostic),
            diagnostic=cap_diagnostic(diagnostic), remote_mta=remote,
            category_hint="delivered" if action in SUCCESS_ACTIONS else None, occurred_at=when,
            stage=detect_stage(diagnostic) or (from_text.stage if from_text else None)
            or transcript_stage(stages, first_stage, final or recipient, len(recipients)),
            confidence="low" if guessed else None,
        ))
    return records

