"""Every vendor signature in the catalogue, tested with its own literal example text."""
import json
import re

import pytest

from deliverability.bounces import classify
from deliverability.bounces.classify import DATA_DIR, SIGNATURES
from deliverability.bounces.taxonomy import CATEGORIES
from deliverability.bounces.vendors import all_vendors

CATALOGUE = json.loads((DATA_DIR / "signatures.json").read_text(encoding="utf-8"))["signatures"]


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: f"{e['vendor']}-{e['class']}-{e['example'][:30]}")
def test_signature_example_is_classified_as_the_catalogue_says(entry):
    result = classify(entry["example"])
    assert (result.vendor, result.signature, result.category) == (entry["vendor"], entry["class"], entry["category"])


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: f"{e['vendor']}-{e['class']}")
def test_signature_entry_is_complete(entry):
    assert entry["vendor"] in all_vendors()
    assert entry["category"] in CATEGORIES
    assert entry["source"].strip() and entry["example"].strip()
    re.compile(entry["pattern"])


def test_catalogue_covers_the_vendors_the_issue_names():
    required = {"microsoft365", "google_workspace", "yahoo", "icloud", "proofpoint", "proofpoint_essentials",
                "mimecast", "barracuda", "cisco", "trendmicro", "broadcom", "sophos", "trellix", "tencent",
                "mailru", "yandex", "gmx", "zoho", "rackspace", "godaddy"}
    assert required <= {s.vendor for s in SIGNATURES}


def test_microsoft_dbeb_access_denied_is_a_literal_invalid_mailbox_with_the_suspect_signature():
    result = classify("550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
                      "[BN8NAM11FT055.eop-nam11.prod.protection.outlook.com]")
    assert result.category == "invalid_mailbox"
    assert result.hard is True
    assert result.signature == "gateway_directory_unknown"
    assert result.vendor == "microsoft365"
    assert "may well exist" in result.explanation


def test_proofpoint_essentials_marked_invalid_is_a_gateway_directory_rejection():
    result = classify("550 5.7.1 <a@example.com>: Recipient address rejected: User email address is marked as invalid.")
    assert (result.category, result.signature, result.vendor) == (
        "invalid_mailbox", "gateway_directory_unknown", "proofpoint_essentials")
