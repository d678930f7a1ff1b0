"""The management command, against the real loopback DNS server. (Enrichment runs in the upload's
analysis task: see tests/verdicts/test_analysis_once.py for the worker and queue paths.)"""
import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run_command(*args, stdin_text=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin_text is not None:
        kwargs["stdin"] = io.StringIO(stdin_text)
    call_command("enrich_domains", *args, **kwargs)
    return out.getvalue(), err.getvalue()


def test_json_output_is_one_object_per_domain_and_nothing_else(dns_server):
    out, err = run_command("northwind-freight.com", "gmail.com", "--json", "--nameserver", dns_server.nameserver)
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["domain"] for o in objects] == ["northwind-freight.com", "gmail.com"]
    first = objects[0]
    for key in ("domain", "kind", "mx_status", "mx", "vendor", "vendor_id", "vendors", "vendor_category", "provider"):
        assert key in first
    assert (first["vendor"], first["vendor_id"], first["vendor_category"], first["provider"]) == (
        "Proofpoint", "proofpoint", "security_gateway", "microsoft365")
    assert objects[1]["kind"] == "consumer"
    assert "resolved" in err  # progress and the summary go to stderr


def test_stdin_and_addresses(dns_server):
    out, _ = run_command("-", "--json", "--nameserver", dns_server.nameserver,
                         stdin_text="jane@Halden-Biotech.com\n# comment\n\nbellmark-insurance.com\n")
    assert [json.loads(line)["vendor_id"] for line in out.splitlines()] == ["mimecast", "cisco"]


def test_refresh_flag_resolves_fresh_domains_again(dns_server):
    run_command("gmail.com", "--nameserver", dns_server.nameserver)
    _, err = run_command("gmail.com", "--nameserver", dns_server.nameserver)
    assert "0 resolved, 0 unresolved, 1 fresh" in err
    _, err = run_command("gmail.com", "--refresh", "--nameserver", dns_server.nameserver)
    assert "1 resolved" in err


def test_invalid_names_are_reported_on_stderr(dns_server):
    out, err = run_command("localhost", "gmail.com", "--json", "--nameserver", dns_server.nameserver)
    assert len(out.splitlines()) == 1
    assert "invalid" in err


def test_plain_output(dns_server):
    out, _ = run_command("lumen-dental-group.com", "--nameserver", dns_server.nameserver)
    assert "proofpoint_essentials, microsoft365" in out


def test_nothing_to_do_is_an_error():
    with pytest.raises(CommandError):
        run_command("-", stdin_text="\n")
