"""Imports through a real Celery worker on Redis (PostgreSQL + Redis run of CI)."""
from __future__ import annotations

import io
import os
import subprocess
import time

import pytest

from deliverability.campaigns import services, tasks
from deliverability.campaigns.models import Event, Recipient, Upload
from tests.campaigns.test_import import csv_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker_idle_at_teardown")]


def wait_for_upload(upload_id: int, timeout: float = 90) -> Upload:
    """Until the import and the analysis after it are over: a task still running when the test's
    database is flushed would deadlock with the flush."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload = Upload.objects.get(pk=upload_id)
        if upload.finished:
            return upload
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} still {upload.status} after {timeout} s")


def test_an_upload_is_imported_by_the_real_worker(celery_worker, org_a):
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes()), original_name="via-worker.csv")
    tasks.start_import(received.upload)  # on_commit fires at once outside a transaction
    upload = wait_for_upload(received.upload.pk)
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload).count() == 6
    assert "import_upload" in celery_worker.log()


def test_a_worker_killed_mid_import_is_redelivered_and_finishes_exactly(celery_worker, org_a, tmp_path):
    """GIVEN a worker that dies after its first committed batch WHEN the unacknowledged task is
    redelivered to another worker THEN the import finishes with exactly one event per row.

    These two workers use a Redis database of their own, so the session's worker cannot take the task.
    """
    import redis
    from celery import Celery
    from django.conf import settings

    broker = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(broker).flushdb()
    rows = [f"person{i}@company{i % 50}.com,delivered,250 OK,2026-11-02T09:{i % 60:02d}:00Z,Kill test" for i in range(120_000)]
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes(rows)), original_name="kill.csv")
    # Batches of 30k: the worker dies with the first committed and three more to go.
    env = {**celery_worker.env, "REDIS_URL": broker, "CELERY_VISIBILITY_TIMEOUT": "2", "IMPORT_BATCH_SIZE": "30000"}

    def start(name, *extra, **extra_env):
        command = celery_worker.command[:]
        command[command.index("-n") + 1] = f"{name}-{os.getpid()}@%h"
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - the worker writes to it until it exits
        return subprocess.Popen(command + list(extra), env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)

    crashing = start("crashing", "-I", "tests.worker_crash", WORKER_CRASH_AFTER_BATCHES="1")
    try:
        sender = Celery(broker=broker, set_as_current=False)  # shared tasks must keep the main app
        sender.send_task("deliverability.campaigns.tasks.import_upload", args=[received.upload.pk], queue="import")
        assert crashing.wait(timeout=120) == 137, (tmp_path / "crashing.log").read_text()[-3000:]
    finally:
        if crashing.poll() is None:
            crashing.kill()
    partial = Upload.objects.get(pk=received.upload.pk)
    assert partial.status == Upload.Status.RUNNING
    assert 0 < Event.objects.filter(upload=partial).count() < 120_000

    recovering = start("recovering")
    try:
        upload = wait_for_upload(received.upload.pk, timeout=300)
    finally:
        recovering.terminate()
        recovering.wait(timeout=30)
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload).count() == 120_000
    assert Recipient.objects.filter(organization=org_a).count() == 120_000


def _own_broker(db_offset: int = 8) -> str:
    """A Redis database of this test's own (the session worker's db + 8): the session's worker cannot take its tasks."""
    import redis
    from django.conf import settings

    base, _, number = settings.CELERY_BROKER_URL.rpartition("/")
    broker = f"{base}/{(int(number or 0) + db_offset) % 16}"
    redis.Redis.from_url(broker).flushdb()
    return broker


def _start_worker(celery_worker, tmp_path, env, name, *extra, **extra_env):
    command = celery_worker.command[:]
    command[command.index("-n") + 1] = f"{name}-{os.getpid()}@%h"
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - the worker writes to it until it exits
    return subprocess.Popen(command + list(extra), env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)


def _search(client, org, text):
    from django.urls import reverse

    return client.get(reverse("search", args=[org.slug]), {"q": text}).context


def test_a_whole_worker_killed_mid_import_is_queued_again_by_the_beat(celery_worker, org_a, viewer_a, client, tmp_path):
    """GIVEN a worker killed (-9, like an OOM kill) after its first committed batch, and a broker that would
    redeliver its task only after an hour WHEN a new worker with the beat starts THEN the beat sees the
    heartbeat older than IMPORT_LOST_AFTER_SECONDS, queues the import again, and it finishes with exactly
    one event per row; meanwhile no page shows the partial rows."""
    from celery import Celery

    broker = _own_broker()
    rows = [f"lost{i}@firm{i % 50}.com,delivered,250 OK,2026-11-02T09:{i % 60:02d}:00Z,Lost worker" for i in range(120_000)]
    received = services.receive_upload(org_a, io.BytesIO(csv_bytes(rows)), original_name="lost-worker.csv")
    env = {**celery_worker.env, "REDIS_URL": broker, "CELERY_VISIBILITY_TIMEOUT": "3600", "IMPORT_BATCH_SIZE": "30000",
           "IMPORT_LOST_AFTER_SECONDS": "3", "IMPORT_RECOVERY_EVERY_SECONDS": "1"}
    crashing = _start_worker(celery_worker, tmp_path, env, "crashing", "-I", "tests.worker_crash",
                             WORKER_CRASH_AFTER_BATCHES="1")
    try:
        Celery(broker=broker, set_as_current=False).send_task(
            "deliverability.campaigns.tasks.import_upload", args=[received.upload.pk], queue="import")
        assert crashing.wait(timeout=120) == 137, (tmp_path / "crashing.log").read_text()[-3000:]
    finally:
        if crashing.poll() is None:
            crashing.kill()
    partial = Upload.objects.get(pk=received.upload.pk)
    assert partial.status == Upload.Status.RUNNING and partial.heartbeat_at is not None
    assert 0 < Event.objects.filter(upload=partial).count() < 120_000
    client.force_login(viewer_a)
    assert _search(client, org_a, "lost0@firm0.com")["selected"] is None  # stored, but its import is not done
    assert not _search(client, org_a, "@firm0.com")["matches"]

    recovering = _start_worker(celery_worker, tmp_path, env, "recovering", "-B", "-s", str(tmp_path / "beat-schedule"))
    try:
        upload = wait_for_upload(received.upload.pk, timeout=300)
    finally:
        recovering.terminate()
        recovering.wait(timeout=30)
    log = (tmp_path / "recovering.log").read_text()
    assert upload.status == Upload.Status.DONE, upload.error
    assert "queued again" in log, log[-3000:]
    assert Event.objects.filter(upload=upload).count() == 120_000
    assert Recipient.objects.filter(organization=org_a).count() == 120_000
    assert upload.summary["new_recipients"] == 120_000
    assert _search(client, org_a, "lost0@firm0.com")["selected"].email == "lost0@firm0.com"


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def _point_broker(url: str) -> None:
    """This process's Celery app sends to `url` from now on (its connection pools are dropped)."""
    from deliverability.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_an_upload_while_the_queue_is_down_is_stored_and_starts_when_it_is_back(celery_worker, org_a, manager_a, client):
    """GIVEN the broker unreachable (this process sends to a closed port) WHEN two files are uploaded THEN
    no 500: both are stored and say the queue is unavailable; once it is back, the same file uploaded again
    starts its import, and the beat's recover_uploads starts the other."""
    from datetime import timedelta

    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from tests.campaigns.test_upload_pages import post_upload

    client.force_login(manager_a)
    first = csv_bytes([f"down{i}@acme.com,delivered,250 OK,2026-11-02T09:00:00Z,Down" for i in range(5)])
    second = csv_bytes([f"later{i}@acme.com,delivered,250 OK,2026-11-02T09:00:00Z,Down" for i in range(7)])
    saved = settings.CELERY_BROKER_URL
    _point_broker(f"redis://127.0.0.1:{_closed_port()}/0")
    try:
        responses = [post_upload(client, org_a, first, "first.csv"), post_upload(client, org_a, second, "second.csv")]
    finally:
        _point_broker(saved)
    assert [r.status_code for r in responses] == [302, 302]
    waiting = list(Upload.objects.filter(organization=org_a).order_by("pk"))
    assert [(u.status, u.queued_at, u.queue_unavailable) for u in waiting] == [(Upload.Status.PENDING, None, True)] * 2
    page = client.get(responses[0]["Location"]).content.decode()
    assert "task queue is unavailable" in page and "start by itself when the queue is back" in page
    status = client.get(reverse("upload_status", args=[org_a.slug, waiting[0].pk])).json()
    assert "unavailable" in status["status_label"] and not status["finished"]

    again = post_upload(client, org_a, first, "first-again.csv")  # the queue is back
    assert again["Location"] == responses[0]["Location"]
    assert Upload.objects.get(pk=waiting[0].pk).queued_at is not None
    Upload.objects.filter(pk=waiting[1].pk).update(created_at=timezone.now() - timedelta(minutes=1))
    tasks.recover_uploads.delay()  # what the beat sends every IMPORT_RECOVERY_EVERY_SECONDS
    done = [wait_for_upload(u.pk) for u in waiting]
    assert [u.status for u in done] == [Upload.Status.DONE] * 2, [u.error for u in done]
    assert [Event.objects.filter(upload=u).count() for u in done] == [5, 7]
    assert Upload.objects.filter(organization=org_a).count() == 2
