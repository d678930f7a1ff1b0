"""enrich_domains against the real loopback DNS server and the real database."""
from datetime import timedelta

import pytest
from django.utils import timezone

from deliverability.domains.models import Domain, DomainHistory, DomainKindOverride
from deliverability.domains.resolver import ResolverConfig
from deliverability.domains.services import apply_kind_overrides, domain_as_json, enrich_domains

pytestmark = pytest.mark.django_db

DEMO = {
    # domain: (kind, mx_status, vendor_id, vendors, provider)
    "northwind-freight.com": ("corporate", "ok", "proofpoint", ["proofpoint"], "microsoft365"),
    "emea.northwind-freight.com": ("corporate", "ok", "proofpoint", ["proofpoint"], ""),
    "halden-biotech.com": ("corporate", "ok", "mimecast", ["mimecast"], "google_workspace"),
    "corvid-engineering.com": ("corporate", "ok", "barracuda", ["barracuda"], ""),
    "bellmark-insurance.com": ("corporate", "ok", "cisco", ["cisco"], ""),
    "tessaro-medical.com": ("corporate", "ok", "trendmicro", ["trendmicro"], ""),
    "arkwell-energy.com": ("corporate", "ok", "sophos", ["sophos"], ""),
    "pelham-law.com": ("corporate", "ok", "broadcom", ["broadcom"], ""),
    "lumen-dental-group.com": ("corporate", "ok", "proofpoint_essentials", ["proofpoint_essentials", "microsoft365"], "microsoft365"),
    "quillon-partners.com": ("corporate", "ok", "microsoft365", ["microsoft365"], "microsoft365"),
    "brightfern-studio.com": ("corporate", "ok", "google_workspace", ["google_workspace"], "google_workspace"),
    "kestrel-machining.com": ("corporate", "ok", "", [], ""),
    "oldharbor-trading.com": ("corporate", "null_mx", "", [], ""),
    "pinecrest-realty.com": ("corporate", "implicit_mx", "", [], ""),
    "quietfield-holdings.com": ("corporate", "no_mail", "", [], ""),
    "medley-foods.com": ("corporate", "mx_unresolvable", "", [], ""),
    "vanished-ventures.com": ("corporate", "nxdomain", "", [], ""),
    "brokenlink-systems.com": ("corporate", "servfail", "", [], ""),
    "silentpeak-labs.com": ("corporate", "timeout", "", [], ""),
    "gmail.com": ("consumer", "ok", "gmail", ["gmail"], "gmail"),
    "yahoo.com": ("consumer", "ok", "yahoo", ["yahoo"], "yahoo"),
    "outlook.com": ("consumer", "ok", "outlook_com", ["outlook_com"], "outlook_com"),
    "gmx.de": ("consumer", "ok", "gmx", ["gmx"], "gmx"),
}


def test_demo_domains_get_kind_status_vendor_and_provider(dns_settings):
    summary = enrich_domains(list(DEMO))
    assert summary.timeouts == ["silentpeak-labs.com"]
    assert summary.by_status["servfail"] == 1  # brokenlink-systems.com
    # A timeout or SERVFAIL leaves the domain's state unknown: not counted as resolved.
    assert summary.resolved == len(DEMO) - 2
    for name, (kind, status, vendor, vendors, provider) in DEMO.items():
        d = Domain.objects.get(name=name)
        assert (d.kind, d.mx_status, d.vendor_id, d.vendors, d.provider_id) == (kind, status, vendor, vendors, provider), name
        assert d.checked_at is not None and d.expires_at > d.checked_at


def test_ttl_becomes_the_expiry(dns_settings):
    enrich_domains(["gmail.com"])
    d = Domain.objects.get(name="gmail.com")
    assert d.expires_at - d.checked_at == timedelta(seconds=3600)


def test_rows_registered_by_an_import_are_filled_in(dns_settings):
    Domain.objects.create(name="gmail.com")
    enrich_domains(["GMAIL.com."])
    assert Domain.objects.count() == 1
    assert Domain.objects.get().mx_status == "ok"


def test_fresh_domains_are_not_resolved_again(dns_settings, dns_server):
    enrich_domains(["gmail.com", "yahoo.com"])
    before = dns_server.authority.queries
    summary = enrich_domains(["gmail.com", "yahoo.com"])
    assert (summary.skipped_fresh, summary.resolved) == (2, 0)
    assert dns_server.authority.queries == before


def test_refresh_and_expired_answers_are_resolved_again(dns_settings):
    enrich_domains(["gmail.com", "yahoo.com"])
    Domain.objects.filter(name="yahoo.com").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert enrich_domains(["gmail.com", "yahoo.com"]).resolved == 1
    assert enrich_domains(["gmail.com", "yahoo.com"], refresh=True).resolved == 2


def test_history_row_when_a_flapping_answer_changes(dns_settings):
    """GIVEN a domain whose server alternates between Microsoft 365 and Proofpoint
    WHEN it is resolved twice
    THEN each answer is kept in the history, and answer_at() gives the one in force then."""
    enrich_domains(["flapping-mx.com"])
    first = Domain.objects.get(name="flapping-mx.com").vendor_id
    enrich_domains(["flapping-mx.com"], refresh=True)
    domain = Domain.objects.get(name="flapping-mx.com")
    assert {first, domain.vendor_id} == {"microsoft365", "proofpoint"}
    history = list(domain.history.order_by("observed_at", "id"))
    assert [h.vendor_id for h in history] == [first, domain.vendor_id]
    assert domain.answer_at(history[0].observed_at).vendor_id == first
    assert domain.answer_at(timezone.now()).vendor_id == domain.vendor_id


def test_unchanged_answer_writes_no_history(dns_settings):
    enrich_domains(["gmail.com"])
    enrich_domains(["gmail.com"], refresh=True)
    assert DomainHistory.objects.filter(domain__name="gmail.com").count() == 1


def test_a_timeout_keeps_the_last_real_answer(settings, private_dns_server):
    settings.DNS_NAMESERVERS = [private_dns_server.nameserver]
    settings.DNS_TIMEOUT = 0.3
    enrich_domains(["northwind-freight.com"])
    private_dns_server.set_silent("northwind-freight.com.")
    summary = enrich_domains(["northwind-freight.com"], refresh=True)
    assert summary.timeouts == ["northwind-freight.com"]
    d = Domain.objects.get(name="northwind-freight.com")
    assert (d.mx_status, d.vendor_id) == ("ok", "proofpoint")
    assert d.dns_detail["last_failure"] == "timeout"
    assert d.expires_at - d.checked_at == timedelta(seconds=300)  # asked again soon
    assert d.history.count() == 1


def test_batch_with_one_dead_domain_stores_all_the_others(dns_settings):
    names = ["gmail.com", "silentpeak-labs.com", "halden-biotech.com", "yahoo.com"]
    summary = enrich_domains(names)
    assert summary.by_status == {"ok": 3, "timeout": 1}
    assert set(Domain.objects.values_list("name", flat=True)) == set(names)


def test_invalid_names_are_reported_not_raised(dns_settings):
    summary = enrich_domains(["localhost", "", "gmail.com"])
    assert summary.invalid == ["localhost", ""]
    assert summary.resolved == 1


def test_idn_domain_is_stored_as_punycode(dns_settings):
    enrich_domains(["bücher.example"])
    d = Domain.objects.get()
    assert (d.name, d.mx_status) == ("xn--bcher-kva.example", "nxdomain")


def test_explicit_nameservers_and_tcp(dns_server):
    config = ResolverConfig.for_tests([dns_server.nameserver], tcp=True)
    enrich_domains(["bellmark-insurance.com"], config=config)
    assert Domain.objects.get().vendor_id == "cisco"


def test_kind_override_wins_and_is_applied_to_stored_domains(dns_settings):
    enrich_domains(["gmail.com", "emea.northwind-freight.com"])
    DomainKindOverride.objects.create(name="Northwind-Freight.com", kind="consumer")
    assert apply_kind_overrides(["northwind-freight.com"]) == 1
    d = Domain.objects.get(name="emea.northwind-freight.com")
    assert (d.kind, d.kind_source) == ("consumer", "override")
    enrich_domains(["emea.northwind-freight.com"], refresh=True)
    assert Domain.objects.get(name="emea.northwind-freight.com").kind == "consumer"


def test_json_shape(dns_settings):
    enrich_domains(["northwind-freight.com"])
    data = domain_as_json(Domain.objects.get())
    assert data["vendor"] == "Proofpoint"
    assert data["mx"] == ["mx0a-001b2c01.pphosted.com", "mx0b-001b2c01.pphosted.com"]
    assert (data["provider"], data["provider_source"]) == ("microsoft365", "spf")
