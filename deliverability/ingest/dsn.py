"""Raw bounce emails (.eml, mbox, a folder of them, a zip) → records, through the bounce engine.

The engine (``deliverability.bounces``) finds the messages (``sources.iter_messages``) and reads
each one (``reading.parse_message``: RFC 3464 DSNs, ARF complaints, auto-replies, plain-text
layouts). This module only maps its records onto ours:

- Action failed → ``bounce``; delayed → ``deferred``; delivered / relayed / expanded → ``delivered``;
  no Action (plain-text bounces) → from the status class (4 → deferred, else bounce).
- category hint ``complaint`` (an ARF report) → ``complaint``.
- category hint ``auto_reply`` (out of office, vacation): **skipped**, counted in ``skipped`` as
  "auto-reply (not a delivery failure)". An auto-reply proves the mailbox exists but it is not an
  event about the send; storing it as a bounce is the classic mistake (Mailtrain#114,
  mautic#2761), and EVENT_TYPES has no slot for it.
- a message the engine cannot read, or one with no recipient → RowError naming the message; so is a
  "recipient" that is not an address (an address needs an "@" and a domain with a dot: a local name such
  as ``user@localhost`` has none), never stored, not even as an invalid address (``esp.record`` keeps
  those for ESP files, where the ESP said it was the address it was given).
- permanence (``esp_labels["permanence"]``, read as the event's hard/soft label like an ESP's
  "hard"/"soft"): RFC 3464 §2.3.3 ``Action: failed`` means the reporting MTA gave up, an RFC 3463 status or
  reply of class 5 means the refusal was permanent → ``permanent``; ``delayed`` → ``temporary``. A failed
  report whose reply is class 4 (given up after temporary refusals) carries no label: its class reads as
  temporary, as the engine's "delay" family has it.

Rows are message numbers (1-based, in the order the source yields them); the message's name
(file in a folder or zip, position in an mbox) is kept in ``esp_labels["source"]``.
"""
from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .esp import note_skip, record
from .records import Record, RowError
from .textio import Peeked
from .values import normalise_email

MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # the engine reads the first 4 MB; the rest is the returned original
_ACTIONS = {"failed": "bounce", "delayed": "deferred", "delivered": "delivered", "relayed": "delivered",
            "expanded": "delivered"}
AUTO_REPLY_SKIP = "auto-reply (not a delivery failure)"


def read_path(path: str | Path, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    """Every bounce message in a file, mbox, folder or zip at ``path``.

    A single file (one message or an mbox) is streamed here, message by message; folders and zips
    go through the engine's ``iter_messages``, which walks them safely.
    """
    path = Path(path)
    if path.is_file() and not zipfile.is_zipfile(path):
        return _read_file(path, skipped)
    from deliverability.bounces.sources import iter_messages

    return _from_sources(iter_messages(path), str(path.parent) + "/", skipped)


def _read_file(path: Path, skipped: Counter | None) -> Iterator[Record | RowError]:
    with open(path, "rb") as handle:
        yield from read(Peeked(handle, path.name), skipped=skipped)


def _from_sources(messages, prefix: str, skipped: Counter | None) -> Iterator[Record | RowError]:
    for number, (label, data, error) in enumerate(messages, start=1):
        label = label[len(prefix):] if label.startswith(prefix) else label  # no server paths in labels
        if error or data is None:
            yield RowError(number, f"{label}: {error or 'unreadable message'}")
            continue
        yield from message_records(number, data, label, skipped)


def read(peeked: Peeked, mapping: dict[str, str] | None = None, skipped: Counter | None = None) -> Iterator[Record | RowError]:
    """One stream: a single message, or an mbox of many (split on the ``From `` lines)."""
    if peeked.sample.lstrip().startswith(b"From "):
        for number, data in enumerate(_split_mbox(peeked.stream()), start=1):
            yield from message_records(number, data, f"{peeked.name or 'mbox'}#{number}", skipped)
    else:
        yield from message_records(1, peeked.read_all(MAX_MESSAGE_BYTES), peeked.name or "message", skipped)


def _split_mbox(stream) -> Iterator[bytes]:
    """Messages of an mbox, each capped at MAX_MESSAGE_BYTES; memory bounded by one message."""
    lines: list[bytes] = []
    size = 0
    previous_blank = True
    for line in stream:
        if line.startswith(b"From ") and previous_blank:
            if lines:
                yield b"".join(lines)
            lines, size = [], 0
            previous_blank = False
            continue  # the separator line is not part of the message
        previous_blank = not line.strip()
        if size < MAX_MESSAGE_BYTES:
            lines.append(line[:MAX_MESSAGE_BYTES])
            size += len(line)
    if lines:
        yield b"".join(lines)


def message_records(number: int, data: bytes, source: str, skipped: Counter | None) -> Iterator[Record | RowError]:
    from deliverability.bounces.reading import parse_message

    for found in parse_message(data):
        if found.recipient is None:
            yield RowError(number, f"{source}: {found.note or 'no recipient found in this message'}")
            continue
        if found.category_hint == "auto_reply":
            note_skip(skipped, AUTO_REPLY_SKIP)
            continue
        if normalise_email(found.recipient) is None:
            yield RowError(number, f"{source}: {found.recipient[:80]!r} is not an email address (an address needs "
                                   "an @ and a domain with a dot); nothing was stored for it")
            continue
        action = (found.action or "").lower()
        if found.category_hint == "complaint":
            event_type = "complaint"
        elif action in _ACTIONS:
            event_type = _ACTIONS[action]
        elif found.category_hint == "delivered":
            event_type = "delivered"
        else:
            event_type = "deferred" if _reply_class(found) == "4" else "bounce"
        yield record(
            number, found.recipient, event_type,
            occurred_at=found.occurred_at,
            diagnostic=found.diagnostic,
            reply_code=found.reply_code,
            enhanced_status=found.status,
            remote_mta=found.remote_mta,
            labels={"permanence": _permanence(event_type, action, _reply_class(found)),
                    "source": source[:200], "action": found.action, "category_hint": found.category_hint,
                    "stage": getattr(found, "stage", None), "note": getattr(found, "note", None),
                    "confidence": getattr(found, "confidence", None)},
        )


def _reply_class(found) -> str:
    """"5", "4", "2" from the enhanced status (RFC 3463), else the reply code (RFC 5321); "" when neither."""
    return (found.status or str(found.reply_code or ""))[:1]


def _permanence(event_type: str, action: str, klass: str) -> str | None:
    """The report's own word on permanence, for the event's hard/soft label (see the module's docstring).

    Before this label, a bounce whose report said ``Action: failed`` (or a plain-text notice saying "This is a
    permanent error") without a reply code or status was read as neither hard nor soft, and the campaign
    counted it among the soft bounces and deferrals."""
    if event_type == "deferred":
        return "temporary"
    if event_type != "bounce" or klass == "4":
        return None
    return "permanent" if action == "failed" or klass == "5" else None
