"""Files for meetings beside the HTML pages: ``scorecard.xlsx`` and PNG images of the charts.

The workbook has one sheet per org unit: the scorecard grouped by area, numbers stored as
numbers (formatted as the catalogue rounds them; percentages as 0-100 with "%" in the format),
RAG cells filled with the pack's colours *and* carrying their letter, arrows for the direction of
travel, a frozen header and a filter. The images are the charts of executed notebooks, rasterised
offline with vl-convert from the SVG each chart output holds (the drawing the page shows).
Both hold aggregates only: the scorecard and the charts never carry child-level rows.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from csc_workbench.pack.html import SYNTHETIC_LABEL, PageHeader
from csc_workbench.pack.render import DrawnChart, drawn_chart
from csc_workbench.present.charts import RAG_COLOURS
from csc_workbench.present.tables import NUMERIC_ARROW, PERFORMANCE_ARROW, RAG_LETTER
from csc_workbench.present.workbook import save_atomically

#: (scorecard column, heading, kind): kind "value" takes the indicator's number format.
COLUMNS: list[tuple[str, str, str]] = [
    ("area", "Area", "text"),
    ("title", "Indicator", "text"),
    ("period", "Period", "text"),
    ("value", "Value", "value"),
    ("numerator", "Numerator", "count"),
    ("denominator", "Denominator", "count"),
    ("rag", "RAG", "rag"),
    ("target", "Target", "value"),
    ("previous_value", "Last month", "value"),
    ("dot_previous", "DoT 1m", "arrow"),
    ("year_ago_value", "Year ago", "value"),
    ("dot_year_ago", "DoT 1y", "arrow"),
    ("r3m_value", "Rolling 3 months", "value"),
    ("r3m_rag", "R3M RAG", "rag"),
    ("ytd_value", "Year to date", "value"),
    ("note", "Note", "text"),
]
_WIDTHS = {"Area": 22, "Indicator": 58, "Period": 12, "Note": 48}
_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_names(org_units: list[str]) -> dict[str, str]:
    """Excel-safe, unique sheet names (at most 31 characters, none of []:*?/\\) per org unit."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for org in org_units:
        base = _INVALID_SHEET.sub("-", org).strip("' ")[:31].rstrip("' ") or "Sheet"
        name, k = base, 2
        while name.lower() in used:
            suffix = f" ({k})"
            name, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        names[org] = name
    return names


def _number_format(unit: str, decimals: int) -> str:
    digits = "0" if decimals == 0 else "0." + "0" * decimals
    return f'#,##{digits}"%"' if unit == "percent" else f"#,##{digits}"


def _arrow(row: Mapping[str, Any], column: str) -> str:
    move = {"dot_previous": "move_previous", "dot_year_ago": "move_year_ago"}[column]
    arrows = NUMERIC_ARROW if row["polarity"] == "none" else PERFORMANCE_ARROW
    chosen = [v for v in (row.get(column), row.get(move)) if isinstance(v, str) and v]
    return arrows.get(chosen[0], "") if chosen else ""


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and x != x) else float(x)


def write_scorecard_xlsx(
    cards: Mapping[str, pd.DataFrame], path: str | Path, area_titles: Mapping[str, str], header: PageHeader
) -> Path:
    """Write ``scorecard.xlsx``: one sheet per org unit (``cards`` maps org unit -> scorecard
    frame). Written to a temporary file and moved into place, so a failure leaves no half file."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    names = sheet_names(list(cards))
    bold, white = Font(bold=True), Font(bold=True, color="FFFFFF")
    heading_fill = PatternFill("solid", fgColor="DDE6F0")
    for org, frame in cards.items():
        sheet = book.create_sheet(names[org])
        title = f"{header.authority}: scorecard for {org}, {header.month_label} (data as at {header.data_as_at})"
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([SYNTHETIC_LABEL if header.synthetic else ""])
        if header.synthetic:
            sheet["A2"].font = Font(bold=True, color="D55E00")
        sheet.append([heading for _, heading, _ in COLUMNS])
        head_row = sheet.max_row
        for cell in sheet[head_row]:
            cell.font, cell.fill = bold, heading_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in frame.to_dict("records"):
            values, formats = [], []
            for column, _, kind in COLUMNS:
                if kind == "value":
                    values.append(_number(row[column]))
                    formats.append(_number_format(row["unit"], int(row["decimals"])))
                elif kind == "count":
                    values.append(_number(row[column]))
                    formats.append("#,##0.##")
                elif kind == "rag":
                    values.append(RAG_LETTER.get(row[column], "-") if isinstance(row[column], str) else "-")
                    formats.append(None)
                elif kind == "arrow":
                    values.append(_arrow(row, column))
                    formats.append(None)
                elif column == "area":
                    values.append(area_titles.get(row["area"], row["area"]))
                    formats.append(None)
                else:
                    values.append(row[column] if isinstance(row[column], str) else None)
                    formats.append(None)
            sheet.append(values)
            for cell, fmt, (column, _, kind) in zip(sheet[sheet.max_row], formats, COLUMNS, strict=True):
                if fmt:
                    cell.number_format = fmt
                if kind == "rag" and row[column] in RAG_COLOURS and row[column] != "none":
                    cell.fill = PatternFill("solid", fgColor=RAG_COLOURS[row[column]].lstrip("#").upper())
                    cell.font = white
                    cell.alignment = Alignment(horizontal="center")
                elif kind == "arrow":
                    cell.alignment = Alignment(horizontal="center")
        sheet.freeze_panes = sheet.cell(row=head_row + 1, column=3)  # header rows and area/indicator
        sheet.auto_filter.ref = f"A{head_row}:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, head_row)}"
        for k, (_, heading, _) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(k)].width = _WIDTHS.get(heading, 11)
    return save_atomically(book, Path(path))


def chart_drawings(executed_notebook: str | Path) -> list[DrawnChart]:
    """Every chart an executed pack notebook displayed (its title and SVG), in page order."""
    import nbformat

    nb = nbformat.read(str(executed_notebook), as_version=4)
    return [
        chart for cell in nb.cells for output in cell.get("outputs", []) if (chart := drawn_chart(output)) is not None
    ]


def _title_slug(title: str) -> str:
    """The chart's title in file-name form after an underscore (60 characters at most), or "" if none."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")
    return f"_{slug}" if slug else ""


def chart_pngs(
    executed_notebook: str | Path, out_dir: str | Path, stem: str, scale: float = 1.5,
    earlier: Mapping[str, Path] | None = None,
) -> dict[Path, str]:  # fmt: skip
    """Write each chart of an executed notebook as ``<stem>_NN_<title>.png`` in ``out_dir``,
    rasterised offline from the SVG the page shows (vl-convert); returns each image written with
    the digest of its drawing. A drawing found in ``earlier`` (PNG files by the digest of their
    drawing, from the month's previous pack) is copied from there, not rasterised again."""
    import vl_convert as vlc

    from csc_workbench.pack.record import digest

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    earlier = earlier or {}
    written = {}
    for k, chart in enumerate(chart_drawings(executed_notebook), start=1):
        path = out_dir / f"{stem}_{k:02d}{_title_slug(chart.title)}.png"
        drawing = digest(f"{scale}\n{chart.svg}")
        if drawing in earlier and earlier[drawing].is_file():
            shutil.copyfile(earlier[drawing], path)
        else:
            path.write_bytes(vlc.svg_to_png(chart.svg, scale=scale))
        written[path] = drawing
    return written
