"""Plotly figure builders: pure functions from rollup aggregates (dicts and lists) to figure dicts.

No Django, no database: the views load the rollups and pass plain data. Figures are plain
dicts ({"data", "layout", "config"}) because the plotly.graph_objects validators cost tens of
milliseconds per figure, which a page under 150 ms cannot spend; the tests validate every
builder's output against plotly's schema instead.

Every string that comes from outside (campaign names, domains, diagnostics, vendor ids not in
the registry) is HTML-escaped before it reaches a label, a tick or a hover text: plotly renders
a subset of HTML in those places and a diagnostic may contain `<script>` or `<a href=…>`.
Colours are the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from deliverability.verdicts.vocabulary import VERDICTS, VerdictKind

# Okabe & Ito (2008), "Color Universal Design", as in R's palette.colors("Okabe-Ito").
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

VERDICT_LABELS = {verdict: verdict.label for verdict in VERDICTS}
VERDICT_COLOURS = {verdict: verdict.colour for verdict in VERDICTS}
SEGMENT_COLOURS = {"B2B": OKABE_ITO["blue"], "B2C": OKABE_ITO["orange"]}
OUTCOME_COLOURS = {
    "delivered": OKABE_ITO["bluish_green"],
    "bounced": OKABE_ITO["vermillion"],
    "deferred": OKABE_ITO["sky_blue"],
}
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
MAX_VENDORS = 12
MAX_MINUTE_BUCKETS = 360  # past six hours of minutes, the timeline switches to hours


def esc(value: object) -> str:
    """Text safe for plotly's pseudo-HTML (labels, ticks, hover texts).

    Only <, > and & are escaped: with them no tag can form, and plotly decodes &lt; &gt; &amp;
    and numeric entities but shows &quot; as typed (a campaign named 'Spring "Flash"' would read &quot;)."""
    return html.escape("" if value is None else str(value), quote=False)


def percent(part: float | int | None, whole: float | int | None) -> float:
    """part/whole in percent (0 when whole is 0 or unknown), rounded for display."""
    if not whole or part is None:
        return 0.0
    return round(100.0 * part / whole, 2)


def _layout(title: str, *, x_title: str = "", y_title: str = "", height: int = 320, **extra) -> dict:
    layout = {
        "title": {"text": esc(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height + 40,
        "margin": {"l": 60, "r": 20, "t": 48, "b": 100},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        # Below the axis title, at the bottom of the figure (not of the plot area), so they never overlap.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"align": "left"},
        # Fixed margins instead of automargin: automargin makes plotly lay every figure out twice,
        # which costs more than anything else on the campaign page's way to "every chart drawn".
        "xaxis": {"title": {"text": esc(x_title)}, "automargin": False, "gridcolor": "#e5e8ee"},
        "yaxis": {"title": {"text": esc(y_title)}, "automargin": False, "gridcolor": "#e5e8ee", "rangemode": "tozero"},
    }
    layout.update(extra)
    return layout


def _left_margin(labels: Sequence[str]) -> int:
    """Room for horizontal-bar category labels (about 7 px per character at 12 px)."""
    longest = max((len(html.unescape(label)) for label in labels), default=8)
    return min(280, 24 + 7 * longest)


def _category_axis(layout: dict, labels: Sequence[str]) -> None:
    """Slanted campaign labels under the plot, with the bottom margin they need."""
    longest = min(48, max((len(html.unescape(label)) for label in labels), default=10))
    layout["xaxis"].update({"type": "category", "tickangle": -30})
    layout["margin"]["b"] = 100 + int(longest * 4.2)
    layout["height"] += int(longest * 4.2)
    # A slanted label reaches left of its tick: the first one needs room in the left margin.
    first = min(48, len(html.unescape(labels[0]))) if labels else 0
    layout["margin"]["l"] = max(layout["margin"]["l"], min(260, int(first * 5.8)))


def _figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout, "config": CONFIG}


# --- Campaign page ----------------------------------------------------------------------------


def segment_rates(segments: Mapping[str, Mapping]) -> dict:
    """B2B vs B2C: bounce rate, reported hard-bounce rate and estimated invalid rate, in percent.

    `segments`: {"B2B": {"recipients", "bounced", "reported_hard", "invalid"}, "B2C": {...}}."""
    measures = (
        ("bounced", "Bounce rate", OKABE_ITO["grey"]),
        ("reported_hard", "Reported hard bounces", OKABE_ITO["vermillion"]),
        ("invalid", "Estimated really invalid", OKABE_ITO["blue"]),
    )
    names = ["B2B", "B2C"]
    data = []
    for key, label, colour in measures:
        ys, custom = [], []
        for name in names:
            seg = segments.get(name) or {}
            recipients = seg.get("recipients") or 0
            count = seg.get(key) or 0
            ys.append(percent(count, recipients))
            custom.append([count, recipients])
        data.append({
            "type": "bar", "name": esc(label), "x": names, "y": ys, "customdata": custom,
            "marker": {"color": colour},
            "hovertemplate": f"<b>%{{x}}</b><br>{esc(label)}: %{{y:.2f}}%<br>"
                             "%{customdata[0]:,} of %{customdata[1]:,} recipients<extra></extra>",
        })
    layout = _layout("B2B vs B2C bounce rates", x_title="Recipient domains", y_title="Share of recipients (%)",
                     barmode="group")
    layout["yaxis"]["ticksuffix"] = "%"
    return _figure(data, layout)


def verdict_mix(by_verdict: Mapping[str, int]) -> dict:
    """How the campaign's bounces split by verdict (horizontal bars, count and share)."""
    total = sum(by_verdict.get(v, 0) or 0 for v in VERDICTS)
    counts = [by_verdict.get(v, 0) or 0 for v in VERDICTS]
    data = [{
        "type": "bar", "orientation": "h", "name": "Bounced recipients",
        "y": [VERDICT_LABELS[v] for v in VERDICTS], "x": counts,
        "customdata": [[percent(c, total)] for c in counts],
        "marker": {"color": [VERDICT_COLOURS[v] for v in VERDICTS]},
        "hovertemplate": "<b>%{y}</b><br>%{x:,} bounced recipients (%{customdata[0]:.1f}%)<extra></extra>",
    }]
    layout = _layout("Verdict mix of the bounces", x_title="Bounced recipients", y_title="", showlegend=False)
    layout["yaxis"].update({"autorange": "reversed", "rangemode": "normal"})
    layout["margin"]["l"] = _left_margin(list(VERDICT_LABELS.values()))
    return _figure(data, layout)


def _vendor_rows(by_vendor: Mapping[str, Mapping], limit: int) -> list[tuple[str, Mapping]]:
    rows = sorted(by_vendor.items(), key=lambda item: (-(item[1].get("bounced") or 0), item[0]))
    return [(name, row) for name, row in rows if row.get("bounced")][:limit]


def bounces_by_vendor(by_vendor: Mapping[str, Mapping], limit: int = MAX_VENDORS,
                      title: str = "Bounces by answering vendor") -> dict:
    """Stacked horizontal bars: bounced recipients per vendor, split by verdict.

    `by_vendor`: {display name: {"bounced", "recipients", "by_verdict": {verdict: n}}} (as
    CampaignDiagnosis.by_vendor holds it, or summed over campaigns)."""
    rows = _vendor_rows(by_vendor, limit)
    names = [esc(name) for name, _ in rows]
    data = []
    for verdict in VERDICTS:
        counts = [(row.get("by_verdict") or {}).get(verdict, 0) or 0 for _, row in rows]
        if not any(counts):
            continue
        data.append({
            "type": "bar", "orientation": "h", "name": VERDICT_LABELS[verdict], "y": names, "x": counts,
            "customdata": [[row.get("bounced") or 0] for _, row in rows],
            "marker": {"color": VERDICT_COLOURS[verdict]},
            "hovertemplate": f"<b>%{{y}}</b><br>{VERDICT_LABELS[verdict]}: %{{x:,}}"
                             "<br>of %{customdata[0]:,} bounces at this vendor<extra></extra>",
        })
    layout = _layout(title, x_title="Bounced recipients", y_title="", barmode="stack",
                     height=max(300, 170 + 26 * len(rows)) + 40)
    layout["yaxis"].update({"autorange": "reversed", "rangemode": "normal"})
    # Up to five verdicts in the legend wrap to several rows: keep them clear of the axis title.
    layout["margin"]["b"] = 140
    layout["margin"]["l"] = _left_margin(names)
    return _figure(data, layout)


def rebucket(buckets: Sequence[Mapping], max_buckets: int = MAX_MINUTE_BUCKETS) -> tuple[list[dict], str]:
    """Minute rows → the same rows, or hour rows when the campaign spans more than `max_buckets` minutes.

    `buckets`: [{"minute": datetime, "delivered", "bounced", "deferred"}], sorted by minute."""
    if not buckets:
        return [], "minute"
    span = buckets[-1]["minute"] - buckets[0]["minute"]
    if span <= timedelta(minutes=max_buckets):
        return [dict(b) for b in buckets], "minute"
    hours: dict[datetime, dict] = {}
    for row in buckets:
        hour = row["minute"].replace(minute=0, second=0, microsecond=0)
        entry = hours.setdefault(hour, {"minute": hour, "delivered": 0, "bounced": 0, "deferred": 0})
        for key in ("delivered", "bounced", "deferred"):
            entry[key] += row.get(key) or 0
    return list(hours.values()), "hour"


def timeline(buckets: Sequence[Mapping], tz_name: str = "UTC") -> dict:
    """Deliveries, bounces and deferrals per minute (or hour): gateway bursts show as red spikes.

    `buckets` must already be in the organisation's time zone (naive or aware datetimes)."""
    rows, unit = rebucket(buckets)
    xs = [row["minute"].strftime("%Y-%m-%d %H:%M") for row in rows]
    data = []
    for key, label in (("delivered", "Delivered"), ("bounced", "Bounced"), ("deferred", "Deferred")):
        ys = [row.get(key) or 0 for row in rows]
        if key == "deferred" and not any(ys):
            continue
        data.append({
            "type": "bar", "name": label, "x": xs, "y": ys, "marker": {"color": OUTCOME_COLOURS[key]},
            "hovertemplate": f"%{{x}}<br>{label}: %{{y:,}} per {unit}<extra></extra>",
        })
    layout = _layout(f"Deliveries and bounces per {unit}", x_title=f"Time ({esc(tz_name)})",
                     y_title=f"Recipients per {unit}", barmode="stack", bargap=0.05)
    layout["xaxis"]["type"] = "date"
    return _figure(data, layout)


# --- Organisation page -----------------------------------------------------------------------


def campaign_trend(campaigns: Sequence[Mapping]) -> dict:
    """Per campaign, oldest first: B2B and B2C bounce rates, reported hard vs estimated invalid.

    `campaigns`: [{"name", "sent" (str date or ""), "b2b_rate", "b2c_rate", "reported_hard_rate",
    "estimated_invalid_rate", "recipients"}] with rates in percent. The x axis is the campaign
    (its name and date), so two campaigns on one day stay apart."""
    xs = [f"{esc(c.get('name'))} ({esc(c.get('sent') or 'no date')})" for c in campaigns]
    custom = [[esc(c.get("name")), c.get("recipients") or 0] for c in campaigns]
    series = (
        ("b2b_rate", "B2B bounce rate", SEGMENT_COLOURS["B2B"], "solid"),
        ("b2c_rate", "B2C bounce rate", SEGMENT_COLOURS["B2C"], "solid"),
        ("reported_hard_rate", "Reported hard bounces", OKABE_ITO["vermillion"], "dot"),
        ("estimated_invalid_rate", "Estimated really invalid", OKABE_ITO["bluish_green"], "dash"),
    )
    data = [{
        "type": "scatter", "mode": "lines+markers", "name": label, "x": xs,
        "y": [c.get(key) or 0 for c in campaigns], "customdata": custom,
        "line": {"color": colour, "dash": dash},
        "hovertemplate": f"<b>%{{customdata[0]}}</b><br>{label}: %{{y:.2f}}%"
                         "<br>%{customdata[1]:,} recipients<extra></extra>",
    } for key, label, colour, dash in series]
    layout = _layout("Campaigns over time", x_title="Campaign (send date)", y_title="Share of recipients (%)",
                     height=360)
    layout["yaxis"]["ticksuffix"] = "%"
    _category_axis(layout, xs)
    return _figure(data, layout)


def sum_vendors(by_vendor_list: Iterable[Mapping[str, Mapping]]) -> dict[str, dict]:
    """Add up CampaignDiagnosis.by_vendor dicts of several campaigns (keyed by display name)."""
    total: dict[str, dict] = {}
    for by_vendor in by_vendor_list:
        for name, row in (by_vendor or {}).items():
            entry = total.setdefault(name, {"vendor_id": row.get("vendor_id"), "category": row.get("category"),
                                            "recipients": 0, "bounced": 0, "campaigns": 0,
                                            "by_verdict": dict.fromkeys(VERDICTS, 0)})
            entry["recipients"] += row.get("recipients") or 0
            entry["bounced"] += row.get("bounced") or 0
            entry["campaigns"] += 1
            for verdict, count in (row.get("by_verdict") or {}).items():
                if verdict in entry["by_verdict"]:
                    entry["by_verdict"][verdict] += count or 0
    return total


def vendor_rejections(by_vendor: Mapping[str, Mapping], limit: int = MAX_VENDORS) -> dict:
    """The vendors that cause the most rejections across campaigns (stacked by verdict)."""
    return bounces_by_vendor(by_vendor, limit, title="Vendors causing the most rejections")


# --- Domain and vendor pages ----------------------------------------------------------------


def per_campaign_outcomes(rows: Sequence[Mapping], title: str) -> dict:
    """Per campaign (oldest first): delivered and bounced recipients, bounces split by verdict.

    `rows`: [{"name", "sent", "delivered", <verdict>: n …}]."""
    xs = [f"{esc(r.get('name'))} ({esc(r.get('sent') or 'no date')})" for r in rows]
    data = [{
        "type": "bar", "name": "Delivered", "x": xs, "y": [r.get("delivered") or 0 for r in rows],
        "marker": {"color": OUTCOME_COLOURS["delivered"]},
        "hovertemplate": "%{x}<br>Delivered: %{y:,}<extra></extra>",
    }]
    for verdict in VERDICTS:
        ys = [r.get(verdict) or 0 for r in rows]
        if any(ys):
            data.append({
                "type": "bar", "name": VERDICT_LABELS[verdict], "x": xs, "y": ys,
                "marker": {"color": VERDICT_COLOURS[verdict]},
                "hovertemplate": f"%{{x}}<br>{VERDICT_LABELS[verdict]}: %{{y:,}}<extra></extra>",
            })
    layout = _layout(title, x_title="Campaign (send date)", y_title="Recipients", barmode="stack")
    _category_axis(layout, xs)
    return _figure(data, layout)


# --- Home page sparkline (inline SVG, no plotly: one per organisation) ------------------------


def sparkline_points(values: Sequence[float | None], width: int = 120, height: int = 28, pad: int = 2) -> str:
    """SVG polyline points for a small trend line; empty for fewer than two values."""
    clean = [v for v in values if v is not None]
    if len(clean) < 2:
        return ""
    low, high = min(clean), max(clean)
    spread = (high - low) or 1.0
    step = (width - 2 * pad) / (len(clean) - 1)
    return " ".join(
        f"{pad + i * step:.1f},{height - pad - (v - low) / spread * (height - 2 * pad):.1f}"
        for i, v in enumerate(clean)
    )


# --- Weekly review -----------------------------------------------------------------------------

WEEKLY_SERIES = (
    ("b2b_rate", "B2B bounce rate", SEGMENT_COLOURS["B2B"], "solid"),
    ("b2c_rate", "B2C bounce rate", SEGMENT_COLOURS["B2C"], "solid"),
    ("reported_hard_rate", "Reported hard bounces", OKABE_ITO["vermillion"], "dot"),
    ("estimated_invalid_rate", "Estimated really invalid", OKABE_ITO["bluish_green"], "dash"),
)


def _empty_week_bands(layout: dict, weeks: Sequence[Mapping], xs: Sequence[str]) -> None:
    """A light band over each week without campaigns, labelled, so a gap reads as "nothing sent"
    rather than as missing data or a zero (issue 19 item 8)."""
    shapes, notes = [], []
    for x, week in zip(xs, weeks, strict=True):
        if week.get("recipients"):
            continue
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"width": 28, "color": "rgba(153,153,153,0.12)"}, "layer": "below"})
        notes.append({"x": x, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
                      "text": "none", "hovertext": "No campaign was sent this week", "font": {"size": 9, "color": "#5b6475"},
                      "textangle": 0})
    layout["shapes"] = shapes
    layout["annotations"] = notes
    # Short week labels ("14 Sep"), so eight of them fit a phone's width without overlapping; the
    # hover text keeps the full date and the axis title says what the date is.
    layout["xaxis"].update({"tickvals": list(xs), "ticktext": [_short_day(x) for x in xs]})


def _short_day(iso: str) -> str:
    try:
        day = datetime.strptime(iso, "%Y-%m-%d")
    except ValueError:
        return iso
    return f"{day.day} {day:%b}"


def weekly_trend(weeks: Sequence[Mapping]) -> dict:
    """Per week, oldest first: B2B / B2C bounce rates, reported hard vs estimated invalid (percent).

    `weeks`: [{"week": "yyyy-mm-dd" (Monday), "campaigns", "recipients", <rate keys>: float | None}];
    a week without recipients is a gap (no line through it, a "no campaigns" band), not a zero."""
    xs = [esc(w.get("week")) for w in weeks]
    custom = [[w.get("campaigns") or 0, w.get("recipients") or 0] for w in weeks]
    data = [{
        "type": "scatter", "mode": "lines+markers", "name": label, "x": xs, "y": [w.get(key) for w in weeks],
        "customdata": custom, "line": {"color": colour, "dash": dash}, "connectgaps": False,
        "marker": {"size": 7},
        "hovertemplate": f"<b>Week of %{{x}}</b><br>{label}: %{{y:.2f}}%"
                         "<br>%{customdata[0]} campaigns, %{customdata[1]:,} recipients<extra></extra>",
    } for key, label, colour, dash in WEEKLY_SERIES]
    layout = _layout(f"The last {len(weeks)} weeks", x_title="Week (Monday, organisation's time zone)",
                     y_title="Share of recipients", height=320)
    layout["yaxis"]["ticksuffix"] = "%"
    _category_axis(layout, [_short_day(x) for x in xs])
    _empty_week_bands(layout, weeks, xs)
    return _figure(data, layout)


HARD_SPLIT_VERDICTS = (VerdictKind.INVALID_RECIPIENT, VerdictKind.FILTER_REJECTION, VerdictKind.SENDER_ISSUE,
                       VerdictKind.TEMPORARY, VerdictKind.UNKNOWN)


def hard_bounce_split(weeks: Sequence[Mapping]) -> dict:
    """The hard-bounce rate the ESP reported, per week, split into what it really was (stacked bars,
    percent of recipients): the bar's height is the reported rate, its parts invalid / filter / sender /
    temporary / not enough evidence (issue 19 item 7). A week without campaigns is an empty slot."""
    xs = [esc(w.get("week")) for w in weeks]
    data = [{
        "type": "bar", "name": VERDICT_LABELS[verdict], "x": xs, "y": [w.get(f"hard_{verdict}") for w in weeks],
        "marker": {"color": VERDICT_COLOURS[verdict]},
        "hovertemplate": f"<b>Week of %{{x}}</b><br>{esc(VERDICT_LABELS[verdict])}: %{{y:.2f}}% of recipients"
                         "<extra></extra>",
    } for verdict in HARD_SPLIT_VERDICTS]
    layout = _layout("What the reported hard bounces really were", x_title="Week (Monday)",
                     y_title="Share of recipients", height=320, barmode="stack")
    layout["yaxis"]["ticksuffix"] = "%"
    _category_axis(layout, [_short_day(x) for x in xs])
    _empty_week_bands(layout, weeks, xs)
    return _figure(data, layout)


def _nice_top(high: float) -> tuple[float, float]:
    """A round axis top at or above `high` and its tick step (1, 2 or 5 × a power of ten)."""
    if high <= 0:
        return 1.0, 0.5
    raw = high / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(high / step - 1e-9), step


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive (index, value) runs without a None: a line is drawn only within a run."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def trend_svg(weeks: Sequence[Mapping], width: int = 680, height: int = 240) -> str:
    """The weekly trend as a static inline SVG, for the PDF (no JavaScript there).

    As on the page (issue 19 item 8): lines only between consecutive weeks with campaigns, a marker on
    every week with data (a lone week is a dot, not a line across empty weeks), a "no campaigns" band
    on the others; one y-axis title with round ticks; the last week's label kept inside the drawing;
    the SVG scales to the width it is given (viewBox, width 100%)."""
    left, right, top, bottom = 52, 34, 12, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [w.get(key) for w in weeks for key, *_ in WEEKLY_SERIES if w.get(key) is not None]
    high, step_y = _nice_top(max(values, default=0))
    step = plot_w / max(1, len(weeks) - 1)

    def x_of(i: int) -> float:
        return left + i * step

    def y_of(value: float) -> float:
        return top + plot_h - value / high * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="Weekly trend" style="max-width:{width}px">']
    for i, w in enumerate(weeks):
        if not w.get("recipients"):
            parts.append(f'<rect x="{x_of(i) - 12:.1f}" y="{top}" width="24" height="{plot_h}" fill="#999" '
                         f'fill-opacity="0.12"/><text x="{x_of(i):.1f}" y="{top + 10}" font-size="8" fill="#5b6475" '
                         f'text-anchor="middle">none</text>')
    tick = 0.0
    while tick <= high + 1e-9:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e8ee"/>'
                     f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{tick:g}%</text>')
        tick += step_y
    parts.append(f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">Share of recipients</text>')
    last = len(weeks) - 1
    for i, w in enumerate(weeks):
        anchor = "end" if i == last and len(weeks) > 1 else "middle"
        nudge = 6 if anchor == "end" else 0
        parts.append(f'<text x="{x_of(i) + nudge:.1f}" y="{top + plot_h + 14}" font-size="9" '
                     f'text-anchor="{anchor}">{esc(str(w.get("week", ""))[5:])}</text>')
    dashes = {"solid": "", "dot": ' stroke-dasharray="2,3"', "dash": ' stroke-dasharray="6,4"'}
    for n, (key, label, colour, dash) in enumerate(WEEKLY_SERIES):
        for run in _runs([w.get(key) for w in weeks]):
            if len(run) > 1:
                points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashes[dash]}/>')
            parts.extend(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.5" fill="{colour}"/>' for i, v in run)
        lx = left + (n % 2) * (plot_w / 2)
        ly = top + plot_h + 34 + (n // 2) * 13
        parts.append(f'<line x1="{lx:.0f}" y1="{ly - 3}" x2="{lx + 18:.0f}" y2="{ly - 3}" stroke="{colour}" '
                     f'stroke-width="2"{dashes[dash]}/><text x="{lx + 22:.0f}" y="{ly}" font-size="10">{esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hard_split_svg(weeks: Sequence[Mapping], width: int = 680, height: int = 220) -> str:
    """The reported hard-bounce rate per week split by verdict, as a static SVG for the PDF: stacked
    bars (percent of recipients), an empty slot for a week without campaigns, the same axis rules as
    ``trend_svg``. Empty string when no week carries the split."""
    keys = [f"hard_{verdict}" for verdict in HARD_SPLIT_VERDICTS]
    totals = [sum(w.get(k) or 0 for k in keys) for w in weeks]
    if not any(w.get(keys[0]) is not None for w in weeks):
        return ""
    left, right, top, bottom = 52, 34, 12, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    high, step_y = _nice_top(max(totals, default=0))
    slot = plot_w / max(1, len(weeks))
    bar = min(36.0, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="Reported hard bounces by verdict" '
             f'style="max-width:{width}px">']
    tick = 0.0
    while tick <= high + 1e-9:
        y = top + plot_h - tick / high * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e8ee"/>'
                     f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{tick:g}%</text>')
        tick += step_y
    parts.append(f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">Share of recipients</text>')
    for i, w in enumerate(weeks):
        centre = left + slot * (i + 0.5)
        parts.append(f'<text x="{centre:.1f}" y="{top + plot_h + 14}" font-size="9" text-anchor="middle">'
                     f'{esc(_short_day(str(w.get("week", ""))))}</text>')
        if not w.get("recipients"):
            parts.append(f'<text x="{centre:.1f}" y="{top + plot_h - 4}" font-size="8" fill="#5b6475" '
                         f'text-anchor="middle">none</text>')
            continue
        base = top + plot_h
        for verdict, key in zip(HARD_SPLIT_VERDICTS, keys, strict=True):
            value = w.get(key) or 0
            if value <= 0:
                continue
            h = value / high * plot_h
            base -= h
            parts.append(f'<rect x="{centre - bar / 2:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{VERDICT_COLOURS[verdict]}"/>')
    for n, verdict in enumerate(HARD_SPLIT_VERDICTS):
        lx = left + (n % 3) * (plot_w / 3)
        ly = top + plot_h + 34 + (n // 3) * 13
        parts.append(f'<rect x="{lx:.0f}" y="{ly - 8}" width="10" height="10" fill="{VERDICT_COLOURS[verdict]}"/>'
                     f'<text x="{lx + 14:.0f}" y="{ly}" font-size="10">{esc(VERDICT_LABELS[verdict])}</text>')
    parts.append("</svg>")
    return "".join(parts)
