"""The search page's "matches" CSV holds every match, not the 50 on screen."""
from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from deliverability.campaigns.models import Recipient, RecipientSearch

MATCHES = 120  # more than two pages of 50


@pytest.fixture
def many_recipients(org_a, org_b):
    people = Recipient.objects.bulk_create(
        Recipient(organization=org_a, email=f"person{i:03d}@bulk.example", domain="bulk.example") for i in range(MATCHES))
    RecipientSearch.objects.bulk_create(RecipientSearch(recipient=r, organization=org_a, email=r.email, domain=r.domain) for r in people)
    other = Recipient.objects.create(organization=org_b, email="person999@bulk.example", domain="bulk.example")
    RecipientSearch.objects.create(recipient=other, organization=org_b, email=other.email)


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("query", ["person", "@bulk.example"])
def test_matches_csv_has_every_match_of_the_organisation(client, viewer_a, org_a, many_recipients, query):
    client.force_login(viewer_a)
    url = reverse("search", kwargs={"org_slug": org_a.slug})
    page = client.get(url, {"q": query})
    assert page.content.decode().count("@bulk.example</a>") <= 50  # the page shows one page ...
    rows = _rows(client.get(url, {"q": query, "csv": "matches"}))
    assert rows[0] == ["email", "domain", "latest_verdict", "latest_verdict_words", "campaign"]
    assert len(rows) - 1 == MATCHES  # ... the download holds them all
    assert rows[1] == ["person000@bulk.example", "bulk.example", "", "", ""]  # no verdict, no campaign
    assert "person999@bulk.example" not in {r[0] for r in rows}
