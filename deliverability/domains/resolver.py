"""Asynchronous MX resolution with dnspython: one answer (status, MX set, TTL) per domain.

Pure Python, no Django. Statuses:

    ok               MX hosts, at least one of which resolves (or could not be checked)
    null_mx          "MX 0 ." (RFC 7505): the domain accepts no mail
    implicit_mx      no MX, but an A/AAAA record: mail goes to that address (RFC 5321 §5.1)
    no_mail          neither MX nor A/AAAA
    mx_unresolvable  MX hosts exist, none of them has an address
    nxdomain         the domain does not exist
    servfail         the server answered SERVFAIL or REFUSED
    timeout          no answer within the per-domain budget

One dead server must not stall a batch: every query has a lifetime, every domain a total budget,
and at most `concurrency` domains are in flight. Answers shared across domains (the address of
`aspmx.l.google.com`) are looked up once per resolver and reused until their TTL runs out.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

OK = "ok"
NULL_MX = "null_mx"
IMPLICIT_MX = "implicit_mx"
NO_MAIL = "no_mail"
MX_UNRESOLVABLE = "mx_unresolvable"
NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
TIMEOUT = "timeout"
STATUSES = (OK, NULL_MX, IMPLICIT_MX, NO_MAIL, MX_UNRESOLVABLE, NXDOMAIN, SERVFAIL, TIMEOUT)
# answers worth retrying soon: the domain's real state is unknown
TRANSIENT_STATUSES = frozenset({SERVFAIL, TIMEOUT})


@dataclass(frozen=True)
class ResolverConfig:
    nameservers: Sequence[str] = ()  # "host:port" (or "host", port 53); empty = system resolver
    timeout: float = 2.0  # one try
    lifetime: float = 2.0  # one query, all tries
    domain_budget: float = 5.0  # one domain, all its queries
    concurrency: int = 100  # domains in flight
    tcp: bool = False  # ask over TCP instead of UDP
    check_mx_hosts: bool = True  # look up MX host addresses (for mx_unresolvable and CNAME hosts)
    spf_for_gateways: bool = True  # read SPF includes when the MX is a security gateway
    min_ttl: int = 60
    max_ttl: int = 7 * 86400
    error_ttl: int = 300  # how long a servfail/timeout answer counts as fresh
    unreachable_after: int = 0  # domains in a row with no response before giving up (0: 2 × concurrency, ≥ 20)

    @classmethod
    def for_tests(cls, nameservers: Sequence[str], **overrides) -> ResolverConfig:
        """Short timeouts so that timeout cases cost ~0.3 s."""
        values = {"nameservers": tuple(nameservers), "timeout": 0.3, "lifetime": 0.3, "domain_budget": 1.0}
        values.update(overrides)
        return cls(**values)


@dataclass
class DomainAnswer:
    domain: str
    status: str
    mx: list[tuple[int, str]] = field(default_factory=list)  # (preference, host) sorted by preference
    ttl: int = 0  # seconds this answer may be trusted
    spf_includes: list[str] = field(default_factory=list)
    unresolvable_hosts: list[str] = field(default_factory=list)
    cname_hosts: list[str] = field(default_factory=list)  # MX targets that are aliases (RFC 2181 §10.3)
    addresses: list[str] = field(default_factory=list)  # implicit MX: the A/AAAA addresses
    detail: str = ""  # e.g. "REFUSED", or which query timed out
    elapsed: float = 0.0

    @property
    def mx_hosts(self) -> list[str]:
        return [host for _, host in self.mx]

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT_STATUSES


def parse_nameserver(text: str) -> tuple[str, int]:
    """'127.0.0.1:5353' → ('127.0.0.1', 5353); '[::1]:53', '::1' and '10.0.0.1' also work."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


def make_resolver(config: ResolverConfig) -> dns.asyncresolver.Resolver:
    if config.nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(ns)) for ns in config.nameservers]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.timeout = config.timeout
    resolver.lifetime = config.lifetime
    resolver.cache = None  # our cache is the database (and the host cache below)
    resolver.use_edns(0, 0, 1232)
    return resolver


class DnsFailure(Exception):
    """A question that got no usable answer: NXDOMAIN, SERVFAIL (or REFUSED, or a network error), TIMEOUT."""

    def __init__(self, status: str, detail: str = "", negative_ttl: int | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.negative_ttl = negative_ttl  # NXDOMAIN: from the SOA in the authority section


async def ask(resolver: dns.asyncresolver.Resolver, config: ResolverConfig, name: str,
              rdtype: dns.rdatatype.RdataType | str) -> dns.resolver.Answer:
    """One question as the project asks it (no search list, no exception for an empty answer: its rrset is
    None), its failures as DnsFailure. Shared by the MX resolution here and the sender checks."""
    rdtype = dns.rdatatype.RdataType.make(rdtype)
    try:
        return await resolver.resolve(name, rdtype, tcp=config.tcp, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN as exc:
        raise DnsFailure(NXDOMAIN, negative_ttl=_nxdomain_ttl(exc)) from None
    except dns.resolver.NoNameservers as exc:
        text = str(exc)
        detail = "REFUSED" if "REFUSED" in text else "SERVFAIL" if "SERVFAIL" in text else text[:200]
        raise DnsFailure(SERVFAIL, detail) from None
    except dns.exception.Timeout:
        raise DnsFailure(TIMEOUT, f"{dns.rdatatype.to_text(rdtype)} query for {name} timed out") from None
    except dns.exception.DNSException as exc:
        raise DnsFailure(SERVFAIL, f"{type(exc).__name__}: {exc}"[:200]) from None


def clamp_ttl(config: ResolverConfig, ttl: int) -> int:
    """A TTL kept within the configuration's bounds."""
    return max(config.min_ttl, min(config.max_ttl, int(ttl)))


class OnceInFlight:
    """One run of an awaitable per key at a time: callers asking for a key already being worked on wait
    for that run's result (or exception) instead of asking again."""

    def __init__(self) -> None:
        self._inflight: dict = {}

    async def run(self, key, make: Callable[[], Awaitable]):
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await make()
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: a key nobody else waited for logs no warning
            raise
        finally:
            self._inflight.pop(key, None)


class MxResolver:
    """Resolves domains to DomainAnswer; reuse one instance for a batch (it caches MX host lookups)."""

    def __init__(self, config: ResolverConfig | None = None):
        self.config = config or ResolverConfig()
        self._resolver = make_resolver(self.config)
        # host -> (has_address: bool | None (unknown), is_cname, expires_at)
        self._hosts: dict[str, tuple[bool | None, bool, float]] = {}
        self._host_inflight = OnceInFlight()
        self.unreachable = False  # resolve_many gave up on a resolver that answered nothing

    # -- public ------------------------------------------------------------------------------
    async def resolve(self, domain: str) -> DomainAnswer:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.config.domain_budget):  # cheaper than wait_for: no extra task
                answer = await self._resolve(domain)
        except TimeoutError:
            answer = DomainAnswer(domain, TIMEOUT, ttl=self.config.error_ttl, detail="domain budget exhausted")
        answer.elapsed = time.monotonic() - started
        return answer

    async def resolve_many(
        self,
        domains: Iterable[str],
        on_answer: Callable[[DomainAnswer], Awaitable[None] | None] | None = None,
    ) -> list[DomainAnswer]:
        """Resolve all domains with at most `concurrency` in flight; results in input order.

        When the resolver itself is unreachable (no answer of any kind — not even NXDOMAIN — for the last
        `unreachable_after` domains in a row), the remaining domains are not queried: they get a
        ``timeout`` answer saying so at once, instead of each waiting out its budget (43k domains at
        100 in flight and 5 s each would take 36 minutes to learn nothing). `self.unreachable` tells.
        """
        names = list(domains)
        results: list[DomainAnswer | None] = [None] * len(names)
        queue = iter(enumerate(names))
        silent = 0  # domains in a row with no response from the resolver
        limit = self.config.unreachable_after or max(2 * self.config.concurrency, 20)

        async def worker() -> None:
            nonlocal silent
            for index, name in queue:  # a shared iterator: each worker takes the next domain
                if silent >= limit:
                    self.unreachable = True
                    answer = DomainAnswer(name, TIMEOUT, ttl=self.config.error_ttl,
                                          detail=f"not queried: the resolver answered none of the last {limit} domains")
                else:
                    answer = await self.resolve(name)
                    silent = silent + 1 if _no_response(answer) else 0
                results[index] = answer
                if on_answer is not None:
                    maybe = on_answer(answer)
                    if maybe is not None:
                        await maybe

        workers = min(self.config.concurrency, len(names)) or 1
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results  # type: ignore[return-value]

    # -- one domain --------------------------------------------------------------------------
    async def _query(self, name: str, rdtype: dns.rdatatype.RdataType) -> dns.resolver.Answer:
        return await ask(self._resolver, self.config, name, rdtype)

    async def _resolve(self, domain: str) -> DomainAnswer:
        cfg = self.config
        try:
            answer = await self._query(domain, dns.rdatatype.MX)
        except DnsFailure as failure:
            if failure.status in TRANSIENT_STATUSES:
                ttl = cfg.error_ttl
            else:
                ttl = self._clamp(failure.negative_ttl or cfg.error_ttl)
            return DomainAnswer(domain, failure.status, ttl=ttl, detail=failure.detail)

        if answer.rrset is None:
            return await self._implicit(domain, self._negative_ttl(answer))

        ttl = self._clamp(answer.rrset.ttl)
        records = sorted((rd.preference, rd.exchange.to_text(omit_final_dot=True).lower()) for rd in answer.rrset)
        real = [(p, h) for p, h in records if h not in ("", ".")]
        if not real:  # "MX 0 ." — RFC 7505 null MX (a root exchange among real hosts is ignored)
            return DomainAnswer(domain, NULL_MX, mx=[(records[0][0], ".")], ttl=ttl)

        result = DomainAnswer(domain, OK, mx=real, ttl=ttl)
        if cfg.check_mx_hosts:
            self._learn_glue(answer)
            await self._check_hosts(result)
        if cfg.spf_for_gateways:
            from .fingerprint import SECURITY_GATEWAY, category_of, vendor_for_host

            if category_of(vendor_for_host(real[0][1])) == SECURITY_GATEWAY:
                result.spf_includes = await self._spf_includes(domain)
        return result

    async def _implicit(self, domain: str, negative_ttl: int) -> DomainAnswer:
        outcomes = await asyncio.gather(
            self._query(domain, dns.rdatatype.A), self._query(domain, dns.rdatatype.AAAA), return_exceptions=True
        )
        addresses: list[str] = []
        ttls: list[int] = []
        failures: list[DnsFailure] = []
        for outcome in outcomes:
            if isinstance(outcome, DnsFailure):
                failures.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            elif outcome.rrset is not None:
                addresses.extend(rd.to_text() for rd in outcome.rrset)
                ttls.append(outcome.rrset.ttl)
        if addresses:
            return DomainAnswer(domain, IMPLICIT_MX, ttl=self._clamp(min(ttls)), addresses=addresses)
        transient = [f for f in failures if f.status in TRANSIENT_STATUSES]
        if transient:
            return DomainAnswer(domain, transient[0].status, ttl=self.config.error_ttl, detail=transient[0].detail)
        return DomainAnswer(domain, NO_MAIL, ttl=negative_ttl)

    async def _spf_includes(self, domain: str) -> list[str]:
        from .fingerprint import spf_includes

        try:
            answer = await self._query(domain, dns.rdatatype.TXT)
        except DnsFailure:
            return []
        if answer.rrset is None:
            return []
        texts = [b"".join(rd.strings).decode("ascii", "replace") for rd in answer.rrset]
        return spf_includes(texts)

    # -- MX host addresses -------------------------------------------------------------------
    def _learn_glue(self, answer: dns.resolver.Answer) -> None:
        """Addresses an authoritative server put in the additional section save a query."""
        expires = time.monotonic()
        for rrset in answer.response.additional:
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                host = rrset.name.to_text(omit_final_dot=True).lower()
                self._hosts[host] = (True, False, expires + rrset.ttl)

    async def _check_hosts(self, result: DomainAnswer) -> None:
        hosts = result.mx_hosts
        states = await asyncio.gather(*(self._host_state(h) for h in hosts))
        result.unresolvable_hosts = [h for h, (ok, _) in zip(hosts, states, strict=False) if ok is False]
        result.cname_hosts = [h for h, (_, cname) in zip(hosts, states, strict=False) if cname]
        if any(ok for ok, _ in states):
            return
        if all(ok is False for ok, _ in states):
            result.status = MX_UNRESOLVABLE
            result.ttl = min(result.ttl, self._clamp(self.config.error_ttl))
        # otherwise some hosts could not be checked (timeout/servfail): keep "ok", the MX exists

    async def _host_state(self, host: str) -> tuple[bool | None, bool]:
        cached = self._hosts.get(host)
        if cached is not None and cached[2] > time.monotonic():
            return cached[0], cached[1]

        async def look_up() -> tuple[bool | None, bool]:
            state, ttl = await self._lookup_host(host)
            self._hosts[host] = (state[0], state[1], time.monotonic() + ttl)
            return state

        return await self._host_inflight.run(host, look_up)

    async def _lookup_host(self, host: str) -> tuple[tuple[bool | None, bool], int]:
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            try:
                answer = await self._query(host, rdtype)
            except DnsFailure as failure:
                if failure.status == NXDOMAIN:
                    return (False, False), self.config.error_ttl
                return (None, False), self.config.error_ttl
            if answer.rrset is not None:
                is_cname = answer.canonical_name != dns.name.from_text(host)
                return (True, is_cname), answer.rrset.ttl
        return (False, False), self.config.error_ttl

    # -- TTLs --------------------------------------------------------------------------------
    def _clamp(self, ttl: int) -> int:
        return clamp_ttl(self.config, ttl)

    def _negative_ttl(self, answer: dns.resolver.Answer) -> int:
        return self._clamp(_soa_negative_ttl(answer.response) or self.config.error_ttl)


def _no_response(answer: DomainAnswer) -> bool:
    """No response from the resolver at all: a timeout, or a network error (refused connection,
    unreachable host). SERVFAIL and REFUSED are responses: the resolver is there."""
    return answer.status == TIMEOUT or (answer.status == SERVFAIL and answer.detail not in ("SERVFAIL", "REFUSED"))


def _soa_negative_ttl(response) -> int | None:
    """RFC 2308: negative answers are cached for min(SOA TTL, SOA MINIMUM)."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, rrset[0].minimum)
    return None


def _nxdomain_ttl(exc: dns.resolver.NXDOMAIN) -> int | None:
    try:
        responses = exc.responses().values()
    except Exception:  # raised without responses (e.g. by a search-list resolution)
        return None
    for response in responses:
        ttl = _soa_negative_ttl(response)
        if ttl is not None:
            return ttl
    return None


def resolve_domains(domains: Iterable[str], config: ResolverConfig | None = None) -> list[DomainAnswer]:
    """Synchronous entry point (Celery tasks, management commands)."""
    resolver = MxResolver(config)
    return asyncio.run(resolver.resolve_many(domains))
