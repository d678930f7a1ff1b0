"""What writing the product's CSV reports for people costs (their reader's words and numbers, tables.PeopleCsv):
rows per second of the recovery list's rows and of the campaign's bounced-recipients rows, written for an English
and for a Catalan reader, against the baseline of the same rows written as before (English keys, "0.93",
"yes"/"no", csv.writer with ","), in the same run.

    .venv/bin/python bench/bench_people_csv.py [--rows 200000] [--repeat 5] [--write docs/benchmarks.md]

Rows: synthetic (facts, verdict) pairs through verdicts.exports.list_rows (the recovery list's rules), and
RecipientVerdict-shaped dicts through dashboard.queries.verdict_csv_row; no database. The median of --repeat,
the variants interleaved in a rotating order after one warm-up each.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import describe, setup_django  # bench/ is the script's directory

setup_django()

from django.utils import translation  # noqa: E402

from deliverability.dashboard import queries  # noqa: E402
from deliverability.dashboard.exports import _in_words  # noqa: E402
from deliverability.dashboard.tables import PeopleCsv  # noqa: E402
from deliverability.verdicts.exports import list_rows, safe_cell  # noqa: E402
from deliverability.verdicts.facts import RecipientFacts  # noqa: E402
from deliverability.verdicts.judge import Verdict  # noqa: E402

VERDICTS = ("filter_rejection", "sender_issue", "temporary")
EVIDENCE = [{"code": "gateway", "text": "answering gateway is Proofpoint (MX mx0a-123.pphosted.com)"}]


class _Echo:
    def write(self, value: str) -> str:
        return value


def list_pairs(n: int) -> list[tuple[RecipientFacts, Verdict]]:
    return [(RecipientFacts(email=f"person{i}@company{i % 500}.example", domain=f"company{i % 500}.example",
                            outcome="bounce", occurred_at=None, category="policy", reply_code=550, status="5.7.1",
                            bounce_vendor="proofpoint", domain_kind="corporate", esp_hard=True),
             Verdict(verdict=VERDICTS[i % 3], confidence=0.5 + (i % 50) / 100, evidence=EVIDENCE,
                     overridden=i % 7 == 0)) for i in range(n)]


def verdict_dicts(n: int) -> list[dict]:
    when = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    return [{"email": f"person{i}@company{i % 500}.example", "domain": f"company{i % 500}.example",
             "outcome": "bounce", "occurred_at": when, "verdict": VERDICTS[i % 3], "confidence": 0.5 + (i % 50) / 100,
             "override_verdict": "temporary" if i % 7 == 0 else "", "category": "policy", "reply_code": 550,
             "enhanced_status": "5.7.1", "vendor": "proofpoint", "domain_kind": "corporate",
             "diagnostic": "550 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1"} for i in range(n)]


def baseline_list(pairs) -> int:
    """The lists as written before: the writer's English cells, csv.writer with ","."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    size = 0
    for row in list_rows("recovery", pairs):
        email, domain, verdict, confidence, reported, category, vendor, evidence, overridden = row
        cells = (email, domain, verdict, f"{confidence:.2f}", reported, category, vendor, evidence,
                 "yes" if overridden else "no")
        size += len(writer.writerow([safe_cell(c) for c in cells]))
    return size


def people_list(pairs, language: str) -> int:
    with translation.override(language):
        people = PeopleCsv()
        return sum(len(people.row(_in_words(row))) for row in list_rows("recovery", pairs))


def baseline_recipients(rows) -> int:
    """The bounced-recipients rows as written before (keys, "0.93", "yes"/"no")."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    size = 0
    for r in rows:
        cells = [r["email"], r["domain"], r["outcome"], r["occurred_at"].isoformat(), r["verdict"],
                 f"{r['confidence']:.2f}", "yes" if r["override_verdict"] else "no", r["category"], r["reply_code"],
                 r["enhanced_status"], queries.vendor_label(r["vendor"]), r["domain_kind"], r["diagnostic"]]
        size += len(writer.writerow([safe_cell(c) for c in cells]))
    return size


def people_recipients(rows, language: str) -> int:
    with translation.override(language):
        people = PeopleCsv()
        return sum(len(people.row(queries.verdict_csv_row(r))) for r in rows)


def measure(rows: int, repeat: int) -> dict[str, float]:
    pairs, dicts = list_pairs(rows), verdict_dicts(rows)
    variants = {
        "recovery list, baseline (before)": lambda: baseline_list(pairs),
        "recovery list, people, en": lambda: people_list(pairs, "en"),
        "recovery list, people, ca": lambda: people_list(pairs, "ca"),
        "recipients CSV, baseline (before)": lambda: baseline_recipients(dicts),
        "recipients CSV, people, en": lambda: people_recipients(dicts, "en"),
        "recipients CSV, people, ca": lambda: people_recipients(dicts, "ca"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():
        run()  # warm-up
    names = list(variants)
    for i in range(repeat):
        for name in names[i % len(names):] + names[:i % len(names)]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    return {name: rows / statistics.median(runs) for name, runs in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rates = measure(args.rows, args.repeat)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    lines = [f"### People's CSV rows ({datetime.now(UTC):%Y-%m-%d}, bench_people_csv.py)", "",
             f"{describe()}; load average {load} at the end; {args.rows:,} rows, median of {args.repeat} runs.", "",
             "| rows | rows/s | vs its baseline |", "|---|---|---|"]
    for name, rate in rates.items():
        base = rates[name.split(",")[0] + ", baseline (before)"]
        lines.append(f"| {name} | {rate:,.0f} | {rate / base:.2f}× |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with args.write.open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
