"""DNS blocklists: which zones, how to ask them, what their answers mean.

Pure Python. A query is the IP's octets reversed under the zone (`2.0.0.192.zen.spamhaus.org`;
IPv6: the 32 nibbles reversed, RFC 5782 §2.4) or the domain itself under a domain list
(`example.com.dbl.spamhaus.org`, RFC 5782 §3). NXDOMAIN means "not listed" (RFC 5782 §2.1).

Answer codes (sources: Spamhaus "DNSBL return codes" and "Using a public resolver" FAQ; Barracuda
Central's and SpamCop's usage pages; research/sender-health.md):
- 127.0.0.2 – 127.0.0.255 on an IP list, 127.0.1.2 – 127.0.1.254 on a domain list: listed.
- 127.255.255.252 – 127.255.255.255: the list *refused* the question (typing error in the zone name,
  a public/open resolver, too many queries). Never a listing: `dnsbl_refused`, the listing unknown.
- anything else (127.0.0.1, an address outside 127/8 from a wildcarding resolver): not an answer we
  can read; the listing is unknown.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LISTED = "dnsbl_listed"
REFUSED = "dnsbl_refused"

# Default zones an organisation's IPs and domains are checked against (a setting may replace them).
DEFAULT_IP_ZONES: tuple[str, ...] = ("zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net")
DEFAULT_DOMAIN_ZONES: tuple[str, ...] = ("dbl.spamhaus.org",)

# zone → code → meaning. Zones are matched by suffix so a DQS zone (<key>.zen.dq.spamhaus.net) reads
# the same table as zen.spamhaus.org.
_SPAMHAUS_ZEN = {
    "127.0.0.2": "Spamhaus SBL: a known spam source or spam operation",
    "127.0.0.3": "Spamhaus SBL CSS: snowshoe or low-reputation sending seen from this IP",
    "127.0.0.4": "Spamhaus XBL: the IP shows signs of compromise (exploited host, botnet)",
    "127.0.0.5": "Spamhaus XBL: the IP shows signs of compromise (exploited host, botnet)",
    "127.0.0.6": "Spamhaus XBL: the IP shows signs of compromise (exploited host, botnet)",
    "127.0.0.7": "Spamhaus XBL: the IP shows signs of compromise (exploited host, botnet)",
    "127.0.0.9": "Spamhaus SBL DROP: a hijacked or criminal network",
    "127.0.0.10": "Spamhaus PBL (ISP maintained): an end-user address range that should not send mail directly",
    "127.0.0.11": "Spamhaus PBL (Spamhaus maintained): an end-user address range that should not send mail directly",
}
_SPAMHAUS_DBL = {
    "127.0.1.2": "Spamhaus DBL: a spam domain",
    "127.0.1.4": "Spamhaus DBL: a phishing domain",
    "127.0.1.5": "Spamhaus DBL: a malware domain",
    "127.0.1.6": "Spamhaus DBL: a botnet command-and-control domain",
    "127.0.1.102": "Spamhaus DBL: an abused legitimate domain (spam)",
    "127.0.1.103": "Spamhaus DBL: an abused legitimate domain (spammed redirector)",
    "127.0.1.104": "Spamhaus DBL: an abused legitimate domain (phishing)",
    "127.0.1.105": "Spamhaus DBL: an abused legitimate domain (malware)",
    "127.0.1.106": "Spamhaus DBL: an abused legitimate domain (botnet command and control)",
    "127.0.1.255": "Spamhaus DBL: IP addresses may not be queried against this list (an error, not a listing)",
}
_ERRORS = {
    "127.255.255.252": "refused: the zone name is mistyped (Spamhaus answers this for unknown zones)",
    "127.255.255.253": "refused: the query was not understood by the list",
    "127.255.255.254": "refused: the query came through a public or open resolver; use your own resolver or a DQS key",
    "127.255.255.255": "refused: too many queries (rate-limited); reduce the query volume or use a DQS key",
}
_TABLES: tuple[tuple[str, dict[str, str]], ...] = (
    ("zen.spamhaus.org", _SPAMHAUS_ZEN), ("zen.dq.spamhaus.net", _SPAMHAUS_ZEN),
    ("sbl.spamhaus.org", _SPAMHAUS_ZEN), ("xbl.spamhaus.org", _SPAMHAUS_ZEN), ("pbl.spamhaus.org", _SPAMHAUS_ZEN),
    ("dbl.spamhaus.org", _SPAMHAUS_DBL), ("dbl.dq.spamhaus.net", _SPAMHAUS_DBL),
    ("b.barracudacentral.org", {"127.0.0.2": "Barracuda Reputation: the IP has a poor reputation"}),
    ("bl.spamcop.net", {"127.0.0.2": "SpamCop: spam reported from this IP recently (listings expire by themselves)"}),
)


@dataclass(frozen=True)
class Zone:
    """A zone as configured (`name`, shown) and as asked (`query_zone`, may carry a DQS key)."""

    name: str
    query_zone: str
    domains: bool = False  # a domain list (DBL) rather than an IP list

    @property
    def label(self) -> str:
        return f"{self.name} (DQS)" if self.query_zone != self.name else self.name


def with_dqs_key(zone: str, key: str) -> str:
    """`zen.spamhaus.org` → `<key>.zen.dq.spamhaus.net` (Spamhaus Data Query Service); other zones unchanged."""
    zone = zone.strip().rstrip(".").lower()
    if not key or not zone.endswith(".spamhaus.org"):
        return zone
    return f"{key}.{zone[: -len('.spamhaus.org')]}.dq.spamhaus.net"


def make_zones(names, *, domains: bool = False, dqs_key: str = "", rewrite: bool = True) -> list[Zone]:
    """Configured zone names → Zone objects; `rewrite=False` asks each zone exactly as given."""
    zones = []
    for raw in names:
        name = raw.strip().rstrip(".").lower()
        if name and name not in [z.name for z in zones]:
            zones.append(Zone(name, with_dqs_key(name, dqs_key) if rewrite else name, domains))
    return zones


def ip_query_name(ip: str, zone: str) -> str:
    """`192.0.2.1`, `zen.spamhaus.org` → `1.2.0.192.zen.spamhaus.org`."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        labels = ".".join(reversed(str(address).split(".")))
    else:
        labels = ".".join(reversed(address.exploded.replace(":", "")))
    return f"{labels}.{zone}"


def meaning(zone: str, code: str) -> str:
    if code in _ERRORS:
        return _ERRORS[code]
    for suffix, table in _TABLES:
        if (zone == suffix or zone.endswith("." + suffix)) and code in table:
            return table[code]
    return f"listed (answer {code})"


@dataclass
class Listing:
    zone: str
    listed: bool | None  # None: the list did not say (refused, timeout, unreadable answer)
    code: str = ""  # the answer (the lowest, when several)
    codes: tuple[str, ...] = ()
    meaning: str = ""
    status: str = "ok"  # ok | refused | unknown

    @property
    def problem(self) -> str | None:
        if self.listed:
            return LISTED
        if self.status == "refused":
            return REFUSED
        return None

    def as_dict(self) -> dict:
        return {"zone": self.zone, "listed": self.listed, "code": self.code or None, "meaning": self.meaning,
                "codes": list(self.codes), "status": self.status}


def read_answer(zone: Zone, addresses: list[str]) -> Listing:
    """The A records a zone answered (none: NXDOMAIN or NODATA) → a Listing."""
    label = zone.label
    if not addresses:
        return Listing(label, False)
    codes = sorted(set(addresses), key=lambda a: tuple(int(p) for p in a.split(".")) if a.count(".") == 3 else (999,))
    listed_codes, refused, odd = [], [], []
    for code in codes:
        try:
            address = ipaddress.IPv4Address(code)
        except ValueError:
            odd.append(code)
            continue
        if address in ipaddress.IPv4Network("127.255.255.0/24"):
            refused.append(code)
        elif zone.domains and address in ipaddress.IPv4Network("127.0.1.0/24") and code != "127.0.1.255":
            if code != "127.0.1.0" and code != "127.0.1.1":
                listed_codes.append(code)
            else:
                odd.append(code)
        elif not zone.domains and address in ipaddress.IPv4Network("127.0.0.0/24") and int(address) & 0xFF >= 2:
            listed_codes.append(code)
        else:
            odd.append(code)
    if listed_codes:
        return Listing(label, True, listed_codes[0], tuple(listed_codes),
                       "; ".join(dict.fromkeys(meaning(zone.query_zone, c) for c in listed_codes)))
    if refused:
        return Listing(label, None, refused[0], tuple(refused), meaning(zone.query_zone, refused[0]), status="refused")
    return Listing(label, None, odd[0], tuple(odd),
                   meaning(zone.query_zone, odd[0]) if odd[0] == "127.0.1.255"
                   else f"unexpected answer {odd[0]}: not a listing code of this list", status="unknown")
