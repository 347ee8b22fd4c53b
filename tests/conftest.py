"""Shared fixtures: a tiny params folder and a fresh store per test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csc_workbench.config import Params, load_params
from csc_workbench.periods import month_text, parse_month
from csc_workbench.store import ATOM_COLUMNS, Store

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def small_params() -> Params:
    return load_params(FIXTURES / "small")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.duckdb")


def make_atoms(rows: list[tuple]) -> pd.DataFrame:
    """Atoms from (indicator, 'YYYY-MM', org_unit, cohort, window, numerator, denominator, value[, reason])."""
    records = []
    for row in rows:
        ind, month, org, cohort, window, num, den, value, *rest = row
        records.append(
            {
                "indicator": ind,
                "period": parse_month(month),
                "org_unit": org,
                "cohort": cohort,
                "window": window,
                "numerator": num,
                "denominator": den,
                "value": value,
                "unavailable_reason": rest[0] if rest else None,
            }
        )
    return pd.DataFrame(records, columns=ATOM_COLUMNS).astype(
        {"numerator": float, "denominator": float, "value": float, "unavailable_reason": object}
    )


def monthly_rows(
    indicator: str, org: str, numerators: list[float], denominators: list[float], last: str = "2017-04"
) -> list[tuple]:
    """Monthly atom rows (for make_atoms) ending with ``last``, one per numerator/denominator pair."""
    end = parse_month(last)
    start = end - len(numerators) + 1
    return [
        (indicator, month_text(start + i), org, "all", "month", n, d, None)
        for i, (n, d) in enumerate(zip(numerators, denominators, strict=True))
    ]
