"""Checking an organisation's senders: run the checks, store each result, record what changed."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deliverability.accounts.models import Organization

from . import conf
from .checks import UNKNOWN, DomainReport, DomainTarget, IpReport, run_checks, worst
from .esps import suggested_selectors
from .models import ListingPeriod, SenderChange, SenderCheck, SenderProfile, SendingDomain, SendingIp, Subject

HISTORY_DAYS = 400  # a year of daily results, plus a season to compare with


def profile_of(org: Organization) -> SenderProfile:
    profile, _ = SenderProfile.objects.get_or_create(organization=org)
    return profile


def targets_for(org: Organization, profile: SenderProfile) -> tuple[list[DomainTarget], list[str]]:
    domains = list(SendingDomain.objects.filter(organization=org))
    return_paths = [d.name for d in domains if d.is_return_path]
    targets = []
    for domain in domains:
        if domain.is_from:
            selectors = list(domain.selectors) or None
            targets.append(DomainTarget(domain.name, selectors, list(profile.esps), return_paths))
        else:  # a bounce domain signs nothing: SPF (with the ESP's include), DMARC and blocklists only
            targets.append(DomainTarget(domain.name, [], list(profile.esps), []))
    ips = list(SendingIp.objects.filter(organization=org).values_list("address", flat=True))
    return targets, ips


def overall(findings: list[dict], parts: list[str]) -> str:
    """A report's state: its findings' severities, and unknown when one of its parts is."""
    return worst([f["severity"] for f in findings] + [UNKNOWN for part in parts if part == UNKNOWN])


def check_organization(org: Organization, *, now: datetime | None = None, nameservers=None) -> list[SenderCheck]:
    """Check every sending domain and IP of `org` now; store the results and the changes."""
    now = now or timezone.now()
    profile = profile_of(org)
    targets, ips = targets_for(org, profile)
    if not targets and not ips:
        return []
    domain_reports, ip_reports = run_checks(
        targets, ips, conf.ip_zones(profile.dnsbl_zones), conf.domain_zones(profile.domain_blocklists),
        config=conf.dns_config(nameservers), cache=cache, zone_rate=conf.zone_rate())
    stored = []
    with transaction.atomic():
        for report in [*domain_reports, *ip_reports]:
            stored.append(_store(org, report, now))
    return stored


def _store(org: Organization, report: DomainReport | IpReport, now: datetime) -> SenderCheck:
    data = report.as_dict()
    kind = Subject.DOMAIN if isinstance(report, DomainReport) else Subject.IP
    subject = data["domain"] if kind == Subject.DOMAIN else data["ip"]
    if kind == Subject.DOMAIN:
        parts = [data["spf"]["status"], data["dkim_status"], data["dmarc"]["status"]]
    else:
        parts = [data["ptr"]["status"], *(("unknown",) if any(d["listed"] is None and d["status"] == "unknown"
                                                            for d in data["dnsbl"]) else ())]
    previous = (SenderCheck.objects.filter(organization=org, kind=kind, subject=subject)
                .order_by("-checked_at").first())
    check = SenderCheck.objects.create(organization=org, kind=kind, subject=subject, checked_at=now,
                                       status=overall(data["findings"], parts), problems=data["problems"], result=data)
    _record_changes(org, kind, subject, previous, check, now)
    _record_listings(org, kind, subject, data, now)
    return check


def _unknown_parts(result: dict) -> set[str]:
    """Problem-code prefixes a check could not judge (so their absence is not a fix)."""
    prefixes = set()
    for key in ("spf", "dmarc", "ptr"):
        if result.get(key, {}).get("status") == UNKNOWN or result.get(key, {}).get("unknown"):
            prefixes.add(key)
    if result.get("dkim_status") == UNKNOWN or any(k.get("status") == UNKNOWN for k in result.get("dkim", [])):
        prefixes.add("dkim")
    if any(d.get("status") == UNKNOWN for d in result.get("dnsbl", [])):
        prefixes.add("dnsbl")
    return prefixes


def _record_changes(org, kind, subject, previous: SenderCheck | None, check: SenderCheck, now) -> None:
    changes = []

    def change(change_kind, code="", before="", after="", detail=""):
        changes.append(SenderChange(organization=org, subject_kind=kind, subject=subject, occurred_at=now,
                                    kind=change_kind, code=code, before=before[:500], after=after[:500],
                                    detail=detail))

    details = {f["code"]: f["detail"] for f in check.result.get("findings", [])}
    old = set(previous.problems) if previous else set()
    new = set(check.problems)
    unknown_now = _unknown_parts(check.result)
    for code in check.problems:
        if code not in old and code != "dnsbl_listed":  # listings are recorded per zone (LISTED / DELISTED)
            change(SenderChange.Kind.PROBLEM_NEW, code, detail=details.get(code, ""))
    if previous is not None:
        for code in previous.problems:
            if code not in new and code != "dnsbl_listed" and code.split("_")[0] not in unknown_now:
                change(SenderChange.Kind.PROBLEM_GONE, code)
        if kind == Subject.DOMAIN:
            before_policy = (previous.result.get("dmarc") or {}).get("policy") or ""
            after_policy = (check.result.get("dmarc") or {}).get("policy") or ""
            if before_policy != after_policy and "dmarc" not in unknown_now:
                change(SenderChange.Kind.DMARC_POLICY, "dmarc", before_policy, after_policy,
                       (check.result.get("dmarc") or {}).get("record") or "")
            before_spf = (previous.result.get("spf") or {}).get("record") or ""
            after_spf = (check.result.get("spf") or {}).get("record") or ""
            if before_spf != after_spf and "spf" not in unknown_now:
                change(SenderChange.Kind.SPF_RECORD, "spf", before_spf, after_spf)
    SenderChange.objects.bulk_create(changes)


def _record_listings(org, kind, subject, data: dict, now) -> None:
    open_periods = {p.zone: p for p in ListingPeriod.objects.filter(organization=org, subject_kind=kind, subject=subject,
                                                                     ended_at__isnull=True)}
    for entry in data.get("dnsbl", []):
        zone = entry["zone"]
        period = open_periods.get(zone)
        if entry["listed"]:
            if period is None:
                ListingPeriod.objects.create(organization=org, subject_kind=kind, subject=subject, zone=zone,
                                             code=entry["code"] or "", meaning=(entry["meaning"] or "")[:300],
                                             started_at=now, last_seen_at=now)
                SenderChange.objects.create(organization=org, subject_kind=kind, subject=subject, occurred_at=now,
                                            kind=SenderChange.Kind.LISTED, code=zone[:40], after=entry["code"] or "",
                                            detail=entry["meaning"] or "")
            else:
                period.last_seen_at = now
                period.save(update_fields=["last_seen_at"])
        elif entry["listed"] is False and period is not None:
            period.ended_at = now
            period.save(update_fields=["ended_at"])
            SenderChange.objects.create(organization=org, subject_kind=kind, subject=subject, occurred_at=now,
                                        kind=SenderChange.Kind.DELISTED, code=zone[:40], before=period.code)


def latest_checks(org: Organization) -> dict[tuple[str, str], SenderCheck]:
    """The newest check of each current sending domain and IP of `org`, keyed by (kind, subject):
    one indexed query per subject (sender_check_latest), never the whole history."""
    subjects = [(Subject.DOMAIN, name) for name in SendingDomain.objects.filter(organization=org).values_list("name", flat=True)]
    subjects += [(Subject.IP, address) for address in SendingIp.objects.filter(organization=org).values_list("address", flat=True)]
    latest: dict[tuple[str, str], SenderCheck] = {}
    for kind, subject in subjects:
        check = (SenderCheck.objects.filter(organization=org, kind=kind, subject=subject)
                 .order_by("-checked_at").first())
        if check is not None:
            latest[(kind, subject)] = check
    return latest


def prune_history(now: datetime | None = None, days: int = HISTORY_DAYS) -> int:
    """Stored results older than `days` go (the changes and listing periods keep the story)."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = SenderCheck.objects.filter(checked_at__lt=cutoff).delete()
    return deleted


def suggested_for(profile: SenderProfile) -> list[str]:
    return suggested_selectors(list(profile.esps))


def organizations_to_check():
    """Organisations with at least one sending domain or IP."""
    return Organization.objects.filter(Q(sending_domains__isnull=False) | Q(sending_ips__isnull=False)).distinct()
