"""A region's month: every council loaded and packed on Dask distributed, and the region's pack.

``cscw region run --region FOLDER --month YYYY-MM`` runs, for each council of the region
(:mod:`csc_workbench.config.region`), as tasks on a Dask cluster:

1. **load**: the council's inputs not yet in its own store (its Annex A extract and returns),
   then its *contribution*: its
   authority's atoms (its areas' too where the region agrees) under its name, aggregates only;
2. the contributions are stored in the regional store, one vintage per council, by this process
   alone (:mod:`csc_workbench.store.regional`);
3. **pack**: the council's own pack with its regional section (its position among the region's
   councils), the kernels kept warm on each worker from one council's pack to the next;

then the region's own pack (a page per area of the region's catalogue, and an index of who
contributed). A council whose input or pack fails is reported with the stage and the
reason, and the others carry on. The cluster is a local one on this machine (a worker process per
core) unless a scheduler address is given: then the same command runs on the machines of that
cluster, which must see the region folder at the same path.
"""

from __future__ import annotations

import html
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from csc_workbench.config import load_params
from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.config.region import INPUTS, OUTPUTS, PARAMS, STORE, Region, RegionCouncil
from csc_workbench.pack.kernels import DRAWINGS, WarmKernels
from csc_workbench.periods import month_label, parse_month
from csc_workbench.store.atoms import Store

#: Months of each council's atoms the region holds: this financial year and the three before.
CONTRIBUTED_MONTHS = 48
#: The topic on which workers tell the command of each page built, for its progress bar.
PAGE_TOPIC = "cscw-region-page"


@dataclass
class CouncilLoad:
    """What a council's load task sends back: aggregates only."""

    council: str
    atoms_loaded: int  # atoms stored in the council's own store by this run (0: its inputs were loaded before)
    annex_a_rows: int  # rows of the Annex A lists read by this run
    seconds: float
    contribution: pd.DataFrame  # the council's atoms for the region (store.regional.council_contribution)
    data_as_at: date | None


@dataclass
class CouncilOutcome:
    """A council's part of the region's run, as the command reports it."""

    council: str
    stage: str  # the stage reached: "load", "pack" or "done"
    error: str | None = None
    load: CouncilLoad | None = None
    pack: Path | None = None  # the council's pack index
    pages: int = 0
    failed_pages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed_pages


@dataclass
class RegionResult:
    region: Region
    month: str
    councils: list[CouncilOutcome]
    pack: Path | None  # the region's pack index
    timings: dict[str, float]

    @property
    def failures(self) -> list[CouncilOutcome]:
        return [c for c in self.councils if not c.ok]


# --- on the workers --------------------------------------------------------------------------
def load_council(region: Region, council: RegionCouncil, month: int) -> CouncilLoad:
    """Load a council's inputs not yet in its store, and read its contribution to the region."""
    from csc_workbench.store.regional import council_contribution

    folder = region.council_folder(council)
    params = load_params(folder / PARAMS)
    store = Store(folder / STORE)
    started = time.perf_counter()
    atoms, rows = _load_inputs(folder / INPUTS, params, store, folder / "quarantine")
    if not store.path.exists():
        raise FileNotFoundError(f"{folder / INPUTS}: no Annex A extract or return to load")
    contribution = council_contribution(
        store, params, council.name, region.share_areas, month - CONTRIBUTED_MONTHS + 1, month
    )
    return CouncilLoad(council.name, atoms, rows, time.perf_counter() - started, contribution, store.data_as_at(month))


def _load_inputs(folder: Path, params, store: Store, quarantine: Path) -> tuple[int, int]:
    """Load what of ``folder`` the store does not hold yet: (atoms stored, Annex A rows read).

    Each Annex A extract (a workbook, or a folder of list CSVs), then each aggregate return
    (``aggregates*.csv``), in name order. Of a generated demo council's files, the latest full
    extract and the returns: its month-end snapshots stand for the extracts of earlier months, which
    a council has loaded in those months."""
    from csc_workbench.ingest.aggregates import ingest_aggregates
    from csc_workbench.load import load_annex_a

    loaded = set(store.vintages()["source"]) if store.path.exists() else set()
    extracts = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".ods") or p.is_dir())
    annex_a = sorted(folder.glob("annex_a_synthetic_full_*"))[-1:] or extracts
    atoms = rows = 0
    for path in annex_a:
        if str(path) not in loaded:
            report = load_annex_a(path, params, store, quarantine_dir=quarantine)
            atoms, rows = atoms + report.atoms, rows + _rows(path)
    for path in sorted(folder.glob("aggregates*.csv")):
        if str(path) not in loaded:
            atoms += ingest_aggregates(path, params, store).atoms
    return atoms, rows


def _rows(path: Path) -> int:
    """Data rows of the Annex A lists in a folder of CSVs (0 for a workbook: not counted)."""
    if not path.is_dir():
        return 0
    total = 0
    for csv in path.glob("*.csv"):
        with open(csv, "rb") as handle:
            total += max(sum(1 for _ in handle) - 1, 0)
    return total


_KERNELS: WarmKernels | None = None


def _worker_kernels(drawings: Path) -> WarmKernels:
    """This worker's kernels, warm from its last council's pack (started on its first)."""
    global _KERNELS
    if _KERNELS is None or _KERNELS.stopped:
        _KERNELS = WarmKernels(drawings=drawings)
    return _KERNELS


def shut_worker_kernels() -> None:
    """Shut this worker's kernels down (run on every worker as the region's run ends)."""
    global _KERNELS
    if _KERNELS is not None:
        _KERNELS.shutdown_all()
        _KERNELS = None


def build_council_pack(region: Region, council: RegionCouncil, month: str) -> CouncilOutcome:
    """The council's pack for the month, with its regional section, in this worker's warm kernels."""
    from distributed import get_worker

    from csc_workbench.pack.run import build_pack

    worker = get_worker()
    folder = region.council_folder(council)

    def page_done(result) -> None:
        worker.log_event(PAGE_TOPIC, {"council": council.name, "page": result.page.output, "ok": result.ok})

    result = build_pack(
        month, folder / PARAMS, folder / STORE, folder / OUTPUTS, jobs=1, progress=False,  # one kernel per worker
        kernels=_worker_kernels(region.outputs / DRAWINGS), region=(region.folder, council.name), page_done=page_done,
    )  # fmt: skip
    return CouncilOutcome(
        council.name, "done", pack=result.index, pages=len(result.pages),
        failed_pages=[f"{p.page.title}: {p.error}" for p in result.failures],
    )  # fmt: skip


# --- in the command --------------------------------------------------------------------------
@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Dask client: of the cluster at ``scheduler``, else of a local cluster of ``workers``
    processes (default one per core) with one thread each (a worker's pages run in its kernels)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        Client(local) as client,
    ):
        yield client


def run_region(
    region: Region, month: str, scheduler: str | None = None, workers: int | None = None, progress: bool = True,
    say: Callable[[str], None] = print,
) -> RegionResult:  # fmt: skip
    """Load and pack every council of the region for ``month`` and build the region's pack (see
    the module notes); ``say`` tells the analyst of each council's failure as it happens."""
    from tqdm.auto import tqdm

    started = time.perf_counter()
    timings: dict[str, float] = {}
    with cluster(scheduler, workers) as client, tqdm(
        total=len(region.councils), desc=f"region {month}", unit="step", disable=not progress
    ) as bar:  # fmt: skip

        def page_built(event) -> None:
            _, message = event
            bar.update()
            bar.set_postfix_str(f"{message['council']}: {message['page']}")

        client.subscribe_topic(PAGE_TOPIC, page_built)
        outcomes = load_councils(client, region, month, say, step=bar.update)
        timings["load"] = time.perf_counter() - started
        ready = [c for c in region.councils if outcomes[c.name].error is None]
        bar.total += sum(_pages_planned(region, c, month) for c in ready) + 1  # and the region's pack
        bar.refresh()
        outcomes |= pack_councils(client, region, month, ready, outcomes, say)
        timings["packs"] = time.perf_counter() - started - timings["load"]
        pack = build_region_pack(region, month, [outcomes[c.name] for c in region.councils])
        bar.update()
    timings["region pack"] = time.perf_counter() - started - timings["load"] - timings["packs"]
    timings["total"] = time.perf_counter() - started
    return RegionResult(region, month, [outcomes[c.name] for c in region.councils], pack, timings)


def load_councils(
    client, region: Region, month: str, say: Callable[[str], None] = print, step: Callable[[], object] = lambda: None
) -> dict[str, CouncilOutcome]:
    """Each council's load on the cluster, its contribution stored in the regional store by this
    process as it comes back; a council whose load fails is reported and left out. ``step`` is
    called as each council's load ends."""
    from distributed import as_completed

    from csc_workbench.store.regional import contribute

    index, regional = parse_month(month), Store(region.store_path)
    outcomes = {c.name: CouncilOutcome(c.name, "load") for c in region.councils}
    each = len(region.councils)
    loads = client.map(load_council, [region] * each, region.councils, [index] * each, pure=False)
    by_future = dict(zip(loads, region.councils, strict=True))
    for future in as_completed(loads):
        council, error = by_future[future], future.exception()
        step()
        if error is not None:
            outcomes[council.name].error = why = _reason(error)
            say(f"{council.name}: its data could not be loaded; the region carries on without it: {why}")
            continue
        load: CouncilLoad = future.result()
        params = load_params(region.council_folder(council) / PARAMS, region.catalogue_path)
        contribute(regional, council.name, load.contribution, load.data_as_at, params)
        outcomes[council.name].load, outcomes[council.name].stage = load, "pack"
    return outcomes


def pack_councils(
    client, region: Region, month: str, councils: list[RegionCouncil], outcomes: dict[str, CouncilOutcome],
    say: Callable[[str], None] = print,
) -> dict[str, CouncilOutcome]:  # fmt: skip
    """Each council's pack on the cluster (its kernels warm on its worker), its outcome with its load's."""
    from distributed import as_completed

    packs = client.map(build_council_pack, [region] * len(councils), councils, [month] * len(councils), pure=False)
    by_future = dict(zip(packs, councils, strict=True))
    packed: dict[str, CouncilOutcome] = {}
    for future in as_completed(packs):
        council, error = by_future[future], future.exception()
        outcome = outcomes[council.name]
        if error is not None:
            outcome.error = why = _reason(error)
            say(f"{council.name}: its pack failed: {why}")
            packed[council.name] = outcome
            continue
        result: CouncilOutcome = future.result()
        result.load = outcome.load
        packed[council.name] = result
    client.run(shut_worker_kernels)
    return packed


def _pages_planned(region: Region, council: RegionCouncil, month: str) -> int:
    """How many pages a council's pack has (for the progress bar)."""
    from csc_workbench.pack.run import DEFAULT_NOTEBOOKS, plan_pages, validate

    folder = region.council_folder(council)
    params, store = load_params(folder / PARAMS), Store(folder / STORE)
    _, units, areas = validate(month, params, store, None, None, DEFAULT_NOTEBOOKS)
    pages = plan_pages(month, units, areas, params, store.path, folder / PARAMS, region=(region.folder, council.name))
    return len(pages)


def _reason(error: BaseException) -> str:
    from csc_workbench.config.errors import WorkbenchError

    if isinstance(error, WorkbenchError):
        return str(error)
    return f"{type(error).__name__}: {error}"


# --- the region's own pack -----------------------------------------------------------------
#: The notebook of one area of the region's pack.
REGION_NOTEBOOK = "region"


def build_region_pack(
    region: Region, month: str, councils: list[CouncilOutcome], notebooks_dir: Path | None = None
) -> Path:
    """Build and publish the region's pack for ``month``: a page per area of the region's
    catalogue and an index saying which councils contributed this month, from the run's own
    data; the path of its index. ``councils``: each council's outcome in this run."""
    from csc_workbench.pack.html import PageHeader
    from csc_workbench.pack.run import DEFAULT_NOTEBOOKS, Page, data_as_at, execute_page, finish_page, publish

    index = parse_month(month)
    notebooks_dir = notebooks_dir or DEFAULT_NOTEBOOKS
    catalogue = load_catalogue(region.catalogue_path)
    out = region.outputs
    final, build = out / month, out / f".building-{month}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    as_at = data_as_at(Store(region.store_path), index)
    header = PageHeader(region.name, month_label(index), as_at, region.synthetic, links=(("index.html", "Contents"),))
    pages = [
        Page(REGION_NOTEBOOK, region.name, f"region_{area}", f"{title}: the region's councils",
             {"region_folder": str(region.folder), "month": month, "area": area}, area)
        for area, title in catalogue.areas.items()
    ]  # fmt: skip
    results = []
    with WarmKernels(drawings=out / DRAWINGS) as kernels:
        for k, page in enumerate(pages):
            results.append(finish_page(execute_page(page, notebooks_dir, build, kernels, first=k == 0), build, header))
    if (build / "notebooks").is_dir() and not any((build / "notebooks").iterdir()):
        (build / "notebooks").rmdir()  # each page's executed notebook is kept only if it failed
    (build / "index.html").write_text(_index(region, header, month, results, councils), encoding="utf-8")
    publish(build, final)
    return final / "index.html"


def _index(region: Region, header, month: str, results, councils: list[CouncilOutcome]) -> str:
    """The region's index: its pages, and each council's part in this month's run."""
    from csc_workbench.pack.html import stylesheet

    pages = "".join(
        f'<li><a href="{html.escape(r.html.name)}">{html.escape(r.page.title)}</a></li>'
        if r.ok and r.html
        else f"<li>{html.escape(r.page.title)}: not built ({html.escape((r.error or '').splitlines()[0][:300])})</li>"
        for r in results
    )
    rows = "".join(
        f"<tr><td>{html.escape(c.council)}</td><td>{_contributed(c)}</td><td>{_packed(c)}</td></tr>" for c in councils
    )
    head = replace(header, title=f"Regional comparison: {region.name}, {header.month_label}")
    sharing = (
        "The councils' figures are shown as letters (Council A, Council B, ...), as the region agreed; each "
        "council's own pack names it."
        if region.sharing == "letters"
        else "Councils are named, as the region agreed."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{html.escape(head.title)}</title>{stylesheet(head)}</head><body>{head.html()}<main>"
        f"<p>Each council's monthly figures compared, indicator by indicator. {sharing} Counts below "
        f"{region.suppress_below} are not shown.</p><h2>Pages</h2><ul>{pages}</ul>"
        "<h2>Councils this month</h2>"
        '<table class="cscw-index" border="1" cellpadding="4" style="border-collapse:collapse">'
        "<thead><tr><th>Council</th><th>Figures given to the region</th><th>Its own pack</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></main></body></html>\n"
    )


def _contributed(council: CouncilOutcome) -> str:
    if council.load is None:
        return "none this month: its data could not be loaded"
    as_at = council.load.data_as_at
    return "yes" + (f", data as at {as_at.strftime('%d %B %Y').lstrip('0')}" if as_at else "")


def _packed(council: CouncilOutcome) -> str:
    if council.pack is None:
        return "not built"
    failed = len(council.failed_pages)
    return f"{council.pages} pages" + (f", {failed} failed" if failed else "")
