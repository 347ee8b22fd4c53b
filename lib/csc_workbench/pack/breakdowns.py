"""The breakdowns an area page shows: a table (this month, the last 12 months and the 12 months
before, count and share of each category) and a bar chart of the last 12 months' shares."""

from __future__ import annotations

import html

import pandas as pd

from csc_workbench.assess.scorecard import resolve_org_units
from csc_workbench.config import Params
from csc_workbench.measures.breakdowns import AREA_BREAKDOWNS, BREAKDOWNS
from csc_workbench.periods import month_label, parse_month
from csc_workbench.present.charts import breakdown_chart
from csc_workbench.store.atoms import Store

_CELL = "border:1px solid #ccc;padding:2px 6px;"
_TABLE = "border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em 0;"


def breakdown_table(counts: pd.DataFrame, breakdown: str, end: int) -> pd.DataFrame:
    """``category``, then count and share (%) for the month, the last 12 months and the 12 before
    (``month``, ``month_share``, ``r12m``, ``r12m_share``, ``prior_r12m``, ``prior_share``); the
    12-month columns are NaN when the store lacks any of their months."""
    order = list(BREAKDOWNS[breakdown].categories)
    part = counts[counts["breakdown"] == breakdown]
    by_month = part.pivot_table(index="category", columns="period", values="count", aggfunc="sum")
    by_month = by_month.reindex(order)
    out = pd.DataFrame({"category": order})

    def window(first: int, last: int) -> list[float]:
        months = list(range(first, last + 1))
        if not set(months) <= set(by_month.columns):
            return [float("nan")] * len(order)
        return by_month[months].sum(axis=1).astype(float).tolist()

    for name, values in (("month", window(end, end)), ("r12m", window(end - 11, end)),
                         ("prior_r12m", window(end - 23, end - 12))):  # fmt: skip
        out[name] = values
        total = sum(values)
        share = "month_share" if name == "month" else ("r12m_share" if name == "r12m" else "prior_share")
        out[share] = [100 * v / total if total == total and total else float("nan") for v in values]
    return out


def _cells(count: float, share: float) -> str:
    if count != count:
        return f'<td style="{_CELL}text-align:right">-</td><td style="{_CELL}text-align:right">-</td>'
    return (
        f'<td style="{_CELL}text-align:right">{int(count):,}</td><td style="{_CELL}text-align:right">{share:.1f}%</td>'
    )


def breakdown_table_html(table: pd.DataFrame, end: int) -> str:
    heads = [month_label(end), f"12 months to {month_label(end)}", f"12 months to {month_label(end - 12)}"]
    top = "".join(f'<th colspan="2" style="{_CELL}background:#eee">{html.escape(h)}</th>' for h in heads)
    sub = "".join(f'<th style="{_CELL}background:#f5f5f5">{h}</th>' for _ in heads for h in ("Number", "%"))
    rows = []
    for r in table.to_dict("records"):
        cells = _cells(r["month"], r["month_share"]) + _cells(r["r12m"], r["r12m_share"])
        cells += _cells(r["prior_r12m"], r["prior_share"])
        rows.append(f'<tr><td style="{_CELL}text-align:left">{html.escape(r["category"])}</td>{cells}</tr>')
    totals = "".join(_cells(table[c].sum(min_count=len(table)), 100.0) for c in ("month", "r12m", "prior_r12m"))
    rows.append(f'<tr style="font-weight:bold"><td style="{_CELL}text-align:left">All</td>{totals}</tr>')
    return (
        f'<table class="cscw-breakdown" style="{_TABLE}"><thead><tr><th rowspan="2" style="{_CELL}background:#eee">'
        f"Category</th>{top}</tr><tr>{sub}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def breakdown_items(store: Store, params: Params, area: str, month: str | int, org_unit: str | None = None) -> list:
    """The area page's breakdowns, in order: a heading (Markdown), the table (HTML) and the chart
    of the last 12 months for each; [] for an area without breakdowns."""
    names = AREA_BREAKDOWNS.get(area, ())
    if not names:
        return []
    end = parse_month(month) if isinstance(month, str) else int(month)
    org = resolve_org_units(params, org_unit)[0]
    authority = params.authority.org_units.name
    counts = store.breakdowns(names, [org], end - 23, end)
    items: list = ["## Breakdowns"]
    for name in names:
        b = BREAKDOWNS[name]
        items.append(f"### {b.title}: {org}\n\n{b.note}")
        mine = counts[counts["breakdown"] == name]
        if mine.empty:
            items.append(
                f"Recorded for {authority} only: List {b.list_number} has no allocated team."
                if org != authority and b.list_number == 1
                else "No breakdown loaded for this month: load an Annex A extract (the full lists) to see it."
            )
            continue
        table = breakdown_table(mine, name, end)
        items.append(breakdown_table_html(table, end))
        if table["r12m"].notna().all() and table["r12m"].sum() > 0:
            chart_frame = table[["category", "r12m"]].rename(columns={"r12m": "count"})
            items.append(breakdown_chart(chart_frame, f"{b.title}: {org}", f"12 months to {month_label(end)}"))
    return items
