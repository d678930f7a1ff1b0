"""DNS questions for the sender checks, through the project's resolver (domains/resolver.py).

Pure Python, no Django. One `SenderDns` per run: it asks each (name, type) once while its answer
is fresh (TTL-bounded, in memory; blocklist answers also in a shared cache such as Redis, so workers
and runs within a TTL ask a list once — records of the sender's own domains are read fresh each run,
so a fix shows at the next check), never twice at the
same time, and paces the questions sent to each blocklist zone (`zone_rate` per second) so a list
that rate-limits (Spamhaus answers 127.255.255.255) is not hammered. A timeout or SERVFAIL is a
*transient* answer: the check that needed it says `unknown`, never `missing`.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

import dns.rdatatype

from deliverability.domains.resolver import (
    NXDOMAIN,
    OK,
    SERVFAIL,
    TIMEOUT,
    DnsFailure,
    OnceInFlight,
    ResolverConfig,
    ask,
    clamp_ttl,
    make_resolver,
)

NODATA = "nodata"
TRANSIENT = frozenset({TIMEOUT, SERVFAIL})


@dataclass
class Lookup:
    name: str
    rdtype: str
    status: str
    records: list[str] = field(default_factory=list)  # TXT strings joined; A/AAAA addresses; names without the dot
    ttl: int = 0
    canonical: str = ""  # the name the answer was found at, after CNAMEs
    detail: str = ""

    @property
    def void(self) -> bool:
        """RFC 7208 §4.6.4: a lookup that found nothing (NXDOMAIN or no records)."""
        return self.status in (NXDOMAIN, NODATA)

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT

    def as_dict(self) -> dict:
        return {"name": self.name, "rdtype": self.rdtype, "status": self.status, "records": self.records,
                "ttl": self.ttl, "canonical": self.canonical, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict) -> Lookup:
        return cls(**data)


class AnswerCache(Protocol):
    """What a shared cache offers (Django's cache API has this shape)."""

    def get(self, key: str): ...

    def set(self, key: str, value, timeout: int) -> None: ...


class SenderDns:
    def __init__(self, config: ResolverConfig, *, cache: AnswerCache | None = None, zone_rate: float = 20.0,
                 concurrency: int = 20):
        self.config = config
        self._resolver = make_resolver(config)
        self._memory: dict[tuple[str, str], tuple[Lookup, float]] = {}
        self._inflight = OnceInFlight()
        self._shared = cache
        self._zone_interval = 1.0 / zone_rate if zone_rate > 0 else 0.0
        self._zone_next: dict[str, float] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._concurrency = concurrency
        self.queries = 0  # questions actually sent (cache misses)

    async def query(self, name: str, rdtype: str, *, zone: str | None = None) -> Lookup:
        key = (name.lower().rstrip("."), rdtype)
        cached = self._memory.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return await self._inflight.run(key, lambda: self._fetch(key[0], rdtype, zone))

    async def _fetch(self, name: str, rdtype: str, zone: str | None) -> Lookup:
        shared_key = f"senders:dns:{rdtype}:{name}"
        shared = self._shared if zone is not None else None  # blocklist answers only: records are read fresh
        if shared is not None:
            data = shared.get(shared_key)
            if data:
                lookup = Lookup.from_dict(data)
                self._remember(name, rdtype, lookup)
                return lookup
        if zone is not None:
            await self._pace(zone)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._concurrency)
        async with self._semaphore:
            self.queries += 1
            lookup = await self._ask(name, rdtype)
        self._remember(name, rdtype, lookup)
        if shared is not None and not lookup.transient and lookup.ttl > 0:
            shared.set(shared_key, lookup.as_dict(), lookup.ttl)
        return lookup

    def _remember(self, name: str, rdtype: str, lookup: Lookup) -> None:
        ttl = self.config.error_ttl if lookup.transient else lookup.ttl
        self._memory[(name, rdtype)] = (lookup, time.monotonic() + ttl)

    async def _pace(self, zone: str) -> None:
        """At most `zone_rate` questions a second to one blocklist zone."""
        if not self._zone_interval:
            return
        now = time.monotonic()
        start = max(now, self._zone_next.get(zone, 0.0))
        self._zone_next[zone] = start + self._zone_interval
        if start > now:
            await asyncio.sleep(start - now)

    async def _ask(self, name: str, rdtype: str) -> Lookup:
        cfg = self.config
        try:
            answer = await ask(self._resolver, cfg, name, rdtype)
        except DnsFailure as failure:
            if failure.status == NXDOMAIN:
                return Lookup(name, rdtype, NXDOMAIN, ttl=clamp_ttl(cfg, cfg.error_ttl))
            return Lookup(name, rdtype, failure.status, detail=failure.detail)
        canonical = answer.canonical_name.to_text(omit_final_dot=True).lower()
        if answer.rrset is None:
            return Lookup(name, rdtype, NODATA, ttl=clamp_ttl(cfg, cfg.error_ttl), canonical=canonical)
        records = [_rdata_text(rd) for rd in answer.rrset]
        return Lookup(name, rdtype, OK, records, clamp_ttl(cfg, answer.rrset.ttl), canonical=canonical)


def _rdata_text(rd) -> str:
    if rd.rdtype == dns.rdatatype.TXT:
        # RFC 7208 §3.3 / RFC 6376 §3.6.2.2: the strings of one TXT record are joined without spaces
        return b"".join(rd.strings).decode("utf-8", "replace")
    if rd.rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME):
        return rd.target.to_text(omit_final_dot=True).lower()
    if rd.rdtype == dns.rdatatype.MX:
        return rd.exchange.to_text(omit_final_dot=True).lower()
    return rd.to_text()
