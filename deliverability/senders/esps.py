"""What each sending platform (ESP) publishes: its SPF include, its DKIM selectors, its bounce domain.

Pure data. Each entry names where the fact comes from (the ESP's own setup documentation, as
summarised in research/sender-health.md); an ESP absent here is simply not checked for an include.
"""
from __future__ import annotations

from dataclasses import dataclass

from deliverability.choices import gettext_noop  # the hints are client text: translated where shown


@dataclass(frozen=True)
class Esp:
    id: str
    name: str
    spf_includes: tuple[str, ...]  # any one of these in the SPF tree authorises the ESP
    selectors: tuple[str, ...]  # selectors worth trying on the From domain
    selector_hint: str = ""  # selectors that cannot be guessed (dated or random ones)
    source: str = ""


ESPS: dict[str, Esp] = {esp.id: esp for esp in (
    Esp("sendgrid", "SendGrid", ("sendgrid.net",), ("s1", "s2"),
        source="SendGrid docs: domain authentication (CNAMEs s1/s2._domainkey, include:sendgrid.net)"),
    Esp("mailchimp", "Mailchimp / Mandrill", ("servers.mcsv.net", "spf.mandrillapp.com"), ("k1", "k2", "k3"),
        source="Mailchimp docs: authenticate your domain (k1/k2/k3._domainkey CNAMEs); Mandrill SPF include"),
    Esp("postmark", "Postmark", ("spf.mtasv.net",), (),
        selector_hint=gettext_noop("dated selectors such as 20220101pm: copy the one shown in Postmark's sender signatures"),
        source="Postmark docs: DKIM and Return-Path setup (dated selectors, include:spf.mtasv.net)"),
    Esp("google", "Google Workspace", ("_spf.google.com",), ("google",),
        source="Google Workspace admin help 33786 (SPF) and 174124 (DKIM selector 'google')"),
    Esp("microsoft", "Microsoft 365", ("spf.protection.outlook.com",), ("selector1", "selector2"),
        source="Microsoft Learn: set up SPF / DKIM for Microsoft 365 (selector1, selector2)"),
    Esp("amazonses", "Amazon SES", ("amazonses.com",), (),
        selector_hint=gettext_noop("three random tokens CNAME'd to <token>.dkim.amazonses.com: copy them from the SES "
                                   "console"),
        source="Amazon SES developer guide: Easy DKIM (three token CNAMEs), custom MAIL FROM (include:amazonses.com)"),
    Esp("mailgun", "Mailgun", ("mailgun.org",), ("mx", "k1", "smtp", "pic"),
        source="Mailgun docs: domain verification (include:mailgun.org; selector shown per domain)"),
    Esp("brevo", "Brevo (Sendinblue)", ("spf.brevo.com", "spf.sendinblue.com"), ("brevo1", "brevo2", "mail"),
        source="Brevo help: authenticate your domain (include:spf.brevo.com; brevo1/brevo2 CNAMEs, formerly 'mail')"),
)}

# Tried on a domain when nobody said which selectors it uses: the ones the issue and research list.
DEFAULT_SELECTORS: tuple[str, ...] = ("s1", "s2", "k1", "k2", "k3", "google", "selector1", "selector2")


def esp_for(name: str) -> Esp | None:
    """'SendGrid', 'sendgrid', 'Amazon SES' → the entry (or None)."""
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    if key in ESPS:
        return ESPS[key]
    for esp in ESPS.values():
        if key and (key in "".join(ch for ch in esp.name.lower() if ch.isalnum())):
            return esp
    return None


def suggested_selectors(esp_ids: list[str] | tuple[str, ...]) -> list[str]:
    """Selectors to try for these ESPs (the defaults when none is known), in a stable order."""
    chosen: list[str] = []
    for esp_id in esp_ids:
        esp = ESPS.get(esp_id)
        for selector in esp.selectors if esp else ():
            if selector not in chosen:
                chosen.append(selector)
    return chosen or list(DEFAULT_SELECTORS)
