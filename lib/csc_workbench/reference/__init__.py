"""Compact reference data shipped with the workbench, built from DfE downloads by
``scripts/build_reference_data.py``. Contains public sector information licensed under the Open
Government Licence v3.0.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

HERE = Path(__file__).parent


@cache
def population_table() -> pd.DataFrame:
    """ONS mid-year estimates of children aged 0 to 17, per local authority and year."""
    import pandas as pd  # here, not above: reading params (``cscw check``) does not need pandas

    return pd.read_csv(HERE / "population_0_17.csv", comment="#", dtype={"old_la_code": str, "new_la_code": str})


def population_0_17(la_code: str | None, year: int) -> tuple[int, int] | None:
    """(population, estimate year): the latest ONS estimate not after ``year`` for an LA code
    (old 3-digit or new 9-character); None when the authority has none."""
    if not la_code:
        return None
    table = population_table()
    rows = table[((table["new_la_code"] == la_code) | (table["old_la_code"] == la_code)) & (table["year"] <= year)]
    if rows.empty:
        return None
    latest = rows.loc[rows["year"].idxmax()]
    return int(latest["population_0_17"]), int(latest["year"])
