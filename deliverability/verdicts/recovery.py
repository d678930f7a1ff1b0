"""The per-ESP recovery plan of one campaign, from the stored verdicts and events.

Reads the database and hands plain data to the pure rules in ``verdicts.unsuppress``: per
recipient with a verdict and a bounce / drop / suppression event in the campaign, its effective
verdict, those events (the ESP named by the upload's detected format, else by the campaign's ESP
field), and its complaint / unsubscribe / drop / suppression events in the organisation's other
campaigns (rule 2 looks at every campaign).
"""
from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.db.models.fields.json import KT

from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.verdicts.models import RecipientVerdict
from deliverability.verdicts.unsuppress import (
    LABELS_READ,
    SUPPRESSION_TYPES,
    Candidate,
    RecoveryPlan,
    StoredEvent,
    complained_or_unsubscribed,
    esp_from_name,
    plan_recovery,
)

# Events elsewhere that can carry a complaint or an unsubscribe (rule 2).
HISTORY_TYPES = ("complaint", "unsubscribe", "suppressed", "dropped")
# The label keys the rules read, each as text from the database (KT): 4× less client CPU than
# decoding every event's whole label dict (measured at 30k recipients on PostgreSQL).
_LABELS = {f"label_{i}": KT(f"esp_labels__{key}") for i, key in enumerate(LABELS_READ)}
_FIELDS = ("recipient_id", "type", "esp_event_id", "upload__detected_format", *_LABELS)
HISTORY_SLICE = 900  # recipient ids per query (under SQLite's old 999-variable limit)


def _stored(row: tuple, fallback_esp: str) -> StoredEvent:
    labels = {key: str(value) for key, value in zip(LABELS_READ, row[4:]) if value is not None}  # noqa: B905 (same length)
    return StoredEvent(type=row[1], esp=esp_from_name(row[3]) or fallback_esp, esp_event_id=row[2], labels=labels)


def campaign_recovery_plan(campaign: Campaign) -> RecoveryPlan:
    fallback = esp_from_name(campaign.esp)
    events: dict[int, list[StoredEvent]] = defaultdict(list)
    done = Event.objects.filter(upload__status=Upload.Status.DONE)  # not a running or lost import's rows
    for row in (done.filter(campaign=campaign, type__in=(*SUPPRESSION_TYPES, "complaint", "unsubscribe"))
                .annotate(**_LABELS).values_list(*_FIELDS).iterator(chunk_size=5000)):
        events[row[0]].append(_stored(row, fallback))
    if not events:
        return plan_recovery(())
    history: dict[int, list[StoredEvent]] = defaultdict(list)
    for recipient_id, event in _history(sorted(events), exclude_campaign=campaign):
        history[recipient_id].append(event)
    verdicts = (RecipientVerdict.objects.filter(campaign=campaign, recipient_id__in=list(events))
                if len(events) < 900 else RecipientVerdict.objects.filter(campaign=campaign))
    candidates = (
        Candidate(email=v["email"], verdict=v["verdict"], events=events[v["recipient_id"]],
                  history=history.get(v["recipient_id"], ()))
        for v in verdicts.values("recipient_id", "email", "verdict").order_by("email").iterator(chunk_size=5000)
        if v["recipient_id"] in events
    )
    return plan_recovery(candidates)


def _history(ids: list[int], exclude_campaign: Campaign | None = None) -> list[tuple[int, StoredEvent]]:
    """(recipient id, event) for the recipients' events that can carry a complaint or an unsubscribe
    (HISTORY_TYPES), in every campaign but ``exclude_campaign``.

    By recipient ids in slices (the recipient index), not a semi-join on the campaign's events: with
    the stale statistics of a fresh import, PostgreSQL probed the campaign's index once per row
    (1.4 s for 600 rows at 30k recipients). Every upload's events, finished or not: a complaint
    being imported right now still forbids lifting (rule 2 errs on the side of keeping suppressed)."""
    found: list[tuple[int, StoredEvent]] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Right after an import the statistics are stale, and the planner scanned the whole event
            # table per slice (as the importer found; campaigns/importer.py): the recipient index only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan TO off; SET LOCAL jit TO off")
        for start in range(0, len(ids), HISTORY_SLICE):
            # No organisation filter: a recipient row is one organisation's, and that filter made the
            # planner read the organisation's every event per slice instead of the recipient index.
            rows = Event.objects.filter(recipient_id__in=ids[start:start + HISTORY_SLICE], type__in=HISTORY_TYPES)
            if exclude_campaign is not None:
                rows = rows.exclude(campaign=exclude_campaign)
            found.extend((row[0], _stored(row, "")) for row in rows.annotate(**_LABELS).values_list(*_FIELDS))
    return found


def opted_out(recipient_ids: list[int]) -> set[int]:
    """Those of ``recipient_ids`` that complained or unsubscribed, in any campaign (rule 2: a complaint or
    unsubscribe event, or a drop / suppression whose reason says so; ``complained_or_unsubscribed``)."""
    return {recipient_id for recipient_id, event in _history(sorted(set(recipient_ids)))
            if complained_or_unsubscribed(event)}
