"""The links the vendor guidance gives a client (to forward to a recipient's IT team): the vendors' own
pages over HTTPS, never a plain-HTTP page or a raw IP address (a mirror nobody can vouch for)."""
from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from deliverability.bounces.vendors import all_vendors
from deliverability.verdicts.guidance import DATA_FILE, vendor_guidance


def _links() -> list[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    texts = [s for steps in [*data["vendors"].values(), data["generic"]] for s in steps["sources"]]
    for vendor_id in all_vendors():
        guidance = vendor_guidance(vendor_id)
        texts += [*guidance["sources"], guidance["lookup_url"] or ""]
    return sorted({t for t in texts if "://" in t})


def _raw_ip(host: str | None) -> bool:
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


def test_every_guidance_link_is_https_to_a_named_host():
    links = _links()
    assert len(links) > 20
    wrong = [u for u in links if urlsplit(u).scheme != "https" or _raw_ip(urlsplit(u).hostname) or urlsplit(u).port]
    assert not wrong, wrong


def test_the_cisco_guidance_cites_cisco():
    hosts = {urlsplit(u).hostname for u in vendor_guidance("cisco")["sources"]}
    assert "www.cisco.com" in hosts
