"""Chart library: the Vega-Lite spec of every chart (layers, encodings, data rows, text
alternatives) and offline rendering to PNG and SVG."""

from __future__ import annotations

import json
import math
import re
import struct
import textwrap
import xml.etree.ElementTree as ET
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from csc_workbench.assess.windows import window_values
from csc_workbench.config.catalogue import Indicator
from csc_workbench.periods import month_text, parse_month
from csc_workbench.present import charts
from csc_workbench.present.charts import (
    RAG_COLOURS,
    SERIES_COLOUR,
    annual_trend_chart,
    bands_for,
    chart_data_rows,
    funnel_plot,
    neighbour_bar_chart,
    small_multiples,
    to_png,
    to_svg,
    trend_chart,
)

from ..conftest import make_atoms

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
    notes = [None] * 5 + [f"Apr 2026 not available: {REASON}", f"May 2026 not available: {REASON}"] + [None] * 5
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


def margin_labels(spec: dict) -> tuple[list[dict], list[dict]]:
    """The rows of the labels right of a trend's plot: (line labels, band labels)."""
    found = [layer for layer in spec["layer"] if mark(layer) == "text" and layer["mark"].get("x") == "width"]
    lines = [r for layer in found if layer["mark"].get("fontWeight") != "bold" for r in rows(spec, layer)]
    bands = [r for layer in found if layer["mark"].get("fontWeight") == "bold" for r in rows(spec, layer)]
    return lines, bands


def y_domain(spec: dict) -> list[float]:
    return only(spec, "line", lambda layer: layer["encoding"]["y"]["field"] == "value")["encoding"]["y"]["scale"][
        "domain"
    ]


#: Month codes ("2026-04") that must not reach a reader; financial years ("2025-26") may.
MONTH_CODE = re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])\b")


def month_codes(text: str) -> list[str]:
    return [m.group(0) for m in MONTH_CODE.finditer(text) if int(m.group(2)) != (int(m.group(1)) + 1) % 100]


def test_trend_layers_encodings_and_row_counts() -> None:
    chart = rereferral_trend()
    spec = chart.to_dict()
    assert marks(spec) == ["rect", "rule", "rule", "text", "text", "line", "point", "rule"]
    line = only(spec, "line")
    assert line["encoding"]["x"]["field"] == "month_label" and line["encoding"]["x"]["type"] == "ordinal"
    assert line["encoding"]["x"]["scale"]["domain"][0] == "Nov 2025"
    assert len(line["encoding"]["x"]["scale"]["domain"]) == 12
    assert line["encoding"]["x"]["axis"]["labelAngle"] == 0  # month above year, level
    assert line["encoding"]["y"]["field"] == "value" and line["encoding"]["y"]["type"] == "quantitative"
    assert line["encoding"]["y"]["title"] == "% of referrals"
    assert line["encoding"]["x"]["title"] == "Month"
    # unavailable months: no line point, but a gap rule with the reason
    line_months = {r["month_label"] for r in rows(spec, line)}
    assert len(line_months) == 10 and not {"Apr 2026", "May 2026"} & line_months
    segments = {r["month_label"]: r["segment"] for r in rows(spec, line)}
    assert segments["Mar 2026"] != segments["Jun 2026"]  # the line does not join across the gap
    assert line["encoding"]["detail"]["field"] == "segment"
    points = only(spec, "point")
    assert len(rows(spec, points)) == 10
    assert {"month_label", "value", "rag"} <= set(tooltip_fields(points))
    gap_rule = only(spec, "rule", lambda layer: "x" in layer["encoding"])
    assert [r["month_label"] for r in rows(spec, gap_rule)] == ["Apr 2026", "May 2026"]
    assert "reason" in tooltip_fields(gap_rule) and {r["reason"] for r in rows(spec, gap_rule)} == {REASON}
    _, band_labels = margin_labels(spec)
    assert chart_data_rows(chart) == 3 + 2 + 1 + 3 + len(band_labels) + 10 + 10 + 2  # bands, rules, labels, line...
    assert spec["width"] == charts.CHART_WIDTH and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_tooltips_show_counts_as_whole_numbers_and_other_units_to_one_decimal() -> None:
    def value_formats(spec: dict) -> set[str]:
        return {t["format"] for layer in spec["layer"] for t in layer["encoding"].get("tooltip", [])
                if isinstance(t, dict) and t.get("field") == "value" and "format" in t}  # fmt: skip

    assert value_formats(rereferral_trend().to_dict()) == {",.1f"}
    assert value_formats(trend_chart(trend_frame(), title="Contacts in Northmoor", unit="count").to_dict()) == {",.0f"}


def test_trend_gap_months_have_no_point_and_each_reason_is_said_once() -> None:
    spec = rereferral_trend().to_dict()
    gap_months = {"Apr 2026", "May 2026"}
    for layer in spec["layer"]:
        if mark(layer) != "rule" or "x" not in layer["encoding"]:  # only the dotted gap rules are at gap months
            assert not gap_months & {r.get("month_label") for r in rows(spec, layer)}, mark(layer)
    assert all(r["value"] is not None for r in rows(spec, only(spec, "point")))  # no point at zero, or anywhere
    subtitle = spec["title"]["subtitle"]
    assert subtitle == ["Lower is better", f"No figure for Apr to May 2026 ({REASON})"]
    assert " ".join(subtitle).count(REASON) == 1


def test_trend_rolling_window_reasons_grouped_in_month_names() -> None:
    """Notes in the month codes window_values used to write, for a rolling 12 months: months that
    lack earlier data, a month marked unavailable in params, and months whose window includes it."""
    months = [f"2024-{m:02d}" for m in range(8, 13)] + [f"2025-{m:02d}" for m in range(1, 9)]
    notes: list[str | None] = [
        "no usable monthly figure for 2023-09, 2023-10, 2023-11",
        "no usable monthly figure for 2023-10, 2023-11",
        "no usable monthly figure for 2023-11",
        None,
        None,
        None,
        "includes 2025-02, unavailable: system migration",
    ] + ["includes 2025-02, unavailable: system migration"] * 6
    values = [None, None, None, 86.6, 86.4, 86.1] + [None] * 7
    status = ["missing"] * 3 + ["ok"] * 3 + ["unavailable"] * 7
    frame = pd.DataFrame({"month": months, "value": values, "status": status, "note": notes})
    spec = trend_chart(frame, title="Assessments in 45 working days", unit="percent", target=90).to_dict()
    assert spec["title"]["subtitle"] == [
        "No figure for Aug to Oct 2024: these figures cover months with no data (Sep to Nov 2023)",
        "No figure for Feb to Aug 2025: these figures cover Feb 2025 (system migration)",
    ]
    gap_rule = only(spec, "rule", lambda layer: "x" in layer["encoding"])
    assert rows(spec, gap_rule)[0]["reason"] == "this figure covers months with no data (Sep to Nov 2023)"
    assert not month_codes(json.dumps(spec))  # no "2025-02" anywhere a reader could see it
    assert "10 months not available. No figure for Aug to Oct 2024" in spec["description"]


def test_trend_reasons_from_window_values_said_once_each(small_params) -> None:
    """Rolling 12 months as the store gives them: the data start in Jan 2016, Oct 2016 is marked
    unavailable, and Aug 2017 has no atom."""
    rows = [
        ("rereferrals", month_text(parse_month("2016-01") + i), "Testshire", "all", "month", i + 1, 10, 10 * (i + 1))
        for i in range(24)
        if i != 19
    ]
    periods = range(parse_month("2016-08"), parse_month("2017-12") + 1)
    requests = pd.DataFrame(
        [("rereferrals", "Testshire", "all", p, "r12m") for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    gaps = {("*", parse_month("2016-10")): "system migration"}
    values = window_values(make_atoms(rows), requests, small_params.catalogue, gaps)
    frame = values.assign(month=[month_text(p) for p in values["period"]])
    spec = trend_chart(frame, title="Re-referrals", unit="percent").to_dict()
    assert spec["title"]["subtitle"] == [
        "No figure for Aug to Sep 2016: these figures cover months with no data (Sep to Dec 2015)",
        "No figure for Oct 2016 to Sep 2017: these figures cover Oct 2016 (system migration)",
        "No figure for Oct to Dec 2017: these figures cover months with no data (Aug 2017)",
    ]
    assert not month_codes(json.dumps(spec))


def test_trend_axis_is_fitted_to_the_data_and_target_not_0_to_100() -> None:
    values = [85.0, 86.0, 88.0, 87.5, 90.0, 91.0, 93.0, 95.0]
    frame = pd.DataFrame({"month": MONTHS[:8], "value": values, "status": "ok", "note": None})
    spec = trend_chart(frame, title="Assessments in 45 working days", unit="percent", target=90).to_dict()
    low, high = y_domain(spec)
    assert (low, high) != (0, 100) and 80 <= low <= 85 and 95 <= high <= 100
    assert (95 - 85) / (high - low) >= 0.6  # the movement fills most of the height
    ticks = only(spec, "line")["encoding"]["y"]["axis"]["values"]
    assert ticks[0] == low and ticks[-1] == high  # round ticks from end to end
    step = ticks[1] - ticks[0]
    assert step in (1, 2, 5) and all(t % step == 0 for t in ticks)
    # a band edge near the data is shown; a far one is not
    spec = trend_chart(
        frame, title="x", unit="percent", target=90, bands=[(None, 80, "red"), (80, 90, "amber"), (90, None, "green")]
    ).to_dict()
    low, high = y_domain(spec)
    assert low <= 80 and high <= 100
    far = trend_chart(
        frame, title="x", unit="percent", target=90, bands=[(None, 50, "red"), (50, 90, "amber"), (90, None, "green")]
    ).to_dict()
    assert y_domain(far)[0] > 50
    counts = trend_chart(
        frame.assign(value=[1120.0, 1175, 1130, 1160, 1145, 1150, 1140, 1170]), title="x", unit="count"
    )
    assert y_domain(counts.to_dict())[0] >= 1000  # counts too: the line, not the distance from zero


def test_trend_band_labels_never_overlap_each_other_or_the_line_labels() -> None:
    frame = pd.DataFrame(
        {"month": MONTHS, "value": [95.6, 94.5, 95.3, 93.7, 94.4, 95.9, 96.8, 96.4, 97.3, 97.9, 99.4, 96.9],
         "status": "ok", "note": None}
    )  # fmt: skip
    height = 260
    for bands in (
        [(None, 92.0, "red"), (92.0, 95.0, "amber"), (95.0, None, "green")],
        [(None, 94.9, "red"), (94.9, 95.0, "amber"), (95.0, None, "green")],  # an amber band too narrow to label
    ):
        spec = trend_chart(
            frame, title="Contacts decided in 1 working day", unit="percent", target=95, bands=bands,
            benchmarks={"England 2025": 95.2}, height=height,
        ).to_dict()  # fmt: skip
        low, high = y_domain(spec)
        label_height = charts.LABEL_HEIGHT * (high - low) / height
        line_labels, band_labels = margin_labels(spec)
        assert {r["label"] for r in line_labels} == {"Target 95%", "England 2025: 95.2%"}
        positions = sorted(r["position"] for r in line_labels + band_labels)
        assert all(b - a >= label_height - 1e-9 for a, b in pairwise(positions))
        for label in band_labels:  # each inside its own band
            band = next(b for b in rows(spec, only(spec, "rect")) if b["rag"] == label["label"])
            assert band["low"] <= label["position"] <= band["high"]
        legend = only(spec, "rect")["encoding"]["color"]
        assert legend["field"] == "rag" and legend["scale"]["domain"] == ["Green", "Amber", "Red"]  # the colour key
    assert "Amber" not in {r["label"] for r in band_labels}  # dropped, not written over the target's label


def test_trend_target_bands_and_benchmarks() -> None:
    spec = rereferral_trend().to_dict()
    target = only(spec, "rule", lambda layer: layer["encoding"].get("y", {}).get("field") == "target")
    assert rows(spec, target) == [{"label": "Target 22%", "target": 22.0}]
    assert target["mark"]["strokeDash"] == [6, 4]
    low, high = target["encoding"]["y"]["scale"]["domain"]
    assert 20 <= low < 21 and 24 < high <= 25  # the values (21 to 24), target and band edges, a little to spare
    bands = only(spec, "rect")
    assert bands["encoding"]["y"]["field"] == "low" and bands["encoding"]["y2"]["field"] == "high"
    assert [(b["low"], b["high"], b["rag"]) for b in rows(spec, bands)] == [
        (low, 22.0, "Green"),
        (22.0, 24.0, "Amber"),
        (24.0, high, "Red"),  # open-ended bands clipped to the axis
    ]
    assert [b["colour"] for b in rows(spec, bands)] == [RAG_COLOURS["green"], RAG_COLOURS["amber"], RAG_COLOURS["red"]]
    assert bands["mark"]["fillOpacity"] == charts.BAND_OPACITY
    assert spec["layer"].index(bands) == 0  # shaded behind everything
    bench = only(spec, "rule", lambda layer: layer["encoding"].get("y", {}).get("field") == "value")
    assert {r["benchmark"]: r["value"] for r in rows(spec, bench)} == BENCH
    line_labels, band_labels = margin_labels(spec)
    assert {r["label"] for r in line_labels} == {"SN average 2025: 22.1%", "England 2025: 22.6%", "Target 22%"}
    assert {r["label"] for r in band_labels} <= {"Green", "Amber", "Red"}
    positions = sorted(r["position"] for r in line_labels + band_labels)
    assert min(b - a for a, b in pairwise(positions)) >= charts.LABEL_HEIGHT * (high - low) / 260 - 1e-9
    points = only(spec, "point")
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
    assert spec["title"]["subtitle"] == ["Lower is better", f"No figure for Apr to May 2026 ({REASON})"]
    description = spec["description"]
    assert description.startswith("Re-referrals in Northmoor, Nov 2025 to Oct 2026: latest 21.1%")
    assert "against a target of 22%" in description and "rated Green" in description
    assert f"2 months not available. No figure for Apr to May 2026 ({REASON})" in description
    assert "SN average 2025 22.1%" in description


def test_trend_latest_month_missing_and_holes_in_the_months() -> None:
    frame = trend_frame()
    frame = frame[frame["month"] != "2026-08"]  # a month absent from the frame altogether
    frame.loc[frame["month"] == "2026-10", ["value", "status", "note"]] = [np.nan, "missing", "no figure for 2026-10"]
    spec = trend_chart(frame, title="Re-referrals", unit="percent").to_dict()
    assert marks(spec) == ["line", "point", "rule"]  # no target, bands or benchmarks
    gaps = rows(spec, only(spec, "rule"))
    assert [g["month_label"] for g in gaps] == ["Apr 2026", "May 2026", "Aug 2026", "Oct 2026"]
    assert gaps[2]["reason"] == "no figure" and gaps[1]["reason"] == REASON
    assert spec["title"]["subtitle"] == [
        f"No figure for Apr to May 2026 ({REASON})",
        "No figure for Aug 2026 and Oct 2026",
    ]
    assert "latest 21.3% (Sep 2026)" in spec["description"]
    assert "4 months not available" in spec["description"]
    points = only(spec, "point")
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
    assert spec["resolve"] == {"axis": {"x": "independent"}}  # the y scale is shared; a month axis per panel
    inner = spec["spec"]
    assert [mark(layer) for layer in inner["layer"]] == ["line", "line", "point", "rule"]
    data = rows(spec, spec)
    assert len(data) == len(frame) == 60 and chart_data_rows(chart) == 60  # one row per org unit and month
    line = inner["layer"][1]
    assert line["transform"] == [{"filter": "datum.ok"}] and line["encoding"]["detail"]["field"] == "segment"
    gap = inner["layer"][3]
    assert gap["transform"] == [{"filter": "!datum.ok"}] and "reason" in tooltip_fields(gap)
    assert sum(not r["ok"] for r in data) == 10
    assert {r["reason"] for r in data if not r["ok"]} == {REASON}
    assert all(r["value"] is None for r in data if not r["ok"])
    assert inner["layer"][0]["encoding"]["y"]["field"] == "target"
    low, high = line["encoding"]["y"]["scale"]["domain"]
    assert 15 <= low <= 16.8 and 28.8 <= high <= 30  # fitted: 16.8% (East) to 28.8% (South)
    assert inner["width"] * 3 + 20 * 2 + 90 <= charts.CHART_WIDTH  # three panels fill the width
    assert spec["title"]["text"] == "Re-referrals by area"
    assert spec["title"]["subtitle"] == [f"No figure for Apr to May 2026 ({REASON})"]
    description = spec["description"]
    assert "5 org units" in description and "from 16.9% (East, Oct 2026) to 25.3% (South, Oct 2026)" in description
    assert f"10 org unit months not available. No figure for Apr to May 2026 ({REASON})" in description


def test_small_multiples_pad_every_panel_to_the_same_months() -> None:
    frame = org_unit_frame()
    frame = frame[~((frame["org_unit"] == "North") & (frame["month"] == "2025-11"))]
    spec = small_multiples(frame, title="Re-referrals by area", unit="% of referrals").to_dict()
    data = rows(spec, spec)
    north = [r for r in data if r["org_unit"] == "North"]
    assert len(north) == 12 and not north[0]["ok"] and north[0]["reason"] == "no figure"
    assert spec["title"]["subtitle"] == ["No figure for Nov 2025 in North", f"No figure for Apr to May 2026 ({REASON})"]


def test_small_multiples_leave_out_org_units_with_no_figure_at_all() -> None:
    frame = org_unit_frame()
    empty = frame["org_unit"] == "Children in care"
    frame.loc[empty, ["value", "status", "note"]] = [np.nan, "missing", "denominator is zero"]
    spec = small_multiples(frame, title="Re-referrals by area", unit="% of referrals").to_dict()
    assert spec["facet"]["sort"] == ["North", "South", "East", "West"]  # no empty panel
    assert {r["org_unit"] for r in rows(spec, spec)} == {"North", "South", "East", "West"}
    assert spec["columns"] == 4
    assert spec["title"]["subtitle"][-1] == "Left out (no figure in any month): Children in care"
    assert "Left out, with no figure in any month: Children in care" in spec["description"]
    with pytest.raises(ValueError, match="no org unit has a figure"):
        small_multiples(frame[empty], title="x", unit="%")


# --- funnel plot --------------------------------------------------------------------------


def limit(spec: dict, n: float, level: str, side: str) -> float:
    layer = only(spec, "line")
    (value,) = [r["limit"] for r in rows(spec, layer) if r["n"] == n and r["series"] == f"{level} {side}"]
    return value


def test_funnel_limits_by_hand_and_flags() -> None:
    chart = funnel_plot(teams(), title="Re-referrals by team", unit="% of referrals", overall_rate=20)
    spec = chart.to_dict()
    # p = 0.2: exact binomial limits (Spiegelhalter 2005; checked against scipy by brute force in
    # test_regional.py). The normal approximation gave 12.16, 27.84 and 32.36 at n = 100 (standard
    # error 0.04) and 35.68 and 44.72 at n = 25 (0.08): the exact 95% limits lie a little lower and
    # the upper 99.8% limits higher, as the binomial is skewed to the right.
    assert limit(spec, 100, "95%", "lower") == pytest.approx(11.97, abs=0.01)
    assert limit(spec, 100, "95%", "upper") == pytest.approx(27.65, abs=0.01)
    assert limit(spec, 100, "99.8%", "upper") == pytest.approx(32.68, abs=0.01)
    assert limit(spec, 25, "95%", "upper") == pytest.approx(34.96, abs=0.01)
    assert limit(spec, 25, "99.8%", "lower") == 0.0  # (0 - alpha) / 25 is clipped to zero
    assert limit(spec, 25, "99.8%", "upper") == pytest.approx(45.84, abs=0.01)
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
        "Team C": "Outside 99.8% limits",  # 40% of 100 > 32.68
        "Team D": "Outside 95% limits",  # 30% of 100: between 27.65 and 32.68
        "Team E": "Within 95% limits",
    }
    position = {r["org_unit"]: r["place"] for r in rows(spec, points)}
    assert position["Team C"] == "above the 99.8% limit"
    assert {"org_unit", "value", "place"} <= set(tooltip_fields(points))
    assert points["encoding"]["color"]["field"] == "flag" and points["encoding"]["shape"]["field"] == "flag"
    assert points["encoding"]["y"]["title"] == "% of referrals"
    labelled = only(spec, "text", lambda layer: layer["encoding"]["text"]["field"] == "org_unit")
    assert {r["org_unit"] for r in rows(spec, labelled)} == {"Team C", "Team D"}
    assert "Team F" not in flags and spec["title"]["subtitle"][-1] == "Left out (denominator 0 or no figure): Team F"
    description = spec["description"]
    assert "5 org units against the overall rate of 20%" in description
    assert "1 unit outside the 99.8% limits (Team C above)" in description and "Team F" in description


def test_funnel_overall_rate_from_the_sums() -> None:
    frame = teams()
    spec = funnel_plot(frame, title="Re-referrals by team", unit="% of referrals").to_dict()
    overall = 97 / 335 * 100
    assert rows(spec, only(spec, "rule"))[0]["overall"] == pytest.approx(overall)
    with pytest.raises(ValueError, match="numerator <= denominator"):
        funnel_plot(frame.assign(numerator=[200, 5, 40, 30, 2, 0]), title="x", unit="%")


def crowded_teams() -> pd.DataFrame:
    """21 teams with large caseloads, as in a county: tight limits, many teams outside them, close together."""
    denominators = [195, 337, 900, 905, 908, 912, 918, 960, 977, 980, 1005, 1010, 1020, 1026, 1064, 1140, 1145,
                    1150, 1100, 1000, 950]  # fmt: skip
    rates = [0.915, 1.0, 0.857, 0.856, 0.870, 0.917, 0.918, 0.967, 0.939, 0.881, 0.921, 0.915, 0.916, 0.929,
             0.868, 0.791, 0.897, 0.899, 0.893, 0.894, 0.895]  # fmt: skip
    return pd.DataFrame(
        {
            "org_unit": [f"Northmoor {name} Children's Social Work Team" for name in "ABCDEFGHIJKLMNOPQRSTU"],
            "numerator": [round(r * d) for r, d in zip(rates, denominators, strict=True)],
            "denominator": denominators,
        }
    )


def svg_labels(chart: alt.TopLevelMixin, names: set[str], tmp_path: Path) -> list[tuple[str, float, float, str]]:
    """(text, x, y, anchor) of each text in the chart's SVG that is one of ``names``."""
    root = ET.fromstring(to_svg(chart, tmp_path / "chart.svg").read_text(encoding="utf-8"))
    found = []
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        if text.text in names:
            x, y = (float(v) for v in re.findall(r"[-\d.]+", text.get("transform", ""))[:2])
            found.append((text.text, x, y, text.get("text-anchor", "start")))
    return found


def test_funnel_labels_only_outliers_and_never_one_over_another(tmp_path: Path) -> None:
    frame = crowded_teams()
    chart = funnel_plot(frame, title="Assessments in 45 working days, by team", unit="percent")
    spec = chart.to_dict()
    flags = {r["org_unit"]: r["flag"] for r in rows(spec, only(spec, "point"))}
    outliers = {u for u, f in flags.items() if f != "Within 95% limits"}
    assert 8 <= len(outliers) < len(flags)
    labelled = [
        r["org_unit"]
        for layer in spec["layer"]
        if mark(layer) == "text" and layer["encoding"]["text"]["field"] == "org_unit"
        for r in rows(spec, layer)
    ]
    assert set(labelled) <= outliers and len(labelled) == len(set(labelled))  # never a team within the limits
    unlabelled = outliers - set(labelled)
    assert all(u in " ".join(spec["title"]["subtitle"]) for u in unlabelled)  # named where not labelled
    drawn = svg_labels(chart, set(flags), tmp_path)
    assert sorted(name for name, *_ in drawn) == sorted(labelled)
    boxes = []
    for name, x, y, anchor in drawn:  # 10 px text, at least 5 px a character
        width = 5 * len(name)
        left = x if anchor == "start" else x - width
        boxes.append((left, y - 5, left + width, y + 5))
    for a, b in combinations(boxes, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_label_places_avoid_each_other_and_give_up_when_there_is_no_room() -> None:
    points = [(f"Team {i}", 50.0, 20.0) for i in range(9)]  # nine points at one spot of a 200 x 40 plot
    places = charts._place_labels(points, [(50.0, 20.0)], (200.0, 40.0))
    placed = [p for p in places if p is not None]
    assert len(placed) == 6 and places[6:] == [None] * 3  # three lines, either side; no room for the rest
    width = 6 * len("Team 0")
    boxes = [(x if align == "left" else x - width, y, x + width if align == "left" else x) for x, y, align in placed]
    for (left1, y1, right1), (left2, y2, right2) in combinations(boxes, 2):
        assert abs(y1 - y2) >= charts.LABEL_HEIGHT or right1 <= left2 or right2 <= left1
    assert all(right <= 45 or left >= 55 for left, _, right in boxes)  # and never over the point


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
    assert spec["title"]["subtitle"] == ["No figure for SN average 2023-24 (not yet published)"]
    assert spec["description"] == (
        "Re-referrals: annual trend, 2021-22 to 2023-24: Northmoor 21.1% in 2023-24 against England 22.1%, "
        "Regional 21.9%. No figure for SN average 2023-24 (not yet published)."
    )
    assert chart_data_rows(chart) == 12
    assert bars["encoding"]["y"]["scale"]["domain"][0] == 0  # bars start at zero


def test_annual_chart_shows_no_year_after_the_report_year_nor_unpublished_ones() -> None:
    frame = pd.DataFrame(
        [
            ("2024-25", "Northmoor", 14.5, None),
            ("2025-26", "Northmoor", 12.6, None),
            ("2026-27 YTD", "Northmoor", 10.6, None),
            ("2024-25", "England", 16.2, None),
            ("2025-26", "England", 13.0, None),
            ("2026-27", "England", None, "no figures published for 30 September 2026"),  # the year still running
            ("2027-28", "England", None, "no figures published for 30 September 2027"),  # a year to come
        ],
        columns=["year", "series", "value", "reason"],
    )
    spec = annual_trend_chart(frame, title="Agency staff", unit="percent", report_month="2026-11").to_dict()
    bars = only(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["domain"] == ["2024-25", "2025-26", "2026-27 YTD"]
    assert "2027" not in spec["title"]["subtitle"][0] and "2027-28" not in spec["description"]
    assert spec["title"]["subtitle"] == ["No figure for England 2026-27 YTD"]
    # a year after the report month's financial year is not drawn, even with figures
    later = pd.concat([frame, pd.DataFrame([("2027-28", "Northmoor", 9.0, None)], columns=frame.columns)])
    spec = annual_trend_chart(later, title="Agency staff", unit="percent", report_month="2026-11").to_dict()
    assert only(spec, "bar")["encoding"]["x"]["scale"]["domain"][-1] == "2026-27 YTD"
    march = annual_trend_chart(later, title="Agency staff", unit="percent", report_month="2028-03").to_dict()
    assert only(march, "bar")["encoding"]["x"]["scale"]["domain"][-1] == "2027-28"  # 2027-28 ends in March 2028


# --- bars, wrapping and width --------------------------------------------------------------

LONG_OUTCOME = "Needs children's social care services: child in need plan with a named social worker"


def breakdown() -> pd.DataFrame:
    return pd.DataFrame({"category": [LONG_OUTCOME, "No further action", "Not recorded"], "count": [820, 610, 12]})


def test_bars_start_at_zero_and_long_labels_wrap_instead_of_being_cut() -> None:
    names = neighbours().assign(la_name=["Northmoor", "Royal Borough of Windsor and Maidenhead", *"BCDE"])
    spec = neighbour_bar_chart(
        names, title="Re-referrals", unit="percent", authority="Northmoor", sn_average=22.1, polarity="low"
    ).to_dict()
    bars = only(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["domain"][0] == 0  # a bar's length is its value
    axis = bars["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0 and '["Royal Borough of Windsor and", "Maidenhead"]' in axis["labelExpr"]

    spec = charts.breakdown_chart(breakdown(), "Assessments completed, by outcome", "12 months to Nov 2026").to_dict()
    bars = only(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["domain"][0] == 0
    axis = bars["encoding"]["y"]["axis"]
    assert (
        axis["labelLimit"] == 0 and json.dumps(textwrap.wrap(LONG_OUTCOME, charts.CATEGORY_WIDTH)) in axis["labelExpr"]
    )
    assert spec["height"] >= 3 * 12 * len(textwrap.wrap(LONG_OUTCOME, charts.CATEGORY_WIDTH))  # room for the lines

    frame = org_unit_frame().replace({"org_unit": {"West": "West Northmoor Children in Need and Child Protection"}})
    header = small_multiples(frame, title="x", unit="%").to_dict()["facet"]["header"]
    assert header["labelLimit"] == 0 and "West Northmoor" in header["labelExpr"]


def test_charts_use_the_width_of_the_page() -> None:
    for kind, chart in all_kinds().items():
        spec = chart.to_dict()
        if kind == "multiples":
            columns = spec["columns"]
            assert spec["spec"]["width"] * columns + 20 * (columns - 1) + 90 <= charts.CHART_WIDTH
            assert spec["spec"]["width"] * columns >= charts.CHART_WIDTH * 0.7
        else:
            assert spec["width"] == charts.CHART_WIDTH, kind
            assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}, kind


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
        "breakdown": charts.breakdown_chart(breakdown(), "By outcome", "12 months to Nov 2026"),
    }


@pytest.mark.parametrize("kind", ["trend", "neighbours", "multiples", "funnel", "annual", "breakdown"])
def test_every_chart_renders_to_png_and_svg_offline(kind: str, tmp_path: Path) -> None:
    chart = all_kinds()[kind]
    spec = chart.to_dict()
    assert spec["title"]["text"] and spec["description"]  # titled, with a text alternative
    png = to_png(chart, tmp_path / "out" / f"{kind}.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 1200 <= width <= 2 * charts.CHART_WIDTH and 200 <= height <= 4000  # scale 2, the page's width at most
    if kind != "multiples":
        assert width == 2 * charts.CHART_WIDTH  # fitted to the width exactly
    assert len(data) > 10_000
    svg = to_svg(chart, tmp_path / f"{kind}.svg")
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    svg_width, svg_height = float(root.get("width")), float(root.get("height"))
    assert 200 <= svg_width <= 2000 and 100 <= svg_height <= 2000
    assert math.isclose(width / svg_width, 2, rel_tol=0.05)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 5
    assert svg.stat().st_size > 5_000
