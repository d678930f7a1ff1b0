"""The sender checks: SPF, DKIM, DMARC for sending domains; PTR/FCrDNS and blocklists for sending IPs.

Pure Python, no Django: DNS answers in (through `lookup.SenderDns`), reports out. Each check has a
status — `pass`, `warn`, `fail` or `unknown` (a DNS timeout or SERVFAIL kept us from knowing; never
reported as missing) — and findings, each a problem code with a severity and one sentence of
evidence. The problem codes are the product's public vocabulary (`sender_check --json`, the
history): add codes, never rename them.

Rules and their sources:
- SPF, RFC 7208: one `v=spf1` record (§4.5, two is a permerror); term syntax (§4.6.1, §12); at most
  10 DNS-querying terms — include, a, mx, ptr, exists, redirect — counted through nested includes
  and redirects (§4.6.4); at most 2 void lookups (§4.6.4); `redirect` ignored when `all` is present
  (§6.1); an include of a domain without a record is a permerror (§5.2); `+all` authorises the whole
  internet (`?all` at the top says nothing either; §5.1); `ptr` should not be used (§5.5).
- DKIM, RFC 6376 §3.6.1 and RFC 8301 §3.2: a key record per selector; RSA keys under 1024 bits must
  not be used, 2048 is what verifiers expect (Gmail's guidance); an empty `p=` revokes the key.
- DMARC, RFC 7489 §6.6.3: `_dmarc.<domain>`, else `_dmarc.<organisational domain>` (with `sp=`);
  exactly one `v=DMARC1` record; §6.3 tag syntax; `p=none` monitors only; `rua` for reports, an
  outside destination authorised by `<domain>._report._dmarc.<destination>` (§7.1); alignment §3.1 (relaxed: same organisational domain; strict: same name).
- PTR: the sending IP's reverse name exists and resolves back to the IP (FCrDNS; Gmail's bulk-sender
  rule, RFC 8601 §3 "iprev").
- Blocklists: see dnsbl.py.
"""
from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

import dns.reversename

from deliverability.choices import gettext_noop
from deliverability.domains.names import registrable_domain
from deliverability.domains.resolver import ResolverConfig

from . import dnsbl
from .esps import ESPS, suggested_selectors
from .lookup import SenderDns
from .records import LOOKUP_TERMS, is_dmarc, is_spf, parse_dkim, parse_dmarc, parse_spf

PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"

# The vocabulary (issue 22). Never rename; new codes go at the end of their group.
PROBLEM_SENTENCES = {  # each code in one plain sentence (English msgid; the pages translate it)
    "spf_missing": gettext_noop("The domain publishes no SPF record."),
    "spf_multiple": gettext_noop("The domain publishes more than one SPF record, so receivers treat SPF as broken."),
    "spf_syntax": gettext_noop("The SPF record has a syntax error."),
    "spf_too_many_lookups": gettext_noop("The SPF record needs more than 10 DNS lookups, so receivers treat it as broken."),
    "spf_void_lookups": gettext_noop("The SPF record points at names that do not exist (more than 2)."),
    "spf_permissive_all": gettext_noop("The SPF record lets any server send for the domain."),
    "spf_include_loop": gettext_noop("The SPF record includes itself in a loop."),
    "spf_include_missing": gettext_noop("The SPF record includes a name that publishes no SPF record."),
    "spf_esp_missing": gettext_noop("The SPF record does not include the sending platform."),
    "spf_ptr": gettext_noop("The SPF record uses the ptr mechanism, which receivers are told not to use."),
    "dkim_missing": gettext_noop("No DKIM key was found for a selector in use."),
    "dkim_weak_key": gettext_noop("A DKIM key is shorter than 2048 bits."),
    "dkim_revoked": gettext_noop("A DKIM key has been revoked."),
    "dkim_syntax": gettext_noop("A DKIM key record has a syntax error."),
    "dmarc_missing": gettext_noop("The domain publishes no DMARC policy."),
    "dmarc_multiple": gettext_noop("The domain publishes more than one DMARC record, so receivers ignore them."),
    "dmarc_syntax": gettext_noop("The DMARC record has a syntax error."),
    "dmarc_policy_none": gettext_noop("The DMARC policy only monitors: nothing that fails is quarantined or rejected."),
    "dmarc_no_reports": gettext_noop("The DMARC record asks for no aggregate reports, so nobody sees who sends as the domain."),
    "dmarc_pct_partial": gettext_noop("The DMARC policy applies to only part of the mail."),
    "dmarc_not_aligned": gettext_noop("The sending platform's domains are not aligned with the From domain."),
    "dmarc_rua_unauthorized": gettext_noop("The DMARC reports go to another domain that has not agreed to receive them."),
    "ptr_missing": gettext_noop("A sending IP address has no reverse DNS name."),
    "ptr_mismatch": gettext_noop("A sending IP address's reverse DNS name does not point back to it."),
    "dnsbl_listed": gettext_noop("A sending IP address or domain is on a blocklist."),
    "dnsbl_refused": gettext_noop("A blocklist refused to answer (a key or a private resolver is needed)."),
}
PROBLEM_CODES = tuple(PROBLEM_SENTENCES)
MAX_LOOKUPS = 10  # RFC 7208 §4.6.4
MAX_VOID_LOOKUPS = 2
WALK_LIMIT = 40  # stop following includes past this many lookups (the answer is "too many" already)


@dataclass
class Finding:
    code: str
    severity: str  # fail | warn
    detail: str

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "detail": self.detail}


def worst(states: Iterable[str]) -> str:
    """The one state of several (a check's findings, a report's parts, a provider's requirements): fail,
    else unknown (a DNS answer was missing), else warn, else pass. Anything else (e.g. "missing") counts
    for nothing."""
    present = set(states)
    return next((state for state in (FAIL, UNKNOWN, WARN) if state in present), PASS)


def _status(findings: list[Finding], unknown: bool) -> str:
    return worst([f.severity for f in findings] + ([UNKNOWN] if unknown else []))


# --- SPF ---------------------------------------------------------------------------------------

@dataclass
class SpfResult:
    status: str = PASS
    record: str = ""
    lookups: int = 0
    void_lookups: int = 0
    includes: list[str] = field(default_factory=list)  # every include/redirect target in the tree
    all: str = ""  # the effective 'all' term ("-all", "~all", …; "" when none)
    findings: list[Finding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # why parts could not be checked

    def as_dict(self) -> dict:
        return {"status": self.status, "record": self.record or None, "lookups": self.lookups,
                "void_lookups": self.void_lookups, "includes": self.includes, "all": self.all or None,
                "findings": [f.as_dict() for f in self.findings], "unknown": self.unknown}


class _SpfWalk:
    def __init__(self, dns_: SenderDns):
        self.dns = dns_
        self.result = SpfResult()

    def add(self, code: str, severity: str, detail: str) -> None:
        self.result.findings.append(Finding(code, severity, detail))

    async def records(self, domain: str):
        """('ok', text) | ('none', lookup) | ('multiple', texts) | ('unknown', lookup)."""
        lookup = await self.dns.query(domain, "TXT")
        if lookup.transient:
            return "unknown", lookup
        texts = [t for t in lookup.records if is_spf(t)]
        if not texts:
            return "none", lookup
        if len(texts) > 1:
            return "multiple", texts
        return "ok", texts[0]

    async def walk(self, domain: str, text: str, chain: tuple[str, ...], top: bool) -> None:
        """Count the lookups of one record and of everything it includes or redirects to."""
        result = self.result
        record = parse_spf(text)
        for error in record.errors:
            self.add("spf_syntax", FAIL, error if top else f"{error} (in {domain}, included by {chain[-2] if len(chain) > 1 else domain})")
        all_term = record.all_term
        for term in record.terms:
            if result.lookups > WALK_LIMIT:
                return
            if term.modifier and term.name != "redirect":
                continue
            if term.name == "redirect" and all_term is not None:
                continue  # RFC 7208 §6.1: ignored when the record has an 'all' mechanism
            if term.name not in LOOKUP_TERMS:
                if term.name == "all" and term.qualifier == "+":
                    where = "" if top else f" in {domain}, included by {chain[0]}: every address passes the include"
                    self.add("spf_permissive_all", FAIL, f"'{term}' authorises every address on the internet{where}")
                elif term.name == "all" and term.qualifier == "?" and top:
                    self.add("spf_permissive_all", WARN, f"'{term}' says nothing about unlisted senders (neutral)")
                continue
            result.lookups += 1
            if term.name == "ptr":
                self.add("spf_ptr", WARN, f"'{term}' in {domain}: slow and unreliable, RFC 7208 §5.5 says not to use it")
                continue
            if term.has_macro:
                continue  # depends on the message being checked: counted, not followed
            target = (term.value or domain).lower().rstrip(".")
            if term.name in ("include", "redirect"):
                await self.follow(domain, term, target, chain, top)
            else:  # a, mx, exists: the query an evaluation would make, for the void count
                rdtype = {"a": "A", "mx": "MX", "exists": "A"}[term.name]
                lookup = await self.dns.query(target, rdtype)
                if lookup.transient:
                    result.unknown.append(f"{rdtype} {target}: {lookup.status}")
                elif lookup.void:
                    result.void_lookups += 1
        if top and all_term is not None:
            result.all = str(all_term)

    async def follow(self, domain: str, term, target: str, chain: tuple[str, ...], top: bool) -> None:
        result = self.result
        if target not in result.includes:
            result.includes.append(target)
        if target in chain:
            path = " → ".join((*chain, target))
            self.add("spf_include_loop", FAIL, f"{term.name} loop: {path}")
            result.lookups = max(result.lookups, MAX_LOOKUPS + 1)  # an evaluation would never end
            return
        state, value = await self.records(target)
        if state == "unknown":
            result.unknown.append(f"TXT {target}: {value.status}")
            return
        if state == "none":
            if value.void:
                result.void_lookups += 1
            self.add("spf_include_missing", FAIL,
                     f"'{term}' in {domain}: {target} publishes no SPF record (a permanent error, RFC 7208 §5.2)")
            return
        if state == "multiple":
            self.add("spf_multiple", FAIL, f"{target} (reached by '{term}') publishes {len(value)} SPF records")
            return
        redirect_top = top and term.name == "redirect"  # the redirect target's 'all' is the domain's own
        await self.walk(target, value, (*chain, target), redirect_top)


async def check_spf(dns_: SenderDns, domain: str, esp_ids: list[str] | tuple[str, ...] = ()) -> SpfResult:
    walker = _SpfWalk(dns_)
    result = walker.result
    state, value = await walker.records(domain)
    if state == "unknown":
        result.status = UNKNOWN
        result.unknown.append(f"TXT {domain}: {value.status}")
        return result
    if state == "none":
        walker.add("spf_missing", FAIL, f"{domain} publishes no v=spf1 TXT record")
        result.status = FAIL
        return result
    if state == "multiple":
        result.record = "\n".join(value)
        walker.add("spf_multiple", FAIL, f"{domain} publishes {len(value)} SPF records; receivers treat that as an error")
        result.status = FAIL
        return result
    result.record = value
    await walker.walk(domain, value, (domain,), top=True)
    if result.lookups > MAX_LOOKUPS:
        shown = f"more than {WALK_LIMIT}" if result.lookups > WALK_LIMIT else str(result.lookups)
        walker.add("spf_too_many_lookups", FAIL, f"{shown} DNS-querying terms counted through includes (limit 10)")
    if result.void_lookups > MAX_VOID_LOOKUPS:
        walker.add("spf_void_lookups", FAIL, f"{result.void_lookups} lookups found nothing (limit 2)")
    for esp_id in esp_ids if not result.unknown else ():  # part of the tree unread: the include may be there
        esp = ESPS.get(esp_id)
        if esp and esp.spf_includes and not any(_covers(inc, result.includes) for inc in esp.spf_includes):
            walker.add("spf_esp_missing", FAIL, f"no include:{esp.spf_includes[0]} for {esp.name}")
    result.status = _status(result.findings, bool(result.unknown))
    return result


def _covers(include: str, seen: list[str]) -> bool:
    return any(s == include or s.endswith("." + include) for s in seen)


# --- DKIM --------------------------------------------------------------------------------------

@dataclass
class DkimResult:
    selector: str
    status: str  # pass | warn | fail | missing | unknown
    record: str = ""
    bits: int | None = None
    key_type: str = ""
    via: str = ""  # the CNAME target the key was found at
    findings: list[Finding] = field(default_factory=list)
    explicit: bool = True

    def as_dict(self) -> dict:
        return {"selector": self.selector, "status": self.status, "record": self.record or None, "bits": self.bits,
                "key_type": self.key_type or None, "via": self.via or None,
                "findings": [f.as_dict() for f in self.findings]}


async def check_dkim_selector(dns_: SenderDns, domain: str, selector: str) -> DkimResult:
    name = f"{selector}._domainkey.{domain}"
    lookup = await dns_.query(name, "TXT")
    if lookup.transient:
        return DkimResult(selector, UNKNOWN, findings=[])
    texts = [t for t in lookup.records if "p=" in t or t.lower().startswith("v=dkim1")]
    if not texts:
        return DkimResult(selector, "missing")
    result = DkimResult(selector, PASS, record=texts[0], via=lookup.canonical if lookup.canonical != name else "")
    if len(texts) > 1:
        result.findings.append(Finding("dkim_syntax", FAIL, f"{name} publishes {len(texts)} key records"))
    key = parse_dkim(texts[0])
    result.key_type = key.key_type
    result.bits = key.bits
    if key.revoked:
        result.findings.append(Finding("dkim_revoked", FAIL, f"selector {selector}: the key is revoked (empty p=)"))
    for error in key.errors:
        result.findings.append(Finding("dkim_syntax", FAIL, f"selector {selector}: {error}"))
    if key.bits is not None and key.bits < 1024:
        result.findings.append(Finding("dkim_weak_key", FAIL,
                                       f"selector {selector}: {key.bits}-bit RSA key; RFC 8301 forbids keys under 1024 bits"))
    elif key.bits is not None and key.bits < 2048:
        result.findings.append(Finding("dkim_weak_key", WARN,
                                       f"selector {selector}: {key.bits}-bit RSA key; 2048 bits is the expected size"))
    result.status = _status(result.findings, False)
    return result


async def check_dkim(dns_: SenderDns, domain: str, selectors: list[str] | None, esp_ids=()) -> tuple[list[DkimResult], list[Finding], bool]:
    """Selectors given → each must have a key; suggested ones → at least one must.

    Returns (per-selector results, findings, unknown)."""
    explicit = selectors is not None
    chosen = list(dict.fromkeys(selectors)) if explicit else suggested_selectors(list(esp_ids))
    results = list(await asyncio.gather(*(check_dkim_selector(dns_, domain, s) for s in chosen)))
    findings: list[Finding] = []
    for result in results:
        result.explicit = explicit
        findings.extend(result.findings)
    unknown = any(r.status == UNKNOWN for r in results)
    found = [r for r in results if r.status not in ("missing", UNKNOWN)]
    if explicit:
        for result in results:
            if result.status == "missing":
                findings.append(Finding("dkim_missing", FAIL, f"no key at {result.selector}._domainkey.{domain}"))
    elif not found and not unknown:
        findings.append(Finding("dkim_missing", FAIL,
                                f"no key under the usual selectors ({', '.join(chosen)}); name the selectors in use"))
    if not explicit:
        results = [r for r in results if r.status != "missing"]  # suggestions that found nothing are noise
    return results, findings, unknown


# --- DMARC -------------------------------------------------------------------------------------

@dataclass
class DmarcResult:
    status: str = PASS
    record: str = ""
    found_at: str = ""  # _dmarc.<domain> or _dmarc.<organisational domain>
    policy: str = ""  # the policy that applies to this domain (sp= at the organisational domain)
    pct: int | None = None
    rua: list[str] = field(default_factory=list)
    adkim: str = ""
    aspf: str = ""
    alignment: dict = field(default_factory=dict)  # {"spf": bool|None, "dkim": bool|None, "return_paths": [...]}
    findings: list[Finding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": self.status, "record": self.record or None, "found_at": self.found_at or None,
                "policy": self.policy or None, "pct": self.pct, "rua": self.rua, "adkim": self.adkim or None,
                "aspf": self.aspf or None, "alignment": self.alignment,
                "findings": [f.as_dict() for f in self.findings], "unknown": self.unknown}


async def check_dmarc(dns_: SenderDns, domain: str) -> DmarcResult:
    result = DmarcResult()
    org = registrable_domain(domain)
    candidates = [domain] + ([org] if org != domain else [])
    for at in candidates:
        name = f"_dmarc.{at}"
        lookup = await dns_.query(name, "TXT")
        if lookup.transient:
            result.status = UNKNOWN
            result.unknown.append(f"TXT {name}: {lookup.status}")
            return result
        texts = [t for t in lookup.records if is_dmarc(t)]
        if not texts:
            continue
        result.found_at = name
        if len(texts) > 1:
            result.record = "\n".join(texts)
            result.findings.append(Finding("dmarc_multiple", FAIL,
                                           f"{name} publishes {len(texts)} DMARC records; receivers then apply none"))
            result.status = FAIL
            return result
        record = parse_dmarc(texts[0])
        result.record = texts[0]
        for error in record.errors:
            result.findings.append(Finding("dmarc_syntax", FAIL, error))
        result.policy = (record.subdomain_policy if at != domain else record.policy) or ""
        result.pct = record.pct
        result.rua = record.rua
        result.adkim, result.aspf = record.adkim, record.aspf
        if result.policy == "none":
            result.findings.append(Finding("dmarc_policy_none", WARN,
                                           "p=none: receivers only report, nothing is quarantined or rejected"))
        if not record.rua:
            result.findings.append(Finding("dmarc_no_reports", WARN, "no rua= address: nobody receives the aggregate reports"))
        if result.policy in ("quarantine", "reject") and record.pct < 100:
            result.findings.append(Finding("dmarc_pct_partial", WARN, f"pct={record.pct}: the policy applies to part of the mail only"))
        await _check_report_destinations(dns_, at, record.rua, result)
        result.status = _status(result.findings, False)
        return result
    where = " or ".join(f"_dmarc.{c}" for c in candidates)
    result.findings.append(Finding("dmarc_missing", FAIL, f"no v=DMARC1 record at {where}"))
    result.status = FAIL
    return result


async def _check_report_destinations(dns_: SenderDns, owner: str, uris: list[str], result: DmarcResult) -> None:
    """RFC 7489 §7.1: a report address outside the owner's organisational domain must be authorised by
    a `<owner>._report._dmarc.<destination>` v=DMARC1 record, or receivers send it nothing."""
    destinations = []
    for uri in uris:
        if uri.lower().startswith("mailto:") and "@" in uri:
            dest = uri.split("@", 1)[1].split("!", 1)[0].strip().lower().rstrip(".")
            if dest and registrable_domain(dest) != registrable_domain(owner) and dest not in destinations:
                destinations.append(dest)
    lookups = await asyncio.gather(*(dns_.query(f"{owner}._report._dmarc.{d}", "TXT") for d in destinations))
    for dest, lookup in zip(destinations, lookups, strict=True):
        if lookup.transient:
            result.unknown.append(f"TXT {lookup.name}: {lookup.status}")
        elif not any(is_dmarc(t) for t in lookup.records):
            result.findings.append(Finding("dmarc_rua_unauthorized", WARN,
                                           f"{dest} has not authorised reports for {owner} ({lookup.name}): "
                                           "receivers will not send them"))


def aligned(domain: str, other: str, mode: str) -> bool:
    """RFC 7489 §3.1: strict = the same name; relaxed = the same organisational domain."""
    domain, other = domain.lower().rstrip("."), other.lower().rstrip(".")
    if mode == "s":
        return domain == other
    return registrable_domain(domain) == registrable_domain(other)


def judge_alignment(domain: str, dmarc: DmarcResult, dkim: list[DkimResult], dkim_unknown: bool,
                    return_paths: list[str]) -> None:
    """Alignment of the Return-Path (SPF) and of the keys found on this domain (DKIM d=) with the From domain."""
    spf_ok: bool | None = None
    if return_paths:
        spf_ok = any(aligned(domain, rp, dmarc.aspf or "r") for rp in return_paths)
    keys = [r for r in dkim if r.status in (PASS, WARN)]
    dkim_ok: bool | None = True if keys else (None if dkim_unknown else False)
    dmarc.alignment = {"spf": spf_ok, "dkim": dkim_ok, "return_paths": list(return_paths)}
    if spf_ok is False and dkim_ok is False:
        dmarc.findings.append(Finding("dmarc_not_aligned", FAIL,
                                      f"neither the Return-Path ({', '.join(return_paths)}) nor a DKIM key of {domain} "
                                      "aligns with the From domain"))
        dmarc.status = _status(dmarc.findings, bool(dmarc.unknown))


# --- PTR / FCrDNS and blocklists -------------------------------------------------------------------

@dataclass
class PtrResult:
    status: str = PASS
    names: list[str] = field(default_factory=list)
    confirmed: str = ""  # the PTR name whose addresses include the IP
    forward: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": self.status, "names": self.names, "confirmed": self.confirmed or None,
                "forward": self.forward, "findings": [f.as_dict() for f in self.findings], "unknown": self.unknown}


async def check_ptr(dns_: SenderDns, ip: str) -> PtrResult:
    result = PtrResult()
    address = ipaddress.ip_address(ip)
    name = dns.reversename.from_address(str(address)).to_text(omit_final_dot=True)
    lookup = await dns_.query(name, "PTR")
    if lookup.transient:
        result.status = UNKNOWN
        result.unknown.append(f"PTR {name}: {lookup.status}")
        return result
    if not lookup.records:
        result.findings.append(Finding("ptr_missing", FAIL, f"{ip} has no reverse DNS name (PTR)"))
        result.status = FAIL
        return result
    result.names = sorted(lookup.records)
    rdtype = "A" if address.version == 4 else "AAAA"
    forwards = await asyncio.gather(*(dns_.query(n, rdtype) for n in result.names))
    for host, forward in zip(result.names, forwards, strict=True):
        if forward.transient:
            result.unknown.append(f"{rdtype} {host}: {forward.status}")
            continue
        addresses = [str(ipaddress.ip_address(a)) for a in forward.records]
        result.forward[host] = addresses
        if str(address) in addresses and not result.confirmed:
            result.confirmed = host
    if not result.confirmed and not result.unknown:
        result.findings.append(Finding("ptr_mismatch", FAIL,
                                       f"{', '.join(result.names)} does not resolve back to {ip} (no forward-confirmed reverse DNS)"))
    result.status = PASS if result.confirmed else _status(result.findings, bool(result.unknown))
    return result


async def check_listing(dns_: SenderDns, query_name: str, zone: dnsbl.Zone) -> dnsbl.Listing:
    lookup = await dns_.query(query_name, "A", zone=zone.query_zone)
    if lookup.transient:
        return dnsbl.Listing(zone.label, None, meaning=f"no answer ({lookup.status})", status=UNKNOWN)
    return dnsbl.read_answer(zone, lookup.records)


def listing_findings(listings: list[dnsbl.Listing], subject: str) -> list[Finding]:
    findings = []
    for listing in listings:
        if listing.problem == dnsbl.LISTED:
            findings.append(Finding(dnsbl.LISTED, FAIL, f"{subject} listed on {listing.zone} ({listing.code}): {listing.meaning}"))
        elif listing.problem == dnsbl.REFUSED:
            findings.append(Finding(dnsbl.REFUSED, WARN, f"{listing.zone} answered {listing.code}: {listing.meaning}"))
    return findings


# --- reports -----------------------------------------------------------------------------------

@dataclass
class DomainTarget:
    domain: str
    selectors: list[str] | None = None  # None: try the suggested ones
    esps: list[str] = field(default_factory=list)
    return_paths: list[str] = field(default_factory=list)  # bounce domains used with this From domain


@dataclass
class DomainReport:
    domain: str
    spf: SpfResult
    dkim: list[DkimResult]
    dkim_findings: list[Finding]
    dkim_unknown: bool
    dmarc: DmarcResult
    dnsbl: list[dnsbl.Listing]
    selectors_hint: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [*self.spf.findings, *self.dkim_findings, *self.dmarc.findings, *listing_findings(self.dnsbl, self.domain)]

    @property
    def problems(self) -> list[str]:
        return list(dict.fromkeys(f.code for f in self.findings))

    @property
    def dkim_status(self) -> str:
        return _status(self.dkim_findings, self.dkim_unknown)

    def as_dict(self) -> dict:
        return {"domain": self.domain, "problems": self.problems, "findings": [f.as_dict() for f in self.findings],
                "spf": self.spf.as_dict(), "dkim": [d.as_dict() for d in self.dkim],
                "dkim_status": self.dkim_status, "dmarc": self.dmarc.as_dict(),
                "dnsbl": [entry.as_dict() for entry in self.dnsbl], "selector_hints": self.selectors_hint}


@dataclass
class IpReport:
    ip: str
    ptr: PtrResult
    dnsbl: list[dnsbl.Listing]

    @property
    def findings(self) -> list[Finding]:
        return [*self.ptr.findings, *listing_findings(self.dnsbl, self.ip)]

    @property
    def problems(self) -> list[str]:
        return list(dict.fromkeys(f.code for f in self.findings))

    def as_dict(self) -> dict:
        return {"ip": self.ip, "problems": self.problems, "findings": [f.as_dict() for f in self.findings],
                "ptr": self.ptr.as_dict(), "dnsbl": [entry.as_dict() for entry in self.dnsbl]}


async def check_domain(dns_: SenderDns, target: DomainTarget, domain_zones: list[dnsbl.Zone] = ()) -> DomainReport:
    domain = target.domain
    spf, (dkim, dkim_findings, dkim_unknown), dmarc, listings = await asyncio.gather(
        check_spf(dns_, domain, target.esps),
        check_dkim(dns_, domain, target.selectors, target.esps),
        check_dmarc(dns_, domain),
        asyncio.gather(*(check_listing(dns_, f"{domain}.{z.query_zone}", z) for z in domain_zones)),
    )
    judge_alignment(domain, dmarc, dkim, dkim_unknown, target.return_paths)
    hints = [ESPS[e].selector_hint for e in target.esps if e in ESPS and ESPS[e].selector_hint]
    return DomainReport(domain, spf, dkim, dkim_findings, dkim_unknown, dmarc, list(listings), hints)


async def check_ip(dns_: SenderDns, ip: str, zones: list[dnsbl.Zone]) -> IpReport:
    ptr, listings = await asyncio.gather(
        check_ptr(dns_, ip),
        asyncio.gather(*(check_listing(dns_, dnsbl.ip_query_name(ip, z.query_zone), z) for z in zones)),
    )
    return IpReport(ip, ptr, list(listings))


async def check_all(dns_: SenderDns, domains: list[DomainTarget], ips: list[str], ip_zones: list[dnsbl.Zone],
                    domain_zones: list[dnsbl.Zone] = ()) -> tuple[list[DomainReport], list[IpReport]]:
    domain_reports = await asyncio.gather(*(check_domain(dns_, t, domain_zones) for t in domains))
    ip_reports = await asyncio.gather(*(check_ip(dns_, ip, ip_zones) for ip in ips))
    return list(domain_reports), list(ip_reports)


def run_checks(domains: list[DomainTarget], ips: list[str], ip_zones: list[dnsbl.Zone],
               domain_zones: list[dnsbl.Zone] = (), *, config: ResolverConfig | None = None,
               cache=None, zone_rate: float = 20.0) -> tuple[list[DomainReport], list[IpReport]]:
    """Synchronous entry point (the command, the daily task)."""
    async def run():
        dns_ = SenderDns(config or ResolverConfig(), cache=cache, zone_rate=zone_rate)
        return await check_all(dns_, domains, ips, ip_zones, list(domain_zones))
    return asyncio.run(run())
