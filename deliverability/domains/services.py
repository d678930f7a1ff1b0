"""Enrichment: resolve, classify and fingerprint domains, and store the answers in bulk.

`enrich_domains` is what the Celery task, the management command and the benchmark call. DNS runs
on an asyncio loop in a helper thread (bounded concurrency, per-domain budget) while this thread
writes finished answers to the database in batches, so DNS and database work overlap and one slow
domain never holds back the writes of the others.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .fingerprint import fingerprint
from .kinds import classify_kind
from .models import Domain, DomainHistory, DomainKindOverride
from .names import InvalidDomain, normalize_domain, registrable_domain
from .resolver import SERVFAIL, TRANSIENT_STATUSES, DomainAnswer, MxResolver, ResolverConfig

log = logging.getLogger(__name__)

WRITE_BATCH = 1000
SQLITE_IN_CHUNK = 900  # stay under SQLite's bound-parameter limit in name__in lookups

UPDATED_FIELDS = [
    "registrable_domain",
    "kind",
    "kind_source",
    "mx_status",
    "mx",
    "dns_detail",
    "vendor_id",
    "vendor_category",
    "vendors",
    "provider_id",
    "provider_source",
    "checked_at",
    "expires_at",
]


@dataclass
class EnrichSummary:
    requested: int = 0
    invalid: list[str] = field(default_factory=list)
    skipped_fresh: int = 0
    resolved: int = 0  # domains with a definite answer (timeouts and SERVFAIL are not)
    changed: int = 0  # history rows written (first answers included)
    by_status: dict[str, int] = field(default_factory=dict)
    timeouts: list[str] = field(default_factory=list)
    resolver_unreachable: bool = False  # the resolver answered nothing: the rest were not queried
    elapsed: float = 0.0

    @property
    def unresolved(self) -> int:
        """Domains left with no definite answer (timeouts and SERVFAIL): their state is unknown."""
        return len(self.timeouts) + self.by_status.get(SERVFAIL, 0)

    def as_dict(self) -> dict:
        return {
            "requested": self.requested,
            "invalid": self.invalid,
            "skipped_fresh": self.skipped_fresh,
            "resolved": self.resolved,
            "changed": self.changed,
            "by_status": dict(sorted(self.by_status.items())),
            "timeouts": self.timeouts,
            "resolver_unreachable": self.resolver_unreachable,
            "elapsed": round(self.elapsed, 3),
        }


def resolver_config(nameservers: Sequence[str] | None = None, **overrides) -> ResolverConfig:
    """Resolver settings from Django settings (DNS_NAMESERVERS, DNS_TIMEOUT, DNS_CONCURRENCY)."""
    timeout = float(getattr(settings, "DNS_TIMEOUT", 2.0))
    values = {
        "nameservers": tuple(nameservers if nameservers is not None else getattr(settings, "DNS_NAMESERVERS", ()) or ()),
        "timeout": timeout,
        "lifetime": timeout,
        # an MX query, then host addresses or SPF: room for about two full query lifetimes
        "domain_budget": max(2.5 * timeout, 0.5),
        "concurrency": int(getattr(settings, "DNS_CONCURRENCY", 100)),
    }
    values.update(overrides)
    return ResolverConfig(**values)


def kind_overrides() -> dict[str, str]:
    return dict(DomainKindOverride.objects.values_list("name", "kind"))


def enrich_domains(
    names: Iterable[str],
    nameservers: Sequence[str] | None = None,
    refresh: bool = False,
    *,
    config: ResolverConfig | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EnrichSummary:
    """Resolve and store every domain in `names` that has no fresh answer (all of them with refresh).

    Names may be addresses' domains in any case or Unicode; invalid names are reported, not raised.
    """
    started = time.monotonic()
    summary = EnrichSummary()
    wanted: list[str] = []
    seen: set[str] = set()
    for raw in names:
        summary.requested += 1
        try:
            name = normalize_domain(raw)
        except InvalidDomain:
            summary.invalid.append(raw)
            continue
        if name not in seen:
            seen.add(name)
            wanted.append(name)

    existing = load_domains(wanted)
    now = timezone.now()
    todo = [n for n in wanted if refresh or n not in existing or not existing[n].is_fresh(now)]
    summary.skipped_fresh = len(wanted) - len(todo)
    if not todo:
        summary.elapsed = time.monotonic() - started
        return summary

    config = config or resolver_config(nameservers)
    overrides = kind_overrides()
    done = 0
    resolver = MxResolver(config)
    for batch in _resolve_in_background(todo, resolver):
        _store(batch, existing, overrides, summary)
        done += len(batch)
        if on_progress is not None:
            on_progress(done, len(todo))
    summary.resolver_unreachable = resolver.unreachable
    summary.elapsed = time.monotonic() - started
    return summary


def load_domains(names: Iterable[str]) -> dict[str, Domain]:
    """The stored Domain rows for `names` (normalised names), by name; unknown names are absent."""
    names = list(names)
    found: dict[str, Domain] = {}
    for start in range(0, len(names), SQLITE_IN_CHUNK):
        for domain in Domain.objects.filter(name__in=names[start:start + SQLITE_IN_CHUNK]):
            found[domain.name] = domain
    return found


_DONE = object()


def _resolve_in_background(names: list[str], resolver: MxResolver, batch_size: int = WRITE_BATCH):
    """Yield lists of DomainAnswer as they finish; DNS runs on an event loop in a helper thread.

    (Django's ORM refuses to run inside a running event loop, so the loop gets its own thread.)
    """
    answers: queue.Queue = queue.Queue()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(resolver.resolve_many(names, on_answer=answers.put))
        except BaseException as exc:  # surfaced in the caller's thread
            failure.append(exc)
        finally:
            answers.put(_DONE)

    thread = threading.Thread(target=run, name="dns-resolver", daemon=True)
    thread.start()
    batch: list[DomainAnswer] = []
    last_write = time.monotonic()
    while True:
        try:
            item = answers.get(timeout=1.0)
        except queue.Empty:
            item = None
        if item is _DONE:
            break
        if item is not None:
            batch.append(item)
        # write full batches; a partial one once a second, so slow answers never sit unsaved
        # (every write is a commit, and a commit costs ~20 ms on SQLite)
        if batch and (len(batch) >= batch_size or time.monotonic() - last_write >= 1.0):
            yield batch
            batch = []
            last_write = time.monotonic()
    thread.join()
    if failure:
        raise failure[0]
    if batch:
        yield batch


def _answer_key(status: str, mx: list, vendors: list, provider_id: str) -> tuple:
    return (status, [list(x) for x in mx], list(vendors), provider_id or "")


def _store(
    answers: list[DomainAnswer],
    existing: dict,
    overrides: dict[str, str],
    summary: EnrichSummary,
) -> None:
    now = timezone.now()
    rows: list[_Row] = []
    changed: list[_Row] = []
    for answer in answers:
        if not answer.transient:  # a timeout or SERVFAIL leaves the domain's state unknown
            summary.resolved += 1
        summary.by_status[answer.status] = summary.by_status.get(answer.status, 0) + 1
        if answer.status == "timeout":
            summary.timeouts.append(answer.domain)
        previous = existing.get(answer.domain)
        row = _row_for(answer, previous, overrides, now)
        rows.append(row)
        if previous is None or not previous.mx_status or _answer_key(
            previous.mx_status, previous.mx, previous.vendors, previous.provider_id
        ) != _answer_key(row.mx_status, row.mx, row.vendors, row.provider_id):
            changed.append(row)
        existing[answer.domain] = row

    with transaction.atomic():
        _upsert_domains(rows)
        if changed:
            _insert_history(changed)
    summary.changed += len(changed)


@dataclass(slots=True)
class _Row:
    """The values written for one domain (a Domain instance costs ~60 µs to build; this ~2 µs)."""

    name: str
    registrable_domain: str
    kind: str
    kind_source: str
    mx_status: str
    mx: list
    dns_detail: dict
    vendor_id: str
    vendor_category: str
    vendors: list
    provider_id: str
    provider_source: str
    checked_at: datetime
    expires_at: datetime


_JSON_FIELDS = {"mx", "dns_detail", "vendors"}
_DATETIME_FIELDS = {"checked_at", "expires_at"}


def _db_value(field: str, value, ops):
    if field in _JSON_FIELDS:
        return ops.adapt_json_value(value, None)
    if field in _DATETIME_FIELDS:
        return ops.adapt_datetimefield_value(value)
    return value


def _upsert_domains(rows: list[_Row]) -> None:
    """One INSERT … ON CONFLICT (name) DO UPDATE per row, sent with executemany.

    Rows the import registered (name only) get their enrichment; new names are created. The ORM's
    bulk_create(update_conflicts=True) does the same but spends ~1 ms per row compiling SQL,
    which was half of the whole enrichment time (bench/bench_enrich.py); SQLite ≥ 3.24 and
    PostgreSQL both speak this statement.
    """
    table = connection.ops.quote_name(Domain._meta.db_table)
    columns = ["name", *UPDATED_FIELDS]
    quoted = [connection.ops.quote_name(Domain._meta.get_field(c).column) for c in columns]
    updates = ", ".join(f"{q} = EXCLUDED.{q}" for q in quoted[1:])
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quoted[0]}) DO UPDATE SET {updates}"
    )
    ops = connection.ops
    json_cols = [i for i, c in enumerate(columns) if c in _JSON_FIELDS]
    time_cols = [i for i, c in enumerate(columns) if c in _DATETIME_FIELDS]
    params = []
    for row in rows:
        values = [getattr(row, c) for c in columns]
        for i in json_cols:
            values[i] = ops.adapt_json_value(values[i], None)
        for i in time_cols:
            values[i] = ops.adapt_datetimefield_value(values[i])
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


_HISTORY_FIELDS = ["observed_at", "mx_status", "mx", "vendor_id", "vendors", "provider_id"]


def _insert_history(rows: list[_Row]) -> None:
    """A history row per changed domain, its domain id looked up inside the same statement."""
    ops = connection.ops
    history = ops.quote_name(DomainHistory._meta.db_table)
    domain = ops.quote_name(Domain._meta.db_table)
    columns = ", ".join(ops.quote_name(DomainHistory._meta.get_field(f).column) for f in _HISTORY_FIELDS)
    sql = (
        f"INSERT INTO {history} ({ops.quote_name('domain_id')}, {columns}) "
        f"SELECT {ops.quote_name('id')}, {', '.join(['%s'] * len(_HISTORY_FIELDS))} FROM {domain} "
        f"WHERE {ops.quote_name('name')} = %s"
    )
    params = []
    for row in rows:
        values = [row.checked_at, row.mx_status, row.mx, row.vendor_id, row.vendors, row.provider_id]
        params.append([_db_value(f, v, ops) for f, v in zip(("checked_at", *_HISTORY_FIELDS[1:]), values, strict=False)] + [row.name])
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _row_for(answer: DomainAnswer, previous: Domain | _Row | None, overrides: dict[str, str], now: datetime) -> _Row:
    kind = classify_kind(answer.domain, overrides)
    expires_at = now + timedelta(seconds=answer.ttl)
    detail = {}
    for key in ("spf_includes", "unresolvable_hosts", "cname_hosts", "addresses"):
        value = getattr(answer, key)
        if value:
            detail[key] = value
    if answer.detail:
        detail["error"] = answer.detail

    if answer.status in TRANSIENT_STATUSES and previous is not None and previous.mx_status not in ("", *TRANSIENT_STATUSES):
        # No answer this time: keep the last real answer (and its vendor) rather than forget it,
        # note the failure, and ask again soon.
        row = _Row(
            name=answer.domain,
            registrable_domain=registrable_domain(answer.domain),
            kind=kind.kind,
            kind_source=kind.source,
            mx_status=previous.mx_status,
            mx=previous.mx,
            dns_detail={**previous.dns_detail, "last_failure": answer.status, "error": answer.detail},
            vendor_id=previous.vendor_id,
            vendor_category=previous.vendor_category,
            vendors=previous.vendors,
            provider_id=previous.provider_id,
            provider_source=previous.provider_source,
            checked_at=now,
            expires_at=expires_at,
        )
        return row

    fp = fingerprint(answer.mx_hosts, answer.spf_includes) if answer.mx else None
    return _Row(
        name=answer.domain,
        registrable_domain=registrable_domain(answer.domain),
        kind=kind.kind,
        kind_source=kind.source,
        mx_status=answer.status,
        mx=[[p, h] for p, h in answer.mx],
        dns_detail=detail,
        vendor_id=(fp.vendor_id or "") if fp else "",
        vendor_category=(fp.vendor_category or "") if fp else "",
        vendors=list(fp.vendors) if fp else [],
        provider_id=(fp.provider_id or "") if fp else "",
        provider_source=(fp.provider_source or "") if fp else "",
        checked_at=now,
        expires_at=expires_at,
    )


def apply_kind_overrides(names: Iterable[str] | None = None) -> int:
    """Re-classify stored domains after an override changed (all domains when names is None)."""
    overrides = kind_overrides()
    qs = Domain.objects.all()
    if names is not None:
        names = [normalize_domain(n) for n in names]
        qs = qs.filter(name__in=names) | qs.filter(registrable_domain__in=names)
    updated = []
    for domain in qs.only("id", "name", "kind", "kind_source").iterator(chunk_size=2000):
        result = classify_kind(domain.name, overrides)
        if (domain.kind, domain.kind_source) != (result.kind, result.source):
            domain.kind, domain.kind_source = result.kind, result.source
            updated.append(domain)
    Domain.objects.bulk_update(updated, ["kind", "kind_source"], batch_size=WRITE_BATCH)
    return len(updated)


def domain_as_json(domain: Domain) -> dict:
    """The command's --json shape (one object per domain)."""
    from deliverability.bounces.vendors import vendor_name

    return {
        "domain": domain.name,
        "registrable_domain": domain.registrable_domain,
        "kind": domain.kind or None,
        "mx_status": domain.mx_status or None,
        "mx": domain.mx_hosts,
        "vendor": vendor_name(domain.vendor_id),
        "vendor_id": domain.vendor_id or None,
        "vendors": domain.vendors,
        "vendor_category": domain.vendor_category or None,
        "provider": domain.provider_id or None,
        "provider_name": vendor_name(domain.provider_id),
        "provider_source": domain.provider_source or None,
        "checked_at": domain.checked_at.isoformat() if domain.checked_at else None,
        "expires_at": domain.expires_at.isoformat() if domain.expires_at else None,
        "detail": domain.dns_detail,
    }
