"""Benchmark: how a region's monthly run grows with its councils, and the national run.

Synthetic regions of 1, 10, 50 and 153 councils whose sizes are the real authorities' (ONS
mid-year 0-17 populations; :mod:`csc_workbench.demo.region`), 36 months each, run on a local Dask
cluster of ``--workers`` processes (default 2, this machine's cores):

- **ingest plus measures**: every council's Annex A extract and returns read, validated,
  measured and stored in its own store, and its contribution stored in the regional store
  (``load_councils``): seconds, Annex A rows read per second, and the peak memory of all the
  processes together (the command and its workers), sampled every 0.1 s;
- **pages**: the packs of the region's first ``--pack-councils`` councils (each with its
  regional section) on 1, 2 and 4 workers: pages per second.

The regions are generated once under ``--data`` (not timed). The national run (153 councils,
about 15 million Annex A rows over 36 months) is compared with its limits: 5 minutes and 8 GB.

    python bench/region_scale.py [--sizes 1 10 50 153] [--workers 2] [--pack-councils 2]
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path

import psutil

from csc_workbench.config.region import OUTPUTS, STORE, load_region
from csc_workbench.demo.region import generate_region
from csc_workbench.pack.region import cluster, load_councils, pack_councils

ROOT = Path(__file__).resolve().parent.parent
END = "2026-10"
LIMIT_SECONDS, LIMIT_BYTES = 300.0, 8 * 1024**3


class PeakMemory:
    """The peak resident memory of this process and all its children, sampled in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:  # ended meanwhile
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def region_of(size: int, data: Path) -> Path:
    """A region of ``size`` councils under ``data``, generated when missing (not timed)."""
    folder = data / f"region_{size}"
    if not (folder / "region.yml").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        generate_region(folder, size, END)
        print(f"generated {size} councils in {time.perf_counter() - started:.0f} s (not timed)", flush=True)
    return folder


def fresh(folder: Path) -> None:
    """Every council's store and pack, and the regional store and pack, removed: a first load."""
    region = load_region(folder)
    for council in region.councils:
        (region.council_folder(council) / STORE).unlink(missing_ok=True)
        shutil.rmtree(region.council_folder(council) / OUTPUTS, ignore_errors=True)
    region.store_path.unlink(missing_ok=True)
    shutil.rmtree(region.outputs, ignore_errors=True)


def ingest(folder: Path, workers: int) -> tuple[float, int, int, int]:
    """(seconds, Annex A rows read, councils loaded, peak bytes) of loading the whole region."""
    fresh(folder)
    region = load_region(folder)
    with PeakMemory() as memory, cluster(workers=workers) as client:
        started = time.perf_counter()
        outcomes = load_councils(client, region, END, say=lambda text: print(text, flush=True))
        seconds = time.perf_counter() - started
    loaded = [o.load for o in outcomes.values() if o.load is not None]
    return seconds, sum(load.annex_a_rows for load in loaded), len(loaded), memory.peak


def pages(folder: Path, councils: int, workers: int) -> tuple[float, int]:
    """(seconds, pages) of the packs of the region's first ``councils`` councils on ``workers``
    workers (their stores loaded first if they are not, not timed)."""
    region = load_region(folder)
    chosen = region.councils[:councils]
    for council in chosen:
        shutil.rmtree(region.council_folder(council) / OUTPUTS, ignore_errors=True)
    with cluster(workers=workers) as client:
        outcomes = load_councils(client, region.model_copy(update={"councils": chosen}), END)
        started = time.perf_counter()
        done = pack_councils(client, region, END, chosen, outcomes)
        seconds = time.perf_counter() - started
    return seconds, sum(o.pages for o in done.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 153])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pack-councils", type=int, default=2, help="councils whose packs time the pages")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        folder = region_of(size, args.data)
        seconds, annex_a_rows, loaded, peak = ingest(folder, args.workers)
        rows.append((size, loaded, seconds, annex_a_rows, peak))
        print(f"{size} councils: ingest plus measures {seconds:.1f} s", flush=True)
    print(f"\ningest plus measures on a local cluster of {args.workers} workers (a first load of every council)")
    heads = ("councils", "loaded", "seconds", "s/council", "Annex A rows", "rows/s", "peak GB")
    print(" ".join(f"{head:>{width}}" for head, width in zip(heads, (8, 7, 8, 9, 13, 9, 8), strict=True)))
    for size, loaded, seconds, annex_a_rows, peak in rows:
        print(f"{size:>8} {loaded:>7} {seconds:>8.1f} {seconds / size:>9.2f} {annex_a_rows:>13,} "
              f"{annex_a_rows / seconds:>9,.0f} {peak / 1024**3:>8.2f}")  # fmt: skip
    national = [r for r in rows if r[0] == 153]
    if national:
        _, _, seconds, _, peak = national[0]
        print(f"national run: {seconds:.0f} s against {LIMIT_SECONDS:.0f} s "
              f"({'holds' if seconds <= LIMIT_SECONDS else 'NOT met'}); peak {peak / 1024**3:.2f} GB against "
              f"{LIMIT_BYTES / 1024**3:.0f} GB ({'holds' if peak <= LIMIT_BYTES else 'NOT met'})")  # fmt: skip
    folder = region_of(max(10, args.pack_councils), args.data)
    print(f"\npages: the packs of {args.pack_councils} councils, each with its regional section")
    print(f"{'workers':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8}")
    for workers in (1, 2, 4):
        seconds, built = pages(folder, args.pack_councils, workers)
        print(f"{workers:>8} {built:>6} {seconds:>8.1f} {built / seconds:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
