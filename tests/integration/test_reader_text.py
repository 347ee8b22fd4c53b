"""Reader pages carry reader text only and meet WCAG 2.2 AA: every page of the demo pack (the
authority, every area of the catalogue, the dashboard, exceptions, guidance and accessibility
statement) is scanned for file names, indicator ids, code, month codes, transcription notes and
placeholders, and checked with axe-core in Debian's Chromium."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest

from csc_workbench.pack.run import build_pack

from ..conftest import ROOT
from .conftest import END

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by scripts/install_system_deps.sh

#: What a reader's page must never show.
DEVELOPER_TEXT = re.compile(
    r"[Ss]eeds?:|legible|[Pp]laceholder|[Tt]ranscri|params/|catalogue\.yml|\.ya?ml\b|\.csv\b|\.ipynb\b|csc_workbench|"
    r"Traceback|\bNone\b|\bnan\b|\bNaN\b|\b20\d\d-(?:0[1-9]|1[0-2])\b|\{\{|\}\}"
)


class _ReaderText(html.parser.HTMLParser):
    """The text a reader sees or hears: text outside scripts and styles, and the title, alt and
    aria-label attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skip += tag in ("script", "style")
        self.parts += [value for key, value in attrs if key in ("title", "alt", "aria-label") and value]

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def reader_text(page: str) -> str:
    parser = _ReaderText()
    parser.feed(page)
    return " ".join(parser.parts)


def developer_strings(text: str, ids: set[str]) -> list[str]:
    found = [m.group(0) for m in DEVELOPER_TEXT.finditer(text)]
    return found + [word for word in re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", text) if word in ids]


@pytest.fixture(scope="module")
def full_pack(small_county, tmp_path_factory):
    out = tmp_path_factory.mktemp("full_pack")
    return build_pack(END, ROOT / "params", small_county.store.path, out, images="none", progress=False)


def test_every_page_of_the_demo_pack_carries_reader_text_only(full_pack, small_county) -> None:
    ids = set(small_county.params.catalogue.ids)
    assert not full_pack.failures, [(p.page.title, p.error) for p in full_pack.failures]
    kinds = {p.page.parameters.get("area") or p.page.notebook for p in full_pack.pages}
    assert set(small_county.params.catalogue.areas) <= kinds
    assert {"scorecard", "dashboard", "exceptions", "data_quality", "revisions", "guidance", "accessibility"} <= kinds
    found = {}
    for page in [full_pack.index, *(p.html for p in full_pack.pages)]:
        hits = developer_strings(reader_text(Path(page).read_text(encoding="utf-8")), ids)
        if hits:
            found[Path(page).name] = sorted(set(hits))[:10]
    assert found == {}


def test_the_scan_finds_developer_text(small_county) -> None:
    ids = set(small_county.params.catalogue.ids)
    page = (
        "<p>Notes: Seeds: Kent 24</p><p title='see params/catalogue.yml'>x</p><td>cic_health_timely</td>"
        "<p>no figure for 2025-02</p><p>B. Placeholder</p><script>var hidden = 'cic_open';</script>"
    )
    assert developer_strings(reader_text(page), ids) == [
        "Seeds:", "params/", "catalogue.yml", "2025-02", "Placeholder", "cic_health_timely",
    ]  # fmt: skip


def test_every_page_kind_has_no_serious_accessibility_violation(full_pack) -> None:
    """axe-core (WCAG 2.2 AA rules) in Debian's Chromium, offline, on every page of the pack: no
    serious or critical violation (contrast, names, labels, table headers, language)."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe, found = Axe(), {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        for path in [full_pack.index, *(p.html for p in full_pack.pages)]:
            page.goto(Path(path).as_uri())
            page.wait_for_load_state("load")
            result = axe.run(
                page,
                options={
                    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]}
                },
            )
            serious = [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
            if serious:
                found[Path(path).name] = serious
            assert result.response["passes"], path  # axe ran its rules on the page
    assert found == {}
