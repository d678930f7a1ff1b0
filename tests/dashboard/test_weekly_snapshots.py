"""Weekly snapshots: the hourly beat (once per organisation and week, however often it runs),
late data, the digest email, and the weekly pages. "Now" is passed in; the clock is not patched."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from deliverability.campaigns.models import Event, Recipient, Upload
from deliverability.campaigns.signals import campaigns_changed, upload_imported
from deliverability.dashboard import snapshots
from deliverability.dashboard.models import DigestSubscription, WeeklySnapshot
from deliverability.verdicts.models import CampaignDomainStat
from tests.concurrency import run_at_once
from tests.dashboard.conftest import diagnose
from tests.factories import make_campaign, make_membership, make_org, make_user

WEEK = date(2026, 10, 26)  # a Monday; Madrid changed to winter time the day before
PREVIOUS = date(2026, 10, 19)
MONDAY_MORNING = datetime(2026, 11, 2, 5, 30, tzinfo=UTC)  # 06:30 in Madrid (CET)


@pytest.fixture
def weeks(org_a):
    """Org A (Europe/Madrid): one campaign last week, one the week before; a new problem domain."""
    before = make_campaign(org_a, "Week 43 <newsletter>", sent_at=datetime(2026, 10, 20, 8, 0, tzinfo=UTC))
    # Sunday 25 October 23:30 in Madrid is 22:30 UTC: still week 43's Sunday… no: the week of the 19th.
    sunday_late = make_campaign(org_a, "Sunday night", sent_at=datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    # Monday 26 October 00:30 in Madrid is Sunday 23:30 UTC: the week of the 26th.
    last = make_campaign(org_a, "=HYPERLINK(\"http://evil.example\")", sent_at=datetime(2026, 10, 25, 23, 30,
                                                                                          tzinfo=UTC))
    diagnose(before, hard=0.03, invalid=0.01)
    diagnose(sunday_late, recipients=100, bounced=2, hard=0.01, invalid=0.0)
    diagnose(last, hard=0.08, invalid=0.01)
    CampaignDomainStat.objects.create(campaign=before, domain="old-problem.example", recipients=10, bounced=5,
                                      filter_rejection=5)
    CampaignDomainStat.objects.create(campaign=last, domain="old-problem.example", recipients=10, bounced=5,
                                      filter_rejection=5)
    CampaignDomainStat.objects.create(campaign=last, domain="<b>new</b>-problem.example", vendor="proofpoint",
                                      recipients=30, bounced=20, filter_rejection=18, invalid_recipient=2)
    return {"before": before, "sunday_late": sunday_late, "last": last}


@pytest.fixture
def subscribed(org_a, viewer_a, staff):
    DigestSubscription.objects.create(user=viewer_a, organization=org_a)
    DigestSubscription.objects.create(user=staff, organization=org_a)
    outsider = make_user("former-member")  # subscribed once, no longer a member: gets nothing
    DigestSubscription.objects.create(user=outsider, organization=org_a)
    return [viewer_a, staff]


# --- The beat ----------------------------------------------------------------------------------


def test_the_beat_builds_last_week_once_monday_morning_has_come(org_a, weeks):
    result = snapshots.weekly_tick(MONDAY_MORNING)
    assert result["built"] == 1
    snap = WeeklySnapshot.objects.get(organization=org_a)
    assert snap.week == WEEK and snap.published and snap.first_published_at == MONDAY_MORNING
    names = [c["name"] for c in snap.payload["campaigns"]]
    assert names == ['=HYPERLINK("http://evil.example")']  # the Sunday-night campaign is the week before
    assert [d["domain"] for d in snap.payload["new_domains"]] == ["<b>new</b>-problem.example"]


def test_before_six_local_the_beat_builds_the_week_before(org_a, weeks):
    snapshots.weekly_tick(datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 05:30 in Madrid
    assert list(WeeklySnapshot.objects.values_list("week", flat=True)) == [PREVIOUS]


def test_organisations_in_other_time_zones_wait_for_their_own_monday_morning(org_a, weeks):
    make_org("Hudson Outfitters", "hudson", timezone="America/New_York")
    make_org("Kaveri Logistics", "kaveri", timezone="Asia/Kolkata")
    snapshots.weekly_tick(MONDAY_MORNING)
    built = dict(WeeklySnapshot.objects.values_list("organization__slug", "week"))
    assert built == {"acme": WEEK, "kaveri": WEEK, "hudson": PREVIOUS}  # 00:30 in New York: not yet


def test_a_doubled_beat_builds_and_mails_each_week_once(org_a, weeks, subscribed):
    """GIVEN two beats (a restarted scheduler) WHEN both ticks run THEN one snapshot and one digest per subscriber."""
    first = snapshots.weekly_tick(MONDAY_MORNING)
    second = snapshots.weekly_tick(MONDAY_MORNING + timedelta(seconds=1))
    third = snapshots.weekly_tick(MONDAY_MORNING + timedelta(hours=1))
    assert (first["built"], second["built"], third["built"]) == (1, 0, 0)
    assert WeeklySnapshot.objects.filter(organization=org_a).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in subscribed)


def test_a_claimed_week_is_not_built_by_a_second_caller_unless_the_first_died(org_a, weeks):
    assert snapshots.claim(org_a, WEEK, MONDAY_MORNING) is not None
    assert snapshots.claim(org_a, WEEK, MONDAY_MORNING + timedelta(minutes=5)) is None
    # The first builder never finished: after the timeout exactly one caller takes over.
    later = MONDAY_MORNING + snapshots.BUILD_TIMEOUT + timedelta(minutes=1)
    assert snapshots.claim(org_a, WEEK, later) is not None
    assert snapshots.claim(org_a, WEEK, later) is None
    assert snapshots.weekly_tick(later + timedelta(minutes=10))["built"] == 0  # the take-over is still building


def test_the_digest_is_not_sent_twice_even_if_the_snapshot_is_published_again(org_a, weeks, subscribed):
    snapshots.weekly_tick(MONDAY_MORNING)
    snap = WeeklySnapshot.objects.get(organization=org_a)
    snapshots.publish(snap, MONDAY_MORNING + timedelta(hours=2))
    assert len(mail.outbox) == 2


@pytest.mark.postgres  # SQLite serialises writers, so there is no race to test there
@pytest.mark.django_db(transaction=True)
def test_two_beats_racing_on_postgresql_build_and_mail_once():
    """GIVEN two threads (two beats) ticking at the same instant WHEN they race THEN the unique
    (organisation, week) row lets one build; the digest goes out once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers")
    org = make_org("Race Co", "race")
    viewer = make_user("racer")
    make_membership(viewer, org, "viewer")
    DigestSubscription.objects.create(user=viewer, organization=org)
    for i in range(3):
        diagnose(make_campaign(org, f"C{i}", sent_at=datetime(2026, 10, 27, 9, i, tzinfo=UTC)))
    def beat():
        return snapshots.weekly_tick(MONDAY_MORNING)

    results = run_at_once(beat, beat, timeout=60)  # raises either tick's failure
    assert sorted(r["built"] for r in results) == [0, 1]
    assert WeeklySnapshot.objects.filter(organization=org).count() == 1
    assert [m.to for m in mail.outbox] == [[viewer.email]]


# --- Late data -----------------------------------------------------------------------------------


def _late_import(org, campaign, when):
    upload = Upload.objects.create(organization=org, campaign=campaign, original_name="late.csv", sha256="l" * 64,
                                   file="uploads/none", status=Upload.Status.DONE, analyzed_at=when)
    recipient = Recipient.objects.create(organization=org, email="late@acme-late.example", domain="acme-late.example")
    Event.objects.create(organization=org, campaign=campaign, recipient=recipient, upload=upload, type="bounce",
                         occurred_at=campaign.sent_at, week=WEEK, domain=recipient.domain)
    return upload


def test_late_data_marks_the_week_stale_and_the_recompute_says_so(client, org_a, viewer_a, weeks, subscribed):
    snapshots.weekly_tick(MONDAY_MORNING)
    mail.outbox.clear()
    # Tuesday: another campaign of last week is imported and judged.
    tuesday = MONDAY_MORNING + timedelta(days=1)
    late = make_campaign(org_a, "Late export", sent_at=datetime(2026, 10, 28, 9, 0, tzinfo=UTC))
    upload = _late_import(org_a, late, tuesday)
    upload_imported.send(sender=Upload, upload_id=upload.pk)
    snap = WeeklySnapshot.objects.get(organization=org_a, week=WEEK)
    assert snap.stale
    diagnose(late, recipients=400, bounced=100, hard=0.2, invalid=0.02)  # the analysis finished

    assert snapshots.refresh_stale(tuesday) == {"revised": 1}
    snap.refresh_from_db()
    assert not snap.stale and snap.revised_at == tuesday and snap.revisions == 1
    assert snap.first_published_at == MONDAY_MORNING
    assert "Late export" in [c["name"] for c in snap.payload["campaigns"]]
    assert mail.outbox == []  # the digest is not sent again
    client.force_login(viewer_a)
    page = client.get(reverse("weekly_week", args=[org_a.slug, WEEK.isoformat()])).content.decode()
    assert "after first publication" in page and "Late export" in page


def test_a_stale_week_waits_while_the_import_is_still_being_analysed(org_a, weeks):
    snapshots.weekly_tick(MONDAY_MORNING)
    tuesday = MONDAY_MORNING + timedelta(days=1)
    upload = _late_import(org_a, weeks["last"], None)  # imported, analysis not done
    upload_imported.send(sender=Upload, upload_id=upload.pk)
    assert snapshots.refresh_stale(tuesday) == {"deferred": 1}
    Upload.objects.filter(pk=upload.pk).update(analyzed_at=tuesday)
    assert snapshots.refresh_stale(tuesday) == {"unchanged": 1}  # nothing changed in the rollups
    snap = WeeklySnapshot.objects.get(organization=org_a, week=WEEK)
    assert snap.revised_at is None and not snap.stale


def test_a_deleted_campaign_marks_the_week_it_was_published_in_stale(org_a, weeks):
    snapshots.weekly_tick(MONDAY_MORNING)
    weeks["last"].delete()  # its only upload was deleted; the signal names the remaining campaigns
    campaigns_changed.send(sender=None, organization_id=org_a.pk, campaign_ids=[])
    assert WeeklySnapshot.objects.get(organization=org_a, week=WEEK).stale
    assert snapshots.refresh_stale(MONDAY_MORNING + timedelta(days=1)) == {"revised": 1}
    assert WeeklySnapshot.objects.get(organization=org_a, week=WEEK).payload["campaigns"] == []


def test_a_staff_override_marks_the_published_week_stale(org_a, weeks):
    """GIVEN a published week WHEN staff override a verdict of one of its campaigns THEN it is stale."""
    from deliverability.verdicts.signals import verdicts_changed

    snapshots.weekly_tick(MONDAY_MORNING)
    verdicts_changed.send(sender=None, organization_id=org_a.pk, campaign_ids=[weeks["last"].pk])
    assert WeeklySnapshot.objects.get(organization=org_a, week=WEEK).stale


def test_an_import_into_an_unpublished_week_marks_nothing(org_a, weeks):
    upload = _late_import(org_a, weeks["last"], MONDAY_MORNING)
    upload_imported.send(sender=Upload, upload_id=upload.pk)
    assert not WeeklySnapshot.objects.exists()


# --- Digest ------------------------------------------------------------------------------------


def test_digest_has_headline_figures_a_link_and_escaped_html(org_a, weeks, subscribed, settings):
    settings.SITE_URL = "https://review.agency.test"
    org_a.name = "Acme <script>alert(1)</script>\nBcc: victim@example.com"
    org_a.save()
    snapshots.weekly_tick(MONDAY_MORNING)
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert "\n" not in message.subject and message.subject.startswith("Weekly review, Acme")
    assert message.subject.endswith("week of 26 Oct 2026: B2B bounce rate 11.00% (unchanged)")
    text = message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = f"https://review.agency.test/o/{org_a.slug}/weekly/2026-10-26/"
    assert link in text and f'href="{link}"' in html
    assert "B2B bounce rate: 11.00% (→ 0.00 pts vs 11.00%)" in text  # same B2B split both weeks
    assert "Reported hard bounces: 8.00% (▲ +5.29 pts vs 2.71%)" in text  # 3% of 600 and 1% of 100 before
    assert "Proofpoint: 38 rejections (▼ -38 vs last week)" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;new&lt;/b&gt;-problem.example" in html and "<b>new</b>-problem.example" in text
    assert [m.to for m in mail.outbox] == [[u.email] for u in sorted(subscribed, key=lambda u: u.pk)]


def test_no_digest_for_a_week_without_campaigns(org_a, subscribed):
    snapshots.weekly_tick(MONDAY_MORNING)
    assert WeeklySnapshot.objects.get(organization=org_a).published
    assert mail.outbox == []


# --- Pages -----------------------------------------------------------------------------------------


def test_weekly_page_shows_the_published_snapshot_with_arrows_and_links(client, org_a, viewer_a, weeks):
    snapshots.weekly_tick(MONDAY_MORNING)
    client.force_login(viewer_a)
    response = client.get(reverse("weekly_week", args=[org_a.slug, WEEK.isoformat()]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Week of 2026-10-26 to 2026-11-01" in page and "Published" in page
    assert "▲</span> +5.29 pts" in page  # reported hard bounces 2.71% → 8%
    assert f'href="/o/{org_a.slug}/weekly/2026-10-19/"' in page
    assert "&lt;b&gt;new&lt;/b&gt;-problem.example" in page and "<b>new</b>" not in page
    assert 'id="fig-weekly-trend"' in page


def test_weekly_page_computes_an_unpublished_week_live(client, org_a, viewer_a, weeks):
    client.force_login(viewer_a)
    page = client.get(reverse("weekly_week", args=[org_a.slug, PREVIOUS.isoformat()])).content.decode()
    assert "was not sent out on a Monday" in page and "Sunday night" in page


def test_weekly_urls_redirect_to_the_monday_and_refuse_the_future(client, org_a, viewer_a):
    client.force_login(viewer_a)
    response = client.get(reverse("weekly_week", args=[org_a.slug, "2026-10-29"]))
    assert response.status_code == 302 and response["Location"].endswith("/weekly/2026-10-26/")
    assert client.get(reverse("weekly_week", args=[org_a.slug, "2999-01-05"])).status_code == 404
    assert client.get(reverse("weekly_week", args=[org_a.slug, "2026-02-30"])).status_code == 404
    latest = client.get(reverse("weekly_latest", args=[org_a.slug]))
    assert latest.status_code == 302 and "/weekly/" in latest["Location"]


def test_weekly_csv_is_formula_safe(client, org_a, viewer_a, weeks):
    snapshots.weekly_tick(MONDAY_MORNING)
    client.force_login(viewer_a)
    response = client.get(reverse("weekly_week", args=[org_a.slug, WEEK.isoformat()]) + "?csv=figures")
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "section,item,this_week,previous_week,change" in body
    assert "rates_pct,B2B bounce rate,11.0,11.0,0.0" in body
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


def test_weekly_pdf_is_an_a4_document(client, org_a, viewer_a, weeks):
    pytest.importorskip("weasyprint")
    snapshots.weekly_tick(MONDAY_MORNING)
    client.force_login(viewer_a)
    response = client.get(reverse("weekly_pdf", args=[org_a.slug, WEEK.isoformat()]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 5000


def test_subscribing_and_unsubscribing_to_the_digest(client, org_a, viewer_a):
    client.force_login(viewer_a)
    url = reverse("weekly_subscription", args=[org_a.slug])
    client.post(url, {"subscribe": "1", "week": "2026-10-26"})
    assert DigestSubscription.objects.filter(user=viewer_a, organization=org_a).exists()
    response = client.post(url, {"subscribe": "0", "week": "2026-10-26"})
    assert response["Location"].endswith("/weekly/2026-10-26/")
    assert not DigestSubscription.objects.exists()


def test_staff_weekly_page_lists_every_organisation_in_its_own_week(client, staff, org_a, org_b, weeks):
    diagnose(make_campaign(org_b, "Borealis week", sent_at=datetime(2026, 10, 27, 9, 0, tzinfo=UTC)),
             hard=0.5)
    client.force_login(staff)
    page = client.get(reverse("staff_weekly_week", args=[WEEK.isoformat()])).content.decode()
    assert "Acme Industrial" in page and "Borealis Foods" in page
    assert f'href="/o/{org_b.slug}/weekly/2026-10-26/"' in page
    response = client.get(reverse("staff_weekly_week", args=[WEEK.isoformat()]) + "?csv=organizations")
    assert "Borealis Foods" in b"".join(response.streaming_content).decode()


def test_the_digest_reads_every_subscribers_language_in_one_query(org_a, weeks, subscribed):
    """Each subscriber's language (profile, else the organisation's) without a profile read per subscriber, and
    the week's sender changes read once: the queries do not grow with the subscribers."""
    from django.test.utils import CaptureQueriesContext

    from deliverability.accounts.models import Profile
    from deliverability.dashboard import digest

    snapshots.weekly_tick(MONDAY_MORNING)  # built and mailed to the two subscribers
    snap = WeeklySnapshot.objects.get(organization=org_a)
    english = [m.subject for m in mail.outbox]

    def mail_again() -> int:
        mail.outbox.clear()
        WeeklySnapshot.objects.filter(pk=snap.pk).update(digest_sent_at=None)
        snap.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            digest.send_digest(snap, MONDAY_MORNING)
        return len(queries.captured_queries)

    two = mail_again()
    extra = []
    for index, language in enumerate(("ca", "es", "")):
        user = make_user(f"reader-{index}")
        make_membership(user, org_a, "viewer")
        DigestSubscription.objects.create(user=user, organization=org_a)
        if language:
            Profile.objects.create(user=user, language=language)
        extra.append((user.email, language))
    Profile.objects.update_or_create(user=subscribed[0], defaults={"language": "ca"})
    assert mail_again() == two
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert len(subjects) == 5
    by_language = {language: subjects[email] for email, language in extra}
    assert by_language[""] in english  # no choice, no organisation language: English
    assert len({by_language["ca"], by_language["es"], by_language[""]}) == 3
    assert subjects[subscribed[0].email] == by_language["ca"]
