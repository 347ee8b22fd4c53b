"""DfE benchmarks: loaders, reorganisations, statistical neighbours and the benchmark set.

The benchmark sets are recomputed here, independently of the library, from the raw downloads
in ``../shared/data/dfe`` (beside the repository) with plain ``csv``, ``duckdb`` and
``openpyxl`` code. Where the downloads are absent (or ``CSCW_BENCHMARK_TESTS_USE_EXTRACT=1``),
the same tests recompute from the shipped extract in ``csc_workbench/reference/`` instead, read
with plain ``csv``: nothing is skipped.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import warnings
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from csc_workbench.benchmarks import (
    LONG_COLUMNS,
    authorities,
    compute,
    shipped,
    sources,
)
from csc_workbench.benchmarks import neighbours as nbmod
from csc_workbench.config import load_params
from csc_workbench.config.catalogue import BenchmarkMapping

from ..conftest import ROOT

DFE = ROOT.parent / "shared" / "data" / "dfe"
RAW = (
    (DFE / "lait" / "bds_long_0.parquet").exists()
    and (DFE / "ees").is_dir()
    and os.environ.get("CSCW_BENCHMARK_TESTS_USE_EXTRACT") != "1"
)
REFERENCE = ROOT / "lib" / "csc_workbench" / "reference"
CATALOGUE = load_params(ROOT / "params").catalogue
KENT = load_params(ROOT / "params" / "examples" / "kent").catalogue

# LAIT region numbers and region names -> the nine English regions (London for Inner/Outer).
LAIT_REGION = {980: "E12000001", 981: "E12000002", 982: "E12000003", 983: "E12000004", 984: "E12000005"}
LAIT_REGION |= {985: "E12000006", 986: "E12000007", 989: "E12000008", 990: "E12000009"}
REGION_TEXT = {
    "north east": "E12000001",
    "north west": "E12000002",
    "yorkshire and the humber": "E12000003",
    "east midlands": "E12000004",
    "west midlands": "E12000005",
    "east of england": "E12000006",
    "inner london": "E12000007",
    "outer london": "E12000007",
    "london": "E12000007",
    "south east": "E12000008",
    "south west": "E12000009",
}


def number(text: str | None) -> float | None:
    """A published cell: its number, or None for a marker ('c', 'x', 'low', '-', ...)."""
    try:
        return float((text or "").strip().replace(",", ""))
    except ValueError:
        return None


def e12(code: str) -> str:
    return "E12000007" if code in ("E13000001", "E13000002") else code


# --- independent readers --------------------------------------------------------------------
class RawData:
    """The downloads read with plain csv / duckdb / openpyxl."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.con = duckdb.connect()
        self.cache: dict[str, list[tuple]] = {}

    def values(self, mapping: BenchmarkMapping, year: int) -> tuple[dict, float | None, dict, dict]:
        """(LA values by 3-digit code, England, regions by E12 code, LA -> E12 region)."""
        if mapping.source == "lait":
            return self._lait(mapping.measure, year)
        return self._ees(self.root / "ees" / f"{mapping.dataset}.csv", mapping.measure, mapping.filters, year)

    def _lait(self, measure: str, year: int) -> tuple[dict, float | None, dict, dict]:
        if measure not in self.cache:
            self.cache[measure] = self.con.execute(
                'select cast("LA Number" as integer), "Years", "Values", "Region" from read_parquet(?) '
                'where "Short Desc" = ?',
                [str(self.root / "lait" / "bds_long_0.parquet"), measure],
            ).fetchall()
        rows = self.cache[measure]
        la, regional, region_of, national = {}, {}, {}, None
        for code, years, value, region in rows:
            if code < 970:
                region_of[f"{code:03d}"] = REGION_TEXT[region.strip().lower()]
            if years != str(year):
                continue
            if code == 970:
                national = number(value)
            elif code in LAIT_REGION:
                regional[LAIT_REGION[code]] = number(value)
            elif code < 970:
                la[f"{code:03d}"] = number(value)
        return la, national, regional, region_of

    @staticmethod
    def _ees(path: Path, measure: str, filters: dict, year: int) -> tuple[dict, float | None, dict, dict]:
        la, regional, region_of, national = {}, {}, {}, None
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if any(row[k] != v for k, v in filters.items()):
                    continue
                level = row["geographic_level"]
                codes = [c.strip() for c in row["old_la_code"].split("/")]
                if level == "Local authority":
                    for code in codes:
                        region_of[code] = e12(row["region_code"])
                if row["time_period"] != str(year):
                    continue
                if level == "National":
                    national = number(row[measure])
                elif level == "Regional":
                    regional[row["region_code"]] = number(row[measure])
                elif level == "Local authority":
                    for code in codes:
                        la[code] = number(row[measure])
        return la, national, regional, region_of

    def neighbours(self, model: str) -> dict[str, list[str]]:
        if model == "2021":
            with open(
                self.root / "ees" / "New_Statistical_Neighbour_Groupings_April_2021.csv", encoding="utf-8-sig"
            ) as f:
                return _groupings(list(csv.reader(f)))
        with open(self.root / "ees" / "sn_model_2025_wide.csv", encoding="utf-8-sig", newline="") as handle:
            lists = {r["old_la_code"]: [r[f"SN_{i}"] for i in range(1, 11)] for r in csv.DictReader(handle)}
        sheet = openpyxl.load_workbook(self.root / "lait" / "sn_may_2025.xlsx", read_only=True).active
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for code, listed in _groupings(rows).items():
            lists.setdefault(code, listed)  # LAIT adds the predecessors
        return lists


def _groupings(rows: list[list[str]]) -> dict[str, list[str]]:
    """The DfE groupings layout: a header row starting 'LA num', then SN1, SNP, SN2, ..."""
    start = next(i for i, r in enumerate(rows) if r and r[0].strip() == "LA num")
    header = [h.strip() for h in rows[start]]
    columns = [header.index(f"SN{i}") for i in range(1, 11)]
    return {r[0].strip(): [r[c].strip() for c in columns] for r in rows[start + 1 :] if r and r[0].strip().isdigit()}


class ExtractData:
    """The shipped extract read with plain csv (when the downloads are absent)."""

    def __init__(self, folder: Path) -> None:
        self.rows = _csv_rows(folder / "dfe_benchmarks.csv")
        self.sn = _csv_rows(folder / "statistical_neighbours.csv")

    def values(self, mapping: BenchmarkMapping, year: int) -> tuple[dict, float | None, dict, dict]:
        la, regional, region_of, national = {}, {}, {}, None
        wanted = {f"{k}={v}" for k, v in mapping.filters.items()}
        for row in self.rows:
            if row["source"] != mapping.source or row["measure"] != mapping.measure:
                continue
            if mapping.source == "ees" and row["dataset"] != mapping.dataset:
                continue
            if not wanted <= set(row["filters"].split("; ")):
                continue
            if row["level"] == "la":
                region_of[row["area_code"]] = e12(row["region_code"])
            cell = row.get(str(year), "")
            if cell == "":
                continue
            if row["level"] == "national":
                national = number(cell)
            elif row["level"] == "regional":
                regional[row["area_code"]] = number(cell)
            else:
                la[row["area_code"]] = number(cell)
        return la, national, regional, region_of

    def neighbours(self, model: str) -> dict[str, list[str]]:
        lists: dict[str, list[tuple[int, str]]] = {}
        for row in self.sn:
            if row["model"] == model:
                lists.setdefault(row["la_code"], []).append((int(row["rank"]), row["neighbour_code"]))
        return {k: [c for _, c in sorted(v)] for k, v in lists.items()}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


# --- session data ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def independent() -> RawData | ExtractData:
    return RawData(DFE) if RAW else ExtractData(REFERENCE)


@pytest.fixture(scope="session")
def library() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long frame, neighbour table) as the library reads them."""
    if not RAW:
        return shipped.load_shipped_benchmarks(), shipped.load_shipped_neighbours()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lait = sources.read_lait(DFE / "lait" / "bds_long_0.parquet")
    assert any("year labels ['0']" in str(w.message) for w in caught)  # the one unusable label, reported
    datasets = {
        i.benchmark.dataset for i in CATALOGUE.indicators + KENT.indicators if i.benchmark and i.benchmark.dataset
    }
    frames = [lait] + [sources.read_ees(DFE / "ees" / f"{d}.csv") for d in sorted(datasets)]
    table = nbmod.build_neighbours(
        DFE / "ees" / "sn_model_2025_wide.csv",
        DFE / "ees" / "New_Statistical_Neighbour_Groupings_April_2021.csv",
        DFE / "lait" / "sn_may_2025.xlsx",
    )
    return pd.concat(frames, ignore_index=True), table


def expected_set(data: RawData | ExtractData, mapping: BenchmarkMapping, code: str, year: int, polarity: str) -> dict:
    """The benchmark set recomputed from plain readings (the documented rules, restated)."""
    la, national, regional, region_of = data.values(mapping, year)
    scale = mapping.scale
    la = {k: (None if v is None else v * scale) for k, v in la.items()}
    model = "2021" if year <= 2021 else "2025"
    listed = data.neighbours(model).get(code, [])
    available = [(c, la[c]) for c in listed if la.get(c) is not None]
    pool = [v for v in la.values() if v is not None]
    q1, median, q3 = statistics.quantiles(pool, n=4, method="inclusive")
    x = la.get(code)
    best = None
    if available and polarity in ("high", "low"):
        target = (max if polarity == "high" else min)(v for _, v in available)
        best = next((c, v) for c, v in available if v == target)
    rank = quartile = None
    if x is not None and polarity == "high":
        rank = 1 + sum(v > x for v in pool)
        quartile = 1 if x >= q3 else 2 if x >= median else 3 if x >= q1 else 4
    if x is not None and polarity == "low":
        rank = 1 + sum(v < x for v in pool)
        quartile = 1 if x <= q1 else 2 if x <= median else 3 if x <= q3 else 4
    return {
        "sn_model": model,
        "la_value": x,
        "sn_average": statistics.fmean(v for _, v in available) if available else None,
        "sn_available": len(available),
        "sn_missing": sorted(c for c in listed if la.get(c) is None),
        "best_sn_value": best[1] if best else None,
        "best_sn_la": best[0] if best else None,
        "national": None if national is None else national * scale,
        "regional": None if regional.get(region_of.get(code)) is None else regional[region_of[code]] * scale,
        "q1": q1,
        "median": median,
        "q3": q3,
        "top_quartile_threshold": q3 if polarity == "high" else q1 if polarity == "low" else None,
        "rank": rank,
        "rank_of": len(pool),
        "quartile": quartile,
    }


def same(a: object, b: object) -> bool:
    missing = [x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    if any(missing):
        return all(missing)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


# 6 authorities (old and new codes; reorganised ones) x 4 indicators x 2 years.
AUTHORITIES = [
    ("886", "886"),  # Kent, old code; 2021: a neighbour (West Northamptonshire) did not exist yet
    ("E06000061", "940"),  # North Northamptonshire by its new code: created 1 April 2021
    ("928", "928"),  # Northamptonshire: reports 2021, replaced by 2024
    ("E06000063", "942"),  # Cumberland by its new code: created 1 April 2023; 2024 SN Herefordshire suppressed
    ("E08000024", "394"),  # Sunderland: agency rate published as 'low' (suppressed) in 2024
    ("E06000065", "815"),  # North Yorkshire by its 2023 ONS code (same LA number 815)
]
INDICATORS = ["rereferrals_12m", "cp_plans_2y_plus", "care_leavers_suitable_accommodation", "agency_rate"]
CASES = [(i, given, old, y) for i in INDICATORS for given, old in AUTHORITIES for y in (2021, 2024)]


@pytest.mark.parametrize(("indicator_id", "given", "old", "year"), CASES)
def test_benchmark_set_recomputed_from_raw(library, independent, indicator_id, given, old, year):
    frame, sn_table = library
    indicator = CATALOGUE[indicator_id]
    polarity = indicator.polarity.value
    want = expected_set(independent, indicator.benchmark, old, year, polarity)
    table = compute.indicator_benchmarks(indicator, frame, given, [year], "auto", sn_table)
    got = table.iloc[0].to_dict()
    assert got["la_code"] == old
    for key, value in want.items():
        if key == "sn_missing":
            assert sorted(m["la_code"] for m in got["sn_missing"]) == value
        else:
            assert same(got[key], value), f"{key}: library {got[key]!r}, recomputed {value!r}"
    if want["la_value"] is None:
        assert got["la_reason"], "a missing value always carries its reason"
    for missing in got["sn_missing"]:
        assert missing["reason"]


def test_recompute_covers_suppressed_and_reorganised(library):
    """The cases above include a suppressed value, a reorganised authority and old/new codes."""
    frame, sn_table = library
    agency = compute.mapping_values(CATALOGUE["agency_rate"].benchmark, frame)
    sunderland = compute.benchmark_table(agency, "E08000024", [2024], "low", sn_table=sn_table).iloc[0]
    assert math.isnan(sunderland["la_value"]) and "low" in sunderland["la_reason"]
    assert sunderland["rank"] is pd.NA and sunderland["quartile"] is pd.NA

    rereferrals = compute.mapping_values(CATALOGUE["rereferrals_12m"].benchmark, frame)
    northants = compute.benchmark_table(rereferrals, "928", [2021, 2024], "low", sn_table=sn_table)
    assert northants["la_value"].notna().tolist() == [True, False]
    assert northants["la_reason"].iloc[1] == (
        "Northamptonshire was replaced by North Northamptonshire and West Northamptonshire from 2021-22 (1 April 2021)"
    )
    new = compute.benchmark_table(rereferrals, "E06000061", [2021], "low", sn_table=sn_table).iloc[0]
    assert new["la_reason"] == (
        "North Northamptonshire was created on 1 April 2021 from Northamptonshire, so it has no figures before 2021-22"
    )
    kent = compute.benchmark_table(rereferrals, "886", [2021], "low", sn_table=sn_table).iloc[0]
    assert kent["sn_missing"] == [
        {
            "la_code": "941",
            "la_name": "West Northamptonshire",
            "reason": "West Northamptonshire was created on 1 April 2021 from Northamptonshire, "
            "so it has no figures before 2021-22",
        }
    ]
    cumberland = compute.benchmark_table(rereferrals, "942", [2024], "low", sn_table=sn_table).iloc[0]
    herefordshire = next(m for m in cumberland["sn_missing"] if m["la_code"] == "884")
    assert herefordshire["reason"].startswith("not available")  # published as 'u' (EES) / '-' (LAIT)
    # the workforce census is at 30 September: North Northamptonshire reports for September 2021
    north = compute.benchmark_table(agency, "940", [2021], "low", sn_table=sn_table).iloc[0]
    assert not math.isnan(north["la_value"])


def test_bom_files_read_like_plain_csv(tmp_path, library):
    """EES files with a byte-order mark: every value as a plain utf-8-sig csv read gives it."""
    if RAW:
        cases = [
            (
                "cla_number_and_rate_per_10k_children",
                "rate_per_10000",
                {"population_type": "Children looked after on 31 March each year"},
            ),
            (
                "la_cla_placement_stability",
                "children_percent",
                {"cla_group": "CLA on 31 March", "placement_stability": "With 3 or more placements during the year"},
            ),
            (
                "la_care_leavers_activity",
                "care_leaver_percent",
                {"care_leaver_age": "19 to 21 years", "breakdown": "Total in education, employment or training"},
            ),
        ]
        paths = {name: DFE / "ees" / f"{name}.csv" for name, _, _ in cases}
    else:  # rebuild an EES-layout file with a BOM (and its columns shuffled) from the extract
        frame = library[0]
        cases = [("csww_indicators_2017_to_2025", "agency_rate_fte", {})]
        paths = {cases[0][0]: _ees_file_from_long(frame[frame["measure"] == "agency_rate_fte"], tmp_path, cases[0][0])}
    for name, measure, filters in cases:
        path = paths[name]
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
        frame = compute.mapping_values(
            BenchmarkMapping(source="ees", dataset=name, measure=measure, filters=filters), sources.read_ees(path)
        )
        got = frame[frame["level"] == "la"]
        for year in sorted(got["year"].unique())[-2:]:
            la, national, _, _ = RawData._ees(path, measure, filters, int(year))
            mine = got[got["year"] == year].set_index("old_la_code")["value"].to_dict()
            assert set(mine) == set(la)
            assert all(same(mine[c], la[c]) for c in la), name
            assert same(frame[(frame["level"] == "national") & (frame["year"] == year)]["value"].iloc[0], national)
        # and a benchmark set from the BOM file, recomputed by hand
        year = int(got["year"].max())
        la, _, _, _ = RawData._ees(path, measure, filters, year)
        pool = [v for v in la.values() if v is not None]
        result = compute.benchmark_set(frame, "886", year, "low", [(1, "881", ""), (2, "845", "")])
        assert same(result["q1"], statistics.quantiles(pool, n=4, method="inclusive")[0])
        assert same(result["sn_average"], statistics.fmean(la[c] for c in ("881", "845") if la.get(c) is not None))


def _ees_file_from_long(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """An EES-layout CSV (BOM, shuffled columns) from long rows: for the no-downloads fallback."""
    level = {"national": "National", "regional": "Regional", "la": "Local authority"}
    wide = pd.DataFrame(
        {
            "agency_rate_fte": [
                "low" if r is not None and "(low)" in r else ("x" if v != v else f"{v:g}")
                for v, r in zip(frame["value"], frame["reason"], strict=True)
            ],
            "la_name": frame["la_name"].fillna(""),
            "geographic_level": frame["level"].map(level),
            "time_period": frame["year"].astype(str),
            "old_la_code": frame["old_la_code"].fillna(""),
            "new_la_code": frame["new_la_code"].fillna(""),
            "region_code": frame["region_code"].fillna(""),
            "region_name": frame["region_name"].fillna(""),
            "time_identifier": "Reporting year",
        }
    )
    path = folder / f"{name}.csv"
    wide.to_csv(path, index=False, encoding="utf-8-sig")
    return path


# --- authorities and reorganisations --------------------------------------------------------
def test_reorganisations_match_the_data(library):
    """For every predecessor and successor: a published number only in years it existed, for
    the CIN census (year ending 31 March) and the workforce census (30 September)."""
    frame, _ = library
    table = authorities.reorganisations()
    codes = set(table["predecessor_old"]) | set(table["successor_old"])
    for indicator_id, month in (("rereferrals_12m", 3), ("care_leavers_suitable_accommodation", 3), ("agency_rate", 9)):
        values = compute.mapping_values(CATALOGUE[indicator_id].benchmark, frame)
        values = values[values["old_la_code"].isin(codes) & values["value"].notna()]
        for code, year in zip(values["old_la_code"], values["year"], strict=True):
            assert authorities.exists(code, int(year), month), (indicator_id, code, year)
        last = values.groupby("old_la_code")["year"].max().to_dict()
        first = values.groupby("old_la_code")["year"].min().to_dict()
        shift = 1 if month == 9 else 0  # a 1 April change is in the September census that year
        for _, r in table[table["kind"] != "new code"].iterrows():
            assert last.get(r["predecessor_old"], 0) < r["first_year"] - shift
            assert first.get(r["successor_old"], 9999) >= r["first_year"] - shift
    ending = {r["predecessor_old"]: r["first_year"] - 1 for _, r in table.iterrows() if r["kind"] != "new code"}
    rereferrals = compute.mapping_values(CATALOGUE["rereferrals_12m"].benchmark, frame)
    last = rereferrals[rereferrals["value"].notna()].groupby("old_la_code")["year"].max()
    assert {c: int(last[c]) for c in ending} == ending  # each predecessor reports up to the change


def test_new_codes_change_when_the_data_say():
    """Every (LA number, ONS code, year) the CIN census (31 March) and the workforce census
    (30 September) print is what :func:`new_code_for` gives: North Yorkshire and Somerset
    (2023), Buckinghamshire (2020), Barnsley and Sheffield (2025) kept their LA numbers."""
    printed: set[tuple[str, str, int, int]] = set()
    if RAW:
        for name, month in (
            ("c1_children_in_need_referrals_and_rereferrals_2013_to_2025", 3),
            ("csww_indicators_2017_to_2025", 9),
        ):
            with open(DFE / "ees" / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    if row["geographic_level"] == "Local authority" and "/" not in row["old_la_code"]:
                        printed.add((row["old_la_code"], row["new_la_code"], int(row["time_period"]), month))
    else:
        for row in _csv_rows(REFERENCE / "la_codes.csv"):
            start = int(row["valid_from"][:4]) + 1 if row["valid_from"] else 2013
            end = int(row["valid_to"][:4]) if row["valid_to"] else 2025
            printed |= {(row["old_la_code"], row["new_la_code"], y, 3) for y in range(start, end + 1)}
    changed = {old for old, new, _, _ in printed if any(o == old and n != new for o, n, _, _ in printed)}
    assert {"815", "933", "825"} <= changed
    for old, new, year, month in sorted(printed):
        assert authorities.new_code_for(old, year, month) == new, (old, year, month)
        assert authorities.to_old_code(new) == old
    assert authorities.new_code_for("815", 2023, census_month=9) == "E06000065"  # September 2023 census
    assert authorities.new_code_for("815", 2023) == "E10000023"  # year ending March 2023


def test_codes_and_reasons():
    assert authorities.to_old_code("E10000016") == "886"
    assert authorities.to_old_code("E06000065") == authorities.to_old_code("E10000023") == "815"
    assert authorities.to_old_code(886) == authorities.to_old_code("0886") == authorities.to_old_code("886.0") == "886"
    assert authorities.la_name("E06000058") == "Bournemouth, Christchurch and Poole"
    assert authorities.region_of("202") == ("E12000007", "London")  # Camden: Inner London -> London
    assert authorities.why_unavailable("886", 2024) is None
    assert authorities.why_unavailable("909", 2024) == (
        "Cumbria was replaced by Cumberland and Westmorland and Furness from 2023-24 (1 April 2023)"
    )
    assert authorities.why_unavailable("836", 2020) == (
        "Poole was replaced by Bournemouth, Christchurch and Poole from 2019-20 (1 April 2019)"
    )
    assert authorities.why_unavailable("835", 2019, census_month=9).startswith(
        "Dorset (county council) was replaced by"
    )
    assert authorities.why_unavailable("838", 2019) == (
        "Dorset was created on 1 April 2019 from Dorset (county council), so it has no figures before 2019-20"
    )
    assert authorities.exists("838", 2019, census_month=9)  # the 30 September 2019 workforce census
    assert authorities.why_unavailable("815", 2020) is None  # a new ONS code is not a new authority
    codes = pd.Series(["928", "940", "886", None])
    reasons = authorities.organisation_reasons(codes, pd.Series([2023, 2021, 2023, 2023]))
    assert reasons.notna().tolist() == [True, True, False, False]


def test_census_month_rule_matches_the_lait_dictionary():
    """Workforce measures are 30 September snapshots; the prefix rule agrees with LAIT's own
    year types (or, without the downloads, with the shipped measure table)."""
    social_care = {
        "child protection",
        "children in need",
        "children looked after",
        "adoption",
        "children's services workforce",
    }
    if RAW:
        table = sources.read_lait_dictionary(DFE / "lait" / "lait_data_dictionary.csv")
        table = table[table["topic"].str.lower().isin(social_care) & table["census_month"].isin([3, 9])]
        rows = list(zip(table["measure"], table["census_month"], strict=True))
    else:
        rows = [
            (r["measure"], int(r["census_month"]))
            for r in _csv_rows(REFERENCE / "dfe_measures.csv")
            if r["source"] == "lait"
        ]
    assert rows
    for measure, month in rows:
        assert sources.census_month("lait", "lait", measure) == month, measure
    assert sources.census_month("ees", "csww_indicators_2017_to_2026", "agency_rate_fte") == 9


# --- loaders on hand-made files -------------------------------------------------------------
EES_ROWS = [
    # time_period, level, region_code, region_name, old, new, name, breakdown, rate, count, all_z
    ("202425", "National", "", "", "", "", "", "Total", "12.5", "1,234", "z"),
    ("202425", "Regional", "E13000001", "Inner London", "", "", "", "Total", "c", "10", "z"),
    ("202425", "Local authority", "E12000008", "South East", "0886", "E10000016", "Kent", "Total", "low", "[x]", "z"),
    ("202425", "Local authority", "E13000001", "Inner London", "202", "E09000007", "Camden", "Total", "..", "", "z"),
    (
        "202425",
        "Local authority",
        "E12000004",
        "East Midlands",
        "940 / 941",
        "E06000061 / E06000062",
        "North Northamptonshire / West Northamptonshire",
        "Total",
        "17.5",
        "3",
        "z",
    ),
    (
        "202425",
        "Local authority",
        "E12000004",
        "East Midlands",
        "928",
        "E10000021",
        "Northamptonshire",
        "Total",
        "z",
        "z",
        "z",
    ),
    ("202425", "Local authority", "E12000008", "South East", "887", "E06000035", "Medway", "Total", "k", "u", "z"),
    (
        "202425",
        "Local authority district",
        "E12000008",
        "South East",
        "",
        "E07000105",
        "Ashford",
        "Total",
        "9",
        "9",
        "z",
    ),
    ("2024", "Local authority", "E12000008", "South East", "886", "E10000016", "Kent", "Girls", "8.25%", "0", "z"),
]
EES_HEADER = [
    "time_period",
    "geographic_level",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "breakdown",
    "rate",
    "count",
    "all_z",
]


def _write_ees(path: Path, order: list[str], bom: bool, encoding: str = "utf-8") -> Path:
    frame = pd.DataFrame(EES_ROWS, columns=EES_HEADER)
    frame["time_identifier"] = "Financial year"
    frame["country_code"], frame["country_name"] = "E92000001", "England"
    frame[order].to_csv(path, index=False, encoding="utf-8-sig" if bom else encoding)
    return path


def test_read_ees_markers_codes_and_filters(tmp_path):
    order = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", *EES_HEADER[2:]]
    frame = sources.read_ees(_write_ees(tmp_path / "my_file_2013_to_2025.csv", order, bom=True))
    assert list(frame.columns) == LONG_COLUMNS
    assert set(frame["measure"]) == {"rate", "count", "all_z"}  # 'all_z' is all markers: still a measure
    assert set(frame["filters"]) == {"breakdown=Total", "breakdown=Girls"}
    assert set(frame["dataset"]) == {"my_file_2013_to_2025"} and set(frame["source"]) == {"ees"}
    assert "E07000105" not in set(frame["new_la_code"].dropna())  # district rows left out
    rate = frame[frame["measure"] == "rate"].set_index(["year", "level", "old_la_code", "filters"], drop=False)
    assert set(rate["year"]) == {2024, 2025}
    national = rate[rate["level"] == "national"].iloc[0]
    assert national["value"] == 12.5 and national["region_code"] is None and national["old_la_code"] is None
    kent = rate.loc[(2025, "la", "886", "breakdown=Total")]
    assert math.isnan(kent["value"]) and kent["reason"] == sources.MARKERS["low"]
    assert "fewer than 0.5" in kent["reason"]
    assert rate.loc[(2024, "la", "886", "breakdown=Girls")]["value"] == 8.25
    assert rate.loc[(2025, "la", "202", "breakdown=Total")]["reason"] == "not available (..)"
    assert rate.loc[(2025, "la", "887", "breakdown=Total")]["reason"].startswith("rounds to zero")
    joint = rate[rate["old_la_code"].isin(["940", "941"])]
    assert joint[["old_la_code", "new_la_code", "la_name", "value"]].values.tolist() == [
        ["940", "E06000061", "North Northamptonshire", 17.5],
        ["941", "E06000062", "West Northamptonshire", 17.5],
    ]
    northants = rate.loc[(2025, "la", "928", "breakdown=Total")]
    assert northants["reason"].startswith("Northamptonshire was replaced by")  # over the published 'z'
    regional = rate[rate["level"] == "regional"].iloc[0]
    assert regional["region_code"] == "E13000001" and regional["reason"] == sources.MARKERS["c"]
    count = frame[frame["measure"] == "count"].set_index(["year", "old_la_code"])
    assert count.loc[(2025, "887")]["reason"] == sources.MARKERS["u"]
    assert frame.loc[(frame["measure"] == "count") & (frame["level"] == "national"), "value"].iloc[0] == 1234
    assert count.loc[(2025, "886")]["reason"] == sources.MARKERS["x"]  # '[x]' in brackets
    assert count.loc[(2025, "202")]["reason"] == sources.BLANK
    assert count.loc[(2024, "886")]["value"] == 0  # a published zero stays zero
    assert (frame["value"] == 0).sum() == 1  # ... and it is the only zero: markers never become 0


def test_read_ees_ignores_column_order_and_bom(tmp_path):
    base = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", *EES_HEADER[2:]]
    one = sources.read_ees(_write_ees(tmp_path / "a.csv", base, bom=True))
    shuffled = list(reversed(base))
    two = sources.read_ees(_write_ees(tmp_path / "a2.csv", shuffled, bom=False))
    three = sources.read_ees(_write_ees(tmp_path / "a3.csv", shuffled, bom=False, encoding="cp1252"))

    def key(f: pd.DataFrame) -> pd.DataFrame:
        f = f.drop(columns="dataset").sort_values(["measure", "year", "level", "region_code", "old_la_code"])
        return f.reset_index(drop=True)

    pd.testing.assert_frame_equal(key(one), key(two))
    pd.testing.assert_frame_equal(key(one), key(three))


def test_read_ees_column_override_and_bad_file(tmp_path):
    path = _write_ees(tmp_path / "b.csv", ["time_period", "geographic_level", *EES_HEADER[2:]], bom=False)
    frame = sources.read_ees(path, filters=["breakdown", "count"])
    assert set(frame["measure"]) == {"rate", "all_z"}
    assert "count=1,234" in set(frame["filters"].str.split("; ").explode())
    (tmp_path / "not_ees.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an EES tidy file"):
        sources.read_ees(tmp_path / "not_ees.csv")


def test_parse_values_and_years():
    text = pd.Series(["12.3", " 4 ", "1,234", "56%", "01:07", "c", "[z]", "LOW", "-", "", None, "abc", "0"])
    parsed = sources.parse_values(text)
    assert parsed["value"].tolist()[:5] == [12.3, 4.0, 1234.0, 56.0, 19.0]  # 1 year 7 months = 19 months
    assert parsed["value"].iloc[-1] == 0 and parsed["reason"].iloc[-1] is None
    assert parsed["value"].iloc[5:12].isna().all()
    assert parsed["reason"].iloc[5:12].tolist() == [
        sources.MARKERS["c"],
        sources.MARKERS["z"],
        sources.MARKERS["low"],
        sources.MARKERS["-"],
        sources.BLANK,
        sources.BLANK,
        "not a number: 'abc'",
    ]
    years = sources.ees_year(pd.Series(["2025", "202425", "2024/25", "bad"]))
    assert years.tolist()[:3] == [2025, 2025, 2025] and years.isna().tolist()[3]
    assert sources.lait_year("2018 (Rev)") == (2018, 2)
    assert sources.lait_year("2020 (Final)") == (2020, 3)
    assert sources.lait_year("2025 (prov)") == (2025, 0)
    assert sources.lait_year("2016-17 (OT)")[0] == 2017
    assert sources.lait_year("2015/16")[0] == 2016
    assert sources.lait_year("2014-16")[0] == 2016
    assert sources.lait_year("2013/14-15/16")[0] == 2016
    assert sources.lait_year("1999-00")[0] == 2000
    assert sources.lait_year("0")[0] is None
    assert sources.dataset_key("csww_indicators_2017_to_2026") == "csww_indicators"


def test_read_lait_levels_years_and_reasons(tmp_path):
    rows = [
        ("ReReferral", "2024", "Kent", "21.6", 886.0, "South East"),
        ("ReReferral", "2024", "England", "22.4", 970.0, "NA"),
        ("ReReferral", "2024", "London (Inner)", "19.1", 987.0, "NA"),
        ("ReReferral", "2024", "South East", "26.6", 989.0, "NA"),
        ("ReReferral", "2024", "Camden", "-", 202.0, "Inner London"),
        ("ReReferral", "2024", "Northamptonshire", "-", 928.0, "East Midlands"),
        ("ReReferral", "2022", "North Yorkshire", "15.9", 815.0, "Yorkshire and The Humber"),
        ("ReReferral", "2024", "North Yorkshire", "19.8", 815.0, "Yorkshire and The Humber"),
        ("A3A", "2018", "Kent", "10", 886.0, "South East"),
        ("A3A", "2018 (Rev)", "Kent", "11", 886.0, "South East"),
        ("Fin", "2016-17 (OT)", "Kent", "5", 886.0, "South East"),
        ("Bad", "0", "Kent", "1", 886.0, "South East"),
        ("Work_Force_TO_Rate", "2021", "Northamptonshire", "-", 928.0, "East Midlands"),
        ("Work_Force_TO_Rate", "2021", "North Northamptonshire", "15", 940.0, "East Midlands"),
    ]
    path = tmp_path / "bds_long_0.parquet"
    values = ", ".join(f"('{m}', 'item', '{y}', '{n}', '{v}', {c}, '{r}')" for m, y, n, v, c, r in rows)
    con = duckdb.connect()
    con.execute(
        f'copy (select * from (values {values}) t("Short Desc", "Data item", "Years", "LA and Regions", '
        f'"Values", "LA Number", "Region")) to \'{path}\' (format parquet)'
    )
    con.close()
    with pytest.warns(UserWarning, match="year labels"):
        frame = sources.read_lait(path)
    assert list(frame.columns) == LONG_COLUMNS and set(frame["dataset"]) == {"lait"}
    assert "Bad" not in set(frame["measure"])
    assert frame.loc[frame["measure"] == "A3A", ["year", "value"]].values.tolist() == [[2018, 11.0]]  # revised wins
    assert frame.loc[frame["measure"] == "Fin", ["year", "value"]].values.tolist() == [[2017, 5.0]]
    national = frame[frame["level"] == "national"].iloc[0]
    assert national["value"] == 22.4 and national["old_la_code"] is None
    regions = frame[frame["level"] == "regional"].set_index("region_code")
    assert regions.loc["E13000001", "region_name"] == "Inner London" and regions.loc["E12000008", "value"] == 26.6
    la = frame[frame["level"] == "la"].set_index(["measure", "year", "old_la_code"])
    assert la.loc[("ReReferral", 2024, "202"), "region_code"] == "E13000001"
    assert la.loc[("ReReferral", 2024, "202"), "reason"] == sources.MARKERS["-"]
    assert la.loc[("ReReferral", 2024, "928"), "reason"].startswith("Northamptonshire was replaced")
    assert la.loc[("ReReferral", 2022, "815"), "new_la_code"] == "E10000023"
    assert la.loc[("ReReferral", 2024, "815"), "new_la_code"] == "E06000065"
    assert la.loc[("ReReferral", 2024, "886"), "new_la_code"] == "E10000016"
    # the workforce census is at 30 September: by September 2021 Northamptonshire had gone
    assert "30 September 2021" in la.loc[("Work_Force_TO_Rate", 2021, "928"), "reason"]
    assert la.loc[("Work_Force_TO_Rate", 2021, "940"), "value"] == 15.0


# --- statistical neighbours -----------------------------------------------------------------
def test_neighbours_models_and_codes(library, independent):
    _, table = library
    kent = nbmod.neighbours("886", "2025", table)
    assert len(kent) == 10 and [r for r, _, _ in kent] == list(range(1, 11))
    assert nbmod.neighbours("E10000016", "2025", table) == kent  # the new code gives the same list
    assert [c for _, c, _ in kent] == independent.neighbours("2025")["886"]
    assert [c for _, c, _ in nbmod.neighbours("909", "2021", table)] == independent.neighbours("2021")["909"]
    assert {p for _, _, p in kent} <= {"Extremely close", "Very close", "Close", "Somewhat close", "Not close"}
    assert nbmod.neighbours("942", "2021", table) == []  # Cumberland postdates the 2021 groupings
    assert nbmod.neighbours("928", "2025", table)  # LAIT's lists keep the predecessors
    assert nbmod.model_for_year(2021) == "2021" and nbmod.model_for_year(2022) == "2025"
    with pytest.raises(ValueError, match="unknown statistical neighbour model"):
        nbmod.neighbours("886", "2019", table)
    cumberland = compute.benchmark_table(
        compute.mapping_values(CATALOGUE["rereferrals_12m"].benchmark, library[0]),
        "942",
        [2021],
        "low",
        model="2021",
        sn_table=table,
    ).iloc[0]
    assert cumberland["sn_reason"] == "Cumberland has no statistical neighbours in the 2021 model"


# --- the benchmark set on a hand-made frame -------------------------------------------------
def _frame(values: dict[str, float | None], national: float = 25.0, year: int = 2024) -> pd.DataFrame:
    rows = [
        {
            "level": "la",
            "old_la_code": code,
            "region_code": "E12000008",
            "la_name": f"LA {code}",
            "value": v,
            "reason": None if v is not None else sources.MARKERS["c"],
        }
        for code, v in values.items()
    ]
    rows.append(
        {
            "level": "national",
            "old_la_code": None,
            "region_code": None,
            "la_name": None,
            "value": national,
            "reason": None,
        }
    )
    rows.append(
        {
            "level": "regional",
            "old_la_code": None,
            "region_code": "E12000008",
            "la_name": None,
            "value": 21.0,
            "reason": None,
        }
    )
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].astype(float)
    return frame.assign(
        source="lait", dataset="lait", measure="Test", filters="", year=year, new_la_code=None, region_name=None
    )


def test_benchmark_set_rules():
    frame = _frame({"101": 10.0, "102": 20.0, "103": 20.0, "104": 30.0, "105": None, "106": 40.0})
    high = compute.benchmark_set(frame, "102", 2024, "high", ["103", "104", "105", "106"])
    assert (high["q1"], high["median"], high["q3"]) == (20.0, 20.0, 30.0)
    assert high["rank"] == 3 and high["rank_of"] == 5 and high["quartile"] == 2  # 20 shares rank 3 with 103
    assert high["sn_average"] == 30.0 and high["sn_available"] == 3
    assert high["sn_missing"] == [{"la_code": "105", "la_name": "LA 105", "reason": sources.MARKERS["c"]}]
    assert (high["best_sn_value"], high["best_sn_la"]) == (40.0, "106")
    assert high["top_quartile_threshold"] == 30.0 and high["national"] == 25.0 and high["regional"] == 21.0
    low = compute.benchmark_set(frame, "102", 2024, "low", [(1, "104", ""), (2, "101", ""), (3, "103", "")])
    assert low["rank"] == 2 and low["quartile"] == 1 and low["top_quartile_threshold"] == 20.0
    assert (low["best_sn_value"], low["best_sn_la"]) == (10.0, "101")
    tie = compute.benchmark_set(frame, "101", 2024, "high", [(1, "103", ""), (2, "102", "")])
    assert tie["best_sn_la"] == "103"  # equal values: the closer neighbour
    none = compute.benchmark_set(frame, "104", 2024, "target", ["101"])
    assert none["rank"] is None and none["quartile"] is None and none["best_sn_value"] is None
    assert none["position_low_to_high"] == 4 and none["top_quartile_threshold"] is None
    suppressed = compute.benchmark_set(frame, "105", 2024, "high", ["105"])
    assert suppressed["la_value"] is None and suppressed["la_reason"] == sources.MARKERS["c"]
    assert suppressed["sn_average"] is None and suppressed["sn_reason"].startswith("none of the")
    later = compute.benchmark_set(frame, "101", 2026, "high", ["102"])
    assert later["la_reason"] == "no figures published for 2025-26; the data end at 2023-24"
    unknown = compute.benchmark_set(frame, "999", 2024, "high", [])
    assert (
        unknown["la_reason"].startswith("no figure for") and unknown["sn_reason"] == "no statistical neighbours given"
    )


def test_mapping_values_filters_scale_and_errors():
    rows = []
    for filters, value in (("age=16; sex=Total", 10.0), ("age=17; sex=Total", 20.0), ("age=16; sex=Girls", 5.0)):
        rows.append(
            {
                "source": "ees",
                "dataset": "thing_2013_to_2025",
                "measure": "pct",
                "filters": filters,
                "year": 2025,
                "level": "national",
                "region_code": None,
                "region_name": None,
                "old_la_code": None,
                "new_la_code": None,
                "la_name": None,
                "value": value,
                "reason": None,
            }
        )
    frame = pd.DataFrame(rows, columns=LONG_COLUMNS)
    pick = BenchmarkMapping(source="ees", dataset="thing_2013_to_2026", measure="pct", filters={"age": "17"}, scale=2)
    assert compute.mapping_values(pick, frame)["value"].tolist() == [40.0]  # newer file name, scaled
    with pytest.raises(compute.BenchmarkError, match="several filter combinations"):
        compute.mapping_values(BenchmarkMapping(source="ees", dataset="thing_2013_to_2025", measure="pct"), frame)
    with pytest.raises(compute.BenchmarkError, match="not in the benchmark data"):
        compute.mapping_values(BenchmarkMapping(source="lait", measure="Nope"), frame)
    with pytest.raises(compute.BenchmarkError, match="no rows with filters"):
        compute.mapping_values(
            BenchmarkMapping(source="ees", dataset="thing_2013_to_2025", measure="pct", filters={"age": "99"}), frame
        )


# --- the shipped extract and the catalogues -------------------------------------------------
SHIPPED = ["dfe_benchmarks.csv", "statistical_neighbours.csv", "la_codes.csv", "dfe_measures.csv"]


def test_shipped_files_carry_attribution_and_stay_small():
    total = 0
    for name in SHIPPED:
        path = REFERENCE / name
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Contains public sector information licensed under the Open Government Licence v3.0.")
        assert "Department for Education" in text.split("\n", 3)[1]
        total += path.stat().st_size
    head = (REFERENCE / "dfe_benchmarks.csv").read_text(encoding="utf-8").split("\nsource,", 1)[0]
    for publication in ("children in need census", "SSDA903", "CSWW", "ONS", "LAIT"):
        assert publication in head
    assert total < 2 * 1024 * 1024


def test_shipped_extract_matches_the_downloads(library, tmp_path):
    """What the loaders read from the downloads is what the shipped extract holds (without the
    downloads: the extract survives a write and read round trip)."""
    frame, _ = library
    mine = shipped.load_shipped_benchmarks()
    assert list(mine.columns) == LONG_COLUMNS
    if RAW:
        mappings = [i.benchmark for i in CATALOGUE.indicators + KENT.indicators if i.benchmark]
        unscaled = [m.model_copy(update={"scale": 1.0}) for m in mappings]
        raw = pd.concat([compute.mapping_values(m, frame) for m in unscaled])
        raw = raw.drop_duplicates(
            ["source", "dataset", "measure", "filters", "level", "region_code", "old_la_code", "year"]
        )
    else:
        shipped.write_csv(shipped.to_extract(mine), tmp_path / "x.csv", "# round trip\n")
        raw = shipped.read_extract(tmp_path / "x.csv")
    key = ["source", "dataset", "measure", "filters", "level", "old_la_code", "year", "area"]
    left = raw.assign(area=raw["old_la_code"].fillna(raw["region_code"]).fillna(""))
    right = mine.assign(area=mine["old_la_code"].fillna(mine["region_code"]).fillna(""))
    merged = left.merge(right, on=key, suffixes=("", "_shipped"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert np.allclose(merged["value"], merged["value_shipped"], equal_nan=True)
    assert (merged["reason"].fillna("") == merged["reason_shipped"].fillna("")).all()


def test_every_catalogue_mapping_resolves_against_the_extract():
    frame = shipped.load_shipped_benchmarks()
    for catalogue, expected in ((CATALOGUE, 30), (KENT, 16)):
        mapped = [i for i in catalogue.indicators if i.benchmark is not None]
        assert len(mapped) == expected
        for indicator in mapped:
            values = compute.mapping_values(indicator.benchmark, frame)
            assert (values["level"] == "national").any(), indicator.id
            table = compute.indicator_benchmarks(indicator, frame, "886", [2024])
            row = table.iloc[0]
            assert row["benchmark_note"], f"{indicator.id}: every mapping says how DfE's definition differs"
            assert not math.isnan(row["national"]), indicator.id
            if indicator.benchmark.dataset and indicator.benchmark.dataset.startswith("national_"):
                assert row["la_reason"] == "DfE publishes this measure for England only"
            else:
                assert not math.isnan(row["la_value"]), indicator.id


def test_adoption_durations_in_days():
    """National adoption timeliness is published as years:months and scaled to days."""
    frame = shipped.load_shipped_benchmarks()
    a1 = compute.mapping_values(CATALOGUE["adoption_a1_days"].benchmark, frame)
    england_2025 = a1.loc[(a1["level"] == "national") & (a1["year"] == 2025), "value"].iloc[0]
    assert england_2025 == pytest.approx(19 * 30.4375)  # published "01:07"


def test_chart_frames(library):
    frame, table = library
    values = compute.mapping_values(CATALOGUE["rereferrals_12m"].benchmark, frame)
    result = compute.benchmark_table(values, "886", [2023, 2024], "low", sn_table=table)
    series = compute.annual_series(result, "Kent")
    assert list(series.columns) == ["year", "series", "value", "reason"]
    assert series["year"].unique().tolist() == ["2022-23", "2023-24"]
    assert set(series["series"]) == {"Kent", "SN average", "South East", "England"}
    assert result["period"].tolist() == ["2022-23", "2023-24"]
    agency = compute.mapping_values(CATALOGUE["agency_rate"].benchmark, frame)
    workforce = compute.benchmark_table(agency, "886", [2024], "low", sn_table=table)
    assert workforce["period"].tolist() == ["30 September 2024"]
    assert compute.annual_series(workforce, "Kent")["year"].unique().tolist() == ["2024-25"]
    bars = compute.neighbour_frame(
        compute.benchmark_set(values, "886", 2024, "low", nbmod.neighbours("886", "2025", table))
    )
    assert (
        list(bars.columns) == ["la_name", "value", "reason"] and len(bars) == 11 and bars["la_name"].iloc[0] == "Kent"
    )


def test_params_still_load():
    for folder in ("params", "params/examples/kent"):
        assert load_params(ROOT / folder).catalogue.indicators
