"""A realistic demo dataset, written as a generic CSV and imported through the real upload path.

The scenario mirrors what B2B senders see: most corporate domains accept; a Proofpoint gateway
starts refusing with a fake "user unknown" after its first deliveries; Mimecast and Trend Micro
reject a few real people from stale directories; a Barracuda gateway blocks the sending IP;
Microsoft 365's edge blocking answers "Access denied"; a few addresses really are gone
(people leave companies); consumer mailboxes mostly deliver, with the odd real unknown user and
a full mailbox. The demo domains are served by the project's loopback DNS
(devtools/data/demo_zones.txt), so enrichment works offline.
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIRST = ["ana", "ben", "carla", "david", "elena", "felix", "grace", "hugo", "irene", "jon", "karin", "luis",
         "maria", "nils", "olga", "pablo", "quinn", "rosa", "sven", "tara", "ugo", "vera", "will", "xenia",
         "yusuf", "zoe", "marta", "pedro", "lucia", "tom"]
LAST = ["garcia", "smith", "muller", "rossi", "dubois", "kowalski", "nielsen", "silva", "novak", "jensen",
        "brown", "fischer", "moreau", "santos", "berg", "keller", "larsen", "costa", "weber", "lindqvist"]

OK = "250 2.0.0 OK: queued"


@dataclass(frozen=True)
class DomainScenario:
    domain: str
    recipients: int
    behaviour: str  # healthy | gateway_burst | directory | reputation | content | lone_invalid | dead | consumer
    text: str = ""  # the rejection the receiving side answers with
    bounce_share: float = 0.0  # for directory / consumer: share of recipients rejected


SCENARIOS = [
    DomainScenario("northwind-freight.com", 60, "gateway_burst",
                   "550 5.1.1 <{email}>: Recipient address rejected: User unknown"),
    DomainScenario("emea.northwind-freight.com", 12, "healthy"),
    DomainScenario("halden-biotech.com", 40, "directory",
                   "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 "
                   "[a1B2c3D4eF5gH6iJ7kL8mN.uk123]", 0.15),
    DomainScenario("tessaro-medical.com", 30, "directory",
                   "554 5.7.1 <{email}>: Recipient address rejected: Access denied.", 0.2),
    DomainScenario("lumen-dental-group.com", 25, "directory",
                   "550 5.4.1 Recipient address rejected: Access denied. "
                   "[AM4PEPF00027A6C.eurprd04.prod.outlook.com 2026-11-02T09:14:11.213Z]", 0.25),
    DomainScenario("corvid-engineering.com", 35, "reputation",
                   "554 5.7.1 Service unavailable; Client host [203.0.113.45] blocked using Barracuda "
                   "Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.45"),
    DomainScenario("pelham-law.com", 20, "content",
                   "553 Message filtered. Refer to the Troubleshooting page at "
                   "http://www.symanteccloud.com/troubleshooting for more information. (#5.7.1)", 0.5),
    DomainScenario("bellmark-insurance.com", 45, "lone_invalid", "550 #5.1.0 Address rejected {email}"),
    DomainScenario("quillon-partners.com", 50, "lone_invalid",
                   "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {email} not found by SMTP address lookup"),
    DomainScenario("arkwell-energy.com", 30, "healthy"),
    DomainScenario("brightfern-studio.com", 25, "healthy"),
    DomainScenario("kestrel-machining.com", 15, "healthy"),
    DomainScenario("oldharbor-trading.com", 4, "dead", "556 5.1.10 Recipient address {email} has null MX"),
    DomainScenario("vanished-ventures.com", 5, "dead",
                   "550 5.1.2 <{email}>: Recipient address rejected: Domain not found"),
    DomainScenario("gmail.com", 120, "consumer",
                   "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking "
                   "the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
                   0.03),
    DomainScenario("yahoo.com", 40, "consumer", "552 1 Requested mail action aborted, mailbox not found", 0.05),
    DomainScenario("outlook.com", 40, "consumer",
                   "452 4.2.2 The email account that you tried to reach is over quota. OverQuotaTemp", 0.05),
    DomainScenario("gmx.de", 20, "healthy"),
]


LARGE = 1000  # past this many people at one domain, addresses are numbered (random names run out)


def _people(rng: random.Random, domain: str, count: int) -> list[str]:
    if count > LARGE:
        return sorted(f"{FIRST[i % len(FIRST)]}.{LAST[(i // len(FIRST)) % len(LAST)]}.{i}@{domain}" for i in range(count))
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 99) if len(seen) > 40 else ''}@{domain}")
    return sorted(seen)


def campaign_rows(name: str, start: datetime, rng: random.Random, scale: int = 1, history: bool = False):
    """Yield (email, status, smtp_response, timestamp, campaign) rows for one campaign."""
    clock = start
    for scenario in scenarios(scale):
        spread = SYNTHETIC_SIBLINGS if scale >= SYNTHETIC_FROM_SCALE and scenario.behaviour != "consumer" else 1
        people = _people(random.Random(f"{scenario.domain}-{scale}"), scenario.domain,
                         max(1, scenario.recipients * scale // spread))
        rejected = _rejected(scenario, people, rng, history)
        if history and scenario.behaviour == "lone_invalid":
            # A stale address the client added since: no history, then "user unknown" in November.
            people = [p for p in people if p != people[len(people) // 2]]
        for email in people:
            clock += timedelta(seconds=rng.uniform(0.5, 3) / max(1, scale // 10))  # a bigger list is sent faster
            if email in rejected:
                yield email, "bounce", scenario.text.format(email=email), clock, name
                continue
            yield email, "delivered", OK, clock, name
            if rng.random() < (0.35 if history else 0.2):
                yield email, "open", "", clock + timedelta(hours=rng.uniform(1, 30)), name
                if rng.random() < 0.3:
                    yield email, "click", "", clock + timedelta(hours=rng.uniform(1, 30)), name


SYNTHETIC_FROM_SCALE = 20
SYNTHETIC_SIBLINGS = 50


def scenarios(scale: int) -> list[DomainScenario]:
    """The scenarios; for large datasets each corporate scenario is spread over synthetic sibling
    domains (`<stem>-NN.example`, not in the demo DNS zones: they enrich as unknown), so the domain
    table and the rollups have realistic row counts instead of 18 giant domains."""
    if scale < SYNTHETIC_FROM_SCALE:
        return SCENARIOS
    spread = []
    for scenario in SCENARIOS:
        if scenario.behaviour == "consumer":
            spread.append(scenario)
            continue
        stem = scenario.domain.rsplit(".", 1)[0].replace(".", "-")
        spread.append(scenario)
        spread.extend(DomainScenario(f"{stem}-{k:03d}.example", scenario.recipients, scenario.behaviour,
                                     scenario.text, scenario.bounce_share) for k in range(1, SYNTHETIC_SIBLINGS))
    return spread


def _rejected(scenario: DomainScenario, people: list[str], rng: random.Random, history: bool) -> set[str]:
    if scenario.behaviour == "dead":
        return set(people)
    if history:
        # Before the trouble started, only the addresses that are really gone bounced.
        return set(people[:1]) if scenario.behaviour == "lone_invalid" else set()
    if scenario.behaviour == "gateway_burst":
        return set(people[8:])  # accepted the first eight, then refused everyone
    if scenario.behaviour == "reputation":
        return set(people)
    if scenario.behaviour == "lone_invalid":
        return {people[0], people[len(people) // 2]}
    if scenario.behaviour in ("directory", "consumer", "content"):
        return {p for p in people if rng.random() < scenario.bounce_share} or {people[-1]}
    return set()


DEMO_CAMPAIGNS = (("October webinar invite", datetime(2026, 10, 5, 9, 0, tzinfo=UTC), True),
                  ("November product update", datetime(2026, 11, 2, 9, 0, tzinfo=UTC), False))
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
SUBJECTS = ("webinar invite", "product update")


def earlier_campaigns(months_back: int) -> tuple[tuple[str, datetime, bool], ...]:
    """A pair of clean campaigns (no gateway trouble yet) sent `months_back` months before the demo's pair:
    the same list, mailed month after month, as a large sender's history looks."""
    pair = []
    for (_, start, _), subject in zip(DEMO_CAMPAIGNS, SUBJECTS, strict=True):
        month = start.month - 1 - months_back
        year, month = start.year + month // 12, month % 12 + 1
        pair.append((f"{MONTHS[month - 1]} {year} {subject}", start.replace(year=year, month=month), True))
    return tuple(pair)


def write_demo_csv(path: Path, seed: int = 7, scale: int = 1,
                   campaigns: tuple[tuple[str, datetime, bool], ...] = DEMO_CAMPAIGNS) -> int:
    """Write the demo campaigns (by default the history, then the campaign under review); returns rows written.

    For scale >= SYNTHETIC_FROM_SCALE, corporate domains are spread over synthetic siblings."""
    rng = random.Random(seed)
    rows = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "status", "smtp_response", "timestamp", "campaign"])
        for name, start, history in campaigns:
            for email, status, response, moment, campaign in campaign_rows(name, start, rng, scale, history):
                writer.writerow([email, status, response, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), campaign])
                rows += 1
    return rows
