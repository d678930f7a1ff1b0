"""What storing the verdicts' sentences costs (issue 23): judging recipients and the stored evidence size.

    .venv/bin/python bench/bench_evidence_sentences.py [--recipients 20000] [--repeat 5] [--root PATH]

Since issue 23 every evidence item carries its sentence (source text + parameters, JSON) beside its
English text, so a page can render it in the reader's language. This judges the same mixed B2B
recipients (gateway "user unknown" after deliveries, Microsoft 365 directory blocks, Spamhaus
listings, full mailboxes, 4xx throttling, consumer unknown users, dead domains, history) with the
engine under --root (default: this checkout; a worktree of the commit before issue 23 is the
baseline), and prints the median time per 1,000 recipients and the mean evidence JSON per recipient,
and, for this checkout, the time to render every item's sentence in Catalan (what a page pays).
No database: the engine is pure.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--recipients", type=int, default=20000)
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
args = parser.parse_args()
ROOT = Path(args.root).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parent))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")

import django  # noqa: E402

django.setup()

from django.utils import translation  # noqa: E402
from machine import describe  # noqa: E402

from deliverability.verdicts.facts import DomainPattern, RecipientFacts, RecipientHistory  # noqa: E402
from deliverability.verdicts.judge import judge  # noqa: E402

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
KINDS = [  # (category, signature, reply, status, diagnostic, domain kind, vendor, vendor category)
    ("invalid_mailbox", "user_unknown", 550, "5.1.1", "550 5.1.1 <{e}>: User unknown", "corporate", "proofpoint",
     "security_gateway"),
    ("invalid_mailbox", "gateway_directory_unknown", 550, "5.4.1",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", "corporate", "microsoft365",
     "mailbox_provider"),
    ("reputation_block", "reputation_block", 550, "5.7.1", "550 5.7.1 Client host [203.0.113.7] blocked using Spamhaus",
     "corporate", "mimecast", "security_gateway"),
    ("mailbox_full", "mailbox_full", 452, "4.2.2", "452 4.2.2 Mailbox full", "consumer", "gmail", "mailbox_provider"),
    ("policy_block", "policy", 421, "4.7.0", "421 4.7.0 Try again later", "corporate", "barracuda", "security_gateway"),
    ("invalid_mailbox", "user_unknown", 550, "5.1.1", "550-5.1.1 The email account that you tried to reach does "
     "not exist", "consumer", "gmail", "mailbox_provider"),
    ("invalid_domain", "domain_unknown", 550, "5.1.2", "550 5.1.2 domain not found", "corporate", None, None),
]


def facts(n: int) -> list[RecipientFacts]:
    rows = []
    for i in range(n):
        category, signature, reply, status, text, kind, vendor, vcat = KINDS[i % len(KINDS)]
        email = f"person{i}@company{i % 400}.example"
        pattern = DomainPattern(key=email.split("@")[1], delivered=8 + i % 5, bounced=1 + i % 3, other=0,
                                deliveries_before_first_rejection=6, deliveries_after_first_rejection=i % 2,
                                burst_rejections=1 + i % 3, burst_seconds=40.0 + i % 90, domains=1 + i % 9)
        history = RecipientHistory(delivered_before=i % 4, last_delivered_at=T0 - timedelta(days=i % 500),
                                   opened_at=None, clicked_at=T0 - timedelta(days=20) if i % 11 == 0 else None,
                                   previous_hard_bounces=i % 2) if i % 3 else None
        rows.append(RecipientFacts(
            email=email, domain=email.split("@")[1], outcome="bounce", occurred_at=T0 + timedelta(seconds=i),
            category=category, signature=signature, bounce_vendor=vendor, reply_code=reply, status=status,
            diagnostic=text.format(e=email), esp_hard=reply >= 500, domain_kind=kind,
            mx_status="nxdomain" if category == "invalid_domain" else "ok", mx_vendor=vendor,
            mx_vendor_category=vcat, provider=None, pattern=pattern, vendor_pattern=pattern, history=history))
    return rows


def main() -> None:
    recipients = facts(args.recipients)
    judge(recipients[0])  # warm-up (imports, caches)
    times, verdicts = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        verdicts = [judge(f) for f in recipients]
        times.append(time.perf_counter() - started)
    size = sum(len(json.dumps(v.evidence)) for v in verdicts) / len(verdicts)
    print(f"machine: {describe()}; engine: {ROOT}")
    print(f"judge: {statistics.median(times) / len(recipients) * 1000 * 1000:.1f} ms per 1,000 recipients "
          f"(median of {args.repeat}, {len(recipients)} recipients); evidence JSON {size:.0f} bytes per recipient")
    items = [item for v in verdicts for item in v.evidence if item.get("msg")]
    if items:
        from deliverability.sentences import say
        renders = []
        for _ in range(args.repeat):
            with translation.override("ca"):
                started = time.perf_counter()
                for item in items:
                    say(item["text"], item["msg"])
                renders.append(time.perf_counter() - started)
        print(f"render in Catalan: {statistics.median(renders) / len(items) * 1e6:.1f} µs per evidence item "
              f"(median of {args.repeat}, {len(items)} items; a recipient page shows 3 to 6)")


if __name__ == "__main__":
    main()
