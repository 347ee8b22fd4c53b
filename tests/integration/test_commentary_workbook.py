"""Commentary from the service reaches the pack: the demo county's template, filled in by hand and
loaded with ``cscw commentary load`` into a copy of the params folder, is what the exceptions page
(run as the pack runs it, with Papermill) shows for a red indicator, and that page no longer flags
its commentary as missing."""

from __future__ import annotations

import html
import shutil

import nbformat
import papermill
from openpyxl import load_workbook

from csc_workbench.cli import main
from csc_workbench.config.commentary_workbook import COLUMNS, SHEET

from ..conftest import ROOT
from .conftest import END

HEADERS = [c.header for c in COLUMNS]
WRITTEN = (
    "Service manager's note: **eight** late visits were recorded late, not missed; "
    'the team is "catching up" #recording é ✓\n\n- audit by 30/07\n- report to the board'
)


def test_a_filled_in_workbook_appears_on_the_exceptions_page(small_county, tmp_path, capsys) -> None:
    params = tmp_path / "params"
    shutil.copytree(ROOT / "params", params, ignore=shutil.ignore_patterns("examples"))
    authority = small_county.params.authority.org_units.name
    workbook = tmp_path / "commentary.xlsx"
    common = ["--params", str(params), "--store", str(small_county.store.path)]
    assert (
        main(["commentary", "template", "--month", END, "--org-units", authority, "--out", str(workbook), *common]) == 0
    )
    capsys.readouterr()

    book = load_workbook(workbook)
    sheet = book[SHEET]
    column = {header: k for k, header in enumerate(HEADERS, start=1)}
    red = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column["RAG"]).value == "Red")
    indicator = sheet.cell(red, column["Key"]).value.split(" | ")[0]
    sheet.cell(red, column["Commentary"]).value = WRITTEN
    sheet.cell(red, column["What"]).value = "Weekly recording clinic"
    book.save(workbook)
    assert main(["commentary", "load", str(workbook), *common]) == 0
    assert f"in {params / 'commentary' / f'{END}.yml'}" in capsys.readouterr().out

    executed = tmp_path / "exceptions.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "exceptions.ipynb"), str(executed),
        parameters={"month": END, "store": str(small_county.store.path), "params_folder": str(params)},
        cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    shown = "".join(
        output["data"].get("text/html", "")
        for cell in nbformat.read(executed, as_version=4).cells
        for output in cell.get("outputs", [])
        if "data" in output
    )
    page = shown.split(f'data-indicator="{indicator}" data-commentary-missing=')[1]
    assert page.startswith('"false"')  # the page shows the commentary, not the "missing" flag
    page = page.split("cscw-exception-page")[0]
    assert "<strong>eight</strong>" in page and "<li>report to the board</li>" in page  # Markdown rendered
    assert 'the team is "catching up" #recording é ✓' in html.unescape(page)
    assert "Weekly recording clinic" in shown  # the action plan
