"""The monthly pack end to end on a small synthetic county: run the notebooks with Papermill,
check the offline HTML and the index, a failing notebook, atomic publishing, and open every
page in headless Chromium with the network blocked."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from csc_workbench.config import load_params
from csc_workbench.pack import run as pack_run
from csc_workbench.pack.html import REMOTE_REFERENCE, SYNTHETIC_LABEL
from csc_workbench.pack.render import CHART_CLASS
from csc_workbench.pack.run import PackError, build_pack

from ..conftest import ROOT
from .conftest import END

AUTHORITY, AREA = "Northmoor", "North Northmoor"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOKS = ROOT / "notebooks"


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
    )
    print(f"4-page pack built in {time.perf_counter() - started:.1f} s: {result.timings}")
    return result


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
        ({"areas": ["adoption"]}, "no notebook for 'adoption'"),
        ({"cohort": "martians"}, "unknown cohort 'martians'"),
    ],
)
def test_bad_parameters_stop_before_any_kernel(demo, tmp_path, monkeypatch, kwargs, message) -> None:
    _, store = demo
    # every catalogue area now has a notebook: take adoption's away to check the message
    monkeypatch.setattr(pack_run, "AREA_NOTEBOOKS", {a: a for a in pack_run.AREA_NOTEBOOKS if a != "adoption"})

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(pack_run, "execute_page", no_kernel)
    arguments = {"month": END, "org_units": None, "areas": None} | kwargs
    with pytest.raises(PackError, match=re.escape(message)):
        build_pack(params_folder=ROOT / "params", store_path=store.path, out_root=tmp_path, progress=False, **arguments)
    assert not any(tmp_path.iterdir())


# --- the pack --------------------------------------------------------------------------


def test_every_page_is_listed_in_the_index_with_rag_counts(pack) -> None:
    assert pack.path.name == END and not pack.failures
    assert len(pack.pages) == 6  # scorecard, exceptions and children in care for two org units
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
        assert text.count('id="cscw-vega-bundle"') == 1  # the JS once per page, not once per chart
        assert REMOTE_REFERENCE.findall(text) == []
        outside_bundle = re.sub(
            r'<script type="text/javascript" id="cscw-vega-bundle">.*?</script>', "", text, flags=re.S
        )
        for code in (
            "render.enable()",
            "load_params(",
            "params_folder =",
            "pages.scorecard_html",
            "indicator_section(",
        ):
            assert code not in outside_bundle, code
        assert not re.search(r'class="[^"]*\b(highlight|jp-InputPrompt|jp-CodeMirrorEditor)\b', text)  # no code
        if page.page.notebook == "children_in_care":
            # three indicators with a trend and an annual chart each, then the first indicator's
            # views across org units (at least the explore-by-org-unit chart with its controls)
            assert text.count(f'class="{CHART_CLASS}"') >= 7
            assert "Explore by org unit" in text and "pick_org" in text
            assert "Including UASC" in text
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
        charts = _text(page.html).count(f'class="{CHART_CLASS}"')
        expected = charts if page.page.org_unit == AUTHORITY else 0
        assert len(page.images) == expected, page.page.output
        assert all(i.exists() and i.read_bytes()[:4] == b"\x89PNG" for i in page.images)


def test_a_failing_notebook_is_marked_failed_and_the_others_succeed(demo, tmp_path) -> None:
    _, store = demo
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "scorecard.ipynb", notebooks / "scorecard.ipynb")
    shutil.copy(NOTEBOOKS / "exceptions.ipynb", notebooks / "exceptions.ipynb")
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
    assert not failed.ok and "deliberate failure" in failed.error
    assert failed.notebook is not None and failed.notebook.exists()
    assert result.failures == [failed]
    index = _text(result.index)
    assert "FAILED" in index
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
    for stem, code in (("scorecard", first), ("exceptions", second)):
        nb = new_notebook(cells=[params_cell, new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, notebooks / f"{stem}.ipynb")

    result = build_pack(END, ROOT / "params", store.path, tmp_path / "out", areas=[], notebooks_dir=notebooks,
                        jobs=1, progress=False)  # fmt: skip
    assert not result.failures, [p.error for p in result.failures]
    pids = [re.search(r"pid (\d+)", _text(p.html)).group(1) for p in result.pages]
    assert len(pids) == 2 and pids[0] == pids[1]  # the same kernel ran both pages


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
    assert [p.page.notebook for p in result.pages] == ["scorecard", "exceptions"]
    assert all(p.ok and p.attempts == 3 for p in result.pages)
    assert calls == {"scorecard": ["python3"] * 3, "exceptions": ["python3"] * 3}

    calls.clear()
    monkeypatch.setattr(pack_run, "KERNEL_ATTEMPTS", 2)
    result = build_pack(END, ROOT / "params", store.path, tmp_path, areas=[], progress=False)
    assert all(not p.ok and "Kernel died" in p.error for p in result.pages)
    assert calls == {"scorecard": ["python3"] * 2, "exceptions": ["python3"] * 2}
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
    assert sorted(p.name for p in tmp_path.iterdir()) == [END]


def test_publishing_replaces_the_previous_pack(demo, tmp_path) -> None:
    _, store = demo
    previous = tmp_path / END
    previous.mkdir()
    (previous / "stale.html").write_text("old", encoding="utf-8")
    result = build_pack(END, ROOT / "params", store.path, tmp_path, areas=[], progress=False)
    assert result.path == previous and not (previous / "stale.html").exists()
    assert (previous / "index.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [END]


# --- headless Chromium with the network blocked ------------------------------------------

#: Requests Chromium itself makes at start-up (time, updates, accounts), not the page's; they are
#: blocked by the proxy like everything else.
_BROWSER_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com"}
_URL = re.compile(r'"url":"([^"]*)"')


class _Charts(html.parser.HTMLParser):
    """For each chart container: whether vega-embed drew an <svg> or <canvas> inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[bool] = []
        self._depth = 0  # div depth inside the current chart container (0: outside)

    def handle_starttag(self, tag, attrs) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            if tag == "div":
                self._depth += 1
            if tag in ("svg", "canvas"):
                self.charts[-1] = True
        elif tag == "div" and CHART_CLASS in classes:
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
    charts = 0
    for page in pages:
        dom, urls = _chromium(page, tmp_path)
        assert "cscw-header" in dom, page.name
        parser = _Charts()
        parser.feed(dom)
        assert all(parser.charts), f"{page.name}: {parser.charts.count(False)} chart(s) did not render"
        assert "Chart failed to render:" not in dom.replace('"Chart failed to render: "', "")
        charts += len(parser.charts)
        assert REMOTE_REFERENCE.findall(dom) == [], page.name
        assert _remote(urls) == [], f"{page.name} requested {_remote(urls)}"
    reds = sum(p.rag_counts["red"] for p in pack.pages if p.page.notebook == "scorecard")
    drawn = {p.page.output: _text(p.html).count(f'class="{CHART_CLASS}"') for p in pack.pages}
    assert sum(v for k, v in drawn.items() if k.startswith("exceptions")) == reds  # a trend per red indicator
    assert charts == sum(drawn.values()) >= 14 + reds  # every chart div of every page drew
