"""Commentary from the service: the template workbook, filled in by hand, loaded into the month's
commentary file the pack reads (csc_workbench.present / config.commentary_workbook, cscw commentary)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.cli import main
from csc_workbench.config import Params, load_params
from csc_workbench.config.commentary import commentary_path, load_commentary
from csc_workbench.config.commentary_workbook import (
    COLUMNS,
    DOCUMENT_SHEET,
    SHEET,
    CommentaryWorkbook,
    WorkbookRow,
    load_commentary_workbook,
    merged_commentary,
    read_commentary_workbook,
)
from csc_workbench.config.errors import InputError
from csc_workbench.present.commentary_workbook import write_commentary_template
from csc_workbench.present.exceptions import draft_narrative
from csc_workbench.store import Store

from ..conftest import FIXTURES, make_atoms, monthly_rows

MONTH = "2017-03"  # financial year 2016-17, whose targets the small catalogue sets
HEADERS = [c.header for c in COLUMNS]
TRICKY = [
    "Plain text.",
    "Quotes 'single' and \"double\", a colon: here, a hash # not a comment, and 100% of it.",
    "*Markdown*: **bold**\n\n- first item\n- second item: with a colon\n\n1. numbered\n",
    "  leading spaces\nand a trailing newline\n",
    "Unicode: é ü ß ✓ — “curly” 中文 🙂",
    "yes",
    "2026-11-12",
    "- starts like a list or a formula",
    "=not a formula: typed as text",
    "| pipe first\n> quote second\n",
    "trailing spaces on a line   \nnext line\ttab",
    "null",
]


@pytest.fixture
def params(tmp_path: Path) -> Params:
    """A copy of the small params folder (commentary is written into it)."""
    folder = tmp_path / "params"
    shutil.copytree(FIXTURES / "small", folder)
    return load_params(folder)


@pytest.fixture
def filled_store(store: Store) -> Store:
    """March 2017: re-referrals red for Testshire, amber for South; return interviews red for North
    and South, amber for Testshire; everything else green or not rated."""
    rows = []
    for org, rereferred in (("Testshire", 35), ("North", 20), ("North Team", 20), ("South", 28)):
        rows += monthly_rows("rereferrals", org, [rereferred] * 12, [100] * 12, last=MONTH)
    for org, previous, now in (("Testshire", 32, 30), ("North", 22, 20), ("North Team", 38, 38), ("South", 10, 10)):
        rows += [
            ("return_interviews", "2017-02", org, "all", "month", previous, 40, None),
            ("return_interviews", MONTH, org, "all", "month", now, 40, None),
        ]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    return store


EXPECTED_ORDER = [  # red first, then area and indicator in catalogue order, then org unit in hierarchy order
    ("rereferrals | Testshire", "Red"),
    ("return_interviews | North", "Red"),
    ("return_interviews | South", "Red"),
    ("rereferrals | South", "Amber"),
    ("return_interviews | Testshire", "Amber"),
]


def _sheet_rows(path: Path) -> list[dict[str, object]]:
    sheet = load_workbook(path)[SHEET]
    return [dict(zip(HEADERS, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def _template(filled_store: Store, params: Params, tmp_path: Path) -> Path:
    path = tmp_path / "out" / f"commentary_{MONTH}.xlsx"
    write_commentary_template(filled_store, params, MONTH, path)
    return path


def _edit(path: Path, change: Callable[[object], None]) -> None:
    """Open the workbook, change it as a person would, save it."""
    book = load_workbook(path)
    change(book)
    book.save(path)


def _row_of(sheet, key: str) -> int:
    column = HEADERS.index("Key") + 1
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value == key)


def _set(sheet, key: str, header: str, value: object, as_text: bool = False) -> None:
    """Type ``value`` into a cell; ``as_text`` as Excel keeps it in a cell formatted as text (even '=...')."""
    cell = sheet.cell(_row_of(sheet, key), HEADERS.index(header) + 1)
    cell.value = value
    if as_text:
        cell.data_type = "s"


# --- the template ----------------------------------------------------------------------------------
def test_template_has_a_row_per_red_and_amber_indicator_and_org_unit(filled_store, params, tmp_path) -> None:
    path = _template(filled_store, params, tmp_path)
    card = scorecard(filled_store, params, MONTH, params.authority.org_unit_names)
    rated = card[card["rag"].isin(["red", "amber"])]
    rows = _sheet_rows(path)
    assert {r["Key"] for r in rows} == {
        f"{i} | {o}" for i, o in zip(rated["indicator"], rated["org_unit"], strict=True)
    }
    assert [(r["Key"], r["RAG"]) for r in rows] == EXPECTED_ORDER
    first = rows[0]
    ind = params.catalogue["rereferrals"]
    card_row = card[(card["indicator"] == "rereferrals") & (card["org_unit"] == "Testshire")].iloc[0].to_dict()
    assert first["Area"] == "Front door" and first["Indicator"] == ind.title and first["Org unit"] == "Testshire"
    assert first["Month"] == MONTH and first["Value"] == pytest.approx(35.0) and first["Target"] == 25
    assert first["Commentary"] == draft_narrative(card_row, ind) == first["Drafted narrative"]
    assert all(r[c.header] is None for r in rows for c in COLUMNS if c.plan_field)  # no plan in the file yet

    book = load_workbook(path)
    assert book.sheetnames == [SHEET, DOCUMENT_SHEET, "How to fill in"]
    sheet = book[SHEET]
    assert sheet.freeze_panes == "D2" and sheet.auto_filter.ref == f"A1:Q{len(rows) + 1}"
    hidden = [c.header for c in COLUMNS if sheet.column_dimensions[chr(ord("A") + HEADERS.index(c.header))].hidden]
    assert hidden == ["Key", "Drafted narrative"]
    commentary_cell = sheet.cell(2, HEADERS.index("Commentary") + 1)
    assert commentary_cell.number_format == "@" and commentary_cell.alignment.wrap_text
    assert commentary_cell.fill.fgColor.rgb.endswith("FFF2CC")  # the cells to fill in are yellow
    checks = {str(v.sqref): v.type for v in sheet.data_validations.dataValidation}
    assert checks[f"H2:H{len(rows) + 1}"] == "textLength"
    assert book[DOCUMENT_SHEET]["A2"].value == "Month" and book[DOCUMENT_SHEET]["B2"].value == MONTH


def test_template_prefills_the_months_commentary_and_action_plan(filled_store, params, tmp_path) -> None:
    commentary_path(params.folder, MONTH).parent.mkdir()
    commentary_path(params.folder, MONTH).write_text(
        "document: {status: Draft, author: Performance team, created: 2017-04-10}\n"
        "commentary:\n  return_interviews:\n    South: Written for South.\n"
        "action_plans:\n  return_interviews: {what: Audit the returns, shortfall_noun: returns not done in time}\n",
        encoding="utf-8",
    )
    rows = {r["Key"]: r for r in _sheet_rows(_template(filled_store, params, tmp_path))}
    assert rows["return_interviews | South"]["Commentary"] == "Written for South."
    assert rows["return_interviews | South"]["Drafted narrative"].endswith("returns not done in time")
    # the plan is pre-filled once, on the authority's row of the indicator
    assert [k for k, r in rows.items() if r["What"] == "Audit the returns"] == ["return_interviews | Testshire"]
    document = load_workbook(tmp_path / "out" / f"commentary_{MONTH}.xlsx")[DOCUMENT_SHEET]
    values = {document.cell(r, 1).value: document.cell(r, 2).value for r in range(1, document.max_row + 1)}
    assert values["Status"] == "Draft" and values["Author"] == "Performance team"
    assert values["Created"].date() == date(2017, 4, 10)


# --- filled in by hand, loaded into the pack's commentary ----------------------------------------
def test_a_workbook_filled_in_by_hand_round_trips_into_the_pack(filled_store, params, tmp_path) -> None:
    path = _template(filled_store, params, tmp_path)
    before = "# Kept comment\ncommentary:\n  cic_rate: Green commentary, not in the workbook.\n"
    commentary_path(params.folder, MONTH).parent.mkdir()
    commentary_path(params.folder, MONTH).write_text(before, encoding="utf-8")

    def fill(book) -> None:
        sheet = book[SHEET]
        # sorted by the manager: every row written back in reverse order (the hidden key moves with it)
        values = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        for offset, row in enumerate(reversed(values), start=2):
            for column, value in enumerate(row, start=1):
                sheet.cell(offset, column).value = value
        _set(sheet, "rereferrals | Testshire", "Commentary", TRICKY[2])
        _set(sheet, "return_interviews | North", "Commentary", TRICKY[1])
        _set(sheet, "return_interviews | South", "Commentary", None)  # cleared: no commentary
        _set(sheet, "return_interviews | North", "What", "Audit every late return.\nReport monthly.")
        _set(sheet, "return_interviews | South", "Who", "Head of service")
        _set(sheet, "return_interviews | Testshire", "Who", "Head of service")  # the same text twice is fine
        _set(sheet, "return_interviews | Testshire", "When", date(2017, 6, 30))
        document = book[DOCUMENT_SHEET]
        document["B4"] = "Final"

    _edit(path, fill)
    stored = load_commentary_workbook(path, params)

    commentary = load_commentary(params, MONTH)
    assert commentary.text_for("rereferrals", "Testshire", "Testshire") == TRICKY[2]
    assert commentary.text_for("return_interviews", "North") == TRICKY[1]
    assert commentary.text_for("return_interviews", "South") is None
    assert commentary.text_for("cic_rate", None) == "Green commentary, not in the workbook."  # kept
    drafted = commentary.text_for("rereferrals", "South")  # left as drafted: stored as it was shown
    assert drafted is not None and drafted.startswith("28.0%")
    plan = commentary.action_plan("return_interviews")
    assert plan.what == "Audit every late return.\nReport monthly." and plan.who == "Head of service"
    assert plan.when == "30 June 2017"
    assert commentary.document.status == "Final"

    written = stored.path.read_text(encoding="utf-8")
    assert written.startswith("# Kept comment\n# Last written by cscw commentary load")
    assert "\n    Testshire: |\n" in written  # multi-line text as a literal block, as written by hand
    assert stored.backup is not None and stored.backup.read_text(encoding="utf-8") == before
    assert stored.backup.parent == params.folder / "commentary" / "history"
    assert len(stored.stored) == 4 and stored.action_plans == 1
    assert [r.org_unit for r in stored.stored if r.drafted_unchanged] == ["South", "Testshire"]
    assert "2 of them are the drafted narrative unchanged" in str(stored)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_round_trips_exactly(filled_store, params, tmp_path, text) -> None:
    path = _template(filled_store, params, tmp_path)
    for header in ("Commentary", "Reason"):
        _edit(path, lambda book, header=header: _set(book[SHEET], "return_interviews | North", header, text, True))
    load_commentary_workbook(path, params)
    commentary = load_commentary(params, MONTH)
    assert commentary.texts[("return_interviews", "North")] == text
    assert commentary.action_plan("return_interviews").reason == text
    # loading the same workbook again changes nothing but the "last written" line
    first = commentary_path(params.folder, MONTH).read_text(encoding="utf-8")
    load_commentary_workbook(path, params)
    again = commentary_path(params.folder, MONTH).read_text(encoding="utf-8")
    assert first.split("\n", 1)[1] == again.split("\n", 1)[1]


def test_merge_keeps_what_the_workbook_does_not_hold() -> None:
    raw = {
        "note": "kept",
        "document": {"status": "Draft", "author": "A"},
        "commentary": {"a": "authority text", "b": {"Testshire": "kept too", "North": "replaced"}},
        "action_plans": {"a": {"what": "old", "shortfall_noun": "kept noun"}, "c": {"who": "kept plan"}},
    }
    workbook = CommentaryWorkbook(
        Path("x.xlsx"), MONTH,
        rows=[WorkbookRow(2, "a", "North", "new North", False), WorkbookRow(3, "b", "North", None, False)],
        action_plans={"a": {"what": None, "who": "W"}},
        document={"status": "Final"},
    )  # fmt: skip
    merged = merged_commentary(raw, workbook, "Testshire", ["Testshire", "North", "North Team", "South"])
    assert merged == {
        "note": "kept",
        "document": {"status": "Final", "author": "A"},
        "commentary": {"a": {"Testshire": "authority text", "North": "new North"}, "b": "kept too"},
        "action_plans": {"a": {"shortfall_noun": "kept noun", "who": "W"}, "c": {"who": "kept plan"}},
    }
    assert raw["commentary"]["b"] == {"Testshire": "kept too", "North": "replaced"}  # not changed in place


# --- refused workbooks: every problem named by row and column, nothing stored --------------------
def _swap_key(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Key", "rereferrals | Nowhere")


def _blank_key(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Key", None)


def _edit_title(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Indicator", "Something else")


def _duplicate_row(book) -> None:
    sheet = book[SHEET]
    sheet.append([c.value for c in sheet[_row_of(sheet, "rereferrals | South")]])


def _other_month(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Month", "2017-02")


def _too_long(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Commentary", "x" * 4001)


def _conflicting_plan(book) -> None:
    _set(book[SHEET], "return_interviews | North", "What", "One plan")
    _set(book[SHEET], "return_interviews | South", "What", "Another plan")


def _formula(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Commentary", "=A1")


def _excel_error(book) -> None:
    _set(book[SHEET], "rereferrals | South", "Commentary", "#NAME?")


def _bad_created(book) -> None:
    book[DOCUMENT_SHEET]["B6"] = "next Tuesday"


def _deleted_column(book) -> None:
    book[SHEET].delete_cols(HEADERS.index("Key") + 1)


REFUSALS = [
    (_swap_key, "row 5, column 'Key': 'rereferrals | Nowhere' is not a key the template wrote"),
    (_blank_key, "row 5, column 'Key': blank: rows cannot be added by hand"),
    (_edit_title, "row 5, column 'Indicator': 'Something else' does not match the row's key"),
    (_duplicate_row, "row 7, column 'Key': the same indicator and org unit as row 5"),
    (_other_month, "row 5, column 'Month': 2017-02 is not the workbook's month (2017-03)"),
    (_too_long, "row 5, column 'Commentary': 4,001 characters; at most 4,000"),
    (_conflicting_plan, "row 4, column 'What': differs from row 3: an action plan belongs to the indicator"),
    (_formula, "row 5, column 'Commentary': holds a formula"),
    (_excel_error, "row 5, column 'Commentary': shows the Excel error #NAME?"),
    (_bad_created, "sheet Document, row 6, column 'Created': 'next Tuesday' is not a date"),
    (_deleted_column, "sheet Commentary, row 1: column(s) 'Key' missing"),
]


@pytest.mark.parametrize(("change", "message"), REFUSALS, ids=[c.__name__.strip("_") for c, _ in REFUSALS])
def test_a_refused_workbook_names_row_and_column_and_stores_nothing(
    filled_store, params, tmp_path, change, message
) -> None:
    path = _template(filled_store, params, tmp_path)
    _edit(path, change)
    with pytest.raises(InputError) as refused:
        load_commentary_workbook(path, params)
    assert any(p.startswith(f"{path.name}, ") and message in p for p in refused.value.problems), refused.value.problems
    assert "nothing from this file was stored" in str(refused.value)
    assert not commentary_path(params.folder, MONTH).exists()


def test_every_problem_is_listed_at_once(filled_store, params, tmp_path) -> None:
    path = _template(filled_store, params, tmp_path)
    _edit(path, lambda book: (_too_long(book), _conflicting_plan(book), _other_month(book)))
    with pytest.raises(InputError) as refused:
        read_commentary_workbook(path, params)
    assert len(refused.value.problems) == 3


def test_a_workbook_for_another_month_or_not_a_workbook_is_refused(filled_store, params, tmp_path) -> None:
    path = _template(filled_store, params, tmp_path)
    with pytest.raises(InputError, match=r"sheet Document, column 'Month': the workbook is for 2017-03, not 2017-04"):
        read_commentary_workbook(path, params, "2017-04")
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not an Excel workbook \(\.xlsx\)"):
        read_commentary_workbook(text, params)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="could not be opened as an Excel workbook"):
        read_commentary_workbook(broken, params)


# --- the command line ----------------------------------------------------------------------------
def test_cli_template_then_load(filled_store, params, tmp_path, capsys) -> None:
    out = tmp_path / "commentary.xlsx"
    common = ["--params", str(params.folder), "--store", str(filled_store.path)]
    assert main(["commentary", "template", "--month", "latest", "--out", str(out), *common]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: 5 rows to fill in for {MONTH} (3 red, 2 amber) across 4 org units" in printed

    assert main(["commentary", "template", "--month", MONTH, "--out", str(out), *common]) == 2
    assert capsys.readouterr().err == (
        f"cscw: {out} exists (it may be a filled-in copy): give another --out, or --force to replace it\n"
    )
    assert main(["commentary", "template", "--month", MONTH, "--out", str(out), "--force", *common]) == 0
    capsys.readouterr()

    _edit(out, lambda book: _set(book[SHEET], "return_interviews | North", "Commentary", "From the CLI."))
    assert main(["commentary", "load", str(out), "--month", MONTH, *common]) == 0
    printed = capsys.readouterr().out
    target = commentary_path(params.folder, MONTH)
    assert printed.startswith(f"{out}: stored 5 commentaries and 0 action plans for {MONTH} in {target}")
    assert "there was no file before" in printed and f"next: cscw run --month {MONTH}" in printed
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["commentary"]["return_interviews"]["North"] == (
        "From the CLI."
    )

    _edit(out, _conflicting_plan)
    assert main(["commentary", "load", str(out), *common]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cscw: {out}: 1 problem(s); nothing from this file was stored\n")
    assert "commentary.xlsx, sheet Commentary, row 4, column 'What': differs from row 3" in err
    assert "Traceback" not in err


def test_cli_refuses_an_unknown_org_unit_and_a_bad_month(filled_store, params, tmp_path, capsys) -> None:
    common = ["--params", str(params.folder), "--store", str(filled_store.path), "--out", str(tmp_path / "c.xlsx")]
    assert main(["commentary", "template", "--month", MONTH, "--org-units", "Nowhere", *common]) == 2
    assert capsys.readouterr().err.startswith("cscw: unknown org unit 'Nowhere'; known: Testshire")
    assert main(["commentary", "template", "--month", "March", *common]) == 2
    assert capsys.readouterr().err == "cscw: 'March' is not a month in the form YYYY-MM\n"
