"""Shared fixtures: the four kinds of user, a real Celery worker, strict mode for CI."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import make_campaign, make_membership, make_org, make_user

STRICT = os.environ.get("STRICT_SKIPS") == "1"
ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (STRICT_SKIPS=1) a test skipped for something missing is a failure, not a pass."""
    outcome = yield
    report = outcome.get_result()
    # Worker and PostgreSQL-only tests belong to the PostgreSQL + Redis run; elsewhere their skip is by design.
    by_design = (item.get_closest_marker("worker") is not None and not os.environ.get("REDIS_URL")) or (
        item.get_closest_marker("postgres") is not None and not os.environ.get("DATABASE_URL", "").startswith("postgres"))
    if STRICT and report.skipped and not hasattr(report, "wasxfail") and not by_design:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"STRICT_SKIPS=1 turns this skip into a failure: {reason}"


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for the whole browser session, and asyncio.run() (DNS enrichment) refuses to run inside it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Test users need no key stretching; PBKDF2 would dominate the permission matrix's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its own password resets and invitations (the counters live in the cache,
    which may be a Redis shared with the broker: a per-test key prefix, not a flush)."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test its own cache keyspace: ids are reused after a test's rollback, so a value one test cached
    under "…:<organisation id>" reached the next test's organisation of the same id. A per-test key prefix
    (Django drops its cache connections when CACHES changes), not a flush: the cache may be the broker's Redis."""
    settings.CACHES = {name: {**conf, "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"} for name, conf in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def language_reset():
    """A page request leaves its reader's language active in the thread (LocaleMiddleware activates it and
    nothing deactivates it): each test starts in the default language, as a worker's task does (issue 23)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def demo_dns():
    """The project's loopback DNS with the demo zones: every test that enriches resolves offline."""
    from deliverability.devtools.loopback_dns import DEMO_ZONES, LoopbackDNS

    server = LoopbackDNS.from_file(DEMO_ZONES).start()
    previous = settings.DNS_NAMESERVERS
    settings.DNS_NAMESERVERS = [server.nameserver]
    yield server
    settings.DNS_NAMESERVERS = previous
    server.stop()


@pytest.fixture
def org_a(db):
    return make_org("Acme Industrial", "acme")


@pytest.fixture
def org_b(db):
    return make_org("Borealis Foods", "borealis")


@pytest.fixture
def staff(db):
    return make_user("staff", is_staff=True)


@pytest.fixture
def manager_a(org_a):
    user = make_user("manager-a")
    make_membership(user, org_a, "manager")
    return user


@pytest.fixture
def viewer_a(org_a):
    user = make_user("viewer-a")
    make_membership(user, org_a, "viewer")
    return user


@pytest.fixture
def viewer_b(org_b):
    user = make_user("viewer-b")
    make_membership(user, org_b, "viewer")
    return user


@pytest.fixture
def campaign_a(org_a):
    return make_campaign(org_a, "Q4 newsletter")


def _worker_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the real-worker tests need DATABASE_URL on PostgreSQL (a worker cannot share SQLite's test database)")
    user = db.get("USER") or ""
    auth = f"{user}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory, demo_dns):
    """One real Celery worker (-P solo, every queue) against the test database and a flushed Redis db."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("REDIS_URL is not set: tasks run in-process, so the real-worker tests are skipped")
    import redis

    from deliverability.celery import app

    database_url = _worker_database_url()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": settings.CELERY_BROKER_URL,
           "DNS_NAMESERVERS": demo_dns.nameserver}
    name = f"tests-{uuid.uuid4().hex[:8]}@%h"
    queues = ",".join(settings.CELERY_TASK_QUEUES_NAMES)
    command = [sys.executable, "-m", "celery", "-A", "deliverability", "worker", "-P", "solo", "-Q", queues,
               "-n", name, "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    log_file = open(log_path, "w")  # noqa: SIM115 - the worker writes to it until teardown
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start: {log_path.read_text()[-3000:]}")
        if app.control.ping(timeout=0.5):
            break
    else:
        process.kill()
        pytest.fail(f"the Celery worker did not answer a ping within 60 s: {log_path.read_text()[-3000:]}")
    worker = WorkerHandle(process, command, env, log_path, log_file)
    yield worker
    worker.stop()


@pytest.fixture
def worker_idle_at_teardown(celery_worker, transactional_db):
    """After the test, wait until the worker has no task left: follow-up tasks (analysis, weekly
    refresh) still writing while the test database is flushed would deadlock with the flush."""
    yield
    from deliverability.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        inspector = app.control.inspect(timeout=0.5)
        busy = [tasks for reply in (inspector.active() or {}, inspector.reserved() or {}) for tasks in reply.values() if tasks]
        if not busy:
            return
        time.sleep(0.3)


class WorkerHandle:
    def __init__(self, process, command, env, log_path, log_file):
        self.process, self.command, self.env, self.log_path, self.log_file = process, command, env, log_path, log_file

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log_file.close()
