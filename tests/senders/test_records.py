"""Record grammars (no DNS): SPF terms, DMARC tags, DKIM key sizes, blocklist answers."""
from __future__ import annotations

import base64

from deliverability.senders import dnsbl
from deliverability.senders.records import is_dmarc, is_spf, parse_dkim, parse_dmarc, parse_spf, rsa_modulus_bits


def test_spf_version_must_be_followed_by_a_space_or_the_end():
    assert is_spf("v=spf1 -all") and is_spf("v=spf1") and is_spf("V=SPF1 -all")
    assert not is_spf("v=spf10 -all") and not is_spf("spf2.0/pra -all")


def test_spf_terms_and_errors():
    record = parse_spf("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24 mx:mail.example.com//64 include:_spf.example.com "
                       "exists:%{i}.bl.example.com redirect=other.example.com -all")
    assert record.errors == []
    assert [t.name for t in record.terms] == ["ip4", "ip6", "a", "mx", "include", "exists", "redirect", "all"]
    assert parse_spf("v=spf1 ip4:192.0.2.1/33 -all").errors == ["'ip4:192.0.2.1/33': bad prefix length"]
    assert parse_spf("v=spf1 include -all").errors == ["'include': 'include' needs a domain"]
    assert parse_spf("v=spf1 redirect=a.example.com redirect=b.example.com").errors == [
        "'redirect=' appears more than once"]
    assert parse_spf("v=spf1 ip4:2001:db8::1 -all").errors == ["'ip4:2001:db8::1': an IPv6 address in 'ip4'"]
    assert parse_spf("v=spf1 foo:bar.com").errors == ["unknown mechanism 'foo:bar.com'"]


def test_dmarc_tags():
    assert is_dmarc("v=DMARC1; p=none") and not is_dmarc("v=DMARC2; p=none") and not is_dmarc("p=none; v=DMARC1")
    record = parse_dmarc("v=DMARC1; p=reject; sp=none; adkim=s; pct=50; rua=mailto:a@example.com,mailto:b@example.net")
    assert (record.errors, record.policy, record.subdomain_policy, record.adkim, record.aspf, record.pct) == (
        [], "reject", "none", "s", "r", 50)
    assert record.rua == ["mailto:a@example.com", "mailto:b@example.net"]
    assert parse_dmarc("v=DMARC1; rua=mailto:a@example.com").errors == ["no policy (p=) tag"]
    assert parse_dmarc("v=DMARC1; p=none; aspf=x").errors == ["aspf=x is not r or s"]
    assert parse_dmarc("v=DMARC1; p=none; rua=a@example.com").errors == [
        "rua: 'a@example.com' is not a URI (mailto:address)"]


def _spki(bits: int) -> bytes:
    """A DER SubjectPublicKeyInfo around a modulus of `bits` bits (structure only, as DKIM publishes)."""
    def der(tag, body):
        n = len(body)
        length = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([tag]) + length + body
    modulus = (1 << (bits - 1) | 1).to_bytes(bits // 8, "big")
    rsa = der(0x30, der(0x02, b"\x00" + modulus) + der(0x02, b"\x01\x00\x01"))
    algorithm = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return der(0x30, algorithm + der(0x03, b"\x00" + rsa))


def test_dkim_key_lengths_from_der():
    for bits in (512, 1024, 2048, 4096):
        assert rsa_modulus_bits(_spki(bits)) == bits
    key = parse_dkim("v=DKIM1; k=rsa; p=" + base64.b64encode(_spki(1024)).decode())
    assert (key.bits, key.revoked, key.errors) == (1024, False, [])
    assert parse_dkim("v=DKIM1; p=").revoked
    assert parse_dkim("v=DKIM1; p=!!!").errors == ["p= is not base64"]
    assert parse_dkim("k=rsa; v=DKIM1; p=").errors == ["v= must be the first tag"]


def test_blocklist_answer_ranges():
    ip_zone, domain_zone = dnsbl.Zone("zen.spamhaus.org", "zen.spamhaus.org"), dnsbl.Zone("dbl.spamhaus.org", "dbl.spamhaus.org", True)
    assert dnsbl.read_answer(ip_zone, []).listed is False
    assert dnsbl.read_answer(ip_zone, ["127.0.0.255"]).listed is True
    assert dnsbl.read_answer(ip_zone, ["127.0.0.10"]).meaning.startswith("Spamhaus PBL (ISP maintained)")
    assert dnsbl.read_answer(ip_zone, ["127.255.255.252"]).problem == dnsbl.REFUSED
    odd = dnsbl.read_answer(ip_zone, ["127.0.0.1"])
    assert odd.listed is None and odd.problem is None
    assert dnsbl.read_answer(ip_zone, ["198.51.100.7"]).listed is None  # a wildcarding resolver
    assert dnsbl.read_answer(domain_zone, ["127.0.1.2"]).listed is True
    assert dnsbl.read_answer(domain_zone, ["127.0.1.255"]).listed is None
    assert dnsbl.ip_query_name("192.0.2.1", "bl.example") == "1.2.0.192.bl.example"
    assert dnsbl.ip_query_name("2001:db8::1", "bl.example").startswith("1.0.0.0.") and \
        dnsbl.ip_query_name("2001:db8::1", "bl.example").endswith(".8.b.d.0.1.0.0.2.bl.example")
