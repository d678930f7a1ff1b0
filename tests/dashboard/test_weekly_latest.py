"""Weekly review in the navigation: the last complete week, or the latest earlier week with a campaign
when none was sent in it (fresh-eyes review, 5 Dec 2026: the demo's campaigns are weeks old and the
review opened on an empty week of dashes)."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from deliverability.ingest.values import monday_of
from tests.factories import make_campaign


def _latest(client, org) -> str:
    response = client.get(reverse("weekly_latest", args=[org.slug]))
    assert response.status_code == 302
    return response["Location"]


def _week_url(org, moment) -> str:
    return reverse("weekly_week", args=[org.slug, monday_of(moment, org.tzinfo).isoformat()])


def test_the_last_complete_week_when_it_had_a_campaign_or_none_ever_was_sent(client, org_a, org_b, viewer_a):
    client.force_login(viewer_a)
    now = timezone.now()
    last_week = now - timedelta(days=7)
    make_campaign(org_b, "Another client's, five weeks back", sent_at=now - timedelta(days=35))
    assert _latest(client, org_a) == _week_url(org_a, last_week)  # nothing sent: the last complete week
    make_campaign(org_a, "Old", sent_at=now - timedelta(days=35))
    make_campaign(org_a, "Last week", sent_at=last_week)
    assert _latest(client, org_a) == _week_url(org_a, last_week)


def test_the_latest_earlier_week_with_a_campaign_when_the_last_one_had_none(client, org_a, viewer_a):
    client.force_login(viewer_a)
    now = timezone.now()
    five_weeks_back = now - timedelta(days=35)
    make_campaign(org_a, "Older", sent_at=now - timedelta(days=70))
    make_campaign(org_a, "Five weeks back", sent_at=five_weeks_back)
    make_campaign(org_a, "This week, not complete yet", sent_at=now)
    make_campaign(org_a, "Not sent", sent_at=None)
    assert _latest(client, org_a) == _week_url(org_a, five_weeks_back)


def test_staff_weekly_opens_the_latest_week_any_organisation_sent_a_campaign(client, staff, org_a, org_b):
    client.force_login(staff)
    now = timezone.now()
    last_monday = monday_of(now - timedelta(days=7), timezone.get_default_timezone())
    assert client.get(reverse("staff_weekly_latest")).context["week"] == last_monday  # nothing sent anywhere
    five_weeks_back = now - timedelta(days=35)
    make_campaign(org_a, "Older", sent_at=now - timedelta(days=70))
    make_campaign(org_b, "Five weeks back", sent_at=five_weeks_back)
    make_campaign(org_a, "This week, not complete yet", sent_at=now)
    week = client.get(reverse("staff_weekly_latest")).context["week"]
    assert week == monday_of(five_weeks_back, timezone.get_default_timezone())
    make_campaign(org_a, "Last week", sent_at=now - timedelta(days=7))
    assert client.get(reverse("staff_weekly_latest")).context["week"] == last_monday


def test_a_week_without_a_campaign_says_so_without_a_split_of_zero_bounces(client, org_a, viewer_a):
    client.force_login(viewer_a)
    make_campaign(org_a, "Five weeks back", sent_at=timezone.now() - timedelta(days=35))
    empty_week = monday_of(timezone.now() - timedelta(days=14), org_a.tzinfo)
    page = client.get(reverse("weekly_week", args=[org_a.slug, empty_week.isoformat()])).content.decode()
    assert "0 campaigns and 0 recipients this week" in page
    assert "No campaign was sent this week." in page
    assert "really do not exist" not in page and "really invalid addresses" not in page
