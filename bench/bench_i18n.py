"""What reading the portal in Catalan or Spanish costs (issue 23): server time of the client pages with the
user's language Catalan and Spanish against English, the baseline, in the same run and on the same data.

    .venv/bin/python bench/bench_i18n.py [--repeat 9] [--write docs/benchmarks.md]

Data: the demo's CSV (campaigns.demo.write_demo_csv, seed 7) imported and analysed through the real path
into a throwaway SQLite database (the loopback DNS of the demo answers). Server time: Django's test client
in this process (middleware, session, view, queries, templates, catalogue look-ups), signed in as a client
viewer whose profile holds the language; the median of --repeat, the languages interleaved in a rotating
order after one warm-up request per page and language.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-i18n-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.machine import describe  # noqa: E402
from deliverability.accounts.models import Membership, Organization, Profile  # noqa: E402
from deliverability.campaigns import services  # noqa: E402
from deliverability.campaigns.demo import write_demo_csv  # noqa: E402
from deliverability.campaigns.management.commands.demo import DEMO_ZONES  # noqa: E402
from deliverability.campaigns.models import Campaign  # noqa: E402
from deliverability.devtools.loopback_dns import LoopbackDNS  # noqa: E402
from deliverability.verdicts.analysis import analyze_upload  # noqa: E402
from deliverability.verdicts.models import RecipientVerdict  # noqa: E402

LANGUAGES = ("en", "ca", "es")


def _time_ms(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="Lumen Analytics", slug="lumen", timezone="Europe/Madrid")
    path = WORK / "demo.csv"
    write_demo_csv(path, seed=7)
    with LoopbackDNS.from_file(DEMO_ZONES) as dns:  # the demo's own DNS answers (vendors, MX) on 127.0.0.1
        from django.conf import settings

        settings.DNS_NAMESERVERS = [dns.nameserver]
        upload = services.run_import(services.receive_upload(org, path, original_name="demo.csv").upload.pk)
        analyze_upload(upload.pk)
    campaign = Campaign.objects.filter(organization=org).order_by("-sent_at").first()
    verdict = RecipientVerdict.objects.filter(campaign=campaign).first()
    week = campaign.sent_at.astimezone(org.tzinfo).date()
    monday = week.fromordinal(week.toordinal() - week.weekday())
    pages = {
        "organization": reverse("organization", args=[org.slug]),
        "campaign": reverse("campaign", args=[org.slug, campaign.pk]),
        "recipient": reverse("campaign_recipient", args=[org.slug, campaign.pk, verdict.recipient_id]),
        "weekly": reverse("weekly_week", args=[org.slug, monday.isoformat()]),
        "glossary": reverse("glossary"),
    }
    clients: dict[str, Client] = {}
    for language in LANGUAGES:
        user = get_user_model().objects.create_user(f"reader-{language}", password="x")
        Membership.objects.create(user=user, organization=org, role="viewer")
        Profile.objects.create(user=user, language=language)
        clients[language] = Client()
        clients[language].force_login(user)
    samples: dict[tuple[str, str], list[float]] = {(lang, name): [] for lang in LANGUAGES for name in pages}
    for language in LANGUAGES:  # warm-up: one request per page and language
        for url in pages.values():
            _time_ms(clients[language], url)
    for r in range(args.repeat):  # interleaved, the order rotating, so no language gets the warm caches
        for language in LANGUAGES[r % 3:] + LANGUAGES[:r % 3]:
            for name, url in pages.items():
                samples[(language, name)].append(_time_ms(clients[language], url))
    results = {lang: {name: statistics.median(samples[(lang, name)]) for name in pages} for lang in LANGUAGES}

    lines = [f"### i18n: client pages in Catalan and Spanish vs English ({datetime.now(UTC):%Y-%m-%d}, {describe()})",
             "",
             f"`bench/bench_i18n.py --repeat {args.repeat}`: the demo's data ({campaign.name}), SQLite, server time per "
             "page (median ms, test client in process); English is the baseline in the same run. Load: other "
             "sessions' work on the same 2 cores.",
             "",
             "| page | en (baseline) | ca | es | ca / en |",
             "|---|---|---|---|---|"]
    for name in pages:
        en, ca, es = (results[lang][name] for lang in LANGUAGES)
        lines.append(f"| {name} | {en:.1f} | {ca:.1f} | {es:.1f} | {ca / en:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
