import json

import pytest

from deliverability.bounces.vendors import all_vendors
from deliverability.domains.fingerprint import (
    DATA_FILE,
    fingerprint,
    mx_patterns,
    spf_includes,
    vendor_for_host,
    vendor_for_spf_include,
)

RAW = json.loads(DATA_FILE.read_text())


@pytest.mark.parametrize("entry", RAW["patterns"], ids=lambda e: f"{e['vendor']}:{e['example']}")
def test_every_pattern_matches_its_own_example(entry):
    assert vendor_for_host(entry["example"]) == entry["vendor"]
    assert vendor_for_host(entry["example"].upper() + ".") == entry["vendor"]


def test_every_pattern_names_known_sources_and_vendors():
    vendors = all_vendors()
    for entry in RAW["patterns"] + RAW["spf_includes"]["patterns"]:
        assert entry["vendor"] in vendors
        assert entry["sources"] and all(s in RAW["sources"] for s in entry["sources"]), entry


def test_at_least_thirty_vendors_are_recognised():
    assert len({p.vendor for p in mx_patterns()}) >= 30


@pytest.mark.parametrize(
    "host",
    [
        "mail.kestrel-machining.com",
        "mx.pphosted.com.evil.example",
        "aspmx.1.google.com",  # a typo, not Google
        "route1.mx.cloudflare.net",  # Cloudflare Email Routing is not Area 1
        "smtp.example-google.com",
    ],
)
def test_self_hosted_and_lookalike_hosts_get_no_vendor(host):
    assert vendor_for_host(host) is None


def test_consumer_and_business_infrastructure_of_one_company_are_told_apart():
    assert vendor_for_host("gmail-smtp-in.l.google.com") == "gmail"
    assert vendor_for_host("aspmx.l.google.com") == "google_workspace"
    assert vendor_for_host("hotmail-com.olc.protection.outlook.com") == "outlook_com"
    assert vendor_for_host("contoso-com.mail.protection.outlook.com") == "microsoft365"


def test_mixed_mx_set_reports_every_vendor_in_preference_order():
    fp = fingerprint(["mx1-us1.ppe-hosted.com", "mail.lumen.example", "lumen-com.mail.protection.outlook.com"])
    assert fp.vendor_id == "proofpoint_essentials"
    assert fp.vendors == ("proofpoint_essentials", "microsoft365")
    assert fp.vendor_category == "security_gateway"
    assert (fp.provider_id, fp.provider_source) == ("microsoft365", "mx")


def test_repeated_vendor_is_listed_once():
    fp = fingerprint(["mx0a-001b2c01.pphosted.com", "mx0b-001b2c01.pphosted.com"])
    assert fp.vendors == ("proofpoint",)


def test_self_hosted_domain_has_no_vendor_and_no_guess():
    fp = fingerprint(["mail.kestrel-machining.com"], ["spf.protection.outlook.com"])
    assert (fp.vendor_id, fp.vendor_category, fp.vendors, fp.provider_id) == (None, None, (), None)


def test_spf_include_reveals_the_mailbox_behind_a_gateway():
    includes = spf_includes(["google-site-verification=x", "v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com -all"])
    fp = fingerprint(["esa1.hc4721-18.iphmx.com"], includes)
    assert (fp.vendor_id, fp.provider_id, fp.provider_source) == ("cisco", "microsoft365", "spf")


def test_mailbox_provider_is_its_own_provider():
    fp = fingerprint(["smtp.google.com"], ["_spf.google.com"])
    assert (fp.vendor_id, fp.vendor_category, fp.provider_id) == ("google_workspace", "mailbox_provider", "google_workspace")


def test_spf_parsing():
    assert spf_includes(["v=spf1 +include:_spf.google.com ~include:x.example redirect=_spf.example.net"]) == [
        "_spf.google.com",
        "x.example",
        "_spf.example.net",
    ]
    assert spf_includes(["not spf"]) == []
    assert vendor_for_spf_include("SPF.protection.outlook.com.") == "microsoft365"
    assert vendor_for_spf_include("_netblocks.mimecast.com") is None
