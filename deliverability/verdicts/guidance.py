"""Guidance a client can forward to a recipient company's IT team: how to allow the sender in that
company's mail filter, and where the vendor's reputation lookup is. Data with sources per vendor
in data/vendor_guidance.json; the vendor texts come from explanations.py."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from deliverability.bounces.vendors import get_vendor
from deliverability.sentences import gettext
from deliverability.verdicts.explanations import explain_vendor

DATA_FILE = Path(__file__).with_name("data") / "vendor_guidance.json"


@cache
def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _source(source: str | dict) -> str:
    """A source as the letter cites it: a URL as it is; a citation (an RFC) with what it says in the reader's words."""
    if isinstance(source, str):
        return source
    return f"{source['cite']}: {gettext(source['about'])}"


def vendor_guidance(vendor_id: str) -> dict | None:
    """Everything the guidance page shows for a known vendor, in the active language (the data file's
    sentences are in the catalogues through _catalogue.py; sources stay as written); None for an unknown id."""
    vendor = get_vendor(vendor_id)
    if vendor is None:
        return None
    specific = _data()["vendors"].get(vendor.id)
    steps = specific or _data()["generic"]
    return {
        "vendor": vendor,
        "explanation": explain_vendor(vendor.id),
        "specific": specific is not None,
        "allowlist_steps": [gettext(step) for step in steps["allowlist_steps"]],
        "directory_check": gettext(steps["directory_check"]),
        "sources": [_source(source) for source in steps["sources"]],
        "lookup_url": vendor.lookup_url,
    }
