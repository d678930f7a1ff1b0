"""Does a reply name a problem on the sending side? (DESIGN, "where the two overlap".)

A refusal whose text names the sender's IP or domain, a blocklist, SPF/DKIM/DMARC or spam content
is a sender issue, whatever else it says. The wording is data, beside the rest of the engine's
SMTP wording (data/phrases.json, section "sender_named", with its sources). Pure Python.
"""
from __future__ import annotations

import json
import re
from functools import cache, lru_cache

from .classify import DATA_DIR

_IPV4 = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")


@cache
def _markers() -> tuple[tuple[tuple[str, str, re.Pattern[str]], ...], re.Pattern[str], str]:
    section = json.loads((DATA_DIR / "phrases.json").read_text(encoding="utf-8"))["sender_named"]
    markers = tuple((m["kind"], m["names"], re.compile(m["pattern"], re.I)) for m in section["markers"])
    reputation = next(names for kind, names, _ in markers if kind == "reputation")
    return markers, re.compile(section["ip_block_words"], re.I), reputation


@lru_cache(maxsize=4096)
def sender_problem_named(diagnostic: str | None) -> tuple[str, str] | None:
    """(kind, plain name) of the sending-side problem the text names, or None.

    Kinds: blocklist, reputation, authentication, content. The first marker that matches names it;
    an IPv4 address next to a blocking word names the sending IP."""
    if not diagnostic:
        return None
    markers, block_words, reputation = _markers()
    for kind, names, pattern in markers:
        if pattern.search(diagnostic):
            return kind, names
    if _IPV4.search(diagnostic) and block_words.search(diagnostic):
        return "reputation", reputation
    return None
