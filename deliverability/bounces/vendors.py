"""The project's one vendor registry (id → display name and category).

Pure Python: both the bounce signatures and the MX fingerprints refer to these ids.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "vendors.json"


@dataclass(frozen=True, slots=True)
class Vendor:
    id: str
    name: str
    category: str  # security_gateway | mailbox_provider | hosting
    lookup_url: str | None = None


@cache
def all_vendors() -> dict[str, Vendor]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {v["id"]: Vendor(**v) for v in raw["vendors"]}


def get_vendor(vendor_id: str | None) -> Vendor | None:
    if not vendor_id:
        return None
    return all_vendors().get(vendor_id)


def vendor_name(vendor_id: str | None) -> str | None:
    vendor = get_vendor(vendor_id)
    return vendor.name if vendor else None
