"""The bulk-sender checklist: Gmail, Yahoo and Microsoft (Outlook.com) requirements per sending domain.

Pure Python: a domain's stored check result (checks.DomainReport.as_dict()), its IPs' results, the
organisation's complaint figures and the bounce codes seen in its imports in; one item per
requirement out — pass / warn / fail / unknown, the evidence, and the bounce codes pointing at it.

Requirements (research/sender-health.md): Gmail since Feb 2024 (support.google.com/a/answer/81126,
/answer/14229414), Yahoo since Feb 2024 (Yahoo sender hub), Microsoft consumer domains since May
2025 (Microsoft's announcement). Bounce codes: Google's SMTP error reference, Yahoo's and
Microsoft's published codes (the same table). Labels are English source strings marked for
translation; the page translates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from deliverability.choices import gettext_noop  # marks a string for extraction; translated where it is shown

from .checks import FAIL, PASS, UNKNOWN, WARN, worst

COMPLAINT_TARGET = 0.001  # Gmail: keep the spam rate below 0.10 %
COMPLAINT_LIMIT = 0.003  # Gmail: never reach 0.30 %


@dataclass(frozen=True)
class BounceCode:
    """A code in a bounce text that points at a requirement; `marker` is matched in the enhanced
    status (e.g. '5.7.26') or, for bracketed markers such as '[TSS04]', in the diagnostic text."""

    marker: str
    provider: str
    meaning: str


BOUNCE_CODES: dict[str, tuple[BounceCode, ...]] = {
    "spf": (BounceCode("4.7.27", "gmail", gettext_noop("SPF did not pass")),
            BounceCode("5.7.27", "gmail", gettext_noop("SPF did not pass"))),
    "dkim": (BounceCode("4.7.30", "gmail", gettext_noop("DKIM did not pass")),
             BounceCode("5.7.30", "gmail", gettext_noop("DKIM did not pass"))),
    "dmarc": (BounceCode("4.7.40", "gmail", gettext_noop("no DMARC record")),
              BounceCode("5.7.26", "gmail", gettext_noop("unauthenticated, or rejected by the domain's DMARC policy")),
              BounceCode("5.7.509", "microsoft", gettext_noop("rejected by the sender domain's DMARC policy"))),
    "alignment": (BounceCode("4.7.32", "gmail", gettext_noop("From domain not aligned with SPF or DKIM")),),
    "authentication": (BounceCode("5.7.9", "yahoo", gettext_noop("unauthenticated mail")),
                       BounceCode("5.7.515", "microsoft", gettext_noop("below the required authentication level")),
                       BounceCode("5.7.26", "gmail", gettext_noop("unauthenticated, or rejected by DMARC"))),
    "ptr": (BounceCode("4.7.23", "gmail", gettext_noop("no or mismatched reverse DNS for the sending IP")),
            BounceCode("5.7.25", "gmail", gettext_noop("no or mismatched reverse DNS for the sending IP"))),
    "complaints": (BounceCode("4.7.28", "gmail", gettext_noop("unusual rate of unsolicited mail")),
                   BounceCode("5.7.28", "gmail", gettext_noop("unusual rate of unsolicited mail")),
                   BounceCode("[TSS04]", "yahoo", gettext_noop("deferred for volume, complaints or reputation")),
                   BounceCode("[TSS09]", "yahoo", gettext_noop("permanently deferred"))),
    "ip_reputation": (BounceCode("5.7.606", "microsoft", gettext_noop("banned sending IP")),
                      BounceCode("S3150", "microsoft", gettext_noop("IP on Microsoft's network blocklist"))),
    "tls": (BounceCode("4.7.29", "gmail", gettext_noop("TLS required")),
            BounceCode("5.7.29", "gmail", gettext_noop("TLS required"))),
}
ALL_MARKERS: tuple[str, ...] = tuple(dict.fromkeys(c.marker for codes in BOUNCE_CODES.values() for c in codes))

PROVIDERS = (
    ("gmail", gettext_noop("Gmail"), ("spf", "dkim", "dmarc", "alignment", "ptr", "complaints", "tls", "unsubscribe")),
    ("yahoo", gettext_noop("Yahoo"), ("spf", "dkim", "dmarc", "authentication", "complaints", "unsubscribe")),
    ("microsoft", gettext_noop("Microsoft (Outlook.com)"), ("spf", "dkim", "dmarc", "alignment", "authentication",
                                                            "ip_reputation")),
)
LABELS = {
    "spf": gettext_noop("SPF record published and valid"),
    "dkim": gettext_noop("DKIM key published (1024 bits or more)"),
    "dmarc": gettext_noop("DMARC record published (p=none at least)"),
    "alignment": gettext_noop("From domain aligned with SPF or DKIM"),
    "authentication": gettext_noop("Mail authenticated (SPF, DKIM and DMARC together)"),
    "ptr": gettext_noop("Sending IPs have forward-confirmed reverse DNS"),
    "complaints": gettext_noop("Complaint rate below 0.1 % and never at 0.3 %"),
    "ip_reputation": gettext_noop("Sending IPs not on the checked blocklists"),
    "tls": gettext_noop("TLS for the SMTP connection"),
    "unsubscribe": gettext_noop("One-click unsubscribe (RFC 8058) on marketing mail"),
}


@dataclass
class Item:
    requirement: str
    label: str
    status: str
    evidence: list[str] = field(default_factory=list)
    codes: list[tuple[str, str, int]] = field(default_factory=list)  # (marker, meaning, count)


@dataclass
class ProviderChecklist:
    provider: str
    label: str
    items: list[Item]

    @property
    def status(self) -> str:
        return worst(i.status for i in self.items)


def _problems(section: dict) -> list[dict]:
    return section.get("findings", []) if section else []


def _from_findings(findings: list[dict], check_status: str | None, ok_text: str) -> tuple[str, list[str]]:
    evidence = [f["detail"] for f in findings]
    state = worst([f["severity"] for f in findings] + ([UNKNOWN] if check_status in (UNKNOWN, None) else []))
    if state == PASS:
        return PASS, [ok_text]
    if state == UNKNOWN and not evidence:
        return UNKNOWN, ["the DNS answer did not arrive (timeout): unknown"]
    return state, evidence


def _judge(requirement: str, domain: dict | None, ips: list[dict], complaints: tuple[int, int] | None):
    if requirement in ("tls", "unsubscribe"):
        return UNKNOWN, [gettext_noop("not visible in DNS: check the sending platform's settings")]
    if requirement == "complaints":
        if not complaints or not complaints[1]:
            return UNKNOWN, [gettext_noop("no complaints or deliveries imported yet")]
        count, delivered = complaints
        rate = count / delivered
        evidence = [f"{count} complaints / {delivered} delivered = {rate:.3%}"]
        return (FAIL if rate >= COMPLAINT_LIMIT else WARN if rate >= COMPLAINT_TARGET else PASS), evidence
    if requirement in ("ptr", "ip_reputation"):
        if not ips:
            return UNKNOWN, [gettext_noop("no sending IP configured")]
        key = "ptr" if requirement == "ptr" else "dnsbl"
        findings = [f for ip in ips for f in ip.get("findings", [])
                    if (f["code"].startswith("ptr_") if key == "ptr" else f["code"].startswith("dnsbl_"))]
        unknown = (any(ip.get("ptr", {}).get("status") == UNKNOWN for ip in ips) if key == "ptr"
                   else any(entry.get("listed") is None for ip in ips for entry in ip.get("dnsbl", [])))
        ok = (", ".join(f"{ip['ip']} → {ip['ptr'].get('confirmed')}" for ip in ips) if key == "ptr"
              else f"{len(ips)} IPs checked, none listed")
        return _from_findings(findings, UNKNOWN if unknown else PASS, ok)
    if domain is None:
        return UNKNOWN, [gettext_noop("not checked yet")]
    spf, dmarc = domain.get("spf", {}), domain.get("dmarc", {})
    if requirement == "spf":
        return _from_findings(_problems(spf), spf.get("status"),
                              f"{spf.get('record')} ({spf.get('lookups')} lookups)")
    if requirement == "dkim":
        findings = [f for f in domain.get("findings", []) if f["code"].startswith("dkim_")]
        keys = [k for k in domain.get("dkim", []) if k.get("bits") or k.get("key_type") == "ed25519"]
        ok = ", ".join(f"{k['selector']}: {k['bits'] or 'ed25519'} bits" for k in keys) or ""
        status = domain.get("dkim_status", UNKNOWN)
        return _from_findings(findings, status, ok)
    if requirement == "dmarc":
        findings = [f for f in _problems(dmarc) if f["code"] != "dmarc_not_aligned"]
        status, evidence = _from_findings(findings, dmarc.get("status"), f"{dmarc.get('found_at')}: {dmarc.get('record')}")
        if status == WARN and not any(f["severity"] == FAIL for f in findings):
            status = PASS if dmarc.get("policy") else WARN  # p=none is enough for the bulk-sender rules
            evidence = [f"{dmarc.get('found_at')}: {dmarc.get('record')}", *evidence]
        return status, evidence
    if requirement == "alignment":
        alignment = dmarc.get("alignment") or {}
        spf_ok, dkim_ok = alignment.get("spf"), alignment.get("dkim")
        evidence = [f"SPF (Return-Path {', '.join(alignment.get('return_paths') or []) or '?'}): {spf_ok}",
                    f"DKIM (a key on the From domain): {dkim_ok}"]
        if spf_ok or dkim_ok:
            return PASS, evidence
        if spf_ok is False and dkim_ok is False:
            return FAIL, evidence
        return UNKNOWN, evidence
    if requirement == "authentication":
        parts = [_judge(r, domain, ips, complaints)[0] for r in ("spf", "dkim", "dmarc")]
        for status in (FAIL, UNKNOWN, WARN):
            if status in parts:
                return status, [f"SPF {parts[0]}, DKIM {parts[1]}, DMARC {parts[2]}"]
        return PASS, [f"SPF {parts[0]}, DKIM {parts[1]}, DMARC {parts[2]}"]
    raise ValueError(requirement)


def build_checklist(domain: dict | None, ips: list[dict], complaints: tuple[int, int] | None = None,
                    code_counts: dict[str, int] | None = None) -> list[ProviderChecklist]:
    """One checklist per provider for one sending domain.

    `complaints` is (complaints, delivered) from the organisation's imports; `code_counts` maps a
    marker of BOUNCE_CODES to how many bounces of the organisation carry it."""
    code_counts = code_counts or {}
    result = []
    for provider, label, requirements in PROVIDERS:
        items = []
        for requirement in requirements:
            status, evidence = _judge(requirement, domain, ips, complaints)
            codes = [(c.marker, c.meaning, code_counts[c.marker]) for c in BOUNCE_CODES.get(requirement, ())
                     if c.provider == provider and code_counts.get(c.marker)]
            items.append(Item(requirement, LABELS[requirement], status, evidence, codes))
        result.append(ProviderChecklist(provider, label, items))
    return result
