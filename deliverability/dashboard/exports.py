"""The recovery- and suppress-list downloads, from stored verdicts through the lists' rules in verdicts.exports.

verdicts.exports.list_rows takes (facts, verdict) pairs; a stored RecipientVerdict holds exactly the fields it
reads (outcome, ESP hard label, reply code, category, answering vendor, effective verdict and
evidence), so each row is turned back into those two objects and the rules stay in one place. The lists are
for people, written as the product's other reports are (tables.PeopleCsv: the reader's language, numbers and
words, a byte-order mark for Excel).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import override

from deliverability.campaigns.models import Campaign
from deliverability.verdicts.exports import COLUMNS, REPORTED, list_rows
from deliverability.verdicts.facts import RecipientFacts
from deliverability.verdicts.judge import Verdict
from deliverability.verdicts.models import RecipientVerdict
from deliverability.verdicts.recovery import opted_out

from .tables import Label, PeopleCsv, Words

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


FIRST_BATCH = 200  # verdict rows in the download's first piece (its first byte waits for them)
BATCH = 2000  # verdict rows per later piece


def _in_words(row: list) -> list:
    """A list's row (verdicts.exports.COLUMNS) as its reader reads it: the verdict's label, the confidence with two
    decimals, what the ESP said in their words; the rest as it is (overridden, a bool, is written yes / no)."""
    email, domain, verdict, confidence, reported, category, vendor, evidence, overridden = row
    said = Words(reported) if reported in REPORTED else Label(reported)
    return [email, domain, Label(verdict), Decimal(f"{confidence:.2f}"), said, category, vendor, evidence, overridden]


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


def _chunks(pairs: Iterator[tuple[RecipientFacts, Verdict]], kind: str, people: PeopleCsv) -> Iterator[str]:
    """The list's CSV in pieces: the header, then FIRST_BATCH verdicts, then BATCH at a time; the first rows leave
    once they are read and written, not once a campaign's hundred thousand verdicts are."""
    yield people.header(COLUMNS)
    size = FIRST_BATCH
    with override(people.language):  # the body streams after the view returned: in the download's language
        while True:
            batch = list(islice(pairs, size))
            if not batch:
                return
            yield "".join(people.row(_in_words(row)) for row in list_rows(kind, batch))
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
    response = StreamingHttpResponse(_chunks(iter(pairs), kind, PeopleCsv()), content_type="text/csv; charset=utf-8")
    name = slugify(campaign.name)[:80] or f"campaign-{campaign.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-{kind}-list.csv"'
    return response
