"""The explorer driven from Python on the demo county: setting controls changes the chart data
and the table to the right numbers (recomputed here from the stored atoms); drill-down, funnel,
benchmark overlay, export; and the notebook builds the widget in a real kernel."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import papermill
import pytest

from csc_workbench.explore import Explorer
from csc_workbench.explore.explorer import shown_table
from csc_workbench.periods import month_label, parse_month

from ..conftest import ROOT
from .conftest import END

IND = "referrals_to_assessment"  # a rate of referrals, in-month headline


@pytest.fixture(scope="module")
def explorer(small_county, tmp_path_factory):
    e = Explorer(small_county.store.path, ROOT / "params", month=END, export_folder=tmp_path_factory.mktemp("exp"))
    e.controls.indicator.value = IND
    return e


def _atoms(county, org: str) -> pd.DataFrame:
    atoms = county.store.latest([IND], [org], ["all"])
    return atoms[atoms["window"] == "month"].set_index("period")


def _chart_values(chart) -> list[dict]:
    """Every data row of a chart, however its views are nested (layers, concatenations, facets)."""
    spec = chart.to_dict()

    def rows(view: dict) -> list[dict]:
        found = list(view.get("data", {}).get("values", []))
        for key in ("layer", "hconcat", "vconcat", "concat"):
            found += [r for child in view.get(key, []) for r in rows(child)]
        return found + (rows(view["spec"]) if isinstance(view.get("spec"), dict) else [])

    return rows(spec) + [r for data in spec.get("datasets", {}).values() for r in data]


def test_controls_change_the_table_and_chart_to_the_right_numbers(explorer, small_county) -> None:
    end = parse_month(END)
    area = small_county.params.authority.org_units.children[0].name
    explorer.controls.org_unit.value = area
    assert explorer.error is None and explorer.state.org_units == (area,)
    mine = _atoms(small_county, area)
    assert explorer.table.loc[month_label(end), area] == pytest.approx(mine.loc[end, "value"])
    charted = [
        r
        for r in _chart_values(explorer.chart)
        if r.get("month_label") == month_label(end) and r.get("value") is not None
    ]
    assert charted and charted[0]["value"] == pytest.approx(mine.loc[end, "value"])

    explorer.controls.window.value = "r3m"
    three = mine.loc[end - 2 : end]
    assert explorer.table.loc[month_label(end), area] == pytest.approx(
        100 * three["numerator"].sum() / three["denominator"].sum()
    )
    explorer.controls.window.value = "month"


def test_the_table_shows_counts_as_whole_numbers_and_missing_months_blank() -> None:
    table = pd.DataFrame({"Northmoor": [4142.0, None, 3724.0]}, index=["Jan 2025", "Feb 2025", "Mar 2025"])
    counts = shown_table(table, 0).to_html()
    assert ">4142</td>" in counts and ".0<" not in counts and "nan" not in counts.lower()
    assert ">41.4</td>" in shown_table(table / 100, 1).to_html()  # rates to the catalogue's decimals


def test_drill_down_compares_the_org_units_below(explorer, small_county) -> None:
    authority = small_county.params.authority.org_units
    explorer.controls.org_unit.value = authority.name
    explorer.drill_down()
    areas = [a.name for a in authority.children]
    assert explorer.state.org_units == (authority.name, *areas)
    assert list(explorer.table.columns) == [authority.name, *areas]
    assert type(explorer.chart).__name__ == "FacetChart"  # small multiples, one per org unit
    explorer.controls.chart.value = "funnel"  # every team below the authority's areas, latest month
    teams = {t.name for a in authority.children for t in a.children}
    funnel_units = {r["org_unit"] for r in _chart_values(explorer.chart) if "org_unit" in r}
    assert explorer.error is None and funnel_units and funnel_units <= teams | set(areas)
    explorer.controls.chart.value = "trend"
    explorer.controls.compare.value = ()


def test_benchmark_overlay_search_and_export(explorer, small_county) -> None:
    explorer.controls.indicator.value = "rereferrals_12m"
    explorer.controls.benchmark.value = "sn"
    assert explorer.error is None
    assert "SN average" in json.dumps(explorer.chart.to_dict())
    explorer.controls.benchmark.value = "none"
    explorer.controls.search.value = "dental"
    assert [v for _, v in explorer.controls.indicator.options] == ["cic_dental_timely"]
    assert explorer.state.indicator == "cic_dental_timely"
    explorer.controls.search.value = ""
    png, csv = explorer.export()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(csv)
    assert table.columns[0] == "month" and len(table) == 13
    assert not any("child" in c.lower() or "birth" in c.lower() for c in table.columns)  # aggregates only
    explorer.controls.indicator.value = IND


def test_the_notebook_builds_the_explorer_in_a_kernel(small_county, tmp_path) -> None:
    out = tmp_path / "explorer.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explorer.ipynb"), str(out), kernel_name="python3", progress_bar=False,
        parameters={"store": str(small_county.store.path), "params_folder": str(ROOT / "params"),
                    "export_folder": str(tmp_path / "exports")},
    )  # fmt: skip
    outputs = [o for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.get("output_type") == "error"]
