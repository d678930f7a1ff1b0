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


@pytest.mark.parametrize("text, category", [
    ("550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416", "invalid_mailbox"),
    ("421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]", "technical"),
    ("550 mwinf5c10 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR006_103", "reputation_block"),
    ("Too many connections, slow down. LPN105_104", "rate_limited"),
    ("501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405]", "sender_rejected"),
    ("550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420", "mailbox_disabled"),
])
def test_orange_and_la_poste_codes_name_the_cause(text, category):
    """The last three digits of LPN###_### / OFR###_### / OFR_### decide, whatever the words around them."""
    result = classify(text)
    assert (result.vendor, result.category) == ("orange", category)


@pytest.mark.parametrize("code, category", [
    ("1000", "reputation_block"), ("1010", "sender_rejected"), ("1090", "technical"), ("1120", "reputation_block"),
    ("1170", "policy_block"), ("1220", "reputation_block"), ("1310", "rate_limited"), ("1400", "rate_limited"),
    ("1530", "message_too_large"), ("1580", "rate_limited"),
])
def test_spectrum_aup_codes_name_the_cause(code, category):
    result = classify(f"550 5.1.0 <s@example.com> sender rejected. Please see https://www.spectrum.net/support for more "
                      f"information. AUP#In-{code}")
    assert (result.vendor, result.category) == ("spectrum", category)


def test_spectrum_code_outside_the_documented_ranges_is_not_a_spectrum_signature():
    assert classify("550 5.1.0 <s@example.com> sender rejected. AUP#In-1151").vendor is None


def test_yahoo_tss04_deferral_is_a_sender_refusal_not_only_volume():
    result = classify("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user "
                      "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes")
    assert (result.vendor, result.category, result.temporary) == ("yahoo", "sender_rejected", True)
