"""The search matches CSV holds, for every match, the address's latest verdict and its campaign (or, for an address
that never bounced, the latest campaign it was sent in), exactly as a plain reading of the rows gives it, whatever
the chunks the download reads them in and whatever another organisation holds for the same addresses."""
from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import pytest
from django.urls import reverse

from deliverability.campaigns.models import Event, Recipient, RecipientSearch, Upload
from deliverability.dashboard import queries as q
from deliverability.dashboard.templatetags.labels import label
from deliverability.verdicts.models import RecipientVerdict
from tests.dashboard.conftest import SENT, add_event, add_verdict
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

VERDICTS = ["invalid_recipient", "filter_rejection", "sender_issue", "temporary", "unknown"]
PEOPLE = 130  # more than the download's first chunk of 100


def _world(org, seed: int, other_org=None):
    """Three campaigns of `org`, a finished upload and one still importing; PEOPLE addresses at acme-parts.com,
    each with a random history: verdicts in some campaigns (some at the same moment, some without a time),
    deliveries (some in the unfinished upload, some without a time), or nothing at all."""
    rng = random.Random(seed)
    campaigns = [make_campaign(org, f"{org.slug} campaign {n}", sent_at=SENT + timedelta(days=7 * n)) for n in range(3)]
    done = Upload.objects.create(organization=org, original_name="d.csv", sha256=f"{org.slug}d".ljust(64, "0"),
                                 file="uploads/none", status=Upload.Status.DONE)
    running = Upload.objects.create(organization=org, original_name="r.csv", sha256=f"{org.slug}r".ljust(64, "0"),
                                    file="uploads/none", status=Upload.Status.RUNNING)
    for i in range(PEOPLE):
        email = f"person{i:03d}@acme-parts.com"
        Recipient.objects.get_or_create(organization=org, email=email, defaults={"domain": "acme-parts.com"})
        for campaign in rng.sample(campaigns, rng.randint(0, 3)):
            when = rng.choice([None, SENT, SENT + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 3))])
            if rng.random() < 0.4:
                add_verdict(campaign, email, rng.choice(VERDICTS), when=when)
            else:
                add_event(campaign, running if rng.random() < 0.2 else done, email, "delivered", when)
    for recipient in Recipient.objects.filter(organization=org):
        RecipientSearch.objects.get_or_create(recipient=recipient, organization=org, email=recipient.email,
                                              domain=recipient.domain)


def _newest(rows):
    """The latest row: the latest time (rows without one count as the oldest), then the highest id."""
    return max(rows, key=lambda r: (r.occurred_at is not None, r.occurred_at or SENT, r.id), default=None)


def _expected(org, text: str) -> list[list[str]]:
    """The matches CSV computed the plain way: each address of the organisation that contains `text`, its verdicts
    in any campaign of the organisation, else its events in finished uploads."""
    rows = []
    for found in sorted(RecipientSearch.objects.filter(organization=org), key=lambda r: r.email):
        if text not in found.email:
            continue
        verdict = _newest(RecipientVerdict.objects.filter(organization=org, email=found.email))
        if verdict:
            rows.append([found.email, found.domain, verdict.verdict, str(label(verdict.verdict)),
                         verdict.campaign.name])
            continue
        event = _newest(Event.objects.filter(recipient_id=found.recipient_id, upload__status=Upload.Status.DONE))
        rows.append([found.email, found.domain, "", "", event.campaign.name if event else ""])
    return rows


@pytest.fixture
def two_worlds(org_a, org_b):
    _world(org_a, seed=1)
    _world(org_b, seed=2)  # the same addresses in another organisation, with other histories


def test_the_download_equals_the_plain_computation(client, viewer_a, org_a, two_worlds):
    client.force_login(viewer_a)
    response = client.get(reverse("search", args=[org_a.slug]), {"q": "@acme-parts.com", "csv": "matches"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    expected = _expected(org_a, "@acme-parts.com")
    assert len(expected) == PEOPLE
    assert rows[1:] == expected
    # The dataset has each kind of row the download can write.
    assert {r[2] for r in expected} >= {"", *VERDICTS}
    assert any(r[2] == "" and r[4] for r in expected) and any(r[2] == r[4] == "" for r in expected)


@pytest.mark.parametrize("first,chunk", [(1, 1), (2, 7), (100, 2000)])
def test_any_chunking_gives_the_same_rows(org_a, two_worlds, first, chunk):
    found = q.address_matches(org_a, "person1").order_by("email")
    assert list(q.match_csv_rows(found, org_a, chunk=chunk, first=first)) == _expected(org_a, "person1")


def test_the_page_shows_the_same_verdicts_and_campaigns(client, viewer_a, org_a, two_worlds):
    client.force_login(viewer_a)
    html = client.get(reverse("search", args=[org_a.slug]), {"q": "person01"}).content.decode()
    for email, _domain, _key, words, campaign in _expected(org_a, "person01"):
        row = html.split(f">{email}</a>", 1)[1].split("</tr>", 1)[0]
        assert (words or "never bounced") in row and campaign in row
