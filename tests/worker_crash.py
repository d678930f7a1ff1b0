"""Imported by a test worker with `celery worker -I tests.worker_crash`: the worker kills itself
(no clean-up, like an OOM kill) after WORKER_CRASH_AFTER_BATCHES committed import batches."""
import os

from deliverability.campaigns.signals import batch_committed

_LIMIT = int(os.environ.get("WORKER_CRASH_AFTER_BATCHES", "0"))
_seen = 0


def _die_after_n_batches(sender, **kwargs):
    global _seen
    _seen += 1
    if _LIMIT and _seen >= _LIMIT:
        os._exit(137)


batch_committed.connect(_die_after_n_batches, weak=False)
