"""The series an indicator's page section shows, read from the store: the last months (headline
and in-month figures with numerators and denominators), the financial years, the org units
below, the cohorts side by side, and the latest DfE benchmarks next to the org unit's own year.

Every function takes the atoms already read (``atoms``) or reads them itself; nothing here knows
any indicator by name: the catalogue says what each indicator is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params, resolve_org_units
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Indicator
from csc_workbench.periods import month_text, parse_month
from csc_workbench.store.atoms import Store


def as_month(month: str | int) -> int:
    """A month index from ``YYYY-MM`` or an index."""
    return parse_month(month) if isinstance(month, str) else int(month)


def report_month(store: Store, month: str | int) -> str:
    """The report month as ``YYYY-MM``; "latest" is the latest month in the store."""
    return month_text(store.latest_month() if month == "latest" else as_month(month))


def is_rolling(ind: Indicator) -> bool:
    """The headline is a rolling or year-to-date window (not the month or the month end)."""
    return ind.headline_window not in ("month", "snapshot")


def trends(
    store: Store, params: Params, indicator_ids: list[str], month: str | int, org_units: list[str],
    cohort: str = "all", months: int = 13, atoms: pd.DataFrame | None = None, in_month: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """:func:`org_trends` of several indicators at once (worked out together: one window
    computation for a page's indicators), with an ``indicator`` column first; with ``in_month``
    each month's own figure instead of the headline window."""
    end = as_month(month)
    chosen = [params.catalogue[i] for i in indicator_ids]
    periods = list(range(end - months + 1, end + 1))
    if atoms is None:
        cohorts = {ind.cohort or cohort for ind in chosen}
        atoms = store.latest(list(indicator_ids), org_units, cohorts, periods[0] - 23, end)
    requests = pd.DataFrame(
        [
            (ind.id, org, ind.cohort or cohort, p, "month" if in_month else ind.headline_window)
            for ind in chosen for org in org_units for p in periods
        ],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )  # fmt: skip
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    levels = {org: params.authority.org_unit(org).level for org in org_units}
    rags, targets = [], []
    for i, org, v, s, p in zip(
        values["indicator"], values["org_unit"], values["value"], values["status"], values["period"], strict=True
    ):
        ind, ref = params.catalogue[i], (org, levels[org])
        rag = ind.rate(v, int(p), ref) if s == OK else None
        rags.append(rag.value if rag is not None else None)
        targets.append(ind.target_for(int(p), ref))
    return pd.DataFrame(
        {
            "indicator": list(values["indicator"]),
            "org_unit": list(values["org_unit"]),
            "month": [month_text(int(p)) for p in values["period"]],
            "value": values["value"].astype(float).to_numpy(),
            "numerator": values["numerator"].astype(float).to_numpy(),
            "denominator": values["denominator"].astype(float).to_numpy(),
            "status": list(values["status"]),
            "note": list(values["note"]),
            "rag": rags,
            "target": targets,
        }
    )


def org_trends(
    store: Store, params: Params, indicator_id: str, month: str | int, org_units: list[str], cohort: str = "all",
    months: int = 13, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The headline value of one indicator for org units over ``months`` months: ``org_unit``,
    ``month``, ``value``, ``numerator``, ``denominator``, ``status``, ``note`` (why a month has
    no value), ``rag`` (each month against its own year's bands) and ``target``."""
    return trends(store, params, [indicator_id], month, org_units, cohort, months, atoms).drop(columns="indicator")


def monthly_trend(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """One org unit's :func:`org_trends` (without the ``org_unit`` column): the input of the
    13-month table and the trend chart."""
    org = resolve_org_units(params, org_unit)[0]
    return org_trends(store, params, indicator_id, month, [org], cohort, months, atoms).drop(columns="org_unit")


def thirteen_month_table(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13, trend: pd.DataFrame | None = None, atoms: pd.DataFrame | None = None,
    in_month: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The Rotherham-style table of one indicator, a row per month, oldest first: ``month``;
    ``numerator``, ``denominator`` and ``value`` of the headline; when the headline is a rolling
    window also the month's own ``in_month_numerator``, ``in_month_denominator`` and
    ``in_month`` value (NaN otherwise); ``rag``, ``target`` and ``note`` (why a month has no
    value). Numerators and denominators are the stored atoms (summed over the window). ``trend``
    and ``in_month`` (:func:`trends` of the indicator, headline and in-month) when already worked out."""
    end = as_month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    if trend is None:
        trend = monthly_trend(store, params, indicator_id, end, org, cohort, months, atoms)
    nan = [float("nan")] * len(trend)
    own = {"in_month_numerator": nan, "in_month_denominator": nan, "in_month": nan}
    if is_rolling(ind):
        if in_month is None:
            in_month = trends(store, params, [ind.id], end, [org], cohort, len(trend), atoms, in_month=True)
        ok = (in_month["status"] == OK).to_numpy()
        for key, column in (
            ("in_month_numerator", "numerator"), ("in_month_denominator", "denominator"), ("in_month", "value"),
        ):  # fmt: skip
            own[key] = [float(x) if k else float("nan") for x, k in zip(in_month[column], ok, strict=True)]
    notes = ["" if row["status"] == OK else _reason(row) for row in trend.to_dict("records")]
    return pd.DataFrame(
        {
            "month": list(trend["month"]),
            "numerator": list(trend["numerator"]),
            "denominator": list(trend["denominator"]),
            "value": list(trend["value"]),
            **own,
            "rag": list(trend["rag"]),
            "target": list(trend["target"]),
            "note": notes,
        }
    )


def annual_trend_tables(
    store: Store, params: Params, indicator_ids: list[str], month: str | int, org_unit: str | None = None,
    cohort: str = "all", years: int = 3, atoms: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """:func:`annual_trend_table` of several indicators, worked out together, by indicator id."""
    from csc_workbench.assess.trend import annual_trend, read_annual_trend

    org = resolve_org_units(params, org_unit)[0]
    if atoms is None:
        own = read_annual_trend(store, params, as_month(month), [org], cohort, years, indicator_ids)
    else:
        gaps = gaps_from_params(params)
        own = annual_trend(atoms, params.catalogue, as_month(month), [org], cohort, years, indicator_ids, gaps)
    own["_ok"] = own["status"] == OK
    own["_note"] = ["" if ok else _reason(row) for ok, row in zip(own["_ok"], own.to_dict("records"), strict=True)]
    for column in ("numerator", "denominator", "value"):
        own[column] = own[column].astype(float).where(own["_ok"])
    shown = ["year", "numerator", "denominator", "value", "_note"]
    return {
        str(indicator): rows[shown].rename(columns={"_note": "note"}).reset_index(drop=True)
        for indicator, rows in own.groupby("indicator", sort=False)
    }


def annual_trend_table(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", years: int = 3, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The org unit's own figures for the last ``years`` complete financial years and this year
    to date (:func:`csc_workbench.assess.trend.annual_trend`): ``year``, ``numerator``,
    ``denominator``, ``value`` and ``note`` (why a year has no value)."""
    return annual_trend_tables(store, params, [indicator_id], month, org_unit, cohort, years, atoms)[indicator_id]


def compared_cohorts(params: Params, indicators: Iterable[Indicator], cohort: str = "all") -> list[str]:
    """The catalogue's cohorts other than ``cohort`` that the indicators can be compared on
    (those not fixed to one cohort); [] when the catalogue has a single cohort."""
    if not any(ind.cohort is None for ind in indicators):
        return []
    return [c for c in params.catalogue.cohorts if c != cohort]


def cohort_impact(
    store: Store, params: Params, indicator_ids: Iterable[str], month: str | int, org_unit: str | None,
    other: str, cohort: str = "all", atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Each indicator's headline for ``cohort`` and for the ``other`` cohort in one org unit and
    month, and the difference (``cohort`` minus ``other``): ``indicator``, ``title``, ``value``,
    ``other_value``, ``difference``, ``note``. Indicators with no figure for the other cohort
    (it is not measured for them) are left out; a month without a figure is NaN with the reason."""
    end = as_month(month)
    org = resolve_org_units(params, org_unit)[0]
    chosen = [params.catalogue[i] for i in indicator_ids if params.catalogue[i].cohort is None]
    if atoms is None:
        atoms = store.latest([i.id for i in chosen], [org], [cohort, other], end - 23, end)
    measured = set(atoms.loc[(atoms["cohort"] == other) & (atoms["org_unit"] == org), "indicator"])
    chosen = [i for i in chosen if i.id in measured]
    requests = pd.DataFrame(
        [(ind.id, org, c, end, ind.headline_window) for ind in chosen for c in (cohort, other)],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    rows = []
    for k, ind in enumerate(chosen):
        mine, theirs = values.iloc[2 * k], values.iloc[2 * k + 1]
        a = float(mine["value"]) if mine["status"] == OK else float("nan")
        b = float(theirs["value"]) if theirs["status"] == OK else float("nan")
        note = "" if a == a and b == b else _reason(mine if a != a else theirs)
        rows.append({"indicator": ind.id, "title": ind.title, "value": a, "other_value": b, "difference": a - b,
                     "note": note})  # fmt: skip
    return pd.DataFrame(rows, columns=["indicator", "title", "value", "other_value", "difference", "note"])


def _missing(x: object) -> bool:
    return x is None or x != x


def _reason(value: Mapping[str, Any]) -> str:
    """Why a window value has no figure: its note, else its status."""
    note = value["note"]
    return note if isinstance(note, str) and note else str(value["status"])


def teams_below(params: Params, org: str) -> list[str]:
    """The teams under an org unit (every team for the authority); [] for a team."""
    teams = set(params.authority.at_level("team"))
    return [name for name in params.authority.descendants(org) if name in teams and name != org]


def year_label(row: Mapping[str, Any]) -> str:
    """The financial year a DfE figure falls in ("2024-25"), as the annual trend labels years."""
    from csc_workbench.benchmarks.authorities import financial_year_label

    census = row.get("census_month")
    return financial_year_label(int(row["year"]), int(census) if census == census and census else 3)


def benchmark_summary(
    params: Params, indicator_id: str, annual: pd.DataFrame, table: pd.DataFrame | None
) -> dict[str, Any] | None:
    """The latest year's DfE benchmarks of an indicator (``table``, from
    :func:`csc_workbench.assess.benchmarking.cached_benchmark_table`) next to the org unit's own
    value for that financial year (``annual``, :func:`annual_trend_table`): ``year``, ``period``,
    ``own``, ``sn_average``, ``best_sn`` and ``best_sn_name`` (the best statistical neighbour),
    ``top_quartile`` (the national top-quartile threshold), ``region_name``, ``regional``,
    ``national``, ``quartile`` (of the own
    value among English LAs, 1 = best) and, for a real authority, its ``published`` value,
    ``rank`` and ``published_quartile``. None when there is nothing published."""
    from csc_workbench.benchmarks.compute import quartile_of

    if table is None or table.empty:
        return None
    known = table[table[["sn_average", "regional", "national"]].notna().any(axis=1)]
    if known.empty:
        return None
    row = known.sort_values("year").iloc[-1].to_dict()
    year = year_label(row)
    own_rows = annual[annual["year"] == year]
    own = float(own_rows["value"].iloc[0]) if not own_rows.empty else float("nan")
    polarity = row.get("polarity") or params.catalogue[indicator_id].polarity.value
    published = not params.authority.synthetic
    ranked = published and not _missing(row.get("rank"))  # no rank where there is no better direction
    return {
        "year": year,
        "period": str(row["period"]),
        "own": own,
        "sn_average": row["sn_average"],
        "best_sn": row.get("best_sn_value"),
        "best_sn_name": row.get("best_sn_name"),
        "top_quartile": row.get("top_quartile_threshold"),
        "region_name": row["region_name"] or "Region",
        "regional": row["regional"],
        "national": row["national"],
        "quartile": quartile_of(own, row.get("q1"), row.get("median"), row.get("q3"), polarity),
        "published": row["la_value"] if published else None,
        "rank": f"{int(row['rank'])} of {int(row['rank_of'])}" if ranked else None,
        "published_quartile": row["quartile"] if published else None,
    }


def annual_chart_frame(
    org_label: str, annual: pd.DataFrame, table: pd.DataFrame | None, years: int = 5
) -> pd.DataFrame:
    """The annual chart's input: the org unit's own years (:func:`annual_trend_table`) and the
    DfE benchmarks for the years published (SN average, region, England): ``year``, ``series``,
    ``value``, ``reason``; the last ``years`` years."""
    rows = [(r["year"], org_label, r["value"], r["note"] or None) for r in annual.to_dict("records")]
    if table is not None and not table.empty:
        for r in table.to_dict("records"):
            sn_reason = None if r["sn_average"] == r["sn_average"] else r["sn_reason"]
            year = year_label(r)
            rows += [
                (year, "SN average", r["sn_average"], sn_reason),
                (year, r["region_name"] or "Region", r["regional"], r["regional_reason"]),
                (year, "England", r["national"], r["national_reason"]),
            ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["year", "series", "value", "reason"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    recent = sorted(frame["year"].unique())[-years:]
    return frame[frame["year"].isin(recent)].reset_index(drop=True)
