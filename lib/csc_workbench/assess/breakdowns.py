"""Breakdowns as people read them: for each category the count and share for the month, the last
12 months and the 12 months before."""

from __future__ import annotations

import pandas as pd

from csc_workbench.measures.breakdowns import BREAKDOWNS


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

    for name, share, (first, last) in (
        ("month", "month_share", (end, end)),
        ("r12m", "r12m_share", (end - 11, end)),
        ("prior_r12m", "prior_share", (end - 23, end - 12)),
    ):
        values = window(first, last)
        out[name] = values
        total = sum(values)
        out[share] = [100 * v / total if total == total and total else float("nan") for v in values]
    return out
