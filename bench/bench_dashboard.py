"""Dashboard benchmark: every page's server time, as staff and as a client, and the campaign page in a
real browser until every chart is drawn.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/deliverability_bench \\
    .venv/bin/python bench/bench_dashboard.py [--generate --events 10000000 --orgs 1] [--repeat 5] [--write]

--generate builds the data first with `generate_demo` (the real import path: CSV → COPY → enrichment
against the project's loopback DNS → verdicts → rollups). Without it the existing database is used.

The pages are not a hand list: every named URL pattern of the resolver gets values from the organisation
with the most events (its biggest campaign, upload, domain, vendor, a bounced recipient, its latest week),
and every link found on a visited page that resolves to a pattern is visited too (sort orders, next pages,
CSV downloads), up to MAX_VARIANTS per name. The crawl runs twice: as a staff user and as a client (a
manager of that organisation), each signed in with `Client.login` and landing through `follow=True`.

Server time: Django's test client in this process (the whole request: middleware, session, views,
queries, templates; no network); the crawl's visit is the warm-up and counts the queries, then the median
of --repeat; a streamed download is timed to its first data row (not just its byte-order mark or header).
Browser time: `manage.py runserver` in a subprocess, Debian's Chromium via Playwright, warm HTTP cache, from navigation start until charts.js marks every
figure drawn (html[data-charts-drawn], set when the last Plotly.newPlot resolves), median of 5.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import setup_django  # bench/machine.py, beside this script

ROOT = setup_django()

import logging  # noqa: E402

logging.getLogger("fontTools").setLevel(logging.WARNING)  # WeasyPrint's font subsetting (the weekly PDF)

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse  # noqa: E402

from deliverability.accounts.models import Membership, Organization  # noqa: E402
from deliverability.campaigns.models import Event, Recipient, Upload  # noqa: E402
from deliverability.verdicts.models import (  # noqa: E402
    CampaignDiagnosis,
    CampaignDomainStat,
    CampaignNote,
    CampaignTimeline,
    RecipientVerdict,
)

BAR_SERVER_MS = 150
BAR_BROWSER_MS = 500
BENCH_USER, BENCH_CLIENT, BENCH_PASSWORD = "bench-staff", "bench-client", "bench-staff-password-2026"


def generate(events: int, orgs: int, org: str) -> None:
    from deliverability.devtools.loopback_dns import DEMO_ZONES, LoopbackDNS

    with LoopbackDNS.from_file(DEMO_ZONES) as dns:
        settings.DNS_NAMESERVERS = [dns.nameserver]
        call_command("generate_demo", events=events, orgs=orgs, org=org)


# --- The crawl: every page from the URL resolver ------------------------------------------------

SKIP_NAMESPACES = {"admin"}  # Django's own admin: not a page of the product
NOT_CRAWLED = {"logout"}  # signs the crawler out
HREF = re.compile(r'href="([^"#]+)')
MAX_VARIANTS = 6  # per URL name: the bare page plus links found on pages (sorting, next page, CSV)


def routes() -> dict[str, URLPattern]:
    """Every named URL pattern (the same walk as the permission matrix's)."""
    found = {}

    def walk(patterns, namespace=None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace not in SKIP_NAMESPACES:
                    walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                found[f"{namespace}:{entry.name}" if namespace else entry.name] = entry

    walk(get_resolver().url_patterns)
    return found


def biggest_org():
    """The organisation with the most events (the scale case: one big client)."""
    row = (Event.objects.values("organization_id").annotate(n=Count("id")).order_by("-n").first()
           if Event.objects.exists() else None)
    if row is None:
        sys.exit("no events: run with --generate first")
    return Organization.objects.get(pk=row["organization_id"])


def kwarg_values(org) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A value for every URL keyword argument, from the organisation's biggest objects; and extra
    query strings per URL name (forms the crawl cannot follow as links: filters, searches)."""
    diag = (CampaignDiagnosis.objects.filter(campaign__organization=org).select_related("campaign")
            .order_by("-bounced", "-recipients", "-campaign_id").first())  # the most verdicts: the heaviest pages
    if diag is None:
        sys.exit("no diagnosed campaign in the biggest organisation: wait for its analysis")
    camp = diag.campaign
    upload = Upload.objects.filter(organization=org).order_by("-rows_done").first()
    stat = CampaignDomainStat.objects.filter(campaign=camp).order_by("-bounced", "domain").first()
    verdict = RecipientVerdict.objects.filter(campaign=camp).order_by("id").first()
    vendor = next((row["vendor_id"] for row in sorted((diag.by_vendor or {}).values(),
                                                      key=lambda r: -(r.get("bounced") or 0))
                   if row.get("vendor_id")), "proofpoint")
    note, _ = CampaignNote.objects.get_or_create(campaign=camp, body="Bench note: most refusals came from one gateway.")
    week = Event.objects.filter(organization=org, week__isnull=False).aggregate(w=Max("week"))["w"]
    values = {
        "org_slug": org.slug, "campaign_id": str(camp.pk), "upload_id": str(upload.pk),
        "recipient_id": str(verdict.recipient_id), "domain": stat.domain, "vendor_id": vendor,
        "week": week.isoformat() if week else "2026-11-02", "note_id": str(note.pk),
    }
    local = verdict.email.split("@")[0].split(".")[-1] or "garcia"
    extra = {
        "campaign": ["?kind=corporate&verdict=filter_rejection&sort=recipients", "?rverdict=invalid_recipient",
                     f"?answered_by={vendor}"],  # the vendor page's campaign link
        "search": ["?q=garcia", f"?q={verdict.email}", f"?q=@{stat.domain}", f"?q={local[:5]}"],
        "vendor_guidance": [f"?domain={stat.domain}&sender_domain=example.com"],
    }
    return values, extra


def seed_urls(values: dict[str, str], extra: dict[str, list[str]]) -> tuple[list[str], dict[str, str]]:
    """One URL per named pattern whose arguments all have a value (others are listed as not crawled)."""
    urls, skipped = [], {}
    for name, pattern in sorted(routes().items()):
        if name in NOT_CRAWLED:
            skipped[name] = "signs the crawler out"
            continue
        keys = list(pattern.pattern.converters)
        missing = [k for k in keys if k not in values]
        if missing:
            skipped[name] = f"no value for {', '.join(missing)} (a one-time link)"
            continue
        url = reverse(name, kwargs={k: values[k] for k in keys})
        urls.append(url)
        urls += [url + query for query in extra.get(name, [])]
    return urls, skipped


def _get(client: Client, url: str) -> tuple[int, float, float, bytes, bool]:
    """GET one URL: (status, ms to the first row, ms to the last, body, streaming). Streaming
    downloads are read to the end; their first data row is what the bar applies to."""
    started = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - started) * 1000
    if response.streaming:
        # Until the first data row (the header and a row: two line ends), not the first byte: a download
        # may send its byte-order mark and header before it has read anything.
        chunks, head = iter(response.streaming_content), b""
        for chunk in chunks:
            head += chunk
            if head.count(b"\n") >= 2:
                break
        first = (time.perf_counter() - started) * 1000
        body = head + b"".join(chunks)
    else:
        body = response.content
    return response.status_code, first, (time.perf_counter() - started) * 1000, body, response.streaming


def crawl(client: Client, seeds: list[str], limit_variants: int = MAX_VARIANTS,
          only: set[str] | None = None) -> tuple[list[dict], dict[str, int]]:
    """Visit the seeds and every link found on a visited page whose URL resolves to a named pattern,
    up to `limit_variants` distinct URLs per name (one per set of query parameters), only the names in
    `only` when given. Returns the pages that answered 200, each with its query count, and the others'
    status codes."""
    from collections import deque

    queue, seen, per_name, per_shape = deque(seeds), set(), {}, set()
    pages, other = [], {}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path, _, query = url.partition("?")
        try:
            match = resolve(path)
        except Resolver404:
            continue
        name = match.view_name
        if name.split(":")[0] in SKIP_NAMESPACES or name in NOT_CRAWLED or (only and name not in only):
            continue
        shape = (name, tuple(sorted(k for k, _ in parse_qsl(query, keep_blank_values=True))))
        if shape in per_shape or per_name.get(name, 0) >= limit_variants:
            continue
        per_shape.add(shape)
        per_name[name] = per_name.get(name, 0) + 1
        with CaptureQueriesContext(connection) as queries:
            status, first, total, body, streaming = _get(client, url)
        if status != 200:
            other[url] = status
            continue
        pages.append({"name": name, "url": url, "queries": len(queries), "streaming": streaming,
                      "csv": "csv" in url or url.endswith(".csv")})
        if not streaming and b"<html" in body[:2000].lower():
            for link in HREF.findall(body.decode("utf-8", "replace")):
                link = urljoin(url, html.unescape(link))  # "?sort=…" links are relative to the page
                if link.startswith("/") and not link.startswith(("/static/", "/admin/")):
                    queue.append(link)
    return pages, other


def time_pages(client: Client, pages: list[dict], repeat: int, label: str) -> list[dict]:
    """Median server time per page (first data row for streamed downloads) over `repeat` requests after the crawl's
    warm-up; a page over 2 s is measured three times only. Also this process's CPU time per whole request (the
    Python side without the database server's): steadier than the wall clock when other work shares the cores."""
    for page in pages:
        timings, totals, cpu = [], [], []
        for i in range(repeat):
            started = time.process_time()
            _, first, total, _, _ = _get(client, page["url"])
            cpu.append((time.process_time() - started) * 1000)
            timings.append(first)
            totals.append(total)
            if i == 1 and min(timings) > 2000:
                break
        page.update(who=label, median_ms=statistics.median(timings), max_ms=max(timings),
                    total_ms=statistics.median(totals), cpu_ms=statistics.median(cpu))
        print(f"  {label:<6} {page['median_ms']:8.1f} ms  {page['cpu_ms']:7.1f} ms CPU  {page['queries']:3d} q  "
              f"{page['url']}", flush=True)
    return pages


def signed_in(kind: str, org) -> Client:
    """A test client signed in through the login form's backend (Client.login, as a person would)."""
    user_model = get_user_model()
    username = BENCH_USER if kind == "staff" else BENCH_CLIENT
    user, _ = user_model.objects.get_or_create(username=username)
    user.is_staff = kind == "staff"
    user.set_password(BENCH_PASSWORD)
    user.save()
    if kind != "staff":
        Membership.objects.update_or_create(user=user, organization=org, defaults={"role": Membership.Role.MANAGER})
    client = Client(raise_request_exception=False)  # a failing page is reported with its status, not fatal
    if not client.login(username=username, password=BENCH_PASSWORD):
        sys.exit(f"Client.login failed for {username}")
    # follow=True from the home page: a client of one organisation lands on it.
    landing = client.get(reverse("home"), follow=True)
    assert landing.status_code == 200, landing.status_code
    return client


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
            page.click("form:has(input[name=password]) [type=submit]")
            page.wait_for_load_state()
            timings = []
            for i in range(runs + 1):
                page.goto(base + campaign_url)
                # A selector, not wait_for_function: the pages' CSP has no 'unsafe-eval' for the latter.
                page.wait_for_selector("html[data-charts-drawn]", state="attached", timeout=20000)
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


def write(results: list[dict], browser: dict | None, counts: dict, note: str, generated: str,
          skipped: dict[str, str], other: dict[str, int]) -> None:
    by_page = sorted(results, key=lambda r: -r["median_ms"])
    over = [r for r in results if r["median_ms"] > BAR_SERVER_MS]
    lines = [
        "", f"## Dashboard at scale ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
        f"`bench/bench_dashboard.py` on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; load average {_load()}. {note}", "",
        "Data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".", "",
    ]
    if generated:
        lines += [generated, ""]
    lines += [
        f"Crawl: every named URL pattern of the resolver with values from the biggest organisation, then every "
        f"link found on the pages (up to {MAX_VARIANTS} URLs per name), as staff and as a client (manager of the "
        f"organisation, signed in with `Client.login`): {len(results)} page visits answered 200, "
        f"{len(over)} over the {BAR_SERVER_MS} ms bar. Server time: Django's test client in-process, median of "
        "the repeats after the crawl's warm-up; streamed downloads to their first data row (header and one row).", "",
        "Slowest ten:", "", "| who | page | median ms | max ms | queries |", "|---|---|---:|---:|---:|",
    ]
    lines += [f"| {r['who']} | `{r['url']}` | {r['median_ms']:.1f} | {r['max_ms']:.1f} | {r['queries']} |"
              for r in by_page[:10]]
    if skipped or other:
        lines += ["", "Not crawled: " + "; ".join(f"`{k}` ({v})" for k, v in sorted(skipped.items()))
                  + ("; answered other than 200: " + ", ".join(f"`{u}` {s}" for u, s in sorted(other.items()))
                     if other else "") + "."]
    if browser:
        lines += ["", f"Browser (Debian Chromium headless, warm cache, `runserver`): campaign page from navigation "
                      f"start until every chart is drawn (charts.js, after each Plotly.newPlot resolves), median "
                      f"{browser['median_ms']:.0f} ms, max {browser['max_ms']:.0f} ms, {browser['charts']} charts "
                      f"(bar ≤ {BAR_BROWSER_MS} ms)."]
    with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def limit_statements(seconds: int) -> None:
    """PostgreSQL's statement_timeout on every connection the crawl opens (after --generate)."""
    from django.db.backends.signals import connection_created

    def apply(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(seconds) * 1000}")

    connection_created.connect(apply, weak=False)
    if connection.connection is not None:
        apply(None, connection)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1)
    parser.add_argument("--org", default="bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--statement-timeout", type=int, default=30,
                        help="seconds: a page whose query runs longer fails (listed with status 500) instead of "
                             "holding up the crawl")
    parser.add_argument("--pages", help="only these URL names, comma-separated (e.g. campaign,org_vendor): a "
                                        "before/after of the pages a change touches")
    parser.add_argument("--json", help="also save every page's figures to this file")
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print("warning: not PostgreSQL; the bars are defined on PostgreSQL")
    generated = ""
    if args.generate:
        started, load = time.monotonic(), _load()
        generate(args.events, args.orgs, args.org)
        generated = (f"Generated with `generate_demo --events {args.events} --orgs {args.orgs}` in "
                     f"{time.monotonic() - started:.0f} s (load average before {load}, after {_load()}).")
        print(generated)
    if connection.vendor == "postgresql":
        limit_statements(args.statement_timeout)
    counts = sizes()
    print("data:", counts)
    org = biggest_org()
    values, extra = kwarg_values(org)
    seeds, skipped = seed_urls(values, extra)
    results, other = [], {}
    for who in ("staff", "client"):
        client = signed_in(who, org)
        pages, refused = crawl(client, seeds, only=set(args.pages.split(",")) if args.pages else None)
        other.update({f"{u} ({who})": s for u, s in refused.items() if s != 405})
        skipped.update({reverse_name(u): "POST only" for u, s in refused.items() if s == 405})
        results += time_pages(client, pages, args.repeat, who)
    print("\nslowest ten:")
    for r in sorted(results, key=lambda r: -r["median_ms"])[:10]:
        print(f"  {r['who']:<6} {r['median_ms']:8.1f} ms  {r['queries']:3d} q  {r['url']}")
    print(f"{sum(r['median_ms'] > BAR_SERVER_MS for r in results)} of {len(results)} over {BAR_SERVER_MS} ms")
    load, browser = _load(), None
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "pages": results, "load": load}, indent=1,
                                              default=str))
    if not args.no_browser:
        browser = time_browser(reverse("campaign", kwargs={"org_slug": org.slug,
                                                           "campaign_id": values["campaign_id"]}))
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "pages": results, "browser": browser,
                                               "load": load}, indent=1, default=str))
    if args.write:
        write(results, browser, counts, args.note, generated, skipped, other)


def reverse_name(url: str) -> str:
    return resolve(url.partition("?")[0]).view_name


if __name__ == "__main__":
    main()
