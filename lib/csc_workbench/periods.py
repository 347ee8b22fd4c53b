"""Months and financial years.

A month is held as an integer index (``year * 12 + month - 1``) so that windows are plain
integer arithmetic; text is always ``YYYY-MM``. The financial year starts on 1 April and is
labelled ``2017-18``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FY = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_month(text: str) -> int:
    """``"2017-04"`` -> month index. Raises ValueError naming the bad text."""
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_text(index: int) -> str:
    """Month index -> ``"2017-04"``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(index: int) -> date:
    """Month index -> the month's last day (``"2017-04"`` -> 30 April 2017)."""
    following = index + 1
    return date(following // 12, following % 12 + 1, 1) - timedelta(days=1)


def month_label(index: int) -> str:
    """Month index -> ``"Apr 2017"``, as reports print it."""
    return f"{_MONTH_NAMES[index % 12]} {index // 12}"


def financial_year_start(index: int) -> int:
    """Calendar year in which the financial year holding this month starts."""
    year, month = index // 12, index % 12 + 1
    return year if month >= 4 else year - 1


def financial_year(index: int) -> str:
    """Month index -> financial year label, e.g. April 2017 -> ``"2017-18"``."""
    start = financial_year_start(index)
    return f"{start}-{(start + 1) % 100:02d}"


def parse_financial_year(text: str) -> int:
    """``"2017-18"`` -> 2017. Raises ValueError unless the two years follow each other."""
    match = _FY.match(str(text).strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"{text!r} is not a financial year in the form YYYY-YY, e.g. 2017-18")
    return int(match.group(1))


def first_month_of_financial_year(index: int) -> int:
    """Index of April of the financial year that holds this month."""
    return financial_year_start(index) * 12 + 3
