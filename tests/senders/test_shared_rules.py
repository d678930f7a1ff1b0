"""The sender checks ask DNS through the domains resolver's one question function (domains.resolver.ask,
clamp_ttl, OnceInFlight), and every sender state that sums others (a check, a report, a provider's
checklist) follows one rule, checks.worst."""
from __future__ import annotations

import asyncio
import itertools

import pytest

from deliverability.domains.resolver import TIMEOUT, DnsFailure, OnceInFlight, ask, make_resolver
from deliverability.senders import checklist, checks, services
from deliverability.senders.checks import FAIL, PASS, UNKNOWN, WARN, worst
from deliverability.senders.lookup import SenderDns


def test_a_timeout_reads_the_same_in_the_sender_checks_and_the_domains_resolver(sender_config):
    name = "_dmarc.slow-dns.com"
    async def both():
        lookup = await SenderDns(sender_config).query(name, "TXT")
        with pytest.raises(DnsFailure) as failure:
            await ask(make_resolver(sender_config), sender_config, name, "TXT")
        return lookup, failure.value

    lookup, failure = asyncio.run(both())
    assert lookup.status == failure.status == TIMEOUT
    assert lookup.detail == failure.detail and name in failure.detail


def test_once_in_flight_runs_a_key_once_for_all_who_wait_and_again_afterwards():
    runs = []

    async def work(key, fail=False):
        runs.append(key)
        await asyncio.sleep(0.01)
        if fail:
            raise ValueError(key)
        return f"answer {key}"

    async def scenario():
        once = OnceInFlight()
        together = await asyncio.gather(*(once.run("a", lambda: work("a")) for _ in range(5)),
                                        once.run("b", lambda: work("b")))
        failed = await asyncio.gather(*(once.run("c", lambda: work("c", fail=True)) for _ in range(3)),
                                      return_exceptions=True)
        later = await once.run("a", lambda: work("a"))
        return together, failed, later

    together, failed, later = asyncio.run(scenario())
    assert together == ["answer a"] * 5 + ["answer b"]
    assert [type(e) for e in failed] == [ValueError] * 3
    assert later == "answer a" and runs == ["a", "b", "c", "a"]


STATES = (PASS, WARN, UNKNOWN, FAIL)


@pytest.mark.parametrize("states", [c for n in range(4) for c in itertools.combinations_with_replacement(STATES, n)])
def test_one_worst_state_rule_for_checks_reports_and_checklists(states):
    expected = next((s for s in (FAIL, UNKNOWN, WARN) if s in states), PASS)
    assert worst(states) == expected
    items = [checklist.Item(requirement="spf", label="", status=s) for s in states]
    assert checklist.ProviderChecklist("gmail", "Gmail", items).status == expected
    findings = [{"severity": s, "detail": s, "code": "x"} for s in states if s in (FAIL, WARN)]
    unknown = UNKNOWN in states
    assert services.overall(findings, [UNKNOWN] if unknown else [PASS]) == expected
    objects = [checks.Finding("x", s, s) for s in states if s in (FAIL, WARN)]
    assert checks._status(objects, unknown) == expected
    state, evidence = checklist._from_findings(findings, UNKNOWN if unknown else PASS, "fine")
    assert state == expected
    if findings:
        assert evidence == [f["detail"] for f in findings]
    else:
        assert evidence == (["fine"] if expected == PASS else ["the DNS answer did not arrive (timeout): unknown"])
