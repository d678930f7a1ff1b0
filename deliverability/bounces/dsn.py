"""Bounce emails → one record per failed recipient.

Reads RFC 3464 delivery status notifications (``message/delivery-status``), ARF feedback reports
(RFC 5965), auto-replies (RFC 3834), Amazon SES notifications, and the plain-text layouts that
MTAs such as Exim, qmail, Sendmail V5, Yahoo, Gmail or appliances write instead of a DSN.

Never raises on bad input: a message we cannot read yields one record with ``category_hint``
``None``, no diagnostic and a ``note`` saying why.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .smtp import clean_diagnostic, detect_stage, find_remote_mta, find_reply_code, find_status, transcript_stages

# A bounce's notification sits at the top; what follows is the returned original, which may be huge.
MAX_PARSE_BYTES = 4 * 1024 * 1024
MAX_PARTS = 200
MAX_RECIPIENTS = 1000
MAX_TEXT_CHARS = 200_000
MAX_DIAGNOSTIC_CHARS = 1000
MAX_LINE_CHARS = 2000  # a longer "line" is an encoded blob, not an SMTP reply


@dataclass(slots=True)
class BounceRecord:
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


SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})

_ADDRESS = re.compile(r"(?<![A-Za-z0-9._%+\-=/!#$&'*?^`{|}~])[A-Za-z0-9][A-Za-z0-9._%+\-=/!#$&'*?^`{|}~]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+")
_ROBOT = re.compile(r"^(?:mailer-daemon|post_?master|mail-daemon|maildaemon|daemon|bounce[s]?|"
                    r"no-?reply|double-bounce|root)(?:@|$)", re.I)
# Where the returned original message begins in a plain-text bounce.
class _Lowered:
    """A lower-case pattern applied to lower-cased text: re.I disables re's literal fast paths."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text.lower())

    def match(self, text: str) -> re.Match[str] | None:
        return self.pattern.match(text.lower())


_ORIGINAL_MARKER = _Lowered(
    r"^\s*(?:[-=_*]{2,}.*(?:original|returned|copy of|headers? of|below this line|unsent|"
    r"undelivered message|message text|message follows)|"
    r"(?:original|returned|unsent|undelivered) message (?:follows|header|text|below|is attached)|"
    r"message headers follow|the header of the original message|"
    r"content-type:\s*message/rfc822|"
    r"(?:original-)?(?:received|return-path|dkim-signature|x-original-to):\s)",
)
_ERROR_LINE = _Lowered(
    r"(?:\b[245]\d\d[\s\-]|\b[245]\.\d{1,3}\.\d{1,3}\b|unknown|not exist|no such|invalid|reject|denied|"
    r"refused|blocked|full|quota|exceed|limit|not (?:be )?(?:recognized|delivered|found|listed)|no valid|disabled|suspend|expired|timed? ?out|too (?:large|big|many)|spam|"
    r"policy|unavailable|failed|failure|error|problem|unable|could not|couldn't|can't|cannot|misconfigured)",
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s_-]*(?:reply|response|antwort)|out of (?:the )?office|abwesenheit|"
    r"absence|vacation|on leave|away from|autoreply|autoresponder|r[ée]ponse automatique|"
    r"automatische antwort|自動応答|不在)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|notification|report|problem)|returned mail|failure notice|"
    r"mail delivery|non-?delivery|could not be delivered|returned to sender|bounce|rejected|"
    r"delivery has failed|warning: could not send|error (?:sending|delivering)|(?:could not|couldn't) send",
    re.I,
)
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")


def parse_message(data: bytes) -> list[BounceRecord]:
    """Every recipient record in one bounce email (DSN, ARF, auto-reply or plain-text layout)."""
    try:
        return _parse(data)
    except Exception as exc:  # noqa: BLE001 - bad input must never stop an import
        return [BounceRecord(index=1, recipient=None, note=f"unreadable message: {type(exc).__name__}")]


# ---------------------------------------------------------------------------------------------
def _parse(data: bytes, depth: int = 0) -> list[BounceRecord]:
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse_message expects bytes")
    if not data.strip():
        return [BounceRecord(index=1, recipient=None, note="empty message")]
    truncated = len(data) > MAX_PARSE_BYTES
    msg = _mime_tree(bytes(data[:MAX_PARSE_BYTES]))
    parts = _Parts.collect(msg)
    if not parts.delivery_status:
        _delivery_status_in_text(parts)
    occurred_at = _date(msg.get("Date"))

    records = (
        _from_feedback_report(msg, parts, occurred_at)
        or _from_unsubscribe_or_jmrp(msg, parts, occurred_at)
        or _from_amazon_json(parts)
        or _from_delivery_status(msg, parts, occurred_at)
        or (_from_forwarded_bounce(parts, depth) if depth < 3 else [])
        or _from_text(msg, parts, occurred_at)
        or _from_list_refusal(msg, parts, occurred_at)
        or _from_auto_reply(msg, parts, occurred_at)
    )
    if not records:
        note = "no bounce report found in this message"
        if truncated:
            note += f" (only the first {MAX_PARSE_BYTES // (1024 * 1024)} MB were read)"
        return [BounceRecord(index=1, recipient=None, occurred_at=occurred_at, note=note)]
    for i, record in enumerate(records[:MAX_RECIPIENTS], start=1):
        record.index = i
    return records[:MAX_RECIPIENTS]


# --- MIME, read lazily ------------------------------------------------------------------------
# The stdlib feed parser walks every line of every part in Python. A bounce needs the headers of
# each part and the bodies of a few: header blocks are split here into compat32 Messages (no header
# objects), bodies are cut at their boundaries with bytes.find and kept as raw payloads, and a
# returned original (message/rfc822) gets its headers parsed, never its MIME tree.
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RFC822_TYPES = frozenset({"message/rfc822", "message/global"})


def _mime_tree(data: bytes, depth: int = 0, budget: list[int] | None = None, headers_only: bool = False) -> Message:
    """A compat32 ``Message`` for ``data``: multiparts split into parts, message/rfc822 into its headers."""
    budget = budget if budget is not None else [MAX_PARTS]
    budget[0] -= 1
    m = _HEADER_END.search(data)
    if data[:1] in (b"\n", b"\r"):  # no headers at all
        head, body = b"", data.lstrip(b"\r\n")
    elif m:
        head, body = data[:m.end()], data[m.end():]
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
            msg.set_payload([_mime_tree(part, depth + 1, budget) for part in parts if budget[0] > 0])
            return msg
    elif ctype in _RFC822_TYPES and depth < 20 and budget[0] > 0:
        msg.set_payload([_mime_tree(body, depth + 1, budget, headers_only=True)])
        return msg
    msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg


_HEADER_LINE_RE = re.compile(r"[\041-\071\073-\176]+:")


def _headers(head: bytes) -> tuple[Message, bytes]:
    """A compat32 ``Message`` holding the header block, as the stdlib feed parser would store it.

    Returns the message and any trailing bytes that turned out not to be headers.
    """
    msg = Message()
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
        if name is not None:
            msg.set_raw(name, "".join(value).rstrip("\r\n"))
        name = line[:m.end() - 1]
        value = [line[m.end():].lstrip(" \t")]
        consumed += len(line)
    if name is not None:
        msg.set_raw(name, "".join(value).rstrip("\r\n"))
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


def _delivery_status_in_text(parts: "_Parts") -> None:
    """RFC 3464 fields printed inside a text part (a broken MIME boundary, or a DSN sent as plain text)."""
    for k, text in enumerate(parts.texts[:3]):
        start = _DSN_FIELDS_START.search(text)
        if start and _DSN_RECIPIENT.search(text, start.start()):
            part = Message()
            part["Content-Type"] = "text/delivery-status"
            part.set_payload(text[start.start():])
            parts.delivery_status.append(part)
            parts.texts[k] = text[:start.start()]
            return


class _Parts:
    """The parts of a bounce that matter, without descending into the returned original."""

    __slots__ = ("delivery_status", "feedback", "texts", "originals", "count")

    def __init__(self) -> None:
        self.delivery_status: list[Message] = []
        self.feedback: list[Message] = []
        self.texts: list[str] = []
        self.originals: list[Message | str] = []
        self.count = 0

    @classmethod
    def collect(cls, msg: Message) -> "_Parts":
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
                self.originals.append(_decode(part))
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
            text = _decode(part)
            if ctype == "text/html":
                text = _HTML_TAG.sub(" ", text).replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
                # keep html only when there is no plain text
                if self.texts:
                    return
            self.texts.append(text[:MAX_TEXT_CHARS])


def _decode(part: Message) -> str:
    try:
        raw = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        raw = None
    if raw is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(str(value).split(";")[-1].strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def _address(value: str | None) -> str | None:
    if not value:
        return None
    value = str(value)
    if ";" in value:
        value = value.split(";", 1)[1]
    m = _ADDRESS.search(value)
    if m:
        return m.group(0).strip(".").lower() if False else m.group(0).strip(".")
    value = value.strip().strip("<>").strip()
    return value or None


def _header_addresses(msg: Message, *names: str) -> set[str]:
    found: set[str] = set()
    for name in names:
        for value in msg.get_all(name) or []:
            # A plain address scan: RFC 5322 address-list parsing costs more than the rest of the
            # bounce and these sets only exclude the bounce's own addresses from recipients.
            found.update(m.group(0).strip(".").lower() for m in _ADDRESS.finditer(str(value)))
    return found


# --- ARF --------------------------------------------------------------------------------------
_ARF_FIELD = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*)$")


def _fields(text: str) -> list[tuple[str, str]]:
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


def _part_fields(part: Message) -> list[tuple[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list):
        fields: list[tuple[str, str]] = []
        for block in payload:
            if isinstance(block, Message):
                fields.extend((k.lower(), " ".join(str(v).split())) for k, v in block.items())
                body = block.get_payload()
                if isinstance(body, str) and body.strip():
                    fields.extend(_fields(body))
        return fields
    return _fields(_decode(part))


def _part_blocks(part: Message) -> list[list[tuple[str, str]]]:
    """The field blocks of a delivery-status part (per-message block first, then per-recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                fields = [(k.lower(), " ".join(str(v).split())) for k, v in block.items()]
                body = block.get_payload()
                if isinstance(body, str) and body.strip():
                    fields.extend(_fields(body))
                blocks.append(fields)
        return blocks
    text = _decode(part)
    return [_fields(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", text) if chunk.strip()]


def _original_to(parts: _Parts) -> str | None:
    for original in parts.originals:
        if isinstance(original, Message):
            for name in ("To", "Delivered-To", "X-Original-To"):
                if original.get(name):
                    return _address(original.get(name))
        else:
            m = re.search(r"(?im)^(?:to|x-original-to|delivered-to):\s*(.+)$", original)
            if m:
                return _address(m.group(1))
    return None


def _from_feedback_report(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    report_type = (msg.get_param("report-type") or "") if msg.get_content_type() == "multipart/report" else ""
    if not parts.feedback and str(report_type).lower() != "feedback-report":
        if not re.search(r"(?im)^feedback-type:\s*\w", "\n".join(parts.texts[:3])):
            return []
    fields: list[tuple[str, str]] = []
    for part in parts.feedback:
        fields.extend(_part_fields(part))
    if not fields:
        fields = _fields("\n".join(parts.texts))
    values = {}
    for name, value in fields:
        values.setdefault(name, value)
    recipients = [_address(v) for n, v in fields if n in ("original-rcpt-to", "removal-recipient")]
    recipients = [r for r in recipients if r] or [_original_to(parts)]
    when = _date(values.get("arrival-date") or values.get("received-date")) or occurred_at
    feedback_type = values.get("feedback-type", "abuse")
    return [
        BounceRecord(index=0, recipient=r, action=None, diagnostic=f"feedback report: {feedback_type}",
                     remote_mta=values.get("reporting-mta", "").split(";")[-1].strip() or None,
                     category_hint="complaint", occurred_at=when)
        for r in dict.fromkeys(recipients)
    ]


def _from_unsubscribe_or_jmrp(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """Apple Mail's one-click unsubscribe and Microsoft's JMRP reports: complaints without an ARF part."""
    if str(msg.get("X-Apple-Unsubscribe") or "").lower() == "true":
        senders = [a for _, a in getaddresses([str(v) for v in msg.get_all("From") or []]) if a]
        return [BounceRecord(index=0, recipient=senders[0] if senders else None, category_hint="complaint",
                             diagnostic="unsubscribe request (Apple Mail)", occurred_at=occurred_at)]
    for original in parts.originals:
        if isinstance(original, Message) and original.get("X-HmXmrOriginalRecipient"):
            return [BounceRecord(index=0, recipient=_address(original.get("X-HmXmrOriginalRecipient")),
                                 category_hint="complaint", diagnostic="feedback report: abuse (Microsoft JMRP)",
                                 occurred_at=occurred_at)]
    return []


def _from_forwarded_bounce(parts: _Parts, depth: int) -> list[BounceRecord]:
    """A bounce forwarded as an attachment: read the attached bounce."""
    for original in parts.originals:
        if not isinstance(original, Message):
            continue
        sender = str(original.get("From") or "")
        if original.get_content_type() == "multipart/report" or _ROBOT.search(
                next(iter(a for _, a in getaddresses([sender]) if a), "") or ""):
            raw = getattr(original, "raw_bytes", None)
            records = _parse(raw if isinstance(raw, bytes) else original.as_bytes(), depth + 1)
            if records and records[0].recipient:
                return records
    return []


# --- Amazon SES notification (JSON in the body) ------------------------------------------------
def _from_amazon_json(parts: _Parts) -> list[BounceRecord]:
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
        when = _iso(bounce.get("timestamp"))
        for rcpt in bounce.get("bouncedRecipients") or []:
            diag = clean_diagnostic(rcpt.get("diagnosticCode"))
            records.append(BounceRecord(
                index=0, recipient=rcpt.get("emailAddress"), action=rcpt.get("action") or "failed",
                status=find_status(rcpt.get("status")) or find_status(diag), reply_code=find_reply_code(diag),
                diagnostic=diag, remote_mta=_mta(bounce.get("remoteMtaIp") or bounce.get("reportingMTA")),
                occurred_at=when, stage=detect_stage(diag),
                category_hint="suppressed" if str(bounce.get("bounceSubType", "")).lower()
                in ("suppressed", "onaccountsuppressionlist") else None,
            ))
    elif kind == "complaint":
        complaint = doc.get("complaint") or {}
        for rcpt in complaint.get("complainedRecipients") or []:
            records.append(BounceRecord(index=0, recipient=rcpt.get("emailAddress"), category_hint="complaint",
                                        diagnostic="feedback report: " + str(complaint.get("complaintFeedbackType") or "abuse"),
                                        occurred_at=_iso(complaint.get("timestamp"))))
    elif kind == "delivery":
        delivery = doc.get("delivery") or {}
        for rcpt in delivery.get("recipients") or []:
            diag = clean_diagnostic(delivery.get("smtpResponse"))
            records.append(BounceRecord(index=0, recipient=rcpt, action="delivered", status=find_status(diag),
                                        reply_code=find_reply_code(diag), diagnostic=diag,
                                        remote_mta=delivery.get("reportingMTA"), category_hint="delivered",
                                        occurred_at=_iso(delivery.get("timestamp"))))
    return records


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _mta(value: object) -> str | None:
    if not value:
        return None
    text = str(value)
    return text.split(";", 1)[-1].strip() or None


# --- RFC 3464 ---------------------------------------------------------------------------------
_PER_RECIPIENT_START = ("original-recipient", "final-recipient")
_PER_RECIPIENT_FIELDS = frozenset({"action", "status", "diagnostic-code", "remote-mta", "last-attempt-date",
                                   "will-retry-until", "x-actual-recipient"})


def _from_delivery_status(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    if not parts.delivery_status:
        return []
    blocks: list[list[tuple[str, str]]] = []
    for part in parts.delivery_status:
        blocks.extend(_part_blocks(part))
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
    text = _notification_text(parts)
    text_records = {(_r.recipient or "").lower(): _r for _r in _text_records(msg, text)} if text else {}
    stages, first_stage = transcript_stages(text)
    records: list[BounceRecord] = []
    for fields_of in recipients:
        recipient = _address(fields_of.get("final-recipient") or fields_of.get("original-recipient"))
        action = (fields_of.get("action") or "").strip().lower() or None
        raw_diagnostic = fields_of.get("diagnostic-code") or ""
        diagnostic = clean_diagnostic(raw_diagnostic)
        if diagnostic and diagnostic.lower() in ("", "none", "smtp;", "x-unix;"):
            diagnostic = None
        exit_status = _X_UNIX_EXIT.match(raw_diagnostic)
        if exit_status:  # RFC 3464 diagnostic type X-Unix: a local delivery program's exit status, not SMTP
            diagnostic = f"local delivery program failed (mailer error, exit status={exit_status.group(1)})"
        from_text = text_records.get((recipient or "").lower())
        if from_text and from_text.diagnostic:
            if not diagnostic or (find_reply_code(diagnostic) is None and len(diagnostic) < 25):
                diagnostic = _join(diagnostic, from_text.diagnostic)
        status = find_status(fields_of.get("status")) or find_status(diagnostic)
        remote = _mta(fields_of.get("remote-mta")) or find_remote_mta(diagnostic)
        when = _date(fields_of.get("last-attempt-date") or per_message.get("arrival-date")) or occurred_at
        records.append(BounceRecord(
            index=0, recipient=recipient, action=action, status=status, reply_code=find_reply_code(diagnostic),
            diagnostic=_cap(diagnostic), remote_mta=remote,
            category_hint="delivered" if action in SUCCESS_ACTIONS else None, occurred_at=when,
            stage=detect_stage(diagnostic) or (from_text.stage if from_text else None)
            or _transcript_stage(stages, first_stage, recipient, len(recipients)),
        ))
    return records


def _transcript_stage(stages: dict[str, str], first: str | None, recipient: str | None, count: int) -> str | None:
    """The transcript's stage for this recipient; the only failing stage when the bounce has one recipient."""
    if recipient and recipient.lower() in stages:
        return stages[recipient.lower()]
    return first if count == 1 else None


_X_UNIX_EXIT = re.compile(r"^\s*x-unix\s*;\s*(\d{1,3})\s*$", re.I)


def _join(a: str | None, b: str | None) -> str | None:
    if a and b and a not in b:
        return f"{a} {b}"
    return b or a


def _cap(text: str | None) -> str | None:
    if text and len(text) > MAX_DIAGNOSTIC_CHARS:
        return text[:MAX_DIAGNOSTIC_CHARS]
    return text


# --- plain-text layouts -----------------------------------------------------------------------
def _notification_text(parts: _Parts) -> str:
    """The bounce's own words: the text parts, cut where the returned original begins."""
    out: list[str] = []
    for text in parts.texts[:3]:
        lines = [line[:MAX_LINE_CHARS] for line in text.splitlines()]
        kept: list[str] = []
        for i, line in enumerate(lines):
            if i > 0 and _ORIGINAL_MARKER.match(line):
                break
            kept.append(line)
        out.append("\n".join(kept))
    return "\n".join(out)


def _inline_original_to(parts: _Parts) -> str | None:
    for text in parts.texts[:2]:
        m = re.search(r"(?im)^to:\s*(.+)$", text)
        if m:
            return _address(m.group(1))
    return None


def _from_text(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    text = _notification_text(parts)
    if not text.strip():
        return []
    subject = str(msg.get("Subject") or "")
    looks_like_bounce = bool(
        _BOUNCE_SUBJECT.search(subject)
        or msg.get("X-Failed-Recipients")
        or _ROBOT.match(next(iter(_header_addresses(msg, "From")), "") or "")
        or msg.get_content_type() == "multipart/report"
    )
    if not looks_like_bounce and _is_auto_reply(msg):
        return []
    records = _text_records(msg, text)
    stages, first_stage = transcript_stages(text)
    for r in records:
        r.stage = r.stage or _transcript_stage(stages, first_stage, r.recipient, len(records))
    for r in records:
        if (r.recipient or "").lower().endswith("@googlegroups.com") and not (r.status or r.reply_code):
            r.diagnostic = "Google Groups: the sender is not permitted to post to this group, or the group does not exist"
    if not records and looks_like_bounce:
        recipient = _original_to(parts) or _inline_original_to(parts)
        errors = [line.strip() for line in text.splitlines() if _ERROR_LINE.search(line)]
        if recipient or errors:
            diag = _cap(clean_diagnostic(" ".join(errors[:6]))) if errors else None
            records = [BounceRecord(index=0, recipient=recipient, diagnostic=diag,
                                    status=find_status(diag), reply_code=find_reply_code(diag),
                                    remote_mta=find_remote_mta(diag), stage=detect_stage(diag))]
    if not looks_like_bounce and not any(r.reply_code or r.status for r in records):
        return []
    for r in records:
        if looks_like_bounce and r.recipient and not (r.reply_code or r.status):
            _reply_from_returned_bounce(r, parts)
        r.occurred_at = occurred_at
        r.action = r.action or ("delayed" if (r.status or "").startswith("4") else "failed")
    return records


def _reply_from_returned_bounce(record: BounceRecord, parts: _Parts) -> None:
    """A gateway's notice that gives no reason ("Unable to deliver message to <user@…>") while the
    message it returns is the bounce it received: take that bounce's reply for this recipient."""
    wanted = (record.recipient or "").lower()
    for original in parts.originals[:2]:
        text = original if isinstance(original, str) else _body_text(original)
        if wanted not in text.lower():
            continue
        lines = text[:MAX_TEXT_CHARS].splitlines()
        for no, line in enumerate(lines):
            near = " ".join(lines[max(0, no - 1):no + 1]).lower()
            if wanted in near and _REPLY_START.match(line.strip()):
                diagnostic = _cap(clean_diagnostic(re.sub(r"^\s*<<<\s*", "", line)))
                record.diagnostic = _join(record.diagnostic, diagnostic)
                record.status = find_status(diagnostic)
                record.reply_code = find_reply_code(diagnostic)
                record.stage = record.stage or detect_stage(lines[no - 1] if no else "") or detect_stage(diagnostic)
                return


def _body_text(message: Message) -> str:
    """The text parts of a returned message (a few, bounded)."""
    out: list[str] = []
    if message.get_content_maintype() == "multipart" and isinstance(getattr(message, "raw_bytes", None), bytes):
        message = _mime_tree(message.raw_bytes)  # returned originals are kept unparsed until needed
    stack = [message]
    while stack and len(out) < 4:
        part = stack.pop(0)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
        elif part.get_content_maintype() == "text":
            out.append(_decode(part)[:MAX_TEXT_CHARS])
    return "\n".join(out)


def _text_records(msg: Message, text: str) -> list[BounceRecord]:
    """Recipients named in a bounce's text, each with the lines that talk about it."""
    own = _header_addresses(msg, "To", "Reply-To", "Return-Path", "Sender", "Cc")
    senders = _header_addresses(msg, "From")
    failed = [a.strip() for a in ",".join(msg.get_all("X-Failed-Recipients") or []).split(",") if "@" in a]
    lines = text.splitlines()
    explained_above = -1
    positions = _mentions(lines, own | senders, strict=True) or _mentions(lines, senders, strict=False)
    if failed:
        wanted = {a.lower() for a in failed}
        positions = [p for p in positions if p[1].lower() in wanted] or []
        known = {p[1].lower() for p in positions}
        first_line = positions[0][0] if positions else _reason_start(lines)
        if not positions and first_line > 0:
            # No recipient in the text, the reply printed after a marker ("The response was:"): the
            # notifier's own explanation just above the marker is part of the reason (Gmail's
            # "** Message not delivered **" notices explain the failure there).
            explained_above = first_line - 1
        positions += [(first_line, a) for a in failed if a.lower() not in known]
        positions.sort(key=lambda p: p[0])
    if not positions:
        return []
    records: list[BounceRecord] = []
    global_cache: list[list[str]] = []

    def global_errors_of() -> list[str]:  # only some layouts need it: computed on first use
        if not global_cache:
            global_cache.append([ln.strip() for ln in lines if _has_code(ln) and _ERROR_LINE.search(ln)])
        return global_cache[0]

    for k, (start, addr) in enumerate(positions):
        end = len(lines)
        for later_start, _ in positions[k + 1:]:
            if later_start > start:
                end = later_start
                break
        block = _paragraph(lines, start, end, addr)
        session_reply = _session_reply_above(lines, start, block)
        if session_reply:
            block = [session_reply[1], *block]
        errors = block
        if not any(_has_code(ln) or _ERROR_LINE.search(ln) for ln in block):
            # Layouts that state the reason first and list the recipients after it
            # ("User not listed in … Address Book\nuser@example.com").
            previous = positions[k - 1][0] if k > 0 else -1
            errors = _preceding_errors(lines, start, previous) + block
            errors += [e for e in global_errors_of() if e not in errors]
        elif not any(_has_code(ln) for ln in block):
            codes = [e for e in global_errors_of() if e not in block][:3]
            errors = codes + [ln for ln in block if _ERROR_LINE.search(ln)] if codes else block
        if explained_above >= 0:
            errors = [e for e in _explanation_above(lines, explained_above) if e not in errors] + errors
        diagnostic = _cap(clean_diagnostic(" ".join(errors[:8])))
        stage = (session_reply[0] if session_reply else None) or detect_stage(" ".join(block)) or detect_stage(diagnostic)
        records.append(BounceRecord(
            index=0, recipient=addr, diagnostic=diagnostic, status=find_status(diagnostic),
            reply_code=find_reply_code(diagnostic), remote_mta=find_remote_mta(" ".join(block)),
            stage=stage,
        ))
    return records


# Where a layout prints the failure reason on the lines after an introduction (Exim, Gmail…).
_REASON_MARKER = re.compile(
    r"(?:the response (?:was|from the remote server was)|the error that the other server returned was|"
    r"following (?:address(?:\(es\)|es)?|recipients?)[^:]{0,40}(?:failed|errors?)|"
    r"(?:remote|other) (?:server|host) (?:said|returned|replied)|error message below)\s*:?\s*$", re.I)


def _reason_start(lines: list[str]) -> int:
    """The line a recipient-less reason starts on: after a reason marker, else the top."""
    for no, line in enumerate(lines):
        if _REASON_MARKER.search(line):
            return no + 1
    return 0


def _preceding_errors(lines: list[str], start: int, stop: int) -> list[str]:
    """Error lines of the paragraph just above a recipient's line (at most 4 lines up, not past ``stop``)."""
    out: list[str] = []
    i = start - 1
    seen_text = False
    while i > stop and i >= start - 6:
        line = lines[i].strip()
        if not line:
            if seen_text and out:
                break
        else:
            seen_text = True
            if _ERROR_LINE.search(line) and not _QUOTED_HEADER.match(line):
                out.insert(0, line)
        i -= 1
    return out[-4:]


# Sendmail's own summary of a session that failed before this recipient was named
# ("554 <user@example.org>... Remote protocol error"): a reply code and the MTA's words, no server reply.
_OWN_SUMMARY = re.compile(r"^[45]\d\d <[^<>]*>\.\.\. (?![245]\d\d\b)[^<>]{0,80}$")
_SESSION_COMMAND = re.compile(r"^>>>\s*([A-Za-z]{4})\b")


def _session_reply_above(lines: list[str], start: int, block: list[str]) -> tuple[str | None, str] | None:
    """(stage, reply) of the server reply ("<<< 501 …") printed just above a recipient line that is the
    MTA's own summary: the server refused the session (at MAIL FROM, say) before the recipient came up."""
    line = lines[start].strip()
    if not _OWN_SUMMARY.match(line) or start < 1:
        return None
    above = lines[start - 1].strip()
    if not above.startswith("<<<"):
        return None
    command = _SESSION_COMMAND.match(lines[start - 2].strip()) if start >= 2 else None
    stage = {"mail": "MAIL", "rcpt": "RCPT", "data": "DATA", "helo": "HELO", "ehlo": "HELO"}.get(
        command.group(1).lower()) if command else None
    return stage, above.lstrip("< ").strip()


def _explanation_above(lines: list[str], marker: int) -> list[str]:
    """Error lines of the prose above a reason marker (at most 6 lines up), links left out."""
    out = [ln.strip() for ln in lines[max(0, marker - 6):marker]
           if ln.strip() and "://" not in ln and _ERROR_LINE.search(ln)]
    return out[-3:]


def _paragraph(lines: list[str], start: int, end: int, addr: str) -> list[str]:
    """The lines about one recipient: its own line (minus the address) and what follows, to a blank line."""
    first = lines[start].replace(addr, " ").strip(" <>:\t()[]-")
    out = [first] if len(first) > 3 else []
    # "554 <user@example.org>... 550 Host unknown": a recipient line that is itself a reply ends where
    # the next reply starts (Sendmail prints one such line per recipient and host).
    own_reply = bool(_REPLY_START.match(first))
    paragraphs = 0
    for line in lines[start + 1:end]:
        if own_reply and _REPLY_START.match(line.strip()):
            break
        if not line.strip():
            if out:
                paragraphs += 1
                if paragraphs >= 2 or any(_has_code(x) or _ERROR_LINE.search(x) for x in out):
                    break
            continue
        out.append(line.strip())
        if len(out) >= 8:
            break
    return out


_REPLY_START = re.compile(r"^(?:<<<\s*)?[245]\d\d[\s\-]")
_CONTACT = re.compile(r"(?:contact|write to|reach|e-?mail us at|send (?:e-?mail|mail|a message) to)\s*:?\s*<?$")
_LISTED = re.compile(r"^\s*(?:[>*-]+\s*)?(?:<<<\s*)?(?:[245]\d\d[\s-]+(?:[245]\.\d{1,3}\.\d{1,3}\s+)?)?"
                     r"(?:(?:rcpt to|recipient(?: address)?|to|(?:final|original)-recipient)\s*:?\s*(?:rfc822\s*;\s*)?)?<?[^\s<>@]+@[^\s<>]+>?"
                     r"(?:\s*$|\s*[:,(\[]|\s+(?:on|was|is|has|could|did|failed|because)\b|\.\.\.)", re.I)
_QUOTED_HEADER = re.compile(r"^\s*(?:to|cc|bcc|from|subject|sent|date|reply-to)\s*:", re.I)


def _mentions(lines: list[str], excluded: set[str], strict: bool) -> list[tuple[int, str]]:
    """(line number, address) of each address's first mention; strict skips robots and own addresses.

    A mention inside a quoted header line ("To: user@example.com", the original's summary) counts only
    when the address is not mentioned anywhere else.
    """
    first: dict[str, tuple[int, str]] = {}
    quoted: dict[str, tuple[int, str]] = {}
    for no, line in enumerate(lines):
        lowered = line.lower()
        in_header = bool(_QUOTED_HEADER.match(line))
        for m in _ADDRESS.finditer(line):
            addr = m.group(0).strip(".")
            low = addr.lower()
            if low in first or low in excluded or (strict and _ROBOT.match(low)):
                continue
            before = lowered[max(0, m.start() - 24):m.start()]
            if "from:" in before[-12:] or ("mail from" in lowered and "rcpt" not in lowered):
                continue
            if _CONTACT.search(before):  # "please contact <postmaster@…>": a helpdesk, not a recipient
                continue
            if in_header:
                quoted.setdefault(low, (no, addr))
                continue
            first[low] = (no, addr)
            if len(first) >= MAX_RECIPIENTS:
                break
    for low, position in quoted.items():
        if low not in first and len(first) < MAX_RECIPIENTS:
            first[low] = position
    # When some addresses start a line ("<user@example.com>: host … said:", the recipient list of most
    # layouts), an address met only inside a sentence is prose (a helpdesk, a sender), not a recipient.
    listed = {low: pos for low, pos in first.items() if _LISTED.match(lines[pos[0]])}
    if listed:
        first = listed
    return sorted(first.values(), key=lambda p: p[0])


_CODE_DIGIT = re.compile(r"[245]")


def _has_code(line: str) -> bool:
    # Both a reply code and an enhanced status start with 2, 4 or 5: most lines have none of them.
    return bool(_CODE_DIGIT.search(line)) and (find_status(line) is not None or find_reply_code(line) is not None)


# --- a mailing list refusing a post from a non-member -------------------------------------------
_LIST_HEADERS = ("X-MLServer", "X-ML-Name", "X-ML-Info", "Mailing-List", "List-Id", "List-Post", "List-Subscribe")
_LIST_REFUSAL = _Lowered(r"\bnot (?:a )?(?:member|subscriber) of (?:this|the|our) (?:mailing[ -]?)?list\b|"
                         r"\bnot member article from\b")


def _from_list_refusal(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    """A list manager's notice ("You are not a member of this mailing list <list@…>"): the post was
    refused because of its sender. The recipient is the list."""
    if not any(msg.get(h) for h in _LIST_HEADERS):
        return []
    for line in _notification_text(parts).splitlines()[:40]:
        if _LIST_REFUSAL.search(line):
            found = _ADDRESS.search(line)
            recipient = found.group(0).strip(".") if found else _address(str(msg.get("List-Post") or ""))
            return [BounceRecord(index=0, recipient=recipient, action="failed", diagnostic=_cap(clean_diagnostic(line)),
                                 occurred_at=occurred_at)]
    return []


# --- RFC 3834 auto-replies --------------------------------------------------------------------
def _is_auto_reply(msg: Message) -> bool:
    auto = str(msg.get("Auto-Submitted") or "").lower()
    return bool(
        auto.startswith("auto-replied")
        or msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress") and _AUTO_SUBJECT.search(str(msg.get("Subject") or ""))
        or str(msg.get("Precedence") or "").lower() == "auto_reply"
        or _AUTO_SUBJECT.search(str(msg.get("Subject") or ""))
    )


def _from_auto_reply(msg: Message, parts: _Parts, occurred_at: datetime | None) -> list[BounceRecord]:
    if not _is_auto_reply(msg):
        return []
    senders = [addr for _, addr in getaddresses([str(v) for v in msg.get_all("From") or []]) if addr]
    subject = " ".join(str(msg.get("Subject") or "").split())
    return [BounceRecord(index=0, recipient=senders[0] if senders else None, diagnostic=subject or "auto-reply",
                         category_hint="auto_reply", occurred_at=occurred_at)]
