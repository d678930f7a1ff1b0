"""Search matches show each address's latest verdict (in words, in the reader's language) and its campaign, on
the page and in the matches CSV, in one query whatever the number of matches."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from deliverability.accounts.models import Profile
from deliverability.campaigns.models import Recipient, RecipientSearch, Upload
from tests.dashboard.conftest import SENT, add_event, add_verdict
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def _searchable(org):
    for recipient in Recipient.objects.filter(organization=org):
        RecipientSearch.objects.get_or_create(recipient=recipient, organization=org, email=recipient.email,
                                              domain=recipient.domain)


@pytest.fixture
def history(org_a, org_b):
    october = make_campaign(org_a, "October <webinar>", sent_at=SENT - timedelta(days=28))
    november = make_campaign(org_a, "November update", sent_at=SENT)
    upload = Upload.objects.create(organization=org_a, original_name="n.csv", sha256="n" * 64, file="uploads/none",
                                   status=Upload.Status.DONE)
    add_verdict(october, "ana@findme.example", "invalid_recipient", when=SENT - timedelta(days=28))
    add_verdict(november, "ana@findme.example", "filter_rejection", when=SENT)  # the latest
    add_verdict(october, "bob@findme.example", "temporary", when=SENT - timedelta(days=28))
    Recipient.objects.create(organization=org_a, email="cy@findme.example", domain="findme.example")
    add_event(october, upload, "cy@findme.example", "delivered", SENT - timedelta(days=28))
    add_event(november, upload, "cy@findme.example", "delivered", SENT)  # never bounced: its latest campaign
    _searchable(org_a)
    theirs = make_campaign(org_b, "Theirs", sent_at=SENT)
    add_verdict(theirs, "ana@findme.example", "sender_issue")  # another organisation's verdict for the address
    _searchable(org_b)
    return {"october": october, "november": november}


def test_each_match_shows_its_latest_verdict_in_words_and_its_campaign(client, org_a, viewer_a, history):
    client.force_login(viewer_a)
    html = client.get(reverse("search", args=[org_a.slug]), {"q": "@findme.example"}).content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in html.split('<tr><td><a href="?q=')[1:]}
    ana, bob, cy = rows["ana@findme.example"], rows["bob@findme.example"], rows["cy@findme.example"]
    assert "Filter rejection" in ana and "November update" in ana and "Sender issue" not in ana
    assert "Temporary" in bob and "October &lt;webinar&gt;" in bob
    assert "never bounced" in cy and "November update" in cy
    ana_id = Recipient.objects.get(organization=org_a, email="ana@findme.example").pk
    assert reverse("campaign_recipient", args=[org_a.slug, history["november"].pk, ana_id]) in ana


def test_the_matches_csv_has_the_verdict_in_the_readers_language_and_the_campaign(client, org_a, viewer_a, history):
    Profile.objects.update_or_create(user=viewer_a, defaults={"language": "es"})
    client.force_login(viewer_a)
    response = client.get(reverse("search", args=[org_a.slug]), {"q": "findme", "csv": "matches"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    with translation.override("es"):
        header = [translation.pgettext("CSV column", key) for key in
                  ("email", "domain", "latest_verdict", "latest_verdict_words", "campaign")]
    assert rows[0] == header and "latest_verdict" not in header  # column names in Spanish too
    by_email = {r[0]: r for r in rows[1:]}
    with translation.override("es"):
        words = translation.gettext("Filter rejection")
    assert words != "Filter rejection"  # the catalogue has it
    assert by_email["ana@findme.example"][2:] == ["filter_rejection", words, "November update"]
    assert by_email["cy@findme.example"][2:] == ["", "", "November update"]


def test_the_verdicts_cost_no_query_per_match(client, org_a, viewer_a, history):
    client.force_login(viewer_a)
    url = reverse("search", args=[org_a.slug])
    client.get(url, {"q": "@findme.example"})
    with CaptureQueriesContext(connection) as three:
        client.get(url, {"q": "@findme.example"})
    for index in range(12):
        add_verdict(history["october"], f"more{index}@findme.example", "invalid_recipient")
    _searchable(org_a)
    with CaptureQueriesContext(connection) as fifteen:
        html = client.get(url, {"q": "@findme.example"}).content.decode()
    assert html.count("Invalid recipient") >= 12
    assert len(fifteen.captured_queries) == len(three.captured_queries)
