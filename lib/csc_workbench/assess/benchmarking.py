"""Benchmarks for the catalogue's indicators: DfE figures for the authority (or, for the
synthetic demo, its real comparator), its statistical neighbours, region and England, next to
the authority's own annual values from the store.

DfE figures come from the store where a council has loaded its own downloads (``cscw ingest
benchmarks``), and otherwise from the extract shipped with the workbench.
"""

from __future__ import annotations

import pandas as pd

from csc_workbench.assess.trend import read_annual_trend
from csc_workbench.benchmarks import indicator_benchmarks, la_name
from csc_workbench.benchmarks.shipped import load_shipped_benchmarks
from csc_workbench.config import Params
from csc_workbench.store.atoms import Store


def dfe_figures(store: Store | None = None) -> pd.DataFrame:
    """The long frame of DfE figures: loaded downloads first, the shipped extract for the rest."""
    shipped = load_shipped_benchmarks()
    loaded = store.benchmarks() if store is not None else pd.DataFrame()
    if loaded.empty:
        return shipped
    keys = ["source", "dataset", "measure"]
    loaded_keys = loaded[keys].drop_duplicates()
    rest = shipped.merge(loaded_keys, on=keys, how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([loaded, rest], ignore_index=True)


def comparison_label(params: Params) -> str:
    """Whose figures the benchmarks are: says so on every chart of the synthetic demo."""
    code = params.authority.benchmark_la_code
    if params.authority.synthetic and code:
        return (
            f"{params.authority.short_name} is fictional (SYNTHETIC data), compared with the statistical neighbours, "
            f"region and England figures of {la_name(code) or code}"
        )
    return f"{params.authority.name}: DfE published figures"


def indicator_benchmark_table(
    params: Params,
    indicator_id: str,
    la_code: str | None = None,
    years: list[int] | None = None,
    model: str = "auto",
    store: Store | None = None,
) -> pd.DataFrame | None:
    """Benchmarks of one catalogue indicator for an LA (default: the authority's benchmark code),
    one row per year; None when the indicator has no DfE equivalent."""
    code = la_code or params.authority.benchmark_la_code
    if code is None:
        raise ValueError("no LA code: set la_code_new or la_code_old (or comparator_la_code) in authority.yml")
    return indicator_benchmarks(params.catalogue[indicator_id], dfe_figures(store), code, years, model)


def annual_comparison(
    store: Store, params: Params, indicator_id: str, month: str | int, years: int = 5
) -> pd.DataFrame:
    """``year``, ``series``, ``value``, ``reason``: the authority's own financial-year values from
    its data, with the SN average, region and England for the years DfE has published, over the
    last ``years`` financial years (the year to date included). For the synthetic demo the
    authority's values are synthetic and the benchmarks are its comparator's."""
    own = read_annual_trend(store, params, month, indicators=[indicator_id])
    rows = [
        (row.year, params.authority.short_name, row.value, row.note if row.status != "ok" else None)
        for row in own.itertuples()
    ]
    table = indicator_benchmark_table(params, indicator_id, store=store)
    if table is not None and not table.empty:
        for r in table.itertuples():
            label = f"{int(r.year) - 1}-{int(r.year) % 100:02d}"
            rows += [
                (label, "SN average", r.sn_average, r.sn_reason if pd.isna(r.sn_average) else None),
                (label, r.region_name or "Region", r.regional, r.regional_reason),
                (label, "England", r.national, r.national_reason),
            ]
            if not params.authority.synthetic:
                rows.append((label, f"{params.authority.short_name} (published)", r.la_value, r.la_reason))
    frame = pd.DataFrame(rows, columns=["year", "series", "value", "reason"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    recent = sorted(frame["year"].unique())[-years:]
    frame = frame[frame["year"].isin(recent)]
    return frame.sort_values(["year", "series"], kind="stable").reset_index(drop=True)
