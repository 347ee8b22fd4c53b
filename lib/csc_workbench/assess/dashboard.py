"""The portfolio dashboard (Buckinghamshire's): outcomes and themes with a RAG each, and for every
indicator of a theme its value at the last quarter ends with an arrow on each, the latest RAG,
the latest DfE benchmarks and the analyst's narrative."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pandas as pd

from csc_workbench.assess.benchmarking import cached_benchmark_table
from csc_workbench.assess.dot import movement, performance_change
from csc_workbench.assess.scorecard import resolve_org_units, scorecard
from csc_workbench.assess.series import as_month
from csc_workbench.assess.themes import outcome_rollup, theme_rollup
from csc_workbench.config import Params
from csc_workbench.config.commentary import load_commentary
from csc_workbench.store.atoms import Store

#: Quarter ends shown, as Buckinghamshire shows five (Mar, Jun, Sep, Dec, Mar).
QUARTERS = 5


def quarter_ends(month: int, count: int = QUARTERS) -> list[int]:
    """The last ``count`` quarter-end months (March, June, September, December) up to ``month``,
    oldest first (month indexes: January is 0 mod 12, so March is 2)."""
    last = month - (month - 2) % 3
    return [last - 3 * k for k in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows for one org unit and month."""

    month: int
    quarters: list[int]
    outcomes: pd.DataFrame  # :func:`csc_workbench.assess.themes.outcome_rollup`
    themes: pd.DataFrame  # :func:`csc_workbench.assess.themes.theme_rollup`
    rows: pd.DataFrame  # a row per (theme, indicator): see :func:`portfolio_dashboard`


def _benchmark_text(store: Store, params: Params, indicator_id: str, month: int) -> str:
    """ "SN average (2024-25): 22.1%; England: 21.6%", the latest year DfE published."""
    ind = params.catalogue[indicator_id]
    table = cached_benchmark_table(store, params, ind, month)
    if table is None or table.empty:
        return ""
    known = table[table[["sn_average", "national"]].notna().any(axis=1)]
    if known.empty:
        return ""
    row = known.sort_values("year").iloc[-1]
    suffix, dec = ind.unit_suffix, ind.display_decimals
    parts = [
        f"{label} ({row['period']}): {value:,.{dec}f}{suffix}"
        for label, value in (("SN average", row["sn_average"]), ("England", row["national"]))
        if value == value and value is not None
    ]
    return "; ".join(parts)


def portfolio_dashboard(
    store: Store, params: Params, month: str | int, org_unit: str | None = None, cohort: str = "all"
) -> Dashboard:
    """The dashboard's frames. ``rows``: ``outcome``, ``theme``, ``indicator``, ``title``,
    ``polarity``, ``period``, ``target``, ``unit``, ``decimals``, ``values`` (one per quarter end,
    NaN where there is no figure), ``arrows`` (each quarter against the one before: improved /
    same / worse, or up / stable / down for a monitor measure; None for the first), ``rag`` (the
    latest rating, at the report month), ``benchmarks`` (in words) and ``narrative`` (the
    analyst's commentary for the month, or empty)."""
    end = as_month(month)
    org = resolve_org_units(params, org_unit)[0]
    quarters = quarter_ends(end)
    cards = {q: scorecard(store, params, q, org, cohort).set_index("indicator") for q in quarters}
    latest = scorecard(store, params, end, org, cohort)
    latest_rag = dict(zip(latest["indicator"], latest["rag"], strict=True))
    themes = theme_rollup(latest, params.catalogue, org)
    outcomes = outcome_rollup(themes, params.catalogue)
    commentary = load_commentary(params, end)
    authority = params.authority.org_units.name
    rows = []
    for theme in params.catalogue.themes:
        for indicator_id in theme.indicators:
            ind = params.catalogue[indicator_id]
            values = [
                float(cards[q].loc[indicator_id, "value"]) if indicator_id in cards[q].index else float("nan")
                for q in quarters
            ]
            arrows: list[str | None] = [None]
            for before, now in pairwise(values):
                if ind.polarity.value == "none":
                    change = movement(now, before)
                else:
                    change = performance_change(now, before, ind.polarity, ind.target_for(end))
                arrows.append(change.value if change else None)
            rag = latest_rag.get(indicator_id)
            rows.append(
                {"outcome": theme.outcome, "theme": theme.id, "indicator": indicator_id, "title": ind.title,
                 "polarity": ind.polarity.value, "period": ind.period.value, "target": ind.target_for(end),
                 "green_band": ind.green_in_words(end), "unit": ind.unit.value, "decimals": ind.display_decimals,
                 "values": values, "arrows": arrows, "rag": rag if isinstance(rag, str) else None,
                 "benchmarks": _benchmark_text(store, params, indicator_id, end),
                 "narrative": commentary.text_for(indicator_id, org, authority) or ""}
            )  # fmt: skip
    return Dashboard(end, quarters, outcomes, themes, pd.DataFrame(rows))
