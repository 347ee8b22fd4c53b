"""Build the monthly pack: validate, run the notebooks in parallel, write offline HTML and an
index, and publish ``outputs/<YYYY-MM>/`` atomically.

Parameters are checked here first (Papermill does not): a bad month, org unit or area stops the
run with a clear message before any page runs (and before any kernel starts, unless the caller
started one ahead, as ``cscw run`` does). Each page is one notebook for one org unit; pages run in
a thread pool under a progress bar. Each worker thread has one kernel (:mod:`.kernels`) and reuses it
for its pages, clearing the namespace (``%reset -f``) between them: the kernel start and the library
imports are paid once per worker, not once per page. A kernel that fails to start is retried and a
kernel that dies is replaced; a notebook that raises is recorded as failed (its executed notebook, with the
error, is kept and linked from the index) and the others carry on. The pack is written to a
temporary folder beside the destination and swapped into place only when complete, so a failed
or interrupted run never leaves a half-written pack where a good one was.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from csc_workbench.config import load_params
from csc_workbench.config.commentary import commentary_path
from csc_workbench.config.errors import WorkbenchError
from csc_workbench.measures.breakdowns import check_breakdowns
from csc_workbench.pack.kernels import DRAWINGS, KERNEL, WarmKernels
from csc_workbench.pack.pdf import PrintedPage
from csc_workbench.pack.record import (
    BUILT,
    FAILED,
    KEPT,
    PageRecord,
    RunRecord,
    commentary_shown,
    file_digest,
    library_digest,
    package_versions,
    page_inputs,
    project_commit,
    read_record,
)
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.store.atoms import Store, read_connections_kept

if TYPE_CHECKING:
    from csc_workbench.pack.html import PageHeader

#: The notebooks every org unit gets, and the notebook of an area without one of its own.
SCORECARD = "scorecard"
EXCEPTIONS = "exceptions"
DASHBOARD = "dashboard"
#: Pages the pack has once, for every reader: what the month's data lacked and what changed in
#: earlier months since the last pack, then the guidance notes and the accessibility statement.
ONCE = {
    "data_quality": "Data quality",
    "revisions": "Revisions since last month",
    "guidance": "Guidance notes",
    "accessibility": "Accessibility statement",
}
#: The regional section of a council's pack, when it is built as one of a region's councils.
REGIONAL = "regional"
#: The pages printed on A4 landscape (their tables are wide); the rest print portrait.
LANDSCAPE = (SCORECARD, DASHBOARD, "revisions")
GENERIC_AREA = "area"
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
#: Whose pages get PNG images of their charts: every org unit's, the authority's (default: about
#: 0.13 s a chart, so every page's would add a third to the run), or none.
IMAGES = ("all", "authority", "none")


class PackError(WorkbenchError, ValueError):
    """Parameters the pack cannot run with (raised before any page runs)."""


@dataclass(frozen=True)
class Page:
    notebook: str  # notebook stem in the notebooks folder
    org_unit: str
    output: str  # file stem in the pack
    title: str
    parameters: dict
    area: str | None = None  # the catalogue area of an area page
    images: bool = True  # its charts as PNG too, for the org units asked for (``--images``)
    reusable: bool = True  # kept from the month's last pack when its inputs are unchanged

    def imaged(self, org_units: set[str]) -> bool:
        """Whether the page's charts are written as PNG images, ``org_units`` being those asked for."""
        return self.images and self.org_unit in org_units


@dataclass
class PageResult:
    page: Page
    ok: bool
    html: Path | None
    notebook: Path | None  # the executed notebook, kept in the pack when the page failed
    seconds: float
    error: str | None = None
    rag_counts: dict[str, int] | None = None
    attempts: int = 1
    commentary_missing: list[str] | None = None  # titles of red indicators without commentary (exceptions page)
    images: dict[Path, str] = field(default_factory=dict)  # the page's charts as PNG, with their drawings' digests
    phases: dict[str, float] = field(default_factory=dict)  # seconds: execute, convert, images
    kernel_wait: float = 0.0  # seconds the page waited for a kernel to start (not in ``seconds``)
    interactive: bool = False  # the page has an interactive chart (it loads the chart runtime)
    kept: bool = False  # kept from the month's previous pack: its inputs are unchanged


@dataclass
class PackResult:
    month: str
    path: Path
    index: Path
    pages: list[PageResult]
    timings: dict[str, float] = field(default_factory=dict)
    pdf: Path | None = None  # the whole pack as one PDF (--pdf)
    pdf_pages: list[PrintedPage] = field(default_factory=list)  # where each page landed in it
    record: RunRecord | None = None  # the run record, as manifest.json in the pack
    log: Path | None = None  # the run's log, beside the pack

    @property
    def failures(self) -> list[PageResult]:
        return [p for p in self.pages if not p.ok]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def area_notebook(area: str, notebooks_dir: Path) -> str:
    """The notebook of an area: its own (``<area>.ipynb``) or else the generic area notebook."""
    return area if (notebooks_dir / f"{area}.ipynb").exists() else GENERIC_AREA


def validate(
    month: str, params, store: Store, org_units: list[str] | None, areas: list[str] | None, notebooks_dir: Path
) -> tuple[int, list[str], list[str]]:
    """(month index, org units, areas) or PackError naming what is wrong and what is allowed.

    ``month`` may be "latest" (the latest month in the store); ``org_units`` ["all"] means every
    org unit; ``areas`` None means every area of the catalogue."""
    if not store.path.exists():
        raise PackError(f"--store: {store.path} does not exist; load data first (cscw demo --ingest or cscw ingest)")
    latest = store.latest_month()
    try:
        index = latest if month == "latest" else parse_month(month)
    except ValueError as exc:
        raise PackError(f"--month: {exc}") from None
    if index > latest or store.latest(None, None, None, index, index).empty:
        raise PackError(f"--month: the store holds no data for {month}; the latest month is {month_text(latest)}")
    known = params.authority.org_unit_names
    units = list(org_units) if org_units else [params.authority.org_units.name]
    if units == ["all"]:
        units = list(known)
    unknown = [u for u in units if u not in known]
    if unknown:
        raise PackError(f"--org-units: unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    chosen = list(areas) if areas is not None else list(params.catalogue.areas)
    for area in chosen:
        if area not in params.catalogue.areas:
            raise PackError(f"--areas: unknown area {area!r}; known: {', '.join(params.catalogue.areas)}")
    dashboard = [DASHBOARD] if params.catalogue.themes else []
    for stem in [SCORECARD, *dashboard, EXCEPTIONS, *(area_notebook(a, notebooks_dir) for a in chosen), *ONCE]:
        if not (notebooks_dir / f"{stem}.ipynb").exists():
            raise PackError(f"notebook {notebooks_dir / (stem + '.ipynb')} not found")
    return index, list(dict.fromkeys(units)), list(dict.fromkeys(chosen))


def plan_pages(
    month: str, org_units: list[str], areas: list[str], params, store_path: Path, params_folder: Path,
    cohort: str = "all", catalogue: Path | None = None, notebooks_dir: Path = DEFAULT_NOTEBOOKS,
    region: tuple[Path, str] | None = None,
) -> list[Page]:  # fmt: skip
    """One page per (notebook, org unit): the scorecard, the portfolio dashboard (where the
    catalogue has themes) and the exceptions first, then a page for each area (its own notebook,
    or the generic area notebook told which area); then the pages the pack has once, and for a
    council of a region (``region``: the region's folder and the council's name in it) its
    regional section."""
    pages = []
    common = {"month": month, "cohort": cohort, "store": str(store_path), "params_folder": str(params_folder),
              "catalogue": str(catalogue) if catalogue else None}  # fmt: skip
    for org in org_units:
        fixed = [(SCORECARD, "Scorecard", SCORECARD, None), (EXCEPTIONS, "Exceptions", EXCEPTIONS, None)]
        if params.catalogue.themes:
            fixed.insert(1, (DASHBOARD, "Portfolio dashboard", DASHBOARD, None))
        fixed += [(area_notebook(area, notebooks_dir), params.catalogue.areas[area], area, area) for area in areas]
        for stem, title, name, area in fixed:
            label = f"{title}: {org}" + (f" ({params.catalogue.cohorts[cohort]})" if cohort != "all" else "")
            parameters = common | {"org_unit": org} | ({"area": area} if stem == GENERIC_AREA else {})
            output = f"{_slug(name).replace('-', '_')}_{_slug(org)}"
            pages.append(Page(stem, org, output, label, parameters, area))
    authority = params.authority.org_units.name
    for stem, title in ONCE.items():
        pages.append(Page(stem, authority, stem, title, common | {"org_unit": authority}))
    if region is not None:
        folder, council = region
        parameters = common | {"org_unit": authority, "region_folder": str(folder), "council": council}
        # its charts (up to three per indicator) are for reading on screen, not for slides; never kept:
        # the other councils' figures are not among its inputs
        pages.append(
            Page(REGIONAL, authority, REGIONAL, "Regional comparison", parameters, images=False, reusable=False)
        )
    return pages


def failure_text(exc: BaseException) -> str:
    """Why a page failed, in one line a person can act on: for a notebook's own error the
    exception, its message and the cell that raised it (its number and first line of code)."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        source = [line for line in (exc.source or "").splitlines() if line.strip() and not line.startswith("#")]
        cell = f"cell In [{exc.exec_count}]"  # as the kept notebook labels it
        where = f" ({cell}: {source[0].strip()[:120]})" if source else f" ({cell})"
        return f"{exc.ename}: {exc.evalue}{where}"
    return f"{type(exc).__name__}: {exc}".strip()


def _kernel_start_failure(exc: BaseException) -> bool:
    """Errors that mean the kernel did not start (retried), not that the notebook raised."""
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    return isinstance(exc, DeadKernelError | RuntimeError | TimeoutError)


@dataclass
class Executed:
    """A page's notebook after its run, before its HTML is written."""

    page: Page
    notebook: Path
    error: str | None
    attempts: int
    execute_seconds: float  # the notebook's run, not counting the wait for a kernel
    kernel_wait: float  # seconds waiting for a kernel to start


def execute_page(page: Page, notebooks_dir: Path, folder: Path, kernels: WarmKernels, first: bool = False) -> Executed:
    """Run one page's notebook in the calling thread's warm kernel (retrying a kernel that will
    not start or dies); a notebook's own error is recorded, not raised. The run's ``first`` page
    takes the kernel started ahead of it."""
    import papermill

    started = time.perf_counter()
    executed = folder / "notebooks" / f"{page.output}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    error, attempts, waited = None, 0, 0.0
    for _ in range(kernels.attempts):
        asked = time.perf_counter()
        try:
            km, tries = kernels.get(spare=first)
        except RuntimeError as exc:  # no kernel would start: the page fails, the pack carries on
            error, attempts = str(exc), attempts + kernels.attempts
            break
        finally:
            waited += time.perf_counter() - asked
        attempts += tries
        try:
            papermill.execute_notebook(
                str(notebooks_dir / f"{page.notebook}.ipynb"),
                str(executed),
                parameters=page.parameters,
                kernel_name=kernels.kernel,
                km=km,
                progress_bar=False,
                log_output=False,
                start_timeout=60,
                # saved once at the end (with the error, if a cell raised), not after every cell:
                # each save re-validates and rewrites the whole notebook, ~0.2 s for an area page
                request_save_on_cell_execute=False,
            )
            error = None
            break
        except Exception as exc:  # a page's failure is recorded, the pack carries on
            error = failure_text(exc)
            if _kernel_start_failure(exc):
                kernels.discard()  # a dead or wedged kernel: the next try gets a fresh one
                continue
            break
    return Executed(page, executed, error, attempts, time.perf_counter() - started - waited, waited)


def finish_page(
    run: Executed, folder: Path, header: PageHeader, images: bool = False, drawn: Mapping[str, Path] | None = None
) -> PageResult:
    """Write an executed page's HTML (and its chart images, copying from ``drawn`` those drawn
    already: the previous pack's images by their drawings' digests), read back what the index
    needs, and drop the executed notebook unless the page failed. Runs beside the kernels, in the
    pack's finishing thread, so a kernel starts its next page meanwhile."""
    from csc_workbench.pack.html import write_page
    from csc_workbench.pack.meeting_files import chart_pngs
    from csc_workbench.pack.render import RUNTIME_PATH

    page, executed, error, attempts = run.page, run.notebook, run.error, run.attempts
    finishing = time.perf_counter()
    phases = {"execute": run.execute_seconds}
    page_header = replace(header, title=page.title)
    html_path: Path | None = folder / f"{page.output}.html"
    if executed.exists():
        try:
            # the wide tables of the scorecard, the dashboard and the revisions print on A4 landscape
            write_page(executed, html_path, page_header, landscape=page.notebook in LANDSCAPE)
        except Exception as exc:
            error = error or f"HTML conversion failed: {type(exc).__name__}: {exc}"
            html_path = None
    else:
        html_path = None
    phases["convert"] = time.perf_counter() - finishing
    pngs: dict[Path, str] = {}
    if error is None and images:
        try:
            pngs = chart_pngs(executed, folder / "images", page.output, earlier=drawn)
        except Exception as exc:  # the page is fine without its images: say so in the index
            error = f"chart images failed: {type(exc).__name__}: {exc}"
    interactive = html_path is not None and RUNTIME_PATH in html_path.read_text(encoding="utf-8")
    if error is None:
        executed.unlink()  # only failed pages keep their executed notebook in the pack
    phases["images"] = time.perf_counter() - finishing - phases["convert"]
    return PageResult(
        page,
        error is None,
        html_path,
        executed if executed.exists() else None,
        sum(phases.values()),  # the page's own time, not the waits for a kernel or the finishing thread
        error,
        attempts=attempts,
        images=pngs,
        phases=phases,
        kernel_wait=run.kernel_wait,
        interactive=interactive,
    )


def keep_page(page: Page, old: PageRecord, previous: Path, folder: Path) -> PageResult:
    """A page whose inputs are unchanged since the month's previous pack: its files copied from it."""
    for name in [old.html, *old.images]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(previous / name, folder / name)
    return PageResult(
        page, True, folder / old.html, None, old.seconds,  # the time it took to build, for the next run's order
        images={folder / i: old.drawings.get(i, "") for i in old.images},
        interactive=old.interactive, kept=True,
    )  # fmt: skip


def keepable(previous: RunRecord | None, folder: Path) -> dict[str, PageRecord]:
    """The pages of the month's previous pack that can be kept, by output name: those that did not
    fail and whose files are all there."""
    if previous is None:
        return {}
    return {
        page.output: page
        for page in previous.pages
        if page.ok and page.html and all((folder / name).is_file() for name in [page.html, *page.images])
    }


def page_commentary(page: Page, params, cards: dict) -> tuple[list[str] | None, str | None, bool]:
    """What of the month's commentary a page shows, as :func:`~csc_workbench.pack.record.commentary_shown`
    takes it: (indicators, org unit (None: the authority), the document's status or not). An area
    page shows its area's indicators', the dashboard its themes', the exceptions page its red
    indicators' (``cards``: each org unit's scorecard), the scorecard the document's status only;
    the pages the pack has once, none."""
    catalogue = params.catalogue
    org = None if page.org_unit == params.authority.org_units.name else page.org_unit
    if page.notebook == SCORECARD:
        return None, org, True
    if page.notebook == DASHBOARD:
        return [i for theme in catalogue.themes for i in theme.indicators], org, False
    if page.notebook == EXCEPTIONS:
        card = cards[page.org_unit]
        return sorted(card.loc[card["rag"] == "red", "indicator"]), org, False
    if page.area is not None:
        return [i.id for i in catalogue.in_area(page.area)], org, False
    return None, org, False


def index_html(
    month: int, header: PageHeader, pages: list[PageRecord], workbook: str | None = None, pdf: str | None = None
) -> str:
    """index.html, from the run record: every page with its org unit, status, RAG counts and chart
    images; failures linked; the files for meetings (the pack as one PDF, the scorecard workbook,
    the images folder) above."""
    from csc_workbench.pack.html import SYNTHETIC_LABEL, PageHeader, stylesheet

    rows = []
    for r in pages:
        link = f'<a href="{html.escape(r.html)}">{html.escape(r.title)}</a>' if r.html else html.escape(r.title)
        if r.ok and r.commentary_missing:
            names = html.escape(", ".join(r.commentary_missing))
            status = (
                '<td class="status-ok">ok<br><small class="commentary-missing" style="color:#B34700">'
                f"red without commentary: {names}</small></td>"
            )
        elif r.ok:
            status = '<td class="status-ok">ok</td>'
        else:
            nb = f' (<a href="{html.escape(r.executed_notebook)}">executed notebook</a>)' if r.executed_notebook else ""
            first = html.escape((r.error or "").splitlines()[0][:500] if r.error else "")
            status = (
                '<td class="status-failed" style="color:#B34700;font-weight:bold">'
                f"FAILED{nb}<br><small>{first}</small></td>"
            )
        counts = r.rag_counts
        rag = (
            "".join(f'<td class="rag-{k}">{counts[k]}</td>' for k in ("green", "amber", "red"))
            if counts
            else '<td colspan="3">-</td>'
        )
        images = f'<td><a href="{html.escape(r.images[0])}">{len(r.images)} PNG</a></td>' if r.images else "<td>-</td>"
        rows.append(f"<tr><td>{link}</td><td>{html.escape(r.org_unit)}</td>{status}{rag}{images}</tr>")
    table = (
        '<table class="cscw-index" style="border-collapse:collapse" border="1" cellpadding="4">'
        "<thead><tr><th>Page</th><th>Org unit</th><th>Status</th><th>Green</th><th>Amber</th><th>Red</th>"
        f"<th>Chart images</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    files = []
    if pdf is not None:
        files.append(
            f'<a class="cscw-pdf" href="{html.escape(pdf)}">{html.escape(Path(pdf).name)}</a>'
            " (the whole pack as one PDF, A4, with a bookmark per page, for committee papers)"
        )
    if workbook is not None:
        files.append(
            f'<a class="cscw-workbook" href="{html.escape(workbook)}">scorecard.xlsx</a> (one sheet per org unit)'
        )
    if any(r.images for r in pages):
        files.append('<a href="images/">images/</a> (each chart as PNG, for slides)')
    meeting = f"<p>Files for meetings: {'; '.join(files)}.</p>" if files else ""
    title = f"Children's social care performance pack: {month_label(month)}"
    head = PageHeader(header.authority, header.month_label, header.data_as_at, header.synthetic, title)
    synthetic = f"<!-- {SYNTHETIC_LABEL} -->" if header.synthetic else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{html.escape(title)}</title>{stylesheet(head)}</head>"
        f"<body>{synthetic}{head.html()}<main>{meeting}{table}"
        "</main>"
        "</body></html>\n"
    )


def data_as_at(store: Store, month: int) -> str:
    """The date the month's figures are as at (from the data loaded, never the build date)."""
    as_at = store.data_as_at(month)
    return as_at.strftime("%d %B %Y").lstrip("0") if as_at is not None else "not recorded"


def publish(build: Path, final: Path) -> None:
    """Swap the finished build into place: old pack aside, new pack in, old pack removed."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(build, final)
    except BaseException:
        if old.exists():
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def run_inputs(params_folder: Path, catalogue: Path | None, store: Store) -> dict:
    """What every page of the run is made from: the params and catalogue digests, the library's
    digest, the package versions and the store's vintages (each page's own inputs add its notebook,
    its parameters and the commentary it shows)."""
    vintages = store.vintages()
    vintages["source"] = vintages["source"].map(lambda source: Path(source).name)
    return {
        "params": file_digest(params_folder / "authority.yml"),
        "catalogue": file_digest(catalogue or params_folder / "catalogue.yml"),
        "library": library_digest(),
        "packages": package_versions(),
        "store_vintages": json.loads(vintages.to_json(orient="records", date_format="iso")),
    }


def _run_log(path: Path) -> logging.Logger:
    """The run's log, appended to ``path`` (beside the pack: what was built, kept or failed, and why)."""
    log = logging.getLogger(f"csc_workbench.pack.run.{path}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    return log


def _close_log(log: logging.Logger) -> None:
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)


def build_pack(
    month: str,
    params_folder: str | Path,
    store_path: str | Path,
    out_root: str | Path,
    org_units: list[str] | None = None,
    areas: list[str] | None = None,
    jobs: int | None = None,
    notebooks_dir: str | Path = DEFAULT_NOTEBOOKS,
    progress: bool = True,
    kernel: str = KERNEL,
    cohort: str = "all",
    images: str = "authority",
    catalogue: str | Path | None = None,
    pdf: bool = False,
    rebuild: bool = False,
    kernels: WarmKernels | None = None,
    region: tuple[Path, str] | None = None,
    page_done: Callable[[PageResult], None] | None = None,
) -> PackResult:
    """Build the pack for ``month`` and publish it to ``out_root/<YYYY-MM>/`` (see module doc);
    ``catalogue`` replaces the params folder's catalogue.yml; ``pdf`` prints the pack into one PDF
    beside the pages (:mod:`csc_workbench.pack.pdf`). A page whose inputs are unchanged since the
    month's previous pack is kept from it, unless ``rebuild``. The pack holds its run record
    (``manifest.json``, :mod:`csc_workbench.pack.record`); the run's log is appended to
    ``out_root/<YYYY-MM>.log``. ``kernels`` may be given with a kernel already starting
    (:meth:`~csc_workbench.pack.kernels.WarmKernels.prestart`), as ``cscw run`` does before its
    imports, or warm from an earlier pack (a region's worker); the caller shuts them down.
    Otherwise the first kernel starts once the parameters are checked. ``region`` (the region's
    folder, the council's name in it) adds the council's regional section; ``page_done`` is told
    of each page as it is finished."""
    from csc_workbench.assess.scorecard import scorecard
    from csc_workbench.config.commentary import load_commentary
    from csc_workbench.pack.html import PageHeader
    from csc_workbench.pack.render import prune_drawings

    started, built_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    params_folder, store_path = Path(params_folder).resolve(), Path(store_path).resolve()
    notebooks_dir, out_root = Path(notebooks_dir).resolve(), Path(out_root).resolve()
    catalogue = Path(catalogue).resolve() if catalogue is not None else None
    own_kernels = kernels is None  # shut down here; kernels given stay warm for the caller's next pack
    kernels = kernels or WarmKernels(kernel, drawings=None if rebuild else out_root / DRAWINGS)
    try:  # parameters the pack cannot run with stop it before any page runs
        params = load_params(params_folder, catalogue)
        check_breakdowns(params.catalogue, str(catalogue or params_folder / "catalogue.yml"))
        store = Store(store_path)
        index, units, chosen = validate(month, params, store, org_units, areas, notebooks_dir)
        if cohort not in params.catalogue.cohorts:
            raise PackError(f"--cohort: unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
        if images not in IMAGES:
            raise PackError(f"--images: {images!r} is not one of {', '.join(IMAGES)}")
        if pdf:
            from csc_workbench.pack.pdf import check_printer

            check_printer()
        drawn = {"all": set(units), "authority": {params.authority.org_units.name}, "none": set()}[images]
        month = month_text(index)
        pages = plan_pages(
            month, units, chosen, params, store_path, params_folder, cohort, catalogue, notebooks_dir, region
        )
        header = PageHeader(
            params.authority.name, month_label(index), data_as_at(store, index), params.authority.synthetic
        )
        final = out_root / month
        out_root.mkdir(parents=True, exist_ok=True)
        log = _run_log(out_root / f"{month}.log")
        build = out_root / f".building-{month}-{os.getpid()}"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir()
    except BaseException:
        if own_kernels:
            kernels.stop()
            kernels.shutdown_all()
        raise
    timings = {"validate": time.perf_counter() - started}
    try:
        # the first kernel starts now, while the run works out which pages it must build
        with read_connections_kept(), PageRunner(kernels, build, notebooks_dir, header, jobs, progress) as runner:
            # what the index says of each page comes from the run's own data, never from the pages' HTML
            cards = {org: scorecard(store, params, index, org, cohort) for org in units}
            commentary = load_commentary(params, index)
            shared = run_inputs(params_folder, catalogue, store)
            inputs = {}
            for page in pages:
                notebook, parameters = notebooks_dir / f"{page.notebook}.ipynb", page.parameters
                shown = commentary_shown(commentary, *page_commentary(page, params, cards))
                inputs[page.output] = page_inputs(notebook, parameters | {"images": page.imaged(drawn)}, shared, shown)
            last = read_record(final)
            previous = {} if rebuild else keepable(last, final)
            to_keep = {
                p.output for p in pages
                if p.reusable and p.output in previous and previous[p.output].inputs == inputs[p.output]
            }  # fmt: skip
            log.info(
                f"cscw run {month} started: {len(pages)} pages for {', '.join(units)}; params {params_folder}; "
                f"store {store_path}; {len(to_keep)} pages unchanged since the month's last pack"
                + ("; --rebuild: every page run again" if rebuild else "")
            )
            results = [keep_page(p, previous[p.output], final, build) if p.output in to_keep else None for p in pages]
            for result in results:
                if result is not None:
                    _log_page(log, result)
            seconds = {output: page.seconds for output, page in previous.items()}
            # a chart drawn the same as in the month's last pack has its image copied, not drawn again
            drawings = {d: final / name for page in previous.values() for name, d in page.drawings.items()}

            def done(result: PageResult) -> None:
                _log_page(log, result)
                if page_done is not None:
                    page_done(result)

            results = runner.run(pages, results, drawn, done, seconds, drawings)
        timings["execute"] = time.perf_counter() - started - timings["validate"]
        # the chart runtime depends on the packages' versions only: kept from the last pack if they are the same
        runtime = final if last is not None and last.inputs.get("packages") == shared["packages"] else None
        page_records, pack_pdf, printed = _finish_pack(
            results, inputs, build, params, index, cards, commentary, header, pdf, timings, runtime
        )
        record = RunRecord(
            month, built_at,
            options={"org_units": units, "areas": chosen, "cohort": cohort, "images": images, "pdf": pdf,
                     "jobs": jobs, "rebuild": rebuild},
            inputs=shared | {"commit": project_commit(),
                             "commentary": file_digest(commentary_path(params_folder, index))},
            pages=page_records, seconds=round(time.perf_counter() - started, 2),
        )  # fmt: skip
        record.write(build)
        publish(build, final)
    except BaseException as exc:
        if own_kernels:
            kernels.stop()
            kernels.shutdown_all()
        shutil.rmtree(build, ignore_errors=True)
        interrupted = isinstance(exc, KeyboardInterrupt)
        log.info("interrupted: nothing was published" if interrupted else f"stopped: {type(exc).__name__}: {exc}")
        _close_log(log)
        raise
    for r in results:  # paths into the published folder
        r.html = final / r.html.relative_to(build) if r.html else None
        r.notebook = final / r.notebook.relative_to(build) if r.notebook else None
        r.images = {final / i.relative_to(build): drawing for i, drawing in r.images.items()}
    printed = [PrintedPage(p.title, p.org_unit, final / p.html.relative_to(build), p.first, p.pages) for p in printed]
    if own_kernels:
        kernels.shutdown_all()
    prune_drawings(out_root / DRAWINGS)
    timings["total"] = time.perf_counter() - started
    built = sum(r.ok and not r.kept for r in results)
    log.info(
        f"published {final}: {len(results)} pages ({built} built, {len(to_keep)} kept, "
        f"{len(results) - built - len(to_keep)} failed) in {timings['total']:.1f} s"
    )
    _close_log(log)
    return PackResult(
        month, final, final / "index.html", results, timings, final / pack_pdf.name if pack_pdf else None, printed,
        record=record, log=out_root / f"{month}.log",
    )  # fmt: skip


def _log_page(log: logging.Logger, r: PageResult) -> None:
    if r.kept:
        log.info(f"kept {r.page.output}: its inputs are unchanged since the month's last pack")
    elif r.ok:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in r.phases.items())
        wait = f"; waited {r.kernel_wait:.1f} s for a kernel" if r.kernel_wait >= 0.05 else ""
        log.info(f"built {r.page.output} in {r.seconds:.1f} s ({phases}{wait})")
    else:
        log.info(f"FAILED {r.page.output} after {r.seconds:.1f} s: {r.error}")


def _prepare_finishing() -> None:
    """Import and build what writing pages and the pack's files needs (the HTML converter, Altair,
    openpyxl: seconds of imports), in the finishing thread while the first kernel starts."""
    from csc_workbench.pack.html import prepare_converter

    importlib.import_module("csc_workbench.pack.meeting_files")
    prepare_converter()


class PageRunner:
    """Runs pages' notebooks in warm kernels, one per worker thread, and writes each page's HTML in
    one finishing thread as soon as its notebook is done, while that kernel goes on.

    Entered before the run knows which pages it must build, it starts the first kernel and readies
    the HTML converter at once, so the first page is not kept waiting for them. On leaving, the
    kernels are released for the process's next pack (their owner shuts them down); on Ctrl-C the
    pages not started are dropped and those running end at once.
    """

    def __init__(self, kernels: WarmKernels, build: Path, notebooks_dir: Path, header: PageHeader,
                 jobs: int | None, progress: bool):  # fmt: skip
        self.kernels, self.build, self.notebooks_dir, self.header = kernels, build, notebooks_dir, header
        self.progress = progress
        # a kernel more than the cores: while the main process writes a page's HTML, a kernel
        # would otherwise wait (on 2 cores: 78 s for the demo pack against 86 s with 2 kernels)
        self.workers = max(1, jobs or (os.cpu_count() or 1) + 1)

    def __enter__(self) -> PageRunner:
        self.pool = ThreadPoolExecutor(max_workers=self.workers)
        self.finisher = ThreadPoolExecutor(max_workers=1)
        self.kernels.prestart()  # for the first page, unless the caller started it sooner
        self.finisher.submit(_prepare_finishing)
        return self

    def __exit__(self, kind, error, trace) -> None:
        papermill_log = logging.getLogger("papermill")
        was_disabled = papermill_log.disabled
        try:
            if error is not None:  # Ctrl-C or a failure: drop the pages not started, end those running, quietly
                papermill_log.disabled = True
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.finisher.shutdown(wait=False, cancel_futures=True)
                self.kernels.stop()
            self.pool.shutdown()
            self.finisher.shutdown()
        finally:
            self.kernels.release()  # for the next pack of this process, if any
            papermill_log.disabled = was_disabled

    def run(
        self, pages: list[Page], results: list[PageResult | None], drawn: set[str], done: Callable[[PageResult], None],
        seconds: dict[str, float], drawings: Mapping[str, Path] | None = None,
    ) -> list[PageResult]:  # fmt: skip
        """``results`` with every page that has none yet run and finished; ``done`` is told of each.
        The pages run longest first by ``seconds`` (each page's time in the month's last pack; a page
        without one keeps its place), so a few pages built again end together, not one after another;
        ``drawings``: the images of the month's last pack by their drawings' digests, for reuse."""
        from tqdm.auto import tqdm

        results = list(results)
        todo = sorted((i for i, result in enumerate(results) if result is None),
                      key=lambda i: -seconds.get(pages[i].output, 0.0))  # fmt: skip
        with tqdm(total=len(todo), desc=f"pack {self.header.month_label}", unit="page",
                  disable=not self.progress or not todo) as bar:  # fmt: skip
            running = {
                self.pool.submit(execute_page, pages[i], self.notebooks_dir, self.build, self.kernels, i == todo[0]): i
                for i in todo
            }

            def tick(task) -> None:
                if task.cancelled():
                    return
                if task.exception() is None:
                    result = task.result()
                    done(result)
                    bar.set_postfix_str(("ok " if result.ok else "FAILED ") + result.page.output)
                bar.update()

            finishing = {}
            for future in as_completed(running):
                i = running[future]
                task = self.finisher.submit(
                    finish_page, future.result(), self.build, self.header, pages[i].imaged(drawn), drawings
                )
                task.add_done_callback(tick)
                finishing[task] = i
            for future in as_completed(finishing):
                results[finishing[future]] = future.result()
        notebooks = self.build / "notebooks"
        if notebooks.exists() and not any(notebooks.iterdir()):
            notebooks.rmdir()
        return [r for r in results if r is not None]


def _finish_pack(
    results: list[PageResult], inputs: dict[str, str], build: Path, params, index: int, cards: dict, commentary,
    header: PageHeader, pdf: bool, timings: dict[str, float], runtime_from: Path | None = None,
) -> tuple[list[PageRecord], Path | None, list[PrintedPage]]:  # fmt: skip
    """The pages' records (``inputs``: each page's inputs digest) with the index's figures (from the
    run's own scorecards and commentary, never from the pages); the scorecard workbook, the chart
    runtime (copied from the pack in ``runtime_from`` if it has one: making it takes a second), the
    PDF, and the index, built from the pages' records."""
    from csc_workbench.assess.scorecard import rag_counts
    from csc_workbench.pack.meeting_files import write_scorecard_xlsx
    from csc_workbench.pack.render import RUNTIME_PATH, write_runtime
    from csc_workbench.present.exceptions import red_without_commentary

    finishing = time.perf_counter()
    for r in results:
        if r.ok and r.page.notebook == SCORECARD:
            r.rag_counts = rag_counts(cards[r.page.org_unit])
        if r.ok and r.page.notebook == EXCEPTIONS:
            r.commentary_missing = red_without_commentary(cards[r.page.org_unit], params, commentary)
    workbook = write_scorecard_xlsx(cards, build / "scorecard.xlsx", dict(params.catalogue.areas), header)
    timings["workbook"] = time.perf_counter() - finishing
    if any(r.interactive for r in results):  # one copy of the chart runtime for the pages that load it
        if runtime_from is not None and (runtime_from / RUNTIME_PATH).is_file():
            (build / RUNTIME_PATH).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(runtime_from / RUNTIME_PATH, build / RUNTIME_PATH)
        else:
            write_runtime(build)
    pack_pdf, printed = None, []
    if pdf:
        from csc_workbench.pack.pdf import write_pdf

        printing = time.perf_counter()
        pack_pdf = build / f"csc_performance_pack_{month_text(index)}.pdf"
        title = f"Children's social care performance pack: {header.month_label}: {header.authority}"
        # a bookmark per page under its org unit's; the pages the pack has once at the top level
        shown = [
            PrintedPage(r.page.title, None if r.page.notebook in ONCE else r.page.org_unit, r.html)
            for r in results
            if r.ok and r.html
        ]
        printed = write_pdf(shown, pack_pdf, title, header.authority)
        timings["pdf"] = time.perf_counter() - printing
    pages = [page_record(r, build, inputs[r.page.output]) for r in results]
    pdf_name = pack_pdf.name if pack_pdf else None
    (build / "index.html").write_text(
        index_html(index, header, pages, workbook.relative_to(build).as_posix(), pdf_name), encoding="utf-8"
    )
    return pages, pack_pdf, printed


def page_record(result: PageResult, folder: Path, inputs: str) -> PageRecord:
    """A page's result as the run record holds it (paths relative to the pack's folder; ``inputs``
    the digest of its inputs)."""
    status = FAILED if not result.ok else KEPT if result.kept else BUILT
    return PageRecord(
        output=result.page.output, title=result.page.title, org_unit=result.page.org_unit,
        notebook=result.page.notebook, status=status, seconds=round(result.seconds, 2), inputs=inputs,
        html=result.html.relative_to(folder).as_posix() if result.html else None,
        executed_notebook=result.notebook.relative_to(folder).as_posix() if result.notebook else None,
        error=result.error, rag_counts=result.rag_counts, commentary_missing=result.commentary_missing,
        images=[i.relative_to(folder).as_posix() for i in result.images],
        drawings={i.relative_to(folder).as_posix(): drawing for i, drawing in result.images.items()},
        interactive=result.interactive,
        once=result.page.notebook in ONCE,
    )  # fmt: skip
