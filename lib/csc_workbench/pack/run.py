"""Build the monthly pack: validate, run the notebooks in parallel, write offline HTML and an
index, and publish ``outputs/<YYYY-MM>/`` atomically.

Parameters are checked here first (Papermill does not): a bad month, org unit or area stops the
run with a clear message before any kernel starts. Each page is one notebook for one org unit;
pages run in a thread pool under a progress bar. Each worker thread starts one kernel and reuses it
for its pages, clearing the namespace (``%reset -f``) between them: the kernel start and the library
imports are paid once per worker, not once per page. A kernel that fails to start is retried and a
kernel that dies is replaced; a notebook that raises is recorded as failed (its executed notebook, with the
error, is kept and linked from the index) and the others carry on. The pack is written to a
temporary folder beside the destination and swapped into place only when complete, so a failed
or interrupted run never leaves a half-written pack where a good one was.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from csc_workbench.config import load_params
from csc_workbench.config.errors import WorkbenchError
from csc_workbench.measures.breakdowns import check_breakdowns
from csc_workbench.pack.html import SYNTHETIC_LABEL, PageHeader, stylesheet, write_page
from csc_workbench.pack.meeting_files import chart_pngs, write_scorecard_xlsx
from csc_workbench.pack.pdf import PrintedPage, check_printer, write_pdf
from csc_workbench.pack.render import RUNTIME_PATH, write_runtime
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.store.atoms import Store

#: The notebooks every org unit gets, and the notebook of an area without one of its own.
SCORECARD = "scorecard"
EXCEPTIONS = "exceptions"
DASHBOARD = "dashboard"
#: Pages the pack has once, for every reader: the guidance notes and the accessibility statement.
ONCE = {"guidance": "Guidance notes", "accessibility": "Accessibility statement"}
GENERIC_AREA = "area"
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
KERNEL = "python3"
#: Attempts to start a kernel (the first and two retries).
KERNEL_ATTEMPTS = 3
#: Whose pages get PNG images of their charts: every org unit's, the authority's (default: about
#: 0.13 s a chart, so every page's would add a third to the run), or none.
IMAGES = ("all", "authority", "none")


class PackError(WorkbenchError, ValueError):
    """Parameters the pack cannot run with (raised before any kernel starts)."""


@dataclass(frozen=True)
class Page:
    notebook: str  # notebook stem in the notebooks folder
    org_unit: str
    output: str  # file stem in the pack
    title: str
    parameters: dict


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
    images: list[Path] = field(default_factory=list)  # the page's charts as PNG
    phases: dict[str, float] = field(default_factory=dict)  # seconds: execute, convert, images
    interactive: bool = False  # the page has an interactive chart (it loads the chart runtime)


@dataclass
class PackResult:
    month: str
    path: Path
    index: Path
    pages: list[PageResult]
    timings: dict[str, float] = field(default_factory=dict)
    pdf: Path | None = None  # the whole pack as one PDF (--pdf)
    pdf_pages: list[PrintedPage] = field(default_factory=list)  # where each page landed in it

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
) -> list[Page]:  # fmt: skip
    """One page per (notebook, org unit): the scorecard, the portfolio dashboard (where the
    catalogue has themes) and the exceptions first, then a page for each area (its own notebook,
    or the generic area notebook told which area)."""
    pages = []
    common = {"month": month, "cohort": cohort, "store": str(store_path), "params_folder": str(params_folder),
              "catalogue": str(catalogue) if catalogue else None}  # fmt: skip
    for org in org_units:
        fixed = [(SCORECARD, "Scorecard", SCORECARD, {}), (EXCEPTIONS, "Exceptions", EXCEPTIONS, {})]
        if params.catalogue.themes:
            fixed.insert(1, (DASHBOARD, "Portfolio dashboard", DASHBOARD, {}))
        for area in areas:
            stem = area_notebook(area, notebooks_dir)
            fixed.append((stem, params.catalogue.areas[area], area, {"area": area} if stem == GENERIC_AREA else {}))
        for stem, title, name, extra in fixed:
            label = f"{title}: {org}" + (f" ({params.catalogue.cohorts[cohort]})" if cohort != "all" else "")
            parameters = common | {"org_unit": org} | extra
            pages.append(Page(stem, org, f"{_slug(name).replace('-', '_')}_{_slug(org)}", label, parameters))
    authority = params.authority.org_units.name
    for stem, title in ONCE.items():
        pages.append(Page(stem, authority, stem, title, common | {"org_unit": authority}))
    return pages


#: Run once in each batch kernel before its first page: a kept read connection to the store and
#: charts displayed without re-validating their spec (see the two functions), and the pages'
#: libraries imported once. ``%reset -f`` between pages clears the names, not this state.
WARM_UP = """\
from csc_workbench.pack.render import skip_spec_validation
from csc_workbench.store.atoms import reuse_read_connections

reuse_read_connections(True)
skip_spec_validation()
import csc_workbench.present.area_page, csc_workbench.present.exceptions, csc_workbench.assess.scorecard
"""


class WarmKernels:
    """One kernel per worker thread, started on the thread's first page and reused for the next.

    Between pages the kernel's namespace is cleared with ``%reset -f``, so a page sees only its
    own parameters and cells; imported modules stay loaded, which is the point. ``get`` starts
    (or replaces a dead) kernel with up to ``KERNEL_ATTEMPTS`` tries; ``discard`` drops the
    calling thread's kernel after a failure that may have left it unusable; ``stop`` (on Ctrl-C)
    shuts every kernel down and starts no other, so the pages still running end at once."""

    def __init__(self, kernel: str, cwd: Path):
        self.kernel, self.cwd = kernel, cwd
        self._local = threading.local()
        self._started: list = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sockets = tempfile.TemporaryDirectory(prefix="cscw-kernels-")

    def get(self):
        """(kernel manager, attempts it took to start it) for the calling thread."""
        from jupyter_core.utils import run_sync

        if self._stopped.is_set():
            raise RuntimeError("the pack was stopped")
        km = getattr(self._local, "km", None)
        if km is not None and run_sync(km.is_alive)():
            try:
                run_sync(self._reset)(km)
                return km, 1
            except Exception:  # a wedged kernel: replace it below
                pass
        self.discard()
        error: BaseException | None = None
        for attempt in range(1, KERNEL_ATTEMPTS + 1):
            if self._stopped.is_set():
                raise RuntimeError("the pack was stopped")
            try:
                km = run_sync(self._start)()
            except Exception as exc:  # retried; the last error is raised
                error = exc
                continue
            self._local.km = km
            return km, attempt
        raise RuntimeError(f"kernel {self.kernel!r} did not start after {KERNEL_ATTEMPTS} attempts: {error}")

    async def _start(self):
        from jupyter_client.manager import AsyncKernelManager

        # IPC sockets in a private folder, not TCP on localhost: nothing else on the machine can
        # talk to the batch kernels (and ipykernel has no plain-text TCP warning to print).
        km = AsyncKernelManager(kernel_name=self.kernel, transport="ipc")
        with self._lock:
            self._started.append(km)
            km.ip = str(Path(self._sockets.name) / f"kernel-{len(self._started)}")
        await km.start_kernel(cwd=str(self.cwd))
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await self._execute(km, kc, WARM_UP, timeout=120)
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise WorkbenchError(f"the batch kernel's warm-up failed: {content.get('ename')}: {content.get('evalue')}")
        return km

    async def _reset(self, km) -> None:
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await self._execute(km, kc, "%reset -f", timeout=60)
        finally:
            kc.stop_channels()

    async def _execute(self, km, kc, code: str, timeout: float) -> dict:
        """Run ``code`` in the kernel and return its reply; RuntimeError as soon as the kernel dies
        or the pack is stopped (instead of waiting out ``timeout``)."""
        task = asyncio.ensure_future(
            kc.execute_interactive(code, store_history=False, output_hook=lambda _: None, timeout=timeout)
        )
        while not task.done():
            await asyncio.wait({task}, timeout=0.5)
            if not task.done() and (self._stopped.is_set() or not await km.is_alive()):
                task.cancel()
                raise RuntimeError(f"kernel {self.kernel!r} stopped")
        return task.result()

    def discard(self) -> None:
        """Shut down the calling thread's kernel, if it has one."""
        from jupyter_core.utils import run_sync

        km = getattr(self._local, "km", None)
        self._local.km = None
        if km is not None:
            with contextlib.suppress(Exception):  # already gone
                run_sync(km.shutdown_kernel)(now=True)

    def stop(self) -> None:
        """Start no more kernels and shut down those running (the pages in them fail at once)."""
        self._stopped.set()
        self._shutdown()

    def shutdown_all(self) -> None:
        """Shut down every kernel started (from the thread that built the pack)."""
        self._shutdown()
        self._sockets.cleanup()

    def _shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        with self._lock:
            started = list(self._started)
        for km in started:
            try:
                if run_sync(km.is_alive)():
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # a kernel already gone is fine
                pass


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
    started: float
    execute_seconds: float


def execute_page(page: Page, notebooks_dir: Path, folder: Path, kernels: WarmKernels) -> Executed:
    """Run one page's notebook in the calling thread's warm kernel (retrying a kernel that will
    not start or dies); a notebook's own error is recorded, not raised."""
    import papermill

    started = time.perf_counter()
    executed = folder / "notebooks" / f"{page.output}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    error, attempts = None, 0
    for _ in range(KERNEL_ATTEMPTS):
        try:
            km, tries = kernels.get()
        except RuntimeError as exc:  # no kernel would start: the page fails, the pack carries on
            error, attempts = str(exc), attempts + KERNEL_ATTEMPTS
            break
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
    return Executed(page, executed, error, attempts, started, time.perf_counter() - started)


def finish_page(run: Executed, folder: Path, header: PageHeader, images: bool = False) -> PageResult:
    """Write an executed page's HTML (and its chart images), read back what the index needs, and
    drop the executed notebook unless the page failed. Runs beside the kernels, in the pack's
    finishing thread, so a kernel starts its next page meanwhile."""
    page, executed, error, attempts, started = run.page, run.notebook, run.error, run.attempts, run.started
    finishing = time.perf_counter()
    phases = {"execute": run.execute_seconds}
    page_header = PageHeader(header.authority, header.month_label, header.data_as_at, header.synthetic, page.title)
    html_path: Path | None = folder / f"{page.output}.html"
    if executed.exists():
        try:
            # the scorecard's and the dashboard's wide tables print on A4 landscape, the rest portrait
            write_page(executed, html_path, page_header, landscape=page.notebook in (SCORECARD, DASHBOARD))
        except Exception as exc:
            error = error or f"HTML conversion failed: {type(exc).__name__}: {exc}"
            html_path = None
    else:
        html_path = None
    phases["convert"] = time.perf_counter() - finishing
    pngs: list[Path] = []
    if error is None and images:
        try:
            pngs = chart_pngs(executed, folder / "images", page.output)
        except Exception as exc:  # the page is fine without its images: say so in the index
            error = f"chart images failed: {type(exc).__name__}: {exc}"
    interactive = html_path is not None and RUNTIME_PATH in html_path.read_text(encoding="utf-8")
    if error is None:
        executed.unlink()  # only failed pages keep their executed notebook in the pack
    return PageResult(
        page,
        error is None,
        html_path,
        executed if executed.exists() else None,
        time.perf_counter() - started,
        error,
        attempts=attempts,
        images=pngs,
        phases=phases | {"images": time.perf_counter() - finishing - phases["convert"]},
        interactive=interactive,
    )


def index_html(
    month: int, header: PageHeader, results: list[PageResult], folder: Path, workbook: Path | None = None,
    pdf: Path | None = None,
) -> str:  # fmt: skip
    """index.html: every page with its org unit, status, RAG counts and chart images; failures
    linked; the files for meetings (the pack as one PDF, the scorecard workbook, the images
    folder) above."""
    rows = []
    for r in results:
        link = (
            f'<a href="{html.escape(r.html.relative_to(folder).as_posix())}">{html.escape(r.page.title)}</a>'
            if r.html
            else html.escape(r.page.title)
        )
        if r.ok and r.commentary_missing:
            names = html.escape(", ".join(r.commentary_missing))
            status = (
                '<td class="status-ok">ok<br><small class="commentary-missing" style="color:#B34700">'
                f"red without commentary: {names}</small></td>"
            )
        elif r.ok:
            status = '<td class="status-ok">ok</td>'
        else:
            nb = (
                f' (<a href="{html.escape(r.notebook.relative_to(folder).as_posix())}">executed notebook</a>)'
                if r.notebook
                else ""
            )
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
        images = (
            f'<td><a href="{html.escape(r.images[0].relative_to(folder).as_posix())}">{len(r.images)} PNG</a></td>'
            if r.images
            else "<td>-</td>"
        )
        rows.append(f"<tr><td>{link}</td><td>{html.escape(r.page.org_unit)}</td>{status}{rag}{images}</tr>")
    table = (
        '<table class="cscw-index" style="border-collapse:collapse" border="1" cellpadding="4">'
        "<thead><tr><th>Page</th><th>Org unit</th><th>Status</th><th>Green</th><th>Amber</th><th>Red</th>"
        f"<th>Chart images</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    files = []
    if pdf is not None:
        files.append(
            f'<a class="cscw-pdf" href="{html.escape(pdf.relative_to(folder).as_posix())}">{html.escape(pdf.name)}</a>'
            " (the whole pack as one PDF, A4, with a bookmark per page, for committee papers)"
        )
    if workbook is not None:
        files.append(
            f'<a class="cscw-workbook" href="{html.escape(workbook.relative_to(folder).as_posix())}">'
            "scorecard.xlsx</a> (one sheet per org unit)"
        )
    if any(r.images for r in results):
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


def _publish(build: Path, final: Path) -> None:
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
) -> PackResult:
    """Build the pack for ``month`` and publish it to ``out_root/<YYYY-MM>/`` (see module doc);
    ``catalogue`` replaces the params folder's catalogue.yml; ``pdf`` prints the pack into one PDF
    beside the pages (:mod:`csc_workbench.pack.pdf`)."""
    from tqdm.auto import tqdm

    from csc_workbench.assess.scorecard import rag_counts, scorecard
    from csc_workbench.config.commentary import load_commentary
    from csc_workbench.present.exceptions import red_without_commentary

    started = time.perf_counter()
    params_folder, store_path = Path(params_folder).resolve(), Path(store_path).resolve()
    notebooks_dir, out_root = Path(notebooks_dir).resolve(), Path(out_root).resolve()
    catalogue = Path(catalogue).resolve() if catalogue is not None else None
    params = load_params(params_folder, catalogue)
    check_breakdowns(params.catalogue, str(catalogue or params_folder / "catalogue.yml"))
    store = Store(store_path)
    index, units, chosen = validate(month, params, store, org_units, areas, notebooks_dir)
    if cohort not in params.catalogue.cohorts:
        raise PackError(f"--cohort: unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
    if images not in IMAGES:
        raise PackError(f"--images: {images!r} is not one of {', '.join(IMAGES)}")
    if pdf:
        check_printer()
    drawn = {"all": set(units), "authority": {params.authority.org_units.name}, "none": set()}[images]
    month = month_text(index)
    pages = plan_pages(month, units, chosen, params, store_path, params_folder, cohort, catalogue, notebooks_dir)
    header = PageHeader(params.authority.name, month_label(index), data_as_at(store, index), params.authority.synthetic)
    # what the index says of each page comes from the run's own data, never from the pages' HTML
    cards = {org: scorecard(store, params, index, org, cohort) for org in units}
    commentary = load_commentary(params, index)
    timings = {"validate": time.perf_counter() - started}

    out_root.mkdir(parents=True, exist_ok=True)
    build = out_root / f".building-{month}-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir()
    try:
        executing = time.perf_counter()
        # a kernel more than the cores: while the main process writes a page's HTML, a kernel
        # would otherwise wait (on 2 cores: 78 s for the demo pack against 86 s with 2 kernels)
        workers = max(1, min(jobs or (os.cpu_count() or 1) + 1, len(pages)))
        results: dict[int, PageResult] = {}
        kernels = WarmKernels(kernel, build)
        try:
            # kernels run pages in the worker threads; one finishing thread writes each page's
            # HTML and images as soon as its notebook is done, while that kernel goes on
            with (
                ThreadPoolExecutor(max_workers=workers) as pool,
                ThreadPoolExecutor(max_workers=1) as finisher,
                tqdm(total=len(pages), desc=f"pack {month}", unit="page", disable=not progress) as bar,
            ):
                running = {pool.submit(execute_page, p, notebooks_dir, build, kernels): i for i, p in enumerate(pages)}

                def tick(done) -> None:
                    if done.cancelled():
                        return
                    if done.exception() is None:
                        result = done.result()
                        bar.set_postfix_str(("ok " if result.ok else "FAILED ") + result.page.output)
                    bar.update()

                finishing = {}
                try:
                    for future in as_completed(running):
                        i = running[future]
                        task = finisher.submit(finish_page, future.result(), build, header, pages[i].org_unit in drawn)
                        task.add_done_callback(tick)
                        finishing[task] = i
                    for future in as_completed(finishing):
                        results[finishing[future]] = future.result()
                except BaseException:  # Ctrl-C: drop the pages not started, end those running, quietly
                    papermill_log = logging.getLogger("papermill")
                    was_disabled, papermill_log.disabled = papermill_log.disabled, True
                    try:
                        pool.shutdown(wait=False, cancel_futures=True)
                        finisher.shutdown(wait=False, cancel_futures=True)
                        kernels.stop()
                        pool.shutdown()
                        finisher.shutdown()
                    finally:
                        papermill_log.disabled = was_disabled
                    raise
        finally:
            kernels.shutdown_all()
        ordered = [results[i] for i in range(len(pages))]
        timings["execute"] = time.perf_counter() - executing
        notebooks = build / "notebooks"
        if notebooks.exists() and not any(notebooks.iterdir()):
            notebooks.rmdir()
        for r in ordered:
            if r.ok and r.page.notebook == SCORECARD:
                r.rag_counts = rag_counts(cards[r.page.org_unit])
            if r.ok and r.page.notebook == EXCEPTIONS:
                r.commentary_missing = red_without_commentary(cards[r.page.org_unit], params, commentary)
        area_titles = dict(params.catalogue.areas)
        workbook = write_scorecard_xlsx(cards, build / "scorecard.xlsx", area_titles, header)
        timings["workbook"] = time.perf_counter() - executing - timings["execute"]
        if any(r.interactive for r in ordered):  # one copy of the chart runtime for the pages that load it
            write_runtime(build)
        pack_pdf, printed = None, []
        if pdf:
            printing = time.perf_counter()
            pack_pdf = build / f"csc_performance_pack_{month}.pdf"
            title = f"Children's social care performance pack: {header.month_label}: {header.authority}"
            # a bookmark per page under its org unit's; the pages the pack has once at the top level
            shown = [
                PrintedPage(r.page.title, None if r.page.notebook in ONCE else r.page.org_unit, r.html)
                for r in ordered
                if r.ok and r.html
            ]
            printed = write_pdf(shown, pack_pdf, title, header.authority)
            timings["pdf"] = time.perf_counter() - printing
        (build / "index.html").write_text(
            index_html(index, header, ordered, build, workbook, pack_pdf), encoding="utf-8"
        )
        final = out_root / month
        _publish(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    for r in ordered:  # paths into the published folder
        r.html = final / r.html.relative_to(build) if r.html else None
        r.notebook = final / r.notebook.relative_to(build) if r.notebook else None
        r.images = [final / i.relative_to(build) for i in r.images]
    printed = [PrintedPage(p.title, p.org_unit, final / p.html.relative_to(build), p.first, p.pages) for p in printed]
    timings["total"] = time.perf_counter() - started
    return PackResult(
        month, final, final / "index.html", ordered, timings, final / pack_pdf.name if pack_pdf else None, printed
    )
