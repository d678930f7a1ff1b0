"""The sender check engine against the loopback DNS server (tests/senders/zones.txt): one name per rule."""
from __future__ import annotations

import asyncio

import pytest

from deliverability.senders import dnsbl
from deliverability.senders.checks import (
    FAIL,
    PASS,
    UNKNOWN,
    WARN,
    DomainTarget,
    check_domain,
    check_ip,
    run_checks,
)
from deliverability.senders.lookup import SenderDns

IP_ZONES = dnsbl.make_zones(dnsbl.DEFAULT_IP_ZONES)


def domain(config, name, **target):
    return asyncio.run(check_domain(SenderDns(config), DomainTarget(name, **target),
                                    dnsbl.make_zones(dnsbl.DEFAULT_DOMAIN_ZONES, domains=True)))


def ip(config, address, zones=IP_ZONES):
    return asyncio.run(check_ip(SenderDns(config), address, zones))


def severities(report, code):
    return [f.severity for f in report.findings if f.code == code]


def test_a_domain_in_order_has_no_problem(sender_config):
    report = domain(sender_config, "good-sender.com", esps=["sendgrid"], return_paths=["bounces.good-sender.com"])
    assert report.problems == []
    assert report.spf.unknown == []
    assert report.spf.status == PASS and report.spf.lookups == 1 and report.spf.all == "-all"
    assert [(k.selector, k.bits, k.via) for k in report.dkim] == [("s1", 2048, "s1.domainkey.u1234.wl.sendgrid.net")]
    assert report.dmarc.policy == "reject" and report.dmarc.found_at == "_dmarc.good-sender.com"
    assert report.dmarc.alignment == {"spf": True, "dkim": True, "return_paths": ["bounces.good-sender.com"]}


def test_spf_missing_multiple_and_syntax(sender_config):
    assert "spf_missing" in domain(sender_config, "no-spf.com").problems
    assert "spf_multiple" in domain(sender_config, "two-spf.com").problems
    bad = domain(sender_config, "bad-syntax-spf.com")
    details = [f.detail for f in bad.findings if f.code == "spf_syntax"]
    assert any("inclde" in d for d in details) and any("300.1.1.1" in d for d in details)


def test_spf_include_loop_is_too_many_lookups(sender_config):
    report = domain(sender_config, "loop-spf.com")
    assert {"spf_include_loop", "spf_too_many_lookups"} <= set(report.problems)
    assert any("loop-spf.com → loop-b.com → loop-spf.com" in f.detail for f in report.findings)


def test_redirect_chain_counts_each_redirect_and_takes_the_last_all(sender_config):
    report = domain(sender_config, "redirect-chain.com")
    assert report.spf.lookups == 2
    assert report.spf.includes == ["_spf.redirect-chain.com", "_spf2.redirect-chain.com"]
    assert report.spf.all == "?all"
    assert severities(report, "spf_permissive_all") == [WARN]


def test_eleven_lookups_through_nested_includes_fail_and_ten_pass(sender_config):
    eleven = domain(sender_config, "eleven-lookups.com")
    assert eleven.spf.lookups == 11 and "spf_too_many_lookups" in eleven.problems
    ten = domain(sender_config, "ten-lookups.com")
    assert ten.spf.lookups == 10 and ten.spf.status == PASS
    assert not [c for c in ten.problems if c.startswith("spf_")]


def test_void_include_and_void_lookup_limit(sender_config):
    void = domain(sender_config, "void-include.com")
    assert void.spf.void_lookups == 1 and "spf_include_missing" in void.problems
    assert "spf_void_lookups" not in void.problems  # one void lookup is within the limit of two
    three = domain(sender_config, "three-voids.com")
    assert three.spf.void_lookups == 3 and "spf_void_lookups" in three.problems


def test_plus_all_fails_and_esp_include_is_looked_for_in_the_tree(sender_config):
    assert severities(domain(sender_config, "plus-all.com"), "spf_permissive_all") == [FAIL]
    missing = domain(sender_config, "esp-missing.com", esps=["sendgrid"])
    assert "spf_esp_missing" in missing.problems
    assert "spf_esp_missing" not in domain(sender_config, "esp-missing.com", esps=["google"]).problems


def test_dkim_key_sizes_and_revoked_keys(sender_config):
    weak = domain(sender_config, "dkim-weak.com", selectors=["s1", "s2"])
    assert [(k.selector, k.bits, k.status) for k in weak.dkim] == [("s1", 1024, WARN), ("s2", 512, FAIL)]
    assert severities(weak, "dkim_weak_key") == [WARN, FAIL]
    revoked = domain(sender_config, "dkim-revoked.com")  # suggested selectors: k1 answers with p=
    assert revoked.dkim[0].selector == "k1" and "dkim_revoked" in revoked.problems


def test_given_selectors_replace_the_suggested_ones_and_each_must_exist(sender_config):
    report = domain(sender_config, "good-sender.com", selectors=["s1", "missing1"])
    assert [k.selector for k in report.dkim] == ["s1", "missing1"]
    assert [f.detail for f in report.findings if f.code == "dkim_missing"] == [
        "no key at missing1._domainkey.good-sender.com"]
    # suggested selectors: one key is enough, the others are not reported
    assert "dkim_missing" not in domain(sender_config, "good-sender.com").problems


def test_dmarc_rules(sender_config):
    assert "dmarc_multiple" in domain(sender_config, "two-dmarc.com").problems
    none = domain(sender_config, "dmarc-none.com")
    assert severities(none, "dmarc_policy_none") == [WARN] and "dmarc_no_reports" in none.problems
    syntax = domain(sender_config, "dmarc-syntax.com")
    assert len([f for f in syntax.findings if f.code == "dmarc_syntax"]) == 2  # p=block, pct=150
    assert "dmarc_pct_partial" in domain(sender_config, "dmarc-pct.com").problems
    assert "dmarc_missing" in domain(sender_config, "no-spf.com").problems


def test_external_report_destinations_must_authorise_the_domain(sender_config):
    report = domain(sender_config, "ext-rua.com")
    details = [f.detail for f in report.findings if f.code == "dmarc_rua_unauthorized"]
    assert len(details) == 1 and details[0].startswith("reports.example-dmarc.com has not authorised reports")
    assert "dmarc_rua_unauthorized" not in domain(sender_config, "good-sender.com").problems  # its own domain


def test_dmarc_falls_back_to_the_organisational_domain_with_its_subdomain_policy(sender_config):
    report = domain(sender_config, "news.fallback-org.com")
    assert report.dmarc.found_at == "_dmarc.fallback-org.com"
    assert report.dmarc.policy == "quarantine"  # sp= applies to the subdomain
    assert not [c for c in report.problems if c.startswith("dmarc_")]


def test_a_dns_timeout_is_unknown_never_missing(sender_config):
    report = domain(sender_config, "slow-dns.com")
    assert report.dmarc.status == UNKNOWN
    assert report.dmarc.unknown == ["TXT _dmarc.slow-dns.com: timeout"]
    assert not [c for c in report.problems if c.startswith("dmarc_")]


def test_a_nested_include_timeout_leaves_spf_unknown(sender_config):
    report = domain(sender_config, "include-timeout.com", esps=["sendgrid"])
    assert report.spf.status == UNKNOWN and report.spf.unknown == ["TXT _spf.slow-include.com: timeout"]
    assert not [c for c in report.problems if c.startswith("spf_")]


def test_alignment_fails_when_neither_return_path_nor_dkim_aligns(sender_config):
    report = domain(sender_config, "dmarc-none.com", return_paths=["sendgrid.net"])
    assert report.dmarc.alignment["spf"] is False and report.dmarc.alignment["dkim"] is False
    assert "dmarc_not_aligned" in report.problems
    relaxed = domain(sender_config, "dmarc-none.com", return_paths=["em123.dmarc-none.com"])
    assert relaxed.dmarc.alignment["spf"] is True and "dmarc_not_aligned" not in relaxed.problems


def test_ptr_forward_confirmed_missing_and_mismatched(sender_config):
    assert ip(sender_config, "192.0.2.10").ptr.confirmed == "o1.mail.good-sender.com"
    assert ip(sender_config, "192.0.2.11").problems == ["ptr_missing"]
    mismatch = ip(sender_config, "192.0.2.12")
    assert mismatch.problems == ["ptr_mismatch"] and mismatch.ptr.forward == {"host.elsewhere-isp.com": ["192.0.2.99"]}


def test_listed_ip_with_every_code_explained(sender_config):
    report = ip(sender_config, "192.0.2.20")
    zen, barracuda, spamcop = report.dnsbl
    assert (zen.listed, zen.codes) == (True, ("127.0.0.2", "127.0.0.11"))
    assert "SBL" in zen.meaning and "PBL (Spamhaus maintained)" in zen.meaning
    assert barracuda.listed is False and spamcop.listed is True
    assert report.problems == ["dnsbl_listed"]


@pytest.mark.parametrize("address,code", [("192.0.2.21", "127.255.255.254"), ("192.0.2.22", "127.255.255.255")])
def test_refused_and_rate_limited_answers_are_errors_not_listings(sender_config, address, code):
    report = ip(sender_config, address, dnsbl.make_zones(["zen.spamhaus.org"]))
    assert report.problems == ["ptr_missing", "dnsbl_refused"]
    assert (report.dnsbl[0].listed, report.dnsbl[0].code, report.dnsbl[0].status) == (None, code, "refused")


def test_blocklist_timeout_is_unknown(sender_config):
    report = ip(sender_config, "192.0.2.23", dnsbl.make_zones(["bl.spamcop.net"]))
    assert report.dnsbl[0].listed is None and report.dnsbl[0].status == UNKNOWN
    assert "dnsbl_listed" not in report.problems and "dnsbl_refused" not in report.problems


def test_dqs_key_rewrites_spamhaus_zones_only(sender_config):
    zones = dnsbl.make_zones(["zen.spamhaus.org", "bl.spamcop.net"], dqs_key="testkey123")
    assert [z.query_zone for z in zones] == ["testkey123.zen.dq.spamhaus.net", "bl.spamcop.net"]
    report = ip(sender_config, "192.0.2.20", zones)
    assert report.dnsbl[0].zone == "zen.spamhaus.org (DQS)"  # the key is never shown
    assert report.dnsbl[0].code == "127.0.0.4" and "XBL" in report.dnsbl[0].meaning


def test_domain_list_listing(sender_config):
    report = domain(sender_config, "spammy-domain.com")
    assert report.dnsbl[0].listed is True and "spam domain" in report.dnsbl[0].meaning
    assert "dnsbl_listed" in report.problems


def test_answers_are_cached_and_paced_per_zone(sender_dns, sender_config):
    """Three IPs' questions to one zone at 10 a second take at least 0.2 s; a second run from the same
    cache sends nothing."""
    import time

    zones = dnsbl.make_zones(["b.barracudacentral.org"])

    async def run():
        dns_ = SenderDns(sender_config, zone_rate=10)
        started = time.monotonic()
        await asyncio.gather(*(check_ip(dns_, a, zones) for a in ("192.0.2.10", "192.0.2.11", "192.0.2.12")))
        elapsed = time.monotonic() - started
        sent = dns_.queries
        await asyncio.gather(*(check_ip(dns_, a, zones) for a in ("192.0.2.10", "192.0.2.11", "192.0.2.12")))
        return elapsed, sent, dns_.queries

    elapsed, sent, after = asyncio.run(run())
    assert elapsed >= 0.19 and sent == after


def test_run_checks_sync_entry(sender_config):
    domains, ips = run_checks([DomainTarget("good-sender.com")], ["192.0.2.10"], IP_ZONES, config=sender_config)
    assert domains[0].domain == "good-sender.com" and ips[0].ip == "192.0.2.10"
