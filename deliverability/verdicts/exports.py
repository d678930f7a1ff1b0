"""CSV exports: the recovery list and the suppress list.

- Recovery list: addresses an ESP would suppress (reported hard bounce, or already suppressed)
  but the verdict says to keep (filter_rejection, sender_issue, temporary). Spam complaints are
  never on it.
- Suppress list: addresses whose verdict is invalid_recipient.

Which addresses belong on each list, and their cells as data (``list_rows``, streamed); the download
(dashboard/exports.py) writes them for people, in its reader's language, as the product's other reports are.
Every text cell is made safe against spreadsheet formula injection (``safe_cell``, used by every CSV the
product writes): a cell that starts with = + - @ tab or carriage return gets a leading apostrophe, so
Excel / Sheets / Calc show it as text instead of evaluating it (OWASP "CSV Injection").
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping

from deliverability.sentences import gettext_noop, say

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
    """What the ESP said of the address, in English words (REPORTED, or the outcome's key)."""
    if facts.outcome == "suppressed":
        return "suppressed"
    if facts.outcome == "bounce":
        return "hard bounce" if facts.reported_hard else "soft bounce"
    return facts.outcome


# What the ESP said (the reported_by_esp column), marked for the catalogues: the download writes them in its
# reader's words (dashboard/exports.py).
REPORTED = (gettext_noop("suppressed"), gettext_noop("hard bounce"), gettext_noop("soft bounce"))


def _row(facts: RecipientFacts, verdict: Verdict) -> list[object]:
    return [
        facts.email,
        facts.domain,
        verdict.verdict,
        verdict.confidence,
        _reported(facts),
        facts.category or "",
        vendor_display_name(facts.answering_vendor) if facts.answering_vendor else "",
        # prose for the reader, in their language (issue 23); the quoted reply inside stays verbatim
        EVIDENCE_SEPARATOR.join(say(item.get("text"), item.get("msg")) for item in verdict.evidence),
        verdict.overridden,
    ]


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


LISTS = {"recovery": belongs_on_recovery_list, "suppress": belongs_on_suppress_list}


def list_rows(
    kind: str,
    rows: Iterable[tuple[RecipientFacts, Verdict | None]],
    overrides: Mapping[str, str] | None = None,
) -> Iterator[list[object]]:
    """The recovery list's (``kind="recovery"``) or the suppress list's rows, one per address that belongs on it,
    in COLUMNS order, streamed: the values as data (the verdict's key, the confidence as a number, whether staff
    overrode it as a bool, what the ESP said in English words); the download writes them for its reader and makes
    every cell safe (``safe_cell``).

    ``rows``: (facts, computed verdict) per recipient; ``overrides``: email → verdict, which wins."""
    keep = LISTS[kind]
    for facts, verdict in _effective(rows, overrides):
        if keep(facts, verdict.verdict):
            yield _row(facts, verdict)
