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
from deliverability.campaigns.models import Recipient, RecipientSearch
from tests.dashboard.conftest import SENT, add_event, add_verdict

pytestmark = pytest.mark.django_db


def _searchable(org):
    for recipient in Recipient.objects.filter(organization=org):
        RecipientSearch.objects.get_or_create(recipient=recipient, organization=org, email=recipient.email,
                                              domain=recipient.domain)


@pytest.fixture
def history(diagnosed, org_a):
    """The dashboard's world (jane: temporary in October, then a filter rejection in November; an organisation
    B address at the same domain) and an address that never bounced."""
    Recipient.objects.create(organization=org_a, email="cy@northwind-freight.com", domain="northwind-freight.com")
    add_event(diagnosed["october"], diagnosed["upload"], "cy@northwind-freight.com", "delivered",
              SENT - timedelta(days=28))
    add_event(diagnosed["november"], diagnosed["upload"], "cy@northwind-freight.com", "delivered", SENT)
    _searchable(org_a)
    return diagnosed


def test_each_match_shows_its_latest_verdict_in_words_and_its_campaign(client, org_a, viewer_a, history):
    client.force_login(viewer_a)
    html = client.get(reverse("search", args=[org_a.slug]), {"q": "@northwind-freight.com"}).content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in html.split('<tr><td><a href="?q=')[1:]}
    assert set(rows) == {"jane.doe@northwind-freight.com", "gone@northwind-freight.com", "cy@northwind-freight.com"}
    jane, gone, cy = rows["jane.doe@northwind-freight.com"], rows["gone@northwind-freight.com"], rows["cy@northwind-freight.com"]
    assert "Filter rejection" in jane and "November product update" in jane and "Temporary" not in jane
    assert "Invalid recipient" in gone and "November product update" in gone
    assert "never bounced" in cy and "November product update" in cy
    assert reverse("campaign_recipient", args=[org_a.slug, history["november"].pk, history["jane"].recipient_id]) in jane


def test_the_matches_csv_has_the_verdict_in_the_readers_language_and_the_campaign(client, org_a, viewer_a, history):
    Profile.objects.update_or_create(user=viewer_a, defaults={"language": "es"})
    client.force_login(viewer_a)
    response = client.get(reverse("search", args=[org_a.slug]), {"q": "northwind", "csv": "matches"})
    # ";" between cells: the reader writes decimals with a comma (tables.PeopleCsv)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    with translation.override("es"):
        header = [translation.pgettext("CSV column", key) for key in
                  ("email", "domain", "latest_verdict", "latest_verdict_words", "campaign")]
    assert rows[0] == header and "latest_verdict" not in header  # column names in Spanish too
    by_email = {r[0]: r for r in rows[1:]}
    with translation.override("es"):
        words = translation.gettext("Filter rejection")
    assert words != "Filter rejection"  # the catalogue has it
    assert by_email["jane.doe@northwind-freight.com"][2:] == ["filter_rejection", words, "November product update"]
    assert by_email["cy@northwind-freight.com"][2:] == ["", "", "November product update"]
    assert "secret.person@northwind-freight.com" not in by_email


def test_the_verdicts_cost_no_query_per_match(client, org_a, viewer_a, history):
    client.force_login(viewer_a)
    url = reverse("search", args=[org_a.slug])
    client.get(url, {"q": "@northwind-freight.com"})
    with CaptureQueriesContext(connection) as three:
        client.get(url, {"q": "@northwind-freight.com"})
    for index in range(12):
        add_verdict(history["october"], f"more{index}@northwind-freight.com", "sender_issue")
    _searchable(org_a)
    with CaptureQueriesContext(connection) as fifteen:
        html = client.get(url, {"q": "@northwind-freight.com"}).content.decode()
    assert html.count("Sender issue") >= 12
    assert len(fifteen.captured_queries) == len(three.captured_queries)


def test_the_download_reads_the_verdicts_a_chunk_of_matches_at_a_time_with_the_same_rows(org_a, history):
    from django.db.models import F

    from deliverability.dashboard import queries as q

    for index in range(9):
        add_verdict(history["october"], f"more{index}@northwind-freight.com", "sender_issue")
    _searchable(org_a)
    found = RecipientSearch.objects.filter(organization=org_a).values("email", id=F("recipient_id")).order_by("email")
    whole = list(q.match_csv_rows(found, org_a))
    assert len(whole) == found.count() == 12
    assert list(q.match_csv_rows(found, org_a, chunk=5)) == whole  # a chunk boundary changes nothing
    assert [r[2] for r in whole].count("sender_issue") == 9
