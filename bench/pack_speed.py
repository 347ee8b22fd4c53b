"""Benchmark: the full demo pack built by ``cscw run`` against the naive way, side by side.

The full pack is the authority and its four areas, every notebook (scorecard, portfolio
dashboard, exceptions and the ten area pages, then the guidance notes and the accessibility
statement once): 67 pages. The naive way runs the same notebooks one after another with the
``papermill`` and ``jupyter nbconvert --to html`` command lines (a process, a kernel and the
library imports for every page, then a second process to convert it). Prints both times, the
speed-up, the largest page and whether the targets hold: at least 3 times faster, under 90 s,
every page at most 2 MB.

    python bench/pack_speed.py [--store data/demo.duckdb] [--skip-naive]

The demo store is generated and loaded first when it does not exist (not timed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from csc_workbench.config import load_params
from csc_workbench.pack.run import DEFAULT_NOTEBOOKS, build_pack, plan_pages, validate
from csc_workbench.periods import month_text
from csc_workbench.store import Store

ROOT = Path(__file__).resolve().parent.parent
ORG_UNITS = ["Northmoor", "North Northmoor", "South Northmoor", "East Northmoor", "West Northmoor"]
TARGET_SPEED_UP, TARGET_SECONDS, TARGET_PAGE_BYTES = 3.0, 90.0, 2 * 1024 * 1024


def ensure_store(path: Path) -> None:
    if path.exists():
        return
    print(f"{path} not found: generating and loading the demo county (not timed)")
    subprocess.run([str(Path(sys.executable).parent / "cscw"), "demo", "--ingest", "--store", str(path)], check=True)


def naive(pages, folder: Path) -> float:
    """Every page with the papermill CLI, then the nbconvert CLI, one after another."""
    bin_dir = Path(sys.executable).parent
    started = time.perf_counter()
    for page in pages:
        executed = folder / f"{page.output}.ipynb"
        command = [str(bin_dir / "papermill"), str(DEFAULT_NOTEBOOKS / f"{page.notebook}.ipynb"), str(executed)]
        for name, value in page.parameters.items():
            command += ["-r", name, str(value)]
        subprocess.run([*command, "--no-progress-bar", "-k", "python3"], check=True, capture_output=True)
        subprocess.run(
            [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--skip-naive", action="store_true", help="time the pack only")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: cscw run's)")
    args = parser.parse_args()
    store_path = args.store.resolve()
    ensure_store(store_path)
    params = load_params(ROOT / "params")
    month, units, areas = validate("latest", params, Store(store_path), ORG_UNITS, None, DEFAULT_NOTEBOOKS)
    pages = plan_pages(month_text(month), units, areas, params, store_path, ROOT / "params")
    print(f"pack for {month_text(month)}: {len(pages)} pages ({len(units)} org units), {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        result = build_pack(
            "latest", ROOT / "params", store_path, out / "pack", ORG_UNITS, jobs=args.jobs, progress=False
        )
        ours = time.perf_counter() - started
        if result.failures:
            print("FAILED pages:", ", ".join(p.page.output for p in result.failures))
            return 1
        sizes = {p.html.name: p.html.stat().st_size for p in result.pages if p.html}
        largest = max(sizes, key=sizes.get)
        print(f"cscw run (warm kernels, {len(pages)} pages): {ours:.1f} s")
        by_notebook: dict[str, list[float]] = {}
        for p in result.pages:
            by_notebook.setdefault(p.page.notebook, []).append(p.seconds)
        slowest = sorted(by_notebook.items(), key=lambda kv: -sum(kv[1]))
        means = ", ".join(f"{name} {sum(times) / len(times):.2f}" for name, times in slowest)
        print(f"mean seconds per page (execute and convert, in a worker): {means}")
        phases = {k: sum(p.phases.get(k, 0.0) for p in result.pages) for k in ("execute", "convert", "images")}
        print("worker seconds, all pages: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))
        print(f"largest page: {largest} {sizes[largest] / 1e6:.2f} MB; pages over 2 MB: "
              f"{sum(s > TARGET_PAGE_BYTES for s in sizes.values())}")  # fmt: skip
        checks = [
            ("under 90 s", ours < TARGET_SECONDS),
            ("every page <= 2 MB", max(sizes.values()) <= TARGET_PAGE_BYTES),
        ]
        if not args.skip_naive:
            (out / "naive").mkdir()
            slow = naive(pages, out / "naive")
            print(f"naive papermill + nbconvert CLIs, one after another: {slow:.1f} s")
            print(f"speed-up: {slow / ours:.1f}x")
            checks.append(("at least 3x faster", slow / ours >= TARGET_SPEED_UP))
    for name, ok in checks:
        print(f"{'met' if ok else 'NOT MET'}: {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
