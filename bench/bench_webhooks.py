"""Webhook burst benchmark (issue 21): 10,000 SendGrid events in one minute, in signed POSTs of 100–1,000
events, to gunicorn with a real Celery worker on PostgreSQL + Redis.

    .venv/bin/python bench/bench_webhooks.py [--events 10000] [--seconds 60] [--senders 4] [--runs 3]
        [--worker-nice 0] [--write]

Makes a throwaway database (bench_webhooks), migrates it, starts the project's loopback DNS, gunicorn
(2 gthread workers × 4 threads) and one Celery worker (-c 1, every queue), then, --runs times, each time
for a fresh organisation and endpoint:
1. baseline: the same bodies posted to a token that names no endpoint (Django, routing, the 404 answer:
   everything but verifying and storing), as fast as the senders can;
2. burst: the bodies, each signed as SendGrid signs (ECDSA), spread evenly over --seconds by --senders
   threads; then every tenth request sent again (an ESP retry: acknowledged, not stored again);
3. waits for the campaign's rollups (CampaignDiagnosis, what the campaign page reads) to count every
   recipient, and reports the time from the last request.
Latency is measured at the client, per request (p50, p95, max). Checks: every request 200, one stored
payload per distinct body, 10,000 events exactly.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "bench_webhooks"
DATABASE_URL = f"postgres://root@127.0.0.1:5432/{DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
os.environ.update({"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DEBUG": "0",
                   "SECRET_KEY": "bench-webhooks-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1,localhost",
                   "DJANGO_SETTINGS_MODULE": "deliverability.settings"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_batches(total: int, seed: int = 21) -> list[list[dict]]:
    """SendGrid batches of 100–1,000 events: 30% bounces (blocks and unknown users), 60% deliveries, 10% opens,
    over 4,000 companies; one campaign (the category)."""
    rng = random.Random(seed)
    batches, n = [], 0
    while n < total:
        size = min(rng.randint(100, 1000), total - n)
        batch = []
        for i in range(n, n + size):
            email = f"user{i}@company{i % 4000}.example"
            kind = rng.random()
            event = {"email": email, "timestamp": 1793613605 + i % 3600, "sg_event_id": f"sg-{i}",
                     "sg_message_id": f"m-{i}.filter0001", "category": "Burst"}
            if kind < 0.2:
                event.update(event="bounce", type="bounce", status="5.1.1", reason="550 5.1.1 user unknown")
            elif kind < 0.3:
                event.update(event="bounce", type="blocked", status="5.7.1",
                             reason="550 5.7.1 Message rejected by policy")
            elif kind < 0.9:
                event.update(event="delivered", response="250 2.0.0 OK")
            else:
                event.update(event="open", useragent="Mozilla/5.0")
            batch.append(event)
        batches.append(batch)
        n += size
    return batches


def post(url: str, body: bytes, headers: dict) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def send_all(jobs: list[tuple[str, bytes, dict]], senders: int, seconds: float) -> list[tuple[int, float]]:
    """Send `jobs` from `senders` threads, request k at start + k * seconds / len(jobs) (0: back to back)."""
    results: list = [None] * len(jobs)
    start = time.monotonic() + 0.2
    step = seconds / len(jobs) if seconds else 0.0
    lock = threading.Lock()
    todo = iter(range(len(jobs)))

    def run() -> None:
        while True:
            with lock:
                k = next(todo, None)
            if k is None:
                return
            wait = start + k * step - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            url, body, headers = jobs[k]
            results[k] = post(url, body, headers() if callable(headers) else headers)

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


def summary(results: list[tuple[int, float]]) -> dict:
    times = [t * 1000 for _, t in results]
    return {"requests": len(results), "statuses": sorted({s for s, _ in results}),
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="bursts, each to a fresh organisation")
    parser.add_argument("--worker-nice", type=int, default=0, help="niceness of the Celery worker (web tier first)")
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args()

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "root", DB], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    from machine import describe  # bench/machine.py

    from deliverability.accounts.models import Organization
    from deliverability.campaigns.models import Campaign, Event
    from deliverability.devtools.loopback_dns import DEMO_ZONES, LoopbackDNS
    from deliverability.verdicts.models import CampaignDiagnosis
    from deliverability.webhooks import verify
    from deliverability.webhooks.models import WebhookEndpoint, WebhookPayload

    dns = LoopbackDNS.from_file(DEMO_ZONES).start()
    env = {**os.environ, "DNS_NAMESERVERS": dns.nameserver}
    port = free_port()
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_webhooks"
    logs.mkdir(exist_ok=True)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "deliverability.wsgi:application", "-b",
                            f"127.0.0.1:{port}", "-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"],
                           cwd=ROOT, env=env, stdout=open(logs / "gunicorn.log", "w"),  # noqa: SIM115 - open until the end
                           stderr=subprocess.STDOUT)
    worker = subprocess.Popen(["nice", "-n", str(args.worker_nice), sys.executable, "-m", "celery", "-A",
                               "deliverability", "worker", "-c", "1", "-Q", "default,import,enrich,reports",
                               "-n", f"bench-{port}@%h", "--loglevel", "INFO"],
                              cwd=ROOT, env=env, stdout=open(logs / "worker.log", "w"),  # noqa: SIM115 - open until the end
                              stderr=subprocess.STDOUT)
    runs = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        batches = make_batches(args.events)
        bodies = [json.dumps(batch).encode() for batch in batches]
        print(f"{len(bodies)} requests, {args.events} events, {args.senders} senders, machine: {describe()}",
              file=sys.stderr)
        send_all([(f"{base}/hooks/sendgrid/no-such-token/", b, {}) for b in bodies[:10]] * 2, args.senders, 0)  # warm-up
        for run in range(args.runs):
            org = Organization.objects.create(name=f"Bench webhooks {run}", slug=f"bench-webhooks-{run}")
            private, public = verify.new_sendgrid_keys()
            endpoint = WebhookEndpoint.objects.create(organization=org, esp="sendgrid", name="burst",
                                                      signing_key=public, campaign_label="category")
            hook = f"{base}/hooks/sendgrid/{endpoint.token}/"

            def signed(body: bytes, private=private):
                def headers() -> dict:  # signed when sent, as SendGrid does: the timestamp is fresh
                    stamp = str(int(time.time()))
                    return {"X-Twilio-Email-Event-Webhook-Timestamp": stamp,
                            "X-Twilio-Email-Event-Webhook-Signature": verify.sign_sendgrid(private, stamp, body)}
                return headers

            baseline = send_all([(f"{base}/hooks/sendgrid/no-such-token/", b, {}) for b in bodies], args.senders, 0)
            paced = send_all([(hook, b, signed(b)) for b in bodies], args.senders, args.seconds)
            last_request = time.monotonic()
            retries = send_all([(hook, b, signed(b)) for b in bodies[::10]], args.senders, 0)
            # The rollups count recipients with a send outcome (a delivery or a bounce; an open alone is not one).
            expected = len({e["email"] for batch in batches for e in batch if e["event"] in ("bounce", "delivered")})
            reflected = None
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                diagnosis = CampaignDiagnosis.objects.filter(campaign__organization=org, campaign__name="Burst").first()
                if diagnosis is not None and diagnosis.recipients == expected:
                    reflected = time.monotonic() - last_request
                    break
                time.sleep(1)
            runs.append({
                "baseline_404": summary(baseline), "burst_paced": summary(paced), "retries": summary(retries),
                "payloads_stored": WebhookPayload.objects.filter(endpoint=endpoint).count(),
                "distinct_bodies": len(set(bodies)), "events_stored": Event.objects.filter(organization=org).count(),
                "events_sent": args.events, "micro_batches": org.uploads.count(),
                "campaigns": Campaign.objects.filter(organization=org).count(),
                "campaign_rollup_after_last_request_s": round(reflected, 1) if reflected is not None else None,
                "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]})
            print(json.dumps(runs[-1]), file=sys.stderr)
            time.sleep(5)  # the last analysis done before the next burst
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        dns.stop()

    print(json.dumps(runs, indent=2))
    if args.write:
        write(runs, args, describe())


def write(runs: list[dict], args, machine: str) -> None:
    rows = []
    for i, run in enumerate(runs, 1):
        b, p, r = run["baseline_404"], run["burst_paced"], run["retries"]
        rows.append(f"| {i} | {b['p50_ms']} / {b['p95_ms']} | {p['requests']} | {p['statuses']} | {p['p50_ms']} | "
                    f"**{p['p95_ms']}** | {p['max_ms']} | {r['statuses']} {r['p95_ms']} | {run['payloads_stored']}/"
                    f"{run['distinct_bodies']} | {run['events_stored']:,}/{run['events_sent']:,} | "
                    f"{run['micro_batches']} | {run['campaign_rollup_after_last_request_s']} | "
                    f"{run['load_average_1_5_15'][0]} |")
    median_p95 = statistics.median(run["burst_paced"]["p95_ms"] for run in runs)
    median_base = statistics.median(run["baseline_404"]["p95_ms"] for run in runs)
    nl = "\n"
    text = f"""
## Webhook burst ({datetime.now(UTC):%Y-%m-%d}, issue 21, worker nice {args.worker_nice})

`bench/bench_webhooks.py --events {args.events} --seconds {args.seconds:g} --senders {args.senders} --runs {args.runs}
--worker-nice {args.worker_nice}`: per run, a fresh organisation receives {args.events:,} SendGrid events in signed POSTs of
100–1,000 events spread over {args.seconds:g} s by {args.senders} client threads; gunicorn (2 gthread workers × 4
threads) and one Celery worker (-c 1, niceness {args.worker_nice}) on PostgreSQL + Redis; {machine}. The machine is
shared with other sessions (load average column). Latency at the client, per request, in ms. Baseline: the same
bodies, back to back, to a token naming no endpoint (Django and routing; no verification, no storing).

| run | baseline p50 / p95 | requests | statuses | p50 | p95 | max | retries (every 10th again): statuses, p95 | payloads / distinct bodies | events stored / sent | micro-batches | rollups complete after last request, s | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
{nl.join(rows)}

Median over runs: burst p95 {median_p95} ms (bar: 100 ms), baseline p95 {median_base} ms.
"""
    with open(ROOT / "docs" / "benchmarks.md", "a") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
