"""Parse speed of the generic CSV reader: rows/s of ingest.read_records vs plain csv.reader.

    .venv/bin/python bench/bench_ingest_parse.py [--rows 1000000] [--runs 3] [--write]

Generates a realistic campaign-results CSV (mostly deliveries, 12% bounces with SMTP text, opens,
clicks; ISO timestamps; two campaigns), then times, in the same process and run:
- baseline: ``csv.reader`` over the same file, touching every row (the physical floor);
- ``read_records``: detection excluded, every Record/RowError materialised and counted.
Reports medians of ``--runs``; ``--write`` appends the result to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deliverability.ingest import read_records

DIAGNOSTICS = (
    "550 5.1.1 <{e}>: Recipient address rejected: User unknown in virtual mailbox table",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT014.eop-EUR03.prod.protection.outlook.com]",
    "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org",
    "452 4.2.2 The email account that you tried to reach is over quota",
    "550 5.7.1 Message rejected by policy (pphosted)",
)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    start = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    domains = [f"company{i}.example" for i in range(2000)] + ["gmail.com", "outlook.com", "yahoo.com"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Status", "SMTP Response", "Timestamp", "Campaign Name", "Event ID"])
        for i in range(rows):
            email = f"user{i}@{rnd.choice(domains)}"
            roll = rnd.random()
            when = (start + timedelta(seconds=i // 50)).isoformat()
            if roll < 0.12:
                status, response = rnd.choice(("bounce", "hard_bounce", "soft_bounce")), rnd.choice(DIAGNOSTICS).format(e=email)
            elif roll < 0.14:
                status, response = "deferred", "451 4.7.650 The mail server has been temporarily rate limited"
            elif roll < 0.30:
                status, response = "open", ""
            elif roll < 0.34:
                status, response = "click", ""
            else:
                status, response = "delivered", "250 2.0.0 OK"
            writer.writerow([email, status, response, when, "October newsletter" if i % 2 else "October promo", f"ev{i}"])


def time_baseline(path: Path) -> float:
    t0 = time.perf_counter()
    n = 0
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            n += len(row) > 0
    return time.perf_counter() - t0


def time_reader(path: Path) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    records = errors = 0
    for item in read_records(path, "csv"):
        if type(item).__name__ == "Record":
            records += 1
        else:
            errors += 1
    return time.perf_counter() - t0, records, errors


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        base, ours = [], []
        counts = (0, 0)
        for _ in range(args.runs):
            base.append(time_baseline(path))
            elapsed, records, errors = time_reader(path)
            ours.append(elapsed)
            counts = (records, errors)
    base_rate = args.rows / statistics.median(base)
    our_rate = args.rows / statistics.median(ours)
    machine = f"{os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}"
    lines = [
        f"- {date.today().isoformat()}, {machine}; {args.rows:,} rows, {size_mb:.0f} MB, median of {args.runs} runs",
        f"  - baseline `csv.reader` over the same file: **{base_rate:,.0f} rows/s** (runs: {', '.join(f'{t:.2f}s' for t in base)})",
        f"  - `read_records(path, 'csv')` → Record objects: **{our_rate:,.0f} rows/s** "
        f"(runs: {', '.join(f'{t:.2f}s' for t in ours)}); {counts[0]:,} records, {counts[1]:,} row errors; "
        f"{our_rate / base_rate:.0%} of the baseline",
        f"  - peak RSS of the whole benchmark process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
        f"for a {size_mb:.0f} MB file (streaming: memory does not grow with the file); "
        f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
    ]
    print("\n".join(lines))
    if args.write:
        docs = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
        text = docs.read_text() if docs.exists() else "# Benchmarks\n"
        heading = "## Ingest readers (parse only)"
        if heading not in text:
            text = text.rstrip("\n") + (
                f"\n\n{heading}\n\n`bench/bench_ingest_parse.py`: the generic CSV reader alone (no database), "
                "against plain `csv.reader` over the same generated file in the same run. "
                "The end-to-end import figure (COPY into the real tables) is a separate section.\n"
            )
        docs.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
