"""`manage.py sender_check`: one JSON object per line, repeated flags, exit codes."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("sender_check", *args, "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_json_object_per_domain_then_per_ip(sender_dns):
    lines = run("good-sender.com", "dmarc-none.com", "--ip", "192.0.2.10", "--ip", "192.0.2.20",
                "--nameserver", sender_dns.nameserver)
    assert [line.get("domain") or line.get("ip") for line in lines] == [
        "good-sender.com", "dmarc-none.com", "192.0.2.10", "192.0.2.20"]
    good, none, ok_ip, listed_ip = lines
    assert {"domain", "problems", "spf", "dkim", "dmarc"} <= set(good) and good["problems"] == []
    assert none["problems"] == ["spf_missing", "dkim_missing", "dmarc_policy_none", "dmarc_no_reports"]
    assert {"ip", "problems", "ptr", "dnsbl"} <= set(ok_ip) and ok_ip["problems"] == []
    assert listed_ip["problems"] == ["dnsbl_listed"]
    zen = listed_ip["dnsbl"][0]
    assert (zen["zone"], zen["listed"], zen["code"]) == ("zen.spamhaus.org", True, "127.0.0.2")
    assert "Spamhaus SBL" in zen["meaning"]


def test_repeated_selectors_replace_the_suggested_ones(sender_dns):
    (line,) = run("dkim-weak.com", "--selector", "s1", "--selector", "s2", "--nameserver", sender_dns.nameserver)
    assert [(k["selector"], k["bits"]) for k in line["dkim"]] == [("s1", 1024), ("s2", 512)]
    assert line["problems"] == ["dkim_weak_key", "dmarc_missing"]


def test_dnsbl_zone_is_asked_exactly_as_given(sender_dns, settings):
    settings.SPAMHAUS_DQS_KEY = "testkey123"  # rewrites configured zones, not a zone given on the command line
    (line,) = run("--ip", "192.0.2.10", "--dnsbl", "dnsbl.example-lists.com", "--dnsbl", "zen.spamhaus.org",
                  "--nameserver", sender_dns.nameserver)
    assert [(d["zone"], d["listed"], d["code"]) for d in line["dnsbl"]] == [
        ("dnsbl.example-lists.com", True, "127.0.0.3"), ("zen.spamhaus.org", False, None)]
    # without --dnsbl: the configured zones, Spamhaus through the DQS key (the key itself not shown)
    (line,) = run("--ip", "192.0.2.20", "--nameserver", sender_dns.nameserver)
    assert line["dnsbl"][0]["zone"] == "zen.spamhaus.org (DQS)" and line["dnsbl"][0]["code"] == "127.0.0.4"


def test_blocklists_named_on_the_command_line_replace_the_configured_ones(sender_dns):
    (line,) = run("spammy-domain.com", "--dnsbl", "bl.spamcop.net", "--nameserver", sender_dns.nameserver)
    assert line["dnsbl"] == [] and "dnsbl_listed" not in line["problems"]
    (line,) = run("spammy-domain.com", "--dbl", "dbl.spamhaus.org", "--nameserver", sender_dns.nameserver)
    assert [(d["zone"], d["listed"], d["code"]) for d in line["dnsbl"]] == [("dbl.spamhaus.org", True, "127.0.1.2")]
    (line,) = run("spammy-domain.com", "--nameserver", sender_dns.nameserver)  # the configured domain lists
    assert "dnsbl_listed" in line["problems"]


def test_timeout_is_unknown_in_the_json(sender_dns):
    (line,) = run("slow-dns.com", "--selector", "s1", "--nameserver", sender_dns.nameserver)
    assert line["dmarc"]["status"] == "unknown" and "dmarc_missing" not in line["problems"]


@pytest.mark.parametrize("args,message", [
    (["not a domain"], "is not a domain name"),
    (["example.com", "--ip", "300.1.2.3"], "is not an IPv4 or IPv6 address"),
    (["example.com", "--nameserver", ":53"], "--nameserver"),
    (["example.com", "--esp", "nosuchesp"], "unknown platform"),
    ([], "name at least one DOMAIN"),
])
def test_bad_arguments_are_command_errors(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sender_check", *args)


def test_exit_codes_in_a_real_process(sender_dns):
    """Exit 0 when the checks ran, even with problems found; non-zero only for bad arguments."""
    env = {**os.environ, "DEBUG": "1", "DNS_TIMEOUT_MS": "5000"}  # a loaded machine: no timeout turns into unknown
    env.pop("REDIS_URL", None)
    found = subprocess.run([sys.executable, "manage.py", "sender_check", "no-spf.com", "--ip", "192.0.2.11",
                            "--nameserver", sender_dns.nameserver, "--json"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    lines = [json.loads(x) for x in found.stdout.splitlines()]
    assert lines[0]["spf"]["unknown"] == [], lines[0]
    assert [line["problems"] for line in lines] == [
        ["spf_missing", "dkim_missing", "dmarc_missing"], ["ptr_missing"]]
    bad = subprocess.run([sys.executable, "manage.py", "sender_check", "example.com", "--ip", "nope"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "'nope'" in bad.stderr
