"""Weekly snapshots: load a week's rollups, build and publish snapshots, notice late data.

Reads only the rollups (CampaignDiagnosis, CampaignDomainStat); the pure figures are in
`weekly.py`. Every entry point takes `now` so tests freeze time by passing it.

Once per hour the beat runs `weekly_tick(now)`. For each organisation whose Monday 06:00 has
come in its own time zone, the previous week is claimed by INSERTing its (organisation, week)
row: the unique constraint lets exactly one caller win, however many beats or workers run.
The winner builds the figures and sends the digest, itself claimed by a conditional UPDATE on
`digest_sent_at`, so a digest is sent at most once (a crash between claim and send loses that
week's mail rather than risking a second one).

Late data: when an upload is imported (signal `upload_imported`) or campaigns lose events
(`campaigns_changed`), the snapshots of the weeks it touches are marked stale. A refresh
recomputes them once the organisation has no upload still being analysed (the rollups are
then final); if the figures changed, the snapshot records a revision and the page says it
was updated after first publication. The digest is not sent again.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Campaign, Event, Upload
from deliverability.verdicts.models import CampaignDiagnosis, CampaignDomainStat

from . import weekly
from .models import WeeklySnapshot

log = logging.getLogger(__name__)

BUILD_TIMEOUT = timedelta(minutes=30)  # a build claimed longer ago than this was abandoned by a dead worker
ANALYSIS_WAIT = timedelta(hours=6)  # an upload stuck in analysis longer than this no longer holds refreshes back

DIAGNOSIS_FIELDS = ("campaign_id", "campaign__name", "campaign__sent_at", "campaign__organization_id", "recipients",
                    "delivered", "bounced", "reported_hard_bounce_rate", "estimated_invalid_rate", "b2b_recipients",
                    "b2b_bounced", "b2c_recipients", "b2c_bounced", "by_verdict", "by_vendor", "data")
STAT_FIELDS = ("domain", "kind", "vendor", "recipients", "delivered", "bounced", *weekly.STAT_VERDICTS)


# --- Loading ---------------------------------------------------------------------------------


def diagnoses_between(org_ids: Iterable[int], start: datetime, end: datetime):
    """Diagnoses of campaigns sent in [start, end) (UTC instants), as dicts."""
    return (CampaignDiagnosis.objects.filter(campaign__organization_id__in=list(org_ids),
                                             campaign__sent_at__gte=start, campaign__sent_at__lt=end)
            .values(*DIAGNOSIS_FIELDS))


def compute_week(org: Organization, monday: date) -> dict:
    """The weekly payload of `org` for the week starting `monday`, from the rollups."""
    tz = org.tzinfo
    lookback = max(weekly.TREND_WEEKS - 1, weekly.NEW_DOMAIN_LOOKBACK_WEEKS)
    start, _ = weekly.week_bounds(monday - lookback * weekly.WEEK, tz)
    _, end = weekly.week_bounds(monday, tz)
    by_week = weekly.group_by_week(diagnoses_between([org.pk], start, end), tz)
    current_ids = [r["campaign_id"] for r in by_week.get(monday, ())]
    earlier_ids = [r["campaign_id"] for w, rows in by_week.items() if w < monday
                   and w >= monday - weekly.NEW_DOMAIN_LOOKBACK_WEEKS * weekly.WEEK for r in rows]
    current_stats = CampaignDomainStat.objects.filter(campaign_id__in=current_ids).values(*STAT_FIELDS) \
        if current_ids else []
    rejecting = Q(**{f"{weekly.REJECTION_VERDICTS[0]}__gt": 0})
    for verdict in weekly.REJECTION_VERDICTS[1:]:
        rejecting |= Q(**{f"{verdict}__gt": 0})
    earlier = set(CampaignDomainStat.objects.filter(rejecting, campaign_id__in=earlier_ids)
                  .values_list("domain", flat=True).distinct()) if earlier_ids else set()
    return weekly.week_payload(monday, tz, by_week, current_stats, earlier)


def staff_rows(monday: date) -> list[dict]:
    """Every organisation's week `monday` (in its own time zone) against its previous week."""
    orgs = {o.pk: o for o in Organization.objects.all()}
    # Wide enough in UTC for every time zone (±14 h); each row is then placed in its org's week.
    start = datetime.combine(monday - weekly.WEEK - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(monday + timedelta(days=9), time(0), tzinfo=UTC)
    per_org: dict[int, list[dict]] = {}
    for row in diagnoses_between(orgs, start, end):
        per_org.setdefault(row["campaign__organization_id"], []).append(row)
    rows = []
    for org_id, diagnoses in per_org.items():
        org = orgs[org_id]
        by_week = weekly.group_by_week(diagnoses, org.tzinfo)
        current = weekly.summarise(by_week.get(monday, ()))
        previous = weekly.summarise(by_week.get(monday - weekly.WEEK, ()))
        if not current["campaigns"] and not previous["campaigns"]:
            continue
        moves = weekly.vendor_moves(current["by_vendor"], previous["by_vendor"], limit=1)
        rows.append({"org": org, "current": current, "headline": weekly.headline_deltas(current, previous),
                     "top_move": moves[0] if moves else None})
    rows.sort(key=lambda r: (-(r["current"]["b2b_rate"] or 0), r["org"].name))
    return rows


# --- Building ---------------------------------------------------------------------------------


def claim(org: Organization, monday: date, now: datetime) -> WeeklySnapshot | None:
    """Become the one builder of (org, week), or None when another caller already is (or was)."""
    try:
        with transaction.atomic():
            return WeeklySnapshot.objects.create(organization=org, week=monday, claimed_at=now)
    except IntegrityError:
        pass
    # The row exists. Take it over only if its build was abandoned (a worker died mid-build);
    # the conditional UPDATE lets one of several reclaimers win.
    taken = WeeklySnapshot.objects.filter(organization=org, week=monday, status=WeeklySnapshot.Status.BUILDING,
                                          claimed_at__lt=now - BUILD_TIMEOUT).update(claimed_at=now)
    return WeeklySnapshot.objects.get(organization=org, week=monday) if taken else None


def publish(snapshot: WeeklySnapshot, now: datetime) -> WeeklySnapshot:
    """Compute and store the figures of a claimed snapshot, then mail its digest (once)."""
    from .digest import send_digest

    snapshot.payload = compute_week(snapshot.organization, snapshot.week)
    snapshot.status = WeeklySnapshot.Status.READY
    snapshot.computed_at = now
    snapshot.first_published_at = snapshot.first_published_at or now
    # `stale` is left alone: data that arrived during the build is picked up by the next refresh.
    snapshot.save(update_fields=["payload", "status", "computed_at", "first_published_at"])
    send_digest(snapshot, now)
    return snapshot


def build_due_snapshot(org: Organization, now: datetime) -> WeeklySnapshot | None:
    """Build `org`'s latest due week if nobody has; returns the snapshot this call built."""
    monday = weekly.latest_due_week(now, org.tzinfo)
    if WeeklySnapshot.objects.filter(organization=org, week=monday, status=WeeklySnapshot.Status.READY).exists():
        return None
    snapshot = claim(org, monday, now)
    return publish(snapshot, now) if snapshot else None


def analysis_pending(org_id: int, now: datetime) -> bool:
    """Whether an upload of the organisation is still importing or being analysed (rollups not final)."""
    recent = Upload.objects.filter(organization_id=org_id, created_at__gte=now - ANALYSIS_WAIT)
    return recent.filter(Q(status__in=[Upload.Status.PENDING, Upload.Status.RUNNING])
                         | Q(status=Upload.Status.DONE, analyzed_at__isnull=True)).exists()


def refresh(snapshot_id: int, now: datetime) -> str:
    """Recompute a stale snapshot: 'revised', 'unchanged', 'deferred' (analysis running) or 'skipped'."""
    snapshot = WeeklySnapshot.objects.select_related("organization").filter(pk=snapshot_id).first()
    if snapshot is None or not snapshot.stale or not snapshot.published:
        return "skipped"
    if analysis_pending(snapshot.organization_id, now):
        return "deferred"
    # Claim the refresh: only the caller that clears the flag recomputes. A stale mark that
    # arrives while we compute sets it again, and the next refresh runs.
    if not WeeklySnapshot.objects.filter(pk=snapshot.pk, stale=True).update(stale=False, stale_since=None):
        return "skipped"
    payload = compute_week(snapshot.organization, snapshot.week)
    if payload == snapshot.payload:
        WeeklySnapshot.objects.filter(pk=snapshot.pk).update(computed_at=now)
        return "unchanged"
    WeeklySnapshot.objects.filter(pk=snapshot.pk).update(payload=payload, computed_at=now, revised_at=now,
                                                          revisions=snapshot.revisions + 1)
    return "revised"


def refresh_stale(now: datetime, organization_id: int | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    stale = WeeklySnapshot.objects.filter(stale=True, status=WeeklySnapshot.Status.READY)
    if organization_id is not None:
        stale = stale.filter(organization_id=organization_id)
    for snapshot_id in list(stale.values_list("id", flat=True)):
        outcome = refresh(snapshot_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def weekly_tick(now: datetime) -> dict[str, int]:
    """The hourly beat: build every due week, then recompute stale ones. Safe to run any number of times."""
    built = 0
    for org in Organization.objects.all().iterator():
        try:
            if build_due_snapshot(org, now):
                built += 1
        except Exception:  # one organisation's failure must not hold back the others; the claim expires
            log.exception("weekly snapshot of organisation %s failed", org.pk)
    return {"built": built, **refresh_stale(now)}


# --- Late data ------------------------------------------------------------------------------


def mark_stale(organization_id: int, weeks: Iterable[date], now: datetime) -> int:
    weeks = {w for w in weeks if w is not None}
    if not weeks:
        return 0
    return WeeklySnapshot.objects.filter(organization_id=organization_id, week__in=weeks).update(
        stale=True, stale_since=now)


def weeks_of_campaigns(campaign_ids: Iterable[int], org: Organization) -> set[date]:
    sent = Campaign.objects.filter(pk__in=list(campaign_ids), sent_at__isnull=False).values_list("sent_at", flat=True)
    return {weekly.monday_of(moment, org.tzinfo) for moment in sent}


def mark_stale_for_upload(upload_id: int, now: datetime) -> int:
    """An import finished: the weeks its campaigns were sent in, and the weeks its events fall in
    (a campaign without a send time gets the first event's), may have changed."""
    upload = Upload.objects.select_related("organization").filter(pk=upload_id).first()
    if upload is None:
        return 0
    events = Event.objects.filter(upload_id=upload_id)
    weeks = set(events.values_list("week", flat=True).distinct())
    weeks |= weeks_of_campaigns(events.values_list("campaign_id", flat=True).distinct(), upload.organization)
    return mark_stale(upload.organization_id, weeks, now)


def mark_stale_for_campaigns(organization_id: int, campaign_ids: Iterable[int], now: datetime) -> int:
    """Campaigns lost events (an upload was deleted). The signal names the campaigns that remain;
    one left empty was deleted with the upload, so snapshots listing a campaign that no longer
    exists are stale too."""
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        return 0
    ids = set(campaign_ids)
    weeks = weeks_of_campaigns(ids, org)
    listed = {week: {c.get("id") for c in (payload or {}).get("campaigns", ())}
              for week, payload in WeeklySnapshot.objects.filter(organization=org).values_list("week", "payload")}
    everything = set().union(*listed.values()) if listed else set()
    existing = set(Campaign.objects.filter(pk__in=everything).values_list("id", flat=True))
    weeks |= {week for week, listed_ids in listed.items() if listed_ids & ids or listed_ids - existing}
    return mark_stale(organization_id, weeks, now)
