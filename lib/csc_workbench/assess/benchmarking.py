"""Benchmarks for the catalogue's indicators: DfE figures for the authority (or, for the
synthetic demo, its real comparator), its statistical neighbours, region and England, worked out
once per store state for the pages of a pack.

DfE figures come from the store where a council has loaded its own downloads (``cscw ingest
benchmarks``), and otherwise from the extract shipped with the workbench.
"""

from __future__ import annotations

import pandas as pd

from csc_workbench.benchmarks import indicator_benchmarks, la_name
from csc_workbench.benchmarks.shipped import load_shipped_benchmarks
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Indicator
from csc_workbench.periods import financial_year_start
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


#: DfE benchmark tables already worked out in this process, keyed by the store file's state: the
#: pages of every org unit show the same LA-level benchmarks, so a warm pack kernel works each
#: out once. Any write to the store (a new mtime or size) makes a new key.
_BENCHMARK_CACHE: dict[tuple, pd.DataFrame | None] = {}
_FIGURES_CACHE: dict[tuple, pd.DataFrame] = {}


def _store_state(store: Store) -> tuple:
    try:
        stat = store.path.stat()
    except OSError:
        return (str(store.path),)
    return (str(store.path.resolve()), stat.st_mtime_ns, stat.st_size)


def cached_benchmark_table(
    store: Store, params: Params, ind: Indicator, month: int, years: int = 6
) -> pd.DataFrame | None:
    """The indicator's DfE benchmark table for the last ``years`` years to the report month's
    financial year (None without a benchmark or an LA to compare with); the DfE figures are read
    once per store state."""
    code = params.authority.benchmark_la_code
    if ind.benchmark is None or code is None:
        return None
    last = financial_year_start(month) + 1
    wanted = list(range(last - years + 1, last + 1))
    state = _store_state(store)
    key = (state, ind.id, ind.polarity.value, ind.benchmark.model_dump_json(), str(code), tuple(wanted))
    if key not in _BENCHMARK_CACHE:
        if len(_BENCHMARK_CACHE) > 512:
            _BENCHMARK_CACHE.clear()
        if state not in _FIGURES_CACHE:
            _FIGURES_CACHE.clear()  # one store at a time
            _FIGURES_CACHE[state] = dfe_figures(store)
        _BENCHMARK_CACHE[key] = indicator_benchmarks(ind, _FIGURES_CACHE[state], code, wanted)
    table = _BENCHMARK_CACHE[key]
    return None if table is None else table.copy()
