"""The demo's DNS on a user's own export (new-user trial, 5 Dec 2026): the demo's loopback server knows the demo's
domains only, and answered NXDOMAIN for every other one, so a user trying the demo on their own export saw real
recipients at real domains (uab.cat) judged invalid because "the domain does not exist". It now refuses names it
knows nothing about: the domain is unresolved and the verdict does not call the address invalid for it."""
from __future__ import annotations

import pytest

from deliverability.campaigns import services
from deliverability.devtools.loopback_dns import demo_server
from deliverability.domains.models import Domain
from deliverability.verdicts.analysis import analyze_upload
from deliverability.verdicts.models import RecipientVerdict

EXPORT = (b"email,status,diagnostic,timestamp\n"
          b"laia@uab.cat,bounce,554 5.7.1 Message rejected due to content restrictions,2026-11-05T09:00:00Z\n"
          b"pau@uab.cat,delivered,250 2.0.0 OK,2026-11-05T09:00:01Z\n"
          b"ana@vanished-ventures.com,bounce,550 5.1.2 Host unknown,2026-11-05T09:00:02Z\n")


@pytest.fixture
def demo_dns_only(settings):
    with demo_server() as server:
        settings.DNS_NAMESERVERS = [server.nameserver]
        yield server


def test_a_domain_the_demo_cannot_know_is_unresolved_not_nonexistent(org_a, demo_dns_only, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT)
    upload = services.receive_upload(org_a, path, original_name="export.csv", campaign_name="Tardor").upload
    services.run_import(upload.pk)
    analyze_upload(upload.pk)
    assert Domain.objects.get(name="uab.cat").mx_status == "servfail"  # REFUSED: no definite answer
    assert Domain.objects.get(name="vanished-ventures.com").mx_status == "nxdomain"  # the demo's own story
    verdicts = dict(RecipientVerdict.objects.filter(campaign__organization=org_a).values_list("email", "verdict"))
    assert verdicts["laia@uab.cat"] != "invalid_recipient"
    assert verdicts["ana@vanished-ventures.com"] == "invalid_recipient"
