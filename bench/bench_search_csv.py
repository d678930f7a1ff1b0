"""The search page's matches CSV with each address's latest verdict and campaign, whole download, against the same
matches written without them (the plain CSV), in the same run.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/deliverability_bench \\
    .venv/bin/python bench/bench_search_csv.py [--generate --events 1000000] [--matches 20000] [--repeat 7] [--write]

--generate builds the data first with `generate_demo` as bench_dashboard.py does (the real import path: CSV → COPY
→ enrichment against the loopback DNS → verdicts → search table). Without it the existing database is used.

The organisation: --org, or when there is none of that name the one with the most addresses. The query: --query,
else the search (a demo surname, a first name with its dot, or "@domain") whose number of matches there is nearest
to --matches. The tables the search reads are
ANALYZEd first (the planner's statistics as autovacuum would leave them; on a server with autovacuum off a fresh
dataset has none, and the plans are then other than production's).

Timed, alternated, --repeat times each, in this process (no network):
- plain: the view's matches queryset (`queries.address_matches`, in e-mail order, read through `tables.iterate`)
  written by `tables.csv_response` as e-mail and domain: what the download costs without verdicts;
- plain_wide: the same with the three verdict columns present and empty (the cost of the wider rows alone);
- verdicts: the same matches through `queries.match_csv_rows`, as the view writes them;
- view: `GET /o/<org>/search/?q=…&csv=matches` through Django's test client, signed in as a manager (the product,
  middleware and session included).
Each to its first data row and to its last byte; medians (min–max).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, setup_django  # bench/machine.py, beside this script

ROOT = setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from deliverability.accounts.models import Membership, Organization  # noqa: E402
from deliverability.campaigns.demo import FIRST, LAST  # noqa: E402
from deliverability.campaigns.models import Event, RecipientSearch  # noqa: E402
from deliverability.dashboard import queries as q  # noqa: E402
from deliverability.dashboard.tables import csv_response, iterate  # noqa: E402
from deliverability.verdicts.models import RecipientVerdict  # noqa: E402

READ_TABLES = ("campaigns_recipientsearch", "campaigns_recipient", "campaigns_event", "campaigns_upload",
               "verdicts_recipientverdict")
USER, PASSWORD = "bench-search", "bench-search-password-2026"


def biggest_org() -> Organization:
    row = RecipientSearch.objects.values("organization_id").annotate(n=Count("recipient_id")).order_by("-n").first()
    if row is None:
        sys.exit("no searchable addresses: run with --generate first")
    return Organization.objects.get(pk=row["organization_id"])


def pick_query(org: Organization, matches: int) -> tuple[str, int]:
    """The candidate search whose number of matches is nearest to `matches`."""
    domains = (RecipientSearch.objects.filter(organization=org).values("domain").annotate(n=Count("recipient_id"))
               .order_by("-n")[:20])
    candidates = {f"@{d['domain']}": d["n"] for d in domains}
    for text in (*LAST, *(f"{name}." for name in FIRST)):
        candidates[text] = q.address_matches(org, text).count()
    return min(candidates.items(), key=lambda item: (abs(item[1] - matches), item[0]))


def read(response) -> tuple[float, int]:
    """Stream a download: seconds until its first data row (header and one row: two line ends), and its bytes."""
    started, head, size, first = time.perf_counter(), b"", 0, None
    for chunk in response.streaming_content:
        chunk = chunk.encode() if isinstance(chunk, str) else chunk
        size += len(chunk)
        if first is None:
            head += chunk
            if head.count(b"\n") >= 2:
                first = time.perf_counter() - started
    return (first if first is not None else time.perf_counter() - started), size


def plain(org: Organization, text: str):
    rows = iterate(q.address_matches(org, text).order_by("email"))
    return csv_response("plain", ("email", "domain"), ([r["email"], r["email"].rpartition("@")[2]] for r in rows))


def plain_wide(org: Organization, text: str):
    """The plain CSV with the verdict columns present and empty: what writing the wider rows costs by itself."""
    rows = iterate(q.address_matches(org, text).order_by("email"))
    return csv_response("plain", q.MATCH_HEADER, ([r["email"], r["email"].rpartition("@")[2], "", "", ""]
                                                  for r in rows))


def with_verdicts(org: Organization, text: str):
    rows = iterate(q.address_matches(org, text).order_by("email"))
    return csv_response("verdicts", q.MATCH_HEADER, q.match_csv_rows(rows, org))


def signed_in(org: Organization) -> Client:
    user, _ = get_user_model().objects.get_or_create(username=USER)
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.update_or_create(user=user, organization=org, defaults={"role": Membership.Role.MANAGER})
    client = Client()
    if not client.login(username=USER, password=PASSWORD):
        sys.exit(f"Client.login failed for {USER}")
    return client


def measure(org: Organization, text: str, repeat: int) -> dict[str, dict]:
    client = signed_in(org)
    url = reverse("search", kwargs={"org_slug": org.slug}) + "?" + urlencode({"q": text, "csv": "matches"})
    ways = {"plain": lambda: plain(org, text), "plain_wide": lambda: plain_wide(org, text),
            "verdicts": lambda: with_verdicts(org, text), "view": lambda: client.get(url)}
    sizes = {}
    for name, make in ways.items():  # warm-up: caches, the view's session, the planner's statistics
        sizes[name] = read(make())[1]
    results = {name: {"whole": [], "first": []} for name in ways}
    for _ in range(repeat):
        for name, make in ways.items():
            started = time.perf_counter()
            response = make()
            first, _ = read(response)
            results[name]["whole"].append((time.perf_counter() - started) * 1000)
            results[name]["first"].append(first * 1000)
    for name in ways:
        results[name]["bytes"] = sizes[name]
    return results


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--org", default="bench", help="the organisation (generated, or else read); when it is "
                                                        "missing, the one with the most addresses")
    parser.add_argument("--matches", type=int, default=20_000)
    parser.add_argument("--query", help="the search text (default: the one with the number of matches nearest "
                                        "to --matches)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the figures that matter are PostgreSQL's")
    if args.generate:
        from bench_dashboard import generate

        generate(args.events, 1, args.org)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in READ_TABLES:
                cursor.execute(f"ANALYZE {table}")
    org = Organization.objects.filter(slug=args.org).first() or biggest_org()
    text, count = (args.query, q.address_matches(org, args.query).count()) if args.query else pick_query(org, args.matches)
    matched = q.address_matches(org, text)
    ids = list(matched.values_list("id", flat=True))
    bounced = RecipientVerdict.objects.filter(organization=org, recipient_id__in=ids).values("recipient_id").distinct().count()
    data = (f"organisation `{org.slug}`: {Event.objects.filter(organization=org).count():,} events, "
            f"{RecipientSearch.objects.filter(organization=org).count():,} addresses, "
            f"{RecipientVerdict.objects.filter(organization=org).count():,} verdicts; search `{text}`: {count:,} matches "
            f"({bounced:,} with a verdict, {count - bounced:,} never bounced)")
    print(data)
    load_before = _load()
    results = measure(org, text, args.repeat)
    load_after = _load()
    base = statistics.median(results["plain"]["whole"])
    lines = []
    for name, label in (("plain", "plain CSV (e-mail, domain): the baseline"),
                        ("plain_wide", "plain CSV with the verdict columns empty"),
                        ("verdicts", "with the latest verdicts"), ("view", "with the latest verdicts, through the view")):
        r = results[name]
        ratio = statistics.median(r["whole"]) / base
        lines.append(f"| {label} | {_fmt(r['whole'])} | {ratio:.2f} | {_fmt(r['first'])} | {r['bytes']:,} |")
        print(f"{name:10} whole {_fmt(r['whole'])} ms  ×{ratio:.2f}  first row {_fmt(r['first'])} ms  {r['bytes']:,} B")
    print(f"load average before {load_before}, after {load_after}")
    if args.write:
        text_lines = [
            "", f"## Search matches CSV with verdicts, whole download ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
            f"`bench/bench_search_csv.py --repeat {args.repeat}` on {describe()}, "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; load average before {load_before}, "
            f"after {load_after}. {args.note}".rstrip(), "",
            f"Data: {data}. Medians of {args.repeat} alternated runs in-process (min–max), ms.", "",
            "| download | whole ms | × plain | first row ms | bytes |", "|---|---:|---:|---:|---:|", *lines,
        ]
        with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as handle:
            handle.write("\n".join(text_lines) + "\n")


if __name__ == "__main__":
    main()
