"""Rule families that can be switched off one at a time, to measure what each one is worth (ablation).

``BOUNCE_RULES_OFF=stage,wording`` in the environment, or ``rules_off("stage")`` in a script, turns the
named families off; nothing else reads this. Production runs with every family on. The families:

- ``stage``           the SMTP stage of a reply refines its category (RFC 5321 §3.3/§4.2: the command the
                      reply answered; "unknown user" after DATA is a filter speaking)
- ``recipient``       which address is reported: Original-Recipient first (RFC 3464 §2.3.1), never an
                      X.400 O/R address, the sender, the postmaster, a list or the bounce's own headers
- ``delay``           delay warnings and 4.x.x replies are temporary and never hard (RFC 3464 Action:
                      delayed, RFC 3463 class 4)
- ``not_bounce``      challenge/response, vacation and read receipts yield no bounce record
- ``wording``         missing-mailbox wordings without an enhanced status → invalid_mailbox
- ``fallback``        a plain failure notice from a mailer daemon always yields a record (low confidence)
- ``signatures``      vendor signatures (signatures.json)
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

FAMILIES = ("stage", "recipient", "delay", "not_bounce", "wording", "fallback", "signatures")
_OFF: set[str] = {f.strip() for f in os.environ.get("BOUNCE_RULES_OFF", "").split(",") if f.strip()}


def on(family: str) -> bool:
    """Whether a rule family is in use (always, unless switched off to measure it)."""
    return family not in _OFF


@contextmanager
def rules_off(*families: str) -> Iterator[None]:
    """Switch families off for a measurement; the classification cache is cleared on entry and exit."""
    from .classify import _classify

    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown rule families: {sorted(unknown)}")
    saved = set(_OFF)
    _OFF.update(families)
    _classify.cache_clear()
    try:
        yield
    finally:
        _OFF.clear()
        _OFF.update(saved)
        _classify.cache_clear()
