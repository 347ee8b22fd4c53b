"""Chart library: the Vega-Lite spec of every chart (layers, encodings, data rows, text
alternatives) and offline rendering to PNG and SVG."""

from __future__ import annotations

import json
import math
import struct
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from csc_workbench.config.catalogue import Indicator
from csc_workbench.present import charts
from csc_workbench.present.charts import (
    RAG_COLOURS,
    SERIES_COLOUR,
    annual_trend_chart,
    bands_for,
    chart_data_rows,
    control_limits,
    funnel_plot,
    neighbour_bar_chart,
    small_multiples,
    to_png,
    to_svg,
    trend_chart,
)

# --- spec helpers -------------------------------------------------------------------------


def mark(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


def marks(spec: dict) -> list[str]:
    return [mark(layer) for layer in spec["layer"]]


def rows(spec: dict, layer: dict) -> list[dict]:
    data = layer["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def only(spec: dict, kind: str, where: Any = None) -> dict:
    found = [layer for layer in spec["layer"] if mark(layer) == kind and (where is None or where(layer))]
    assert len(found) == 1, f"expected one {kind} layer, found {len(found)}"
    return found[0]


def tooltip_fields(layer: dict) -> list[str]:
    return [t["field"] for t in layer["encoding"]["tooltip"]]


# --- frames -------------------------------------------------------------------------------

MONTHS = ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]
REASON = "system migration"


def trend_frame(rag: bool = False) -> pd.DataFrame:
    """13 months would be usual; 12 (Nov 2025 to Oct 2026), April and May unavailable."""
    values = [24.0, 23.5, 23.1, 22.8, 22.0, None, None, 21.9, 21.5, 21.0, 21.3, 21.1]
    status = ["ok"] * 5 + ["unavailable"] * 2 + ["ok"] * 5
    notes = [None] * 5 + [f"2026-04 unavailable: {REASON}", f"2026-05 unavailable: {REASON}"] + [None] * 5
    frame = pd.DataFrame({"month": MONTHS, "value": values, "status": status, "note": notes})
    if rag:
        frame["rag"] = ["red", "amber", "amber", "amber", "green", None, None] + ["green"] * 5
    return frame


BANDS = [(None, 22.0, "green"), (22.0, 24.0, "amber"), (24.0, None, "red")]
BENCH = {"SN average 2025": 22.1, "England 2025": 22.6}


def rereferral_trend(**kwargs: Any) -> alt.LayerChart:
    options = {
        "title": "Re-referrals in Northmoor",
        "unit": "% of referrals",
        "target": 22.0,
        "bands": BANDS,
        "benchmarks": BENCH,
        "polarity": "low",
    }
    options.update(kwargs)
    return trend_chart(trend_frame(rag=True), **options)


def neighbours() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_name": ["Northmoor", "Ashby", "Brookfield", "Carrow", "Dunmere", "Eastwold"],
            "value": [21.1, 18.0, 25.0, None, 30.2, 19.5],
            "reason": [None, None, None, "suppressed (fewer than 5)", None, None],
        }
    )


def org_unit_frame() -> pd.DataFrame:
    parts = []
    for unit, factor in (("North", 1.0), ("South", 1.2), ("East", 0.8), ("West", 1.1), ("Children in care", 0.9)):
        frame = trend_frame()
        frame["value"] = frame["value"] * factor
        parts.append(frame.assign(org_unit=unit, target=22.0))
    return pd.concat(parts, ignore_index=True)


def teams() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_unit": ["Team A", "Team B", "Team C", "Team D", "Team E", "Team F"],
            "numerator": [20, 5, 40, 30, 2, 0],
            "denominator": [100, 25, 100, 100, 10, 0],
        }
    )


def annual() -> pd.DataFrame:
    years = ["2021-22", "2022-23", "2023-24"]
    return pd.DataFrame(
        {
            "year": years * 4,
            "series": ["Northmoor"] * 3 + ["SN average"] * 3 + ["England"] * 3 + ["Regional"] * 3,
            "value": [25.0, 23.0, 21.1, 22.0, 21.5, None, 22.6, 22.4, 22.1, 23.0, 22.0, 21.9],
            "reason": [None] * 5 + ["not yet published"] + [None] * 6,
        }
    )


# --- palette ------------------------------------------------------------------------------


def test_rag_palette_is_okabe_ito_and_paired_with_labels_and_shapes() -> None:
    assert RAG_COLOURS == {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#999999"}
    assert set(charts.RAG_LABELS) == set(RAG_COLOURS) == set(charts.RAG_SHAPES)
    assert len(set(charts.RAG_SHAPES.values())) == 4  # shape, not colour alone, tells ratings apart
    assert 0 < charts.BAND_OPACITY <= 0.25


# --- trend --------------------------------------------------------------------------------


def test_trend_layers_encodings_and_row_counts() -> None:
    chart = rereferral_trend()
    spec = chart.to_dict()
    assert marks(spec) == ["rect", "text", "rule", "rule", "text", "line", "point", "rule", "point"]
    line = only(spec, "line")
    assert line["encoding"]["x"]["field"] == "month_label" and line["encoding"]["x"]["type"] == "ordinal"
    assert line["encoding"]["x"]["scale"]["domain"][0] == "Nov 2025"
    assert len(line["encoding"]["x"]["scale"]["domain"]) == 12
    assert line["encoding"]["y"]["field"] == "value" and line["encoding"]["y"]["type"] == "quantitative"
    assert line["encoding"]["y"]["title"] == "% of referrals"
    assert line["encoding"]["x"]["title"] == "Month"
    # unavailable months: no line point, but a gap rule and a hollow marker with the reason
    line_months = {r["month_label"] for r in rows(spec, line)}
    assert len(line_months) == 10 and not {"Apr 2026", "May 2026"} & line_months
    segments = {r["month_label"]: r["segment"] for r in rows(spec, line)}
    assert segments["Mar 2026"] != segments["Jun 2026"]  # the line does not join across the gap
    assert line["encoding"]["detail"]["field"] == "segment"
    points = only(spec, "point", lambda layer: layer["mark"].get("filled"))
    assert len(rows(spec, points)) == 10
    assert {"month_label", "value", "note", "rag"} <= set(tooltip_fields(points))
    gap_rule = only(spec, "rule", lambda layer: "x" in layer["encoding"])
    gap_point = only(spec, "point", lambda layer: layer["mark"].get("filled") is False)
    for layer in (gap_rule, gap_point):
        assert [r["month_label"] for r in rows(spec, layer)] == ["Apr 2026", "May 2026"]
        assert "note" in tooltip_fields(layer)
        assert all(REASON in r["note"] for r in rows(spec, layer))
    assert {r["baseline"] for r in rows(spec, gap_point)} == {0.0}  # at the baseline
    assert chart_data_rows(chart) == 3 + 3 + 2 + 1 + 3 + 10 + 10 + 2 + 2  # bands, labels, rules, line, points, gaps


def test_trend_target_bands_and_benchmarks() -> None:
    spec = rereferral_trend().to_dict()
    target = only(spec, "rule", lambda layer: layer["encoding"].get("y", {}).get("field") == "target")
    assert rows(spec, target) == [{"label": "Target 22%", "target": 22.0}]
    assert target["mark"]["strokeDash"] == [6, 4]
    domain = target["encoding"]["y"]["scale"]["domain"]
    assert domain == [0.0, 30.0]
    bands = only(spec, "rect")
    assert bands["encoding"]["y"]["field"] == "low" and bands["encoding"]["y2"]["field"] == "high"
    assert [(b["low"], b["high"], b["rag"]) for b in rows(spec, bands)] == [
        (0.0, 22.0, "Green"),
        (22.0, 24.0, "Amber"),
        (24.0, 30.0, "Red"),  # open-ended bands clipped to the axis
    ]
    assert [b["colour"] for b in rows(spec, bands)] == [RAG_COLOURS["green"], RAG_COLOURS["amber"], RAG_COLOURS["red"]]
    assert bands["mark"]["fillOpacity"] == charts.BAND_OPACITY
    assert spec["layer"].index(bands) == 0  # shaded behind everything
    bench = only(spec, "rule", lambda layer: layer["encoding"].get("y", {}).get("field") == "value")
    assert {r["benchmark"]: r["value"] for r in rows(spec, bench)} == BENCH
    labels = only(spec, "text", lambda layer: layer["encoding"]["text"]["field"] == "label")
    assert {r["label"] for r in rows(spec, labels)} == {"SN average 2025: 22.1%", "England 2025: 22.6%", "Target 22%"}
    positions = sorted(r["position"] for r in rows(spec, labels))
    assert min(b - a for a, b in pairwise(positions)) > 1  # close lines, labels apart
    points = only(spec, "point", lambda layer: layer["mark"].get("filled"))
    colour = points["encoding"]["color"]
    assert colour["field"] == "rag" and colour["scale"]["range"] == [
        RAG_COLOURS["green"],
        RAG_COLOURS["amber"],
        RAG_COLOURS["red"],
    ]
    assert points["encoding"]["shape"]["scale"]["domain"] == colour["scale"]["domain"] == ["Green", "Amber", "Red"]


def test_trend_title_description_and_subtitle() -> None:
    spec = rereferral_trend().to_dict()
    assert spec["title"]["text"] == "Re-referrals in Northmoor"
    assert spec["title"]["subtitle"] == [
        "Lower is better",
        f"Not available: Apr 2026 ({REASON}), May 2026 ({REASON})",
    ]
    description = spec["description"]
    assert description.startswith("Re-referrals in Northmoor, Nov 2025 to Oct 2026: latest 21.1%")
    assert "against a target of 22%" in description and "rated Green" in description
    assert f"2 months not available ({REASON})" in description
    assert "SN average 2025 22.1%" in description


def test_trend_latest_month_missing_and_holes_in_the_months() -> None:
    frame = trend_frame()
    frame = frame[frame["month"] != "2026-08"]  # a month absent from the frame altogether
    frame.loc[frame["month"] == "2026-10", ["value", "status", "note"]] = [np.nan, "missing", "no figure for 2026-10"]
    spec = trend_chart(frame, title="Re-referrals", unit="percent").to_dict()
    assert marks(spec) == ["line", "point", "rule", "point"]  # no target, bands or benchmarks
    gaps = rows(spec, only(spec, "rule"))
    assert [g["month_label"] for g in gaps] == ["Apr 2026", "May 2026", "Aug 2026", "Oct 2026"]
    assert gaps[2]["note"] == "no figure for 2026-08" and gaps[2]["status"] == "missing"
    assert "latest 21.3% (Sep 2026)" in spec["description"]
    assert "4 months not available" in spec["description"]
    points = only(spec, "point", lambda layer: layer["mark"].get("filled"))
    assert points["mark"]["color"] == SERIES_COLOUR and "color" not in points["encoding"]
    assert only(spec, "line")["encoding"]["y"]["title"] == "%"  # catalogue unit code in words


def test_trend_target_per_month_is_a_step_line() -> None:
    frame = trend_frame().assign(target=[20.0] * 5 + [22.0] * 7)
    spec = trend_chart(frame, title="Re-referrals", unit="% of referrals").to_dict()
    step = only(spec, "line", lambda layer: layer["encoding"].get("y", {}).get("field") == "target")
    assert step["mark"]["interpolate"] == "step" and len(rows(spec, step)) == 12
    assert "against a target of 22%" in spec["description"]


def test_bands_are_clipped_and_bands_for_reads_the_catalogue() -> None:
    thresholds = Indicator.model_validate(
        {
            "id": "cin_plans",
            "area": "cin",
            "title": "% of CIN with a plan",
            "polarity": "high",
            "unit": "percent",
            "period": "snapshot",
            "targets": {
                "2025-26": {
                    "target": 90,
                    "rag": {"style": "thresholds", "red": "< 80", "amber": "80 <= x < 90", "green": ">= 90"},
                }
            },
        }
    )
    assert sorted(bands_for(thresholds, "2026-01"), key=lambda b: b[2]) == [
        (80.0, 90.0, "amber"),
        (90.0, None, "green"),
        (None, 80.0, "red"),
    ]
    tolerance = Indicator.model_validate(
        {
            "id": "cp_rate",
            "area": "cp",
            "title": "CP plans per 10,000",
            "polarity": "target",
            "unit": "rate_per_10k",
            "period": "snapshot",
            "targets": {"2025-26": {"target": 50, "rag": {"style": "tolerance", "green": 5, "amber": 15}}},
        }
    )
    assert set(bands_for(tolerance, "2025-04")) == {
        (45.0, 55.0, "green"),
        (55.0, 65.0, "amber"),
        (None, 35.0, "red"),
        (65.0, None, "red"),
        (35.0, 45.0, "amber"),
    }
    ranged = Indicator.model_validate(
        {
            "id": "caseload",
            "area": "workforce",
            "title": "Average caseload",
            "polarity": "within-range",
            "unit": "average",
            "period": "snapshot",
            "targets": {"2025-26": {"rag": {"style": "range", "green": [14, 20], "amber": "10%"}}},
        }
    )
    assert set(bands_for(ranged, "2025-06")) == {
        (14.0, 20.0, "green"),
        (20.0, 22.0, "amber"),
        (22.0, None, "red"),
        (12.6, 14.0, "amber"),
        (None, 12.6, "red"),
    }
    assert bands_for(ranged, "2024-06") == []  # no targets before 2025-26
    clipped = charts._band_rows([(None, 80.0, "red"), (80, 90, "amber"), (90, None, "green")], 0.0, 85.0, "%")
    assert [(b["low"], b["high"]) for b in clipped] == [(0.0, 80.0), (80.0, 85.0)]  # green is off the axis
    with pytest.raises(ValueError, match="green, amber or red"):
        charts._band_rows([(0, 1, "blue")], 0.0, 10.0, "%")


# --- statistical neighbours ---------------------------------------------------------------


def test_neighbour_bars_ranked_by_polarity_with_the_authority_highlighted() -> None:
    chart = neighbour_bar_chart(
        neighbours(),
        title="Re-referrals 2024-25: statistical neighbours",
        unit="% of referrals",
        authority="Northmoor",
        sn_average=22.1,
        national=22.6,
        polarity="low",
    )
    spec = chart.to_dict()
    assert marks(spec) == ["bar", "text", "rule"]
    bars = only(spec, "bar")
    order = ["Ashby", "Eastwold", "Northmoor", "Brookfield", "Dunmere"]  # lower is better: smallest first
    assert bars["encoding"]["y"]["sort"] == order and bars["encoding"]["y"]["field"] == "la_name"
    assert bars["encoding"]["x"]["field"] == "value" and bars["encoding"]["x"]["title"] == "% of referrals"
    data = rows(spec, bars)
    assert [r["la_name"] for r in data] == order and [r["rank"] for r in data] == [1, 2, 3, 4, 5]
    assert "Carrow" not in {r["la_name"] for r in data}  # no value: not drawn as zero
    colour = bars["encoding"]["color"]
    assert colour["field"] == "group"
    assert colour["scale"]["domain"][0] == "Northmoor" and colour["scale"]["range"][0] == SERIES_COLOUR
    assert [r["la_name"] for r in data if r["group"] == "Northmoor"] == ["Northmoor"]
    assert "Northmoor" in json.dumps(bars["encoding"]["y"]["axis"]["labelFontWeight"])  # bold axis label
    rule = only(spec, "rule")
    assert [(r["benchmark"], r["value"]) for r in rows(spec, rule)] == [
        ("SN average 22.1%", 22.1),
        ("England 22.6%", 22.6),
    ]
    assert rule["encoding"]["strokeDash"]["field"] == "benchmark"
    assert spec["title"]["subtitle"] == [
        "Ranked best first (lower is better)",
        "Not available: Carrow (suppressed (fewer than 5))",
    ]
    assert spec["description"].startswith(
        "Re-referrals 2024-25: statistical neighbours: Northmoor 21.1%, ranked 3 of 5 authorities with a value"
    )
    assert "Not available: Carrow" in spec["description"]
    assert chart_data_rows(chart) == 5 + 5 + 2

    high = neighbour_bar_chart(
        neighbours(), title="Assessments in 45 days", unit="% of assessments", authority="Northmoor", polarity="high"
    ).to_dict()
    assert only(high, "bar")["encoding"]["y"]["sort"] == order[::-1]  # higher is better: largest first
    assert marks(high) == ["bar", "text"]


def test_neighbour_chart_needs_the_authority() -> None:
    with pytest.raises(ValueError, match="Westshire"):
        neighbour_bar_chart(neighbours(), title="x", unit="%", authority="Westshire", polarity="low")


# --- small multiples ----------------------------------------------------------------------


def test_small_multiples_facet_by_org_unit_with_a_shared_y() -> None:
    frame = org_unit_frame()
    chart = small_multiples(frame, title="Re-referrals by area", unit="% of referrals", columns=3)
    spec = chart.to_dict()
    assert spec["facet"]["field"] == "org_unit" and spec["columns"] == 3
    assert spec["facet"]["sort"] == ["North", "South", "East", "West", "Children in care"]
    assert "resolve" not in spec  # the y scale is shared
    inner = spec["spec"]
    assert [mark(layer) for layer in inner["layer"]] == ["line", "line", "point", "rule", "point"]
    data = rows(spec, spec)
    assert len(data) == len(frame) == 60 and chart_data_rows(chart) == 60  # one row per org unit and month
    line = inner["layer"][1]
    assert line["transform"] == [{"filter": "datum.ok"}] and line["encoding"]["detail"]["field"] == "segment"
    gap = inner["layer"][3]
    assert gap["transform"] == [{"filter": "!datum.ok"}] and "note" in tooltip_fields(gap)
    assert sum(not r["ok"] for r in data) == 10
    assert {r["note"] for r in data if not r["ok"]} == {
        f"2026-04 unavailable: {REASON}",
        f"2026-05 unavailable: {REASON}",
    }
    assert all(r["value"] is None for r in data if not r["ok"])
    assert inner["layer"][0]["encoding"]["y"]["field"] == "target"
    assert spec["title"]["text"] == "Re-referrals by area"
    description = spec["description"]
    assert "5 org units" in description and "from 16.9% (East, Oct 2026) to 25.3% (South, Oct 2026)" in description
    assert f"10 org unit months not available ({REASON})" in description


def test_small_multiples_pad_every_panel_to_the_same_months() -> None:
    frame = org_unit_frame()
    frame = frame[~((frame["org_unit"] == "North") & (frame["month"] == "2025-11"))]
    spec = small_multiples(frame, title="Re-referrals by area", unit="% of referrals").to_dict()
    data = rows(spec, spec)
    north = [r for r in data if r["org_unit"] == "North"]
    assert len(north) == 12 and north[0]["status"] == "missing" and north[0]["note"] == "no figure for 2025-11"


# --- funnel plot --------------------------------------------------------------------------


def limit(spec: dict, n: float, level: str, side: str) -> float:
    layer = only(spec, "line")
    (value,) = [r["limit"] for r in rows(spec, layer) if r["n"] == n and r["level"] == level and r["side"] == side]
    return value


def test_funnel_limits_by_hand_and_flags() -> None:
    chart = funnel_plot(teams(), title="Re-referrals by team", unit="% of referrals", overall_rate=20)
    spec = chart.to_dict()
    # p = 0.2, n = 100: standard error 0.04; n = 25: 0.08
    assert limit(spec, 100, "95%", "lower") == pytest.approx((0.2 - 1.96 * 0.04) * 100)  # 12.16
    assert limit(spec, 100, "95%", "upper") == pytest.approx((0.2 + 1.96 * 0.04) * 100)  # 27.84
    assert limit(spec, 100, "99.8%", "upper") == pytest.approx((0.2 + 3.09 * 0.04) * 100)  # 32.36
    assert limit(spec, 25, "95%", "upper") == pytest.approx(35.68)
    assert limit(spec, 25, "99.8%", "lower") == 0.0  # 20 - 24.72 is clipped to zero
    assert limit(spec, 25, "99.8%", "upper") == pytest.approx(44.72)
    assert marks(spec) == ["line", "rule", "text", "point", "text"]
    lines = only(spec, "line")
    assert lines["encoding"]["x"]["field"] == "n" and lines["encoding"]["y"]["field"] == "limit"
    assert lines["encoding"]["detail"]["field"] == "series"
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == ["95%", "99.8%"]
    grid = sorted({r["n"] for r in rows(spec, lines)})
    assert len(rows(spec, lines)) == 4 * len(grid)
    assert rows(spec, only(spec, "rule"))[0]["overall"] == 20
    points = only(spec, "point")
    flags = {r["org_unit"]: r["flag"] for r in rows(spec, points)}
    assert flags == {
        "Team A": "Within 95% limits",
        "Team B": "Within 95% limits",
        "Team C": "Outside 99.8% limits",  # 40% of 100 > 32.36
        "Team D": "Outside 95% limits",  # 30% of 100: between 27.84 and 32.36
        "Team E": "Within 95% limits",
    }
    position = {r["org_unit"]: r["position"] for r in rows(spec, points)}
    assert position["Team C"] == "above the 99.8% limit"
    assert {"org_unit", "rate", "position"} <= set(tooltip_fields(points))
    assert points["encoding"]["color"]["field"] == "flag" and points["encoding"]["shape"]["field"] == "flag"
    assert points["encoding"]["y"]["title"] == "% of referrals"
    labelled = only(spec, "text", lambda layer: layer["encoding"]["text"]["field"] == "org_unit")
    assert {r["org_unit"] for r in rows(spec, labelled)} == {"Team C", "Team D"}
    assert "Team F" not in flags and spec["title"]["subtitle"][-1] == "Left out (denominator 0 or no figure): Team F"
    description = spec["description"]
    assert "5 org units against the overall rate of 20%" in description
    assert "1 unit outside the 99.8% limits (Team C above)" in description and "Team F" in description


def test_funnel_overall_rate_from_the_sums_and_control_limits() -> None:
    frame = teams()
    spec = funnel_plot(frame, title="Re-referrals by team", unit="% of referrals").to_dict()
    overall = 97 / 335 * 100
    assert rows(spec, only(spec, "rule"))[0]["overall"] == pytest.approx(overall)
    low, high = control_limits(0.2, [100, 25, 1], 1.96)
    assert low == pytest.approx([12.16, 4.32, 0.0]) and high == pytest.approx([27.84, 35.68, 98.4])
    low, high = control_limits(0.5, [1], 3.09, scale=1)
    assert (low[0], high[0]) == (0.0, 1.0)  # clipped to [0, scale]
    with pytest.raises(ValueError, match="numerator <= denominator"):
        funnel_plot(frame.assign(numerator=[200, 5, 40, 30, 2, 0]), title="x", unit="%")


# --- annual trend -------------------------------------------------------------------------


def test_annual_trend_grouped_bars_with_gaps() -> None:
    chart = annual_trend_chart(annual(), title="Re-referrals: annual trend", unit="% of referrals")
    spec = chart.to_dict()
    assert marks(spec) == ["bar", "text"]
    bars = only(spec, "bar")
    assert bars["encoding"]["x"]["field"] == "year" and bars["encoding"]["x"]["type"] == "ordinal"
    assert bars["encoding"]["xOffset"]["field"] == "series"
    assert bars["encoding"]["y"]["title"] == "% of referrals"
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Northmoor", "SN average", "England", "Regional"]
    assert bars["encoding"]["color"]["scale"]["range"][0] == SERIES_COLOUR
    assert len(rows(spec, bars)) == 11
    gaps = only(spec, "text")
    assert rows(spec, gaps) == [
        {"year": "2023-24", "series": "SN average", "reason": "not yet published", "baseline": 0.0}
    ]
    assert "reason" in tooltip_fields(gaps) and gaps["mark"]["text"] == "n/a"
    assert spec["title"]["subtitle"] == ["Not available: SN average 2023-24 (not yet published)"]
    assert spec["description"] == (
        "Re-referrals: annual trend, 2021-22 to 2023-24: Northmoor 21.1% in 2023-24 against England 22.1%, "
        "Regional 21.9%. Not available: SN average 2023-24 (not yet published)."
    )
    assert chart_data_rows(chart) == 12


# --- guards -------------------------------------------------------------------------------


def test_charts_refuse_child_level_frames_and_missing_columns() -> None:
    child = trend_frame().assign(child_id=range(12))
    with pytest.raises(ValueError, match="aggregate before charting"):
        trend_chart(child, title="x", unit="%")
    big = pd.DataFrame({"la_name": [f"LA {i}" for i in range(6000)], "value": 1.0, "reason": None})
    with pytest.raises(ValueError, match="aggregate before charting"):
        neighbour_bar_chart(big, title="x", unit="%", authority="LA 1", polarity="high")
    with pytest.raises(ValueError, match="lacks the column"):
        trend_chart(trend_frame().drop(columns="note"), title="x", unit="%")
    with pytest.raises(ValueError, match="title"):
        trend_chart(trend_frame(), title=" ", unit="%")
    with pytest.raises(ValueError, match="appears twice"):
        trend_chart(pd.concat([trend_frame(), trend_frame()]), title="x", unit="%")


def test_data_is_inline_and_only_the_columns_drawn() -> None:
    frame = trend_frame().assign(internal_comment="do not publish")
    with alt.data_transformers.enable("json"):  # a transformer that would write files for DataFrames
        spec = trend_chart(frame, title="x", unit="%").to_dict()
    text = json.dumps(spec)
    assert '"url"' not in text and "do not publish" not in text
    assert chart_data_rows({"datasets": {"a": [{}, {}]}, "layer": [{"data": {"values": [{}]}}]}) == 3


# --- images -------------------------------------------------------------------------------


def all_kinds() -> dict[str, alt.TopLevelMixin]:
    return {
        "trend": rereferral_trend(),
        "neighbours": neighbour_bar_chart(
            neighbours(), title="SN", unit="% of referrals", authority="Northmoor", sn_average=22.1, polarity="low"
        ),
        "multiples": small_multiples(org_unit_frame(), title="By area", unit="% of referrals"),
        "funnel": funnel_plot(teams(), title="By team", unit="% of referrals"),
        "annual": annual_trend_chart(annual(), title="Annual", unit="% of referrals"),
    }


@pytest.mark.parametrize("kind", ["trend", "neighbours", "multiples", "funnel", "annual"])
def test_every_chart_renders_to_png_and_svg_offline(kind: str, tmp_path: Path) -> None:
    chart = all_kinds()[kind]
    spec = chart.to_dict()
    assert spec["title"]["text"] and spec["description"]  # titled, with a text alternative
    png = to_png(chart, tmp_path / "out" / f"{kind}.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 4000 and 200 <= height <= 4000  # scale 2
    assert len(data) > 10_000
    svg = to_svg(chart, tmp_path / f"{kind}.svg")
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    svg_width, svg_height = float(root.get("width")), float(root.get("height"))
    assert 200 <= svg_width <= 2000 and 100 <= svg_height <= 2000
    assert math.isclose(width / svg_width, 2, rel_tol=0.05)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 5
    assert svg.stat().st_size > 5_000
