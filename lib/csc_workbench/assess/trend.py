"""Annual trend: each indicator over the last three complete financial years and this year to date.

A year's value is its headline window at the end of March: the snapshot on 31 March for stocks,
the rolling 12 months to March (the whole year) for rolling measures, and the whole year added
up for in-month and year-to-date measures. "Year to date" adds up April to the report month
(for stocks it is the latest snapshot). Like every window, a year that cannot be derived is not
available, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params, resolve_org_units
from csc_workbench.assess.windows import window_values
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Catalogue, DataPeriod, Indicator
from csc_workbench.periods import financial_year, month_text, parse_month
from csc_workbench.store.atoms import Store

COLUMNS = [
    "indicator",
    "org_unit",
    "cohort",
    "year",
    "period",
    "window",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
]


def year_window(indicator: Indicator) -> str:
    """The window that gives a whole financial year's value at the end of March."""
    if indicator.period is DataPeriod.SNAPSHOT:
        return "snapshot"
    if indicator.period is DataPeriod.R12M:
        return "r12m"
    if indicator.period is DataPeriod.QUARTER:
        return "quarter"
    return "fytd"


def last_complete_march(month: int) -> int:
    """The month index of the latest March on or before ``month``."""
    return month - ((month % 12 - 2) % 12)


def annual_trend(
    atoms: pd.DataFrame,
    catalogue: Catalogue,
    month: int,
    org_units: Iterable[str],
    cohort: str = "all",
    years: int = 3,
    indicators: Iterable[str] | None = None,
    gaps: Mapping[tuple[str, int], str] | None = None,
) -> pd.DataFrame:
    """One row per indicator, org unit and year (oldest first), then the year to date."""
    chosen = [catalogue[i] for i in indicators] if indicators is not None else catalogue.indicators
    march = last_complete_march(month)
    rows = []
    for ind in chosen:
        window = year_window(ind)
        ytd_window = "snapshot" if ind.is_stock else "fytd"
        slots = [(financial_year(march - 12 * k), march - 12 * k, window) for k in reversed(range(years))]
        if month != march:
            slots.append((f"{financial_year(month)} YTD", month, ytd_window))
        for org in org_units:
            for label, period, win in slots:
                rows.append((ind.id, org, ind.cohort or cohort, period, win, label))
    requests = pd.DataFrame(rows, columns=["indicator", "org_unit", "cohort", "period", "window", "year"])
    values = window_values(atoms, requests, catalogue, gaps)
    values["period"] = values["period"].map(month_text)
    return values[COLUMNS]


def read_annual_trend(
    store: Store,
    params: Params,
    month: str | int,
    org_units: str | Iterable[str] | None = None,
    cohort: str = "all",
    years: int = 3,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """``annual_trend`` read from the store (default org unit: the authority)."""
    month = parse_month(month) if isinstance(month, str) else month
    units = resolve_org_units(params, org_units)
    ids = list(indicators) if indicators is not None else params.catalogue.ids
    cohorts = {cohort} | {params.catalogue[i].cohort for i in ids if params.catalogue[i].cohort}
    first = last_complete_march(month) - 12 * (years - 1) - 11
    atoms = store.latest(ids, units, cohorts, first, month)
    return annual_trend(atoms, params.catalogue, month, units, cohort, years, ids, gaps_from_params(params))
