"""JupyterLab offline, driven as a person would: JupyterLab (started as `make lab` starts it) on a
copy of the notebooks beside the demo county's store, opened in headless Chromium with every
request to another host blocked and recorded. The explorer notebook is run from the Run menu; the
indicator, the org unit and the window are changed in its controls and the chart's drawn marks,
its text alternative and the table change each time (counts as whole numbers). An area notebook
is run, every chart in it draws, and one chart's cell is edited in its editor and re-run: the new
chart is drawn. No request leaves the machine."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from csc_workbench.explore.explorer import indicator_options

from ..conftest import ROOT
from .test_pack import CHROMIUM

#: What `make lab` gives JupyterLab so that its server fetches nothing (news, update checks, the
#: extension manager's PyPI look-ups).
OFFLINE = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: generous: two cores shared with other work; every wait ends as soon as its condition holds
TIMEOUT_MS = 120_000
PERCENT, COUNT = "referrals_to_assessment", "referrals"  # two in-month flows of the front door
#: The area notebook opened, its cell drawing the headline by org unit, and what the call is changed to.
AREA_NOTEBOOK, CHART_CELL, EDITED = "assessments", "show(page.by_org_unit(page.headline))", "page.indicators[1]"

#: The explorer's view as the page shows it: the chart's text alternative, its drawn marks (the
#: lines' and points' SVG paths) and the table's text.
VIEW = """() => {
  const chart = document.querySelector('.jp-Notebook .vega-embed');
  const table = document.querySelector('.jp-Notebook .widget-output table');
  const marks = chart ? [...chart.querySelectorAll('svg .mark-line path, svg .mark-symbol path')] : [];
  return {label: chart ? chart.getAttribute('aria-label') : '', marks: marks.map(p => p.getAttribute('d')).join(' '),
          table: table ? table.innerText : ''};
}"""


@dataclass(frozen=True)
class Lab:
    url: str
    token: str


@dataclass
class Requests:
    """Every URL the browser asked for (HTTP and WebSocket); those to another host were refused."""

    urls: list[str] = field(default_factory=list)

    @property
    def remote(self) -> list[str]:
        return [
            u for u in self.urls if urlsplit(u).hostname not in LOCAL_HOSTS and not u.startswith(("data:", "blob:"))
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(lab: Lab) -> bool:
    """Whether JupyterLab's server answers (its status, asked with the token)."""
    request = urllib.request.Request(f"{lab.url}/api/status", headers={"Authorization": f"token {lab.token}"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def lab(small_county, tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on a free localhost port with a token, on a copy of the notebooks (edits stay
    here) laid out as in the repository: the demo store at ../data/demo.duckdb, ../params."""
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / "notebooks")
    (root / "data").mkdir()
    shutil.copy(small_county.store.path, root / "data" / "demo.duckdb")
    (root / "params").symlink_to(ROOT / "params")
    # Jupyter's own settings, workspaces and runtime files in the test's folder, not the user's
    env = os.environ | {f"JUPYTER_{k}_DIR": str(root / k.lower()) for k in ("CONFIG", "DATA", "RUNTIME")}
    env["IPYTHONDIR"] = str(root / "ipython")
    port, token, log = _free_port(), secrets.token_hex(16), root / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root / 'notebooks'}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}", f"--LabApp.user_settings_dir={root / 'settings'}", *OFFLINE,
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=root / "notebooks", env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 60
        while not _answers(running):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield running
    finally:  # stopped by SIGTERM, JupyterLab shuts its kernels down
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/install_system_deps.sh (installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def offline(browser) -> Iterator[tuple[Page, Requests]]:
    """A page in a fresh browser context whose requests to any host but this machine are refused,
    and every request recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    requests = Requests()

    def route(request_route) -> None:
        if urlsplit(request_route.request.url).hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            request_route.abort()

    context.on("request", lambda request: requests.urls.append(request.url))
    context.route("**/*", route)
    page = context.new_page()
    page.on("websocket", lambda ws: requests.urls.append(ws.url))
    yield page, requests
    context.close()


def _open_and_run_all(page: Page, lab: Lab, notebook: str) -> None:
    """Open the notebook by its URL, wait for its kernel, Run > Run All Cells, and wait until every
    code cell has run."""
    page.goto(f"{lab.url}/lab/tree/{notebook}.ipynb?reset&token={lab.token}")
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| Idle")).wait_for()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
          return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=TIMEOUT_MS,
    )
    assert "Traceback" not in page.inner_text(".jp-Notebook"), f"{notebook} raised an error in JupyterLab"


def _wait_drawn(marks: Locator, requests: Requests, what: str) -> None:
    """Wait for a chart's drawn marks; if they never come, say which requests were refused."""
    try:
        marks.first.wait_for()
    except PlaywrightTimeoutError:
        pytest.fail(f"{what} did not draw; requests refused (another host): {requests.remote or 'none'}")


def _view_after(page: Page, before: dict[str, str]) -> dict[str, str]:
    """The explorer's view once its label, drawn marks and table have all changed from ``before``."""
    page.wait_for_function(
        f"""(before) => {{
          const now = ({VIEW})();
          return now.marks !== '' && now.label !== before.label && now.marks !== before.marks
                 && now.table !== before.table;
        }}""",
        arg=before,
        timeout=TIMEOUT_MS,
    )
    return page.evaluate(VIEW)


def _cells(view: dict[str, str]) -> list[str]:
    """The figures of the table's body (its row headings, the months, left out)."""
    rows = [line.split("\t")[1:] for line in view["table"].splitlines()[2:]]
    return [cell.strip() for row in rows for cell in row if cell.strip()]


def test_the_explorer_draws_and_redraws_offline_in_jupyterlab(lab, offline, small_county) -> None:
    page, requests = offline
    params = small_county.params
    labels = {value: label for label, value in indicator_options(params)}
    area = params.authority.org_units.children[0].name
    _open_and_run_all(page, lab, "explorer")
    _wait_drawn(page.locator(".jp-Notebook .vega-embed svg .mark-line path"), requests, "the explorer's chart")
    first = page.evaluate(VIEW)
    assert first["label"] and first["marks"] and _cells(first), first

    page.get_by_label("Indicator", exact=True).select_option(labels[PERCENT])
    rate = _view_after(page, first)
    assert rate["label"].startswith(params.catalogue[PERCENT].title)
    assert all(re.fullmatch(r"\d+\.\d", cell) for cell in _cells(rate)), rate["table"]  # one decimal place

    page.get_by_label("Org unit", exact=True).select_option(area)
    in_area = _view_after(page, rate)
    assert f": {area}, in month" in in_area["label"] and area in in_area["table"].splitlines()[0]

    page.get_by_role("button", name="Rolling 3 months", exact=True).click()
    rolling = _view_after(page, in_area)
    assert f": {area}, rolling 3 months" in rolling["label"]

    page.get_by_label("Indicator", exact=True).select_option(labels[COUNT])
    counts = _view_after(page, rolling)
    assert counts["label"].startswith(params.catalogue[COUNT].title)
    assert all(re.fullmatch(r"\d+", cell) for cell in _cells(counts)), counts["table"]  # 4142, never 4142.0
    assert requests.remote == [], f"requests left the machine: {requests.remote}"


def test_an_area_notebook_draws_every_chart_and_an_edited_cell_redraws(lab, offline, small_county) -> None:
    page, requests = offline
    indicators = small_county.params.catalogue.in_area(AREA_NOTEBOOK)
    _open_and_run_all(page, lab, AREA_NOTEBOOK)
    drawings = page.locator(".jp-Notebook .cscw-chart")
    assert drawings.count() > len(indicators)  # a trend per indicator, and more
    for k in range(drawings.count()):  # every chart drawn as SVG in the kernel shows its marks
        assert drawings.nth(k).locator("svg path").count() > 0, drawings.nth(k).get_attribute("aria-label")
    live = page.locator(".jp-Notebook .vega-embed")  # the interactive chart, live with its controls
    _wait_drawn(live.locator("svg .mark-line path"), requests, "the interactive chart")
    expect(live.locator(".vega-bindings select")).to_have_count(1)
    assert "Error displaying widget" not in page.inner_text(".jp-Notebook")

    cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=CHART_CELL)
    chart = cell.locator(".cscw-chart").first
    before, drawn = chart.get_attribute("aria-label"), chart.inner_html()
    assert before.startswith(indicators[0].title)
    cell.locator(".cm-content").click()  # into the cell's editor: replace the call and run the cell
    page.keyboard.press("Control+a")
    page.keyboard.type(CHART_CELL.replace("page.headline", EDITED))
    page.keyboard.press("Shift+Enter")
    cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=CHART_CELL.replace("page.headline", EDITED))
    expect(cell.locator(".cscw-chart").first).to_have_attribute(
        "aria-label", re.compile(rf"^{re.escape(indicators[1].title)}")
    )
    assert cell.locator(".cscw-chart svg path").count() > 0 and cell.locator(".cscw-chart").first.inner_html() != drawn
    assert requests.remote == [], f"requests left the machine: {requests.remote}"
