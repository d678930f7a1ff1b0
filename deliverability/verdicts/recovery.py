"""The per-ESP recovery plan of one campaign, from the stored verdicts and events, and the plan as the
analysis stores it for the page and the files (``store_plan``, ``stored_plan``, ``refresh_plans``,
``update_plan``).

Reads the database and hands plain data to the pure rules in ``verdicts.unsuppress``: per
recipient with a verdict and a bounce / drop / suppression event in the campaign, its effective
verdict, those events (the ESP named by the upload's detected format, else by the campaign's ESP
field), and its complaint / unsubscribe / drop / suppression events in the organisation's other
campaigns (rule 2 looks at every campaign).

When a stored plan is computed again whole, and when only some of its addresses are updated:
- whole (``store_plan``): every judgement of the campaign (``judge_campaign``: the analysis of an upload
  with events in it, an upload's deletion, an override, an erasure), a page asking for a stale plan, and
  ``refresh_plans`` when what changed cannot be told address by address — an upload deleted, a retention
  purge (``mark_stale``), an upload with events in the campaign itself not judged yet;
- updated (``update_plan``, from ``refresh_plans``): an upload — a webhook batch of live ESP events — that
  only brings complaints, unsubscribes, drops or suppressions in other campaigns for addresses of this
  one: those addresses' lines and the summary's counts, under the campaign's lock, equal to the plan from
  scratch (tests/verdicts/test_recovery_update.py);
- restamped: an upload that cannot reach the plan.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.fields.json import KT
from django.utils import timezone

from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.verdicts.models import CampaignRecovery, RecipientVerdict, RecoveryEntry
from deliverability.verdicts.unsuppress import (
    EXCLUDED_COMPLAINT,
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
    summary_counts,
    summary_from_counts,
)

# Events elsewhere that can carry a complaint or an unsubscribe (rule 2).
HISTORY_TYPES = ("complaint", "unsubscribe", "suppressed", "dropped")
RELEVANT_TYPES = (*SUPPRESSION_TYPES, "complaint", "unsubscribe")  # every event type the plan reads
# The label keys the rules read, each as text from the database (KT): 4× less client CPU than
# decoding every event's whole label dict (measured at 30k recipients on PostgreSQL).
_LABELS = {f"label_{i}": KT(f"esp_labels__{key}") for i, key in enumerate(LABELS_READ)}
_FIELDS = ("recipient_id", "type", "esp_event_id", "upload__detected_format", *_LABELS)
_LABELS_END = 4 + len(LABELS_READ)  # fields after the labels: what a query adds to _FIELDS
HISTORY_SLICE = 900  # recipient ids per query (under SQLite's old 999-variable limit)


def _stored(row: tuple, fallback_esp: str) -> StoredEvent:
    labels = {key: str(value) for key, value in zip(LABELS_READ, row[4:_LABELS_END]) if value is not None}  # noqa: B905 (same length)
    return StoredEvent(type=row[1], esp=esp_from_name(row[3]) or fallback_esp, esp_event_id=row[2], labels=labels)


def _slices(ids: Sequence) -> Iterator[Sequence]:
    for start in range(0, len(ids), HISTORY_SLICE):
        yield ids[start:start + HISTORY_SLICE]


def _in_order(events: list[tuple[int, StoredEvent]]) -> list[StoredEvent]:
    """A recipient's events in the order they were stored (event id): where two events put an address on the
    same list, the first one's detail is the line's, whatever order the database returned them in."""
    if len(events) > 1:
        events.sort(key=lambda pair: pair[0])
    return [event for _pk, event in events]


def campaign_recovery_plan(campaign: Campaign) -> RecoveryPlan:
    return plan_recovery(_candidates(campaign))


def _candidates(campaign: Campaign, recipient_ids: Sequence[int] | None = None) -> Iterator[Candidate]:
    """The campaign's candidates (a verdict, and events in the campaign), in address order; with
    ``recipient_ids``, those recipients' only, read through the recipient index."""
    fallback = esp_from_name(campaign.esp)
    if recipient_ids is None:
        events = _campaign_events(campaign, fallback)
        history: dict[int, list[StoredEvent]] = defaultdict(list)
        if events:
            for recipient_id, event in _history(sorted(events), exclude_campaign=campaign):
                history[recipient_id].append(event)
    else:
        events, history = _address_events(campaign, recipient_ids, fallback)
    if not events:
        return
    fields = ("recipient_id", "email", "verdict")
    if recipient_ids is not None or len(events) < HISTORY_SLICE:
        verdicts: Iterable = sorted((row for ids in _slices(sorted(events)) for row in RecipientVerdict.objects
                                     .filter(campaign=campaign, recipient_id__in=ids).values_list(*fields)),
                                    key=lambda row: row[1])
    else:
        verdicts = (RecipientVerdict.objects.filter(campaign=campaign).values_list(*fields).order_by("email")
                    .iterator(chunk_size=5000))
    for recipient_id, email, verdict in verdicts:
        if recipient_id in events:
            yield Candidate(email=email, verdict=verdict, events=_in_order(events[recipient_id]),
                            history=history.get(recipient_id, ()))


def _campaign_events(campaign: Campaign, fallback: str) -> dict[int, list[tuple[int, StoredEvent]]]:
    events: dict[int, list[tuple[int, StoredEvent]]] = defaultdict(list)
    done = Event.objects.filter(upload__status=Upload.Status.DONE)  # not a running or lost import's rows
    for row in (done.filter(campaign=campaign, type__in=RELEVANT_TYPES)
                .annotate(**_LABELS).values_list(*_FIELDS, "id").iterator(chunk_size=5000)):
        events[row[0]].append((row[_LABELS_END], _stored(row, fallback)))
    return events


def _address_events(campaign: Campaign, recipient_ids: Sequence[int], fallback: str
                    ) -> tuple[dict[int, list[tuple[int, StoredEvent]]], dict[int, list[StoredEvent]]]:
    """For a few recipients, what ``_campaign_events`` and ``_history`` read for them (the same events: the
    campaign's of the types a plan reads from finished uploads, and the types rule 2 reads from every other
    campaign, finished or not), in one query per slice through the recipient index."""
    events: dict[int, list[tuple[int, StoredEvent]]] = defaultdict(list)
    history: dict[int, list[StoredEvent]] = defaultdict(list)
    with transaction.atomic():
        _recipient_index_only()
        for ids in _slices(sorted(recipient_ids)):
            rows = (Event.objects.filter(recipient_id__in=ids, type__in=RELEVANT_TYPES).annotate(**_LABELS)
                    .values_list(*_FIELDS, "campaign_id", "upload__status", "id"))
            for row in rows:
                campaign_id, status, pk = row[_LABELS_END:]
                if campaign_id == campaign.pk:
                    if status == Upload.Status.DONE:
                        events[row[0]].append((pk, _stored(row, fallback)))
                elif row[1] in HISTORY_TYPES:
                    history[row[0]].append(_stored(row, ""))
    return events, history


def _recipient_index_only() -> None:
    """Right after an import the statistics are stale, and the planner scanned the whole event table per
    slice (as the importer found; campaigns/importer.py): the recipient index only, for the rest of the
    transaction (PostgreSQL; elsewhere nothing)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan TO off; SET LOCAL jit TO off")


def _history(ids: list[int], exclude_campaign: Campaign | None = None) -> list[tuple[int, StoredEvent]]:
    """(recipient id, event) for the recipients' events that can carry a complaint or an unsubscribe
    (HISTORY_TYPES), in every campaign but ``exclude_campaign``.

    By recipient ids in slices (the recipient index), not a semi-join on the campaign's events: with
    the stale statistics of a fresh import, PostgreSQL probed the campaign's index once per row
    (1.4 s for 600 rows at 30k recipients). Every upload's events, finished or not: a complaint
    being imported right now still forbids lifting (rule 2 errs on the side of keeping suppressed)."""
    found: list[tuple[int, StoredEvent]] = []
    with transaction.atomic():
        _recipient_index_only()
        for chunk in _slices(ids):
            # No organisation filter: a recipient row is one organisation's, and that filter made the
            # planner read the organisation's every event per slice instead of the recipient index.
            rows = Event.objects.filter(recipient_id__in=chunk, type__in=HISTORY_TYPES)
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
# is stale until ``refresh_plans`` shows the change cannot have touched it, updates the few addresses it
# touched (``update_plan``: live ESP intake, one complaint at a time), or computes it again.

FORCE_RECOMPUTE: dict = {}  # an `inputs` no stamp equals (retention purged events: recompute, do not restamp)
# The stored line that records an address rule 2 left out: no ESP (no file reads it), the reason as the
# missing code, no order. With it the stored plan says of every address what it decided (``update_plan``).
RULE_2_ESP = ""
# Addresses past this many in one campaign: the whole plan is computed again rather than updated (an update
# reads each address's events and lines: a file of complaints for half the campaign is a new plan).
UPDATE_LIMIT = 5_000


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
    for email in plan.complained:
        yield campaign.pk, RULE_2_ESP, 0, "", email, "", "", EXCLUDED_COMPLAINT


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


def _history_events(upload_ids: Iterable[int]):
    return Event.objects.filter(upload_id__in=sorted(upload_ids), type__in=HISTORY_TYPES)


def _upload_reach(upload_id: int, organization_id: int) -> tuple[set[int], set[int]]:
    """The campaigns an upload's events can change the plan of: (those it has events in, those it reaches
    through rule 2 only — where an address it brings a complaint, unsubscribe, drop or suppression for has a
    verdict)."""
    fills = set(Event.objects.filter(upload_id=upload_id).values_list("campaign_id", flat=True).distinct())
    history = _history_events([upload_id]).values("recipient_id")
    reached = set(RecipientVerdict.objects.filter(organization_id=organization_id, recipient_id__in=history)
                  .values_list("campaign_id", flat=True).distinct())
    return fills, reached - fills


def refresh_plans(organization_id: int) -> Counter:
    """Bring the organisation's stored plans up to date with its uploads; returns how many plans were
    computed, updated and restamped. Run after every analysis and deletion; idempotent.

    A plan whose stamp differs from the uploads now is, by what changed since its stamp:
    - computed again whole when the change cannot be told (``_changed_uploads``: an upload deleted, a
      retention purge): the events are gone, and with them which addresses they concerned;
    - computed again whole when a changed upload has events in the campaign itself: they can change its
      candidates and their own events (its analysis judges the campaign, and ``judge_campaign`` stores the
      whole plan with the new verdicts; this covers an import not analysed yet). Overrides and erasures go
      through ``judge_campaign`` too and never reach this function's choice;
    - restamped when no changed upload reaches it;
    - otherwise reached through rule 2 only: the changed uploads brought complaints, unsubscribes, drops or
      suppressions in other campaigns for some of its addresses. Only those addresses' lines and the
      summary's counts are brought up to date (``update_plan``), unless they are more than UPDATE_LIMIT or
      the stored plan cannot vouch for what it said of them (then whole).
    A campaign with verdicts but no stored plan is computed."""
    now = inputs_stamp(organization_id)
    done: Counter = Counter()
    reach: dict[int, tuple[set[int], set[int]]] = {}
    for row in CampaignRecovery.objects.filter(campaign__organization_id=organization_id).select_related("campaign"):
        outcome = _refresh(row, now, reach, organization_id)
        if outcome == _MOVED:  # another refresh or a judgement stored it meanwhile: once more, from what it stored
            again = CampaignRecovery.objects.select_related("campaign").filter(pk=row.pk).first()
            outcome = _refresh(again, now, reach, organization_id) if again is not None else ""
            if outcome == _MOVED:
                store_plan(row.campaign)
                outcome = "computed"
        if outcome:
            done[outcome] += 1
    missing = (Campaign.objects.filter(organization_id=organization_id, recovery__isnull=True)
               .filter(pk__in=RecipientVerdict.objects.filter(organization_id=organization_id).values("campaign_id")))
    for campaign in missing:
        store_plan(campaign)
        done["computed"] += 1
    return done


_MOVED = "moved"  # the stored plan changed since it was read: look again


def _refresh(row: CampaignRecovery, now: dict, reach: dict, organization_id: int) -> str:
    """One stale plan brought up to date; what was done ("" when it was current)."""
    if row.inputs == now:
        return ""
    changed = _changed_uploads(row.inputs, now, organization_id)
    if changed is None:  # deleted events (an upload, a purge): which addresses they concerned is gone with them
        store_plan(row.campaign)
        return "computed"
    for upload_id in changed - reach.keys():
        reach[upload_id] = _upload_reach(upload_id, organization_id)
    if any(row.campaign_id in reach[upload_id][0] for upload_id in changed):
        store_plan(row.campaign)  # the campaign's own events changed: its candidates and lines, not rule 2 alone
        return "computed"
    through_history = [upload_id for upload_id in changed if row.campaign_id in reach[upload_id][1]]
    if not through_history:
        if CampaignRecovery.objects.filter(pk=row.pk, computed_at=row.computed_at).update(inputs=now):
            return "restamped"
        return _MOVED
    addresses = list(RecipientVerdict.objects.filter(
        campaign_id=row.campaign_id, recipient_id__in=_history_events(through_history).values("recipient_id"))
        .values_list("recipient_id", flat=True)[:UPDATE_LIMIT + 1])
    if len(addresses) > UPDATE_LIMIT:
        store_plan(row.campaign)
        return "computed"
    outcome = update_plan(row, addresses, now)
    if outcome == _UNTRUSTED:
        store_plan(row.campaign)
        return "computed"
    return outcome


_UNTRUSTED = "untrusted"  # the stored lines are not what the plan said of these addresses: compute it whole
_COMPLAINED = (StoredEvent(type="complaint"),)  # a history that makes rule 2 leave an address out


def update_plan(row: CampaignRecovery, recipient_ids: Sequence[int], stamp: dict) -> str:
    """Bring a stored plan up to date for a few of its addresses whose history in other campaigns changed
    (rule 2): their lines and the summary's counts, then the stamp. Under the campaign's row lock, as
    ``store_plan``. Returns "updated"; _MOVED, with nothing written, when the stored plan is no longer the
    one ``row`` was read from; _UNTRUSTED, nothing written, when its lines do not say of these addresses
    what their campaign events and verdicts imply.

    Exact, not an estimate: every figure and line of a plan is a sum over addresses, each decided by its own
    events, verdict and history (``unsuppress.summary_counts``). What the stored plan decided for each of these
    addresses is read back from it — its lines, and the rule-2 line (RULE_2_ESP) of an address left out by
    rule 2 (else the address's events and verdict alone decide it, and must give exactly its stored lines) —
    and what it decides now is computed from the events now. The rest of the plan is kept as stored: the
    caller has established that no changed upload has events in the campaign or history for its other
    addresses, as a restamp does. History only grows here, so an address can only leave the files (its lines
    deleted; the others keep their positions, gaps and all) — a line to add would be a change this update
    was not built for, and the whole plan is computed instead."""
    campaign = row.campaign
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        current = CampaignRecovery.objects.filter(pk=row.pk).values_list("inputs", "computed_at", "summary").first()
        if current is None or (current[0], current[1]) != (row.inputs, row.computed_at):
            return _MOVED
        candidates = list(_candidates(campaign, recipient_ids))
        emails = [candidate.email for candidate in candidates]
        stored_lines: dict[str, list[tuple]] = defaultdict(list)
        line_ids: dict[str, list[int]] = defaultdict(list)
        rule_2_ids: dict[str, int] = {}
        for chunk in _slices(emails):
            for pk, esp, *line in (RecoveryEntry.objects.filter(campaign=campaign, email__in=chunk)
                                   .values_list("id", "esp", "email", "list", "esp_id", "detail", "missing")):
                if esp == RULE_2_ESP:
                    rule_2_ids[line[0]] = pk
                else:
                    stored_lines[line[0]].append((esp, *line[1:]))
                    line_ids[line[0]].append(pk)
        before = plan_recovery(replace(c, history=_COMPLAINED if c.email in rule_2_ids else ()) for c in candidates)
        after = plan_recovery(candidates)
        lines_before, lines_after = _lines_by_email(before), _lines_by_email(after)
        if lines_before != {email: sorted(lines) for email, lines in stored_lines.items()} \
                or set(before.complained) != rule_2_ids.keys():
            return _UNTRUSTED
        if any(lines and lines != lines_before.get(email) for email, lines in lines_after.items()):
            return _UNTRUSTED
        try:
            counts = summary_counts(current[2])
            counts.subtract(summary_counts(summarise(before)))
            counts.update(summary_counts(summarise(after)))
            summary = summary_from_counts(counts)
        except (KeyError, ValueError):  # a summary of another shape, or counts these addresses were never part of
            return _UNTRUSTED
        gone = [pk for email in lines_before.keys() - lines_after.keys() for pk in line_ids[email]]
        gone += [rule_2_ids[email] for email in rule_2_ids.keys() - set(after.complained)]
        for chunk in _slices(gone):
            RecoveryEntry.objects.filter(pk__in=chunk).delete()
        RecoveryEntry.objects.bulk_create(
            RecoveryEntry(campaign=campaign, esp=RULE_2_ESP, position=0, email=email, missing=EXCLUDED_COMPLAINT)
            for email in sorted(set(after.complained) - rule_2_ids.keys()))
        CampaignRecovery.objects.filter(pk=row.pk).update(summary=summary, inputs=stamp, computed_at=timezone.now())
    return "updated"


def _lines_by_email(plan: RecoveryPlan) -> dict[str, list[tuple]]:
    """The plan's file lines per address, as stored (ESP, list, ESP id, detail, missing code), sorted."""
    lines: dict[str, list[tuple]] = defaultdict(list)
    for esp, esp_plan in plan.esps.items():
        for entry in esp_plan.entries:
            lines[entry.email].append((esp, entry.list, entry.esp_id, entry.detail, ""))
        for email, code in esp_plan.missing:
            lines[email].append((esp, "", "", "", code))
    return {email: sorted(found) for email, found in lines.items()}


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
