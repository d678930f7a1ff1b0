"""The engine measured against labelled corpora, per source: what bench/bench_reading.py prints and the
ratchet tests check. Pure Python; the corpora are given as folders.

Two kinds of labels:

- Sisimai-labelled emails (``sisimai-dev``): one label per recipient record (file, index, reason).
  Measured: a record with a recipient found at that index, and category agreement after the DESIGN
  mapping (taxonomy.SISIMAI_REASON_TO_CATEGORY). Sources are the label's ``lhost`` group
  (file name prefix: lhost-*, rhost-*, rfc3464-*, arf-*…).
- Other parsers' test expectations (``peers-dev``): one label per message, with ``null`` where the
  source says nothing. Measured per source (``set``): every expected recipient reported; permanent vs
  temporary; the "address does not exist" flag; not-a-bounce messages yield no bounce record; the
  reply code and status where the message states them.

A recipient "found" is an address (it has an "@"): a display name read where an address should be
("Undisclosed Recipients") is not one. Neither measure penalises a record too many, so every email of a
corpus, labelled or not, is also read for phantom recipients: a msg-id (RFC 5322 §3.6.4) or a text
without an "@" reported as a recipient.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .classify import classify_record
from .reading import parse_message
from .taxonomy import SISIMAI_REASON_TO_CATEGORY

_NOT_BOUNCES = ("auto_reply", "delivered", "complaint")


@dataclass
class Score:
    hit: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.hit += bool(ok)
        if not ok:
            self.misses.append(what)

    def __str__(self) -> str:
        return f"{self.hit}/{self.total}" if self.total else "–"

    @property
    def rate(self) -> float | None:
        return self.hit / self.total if self.total else None


def _labels(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "labels.jsonl").read_text().splitlines() if line.strip()]


def _group(name: str) -> str:
    stem = Path(name).name.split("-")[0]
    return stem if stem in ("lhost", "rhost", "rfc3464", "arf", "rfc3834") else "other"


def sisimai_scores(corpus: Path) -> dict[str, dict[str, Score]]:
    """{source group: {"found": Score, "category": Score}}, plus "all"."""
    labels = _labels(corpus)
    parsed = {name: parse_message((corpus / name).read_bytes()) for name in {lab["file"] for lab in labels}}
    out: dict[str, dict[str, Score]] = defaultdict(lambda: {"found": Score(), "category": Score()})
    for lab in labels:
        records = parsed[lab["file"]]
        expected = SISIMAI_REASON_TO_CATEGORY[lab["reason"]]
        what = f"{lab['file']}#{lab['index']}"
        for group in (_group(lab["file"]), "all"):
            scores = out[group]
            if len(records) < lab["index"]:
                scores["found"].add(False, what)
                scores["category"].add(False, f"{what} expected {expected}, no record")
                continue
            record = records[lab["index"] - 1]
            got = classify_record(record).category
            scores["found"].add("@" in (record.recipient or ""), what)
            scores["category"].add(got == expected, f"{what} expected {expected}, got {got}")
    return dict(out)


PEER_MEASURES = ("recipients", "permanent", "hard", "not_bounce", "reply_code", "status")


def peer_scores(corpus: Path) -> dict[str, dict[str, Score]]:
    """{source: {measure: Score}} for each measure in PEER_MEASURES, plus "all"."""
    out: dict[str, dict[str, Score]] = defaultdict(lambda: {m: Score() for m in PEER_MEASURES})
    for lab in _labels(corpus):
        records = parse_message((corpus / "emails" / lab["file"]).read_bytes())
        bounces = []
        for record in records:
            if not record.recipient:
                continue
            result = classify_record(record)
            if result.category in _NOT_BOUNCES:
                continue
            bounces.append((record, result))
        got = {r.recipient.lower() for r, _ in bounces}
        name = lab["file"]
        for source in (lab["set"], "all"):
            s = out[source]
            if lab["is_bounce"] is False:
                s["not_bounce"].add(not bounces, f"{name}: not a bounce, got {sorted(got)}")
                continue
            if lab["recipients"]:
                accepted = {a.lower() for a in lab.get("alt_recipients") or []}
                missing = [a for a in lab["recipients"] if a.lower() not in got and not (got & accepted)]
                s["recipients"].add(not missing, f"{name}: missing {missing}, got {sorted(got)}")
            if lab["permanent"] is not None:
                permanent = any(not _temporary(r, c) for r, c in bounces)
                ok = bool(bounces) and permanent == lab["permanent"]
                s["permanent"].add(ok, f"{name}: expected {'permanent' if lab['permanent'] else 'temporary'}"
                                       f"{'' if bounces else ', no record'}")
            if lab["hard"] is not None:
                hard = any(c.hard for _, c in bounces)
                s["hard"].add(bool(bounces) and hard == lab["hard"],
                              f"{name}: expected hard={lab['hard']}, got {[c.category for _, c in bounces]}")
            if lab["reply_code"] is not None and lab.get("reply_code_stated"):
                codes = {r.reply_code or c.reply_code for r, c in bounces}
                s["reply_code"].add(int(lab["reply_code"]) in codes, f"{name}: expected {lab['reply_code']}, got {codes}")
            if lab["status"] is not None and lab.get("status_stated"):
                statuses = {r.status or c.status for r, c in bounces}
                s["status"].add(lab["status"] in statuses, f"{name}: expected {lab['status']}, got {statuses}")
    return dict(out)


def _temporary(record, result) -> bool:
    """A delay warning: the report's Action (RFC 3464), else the reply's class (RFC 3463 class 4)."""
    action = (record.action or "").lower()
    return action == "delayed" if action else result.temporary


# The ids an email carries, found with a plain pattern of the measure's own (not the reader's): a "<…@…>" after
# Message-ID, In-Reply-To, References, Content-ID or a Received field's "id", in the email's first 64 KB.
_IDS = re.compile(r"(?:message-id|in-reply-to|references|content-id|\bid)\s*:?\s*<([^<>\s]+@[^<>\s]+)>")


def phantom_recipients(corpus: Path) -> list[str]:
    """"file: recipient" for every record of every email under ``corpus/emails`` whose recipient is a msg-id of
    that email or a text without an "@"."""
    out = []
    for path in sorted(p for p in (corpus / "emails").rglob("*") if p.is_file()):
        data = path.read_bytes()
        ids = set(_IDS.findall(data[:65536].decode("latin-1").lower()))
        for record in parse_message(data):
            if record.recipient and ("@" not in record.recipient or record.recipient.lower() in ids):
                out.append(f"{path.relative_to(corpus)}: {record.recipient!r}")
    return out
