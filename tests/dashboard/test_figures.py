"""The figure builders: pure functions from aggregates to plotly figure dicts."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import pytest

from deliverability.dashboard import figures

SCRIPT = '<script>alert("x")</script>'
BY_VENDOR = {
    "Proofpoint": {"vendor_id": "proofpoint", "recipients": 60, "bounced": 52,
                   "by_verdict": {"filter_rejection": 50, "invalid_recipient": 2}},
    "Mimecast": {"vendor_id": "mimecast", "recipients": 40, "bounced": 6, "by_verdict": {"filter_rejection": 6}},
    SCRIPT: {"vendor_id": None, "recipients": 5, "bounced": 1, "by_verdict": {"unknown": 1}},
    "Quiet": {"vendor_id": "quiet", "recipients": 9, "bounced": 0, "by_verdict": {}},
}


def _minutes(count: int, start=datetime(2026, 11, 2, 9, 0, tzinfo=UTC)):
    return [{"minute": start + timedelta(minutes=i), "delivered": 10, "bounced": i % 3, "deferred": 0}
            for i in range(count)]


def all_figures() -> dict[str, dict]:
    segments = {"B2B": {"recipients": 400, "bounced": 44, "reported_hard": 40, "invalid": 6},
                "B2C": {"recipients": 200, "bounced": 4, "reported_hard": 3, "invalid": 3}}
    campaigns = [{"name": SCRIPT, "sent": "2026-10-05", "b2b_rate": 3.0, "b2c_rate": 1.0, "reported_hard_rate": 2.5,
                  "estimated_invalid_rate": 0.7, "recipients": 600},
                 {"name": "November", "sent": "2026-11-02", "b2b_rate": 11.0, "b2c_rate": 2.0,
                  "reported_hard_rate": 9.0, "estimated_invalid_rate": 1.0, "recipients": 610}]
    return {
        "segments": figures.segment_rates(segments),
        "verdicts": figures.verdict_mix({"filter_rejection": 56, "invalid_recipient": 2, "unknown": 1}),
        "vendors": figures.bounces_by_vendor(BY_VENDOR),
        "timeline": figures.timeline(_minutes(30), "Europe/Madrid"),
        "trend": figures.campaign_trend(campaigns),
        "org_vendors": figures.vendor_rejections(figures.sum_vendors([BY_VENDOR, BY_VENDOR])),
        "per_campaign": figures.per_campaign_outcomes(
            [{"name": SCRIPT, "sent": "", "delivered": 8, "filter_rejection": 52}], f"{SCRIPT} per campaign"),
    }


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_is_valid_plotly_with_title_axes_and_hover(name):
    fig = all_figures()[name]
    go.Figure(data=fig["data"], layout=fig["layout"])  # raises on anything plotly's schema rejects
    assert fig["layout"]["title"]["text"]
    assert fig["layout"]["xaxis"]["title"]["text"] or fig["layout"]["yaxis"]["title"]["text"]
    assert fig["data"], "a figure with no trace"
    for trace in fig["data"]:
        assert trace["hovertemplate"].endswith("<extra></extra>")
    assert fig["config"]["displaylogo"] is False


@pytest.mark.parametrize("name", list(all_figures()))
def test_colours_come_from_the_okabe_ito_palette(name):
    palette = set(figures.OKABE_ITO.values())
    for trace in all_figures()[name]["data"]:
        colour = trace.get("marker", {}).get("color") or trace.get("line", {}).get("color")
        colours = colour if isinstance(colour, list) else [colour]
        assert set(colours) <= palette


def test_untrusted_strings_are_escaped_everywhere():
    """GIVEN a campaign name / vendor key holding <script> WHEN figures are built THEN no raw tag survives."""
    text = json.dumps(all_figures())
    assert "<script>" not in text
    assert '&lt;script&gt;alert(\\"x\\")&lt;/script&gt;' in text  # quotes as typed: plotly shows &quot; literally
    assert "&quot;" not in text


def test_segment_rates_are_percent_of_recipients_with_counts_in_hover():
    fig = figures.segment_rates({"B2B": {"recipients": 400, "bounced": 44, "reported_hard": 40, "invalid": 6},
                                 "B2C": {"recipients": 0, "bounced": 0, "reported_hard": 0, "invalid": 0}})
    bounce, hard, invalid = fig["data"]
    assert bounce["y"] == [11.0, 0.0]
    assert hard["y"] == [10.0, 0.0] and hard["customdata"][0] == [40, 400]
    assert invalid["y"] == [1.5, 0.0]
    assert "%{customdata[0]:,} of %{customdata[1]:,} recipients" in hard["hovertemplate"]
    assert fig["layout"]["yaxis"]["title"]["text"] == "Share of recipients (%)"


def test_verdict_mix_keeps_every_verdict_in_a_fixed_order_with_shares():
    fig = figures.verdict_mix({"filter_rejection": 3, "invalid_recipient": 1})
    trace = fig["data"][0]
    assert trace["y"] == [figures.VERDICT_LABELS[v] for v in figures.VERDICTS]
    assert trace["x"] == [1, 3, 0, 0, 0]
    assert trace["customdata"][1] == [75.0]


def test_vendor_bars_stack_verdicts_most_bounces_first_and_drop_vendors_without_bounces():
    fig = figures.bounces_by_vendor(BY_VENDOR)
    names = fig["data"][0]["y"]
    assert names[:2] == ["Proofpoint", "Mimecast"]
    assert "Quiet" not in names
    filt = next(t for t in fig["data"] if t["name"] == "Filter rejection")
    assert filt["x"][:2] == [50, 6]
    assert fig["layout"]["barmode"] == "stack"


def test_vendor_bars_are_capped():
    many = {f"v{i}": {"bounced": i + 1, "by_verdict": {"unknown": i + 1}} for i in range(40)}
    assert len(figures.bounces_by_vendor(many, limit=5)["data"][0]["y"]) == 5


def test_timeline_keeps_minutes_for_a_short_campaign_and_switches_to_hours_for_a_long_one():
    short, unit = figures.rebucket(_minutes(30))
    assert unit == "minute" and len(short) == 30
    long_rows, unit = figures.rebucket(_minutes(600))
    assert unit == "hour" and len(long_rows) == 10
    assert sum(r["delivered"] for r in long_rows) == 6000
    fig = figures.timeline(_minutes(600))
    assert fig["layout"]["title"]["text"] == "Deliveries and bounces per hour"
    assert "per hour" in fig["data"][0]["hovertemplate"]


def test_timeline_leaves_out_deferrals_when_there_are_none_and_is_empty_safe():
    assert [t["name"] for t in figures.timeline(_minutes(3))["data"]] == ["Delivered", "Bounced"]
    assert figures.rebucket([]) == ([], "minute")


def test_sum_vendors_adds_campaigns_up():
    total = figures.sum_vendors([BY_VENDOR, BY_VENDOR, None])
    assert total["Proofpoint"]["bounced"] == 104
    assert total["Proofpoint"]["campaigns"] == 2
    assert total["Proofpoint"]["by_verdict"]["filter_rejection"] == 100


def test_campaign_trend_labels_each_campaign_with_its_date():
    fig = figures.campaign_trend([{"name": "Nov", "sent": "2026-11-02", "b2b_rate": 11.0}])
    assert fig["data"][0]["x"] == ["Nov (2026-11-02)"]
    assert [t["name"] for t in fig["data"]] == ["B2B bounce rate", "B2C bounce rate", "Reported hard bounces",
                                                "Estimated really invalid"]


def test_sparkline_points_scale_into_the_box():
    points = figures.sparkline_points([1.0, 3.0, 2.0], width=100, height=20, pad=0)
    assert points == "0.0,20.0 50.0,0.0 100.0,10.0"
    assert figures.sparkline_points([5.0]) == ""
    assert figures.sparkline_points([2.0, 2.0])  # a flat line still draws
