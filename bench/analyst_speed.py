"""Benchmark: how quickly ``cscw`` answers an analyst, today's code against an earlier commit's, side by side.

Four figures, each measured in pairs (the earlier commit, then this tree, in turn), medians printed
beside the issue's limits:

- ``cscw --help`` (limit 0.3 s) and ``cscw check`` (limit 1 s), as whole processes;
- the first page of ``cscw run`` for the authority (a one-org-unit pack) written, counted from the
  start of the command (limit 5 s); the run is stopped once that page is there;
- ``cscw run`` again after one commentary edit (the authority's commentary on one indicator), the
  whole command (limit 5 s): today's code rebuilds only the pages showing that commentary, the
  earlier commit rebuilds the pack.

The earlier commit (``--before``, default the last commit before this work) is checked out in a
temporary git worktree and run with the same Python and packages, its ``lib/`` first on the path
(``PYTHONPATH``, so the kernels ``cscw run`` starts run that library too).

    python bench/analyst_speed.py [--before REF] [--store data/demo.duckdb] [--repeat 3]

The demo store is generated and loaded first when it does not exist (not timed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from csc_workbench.periods import month_text
from csc_workbench.store import Store

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "186c532"  # main before the quick-answer work of issue 13
LIMITS = {"cscw --help": 0.3, "cscw check": 1.0, "first page of cscw run": 5.0, "cscw run after a commentary edit": 5.0}
EDITED = "referrals_to_assessment"  # the indicator whose commentary the analyst edits


CSCW = [sys.executable, "-c", "import sys; from csc_workbench.cli import main; sys.exit(main())"]


def running(tree: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment running the library of ``tree``, in ``cscw`` and in the kernels it starts."""
    return env | {"PYTHONPATH": str(tree / "lib")}


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def first_page(command: list[str], out: Path, env: dict[str, str]) -> float:
    """Seconds from the start of ``cscw run`` to its first page written; the run is then stopped."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        while not any(out.glob(".building-*/*.html")):
            if process.poll() is not None:
                raise RuntimeError(f"cscw run ended ({process.returncode}) before writing a page")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)


def edit_commentary(params: Path, month: str, round_: int) -> None:
    """The analyst's edit: a new sentence in the authority's commentary on one indicator."""
    path = params / "commentary" / f"{month}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault("commentary", {})[EDITED] = f"*Synthetic demo text.* Revised reading number {round_}."
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the earlier commit to compare with")
    parser.add_argument("--store", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of pack runs (5 times as many CLI pairs)")
    args = parser.parse_args()
    store = args.store.resolve()
    if not store.exists():
        print(f"{store} not found: generating and loading the demo county (not timed)")
        subprocess.run([*CSCW, "demo", "--ingest", "--store", str(store)], check=True, cwd=ROOT,
                       env=running(ROOT, dict(os.environ)))  # fmt: skip
    month = month_text(Store(store).latest_month())
    env = os.environ | {"CSCW_STORE": str(store)}
    figures: dict[str, dict[str, list[float]]] = {name: {"before": [], "now": []} for name in LIMITS}
    with tempfile.TemporaryDirectory(prefix="cscw-bench-") as tmp:
        work = Path(tmp)
        before_tree = work / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before],
                       check=True, capture_output=True)  # fmt: skip
        sides = {"before": before_tree, "now": ROOT}
        for side in sides:  # each side its own copy of the params, commentary included
            shutil.copytree(ROOT / "params", work / f"params-{side}", ignore=shutil.ignore_patterns("examples"))

        def pairs(name: str, repeat: int, measure: Callable[[str, Path], float]) -> None:
            for _ in range(repeat):
                for side, tree in sides.items():
                    figures[name][side].append(measure(side, tree))

        def pack_command(side: str, out: Path) -> list[str]:
            return [*CSCW, "run", "--month", month, "--params", str(work / f"params-{side}"),
                    "--store", str(store), "--out", str(out)]  # fmt: skip

        def help_(side: str, tree: Path) -> float:
            return timed([*CSCW, "--help"], running(tree, env))

        def check(side: str, tree: Path) -> float:
            return timed([*CSCW, "check", "--params", str(ROOT / "params")], running(tree, env))

        def first(side: str, tree: Path) -> float:
            out = work / f"first-{side}"
            return first_page(pack_command(side, out), out, running(tree, env))

        rounds = iter(range(1, 1000))

        def after_edit(side: str, tree: Path) -> float:
            edit_commentary(work / f"params-{side}", month, next(rounds))
            return timed(pack_command(side, work / f"pack-{side}"), running(tree, env))

        try:
            pairs("cscw --help", 5 * args.repeat, help_)
            pairs("cscw check", 5 * args.repeat, check)
            pairs("first page of cscw run", args.repeat, first)
            for side, tree in sides.items():  # each side's pack, built once before the edits (not timed)
                command = pack_command(side, work / f"pack-{side}")
                subprocess.run(command, check=True, capture_output=True, env=running(tree, env))
            pairs("cscw run after a commentary edit", args.repeat, after_edit)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)], check=False)

    print(f"demo store {store}, month {month}; earlier commit {args.before}; medians of pairs, seconds")
    print(f"{'figure':36} {'earlier':>8} {'now':>8} {'ratio':>7} {'limit':>6}  holds")
    for name, limit in LIMITS.items():
        before, now = statistics.median(figures[name]["before"]), statistics.median(figures[name]["now"])
        holds = "yes" if now <= limit else "NO"
        print(f"{name:36} {before:8.2f} {now:8.2f} {before / now:6.1f}x {limit:6.1f}  {holds}")


if __name__ == "__main__":
    main()
