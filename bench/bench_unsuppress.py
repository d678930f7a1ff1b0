"""ESP un-suppression benchmark: the recovery page and a per-ESP file on a large campaign, against the
plain recovery-list CSV of the same campaign (the baseline: the download that existed before).

    DATABASE_URL=postgres://USER@127.0.0.1:5432/DB .venv/bin/python bench/bench_unsuppress.py \\
        [--recipients 100000] [--repeat 5] [--write]

Builds one organisation ("bench-unsuppress", rebuilt each run) with one SendGrid campaign: every
recipient bounced (two thirds bounces, one third blocks, a fifth of them also an echo drop), 3% of
them reported spam, 2% complained in an older campaign, verdicts mixed as in a B2B campaign (45%
filter rejection, 20% sender issue, 10% temporary, 20% invalid, 5% unknown). Rows are written with
bulk_create (the import pipeline is measured by bench_import). Times are server times through
Django's test client (middleware, session, views, queries, template), first request a warm-up,
then the median of --repeat.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import setup_django  # bench/machine.py, beside this script

ROOT = setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from machine import describe  # noqa: E402  (bench/machine.py; the script's folder is on sys.path)

from deliverability.accounts.models import Organization  # noqa: E402
from deliverability.campaigns.models import Campaign, Event, Recipient, Upload  # noqa: E402
from deliverability.verdicts.models import RecipientVerdict  # noqa: E402
from deliverability.verdicts.recovery import campaign_recovery_plan  # noqa: E402

SLUG = "bench-unsuppress"
VERDICTS = [("filter_rejection", 45), ("sender_issue", 20), ("temporary", 10), ("invalid_recipient", 20), ("unknown", 5)]
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def build(recipients: int, seed: int = 7) -> tuple[Organization, Campaign]:
    Organization.objects.filter(slug=SLUG).delete()
    rng = random.Random(seed)
    org = Organization.objects.create(name="Bench un-suppression", slug=SLUG)
    campaign = Campaign.objects.create(organization=org, name="November", esp="SendGrid", sent_at=SENT)
    older = Campaign.objects.create(organization=org, name="October", esp="SendGrid", sent_at=SENT - timedelta(days=30))
    upload = Upload.objects.create(organization=org, campaign=campaign, original_name="events.json", sha256="b" * 64,
                                   file="uploads/none", status=Upload.Status.DONE, detected_format="sendgrid")
    people = Recipient.objects.bulk_create(
        [Recipient(organization=org, email=f"user{i}@company{i % 5000}.example", domain=f"company{i % 5000}.example")
         for i in range(recipients)], batch_size=5000)
    weights = [w for _, w in VERDICTS]
    events, verdicts = [], []
    for i, person in enumerate(people):
        common = {"organization": org, "recipient": person, "upload": upload, "domain": person.domain,
                  "occurred_at": SENT + timedelta(seconds=i % 3600)}
        blocked = i % 3 == 0
        events.append(Event(campaign=campaign, type="bounce", esp_event_id=f"b{i}",
                            esp_labels={"type": "blocked" if blocked else "bounce"}, **common))
        if i % 5 == 0:
            events.append(Event(campaign=campaign, type="suppressed", esp_event_id=f"s{i}",
                                esp_labels={"reason": "Bounced Address"}, **common))
        if rng.random() < 0.03:
            events.append(Event(campaign=campaign, type="complaint", esp_event_id=f"c{i}", **common))
        if rng.random() < 0.02:
            events.append(Event(campaign=older, type="complaint", esp_event_id=f"o{i}", **common))
        verdict = rng.choices([v for v, _ in VERDICTS], weights)[0]
        verdicts.append(RecipientVerdict(organization=org, campaign=campaign, recipient=person, email=person.email,
                                         domain=person.domain, outcome="bounce", computed_verdict=verdict,
                                         verdict=verdict, confidence=0.8))
    Event.objects.bulk_create(events, batch_size=5000)
    RecipientVerdict.objects.bulk_create(verdicts, batch_size=5000)
    return org, campaign


def timed(call, repeat: int) -> tuple[float, float, list[float]]:
    """Median wall time, median CPU time of this process (Django and Python; not the database
    server's), and the wall times of the runs."""
    call()  # warm-up
    runs, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(runs), statistics.median(cpu), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args()

    start = time.perf_counter()
    org, campaign = build(args.recipients)
    built = time.perf_counter() - start
    staff = get_user_model().objects.filter(username="bench-unsuppress-staff").first() or \
        get_user_model().objects.create_user("bench-unsuppress-staff", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    base = f"/o/{org.slug}/campaigns/{campaign.pk}"

    def get(url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            b"".join(response.streaming_content) if response.streaming else response.content
        return call

    plan = campaign_recovery_plan(campaign)
    rows = [
        ("plain recovery list CSV (baseline, existing download)", *timed(get(f"{base}/recovery-list.csv"), args.repeat)),
        ("per-ESP plan (campaign_recovery_plan: queries + rules)", *timed(lambda: campaign_recovery_plan(campaign), args.repeat)),
        ("un-suppression page", *timed(get(f"{base}/recovery/"), args.repeat)),
        ("SendGrid block deletions (JSON download)",
         *timed(get(f"{base}/recovery/download/?esp=sendgrid&file=sendgrid-blocks-delete.json"), args.repeat)),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM campaigns_event WHERE campaign_id = %s", [campaign.pk])
        events = cursor.fetchone()[0]
    load = os.getloadavg()
    lines = [
        f"## ESP un-suppression files ({datetime.now(UTC):%Y-%m-%d}, issue 21)",
        "",
        f"`bench/bench_unsuppress.py --recipients {args.recipients} --repeat {args.repeat}` on "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; machine: {describe()}. One SendGrid campaign of "
        f"{args.recipients:,} bounced recipients ({events:,} events, verdicts mixed as in B2B); the plan lists "
        f"{plan.total:,} addresses ({plan.esps['sendgrid'].lists}), leaves out {dict(plan.excluded)}. Data built in "
        f"{built:.1f} s (bulk_create). Server time through Django's test client, median of {args.repeat} after a warm-up.",
        "",
        "| request | median wall | median CPU (Django process) | runs, wall (s) |",
        "|---|---|---|---|",
        *[f"| {name} | {median:.2f} s | {cpu:.2f} s | {', '.join(f'{r:.2f}' for r in runs)} |"
          for name, median, cpu, runs in rows],
        "",
        f"Load average at the end: {[round(x, 2) for x in load]} on {os.cpu_count()} CPUs (other sessions' tests share them).",
        "",
    ]
    print("\n".join(lines))
    if args.write:
        with (ROOT / "docs" / "benchmarks.md").open("a") as out:
            out.write("\n" + "\n".join(lines))
    Organization.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
