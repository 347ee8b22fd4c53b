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

import contextlib
import html
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
from csc_workbench.pack.html import SYNTHETIC_LABEL, PageHeader, write_page
from csc_workbench.pack.meeting_files import chart_pngs, write_scorecard_xlsx
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.present.exceptions import summary_from_notebook
from csc_workbench.store.atoms import Store

#: The notebook every org unit gets, and the area notebooks (catalogue area -> notebook stem).
SCORECARD = "scorecard"
EXCEPTIONS = "exceptions"
AREA_NOTEBOOKS: dict[str, str] = {
    area: area
    for area in (
        "front_door",
        "assessments",
        "s47",
        "cin",
        "child_protection",
        "children_in_care",
        "care_leavers",
        "adoption",
        "workforce",
        "quality_assurance",
    )
}
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
KERNEL = "python3"
#: Attempts to start a kernel (the first and two retries).
KERNEL_ATTEMPTS = 3
#: Whose pages get PNG images of their charts: every org unit's, the authority's (default: about
#: 0.13 s a chart, so every page's would add a third to the run), or none.
IMAGES = ("all", "authority", "none")
_RAG_COUNTS = re.compile(r'data-rag-counts="green=(\d+),amber=(\d+),red=(\d+)"')


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
    commentary_missing: list[str] | None = None  # red indicators without commentary (exceptions page)
    images: list[Path] = field(default_factory=list)  # the page's charts as PNG
    phases: dict[str, float] = field(default_factory=dict)  # seconds: execute, convert, images


@dataclass
class PackResult:
    month: str
    path: Path
    index: Path
    pages: list[PageResult]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[PageResult]:
        return [p for p in self.pages if not p.ok]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def validate(
    month: str, params, store: Store, org_units: list[str] | None, areas: list[str] | None, notebooks_dir: Path
) -> tuple[int, list[str], list[str]]:
    """(month index, org units, areas) or PackError naming what is wrong and what is allowed.

    ``month`` may be "latest" (the latest month in the store); ``org_units`` ["all"] means every
    org unit; ``areas`` None means every area that has a notebook."""
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
    chosen = list(areas) if areas is not None else list(AREA_NOTEBOOKS)
    for area in chosen:
        if area not in params.catalogue.areas:
            raise PackError(f"--areas: unknown area {area!r}; known: {', '.join(params.catalogue.areas)}")
        if area not in AREA_NOTEBOOKS:
            raise PackError(f"--areas: no notebook for {area!r} yet; areas with one: {', '.join(AREA_NOTEBOOKS)}")
    for stem in [SCORECARD, EXCEPTIONS, *(AREA_NOTEBOOKS[a] for a in chosen)]:
        if not (notebooks_dir / f"{stem}.ipynb").exists():
            raise PackError(f"notebook {notebooks_dir / (stem + '.ipynb')} not found")
    return index, list(dict.fromkeys(units)), list(dict.fromkeys(chosen))


def plan_pages(
    month: str, org_units: list[str], areas: list[str], params, store_path: Path, params_folder: Path,
    cohort: str = "all",
) -> list[Page]:  # fmt: skip
    """One page per (notebook, org unit): the scorecard first, then each area's notebook."""
    pages = []
    for org in org_units:
        fixed = [(SCORECARD, "Scorecard"), (EXCEPTIONS, "Exceptions")]
        for stem, title in [*fixed, *((AREA_NOTEBOOKS[a], params.catalogue.areas[a]) for a in areas)]:
            parameters = {
                "month": month,
                "org_unit": org,
                "cohort": cohort,
                "store": str(store_path),
                "params_folder": str(params_folder),
            }
            label = f"{title}: {org}" + (f" ({params.catalogue.cohorts[cohort]})" if cohort != "all" else "")
            pages.append(Page(stem, org, f"{stem}_{_slug(org)}", label, parameters))
    return pages


#: Run once in each batch kernel before its first page: a kept read connection to the store and
#: charts displayed without re-validating their spec (see the two functions), and the pages'
#: libraries imported once. ``%reset -f`` between pages clears the names, not this state.
WARM_UP = """\
from csc_workbench.pack.render import skip_spec_validation
from csc_workbench.store.atoms import reuse_read_connections

reuse_read_connections(True)
skip_spec_validation()
import csc_workbench.pack.pages, csc_workbench.present.exceptions, csc_workbench.assess.scorecard
"""


class WarmKernels:
    """One kernel per worker thread, started on the thread's first page and reused for the next.

    Between pages the kernel's namespace is cleared with ``%reset -f``, so a page sees only its
    own parameters and cells; imported modules stay loaded, which is the point. ``get`` starts
    (or replaces a dead) kernel with up to ``KERNEL_ATTEMPTS`` tries; ``discard`` drops the
    calling thread's kernel after a failure that may have left it unusable."""

    def __init__(self, kernel: str, cwd: Path):
        self.kernel, self.cwd = kernel, cwd
        self._local = threading.local()
        self._started: list = []
        self._lock = threading.Lock()
        self._sockets = tempfile.TemporaryDirectory(prefix="cscw-kernels-")

    def get(self):
        """(kernel manager, attempts it took to start it) for the calling thread."""
        from jupyter_core.utils import run_sync

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
            reply = await kc.execute_interactive(WARM_UP, store_history=False, output_hook=lambda _: None, timeout=120)
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise WorkbenchError(f"the batch kernel's warm-up failed: {content.get('ename')}: {content.get('evalue')}")
        return km

    @staticmethod
    async def _reset(km) -> None:
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await kc.execute_interactive("%reset -f", store_history=False, output_hook=lambda _: None, timeout=60)
        finally:
            kc.stop_channels()

    def discard(self) -> None:
        """Shut down the calling thread's kernel, if it has one."""
        from jupyter_core.utils import run_sync

        km = getattr(self._local, "km", None)
        self._local.km = None
        if km is not None:
            with contextlib.suppress(Exception):  # already gone
                run_sync(km.shutdown_kernel)(now=True)

    def shutdown_all(self) -> None:
        """Shut down every kernel started (from the thread that built the pack)."""
        from jupyter_core.utils import run_sync

        for km in self._started:
            try:
                if run_sync(km.is_alive)():
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # a kernel already gone is fine
                pass
        self._sockets.cleanup()


def _kernel_start_failure(exc: BaseException) -> bool:
    """Errors that mean the kernel did not start (retried), not that the notebook raised."""
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    return isinstance(exc, DeadKernelError | RuntimeError | TimeoutError)


def _rag_counts(notebook: Path) -> dict[str, int] | None:
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html", "")
            text = "".join(text) if isinstance(text, list) else text
            match = _RAG_COUNTS.search(text)
            if match:
                return dict(zip(("green", "amber", "red"), map(int, match.groups()), strict=True))
    return None


@dataclass
class Executed:
    """A page's notebook after its run, before its HTML is written."""

    page: Page
    notebook: Path
    error: str | None
    attempts: int
    started: float
    execute_seconds: float


def run_page(
    page: Page, notebooks_dir: Path, folder: Path, header: PageHeader, kernels: WarmKernels, images: bool = False
) -> PageResult:
    """Execute one notebook in the thread's warm kernel and write its page (and with ``images``
    its charts as PNG in ``images/``); never raises for a notebook's own error."""
    return finish_page(execute_page(page, notebooks_dir, folder, kernels), folder, header, images)


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
            error = f"{type(exc).__name__}: {exc}".strip()
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
            write_page(executed, html_path, page_header)
        except Exception as exc:
            error = error or f"HTML conversion failed: {type(exc).__name__}: {exc}"
            html_path = None
    else:
        html_path = None
    counts = _rag_counts(executed) if error is None and page.notebook == SCORECARD else None
    missing = None
    if error is None and page.notebook == EXCEPTIONS:
        summary = summary_from_notebook(executed)
        missing = summary["commentary_missing"] if summary else None
    phases["convert"] = time.perf_counter() - finishing
    pngs: list[Path] = []
    if error is None and images:
        try:
            pngs = chart_pngs(executed, folder / "images", page.output)
        except Exception as exc:  # the page is fine without its images: say so in the index
            error = f"chart images failed: {type(exc).__name__}: {exc}"
    if error is None:
        executed.unlink()  # only failed pages keep their executed notebook in the pack
    return PageResult(
        page,
        error is None,
        html_path,
        executed if executed.exists() else None,
        time.perf_counter() - started,
        error,
        counts,
        attempts,
        missing,
        pngs,
        phases | {"images": time.perf_counter() - finishing - phases["convert"]},
    )


def index_html(
    month: int, header: PageHeader, results: list[PageResult], folder: Path, workbook: Path | None = None
) -> str:
    """index.html: every page with its org unit, status, RAG counts and chart images; failures
    linked; the files for meetings (the scorecard workbook, the images folder) above."""
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
                '<td class="status-ok">ok<br><small class="commentary-missing" style="color:#D55E00">'
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
            first = html.escape((r.error or "").splitlines()[0][:300] if r.error else "")
            status = (
                '<td class="status-failed" style="color:#D55E00;font-weight:bold">'
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
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:sans-serif">{synthetic}{head.html()}<main style="padding:0 16px">{meeting}{table}'
        "</main>"
        "</body></html>\n"
    )


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
) -> PackResult:
    """Build the pack for ``month`` and publish it to ``out_root/<YYYY-MM>/`` (see module doc)."""
    from tqdm.auto import tqdm

    from csc_workbench.assess.scorecard import scorecard
    from csc_workbench.pack.pages import data_as_at

    started = time.perf_counter()
    params_folder, store_path = Path(params_folder).resolve(), Path(store_path).resolve()
    notebooks_dir, out_root = Path(notebooks_dir).resolve(), Path(out_root).resolve()
    params = load_params(params_folder)
    store = Store(store_path)
    index, units, chosen = validate(month, params, store, org_units, areas, notebooks_dir)
    if cohort not in params.catalogue.cohorts:
        raise PackError(f"--cohort: unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
    if images not in IMAGES:
        raise PackError(f"--images: {images!r} is not one of {', '.join(IMAGES)}")
    drawn = {"all": set(units), "authority": {params.authority.org_units.name}, "none": set()}[images]
    month = month_text(index)
    pages = plan_pages(month, units, chosen, params, store_path, params_folder, cohort)
    header = PageHeader(params.authority.name, month_label(index), data_as_at(store), params.authority.synthetic)
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
                    if done.exception() is None:
                        result = done.result()
                        bar.set_postfix_str(("ok " if result.ok else "FAILED ") + result.page.output)
                    bar.update()

                finishing = {}
                for future in as_completed(running):
                    i = running[future]
                    task = finisher.submit(finish_page, future.result(), build, header, pages[i].org_unit in drawn)
                    task.add_done_callback(tick)
                    finishing[task] = i
                for future in as_completed(finishing):
                    results[finishing[future]] = future.result()
        finally:
            kernels.shutdown_all()
        ordered = [results[i] for i in range(len(pages))]
        timings["execute"] = time.perf_counter() - executing
        notebooks = build / "notebooks"
        if notebooks.exists() and not any(notebooks.iterdir()):
            notebooks.rmdir()
        cards = {org: scorecard(store, params, index, org, cohort) for org in units}
        area_titles = dict(params.catalogue.areas)
        workbook = write_scorecard_xlsx(cards, build / "scorecard.xlsx", area_titles, header)
        timings["workbook"] = time.perf_counter() - executing - timings["execute"]
        (build / "index.html").write_text(index_html(index, header, ordered, build, workbook), encoding="utf-8")
        final = out_root / month
        _publish(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    for r in ordered:  # paths into the published folder
        r.html = final / r.html.relative_to(build) if r.html else None
        r.notebook = final / r.notebook.relative_to(build) if r.notebook else None
        r.images = [final / i.relative_to(build) for i in r.images]
    timings["total"] = time.perf_counter() - started
    return PackResult(month, final, final / "index.html", ordered, timings)
