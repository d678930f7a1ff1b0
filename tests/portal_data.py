"""A small imported organisation for the client-portal tests: two campaigns, real import and analysis."""
from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deliverability.campaigns import services
from deliverability.verdicts.analysis import analyze_upload

SUBJECT = "jane.doe@northwind-freight.com"
HEADER = ["Email Address", "Status", "SMTP Response", "Timestamp", "Campaign Name", "Bounce Type", "Event ID"]


def write_campaign_csv(path: Path, campaign: str, start: datetime, prefix: str) -> Path:
    """Deliveries at two companies, a gateway refusal and a real unknown user; SUBJECT bounces with
    a text that quotes the address (as many servers do)."""
    rows = []
    n = 0

    def add(email, status, text, bounce_type=""):
        nonlocal n
        n += 1
        rows.append([email, status, text, (start + timedelta(seconds=n)).isoformat(), campaign, bounce_type,
                     f"{prefix}-{n}"])

    for i in range(12):
        add(f"person{i}@northwind-freight.com", "delivered", "250 2.0.0 OK")
        add(f"buyer{i}@globex.example", "delivered", "250 2.0.0 OK")
    add(SUBJECT, "hard_bounce", f"550 5.1.1 <{SUBJECT}>: Recipient address rejected: User unknown", "hard")
    add("gone@globex.example", "hard_bounce", "550 5.1.1 <gone@globex.example>: User unknown in virtual mailbox table",
        "hard")
    add("it@northwind-freight.com", "hard_bounce",
        "550 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1", "hard")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def import_campaign(org, tmp_path: Path, campaign: str, start: datetime, prefix: str = "e"):
    path = write_campaign_csv(tmp_path / f"{prefix}.csv", campaign, start, prefix)
    received = services.receive_upload(org, path, original_name=f"{prefix}.csv")
    upload = services.run_import(received.upload.pk)
    analyze_upload(upload.pk)
    return upload


def recent(days: int = 2) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
