"""An area page: every indicator the catalogue puts in the area, for one org unit and month.

``AreaPage`` reads the store once (atoms, scorecard, commentary) and each method returns one
table, chart or passage for the notebook to show, or None where there is nothing meaningful to
show (a funnel needs percentages and at least three teams; cohorts are compared where the
catalogue has more than one and the store holds both; breakdowns where the catalogue lists them
for the area). Nothing here names an indicator: the catalogue decides.
"""

from __future__ import annotations

from functools import cached_property

import altair as alt
import pandas as pd

from csc_workbench.assess import series
from csc_workbench.assess.benchmarking import cached_benchmark_table, comparison_label
from csc_workbench.assess.scorecard import resolve_org_units, scorecard
from csc_workbench.assess.trend import last_complete_march
from csc_workbench.assess.windows import OK
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Indicator
from csc_workbench.periods import month_label, month_text
from csc_workbench.present import charts, html_tables
from csc_workbench.present.items import Html, Text
from csc_workbench.store.atoms import Store

#: Teams a funnel plot needs before it says anything.
FUNNEL_MIN_TEAMS = 3


class AreaPage:
    """The sections of one area's page for an org unit (default: the authority) and month."""

    def __init__(
        self, store: Store, params: Params, area: str, month: str | int, org_unit: str | None = None,
        cohort: str = "all",
    ) -> None:  # fmt: skip
        if area not in params.catalogue.areas:
            raise KeyError(f"unknown area {area!r}; the catalogue's areas: {', '.join(params.catalogue.areas)}")
        if cohort not in params.catalogue.cohorts:
            raise KeyError(f"unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
        self.store, self.params, self.area, self.cohort = store, params, area, cohort
        self.month = series.as_month(month)
        self.org = resolve_org_units(params, org_unit)[0]
        authority = params.authority
        self.label = authority.short_name if self.org == authority.org_units.name else self.org
        #: The area's indicators in catalogue order; the first is the area's headline.
        self.indicators: list[Indicator] = params.catalogue.in_area(area)
        self.children = [c.name for c in authority.org_unit(self.org).children]
        self.teams = series.teams_below(params, self.org)
        self.other_cohorts = series.compared_cohorts(params, self.indicators, cohort)
        card = scorecard(store, params, self.month, self.org, cohort)
        self._card = {r["indicator"]: r for r in card.to_dict("records")}
        units = list(dict.fromkeys([self.org, *self.children, *self.teams]))
        cohorts = {cohort, *self.other_cohorts} | {i.cohort for i in self.indicators if i.cohort}
        first = last_complete_march(self.month) - 36
        self._atoms = store.latest([i.id for i in self.indicators], units, cohorts, first, self.month)

    @property
    def headline(self) -> Indicator | None:
        """The area's first indicator, shown by org unit and explored."""
        return self.indicators[0] if self.indicators else None

    @property
    def title(self) -> str:
        return self.params.catalogue.areas[self.area]

    def introduction(self) -> Text:
        """The area's title from the catalogue (the heading of a page without a notebook of its own)."""
        return Text(f"# {self.title}")

    @cached_property
    def _commentary(self):
        from csc_workbench.config.commentary import load_commentary

        return load_commentary(self.params, self.month)

    # --- per indicator -----------------------------------------------------------------------
    # The page's indicators are worked out together (one window computation for the monthly
    # trends, one for the months' own figures, one for the financial years), then each is shown.
    @cached_property
    def _trends(self) -> dict[str, pd.DataFrame]:
        return self._each_trend([i.id for i in self.indicators], in_month=False)

    @cached_property
    def _in_month(self) -> dict[str, pd.DataFrame]:
        return self._each_trend([i.id for i in self.indicators if series.is_rolling(i)], in_month=True)

    def _each_trend(self, ids: list[str], in_month: bool) -> dict[str, pd.DataFrame]:
        """The org unit's :func:`~csc_workbench.assess.series.trends` of the indicators, by id."""
        if not ids:
            return {}
        frame = series.trends(
            self.store, self.params, ids, self.month, [self.org], self.cohort, atoms=self._atoms, in_month=in_month
        )
        return {
            str(i): rows.drop(columns=["indicator", "org_unit"]).reset_index(drop=True)
            for i, rows in frame.groupby("indicator", sort=False)
        }

    @cached_property
    def _annuals(self) -> dict[str, pd.DataFrame]:
        ids = [i.id for i in self.indicators]
        return series.annual_trend_tables(
            self.store, self.params, ids, self.month, self.org, self.cohort, atoms=self._atoms
        )

    def _trend(self, ind: Indicator) -> pd.DataFrame:
        return self._trends[ind.id]

    def _annual(self, ind: Indicator) -> pd.DataFrame:
        return self._annuals[ind.id]

    def _benchmarks(self, ind: Indicator) -> pd.DataFrame | None:
        return cached_benchmark_table(self.store, self.params, ind, self.month)

    def heading(self, ind: Indicator) -> Text:
        """The indicator's title and definition."""
        definition = ind.definition or "No definition in the catalogue."
        return Text(f"### {ind.title}\n\n**Definition.** {definition}")

    def monthly_table(self, ind: Indicator) -> list:
        """The last 13 months with numerators and denominators, the months without a figure
        explained."""
        trend = self._trend(ind)
        table = series.thirteen_month_table(
            self.store, self.params, ind.id, self.month, self.org, self.cohort,
            trend=trend, atoms=self._atoms, in_month=self._in_month.get(ind.id),
        )  # fmt: skip
        why = ind.no_target_reason(self.month, (self.org, self.params.authority.org_unit(self.org).level))
        unrated = f" The figures are shown without a RAG rating: {why}." if why else ""
        return [
            Text(f"**Last 13 months**, {self.label}. {html_tables.gap_months_text(trend)}{unrated}"),
            Html(html_tables.thirteen_month_table_html(table, ind)),
        ]

    def trend_chart(self, ind: Indicator) -> alt.TopLevelMixin:
        """The 13-month trend against the RAG bands, the target and the latest benchmarks."""
        summary = self._summary(ind)
        benchmarks = {}
        if summary is not None:
            benchmarks = {
                f"SN average {summary['year']}": summary["sn_average"],
                f"England {summary['year']}": summary["national"],
            }
        ref = (self.org, self.params.authority.org_unit(self.org).level)
        own = ind.targets_for(self.month, ref)  # the bands drawn are the year's own, not another level's
        return charts.trend_chart(
            self._trend(ind),
            title=f"{ind.title}: {self.label}, last 13 months",
            unit=ind.unit,
            target=own.target if own else None,
            bands=charts.bands_for(ind, self.month) if own is ind.year_targets(self.month) else [],
            benchmarks={k: v for k, v in benchmarks.items() if v is not None and v == v} or None,
            polarity=ind.polarity,
        )

    def annual_table(self, ind: Indicator) -> list:
        """The last three complete financial years and this year to date."""
        return [
            Text("**By financial year** (the last three complete years, then this year to date):"),
            Html(html_tables.annual_trend_html(self._annual(ind), ind)),
        ]

    def _summary(self, ind: Indicator) -> dict | None:
        return series.benchmark_summary(self.params, ind.id, self._annual(ind), self._benchmarks(ind))

    def benchmark_table(self, ind: Indicator) -> list | None:
        """The latest DfE benchmarks (SN average, region, England, quartile); None where the
        catalogue maps the indicator to no DfE figure or nothing is published."""
        summary = self._summary(ind)
        if summary is None:
            return None
        return [
            Text(f"**Latest benchmarks** (DfE, {summary['period']}):"),
            Html(html_tables.benchmark_html(summary, ind, self.label, comparison_label(self.params))),
        ]

    def annual_chart(self, ind: Indicator) -> alt.TopLevelMixin | None:
        """The financial years against the SN average, region and England; None without any
        figure of the org unit's own."""
        frame = series.annual_chart_frame(self.label, self._annual(ind), self._benchmarks(ind))
        if not frame.loc[frame["series"] == self.label, "value"].notna().any():
            return None
        note = comparison_label(self.params) if self._summary(ind) is not None else "No DfE benchmark"
        return charts.annual_trend_chart(
            frame,
            title=f"{ind.title}: {self.label} by financial year. {note}",
            unit=ind.unit,
            authority=self.label,
            report_month=self.month,
        )

    def commentary(self, ind: Indicator) -> Html | None:
        """The analyst's commentary for the month, else a narrative drafted from the scorecard
        (labelled as a draft); None for an indicator off the scorecard with no commentary."""
        from csc_workbench.present.exceptions import draft_narrative

        text = self._commentary.text_for(ind.id, self.org, self.params.authority.org_units.name)
        row = self._card.get(ind.id)
        if text is None and row is None:
            return None
        drafted = draft_narrative(row, ind) if row is not None else None
        return Html(html_tables.commentary_html(text, drafted))

    # --- across org units --------------------------------------------------------------------
    def by_org_unit(self, ind: Indicator | None) -> list | None:
        """The indicator in each org unit below (small multiples) and, for a percentage with at
        least three teams, the teams in a funnel plot; None for a team."""
        if ind is None or not self.children:
            return None
        items: list = []
        frame = series.org_trends(
            self.store, self.params, ind.id, self.month, self.children, self.cohort, atoms=self._atoms
        )
        if frame["value"].notna().any():
            items += [
                Text(f"### By org unit\n\n{ind.title} in each org unit of {self.label}."),
                charts.small_multiples(
                    frame, title=f"{ind.title}: the org units of {self.label}, last 13 months", unit=ind.unit
                ),
            ]
        if ind.unit == "percent" and len(self.teams) >= FUNNEL_MIN_TEAMS:
            latest = series.org_trends(
                self.store, self.params, ind.id, self.month, self.teams, self.cohort, months=1, atoms=self._atoms
            )
            usable = latest[(latest["status"] == OK) & (latest["denominator"] > 0)]
            trend = self._trend(ind)
            if len(usable) >= FUNNEL_MIN_TEAMS:
                items.append(
                    charts.funnel_plot(
                        usable[["org_unit", "numerator", "denominator"]],
                        title=f"{ind.title}: teams of {self.label}, {month_label(self.month)}",
                        unit=ind.unit,
                        overall_rate=trend["value"].iloc[-1] if trend["status"].iloc[-1] == OK else None,
                        scale=ind.scale or 100,
                    )
                )
        return items or None

    def explorer(self, ind: Indicator | None) -> list | None:
        """The indicator for the org unit and those around it, with an org-unit drop-down and a
        window selector that work in the page without Python."""
        from csc_workbench.present.interactive import explorable_trend, explore_org_units

        if ind is None:
            return None
        chart = explorable_trend(self.store, self.params, ind.id, month_text(self.month), self.org, self.cohort)
        if chart is None:
            near = explore_org_units(self.params, self.org)
            return [
                Text(
                    f"### Explore by org unit\n\nNo figures for {ind.title.lower()} at {', '.join(near)} "
                    "in the last 13 months: nothing to explore here."
                )
            ]
        return [Text(f"### Explore by org unit\n\n{ind.title}: pick an org unit and a window to compare."), chart]

    # --- cohorts and breakdowns --------------------------------------------------------------
    def cohort_comparison(self) -> list | None:
        """Each indicator for the page's cohort and every other cohort of the catalogue measured
        for it (for example including and excluding UASC), with the difference; for the
        authority each of its areas too. None where no other cohort has figures."""
        cohorts = self.params.catalogue.cohorts
        units = [self.org, *self.children] if self.org == self.params.authority.org_units.name else [self.org]
        ids = [i.id for i in self.indicators]
        items: list = []
        for other in self.other_cohorts:
            tables = []
            for unit in units:
                frame = series.cohort_impact(
                    self.store, self.params, ids, self.month, unit, other, self.cohort, atoms=self._atoms
                )
                if not frame.empty:
                    table = html_tables.cohort_impact_html(frame, self.params, self.cohort, other)
                    tables += [Text(f"**{unit}**"), Html(table)]
            if tables:
                mine, theirs = cohorts[self.cohort], cohorts[other]
                items.append(
                    Text(
                        f"### Cohorts compared: {mine} and {theirs}\n\nEach indicator for {mine} and for "
                        f"{theirs}, and the difference between the two."
                    )
                )
                items += tables
        return items or None

    def breakdowns(self) -> list | None:
        """The Annex A breakdowns the catalogue lists for the area: for each a table (the month,
        the last 12 months and the 12 before) and a chart of the last 12 months; None when the
        catalogue lists none or none has been loaded."""
        from csc_workbench.assess.breakdowns import breakdown_table
        from csc_workbench.measures.breakdowns import BREAKDOWNS

        names = self.params.catalogue.breakdowns.get(self.area, [])
        if not names:
            return None
        authority = self.params.authority.org_units.name
        counts = self.store.breakdowns(names, list(dict.fromkeys([self.org, authority])), self.month - 23, self.month)
        if counts.empty:
            return None
        items: list = [Text("## Breakdowns")]
        for name in names:
            b = BREAKDOWNS[name]
            mine = counts[(counts["breakdown"] == name) & (counts["org_unit"] == self.org)]
            items.append(Text(f"### {b.title}: {self.label}\n\n{b.note}"))
            if mine.empty:
                held = not counts[(counts["breakdown"] == name) & (counts["org_unit"] == authority)].empty
                items.append(
                    Text(f"Recorded for {authority} only: the list it comes from has no allocated team.")
                    if held
                    else Text("Not recorded in the data loaded.")
                )
                continue
            table = breakdown_table(mine, name, self.month)
            items.append(Html(html_tables.breakdown_table_html(table, self.month, f"{b.title}: {self.label}")))
            if table["r12m"].notna().all() and table["r12m"].sum() > 0:
                frame = table[["category", "r12m"]].rename(columns={"r12m": "count"})
                items.append(
                    charts.breakdown_chart(frame, f"{b.title}: {self.label}", f"12 months to {month_label(self.month)}")
                )
        return items
