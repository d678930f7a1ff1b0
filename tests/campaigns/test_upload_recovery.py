"""Nothing stuck, nothing half-shown (issue 17 item 3): a running or lost import shows nothing on any page
or search until it is done; an import silent past IMPORT_LOST_AFTER_SECONDS whose lock is free is queued
again and its rerun counts exactly; a live one is left alone. (The real-worker versions: test_worker.py.)"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Event, Recipient, Upload
from deliverability.dashboard.sender_evidence import sender_evidence
from tests.campaigns.test_import import csv_bytes, upload_and_import
from tests.campaigns.test_import_pipeline import receive


def _search(client, org, text):
    return client.get(reverse("search", args=[org.slug]), {"q": text})


@pytest.mark.django_db
def test_pages_and_search_show_nothing_of_an_import_until_it_is_done(client, org_a, viewer_a, settings):
    """GIVEN a finished upload and a second one whose first batch is committed WHEN pages are read
    mid-import THEN the second's campaign, new addresses and events are nowhere; once done, they are."""
    settings.IMPORT_BATCH_SIZE = 2
    client.force_login(viewer_a)
    upload_and_import(org_a, csv_bytes(["old@acme.com,delivered,250 OK,2026-11-02T09:00:00Z,Spring"]))
    rows = ["old@acme.com,bounced,550 5.1.1 user unknown,2026-11-09T09:00:00Z,Autumn",
            "new1@fresh.example,delivered,250 OK,2026-11-09T09:01:00Z,Autumn",
            "new2@fresh.example,delivered,250 OK,2026-11-09T09:02:00Z,Autumn",
            "new3@fresh.example,delivered,250 OK,2026-11-09T09:03:00Z,Autumn"]
    running = receive(org_a, csv_bytes(rows), name="running.csv")
    seen = {}

    def look(result):
        if seen:
            return
        assert Event.objects.filter(upload=running).count() == 2  # the first batch is committed
        autumn = Campaign.objects.get(organization=org_a, name="Autumn")
        old = Recipient.objects.get(organization=org_a, email="old@acme.com")
        seen["new"] = _search(client, org_a, "new1@fresh.example").context
        seen["old"] = _search(client, org_a, "old@acme.com").context
        seen["organization"] = client.get(reverse("organization", args=[org_a.slug])).context
        seen["campaign"] = client.get(reverse("campaign", args=[org_a.slug, autumn.pk])).status_code
        seen["recipient"] = client.get(reverse("campaign_recipient", args=[org_a.slug, autumn.pk, old.pk])).status_code
        seen["sender_evidence"] = sender_evidence(org_a)["complaints"]  # (complaints, delivered)
        seen["campaigns_csv"] = b"".join(client.get(reverse("organization", args=[org_a.slug]),
                                                    {"csv": "campaigns"}).streaming_content).decode()

    services.run_import(running.pk, on_batch=look)
    assert seen["new"]["selected"] is None and not seen["new"]["matches"]
    assert [e.campaign.name for e in seen["old"]["events"]] == ["Spring"]  # not the running import's bounce
    assert [c["name"] for c in seen["organization"]["campaigns"]] == ["Spring"]
    assert "Spring" in seen["campaigns_csv"] and "Autumn" not in seen["campaigns_csv"]
    assert seen["campaign"] == 404 and seen["recipient"] == 404
    assert seen["sender_evidence"] == (0, 1)  # the finished upload's delivery, not the running one's

    assert Upload.objects.get(pk=running.pk).status == Upload.Status.DONE
    assert _search(client, org_a, "new1@fresh.example").context["selected"].email == "new1@fresh.example"
    assert sorted(e.campaign.name for e in _search(client, org_a, "old@acme.com").context["events"]) == ["Autumn", "Spring"]
    assert {c["name"] for c in client.get(reverse("organization", args=[org_a.slug])).context["campaigns"]} == {
        "Spring", "Autumn"}
    autumn = Campaign.objects.get(organization=org_a, name="Autumn")
    assert client.get(reverse("campaign", args=[org_a.slug, autumn.pk])).status_code == 200


class _Killed(BaseException):
    """Stands for the worker's death: not an Exception, so the import does not record a failure."""


@pytest.mark.django_db(transaction=True)
def test_a_lost_import_is_queued_again_and_its_rerun_counts_exactly(org_a, settings):
    """GIVEN an import that died after its first batch (its rows stay, its status says importing) WHEN its
    heartbeat is older than IMPORT_LOST_AFTER_SECONDS THEN requeue_lost_imports makes it wait again, and
    the rerun ends with one event per row and the new addresses counted as new."""
    settings.IMPORT_BATCH_SIZE = 50
    settings.IMPORT_LOST_AFTER_SECONDS = 60
    rows = [f"p{i}@c{i % 7}.example,delivered,250 OK,2026-11-02T09:{i % 60:02d}:00Z,Lost" for i in range(200)]
    upload = receive(org_a, csv_bytes(rows), name="lost.csv")

    def die(result):
        raise _Killed

    with pytest.raises(_Killed):
        services.run_import(upload.pk, on_batch=die)
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.RUNNING
    assert 0 < Event.objects.filter(upload=upload).count() < 200
    assert services.requeue_lost_imports() == []  # its heartbeat is fresh

    later = timezone.now() + timedelta(seconds=61)
    assert services.requeue_lost_imports(later) == [upload.pk]
    waiting = Upload.objects.get(pk=upload.pk)
    assert waiting.status == Upload.Status.PENDING and waiting.queued_at is None
    assert upload.pk in services.unqueued_uploads(later)
    assert not Campaign.objects.filter(organization=org_a, awaiting_import=False).exists()  # still hidden

    done = services.run_import(upload.pk, analyse=False)
    assert done.status == Upload.Status.DONE
    assert Event.objects.filter(upload=upload).count() == 200
    assert Recipient.objects.filter(organization=org_a).count() == 200
    assert done.summary["new_recipients"] == 200  # the lost run's addresses were removed, not reused
    assert Campaign.objects.get(organization=org_a, name="Lost").awaiting_import is False


@pytest.mark.postgres  # the import lock is a PostgreSQL advisory lock: a by-design skip elsewhere
@pytest.mark.django_db(transaction=True)
def test_a_slow_import_that_still_holds_its_lock_is_not_queued_again(org_a, settings):
    """GIVEN an upload importing with a stale heartbeat while its process still holds the import lock
    (PostgreSQL) WHEN the beat looks THEN it is left alone; once the lock is free it is queued again."""
    if connection.vendor != "postgresql":
        pytest.skip("the import lock is a PostgreSQL advisory lock")
    upload = receive(org_a, csv_bytes(), name="slow.csv")
    stale = timezone.now() - timedelta(seconds=settings.IMPORT_LOST_AFTER_SECONDS + 30)
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.RUNNING, summary={"claim": "slow"},
                                               started_at=stale, heartbeat_at=stale)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with services.import_lock(upload.pk):  # on this thread's own connection, as a worker's
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        assert services.requeue_lost_imports() == []
        assert Upload.objects.get(pk=upload.pk).status == Upload.Status.RUNNING
    finally:
        release.set()
        holder.join(30)
    assert services.requeue_lost_imports() == [upload.pk]
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_an_upload_imported_without_analysis_stays_unanalysed_when_announced_again(org_a):
    """GIVEN an upload imported with --no-enrich WHEN its import task is delivered again, or its analysis
    is asked for THEN nothing analyses it (it once could: the announcement only checked analyzed_at)."""
    from deliverability.verdicts.analysis import analyze_upload

    upload = receive(org_a, csv_bytes(), name="quiet.csv")
    services.finish_without_analysis(services.run_import(upload.pk, analyse=False), "imported with --no-enrich")
    assert services.run_import(upload.pk) is None
    assert analyze_upload(upload.pk, nameservers=[]) == {"skipped": True}
    upload.refresh_from_db()
    assert upload.analysis_runs == 0 and upload.analyzed_at is None
    assert upload.analysis == {"skipped": "imported with --no-enrich"}


@pytest.mark.django_db
def test_the_beat_sends_again_uploads_never_handed_over_or_lost_by_the_broker(org_a, settings):
    """Waiting uploads: one never handed to the queue (past a few seconds' grace), one handed over a
    visibility timeout ago (the broker lost it), one handed over a minute ago (in the queue: left alone)."""
    now = timezone.now()
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    never, lost, queued = (receive(org_a, csv_bytes([f"{name}@acme.com,delivered,250 OK,2026-11-02T09:00:00Z,W"]),
                                   name=f"{name}.csv") for name in ("never", "lost", "queued"))
    Upload.objects.filter(pk=lost.pk).update(queued_at=now - timedelta(seconds=timeout + 1))
    Upload.objects.filter(pk=queued.pk).update(queued_at=now - timedelta(seconds=60))
    assert services.unqueued_uploads(now) == [lost.pk]  # the page's own hand-over of "never" may yet follow
    later = now + timedelta(seconds=services.QUEUE_GRACE_SECONDS + 1)
    assert sorted(services.unqueued_uploads(later)) == sorted([never.pk, lost.pk])
