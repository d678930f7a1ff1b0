"""The recovery- and suppress-list downloads, from stored verdicts through the lead's writer in verdicts.exports.

The writer takes (facts, verdict) pairs; a stored RecipientVerdict holds exactly the fields it
reads (outcome, ESP hard label, reply code, category, answering vendor, effective verdict and
evidence), so each row is turned back into those two objects and the rules stay in one place.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.text import slugify

from deliverability.campaigns.models import Campaign
from deliverability.verdicts.exports import write_recovery_list, write_suppress_list
from deliverability.verdicts.facts import RecipientFacts
from deliverability.verdicts.judge import Verdict
from deliverability.verdicts.models import RecipientVerdict
from deliverability.verdicts.recovery import opted_out

FIELDS = ("recipient_id", "email", "domain", "outcome", "occurred_at", "category", "signature", "reply_code", "enhanced_status",
          "vendor", "domain_kind", "esp_hard", "verdict", "confidence", "evidence", "override_verdict")


def stored_pairs(rows: Iterable[dict]) -> Iterable[tuple[RecipientFacts, Verdict]]:
    for row in rows:
        facts = RecipientFacts(
            email=row["email"], domain=row["domain"], outcome=row["outcome"], occurred_at=row["occurred_at"],
            category=row["category"] or None, signature=row["signature"] or None, reply_code=row["reply_code"],
            status=row["enhanced_status"] or None, bounce_vendor=row["vendor"] or None,
            domain_kind=row["domain_kind"] or None, esp_hard=row["esp_hard"],
        )
        verdict = Verdict(verdict=row["verdict"], confidence=row["confidence"], evidence=list(row["evidence"] or []),
                          overridden=bool(row["override_verdict"]))
        yield facts, verdict


WRITERS = {"recovery": write_recovery_list, "suppress": write_suppress_list}


FIRST_BATCH = 200  # verdict rows in the download's first piece (its first byte waits for them)
BATCH = 2000  # verdict rows per later piece


class _Chunk:
    """The writer's file-like target for one batch; `header=False` drops the header row it writes first."""

    def __init__(self, header: bool):
        self.parts: list[str] = []
        self.skip = not header

    def write(self, text: str) -> None:
        if self.skip:
            self.skip = False
            return
        self.parts.append(text)


def _by_address(verdicts: QuerySet[RecipientVerdict]) -> Iterator[dict]:
    """The campaign's verdict rows in address order, read as keyset pages on the (campaign, email) index.

    Not a server-side cursor: outside a transaction Django declares it WITH HOLD, and PostgreSQL then
    computes the whole result before the first row (200 ms to seconds for a 1M-recipient campaign). An
    address appears once per campaign, so the last address of a page is the next page's start."""
    last, size = None, FIRST_BATCH
    while True:
        page = verdicts.order_by("email") if last is None else verdicts.order_by("email").filter(email__gt=last)
        rows = list(page.values(*FIELDS)[:size])
        yield from rows
        if len(rows) < size:
            return
        last, size = rows[-1]["email"], BATCH


def _chunks(pairs: Iterator[tuple[RecipientFacts, Verdict]], kind: str) -> Iterator[str]:
    """The list's CSV in pieces (FIRST_BATCH verdicts, then BATCH): the first byte leaves once the first rows
    are read and written, not once a campaign's hundred thousand verdicts are."""
    first, size = True, FIRST_BATCH
    while True:
        batch = list(islice(pairs, size))
        if not batch and not first:
            return
        chunk = _Chunk(header=first)
        WRITERS[kind](batch, chunk)
        first = False
        yield "".join(chunk.parts)
        if len(batch) < size:
            return
        size = BATCH


def _without_opt_outs(rows: Iterator[dict]) -> Iterator[dict]:
    """``rows`` less the recipients that complained or unsubscribed in any campaign of the organisation:
    lifting a suppression must never re-mail someone who asked to stop (issue 21). The same rule as the
    per-ESP un-suppression files (verdicts.recovery.opted_out), looked up per page of rows by recipient
    id, so the first byte waits for one page only."""
    size = FIRST_BATCH
    while True:
        page = list(islice(rows, size))
        if not page:
            return
        stopped = opted_out([row["recipient_id"] for row in page])
        yield from (row for row in page if row["recipient_id"] not in stopped)
        size = BATCH


def address_list_response(campaign: Campaign, verdicts: QuerySet[RecipientVerdict], kind: str) -> StreamingHttpResponse:
    """The recovery list (keep: the ESP would suppress them, the verdict says they are valid; never an
    address that complained or unsubscribed) or the suppress list (really invalid), streamed as CSV."""
    rows = _by_address(verdicts)
    if kind == "recovery":
        rows = _without_opt_outs(rows)
    pairs = stored_pairs(rows)
    response = StreamingHttpResponse(_chunks(iter(pairs), kind), content_type="text/csv; charset=utf-8")
    name = slugify(campaign.name)[:80] or f"campaign-{campaign.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-{kind}-list.csv"'
    return response
