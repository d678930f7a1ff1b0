"""Upload pages at scale (issue 19): the deletion confirmation (it counts what would go), the retry form of
an upload that imported nothing (it surveys the file and previews its first rows), against the upload
page of the same upload as it was before (the baseline, in the same run).

    DATABASE_URL=postgres://USER@127.0.0.1:5432/NAME .venv/bin/python bench/bench_upload_pages.py \\
        [--rows 1000000] [--repeat 5] [--write docs/benchmarks.md]

NAME is a throwaway database: it is dropped and created again first.

Data, through the real import path (receive_upload → run_import, no analysis: the pages read no verdict):
an upload of --rows events over rows/2 addresses in three campaigns, a second upload naming a fifth of
those addresses again (so the confirmation has addresses that stay), and a CSV of --rows rows whose status
values we do not read (German), which imports nothing and gets the retry form. Server time: Django's test
client in this process (middleware, session, view, queries, template), signed in as staff; the median of
--repeat after one warm-up request.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import setup_django  # bench/machine.py, beside this script

ROOT = setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.machine import describe  # noqa: E402
from deliverability.accounts.models import Organization  # noqa: E402
from deliverability.campaigns import services  # noqa: E402
from deliverability.campaigns.models import Upload  # noqa: E402

SLUG = "bench-upload-pages"
STATUSES = ["delivered"] * 8 + ["bounce", "open"]
GERMAN = ["zugestellt"] * 8 + ["unzustellbar", "geöffnet"]


def _csv(path: Path, rows: int, *, first: int = 0, addresses: int, german: bool = False) -> None:
    words = GERMAN if german else STATUSES
    with open(path, "w", encoding="utf-8") as out:
        out.write("Kontakt;Ergebnis;Zeit;Kampagne\n" if german else "email,status,timestamp,campaign\n")
        sep = ";" if german else ","
        for i in range(first, first + rows):
            a = i % addresses  # each address twice in the big upload; the overlap names the first fifth again
            out.write(f"user{a}@company{a % 9973}.example{sep}{words[i % len(words)]}{sep}"
                      f"2026-11-{2 + i % 3:02d}T09:{i % 60:02d}:00Z{sep}Campaign {i % 3}\n")


def _import(org, path: Path, name: str) -> Upload:
    received = services.receive_upload(org, path, original_name=name)
    services.run_import(received.upload.pk, analyse=False)
    received.upload.refresh_from_db()
    return received.upload


def _median_ms(client: Client, url: str, repeat: int, data: dict | None = None) -> float:
    def once() -> float:
        start = time.perf_counter()
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return (time.perf_counter() - start) * 1000

    once()
    return statistics.median(once() for _ in range(repeat))


def _fresh_database() -> None:
    import psycopg

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params.pop("cursor_factory", None)
    connection.close()
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", help="append the results to this Markdown file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database")
    _fresh_database()
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="Bench upload pages", slug=SLUG, timezone="Europe/Madrid")
    staff = get_user_model().objects.filter(username="bench-upload-staff").first() or \
        get_user_model().objects.create_user("bench-upload-staff", is_staff=True)
    addresses = max(1, args.rows // 2)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        big, overlap, german = Path(tmp, "big.csv"), Path(tmp, "overlap.csv"), Path(tmp, "german.csv")
        _csv(big, args.rows, addresses=addresses)
        _csv(overlap, max(1, args.rows // 5), first=args.rows, addresses=addresses // 5 or 1)
        _csv(german, args.rows, addresses=addresses, german=True)
        done = _import(org, big, "big.csv")
        _import(org, overlap, "overlap.csv")
        failed = _import(org, german, "german.csv")
        prepared = time.perf_counter() - started
    assert done.status == Upload.Status.DONE and failed.status == Upload.Status.FAILED, (done.error, failed.error)
    client = Client()
    client.force_login(staff)
    detail = reverse("upload_detail", args=[SLUG, done.pk])
    figures = {
        "upload page, imported (baseline)": _median_ms(client, detail, args.repeat),
        "deletion confirmation (counts)": _median_ms(client, reverse("upload_delete", args=[SLUG, done.pk]), args.repeat),
        "retry form of an upload that imported nothing (survey + preview)": _median_ms(
            client, reverse("upload_detail", args=[SLUG, failed.pk]), args.repeat),
        "retry form, preview with status values posted": _median_ms(
            client, reverse("upload_detail", args=[SLUG, failed.pk]), args.repeat, data={
                "action": "preview", "map_0": "email", "map_1": "event_type", "map_2": "occurred_at",
                "map_3": "campaign", "status_value_0": "zugestellt", "status_0": "delivered",
                "status_value_1": "unzustellbar", "status_1": "bounce", "status_value_2": "geöffnet",
                "status_2": "open"}),
    }
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute("SELECT count(*) FROM campaigns_event WHERE upload_id = %s", [done.pk])
        cursor.fetchone()
        figures["SELECT count(*) of the upload's events (floor)"] = (time.perf_counter() - start) * 1000
    load = os.getloadavg()[0]
    lines = [
        f"\n### Upload pages at scale ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, bench/bench_upload_pages.py)\n",
        f"{describe()}; PostgreSQL; load average {load:.1f} at the end; {args.rows:,} events in the upload "
        f"({addresses:,} addresses, {args.rows // 5:,} more rows in a second upload naming a fifth of them "
        f"again), a {args.rows:,}-row German CSV that imported nothing; data prepared in {prepared:.0f} s. "
        f"Server time, median of {args.repeat} after a warm-up, signed in as staff:\n",
        "| page | ms |", "|---|---:|",
        *(f"| {name} | {ms:,.0f} |" for name, ms in figures.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(text)


if __name__ == "__main__":
    main()
