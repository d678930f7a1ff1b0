"""The bulk-sender checklist from a stored result (plain data in, items out)."""
from __future__ import annotations

from deliverability.senders.checklist import build_checklist

DOMAIN = {
    "spf": {"status": "pass", "record": "v=spf1 include:sendgrid.net -all", "lookups": 1, "findings": []},
    "dkim": [{"selector": "s1", "bits": 2048, "key_type": "rsa", "status": "pass"}], "dkim_status": "pass",
    "dmarc": {"status": "warn", "record": "v=DMARC1; p=none", "found_at": "_dmarc.example.com", "policy": "none",
              "alignment": {"spf": False, "dkim": True, "return_paths": ["sendgrid.net"]},
              "findings": [{"code": "dmarc_policy_none", "severity": "warn", "detail": "p=none"}]},
    "findings": [],
}
IP = {"ip": "192.0.2.1", "ptr": {"status": "fail", "confirmed": None}, "dnsbl": [{"listed": False}],
      "findings": [{"code": "ptr_missing", "severity": "fail", "detail": "192.0.2.1 has no reverse DNS name (PTR)"}]}


def items(checklists, provider):
    return {i.requirement: i for i in next(c for c in checklists if c.provider == provider).items}


def test_statuses_evidence_and_bounce_codes_per_provider():
    lists = build_checklist(DOMAIN, [IP], complaints=(4, 1000), code_counts={"5.7.26": 3, "5.7.515": 2, "[TSS04]": 1})
    gmail = items(lists, "gmail")
    assert gmail["spf"].status == "pass" and gmail["dkim"].status == "pass"
    assert gmail["dmarc"].status == "pass"  # p=none is enough for the bulk-sender rules
    assert gmail["alignment"].status == "pass"  # DKIM aligns
    assert gmail["ptr"].status == "fail" and "no reverse DNS" in gmail["ptr"].evidence[0]
    assert gmail["complaints"].status == "fail"  # 0.4 % is past 0.3 %
    assert gmail["unsubscribe"].status == "unknown"
    assert [(m, n) for m, _, n in gmail["dmarc"].codes] == [("5.7.26", 3)]
    assert [(m, n) for m, _, n in items(lists, "microsoft")["authentication"].codes] == [("5.7.515", 2)]
    assert [(m, n) for m, _, n in items(lists, "yahoo")["complaints"].codes] == [("[TSS04]", 1)]


def test_complaint_bands_and_unknowns():
    def rate(complaints):
        return items(build_checklist(DOMAIN, [], complaints=complaints), "gmail")["complaints"].status
    assert rate((0, 1000)) == "pass" and rate((1, 1000)) == "warn" and rate((3, 1000)) == "fail"
    assert rate(None) == "unknown"
    assert items(build_checklist(None, []), "gmail")["spf"].status == "unknown"
    assert items(build_checklist(DOMAIN, []), "gmail")["ptr"].status == "unknown"  # no IP configured
