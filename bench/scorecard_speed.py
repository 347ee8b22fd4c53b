"""Benchmark: a scorecard for one month, full catalogue, 30 org units, read from the store.

Builds a store of 24 months of atoms for every indicator of the standard catalogue in 30 org
units (1 authority, 4 areas, 25 teams), then times ``scorecard`` for all 30 at once and for
one org unit. Prints the median of several runs. Target: under 1 second for the 30.

    python bench/scorecard_speed.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.config import Params, load_catalogue
from csc_workbench.config.authority import Authority
from csc_workbench.periods import parse_month
from csc_workbench.store import ATOM_COLUMNS, Store

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-10"
RUNS = 7


def authority_with_30_units() -> Authority:
    areas = [
        {
            "name": f"Area {a}",
            "level": "area",
            "children": [{"name": f"Team {a}{t}", "level": "team"} for t in range(6)],
        }
        for a in "ABCD"
    ]
    county_wide = [{"name": "Disability Service", "level": "team"}]
    tree = {"name": "Bench County", "level": "authority", "children": areas + county_wide}
    return Authority.model_validate({"name": "Bench County (SYNTHETIC)", "short_name": "Bench", "org_units": tree})


def synthetic_atoms(params: Params, months: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    end = parse_month(MONTH)
    frames = []
    for indicator in params.catalogue.indicators:
        window = "snapshot" if indicator.is_stock else "month"
        for org in params.authority.org_unit_names:
            periods = np.arange(end - months + 1, end + 1)
            den = rng.integers(20, 400, size=months).astype(float)
            num = np.floor(den * rng.uniform(0.5, 0.95, size=months))
            counts = indicator.scale is None
            value = num if counts else (indicator.scale or 1) * num / den
            frames.append(
                pd.DataFrame(
                    {
                        "indicator": indicator.id,
                        "period": periods,
                        "org_unit": org,
                        "cohort": indicator.cohort or "all",
                        "window": window,
                        "numerator": num,
                        "denominator": np.nan if counts else den,
                        "value": value,
                        "unavailable_reason": None,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[ATOM_COLUMNS]


def timed(function, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    params = Params(load_catalogue(ROOT / "params" / "catalogue.yml"), authority_with_30_units(), ROOT / "params")
    units = params.authority.org_unit_names
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb")
        atoms = synthetic_atoms(params)
        store.add_vintage(atoms, "bench", "synthetic")
        store.add_vintage(atoms.sample(frac=0.1, random_state=1), "bench rerun", "synthetic")  # a second vintage
        frame = scorecard(store, params, MONTH, units)
        all_units = timed(lambda: scorecard(store, params, MONTH, units))
        one_unit = timed(lambda: scorecard(store, params, MONTH, units[0]))
    scorecard_rows = len([i for i in params.catalogue.indicators if i.scorecard])
    print(f"store: {len(atoms):,} atoms (+10% in a second vintage), {len(units)} org units, 24 months")
    print(f"catalogue: {scorecard_rows} scorecard indicators; result rows: {len(frame):,}")
    print(f"scorecard, all {len(units)} org units: {all_units:.3f} s (median of {RUNS}; target < 1 s)")
    print(f"scorecard, one org unit: {one_unit:.3f} s (median of {RUNS})")
    return 0 if all_units < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
