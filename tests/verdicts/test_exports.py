"""Recovery and suppress lists: membership, overrides, formula-injection safety, streaming."""
from __future__ import annotations

import csv
import io

from deliverability.verdicts.exports import COLUMNS, safe_cell, write_recovery_list, write_suppress_list
from deliverability.verdicts.facts import RecipientFacts
from deliverability.verdicts.judge import decide
from deliverability.verdicts.rules import Evidence

from .builders import bounce


def verdict(name, text="Because.", confidence_weight=3.0):
    return decide([Evidence("why", text, name, confidence_weight)])


def read(buffer):
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


ROWS = [
    (bounce("keep@acme.example", esp_hard=True, mx_vendor="proofpoint"), verdict("filter_rejection")),
    (bounce("soft@acme.example", esp_hard=False), verdict("filter_rejection")),  # ESP would not suppress
    (bounce("gone@big.example"), verdict("invalid_recipient")),
    (bounce("spam@x.example", category="complaint", esp_hard=True), verdict("sender_issue")),
    (RecipientFacts(email="ok@x.example", domain="x.example", outcome="delivered"), None),
    (RecipientFacts(email="old@x.example", domain="x.example", outcome="suppressed"), verdict("temporary")),
]


def test_recovery_list_holds_what_the_esp_would_suppress_but_the_verdict_keeps():
    out = io.StringIO()
    assert write_recovery_list(ROWS, out) == 2
    header, rows = read(out)
    assert header == list(COLUMNS)
    assert [row["email"] for row in rows] == ["keep@acme.example", "old@x.example"]
    assert rows[0]["vendor"] == "Proofpoint" and rows[0]["reported_by_esp"] == "hard bounce"
    assert rows[0]["confidence"] and rows[0]["evidence"] == "Because."


def test_suppress_list_holds_invalid_recipients():
    out = io.StringIO()
    assert write_suppress_list(ROWS, out) == 1
    assert [row["email"] for row in read(out)[1]] == ["gone@big.example"]


def test_staff_override_moves_an_address_between_lists():
    overrides = {"gone@big.example": "filter_rejection", "keep@acme.example": "invalid_recipient"}
    recovery, suppress = io.StringIO(), io.StringIO()
    write_recovery_list(ROWS, recovery, overrides)
    write_suppress_list(ROWS, suppress, overrides)
    recovered = {row["email"]: row for row in read(recovery)[1]}
    assert "gone@big.example" in recovered and recovered["gone@big.example"]["overridden"] == "yes"
    assert [row["email"] for row in read(suppress)[1]] == ["keep@acme.example"]


def test_cells_that_look_like_formulas_are_neutralised():
    for dangerous in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("plain text") == "plain text"
    assert safe_cell(None) == ""


def test_injected_email_and_evidence_are_written_as_text():
    """GIVEN an address and a bounce text crafted as formulas WHEN exported THEN no cell starts
    with a formula character."""
    evil = bounce("=cmd|'/C calc'!A0@evil.example", esp_hard=True)
    row = (evil, verdict("filter_rejection", text="=IMPORTXML(\"http://x\")"))
    out = io.StringIO()
    write_recovery_list([row], out)
    _header, rows = read(out)
    for cell in rows[0].values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert rows[0]["email"].startswith("'=")


def test_exports_stream_row_by_row_to_any_writer():
    class Recorder:
        def __init__(self):
            self.writes = []

        def write(self, text):
            self.writes.append(text)

    recorder = Recorder()
    write_suppress_list(iter([ROWS[2], ROWS[2]]), recorder)
    assert len(recorder.writes) == 3  # header + one write per row, nothing buffered
