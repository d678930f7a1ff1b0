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
