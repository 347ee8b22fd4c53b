"""DfE statistical neighbours: ten comparator authorities per LA, closest first.

Two models:

- ``"2025"``: the 2025 model (``sn_model_2025_wide.csv`` from EES; LAIT's ``sn_may_2025.xlsx``
  holds the same lists and adds the predecessor authorities Dorset, Poole, Bournemouth,
  Northamptonshire and Cumbria, which are kept from it);
- ``"2021"``: the April 2021 groupings (``New_Statistical_Neighbour_Groupings_April_2021.csv``,
  with its "Old SNs" for Dorset, Poole, Bournemouth and Northamptonshire).

**Which model for which year** (:func:`model_for_year`): years ending 31 March 2021 and earlier
use the 2021 groupings (the lists DfE published for that era, with the pre-2023 authorities such
as Cumbria); later years use the 2025 model, which has Cumberland, Westmorland and Furness and the
new unitary councils. Either model can be chosen for any year (``model="2021"``). A neighbour
with no figure for a year (suppressed, or an authority that did not exist then) is reported as
missing with its reason; it is never replaced by another authority.

The lists are shipped in ``reference/statistical_neighbours.csv`` (one row per LA, model and
rank; ``source`` says whether the list came from the EES file or LAIT's workbook) by
``scripts/build_benchmark_extract.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from csc_workbench.benchmarks import authorities

SN_FILE = authorities.REFERENCE / "statistical_neighbours.csv"
SN_COLUMNS = ["model", "la_code", "la_name", "rank", "neighbour_code", "closeness", "source"]
MODELS = ("2025", "2021")
#: Years ending 31 March up to and including this one use the 2021 groupings by default.
LAST_2021_YEAR = 2021


def model_for_year(year: int) -> str:
    """The default model for a year ending 31 March: "2021" up to 2020-21, then "2025"."""
    return "2021" if year <= LAST_2021_YEAR else "2025"


def _closeness(text: pd.Series) -> pd.Series:
    """ "Very Close", "Close " -> "Very close", "Close"."""
    clean = text.astype("string").str.strip().str.capitalize()
    return clean.where(clean.fillna("") != "", None).astype(object)


def _wide_to_long(frame: pd.DataFrame, code: str, name: str, sn: list[str], closeness: list[str]) -> pd.DataFrame:
    parts = []
    for rank, (sn_column, close_column) in enumerate(zip(sn, closeness, strict=True), start=1):
        parts.append(
            pd.DataFrame(
                {
                    "la_code": authorities.normalise_old_codes(frame[code]),
                    "la_name": frame[name].astype("string").str.strip(),
                    "rank": rank,
                    "neighbour_code": authorities.normalise_old_codes(frame[sn_column]),
                    "closeness": _closeness(frame[close_column]),
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    long = long[long["la_code"].notna() & long["neighbour_code"].notna()]
    long = long[long["la_code"].str.fullmatch(r"\d{3}")]
    return long.sort_values(["la_code", "rank"]).reset_index(drop=True)


def read_sn_2025(path: str | Path) -> pd.DataFrame:
    """``sn_model_2025_wide.csv``: old_la_code, la_name, ..., SN_1, SN_1P ... SN_10, SN_10P."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [str(c).replace("\ufeff", "").strip() for c in raw.columns]
    lower = {c.lower(): c for c in raw.columns}
    sn = [lower[f"sn_{i}"] for i in range(1, 11)]
    close = [lower[f"sn_{i}p"] for i in range(1, 11)]
    long = _wide_to_long(raw, lower["old_la_code"], lower["la_name"], sn, close)
    return long.assign(model="2025", source="ees")[SN_COLUMNS]


def _read_groupings(raw: pd.DataFrame, source: str, model: str) -> pd.DataFrame:
    """The DfE groupings layout: LA num, LA Name, LA number, GOInd, GOReg, SN1, SNP, SN2, SNP, ..."""
    raw = raw.copy()
    raw.columns = range(raw.shape[1])
    header = next(i for i in range(len(raw)) if str(raw.iat[i, 0]).strip().lower() == "la num")
    labels = [str(v).strip() for v in raw.iloc[header]]
    body = raw.iloc[header + 1 :]
    sn = [labels.index(f"SN{i}") for i in range(1, 11)]
    long = _wide_to_long(body, 0, 1, sn, [c + 1 for c in sn])
    return long.assign(model=model, source=source)[SN_COLUMNS]


def read_sn_groupings_2021(path: str | Path) -> pd.DataFrame:
    """``New_Statistical_Neighbour_Groupings_April_2021.csv`` (its "Old SNs" rows included)."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", header=None)
    raw.iat[0, 0] = str(raw.iat[0, 0]).replace("\ufeff", "")
    return _read_groupings(raw, "ees", "2021")


def read_sn_lait_xlsx(path: str | Path) -> pd.DataFrame:
    """LAIT's ``sn_may_2025.xlsx`` (the 2025 model plus predecessor authorities)."""
    path = Path(path)
    raw = pd.read_excel(path, dtype=str, header=None).fillna("")
    return _read_groupings(raw, "lait", "2025")


def build_neighbours(sn_2025: Path | None, sn_2021: Path | None, lait_xlsx: Path | None = None) -> pd.DataFrame:
    """Both models in one long table; the xlsx only adds authorities the 2025 CSV lacks."""
    parts = []
    if sn_2025 is not None:
        parts.append(read_sn_2025(sn_2025))
    if lait_xlsx is not None:
        extra = read_sn_lait_xlsx(lait_xlsx)
        have = set(parts[0]["la_code"]) if parts else set()
        parts.append(extra[~extra["la_code"].isin(have)])
    if sn_2021 is not None:
        parts.append(read_sn_groupings_2021(sn_2021))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SN_COLUMNS)
    return table.sort_values(["model", "la_code", "rank"], ascending=[False, True, True]).reset_index(drop=True)


@cache
def _shipped() -> pd.DataFrame:
    return read_neighbours(SN_FILE)


def read_neighbours(path: str | Path) -> pd.DataFrame:
    """A ``statistical_neighbours.csv`` written by the build script."""
    table = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    table["rank"] = table["rank"].astype(int)
    return table.replace({"": None})


def load_neighbours(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table given, or the shipped one."""
    return table if table is not None else _shipped()


def neighbours(la_code: object, model: str = "2025", table: pd.DataFrame | None = None) -> list[tuple[int, str, str]]:
    """The authority's statistical neighbours as (rank, old_la_code, closeness), closest first.

    ``la_code``: old (``"886"``) or new (``"E10000016"``). An authority the model has no list
    for gives an empty list (:func:`no_neighbours_reason` says why).
    """
    if str(model) not in MODELS:
        raise ValueError(f"unknown statistical neighbour model {model!r}: use one of {', '.join(MODELS)}")
    old = authorities.to_old_code(la_code)
    sn = load_neighbours(table)
    rows = sn[(sn["model"] == str(model)) & (sn["la_code"] == old)].sort_values("rank")
    return [
        (int(r), str(c), str(p) if p is not None else "")
        for r, c, p in rows[["rank", "neighbour_code", "closeness"]].itertuples(index=False)
    ]


def no_neighbours_reason(la_code: object, model: str) -> str:
    """Why :func:`neighbours` is empty: the model predates or postdates the authority."""
    name = authorities.la_name(la_code) or str(la_code)
    return f"{name} has no statistical neighbours in the {model} model"
