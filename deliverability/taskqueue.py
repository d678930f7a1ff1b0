"""Dispatching background work.

With REDIS_URL set, tasks go to Celery workers. Without it (the embedded default) they run
on one background thread of this process: off the request, so progress is visible, but
with nothing else to install. Either way they are sent only after the current transaction
commits, so a task never looks for a row that is not there yet.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_pending: set[Future] = set()


def uses_broker() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # One thread: tasks run in order, and SQLite sees a single background writer.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tasks")
        return _executor


def _run_in_thread(task, args, kwargs) -> None:
    close_old_connections()
    try:
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            log.error("background task %s failed: %s", task.name, result.result)
    finally:
        connections.close_all()


def _submit(task, args, kwargs) -> None:
    if uses_broker():
        task.apply_async(args=args, kwargs=kwargs)
        return
    future = _get_executor().submit(_run_in_thread, task, args, kwargs)
    _pending.add(future)
    future.add_done_callback(_pending.discard)


def dispatch(task, *args, **kwargs) -> None:
    """Run `task` in the background once the surrounding transaction commits."""
    transaction.on_commit(lambda: _submit(task, args, kwargs))


def dispatch_reporting(task, args: tuple, *, sent=None, unavailable=None) -> None:
    """Like dispatch, for work that must not be lost when the broker is down: once the transaction
    commits, `sent()` runs if the task was handed over, `unavailable(exc)` if the broker could not be
    reached (the error stops here: a page answers normally and the caller's beat tries again later)."""

    def send() -> None:
        try:
            _submit(task, args, {})
        except (BrokerUnavailable, ConnectionError, OSError) as exc:
            log.warning("the task queue is unavailable; %s%r not queued: %s", task.name, args, exc)
            if unavailable:
                unavailable(exc)
            return
        if sent:
            sent()

    transaction.on_commit(send)


def wait_for_background_tasks(timeout: float = 60.0) -> None:
    """Block until in-process background tasks are done (tests and management commands)."""
    for future in list(_pending):
        future.result(timeout=timeout)
