"""Benchmark: the demo pack's page weights and chart drawing times, light pages against before.

"Before" is the pack as the baseline revision built it (every page inlining the 0.9 MB vega,
vega-lite and vega-embed bundle, every chart drawn in the browser from its spec); "after" is the
pack of this working tree (charts drawn as SVG when the notebooks run, the chart runtime loaded
from the pack's assets/ only by pages with an interactive chart). Both are built from the
SYNTHETIC demo county (the baseline with its own code, params and store, from ``git archive``:
nothing in the repository changes), or read from pack folders given with ``--before`` and
``--after``.

Prints, page by page and side by side: the weight of the HTML file (and, after, with the chart
runtime for the pages that load it), and the time headless Chromium (Debian's, driven by
Playwright, every request off the machine refused, a fresh cache for every load) takes from
navigation to every chart drawn (a static chart's inline SVG is there; an interactive chart has
been drawn live by vegaEmbed), the median of ``--loads`` loads; then the medians and maxima, the
load of a bare page (the pack's header alone) and whether the targets hold: median page at most
600 kB, none over 1.5 MB, every page's charts drawn within 1 s of the bare page's load.

    python bench/page_weight.py [--org-units Northmoor] [--before DIR] [--after DIR] [--loads 3]

kB are 1,000 bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from csc_workbench.pack.html import PageHeader, stylesheet
from csc_workbench.pack.pdf import CHROMIUM
from csc_workbench.pack.render import RUNTIME_PATH

ROOT = Path(__file__).resolve().parent.parent
#: The last revision whose pages inline the chart runtime and draw every chart in the browser.
BASELINE = "4f3dbae"
TARGET_MEDIAN, TARGET_MAX, TARGET_DRAW_MS = 600_000, 1_500_000, 1000.0
#: Every chart drawn: a static chart holds its SVG, an interactive one has been drawn live.
DRAWN = """() => document.readyState === "complete" &&
  Array.from(document.querySelectorAll(".cscw-chart")).every(c =>
    c.querySelector("svg, canvas") &&
    (!c.classList.contains("cscw-interactive") || c.hasAttribute("data-cscw-drawn")))"""


def build_demo(cscw: list[str], params: Path, folder: Path, org_units: list[str], env: dict[str, str]) -> Path:
    """Generate and load the demo county, then build its latest month's pack, with ``cscw``."""
    store, common = folder / "demo.duckdb", ["--params", str(params)]
    for command in (
        ["demo", "--ingest", "--out", str(folder / "data"), "--store", str(store), *common],
        ["run", "--month", "latest", "--org-units", *org_units, "--store", str(store), "--out", str(folder / "out"),
         *common],
    ):  # fmt: skip
        subprocess.run([*cscw, *command], check=True, env=env, cwd=folder, stdout=subprocess.DEVNULL)
    return next((folder / "out").iterdir())


def build(folder: Path, org_units: list[str], revision: str | None = None) -> Path:
    """The demo pack of this working tree, or of ``revision``: its code, params and notebooks from
    ``git archive``, run with this environment's Python (its library first on the path, for the
    kernels too)."""
    folder.mkdir()
    cscw = [sys.executable, "-m", "csc_workbench.cli"]
    if revision is None:
        return build_demo(cscw, ROOT / "params", folder, org_units, dict(os.environ))
    source = folder / "source"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    env = os.environ | {"PYTHONPATH": str(source / "lib")}
    return build_demo(cscw, source / "params", folder, org_units, env)


def pages_of(pack: Path) -> list[Path]:
    return sorted(p for p in pack.glob("*.html") if p.name != "index.html")


def _block_remote(route) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def draw_ms(browser, page: Path, loads: int, ready: str = DRAWN) -> float:
    """Median milliseconds from navigation to ``ready`` over ``loads`` loads, each with a fresh cache."""
    times = []
    for _ in range(loads):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", _block_remote)
        tab = context.new_page()
        tab.goto(page.resolve().as_uri(), wait_until="commit")
        tab.wait_for_function(ready, polling="raf", timeout=60_000)
        times.append(tab.evaluate("performance.now()"))
        context.close()
    return statistics.median(times)


def bare_page(folder: Path) -> Path:
    """A page with the pack's header and stylesheet and nothing else."""
    header = PageHeader("Northmoor County Council", "Nov 2026", "30 November 2026", True, "Bare page")
    path = folder / "bare.html"
    path.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bare page</title>{stylesheet(header)}'
        f"</head><body>{header.html()}</body></html>",
        encoding="utf-8",
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org-units", nargs="+", default=["Northmoor"])
    parser.add_argument("--before", type=Path, default=None, help="a pack folder built the baseline's way")
    parser.add_argument("--after", type=Path, default=None, help="a pack folder built by this working tree")
    parser.add_argument("--loads", type=int, default=3, help="loads of each page (the median is shown)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cscw-page-weight-") as tmp:
        work = Path(tmp)
        if args.before is None:
            print(f"building the demo pack at {BASELINE} (before) ...", flush=True)
        before = args.before or build(work / "before", args.org_units, BASELINE)
        if args.after is None:
            print("building the demo pack of this working tree (after) ...", flush=True)
        after = args.after or build(work / "after", args.org_units)
        runtime = after / RUNTIME_PATH
        runtime_bytes = runtime.stat().st_size if runtime.exists() else 0
        rows: list[Row] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
            bare = draw_ms(browser, bare_page(work), args.loads, "() => document.readyState === 'complete'")
            for new in pages_of(after):
                old = before / new.name
                weight = new.stat().st_size
                loads_runtime = RUNTIME_PATH in new.read_text(encoding="utf-8")
                rows.append(
                    Row(new.name, old.stat().st_size if old.exists() else None, weight,
                        weight + runtime_bytes if loads_runtime else None,
                        draw_ms(browser, old, args.loads) if old.exists() else None,
                        draw_ms(browser, new, args.loads))
                )  # fmt: skip
                print(".", end="", flush=True)
            browser.close()
    print()
    report(rows, runtime_bytes, bare)
    median, largest, slowest = (
        statistics.median(r.after for r in rows),
        max(r.after for r in rows),
        max(r.after_ms for r in rows) - bare,
    )
    checks = [
        (f"median page {median / 1000:.0f} kB <= {TARGET_MEDIAN / 1000:.0f} kB", median <= TARGET_MEDIAN),
        (f"largest page {largest / 1000:.0f} kB <= {TARGET_MAX / 1000:.0f} kB", largest <= TARGET_MAX),
        (f"every page's charts drawn within {TARGET_DRAW_MS:.0f} ms of a bare page's load (slowest {slowest:+.0f} ms)",
         slowest <= TARGET_DRAW_MS),
    ]  # fmt: skip
    for text, ok in checks:
        print(f"{'ok' if ok else 'MISSED'}: {text}")
    return 0 if all(ok for _, ok in checks) else 1


class Row(NamedTuple):
    page: str
    before: int | None  # bytes (None: the page is new since the baseline)
    after: int
    with_runtime: int | None  # bytes with the chart runtime, for a page that loads it
    before_ms: float | None
    after_ms: float


def _cell(value: float | None, scale: float, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value / scale:{width}.0f}"


def report(rows: list[Row], runtime_bytes: int, bare: float) -> None:
    """The table, page by page, then the medians and maxima of each column (over the pages that have one)."""
    width = max(len(r.page) for r in rows)
    scales = (1000, 1000, 1000, 1, 1)
    print(f"{'page':<{width}}  {'before kB':>9}  {'after kB':>8}  {'+runtime':>8}  {'before ms':>9}  {'after ms':>8}")
    for r in rows:
        print(
            f"{r.page:<{width}}"
            + "".join(f"  {_cell(v, s, w)}" for v, s, w in zip(r[1:], scales, (9, 8, 8, 9, 8), strict=True))
        )
    columns = [[v for v in column if v is not None] for column in list(zip(*rows, strict=True))[1:]]
    for label, summary in (("median", statistics.median), ("max", max)):
        values = [summary(c) if c else None for c in columns]
        print(
            f"{label:<{width}}"
            + "".join(f"  {_cell(v, s, w)}" for v, s, w in zip(values, scales, (9, 8, 8, 9, 8), strict=True))
        )
    loading = sum(r.with_runtime is not None for r in rows)
    print(
        f"{len(rows)} pages ({sum(r.before is None for r in rows)} new since {BASELINE}: '-' before); the chart "
        f"runtime ({runtime_bytes / 1000:.0f} kB, {RUNTIME_PATH}) is loaded after the page by the {loading} with an "
        "interactive chart"
    )
    both = [r for r in rows if r.before_ms is not None]
    before_ms = statistics.median(r.before_ms for r in both)
    after_ms = statistics.median(r.after_ms for r in both)
    print(
        f"bare page load {bare:.0f} ms; the pages of both: charts drawn in a median {before_ms:.0f} ms before, "
        f"{after_ms:.0f} ms after ({before_ms / after_ms:.1f} times faster)"
    )


if __name__ == "__main__":
    sys.exit(main())
