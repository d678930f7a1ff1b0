"""End-to-end import benchmark: generic CSV files → the real event tables, vs `psql \\copy` of the same file.

    .venv/bin/python bench/bench_import.py --rows 1000000 --runs 3 [--shape list|single-send|both] [--sqlite] [--write docs/benchmarks.md]
    .venv/bin/python bench/bench_import.py --rows 12000000 --memory     # a 1 GB file: peak RSS of one import

Two file shapes (SHAPES): the project's first one (a list sent 12 times: few addresses, many events each)
and a real single-send export (one row per recipient, every reply its own text). Creates a throwaway
PostgreSQL database (bench_import) on 127.0.0.1:5432 (trust auth), migrates it, and in each run: psql
\\copy of the file into a bare table without indexes (the physical ceiling), then the product's path
(receive_upload + run_import without analysis: parse, normalise, classify, recipients, diagnostics, COPY
into campaigns_event with its indexes), then the address-search index that the analysis fills next
(timed apart). Also times parse-only and, with --sqlite, the same import on a SQLite file. Medians are
reported; the machine is noisy: compare the ratio to the baseline of the same run.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from machine import describe  # noqa: E402  (bench/machine.py; the script's folder is on sys.path)

CONSUMER = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "gmx.de", "web.de", "icloud.com", "aol.com"]
BOUNCES = [
    ("550 5.1.1 <{e}>: Recipient address rejected: User unknown in virtual mailbox table", 0.35),
    ("550 5.7.1 Service unavailable; Client host [203.0.113.{n}] blocked using zen.spamhaus.org", 0.15),
    ("452 4.2.2 The email account that you tried to reach is over quota", 0.15),
    ("550 5.4.1 Recipient address rejected: Access denied. [AM4PR0{n}.eurprd04.prod.outlook.com]", 0.15),
    ("421 4.7.0 Try again later, closing connection. (EHLO) {n}", 0.1),
    ("554 5.7.1 <{e}>: Recipient address rejected: Access denied.", 0.1),
]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    weights = [w for _, w in BOUNCES]
    with path.open("w") as out:
        out.write("email,status,smtp_response,timestamp,campaign\n")
        for i in range(rows):
            # A quarter of campaign results: 12 sends to one list, so each address appears about
            # 12 times; 40% of addresses at consumer providers, the rest at Zipf-distributed companies.
            person = rng.randint(0, rows // 12)
            person_rng = random.Random(person)
            if person_rng.random() < 0.4:
                domain = person_rng.choice(CONSUMER)
            else:
                domain = f"company{int(person_rng.paretovariate(1.0) * 7) % 50000}.com"
            email = f"person{person}@{domain}"
            at = (start + timedelta(seconds=i * 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
            campaign = f"Campaign {i * 12 // rows + 1}"
            if rng.random() < 0.06:
                text = rng.choices([t for t, _ in BOUNCES], weights)[0].format(e=email, n=rng.randint(1, 9))
                out.write(f'{email},bounce,"{text}",{at},{campaign}\n')
            else:
                out.write(f"{email},delivered,250 2.0.0 OK,{at},{campaign}\n")


# The shape of a real single-send export (SendGrid, SES and Postmark activity exports; generic CSV with
# the columns those exports' documented fields map to): one row per recipient, ~1M distinct addresses at
# ~43k domains (40% consumer), 94% delivered, and every row carries its receiving server's own reply —
# delivered replies with queue ids, times and host names, bounce texts naming their recipient.
# Reply wordings by MTA family, from the acceptance lines those servers write (Gmail "gsmtp", Microsoft
# 365 "Queued mail for delivery", Postfix "Ok: queued as", Exim "OK id=", Proofpoint/Mimecast accepts).
DELIVERED_REPLIES = [
    ("250 2.0.0 OK  {t} {hex12}.{n}si{n4}qtb.{n3} - gsmtp", 0.35),
    ("250 2.6.0 <{hex12}@{host}> [InternalId={n9}, Hostname={ms_host}] {n5} bytes in 0.{n3}, {n3}.{n1} KB/sec "
     "Queued mail for delivery", 0.25),
    ("250 2.0.0 Ok: queued as {QID}", 0.2),
    ("250 OK id={exim}", 0.1),
    ("250 2.0.0 {pp} Message accepted for delivery", 0.05),
    ("250 2.0.0 OK {t} {hex10} - queued as {HEX10} on {host}", 0.05),
]
SINGLE_SEND_BOUNCES = [
    ("550 5.1.1 <{e}>: Recipient address rejected: User unknown in virtual mailbox table", 0.35),
    ("550 5.7.1 Service unavailable; Client host [203.0.113.{n1}] blocked using zen.spamhaus.org", 0.1),
    ("452 4.2.2 The email account that you tried to reach is over quota. {hex12} - gsmtp", 0.1),
    ("550 5.4.1 Recipient address rejected: Access denied. [{ms_host}]", 0.15),
    ("550 5.1.1 The email account that you tried to reach does not exist. {hex12}.{n}si{n4}qtb.{n3} - gsmtp", 0.15),
    ("554 5.7.1 <{e}>: Recipient address rejected: Access denied.", 0.1),
    ("550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [{hex12}.{n1}]", 0.05),
]


def generate_single_send(path: Path, rows: int, seed: int = 2) -> None:
    """One large send: one row per recipient, every reply its own text (see DELIVERED_REPLIES)."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    domains = max(rows * 43 // 1000, 10)
    delivered_texts, delivered_weights = zip(*DELIVERED_REPLIES, strict=False)
    bounce_texts, bounce_weights = zip(*SINGLE_SEND_BOUNCES, strict=False)

    def fill(template: str, email: str, host: str, i: int) -> str:
        hexed = f"{rng.getrandbits(64):016x}"
        return template.format(
            e=email, host=host, t=1739978885 + i, n=rng.randint(10, 99999), n1=rng.randint(1, 9),
            n3=rng.randint(100, 999), n4=rng.randint(1000, 9999), n5=rng.randint(10000, 99999),
            n9=rng.randint(10**8, 10**9), hex10=hexed[:10], HEX10=hexed[:10].upper(), hex12=hexed[:12],
            QID=f"4{hexed[:11].upper()}", exim=f"1t{hexed[:4]}-{hexed[4:10].upper()}-{rng.randint(10, 99)}",
            pp=f"{rng.randint(3, 4)}{hexed[:6]}-{hexed[6:12]}",
            ms_host=f"AM{rng.randint(0, 9)}PR{rng.randint(10, 99)}MB{rng.randint(1000, 9999)}.eurprd0{rng.randint(1, 9)}.prod.outlook.com",
        )

    with path.open("w") as out:
        out.write("email,status,smtp_code,enhanced_status,diagnostic,timestamp\n")
        for i in range(rows):
            if rng.random() < 0.4:
                domain = rng.choice(CONSUMER)
            else:
                # a few large companies and a long tail of small ones
                rank = int(rng.paretovariate(0.5) * 2) if rng.random() < 0.6 else rng.randrange(domains)
                domain = f"company{rank % domains}.example"
            email = f"first.last{i}@{domain}"
            host = f"mx{rng.randint(1, 2)}.{domain}"
            at = (start + timedelta(milliseconds=i * 3)).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < 0.06:
                text = fill(rng.choices(bounce_texts, bounce_weights)[0], email, host, i)
                code, enhanced = text[:3], text[4:9] if text[4:5].isdigit() else ""
                out.write(f'{email},bounce,{code},{enhanced},"{text}",{at}\n')
            else:
                text = fill(rng.choices(delivered_texts, delivered_weights)[0], email, host, i)
                out.write(f'{email},delivered,250,{text[4:9] if text[4:5].isdigit() else ""},"{text}",{at}\n')


def psql(db: str, sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", db, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                   check=True, capture_output=True)


def copy_baseline(path: Path) -> float:
    with path.open() as handle:  # one text column per header of the file
        columns = ", ".join(f'"c{i}" text' for i, _ in enumerate(handle.readline().split(",")))
    psql("bench_import", f"DROP TABLE IF EXISTS bare; CREATE TABLE bare ({columns})")
    psql("bench_import", "CHECKPOINT")
    started = time.perf_counter()
    psql("bench_import", f"\\copy bare FROM '{path}' WITH (FORMAT csv, HEADER true)")
    return time.perf_counter() - started


EVENT_COLUMNS = ("organization_id, campaign_id, recipient_id, upload_id, esp_event_id, type, occurred_at, week, "
                 "domain, reply_code, enhanced_status, diagnostic_id, remote_mta, esp_labels, category, signature, "
                 "bounce_vendor, hard")


def copy_into_indexed_table(work: Path) -> float:
    """The second ceiling: psql \\copy of the import's own event rows into a table with the event
    table's indexes. What no Python code can beat on this machine."""
    dump = work / "events.tsv"
    psql("bench_import", f"\\copy (SELECT {EVENT_COLUMNS} FROM campaigns_event) TO '{dump}'")
    psql("bench_import", "DROP TABLE IF EXISTS indexed_copy; "
                         "CREATE TABLE indexed_copy (LIKE campaigns_event INCLUDING ALL)")
    psql("bench_import", "CHECKPOINT")
    started = time.perf_counter()
    psql("bench_import", f"\\copy indexed_copy ({EVENT_COLUMNS}) FROM '{dump}'")
    elapsed = time.perf_counter() - started
    psql("bench_import", "DROP TABLE indexed_copy")
    dump.unlink()
    return elapsed


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Measure the import alone: the analysis has its own benchmarks. (Current code queues none with
    # analyse=False; an older checkout, measured as a baseline, announced every import.)
    from deliverability.campaigns.signals import upload_imported

    upload_imported.disconnect(dispatch_uid="verdicts.analyze_upload")


def product_import(path: Path, campaign: str = "", search: bool = True) -> tuple[float, dict]:
    from django.db import connection

    from deliverability.accounts.models import Organization
    from deliverability.campaigns import services
    from deliverability.campaigns.models import Campaign, Diagnostic, Event, Recipient, Upload

    if connection.vendor == "postgresql":  # start every run from empty tables, not from a million dead rows
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE campaigns_event, campaigns_recipient, campaigns_diagnostic, campaigns_upload, "
                           "campaigns_campaign CASCADE")
            cursor.execute("CHECKPOINT")
    else:
        for model in (Event, Upload, Recipient, Campaign, Diagnostic):
            model.objects.all().delete()
    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench", "timezone": "Europe/Madrid"})
    started = time.perf_counter()
    received = services.receive_upload(org, path, original_name=path.name, campaign_name=campaign)
    try:
        upload = services.run_import(received.upload.pk, analyse=False)  # the import alone: no analysis queued
    except TypeError:  # a checkout from before the analyse flag (a baseline worktree; see README)
        upload = services.run_import(received.upload.pk)
    elapsed = time.perf_counter() - started
    assert upload.status == "done", upload.error
    started = time.perf_counter()  # the analysis's first step, timed apart: the trigram search index
    if search and hasattr(services, "index_for_search"):
        services.index_for_search(upload)
    return elapsed, upload.summary | {"search_index_seconds": time.perf_counter() - started}


def phases(path: Path, campaign: str = "") -> dict[str, float]:
    """One more import, with wall-clock timers around each stage (a separate run: the timers cost a
    little). Stages overlap on PostgreSQL: the reader thread parses while the main thread prepares and
    the writer thread waits for COPY, so the figures add up to more than the import's time."""
    from deliverability.campaigns import importer

    spent: dict[str, float] = {}

    def timed(owner, name: str, label: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
        setattr(owner, name, wrapper)
        return owner, name, original

    patched = [
        timed(importer, "_prepare_batch", "main thread: prepare batches (incl. the two waits below)"),
        timed(importer._Lookups, "resolve_recipients", "main thread: wait for recipient ids (server)"),
        timed(importer._Lookups, "resolve_diagnostics", "main thread: wait for diagnostic ids (server)"),
        timed(importer._Batch, "write", "write events + commit (PostgreSQL: COPY, on the writer thread; SQLite: executemany)"),
        timed(importer._PipelinedWriter, "finish", "main thread: wait for the last batch"),
    ]
    try:
        elapsed, _ = product_import(path, campaign)
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    return {"import end to end": elapsed, **spent}


def parse_only(path: Path) -> float:
    from deliverability import ingest

    started = time.perf_counter()
    for _ in ingest.read_records(path, "csv"):
        pass
    return time.perf_counter() - started


SHAPES = {
    # name: (generator, default campaign for rows that name none, description)
    "list": (generate, "", "a quarter of results for one list: 12 campaigns, 83,333 addresses (each about 12 "
                           "events), 40% at consumer providers, 6% bounces (~60,000 distinct texts), one "
                           "fixed delivered reply; `email,status,smtp_response,timestamp,campaign`"),
    "single-send": (generate_single_send, "Send", "one large send as SendGrid/SES/Postmark exports it: one row "
                    "per recipient (1M distinct addresses at ~43k domains, 40% consumer), 94% delivered, every "
                    "delivered row with its own reply (queue ids, times, hosts), every bounce text naming its "
                    "recipient; `email,status,smtp_code,enhanced_status,diagnostic,timestamp`, no campaign column"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--write", help="append the results to this Markdown file")
    parser.add_argument("--memory", action="store_true",
                        help="one import alone (no baselines): its time and the process's peak RSS")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-q", "-c", "DROP DATABASE IF EXISTS bench_import"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-q", "-c", "CREATE DATABASE bench_import"], check=True)
    if args.sqlite:
        setup_django(f"sqlite:///{work / 'bench.sqlite3'}")
    else:
        setup_django("postgres://root@127.0.0.1:5432/bench_import")
    backend = "SQLite" if args.sqlite else "PostgreSQL 15"
    shapes = list(SHAPES) if args.shape == "both" else [args.shape]

    for shape in shapes:
        make, campaign, description = SHAPES[shape]
        path = work / f"{shape}.csv"
        make(path, args.rows)
        size = path.stat().st_size
        if args.memory:
            # One import and nothing else in this process, so its peak RSS is the import's.
            elapsed, summary = product_import(path, campaign, search=False)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            text = (f"\n### Import memory, {args.rows:,} rows, {shape} shape ({size / 1e6:,.0f} MB) on {backend} — "
                    f"{datetime.now():%Y-%m-%d}\nMachine: {describe()}.\n\nOne import alone in the process: "
                    f"{elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s); peak RSS of the process {peak_mb:.0f} MB "
                    f"(since the start of the process: earlier shapes included); events stored {summary.get('events')}, "
                    f"recipients {summary.get('new_recipients')}.")
            _report(text, args.write)
            path.unlink()
            continue
        _measure(args, shape, path, size, campaign, description, backend)
        path.unlink()


def _measure(args, shape: str, path: Path, size: int, campaign: str, description: str, backend: str) -> None:
    copies, imports, parses, indexed, searches, summary = [], [], [], [], [], {}
    load_start = os.getloadavg()[0]
    for run in range(args.runs):
        copies.append(copy_baseline(path))
        parses.append(parse_only(path))
        elapsed, summary = product_import(path, campaign)
        imports.append(elapsed)
        searches.append(summary["search_index_seconds"])
        if not args.sqlite:
            indexed.append(copy_into_indexed_table(path.parent))
        print(f"{shape} run {run + 1}: psql \\copy {copies[-1]:.2f} s, parse only {parses[-1]:.2f} s, "
              f"import {elapsed:.2f} s ({args.rows / elapsed:,.0f} rows/s), ratio {copies[-1] / elapsed:.3f}", flush=True)

    stages = phases(path, campaign)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def rate(seconds: list[float]) -> str:
        return f"{args.rows / statistics.median(seconds):,.0f} rows/s (median of {[round(s, 2) for s in seconds]} s)"

    ratios = sorted(c / i for c, i in zip(copies, imports, strict=False))
    lines = [
        f"\n### Import, {args.rows:,} rows, {shape} shape ({size / 1e6:.0f} MB) on {backend} — {datetime.now():%Y-%m-%d %H:%M}",
        f"Machine: {describe()}; load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        f"The file: {description}.",
        "",
        "| path | rate |",
        "|---|---|",
        f"| `psql \\copy` of the same file into a bare table, no indexes (baseline, same run) | {rate(copies)} |",
        f"| parse only (`ingest.read_records`) | {rate(parses)} |",
        *([f"| `psql \\copy` of the import's own event rows into a table with the event table's indexes (second baseline) | {rate(indexed)} |"] if indexed else []),
        f"| **product import end to end** (parse, normalise, classify, recipients, diagnostics, events with indexes) | **{rate(imports)}** |",
        f"| address search index, after the import (the analysis's first step; not in the import's time) | {rate(searches)} |",
        "",
        f"**Import ratio to the `\\copy` baseline: {statistics.median(copies) / statistics.median(imports):.3f}** "
        f"(run by run: {', '.join(f'{r:.3f}' for r in ratios)}). "
        f"Events stored: {summary.get('events')}; recipients: {summary.get('new_recipients')}; campaigns: {len(summary.get('campaigns', []))}. "
        f"Peak RSS of the benchmark process so far (parse-only and imports included): {peak_mb:.0f} MB.",
        "",
        "Where the time goes (one more, instrumented run; the stages overlap):",
        "",
        "| stage | seconds | µs per row |",
        "|---|---|---|",
        f"| parse only, alone (`ingest.read_records`, median) | {statistics.median(parses):.2f} | {statistics.median(parses) / args.rows * 1e6:.1f} |",
        *[f"| {label} | {seconds:.2f} | {seconds / args.rows * 1e6:.1f} |" for label, seconds in stages.items()],
    ]
    _report("\n".join(lines), args.write)


def _report(text: str, write: str | None) -> None:
    print(text, flush=True)
    if write:
        with open(write, "a") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
