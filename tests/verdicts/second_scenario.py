"""A second B2B campaign with known truth, built independently of the demo (campaigns/demo.py).

Families (each recipient carries its true verdict):
- throttling (temporary): a gateway or mailbox service accepts the first copies, then answers 4xx
  ("not now") for the rest in a burst; some of those are retried and delivered later, the others
  never retried; deferrals reported as such by the ESP.
- policy refusals (filter_rejection): a security gateway refuses under the company's own policy,
  naming no problem with the sender; at some companies after a run of deliveries, at others a few.
- authentication refusals (sender_issue): SPF, DKIM or DMARC failures.
- invalid addresses (invalid_recipient): a lone unknown user among deliveries (people leave), unknown
  users at consumer providers, domains that do not exist or publish a null MX.

The wording of every reply is written here from the families in /work/shared/research (vendors.md,
"Vendor-specific SMTP rejection signatures"; sender-health.md, "Bounce codes that point at a
requirement"): the codes and the kind of words each vendor uses, in sentences of our own, so the
measurement does not replay the strings the engine was tuned on. The domains are fictional and
served by the project's loopback DNS from ``ZONES`` (MX host names follow the vendors' published
patterns, domains/data/mx_patterns.json).
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

OK = "250 2.0.0 Message accepted for delivery"

ZONES = """
$TTL 3600
.                              300 IN SOA ns.loopback. hostmaster.loopback. 2026120501 3600 600 86400 300
; throttling
ostrander-logistics.com.       IN MX 10 mx0a-00a1b2c3.pphosted.com.
ostrander-logistics.com.       IN MX 10 mx0b-00a1b2c3.pphosted.com.
veldhoven-bouw.com.            IN MX 0 veldhoven-bouw-com.mail.protection.outlook.com.
calloway-textiles.com.         IN MX 1 smtp.google.com.
mossgiel-print.com.            IN MX 10 mail.mossgiel-print.com.
mail.mossgiel-print.com.       IN A 192.0.2.41
; policy refusals
brenholt-pharma.com.           IN MX 10 eu-smtp-inbound-1.mimecast.com.
brenholt-pharma.com.           IN MX 20 eu-smtp-inbound-2.mimecast.com.
ardent-shipping.com.           IN MX 10 esa1.hc9931-07.iphmx.com.
ardent-shipping.com.           IN MX 10 esa2.hc9931-07.iphmx.com.
lindqvist-audit.com.           IN MX 10 lindqvist-audit-com.in.tmes.trendmicro.com.
sorrel-capital.com.            IN MX 10 d991203a.ess.barracudanetworks.com.
; authentication refusals
hallam-robotics.com.           IN MX 0 hallam-robotics-com.mail.protection.outlook.com.
pemberton-foods.com.           IN MX 1 smtp.google.com.
graywater-legal.com.           IN MX 10 mx0a-00d4e5f6.pphosted.com.
; invalid addresses
tamsin-architects.com.         IN MX 0 tamsin-architects-com.mail.protection.outlook.com.
rookwood-clinics.com.          IN MX 10 esa1.hc5510-02.iphmx.com.
fenwick-tools.com.             IN MX 1 smtp.google.com.
harlow-events.com.             IN MX 10 mail.harlow-events.com.
mail.harlow-events.com.        IN A 192.0.2.42
closedshop-supplies.com.       IN MX 0 .
; healthy
quayside-media.com.            IN MX 10 mx0a-00f7a8b9.pphosted.com.
wexford-dairy.com.             IN MX 0 wexford-dairy-com.mail.protection.outlook.com.
gmail.com.                     IN MX 5 gmail-smtp-in.l.google.com.
yahoo.com.                     IN MX 1 mta5.am0.yahoodns.net.
outlook.com.                   IN MX 10 outlook-com.olc.protection.outlook.com.
"""
# defunct-holdings.com is in no zone: NXDOMAIN, a domain that does not exist.

# --- Wording per family (our own sentences; codes and vocabulary from the research notes) -------
THROTTLING = [  # temporary
    "421 4.7.0 Try again later",  # issue 19's own example: a bare 4xx after deliveries
    "421 4.7.0 Too many messages from this sender in a short time; slow down and try again later",
    "451 4.7.500 Server busy, please retry later [{ip}]",
    "450 4.7.1 Delivery temporarily suspended for this sending host, retry in a few minutes",
    "421 4.7.28 Unusual amount of mail received from {ip}; messages from this IP are temporarily rate limited",
    "452 4.5.3 Too many recipients in this session, try again later",
    "451 4.7.1 Please retry: greylisting in action, come back in 5 minutes",
    "421 Too many concurrent connections from {ip}, please try again later",
]
POLICY = [  # filter_rejection: a gateway's policy, no sender problem named
    "550 Envelope refused - administrative prohibition by the recipient's mail policy",
    "554 5.7.1 Message refused: blocked by the recipient organisation's security policy",
    "550 5.7.1 Delivery denied by an organisation policy rule",
    "554 5.7.0 Rejected: message does not comply with this domain's mail policy",
    "550 permanent failure for one or more recipients ({email}: policy)",
]
AUTHENTICATION = [  # sender_issue
    "550 5.7.509 Access denied, the sending domain does not pass DMARC and publishes a reject policy",
    "550 5.7.26 Unauthenticated message: the sending domain fails DMARC and asks for rejection",
    "550 5.7.23 Rejected: SPF check failed for the sending host {ip}",
    "554 5.7.7 DKIM signature did not verify; message rejected",
    "550 5.7.515 Access denied: the sending domain does not meet the required authentication level",
]
UNKNOWN_USER = [  # invalid_recipient when alone among deliveries / at a consumer provider
    "550 5.1.1 <{email}>: no mailbox by that name here",
    "550 5.1.1 Recipient address unknown in the local mailbox list",
    "553 5.1.1 {email}: unknown recipient",
    "550 5.1.10 Recipient {email} not found in this organisation's directory lookup",
]
CONSUMER_UNKNOWN = {
    "gmail.com": "550-5.1.1 That account does not exist; check the address for typos",
    "yahoo.com": "554 delivery error: the recipient {email} has no account here",
    "outlook.com": "550 5.5.0 Requested action not taken: mailbox unavailable",
}
DEAD_DOMAIN = "550 5.1.2 <{email}>: domain of the recipient address not found"
NULL_MX = "556 5.1.10 Recipient domain {domain} publishes a null MX and accepts no mail"
IP = "198.51.100.23"


@dataclass(frozen=True)
class Plan:
    domain: str
    recipients: int
    family: str  # throttle | throttle_deferred | policy_burst | policy_some | auth | lone | consumer | dead | healthy
    share: float = 0.0
    before: int = 0  # deliveries before the first refusal (bursts)


PLANS = [
    Plan("ostrander-logistics.com", 40, "throttle", before=25),   # issue 19's case: 421 burst after 25 deliveries
    Plan("veldhoven-bouw.com", 30, "throttle", before=10),
    Plan("calloway-textiles.com", 24, "throttle", before=6),
    Plan("mossgiel-print.com", 12, "throttle_deferred", before=4),
    Plan("brenholt-pharma.com", 36, "policy_burst", before=9),
    Plan("ardent-shipping.com", 30, "policy_some", share=0.25),
    Plan("lindqvist-audit.com", 20, "policy_burst", before=5),
    Plan("sorrel-capital.com", 16, "policy_some", share=0.3),
    Plan("hallam-robotics.com", 28, "auth", share=0.6),
    Plan("pemberton-foods.com", 22, "auth", share=1.0),
    Plan("graywater-legal.com", 18, "auth", share=0.5),
    Plan("tamsin-architects.com", 45, "lone"),
    Plan("rookwood-clinics.com", 30, "lone"),
    Plan("fenwick-tools.com", 26, "lone"),
    Plan("harlow-events.com", 14, "lone"),
    Plan("closedshop-supplies.com", 4, "dead"),
    Plan("defunct-holdings.com", 3, "dead"),
    Plan("quayside-media.com", 30, "healthy"),
    Plan("wexford-dairy.com", 25, "healthy"),
    Plan("gmail.com", 90, "consumer", share=0.04),
    Plan("yahoo.com", 30, "consumer", share=0.07),
    Plan("outlook.com", 30, "consumer", share=0.07),
]

NAMES = ["amara", "bruno", "celia", "dmitri", "esme", "farid", "gwen", "hector", "ines", "jasper", "kaia",
         "leon", "mina", "noah", "oona", "piet", "ravi", "saskia", "tomas", "uma", "viggo", "wren", "yara"]
SURNAMES = ["achebe", "bergstrom", "castellano", "dvorak", "eriksen", "fontaine", "gallagher", "hoffmann",
            "ibarra", "janssen", "kovacs", "laurent", "moreno", "nakamura", "okafor", "petrov"]


@dataclass(frozen=True)
class Row:
    email: str
    status: str  # delivered | bounce | deferred
    response: str
    at: datetime
    truth: str | None  # the verdict the final outcome deserves; None for delivered


def _people(rng: random.Random, domain: str, count: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"{rng.choice(NAMES)}.{rng.choice(SURNAMES)}{rng.randint(2, 98)}@{domain}")
    return sorted(seen)


def _plan_rows(plan: Plan, rng: random.Random, start: datetime) -> tuple[list[Row], datetime]:
    """Rows for one domain, sent in order from ``start`` (a few seconds apart), and the last send time."""
    people = _people(rng, plan.domain, plan.recipients)
    rows: list[Row] = []
    clock = start

    def tick(low: float = 1.0, high: float = 4.0) -> datetime:
        nonlocal clock
        clock += timedelta(seconds=rng.uniform(low, high))
        return clock

    def fill(text: str, email: str) -> str:
        return text.format(email=email, ip=IP, domain=plan.domain)

    for index, email in enumerate(people):
        when = tick()
        family = plan.family
        if family in ("throttle", "throttle_deferred") and index >= plan.before:
            text = fill(rng.choice(THROTTLING), email)
            if family == "throttle_deferred":
                rows.append(Row(email, "deferred", text, when, "temporary"))
            elif rng.random() < 0.3:  # retried later and delivered: no verdict (final outcome delivered)
                rows.append(Row(email, "bounce", text, when, None))
                rows.append(Row(email, "delivered", OK, when + timedelta(hours=rng.uniform(1, 4)), None))
            else:  # never retried: the 4xx is the last word
                rows.append(Row(email, "bounce", text, when, "temporary"))
        elif (family == "policy_burst" and index >= plan.before) or (
                family == "policy_some" and rng.random() < plan.share):
            rows.append(Row(email, "bounce", fill(rng.choice(POLICY), email), when, "filter_rejection"))
        elif family == "auth" and rng.random() < plan.share:
            rows.append(Row(email, "bounce", fill(rng.choice(AUTHENTICATION), email), when, "sender_issue"))
        elif family == "lone" and index in (len(people) // 3, len(people) - 2)[: 1 + (len(people) > 25)]:
            rows.append(Row(email, "bounce", fill(rng.choice(UNKNOWN_USER), email), when, "invalid_recipient"))
        elif family == "consumer" and rng.random() < plan.share:
            rows.append(Row(email, "bounce", fill(CONSUMER_UNKNOWN[plan.domain], email), when, "invalid_recipient"))
        elif family == "dead":
            text = NULL_MX if plan.domain.startswith("closedshop") else DEAD_DOMAIN
            rows.append(Row(email, "bounce", fill(text, email), when, "invalid_recipient"))
        else:
            rows.append(Row(email, "delivered", OK, when, None))
    return rows, clock


def build_rows(seed: int = 19) -> list[Row]:
    """Every row of the campaign, domain after domain as a list sorted by company is sent."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    rows: list[Row] = []
    for plan in PLANS:
        domain_rows, last = _plan_rows(plan, rng, start)
        rows.extend(domain_rows)
        start = last + timedelta(seconds=5)
    return rows


def truth(rows: list[Row]) -> dict[str, str | None]:
    """email → the verdict its final outcome deserves (None: delivered in the end)."""
    final: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: r.at):
        final[row.email] = row
    return {email: row.truth for email, row in final.items()}


def write_csv(path: Path, seed: int = 19) -> list[Row]:
    rows = build_rows(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "status", "smtp_response", "timestamp", "campaign"])
        for row in rows:
            writer.writerow([row.email, row.status, row.response, row.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "Winter catalogue"])
    return rows
