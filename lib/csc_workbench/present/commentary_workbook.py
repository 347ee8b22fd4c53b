"""The commentary template: a workbook for service managers who do not write YAML.

A row per red and amber indicator and org unit of the month (red first, then by area and
indicator in catalogue order, then org unit in hierarchy order), the narrative drafted from the
figures pre-filled in the Commentary column (or the month's commentary, where the file holds
some), and the action plan's columns pre-filled from the month's file. The layout is
:mod:`csc_workbench.config.commentary_workbook`'s, which reads the filled-in workbook back.

``template_rows`` is pure (scorecard and commentary in, rows out); ``write_commentary_template``
reads the store and writes the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.config import Params
from csc_workbench.config.commentary import Commentary, commentary_path, load_commentary
from csc_workbench.config.commentary_workbook import (
    AREA,
    COLUMNS,
    COMMENTARY,
    DOCUMENT_AUTHORITY,
    DOCUMENT_FIELDS,
    DOCUMENT_MONTH,
    DOCUMENT_SHEET,
    DRAFTED,
    GUIDE_SHEET,
    INDICATOR,
    KEY,
    LONG_TEXT,
    MONTH,
    ORG_UNIT,
    PLAN_COLUMNS,
    RAG,
    SHEET,
    SHORT_TEXT,
    TARGET,
    VALUE,
    row_key,
)
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.present.charts import RAG_COLOURS, RAG_LABELS
from csc_workbench.present.exceptions import draft_narrative
from csc_workbench.present.workbook import save_atomically
from csc_workbench.store.atoms import Store

#: Ratings that get a row, in the order the sheet lists them.
RATINGS_TO_EXPLAIN = ("red", "amber")

SYNTHETIC_NOTE = "SYNTHETIC DEMO DATA: a fictional authority; the figures are invented."

_EDITABLE_FILL = "FFF2CC"  # light yellow: cells to fill in
_HEADING_FILL = "DDE6F0"
_KEY_FILL = "EEEEEE"


@dataclass(frozen=True)
class TemplateRow:
    """One row of the Commentary sheet, as written."""

    indicator: str
    org_unit: str
    area_title: str
    title: str
    month: str
    value: float | None
    target: float | str | None
    rag: str
    unit: str
    decimals: int
    commentary: str
    drafted: str
    action_plan: dict[str, str | None] = field(default_factory=dict)
    from_file: bool = False

    @property
    def key(self) -> str:
        return row_key(self.indicator, self.org_unit)


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and x != x) else float(x)


def template_rows(card: pd.DataFrame, params: Params, commentary: Commentary) -> list[TemplateRow]:
    """A row per red and amber scorecard row: red first, then area, indicator (catalogue order)
    and org unit (hierarchy order). The Commentary cell holds the month's commentary for the row,
    else the drafted narrative; the action plan is pre-filled on one row per indicator (the
    authority's when it has a row, else the indicator's first), as the file holds one per indicator."""
    catalogue, authority = params.catalogue, params.authority.org_units.name
    area_order = {area: k for k, area in enumerate(catalogue.areas)}
    indicator_order = {ind.id: k for k, ind in enumerate(catalogue.indicators)}
    org_order = {org: k for k, org in enumerate(params.authority.org_unit_names)}
    chosen = [r for r in card.to_dict("records") if r["rag"] in RATINGS_TO_EXPLAIN]
    chosen.sort(
        key=lambda r: (
            RATINGS_TO_EXPLAIN.index(r["rag"]),
            area_order[r["area"]],
            indicator_order[r["indicator"]],
            org_order[r["org_unit"]],
        )
    )
    plan_rows: dict[str, int] = {}
    for position, r in enumerate(chosen):
        if r["indicator"] not in plan_rows or r["org_unit"] == authority:
            plan_rows[r["indicator"]] = position
    rows = []
    for position, r in enumerate(chosen):
        ind = catalogue[r["indicator"]]
        plan = commentary.action_plan(ind.id)
        drafted = draft_narrative(r, ind, plan.shortfall_noun if plan else None)
        written = commentary.text_for(ind.id, r["org_unit"], authority)
        fields = {c.plan_field: getattr(plan, c.plan_field) if plan else None for c in PLAN_COLUMNS}
        target = _number(r["target"])
        rows.append(
            TemplateRow(
                indicator=ind.id, org_unit=r["org_unit"], area_title=catalogue.areas[ind.area], title=ind.title,
                month=r["month"], value=_number(r["value"]),
                target=target if target is not None else (r.get("green_band") or None),
                rag=r["rag"], unit=ind.unit.value, decimals=ind.display_decimals,
                commentary=written if written is not None else drafted, drafted=drafted,
                action_plan=fields if plan_rows[ind.id] == position else {}, from_file=written is not None,
            )
        )  # fmt: skip
    return rows


# --- the workbook ---------------------------------------------------------------------------------
def _number_format(unit: str, decimals: int) -> str:
    digits = "0" if decimals == 0 else "0." + "0" * decimals
    return f'#,##{digits}"%"' if unit == "percent" else f"#,##{digits}"


def _cells(row: TemplateRow) -> dict[str, Any]:
    plan = {c.header: row.action_plan.get(c.plan_field) for c in PLAN_COLUMNS}
    return {
        AREA: row.area_title, INDICATOR: row.title, ORG_UNIT: row.org_unit, MONTH: row.month, VALUE: row.value,
        TARGET: row.target, RAG: RAG_LABELS[row.rag], COMMENTARY: row.commentary, **plan, KEY: row.key,
        DRAFTED: row.drafted,
    }  # fmt: skip


_HEADER_NOTES = {
    COMMENTARY: "Edit freely (Markdown: *italic*, **bold**, lists with '- '). Pre-filled with the draft from the "
    "figures, or the commentary already written. Clear the cell to remove the commentary for this row.",
    "Strategic director": "The action plan belongs to the indicator: write it on one row of the indicator; "
    "two rows with different text in a column are refused.",
    KEY: "Do not edit: it tells the loader which indicator and org unit this row is.",
}


def _guide_lines(params: Params, month: str) -> list[str]:
    plan_columns = ", ".join(c.header for c in PLAN_COLUMNS)
    lines = [
        f"Commentary for {params.authority.name}, {month_label(parse_month(month))}",
        "",
        "Sheet 'Commentary' has a row for every indicator rated Red or Amber this month, for each org unit.",
        "Fill in the yellow cells. The other columns are the figures the pack shows: do not edit them.",
        "",
        "Commentary: pre-filled with a draft written from the figures (or the commentary already written for "
        "the month). Edit it, keep it, or clear it: a filled cell is published as this row's commentary, exactly "
        "as written; a blank cell publishes none (the pack then shows its own draft, labelled as a draft, and "
        "flags a red indicator's commentary as missing).",
        "Markdown works: *italic*, **bold**, and lists with a line per item starting '- '. Press Alt+Enter "
        "(Excel) or Ctrl+Enter (LibreOffice) for a new line.",
        "",
        f"Action plan ({plan_columns}): one plan per indicator, shown with every red page of the indicator. "
        "It is pre-filled on one row of the indicator (the authority's when it has one). Write each field on any "
        "one row of the indicator; the same text on several rows is fine, different texts are refused. A field "
        "left blank on every row of the indicator is removed. 'When' may be a date or text.",
        "",
        "Sheet 'Document': the report's Status, Author and Created date. A filled cell replaces what the "
        "report had; a blank cell keeps it.",
        "",
        "You may sort and filter the rows, delete rows you do not answer (what was written before for them is "
        "kept), and widen columns. Do not add rows, rename the headers, or delete the hidden Key column: the "
        "loader finds each row by its key.",
        f"Texts are limited to {LONG_TEXT:,} characters ({SHORT_TEXT:,} for names, Who and When).",
        "",
        "Return the file to the performance team, who load it with: cscw commentary load FILE.xlsx",
    ]
    if params.authority.synthetic:
        lines.insert(1, SYNTHETIC_NOTE)
    return lines


_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=colour.lstrip("#").upper())


def _add_commentary_sheet(book: Workbook, rows: list[TemplateRow]) -> None:
    """The rows to fill in: header frozen with the first three columns, a filter (sorting moves the
    hidden key with its row), yellow cells to fill in typed as text, text lengths checked."""
    sheet = book.create_sheet(SHEET)
    sheet.append([c.header for c in COLUMNS])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font, cell.alignment = _BOLD, _WRAP
        cell.fill = _fill(_EDITABLE_FILL if column.editable else _HEADING_FILL)
        if column.header in _HEADER_NOTES:
            cell.comment = Comment(_HEADER_NOTES[column.header], "cscw", width=300, height=120)
    for row in rows:
        values = _cells(row)
        sheet.append([values[c.header] for c in COLUMNS])
        for cell, column in zip(sheet[sheet.max_row], COLUMNS, strict=True):
            cell.alignment = _WRAP
            if column.editable or column.header in (MONTH, KEY, DRAFTED):
                cell.number_format = "@"  # typed text stays text, even '- item' or '=...'
            if column.editable:
                cell.fill = _fill(_EDITABLE_FILL)
            elif column.header == VALUE or (column.header == TARGET and isinstance(row.target, float)):
                cell.number_format = _number_format(row.unit, row.decimals)
            elif column.header == RAG:
                cell.fill, cell.font = _fill(RAG_COLOURS[row.rag]), _BOLD
            elif column.header == KEY:
                cell.fill = _fill(_KEY_FILL)
    last = max(sheet.max_row, 2)
    for k, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(k)
        sheet.column_dimensions[letter].width = column.width
        sheet.column_dimensions[letter].hidden = column.hidden
        if column.limit:
            check = DataValidation(
                type="textLength", operator="lessThanOrEqual", formula1=str(column.limit), allow_blank=True,
                showErrorMessage=True, errorTitle="Text too long",
                error=f"At most {column.limit:,} characters in '{column.header}'.",
            )  # fmt: skip
            check.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "D2"  # the header row and area, indicator and org unit stay in view
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"


def _document_check(label: str) -> DataValidation | None:
    """The check on a Document value: Created a date; Status offers Draft or Final (any text allowed)."""
    if label == "Created":
        return DataValidation(
            type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True,
            showErrorMessage=True, error="A date, DD/MM/YYYY.",
        )  # fmt: skip
    if label == "Status":
        return DataValidation(type="list", formula1='"Draft,Final"', allow_blank=True, showErrorMessage=False)
    return None


def _add_document_sheet(book: Workbook, params: Params, month: str, commentary: Commentary) -> None:
    """The report's month and authority, and its status, author and date created to fill in."""
    sheet = book.create_sheet(DOCUMENT_SHEET)
    sheet.append(["The report as a document"])
    sheet["A1"].font = _TITLE
    values = {DOCUMENT_MONTH: month, DOCUMENT_AUTHORITY: params.authority.name}
    values |= {label: getattr(commentary.document, name) for label, name in DOCUMENT_FIELDS.items()}
    for label, value in values.items():
        sheet.append([label, value])
        label_cell, value_cell = sheet[sheet.max_row]
        label_cell.font = _BOLD
        if label in DOCUMENT_FIELDS:
            value_cell.fill = _fill(_EDITABLE_FILL)
        if label == DOCUMENT_MONTH:
            value_cell.number_format = "@"
        elif label == "Created":
            value_cell.number_format = "DD/MM/YYYY"
        check = _document_check(label)
        if check is not None:
            check.add(value_cell.coordinate)
            sheet.add_data_validation(check)
    sheet.append([])
    source = commentary_path(params.folder, month)
    sheet.append(["Written", f"{date.today():%d/%m/%Y} by cscw commentary template; to be loaded into {source}"])
    if params.authority.synthetic:
        sheet.append(["Data", SYNTHETIC_NOTE])
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 60


def _add_guide_sheet(book: Workbook, params: Params, month: str) -> None:
    sheet = book.create_sheet(GUIDE_SHEET)
    for line in _guide_lines(params, month):
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).alignment = _WRAP
    sheet["A1"].font = _TITLE
    sheet.column_dimensions["A"].width = 110


def _write_workbook(rows: list[TemplateRow], params: Params, month: str, commentary: Commentary, path: Path) -> None:
    """The three sheets, written to a temporary file moved into place (no half-written workbook)."""
    book = Workbook()
    book.remove(book.active)
    _add_commentary_sheet(book, rows)
    _add_document_sheet(book, params, month, commentary)
    _add_guide_sheet(book, params, month)
    save_atomically(book, path)


@dataclass(frozen=True)
class CommentaryTemplate:
    """What ``cscw commentary template`` wrote."""

    path: Path
    month: str
    rows: list[TemplateRow]
    org_units: list[str]

    def __str__(self) -> str:
        red = sum(r.rag == "red" for r in self.rows)
        from_file = sum(r.from_file for r in self.rows)
        written = f"; {from_file} pre-filled with the commentary already written" if from_file else ""
        return (
            f"{self.path}: {len(self.rows)} rows to fill in for {self.month} ({red} red, {len(self.rows) - red} "
            f"amber) across {len(self.org_units)} org units{written}\n"
            f"next: send it to the service managers, then cscw commentary load {self.path}"
        )


def write_commentary_template(
    store: Store,
    params: Params,
    month: str | int,
    path: str | Path,
    org_units: Iterable[str] | None = None,
    cohort: str = "all",
) -> CommentaryTemplate:
    """Write the month's commentary template to ``path`` (every org unit of the authority unless
    ``org_units`` says which), from the store's latest figures and the month's commentary file."""
    month = month_text(parse_month(month) if isinstance(month, str) else month)
    units = list(org_units) if org_units is not None else params.authority.org_unit_names
    card = scorecard(store, params, month, units, cohort)
    commentary = load_commentary(params, month)
    rows = template_rows(card, params, commentary)
    path = Path(path)
    _write_workbook(rows, params, month, commentary, path)
    return CommentaryTemplate(path, month, rows, units)
