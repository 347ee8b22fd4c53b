"""The monthly pack end to end on a small synthetic county: run the notebooks with Papermill,
check the offline HTML and the index, a failing notebook, atomic publishing, open every page in
headless Chromium with the network blocked, and print the pack on A4 (the PDF with its
bookmarks, page counts, running header; no table wider than the paper)."""

from __future__ import annotations

import html
import html.parser
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from csc_workbench.config import load_params
from csc_workbench.pack import kernels as pack_kernels
from csc_workbench.pack import run as pack_run
from csc_workbench.pack.html import PRINT_MARGINS_MM, REMOTE_REFERENCE, SYNTHETIC_LABEL
from csc_workbench.pack.render import CHART_CLASS, INTERACTIVE_CLASS, RUNTIME_PATH
from csc_workbench.pack.run import PackError, build_pack

from ..conftest import ROOT
from .conftest import END

AUTHORITY, AREA = "Northmoor", "North Northmoor"
#: The notebooks of a pack with no area page (the demo catalogue has themes, so a dashboard).
NO_AREAS = ["scorecard", "dashboard", "exceptions", "data_quality", "revisions", "guidance", "accessibility"]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOKS = ROOT / "notebooks"
#: A chart's container, static or interactive (nbconvert may write its attributes in any order).
CHART = re.compile(rf'<div\b[^>]*\bclass="{CHART_CLASS}(?: {INTERACTIVE_CLASS})?"')


@pytest.fixture(scope="module")
def demo(small_county):
    return small_county.root, small_county.store


@pytest.fixture(scope="module")
def pack(demo):
    root, store = demo
    started = time.perf_counter()
    result = build_pack(
        END,
        ROOT / "params",
        store.path,
        root / "outputs",
        org_units=[AUTHORITY, AREA],
        areas=["children_in_care"],
        jobs=4,
        progress=False,
        pdf=True,
    )
    print(f"6-page pack built in {time.perf_counter() - started:.1f} s: {result.timings}")
    return result


def _notebooks_without_areas(folder: Path) -> Path:
    """``folder/notebooks`` holding a copy of the notebooks of a pack with no area page."""
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    for stem in NO_AREAS:
        shutil.copy(NOTEBOOKS / f"{stem}.ipynb", notebooks / f"{stem}.ipynb")
    return notebooks


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- parameters are checked before any kernel starts ------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": "2031-01"}, "no data for 2031-01"),
        ({"month": "June 2025"}, "not a month"),
        ({"org_units": ["Nowhere"]}, "unknown 'Nowhere'"),
        ({"areas": ["astrology"]}, "unknown area 'astrology'"),
        ({"cohort": "martians"}, "unknown cohort 'martians'"),
    ],
)
def test_bad_parameters_stop_before_any_kernel(demo, tmp_path, monkeypatch, kwargs, message) -> None:
    _, store = demo

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(pack_run, "execute_page", no_kernel)
    arguments = {"month": END, "org_units": None, "areas": None} | kwargs
    with pytest.raises(PackError, match=re.escape(message)):
        build_pack(params_folder=ROOT / "params", store_path=store.path, out_root=tmp_path, progress=False, **arguments)
    assert not any(tmp_path.iterdir())


def test_an_area_without_its_own_notebook_needs_the_generic_one(demo, tmp_path) -> None:
    _, store = demo
    notebooks = _notebooks_without_areas(tmp_path)
    with pytest.raises(PackError, match=re.escape(f"notebook {notebooks / 'area.ipynb'} not found")):
        build_pack(END, ROOT / "params", store.path, tmp_path / "out", areas=["adoption"], notebooks_dir=notebooks,
                   progress=False)  # fmt: skip


# --- the pack --------------------------------------------------------------------------


def test_every_page_is_listed_in_the_index_with_rag_counts(pack) -> None:
    assert pack.path.name == END and not pack.failures
    # scorecard, portfolio dashboard, exceptions and children in care for two org units, the data
    # quality, the revisions, the guidance notes and the accessibility statement once
    assert len(pack.pages) == 12
    index = _text(pack.index)
    for page in pack.pages:
        assert page.html is not None and page.html.exists()
        assert f'href="{page.html.name}"' in index
        assert page.page.org_unit in index
    scorecards = [p for p in pack.pages if p.page.notebook == "scorecard"]
    assert {p.page.org_unit for p in scorecards} == {AUTHORITY, AREA}
    for page in scorecards:
        counts = page.rag_counts
        assert counts is not None and sum(counts.values()) > 0
        row = re.search(rf'href="{page.html.name}".*?</tr>', index).group(0)
        for rag in ("green", "amber", "red"):
            assert f'<td class="rag-{rag}">{counts[rag]}</td>' in row
    assert SYNTHETIC_LABEL in index
    assert not list(pack.path.parent.glob(".building-*"))


def test_red_indicators_without_commentary_are_flagged_in_the_index(pack) -> None:
    """No commentary file exists for the test month: every red indicator is flagged, on its
    exceptions page and in the index."""
    exceptions = {p.page.org_unit: p for p in pack.pages if p.page.notebook == "exceptions"}
    scorecards = {p.page.org_unit: p for p in pack.pages if p.page.notebook == "scorecard"}
    assert set(exceptions) == {AUTHORITY, AREA}
    index = _text(pack.index)
    for org, page in exceptions.items():
        reds = scorecards[org].rag_counts["red"]
        assert len(page.commentary_missing or []) == reds
        if reds:
            row = re.search(rf'href="{page.html.name}".*?</tr>', index).group(0)
            assert "red without commentary" in row
            assert "Commentary missing" in _text(page.html)


def test_pages_are_offline_with_header_and_no_code(pack) -> None:
    params = load_params(ROOT / "params")
    for page in pack.pages:
        text = _text(page.html)
        assert params.authority.name in text
        assert "Jun 2025" in text and "data as at" in text
        assert SYNTHETIC_LABEL in text
        # no chart runtime inlined: a page with an interactive chart loads the pack's one copy
        assert text.count(f'script.src = "{RUNTIME_PATH}"') == (f'"{CHART_CLASS} {INTERACTIVE_CLASS}"' in text)
        assert "vega-embed@" not in text and "function vegaEmbed" not in text
        assert REMOTE_REFERENCE.findall(text) == []
        for code in (
            "render.enable()",
            "load_params(",
            "params_folder =",
            "html_tables.",
            "indicator_section(",
        ):
            assert code not in text, code
        assert not re.search(r'class="[^"]*\b(highlight|jp-InputPrompt|jp-CodeMirrorEditor)\b', text)  # no code
        if page.page.notebook == "children_in_care":
            # every indicator of the area with its trend chart, then the first indicator's views
            # across org units (at least the explore-by-org-unit chart with its controls)
            area = load_params(ROOT / "params").catalogue.in_area("children_in_care")
            assert all("<h3" in text and ind.title in text for ind in area)
            assert len(CHART.findall(text)) >= len(area) + 1
            assert "Explore by org unit" in text and "pick_org" in text
            assert "Excluding UASC" in text  # the cohorts side by side
            assert "Feb 2025" in text  # the gap month explained


def test_files_for_meetings(pack) -> None:
    """scorecard.xlsx with a sheet per org unit, equal to the scorecard pages; chart images for
    the authority's pages (the default), one per chart drawn on the page."""
    from openpyxl import load_workbook

    index = _text(pack.index)
    assert 'href="scorecard.xlsx"' in index and 'href="images/"' in index
    book = load_workbook(pack.path / "scorecard.xlsx")
    assert book.sheetnames == [AUTHORITY, AREA]
    for page in (p for p in pack.pages if p.page.notebook == "scorecard"):
        rags = [c.value for c in book[page.page.org_unit]["G"][3:]]
        assert {"green": rags.count("G"), "amber": rags.count("A"), "red": rags.count("R")} == page.rag_counts
    for page in pack.pages:
        charts = len(CHART.findall(_text(page.html)))
        expected = charts if page.page.org_unit == AUTHORITY else 0
        assert len(page.images) == expected, page.page.output
        assert all(i.exists() and i.read_bytes()[:4] == b"\x89PNG" for i in page.images)


def test_a_failing_notebook_is_marked_failed_and_the_others_succeed(demo, tmp_path) -> None:
    _, store = demo
    notebooks = _notebooks_without_areas(tmp_path)
    params_cell = new_code_cell('month = "2026-10"\norg_unit = None\ncohort = "all"\nstore = ""\nparams_folder = ""')
    params_cell.metadata["tags"] = ["parameters"]
    broken = new_notebook(cells=[params_cell, new_code_cell("raise RuntimeError('deliberate failure for the test')")])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, notebooks / "children_in_care.ipynb")

    result = build_pack(
        END,
        ROOT / "params",
        store.path,
        tmp_path / "out",
        areas=["children_in_care"],
        notebooks_dir=notebooks,
        progress=False,
    )
    by_notebook = {p.page.notebook: p for p in result.pages}
    assert by_notebook["scorecard"].ok and by_notebook["scorecard"].rag_counts
    failed = by_notebook["children_in_care"]
    # why it failed: the exception, its message and the cell that raised it
    message = "deliberate failure for the test"
    why = f"RuntimeError: {message} (cell In [N]: raise RuntimeError('{message}'))"
    assert not failed.ok and re.sub(r"In \[\d+\]", "In [N]", failed.error) == why
    assert failed.notebook is not None and failed.notebook.exists()
    assert "deliberate failure for the test" in _text(failed.notebook)  # the kept notebook holds the error
    assert result.failures == [failed]
    index = _text(result.index)
    assert "FAILED" in index and html.escape(failed.error) in index
    assert f'href="{failed.notebook.relative_to(result.path).as_posix()}"' in index
    assert "deliberate failure" in _text(failed.html)  # the page shows the error


def test_pages_share_a_warm_kernel_but_not_its_namespace(demo, tmp_path) -> None:
    """One worker runs both pages in one kernel (started once), and the second page does not see
    the first page's variables."""
    _, store = demo
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    params_cell = new_code_cell('month = "2026-10"\norg_unit = None\ncohort = "all"\nstore = ""\nparams_folder = ""')
    params_cell.metadata["tags"] = ["parameters"]
    first = "import os\nleaked = 'from the scorecard'\nprint('pid', os.getpid())"
    second = (
        "import os\nprint('pid', os.getpid())\n"
        "assert 'leaked' not in globals(), 'the previous page leaked its namespace'"
    )
    for stem, code in (("scorecard", first), *((stem, second) for stem in NO_AREAS[1:])):
        nb = new_notebook(cells=[params_cell, new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, notebooks / f"{stem}.ipynb")

    result = build_pack(END, ROOT / "params", store.path, tmp_path / "out", areas=[], notebooks_dir=notebooks,
                        jobs=1, progress=False)  # fmt: skip
    assert not result.failures, [p.error for p in result.failures]
    pids = [re.search(r"pid (\d+)", _text(p.html)).group(1) for p in result.pages]
    assert len(pids) == len(NO_AREAS) and len(set(pids)) == 1  # the same kernel ran every page


def test_a_kernel_that_fails_to_start_is_retried(demo, tmp_path, monkeypatch) -> None:
    import papermill

    _, store = demo
    calls: dict[str, list[str]] = {}

    def flaky(source, output, **kwargs):
        attempts = calls.setdefault(Path(source).stem, [])
        attempts.append(kwargs["kernel_name"])
        if len(attempts) <= 2:
            raise RuntimeError("Kernel died before replying to kernel_info")
        shutil.copy(source, output)  # "executed" without outputs: enough for the page

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    result = build_pack("latest", ROOT / "params", store.path, tmp_path, areas=[], progress=False)
    assert result.month == END and result.path == tmp_path / END
    assert [p.page.notebook for p in result.pages] == NO_AREAS
    assert all(p.ok and p.attempts == 3 for p in result.pages)
    assert calls == {stem: ["python3"] * 3 for stem in NO_AREAS}

    calls.clear()
    monkeypatch.setattr(pack_kernels, "KERNEL_ATTEMPTS", 2)
    result = build_pack(END, ROOT / "params", store.path, tmp_path, areas=[], progress=False, rebuild=True)
    assert all(not p.ok and "Kernel died" in p.error for p in result.pages)
    assert calls == {stem: ["python3"] * 2 for stem in NO_AREAS}
    assert "FAILED" in _text(result.index)


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_a_run_that_fails_before_publishing_leaves_the_previous_pack(demo, tmp_path, monkeypatch, failure) -> None:
    _, store = demo
    previous = tmp_path / END
    previous.mkdir()
    (previous / "index.html").write_text("the previous good pack", encoding="utf-8")

    def broken(*args, **kwargs):
        raise failure("interrupted")

    monkeypatch.setattr(pack_run, "execute_page", broken)
    with pytest.raises(failure):
        build_pack(END, ROOT / "params", store.path, tmp_path, progress=False)
    assert (previous / "index.html").read_text(encoding="utf-8") == "the previous good pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == [END, f"{END}.log"]  # the log says why
    last = (tmp_path / f"{END}.log").read_text(encoding="utf-8").splitlines()[-1]
    assert last.endswith("interrupted: nothing was published" if failure is KeyboardInterrupt else "interrupted")


def test_publishing_replaces_the_previous_pack(demo, tmp_path) -> None:
    _, store = demo
    previous = tmp_path / END
    previous.mkdir()
    (previous / "stale.html").write_text("old", encoding="utf-8")
    result = build_pack(END, ROOT / "params", store.path, tmp_path, areas=[], progress=False)
    assert result.path == previous and not (previous / "stale.html").exists()
    assert (previous / "index.html").exists()
    # beside the pack only its log and the charts' drawings kept for the next run (no building folder left)
    assert sorted(p.name for p in tmp_path.iterdir()) == [pack_kernels.DRAWINGS, END, f"{END}.log"]


# --- headless Chromium with the network blocked ------------------------------------------

#: Requests Chromium itself makes at start-up (time, updates, accounts), not the page's; they are
#: blocked by the proxy like everything else.
_BROWSER_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com"}
_URL = re.compile(r'"url":"([^"]*)"')


class _Charts(html.parser.HTMLParser):
    """For each chart container: whether it is drawn: its <svg> is inside it and, for an
    interactive chart, vegaEmbed has drawn it live (the container says so)."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[bool] = []
        self.interactive = 0
        self._live = False  # the current chart container needs nothing more than its svg
        self._depth = 0  # div depth inside the current chart container (0: outside)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self._depth:
            if tag == "div":
                self._depth += 1
            if tag in ("svg", "canvas"):
                self.charts[-1] = self._live
        elif tag == "div" and CHART_CLASS in classes:
            interactive = INTERACTIVE_CLASS in classes
            self.interactive += interactive
            self._live = not interactive or attributes.get("data-cscw-drawn") == "live"
            self.charts.append(False)
            self._depth = 1

    def handle_endtag(self, tag) -> None:
        if self._depth and tag == "div":
            self._depth -= 1


def _chromium(page: Path, workdir: Path) -> tuple[str, list[str]]:
    """(DOM after scripts ran, URLs the browser requested) with every network request blocked."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/install_system_deps.sh (installs Debian's chromium)")
    netlog = workdir / f"{page.stem}.netlog.json"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={workdir / ('profile-' + page.stem)}",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    urls = _URL.findall(netlog.read_text(encoding="utf-8", errors="replace")) if netlog.exists() else []
    return done.stdout, urls


def _remote(urls: list[str]) -> list[str]:
    hosts = [re.match(r"^[a-z]+://([^/:]+)", u) for u in urls]
    return [
        u
        for u, h in zip(urls, hosts, strict=True)
        if h and u.startswith(("http", "ws")) and h.group(1) not in _BROWSER_HOSTS
    ]


def test_the_network_check_catches_a_remote_request(tmp_path) -> None:
    page = tmp_path / "remote.html"
    page.write_text('<html><body><img src="https://cdn.example.com/x.png"></body></html>', encoding="utf-8")
    _, urls = _chromium(page, tmp_path)
    assert "https://cdn.example.com/x.png" in _remote(urls)


def test_every_chart_renders_offline_in_chromium(pack, tmp_path) -> None:
    pages = [pack.index, *(p.html for p in pack.pages)]
    charts = interactive = 0
    for page in pages:
        dom, urls = _chromium(page, tmp_path)
        assert "cscw-header" in dom, page.name
        parser = _Charts()
        parser.feed(dom)
        assert all(parser.charts), f"{page.name}: {parser.charts.count(False)} chart(s) did not render"
        assert 'data-cscw-drawn="failed"' not in dom
        charts += len(parser.charts)
        interactive += parser.interactive
        assert REMOTE_REFERENCE.findall(dom) == [], page.name
        assert _remote(urls) == [], f"{page.name} requested {_remote(urls)}"
    reds = sum(p.rag_counts["red"] for p in pack.pages if p.page.notebook == "scorecard")
    drawn = {p.page.output: len(CHART.findall(_text(p.html))) for p in pack.pages}
    assert sum(v for k, v in drawn.items() if k.startswith("exceptions")) == reds  # a trend per red indicator
    assert charts == sum(drawn.values()) >= 14 + reds  # every chart div of every page drew
    assert interactive >= 1  # and an interactive one drew live with the runtime beside the page


# --- light pages ---------------------------------------------------------------------------


def test_pages_are_light(pack) -> None:
    """Charts arrive drawn as SVG and the chart runtime is one file beside the pages, loaded only by
    pages with an interactive chart: the median page at most 600 kB, none over 1.5 MB."""
    sizes = {p.html.name: p.html.stat().st_size for p in pack.pages}
    assert statistics.median(sizes.values()) <= 600_000 and max(sizes.values()) <= 1_500_000, sizes
    loading = [p for p in pack.pages if RUNTIME_PATH in _text(p.html)]
    assert loading and all(p.page.notebook == "children_in_care" for p in loading)  # the explorer's pages
    assert (pack.path / RUNTIME_PATH).read_text(encoding="utf-8").count("vegaEmbed") > 0


# --- print and PDF -----------------------------------------------------------------------


def _pdf_text(reader, k: int) -> str:
    return " ".join(reader.pages[k].extract_text().split())


@pytest.fixture(scope="module")
def pdf(pack):
    from pypdf import PdfReader

    assert pack.pdf is not None and pack.pdf.exists()
    assert f'href="{pack.pdf.name}"' in _text(pack.index)
    return PdfReader(pack.pdf)


def test_the_pdf_has_a_bookmark_per_page_under_its_org_unit(pack, pdf) -> None:
    printed = pack.pdf_pages
    assert [p.title for p in printed] == [p.page.title for p in pack.pages]  # every page, in the pack's order
    assert len(pdf.pages) == sum(p.pages for p in printed) and all(p.pages >= 1 for p in printed)
    # (title, first sheet, children) of each top-level bookmark: an org unit with its pages, or a
    # page of the whole pack (guidance, accessibility statement) on its own
    top: list[tuple[str, int, list[tuple[str, int]]]] = []
    for item in pdf.outline:
        if isinstance(item, list):
            top[-1][2].extend((c.title, pdf.get_destination_page_number(c)) for c in item)
        else:
            top.append((item.title, pdf.get_destination_page_number(item), []))
    expected = []
    for page in printed:
        if page.org_unit is None:
            expected.append((page.title, page.first, []))
        else:
            if not any(title == page.org_unit for title, _, _ in expected):
                expected.append((page.org_unit, page.first, []))
            next(e for e in expected if e[0] == page.org_unit)[2].append((page.title, page.first))
    assert top == expected
    assert [t for t, _, children in top if children] == [AUTHORITY, AREA]


def test_every_printed_sheet_is_a4_with_the_running_header(pack, pdf) -> None:
    for page in pack.pdf_pages:
        for k in range(page.pages):
            box = pdf.pages[page.first + k].mediabox
            size = sorted((round(float(box.width)), round(float(box.height))))
            assert size == [595, 842], (page.title, size)  # A4 in points
            text = _pdf_text(pdf, page.first + k)
            for expected in ("Northmoor County Council", "Jun 2025", f"{page.title} · page {k + 1} of {page.pages}"):
                assert expected in text, (page.title, k, expected)


def test_the_scorecard_prints_on_at_most_three_a4_landscape_sheets(pack, pdf) -> None:
    scorecards = [p for p in pack.pdf_pages if p.html.name.startswith("scorecard_")]
    assert [p.org_unit for p in scorecards] == [AUTHORITY, AREA]
    for page in scorecards:
        assert 1 <= page.pages <= 3, (page.title, page.pages)
        for k in range(page.first, page.first + page.pages):
            assert pdf.pages[k].mediabox.width > pdf.pages[k].mediabox.height  # landscape
        printed = " ".join(_pdf_text(pdf, k) for k in range(page.first, page.first + page.pages))
        for table in ("cscw-scorecard", "cscw-activity"):  # the last column of each is on the paper
            head = re.search(rf'class="{table}".*?</thead>', _text(page.html), re.S).group(0)
            last = re.findall(r"<th\b[^>]*>(.*?)</th>", head, re.S)[-1]
            assert " ".join(html.unescape(re.sub("<[^>]+>", " ", last)).split()) in printed, (table, last)


def test_the_revisions_print_on_a4_landscape_and_the_data_quality_portrait(pack, pdf) -> None:
    printed = {p.html.name: p for p in pack.pdf_pages}
    for name, landscape in (("revisions.html", True), ("data_quality.html", False)):
        page = printed[name]
        for k in range(page.first, page.first + page.pages):
            box = pdf.pages[k].mediabox
            assert (box.width > box.height) is landscape, (name, k)


def test_each_exception_prints_on_one_sheet_with_its_action_plan(pack, pdf) -> None:
    """The red indicators' exception pages, trends and action plans: after the list of reds, one
    A4 sheet each, the exception page, its trend and the whole action plan together."""
    reds = {p.page.org_unit: p.rag_counts["red"] for p in pack.pages if p.page.notebook == "scorecard"}
    assert reds[AUTHORITY] >= 1  # the check below needs a red indicator
    for page in (p for p in pack.pdf_pages if p.html.name.startswith("exceptions_")):
        assert page.pages == 1 + reds[page.org_unit], (page.title, page.pages)
        for k in range(page.first + 1, page.first + page.pages):
            text = _pdf_text(pdf, k)
            for part in ("Cabinet Member", "Data notes", "last 13 months", "Performance action plan",
                         "When (will results be realised)"):  # fmt: skip
                assert text.count(part) == 1, (page.title, k - page.first, part)


def test_printed_pages_have_no_cut_tables_scroll_bars_or_controls(pack) -> None:
    """Laid out for print at the paper's width (A4 less the margins; landscape for the scorecard),
    no table or chart is wider than the paper, nothing scrolls, and no control shows."""
    from playwright.sync_api import sync_playwright

    _, side, _ = PRINT_MARGINS_MM
    check = """() => {
      const width = document.documentElement.clientWidth;
      const wide = Array.from(document.querySelectorAll("table, .cscw-chart svg"))
        .filter(e => e.getBoundingClientRect().right > width + 0.5 || e.scrollWidth > e.clientWidth + 1)
        .map(e => e.getAttribute("class") || e.tagName);
      const scrolling = Array.from(document.querySelectorAll("*")).filter(e =>
        ["auto", "scroll"].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.getAttribute("class") || e.tagName);
      const controls = Array.from(document.querySelectorAll("select, input, button, textarea"))
        .filter(e => e.getClientRects().length > 0).map(e => e.getAttribute("name") || e.tagName);
      return {wide, scrolling, controls, page: document.documentElement.scrollWidth - width};
    }"""
    drawn = "() => Array.from(document.querySelectorAll('.cscw-interactive')).every(e => e.dataset.cscwDrawn)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            controls_seen = 0
            for page in [pack.index, *(p.html for p in pack.pages)]:
                paper = 297 if page.name.startswith("scorecard_") else 210
                tab = browser.new_page(viewport={"width": int((paper - 2 * side) / 25.4 * 96), "height": 1000})
                tab.goto(page.as_uri())
                tab.wait_for_function(drawn)  # the live charts' controls are on the page ...
                controls_seen += tab.locator("select, input").count()
                tab.emulate_media(media="print")  # ... and not on the paper
                found = tab.evaluate(check)
                assert found == {"wide": [], "scrolling": [], "controls": [], "page": 0}, (page.name, found)
                tab.close()
            assert controls_seen > 0
        finally:
            browser.close()
