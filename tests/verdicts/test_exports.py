"""Recovery and suppress lists: membership, overrides, the rows as data, formula-injection safety, streaming.
(How the download writes them for people: tests/i18n/test_language_gaps.py and tests/dashboard.)"""
from __future__ import annotations

from deliverability.verdicts.exports import COLUMNS, list_rows, safe_cell
from deliverability.verdicts.facts import RecipientFacts
from deliverability.verdicts.judge import decide
from deliverability.verdicts.rules import Evidence

from .builders import bounce


def verdict(name, text="Because.", confidence_weight=3.0):
    return decide([Evidence("why", text, name, confidence_weight)])


def read(kind, rows, overrides=None) -> list[dict]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in list_rows(kind, rows, overrides)]


ROWS = [
    (bounce("keep@acme.example", esp_hard=True, mx_vendor="proofpoint"), verdict("filter_rejection")),
    (bounce("soft@acme.example", esp_hard=False), verdict("filter_rejection")),  # ESP would not suppress
    (bounce("gone@big.example"), verdict("invalid_recipient")),
    (bounce("spam@x.example", category="complaint", esp_hard=True), verdict("sender_issue")),
    (RecipientFacts(email="ok@x.example", domain="x.example", outcome="delivered"), None),
    (RecipientFacts(email="old@x.example", domain="x.example", outcome="suppressed"), verdict("temporary")),
]


def test_recovery_list_holds_what_the_esp_would_suppress_but_the_verdict_keeps():
    rows = read("recovery", ROWS)
    assert [row["email"] for row in rows] == ["keep@acme.example", "old@x.example"]
    assert rows[0]["vendor"] == "Proofpoint" and rows[0]["reported_by_esp"] == "hard bounce"
    assert rows[1]["reported_by_esp"] == "suppressed"
    assert rows[0]["verdict"] == "filter_rejection" and 0 < rows[0]["confidence"] <= 1
    assert rows[0]["evidence"] == "Because." and rows[0]["overridden"] is False


def test_suppress_list_holds_invalid_recipients():
    assert [row["email"] for row in read("suppress", ROWS)] == ["gone@big.example"]


def test_staff_override_moves_an_address_between_lists():
    overrides = {"gone@big.example": "filter_rejection", "keep@acme.example": "invalid_recipient"}
    recovered = {row["email"]: row for row in read("recovery", ROWS, overrides)}
    assert "gone@big.example" in recovered and recovered["gone@big.example"]["overridden"] is True
    assert [row["email"] for row in read("suppress", ROWS, overrides)] == ["keep@acme.example"]


def test_cells_that_look_like_formulas_are_neutralised():
    for dangerous in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("plain text") == "plain text"
    assert safe_cell(None) == ""


def test_rows_stream_one_by_one_from_any_iterable():
    consumed = []

    def source():
        for row in (ROWS[2], ROWS[2]):
            consumed.append(row)
            yield row

    rows = list_rows("suppress", source())
    assert next(rows)[0] == "gone@big.example" and len(consumed) == 1  # nothing read ahead
