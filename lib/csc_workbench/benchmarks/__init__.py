"""DfE benchmarks: published values for every LA, region and England, statistical neighbours,
and the benchmark set of an authority (SN average, best SN, regional and national averages,
quartile thresholds, rank and quartile).

- :mod:`.sources`: :func:`read_ees` and :func:`read_lait` read the downloads as published into
  one long frame (:data:`LONG_COLUMNS`); markers become NaN with their reason, never zero.
- :mod:`.authorities`: LA codes (old 3-digit, new 9-character), regions, reorganisations and
  :func:`why_unavailable`.
- :mod:`.neighbours`: the 2025 statistical neighbour model and the 2021 groupings,
  :func:`.neighbours.neighbours` (exported here as :func:`statistical_neighbours`, so that the
  name ``neighbours`` stays the module) and :func:`model_for_year`.
- :mod:`.compute`: :func:`benchmark_set`, :func:`benchmark_table`, :func:`mapping_values` and
  :func:`indicator_benchmarks` (a catalogue indicator's ``benchmark:`` entry).
- :mod:`.shipped`: :func:`load_shipped_benchmarks` and friends read the extract committed in
  ``csc_workbench/reference/`` (built by ``scripts/build_benchmark_extract.py``).

Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

from csc_workbench.benchmarks.authorities import (
    la_name,
    new_code_for,
    region_of,
    reorganisations,
    to_old_code,
    why_unavailable,
)
from csc_workbench.benchmarks.compute import (
    BenchmarkError,
    annual_series,
    benchmark_set,
    benchmark_table,
    indicator_benchmarks,
    mapping_values,
    neighbour_frame,
)
from csc_workbench.benchmarks.neighbours import model_for_year
from csc_workbench.benchmarks.neighbours import neighbours as statistical_neighbours
from csc_workbench.benchmarks.shipped import (
    load_shipped_benchmarks,
    load_shipped_la_codes,
    load_shipped_measures,
    load_shipped_neighbours,
)
from csc_workbench.benchmarks.sources import LONG_COLUMNS, MARKERS, read_ees, read_lait

__all__ = [
    "LONG_COLUMNS",
    "MARKERS",
    "BenchmarkError",
    "annual_series",
    "benchmark_set",
    "benchmark_table",
    "indicator_benchmarks",
    "la_name",
    "load_shipped_benchmarks",
    "load_shipped_la_codes",
    "load_shipped_measures",
    "load_shipped_neighbours",
    "mapping_values",
    "model_for_year",
    "neighbour_frame",
    "new_code_for",
    "read_ees",
    "read_lait",
    "region_of",
    "reorganisations",
    "statistical_neighbours",
    "to_old_code",
    "why_unavailable",
]
