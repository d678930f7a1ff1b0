"""Sender health pages: an organisation's sending domains and IPs, their checks, the bulk-sender
checklist and the history. Staff and managers edit the settings and run a check; viewers read."""
from __future__ import annotations

import ipaddress

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from deliverability.accounts import throttle
from deliverability.accounts.tenancy import Access, can_manage, org_view
from deliverability.campaigns.models import Campaign
from deliverability.domains.names import InvalidDomain, normalize_domain, under_public_suffix
from deliverability.senders import conf
from deliverability.senders.checklist import build_checklist
from deliverability.senders.esps import ESPS, esp_for
from deliverability.senders.models import ListingPeriod, SenderChange, SendingDomain, SendingIp, Subject
from deliverability.senders.services import check_organization, latest_checks, profile_of, suggested_for

from .sender_evidence import sender_evidence

MAX_LINES = 200
# Bounds on the DNS work one "Check now" can ask for (each selector is a TXT question per domain, each zone
# a question per IP): without them a pasted list made one request ask millions of questions.
MAX_SELECTORS = 10
MAX_ZONES = 20


# The documentation ranges (RFC 5737, RFC 3849) are allowed: the demo and the tests' loopback zones use them.
_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                                         "2001:db8::/32"))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A sending IP receiving servers can see: not private, loopback, link-local, shared (CGNAT) or reserved
    (the check would ask the resolver for the PTR of an internal address and show the agency's own names)."""
    return (address.is_global and not address.is_multicast) or any(address in network for network in _DOCUMENTATION)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


class SenderSettingsForm(forms.Form):
    esps = forms.MultipleChoiceField(label=gettext_lazy("Sending platforms in use"), required=False,
                                     choices=[(e.id, e.name) for e in ESPS.values()],
                                     widget=forms.CheckboxSelectMultiple)
    domains = forms.CharField(
        label=gettext_lazy("Sending domains"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line: domain, then from, return-path or both, then DKIM selectors "
                               "(optional), e.g. “news.example.com from s1 s2”."))
    ips = forms.CharField(label=gettext_lazy("Sending IPs"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                          help_text=gettext_lazy("One per line; add “shared” for an ESP's shared pool."))
    dnsbl_zones = forms.CharField(label=gettext_lazy("IP blocklist zones"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=gettext_lazy("One per line; empty: the agency's defaults."))
    domain_blocklists = forms.CharField(label=gettext_lazy("Domain blocklist zones"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}),
                                        help_text=gettext_lazy("One per line; empty: the agency's defaults."))

    def clean_domains(self) -> list[tuple[str, str, list[str]]]:
        rows, errors = [], []
        roles = {"from": SendingDomain.Role.FROM, "return-path": SendingDomain.Role.RETURN_PATH,
                 "return_path": SendingDomain.Role.RETURN_PATH, "bounce": SendingDomain.Role.RETURN_PATH,
                 "both": SendingDomain.Role.BOTH}
        for number, line in enumerate(_lines(self.cleaned_data["domains"])[:MAX_LINES], start=1):
            words = line.split()
            try:
                name = normalize_domain(words[0])
            except InvalidDomain:
                errors.append(_("line %(n)d: “%(text)s” is not a domain name") % {"n": number, "text": words[0][:80]})
                continue
            if not under_public_suffix(name):  # an internal name: the resolver would answer from inside
                errors.append(_("line %(n)d: “%(text)s” is not a public domain name") % {"n": number, "text": name[:80]})
                continue
            role = SendingDomain.Role.FROM
            selectors = words[1:]
            if selectors and selectors[0].lower() in roles:
                role = roles[selectors[0].lower()]
                selectors = selectors[1:]
            if len(selectors) > MAX_SELECTORS:
                errors.append(_("line %(n)d: at most %(max)d DKIM selectors per domain") % {"n": number, "max": MAX_SELECTORS})
                selectors = selectors[:MAX_SELECTORS]
            clean = []
            for selector in selectors:
                try:
                    normalize_domain(f"{selector}._domainkey.example.com")
                    clean.append(selector.lower())
                except InvalidDomain:
                    errors.append(_("line %(n)d: “%(text)s” is not a DKIM selector") % {"n": number, "text": selector[:80]})
            rows.append((name, role, clean))
        if errors:
            raise forms.ValidationError(errors)
        return rows

    def clean_ips(self) -> list[tuple[str, bool]]:
        rows, errors = [], []
        for number, line in enumerate(_lines(self.cleaned_data["ips"])[:MAX_LINES], start=1):
            words = line.split()
            try:
                parsed = ipaddress.ip_address(words[0])
            except ValueError:
                errors.append(_("line %(n)d: “%(text)s” is not an IP address") % {"n": number, "text": words[0][:80]})
                continue
            if not _public(parsed):
                errors.append(_("line %(n)d: “%(text)s” is a private or reserved address, not one receiving servers "
                                "see") % {"n": number, "text": words[0][:80]})
                continue
            address = str(parsed)
            rows.append((address, not any(w.lower() == "shared" for w in words[1:])))
        if errors:
            raise forms.ValidationError(errors)
        return rows

    def _zones(self, field: str) -> list[str]:
        zones, errors = [], []
        lines = _lines(self.cleaned_data[field])
        if len(lines) > MAX_ZONES:
            raise forms.ValidationError(_("At most %(max)d zones.") % {"max": MAX_ZONES})
        for line in lines:
            try:
                zone = normalize_domain(line.split()[0])
            except InvalidDomain:
                zone = ""
            if not zone or not under_public_suffix(zone):
                errors.append(_("“%(text)s” is not a DNS zone") % {"text": line[:80]})
            else:
                zones.append(zone)
        if errors:
            raise forms.ValidationError(errors)
        return zones

    def clean_dnsbl_zones(self) -> list[str]:
        return self._zones("dnsbl_zones")

    def clean_domain_blocklists(self) -> list[str]:
        return self._zones("domain_blocklists")


def _initial(org, profile) -> dict:
    domains = SendingDomain.objects.filter(organization=org)
    role_words = {SendingDomain.Role.FROM: "from", SendingDomain.Role.RETURN_PATH: "return-path",
                  SendingDomain.Role.BOTH: "both"}
    return {
        "esps": profile.esps,
        "domains": "\n".join(" ".join([d.name, role_words[d.role], *d.selectors]) for d in domains),
        "ips": "\n".join(ip.address + ("" if ip.dedicated else " shared") for ip in SendingIp.objects.filter(organization=org)),
        "dnsbl_zones": "\n".join(profile.dnsbl_zones), "domain_blocklists": "\n".join(profile.domain_blocklists),
    }


@org_view(Access.VIEW)
def sender_health(request: HttpRequest) -> HttpResponse:
    org = request.org
    profile = profile_of(org)
    latest = latest_checks(org)
    domains = list(SendingDomain.objects.filter(organization=org))
    ips = list(SendingIp.objects.filter(organization=org))
    ip_results = [latest[(Subject.IP, ip.address)].result for ip in ips if (Subject.IP, ip.address) in latest]
    evidence = sender_evidence(org)
    rows = []
    for domain in domains:
        check = latest.get((Subject.DOMAIN, domain.name))
        checklist = (build_checklist(check.result if check else None, ip_results, evidence["complaints"],
                                     evidence["codes"]) if domain.is_from else [])
        rows.append({"domain": domain, "check": check, "checklist": checklist})
    ip_rows = [{"ip": ip, "check": latest.get((Subject.IP, ip.address))} for ip in ips]
    configured = {ip.address for ip in ips}
    named_ips = [(address, count) for address, count in evidence.get("named_ips", []) if address not in configured]
    changes = SenderChange.objects.filter(organization=org)[:100]
    periods = ListingPeriod.objects.filter(organization=org)[:50]
    return render(request, "dashboard/sender_health.html", {
        "org": org, "profile": profile, "domains": rows, "ips": ip_rows, "changes": changes, "periods": periods,
        "evidence": evidence, "can_manage": can_manage(request.user, org), "named_ips": named_ips,
        "esps": [ESPS[e] for e in profile.esps if e in ESPS], "suggested": suggested_for(profile),
        "ip_zones": [z.label for z in conf.ip_zones(profile.dnsbl_zones)],
        "domain_zones": [z.label for z in conf.domain_zones(profile.domain_blocklists)],
    })


@org_view(Access.MANAGE)
def sender_settings(request: HttpRequest) -> HttpResponse:
    org = request.org
    profile = profile_of(org)
    if request.method == "POST":
        form = SenderSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                profile.esps = data["esps"]
                profile.dnsbl_zones = data["dnsbl_zones"]
                profile.domain_blocklists = data["domain_blocklists"]
                profile.save()
                names = [name for name, _role, _sel in data["domains"]]
                SendingDomain.objects.filter(organization=org).exclude(name__in=names).delete()
                for name, role, selectors in data["domains"]:
                    SendingDomain.objects.update_or_create(organization=org, name=name,
                                                           defaults={"role": role, "selectors": selectors})
                addresses = [address for address, _dedicated in data["ips"]]
                SendingIp.objects.filter(organization=org).exclude(address__in=addresses).delete()
                for address, dedicated in data["ips"]:
                    SendingIp.objects.update_or_create(organization=org, address=address, defaults={"dedicated": dedicated})
            messages.success(request, _("Sender settings saved. Run a check to see their state."))
            return redirect("sender_health", org.slug)
    else:
        initial = _initial(org, profile)
        if not profile.esps:  # first visit: the platforms the organisation's campaigns name
            initial["esps"] = _esps_of_campaigns(org)
        form = SenderSettingsForm(initial=initial)
    return render(request, "dashboard/sender_settings.html", {"org": org, "form": form, "esps": list(ESPS.values())})


def _esps_of_campaigns(org) -> list[str]:
    """ESP ids named by the organisation's campaigns ('SendGrid', 'Amazon SES' …)."""
    names = Campaign.objects.filter(organization=org).exclude(esp="").values_list("esp", flat=True).distinct()[:50]
    found = [esp_for(name) for name in names]
    return list(dict.fromkeys(esp.id for esp in found if esp is not None))


@org_view(Access.MANAGE)
@require_POST
def sender_check_now(request: HttpRequest) -> HttpResponse:
    org = request.org
    if throttle.sender_check_limited(request):  # each check asks DNS and blocklists many questions
        return throttle.too_many(request, _("This organisation's senders were checked too often (limit: %(rate)s); "
                                            "wait before checking again.") % {"rate": settings.SENDER_CHECK_RATE})
    checks = check_organization(org)
    if checks:
        messages.success(request, _("Checked %(count)d domains and IPs.") % {"count": len(checks)})
    else:
        messages.info(request, _("No sending domain or IP to check: add them in the settings."))
    return redirect("sender_health", org.slug)
