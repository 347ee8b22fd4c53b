"""Regional pages: a council's place among its region's councils, and the region's own pages.

:class:`RegionalSection` is the regional section of one council's pack; :class:`RegionPage` is one
area of the region's own pack. Each reads the region (``region.yml``), its catalogue and its store
once, and each method returns one passage, table or chart for the notebook to show, or None where
there is nothing meaningful to show (no council has a figure; a count or an average has no funnel;
an indicator without a better direction has no rank).

What a page shows is what the region may share: each council's headline figure (worked out as in
its own pack, :func:`csc_workbench.assess.regional.council_values`) with small counts suppressed
(:func:`~csc_workbench.assess.regional.suppress_small_counts`: a numerator or a denominator from 1
to ``suppress_below`` less one hides the council's figure). The ranks, quartiles, the regional
figure and the funnel are worked out from the figures that can be shown, so that no hidden count
can be worked out from them. The other councils are named or lettered as the region decides
(:func:`~csc_workbench.assess.regional.council_labels`); a council always sees itself named.
"""

from __future__ import annotations

import html
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import altair as alt
import pandas as pd

from csc_workbench.assess.regional import (
    VALUE_COLUMNS,
    FunnelKind,
    council_labels,
    council_values,
    funnel_positions,
    rank_councils,
    rank_trend,
    regional_summary,
    suppress_small_counts,
)
from csc_workbench.assess.series import report_month
from csc_workbench.assess.windows import OK
from csc_workbench.config.catalogue import Indicator, Polarity, Unit, load_catalogue
from csc_workbench.config.region import load_region
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.present import charts
from csc_workbench.present.html_tables import _CELL, _TABLE_STYLE, _caption, _td, _th
from csc_workbench.present.items import Html, Text
from csc_workbench.present.tables import format_number
from csc_workbench.store.atoms import Store

#: Months of ranks shown: the report month and the 12 before it.
TREND_MONTHS = 13
#: Councils a funnel plot needs before it says anything.
FUNNEL_MIN_COUNCILS = 3
#: The funnel of each unit: its kind of limits and what its denominator counts.
FUNNELS: dict[Unit, tuple[FunnelKind, str]] = {
    Unit.PERCENT: ("binomial", "Denominator (children or cases counted)"),
    Unit.RATE_PER_10K: ("poisson", "Children aged 0-17"),
}
#: Months read before the first month shown: a rolling 12 months (the longest window) needs 11.
_WINDOW_MONTHS = 11
#: The columns a figure is hidden by when either is a small count.
_SUPPRESSED_BY = ("numerator", "denominator")
_RANKED = (Polarity.HIGH, Polarity.LOW)
_BETTER = {Polarity.HIGH: "Higher is better.", Polarity.LOW: "Lower is better."}
_NOT_RANKED = "Neither higher nor lower is better, so the councils are not ranked."


class _Funnel(NamedTuple):
    """The councils' places in an indicator's funnel (:func:`funnel_positions`), the regional
    figure the funnel surrounds and the indicator's scale."""

    places: pd.DataFrame
    overall: float
    scale: float


def _day(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


def _councils(n: int) -> str:
    return f"{n} council{'' if n == 1 else 's'}"


class _RegionFigures:
    """The region's figures for a month and the 12 before it, read once: each council's headline
    value with small counts hidden, ranks and quartiles, and the region's statistics; ``own`` is
    the council reading (None: the region's own pages, or the region's first council where
    ``_first_by_default``)."""

    _first_by_default = False

    def __init__(self, region_folder: str | Path, month: str | int, own: str | None) -> None:
        self.region = load_region(region_folder)
        self.catalogue = load_catalogue(self.region.catalogue_path)
        self.store = Store(self.region.store_path)
        names = [c.name for c in self.region.councils]
        if own is None and self._first_by_default:
            own = names[0]
        if own is not None and own not in names:
            raise KeyError(f"unknown council {own!r}; the region's councils: {', '.join(names)}")
        self.own = own
        self.month = parse_month(report_month(self.store, month))
        self.labels = council_labels(names, own, self.region.sharing, seed=self.region.name)
        months = list(range(self.month - TREND_MONTHS + 1, self.month + 1))
        cohorts = sorted({"all", *(i.cohort for i in self.catalogue.indicators if i.cohort)})
        atoms = self.store.latest(self.catalogue.ids, names, cohorts, months[0] - _WINDOW_MONTHS, self.month)
        #: The councils with any figure for the report month.
        self.contributors = sorted(set(atoms.loc[atoms["period"] == self.month, "org_unit"]))
        held = [i for i in self.catalogue.ids if i in set(atoms["indicator"])]
        if held:
            exact = council_values(atoms, self.catalogue, held, months)
        else:
            exact = pd.DataFrame(columns=VALUE_COLUMNS).astype({"numerator": float, "denominator": float})
        shown = suppress_small_counts(exact, self.region.suppress_below, _SUPPRESSED_BY)
        #: Each council's figure (hidden where a count is small), rank and quartile, by month.
        self.values = rank_councils(shown, self.catalogue)
        #: The region's statistics for the month, by indicator.
        self._summary = regional_summary(shown[shown["period"] == self.month], self.catalogue).set_index("indicator")
        self.as_at = self.store.data_as_at(self.month)
        has_figure = self.values[(self.values["period"] == self.month) & (self.values["status"] == OK)]
        with_figures = set(has_figure["indicator"])
        #: The catalogue's indicators with at least one council's figure for the month, in catalogue order.
        self.indicators: list[Indicator] = [i for i in self.catalogue.indicators if i.id in with_figures]

    # --- words ---------------------------------------------------------------------------------
    @property
    def _synthetic(self) -> str:
        """A chart title's synthetic label, unless the region's name (in the title) says so already."""
        return " (SYNTHETIC)" if self.region.synthetic and "synthetic" not in self.region.name.lower() else ""

    def _synthetic_text(self) -> str:
        if not self.region.synthetic:
            return ""
        return "**SYNTHETIC DEMO: fictional councils, synthetic data, not real figures.**\n\n"

    def _sharing_text(self) -> str:
        threshold = self.region.suppress_below
        if self.region.sharing == "named":
            shown = "Every council is shown by its name."
        elif self.own is None:
            shown = (
                "The councils are shown as letters (Council A, Council B, ...), in an order that gives away "
                "neither their size, their rank nor their name."
            )
        else:
            shown = (
                f"{self.own} is shown by its name; the other councils as letters (Council A, Council B, ...), "
                "in an order that gives away neither their size, their rank nor their name."
            )
        if threshold <= 1:
            return f"**How figures are shared.** {shown}"
        return (
            f"**How figures are shared.** {shown} Small numbers are not shown, so that no child can be identified: "
            f"where a council's count of children (or the number it is out of) is from 1 to {threshold - 1}, its "
            "figure is hidden, and it is left out of that indicator's ranks, quartiles, regional figure and funnel "
            "plot. A count of none is shown."
        )

    def _method_text(self) -> str:
        return (
            "**How to read it.** Each council's figure is its headline figure for the indicator, worked out as in "
            "its own pack (for example over the rolling 12 months). Where higher or lower is better, the councils "
            "with a figure are ranked, 1 being the best; councils with the same figure share the better rank. The "
            "quartile says which quarter of the ranked councils a council is in, from the best quarter to the "
            "worst. The regional figure is the region as a whole (all the councils' children counted together, so "
            "a large council counts for more; for a count, the average per council); the median is the middle "
            "council's figure. A funnel plot shows each council's figure against its size, with limits that widen "
            "for smaller councils, where chance moves a figure more: a council outside the 99.8% limits is very "
            "unlikely to be there by chance alone."
        )

    def _as_at_text(self) -> str:
        as_at = f"The latest figures are as at {_day(self.as_at)}." if self.as_at else ""
        return (
            f"{len(self.contributors)} of the region's {_councils(len(self.region.councils))} contributed figures "
            f"for {month_label(self.month)}. {as_at}"
        ).strip()

    def _reason(self, row: pd.Series) -> str:
        """Why a council has no figure shown, in words."""
        if row["suppressed"]:
            return f"a count below {self.region.suppress_below}, not shown"
        return "no figure"

    def _format(self, ind: Indicator, value: float | None, statistic: bool = False) -> str:
        """A figure rounded as the catalogue says; a ``statistic`` of the councils' counts (their
        mean, median or quartiles) to one decimal place."""
        decimals = max(ind.display_decimals, 1) if statistic and ind.unit is Unit.COUNT else ind.display_decimals
        return format_number(value, decimals, ind.unit is Unit.PERCENT)

    def _figure(self, ind: Indicator, row: pd.Series | None) -> str:
        """A council's figure as a table shows it, or why there is none."""
        if row is None:
            return "no figure"
        if pd.isna(row["value"]):
            return self._reason(row)
        return self._format(ind, row["value"])

    # --- figures -------------------------------------------------------------------------------
    def _rows(self, ind: Indicator, period: int) -> pd.DataFrame:
        """Every council's row for the indicator and month, with its ``label``."""
        rows = self.values[(self.values["indicator"] == ind.id) & (self.values["period"] == period)]
        return rows.assign(label=rows["council"].map(self.labels)).reset_index(drop=True)

    def _row(self, ind: Indicator, council: str, period: int) -> pd.Series | None:
        rows = self._rows(ind, period)
        mine = rows[rows["council"] == council]
        return None if mine.empty else mine.iloc[0]

    def _statistics(self, ind: Indicator) -> pd.Series | None:
        """The region's statistics for the indicator in the month (:func:`regional_summary`)."""
        return self._summary.loc[ind.id] if ind.id in self._summary.index else None

    def _place(self, row: pd.Series | None) -> str:
        """The council's place ("3rd of 10", "joint 2nd of 10"), or that it has no rank."""
        if row is None or pd.isna(row["rank"]):
            return "not ranked"
        ranks = self.values.loc[
            (self.values["indicator"] == row["indicator"]) & (self.values["period"] == row["period"]), "rank"
        ]
        return charts.rank_text(row["rank"], int(row["ranked"]), joint=int((ranks == row["rank"]).sum()) > 1)

    @staticmethod
    def _quarter(row: pd.Series | None) -> str:
        if row is None or pd.isna(row["quartile"]):
            return "-"
        return charts.QUARTILE_WORDS[int(row["quartile"])].capitalize()

    @cached_property
    def _funnels(self) -> dict[str, _Funnel]:
        """Each council's place in the month's funnel and the regional figure it surrounds, by
        indicator (only the indicators with a funnel)."""
        return {ind.id: funnel for ind in self.indicators if (funnel := self._funnel(ind)) is not None}

    def _funnel(self, ind: Indicator) -> _Funnel | None:
        """The funnel of the councils with a figure and a denominator; None where the indicator has
        no funnel (a count or an average), too few councils or no regional figure."""
        statistics = self._statistics(ind)
        if ind.unit not in FUNNELS or ind.scale is None or statistics is None or pd.isna(statistics["regional"]):
            return None
        rows = self._rows(ind, self.month)
        usable = rows[rows["value"].notna() & (rows["denominator"] > 0)]
        if len(usable) < FUNNEL_MIN_COUNCILS:
            return None
        kind, _ = FUNNELS[ind.unit]
        overall = float(statistics["regional"])
        latest = usable[["label", "council", "numerator", "denominator", "value"]].reset_index(drop=True)
        return _Funnel(funnel_positions(latest, overall, ind.scale, kind), overall, ind.scale)

    def _position(self, ind: Indicator, council: str) -> str:
        """Where a council's figure lies in the funnel, in words."""
        if ind.unit not in FUNNELS:
            return "no funnel (not a percentage or a rate)"
        funnel = self._funnels.get(ind.id)
        mine = None if funnel is None else funnel.places[funnel.places["council"] == council]
        if mine is None or mine.empty or mine["position"].iloc[0] is None:
            return "-"
        position = str(mine["position"].iloc[0])
        verdict = charts.funnel_verdict(position, ind.polarity)
        return f"{position.capitalize()}{f' ({verdict} than the region)' if verdict else ''}"

    # --- what the pages show -------------------------------------------------------------------
    def _title(self, ind: Indicator, what: str) -> str:
        return f"{ind.title}: {what}, {month_label(self.month)}{self._synthetic}"

    def _region_text(self, ind: Indicator) -> str:
        """The regional figure, median and quartiles of the month in a sentence."""
        statistics = self._statistics(ind)
        if statistics is None or not statistics["councils"]:
            return f"No council's figure can be shown for {month_label(self.month)}."
        shown = _councils(int(statistics["councils"]))
        regional, median, q1, q3 = (self._format(ind, statistics[k], True) for k in ("regional", "median", "q1", "q3"))
        return (
            f"{shown} with a figure that can be shown. Regional figure {regional}; median {median}; the middle half "
            f"of the councils from {q1} to {q3}."
        )

    def ranking_chart(self, ind: Indicator) -> alt.TopLevelMixin | None:
        """Every council's figure for the month, best first, with the regional figure, the median
        and the middle half of the councils; None for an indicator without a better direction or
        without a council ranked."""
        rows = self._rows(ind, self.month)
        if ind.polarity not in _RANKED or not rows["rank"].notna().any():
            return None
        statistics = self._statistics(ind)
        frame = pd.DataFrame(
            {
                "council": rows["label"],
                "value": rows["value"],
                "rank": rows["rank"],
                "quartile": rows["quartile"],
                "reason": [self._reason(r) for _, r in rows.iterrows()],
            }
        )
        return charts.ranking_chart(
            frame,
            title=self._title(ind, f"the councils of {self.region.name}"),
            unit=ind.unit,
            polarity=ind.polarity,
            own=self.own,
            regional=None if statistics is None else statistics["regional"],
            median=None if statistics is None else statistics["median"],
            quartiles=None if statistics is None else (statistics["q1"], statistics["q3"]),
        )

    def funnel_chart(self, ind: Indicator) -> alt.TopLevelMixin | None:
        """The councils' figures against their size within exact limits around the regional figure;
        None for a count or an average, or with fewer than three councils to place."""
        funnel = self._funnels.get(ind.id)
        if funnel is None:
            return None
        kind, denominator = FUNNELS[ind.unit]
        places = funnel.places.assign(council=funnel.places["label"])
        return charts.council_funnel_chart(
            places[["council", "numerator", "denominator", "value"]],
            title=self._title(ind, f"the councils of {self.region.name} against their size"),
            unit=ind.unit,
            overall=funnel.overall,
            scale=funnel.scale,
            kind=kind,
            own=self.own,
            polarity=ind.polarity,
            denominator_title=denominator,
        )

    def _introduction(self, opening: str) -> Text:
        parts = [self._synthetic_text() + opening, self._as_at_text(), self._sharing_text(), self._method_text()]
        return Text("\n\n".join(parts))


def _table(caption: str, headers: list[str], rows: list[list[str]], css_class: str, words: set[str]) -> Html:
    """A table whose first cell of each row names it (a row header); the columns headed by one of
    ``words`` hold words (aligned left), the others figures (aligned right)."""
    aligns = ["left" if header in words else "right" for header in headers[1:]]
    body = []
    for cells in rows:
        head = f'<th scope="row" style="{_CELL}text-align:left;font-weight:normal">{html.escape(cells[0])}</th>'
        body.append(f"<tr>{head}{''.join(_td(c, a) for c, a in zip(cells[1:], aligns, strict=True))}</tr>")
    return Html(
        f'<table class="{css_class}" style="{_TABLE_STYLE}">{_caption(caption)}'
        f"<thead><tr>{''.join(map(_th, headers))}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


class RegionalSection(_RegionFigures):
    """The regional section of a council's pack: where ``council`` stands among its region's
    councils in ``month`` ("YYYY-MM", a month index, or "latest": the latest month in the
    regional store). ``council`` None is the region's first council."""

    _first_by_default = True

    def __init__(self, region_folder: str | Path, council: str | None, month: str | int) -> None:
        super().__init__(region_folder, month, council)
        self.council = str(self.own)

    def introduction(self) -> Text:
        """What the page is, the region, who contributed, how figures are shared and how to read them."""
        others = len(self.region.councils) - 1
        opening = (
            f"## {self.council} in {self.region.name}\n\n"
            f"How {self.council} compares with the {others} other council{'' if others == 1 else 's'} of "
            f"{self.region.name} in {month_label(self.month)}: for each indicator, its figure, its rank and "
            "quartile among the councils, the region's figures, its place in a funnel plot, and its rank over the "
            "last 13 months."
        )
        if self.council not in self.contributors:
            opening += f"\n\n{self.council} has no figures in the region's data for {month_label(self.month)}."
        return self._introduction(opening)

    def heading(self, ind: Indicator) -> Text:
        """The indicator's title (under its area's, for the first indicator of an area), which
        direction is better, and the region's figures for the month."""
        first = next((i.id for i in self.indicators if i.area == ind.area), None)
        area = f"## {self.catalogue.areas[ind.area]}\n\n" if first == ind.id else ""
        return Text(f"{area}### {ind.title}\n\n{_BETTER.get(ind.polarity, _NOT_RANKED)} {self._region_text(ind)}")

    def _direction(self, ind: Indicator) -> str:
        """The council's rank now against 12 months ago, in words."""
        if ind.polarity not in _RANKED:
            return "-"
        now, then = self._row(ind, self.council, self.month), self._row(ind, self.council, self.month - 12)
        if now is None or then is None or pd.isna(now["rank"]) or pd.isna(then["rank"]):
            return "no rank to compare"
        old, new = int(then["rank"]), int(now["rank"])
        if new < old:
            return f"Up from {charts.ordinal(old)} to {charts.ordinal(new)}"
        if new > old:
            return f"Down from {charts.ordinal(old)} to {charts.ordinal(new)}"
        return f"Unchanged, {charts.ordinal(new)}"

    def summary(self) -> list | None:
        """One row per indicator: the council's figure, rank and quartile, the regional figure and
        median, its place in the funnel and its rank now against 12 months ago; None when no
        council has a figure for the month."""
        if not self.indicators:
            return None
        headers = [
            "Indicator", self.council, "Rank", "Quartile", "Regional figure", "Median", "Funnel plot",
            "Rank against 12 months ago",
        ]  # fmt: skip
        rows = []
        for ind in self.indicators:
            mine = self._row(ind, self.council, self.month)
            statistics = self._statistics(ind)
            regional = "-" if statistics is None else self._format(ind, statistics["regional"], True)
            median = "-" if statistics is None else self._format(ind, statistics["median"], True)
            rank = self._place(mine) if ind.polarity in _RANKED else "not ranked (no better direction)"
            rows.append([
                ind.title, self._figure(ind, mine), rank, self._quarter(mine), regional, median,
                self._position(ind, self.council), self._direction(ind),
            ])  # fmt: skip
        return [
            Text(
                "## Summary\n\nEach indicator with a figure for the month. A dash means there is nothing to show: "
                "no regional figure, no quartile without a rank, or no place in a funnel plot with fewer than "
                f"{FUNNEL_MIN_COUNCILS} councils to compare."
            ),
            _table(
                f"{self.council} among the councils of {self.region.name}, {month_label(self.month)}",
                headers,
                rows,
                "cscw-regional-summary",
                {"Rank", "Quartile", "Funnel plot", "Rank against 12 months ago"},
            ),
        ]

    def rank_trend_chart(self, ind: Indicator) -> alt.TopLevelMixin | None:
        """The council's rank over the last 13 months, rank 1 at the top; None for an indicator
        without a better direction or a council never ranked on it."""
        if ind.polarity not in _RANKED:
            return None
        trend = rank_trend(self.values, ind.id, self.council, months=TREND_MONTHS)
        if not trend["rank"].notna().any():
            return None
        own = self.values[(self.values["indicator"] == ind.id) & (self.values["council"] == self.council)]
        notes = {int(r["period"]): self._reason(r) for _, r in own.iterrows()}
        frame = pd.DataFrame(
            {
                "month": [month_text(int(p)) for p in trend["period"]],
                "rank": trend["rank"],
                "ranked": trend["ranked"],
                "note": [notes.get(int(p)) for p in trend["period"]],
            }
        )
        return charts.rank_trend_chart(
            frame,
            title=f"{ind.title}: {self.council}'s rank in {self.region.name}{self._synthetic}",
            council=self.council,
        )


class RegionPage(_RegionFigures):
    """One area of the region's own pack: every indicator the region's catalogue puts in ``area``
    (None: the catalogue's first area) for ``month`` ("YYYY-MM", a month index or "latest"), every
    council shown as the region's sharing setting says."""

    def __init__(self, region_folder: str | Path, month: str | int, area: str | None = None) -> None:
        super().__init__(region_folder, month, None)
        areas = self.catalogue.areas
        if area is not None and area not in areas:
            raise KeyError(f"unknown area {area!r}; the catalogue's areas: {', '.join(areas)}")
        self.area = area or next(iter(areas))
        #: Every indicator of the area, in catalogue order (those without a figure say so).
        self.area_indicators = self.catalogue.in_area(self.area)

    @property
    def title(self) -> str:
        return self.catalogue.areas[self.area]

    def introduction(self) -> Text:
        """The area, the region and the month; who contributed; how figures are shared and read."""
        opening = (
            f"## {self.title}\n\n{self.region.name}, {month_label(self.month)}. Each indicator of this area for the "
            f"region's {_councils(len(self.region.councils))}: the councils ranked for the month, the region's "
            "figures, a funnel plot, and each council's figure and rank for the month and 12 months before."
        )
        return self._introduction(opening)

    def heading(self, ind: Indicator) -> Text:
        """The indicator's title, which direction is better and the region's figures for the month."""
        definition = f"{ind.definition} " if ind.definition else ""
        better = _BETTER.get(ind.polarity, _NOT_RANKED)
        return Text(f"### {ind.title}\n\n{definition}{better} {self._region_text(ind)}")

    def table(self, ind: Indicator) -> Html | None:
        """Every council's figure and rank for the month and 12 months before, best first; None
        where no council has a figure in either month."""
        now, then = self._rows(ind, self.month), self._rows(ind, self.month - 12)
        if not pd.concat([now["status"], then["status"]]).eq(OK).any():
            return None
        ranked = ind.polarity in _RANKED
        order = now.sort_values(["rank", "label"], na_position="last") if ranked else now.sort_values("label")
        before = then.set_index("council")
        year_ago = month_label(self.month - 12)
        headers = ["Council", month_label(self.month), *(["Rank", "Quartile"] if ranked else []), year_ago]
        headers += [f"Rank, {year_ago}"] if ranked else []
        rows = []
        for _, row in order.iterrows():
            earlier = before.loc[row["council"]] if row["council"] in before.index else None
            cells = [row["label"], self._figure(ind, row)]
            cells += [self._place(row), self._quarter(row)] if ranked else []
            cells.append(self._figure(ind, earlier))
            if ranked:
                cells.append(self._place(earlier))
            rows.append(cells)
        caption = f"{ind.title}: each council, {month_label(self.month)} and {year_ago}"
        return _table(caption, headers, rows, "cscw-region-councils", {"Rank", "Quartile", f"Rank, {year_ago}"})
