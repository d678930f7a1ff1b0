"""MX hosts → filter vendor / mailbox provider.

Pure Python. Patterns are data (data/mx_patterns.json, a source per entry); vendor ids, names and
categories come from the one vendor registry in deliverability.bounces.vendors. A self-hosted MX
matches nothing and gets no vendor: we never guess.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from deliverability.bounces.vendors import all_vendors

DATA_FILE = Path(__file__).with_name("data") / "mx_patterns.json"

SECURITY_GATEWAY = "security_gateway"
MAILBOX_PROVIDER = "mailbox_provider"
HOSTING = "hosting"


@dataclass(frozen=True, slots=True)
class Pattern:
    vendor: str
    regex: re.Pattern[str]
    example: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Fingerprint:
    vendor_id: str | None  # vendor of the most preferred MX host that matched
    vendor_category: str | None
    vendors: tuple[str, ...] = ()  # every vendor found, in MX preference order, no repeats
    provider_id: str | None = None  # mailbox provider: the vendor itself, or the one behind a gateway
    provider_source: str | None = None  # "mx" | "spf" | None
    host_vendors: dict[str, str | None] = field(default_factory=dict)


@cache
def _patterns() -> tuple[tuple[Pattern, ...], tuple[Pattern, ...]]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    known = all_vendors()

    def load(entries: list[dict]) -> tuple[Pattern, ...]:
        out = []
        for e in entries:
            if e["vendor"] not in known:
                raise ValueError(f"{DATA_FILE.name}: unknown vendor id {e['vendor']!r}")
            out.append(Pattern(e["vendor"], re.compile(e["regex"], re.IGNORECASE), e.get("example"), tuple(e["sources"])))
        return tuple(out)

    return load(raw["patterns"]), load(raw["spf_includes"]["patterns"])


def mx_patterns() -> tuple[Pattern, ...]:
    return _patterns()[0]


def spf_patterns() -> tuple[Pattern, ...]:
    return _patterns()[1]


def _first_match(patterns: tuple[Pattern, ...], name: str) -> str | None:
    name = name.rstrip(".").lower()
    for pattern in patterns:
        if pattern.regex.search(name):
            return pattern.vendor
    return None


@lru_cache(maxsize=100_000)
def vendor_for_host(host: str) -> str | None:
    """Vendor id for one MX host name, or None (self-hosted / unknown)."""
    return _first_match(mx_patterns(), host)


def vendor_for_spf_include(include: str) -> str | None:
    """Vendor id for an SPF include: target (the mailbox behind a gateway), or None."""
    return _first_match(spf_patterns(), include)


def spf_includes(txt_records: Iterable[str]) -> list[str]:
    """The include: targets of the v=spf1 record among a domain's TXT strings."""
    for record in txt_records:
        terms = record.split()
        if not terms or terms[0].lower() != "v=spf1":
            continue
        found = []
        for term in terms[1:]:
            mechanism = term.lstrip("+-~?").lower()
            if mechanism.startswith("include:"):
                found.append(mechanism[len("include:"):])
            elif mechanism.startswith("redirect="):
                found.append(mechanism[len("redirect="):])
        return found
    return []


def category_of(vendor_id: str | None) -> str | None:
    vendor = all_vendors().get(vendor_id) if vendor_id else None
    return vendor.category if vendor else None


def fingerprint(mx_hosts: Sequence[str], spf_include_names: Sequence[str] = ()) -> Fingerprint:
    """Fingerprint an MX set given as host names sorted by preference (lowest first).

    Mixed sets (mid-migration, or a gateway with a direct fallback) report every vendor in
    preference order. The provider behind a security gateway comes from a mailbox-provider MX
    further down the list, else from the SPF includes.
    """
    host_vendors = {h: vendor_for_host(h) for h in mx_hosts}
    vendors: list[str] = []
    for host in mx_hosts:
        v = host_vendors[host]
        if v is not None and v not in vendors:
            vendors.append(v)
    primary = vendors[0] if vendors else None
    category = category_of(primary)
    provider, provider_source = None, None
    if primary is not None and category != SECURITY_GATEWAY:
        provider, provider_source = primary, "mx"
    elif primary is not None:
        for v in vendors[1:]:
            if category_of(v) in (MAILBOX_PROVIDER, HOSTING):
                provider, provider_source = v, "mx"
                break
        else:
            for include in spf_include_names:
                v = vendor_for_spf_include(include)
                if v is not None:
                    provider, provider_source = v, "spf"
                    break
    return Fingerprint(primary, category, tuple(vendors), provider, provider_source, host_vendors)
