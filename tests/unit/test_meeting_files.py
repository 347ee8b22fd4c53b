"""scorecard.xlsx and the chart images: numbers as numbers, RAG fills with letters, arrows,
frozen header, safe sheet names; PNGs rasterised from the SVG charts of executed notebooks."""

from __future__ import annotations

import altair as alt
import nbformat
import pandas as pd
import vl_convert
from nbformat.v4 import new_code_cell, new_notebook, new_output
from openpyxl import load_workbook

from csc_workbench.pack.html import PageHeader
from csc_workbench.pack.meeting_files import chart_drawings, chart_pngs, sheet_names, write_scorecard_xlsx
from csc_workbench.pack.render import _bundle

NAN = float("nan")


def _row(**kw) -> dict:
    base = {
        "area": "front_door", "title": "Re-referrals within 12 months", "period": "r12m", "value": 23.456,
        "numerator": 370.0, "denominator": 1577.0, "rag": "red", "target": 20.0, "previous_value": 22.1,
        "dot_previous": "worse", "move_previous": "up", "year_ago_value": 24.0, "dot_year_ago": "improved",
        "move_year_ago": "down", "r3m_value": 22.9, "r3m_rag": "amber", "ytd_value": 23.0, "note": None,
        "unit": "percent", "decimals": 1, "polarity": "low",
    }  # fmt: skip
    return base | kw


def _cards() -> dict[str, pd.DataFrame]:
    rows = [
        _row(),
        _row(title="Number of contacts", unit="count", decimals=0, value=4271.0, numerator=4271.0, denominator=NAN,
             rag=None, target=NAN, dot_previous=None, move_previous="up", r3m_rag=None, polarity="none"),
        _row(area="cin", title="Children in need seen in 28 days", rag="green", value=91.0, polarity="high",
             note="a note"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    return {"Northmoor": frame, "North Northmoor: Brackenholt / Tees [team]": frame.iloc[:1]}


def test_workbook_has_a_sheet_per_org_unit_with_numbers_fills_and_arrows(tmp_path) -> None:
    header = PageHeader("Northmoor (SYNTHETIC)", "Oct 2026", "25 November 2026", True)
    path = write_scorecard_xlsx(_cards(), tmp_path / "scorecard.xlsx", {"front_door": "Front door"}, header)
    book = load_workbook(path)
    assert book.sheetnames == ["Northmoor", "North Northmoor- Brackenholt -"]
    sheet = book["Northmoor"]
    assert "SYNTHETIC" in sheet["A2"].value
    assert sheet.freeze_panes == "C4"
    heads = [c.value for c in sheet[3]]
    assert heads[:7] == ["Area", "Indicator", "Period", "Value", "Numerator", "Denominator", "RAG"]
    red, count, green = (sheet[r] for r in (4, 5, 6))
    value = red[heads.index("Value")]
    assert value.data_type == "n" and value.value == 23.456 and value.number_format == '#,##0.0"%"'
    assert red[heads.index("Numerator")].value == 370 and red[heads.index("Denominator")].value == 1577
    assert red[0].value == "Front door" and green[0].value == "cin"  # area titles, else the id
    rag = red[heads.index("RAG")]
    assert rag.value == "R" and rag.fill.fgColor.rgb == "00D55E00"
    assert green[heads.index("RAG")].value == "G" and green[heads.index("RAG")].fill.fgColor.rgb == "00009E73"
    assert red[heads.index("R3M RAG")].value == "A"
    assert red[heads.index("DoT 1m")].value == "↓" and red[heads.index("DoT 1y")].value == "↑"
    assert count[heads.index("DoT 1m")].value == "↑"  # no performance arrow: the numeric movement
    assert count[heads.index("RAG")].value == "-" and count[heads.index("Target")].value is None
    assert count[heads.index("Value")].number_format == "#,##0"
    assert green[heads.index("Note")].value == "a note"
    assert sheet.auto_filter.ref == "A3:P6"
    assert not list(tmp_path.glob(".*tmp"))  # written through a temporary file, which is gone


def test_sheet_names_are_unique_and_excel_safe() -> None:
    names = sheet_names(["A" * 40, "A" * 40 + "x", "West: Team [1]"])
    assert names["A" * 40] == "A" * 31 and names["A" * 40 + "x"] == "A" * 27 + " (2)"
    assert names["West: Team [1]"] == "West- Team -1-"
    assert all(len(n) <= 31 for n in names.values())


def test_chart_images_come_from_the_drawings_in_an_executed_notebook(tmp_path, monkeypatch) -> None:
    chart = (
        alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]}), title="Re-referrals: Northmoor")
        .mark_line()
        .encode(x="x:Q", y="y:Q")
    )
    spec = chart.to_dict()
    cell = new_code_cell("display(chart)")
    data, metadata = _bundle(spec)
    cell.outputs = [new_output("display_data", data=data, metadata=metadata), new_output("stream", text="hello")]
    other = new_code_cell("display(chart)")
    data, metadata = _bundle(spec | {"title": "Second"})
    other.outputs = [new_output("display_data", data=data, metadata=metadata)]
    path = tmp_path / "executed.ipynb"
    nbformat.write(new_notebook(cells=[cell, new_code_cell("1 + 1"), other]), path)
    drawings = chart_drawings(path)
    assert [d.title for d in drawings] == ["Re-referrals: Northmoor", "Second"]
    assert all(d.svg.startswith("<svg") and d.svg.endswith("</svg>") for d in drawings)
    assert list(cell.outputs[0]["data"]) == ["text/html"]  # the drawing travels once, inside the HTML
    pngs = chart_pngs(path, tmp_path / "images", "front_door_northmoor")
    assert [p.name for p in pngs] == [
        "front_door_northmoor_01_re-referrals-northmoor.png",
        "front_door_northmoor_02_second.png",
    ]
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    # drawn again the same (a page rebuilt after a commentary edit): copied from the earlier images
    earlier = {drawing: png for png, drawing in pngs.items()}
    assert len(earlier) == 2  # the two charts' drawings differ (their titles)

    def not_again(*_, **__):
        raise AssertionError("a chart drawn the same was rasterised again")

    monkeypatch.setattr(vl_convert, "svg_to_png", not_again)
    again = chart_pngs(path, tmp_path / "again", "front_door_northmoor", earlier=earlier)
    assert list(again.values()) == list(pngs.values())
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in pngs]
