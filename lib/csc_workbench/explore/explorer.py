"""The explorer: pick an indicator, org units, cohort, window, period, benchmark overlay and chart;
see the chart and the table behind it; drill down from the authority to areas to teams; export
the view (PNG and CSV, aggregates only).

The logic is pure functions of an :class:`ExplorerState` (``view_data``, ``view_table``,
``view_chart``); :class:`Explorer` is a thin ipywidgets layer that builds the state from its
controls and redraws on every change, so nothing needs re-running in the notebook. The chart is
a live widget whose script ships with the package (:func:`csc_workbench.pack.render.live_chart`):
JupyterLab draws it with no network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params, load_params
from csc_workbench.pack.render import live_chart
from csc_workbench.periods import month_label, month_text
from csc_workbench.present import charts
from csc_workbench.store.atoms import Store

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

WINDOWS = {"month": "In month", "r3m": "Rolling 3 months", "r12m": "Rolling 12 months", "fytd": "Year to date"}
BENCHMARKS = {"none": "None", "sn": "SN average", "england": "England", "quartiles": "England quartiles"}
CHARTS = {"trend": "Trend", "small_multiples": "Small multiples", "funnel": "Funnel (latest month)",
          "neighbours": "Statistical neighbours"}  # fmt: skip


@dataclass(frozen=True)
class ExplorerState:
    """What the explorer shows: everything a view depends on."""

    indicator: str
    org_units: tuple[str, ...]
    first_month: int
    last_month: int
    cohort: str = "all"
    window: str = "month"
    benchmark: str = "none"
    chart: str = "trend"


def indicator_options(params: Params) -> list[tuple[str, str]]:
    """(label, id) for every indicator, grouped by area in catalogue order: "Area - Title"."""
    return [
        (f"{params.catalogue.areas[i.area]} - {i.title}", i.id)
        for area in params.catalogue.areas
        for i in params.catalogue.in_area(area)
    ]


def window_for(params: Params, state: ExplorerState) -> str:
    """The stored window the state asks for: a stock has only its month-end snapshot."""
    return "snapshot" if params.catalogue[state.indicator].is_stock else state.window


def view_data(store: Store, params: Params, state: ExplorerState) -> pd.DataFrame:
    """One row per org unit and month: ``org_unit``, ``period``, ``month``, ``value``,
    ``numerator``, ``denominator``, ``status``, ``note`` (window_values' own figures)."""
    ind = params.catalogue[state.indicator]
    cohort = ind.cohort or state.cohort
    window = window_for(params, state)
    periods = range(state.first_month, state.last_month + 1)
    requests = pd.DataFrame(
        [(ind.id, org, cohort, p, window) for org in state.org_units for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    atoms = store.latest([ind.id], state.org_units, [cohort], state.first_month - 12, state.last_month)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    values["month"] = [month_text(int(p)) for p in values["period"]]
    return values[["org_unit", "period", "month", "value", "numerator", "denominator", "status", "note"]]


def view_table(data: pd.DataFrame) -> pd.DataFrame:
    """The table under the chart: a row per month (oldest first), a column per org unit; months
    without a figure are blank (never zero)."""
    shown = data.assign(value=data["value"].where(data["status"] == OK))
    table = shown.pivot_table(index="period", columns="org_unit", values="value", aggfunc="first", dropna=False)
    table = table.reindex(columns=list(dict.fromkeys(data["org_unit"])))
    table.index = [month_label(int(p)) for p in table.index]
    table.index.name = "month"
    return table


def shown_table(table: pd.DataFrame, decimals: int) -> Styler:
    """The table as the explorer shows it: figures to the indicator's decimals (counts as whole
    numbers), months without a figure blank."""
    return table.style.format(precision=decimals, na_rep="")


def benchmark_lines(store: Store, params: Params, state: ExplorerState) -> dict[str, float | None]:
    """The benchmark overlay: the latest published year's SN average, England or England
    quartiles for the indicator (the authority's comparator for the synthetic demo); {} when
    the indicator has no DfE benchmark or the overlay is off."""
    from csc_workbench.assess.benchmarking import indicator_benchmark_table

    if state.benchmark == "none":
        return {}
    table = indicator_benchmark_table(params, state.indicator, store=store)
    if table is None or table.empty:
        return {}
    latest = table.sort_values("year").iloc[-1]
    year = f"{int(latest['year']) - 1}-{int(latest['year']) % 100:02d}"
    picks = {
        "sn": {f"SN average {year}": latest["sn_average"]},
        "england": {f"England {year}": latest["national"]},
        "quartiles": {f"England Q1 {year}": latest["q1"], f"England median {year}": latest["median"],
                      f"England Q3 {year}": latest["q3"]},
    }[state.benchmark]  # fmt: skip
    return {k: (None if v is None or v != v else float(v)) for k, v in picks.items()}


def children(params: Params, org_unit: str) -> list[str]:
    """The org units directly below one (drill-down): authority -> areas -> teams."""
    return [c.name for c in params.authority.org_unit(org_unit).children]


def view_chart(store: Store, params: Params, state: ExplorerState, data: pd.DataFrame) -> alt.TopLevelMixin:
    """The chart of the view, from the chart library."""
    ind = params.catalogue[state.indicator]
    label = WINDOWS.get(state.window, state.window) if window_for(params, state) != "snapshot" else "Month end"
    synthetic = " (SYNTHETIC)" if params.authority.synthetic else ""
    if state.chart == "trend" and len(state.org_units) == 1:
        return charts.trend_chart(
            data, title=f"{ind.title}: {state.org_units[0]}, {label.lower()}{synthetic}", unit=ind.unit,
            target=ind.target_for(state.last_month), bands=charts.bands_for(ind, state.last_month),
            benchmarks=benchmark_lines(store, params, state) or None, polarity=ind.polarity,
        )  # fmt: skip
    if state.chart in ("trend", "small_multiples"):
        return charts.small_multiples(data, title=f"{ind.title}: {label.lower()} by org unit{synthetic}", unit=ind.unit)
    if state.chart == "funnel":
        if ind.scale is None:
            raise ValueError(f"{ind.title} is a count: a funnel plot needs a rate (numerator over denominator)")
        units = [u for org in state.org_units for u in (children(params, org) or [org])]
        latest = view_data(store, params, replace(state, org_units=tuple(units), first_month=state.last_month))
        latest = latest[latest["status"] == OK]
        return charts.funnel_plot(
            latest[["org_unit", "numerator", "denominator"]],
            title=f"{ind.title}: {month_label(state.last_month)}, {label.lower()}{synthetic}", unit=ind.unit,
            scale=ind.scale,
        )  # fmt: skip
    if state.chart == "neighbours":
        return neighbour_chart(store, params, state)
    raise ValueError(f"unknown chart {state.chart!r}; one of {', '.join(CHARTS)}")


def neighbour_chart(store: Store, params: Params, state: ExplorerState) -> alt.TopLevelMixin:
    """The latest published year: the authority (or the demo's comparator) and its statistical
    neighbours, ranked."""
    from csc_workbench.assess.benchmarking import comparison_label, dfe_figures
    from csc_workbench.benchmarks.compute import benchmark_set, mapping_values, neighbour_frame
    from csc_workbench.benchmarks.neighbours import model_for_year, neighbours

    ind = params.catalogue[state.indicator]
    if ind.benchmark is None:
        raise ValueError(f"{ind.title} has no DfE benchmark: no statistical neighbours to rank")
    code = params.authority.benchmark_la_code
    figures = mapping_values(ind.benchmark, dfe_figures(store))
    year = int(figures["year"].max())
    result = benchmark_set(figures, code, year, ind.polarity, neighbours(code, model_for_year(year)))
    return charts.neighbour_bar_chart(
        neighbour_frame(result), title=f"{ind.title}, {year - 1}-{year % 100:02d}. {comparison_label(params)}",
        unit=ind.unit, authority=result["la_name"], sn_average=result["sn_average"], national=result["national"],
        polarity=ind.polarity,
    )  # fmt: skip


def export_view(chart: alt.TopLevelMixin, table: pd.DataFrame, folder: str | Path, stem: str) -> tuple[Path, Path]:
    """Write the current view as ``<stem>.png`` and ``<stem>.csv`` (aggregates only: the table
    under the chart, a row per month and a column per org unit)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png = charts.to_png(chart, folder / f"{stem}.png")
    csv = folder / f"{stem}.csv"
    table.to_csv(csv)
    return png, csv


class Explorer:
    """ipywidgets controls over the pure functions above; ``display(Explorer(...))`` in a notebook.

    ``controls`` holds the widgets (indicator, search, org_unit, compare, cohort, window, period,
    benchmark, chart, drill_down, export); after every change ``state``, ``data``, ``table`` and
    ``chart`` hold the current view (``chart_view`` draws the chart, ``table_output`` shows the
    table), and ``error`` why it could not be drawn."""

    def __init__(self, store: str | Path, params_folder: str | Path = "params", month: str | int | None = None,
                 export_folder: str | Path = "exports"):  # fmt: skip
        import ipywidgets as w

        self.store, self.params = Store(store), load_params(params_folder)
        self.export_folder = Path(export_folder)
        last = self.store.latest_month() if month is None else month
        last = last if isinstance(last, int) else int(pd.Period(last, "M").year * 12 + pd.Period(last, "M").month - 1)
        months = [(month_label(p), p) for p in range(last - 35, last + 1)]
        options = indicator_options(self.params)
        authority = self.params.authority.org_units.name
        names = self.params.authority.org_unit_names
        self._all_indicators = options
        self.controls = SimpleNamespace(
            search=w.Text(placeholder="search indicators", description="Find"),
            indicator=w.Dropdown(options=options, value=options[0][1], description="Indicator",
                                 layout=w.Layout(width="720px")),
            org_unit=w.Dropdown(options=names, value=authority, description="Org unit"),
            compare=w.SelectMultiple(options=names, value=(), description="Compare", rows=6),
            cohort=w.Dropdown(options=[(v, k) for k, v in self.params.catalogue.cohorts.items()], value="all",
                              description="Cohort"),
            window=w.ToggleButtons(options=[(v, k) for k, v in WINDOWS.items()], value="month", description="Window"),
            period=w.SelectionRangeSlider(options=months, index=(len(months) - 13, len(months) - 1),
                                          description="Months", layout=w.Layout(width="720px")),
            benchmark=w.Dropdown(options=[(v, k) for k, v in BENCHMARKS.items()], value="none",
                                 description="Benchmark"),
            chart=w.ToggleButtons(options=[(v, k) for k, v in CHARTS.items()], value="trend", description="Chart"),
            drill_down=w.Button(description="Drill down", tooltip="compare the org units below this one"),
            export=w.Button(description="Export PNG + CSV"),
        )  # fmt: skip
        self.chart_view, self.table_output, self.message = live_chart(), w.Output(), w.HTML()
        self.state: ExplorerState | None = None
        self.data = self.table = self.chart = self.error = None
        for name in ("indicator", "org_unit", "compare", "cohort", "window", "period", "benchmark", "chart"):
            getattr(self.controls, name).observe(lambda _change: self.refresh(), names="value")
        self.controls.search.observe(lambda change: self._filter(change["new"]), names="value")
        self.controls.drill_down.on_click(lambda _b: self.drill_down())
        self.controls.export.on_click(lambda _b: self.export())
        self.refresh()

    def current_state(self) -> ExplorerState:
        c = self.controls
        units = (c.org_unit.value, *(u for u in c.compare.value if u != c.org_unit.value))
        first, last = c.period.value
        return ExplorerState(c.indicator.value, units, first, last, c.cohort.value, c.window.value,
                             c.benchmark.value, c.chart.value)  # fmt: skip

    def refresh(self) -> None:
        """Recompute the view from the controls and redraw the chart and the table."""
        state = self.state = self.current_state()
        self.error = None
        try:
            self.data = view_data(self.store, self.params, state)
            self.table = view_table(self.data)
            self.chart = view_chart(self.store, self.params, state, self.data)
        except (ValueError, KeyError) as exc:
            self.error, self.chart = str(exc), None
        self._draw(self.params.catalogue[state.indicator].display_decimals)

    def _draw(self, decimals: int) -> None:
        from IPython.display import display

        self.chart_view.chart = self.chart
        self.table_output.clear_output(wait=True)
        with self.table_output:
            if self.table is not None:
                display(shown_table(self.table, decimals))
        self.message.value = f"<b>Not drawn:</b> {self.error}" if self.error else ""

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        kept = [o for o in self._all_indicators if all(w in o[0].lower() for w in words)] or self._all_indicators
        current = self.controls.indicator.value
        self.controls.indicator.options = kept
        if current not in [v for _, v in kept]:
            self.controls.indicator.value = kept[0][1]

    def drill_down(self) -> None:
        """Compare the org units below the current one (the authority's areas, an area's teams)."""
        below = children(self.params, self.controls.org_unit.value)
        if below:
            self.controls.compare.value = tuple(below)

    def export(self) -> tuple[Path, Path] | None:
        """Write the current chart (PNG) and table (CSV) to the export folder."""
        if self.chart is None or self.state is None:
            return None
        stem = f"{self.state.indicator}_{self.state.org_units[0]}_{month_text(self.state.last_month)}".replace(" ", "_")
        paths = export_view(self.chart, self.table, self.export_folder, stem)
        self.message.value = f"Exported {paths[0]} and {paths[1]} (aggregates only)"
        return paths

    def widget(self):
        import ipywidgets as w

        c = self.controls
        return w.VBox([
            w.HBox([c.search]), c.indicator, w.HBox([c.org_unit, c.drill_down, c.cohort, c.benchmark]), c.compare,
            c.window, c.period, c.chart, self.message, self.chart_view, self.table_output, c.export,
        ])  # fmt: skip

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())
