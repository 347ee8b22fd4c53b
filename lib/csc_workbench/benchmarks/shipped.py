"""The compact benchmark extract shipped in ``csc_workbench/reference/`` (built from the DfE
downloads by ``scripts/build_benchmark_extract.py``), so benchmarks work without the downloads.

Files (each starts with ``#`` lines: Open Government Licence attribution and the publications):

- ``dfe_benchmarks.csv``: one row per published measure (source, dataset, measure, filters) and
  area (level, area_code: the 3-digit LA number, the region's ONS code, or E92000001 for
  England), then one column per year holding the value **as published**: a number or a
  suppression marker (``c``, ``x``, ``z``, ``low``, ``-``...). An empty cell means no row was
  published. Where an authority did not exist, the marker is kept as published (or ``x``) and
  the loader gives the reorganisation as the reason, as the raw loaders do.
- ``statistical_neighbours.csv``: both neighbour models, one row per LA, model and rank;
- ``la_codes.csv``: old and new LA codes, names, regions, and the dates codes changed;
- ``dfe_measures.csv``: each measure's title, LAIT polarity and period (year type).

:func:`load_shipped_benchmarks` returns the same long frame as
:func:`~csc_workbench.benchmarks.sources.read_ees` / :func:`~csc_workbench.benchmarks.sources.read_lait`
(new LA codes by year from the lookup; LA names as published).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from csc_workbench.benchmarks import authorities, sources
from csc_workbench.benchmarks import neighbours as sn

REFERENCE = authorities.REFERENCE
BENCHMARKS_FILE = REFERENCE / "dfe_benchmarks.csv"
MEASURES_FILE = REFERENCE / "dfe_measures.csv"
KEY_COLUMNS = ["source", "dataset", "measure", "filters", "level", "area_code", "area_name", "region_code"]
MEASURE_COLUMNS = [
    "source",
    "dataset",
    "measure",
    "filters",
    "title",
    "lait_polarity",
    "year_type",
    "census_month",
    "publication",
]

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."

#: Publication of each EES dataset (by file-name prefix) and LAIT topic.
PUBLICATIONS = {
    "b1_children_in_need": "Children in need (DfE, children in need census)",
    "c1_children_in_need": "Children in need (DfE, children in need census)",
    "d3_cpps": "Children in need (DfE, children in need census)",
    "d5_cpps": "Children in need (DfE, children in need census)",
    "cla_": "Children looked after in England including adoption (DfE, SSDA903 return)",
    "la_cla_": "Children looked after in England including adoption (DfE, SSDA903 return)",
    "la_care_leavers": "Children looked after in England including adoption (DfE, SSDA903 return)",
    "national_cla_adopted": "Children looked after in England including adoption (DfE, SSDA903 return)",
    "csww": "Children's social work workforce (DfE, children's social work workforce census, CSWW)",
    "ons_": "ONS mid-year population estimates (as published by DfE)",
}
LAIT_TOPICS = {
    "child protection": PUBLICATIONS["c1_children_in_need"],
    "children in need": PUBLICATIONS["c1_children_in_need"],
    "children looked after": PUBLICATIONS["cla_"],
    "adoption": PUBLICATIONS["cla_"],
    "children's services workforce": PUBLICATIONS["csww"],
}


def publication_of(source: str, dataset: str | None, topic: str | None = None) -> str:
    """The DfE publication a measure comes from (LAIT measures: via LAIT and their topic)."""
    if source == "lait":
        under = LAIT_TOPICS.get(str(topic or "").strip().lower())
        return "Local Authority Interactive Tool (LAIT, DfE)" + (f", from {under}" if under else "")
    for prefix, name in PUBLICATIONS.items():
        if (dataset or "").startswith(prefix):
            return name
    return f"Explore Education Statistics (DfE): {dataset}"


def attribution(publications: Iterable[str], inputs: Iterable[str], layout: str) -> str:
    """The ``#`` header of a shipped file."""
    lines = [OGL, "Source: Department for Education (DfE) official statistics. Publications:"]
    lines += [f"  - {p}" for p in sorted(set(publications))]
    lines += [
        "Rates per 10,000 children are DfE's, using ONS mid-year population estimates of children aged 0 to 17.",
        "Built by scripts/build_benchmark_extract.py from: " + ", ".join(sorted(set(inputs))) + ".",
        layout,
    ]
    return "".join(f"# {line}\n" for line in lines)


# --- writing --------------------------------------------------------------------------------
def _published_text(frame: pd.DataFrame) -> pd.Series:
    """Numbers as short text; markers back from their reason (``x`` where the reason is not a
    marker's, e.g. a reorganisation: the loader recomputes that reason)."""
    marker_of = {reason: key for key, reason in sources.MARKERS.items()}
    numbers = frame["value"].map(lambda v: np.format_float_positional(v, trim="-") if v == v else None)
    markers = frame["reason"].map(lambda r: marker_of.get(r, "x"))
    return numbers.where(frame["value"].notna(), markers)


def to_extract(long: pd.DataFrame) -> pd.DataFrame:
    """A long frame -> the wide-by-year extract layout (:data:`KEY_COLUMNS` then years)."""
    work = long.copy()
    work["area_code"] = np.select(
        [work["level"] == "la", work["level"] == "regional"],
        [work["old_la_code"], work["region_code"]],
        default=authorities.ENGLAND,
    )
    work["area_name"] = np.select(
        [work["level"] == "la", work["level"] == "regional"], [work["la_name"], work["region_name"]], default="England"
    )
    work["region_code"] = work["region_code"].where(work["level"] == "la", None)
    work["text"] = _published_text(work)
    work["filters"] = work["filters"].fillna("")
    keys = [c for c in KEY_COLUMNS if c not in ("area_name", "region_code")]
    names = work.groupby(keys, sort=False)[["area_name", "region_code"]].last()
    wide = work.pivot_table(index=keys, columns="year", values="text", aggfunc="first", sort=False)
    wide = names.join(wide).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    level_order = wide["level"].map({"national": 0, "regional": 1, "la": 2})
    wide = wide.assign(_o=level_order).sort_values(["source", "dataset", "measure", "filters", "_o", "area_code"])
    return wide.drop(columns="_o")[KEY_COLUMNS + sorted(c for c in wide.columns if c.isdigit())]


def write_csv(frame: pd.DataFrame, path: Path, header: str) -> None:
    """Write ``frame`` under the ``#`` header."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        frame.to_csv(handle, index=False)


# --- reading --------------------------------------------------------------------------------
def read_extract(path: str | Path, codes: pd.DataFrame | None = None) -> pd.DataFrame:
    """A ``dfe_benchmarks.csv`` -> the long frame (:data:`~csc_workbench.benchmarks.sources.LONG_COLUMNS`)."""
    wide = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    years = [c for c in wide.columns if c.isdigit()]
    long = wide.melt(id_vars=KEY_COLUMNS, value_vars=years, var_name="year", value_name="text")
    long = long[long["text"] != ""].copy()
    long["year"] = long["year"].astype("int64")
    level = long["level"]
    la, regional = level == "la", level == "regional"
    long["old_la_code"] = long["area_code"].where(la, None)
    long["la_name"] = long["area_name"].where(la, None)
    long["region_code"] = long["region_code"].where(la, long["area_code"].where(regional, None))
    long["region_code"] = long["region_code"].where(long["region_code"] != "", None)
    long["region_name"] = long["region_code"].map({**authorities.REGIONS, **authorities.SUBREGIONS})
    measures = pd.MultiIndex.from_frame(long[["source", "dataset", "measure"]])  # a census month per measure
    census = pd.Series([sources.census_month(*key) for key in measures.unique()], index=measures.unique())
    months = pd.Series(census.reindex(measures).to_numpy(), index=long.index)
    long["new_la_code"] = None
    long.loc[la, "new_la_code"] = authorities.new_codes_for(
        long.loc[la, "old_la_code"], long.loc[la, "year"], months[la], codes
    )
    long[["value", "reason"]] = sources.parse_values(long["text"])
    return sources._finish(sources._with_organisation_reasons(long, months))


@cache
def _shipped_benchmarks() -> pd.DataFrame:
    return read_extract(BENCHMARKS_FILE)


def load_shipped_benchmarks() -> pd.DataFrame:
    """The shipped DfE benchmark values as the long frame (a copy: callers may change it)."""
    return _shipped_benchmarks().copy()


def load_shipped_neighbours() -> pd.DataFrame:
    """Both statistical neighbour models (see :mod:`~csc_workbench.benchmarks.neighbours`)."""
    return sn.load_neighbours().copy()


def load_shipped_la_codes() -> pd.DataFrame:
    """The LA code lookup (see :mod:`~csc_workbench.benchmarks.authorities`)."""
    return authorities.load_la_codes().copy()


def load_shipped_measures() -> pd.DataFrame:
    """Titles, LAIT polarity and period of each shipped measure."""
    table = pd.read_csv(MEASURES_FILE, comment="#", dtype=str, keep_default_na=False).replace({"": None})
    table["census_month"] = table["census_month"].astype(int)
    return table
