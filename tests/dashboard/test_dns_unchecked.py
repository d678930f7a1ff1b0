"""Issue 17 item 5: when the analysis could not check DNS, the campaign page says for how many domains and
marks the verdicts that rest on the bounce text alone."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from deliverability.campaigns.models import Campaign
from deliverability.verdicts.diagnosis import diagnose_campaign
from deliverability.verdicts.facts import RecipientFacts
from tests.verdicts.test_analysis_once import many_domains_csv, silent_resolver  # noqa: F401 - a fixture


def _facts(email: str, outcome: str, mx_status: str) -> RecipientFacts:
    return RecipientFacts(email=email, domain=email.rpartition("@")[2], outcome=outcome, mx_status=mx_status)


def test_the_diagnosis_notes_domains_whose_dns_could_not_be_checked():
    facts = [_facts("a@late.example", "bounce", "timeout"), _facts("b@late.example", "bounce", "timeout"),
             _facts("c@slow.example", "bounce", "servfail"), _facts("d@fine.example", "bounce", "ok"),
             _facts("e@late2.example", "delivered", "timeout")]  # delivered: its verdict needs no DNS
    notes = diagnose_campaign(facts, {}).notes
    assert [n for n in notes if n.startswith("DNS enrichment failed")] == [
        "DNS enrichment failed for 2 domains of this campaign (no answer from the resolver in time): the verdicts "
        "of 3 bounced addresses there rest on the bounce text alone and are marked \u201cDNS unchecked\u201d in "
        "the list of bounced addresses (technical detail)."]
    checked = diagnose_campaign([_facts("d@fine.example", "bounce", "ok")], {}).notes
    assert not [n for n in checked if "DNS" in n]


@pytest.mark.django_db(transaction=True)
def test_the_campaign_page_says_how_many_domains_and_marks_their_verdicts(
        client, org_a, viewer_a, tmp_path, settings, silent_resolver):  # noqa: F811 - the fixture
    settings.CELERY_BROKER_URL = ""  # the silent resolver exists in this process only
    settings.DNS_NAMESERVERS = [silent_resolver]
    path = tmp_path / "unreachable.csv"
    path.write_bytes(many_domains_csv(12))
    call_command("import_results", str(path), "--org", org_a.slug, stdout=io.StringIO(), stderr=io.StringIO())
    campaign = Campaign.objects.get(organization=org_a, name="Unreachable")
    client.force_login(viewer_a)
    page = client.get(reverse("campaign", args=[org_a.slug, campaign.pk])).content.decode()
    assert "DNS enrichment failed for 12 domains of this campaign" in page
    assert "12 bounced addresses" in page
    assert page.count('class="muted dns-unchecked"') == 12  # every row on screen: each domain went unchecked
