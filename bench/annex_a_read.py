"""Benchmark: the demo's full Annex A extract read as CSV files and as one .xlsx workbook.

Generates the SYNTHETIC demo county's full extract (about 330,000 rows in 11 lists), writes the same rows as one
workbook (openpyxl in write-only mode, as the project has it: dates as date cells, counts as numbers, text as inline
strings), then times each form in a fresh process, ``--runs`` times:

- read: ``read_annex_a`` (open, find headers, type, validate, quarantine);
- read + measure: ``measure_annex_a``, what ``cscw ingest annex-a`` does before it stores anything (every catalogue
  indicator's atoms and the breakdowns).

Prints the median wall and CPU time of each, the workbook/CSV ratio (target: the workbook reads in at most twice the
time of the CSV files) and the peak memory (resident set) of the process. Exits 1 when the read misses the target.
The machine should be quiet: the workbook's read is parsed by calamine on one core while Python types the sheets on
the other, so anything else running weighs on the workbook more than on the CSV files.

    python bench/annex_a_read.py [--runs 3] [--end-month 2026-10] [--workdir DIR]

``--workdir`` keeps the generated extract and workbook in DIR and reuses them on the next run (writing the workbook
takes a minute).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2099, 1, 1)  # no event of the demo is "in the future"
TARGET = 2.0


def write_workbook(folder: Path, path: Path) -> int:
    """The lists of a CSV extract as one workbook, a sheet per list; returns the data rows written."""
    import openpyxl

    from csc_workbench.ingest.annex_a_spec import LISTS

    book = openpyxl.Workbook(write_only=True)
    rows = 0
    for spec in LISTS.values():
        kinds = {column.header: column.kind for column in spec.columns}
        sheet = book.create_sheet(spec.sheet)
        with open(folder / f"{spec.sheet}.csv", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            sheet.append(header)
            convert = [_converter(kinds.get(name, "text")) for name in header]
            for row in reader:
                sheet.append([f(value) for f, value in zip(convert, row, strict=True)])
                rows += 1
    book.save(path)
    return rows


def _converter(kind: str):
    if kind == "date":
        return lambda text: datetime.strptime(text, "%d/%m/%Y") if text else None
    if kind in ("integer", "years"):
        return lambda text: int(text) if text else None
    return lambda text: text or None


def child(mode: str, path: str, as_at: str) -> None:
    """One timed run in this process; prints seconds (wall and CPU), rows and peak memory as JSON."""
    from csc_workbench.ingest.annex_a import read_annex_a

    cpu_before = _cpu()
    if mode == "read":
        started = time.perf_counter()
        annex = read_annex_a(path, today=TODAY)
        seconds = time.perf_counter() - started
        rows = sum(len(frame) for frame in annex.lists.values())
    else:
        from csc_workbench.config import load_params
        from csc_workbench.load import measure_annex_a

        params = load_params(ROOT / "params")
        with tempfile.TemporaryDirectory() as quarantine:
            started = time.perf_counter()
            atoms, _, _ = measure_annex_a(path, params, as_at, quarantine_dir=quarantine, today=TODAY)
            seconds = time.perf_counter() - started
        rows = len(atoms)
    cpu = _cpu() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mib": peak}))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(mode: str, paths: list[Path], as_at: str, runs: int) -> list[tuple[float, float, float, int]]:
    """Per path: median seconds, median CPU seconds, largest peak memory (MiB) and rows (or atoms) over ``runs``
    fresh processes. The paths take turns, run after run, so that a busy spell on the machine weighs on each
    alike."""
    results: list[list[dict]] = [[] for _ in paths]
    for _ in range(runs):
        for path, mine in zip(paths, results, strict=True):
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(path), as_at],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            mine.append(json.loads(out.splitlines()[-1]))
    return [
        (
            statistics.median(r["seconds"] for r in mine),
            statistics.median(r["cpu"] for r in mine),
            max(r["peak_mib"] for r in mine),
            mine[0]["rows"],
        )
        for mine in results
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--end-month", default="2026-10")
    parser.add_argument("--workdir", type=Path, default=None, help="keep and reuse the extract and workbook here")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "AS_AT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    import pandas as pd

    from csc_workbench.config import load_params
    from csc_workbench.demo import DemoConfig, generate_demo

    as_at = (pd.Timestamp(f"{args.end_month}-01") + pd.offsets.MonthEnd(0)).date().isoformat()
    with tempfile.TemporaryDirectory() as folder:
        root = args.workdir or Path(folder)
        extract = root / "demo" / f"annex_a_synthetic_full_{args.end_month}"
        workbook = root / f"annex_a_full_{args.end_month}.xlsx"
        if not (workbook.exists() and extract.exists()):
            params = load_params(ROOT / "params")
            extract = generate_demo(root / "demo", params, DemoConfig(end_month=args.end_month)).full_extract
            started = time.perf_counter()
            rows = write_workbook(extract, workbook.with_suffix(".partial.xlsx"))
            workbook.with_suffix(".partial.xlsx").rename(workbook)
            print(f"workbook of {rows:,} rows written once with openpyxl in {time.perf_counter() - started:.0f} s")
        print(
            f"demo full extract, 11 lists: CSV files {_mib(extract):.0f} MiB, "
            f"workbook {workbook.stat().st_size / 2**20:.0f} MiB"
        )
        print(f"median of {args.runs} runs, each in a fresh process, CSV and workbook in turn:")
        ratios = {}
        for mode, what in (("read", "rows"), ("load", "atoms")):
            (csv_s, csv_cpu, csv_mib, csv_n), (xlsx_s, xlsx_cpu, xlsx_mib, xlsx_n) = timed(
                mode, [extract, workbook], as_at, args.runs
            )
            assert csv_n == xlsx_n, (mode, csv_n, xlsx_n)
            ratios[mode] = xlsx_s / csv_s
            label = "read" if mode == "read" else "read + measure"
            print(
                f"  {label:<15} CSV {csv_s:5.2f} s (CPU {csv_cpu:4.1f} s), peak {csv_mib:,.0f} MiB | "
                f".xlsx {xlsx_s:5.2f} s (CPU {xlsx_cpu:4.1f} s), peak {xlsx_mib:,.0f} MiB | "
                f"workbook/CSV {ratios[mode]:.2f}x ({csv_n:,} {what})"
            )
    verdict = "met" if ratios["read"] <= TARGET else "MISSED"
    print(f"target: the workbook reads in at most {TARGET:g}x the time of the CSV files: {verdict}")
    return 0 if ratios["read"] <= TARGET else 1


def _mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*.csv")) / 2**20


if __name__ == "__main__":
    sys.exit(main())
