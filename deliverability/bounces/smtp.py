"""SMTP reply parsing: reply code, RFC 3463 enhanced status, diagnostic text, answering host.

Replies reach us in many wrappings: ``smtp; 550 5.1.1 …``, multi-line ``550-5.1.1 …`` continuations,
``#5.1.0`` (IronPort), ``(#5.7.1)`` (MessageLabs, qmail), or quoted inside an MTA's own sentence
("host mx.example.com [192.0.2.1] said: 550 …").
"""
from __future__ import annotations

import re
from typing import NamedTuple


class Reply(NamedTuple):
    reply_code: int | None
    status: str | None
    diagnostic: str | None
    remote_mta: str | None


# X.Y.Z with class 2/4/5, subject 0-7; not part of an IP address or a version number.
# (The digit comes first and the "not after a word, dot, slash or =" test is a lookbehind behind it,
# so re can skip to candidate digits instead of trying every position.)
_STATUS = re.compile(r"([245])(?<![\w./=][245])\.([0-7])\.(\d{1,3})(?![\d.]*\d)(?!\.\d)")
# A reply code at a boundary: line start, after "smtp;", "said:", ":" or a bracket; not in a URL.
_CODE = re.compile(r"([245][0-5][0-9])(?<![^\s;:(\[\"'][245][0-5][0-9])(?=[\s\-]|$|[;:,.]\s)", re.M)
_TYPE_PREFIX = re.compile(r"^\s*(?:smtp|x-[\w-]+|mta|x-unix|x-postfix|x-local)\s*;\s*", re.I)
_CONTINUATION = re.compile(r"(?m)^([245]\d\d)[\- ](?:([245]\.\d{1,3}\.\d{1,3})\s+)?")
_HOST_SAID = re.compile(
    r"\b(?:host|server|from|by)\s+\[?([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+\.[a-z]{2,})\.?\]?"
    r"(?:\s*\[[0-9a-f.:]+\])?\s*(?:said|says|replied|responded|gave|refused|:|did not like|\(|\[)",
    re.I,
)
_BRACKET_HOST = re.compile(r"\[([a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:prod\.)?protection\.outlook\.com)\]", re.I)
_WS = re.compile(r"\s+")

_STAGES = (
    # (regex, stage); the first hit wins, so the specific ones come first.
    # qmail-remote: "failed after I sent the message"; Exim: "after pipelined DATA", old Exim "for TEXT command".
    (re.compile(r"end of data|final data|after data|after the data|data command|in reply to data|"
                r"after end of|message body|\bdata\b\s*(?:command|phase)|\[data\]|after dot|"
                r"after pipelined (?:end of )?data|failed after i sent the message|for text command|"
                r"(?:after|while) (?:sending|transmitting) (?:the )?(?:message|mail) (?:body|text|content|data)"), "DATA"),
    # "RCPT TO: user@example.com" alone is an envelope summary, not the stage: a transcript or a
    # sentence about the command is ("after RCPT TO:<…>", "in reply to RCPT TO command").
    # qmail-remote: "does not like recipient"; Exim: "after pipelined RCPT TO".
    (re.compile(r"rcpt to:?\s*<|(?:after|reply to|following|error in|response to)\s+(?:the\s+)?(?:pipelined\s+)?rcpt\b|"
                r"rcpt(?: to)? command|recipient command|\[rcpt_to\]|does not like recipient"), "RCPT"),
    (re.compile(r"mail from|mail\b command|\[mail_from\]|sender was rejected"), "MAIL"),
    (re.compile(r"\bhelo\b|\behlo\b|starttls|my name was rejected"), "HELO"),
    (re.compile(r"\bconnect(?:ion|ed)?\b.*(?:refused|timed out)|greeting|banner|initial connection|refused to talk to me"), "CONNECT"),
)


def find_status(text: str | None) -> str | None:
    """The first RFC 3463 enhanced status code in ``text`` ("5.1.1"), or None."""
    if not text:
        return None
    first = None
    for m in _STATUS.finditer(text):
        if m.group(1) != "2":
            return f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
        first = first or m
    return f"{first.group(1)}.{first.group(2)}.{first.group(3)}" if first else None


def find_reply_code(text: str | None) -> int | None:
    if not text:
        return None
    first = None
    for m in _CODE.finditer(text):
        if m.group(1)[0] != "2":
            return int(m.group(1))
        first = first or m
    return int(first.group(1)) if first else None


def find_remote_mta(text: str | None) -> str | None:
    if not text:
        return None
    m = _BRACKET_HOST.search(text) or _HOST_SAID.search(text)
    return m.group(1).lower().rstrip(".") if m else None


# Words one of which each stage's pattern needs: a substring test skips most regex runs.
_STAGE_WORDS = {
    "DATA": ("data", "message body", "after dot", "after end of", "after i sent the message", "text command",
             "sending the message", "transmitting the message", "sending message", "transmitting message",
             "sending mail", "sending the mail", "transmitting mail", "transmitting the mail"),
    "RCPT": ("rcpt", "recipient command", "does not like recipient"),
    "MAIL": ("mail", "sender was rejected"),
    "HELO": ("helo", "ehlo", "starttls", "my name was rejected"),
    "CONNECT": ("connect", "greeting", "banner", "refused to talk to me"),
}


def detect_stage(text: str | None) -> str | None:
    """The SMTP command the reply answered (CONNECT, HELO, MAIL, RCPT, DATA), when the text says."""
    if not text:
        return None
    lowered = text.lower()  # patterns are lower-case without re.I, which keeps re's literal fast paths
    for pattern, stage in _STAGES:
        if any(word in lowered for word in _STAGE_WORDS[stage]) and pattern.search(lowered):
            return stage
    return None


_TRANSCRIPT_COMMAND = re.compile(r"^\s*>>>\s*([A-Za-z]{4})\b")
_TRANSCRIPT_REPLY = re.compile(r"^\s*<<<\s*([45])\d\d\b")
_COMMAND_STAGE = {"data": "DATA", "rcpt": "RCPT", "mail": "MAIL", "helo": "HELO", "ehlo": "HELO",
                  "lhlo": "HELO", "bdat": "DATA", "star": "HELO", "auth": "HELO"}
_NEW_SESSION = re.compile(r"^\s*(?:\.\.\.\s*)?while talking to\s+\S+\s*:?\s*$", re.I)
# A reply to DATA that only says no recipient was accepted (RFC 5321 §3.3: 503 "bad sequence" or 554 "no
# valid recipients" when every RCPT failed, as Sendmail, Postfix and Exim answer a pipelined DATA): the
# failure is the RCPT reply above it, not this one.
_PIPELINED = re.compile(r"\b503\b|no (?:valid )?recipients?\b|need rcpt|rcpt (?:command )?(?:first|must precede)|"
                        r"no recipients? (?:have been |were )?(?:specified|given|accepted)", re.I)
_ADDRESS_IN_REPLY = re.compile(r"[\w.+\-=/!#$%&'*?^`{|}~]+@[\w\-]+(?:\.[\w\-]+)+")


def transcript_stages(text: str | None) -> tuple[dict[str, str], str | None]:
    """Stages read from an SMTP session transcript (">>> DATA" then "<<< 550 …"), as MTAs print them.

    Returns ({address in the failing reply or the RCPT TO argument: stage}, the stage of the first
    failing reply). A reply is attributed to the last command sent before it.
    """
    by_address: dict[str, str] = {}
    first: str | None = None
    if not text or "<<<" not in text:
        return by_address, first
    command: str | None = None
    argument = ""
    for line in text.splitlines():
        m = _TRANSCRIPT_COMMAND.match(line)
        if m:
            command = _COMMAND_STAGE.get(m.group(1).lower())
            argument = line
            continue
        if _NEW_SESSION.match(line):
            # "... while talking to mx.example.org.:" opens a connection: a reply before any command
            # answers the greeting. The bounce reports the last host tried, so its session decides.
            command, argument, first = "CONNECT", "", None
            continue
        if command and _TRANSCRIPT_REPLY.match(line):
            if command == "DATA" and _PIPELINED.search(line):
                by_address = {a: st for a, st in by_address.items() if st != "DATA"}
                first = None if first == "DATA" else first
                command = None
                continue
            first = first or command
            for address in _ADDRESS_IN_REPLY.findall(line + (" " + argument if command == "RCPT" else "")):
                by_address.setdefault(address.lower(), command)
    return by_address, first


# Amazon SES wraps the remote server's reply in its own summary:
# "5.1.0 - Unknown address error 550-'5.7.1 <…>... Access denied' (delivery attempts: 0)". The summary
# is SES's guess from the status class; the quoted reply is what the receiving server said.
_WRAPPED_REPLY = re.compile(r"^[245]\.\d{1,3}\.\d{1,3} - [^']{0,80}?\b([245]\d\d)[- ]'(.+)'(?:\s*\(delivery attempts: \d+\))?\s*$", re.S)


def clean_diagnostic(text: str | None) -> str | None:
    """One line of diagnostic text: type prefix dropped, continuation prefixes folded."""
    if text is None:
        return None
    text = _TYPE_PREFIX.sub("", text.strip())
    wrapped = _WRAPPED_REPLY.match(text)
    if wrapped:
        text = f"{wrapped.group(1)} {wrapped.group(2)}"
    if "\n" in text:
        lines = text.splitlines()
        if len(lines) > 1 and _CONTINUATION.match(lines[0]):
            # "550-5.1.1 The email…\n550-5.1.1 …\n550 5.1.1 …": keep the first prefix only.
            first = lines[0]
            rest = [_CONTINUATION.sub("", line, count=1) for line in lines[1:]]
            text = " ".join([first, *rest])
    text = _WS.sub(" ", text).strip()
    return text or None


def parse_reply(text: str | None) -> Reply:
    """Split an SMTP reply (or a diagnostic quoting one) into its parts; never raises."""
    diagnostic = clean_diagnostic(text)
    if not diagnostic:
        return Reply(None, None, None, None)
    return Reply(
        find_reply_code(diagnostic),
        find_status(diagnostic),
        diagnostic,
        find_remote_mta(diagnostic),
    )


# An acceptance reply (2xx) carries per-message tokens: queue ids (Postfix "queued as 4XyZ…", Exim "id=1t…",
# Gmail's "OK  1739978885 d75a…si123 - gsmtp"), Microsoft 365's "<message-id> [InternalId=…, Hostname=…] 89534
# bytes in 0.357, 357.5 KB/sec", times and sizes. Every such token holds a digit; the words around them
# ("Queued mail for delivery", "Message accepted for delivery", "gsmtp") name the accepting software.
_PER_MESSAGE_TOKEN = re.compile(r"(?<!\S)\S*\d\S*")  # anchored at a token start: 25% faster than unanchored
_REPLY_PREFIX = re.compile(r"\s*2\d\d(?:[ -]2\.\d{1,3}\.\d{1,3})?\s")


def acceptance_template(text: str) -> str:
    """An acceptance reply with its per-message tokens replaced by '#':
    '250 2.0.0 Ok: queued as 4FEC3F6B32E8' → '250 2.0.0 Ok: queued as #'.

    Millions of deliveries then share a few dozen texts per receiving software, instead of one text each.
    The leading reply code and enhanced status are kept as they are.
    """
    prefix = _REPLY_PREFIX.match(text)
    cut = prefix.end() if prefix else 0
    return text[:cut] + _PER_MESSAGE_TOKEN.sub("#", text[cut:])
