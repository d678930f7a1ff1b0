"""Bounce files → one flat dict per recipient record (what classify_bounces prints). Pure Python."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from .classify import classify, classify_record
from .reading import BounceRecord, parse_message
from .sources import iter_messages

OUTPUT_KEYS = ("source", "index", "recipient", "action", "status", "reply_code", "diagnostic", "remote_mta",
               "category", "hard", "vendor", "signature", "explanation", "confidence")


def record_row(source: str, record: BounceRecord) -> dict:
    result = classify_record(record)
    return {
        "source": source,
        "index": record.index,
        "recipient": record.recipient,
        "action": record.action,
        "status": record.status or result.status,
        "reply_code": record.reply_code if record.reply_code is not None else result.reply_code,
        "diagnostic": record.diagnostic,
        "remote_mta": record.remote_mta,
        "category": result.category,
        "hard": result.hard,
        "vendor": result.vendor,
        "signature": result.signature,
        "explanation": result.explanation,
        "confidence": record.confidence,  # "low": the recipient or the reason is the reader's best guess
    }


def error_row(source: str, error: str) -> dict:
    return {
        "source": source, "index": 1, "recipient": None, "action": None, "status": None, "reply_code": None,
        "diagnostic": None, "remote_mta": None, "category": "unknown", "hard": False, "vendor": None,
        "signature": None, "explanation": f"Not read: {error}.", "confidence": None,
    }


def rows_for_paths(paths: Iterable[str]) -> Iterator[dict]:
    for path in paths:
        for source, data, error in iter_messages(path):
            if error is not None or data is None:
                yield error_row(source, error or "no data")
                continue
            for record in parse_message(data):
                yield record_row(source, record)


def text_row(diagnostic: str | None, status: str | None = None, reply_code: int | None = None,
             source: str = "--text", index: int = 1) -> dict:
    result = classify(diagnostic, status, reply_code)
    return {
        "source": source, "index": index, "recipient": None, "action": None,
        "status": result.status, "reply_code": result.reply_code, "diagnostic": diagnostic, "remote_mta": None,
        "category": result.category, "hard": result.hard, "vendor": result.vendor,
        "signature": result.signature, "explanation": result.explanation, "confidence": None,
    }
