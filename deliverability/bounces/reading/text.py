"""A bounce's own words: the text cut where the returned original begins, the recipients it names,
and the lines that talk about each of them."""
from __future__ import annotations

import re
from email.message import Message

from .. import rules as rule_families
from ..smtp import clean_diagnostic, detect_stage, find_remote_mta, find_reply_code, find_status
from .fields import (
    ADDRESS,
    ROBOT,
    Lowered,
    cap_diagnostic,
    header_addresses,
    quoted_id_field,
    quoted_ids_on,
)
from .mime import Parts
from .record import MAX_LINE_CHARS, MAX_RECIPIENTS, BounceRecord

# Where the returned original message begins in a plain-text bounce.
_ORIGINAL_MARKER = Lowered(
    r"^\s*(?:[-=_*]{2,}.*(?:original|returned|copy of|headers? of|below this line|unsent|"
    r"undelivered message|message text|message follows)|"
    r"(?:original|returned|unsent|undelivered) message (?:follows|header|text|below|is attached)|"
    r"message headers follow|the header of the original message|"
    r"content-type:\s*message/rfc822|"
    # A header field of the returned message, with or without a space after the colon: Zoho's bounce layout
    # pastes the original's headers as "Received:from …", "Message-ID:<…>" right under its recipient lines.
    r"(?:original-)?(?:received|return-path|dkim-signature|x-original-to):)",
)
ERROR_LINE = Lowered(
    r"(?:\b[245]\d\d[\s\-]|\b[245]\.\d{1,3}\.\d{1,3}\b|unknown|not exist|no such|invalid|reject|denied|"
    r"refused|blocked|full|quota|exceed|limit|not (?:be )?(?:recognized|delivered|found|listed)|no valid|disabled|suspend|expired|timed? ?out|too (?:large|big|many)|spam|"
    r"policy|unavailable|failed|failure|error|problem|unable|could not|couldn't|can't|cannot|misconfigured)",
)


def notification_text(parts: Parts) -> str:
    """The bounce's own words: the text parts, cut where the returned original begins (kept on ``parts``:
    several layouts ask for it)."""
    key = tuple(map(id, parts.texts[:3]))
    if parts.notice is not None and parts.notice[0] == key:
        return parts.notice[1]
    out: list[str] = []
    marker = _ORIGINAL_MARKER.pattern.match
    for text in parts.texts[:3]:
        lines = [line[:MAX_LINE_CHARS] for line in text.splitlines()]
        lowered_text = text.lower()
        cut = len(lines)
        if len(lowered_text) == len(text):  # no character grew when lower-cased: lines and offsets agree
            lowered = lowered_text.splitlines()
            for i in range(1, len(lines)):
                if marker(lowered[i][:MAX_LINE_CHARS]):
                    cut = i
                    break
        else:
            cut = next((i for i in range(1, len(lines)) if _ORIGINAL_MARKER.match(lines[i])), len(lines))
        out.append("\n".join(lines[:cut]))
    joined = "\n".join(out)
    parts.notice = (key, joined)
    return joined


def text_records(msg: Message, text: str) -> list[BounceRecord]:
    """Recipients named in a bounce's text, each with the lines that talk about it."""
    own = header_addresses(msg, "To", "Reply-To", "Return-Path", "Sender", "Cc")
    senders = header_addresses(msg, "From")
    failed = [a.strip() for a in ",".join(msg.get_all("X-Failed-Recipients") or []).split(",") if "@" in a]
    lines = text.splitlines()
    explained_above = -1
    if rule_families.on("recipient"):
        # Never the bounce's own addresses (the sender it is returned to, where it was delivered, a list's
        # addresses) nor a mail system's (postmaster, mailer-daemon): "Sorry <sender>, your mail to the
        # following recipients…" names the sender first (AOL, Yahoo and webmail notices).
        own |= header_addresses(msg, "Errors-To", "List-Post",
                                "List-Help", "List-Owner", "List-Unsubscribe", "List-Subscribe")
        positions = _mentions(lines, own | senders, strict=True)
        if not positions:
            # Nothing else: a mail system's address at another domain is a recipient the sender mailed
            # (postmaster@…), the reporting system's own is not; the bounce's own addresses count only where
            # the layout lists recipients ("<user@example.org>:" of qmail, a message sent to oneself), never
            # in prose ("Sorry user@example.org, your mail…").
            domains = {a.rsplit("@", 1)[1] for a in senders | own if "@" in a}
            own = own - header_addresses(msg, "Reply-To")  # an auto-reply's Reply-To is the mailbox itself
            positions = [(no, a) for no, a in _mentions(lines, senders, strict=False)
                         if not (ROBOT.match(a) and a.lower().rsplit("@", 1)[1] in domains)
                         and (a.lower() not in own or _LISTED.match(lines[no]))]
    else:
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
            global_cache.append([ln.strip() for ln in lines if _has_code(ln) and ERROR_LINE.search(ln)])
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
        if not any(_has_code(ln) or ERROR_LINE.search(ln) for ln in block):
            # Layouts that state the reason first and list the recipients after it
            # ("User not listed in … Address Book\nuser@example.com").
            previous = positions[k - 1][0] if k > 0 else -1
            errors = _preceding_errors(lines, start, previous) + block
            errors += [e for e in global_errors_of() if e not in errors]
        elif not any(_has_code(ln) for ln in block):
            codes = [e for e in global_errors_of() if e not in block][:3]
            errors = codes + [ln for ln in block if ERROR_LINE.search(ln)] if codes else block
        if explained_above >= 0:
            errors = [e for e in _explanation_above(lines, explained_above) if e not in errors] + errors
        diagnostic = cap_diagnostic(clean_diagnostic(" ".join(errors[:8])))
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
            if ERROR_LINE.search(line) and not _QUOTED_HEADER.match(line):
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
           if ln.strip() and "://" not in ln and ERROR_LINE.search(ln)]
    return out[-3:]


def _paragraph(lines: list[str], start: int, end: int, addr: str) -> list[str]:
    """The lines about one recipient: its own line (minus the address) and what follows, to a blank line."""
    first = lines[start].replace(addr, " ").strip(" <>:\t()[]-")
    out = [first] if len(first) > 3 else []
    # "554 <user@example.org>... 550 Host unknown": a recipient line that is itself a reply ends where
    # the next reply starts (Sendmail prints one such line per recipient and host).
    own_reply = bool(REPLY_START.match(first))
    paragraphs = 0
    for line in lines[start + 1:end]:
        if own_reply and REPLY_START.match(line.strip()):
            break
        if not line.strip():
            if out:
                paragraphs += 1
                if paragraphs >= 2 or any(_has_code(x) or ERROR_LINE.search(x) for x in out):
                    break
            continue
        out.append(line.strip())
        if len(out) >= 8:
            break
    return out


REPLY_START = re.compile(r"^(?:<<<\s*)?[245]\d\d[\s\-]")
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
        ids: set[str] = set()
        for k, m in enumerate(ADDRESS.finditer(line)):
            if k == 0:
                # Never a msg-id (RFC 5322 §3.6.4) of a header line quoted in the text: a returned original's
                # "Message-ID:<…>", a References continuation line "\t<…>" that looks like a listed recipient.
                ids = quoted_ids_on(line, quoted_id_field(lines, no))
            addr = m.group(0).strip(".")
            low = addr.lower()
            if low in first or low in excluded or low in ids or (strict and ROBOT.match(low)):
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


def transcript_stage(stages: dict[str, str], first: str | None, recipient: str | None, count: int) -> str | None:
    """The transcript's stage for this recipient; the only failing stage when the bounce has one recipient."""
    if recipient and recipient.lower() in stages:
        return stages[recipient.lower()]
    return first if count == 1 else None
