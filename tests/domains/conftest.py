"""A real DNS server on loopback for the domain tests (UDP and TCP), started once per session."""
from __future__ import annotations

import pytest

from deliverability.devtools.loopback_dns import DEMO_ZONES, LoopbackDNS
from deliverability.domains.resolver import ResolverConfig

# Test-only names on top of the demo zones.
EXTRA_ZONES = """
;@refused  lame-delegation.com.
lame-delegation.com.        IN MX 10 mx.lame-delegation.com.
;@flap     flapping-mx.com. MX 10 mx0a-001b2c09.pphosted.com.
flapping-mx.com.            IN MX 10 flapping-mx-com.mail.protection.outlook.com.
flapping-mx-com.mail.protection.outlook.com. IN A 203.0.113.90
mx0a-001b2c09.pphosted.com. IN A 198.51.100.90
;@delay    slow-but-fine.com. 0.1
slow-but-fine.com.          IN MX 10 mx1.emailsrvr.com.
mx1.emailsrvr.com.          IN A 198.51.100.95
; MX host without glue: its address has to be asked for
no-glue.com.                IN MX 10 mail.elsewhere-hosting.com.
mail.elsewhere-hosting.com. IN AAAA 2001:db8::25
partly-broken-mx.com.       IN MX 10 mx1.partly-broken-mx.com.
partly-broken-mx.com.       IN MX 20 mx2.partly-broken-mx.com.
mx2.partly-broken-mx.com.   IN A 192.0.2.30
; null MX mixed with a real host: the real host wins (RFC 7505 §3: a null MX must be alone)
odd-null-mx.com.            IN MX 0 .
odd-null-mx.com.            IN MX 10 mx2.partly-broken-mx.com.
"""


def zone_text() -> str:
    return DEMO_ZONES.read_text(encoding="utf-8") + EXTRA_ZONES


@pytest.fixture(scope="session")
def dns_server():
    with LoopbackDNS.from_text(zone_text()) as server:
        yield server


@pytest.fixture(params=["udp", "tcp"])
def resolver_config(request, dns_server) -> ResolverConfig:
    return ResolverConfig.for_tests([dns_server.nameserver], tcp=request.param == "tcp")


@pytest.fixture
def private_dns_server():
    """A server of the test's own, for tests that change answers while running."""
    with LoopbackDNS.from_text(zone_text()) as server:
        yield server


@pytest.fixture
def dns_settings(settings, dns_server):
    """Point the project's settings at the loopback server with test-short timeouts."""
    settings.DNS_NAMESERVERS = [dns_server.nameserver]
    settings.DNS_TIMEOUT = 0.3
    settings.DNS_CONCURRENCY = 100
    return settings
