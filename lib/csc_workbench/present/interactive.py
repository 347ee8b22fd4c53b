"""Charts with Vega-Lite bound controls, for the shared HTML: readers explore without a kernel.

:func:`explorable_trend` draws the last 13 months of one indicator for an org unit and the org
units around it (the authority with its areas, an area with its teams, a team with its sibling
teams), with a drop-down to pick one org unit (or all), radio buttons to switch between the
in-month figure and the rolling 3 and 12 months, and the hovered line highlighted. Every figure
is an aggregate already in the store; the chart carries them inline (a few hundred rows).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params, resolve_org_units
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params
from csc_workbench.periods import month_label, parse_month
from csc_workbench.present.charts import TARGET_COLOUR, _axis_title, _check_title, _data
from csc_workbench.store.atoms import Store

ALL = "All"
#: Window id -> what the radio button says.
WINDOW_LABELS = {"month": "In month", "snapshot": "Month end", "r3m": "Rolling 3 months", "r12m": "Rolling 12 months"}


def explore_org_units(params: Params, org_unit: str | None = None) -> list[str]:
    """The org unit first, then the ones drawn with it: its children, or for a team its siblings."""
    org = resolve_org_units(params, org_unit)[0]
    children = [c.name for c in params.authority.org_unit(org).children]
    if children:
        return [org, *children]
    parent = params.authority.parent_of(org)
    siblings = [c.name for c in params.authority.org_unit(parent).children] if parent else []
    return [org, *(s for s in siblings if s != org)]


def explore_windows(params: Params, indicator_id: str) -> list[str]:
    """The windows the radio buttons offer: the month-end figure for a stock, else in month,
    rolling 3 and rolling 12 months (the headline window first)."""
    ind = params.catalogue[indicator_id]
    if ind.is_stock:
        return ["snapshot"]
    windows = ["month", "r3m", "r12m"]
    head = ind.headline_window if ind.headline_window in windows else "month"
    return [head, *(w for w in windows if w != head)]


def explore_frame(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13,
) -> pd.DataFrame:  # fmt: skip
    """``month`` (YYYY-MM), ``label``, ``org_unit``, ``window`` (its words), ``value``,
    ``numerator``, ``denominator``: the figures the chart carries, org units without any figure
    left out (team rates have no population: they are absent, not zero)."""
    end = parse_month(month) if isinstance(month, str) else int(month)
    ind = params.catalogue[indicator_id]
    units = explore_org_units(params, org_unit)
    windows = explore_windows(params, indicator_id)
    periods = list(range(end - months + 1, end + 1))
    coh = ind.cohort or cohort
    requests = pd.DataFrame(
        [(ind.id, org, coh, p, w) for org in units for w in windows for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    atoms = store.latest([ind.id], units, [coh], periods[0] - 12, end)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    values = values[values["status"] == OK]
    frame = pd.DataFrame(
        {
            "month": [f"{p // 12}-{p % 12 + 1:02d}" for p in values["period"]],
            "label": [month_label(int(p)) for p in values["period"]],
            "org_unit": values["org_unit"].astype(str),
            "window": [WINDOW_LABELS[w] for w in values["window"]],
            "value": values["value"].astype(float).round(3),
            "numerator": values["numerator"].astype(float),
            "denominator": values["denominator"].astype(float),
        }
    )
    return frame.reset_index(drop=True)


def explorable_trend(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all",
) -> alt.Chart | None:  # fmt: skip
    """The last 13 months of an indicator for the org unit and those around it, with an org-unit
    drop-down, a window radio and hover highlight bound in the page (no kernel needed); None
    where no window has a figure in those months (a small council may record none)."""
    end = parse_month(month) if isinstance(month, str) else int(month)
    ind = params.catalogue[indicator_id]
    frame = explore_frame(store, params, indicator_id, end, org_unit, cohort)
    units = [u for u in explore_org_units(params, org_unit) if u in set(frame["org_unit"])]
    # windows with at least one figure, the headline first (a window wholly unavailable, say a
    # rolling year across a gap month, would start the chart empty)
    windows = [
        w for w in (WINDOW_LABELS[w] for w in explore_windows(params, indicator_id)) if w in set(frame["window"])
    ]
    if not windows:
        return None
    title = _check_title(f"{ind.title}: explore by org unit and window, last 13 months")
    months = list(dict.fromkeys(frame.sort_values("month")["label"]))  # "Jun 2024", in time order
    pick_org = alt.param(name="pick_org", value=ALL, bind=alt.binding_select(options=[ALL, *units], name="Org unit: "))
    pick_window = alt.param(
        name="pick_window", value=windows[0], bind=alt.binding_radio(options=windows, name="Window: ")
    )
    hover = alt.selection_point(name="hover", fields=["org_unit"], on="pointerover", clear="pointerout")
    shown = (
        alt.Chart(_data(frame))
        .transform_filter("datum.window == pick_window")
        .transform_filter(f"pick_org == '{ALL}' || datum.org_unit == pick_org")
    )
    tooltip = [
        alt.Tooltip("org_unit:N", title="Org unit"), alt.Tooltip("label:N", title="Month"),
        alt.Tooltip("window:N", title="Window"), alt.Tooltip("value:Q", title="Value", format=",.1f"),
        alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"),
        alt.Tooltip("denominator:Q", title="Denominator", format=",.0f"),
    ]  # fmt: skip
    lines = (
        shown.mark_line(point=True)
        .encode(
            x=alt.X("label:O", title="Month", sort=months, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("value:Q", title=_axis_title(ind.unit)),
            color=alt.Color("org_unit:N", title="Org unit", sort=units),
            strokeWidth=alt.condition(hover, alt.value(3.5), alt.value(1.5)),
            opacity=alt.condition(hover, alt.value(1.0), alt.value(0.75)),
            tooltip=tooltip,
        )
        .add_params(pick_org, pick_window, hover)
    )
    layers = [lines]
    org = org_unit or params.authority.org_units.name
    target = ind.target_for(end, (org, params.authority.org_unit(org).level))
    if target is not None:
        layers.append(
            alt.Chart(_data(pd.DataFrame({"target": [float(target)]})))
            .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 3])
            .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target")])
        )
    description = (
        f"{title}. Lines for {', '.join(units)}; choose one org unit or all with the drop-down and the window "
        f"({', '.join(windows)}) with the buttons." + (f" Target {target:g}." if target is not None else "")
    )
    return alt.layer(*layers).properties(title=title, width=560, height=260, description=description)
