"""The project's one vendor registry (id → display name, category and the facts about a vendor).

Pure Python: both the bounce signatures and the MX fingerprints refer to these ids; the client
explanation of a vendor is here too (data/vendors.json, with its public sources).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from deliverability.choices import LabelledStrEnum, gettext_noop

DATA_FILE = Path(__file__).with_name("data") / "vendors.json"


class VendorCategory(LabelledStrEnum):
    """What kind of system a vendor is, with its label (shown as the vendor's "kind" on the pages)."""

    SECURITY_GATEWAY = "security_gateway", gettext_noop("Security gateway")
    MAILBOX_PROVIDER = "mailbox_provider", gettext_noop("Mailbox provider")
    HOSTING = "hosting", gettext_noop("Hosting")


@dataclass(frozen=True, slots=True)
class Vendor:
    id: str
    name: str
    category: str  # a VendorCategory
    lookup_url: str | None = None
    family: str | None = None  # the company whose consumer and business products share rejection texts
    consumer_only: bool = False  # hosts (almost) only consumer mail
    # What a client reads about this vendor, where it differs from its category's text:
    # what_it_is / why_it_rejects / what_fixes_it. Prose with the public sources it rests on.
    explanation: dict[str, str] = field(default_factory=dict, compare=False)
    sources: tuple[str, ...] = field(default=(), compare=False)


@cache
def all_vendors() -> dict[str, Vendor]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {v["id"]: Vendor(**{**v, "sources": tuple(v.get("sources", ()))}) for v in raw["vendors"]}


def get_vendor(vendor_id: str | None) -> Vendor | None:
    if not vendor_id:
        return None
    return all_vendors().get(vendor_id)


def vendor_name(vendor_id: str | None) -> str | None:
    vendor = get_vendor(vendor_id)
    return vendor.name if vendor else None
