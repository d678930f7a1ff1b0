"""The per-ESP recovery plan of one campaign, from the stored verdicts and events, and the plan as the
analysis stores it for the page and the files (``store_plan``, ``stored_plan``, ``refresh_plans``).

Reads the database and hands plain data to the pure rules in ``verdicts.unsuppress``: per
recipient with a verdict and a bounce / drop / suppression event in the campaign, its effective
verdict, those events (the ESP named by the upload's detected format, else by the campaign's ESP
field), and its complaint / unsubscribe / drop / suppression events in the organisation's other
campaigns (rule 2 looks at every campaign).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.fields.json import KT

from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.verdicts.models import CampaignRecovery, RecipientVerdict, RecoveryEntry
from deliverability.verdicts.unsuppress import (
    LABELS_READ,
    SUPPRESSION_TYPES,
    Candidate,
    Entry,
    RecoveryPlan,
    StoredEvent,
    complained_or_unsubscribed,
    esp_from_name,
    plan_recovery,
    summarise,
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


# --- The stored plan ---------------------------------------------------------------------------------
# The plan of a 900,000-recipient campaign takes seconds to compute (every suppressed address's events and
# history): the analysis computes it with the campaign's verdicts (services.judge_campaign) and stores what
# the page shows (CampaignRecovery.summary) and the files' lines (RecoveryEntry). Its inputs are the
# campaign's events and verdicts — rewritten only by judge_campaign, which stores the plan again (an
# import's analysis, an upload's deletion, an override, an erasure) — and its addresses' complaints and
# unsubscribes in every other campaign, which any upload of the organisation can bring or take away. So the
# plan carries the organisation's uploads as they were (``inputs_stamp``); when they differ now, the plan
# is stale until ``refresh_plans`` shows the change cannot have touched it or computes it again.

RELEVANT_TYPES = (*SUPPRESSION_TYPES, "complaint", "unsubscribe")  # every event type the plan reads
FORCE_RECOMPUTE: dict = {}  # an `inputs` no stamp equals (retention purged events: recompute, do not restamp)


def inputs_stamp(organization_id: int) -> dict:
    """The organisation's uploads as a plan depends on them: the highest upload id, how many there are, and
    the state of each upload not settled yet (settled: imported and analysed; its events no longer change)."""
    uploads = Upload.objects.filter(organization_id=organization_id)
    totals = uploads.aggregate(top=Max("id"), n=Count("id"))
    unsettled = uploads.exclude(status=Upload.Status.DONE, analyzed_at__isnull=False)
    return {"top": totals["top"] or 0, "n": totals["n"],
            "open": {str(pk): status + ("+analysed" if analysed else "")
                     for pk, status, analysed in unsettled.values_list("id", "status", "analyzed_at")}}


def store_plan(campaign: Campaign) -> dict:
    """Compute the campaign's plan and store its summary and lines; returns the summary.

    Under the campaign's row lock, as ``judge_campaign`` (which calls this inside its own): a plan computed
    here from verdicts a judgement is replacing can never be written after that judgement's plan."""
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        stamp = inputs_stamp(campaign.organization_id)  # before reading: a change meanwhile leaves it stale
        plan = campaign_recovery_plan(campaign)
        summary = summarise(plan)
        RecoveryEntry.objects.filter(campaign=campaign).delete()
        _insert_entries(campaign, plan)
        CampaignRecovery.objects.update_or_create(campaign=campaign, defaults={"summary": summary, "inputs": stamp})
    return summary


_ENTRY_COLUMNS = ("campaign_id", "esp", "position", "list", "email", "esp_id", "detail", "missing")


def _entry_rows(campaign: Campaign, plan: RecoveryPlan) -> Iterator[tuple]:
    for esp, esp_plan in plan.esps.items():
        position = 0
        for entry in esp_plan.entries:  # sorted by list, email, id
            yield campaign.pk, esp, position, entry.list, entry.email, entry.esp_id, entry.detail, ""
            position += 1
        for email, code in esp_plan.missing:  # sorted
            yield campaign.pk, esp, position, "", email, "", "", code
            position += 1


def _insert_entries(campaign: Campaign, plan: RecoveryPlan) -> None:
    rows = _entry_rows(campaign, plan)
    if connection.vendor != "postgresql":
        RecoveryEntry.objects.bulk_create((RecoveryEntry(**dict(zip(_ENTRY_COLUMNS, row))) for row in rows),  # noqa: B905
                                          batch_size=2000)
        return
    columns = ", ".join(connection.ops.quote_name(RecoveryEntry._meta.get_field(name).column) for name in _ENTRY_COLUMNS)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {RecoveryEntry._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def stored_plan(campaign: Campaign) -> tuple[CampaignRecovery | None, bool]:
    """The stored plan and whether it is current (its inputs are the organisation's uploads now)."""
    row = CampaignRecovery.objects.filter(campaign=campaign).first()
    return row, row is not None and row.inputs == inputs_stamp(campaign.organization_id)


def stored_entries(campaign: Campaign, esp: str, lists: Sequence[str]) -> Iterator[Entry]:
    """The stored lines of an ESP's lists, in the plan's order (list, address, ESP id)."""
    rows = (RecoveryEntry.objects.filter(campaign=campaign, esp=esp, list__in=list(lists)).order_by("position")
            .values_list("email", "list", "esp_id", "detail"))
    for email, list_name, esp_id, detail in rows.iterator(chunk_size=5000):
        yield Entry(email, list_name, esp_id, detail)


def stored_missing(campaign: Campaign, esp: str) -> Iterator[tuple[str, str]]:
    rows = (RecoveryEntry.objects.filter(campaign=campaign, esp=esp, list="").order_by("position")
            .values_list("email", "missing"))
    yield from rows.iterator(chunk_size=5000)


def _changed_uploads(before: dict, now: dict, organization_id: int) -> set[int] | None:
    """The uploads whose events may differ between two stamps; None when that cannot be told (an upload
    was deleted: its events are gone) or the old stamp is forced stale."""
    if not before or "top" not in before:
        return None
    added = set(Upload.objects.filter(organization_id=organization_id, pk__gt=before["top"])
                .values_list("id", flat=True))
    if before["n"] + len(added) != now["n"]:
        return None
    changed = set()
    for pk, state in before["open"].items():
        after = now["open"].get(pk, Upload.Status.DONE + "+analysed")  # gone from `open`: settled (none deleted)
        if after.split("+")[0] != state.split("+")[0]:  # the analysis flag alone changes no event
            changed.add(int(pk))
    changed |= {int(pk) for pk in now["open"] if pk not in before["open"] and int(pk) <= before["top"]}
    return added | changed


def _campaigns_touched(upload_id: int, organization_id: int) -> set[int]:
    """Campaigns whose plan an upload's events can change: those it has events of the types a plan reads in
    (its own events), and those where an address with a complaint, unsubscribe, drop or suppression in it
    has a verdict (the history rule 2 reads in every campaign)."""
    upload_events = Event.objects.filter(upload_id=upload_id)
    touched = set(upload_events.filter(type__in=RELEVANT_TYPES).values_list("campaign_id", flat=True).distinct())
    history = upload_events.filter(type__in=HISTORY_TYPES).values("recipient_id")
    touched |= set(RecipientVerdict.objects.filter(organization_id=organization_id, recipient_id__in=history)
                   .values_list("campaign_id", flat=True).distinct())
    return touched


def refresh_plans(organization_id: int) -> Counter:
    """Bring the organisation's stored plans up to date with its uploads: a plan no changed upload can have
    touched takes the current stamp; any other (and a campaign with verdicts but no stored plan) is computed
    again. Run after every analysis and deletion; idempotent."""
    now = inputs_stamp(organization_id)
    done: Counter = Counter()
    touched: dict[int, set[int]] = {}
    for row in CampaignRecovery.objects.filter(campaign__organization_id=organization_id).select_related("campaign"):
        if row.inputs == now:
            continue
        changed = _changed_uploads(row.inputs, now, organization_id)
        if changed is not None:
            for upload_id in changed - touched.keys():
                touched[upload_id] = _campaigns_touched(upload_id, organization_id)
        if changed is None or any(row.campaign_id in touched[upload_id] for upload_id in changed):
            store_plan(row.campaign)
            done["computed"] += 1
        elif CampaignRecovery.objects.filter(pk=row.pk, computed_at=row.computed_at).update(inputs=now):
            done["restamped"] += 1
    missing = (Campaign.objects.filter(organization_id=organization_id, recovery__isnull=True)
               .filter(pk__in=RecipientVerdict.objects.filter(organization_id=organization_id).values("campaign_id")))
    for campaign in missing:
        store_plan(campaign)
        done["computed"] += 1
    return done


def mark_stale(organization_id: int) -> int:
    """Every stored plan of the organisation is to be computed again (events were deleted outside an upload)."""
    return CampaignRecovery.objects.filter(campaign__organization_id=organization_id).update(inputs=FORCE_RECOMPUTE)


INLINE_LIMIT = 5_000  # verdicts: a stale plan of a campaign this small is computed on the request


def refresh_key(campaign_id: int) -> str:
    return f"recovery-plan-refresh:{campaign_id}"


def current_summary(campaign: Campaign) -> tuple[dict | None, bool]:
    """(summary, fresh) for the page and the files. A stale or missing plan is computed on the request for a
    small campaign; for a large one a background task is asked for (once at a time) and the summary is None,
    with ``fresh`` False: the caller says the plan is being computed, never shows stale figures."""
    from django.core.cache import cache

    from deliverability.taskqueue import dispatch
    from deliverability.verdicts import tasks

    row, fresh = stored_plan(campaign)
    if fresh:
        return row.summary, True
    if RecipientVerdict.objects.filter(campaign=campaign).count() <= INLINE_LIMIT:
        return store_plan(campaign), True
    if cache.add(refresh_key(campaign.pk), 1, timeout=1800):
        dispatch(tasks.store_recovery_plan, campaign.pk)
    return None, False
