"""Running database work at the same moment from two threads, for the tests of locks and claims."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(*calls: Callable[[], object], timeout: float = 120) -> list:
    """Run each call in its own thread, all released together by a barrier, each closing its own database
    connection when done; return their results in the order given. The first failure is raised here."""
    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # raised in the test's thread below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if failures:
        raise failures[0]
    assert not any(thread.is_alive() for thread in threads), f"still running after {timeout} s"
    return results
