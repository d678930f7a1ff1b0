import pytest

from deliverability.domains.names import normalize_domain, registrable_domain


def test_idn_domains_become_punycode():
    assert normalize_domain("Bücher.Example.") == "xn--bcher-kva.example"
    assert normalize_domain("münchen.de") == "xn--mnchen-3ya.de"


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
