"""Dashboard benchmark: server time per page (median of --repeat requests) and the campaign page in
a real browser until every chart is drawn.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/deliverability_bench \\
    .venv/bin/python bench/bench_dashboard.py [--generate --events 1000000 --orgs 1] [--repeat 7] [--write]

--generate builds the data first with `generate_demo` (the real import path: CSV → COPY → enrichment
against the project's loopback DNS → verdicts → rollups). Without it the existing database is used.

Server time: Django's test client in this process (the whole request: middleware, session, views,
queries, templates; no network), one warm-up request, then the median of --repeat. Browser time:
`manage.py runserver` in a subprocess, Debian's Chromium via Playwright, warm HTTP cache, from
navigation start until charts.js marks every figure drawn (html[data-charts-drawn]), median of 5.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from deliverability.campaigns.models import Event, Recipient  # noqa: E402
from deliverability.verdicts.models import (  # noqa: E402
    CampaignDiagnosis,
    CampaignDomainStat,
    CampaignTimeline,
    RecipientVerdict,
)

BAR_SERVER_MS = 150
BAR_BROWSER_MS = 500
BENCH_USER, BENCH_PASSWORD = "bench-staff", "bench-staff-password-2026"


def generate(events: int, orgs: int, org: str) -> None:
    from deliverability.devtools.loopback_dns import DEMO_ZONES, LoopbackDNS

    with LoopbackDNS.from_file(DEMO_ZONES) as dns:
        settings.DNS_NAMESERVERS = [dns.nameserver]
        call_command("generate_demo", events=events, orgs=orgs, org=org)


def staff_user():
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(BENCH_PASSWORD)
    user.save()
    return user


def pages() -> dict[str, str]:
    """The pages to time, on the biggest campaign / domain / bounced recipient in the database."""
    diag = CampaignDiagnosis.objects.select_related("campaign__organization").order_by("-recipients").first()
    if diag is None:
        sys.exit("no diagnosed campaign: run with --generate first")
    camp, org = diag.campaign, diag.campaign.organization
    stat = CampaignDomainStat.objects.filter(campaign=camp).order_by("-bounced", "domain").first()
    verdict = RecipientVerdict.objects.filter(campaign=camp).order_by("id").first()
    vendor = next((row["vendor_id"] for row in (diag.by_vendor or {}).values() if row.get("vendor_id")), "proofpoint")
    c = {"org_slug": org.slug, "campaign_id": camp.pk}
    urls = {
        "home (staff)": reverse("home"),
        "organisation": reverse("organization", args=[org.slug]),
        "campaign": reverse("campaign", kwargs=c),
        "campaign, filtered (corporate, filter_rejection, by recipients)":
            reverse("campaign", kwargs=c) + "?kind=corporate&verdict=filter_rejection&sort=recipients",
        "recipient drill-down": reverse("campaign_recipient", kwargs={**c, "recipient_id": verdict.recipient_id}),
        "domain (in organisation)": reverse("org_domain", args=[org.slug, stat.domain]),
        "vendor (in organisation)": reverse("org_vendor", args=[org.slug, vendor]),
        "search, part of an address": reverse("search", args=[org.slug]) + "?q=garcia",
        "search, one address (whole history)": reverse("search", args=[org.slug]) + f"?q={verdict.email}",
        "staff: vendors": reverse("staff_vendors"),
        "staff: vendor": reverse("staff_vendor", args=[vendor]),
        "staff: domain": reverse("staff_domain", args=[stat.domain]),
        "recovery list CSV": reverse("campaign_recovery_list", kwargs=c),
    }
    return urls


def time_server(urls: dict[str, str], repeat: int) -> dict[str, dict]:
    client = Client()
    client.force_login(staff_user())
    results = {}
    for name, url in urls.items():
        timings = []
        for i in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (name, url, response.status_code)
            if i:
                timings.append(elapsed)
        results[name] = {"url": url, "median_ms": statistics.median(timings), "max_ms": max(timings),
                         "bytes": len(response.content) if not response.streaming else None}
        print(f"  {name:<66} {results[name]['median_ms']:7.1f} ms (max {results[name]['max_ms']:.1f})", flush=True)
    return results


def time_browser(campaign_url: str, runs: int = 5) -> dict | None:
    if not os.access("/usr/bin/chromium", os.X_OK):
        print("  /usr/bin/chromium missing: browser timing skipped")
        return None
    from playwright.sync_api import sync_playwright

    port = 8765
    env = {**os.environ, "DEBUG": "1"}
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for _ in range(50):
                try:
                    page.goto(f"{base}/accounts/login/", timeout=2000)
                    break
                except Exception:
                    time.sleep(0.2)
            page.fill("input[name=username]", BENCH_USER)
            page.fill("input[name=password]", BENCH_PASSWORD)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state()
            timings = []
            for i in range(runs + 1):
                page.goto(base + campaign_url)
                page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=20000)
                drawn = float(page.evaluate("document.documentElement.dataset.chartsDrawn"))
                charts = page.locator("div.plotly-figure[data-drawn='1']").count()
                if i:  # the first visit fills the HTTP cache (plotly.js is 1.2 MB)
                    timings.append(drawn)
            browser.close()
        result = {"median_ms": statistics.median(timings), "max_ms": max(timings), "charts": charts}
        print(f"  browser: campaign page until every chart is drawn  {result['median_ms']:.0f} ms "
              f"(max {result['max_ms']:.0f}, {charts} charts)")
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


def sizes() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "recipients": Recipient.objects.count(),
        "verdicts": RecipientVerdict.objects.count(),
        "domain stats": CampaignDomainStat.objects.count(),
        "timeline rows": CampaignTimeline.objects.count(),
        "campaigns diagnosed": CampaignDiagnosis.objects.count(),
        "largest campaign (recipients)": CampaignDiagnosis.objects.order_by("-recipients")
        .values_list("recipients", flat=True).first() or 0,
        "largest campaign (domain rows)": max((CampaignDomainStat.objects.filter(campaign_id=cid).count() for cid in
                                               CampaignDiagnosis.objects.values_list("campaign_id", flat=True)),
                                              default=0),
    }


def write(results: dict, browser: dict | None, counts: dict, note: str) -> None:
    lines = [
        "", f"## Dashboard ({datetime.now(UTC):%Y-%m-%d})", "",
        f"`bench/bench_dashboard.py` on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}. {note}", "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".", "",
        f"Server time per page (Django test client in-process, median of several requests after a warm-up; "
        f"bar ≤ {BAR_SERVER_MS} ms):", "",
        "| page | median ms | max ms |", "|---|---:|---:|",
    ]
    lines += [f"| {name} | {r['median_ms']:.1f} | {r['max_ms']:.1f} |" for name, r in results.items()]
    if browser:
        lines += ["", f"Browser (Debian Chromium headless, warm cache, `runserver`): campaign page until every "
                      f"chart is drawn, median {browser['median_ms']:.0f} ms, max {browser['max_ms']:.0f} ms, "
                      f"{browser['charts']} charts (bar ≤ {BAR_BROWSER_MS} ms)."]
    with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1)
    parser.add_argument("--org", default="bench")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print("warning: not PostgreSQL; the bars are defined on PostgreSQL")
    if args.generate:
        started = time.monotonic()
        generate(args.events, args.orgs, args.org)
        print(f"generated in {time.monotonic() - started:.0f} s")
    counts = sizes()
    print("data:", counts)
    urls = pages()
    results = time_server(urls, args.repeat)
    browser = time_browser(urls["campaign"])
    if args.write:
        write(results, browser, counts, args.note)


if __name__ == "__main__":
    main()
