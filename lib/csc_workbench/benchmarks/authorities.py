"""Local authority codes and reorganisations.

DfE publishes each authority under two codes: the old 3-digit *LA number* (``886`` Kent) and the
ONS 9-character code (``E10000016``). The 3-digit number is the stable key here: it is what LAIT
and the statistical neighbour files use, and it survives a change of ONS code (North Yorkshire
and Somerset kept 815 and 933 when they became unitary councils on 1 April 2023). An authority
that was created, merged or split gets a new 3-digit number.

The reorganisations table lists every change since 2013 that the DfE files show (each checked
against the data: the predecessor's last figures and the successor's first). A change on
1 April Y applies from the year ending 31 March Y+1 (the CIN census, SSDA903) and from the
30 September Y census (the children's social work workforce census, CSWW), so the functions here
take the census month of the measure (3 = year ending 31 March, 9 = 30 September).

The lookup of codes and names (``la_codes.csv``, shipped) is built from the EES files and LAIT's
``la_code_list.xlsx`` by ``scripts/build_benchmark_extract.py`` (:func:`build_la_codes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
LA_CODES_FILE = REFERENCE / "la_codes.csv"

#: The nine English regions; EES files put London boroughs in Inner or Outer London (E13).
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
SUBREGIONS = {"E13000001": "Inner London", "E13000002": "Outer London"}
#: Region (or London sub-region) code from its name, as EES and LAIT spell them.
REGION_BY_NAME = {name.lower(): code for code, name in {**REGIONS, **SUBREGIONS}.items()} | {
    "london (inner)": "E13000001",
    "london (outer)": "E13000002",
}
ENGLAND = "E92000001"

_COLUMNS = (
    "predecessor_old",
    "predecessor_new",
    "predecessor_name",
    "successor_old",
    "successor_new",
    "successor_name",
    "effective",
    "kind",
    "note",
)
#: predecessor (old code | new code | name) | successor (old | new | name) | effective | kind | note
_TABLE = """
928|E10000021|Northamptonshire|940|E06000061|North Northamptonshire|2021-04-01|split|
928|E10000021|Northamptonshire|941|E06000062|West Northamptonshire|2021-04-01|split|
909|E10000006|Cumbria|942|E06000063|Cumberland|2023-04-01|split|
909|E10000006|Cumbria|943|E06000064|Westmorland and Furness|2023-04-01|split|
835|E10000009|Dorset (county council)|838|E06000059|Dorset|2019-04-01|merger|all but Christchurch
835|E10000009|Dorset (county council)|839|E06000058|Bournemouth, Christchurch and Poole|2019-04-01|merger|Christchurch
836|E06000029|Poole|839|E06000058|Bournemouth, Christchurch and Poole|2019-04-01|merger|
837|E06000028|Bournemouth|839|E06000058|Bournemouth, Christchurch and Poole|2019-04-01|merger|
815|E10000023|North Yorkshire|815|E06000065|North Yorkshire|2023-04-01|new code|became a unitary council
933|E10000027|Somerset|933|E06000066|Somerset|2023-04-01|new code|became a unitary council
825|E10000002|Buckinghamshire|825|E06000060|Buckinghamshire|2020-04-01|new code|became a unitary council
370|E08000016|Barnsley|370|E08000038|Barnsley|2025-04-01|new code|boundary change with Sheffield
373|E08000019|Sheffield|373|E08000039|Sheffield|2025-04-01|new code|boundary change with Barnsley
"""
_REORGANISATIONS = [tuple(line.split("|")) for line in _TABLE.strip().splitlines()]


def reorganisations() -> pd.DataFrame:
    """Predecessor -> successor, the date the change took effect (1 April) and ``first_year``:
    the first year ending 31 March for which the successor reports. ``kind`` "split" or "merger"
    makes new authorities (new LA numbers); "new code" keeps the LA number and changes the ONS code."""
    table = pd.DataFrame(_REORGANISATIONS, columns=list(_COLUMNS))
    table["first_year"] = pd.to_datetime(table["effective"]).dt.year + 1
    return table


# --- codes ----------------------------------------------------------------------------------
def normalise_old_code(code: object) -> str | None:
    """``886``, ``886.0``, ``"0886"``, ``" 886 "`` -> ``"886"``; blanks -> None; other text as given."""
    if code is None or (isinstance(code, float) and code != code):
        return None
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text:
        return None
    return str(int(text)).zfill(3) if text.isdigit() else text


def normalise_old_codes(codes: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_old_code` (over the distinct values, then mapped back)."""
    index, uniques = pd.factorize(codes, use_na_sentinel=True)
    lookup = [normalise_old_code(u) for u in uniques] + [None]
    return pd.Series([lookup[i] for i in index], index=codes.index, dtype=object)


def is_new_code(code: str) -> bool:
    return bool(re.fullmatch(r"[EWSN]\d{8}", code.strip().upper()))


@cache
def _shipped_codes() -> pd.DataFrame:
    return read_la_codes(LA_CODES_FILE)


def read_la_codes(path: str | Path) -> pd.DataFrame:
    """Read a ``la_codes.csv`` written by :func:`build_la_codes` (``#`` lines are comments)."""
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False).replace({"": None})


def load_la_codes(codes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The lookup given, or the shipped one (empty if the shipped file is missing)."""
    if codes is not None:
        return codes
    if not LA_CODES_FILE.exists():
        return pd.DataFrame(columns=_LA_CODE_COLUMNS)
    return _shipped_codes()


def to_old_code(code: object, codes: pd.DataFrame | None = None) -> str | None:
    """The 3-digit LA number of an old or new code (``"E10000016"`` -> ``"886"``); None if unknown."""
    if code is None:
        return None
    text = str(code).strip()
    if is_new_code(text):
        text = text.upper()
        for row in _REORGANISATIONS:
            if row[1] == text:
                return row[0]
            if row[4] == text:
                return row[3]
        table = load_la_codes(codes)
        hit = table.loc[table["new_la_code"] == text, "old_la_code"]
        return str(hit.iloc[0]) if len(hit) else None
    return normalise_old_code(text)


def new_code_for(
    code: object, year: int | None = None, census_month: int = 3, codes: pd.DataFrame | None = None
) -> str | None:
    """The ONS code an authority had in ``year`` (the latest when ``year`` is None)."""
    old = to_old_code(code, codes)
    if old is None:
        return None
    for row in _REORGANISATIONS:
        if row[7] == "new code" and row[0] == old:
            if year is None or period_end(year, census_month) >= date.fromisoformat(row[6]):
                return row[4]
            return row[1]
    for row in _REORGANISATIONS:
        if row[0] == old:
            return row[1]
        if row[3] == old:
            return row[4]
    table = load_la_codes(codes)
    hit = table.loc[table["old_la_code"] == old, "new_la_code"].dropna()
    return str(hit.iloc[-1]) if len(hit) else None


def new_codes_for(
    old_codes: pd.Series, years: pd.Series, census_months: pd.Series | int = 3, codes: pd.DataFrame | None = None
) -> pd.Series:
    """Vectorised :func:`new_code_for` for a column of 3-digit codes."""
    table = load_la_codes(codes).dropna(subset=["new_la_code"])
    latest = table.drop_duplicates("old_la_code", keep="last").set_index("old_la_code")["new_la_code"].to_dict()
    for row in _REORGANISATIONS:
        if row[7] != "new code":
            latest[row[0]] = row[1]
            latest[row[3]] = row[4]
    out = old_codes.map(latest).astype(object)
    months = census_months if isinstance(census_months, pd.Series) else pd.Series(census_months, index=old_codes.index)
    for row in _REORGANISATIONS:
        if row[7] != "new code":
            continue
        hit = old_codes == row[0]
        if hit.any():
            when = date.fromisoformat(row[6])
            pairs = pd.DataFrame({"y": years[hit], "m": months[hit]})
            after = {
                (y, m): period_end(int(y), int(m)) >= when for y, m in pairs.drop_duplicates().itertuples(index=False)
            }
            flags = [after[k] for k in zip(pairs["y"], pairs["m"], strict=True)]
            out.loc[hit] = [row[4] if f else row[1] for f in flags]
    return out.where(out.notna(), None)


def la_name(code: object, codes: pd.DataFrame | None = None) -> str | None:
    """The authority's name (the latest EES spelling); predecessors are named as in the
    reorganisations table ("Dorset (county council)")."""
    old = to_old_code(code, codes)
    if old is None:
        return None
    for row in _REORGANISATIONS:
        if row[0] == old and row[7] != "new code":
            return row[2]
    name = _lookups(codes)[0].get(old)
    if name is not None:
        return name
    for row in _REORGANISATIONS:
        if row[3] == old:
            return row[5]
    return None


def region_of(code: object, codes: pd.DataFrame | None = None) -> tuple[str, str] | None:
    """(code, name) of the English region (E12) an authority is in; London boroughs -> London."""
    return _lookups(codes)[1].get(to_old_code(code, codes))


def _lookups(codes: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Each old code's latest name, and its latest (region code, region name), from the lookup
    given or the shipped one (worked out once: a benchmark table names dozens of authorities)."""
    return _table_lookups(codes) if codes is not None else _shipped_lookups()


@cache
def _shipped_lookups() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    return _table_lookups(load_la_codes())


def _table_lookups(table: pd.DataFrame) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    names = table.dropna(subset=["la_name"]).groupby("old_la_code", sort=False)["la_name"].last()
    areas = table.dropna(subset=["region_code", "region_name"]).groupby("old_la_code", sort=False)
    regions = areas[["region_code", "region_name"]].last()
    return (
        {str(k): str(v) for k, v in names.items()},
        {str(k): (str(r), str(n)) for k, r, n in regions.itertuples()},
    )


def parent_region(region_code: str | None) -> str | None:
    """E13 Inner/Outer London -> E12000007 London; E12 codes unchanged."""
    if region_code is None:
        return None
    return "E12000007" if region_code in SUBREGIONS else region_code


# --- existence ------------------------------------------------------------------------------
def period_end(year: int, census_month: int = 3) -> date:
    """The date a DfE figure for ``year`` refers to: 31 March, or 30 September for the CSWW."""
    if census_month == 12:
        return date(year, 12, 31)
    return date(year, census_month + 1, 1) - timedelta(days=1)


def period_label(year: int, census_month: int = 3) -> str:
    """``2022`` -> ``"2021-22"`` (year ending 31 March); ``"30 September 2022"`` for the CSWW."""
    if census_month == 3:
        return f"{year - 1}-{year % 100:02d}"
    end = period_end(year, census_month)
    return f"{end.day} {end.strftime('%B')} {end.year}"


def financial_year_label(year: int, census_month: int = 3) -> str:
    """The financial year (April to March) a figure falls in: ``2024`` -> ``"2023-24"`` for a
    year ending 31 March, ``"2024-25"`` for the 30 September 2024 workforce census."""
    end = period_end(year, census_month)
    start = end.year if end.month >= 4 else end.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _first_period(effective: date, census_month: int) -> int:
    """The first year whose period ends on or after ``effective``."""
    year = effective.year
    return year if period_end(year, census_month) >= effective else year + 1


def _spans() -> dict[str, tuple[date | None, date | None, list[tuple]]]:
    spans: dict[str, tuple[date | None, date | None, list[tuple]]] = {}
    for row in _REORGANISATIONS:
        if row[7] == "new code":
            continue
        when = date.fromisoformat(row[6])
        start, end, rows = spans.get(row[0], (None, None, []))
        spans[row[0]] = (start, when, [*rows, row])
        start, end, rows = spans.get(row[3], (None, None, []))
        spans[row[3]] = (when, end, [*rows, row])
    return spans


_SPANS = _spans()


def exists(code: object, year: int, census_month: int = 3) -> bool:
    """Whether the authority existed at the end of the period ``year`` refers to."""
    return why_unavailable(code, year, census_month) is None


def why_unavailable(code: object, year: int, census_month: int = 3) -> str | None:
    """Why an authority has no figure for ``year`` because of a reorganisation, else None:
    "Northamptonshire was replaced by North Northamptonshire and West Northamptonshire from
    2021-22 (1 April 2021)"."""
    old = to_old_code(code)
    if old not in _SPANS:
        return None
    start, end, rows = _SPANS[old]
    when = period_end(year, census_month)
    if end is not None and when >= end:
        successors = _join(dict.fromkeys(r[5] for r in rows if r[0] == old))
        name = next(r[2] for r in rows if r[0] == old)
        first = period_label(_first_period(end, census_month), census_month)
        return f"{name} was replaced by {successors} from {first} ({_day(end)})"
    if start is not None and when < start:
        predecessors = _join(dict.fromkeys(r[2] for r in rows if r[3] == old))
        name = next(r[5] for r in rows if r[3] == old)
        first = period_label(_first_period(start, census_month), census_month)
        return f"{name} was created on {_day(start)} from {predecessors}, so it has no figures before {first}"
    return None


def organisation_reasons(codes: pd.Series, years: pd.Series, census_months: pd.Series | int = 3) -> pd.Series:
    """Vectorised :func:`why_unavailable` (None where the authority existed)."""
    months = census_months if isinstance(census_months, pd.Series) else pd.Series(census_months, index=codes.index)
    out = pd.Series(None, index=codes.index, dtype=object)
    affected = codes.isin(list(_SPANS))
    if affected.any():
        keys = pd.DataFrame({"c": codes[affected], "y": years[affected], "m": months[affected]})
        for (c, y, m), index in keys.groupby(["c", "y", "m"]).groups.items():
            out.loc[index] = why_unavailable(c, int(y), int(m))
    return out


def _join(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _day(when: date) -> str:
    return f"{when.day} {when.strftime('%B')} {when.year}"


# --- building the lookup --------------------------------------------------------------------
_LA_CODE_COLUMNS = [
    "old_la_code",
    "new_la_code",
    "la_name",
    "region_code",
    "region_name",
    "la_type",
    "lait_name",
    "valid_from",
    "valid_to",
]


def read_code_list(path: str | Path) -> pd.DataFrame:
    """LAIT's ``la_code_list.xlsx``: old_la_code, lait_name, region_name, la_type (LAs only)."""
    raw = pd.read_excel(path, dtype=str, header=None)
    header = next(i for i, row in raw.iterrows() if str(row.iloc[0]).strip().lower() == "la number")
    table = raw.iloc[header + 1 :, :4].copy()
    table.columns = ["old_la_code", "lait_name", "region_name", "la_type"]
    table["old_la_code"] = normalise_old_codes(table["old_la_code"])
    table = table[table["old_la_code"].notna() & table["la_type"].notna()]
    for column in ("lait_name", "region_name", "la_type"):
        table[column] = table[column].astype(str).str.strip()
    return table.reset_index(drop=True)


def build_la_codes(frames: Iterable[pd.DataFrame], code_list: pd.DataFrame | None = None) -> pd.DataFrame:
    """The code lookup from long frames (:func:`~csc_workbench.benchmarks.sources.read_ees`) and
    LAIT's code list: one row per (old code, new code), the latest name, the English region, the
    LAIT name and type, and ``valid_from``/``valid_to`` dates from the reorganisations table."""
    columns = ["old_la_code", "new_la_code", "la_name", "region_code", "year"]
    rows = pd.concat([f.loc[f["level"] == "la", columns] for f in frames], ignore_index=True)
    rows = rows.dropna(subset=["old_la_code", "new_la_code"]).sort_values("year")
    rows = rows.drop_duplicates(["old_la_code", "new_la_code"], keep="last")
    rows["region_code"] = rows["region_code"].map(parent_region)
    reorg = reorganisations()
    # The CLA files print North Yorkshire's and Somerset's new codes for every year: keep only the
    # pairs of the reorganisations table for those two; it also says which code applied when.
    for _, r in reorg[reorg["kind"] == "new code"].iterrows():
        wrong = (rows["old_la_code"] == r["predecessor_old"]) & ~rows["new_la_code"].isin(
            [r["predecessor_new"], r["successor_new"]]
        )
        rows = rows[~wrong]
    extra = []
    for _, r in reorg.iterrows():
        for old, new, name in (
            (r["predecessor_old"], r["predecessor_new"], r["predecessor_name"]),
            (r["successor_old"], r["successor_new"], r["successor_name"]),
        ):
            if not ((rows["old_la_code"] == old) & (rows["new_la_code"] == new)).any():
                extra.append({"old_la_code": old, "new_la_code": new, "la_name": name})
    if extra:
        rows = pd.concat([rows, pd.DataFrame(extra).drop_duplicates()], ignore_index=True)
    region_by_code = rows.dropna(subset=["region_code"]).drop_duplicates("old_la_code", keep="last")
    rows["region_code"] = rows["old_la_code"].map(region_by_code.set_index("old_la_code")["region_code"])
    if code_list is not None:
        rows = rows.merge(code_list[["old_la_code", "lait_name", "la_type"]], on="old_la_code", how="outer")
        listed = code_list.set_index("old_la_code")["region_name"].str.lower().map(REGION_BY_NAME).map(parent_region)
        rows["region_code"] = rows["region_code"].fillna(rows["old_la_code"].map(listed))
        rows["la_name"] = rows["la_name"].fillna(rows["lait_name"])
    else:
        rows["lait_name"] = None
        rows["la_type"] = None
    rows["region_name"] = rows["region_code"].map(REGIONS)
    valid_from = {(r["successor_old"], r["successor_new"]): r["effective"] for _, r in reorg.iterrows()}
    valid_to = {(r["predecessor_old"], r["predecessor_new"]): r["effective"] for _, r in reorg.iterrows()}
    keys = list(zip(rows["old_la_code"], rows["new_la_code"], strict=True))
    rows["valid_from"] = [valid_from.get(k) for k in keys]
    rows["valid_to"] = [valid_to.get(k) for k in keys]
    rows = rows.sort_values(["old_la_code", "valid_from"], na_position="first")
    out = rows[_LA_CODE_COLUMNS].reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)
