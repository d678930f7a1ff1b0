"""The recovery- and suppress-list downloads, from stored verdicts through the lead's writer in verdicts.exports.

The writer takes (facts, verdict) pairs; a stored RecipientVerdict holds exactly the fields it
reads (outcome, ESP hard label, reply code, category, answering vendor, effective verdict and
evidence), so each row is turned back into those two objects and the rules stay in one place.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.text import slugify

from deliverability.campaigns.models import Campaign
from deliverability.verdicts.exports import write_recovery_list, write_suppress_list
from deliverability.verdicts.facts import RecipientFacts
from deliverability.verdicts.judge import Verdict
from deliverability.verdicts.models import RecipientVerdict

FIELDS = ("email", "domain", "outcome", "occurred_at", "category", "signature", "reply_code", "enhanced_status",
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


def address_list_response(campaign: Campaign, verdicts: QuerySet[RecipientVerdict], kind: str) -> HttpResponse:
    """The recovery list (keep: the ESP would suppress them, the verdict says they are valid) or
    the suppress list (really invalid), streamed as CSV."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = slugify(campaign.name)[:80] or f"campaign-{campaign.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-{kind}-list.csv"'
    WRITERS[kind](stored_pairs(verdicts.values(*FIELDS).iterator(chunk_size=2000)), response)
    return response
