"""One live complaint against a large campaign's stored un-suppression plan: the time until the plan is fresh
again, with this checkout's code (the addresses concerned updated: recovery.update_plan) and with a baseline
checkout's (the whole plan computed again), alternated on the same data.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/DB .venv/bin/python bench/bench_complaint_plan.py \\
        --baseline /path/to/checkout-of-main [--recipients 200000] [--pairs 3] [--without-index] [--write]

The database must be migrated with this checkout. The data is bench_unsuppress.py's organisation (one SendGrid
campaign, every recipient bounced and judged, verdicts mixed as in B2B, complaints in it and in an older
campaign), built once. Each measurement runs in a fresh process with one checkout's code on sys.path (two
versions never share an interpreter): it stores the campaign's plan whole with its own code (timed: what every
judgement of the campaign costs), then a webhook-style upload brings one spam complaint, in a campaign of its
own, for one address on the plan's SendGrid lists (a different address each time); its analysis's own campaign
is judged, the upload marked analysed, and `refresh_plans` — what the analysis runs last — is timed: when it
returns, the large campaign's plan is fresh. The index this checkout adds on (campaign, email) is dropped for
the baseline's runs and made again for this checkout's (untimed), so each runs on its own schema; with
--without-index a third variant runs this checkout's code without it (what the index costs and saves).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
INDEX = "recovery_entry_email"


def one(root: str, index: int, check: bool, email_index: bool) -> None:
    """One measurement with the code of `root` (and the (campaign, email) index or not): prints
    RESULT <whole plan s> <refresh s> <outcome> <load>."""
    sys.path[:0] = [root]
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    import deliverability
    from deliverability.campaigns.models import Campaign, Event, Recipient, Upload
    from deliverability.verdicts import recovery, unsuppress
    from deliverability.verdicts.models import RecoveryEntry
    from deliverability.verdicts.services import judge_campaign

    assert deliverability.__file__.startswith(str(Path(root).resolve())), deliverability.__file__
    with connection.cursor() as cursor:  # each checkout on its own schema (untimed)
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON verdicts_recoveryentry (campaign_id, email)"
                       if email_index else f"DROP INDEX IF EXISTS {INDEX}")
    campaign = Campaign.objects.get(organization__slug="bench-unsuppress", name="November")
    start = time.perf_counter()
    recovery.store_plan(campaign)
    whole = time.perf_counter() - start
    # The address: on the plan's SendGrid lists (a keep verdict, no complaint yet), a different one each run.
    person = Recipient.objects.get(organization=campaign.organization, email=f"user{index}@company{index % 5000}.example")
    lines = RecoveryEntry.objects.filter(campaign=campaign, email=person.email, esp="sendgrid")
    assert lines.exists() and not Event.objects.filter(recipient=person, type__in=recovery.HISTORY_TYPES).exists()
    live = Campaign.objects.get_or_create(organization=campaign.organization, name="Live")[0]
    upload = Upload.objects.create(organization=campaign.organization, original_name="SendGrid webhook", file="",
                                   sha256=f"{time.time_ns():064d}"[-64:], detected_format="sendgrid",
                                   requested_format="sendgrid", status=Upload.Status.RUNNING)
    Event.objects.create(organization=campaign.organization, campaign=live, recipient=person, upload=upload,
                         type="complaint", esp_event_id=f"live-{index}", domain=person.domain,
                         occurred_at=timezone.now())
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.DONE)
    judge_campaign(live.pk)  # the analysis judges the upload's own campaign first (not timed: the same code)
    Upload.objects.filter(pk=upload.pk).update(analyzed_at=timezone.now())
    start = time.perf_counter()
    outcome = recovery.refresh_plans(campaign.organization_id)
    refresh = time.perf_counter() - start
    row, fresh = recovery.stored_plan(campaign)
    assert fresh and not lines.exists(), (fresh, person.email)  # fresh, and the complainer is off the files
    if check:  # the stored plan equals the plan from scratch (untimed)
        plan = recovery.campaign_recovery_plan(campaign)
        assert row.summary == json.loads(json.dumps(unsuppress.summarise(plan)))
        for esp, esp_plan in plan.esps.items():
            assert list(recovery.stored_entries(campaign, esp, unsuppress.ALL_LISTS)) == esp_plan.entries, esp
            assert list(recovery.stored_missing(campaign, esp)) == esp_plan.missing, esp
    outcome_text = ",".join(f"{k}={v}" for k, v in sorted(outcome.items())) or "-"
    print(f"RESULT {whole:.3f} {refresh:.3f} {outcome_text} {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "check", sys.argv[5] == "index")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="a checkout of the code to compare with (git archive / worktree)")
    parser.add_argument("--baseline-name", default="", help="what the baseline is, for the results (default: its commit)")
    parser.add_argument("--current", default=str(HERE.parent))
    parser.add_argument("--recipients", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--without-index", action="store_true",
                        help="a third variant: this checkout's code with its (campaign, email) index dropped")
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from machine import describe, setup_django

    setup_django()
    import bench_unsuppress
    from django.db import connection

    from deliverability.campaigns.models import Event, Recipient
    from deliverability.verdicts.models import RecipientVerdict

    start = time.perf_counter()
    org, campaign = bench_unsuppress.build(args.recipients)
    built = time.perf_counter() - start
    verdicts = RecipientVerdict.objects.filter(campaign=campaign).count()
    events = Event.objects.filter(campaign=campaign).count()
    # Addresses to complain: a keep verdict and no complaint, unsubscribe, drop or suppression anywhere yet.
    keep = set(RecipientVerdict.objects.filter(campaign=campaign, verdict__in=("filter_rejection", "sender_issue", "temporary"))
               .values_list("recipient_id", flat=True))
    touched = set(Event.objects.filter(organization=org, type__in=("complaint", "unsubscribe", "suppressed", "dropped"))
                  .values_list("recipient_id", flat=True))
    ids = dict(Recipient.objects.filter(organization=org).values_list("id", "email"))
    candidates = sorted(int(ids[pk].split("@")[0][4:]) for pk in keep - touched)
    connection.close()
    variants = {"baseline": (str(Path(args.baseline).resolve()), False),
                "current": (str(Path(args.current).resolve()), True)}
    if args.without_index:
        variants["current without the (campaign, email) index"] = (str(Path(args.current).resolve()), False)
    runs: dict[str, list[tuple[float, float, str, str]]] = {name: [] for name in variants}
    step = max(1, len(candidates) // (len(variants) * args.pairs + 1))
    picks = iter(candidates[::step])
    for pair in range(args.pairs):
        for name, (root, email_index) in variants.items():
            done = subprocess.run([sys.executable, __file__, "--one", root, str(next(picks)),
                                   "check" if pair == 0 else "-", "index" if email_index else "-"],
                                  capture_output=True, text=True,
                                  env=os.environ | {"DEBUG": "1"})
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
            if line is None:
                sys.exit(f"{name} run failed:\n{done.stderr[-3000:]}")
            whole, refresh, outcome, load = line.split()[1:]
            runs[name].append((float(whole), float(refresh), outcome, load))
            print(f"{name}: whole plan {float(whole):6.2f} s   refresh after one complaint {float(refresh):6.3f} s"
                  f"   ({outcome}, load {load})", flush=True)

    def median(name: str, i: int) -> float:
        return statistics.median(r[i] for r in runs[name])

    lines = [
        f"## One live complaint against a {verdicts:,}-verdict campaign's stored plan ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"`bench/bench_complaint_plan.py --baseline <{args.baseline_name or _commit(args.baseline)}> --recipients {args.recipients} "
        f"--pairs {args.pairs}` on {connection.vendor}; machine: {describe()}. bench_unsuppress.py's organisation: "
        f"one SendGrid campaign of {verdicts:,} judged bounced recipients ({events:,} events; built in {built:.0f} s). "
        "Each run, in its own process with one checkout's code, alternating: the plan stored whole (timed), "
        "then a webhook-style upload with one spam complaint, in a campaign of its own, for one address on the "
        "plan's SendGrid lists; its own campaign judged, then `refresh_plans` timed — when it returns the large "
        "plan is fresh (checked). The first run of each checkout also checked the stored plan against the plan "
        "from scratch: equal.",
        "",
        "| code | refresh after one complaint: median (runs) | what the refresh did | whole plan stored: median (runs) |",
        "|---|---|---|---|",
        *[f"| {name} | **{median(name, 1):.3f} s** ({', '.join(f'{r[1]:.3f}' for r in runs[name])}) | "
          f"{runs[name][-1][2]} | {median(name, 0):.2f} s ({', '.join(f'{r[0]:.2f}' for r in runs[name])}) |"
          for name in variants],
        "",
        f"Load average (1 min) after each run, in order ({', '.join(variants)}, …): "
        f"{', '.join(runs[name][i][3] for i in range(args.pairs) for name in runs)} on "
        f"{os.cpu_count()} CPUs (other sessions share them). The whole-plan column is what a judgement of the "
        "campaign costs; this checkout's includes its (campaign, email) index and its rule-2 lines.",
        "",
    ]
    print("\n".join(lines))
    if args.write:
        with (HERE.parent / "docs" / "benchmarks.md").open("a") as out:
            out.write("\n" + "\n".join(lines))
    from deliverability.accounts.models import Organization

    Organization.objects.filter(slug=bench_unsuppress.SLUG).delete()


def _commit(path: str) -> str:
    found = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or Path(path).name


if __name__ == "__main__":
    main()
