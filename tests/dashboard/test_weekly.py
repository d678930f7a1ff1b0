"""Weekly review, pure part: week boundaries across time zones and DST, and the week-over-week figures.

"Now" is always passed in; nothing patches the clock.
"""
from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from deliverability.dashboard import weekly

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
UTC = UTC


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("moment,tz,monday", [
    # Madrid, spring forward on Sunday 2026-03-29: Sunday 23:30 CEST is still the week of the 23rd …
    (utc(2026, 3, 29, 21, 30), MADRID, date(2026, 3, 23)),
    # … and 40 minutes later (still Sunday in UTC) it is Monday 00:10 in Madrid: the next week.
    (utc(2026, 3, 29, 22, 10), MADRID, date(2026, 3, 30)),
    # Madrid, fall back on Sunday 2026-10-25: Sunday 23:59 CET = 22:59 UTC.
    (utc(2026, 10, 25, 22, 59), MADRID, date(2026, 10, 19)),
    (utc(2026, 10, 25, 23, 0), MADRID, date(2026, 10, 26)),
    # New York, fall back on Sunday 2026-11-01: Monday 03:00 UTC is Sunday 22:00 EST.
    (utc(2026, 11, 2, 3, 0), NEW_YORK, date(2026, 10, 26)),
    (utc(2026, 11, 2, 5, 0), NEW_YORK, date(2026, 11, 2)),
    # New York, spring forward on Sunday 2026-03-08: Monday 00:00 EDT = 04:00 UTC.
    (utc(2026, 3, 9, 3, 59), NEW_YORK, date(2026, 3, 2)),
    (utc(2026, 3, 9, 4, 0), NEW_YORK, date(2026, 3, 9)),
    # Kolkata, +05:30 and no DST: Monday 00:00 IST is Sunday 18:30 UTC.
    (utc(2026, 11, 1, 18, 29), KOLKATA, date(2026, 10, 26)),
    (utc(2026, 11, 1, 18, 30), KOLKATA, date(2026, 11, 2)),
])
def test_week_of_is_the_monday_in_the_organisations_time_zone(moment, tz, monday):
    assert weekly.monday_of(moment, tz) == monday


@pytest.mark.parametrize("tz,monday,hours", [
    (MADRID, date(2026, 3, 23), 167),  # contains the spring-forward Sunday
    (MADRID, date(2026, 10, 19), 169),  # contains the fall-back Sunday
    (MADRID, date(2026, 11, 2), 168),
    (NEW_YORK, date(2026, 3, 2), 167),
    (NEW_YORK, date(2026, 10, 26), 169),
    (KOLKATA, date(2026, 3, 23), 168),
    (KOLKATA, date(2026, 10, 26), 168),
])
def test_week_bounds_span_one_local_week_whatever_the_clock_change(tz, monday, hours):
    start, end = weekly.week_bounds(monday, tz)
    assert (end - start) == timedelta(hours=hours)
    assert start.astimezone(tz).hour == 0 and end.astimezone(tz).hour == 0
    assert weekly.monday_of(start, tz) == monday
    assert weekly.monday_of(end - timedelta(microseconds=1), tz) == monday
    assert weekly.monday_of(end, tz) == monday + timedelta(days=7)


def test_week_bounds_are_the_expected_utc_instants_in_madrid_around_spring_forward():
    start, end = weekly.week_bounds(date(2026, 3, 23), MADRID)
    assert start.astimezone(UTC) == utc(2026, 3, 22, 23, 0)  # CET, +01:00
    assert end.astimezone(UTC) == utc(2026, 3, 29, 22, 0)  # CEST, +02:00


@pytest.mark.parametrize("now,tz,due", [
    # Madrid (CET): Monday 05:59 local → last week is not ready yet; 06:00 → it is.
    (utc(2026, 11, 2, 4, 59), MADRID, date(2026, 10, 19)),
    (utc(2026, 11, 2, 5, 0), MADRID, date(2026, 10, 26)),
    # Madrid on the first Monday of summer time: 06:00 CEST = 04:00 UTC.
    (utc(2026, 3, 30, 3, 59), MADRID, date(2026, 3, 16)),
    (utc(2026, 3, 30, 4, 0), MADRID, date(2026, 3, 23)),
    # New York (EST, just after fall back): 06:00 = 11:00 UTC.
    (utc(2026, 11, 2, 10, 59), NEW_YORK, date(2026, 10, 19)),
    (utc(2026, 11, 2, 11, 0), NEW_YORK, date(2026, 10, 26)),
    # Kolkata: Monday 06:00 IST = Monday 00:30 UTC.
    (utc(2026, 11, 2, 0, 29), KOLKATA, date(2026, 10, 19)),
    (utc(2026, 11, 2, 0, 30), KOLKATA, date(2026, 10, 26)),
    # Later in the week nothing changes: still last week.
    (utc(2026, 11, 5, 12, 0), NEW_YORK, date(2026, 10, 26)),
    (utc(2026, 11, 8, 23, 59), KOLKATA, date(2026, 10, 26)),  # Monday 9th 05:29 IST: the 2nd not yet
])
def test_latest_due_week_waits_for_monday_morning_in_the_organisations_time_zone(now, tz, due):
    assert weekly.latest_due_week(now, tz) == due


def test_one_utc_instant_makes_different_weeks_due_in_different_time_zones():
    now = utc(2026, 11, 2, 10, 0)
    assert weekly.latest_due_week(now, KOLKATA) == date(2026, 10, 26)
    assert weekly.latest_due_week(now, MADRID) == date(2026, 10, 26)
    assert weekly.latest_due_week(now, NEW_YORK) == date(2026, 10, 19)


def test_parse_week_accepts_iso_dates_only():
    assert weekly.parse_week("2026-11-04") == date(2026, 11, 4)
    assert weekly.parse_week("2026-13-01") is None
    assert weekly.parse_week("yesterday") is None


# --- Figures ------------------------------------------------------------------------------


def diag(cid, sent, *, recipients=1000, bounced=50, b2b=(600, 45), b2c=(400, 5), hard=0.04, invalid=0.01,
         by_verdict=None, by_vendor=None, name=None):
    return {"campaign_id": cid, "campaign__name": name or f"C{cid}", "campaign__sent_at": sent,
            "recipients": recipients, "delivered": recipients - bounced, "bounced": bounced,
            "b2b_recipients": b2b[0], "b2b_bounced": b2b[1], "b2c_recipients": b2c[0], "b2c_bounced": b2c[1],
            "reported_hard_bounce_rate": hard, "estimated_invalid_rate": invalid,
            "by_verdict": by_verdict or {"filter_rejection": 30, "invalid_recipient": 10, "temporary": 10},
            "by_vendor": by_vendor or {}}


def test_summarise_weights_rates_by_recipients_instead_of_averaging_campaigns():
    s = weekly.summarise([diag(1, None, recipients=1000, hard=0.10, b2b=(800, 80), b2c=(200, 0)),
                          diag(2, None, recipients=100, hard=0.0, b2b=(0, 0), b2c=(100, 10))])
    assert s["campaigns"] == 2 and s["recipients"] == 1100
    assert s["reported_hard"] == 100
    assert s["reported_hard_rate"] == pytest.approx(9.09)
    assert s["b2b_rate"] == 10.0 and s["b2c_rate"] == pytest.approx(3.33)


def test_summarise_of_an_empty_week_has_no_rates():
    s = weekly.summarise([])
    assert s["campaigns"] == 0 and s["b2b_rate"] is None and s["reported_hard_rate"] is None


def test_delta_arrows_say_worse_for_a_rising_bounce_rate():
    assert weekly.delta(7.5, 5.0) == {"value": 7.5, "previous": 5.0, "delta": 2.5, "arrow": "▲", "trend": "worse"}
    assert weekly.delta(4.0, 5.0)["arrow"] == "▼" and weekly.delta(4.0, 5.0)["trend"] == "better"
    assert weekly.delta(5.0, 5.0)["arrow"] == "→"
    assert weekly.delta(5.0, None)["delta"] is None


def test_vendor_moves_rank_by_absolute_change_in_rejections():
    now = {"Proofpoint": {"vendor_id": "proofpoint", "recipients": 200, "by_verdict": {"filter_rejection": 40}},
           "Mimecast": {"vendor_id": "mimecast", "recipients": 100, "by_verdict": {"sender_issue": 2}},
           "Same": {"vendor_id": "same", "recipients": 10, "by_verdict": {"filter_rejection": 3}}}
    before = {"Proofpoint": {"vendor_id": "proofpoint", "recipients": 200, "by_verdict": {"filter_rejection": 5}},
              "Mimecast": {"vendor_id": "mimecast", "recipients": 100, "by_verdict": {"filter_rejection": 12,
                                                                                       "invalid_recipient": 50}},
              "Same": {"vendor_id": "same", "recipients": 10, "by_verdict": {"sender_issue": 3}}}
    moves = weekly.vendor_moves(now, before)
    assert [m["name"] for m in moves] == ["Proofpoint", "Mimecast"]  # "Same" did not move
    assert moves[0]["delta"] == 35 and moves[0]["arrow"] == "▲" and moves[0]["rate"] == 20.0
    assert moves[1]["delta"] == -10 and moves[1]["arrow"] == "▼"


def test_new_problem_domains_are_rejecting_this_week_and_not_before():
    stats = [{"domain": "old.example", "filter_rejection": 9, "recipients": 10, "bounced": 9},
             {"domain": "new.example", "filter_rejection": 3, "recipients": 5, "bounced": 3, "vendor": "proofpoint"},
             {"domain": "new.example", "sender_issue": 1, "recipients": 5, "bounced": 1},
             {"domain": "invalid-only.example", "invalid_recipient": 4, "recipients": 4, "bounced": 4}]
    rows = weekly.new_problem_domains(stats, {"old.example"})
    assert rows == [{"domain": "new.example", "kind": "", "vendor": "proofpoint", "campaigns": 2, "recipients": 10,
                     "bounced": 4, "rejections": 4}]


def test_week_payload_compares_with_the_previous_week_and_trends_eight_weeks():
    monday = date(2026, 11, 2)
    sent = datetime(2026, 11, 3, 9, 0, tzinfo=MADRID)
    vendors_now = {"Proofpoint": {"vendor_id": "proofpoint", "recipients": 300, "bounced": 40,
                                  "by_verdict": {"filter_rejection": 40}}}
    vendors_before = {"Proofpoint": {"vendor_id": "proofpoint", "recipients": 300, "bounced": 10,
                                     "by_verdict": {"filter_rejection": 10}}}
    by_week = {
        monday: [diag(2, sent, b2b=(600, 60), by_vendor=vendors_now, name="<b>Nov</b>")],
        monday - timedelta(days=7): [diag(1, sent - timedelta(days=7), b2b=(600, 30), by_vendor=vendors_before)],
        monday - timedelta(days=70): [diag(0, sent - timedelta(days=70))],  # outside the trend: ignored
    }
    payload = weekly.week_payload(monday, MADRID, by_week, [], set())
    json.dumps(payload)  # JSON-ready for the snapshot row
    assert payload["week"] == "2026-11-02" and payload["week_end"] == "2026-11-08"
    b2b = payload["headline"][0]
    assert b2b["key"] == "b2b_rate" and b2b["value"] == 10.0 and b2b["previous"] == 5.0 and b2b["arrow"] == "▲"
    assert payload["vendors"][0]["delta"] == 30
    assert [p["week"] for p in payload["trend"]][0] == "2026-09-14"
    assert [p["campaigns"] for p in payload["trend"]] == [0, 0, 0, 0, 0, 0, 1, 1]
    assert payload["campaigns"][0]["name"] == "<b>Nov</b>"  # escaped by the templates, not here
    assert payload["campaigns"][0]["sent"] == "2026-11-03 09:00"


# --- Figures for the weekly page ----------------------------------------------------------------


def _trend():
    return [{"week": "2026-10-19", "campaigns": 2, "recipients": 700, "b2b_rate": 11.0, "b2c_rate": 2.0,
             "reported_hard_rate": 2.71, "estimated_invalid_rate": 0.86},
            {"week": '<script>x</script>', "campaigns": 0, "recipients": 0, "b2b_rate": None, "b2c_rate": None,
             "reported_hard_rate": None, "estimated_invalid_rate": None}]


def test_weekly_trend_is_valid_plotly_escaped_and_leaves_gaps_for_empty_weeks():
    import plotly.graph_objects as go

    from deliverability.dashboard import figures

    fig = figures.weekly_trend(_trend())
    go.Figure(data=fig["data"], layout=fig["layout"])
    assert "<script>" not in json.dumps(fig)
    assert fig["data"][0]["y"] == [11.0, None]
    palette = set(figures.OKABE_ITO.values())
    assert {trace["line"]["color"] for trace in fig["data"]} <= palette
    assert all(trace["hovertemplate"].endswith("<extra></extra>") for trace in fig["data"])


def test_trend_svg_is_escaped_static_markup():
    from deliverability.dashboard import figures

    svg = figures.trend_svg(_trend())
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "<script>" not in svg
    # One week with data: a dot per series, no line across the empty week (issue 19 item 8).
    assert svg.count("<polyline") == 0 and svg.count("<circle") == 4


def _week(day: str, rate: float | None) -> dict:
    keys = ("b2b_rate", "b2c_rate", "reported_hard_rate", "estimated_invalid_rate")
    return {"week": day, "campaigns": 0 if rate is None else 1, "recipients": 0 if rate is None else 100,
            **dict.fromkeys(keys, rate)}


def test_trend_svg_shows_gaps_as_gaps_one_y_title_and_keeps_the_last_label_inside():
    from deliverability.dashboard import figures

    weeks = [_week("2026-10-05", 3.0), _week("2026-10-12", None), _week("2026-10-19", 4.0), _week("2026-10-26", 7.5)]
    svg = figures.trend_svg(weeks)
    assert svg.count("<polyline") == 4  # per series only the run of the last two weeks is a line
    assert svg.count("<circle") == 12  # every week with data has its marker
    assert svg.count("Share of recipients") == 1 and "fill-opacity" in svg  # one y title; the empty week shaded
    assert '>8%<' in svg and '>0%<' in svg and '>2%<' in svg  # round ticks (steps of 2) above the 7.5 % high
    assert 'text-anchor="end">10-26<' in svg  # the last week's label ends inside the drawing
    assert 'width="100%"' in svg and "viewBox" in svg


def test_hard_bounce_split_stacks_the_reported_rate_by_verdict_and_leaves_empty_weeks_empty():
    import plotly.graph_objects as go

    from deliverability.dashboard import figures

    weeks = [{"week": "2026-10-05", "recipients": 100, "hard_invalid_recipient": 2.0, "hard_filter_rejection": 6.0,
              "hard_sender_issue": 1.0, "hard_temporary": 0.0, "hard_unknown": 0.0},
             {"week": "2026-10-12", "recipients": 0}]
    fig = figures.hard_bounce_split(weeks)
    go.Figure(fig)  # valid against plotly's schema
    assert fig["layout"]["barmode"] == "stack"
    assert [trace["y"] for trace in fig["data"]][:2] == [[2.0, None], [6.0, None]]
    assert fig["layout"]["annotations"][0]["hovertext"] == "No campaign was sent this week"
    assert fig["layout"]["xaxis"]["ticktext"] == ["5 Oct", "12 Oct"]


def test_hard_split_svg_stacks_the_week_and_leaves_empty_weeks_empty():
    from deliverability.dashboard import figures

    weeks = [{"week": "2026-10-05", "recipients": 100, "hard_invalid_recipient": 2.0, "hard_filter_rejection": 6.0,
              "hard_sender_issue": 1.0, "hard_temporary": 0.0, "hard_unknown": 0.0},
             {"week": "<b>x</b>", "recipients": 0, "hard_invalid_recipient": None}]
    svg = figures.hard_split_svg(weeks)
    assert svg.startswith("<svg") and "<b>" not in svg
    assert svg.count("<rect") == 3 + 5  # three parts of the one bar, five legend keys
    assert ">none<" in svg and ">10%<" in svg  # the empty week; a round top above 9 %
    assert figures.hard_split_svg([{"week": "2026-10-05", "recipients": 0}]) == ""
