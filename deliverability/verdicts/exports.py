"""CSV exports: the recovery list and the suppress list.

- Recovery list: addresses an ESP would suppress (reported hard bounce, or already suppressed)
  but the verdict says to keep (filter_rejection, sender_issue, temporary). Spam complaints are
  never on it.
- Suppress list: addresses whose verdict is invalid_recipient.

Rows stream to any text file-like object (an HttpResponse, a StreamingHttpResponse's pseudo-buffer,
an open file). Every text cell is made safe against spreadsheet formula injection: a cell that
starts with = + - @ tab or carriage return gets a leading apostrophe, so Excel / Sheets / Calc
show it as text instead of evaluating it (OWASP "CSV Injection").
"""
from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Mapping
from typing import IO

from deliverability.sentences import say

from .diagnosis import belongs_on_recovery_list
from .explanations import vendor_display_name
from .facts import RecipientFacts
from .judge import Verdict, apply_override
from .vocabulary import VerdictKind

COLUMNS: tuple[str, ...] = (
    "email",
    "domain",
    "verdict",
    "confidence",
    "reported_by_esp",
    "category",
    "vendor",
    "evidence",
    "overridden",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
EVIDENCE_SEPARATOR = " | "


def safe_cell(value: object) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # NFKC folds the full-width and small forms (＝ ＋ － ＠, ﹦ ﹢ ﹣ ﹫) that spreadsheets also read as operators.
    if text.startswith(FORMULA_TRIGGERS) or unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _reported(facts: RecipientFacts) -> str:
    if facts.outcome == "suppressed":
        return "suppressed"
    if facts.outcome == "bounce":
        return "hard bounce" if facts.reported_hard else "soft bounce"
    return facts.outcome


def _row(facts: RecipientFacts, verdict: Verdict) -> list[str]:
    cells = (
        facts.email,
        facts.domain,
        verdict.verdict,
        f"{verdict.confidence:.2f}",
        _reported(facts),
        facts.category or "",
        vendor_display_name(facts.answering_vendor) if facts.answering_vendor else "",
        # prose for the reader, in their language (issue 23); the quoted reply inside stays verbatim
        EVIDENCE_SEPARATOR.join(say(item.get("text"), item.get("msg")) for item in verdict.evidence),
        "yes" if verdict.overridden else "no",
    )
    return [safe_cell(cell) for cell in cells]


def _effective(
    rows: Iterable[tuple[RecipientFacts, Verdict | None]],
    overrides: Mapping[str, str] | None,
) -> Iterable[tuple[RecipientFacts, Verdict]]:
    overrides = overrides or {}
    for facts, verdict in rows:
        verdict = apply_override(verdict, overrides.get(facts.email))
        if verdict is not None and facts.outcome != "delivered":
            yield facts, verdict


def belongs_on_suppress_list(facts: RecipientFacts, verdict: str) -> bool:
    return verdict == VerdictKind.INVALID_RECIPIENT


def _write(out: IO[str], rows, overrides, keep) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    written = 0
    for facts, verdict in _effective(rows, overrides):
        if keep(facts, verdict.verdict):
            writer.writerow(_row(facts, verdict))
            written += 1
    return written


def write_recovery_list(
    rows: Iterable[tuple[RecipientFacts, Verdict | None]],
    out: IO[str],
    overrides: Mapping[str, str] | None = None,
) -> int:
    """Write the recovery list CSV (header + rows) to ``out``; return the number of rows.

    ``rows``: (facts, computed verdict) per recipient; ``overrides``: email → verdict, which wins."""
    return _write(out, rows, overrides, belongs_on_recovery_list)


def write_suppress_list(
    rows: Iterable[tuple[RecipientFacts, Verdict | None]],
    out: IO[str],
    overrides: Mapping[str, str] | None = None,
) -> int:
    """Write the suppress list CSV (header + rows) to ``out``; return the number of rows."""
    return _write(out, rows, overrides, belongs_on_suppress_list)
