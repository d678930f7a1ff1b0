"""The sender checks' settings, read in one place (Django side)."""
from __future__ import annotations

from django.conf import settings

from deliverability.domains.services import resolver_config

from . import dnsbl


def dqs_key() -> str:
    return getattr(settings, "SPAMHAUS_DQS_KEY", "") or ""


def ip_zones(names=None) -> list[dnsbl.Zone]:
    """Configured (or the organisation's) IP zones, Spamhaus ones rewritten through the DQS key."""
    names = names if names else getattr(settings, "SENDER_DNSBL_ZONES", None) or dnsbl.DEFAULT_IP_ZONES
    return dnsbl.make_zones(names, dqs_key=dqs_key())


def domain_zones(names=None) -> list[dnsbl.Zone]:
    names = names if names else getattr(settings, "SENDER_DOMAIN_BLOCKLISTS", None) or dnsbl.DEFAULT_DOMAIN_ZONES
    return dnsbl.make_zones(names, domains=True, dqs_key=dqs_key())


def zone_rate() -> float:
    return float(getattr(settings, "SENDER_DNSBL_RATE", 20))


def dns_config(nameservers=None):
    # a sender check asks a handful of names per domain one after another (SPF includes): no MX budget
    return resolver_config(nameservers)
