"""Bounce engine benchmark: emails/s vs Sisimai's Perl release, classify lines/s. Not a test.

    .venv/bin/python bench/bench_bounces.py [--runs 5] [--write]
    .venv/bin/python bench/bench_bounces.py --command [--copies 10] [--runs 5] [--before REF] [--write]

--command measures ``manage.py classify_bounces FOLDER --no-progress > out.jsonl`` as a user runs it,
over the dev corpus copied --copies times (4,300 emails for 10), net of its start-up (the same command
on an empty folder, run in the same loop), against Sisimai on the same files (sisimai_parse.pl, timed
inside Perl after loading: also net of start-up). --before REF also runs the command of an earlier
commit (exported with git archive, same interpreter) in the same loop.

Needs Debian's libsisimai-perl for the baseline (apt-get install -y libsisimai-perl). With --write,
appends a "## Bounce engine" section to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The engine is pure Python, but its explanations may go through Django's translation functions
# (user-facing strings, issue 23): configure Django as the other bench scripts do.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

import django  # noqa: E402

django.setup()

from machine import cpu_model  # noqa: E402  (bench/machine.py; the script's folder is on sys.path)

from deliverability.bounces.classify import _classify, classify, classify_record  # noqa: E402
from deliverability.bounces.reading import parse_message  # noqa: E402
from deliverability.devtools.corpora import shared_data  # noqa: E402

CORPUS = shared_data("sisimai-dev", "emails")
FIELD_MANUAL = shared_data("smtp-field-manual", "codes")


def ours_emails_per_second(files: list[Path]) -> tuple[float, int, float]:
    """(emails per wall-clock second, records, emails per CPU second of this process)."""
    _classify.cache_clear()
    started, cpu = time.perf_counter(), time.process_time()
    records = 0
    for path in files:
        for record in parse_message(path.read_bytes()):
            classify_record(record)
            records += 1
    return len(files) / (time.perf_counter() - started), records, len(files) / (time.process_time() - cpu)


def sisimai_emails_per_second(files: list[Path]) -> tuple[float, int, float] | None:
    script = ROOT / "bench" / "sisimai_parse.pl"
    try:
        out = subprocess.run(["perl", str(script)], input="\n".join(map(str, files)) + "\n",
                             capture_output=True, text=True, check=True, timeout=600).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    count, records, seconds, cpu = int(out[0]), int(out[1]), float(out[2]), float(out[3])
    return count / seconds, records, count / cpu if cpu > 0 else float("nan")


def sample_texts() -> list[tuple[str, str | None, int | None]]:
    texts = []
    for path in sorted(FIELD_MANUAL.glob("*.json")):
        doc = json.loads(path.read_text())
        for group in ("providers", "spamFilters"):
            for provider in doc.get(group) or []:
                texts.extend((r["response"], None, None) for r in provider["responses"])
    for path in sorted(CORPUS.glob("*.eml")):
        for record in parse_message(path.read_bytes()):
            if record.diagnostic:
                texts.append((record.diagnostic, record.status, record.reply_code))
    return texts


def classify_repeating(texts, n: int) -> float:
    _classify.cache_clear()
    stream = [texts[i % len(texts)] for i in range(n)]
    for text, status, code in texts:  # the cache holds each distinct text once, as in an import
        classify(text, status, code)
    started = time.perf_counter()
    for text, status, code in stream:
        classify(text, status, code)
    return n / (time.perf_counter() - started)


def classify_distinct(texts, n: int, seed: int) -> tuple[float, float]:
    _classify.cache_clear()
    rng = random.Random(seed)
    # Real diagnostics differ by queue ids, IPs and addresses: vary exactly those.
    stream = []
    for i in range(n):
        text, status, code = texts[i % len(texts)]
        ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
        stream.append((f"{text} [{ip}] id={i:08x}{rng.randrange(1 << 30):x}", status, code))
    started, cpu = time.perf_counter(), time.process_time()
    for text, status, code in stream:
        classify(text, status, code)
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def _timed(argv: list[str], cwd: Path, stdout) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "DEBUG": os.environ.get("DEBUG", "1")})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def command_runs(args) -> dict:
    """classify_bounces as a user runs it vs Sisimai, medians over alternating runs."""
    with tempfile.TemporaryDirectory(prefix="bench-classify-") as tmp:
        tmp_path = Path(tmp)
        folder, empty = tmp_path / "mail", tmp_path / "empty"
        empty.mkdir()
        files = sorted(CORPUS.glob("*.eml"))
        for copy in range(args.copies):
            target = folder / f"copy{copy:02d}"
            target.mkdir(parents=True)
            for path in files:
                shutil.copyfile(path, target / path.name)
        emails = len(files) * args.copies
        checkouts = {"ours": ROOT}
        if args.before:
            before = tmp_path / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            checkouts["before"] = before
        # A command that runs no system checks (requires_system_checks = []) has no --skip-checks option.
        skip_checks = bool(args.before) and "--skip-checks" in subprocess.run(
            [sys.executable, str(checkouts.get("before", ROOT) / "manage.py"), "help", "classify_bounces"],
            cwd=checkouts.get("before", ROOT), capture_output=True, text=True).stdout
        listing = "\n".join(str(p) for p in sorted(folder.rglob("*.eml"))) + "\n"
        results: dict[str, list] = {name: [] for name in checkouts}
        results["sisimai"] = []
        out_path = tmp_path / "out.jsonl"
        for _ in range(args.runs):
            for name, checkout in checkouts.items():
                argv = [sys.executable, str(checkout / "manage.py"), "classify_bounces"]
                if name == "before" and skip_checks:  # an older commit's system checks may fail on its URLconf
                    argv.append("--skip-checks")
                start_wall, start_cpu = _timed([*argv, str(empty), "--no-progress"], checkout, subprocess.DEVNULL)
                with open(out_path, "wb") as out:
                    wall, cpu = _timed([*argv, str(folder), "--no-progress"], checkout, out)
                rows = out_path.read_bytes().count(b"\n")
                results[name].append((wall - start_wall, cpu - start_cpu, rows, start_wall))
            perl = subprocess.run(["perl", str(ROOT / "bench" / "sisimai_parse.pl")], input=listing,
                                  capture_output=True, text=True, check=True, timeout=1800).stdout.split()
            results["sisimai"].append((float(perl[2]), float(perl[3]), int(perl[1]), 0.0))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "deliverability/bounces"],
                           capture_output=True, text=True).stdout.strip()
    summary = {"emails": emails, "copies": args.copies, "runs": args.runs, "before_ref": args.before, "skip_checks": skip_checks,
               "commit": commit + (" + uncommitted changes in deliverability/bounces" if dirty else "")}
    for name, runs in results.items():
        summary[name] = {
            "emails_per_s": round(emails / statistics.median(w for w, _, _, _ in runs)),
            "emails_per_cpu_s": round(emails / statistics.median(c for _, c, _, _ in runs)),
            "records": runs[0][2], "net_wall_s": [round(w, 2) for w, _, _, _ in runs],
            "start_up_s": [round(s, 2) for _, _, _, s in runs],
        }
    theirs = summary["sisimai"]
    for name in checkouts:
        summary[name]["ratio"] = round(summary[name]["emails_per_s"] / theirs["emails_per_s"], 2)
        summary[name]["ratio_cpu"] = round(summary[name]["emails_per_cpu_s"] / theirs["emails_per_cpu_s"], 2)
    return summary


def write_command_section(r: dict, m: dict, load) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    before = r.get("before")
    before_row = (f"| the command at `{r['before_ref']}`{' (`--skip-checks`)' if r.get('skip_checks') else ''}, same loop | "
                  f"{before['emails_per_s']:,} | {before['ratio']}× | {before['emails_per_cpu_s']:,} | {before['ratio_cpu']}× |\n"
                  if before else "")
    section = f"""
## classify_bounces command (issue 16)

Measured {dt.date.today().isoformat()} with `bench/bench_bounces.py --command --copies {r['copies']} --runs {r['runs']}`
(medians of {r['runs']} alternating runs). Machine: {m['nproc']} CPUs (`nproc`), {m['cpu']}; Python {m['python']};
baseline Sisimai {m['sisimai']} (Debian `libsisimai-perl`, Perl {m['perl']}), on the same {r['emails']:,} files
(the sisimai-dev corpus copied {r['copies']} times into one folder).

Ours: `manage.py classify_bounces FOLDER --no-progress > out.jsonl`, each run a new process, net of its
start-up (the same command on an empty folder, timed in the same loop: {r['ours']['start_up_s']} s).
Sisimai: `bench/sisimai_parse.pl`, timed inside Perl after loading the module (also net of start-up),
no output written. CPU = user + system of the child process.

| run | emails/s (wall) | vs Sisimai | emails per CPU s | vs Sisimai (CPU) |
|---|---|---|---|---|
| classify_bounces at `{r['commit']}` | {r['ours']['emails_per_s']:,} ({r['ours']['records']:,} rows) | **{r['ours']['ratio']}×** | {r['ours']['emails_per_cpu_s']:,} | **{r['ours']['ratio_cpu']}×** |
{before_row}| Sisimai {m['sisimai']} | {r['sisimai']['emails_per_s']:,} ({r['sisimai']['records']:,} records) | 1× | {r['sisimai']['emails_per_cpu_s']:,} | 1× |

Net wall seconds per run, ours: {r['ours']['net_wall_s']}; {('before: ' + str(before['net_wall_s']) + '; ') if before else ''}Sisimai: {r['sisimai']['net_wall_s']}.
Load average (1, 5, 15 min) at the end: {[round(x, 2) for x in load]} on {m['nproc']} CPUs (other engineers'
tests share the machine: the CPU-time ratio is the steadier figure). Bar (issue 16): ≥ 2× Sisimai.
"""
    _replace_section(path, "\n## classify_bounces command (issue 16)\n", section)


def machine() -> dict[str, str]:
    cpu = cpu_model()
    perl_version = subprocess.run(["perl", "-MSisimai", "-e", "print $Sisimai::VERSION"], capture_output=True,
                                  text=True).stdout.strip() or "not installed"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "sisimai": perl_version, "perl": subprocess.run(["perl", "-e", "print $^V"], capture_output=True,
                                                            text=True).stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--command", action="store_true", help="time manage.py classify_bounces as a user runs it")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--before", help="also time the command at this git ref (e.g. a commit before a change)")
    args = parser.parse_args()
    if args.command:
        result = command_runs(args)
        load = os.getloadavg()
        print(json.dumps({**result, "load_average_1_5_15": [round(x, 2) for x in load]}, indent=1))
        if args.write:
            write_command_section(result, machine(), load)
        return
    files = sorted(CORPUS.glob("*.eml"))
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(ours_emails_per_second(files))
        baseline = sisimai_emails_per_second(files)
        if baseline:
            theirs.append(baseline)
    texts = sample_texts()
    repeating = [classify_repeating(texts, args.lines) for _ in range(args.runs)]
    distinct = [classify_distinct(texts, args.lines // 5, seed) for seed in range(args.runs)]
    m = machine()
    load = os.getloadavg()
    ours_eps = statistics.median(r for r, _, _ in ours)
    theirs_eps = statistics.median(r for r, _, _ in theirs) if theirs else None
    ours_cpu = statistics.median(c for _, _, c in ours)
    theirs_cpu = statistics.median(c for _, _, c in theirs) if theirs else None
    result = {
        "date": dt.date.today().isoformat(), **m, "emails": len(files), "runs": args.runs,
        "ours_emails_per_s": round(ours_eps), "ours_records": ours[0][1],
        "sisimai_emails_per_s": round(theirs_eps) if theirs_eps else None,
        "sisimai_records": theirs[0][1] if theirs else None,
        "ratio": round(ours_eps / theirs_eps, 2) if theirs_eps else None,
        "classify_repeating_per_s": round(statistics.median(repeating)),
        "classify_distinct_per_s": round(statistics.median(d for d, _ in distinct)),
        "classify_distinct_per_cpu_s": round(statistics.median(c for _, c in distinct)),
        "ours_emails_per_cpu_s": round(ours_cpu),
        "sisimai_emails_per_cpu_s": round(theirs_cpu) if theirs_cpu else None,
        "ratio_cpu": round(ours_cpu / theirs_cpu, 2) if theirs_cpu else None,
        "distinct_texts_in_sample": len({t for t, _, _ in texts}),
        "ours_runs": [round(r) for r, _, _ in ours], "sisimai_runs": [round(r) for r, _, _ in theirs],
        "load_average_1_5_15": [round(x, 2) for x in load],
    }
    print(json.dumps(result, indent=1))
    if args.write:
        write_section(result)


def write_section(r: dict) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    ratio = f"{r['ratio']}×" if r["ratio"] else "n/a (Sisimai not installed)"
    section = f"""
## Bounce engine

Measured {r['date']} with `bench/bench_bounces.py --runs {r['runs']}` (medians of {r['runs']} runs).
Machine: {r['nproc']} CPUs (`nproc`), {r['cpu']}; Python {r['python']}; baseline Sisimai {r['sisimai']}
(Debian `libsisimai-perl`, Perl {r['perl']}), run in the same process loop on the same files.

| measure | ours | baseline | bar |
|---|---|---|---|
| parse + classify the dev corpus ({r['emails']} emails, files read from disk each run, classify cache cleared) | {r['ours_emails_per_s']:,} emails/s ({r['ours_records']} records) | Sisimai {r['sisimai_emails_per_s'] or 'n/a'} emails/s ({r['sisimai_records']} records) | ≥ 2× Sisimai: **{ratio}** |
| classify, repeating texts (cache hits; {r['distinct_texts_in_sample']} distinct texts cycled) | {r['classify_repeating_per_s']:,} lines/s | | ≥ 200,000/s |
| classify, distinct texts (each text unique: IP and id varied; cache misses) | {r['classify_distinct_per_s']:,} lines/s | | ≥ 20,000/s |

The same runs per CPU second of each process (user + system; less sensitive to the other work on the
machine): ours {r['ours_emails_per_cpu_s']:,} emails/s, Sisimai {r['sisimai_emails_per_cpu_s']} emails/s
(**{r['ratio_cpu']}×**); classify distinct texts {r['classify_distinct_per_cpu_s']:,} lines/s.

Single process, single thread. Sisimai's figure includes Perl start-up and module loading once per run
(the whole corpus in one `perl` process), ours includes reading each file. Runs (emails/s), ours:
{r['ours_runs']}; Sisimai: {r['sisimai_runs']}. Load average (1, 5, 15 min) at the end of the run:
{r['load_average_1_5_15']} on {r['nproc']} CPUs (other engineers' tests share the machine).
"""
    _replace_section(path, "\n## Bounce engine\n", section)


def _replace_section(path: Path, heading: str, section: str) -> None:
    """Replace the section starting at `heading` in `path` (up to the next heading of any level: others
    append subsections), or append it when absent, instead of writing a second one."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find(heading)
    if start >= 0:
        following = re.compile(r"\n#{1,6} ").search(text, start + 1)
        end = following.start() if following else len(text)
        path.write_text(text[:start].rstrip("\n") + "\n" + section.rstrip("\n") + "\n" + text[end:])
    else:
        path.write_text(text.rstrip("\n") + "\n" + section)


if __name__ == "__main__":
    main()
