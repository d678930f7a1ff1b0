"""The weekly review, as pure computations: week boundaries and the week-over-week figures.

No Django, no database, no clock: callers pass "now" and plain rows (CampaignDiagnosis and
CampaignDomainStat values), and get plain, JSON-ready dicts back. The snapshot service stores
what `week_payload` returns; the pages and the digest render it.

Which week a campaign belongs to: the week (Monday 00:00 to the next Monday 00:00, in the
organisation's time zone) that contains its send time, `Campaign.sent_at`. A campaign's bounces
and late deferrals that arrive on the following Monday still count for the week it was sent in,
so one campaign is never split over two weeks and the weekly figures add up to the campaign
pages' figures. (`Event.week` is the Monday of each event; it is used only to notice late data.)
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from deliverability.bounces.vendors import vendor_name
from deliverability.domains.kinds import DomainKind
from deliverability.ingest.values import monday_of  # the one definition of a week
from deliverability.sentences import gettext_noop
from deliverability.verdicts.vocabulary import VerdictKind

from .figures import VERDICT_LABELS, VERDICTS, sum_vendors

READY_HOUR = 6  # the previous week's snapshot is built once Monday 06:00 local has passed
TREND_WEEKS = 8
NEW_DOMAIN_LOOKBACK_WEEKS = 8  # "new" = no rejections at the domain in these earlier weeks
REJECTION_VERDICTS = (VerdictKind.FILTER_REJECTION, VerdictKind.SENDER_ISSUE)  # a gateway or the sender's reputation said no
MAX_VENDOR_MOVES = 10
MAX_NEW_DOMAINS = 50
MAX_CAUSES = 5  # the week's biggest causes named in the story (issue 19 item 6)
# The causes a company's domain can own: refusals that say nothing about the address itself.
CAUSE_VERDICTS = (VerdictKind.FILTER_REJECTION, VerdictKind.SENDER_ISSUE, VerdictKind.TEMPORARY)
STAT_VERDICTS = tuple(VERDICTS)  # the domain-stat counters the weekly payload reads
WEEK = timedelta(days=7)


# --- Week boundaries ---------------------------------------------------------------------------


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """Midnight at the start of `day` in `tz`, as an aware datetime (the first instant of that day)."""
    return datetime.combine(day, time(0), tzinfo=tz)


def week_bounds(monday: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of the week starting `monday` in `tz`, in UTC: 167, 168 or 169 hours across DST.

    (In UTC because Python subtracts and compares two datetimes of the same tzinfo by wall time.)"""
    return local_midnight(monday, tz).astimezone(UTC), local_midnight(monday + WEEK, tz).astimezone(UTC)


def latest_due_week(now: datetime, tz: tzinfo, ready_hour: int = READY_HOUR) -> date:
    """The most recent week whose snapshot is due at `now`: last week once this Monday's
    `ready_hour` has come in `tz`, the week before that until then."""
    this_monday = monday_of(now, tz)
    ready = datetime.combine(this_monday, time(ready_hour), tzinfo=tz)
    return this_monday - (WEEK if now >= ready else 2 * WEEK)


# The earliest week a review can show: the trend and "new domain" look-backs reach weeks before
# it, and year 1 has no weeks before it (date arithmetic would overflow).
EARLIEST_WEEK = date(1990, 1, 1)


def parse_week(text: str) -> date | None:
    """A yyyy-mm-dd date from a URL (any weekday) from EARLIEST_WEEK on, or None."""
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return day if day >= EARLIEST_WEEK else None


# --- Week-over-week figures ------------------------------------------------------------------


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def summarise(diagnoses: Iterable[Mapping]) -> dict:
    """Add up the week's campaign diagnoses. Rates are recomputed from the summed counts
    (weighted by recipients), never averaged over campaigns. Rates are percent, None without recipients."""
    totals = dict.fromkeys(("campaigns", "recipients", "delivered", "bounced", "b2b_recipients", "b2b_bounced",
                            "b2c_recipients", "b2c_bounced"), 0)
    reported_hard = invalid = 0.0
    by_verdict = dict.fromkeys(VERDICTS, 0)
    hard_by_verdict = dict.fromkeys(VERDICTS, 0)
    hard_split_known = True  # every campaign's diagnosis carries its hard-bounce split (analysed since issue 19)
    hard_source = {"esp_label": 0, "inferred_from_reply": 0}
    colleagues: dict | None = None
    vendor_dicts = []
    for row in diagnoses:
        totals["campaigns"] += 1
        for key in ("recipients", "delivered", "bounced", "b2b_recipients", "b2b_bounced", "b2c_recipients",
                    "b2c_bounced"):
            totals[key] += row.get(key) or 0
        recipients = row.get("recipients") or 0
        reported_hard += (row.get("reported_hard_bounce_rate") or 0) * recipients
        invalid += (row.get("estimated_invalid_rate") or 0) * recipients
        for verdict, count in (row.get("by_verdict") or {}).items():
            if verdict in by_verdict:
                by_verdict[verdict] += count or 0
        data = row.get("data") or {}
        if "hard_by_verdict" in data:
            for verdict, count in data["hard_by_verdict"].items():
                if verdict in hard_by_verdict:
                    hard_by_verdict[verdict] += count or 0
            for key in hard_source:
                hard_source[key] += (data.get("hard_bounce_source") or {}).get(key) or 0
        elif recipients:
            hard_split_known = False
        found = data.get("colleagues_accepted")
        if found and (colleagues is None or (found["refused"], found["accepted"]) > (colleagues["refused"], colleagues["accepted"])):
            colleagues = {**found, "campaign_id": row.get("campaign_id"), "campaign": row.get("campaign__name") or ""}
        vendor_dicts.append(row.get("by_vendor") or {})
    recipients = totals["recipients"]
    return {
        **totals,
        "reported_hard": round(reported_hard),
        "estimated_invalid": round(invalid),
        "bounce_rate": _pct(totals["bounced"], recipients),
        "b2b_rate": _pct(totals["b2b_bounced"], totals["b2b_recipients"]),
        "b2c_rate": _pct(totals["b2c_bounced"], totals["b2c_recipients"]),
        "reported_hard_rate": _pct(reported_hard, recipients),
        "estimated_invalid_rate": _pct(invalid, recipients),
        "by_verdict": by_verdict,
        # What the ESP (or, without its label, the 5xx reply) called hard, by what it really was; None when
        # a campaign of the week was analysed before the split was kept.
        "hard_by_verdict": hard_by_verdict if hard_split_known else None,
        # Over bounced recipients the ESP did not call hard (soft, or no label and a 4xx reply).
        "soft_by_verdict": {v: max(0, by_verdict[v] - hard_by_verdict[v]) for v in VERDICTS} if hard_split_known else None,
        "hard_source": hard_source,
        "colleagues": colleagues,
        "by_vendor": sum_vendors(vendor_dicts),
    }


# Headline measures, in display order: (key, label). Every one is "higher is worse". The label is stored
# in English in the snapshot and translated when a page, the digest or the PDF renders it
# (``{% translate h.label %}``): gettext_noop puts it in the catalogues.
HEADLINE = (
    ("b2b_rate", gettext_noop("B2B bounce rate")),
    ("b2c_rate", gettext_noop("B2C bounce rate")),
    ("reported_hard_rate", gettext_noop("Reported hard bounces")),
    ("estimated_invalid_rate", gettext_noop("Estimated really invalid")),
)


def delta(current: float | None, previous: float | None) -> dict:
    """A measure against last week: the change in percentage points, an arrow and its meaning."""
    if current is None or previous is None:
        return {"value": current, "previous": previous, "delta": None, "arrow": "", "trend": "none"}
    change = round(current - previous, 2)
    if abs(change) < 0.005:
        return {"value": current, "previous": previous, "delta": 0.0, "arrow": "→", "trend": "flat"}
    # Bounce rates: up is worse. The arrow shows the direction, the trend word its meaning.
    return {"value": current, "previous": previous, "delta": change, "arrow": "▲" if change > 0 else "▼",
            "trend": "worse" if change > 0 else "better"}


def headline_deltas(current: Mapping, previous: Mapping) -> list[dict]:
    return [{"key": key, "label": label, **delta(current.get(key), previous.get(key))} for key, label in HEADLINE]


def verdict_mix(current: Mapping, previous: Mapping) -> list[dict]:
    """Each verdict's count and share of the week's bounces, against last week's share."""
    cur, prev = current.get("by_verdict") or {}, previous.get("by_verdict") or {}
    cur_total, prev_total = sum(cur.values()), sum(prev.values())
    rows = []
    for verdict in VERDICTS:
        share, prev_share = _pct(cur.get(verdict, 0), cur_total), _pct(prev.get(verdict, 0), prev_total)
        d = delta(share, prev_share)
        rows.append({"verdict": verdict, "label": VERDICT_LABELS[verdict], "count": cur.get(verdict, 0),
                     "previous_count": prev.get(verdict, 0), "share": share, "previous_share": prev_share,
                     "delta": d["delta"], "arrow": d["arrow"]})
    return rows


def _rejections(by_verdict: Mapping) -> int:
    return sum((by_verdict or {}).get(v, 0) or 0 for v in REJECTION_VERDICTS)


def vendor_moves(current: Mapping[str, Mapping], previous: Mapping[str, Mapping],
                 limit: int = MAX_VENDOR_MOVES) -> list[dict]:
    """Vendors whose rejections (filter rejections + sender issues) changed most since last week,
    by the absolute change in rejected recipients (counts, not rates: a vendor seen on five
    recipients must not top the list with a 100% swing)."""
    moves = []
    for name in set(current) | set(previous):
        cur, prev = current.get(name) or {}, previous.get(name) or {}
        now_n, before_n = _rejections(cur.get("by_verdict")), _rejections(prev.get("by_verdict"))
        if now_n == before_n:
            continue
        moves.append({
            "name": name, "vendor_id": cur.get("vendor_id") or prev.get("vendor_id") or "",
            "rejections": now_n, "previous": before_n, "delta": now_n - before_n,
            "arrow": "▲" if now_n > before_n else "▼",
            "rate": _pct(now_n, cur.get("recipients") or 0), "previous_rate": _pct(before_n, prev.get("recipients") or 0),
        })
    moves.sort(key=lambda m: (-abs(m["delta"]), -m["rejections"], m["name"]))
    return moves[:limit]


def new_problem_domains(current_stats: Iterable[Mapping], earlier_domains: set[str],
                        limit: int = MAX_NEW_DOMAINS) -> list[dict]:
    """Domains with rejections this week and none in the earlier weeks looked at.

    `current_stats`: CampaignDomainStat rows of the week's campaigns (a domain may appear once
    per campaign); `earlier_domains`: domains that had rejections in the earlier weeks."""
    found: dict[str, dict] = {}
    for row in current_stats:
        name = row["domain"]
        if name in earlier_domains:
            continue
        entry = found.setdefault(name, {"domain": name, "kind": row.get("kind") or "", "vendor": row.get("vendor") or "",
                                        "campaigns": 0, "recipients": 0, "bounced": 0, "rejections": 0})
        entry["campaigns"] += 1
        entry["recipients"] += row.get("recipients") or 0
        entry["bounced"] += row.get("bounced") or 0
        entry["rejections"] += sum(row.get(v) or 0 for v in REJECTION_VERDICTS)
    rows = [r for r in found.values() if r["rejections"] > 0]
    rows.sort(key=lambda r: (-r["rejections"], r["domain"]))
    return rows[:limit]


def campaign_row(row: Mapping, tz: tzinfo) -> dict:
    sent = row.get("campaign__sent_at")
    recipients = row.get("recipients") or 0
    return {
        "id": row["campaign_id"], "name": row.get("campaign__name") or "",
        "sent": sent.astimezone(tz).strftime("%Y-%m-%d %H:%M") if sent else "",
        "recipients": recipients, "bounced": row.get("bounced") or 0,
        "b2b_rate": _pct(row.get("b2b_bounced") or 0, row.get("b2b_recipients") or 0),
        "b2c_rate": _pct(row.get("b2c_bounced") or 0, row.get("b2c_recipients") or 0),
        "reported_hard_rate": round(100 * (row.get("reported_hard_bounce_rate") or 0), 2),
        "estimated_invalid_rate": round(100 * (row.get("estimated_invalid_rate") or 0), 2),
    }


def trend_point(monday: date, summary: Mapping) -> dict:
    """One week of the trend; rates are None for a week without recipients (a gap, not a zero). The
    reported hard-bounce rate is split by verdict (``hard_<verdict>``, percent of recipients)."""
    split = summary.get("hard_by_verdict")
    recipients = summary["recipients"]
    return {"week": monday.isoformat(), "campaigns": summary["campaigns"], "recipients": recipients,
            **{key: summary.get(key) for key, _ in HEADLINE},
            **{f"hard_{v}": (_pct(split.get(v, 0), recipients) if split is not None else None) for v in VERDICTS}}


def esp_vs_found(summary: Mapping) -> list[dict]:
    """"What the ESP said vs what we found": the week's bounces the ESP called hard, and the others,
    each split by verdict (counts in VERDICTS order). Empty when the hard split is not known."""
    hard, soft = summary.get("hard_by_verdict"), summary.get("soft_by_verdict")
    if hard is None or soft is None:
        return []
    return [{"said": said, "counts": [split.get(v, 0) for v in VERDICTS], "total": sum(split.values())}
            for said, split in (("hard", hard), ("other", soft))]


def _with_minutes(colleagues: Mapping | None) -> dict | None:
    if not colleagues:
        return None
    return {**colleagues, "minutes": max(1, -(-int(colleagues.get("seconds") or 0) // 60))}


def biggest_causes(current_stats: Iterable[Mapping], limit: int = MAX_CAUSES) -> dict:
    """The week's story by company: the (domain, verdict) pairs with the most bounces among the
    refusals that are not the address's fault (filter, sender, temporary), summed over the week's
    campaigns, with the deliveries at the same domain; and the really invalid addresses as one figure
    with the number of companies they are spread over.

    `current_stats`: CampaignDomainStat rows (domain, vendor, delivered, and one count per verdict)."""
    pairs: dict[tuple[str, str], dict] = {}
    delivered: dict[str, int] = {}
    invalid, invalid_domains = 0, set()
    for row in current_stats:
        domain = row["domain"]
        delivered[domain] = delivered.get(domain, 0) + (row.get("delivered") or 0)
        count = row.get(VerdictKind.INVALID_RECIPIENT) or 0
        if count:
            invalid += count
            invalid_domains.add(domain)
        for verdict in CAUSE_VERDICTS:
            count = row.get(verdict) or 0
            if not count:
                continue
            entry = pairs.setdefault((domain, verdict), {
                "domain": domain, "verdict": str(verdict), "label": VERDICT_LABELS[verdict],
                "vendor": row.get("vendor") or "", "vendor_name": vendor_name(row.get("vendor") or "") or "",
                # a consumer provider's users are not colleagues: the page says "copies", not "copies to colleagues"
                "b2c": (row.get("kind") or "") in DomainKind.b2c_kinds(), "count": 0})
            entry["count"] += count
    rows = sorted(pairs.values(), key=lambda r: (-r["count"], r["domain"], r["verdict"]))[:limit]
    for row in rows:
        row["delivered"] = delivered.get(row["domain"], 0)
    return {"causes": rows, "invalid": invalid, "invalid_companies": len(invalid_domains)}


def group_by_week(rows: Iterable[Mapping], tz: tzinfo, key: str = "campaign__sent_at") -> dict[date, list[Mapping]]:
    """Rows (with a send time under `key`) by the Monday of their week in `tz`; rows without one are left out."""
    weeks: dict[date, list[Mapping]] = {}
    for row in rows:
        moment = row.get(key)
        if moment is not None:
            weeks.setdefault(monday_of(moment, tz), []).append(row)
    return weeks


def week_payload(monday: date, tz: tzinfo, diagnoses_by_week: Mapping[date, Sequence[Mapping]],
                 current_domain_stats: Iterable[Mapping], earlier_problem_domains: set[str]) -> dict:
    """Everything the weekly page, the digest and the CSV show for one week, JSON-ready.

    `diagnoses_by_week` must hold the TREND_WEEKS weeks ending with `monday` (missing weeks are empty)."""
    weeks = [monday - i * WEEK for i in range(TREND_WEEKS - 1, -1, -1)]
    summaries = {w: summarise(diagnoses_by_week.get(w, ())) for w in weeks}
    current, previous = summaries[monday], summaries[monday - WEEK]
    current_domain_stats = list(current_domain_stats)
    return {
        "why": biggest_causes(current_domain_stats),
        "esp_vs_found": esp_vs_found(current),
        "colleagues": _with_minutes(current.get("colleagues")),
        "week": monday.isoformat(),
        "week_end": (monday + timedelta(days=6)).isoformat(),
        "previous_week": (monday - WEEK).isoformat(),
        "current": {k: v for k, v in current.items() if k != "by_vendor"},
        "previous": {k: v for k, v in previous.items() if k != "by_vendor"},
        "headline": headline_deltas(current, previous),
        "verdicts": verdict_mix(current, previous),
        "vendors": vendor_moves(current["by_vendor"], previous["by_vendor"]),
        "by_vendor": current["by_vendor"],
        "new_domains": new_problem_domains(current_domain_stats, earlier_problem_domains),
        "campaigns": sorted((campaign_row(r, tz) for r in diagnoses_by_week.get(monday, ())),
                            key=lambda c: (c["sent"], c["id"])),
        "trend": [trend_point(w, summaries[w]) for w in weeks],
    }

