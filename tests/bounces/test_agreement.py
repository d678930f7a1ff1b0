"""The engine against Sisimai's labels on the development corpus (../shared/data/sisimai-dev).

Bars from issue 3: category agreement >= 95% after the DESIGN mapping, a recipient record found
for >= 98% of the labelled records. Below the bar these tests fail, with the number; a ratchet keeps
the category agreement from falling below the level reached.
"""
import json
from functools import cache

import pytest

from deliverability.bounces.classify import classify_record
from deliverability.bounces.reading import parse_message
from deliverability.bounces.taxonomy import SISIMAI_REASON_TO_CATEGORY
from deliverability.devtools.corpora import shared_data

CORPUS = shared_data("sisimai-dev")
pytestmark = pytest.mark.skipif(not (CORPUS / "labels.jsonl").exists(), reason="sisimai-dev corpus not available")


@cache
def _measure():
    labels = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]
    parsed = {name: parse_message((CORPUS / name).read_bytes()) for name in {lab["file"] for lab in labels}}
    found = agree = 0
    misses = []
    for lab in labels:
        records = parsed[lab["file"]]
        expected = SISIMAI_REASON_TO_CATEGORY[lab["reason"]]
        if len(records) < lab["index"]:
            misses.append((lab["file"], lab["index"], expected, "no record"))
            continue
        record = records[lab["index"] - 1]
        found += "@" in (record.recipient or "")  # an address (a display name read as one is not found)
        got = classify_record(record).category
        agree += got == expected
        if got != expected:
            misses.append((lab["file"], lab["index"], expected, got))
    return len(labels), found, agree, misses


def test_a_recipient_record_is_found_for_98_percent_of_labelled_records():
    total, found, _, _ = _measure()
    assert found / total >= 0.98, f"records found {found}/{total} = {found / total:.2%} (bar 98%)"


# Measured 2026-11-27: 434/455 = 95.4% (bar 95%, met; was 418/455 = 91.9%). The residue is analysed in
# deliverability/bounces/AGREEMENT.md.
def test_category_agrees_with_sisimai_on_95_percent_of_records():
    total, _, agree, misses = _measure()
    shown = "\n".join(map(str, misses[:15]))
    assert agree / total >= 0.95, f"category agreement {agree}/{total} = {agree / total:.2%} (bar 95%)\n{shown}"


def test_category_agreement_does_not_fall_below_what_was_reached():
    """A ratchet at the level reached (434/455): any change that loses agreement fails here."""
    total, _, agree, misses = _measure()
    assert agree >= 434, f"category agreement fell to {agree}/{total}\n" + "\n".join(map(str, misses[:15]))


def test_every_sisimai_reason_maps_to_a_design_category():
    from deliverability.bounces.taxonomy import CATEGORIES

    labels = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]
    assert {lab["reason"] for lab in labels} <= set(SISIMAI_REASON_TO_CATEGORY)
    assert set(SISIMAI_REASON_TO_CATEGORY.values()) <= set(CATEGORIES)
