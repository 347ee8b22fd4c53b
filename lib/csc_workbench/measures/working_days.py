"""Working days in England: weekdays that are not England and Wales bank holidays.

Bank holidays come from the maintained ``holidays`` package (GB, subdivision ENG), so Easter,
Christmas substitutes and one-off holidays are right without a hand-kept list.
"""

from __future__ import annotations

from functools import cache

import holidays
import numpy as np
import pandas as pd


@cache
def bank_holidays(first_year: int = 2010, last_year: int = 2035) -> np.ndarray:
    """England and Wales bank holidays as ``datetime64[D]``."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


def working_days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Working days after ``start`` up to and including ``end`` (NaN where either is missing).

    A referral on Monday and an assessment authorised the next Monday is 5 working days; the
    day of the referral itself is not counted.
    """
    valid = start.notna() & end.notna()
    out = pd.Series(np.nan, index=start.index, dtype=float)
    if valid.any():
        first = start[valid].to_numpy(dtype="datetime64[D]") + np.timedelta64(1, "D")
        last = end[valid].to_numpy(dtype="datetime64[D]") + np.timedelta64(1, "D")
        counts = np.busday_count(first, last, holidays=bank_holidays())
        out[valid] = np.where(last >= first, counts, -np.busday_count(last, first, holidays=bank_holidays()))
    return out
