"""Benchmark: generate the synthetic demo county, then ingest it with every measure.

Prints the generation time (target < 30 s), the time to read, validate and measure every
extract and load the atoms (36 months, every org unit and cohort; target < 30 s) and the peak
memory of the process.

    python bench/demo_ingest.py [--end-month 2026-10]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from csc_workbench.config import load_params
from csc_workbench.demo import DemoConfig, generate_demo
from csc_workbench.load import load_demo
from csc_workbench.store import Store

ROOT = Path(__file__).resolve().parent.parent


def count_rows(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


def peak_memory_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory (Linux reports KiB); RUSAGE_CHILDREN is the largest worker process."""
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--end-month", default="2026-10")
    args = parser.parse_args()
    params = load_params(ROOT / "params")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        files = generate_demo(root / "demo", params, DemoConfig(end_month=args.end_month))
        generated = time.perf_counter() - started
        rows = sum(count_rows(p) for p in root.rglob("*.csv"))
        memory_after_generation = peak_memory_mib()
        store = Store(root / "store.duckdb")
        started = time.perf_counter()
        load_demo(files, params, store, quarantine_dir=root / "quarantine")
        ingested = time.perf_counter() - started
        atoms = len(store.latest())
        vintages = len(store.vintages())
    print(f"demo county: {rows:,} CSV rows in {len(files.snapshots) + 2} files/folders")
    print(f"generation: {generated:.1f} s (target < 30 s); peak memory so far {memory_after_generation:,.0f} MiB")
    print(f"ingest + every measure: {ingested:.1f} s for {vintages} vintages, {atoms:,} latest atoms (target < 30 s)")
    print(
        f"peak memory: main process {peak_memory_mib():,.0f} MiB, "
        f"largest worker process {peak_memory_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )
    return 0 if generated < 30 and ingested < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
