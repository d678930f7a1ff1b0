"""The sender tests' own loopback DNS server (zones.txt beside this file), started once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from deliverability.devtools.loopback_dns import LoopbackDNS
from deliverability.domains.resolver import ResolverConfig

ZONES = Path(__file__).with_name("zones.txt")


@pytest.fixture(scope="session")
def sender_dns():
    with LoopbackDNS.from_file(ZONES) as server:
        yield server


@pytest.fixture
def sender_config(sender_dns) -> ResolverConfig:
    # a second per question: the machine is shared and the first questions of a process load dnspython's
    # record modules; the timeout cases (silent names) cost two seconds each
    return ResolverConfig.for_tests([sender_dns.nameserver], timeout=2.0, lifetime=2.0)
