"""Crash drill (issue 17 item 3): kill -9 the whole Celery worker — its main process and its pool child —
at a third of a 300k-row import, start a new worker, and time until the upload is imported; every count
must be exact.

    .venv/bin/python bench/drill_worker_crash.py [--rows 300000] [--batch 20000] [--runs 1] [--write docs/benchmarks.md]

The worker is killed as soon as a third of the rows are committed (it reads the upload's progress), so
the lost run has really written a third; --batch sets IMPORT_BATCH_SIZE for the workers (default 20k rows,
so that a third lands on a batch boundary; the product's default is 80k).

Deployed as the README says: a prefork worker (concurrency 2) and a separate `celery beat`, which
survives the worker's death and sends campaigns.tasks.recover_uploads every IMPORT_RECOVERY_EVERY_SECONDS;
it queues the import again once its heartbeat is older than IMPORT_LOST_AFTER_SECONDS (the settings'
defaults unless given) and its PostgreSQL lock is free. The broker's own redelivery (visibility timeout,
an hour) plays no part. Workers consume the import and default queues only: the analysis that follows an
import (enrich queue) is left queued, so "done" is the import done, as the upload page shows it.

Baseline in the same run: the same file imported by an undisturbed worker (queued → imported). Creates a
throwaway PostgreSQL database (drill_worker_crash) on 127.0.0.1:5432 (trust auth) and uses Redis
database 13 of REDIS_URL's server (default 127.0.0.1:6379).
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench_import import generate  # noqa: E402  (the script's folder is on sys.path)
from machine import describe  # noqa: E402

DB = "drill_worker_crash"


def celery(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """A Celery process in a session of its own: os.killpg reaches it and every child it forks."""
    handle = open(log, "a")  # noqa: SIM115 - the process writes to it until it ends
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "deliverability", *args], cwd=ROOT, env=env,
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def start_worker(env: dict, log: Path, name: str) -> subprocess.Popen:
    from deliverability.celery import app

    worker = celery(env, log, "worker", "-Q", "import,default", "-c", "2", "-n", f"{name}@%h",
                    "--without-gossip", "--without-mingle", "--loglevel", "INFO")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited at start: {log.read_text()[-2000:]}")
        if app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
            return worker
    raise SystemExit(f"the worker did not answer within 60 s: {log.read_text()[-2000:]}")


def kill_whole(process: subprocess.Popen) -> int:
    """SIGKILL to the worker's process group (main process and pool children); returns how many died."""
    children = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return len(children)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown: SIGTERM to the main process alone, which lets its running task finish."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def expected(path: Path) -> tuple[int, int]:
    rows, emails = 0, set()
    with path.open() as handle:
        next(handle)
        for line in handle:
            rows += 1
            emails.add(line.split(",", 1)[0])
    return rows, len(emails)


def upload(org_name: str, path: Path):
    from deliverability.accounts.models import Organization
    from deliverability.campaigns import services, tasks

    org = Organization.objects.create(name=org_name, slug=org_name.lower().replace(" ", "-"))
    received = services.receive_upload(org, path, original_name=path.name)
    tasks.start_import(received.upload)
    return org, received.upload.pk


def wait(pk: int, until, timeout: float, every: float = 0.2):
    from deliverability.campaigns.models import Upload

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Upload.objects.get(pk=pk)
        if until(row):
            return row
        time.sleep(every)
    raise SystemExit(f"upload {pk} still {row.status} ({row.rows_done} rows) after {timeout} s")


def check(org, pk: int, rows: int, addresses: int) -> None:
    from deliverability.campaigns.models import Event, Recipient, Upload

    done = Upload.objects.get(pk=pk)
    found = (Event.objects.filter(upload_id=pk).count(), Recipient.objects.filter(organization=org).count(),
             done.summary.get("events"), done.summary.get("new_recipients"))
    assert found == (rows, addresses, rows, addresses), f"counts {found}, expected {(rows, addresses, rows, addresses)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=20_000, help="IMPORT_BATCH_SIZE of the workers")
    parser.add_argument("--runs", type=int, default=1, help="drills (each with its own baseline import)")
    parser.add_argument("--write", help="append the results to this markdown file")
    args = parser.parse_args()

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "root", DB], check=True)
    redis_base = (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").rpartition("/")[0]
    work = Path(tempfile.mkdtemp(prefix="drill-"))
    env = {**os.environ, "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{DB}", "REDIS_URL": f"{redis_base}/13",
           "SECRET_KEY": os.environ.get("SECRET_KEY", "drill"), "MEDIA_ROOT": str(work / "media"),
           "DJANGO_SETTINGS_MODULE": "deliverability.settings", "IMPORT_BATCH_SIZE": str(args.batch)}
    os.environ.update(env)
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    path = work / "drill.csv"
    generate(path, args.rows)
    rows, addresses = expected(path)
    beat = celery(env, work / "beat.log", "beat", "-s", str(work / "beat-schedule"), "--loglevel", "INFO")
    results = []
    try:
        for run in range(args.runs):
            worker = start_worker(env, work / f"baseline{run}.log", f"baseline{run}")
            started = time.monotonic()
            org, pk = upload(f"Baseline {run}", path)
            wait(pk, lambda u: u.status == "done", 600)
            baseline = time.monotonic() - started
            check(org, pk, rows, addresses)
            stop(worker)

            worker = start_worker(env, work / f"doomed{run}.log", f"doomed{run}")
            org, pk = upload(f"Drill {run}", path)
            first_start = wait(pk, lambda u: u.status == "running", 60, every=0.05).started_at
            rows_at_kill = wait(pk, lambda u: u.rows_done >= rows // 3, 600, every=0.05).rows_done
            processes = kill_whole(worker)
            killed_at = time.monotonic()
            worker = start_worker(env, work / f"recovering{run}.log", f"recovering{run}")
            worker_up = time.monotonic() - killed_at
            wait(pk, lambda u, first=first_start: u.started_at != first, 600, every=0.5)
            requeued = time.monotonic() - killed_at
            wait(pk, lambda u: u.status == "done", 600)
            recovered = time.monotonic() - killed_at
            check(org, pk, rows, addresses)
            stop(worker)
            results.append({"baseline": baseline, "rows_at_kill": rows_at_kill, "processes": processes,
                            "worker_up": worker_up, "requeued": requeued, "recovered": recovered})
            print(results[-1], flush=True)
    finally:
        stop(beat)
    median = {key: statistics.median(r[key] for r in results) for key in results[0]}
    load = os.getloadavg()
    lines = [
        "",
        f"### Crash drill: whole worker killed at a third of a {rows:,}-row import "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `bench/drill_worker_crash.py --rows {args.rows} --runs {args.runs}`)",
        "",
        f"{describe()}; PostgreSQL and Redis on the same machine; load average {load[0]:.2f} at the end (other "
        f"sessions share the 2 cores). Prefork worker (concurrency 2) killed with SIGKILL to its process group "
        f"({median['processes']:.0f} processes); separate `celery beat`; IMPORT_LOST_AFTER_SECONDS="
        f"{settings.IMPORT_LOST_AFTER_SECONDS}, IMPORT_RECOVERY_EVERY_SECONDS={settings.IMPORT_RECOVERY_EVERY_SECONDS}, "
        f"visibility timeout {settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']} s (plays no part). "
        f"File: {rows:,} rows, {addresses:,} addresses (bench_import's list shape). Medians of {len(results)} run(s).",
        "",
        "| measure | seconds |",
        "|---|---|",
        f"| baseline: the same import, undisturbed (queued → imported) | {median['baseline']:.1f} |",
        f"| rows committed when the worker died (of {rows:,}; batches of {args.batch:,}) | {median['rows_at_kill']:,.0f} rows |",
        f"| kill → new worker answering | {median['worker_up']:.1f} |",
        f"| kill → import queued again and started by the new worker | {median['requeued']:.1f} |",
        f"| **kill → imported, exact counts** (target < 180) | **{median['recovered']:.1f}** |",
        "",
        f"Counts after recovery, every run: {rows:,} events, {addresses:,} addresses, summary events and new "
        "addresses equal (the rerun first removes what the lost run left).",
        "",
    ]
    print("\n".join(lines), flush=True)
    if args.write:
        with open(args.write, "a") as handle:
            handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
