"""Exactly one analysis per import, whichever path started it; serialised judgements; an unreachable
resolver costs seconds, not minutes, and says so.

These tests run in real transactions (transaction=True): `transaction.on_commit` fires as in production,
which is where an upload used to be analysed twice. With REDIS_URL set the queued tasks go to a real
Celery worker; without it, to the in-process background thread.
"""
from __future__ import annotations

import io
import json
import socket
import time

import pytest
from django.core.management import call_command

from deliverability.campaigns import services, tasks
from deliverability.campaigns.models import Campaign, Recipient, RecipientSearch, Upload
from deliverability.campaigns.signals import upload_imported
from deliverability.domains.models import Domain
from deliverability.taskqueue import uses_broker, wait_for_background_tasks
from deliverability.verdicts import analysis
from deliverability.verdicts import services as verdict_services
from deliverability.verdicts.models import RecipientVerdict
from tests.campaigns.test_import import csv_bytes
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def task_queue(request):
    """Whatever runs queued tasks in this configuration: a real worker with REDIS_URL, else the thread."""
    if uses_broker():
        request.getfixturevalue("celery_worker")
        request.getfixturevalue("worker_idle_at_teardown")
    yield
    if not uses_broker():
        wait_for_background_tasks(timeout=120)


def wait_until_analysed(upload_id: int, timeout: float = 120) -> Upload:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not uses_broker():
            wait_for_background_tasks(timeout=timeout)
        upload = Upload.objects.get(pk=upload_id)
        if upload.analyzed_at is not None:
            return upload
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} not analysed after {timeout} s: {upload.status} {upload.analysis}")


def test_an_upload_from_the_page_is_analysed_once_even_when_its_import_is_delivered_again(task_queue, org_a):
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="page.csv")
    tasks.start_import(received.upload)
    upload = wait_until_analysed(received.upload.pk)
    assert upload.status == Upload.Status.DONE and upload.analysis_runs == 1
    assert RecipientVerdict.objects.filter(organization=org_a).exists()
    assert RecipientSearch.objects.filter(organization=org_a).count() == Recipient.objects.filter(organization=org_a).count()

    # A redelivered import task, and a second announcement, find the analysis done: nothing runs again.
    assert services.run_import(upload.pk, claim="a-redelivered-task") is None
    upload_imported.send(sender=Upload, upload_id=upload.pk)
    if not uses_broker():
        wait_for_background_tasks(timeout=60)
    else:
        time.sleep(2)
    assert Upload.objects.get(pk=upload.pk).analysis_runs == 1


def test_import_results_queues_one_analysis_and_waits_for_it(task_queue, org_a, tmp_path):
    path = tmp_path / "results.csv"
    path.write_bytes(csv_bytes())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_results", str(path), "--org", org_a.slug, "--json", stdout=out, stderr=err)
    document = json.loads(out.getvalue())
    [result] = document["files"]
    assert result["analysed"] is True, err.getvalue()
    assert "waiting for the analysis" in err.getvalue() and "analysed in" in err.getvalue()
    upload = Upload.objects.get(pk=result["upload"])
    assert upload.analysis_runs == 1
    assert RecipientVerdict.objects.filter(organization=org_a).exists()


def test_no_enrich_means_no_dns_and_no_verdicts(org_a, tmp_path, settings):
    settings.DNS_NAMESERVERS = ["127.0.0.1:9"]  # never asked: a query would fail the assertions below
    path = tmp_path / "results.csv"
    path.write_bytes(csv_bytes())
    out = io.StringIO()
    call_command("import_results", str(path), "--org", org_a.slug, "--no-enrich", "--json", stdout=out,
                 stderr=io.StringIO())
    [result] = json.loads(out.getvalue())["files"]
    wait_for_background_tasks(timeout=30)
    upload = Upload.objects.get(pk=result["upload"])
    assert (upload.status, upload.analysis_runs, upload.analyzed_at) == (Upload.Status.DONE, 0, None)
    assert upload.analysis == {"skipped": "imported with --no-enrich"} and result["analysis"] == upload.analysis
    assert upload.finished and upload.stage_label == "Imported, not analysed"
    assert not Domain.objects.exists() and not RecipientVerdict.objects.exists()
    assert RecipientSearch.objects.filter(organization=org_a, email__contains="carla").exists()  # still searchable


def test_analyze_runs_its_one_analysis_itself_before_removing_its_workspace(tmp_path, capsys):
    announced: list[int] = []

    def count(sender, upload_id, **kwargs):
        announced.append(upload_id)

    upload_imported.connect(count, dispatch_uid="test.count_announcements")
    try:
        path = tmp_path / "results.csv"
        path.write_bytes(csv_bytes())
        call_command("analyze", str(path), "--json")
    finally:
        upload_imported.disconnect(dispatch_uid="test.count_announcements")
    document = json.loads(capsys.readouterr().out)
    assert document["campaigns"] and announced == []  # nothing queued behind the command's back
    assert not Upload.objects.exists() and not Campaign.objects.exists()


@pytest.mark.postgres
def test_two_analyses_started_at_once_claim_the_upload_once(org_a, settings):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL")
    upload = services.run_import(
        services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="twice.csv").upload.pk, analyse=False)
    results = run_at_once(lambda: analysis.analyze_upload(upload.pk, claim="claim-0"),
                          lambda: analysis.analyze_upload(upload.pk, claim="claim-1"))
    assert sorted(bool(r.get("skipped")) for r in results) == [False, True]
    assert Upload.objects.get(pk=upload.pk).analysis_runs == 1


@pytest.mark.postgres
def test_judgements_of_one_campaign_run_one_after_the_other(org_a, settings, monkeypatch):
    """GIVEN two judgements of the same campaign started at once WHEN both run THEN the second starts
    reading only after the first has written (the campaign row is locked), and the verdicts are whole."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("row locks need PostgreSQL")
    upload = services.run_import(
        services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="judge.csv").upload.pk, analyse=False)
    analysis.analyze_upload(upload.pk)
    campaign = Campaign.objects.get(organization=org_a, name="November launch")
    expected = RecipientVerdict.objects.filter(campaign=campaign).count()
    assert expected > 0
    spans: list[tuple[float, float]] = []
    original = verdict_services._judge_locked

    def timed(campaign):  # records when each run held the lock; the work itself is the real one
        began = time.monotonic()
        time.sleep(0.3)  # widen the window in which an unserialised second run would overlap
        try:
            return original(campaign)
        finally:
            spans.append((began, time.monotonic()))

    monkeypatch.setattr(verdict_services, "_judge_locked", timed)
    run_at_once(lambda: verdict_services.judge_campaign(campaign.pk),
                lambda: verdict_services.judge_campaign(campaign.pk))  # raises either run's failure
    (first_start, first_end), (second_start, _) = sorted(spans)
    assert second_start >= first_end - 0.01, spans
    assert RecipientVerdict.objects.filter(campaign=campaign).count() == expected


@pytest.fixture
def silent_resolver():
    """A DNS server that never answers: UDP queries to it time out, as with no network."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def many_domains_csv(count: int) -> bytes:
    rows = [f"person@company{i}.example,bounce,550 5.1.1 <person@company{i}.example>: User unknown,"
            f"2026-11-02T09:00:00Z,Unreachable" for i in range(count)]
    return csv_bytes(rows)


def test_an_unreachable_resolver_costs_seconds_and_the_verdicts_and_command_say_so(
        org_a, tmp_path, settings, silent_resolver):
    """GIVEN no DNS answers at all WHEN 300 new domains are analysed 10 at a time (0.3 s per query)
    THEN the resolver is given up on after 20 silent domains instead of 30 waves of timeouts."""
    settings.CELERY_BROKER_URL = ""  # this resolver exists in this process only: analyse here, in the thread
    settings.DNS_NAMESERVERS = [silent_resolver]
    settings.DNS_CONCURRENCY = 10
    path = tmp_path / "unreachable.csv"
    path.write_bytes(many_domains_csv(300))
    err = io.StringIO()
    started = time.monotonic()
    call_command("import_results", str(path), "--org", org_a.slug, stdout=io.StringIO(), stderr=err)
    elapsed = time.monotonic() - started
    upload = Upload.objects.get(organization=org_a)
    assert upload.analysis == {"domains": 300, "unresolved": 300, "resolver_unreachable": True}
    # Measured: 1.4 s with the give-up rule, 14 s without it (30 waves of 10 domains, 0.3 s per query).
    assert elapsed < 8, f"{elapsed:.1f} s"
    assert "DNS enrichment missing for 300 of 300 domains" in err.getvalue()
    assert "The DNS resolver answered nothing" in err.getvalue()
    assert Domain.objects.filter(mx_status="timeout").count() == 300
    evidence = RecipientVerdict.objects.filter(organization=org_a).first().evidence
    assert "dns_unchecked" in {item["code"] for item in evidence}
