"""What PostgreSQL alone needs to store an import's result, next to the issue-14 bar (0.20× `psql \\copy` of the file).

    .venv/bin/python bench/bench_import_floor.py [--rows 1000000] [--runs 3] [--shape list|single-send|both] [--write docs/benchmarks.md]

For each file shape of bench_import.py: the product imports the file once (no analysis) into a throwaway
database; its finished rows are dumped with `psql \\copy ... TO`; then, each repeated `--runs` times from a new
table after a CHECKPOINT, `psql` loads:

- the file itself into a bare table of text columns (the bar's baseline: the bar is 5× this time);
- the import's own event rows into a table shaped like `campaigns_event` without any index, with its primary key
  only, and with all its indexes (text format; binary format; and text split in two halves loaded by two
  connections at once);
- the import's own recipient rows into a table shaped like `campaigns_recipient` with its unique key.

No Python runs while those are timed: they are what the server needs for the rows the import must leave behind,
on this machine, whatever the importer does before. Medians are reported.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_import as b  # noqa: E402  (the generators, the product import, psql)
from machine import describe  # noqa: E402

DB = "bench_import"
RECIPIENT_COLUMNS = "organization_id, email, domain"


def _psql_timed(sql: str) -> float:
    started = time.perf_counter()
    b.psql(DB, sql)
    return time.perf_counter() - started


def _fresh(ddl: str) -> None:
    b.psql(DB, f"DROP TABLE IF EXISTS floor_t; {ddl}")
    b.psql(DB, "CHECKPOINT")


def _parallel(files: list[Path]) -> float:
    started = time.perf_counter()
    loads = [subprocess.Popen(["psql", "-h", "127.0.0.1", "-U", "root", "-d", DB, "-q", "-v", "ON_ERROR_STOP=1",
                               "-c", f"\\copy floor_t ({b.EVENT_COLUMNS}) FROM '{part}'"]) for part in files]
    if any(load.wait() for load in loads):
        raise SystemExit("a parallel \\copy failed")
    return time.perf_counter() - started


def measure(shape: str, rows: int, runs: int, work: Path) -> dict[str, list[float]]:
    path = work / f"{shape}.csv"
    b.SHAPES[shape][0](path, rows)
    imported, summary = b.product_import(path, b.SHAPES[shape][1], search=False)
    events, text, binary = work / "events.tsv", work / "events.bin", work / "recipients.tsv"
    b.psql(DB, f"\\copy (SELECT {b.EVENT_COLUMNS} FROM campaigns_event ORDER BY id) TO '{events}'")
    b.psql(DB, f"\\copy (SELECT {b.EVENT_COLUMNS} FROM campaigns_event ORDER BY id) TO '{binary}' WITH (FORMAT binary)")
    b.psql(DB, f"\\copy (SELECT {RECIPIENT_COLUMNS} FROM campaigns_recipient ORDER BY id) TO '{text}'")
    subprocess.run(["split", "-n", "l/2", "-d", str(events), str(work / "half")], check=True)
    halves = sorted(work.glob("half*"))
    like = "CREATE TABLE floor_t (LIKE campaigns_event INCLUDING DEFAULTS INCLUDING IDENTITY)"
    steps = {
        "file into a bare table (the bar's baseline)": (None, lambda: b.copy_baseline(path)),
        "event rows, no index": (like, lambda: _psql_timed(f"\\copy floor_t ({b.EVENT_COLUMNS}) FROM '{events}'")),
        "event rows, primary key only": (f"{like}; ALTER TABLE floor_t ADD PRIMARY KEY (id)",
                                         lambda: _psql_timed(f"\\copy floor_t ({b.EVENT_COLUMNS}) FROM '{events}'")),
        "event rows, every index (text)": ("CREATE TABLE floor_t (LIKE campaigns_event INCLUDING ALL)",
                                           lambda: _psql_timed(f"\\copy floor_t ({b.EVENT_COLUMNS}) FROM '{events}'")),
        "event rows, every index (binary)": ("CREATE TABLE floor_t (LIKE campaigns_event INCLUDING ALL)",
                                             lambda: _psql_timed(f"\\copy floor_t ({b.EVENT_COLUMNS}) FROM '{binary}' "
                                                                 "WITH (FORMAT binary)")),
        "event rows, every index, two connections": ("CREATE TABLE floor_t (LIKE campaigns_event INCLUDING ALL)",
                                                     lambda: _parallel(halves)),
        "recipient rows, unique key": ("CREATE TABLE floor_t (LIKE campaigns_recipient INCLUDING ALL)",
                                       lambda: _psql_timed(f"\\copy floor_t ({RECIPIENT_COLUMNS}) FROM '{text}'")),
    }
    found: dict[str, list[float]] = {"product import (no analysis)": [imported]}
    for _ in range(runs):
        for label, (ddl, load) in steps.items():
            if ddl:
                _fresh(ddl)
            found.setdefault(label, []).append(load())
    b.psql(DB, "DROP TABLE IF EXISTS floor_t")
    for item in (path, events, binary, text, *halves):
        item.unlink()
    print(f"{shape}: {summary['events']:,} events, {summary['new_recipients']:,} new addresses", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", choices=["list", "single-send", "both"], default="both")
    parser.add_argument("--write", help="append the results to this Markdown file")
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "1")
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-q", "-c", sql], check=True)
    b.setup_django(f"postgres://root@127.0.0.1:5432/{DB}")
    work = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    load_before = os.getloadavg()[0]
    lines = [f"### Storage floor under the import bar ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
             f"`bench/bench_import_floor.py --rows {args.rows} --runs {args.runs}`)", "", describe(), "",
             "| shape | what psql loads (the import: the product, once) | seconds, median (runs) | share of the bar |", "|---|---|---|---|"]
    for shape in (["list", "single-send"] if args.shape == "both" else [args.shape]):
        found = measure(shape, args.rows, args.runs, work)
        bar = 5 * statistics.median(found["file into a bare table (the bar's baseline)"])
        for label, seconds in found.items():
            median = statistics.median(seconds)
            lines.append(f"| {shape} | {label} | {median:.2f} ({', '.join(f'{s:.2f}' for s in seconds)}) "
                         f"| {median / bar:.2f} |")
        lines.append(f"| {shape} | **the bar: the whole import in at most 5× the bare `\\copy`** | **{bar:.2f}** | 1.00 |")
    lines += ["", f"Load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}.", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
