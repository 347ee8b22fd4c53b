"""The activity table (Kent's SCS activity table): the catalogue's activity measures for an org
unit and every org unit below it (areas and each of their teams), this month, last month and the
change."""

from __future__ import annotations

import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params, resolve_org_units
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params
from csc_workbench.periods import parse_month
from csc_workbench.store.atoms import Store


def activity_org_units(params: Params, org_unit: str | None) -> list[str]:
    """The org unit, then every org unit below it in the hierarchy's order (an area, then its
    teams), as Kent's activity table lists every team; a team: the team alone."""
    org = resolve_org_units(params, org_unit)[0]
    return [org, *params.authority.descendants(org)]


def activity_table(
    store: Store, params: Params, month: str | int, org_unit: str | None = None, cohort: str = "all"
) -> pd.DataFrame:
    """One row per (org unit, activity indicator): ``org_unit``, ``indicator``, ``title``,
    ``this_month``, ``last_month``, ``change`` and ``note`` (why a figure is missing). Each
    measure is its in-month figure (a count of events in the month, or the month-end stock)."""
    end = parse_month(month) if isinstance(month, str) else int(month)
    units = activity_org_units(params, org_unit)
    indicators = [params.catalogue[i] for i in params.catalogue.activity]
    window = {i.id: ("snapshot" if i.is_stock else "month") for i in indicators}
    requests = pd.DataFrame(
        [(i.id, org, i.cohort or cohort, p, window[i.id]) for org in units for i in indicators for p in (end - 1, end)],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    cohorts = sorted(set(requests["cohort"]))
    atoms = store.latest([i.id for i in indicators], units, cohorts, end - 1, end)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    rows = []
    for k in range(0, len(values), 2):
        last, this = values.iloc[k], values.iloc[k + 1]
        a = float(this["value"]) if this["status"] == OK else None
        b = float(last["value"]) if last["status"] == OK else None
        notes = [str(r["note"]) for r in (this, last) if r["status"] != OK and isinstance(r["note"], str)]
        rows.append(
            {
                "org_unit": this["org_unit"],
                "indicator": this["indicator"],
                "title": params.catalogue[this["indicator"]].title,
                "this_month": a,
                "last_month": b,
                "change": a - b if a is not None and b is not None else None,
                "note": "; ".join(notes) or None,
            }
        )
    return pd.DataFrame(rows, columns=["org_unit", "indicator", "title", "this_month", "last_month", "change", "note"])
