"""The pack as one PDF for committee papers, printed by the headless Chromium the project installs.

Each page of the pack is opened in Debian's chromium (driven by Playwright, with every request
that would leave the machine refused) and printed with the pack's print stylesheet: A4, the
scorecard landscape, the running header with the authority, month, page title and page number.
pypdf joins the prints into one file with a bookmark per page, titled by the page's title and
nested under its org unit when the pack has more than one (a page of the whole pack, such as the
guidance notes, at the top level).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from csc_workbench.config.errors import WorkbenchError

#: Debian's chromium (scripts/install_system_deps.sh installs it); Playwright's own browsers are never used.
CHROMIUM = Path("/usr/bin/chromium")


class PdfError(WorkbenchError, RuntimeError):
    """The PDF cannot be printed (no chromium, or Playwright missing)."""


@dataclass(frozen=True)
class PrintedPage:
    """One page of the pack in the PDF: its title, org unit (None for a page of the whole pack),
    HTML file, and the PDF pages it took."""

    title: str
    org_unit: str | None
    html: Path
    first: int = 0  # index of its first page in the PDF
    pages: int = 0


def check_printer(chromium: Path = CHROMIUM) -> None:
    """PdfError unless the PDF can be printed here (checked before a pack is built)."""
    if not chromium.exists():
        raise PdfError(f"--pdf: {chromium} not found: run scripts/install_system_deps.sh (installs Debian's chromium)")
    try:
        import playwright.sync_api  # noqa: F401
        import pypdf  # noqa: F401
    except ImportError as exc:
        raise PdfError(f"--pdf: {exc.name} is not installed: pip install -e . installs it") from None


def _block_remote(route) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def print_page(page, html: Path) -> bytes:
    """One page of the pack printed by Chromium as its print stylesheet says (A4, running header).
    Its charts are drawn in the page as SVG; interactive charts are left out of print."""
    page.goto(html.resolve().as_uri(), wait_until="load")
    return page.pdf(format="A4", prefer_css_page_size=True, print_background=True)


def write_pdf(
    pages: Sequence[PrintedPage], path: str | Path, title: str, author: str, chromium: Path = CHROMIUM
) -> list[PrintedPage]:
    """Print ``pages`` in order into one PDF at ``path`` with a bookmark per page (nested under its
    org unit when there are several); returns each page with where it landed in the PDF. Written
    to a temporary file and moved into place."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    check_printer(chromium)
    path = Path(path)
    writer = PdfWriter()
    placed: list[PrintedPage] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium))
        try:
            context = browser.new_context()
            context.route("**/*", _block_remote)
            tab = context.new_page()
            for page in pages:
                first = len(writer.pages)
                writer.append(PdfReader(io.BytesIO(print_page(tab, page.html))), import_outline=False)
                placed.append(PrintedPage(page.title, page.org_unit, page.html, first, len(writer.pages) - first))
        finally:
            browser.close()
    nested = len({p.org_unit for p in placed if p.org_unit is not None}) > 1
    parents: dict[str, object] = {}
    for page in placed:
        org = page.org_unit
        if nested and org is not None and org not in parents:
            parents[org] = writer.add_outline_item(title=org, page_number=page.first)
        writer.add_outline_item(title=page.title, page_number=page.first, parent=parents.get(org) if org else None)
    writer.add_metadata({"/Title": title, "/Author": author})
    writer.page_mode = "/UseOutlines"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            writer.write(handle)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return placed
