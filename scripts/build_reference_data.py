"""Build the compact reference files shipped in lib/csc_workbench/reference/ from DfE downloads.

    python scripts/build_reference_data.py [DOWNLOADS_FOLDER]

DOWNLOADS_FOLDER holds the Explore Education Statistics CSVs as downloaded (default:
../shared/data/dfe/ees). A council refreshes the shipped files by pointing this at newer ones.
Writes population_0_17.csv: ONS mid-year estimates of children aged 0 to 17 per local authority.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lib" / "csc_workbench" / "reference"
ATTRIBUTION = (
    "# Contains public sector information licensed under the Open Government Licence v3.0.\n"
    "# Source: ONS mid-year population estimates, children aged 0 to 17, as published by the Department\n"
    "# for Education on Explore Education Statistics (ons_mid-year_population_estimates_2012_to_2024.csv).\n"
)


#: DfE suppression and not-applicable markers: the value cannot be had, never zero.
SUPPRESSION = {"c", "x", "z", "low", "..", ":", "u", ""}


def build_population(downloads: Path) -> pd.DataFrame:
    raw = pd.read_csv(downloads / "ons_mid-year_population_estimates_2012_to_2024.csv", dtype=str, encoding="utf-8-sig")
    raw = raw[raw["geographic_level"].str.strip() == "Local authority"]
    value = raw["population_estimate"].str.strip()
    suppressed = value.isin(SUPPRESSION)
    if suppressed.any():  # not available (e.g. an authority that no longer exists that year): left out
        dropped = raw[suppressed]
        print(f"left out {len(dropped)} suppressed rows: " + ", ".join(sorted(set(dropped["la_name"]))))
    raw = raw[~suppressed]
    frame = pd.DataFrame(
        {
            "old_la_code": raw["old_la_code"].str.strip(),
            "new_la_code": raw["new_la_code"].str.strip(),
            "la_name": raw["la_name"].str.strip(),
            "year": raw["time_period"].astype(int),
            "population_0_17": pd.to_numeric(raw["population_estimate"], errors="raise").astype(int),
        }
    )
    return frame.sort_values(["new_la_code", "year"]).reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(ATTRIBUTION)
        frame.to_csv(handle, index=False)


def main() -> int:
    downloads = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "dfe" / "ees"
    population = build_population(downloads)
    write(population, OUT / "population_0_17.csv")
    print(f"population_0_17.csv: {len(population)} rows, {population['new_la_code'].nunique()} authorities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
