"""Benchmarks for one measure: the authority against its statistical neighbours, its region,
England and every other authority.

``values`` is the long frame (:data:`~csc_workbench.benchmarks.sources.LONG_COLUMNS`) filtered to
one published measure: one source, dataset, measure and set of filters
(:func:`mapping_values` does it from a catalogue ``benchmark:`` entry). The rules:

- only published values count: suppressed and missing values (NaN) are left out of the SN
  average, the best SN, the quartiles and the ranking, and reported with their reason;
- ``sn_average`` is the plain mean of the neighbours that have a value (``sn_available`` of
  them); ``sn_missing`` lists the others and why;
- best SN: the highest value when higher is better, the lowest when lower is better (ties go
  to the closer neighbour); None for target, within-range and monitor measures;
- quartile thresholds ``q1``, ``median``, ``q3`` are over every LA with a value that year
  (linear interpolation, as Excel's QUARTILE.INC); ``top_quartile_threshold`` is ``q3`` when
  higher is better and ``q1`` when lower is better;
- ``rank`` 1 is the best by polarity, tied values share a rank (1, 2, 2, 4), ``rank_of`` is the
  number of LAs with a value; ``quartile`` 1 is the best quarter: when higher is better, a value
  at or above ``q3`` is in quartile 1, at or above the median 2, at or above ``q1`` 3, else 4
  (mirrored when lower is better). Measures with no better direction get no rank or quartile,
  only ``position_low_to_high`` (1 = lowest value);
- authorities DfE publishes jointly (North and West Northamptonshire in the workforce census,
  one children's trust) count once each, as LAIT shows them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from csc_workbench.benchmarks import authorities, sources
from csc_workbench.benchmarks import neighbours as sn
from csc_workbench.config.catalogue import BenchmarkMapping, Indicator, Polarity


class BenchmarkError(ValueError):
    """A benchmark mapping does not match the published data (unknown measure, ambiguous filters)."""


def _polarity(polarity: Polarity | str | None) -> str:
    text = str(getattr(polarity, "value", polarity) or "none").strip().lower()
    return {"h": "high", "higher": "high", "l": "low", "lower": "low"}.get(text, text)


def _number(x: object) -> float | None:
    if x is None:
        return None
    value = float(x)  # type: ignore[arg-type]
    return None if math.isnan(value) else value


def _census_month(values: pd.DataFrame) -> int:
    if values.empty:
        return 3
    first = values.iloc[0]
    return sources.census_month(str(first["source"]), first["dataset"], str(first["measure"]))


def _neighbour_codes(neighbours: Iterable[Any]) -> list[tuple[int, str, str]]:
    out = []
    for i, item in enumerate(neighbours, start=1):
        if isinstance(item, (tuple, list)):
            rank, code, *rest = item
            out.append((int(rank), str(authorities.to_old_code(code)), str(rest[0]) if rest else ""))
        else:
            out.append((i, str(authorities.to_old_code(item)), ""))
    return out


class _Year:
    """The rows of one year, indexed for look-ups."""

    def __init__(self, values: pd.DataFrame, year: int, census_month: int) -> None:
        self.year, self.month = year, census_month
        rows = values[values["year"] == year]
        self.published = not rows.empty
        la = rows[rows["level"] == "la"]
        self.la = la.drop_duplicates("old_la_code").set_index("old_la_code")
        self.all_la = la["value"].dropna().to_numpy(dtype=float)
        self.regional = rows[rows["level"] == "regional"].drop_duplicates("region_code").set_index("region_code")
        self.national = rows[rows["level"] == "national"]
        self.latest = int(values["year"].max()) if len(values) else None
        self.levels = set(values["level"].unique())

    def name(self, code: str) -> str:
        if code in self.la.index and self.la.at[code, "la_name"]:
            return str(self.la.at[code, "la_name"])
        return authorities.la_name(code) or code

    def la_value(self, code: str | None) -> tuple[float | None, str | None]:
        if code is None:
            return None, "unknown LA code"
        if code in self.la.index:
            value = _number(self.la.at[code, "value"])
            reason = self.la.at[code, "reason"]
            if value is None:
                return None, str(reason) if reason else "no figure published"
            return value, None
        why = authorities.why_unavailable(code, self.year, self.month)
        if why:
            return None, why
        return None, self._absent(f"no figure for {self.name(code)}")

    def _absent(self, what: str) -> str:
        label = authorities.period_label(self.year, self.month)
        if self.levels and "la" not in self.levels and what != "no England figure":
            return "DfE publishes this measure for England only" if "national" in self.levels else "no LA figures"
        if not self.published:
            latest = f"; the data end at {authorities.period_label(self.latest, self.month)}" if self.latest else ""
            return f"no figures published for {label}{latest}"
        return f"{what} in the published data for {label}"

    def area(self, row: pd.Series | None, what: str) -> tuple[float | None, str | None]:
        if row is None:
            return None, self._absent(f"no {what} figure")
        value = _number(row["value"])
        if value is None:
            return None, str(row["reason"]) if row["reason"] else "no figure published"
        return value, None

    def region_row(self, region_code: str | None) -> pd.Series | None:
        if region_code is None or region_code not in self.regional.index:
            return None
        return self.regional.loc[region_code]

    def national_row(self) -> pd.Series | None:
        return self.national.iloc[0] if len(self.national) else None


def quartile_of(
    value: float | None, q1: float | None, median: float | None, q3: float | None, polarity: str
) -> int | None:
    """Quartile of a value among English LAs, 1 the best quarter (a value at or beyond the best
    quartile threshold); None without a better direction or a figure."""
    if polarity not in ("high", "low") or any(x is None or x != x for x in (value, q1, median, q3)):
        return None
    if polarity == "high":
        return 1 if value >= q3 else 2 if value >= median else 3 if value >= q1 else 4
    return 1 if value <= q1 else 2 if value <= median else 3 if value <= q3 else 4


def benchmark_set(
    values: pd.DataFrame,
    la_code: object,
    year: int,
    polarity: Polarity | str | None,
    neighbours: Iterable[Any],
    *,
    census_month: int | None = None,
) -> dict[str, Any]:
    """Benchmarks for one authority, measure and year (see the module notes for the rules).

    ``neighbours``: (rank, LA code, closeness) tuples as :func:`~csc_workbench.benchmarks.neighbours.neighbours`
    returns, or plain LA codes (old or new). Keys: year, la_code, la_name, la_value, la_reason,
    sn_average, sn_available, sn_count, sn_missing (list of {la_code, la_name, reason}),
    sn_reason, sn (each neighbour's rank, code, name, closeness, value, reason), best_sn_value,
    best_sn_la, best_sn_name, national, national_reason, region_code, region_name, regional,
    regional_reason, q1, median, q3, top_quartile_threshold, rank, rank_of, quartile,
    position_low_to_high, polarity. Missing numbers are None.
    """
    pol = _polarity(polarity)
    month = census_month or _census_month(values)
    year = int(year)
    data = _Year(values, year, month)
    code = authorities.to_old_code(la_code)
    if code is None and isinstance(la_code, str):  # a new code only the data knows
        hit = values.loc[values["new_la_code"] == la_code.strip().upper(), "old_la_code"].dropna()
        code = str(hit.iloc[0]) if len(hit) else None
    la_value, la_reason = data.la_value(code)

    listed = _neighbour_codes(neighbours)
    sn_rows, available, missing = [], [], []
    for rank, nb, closeness in listed:
        value, reason = data.la_value(nb)
        name = data.name(nb)
        sn_rows.append(
            {"rank": rank, "la_code": nb, "la_name": name, "closeness": closeness, "value": value, "reason": reason}
        )
        if value is None:
            missing.append({"la_code": nb, "la_name": name, "reason": reason})
        else:
            available.append((rank, nb, name, value))
    sn_average = float(np.mean([a[3] for a in available])) if available else None
    sn_reason = None
    if not listed:
        sn_reason = "no statistical neighbours given"
    elif not available:
        sn_reason = "none of the statistical neighbours has a published figure"

    best_value = best_code = best_name = None
    if available and pol in ("high", "low"):
        pick = max if pol == "high" else min
        target = pick(a[3] for a in available)
        _, best_code, best_name, best_value = next(a for a in available if a[3] == target)

    region = authorities.region_of(code) if code else None
    if region is None and code in data.la.index:
        rc = authorities.parent_region(data.la.at[code, "region_code"])
        region = (rc, authorities.REGIONS.get(rc, rc)) if rc else None
    regional, regional_reason = data.area(data.region_row(region[0] if region else None), "regional")
    if region is None:
        regional_reason = "the authority's region is not known"
    national, national_reason = data.area(data.national_row(), "England")

    q1 = median = q3 = None
    rank = quartile = position = None
    pool = data.all_la
    if len(pool):
        q1, median, q3 = (float(x) for x in np.percentile(pool, [25, 50, 75]))
    if la_value is not None and len(pool):
        position = int((pool < la_value).sum()) + 1
        if pol == "high":
            rank = int((pool > la_value).sum()) + 1
        elif pol == "low":
            rank = position
        quartile = quartile_of(la_value, q1, median, q3, pol)
    top = q3 if pol == "high" else q1 if pol == "low" else None

    return {
        "year": year,
        "la_code": code,
        "la_name": data.name(code) if code else None,
        "la_value": la_value,
        "la_reason": la_reason,
        "sn_average": sn_average,
        "sn_available": len(available),
        "sn_count": len(listed),
        "sn_missing": missing,
        "sn_reason": sn_reason,
        "sn": sn_rows,
        "best_sn_value": best_value,
        "best_sn_la": best_code,
        "best_sn_name": best_name,
        "national": national,
        "national_reason": national_reason,
        "region_code": region[0] if region else None,
        "region_name": region[1] if region else None,
        "regional": regional,
        "regional_reason": regional_reason,
        "q1": q1,
        "median": median,
        "q3": q3,
        "top_quartile_threshold": top,
        "rank": rank,
        "rank_of": len(pool),
        "quartile": quartile,
        "position_low_to_high": position,
        "polarity": pol,
    }


_NUMERIC = [
    "la_value",
    "sn_average",
    "best_sn_value",
    "national",
    "regional",
    "q1",
    "median",
    "q3",
    "top_quartile_threshold",
]
_INTEGER = ["rank", "quartile", "position_low_to_high"]


def benchmark_table(
    values: pd.DataFrame,
    la_code: object,
    years: Iterable[int] | None = None,
    polarity: Polarity | str | None = None,
    model: str = "auto",
    sn_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`benchmark_set` for each year (default: every year in ``values``), one row per year.

    ``model``: "auto" (the 2021 groupings up to 2020-21, the 2025 model after:
    :func:`~csc_workbench.benchmarks.neighbours.model_for_year`), "2025" or "2021";
    ``sn_table`` the neighbour lists (default: the shipped ones). Adds ``sn_model``,
    ``census_month`` (3: year ending 31 March; 9: the 30 September workforce census) and
    ``period`` ("2023-24", "30 September 2024").
    """
    if years is None:
        years = sorted(int(y) for y in values["year"].unique())
    month = _census_month(values)
    rows = []
    for year in years:
        chosen = sn.model_for_year(int(year)) if model == "auto" else str(model)
        listed = sn.neighbours(la_code, chosen, sn_table)
        row = benchmark_set(values, la_code, int(year), polarity, listed, census_month=month)
        if not listed:
            row["sn_reason"] = sn.no_neighbours_reason(la_code, chosen)
        period = authorities.period_label(int(year), month)
        rows.append({"sn_model": chosen, **row, "census_month": month, "period": period})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    for column in _NUMERIC:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    for column in _INTEGER:
        table[column] = pd.array(table[column].tolist(), dtype="Int64")
    return table


# --- catalogue mappings ---------------------------------------------------------------------
def _area_key(frame: pd.DataFrame) -> pd.Series:
    return frame["level"] + ":" + frame["old_la_code"].fillna(frame["region_code"]).fillna("")


def mapping_values(mapping: BenchmarkMapping, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` a catalogue ``benchmark:`` entry points at, values times ``scale``.

    ``filters`` may name a subset of the file's filter columns; they must leave one row per
    area and year, or :class:`BenchmarkError` lists the filter values still to choose.
    """
    rows = frame[(frame["source"] == mapping.source) & (frame["measure"] == mapping.measure)]
    where = f"{mapping.source} measure {mapping.measure!r}"
    if mapping.source == "ees":
        exact = rows["dataset"] == mapping.dataset
        if not exact.any():  # a newer download: the same file with a longer year range
            exact = rows["dataset"].map(sources.dataset_key) == sources.dataset_key(mapping.dataset)
        rows = rows[exact]
        where += f" in {mapping.dataset}"
    if rows.empty:
        raise BenchmarkError(f"{where} is not in the benchmark data")
    if mapping.filters:
        wanted = set(sources.filters_text(mapping.filters).split("; "))
        match = {text: wanted <= set((text or "").split("; ")) for text in rows["filters"].unique()}
        rows = rows[rows["filters"].map(match)]
        if rows.empty:
            raise BenchmarkError(f"{where}: no rows with filters {sources.filters_text(mapping.filters)}")
    if _area_key(rows).to_frame("k").assign(y=rows["year"]).duplicated().any():
        choices = sorted(set(rows["filters"]))
        raise BenchmarkError(
            f"{where} is published for several filter combinations; add filters to the mapping to pick one of: "
            + " | ".join(choices[:8])
        )
    rows = rows.copy()
    rows["value"] = rows["value"] * mapping.scale
    return rows


def indicator_benchmarks(
    indicator: Indicator,
    frame: pd.DataFrame,
    la_code: object,
    years: Iterable[int] | None = None,
    model: str = "auto",
    sn_table: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """The benchmark table of a catalogue indicator (None when it has no ``benchmark:`` entry),
    with the indicator's polarity and the mapping's note."""
    mapping = indicator.benchmark
    if mapping is None:
        return None
    table = benchmark_table(mapping_values(mapping, frame), la_code, years, indicator.polarity, model, sn_table)
    table.insert(0, "indicator", indicator.id)
    table["benchmark_source"] = mapping.source
    table["benchmark_measure"] = mapping.measure
    table["benchmark_note"] = mapping.note
    return table


# --- frames for the charts ------------------------------------------------------------------
def annual_series(table: pd.DataFrame, authority: str) -> pd.DataFrame:
    """A :func:`benchmark_table` as ``year`` (the financial year, "2023-24"; a 30 September 2024
    workforce figure is in "2024-25"), ``series`` (the authority, "SN average", the region,
    "England"), ``value``, ``reason``: the input of the annual trend chart."""
    rows = []
    for _, r in table.iterrows():
        label = authorities.financial_year_label(int(r["year"]), int(r.get("census_month", 3)))
        sn_reason = r["sn_reason"] or (
            f"{len(r['sn_missing'])} of {r['sn_count']} neighbours without a figure" if r["sn_missing"] else None
        )
        rows += [
            (label, authority, r["la_value"], r["la_reason"]),
            (label, "SN average", r["sn_average"], sn_reason if _missing(r["sn_average"]) else None),
            (label, r["region_name"] or "Region", r["regional"], r["regional_reason"]),
            (label, "England", r["national"], r["national_reason"]),
        ]
    frame = pd.DataFrame(rows, columns=["year", "series", "value", "reason"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    return frame


def neighbour_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A :func:`benchmark_set` result as ``la_name``, ``value``, ``reason`` for the authority and
    each neighbour: the input of the neighbour bar chart."""
    rows = [(result["la_name"], result["la_value"], result["la_reason"])]
    rows += [(r["la_name"], r["value"], r["reason"]) for r in result["sn"]]
    frame = pd.DataFrame(rows, columns=["la_name", "value", "reason"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    return frame


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
