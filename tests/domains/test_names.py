import pytest

from deliverability.domains.names import InvalidDomain, domain_of, normalize_domain, registrable_domain


def test_domain_of_keeps_the_addresses_own_subdomain():
    assert domain_of("Jane.Doe@US.IBM.com") == "us.ibm.com"


def test_domain_of_uses_the_last_at_sign():
    assert domain_of('"odd@local"@Example.COM') == "example.com"


@pytest.mark.parametrize("bad", ["no-at-sign", "@example.com", "user@", "user@localhost"])
def test_domain_of_rejects_what_dns_cannot_be_asked_about(bad):
    with pytest.raises(InvalidDomain):
        domain_of(bad)


def test_idn_domains_become_punycode():
    assert normalize_domain("Bücher.Example.") == "xn--bcher-kva.example"
    assert domain_of("hans@münchen.de") == "xn--mnchen-3ya.de"


def test_punycode_input_is_kept():
    assert normalize_domain("XN--MNCHEN-3YA.DE") == "xn--mnchen-3ya.de"


@pytest.mark.parametrize(
    "domain, registrable",
    [
        ("us.ibm.com", "ibm.com"),
        ("mail.yahoo.co.uk", "yahoo.co.uk"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("a.b.c.example.com.au", "example.com.au"),
        ("co.uk", "co.uk"),  # a bare public suffix stays as it is
    ],
)
def test_registrable_domain_from_the_bundled_suffix_list(domain, registrable):
    assert registrable_domain(domain) == registrable


def test_suffix_list_is_never_downloaded():
    from deliverability.domains import names

    assert names._EXTRACT.suffix_list_urls == ()
    assert names._EXTRACT._cache.enabled is False if hasattr(names._EXTRACT._cache, "enabled") else True
