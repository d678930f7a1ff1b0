"""The resolver against the real loopback DNS server, over UDP and over TCP (resolver_config)."""
import asyncio
import time

import pytest

from deliverability.domains.resolver import (
    IMPLICIT_MX,
    MX_UNRESOLVABLE,
    NO_MAIL,
    NULL_MX,
    NXDOMAIN,
    OK,
    SERVFAIL,
    TIMEOUT,
    MxResolver,
    ResolverConfig,
    parse_nameserver,
    resolve_domains,
)


def resolve_one(domain, config):
    return resolve_domains([domain], config)[0]


def test_ok_mx_sorted_by_preference_with_ttl(resolver_config):
    answer = resolve_one("gmail.com", resolver_config)
    assert answer.status == OK
    assert answer.mx_hosts[0] == "gmail-smtp-in.l.google.com"
    assert [p for p, _ in answer.mx] == [5, 10, 20, 30, 40]
    assert answer.ttl == 3600


def test_null_mx(resolver_config):
    answer = resolve_one("oldharbor-trading.com", resolver_config)
    assert (answer.status, answer.mx) == (NULL_MX, [(0, ".")])


def test_null_mx_next_to_a_real_host_is_ignored(resolver_config):
    answer = resolve_one("odd-null-mx.com", resolver_config)
    assert (answer.status, answer.mx_hosts) == (OK, ["mx2.partly-broken-mx.com"])


def test_implicit_mx_from_an_address(resolver_config):
    answer = resolve_one("pinecrest-realty.com", resolver_config)
    assert (answer.status, answer.addresses) == (IMPLICIT_MX, ["192.0.2.81"])


def test_no_mx_and_no_address_is_no_mail(resolver_config):
    answer = resolve_one("quietfield-holdings.com", resolver_config)
    assert answer.status == NO_MAIL
    assert answer.ttl == 300  # the negative TTL from the SOA (RFC 2308)


def test_nxdomain(resolver_config):
    answer = resolve_one("vanished-ventures.com", resolver_config)
    assert answer.status == NXDOMAIN
    assert answer.ttl == 300


def test_servfail(resolver_config):
    answer = resolve_one("brokenlink-systems.com", resolver_config)
    assert (answer.status, answer.detail) == (SERVFAIL, "SERVFAIL")


def test_refused_counts_as_servfail(resolver_config):
    answer = resolve_one("lame-delegation.com", resolver_config)
    assert (answer.status, answer.detail) == (SERVFAIL, "REFUSED")


def test_silent_server_times_out_within_the_budget(resolver_config):
    started = time.monotonic()
    answer = resolve_one("silentpeak-labs.com", resolver_config)
    assert answer.status == TIMEOUT
    assert answer.transient
    assert time.monotonic() - started < resolver_config.domain_budget + 0.3


def test_per_domain_budget_caps_a_slow_domain(dns_server):
    config = ResolverConfig.for_tests([dns_server.nameserver], lifetime=1.0, timeout=1.0, domain_budget=0.05)
    answer = resolve_one("slow-but-fine.com", config)
    assert (answer.status, answer.detail) == (TIMEOUT, "domain budget exhausted")
    assert answer.elapsed < 0.5


def test_mx_hosts_that_do_not_resolve(resolver_config):
    answer = resolve_one("medley-foods.com", resolver_config)
    assert answer.status == MX_UNRESOLVABLE
    assert answer.unresolvable_hosts == ["aspmx.1.google.com"]


def test_one_unresolvable_host_among_good_ones_is_still_ok(resolver_config):
    answer = resolve_one("partly-broken-mx.com", resolver_config)
    assert answer.status == OK
    assert answer.unresolvable_hosts == ["mx1.partly-broken-mx.com"]


def test_mx_host_that_is_a_cname_is_flagged(resolver_config):
    answer = resolve_one("granite-row.com", resolver_config)
    assert (answer.status, answer.cname_hosts) == (OK, ["mx.granite-row.com"])


def test_mx_host_without_glue_is_looked_up_ipv6_only_is_fine(resolver_config):
    answer = resolve_one("no-glue.com", resolver_config)
    assert (answer.status, answer.unresolvable_hosts) == (OK, [])


def test_spf_includes_are_read_for_gateway_domains_only(resolver_config):
    gateway = resolve_one("northwind-freight.com", resolver_config)
    assert "spf.protection.outlook.com" in gateway.spf_includes
    hosted = resolve_one("quillon-partners.com", resolver_config)
    assert hosted.spf_includes == []


def test_batch_where_one_domain_times_out_and_the_rest_succeed(resolver_config):
    names = ["gmail.com", "silentpeak-labs.com", "northwind-freight.com", "yahoo.com", "vanished-ventures.com"]
    started = time.monotonic()
    answers = resolve_domains(names, resolver_config)
    elapsed = time.monotonic() - started
    assert [a.domain for a in answers] == names
    assert [a.status for a in answers] == [OK, TIMEOUT, OK, OK, NXDOMAIN]
    assert elapsed < resolver_config.domain_budget + 0.5  # the dead domain did not serialise the batch


def test_concurrency_bounds_domains_in_flight(dns_server):
    # slow-but-fine.com answers after 100 ms: 6 domains at 2 in flight take >= 3 rounds
    config = ResolverConfig.for_tests([dns_server.nameserver], concurrency=2, lifetime=1.0, timeout=1.0, domain_budget=2.0)
    started = time.monotonic()
    answers = resolve_domains(["slow-but-fine.com"] * 6, config)
    assert all(a.status == OK for a in answers)
    assert time.monotonic() - started >= 0.3


def test_concurrency_lets_slow_answers_overlap(dns_server):
    config = ResolverConfig.for_tests([dns_server.nameserver], concurrency=100, lifetime=1.0, timeout=1.0, domain_budget=2.0)
    started = time.monotonic()
    answers = resolve_domains(["slow-but-fine.com"] * 20, config)
    assert all(a.status == OK for a in answers)
    assert time.monotonic() - started < 1.0  # 20 × 100 ms sequentially would be 2 s


def test_shared_mx_host_lookup_is_reused_within_a_resolver(dns_server):
    resolver = MxResolver(ResolverConfig.for_tests([dns_server.nameserver]))
    before = dns_server.authority.queries
    asyncio.run(resolver.resolve_many(["no-glue.com"] * 5))
    # 5 MX queries, and the glue-less host asked once (A, then AAAA) — not five times
    assert dns_server.authority.queries - before <= 5 + 2


@pytest.mark.parametrize(
    "text, parsed",
    [("127.0.0.1:5353", ("127.0.0.1", 5353)), ("10.0.0.1", ("10.0.0.1", 53)), ("[::1]:5300", ("::1", 5300)), ("::1", ("::1", 53))],
)
def test_parse_nameserver(text, parsed):
    assert parse_nameserver(text) == parsed
