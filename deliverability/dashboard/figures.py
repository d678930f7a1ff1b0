"""Plotly figure builders: pure functions from rollup aggregates (dicts and lists) to figure dicts.

No Django, no database: the views load the rollups and pass plain data. Figures are plain
dicts ({"data", "layout", "config"}) because the plotly.graph_objects validators cost tens of
milliseconds per figure, which a page under 150 ms cannot spend; the tests validate every
builder's output against plotly's schema instead.

Every string that comes from outside (campaign names, domains, diagnostics, vendor ids not in
the registry) is HTML-escaped before it reaches a label, a tick or a hover text: plotly renders
a subset of HTML in those places and a diagnostic may contain `<script>` or `<a href=…>`.
Colours are the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.

Titles, axes, legends and hover texts are in the active language (issue 23), through deliverability.i18n
(Django's translation module only: the figures stay free of models and settings). Labels kept in module
constants are marked with gettext_noop and translated when a figure is built; plotly's number separators
and the percent suffix follow the language (11,2 % in Catalan and Spanish).
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from deliverability.i18n import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR, get_language, gettext_noop, pgettext
from deliverability.i18n import gettext as _
from deliverability.verdicts.explanations import shown_vendor_name
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
# What plotly itself writes on these charts (the toolbar's tooltips, its notices), for its locale dictionary.
PLOTLY_WORDS = (
    gettext_noop("Autoscale"),
    gettext_noop("Compare data on hover"),
    gettext_noop("Double-click on legend to isolate one trace"),
    gettext_noop("Double-click to zoom back out"),
    gettext_noop("Download plot"),
    gettext_noop("Download plot as a PNG"),
    gettext_noop("Image download succeeded"),
    gettext_noop("Pan"),
    gettext_noop("Preparing image - this may take a few seconds"),
    gettext_noop("Reset axes"),
    gettext_noop("Show closest data on hover"),
    gettext_noop("Sorry, there was a problem downloading your image!"),
    gettext_noop("Toggle Spike Lines"),
    gettext_noop("Zoom"),
    gettext_noop("Zoom in"),
    gettext_noop("Zoom out"),
)
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


def _verdict_label(verdict) -> str:
    return _(VERDICT_LABELS[verdict])


def _pct() -> str:
    """The percent suffix as the reader writes it ("%" in English, " %" in Catalan and Spanish)."""
    return pgettext("percent sign after a number", "%")


def _layout(title: str, *, x_title: str = "", y_title: str = "", height: int = 320, **extra) -> dict:
    layout = {
        # plotly's decimal and thousands separators: "11.2" / "1,234" in English, "11,2" / "1.234" in ca/es.
        "separators": pgettext("plotly: the decimal separator, then the thousands separator", ".,"),
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
    return {"data": data, "layout": layout, "config": _config()}


def _config() -> dict:
    """Plotly's configuration, with a locale for a reader who does not read English: plotly writes the ticks of
    a date axis itself ("09:00 / Nov 5, 2026") and the toolbar's tooltips, in English unless told. Its locale
    format takes the month and day names from Django's translations (plotly's d3 lists start on Sunday), and
    the date orders from the catalogue."""
    language = (get_language() or "en").split("-")[0]
    if language == "en":
        return CONFIG
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    locale = {
        "dictionary": {word: _(word) for word in PLOTLY_WORDS},
        "format": {
            "months": [str(MONTHS[m]) for m in range(1, 13)],
            "shortMonths": [str(MONTHS_3[m]) for m in range(1, 13)],
            "days": [str(WEEKDAYS[d]) for d in sunday_first],
            "shortDays": [str(WEEKDAYS_ABBR[d]) for d in sunday_first],
            "date": pgettext("plotly date format (d3)", "%m/%d/%Y"),
            "dayMonth": pgettext("plotly tick: day and month (d3)", "%b %-d"),
            "dayMonthYear": pgettext("plotly tick: day, month and year (d3)", "%b %-d, %Y"),
            "month": pgettext("plotly tick: month and year (d3)", "%b %Y"),
            "year": "%Y",
        },
    }
    return {**CONFIG, "locale": language, "locales": {language: locale}}


# --- Campaign page ----------------------------------------------------------------------------


def segment_rates(segments: Mapping[str, Mapping]) -> dict:
    """B2B vs B2C: bounce rate, reported hard-bounce rate and estimated invalid rate, in percent.

    `segments`: {"B2B": {"recipients", "bounced", "reported_hard", "invalid"}, "B2C": {...}}."""
    measures = (
        ("bounced", _("Bounce rate"), OKABE_ITO["grey"]),
        ("reported_hard", _("Reported hard bounces"), OKABE_ITO["vermillion"]),
        ("invalid", _("Estimated really invalid"), OKABE_ITO["blue"]),
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
            "hovertemplate": f"<b>%{{x}}</b><br>{esc(label)}: %{{y:.2f}}{_pct()}<br>"
                             + _("%{customdata[0]:,} of %{customdata[1]:,} recipients") + "<extra></extra>",
        })
    layout = _layout(_("B2B vs B2C bounce rates"), x_title=_("Recipient domains"),
                     y_title=_("Share of recipients (%)"), barmode="group")
    layout["yaxis"]["ticksuffix"] = _pct()
    return _figure(data, layout)


def verdict_mix(by_verdict: Mapping[str, int]) -> dict:
    """How the campaign's bounces split by verdict (horizontal bars, count and share)."""
    total = sum(by_verdict.get(v, 0) or 0 for v in VERDICTS)
    counts = [by_verdict.get(v, 0) or 0 for v in VERDICTS]
    data = [{
        "type": "bar", "orientation": "h", "name": _("Bounced recipients"),
        "y": [_verdict_label(v) for v in VERDICTS], "x": counts,
        "customdata": [[percent(c, total)] for c in counts],
        "marker": {"color": [VERDICT_COLOURS[v] for v in VERDICTS]},
        "hovertemplate": "<b>%{y}</b><br>" + _("%{x:,} bounced recipients") + f" (%{{customdata[0]:.1f}}{_pct()})"
                         "<extra></extra>",
    }]
    layout = _layout(_("Verdict mix of the bounces"), x_title=_("Bounced recipients"), y_title="", showlegend=False)
    layout["yaxis"].update({"autorange": "reversed", "rangemode": "normal"})
    layout["margin"]["l"] = _left_margin([_verdict_label(v) for v in VERDICTS])
    return _figure(data, layout)


def _vendor_rows(by_vendor: Mapping[str, Mapping], limit: int) -> list[tuple[str, Mapping]]:
    rows = sorted(by_vendor.items(), key=lambda item: (-(item[1].get("bounced") or 0), item[0]))
    return [(name, row) for name, row in rows if row.get("bounced")][:limit]


def bounces_by_vendor(by_vendor: Mapping[str, Mapping], limit: int = MAX_VENDORS,
                      title: str = gettext_noop("Bounces by answering vendor")) -> dict:
    """Stacked horizontal bars: bounced recipients per vendor, split by verdict.

    `by_vendor`: {display name: {"bounced", "recipients", "by_verdict": {verdict: n}}} (as
    CampaignDiagnosis.by_vendor holds it, or summed over campaigns)."""
    rows = _vendor_rows(by_vendor, limit)
    names = [esc(shown_vendor_name(name)) for name, _ in rows]
    data = []
    for verdict in VERDICTS:
        counts = [(row.get("by_verdict") or {}).get(verdict, 0) or 0 for _, row in rows]
        if not any(counts):
            continue
        data.append({
            "type": "bar", "orientation": "h", "name": _verdict_label(verdict), "y": names, "x": counts,
            "customdata": [[row.get("bounced") or 0] for _name, row in rows],
            "marker": {"color": VERDICT_COLOURS[verdict]},
            "hovertemplate": f"<b>%{{y}}</b><br>{_verdict_label(verdict)}: %{{x:,}}<br>"
                             + _("of %{customdata[0]:,} bounces at this vendor") + "<extra></extra>",
        })
    layout = _layout(_(title), x_title=_("Bounced recipients"), y_title="", barmode="stack",
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
    per_unit = _("per minute") if unit == "minute" else _("per hour")
    # The hover label's time as the reader writes it (the ticks follow plotly's locale, see _config).
    when = "%{x|" + pgettext("plotly hover: date and time (d3)", "%Y-%m-%d %H:%M") + "}"
    for key, label in (("delivered", _("Delivered")), ("bounced", _("Bounced")), ("deferred", _("Deferred"))):
        ys = [row.get(key) or 0 for row in rows]
        if key == "deferred" and not any(ys):
            continue
        data.append({
            "type": "bar", "name": label, "x": xs, "y": ys, "marker": {"color": OUTCOME_COLOURS[key]},
            "hovertemplate": f"{when}<br>{label}: %{{y:,}} {per_unit}<extra></extra>",
        })
    title = _("Deliveries and bounces per minute") if unit == "minute" else _("Deliveries and bounces per hour")
    y_title = _("Recipients per minute") if unit == "minute" else _("Recipients per hour")
    layout = _layout(title, x_title=_("Time (%(tz)s)") % {"tz": esc(tz_name)},
                     y_title=y_title, barmode="stack", bargap=0.05)
    layout["xaxis"]["type"] = "date"
    return _figure(data, layout)


# --- Organisation page -----------------------------------------------------------------------


def campaign_trend(campaigns: Sequence[Mapping]) -> dict:
    """Per campaign, oldest first: B2B and B2C bounce rates, reported hard vs estimated invalid.

    `campaigns`: [{"name", "sent" (str date or ""), "b2b_rate", "b2c_rate", "reported_hard_rate",
    "estimated_invalid_rate", "recipients"}] with rates in percent. The x axis is the campaign
    (its name and date), so two campaigns on one day stay apart."""
    no_date = _("no date")  # outside the f-string: xgettext does not read inside one
    xs = [f"{esc(c.get('name'))} ({esc(c.get('sent') or no_date)})" for c in campaigns]
    custom = [[esc(c.get("name")), c.get("recipients") or 0] for c in campaigns]
    series = (
        ("b2b_rate", _("B2B bounce rate"), SEGMENT_COLOURS["B2B"], "solid"),
        ("b2c_rate", _("B2C bounce rate"), SEGMENT_COLOURS["B2C"], "solid"),
        ("reported_hard_rate", _("Reported hard bounces"), OKABE_ITO["vermillion"], "dot"),
        ("estimated_invalid_rate", _("Estimated really invalid"), OKABE_ITO["bluish_green"], "dash"),
    )
    data = [{
        "type": "scatter", "mode": "lines+markers", "name": label, "x": xs,
        "y": [c.get(key) or 0 for c in campaigns], "customdata": custom,
        "line": {"color": colour, "dash": dash},
        "hovertemplate": f"<b>%{{customdata[0]}}</b><br>{label}: %{{y:.2f}}{_pct()}<br>"
                         + _("%{customdata[1]:,} recipients") + "<extra></extra>",
    } for key, label, colour, dash in series]
    layout = _layout(_("Campaigns over time"), x_title=_("Campaign (send date)"), y_title=_("Share of recipients (%)"),
                     height=360)
    layout["yaxis"]["ticksuffix"] = _pct()
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
    return bounces_by_vendor(by_vendor, limit, title=gettext_noop("Vendors causing the most rejections"))


# --- Domain and vendor pages ----------------------------------------------------------------


def per_campaign_outcomes(rows: Sequence[Mapping], title: str, with_delivered: bool = True) -> dict:
    """Per campaign (oldest first): delivered and bounced recipients, bounces split by verdict; without
    the delivered bar when `with_delivered` is false (bounces alone, on their own scale).

    `rows`: [{"name", "sent", "delivered", <verdict>: n …}]."""
    no_date = _("no date")
    xs = [f"{esc(r.get('name'))} ({esc(r.get('sent') or no_date)})" for r in rows]
    delivered = _("Delivered")
    data = [{
        "type": "bar", "name": delivered, "x": xs, "y": [r.get("delivered") or 0 for r in rows],
        "marker": {"color": OUTCOME_COLOURS["delivered"]},
        "hovertemplate": f"%{{x}}<br>{delivered}: %{{y:,}}<extra></extra>",
    }] if with_delivered else []
    for verdict in VERDICTS:
        ys = [r.get(verdict) or 0 for r in rows]
        if any(ys):
            data.append({
                "type": "bar", "name": _verdict_label(verdict), "x": xs, "y": ys,
                "marker": {"color": VERDICT_COLOURS[verdict]},
                "hovertemplate": f"%{{x}}<br>{_verdict_label(verdict)}: %{{y:,}}<extra></extra>",
            })
    layout = _layout(_(title), x_title=_("Campaign (send date)"),
                     y_title=_("Recipients") if with_delivered else _("Bounced recipients"), barmode="stack")
    _category_axis(layout, xs)
    return _figure(data, layout)


def domain_per_campaign(rows: Sequence[Mapping], domain: str) -> dict:
    """The domain page's chart: the domain's bounces in each campaign, by verdict (titled in the reader's words)."""
    return per_campaign_outcomes(rows, _("%(domain)s in each campaign") % {"domain": domain}, with_delivered=False)


def vendor_per_campaign(rows: Sequence[Mapping], vendor: str) -> dict:
    """The vendor page's chart: bounces at the vendor in each campaign, by verdict (titled in the reader's words)."""
    return per_campaign_outcomes(rows, _("Bounces at %(vendor)s in each campaign") % {"vendor": vendor},
                                 with_delivered=False)


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

WEEKLY_SERIES = (  # labels translated where drawn
    ("b2b_rate", gettext_noop("B2B bounce rate"), SEGMENT_COLOURS["B2B"], "solid"),
    ("b2c_rate", gettext_noop("B2C bounce rate"), SEGMENT_COLOURS["B2C"], "solid"),
    ("reported_hard_rate", gettext_noop("Reported hard bounces"), OKABE_ITO["vermillion"], "dot"),
    ("estimated_invalid_rate", gettext_noop("Estimated really invalid"), OKABE_ITO["bluish_green"], "dash"),
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
                      "text": _("none"), "hovertext": _("No campaign was sent this week"),
                      "font": {"size": 9, "color": "#5b6475"},
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
    month = str(MONTHS_3[day.month])  # Django's own month abbreviations, in the active language
    return f"{day.day} {month.title() if (get_language() or 'en').startswith('en') else month}"


def weekly_trend(weeks: Sequence[Mapping]) -> dict:
    """Per week, oldest first: B2B / B2C bounce rates, reported hard vs estimated invalid (percent).

    `weeks`: [{"week": "yyyy-mm-dd" (Monday), "campaigns", "recipients", <rate keys>: float | None}];
    a week without recipients is a gap (no line through it, a "no campaigns" band), not a zero."""
    xs = [esc(w.get("week")) for w in weeks]
    custom = [[w.get("campaigns") or 0, w.get("recipients") or 0] for w in weeks]
    week_of = _("Week of %(week)s") % {"week": "%{x}"}
    data = [{
        "type": "scatter", "mode": "lines+markers", "name": _(label), "x": xs, "y": [w.get(key) for w in weeks],
        "customdata": custom, "line": {"color": colour, "dash": dash}, "connectgaps": False,
        "marker": {"size": 7},
        "hovertemplate": f"<b>{week_of}</b><br>{_(label)}: %{{y:.2f}}{_pct()}<br>"
                         + _("%{customdata[0]} campaigns, %{customdata[1]:,} recipients") + "<extra></extra>",
    } for key, label, colour, dash in WEEKLY_SERIES]
    layout = _layout(_("The last %(n)s weeks") % {"n": len(weeks)}, x_title=_("Week (Monday, organisation's time zone)"),
                     y_title=_("Share of recipients"), height=320)
    layout["yaxis"]["ticksuffix"] = _pct()
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
        "type": "bar", "name": _verdict_label(verdict), "x": xs, "y": [w.get(f"hard_{verdict}") for w in weeks],
        "marker": {"color": VERDICT_COLOURS[verdict]},
        "hovertemplate": "<b>" + _("Week of %(week)s") % {"week": "%{x}"} + f"</b><br>{esc(_verdict_label(verdict))}: "
                         + _("%(share)s of recipients") % {"share": "%{y:.2f}" + _pct()} + "<extra></extra>",
    } for verdict in HARD_SPLIT_VERDICTS]
    layout = _layout(_("What the reported hard bounces really were"), x_title=_("Week (Monday)"),
                     y_title=_("Share of recipients"), height=320, barmode="stack")
    layout["yaxis"]["ticksuffix"] = _pct()
    _category_axis(layout, [_short_day(x) for x in xs])
    _empty_week_bands(layout, weeks, xs)
    return _figure(data, layout)


def _month_day(iso: str) -> str:
    """A week's Monday as a short axis label: 10-26 in English, 26/10 in Catalan and Spanish."""
    if (get_language() or "en").startswith("en") or len(iso) != 10:
        return iso[5:]
    return f"{iso[8:10]}/{iso[5:7]}"


def _number(value: float) -> str:
    """An axis tick (5, 2.5) with the reader's decimal separator."""
    text = f"{value:g}"
    return text.replace(".", pgettext("plotly: the decimal separator, then the thousands separator", ".,")[0])


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
    title = _("Weekly trend")  # outside the f-strings below: xgettext does not read inside one
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
             f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{esc(title)}" style="max-width:{width}px">']
    for i, w in enumerate(weeks):
        if not w.get("recipients"):
            parts.append(f'<rect x="{x_of(i) - 12:.1f}" y="{top}" width="24" height="{plot_h}" fill="#999" '
                         f'fill-opacity="0.12"/><text x="{x_of(i):.1f}" y="{top + 10}" font-size="8" fill="#5b6475" '
                         f'text-anchor="middle">{esc(_("none"))}</text>')
    tick = 0.0
    while tick <= high + 1e-9:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e8ee"/>'
                     f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{_number(tick)}{_pct()}</text>')
        tick += step_y
    parts.append(f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">{esc(_("Share of recipients"))}</text>')
    last = len(weeks) - 1
    for i, w in enumerate(weeks):
        anchor = "end" if i == last and len(weeks) > 1 else "middle"
        nudge = 6 if anchor == "end" else 0
        parts.append(f'<text x="{x_of(i) + nudge:.1f}" y="{top + plot_h + 14}" font-size="9" '
                     f'text-anchor="{anchor}">{esc(_month_day(str(w.get("week", ""))))}</text>')
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
                     f'stroke-width="2"{dashes[dash]}/><text x="{lx + 22:.0f}" y="{ly}" font-size="10">{esc(_(label))}</text>')
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
    title = _("Reported hard bounces by verdict")
    left, right, top, bottom = 52, 34, 12, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    high, step_y = _nice_top(max(totals, default=0))
    slot = plot_w / max(1, len(weeks))
    bar = min(36.0, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{esc(title)}" '
             f'style="max-width:{width}px">']
    tick = 0.0
    while tick <= high + 1e-9:
        y = top + plot_h - tick / high * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e8ee"/>'
                     f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{_number(tick)}{_pct()}</text>')
        tick += step_y
    parts.append(f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">{esc(_("Share of recipients"))}</text>')
    for i, w in enumerate(weeks):
        centre = left + slot * (i + 0.5)
        parts.append(f'<text x="{centre:.1f}" y="{top + plot_h + 14}" font-size="9" text-anchor="middle">'
                     f'{esc(_short_day(str(w.get("week", ""))))}</text>')
        if not w.get("recipients"):
            parts.append(f'<text x="{centre:.1f}" y="{top + plot_h - 4}" font-size="8" fill="#5b6475" '
                         f'text-anchor="middle">{esc(_("none"))}</text>')
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
                     f'<text x="{lx + 14:.0f}" y="{ly}" font-size="10">{esc(_verdict_label(verdict))}</text>')
    parts.append("</svg>")
    return "".join(parts)
