"""Thin Celery task around services.enrich_domains: batches of hundreds of domains per task."""
from __future__ import annotations

import random

from celery import shared_task
from celery.utils.log import get_task_logger

from . import services

log = get_task_logger(__name__)

MAX_RETRIES = 4


class DomainsTimedOut(Exception):
    """Some domains got no DNS answer in time; only those are retried."""


def _backoff(retries: int) -> int:
    # 30 s, 60 s, 120 s, 240 s (capped at 10 min), with jitter so retries of many batches spread out
    return min(600, 30 * 2**retries) + random.randint(0, 10)


@shared_task(
    bind=True,
    queue="enrich",
    acks_late=True,
    # DNS timeouts are retried below with only the timed-out names; this covers socket-level timeouts
    autoretry_for=(TimeoutError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_RETRIES,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
)
def enrich_domains_batch(self, names: list[str], refresh: bool = False, nameservers: list[str] | None = None) -> dict:
    """Enrich a batch of domain names. Safe to run twice: fresh domains are not resolved again.

    nameservers: "host:port" strings overriding settings.DNS_NAMESERVERS for this batch.
    """
    summary = services.enrich_domains(names, nameservers=nameservers, refresh=refresh)
    log.info("enriched %s domains: %s", len(names), summary.by_status)
    if summary.timeouts and self.request.retries < MAX_RETRIES and not self.request.is_eager:
        # the timed-out rows are marked fresh for a few minutes, hence refresh=True on the retry
        raise self.retry(
            args=[summary.timeouts],
            kwargs={"refresh": True, "nameservers": nameservers},
            countdown=_backoff(self.request.retries),
            exc=DomainsTimedOut(f"{len(summary.timeouts)} domains timed out"),
        )
    return summary.as_dict()
