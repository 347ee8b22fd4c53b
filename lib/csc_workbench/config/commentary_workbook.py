"""Commentary from the service in a workbook, loaded back into the month's commentary file.

``cscw commentary template`` writes the workbook (:mod:`csc_workbench.present.commentary_workbook`,
in the layout defined here); service managers fill it in; ``cscw commentary load`` reads it back
(:func:`read_commentary_workbook`: every cell checked, every problem listed with its file, sheet,
Excel row and column) and stores it in ``<params>/commentary/<YYYY-MM>.yml``, where the pack reads
commentary (:func:`load_commentary_workbook`). The YAML file stays the one place commentary lives,
so an analyst may still write it by hand.

Rules of the load:

- a row is found by its hidden ``Key`` (indicator id and org unit), so rows may be sorted,
  filtered or deleted; the key must agree with the row's visible Indicator and Org unit;
- a filled Commentary cell (the drafted narrative as pre-filled, or edited) is stored for its
  indicator and org unit; a blank one removes what the file held for that row;
- an action plan belongs to the indicator (the YAML holds one per indicator): its fields may be
  written on any row of the indicator; two rows giving different text for one field are refused;
  a field blank on every row of the indicator is removed; ``shortfall_noun`` is kept;
- the Document sheet's Status, Author and Created replace the file's when filled, blank keeps them;
- indicators and org units not in the workbook keep what the file holds;
- nothing is written when any problem is found; the previous file is kept in
  ``commentary/history/`` and the new one replaces it atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from csc_workbench.config.catalogue import _read_yaml
from csc_workbench.config.commentary import commentary_path, parse_commentary
from csc_workbench.config.errors import InputError
from csc_workbench.periods import month_text, parse_month

if TYPE_CHECKING:
    from openpyxl.cell import Cell

    from csc_workbench.config import Params

# --- the layout, shared with the template writer --------------------------------------------------
SHEET = "Commentary"
DOCUMENT_SHEET = "Document"
GUIDE_SHEET = "How to fill in"

#: Longest text accepted in a cell: a paragraph field, and a name or a date.
LONG_TEXT = 4000
SHORT_TEXT = 300


@dataclass(frozen=True)
class Column:
    """A column of the Commentary sheet: its header (how the loader finds it), width, and for the
    columns the service fills in, the action-plan field it holds and its longest text."""

    header: str
    width: float
    editable: bool = False
    plan_field: str | None = None
    limit: int | None = None
    hidden: bool = False


AREA, INDICATOR, ORG_UNIT, MONTH = "Area", "Indicator", "Org unit", "Month"
VALUE, TARGET, RAG, COMMENTARY = "Value", "Target", "RAG", "Commentary"
KEY, DRAFTED = "Key", "Drafted narrative"

COLUMNS: tuple[Column, ...] = (
    Column(AREA, 16),
    Column(INDICATOR, 38),
    Column(ORG_UNIT, 16),
    Column(MONTH, 9),
    Column(VALUE, 10),
    Column(TARGET, 10),
    Column(RAG, 8),
    Column(COMMENTARY, 60, editable=True, limit=LONG_TEXT),
    Column("Strategic director", 22, True, "strategic_director", SHORT_TEXT),
    Column("Departmental lead", 22, True, "departmental_lead", SHORT_TEXT),
    Column("Reason", 40, True, "reason", LONG_TEXT),
    Column("What", 40, True, "what", LONG_TEXT),
    Column("How", 40, True, "how", LONG_TEXT),
    Column("Who", 22, True, "who", SHORT_TEXT),
    Column("When", 16, True, "when", SHORT_TEXT),
    Column(KEY, 30, hidden=True),
    Column(DRAFTED, 40, hidden=True),
)
PLAN_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.plan_field)
#: Columns the loader cannot do without (the others only help the reader).
REQUIRED = (INDICATOR, ORG_UNIT, MONTH, COMMENTARY, KEY, *(c.header for c in PLAN_COLUMNS))

#: Labels in column A of the Document sheet, their values in column B.
DOCUMENT_MONTH, DOCUMENT_AUTHORITY = "Month", "Authority"
DOCUMENT_FIELDS = {"Status": "status", "Author": "author", "Created": "created"}

_KEY_SEPARATOR = " | "


def row_key(indicator: str, org_unit: str) -> str:
    """The hidden key of a row: indicator id and org unit (ids are ``[a-z0-9_]``, so the first
    separator splits them)."""
    return f"{indicator}{_KEY_SEPARATOR}{org_unit}"


# --- what a filled-in workbook holds --------------------------------------------------------------
@dataclass(frozen=True)
class WorkbookRow:
    """One row of the Commentary sheet, validated."""

    excel_row: int
    indicator: str
    org_unit: str
    commentary: str | None
    drafted_unchanged: bool


@dataclass(frozen=True)
class CommentaryWorkbook:
    """A filled-in workbook, validated: the month, the rows (in catalogue and hierarchy order, as
    the file lists them), an action plan per indicator (field -> text, None where blank on every
    row) and the Document fields filled in."""

    path: Path
    month: str
    rows: list[WorkbookRow]
    action_plans: dict[str, dict[str, str | None]]
    document: dict[str, str | date]


#: Reports a problem in a column of the row being read: ``where(column header, message)``.
_Where = Callable[[str, str], None]


class _CellProblem(Exception):
    """A cell that cannot be read as text; the message says why and what to do."""


def _date_words(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _cell_text(cell: Cell) -> str | None:
    """A cell as the text a person typed: None when blank (or only spaces); line breaks as ``\\n``;
    a date as "31 December 2026"; a whole number without ".0". A formula or an Excel error is
    refused (_CellProblem): it is not text the person typed."""
    value = cell.value
    if cell.data_type == "f":
        raise _CellProblem("holds a formula; type the text itself")
    if cell.data_type == "e":
        raise _CellProblem(
            f"shows the Excel error {value}: a text starting with =, + or - is read as a formula; "
            "type an apostrophe (') before it"
        )
    if value is None:
        return None
    if isinstance(value, datetime):
        text = _date_words(value.date()) if value.time() == datetime.min.time() else value.strftime("%d %B %Y %H:%M")
    elif isinstance(value, date):
        text = _date_words(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.strip() else None


def _cell_date(cell: Cell) -> date | None:
    """The Document sheet's Created: a date cell, or text as YYYY-MM-DD or DD/MM/YYYY."""
    if isinstance(cell.value, datetime):
        return cell.value.date()
    if isinstance(cell.value, date):
        return cell.value
    text = _cell_text(cell)
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise _CellProblem(f"{text!r} is not a date; write it as DD/MM/YYYY")


def _cell_month(cell: Cell) -> str | None:
    """A Month cell as ``YYYY-MM`` (a spreadsheet may have turned the text into a date)."""
    if isinstance(cell.value, date):
        return f"{cell.value.year:04d}-{cell.value.month:02d}"
    text = _cell_text(cell)
    if text is None:
        return None
    try:
        return month_text(parse_month(text))
    except ValueError as exc:
        raise _CellProblem(str(exc)) from None


class _Problems:
    """Problems found in one workbook, each naming the file, sheet, Excel row and column."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[str] = []

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        where = [self.path.name, f"sheet {sheet}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        self.lines.append(f"{', '.join(where)}: {message}")

    def raise_any(self) -> None:
        if self.lines:
            raise InputError(str(self.path), self.lines)


def _open_workbook(path: Path) -> Any:
    """The workbook, read with openpyxl: unlike calamine it tells an Excel error or a formula from
    a blank cell, so a commentary shown as #NAME? is refused rather than stored as nothing."""
    from openpyxl import load_workbook

    if not path.exists():
        raise InputError(str(path), [f"{path}: file not found"])
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(
            str(path),
            [f"{path.name}: not an Excel workbook (.xlsx); save it as 'Excel Workbook (.xlsx)' and load that"],
        )
    try:
        return load_workbook(path)
    except Exception as exc:  # any failure to open means it is not a workbook openpyxl can read
        detail = str(exc).strip() or type(exc).__name__
        raise InputError(str(path), [f"{path.name}: could not be opened as an Excel workbook ({detail})"]) from None


def _read_document(book: Any, problems: _Problems) -> tuple[str | None, dict[str, str | date]]:
    """(month, filled Document fields) from the Document sheet: labels in column A, values in B."""
    if DOCUMENT_SHEET not in book.sheetnames:
        problems.add(DOCUMENT_SHEET, None, None, "the sheet is missing; it names the month the workbook is for")
        return None, {}
    sheet = book[DOCUMENT_SHEET]
    month: str | None = None
    document: dict[str, str | date] = {}
    seen_month = False
    for label_cell, value_cell in sheet.iter_rows(min_col=1, max_col=2):
        label = label_cell.value.strip() if isinstance(label_cell.value, str) else None
        row = label_cell.row
        try:
            if label == DOCUMENT_MONTH:
                seen_month = True
                month = _cell_month(value_cell)
                if month is None:
                    problems.add(DOCUMENT_SHEET, row, DOCUMENT_MONTH, "blank; it must hold the month, YYYY-MM")
            elif label in DOCUMENT_FIELDS:
                name = DOCUMENT_FIELDS[label]
                value = _cell_date(value_cell) if name == "created" else _cell_text(value_cell)
                if isinstance(value, str) and len(value) > SHORT_TEXT:
                    raise _CellProblem(f"{len(value):,} characters; at most {SHORT_TEXT:,}")
                if value is not None:
                    document[name] = value
        except _CellProblem as exc:
            problems.add(DOCUMENT_SHEET, row, label, str(exc))
    if not seen_month:
        problems.add(DOCUMENT_SHEET, None, DOCUMENT_MONTH, "no 'Month' row; it names the month the workbook is for")
    return month, document


def _header_positions(sheet: Any, problems: _Problems) -> dict[str, int]:
    """Header -> column position (from 0) of row 1; every required header must be there once."""
    positions: dict[str, int] = {}
    for position, cell in enumerate(next(sheet.iter_rows(min_row=1, max_row=1), ())):
        header = cell.value.strip() if isinstance(cell.value, str) else None
        if header is None:
            continue
        if header in positions:
            problems.add(SHEET, 1, header, "the header appears twice; keep one column of it")
        positions[header] = position
    missing = [h for h in REQUIRED if h not in positions]
    if missing:
        names = ", ".join(f"'{h}'" for h in missing)
        problems.add(
            SHEET, 1, None, f"column(s) {names} missing: use the workbook cscw commentary template wrote, "
            "columns kept (the Key column is hidden, not deleted)",
        )  # fmt: skip
    return positions


def _check_key(key_text: str | None, cells: Mapping[str, Any], params: Params, where: _Where) -> tuple[str, str] | None:
    """(indicator, org unit) of a row's key, after checking it against the visible columns."""
    if key_text is None:
        where(KEY, "blank: rows cannot be added by hand (each row needs the key the template wrote)")
        return None
    indicator, separator, org = key_text.partition(_KEY_SEPARATOR.strip())
    indicator, org = indicator.strip(), org.strip()
    catalogue, authority = params.catalogue, params.authority
    if not separator or indicator not in catalogue or org not in authority.org_unit_names:
        where(KEY, f"{key_text!r} is not a key the template wrote (it was changed); restore it from the template")
        return None
    title = catalogue[indicator].title
    shown = {INDICATOR: (cells[INDICATOR], title), ORG_UNIT: (cells[ORG_UNIT], org)}
    for header, (cell, expected) in shown.items():
        try:
            text = _cell_text(cell)
        except _CellProblem as exc:
            where(header, str(exc))
            return None
        if (text or "").strip() != expected:
            where(
                header, f"{text!r} does not match the row's key ({expected!r}): the row was edited or pasted from "
                "elsewhere; restore it from the template (or write a new template if the catalogue changed)",
            )  # fmt: skip
            return None
    return indicator, org


def _check_row_month(cell: Cell, workbook_month: str | None, where: _Where) -> None:
    """A row's Month must be the workbook's: a row pasted from another month's workbook is refused."""
    try:
        row_month = _cell_month(cell)
    except _CellProblem as exc:
        where(MONTH, str(exc))
        return
    if workbook_month is None or row_month == workbook_month:
        return
    if row_month is None:
        where(MONTH, f"blank; it must be the workbook's month, {workbook_month}")
    else:
        where(
            MONTH, f"{row_month} is not the workbook's month ({workbook_month}): rows from another month's "
            "workbook cannot be loaded into this one",
        )  # fmt: skip


def _row_texts(cells: Mapping[str, Cell], where: _Where) -> dict[str, str | None]:
    """The texts of a row's key, commentary, draft and action-plan cells (None where blank or
    refused: a formula, an Excel error), each checked against its column's longest text."""
    texts: dict[str, str | None] = {}
    for column in COLUMNS:
        if not (column.editable or column.header in (KEY, DRAFTED)):
            continue
        texts[column.header] = None
        if column.header not in cells:  # the draft: an optional column
            continue
        try:
            text = _cell_text(cells[column.header])
        except _CellProblem as exc:
            where(column.header, str(exc))
            continue
        if column.limit and text is not None and len(text) > column.limit:
            where(
                column.header, f"{len(text):,} characters; at most {column.limit:,} (shorten it or link to a document)"
            )
        texts[column.header] = text
    return texts


def _collect_plan(
    found: dict[str, tuple[int, str]], texts: Mapping[str, str | None], excel_row: int, title: str, where: _Where
) -> None:
    """Add a row's action-plan texts to those ``found`` for its indicator (field -> (first row, text));
    a text differing from an earlier row's is refused."""
    for column in PLAN_COLUMNS:
        text = texts[column.header]
        if text is None or column.plan_field is None:
            continue
        earlier = found.setdefault(column.plan_field, (excel_row, text))
        if earlier[1] != text:
            where(
                column.header, f"differs from row {earlier[0]}: an action plan belongs to the indicator "
                f"({title}), not the org unit; keep the text on one row and clear the other",
            )  # fmt: skip


def _text_of(found: tuple[int, str] | None) -> str | None:
    return None if found is None else found[1]


def read_commentary_workbook(path: str | Path, params: Params, month: str | None = None) -> CommentaryWorkbook:
    """A filled-in commentary workbook, validated against the catalogue and the org units; ``month``
    (YYYY-MM), when given, must be the workbook's. InputError lists every problem, each naming the
    file, sheet, Excel row and column."""
    path = Path(path)
    book = _open_workbook(path)
    problems = _Problems(path)
    workbook_month, document = _read_document(book, problems)
    if month is not None and workbook_month is not None and month_text(parse_month(month)) != workbook_month:
        problems.add(DOCUMENT_SHEET, None, DOCUMENT_MONTH, f"the workbook is for {workbook_month}, not {month}")
    if SHEET not in book.sheetnames:
        problems.add(SHEET, None, None, f"the sheet is missing (sheets: {', '.join(book.sheetnames)})")
        problems.raise_any()
    sheet = book[SHEET]
    positions = _header_positions(sheet, problems)
    if not set(REQUIRED) <= set(positions):
        problems.raise_any()  # without its columns, rows cannot be read

    rows: list[WorkbookRow] = []
    first_row_of: dict[tuple[str, str], int] = {}
    plan_texts: dict[str, dict[str, tuple[int, str]]] = {}  # indicator -> field -> (first row, text)
    for cells_in_row in sheet.iter_rows(min_row=2):
        cells = {header: cells_in_row[p] for header, p in positions.items() if p < len(cells_in_row)}
        if all(cell.value is None for cell in cells.values()):
            continue
        excel_row = cells_in_row[0].row

        def where(column: str, message: str, excel_row: int = excel_row) -> None:
            problems.add(SHEET, excel_row, column, message)

        texts = _row_texts(cells, where)
        key = _check_key(texts[KEY], cells, params, where)
        if texts[KEY] is not None:  # a row without a key is refused for that alone
            _check_row_month(cells[MONTH], workbook_month, where)
        if key is None:
            continue
        if key in first_row_of:
            where(KEY, f"the same indicator and org unit as row {first_row_of[key]}; keep one of the two rows")
            continue
        first_row_of[key] = excel_row
        indicator, org = key
        commentary = texts[COMMENTARY]
        unchanged = commentary is not None and commentary == texts[DRAFTED]
        rows.append(WorkbookRow(excel_row, indicator, org, commentary, unchanged))
        _collect_plan(plan_texts.setdefault(indicator, {}), texts, excel_row, params.catalogue[indicator].title, where)
    problems.raise_any()
    indicator_order = {ident: k for k, ident in enumerate(params.catalogue.ids)}
    org_order = {org: k for k, org in enumerate(params.authority.org_unit_names)}
    rows.sort(key=lambda r: (indicator_order[r.indicator], org_order[r.org_unit]))
    plans = {
        indicator: {c.plan_field: _text_of(plan_texts[indicator].get(c.plan_field)) for c in PLAN_COLUMNS}
        for indicator in sorted(plan_texts, key=indicator_order.__getitem__)
    }
    assert workbook_month is not None  # for the type checker: a missing month was a problem raised above
    return CommentaryWorkbook(path, workbook_month, rows, plans, document)


# --- merging into the YAML file -------------------------------------------------------------------
def merged_commentary(
    raw: Mapping[str, Any], workbook: CommentaryWorkbook, authority: str, org_units: list[str]
) -> dict[str, Any]:
    """The commentary file's content with the workbook's rows in it: each row's commentary set or
    removed (an indicator's org units listed in hierarchy order, ``org_units``), each indicator's
    action-plan fields set or removed (other fields kept), the Document fields filled in replaced;
    everything else as it was. Pure: ``raw`` is not changed."""
    org_order = {org: k for k, org in enumerate(org_units)}
    merged: dict[str, Any] = dict(raw)
    commentary: dict[str, Any] = dict(merged.get("commentary") or {})
    for row in workbook.rows:
        entry = commentary.get(row.indicator)
        by_org = {authority: entry} if isinstance(entry, str) else dict(entry or {})
        if row.commentary is None:
            by_org.pop(row.org_unit, None)
        else:
            by_org[row.org_unit] = row.commentary
        if not by_org:
            commentary.pop(row.indicator, None)
        elif list(by_org) == [authority]:
            commentary[row.indicator] = by_org[authority]  # the authority's alone: a plain text
        else:
            commentary[row.indicator] = dict(sorted(by_org.items(), key=lambda item: org_order.get(item[0], -1)))
    plans: dict[str, Any] = dict(merged.get("action_plans") or {})
    for indicator, fields in workbook.action_plans.items():
        plan = {k: v for k, v in dict(plans.get(indicator) or {}).items() if k not in fields}
        plan.update({k: v for k, v in fields.items() if v is not None})
        if plan:
            plans[indicator] = plan
        else:
            plans.pop(indicator, None)
    for key, value in (("commentary", commentary), ("action_plans", plans)):
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    if workbook.document:
        merged["document"] = {**dict(merged.get("document") or {}), **workbook.document}
    return merged


class _BlockDumper(yaml.SafeDumper):
    """Multi-line text as a literal block (``|``), as an analyst writes it by hand."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_text)

_WRITTEN_BY = "# Last written by cscw commentary load"


def commentary_yaml(content: Mapping[str, Any], header: str) -> str:
    """The commentary file's text: ``header`` (comment lines) then the content, multi-line text as
    literal blocks. It reads back to exactly ``content`` (checked: text must never change)."""
    body = yaml.dump(dict(content), Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=10**6)
    text = f"{header}{body}"
    if yaml.safe_load(text) != dict(content):
        raise RuntimeError("the commentary did not read back as written; nothing was stored")
    return text


def _leading_comments(text: str) -> str:
    """The comment lines at the top of a commentary file (kept when it is rewritten), without an
    earlier "Last written by" line."""
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        if not line.startswith(_WRITTEN_BY):
            lines.append(line if line.endswith("\n") else line + "\n")
    return "".join(lines)


# --- storing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredCommentary:
    """What ``cscw commentary load`` stored, and where."""

    source: Path
    path: Path
    backup: Path | None
    month: str
    stored: list[WorkbookRow] = field(default_factory=list)
    removed: int = 0
    action_plans: int = 0

    def __str__(self) -> str:
        removed = f"; removed {self.removed} left blank" if self.removed else ""
        backup = f"the previous file is kept as {self.backup}" if self.backup else "there was no file before"
        lines = [
            f"{self.source}: stored {len(self.stored)} commentaries{removed} and {self.action_plans} action plans "
            f"for {self.month} in {self.path}; {backup}"
        ]
        drafted = sorted(r.excel_row for r in self.stored if r.drafted_unchanged)
        if drafted:
            rows = ", ".join(map(str, drafted[:20])) + (" ..." if len(drafted) > 20 else "")
            lines.append(
                f"note: {len(drafted)} of them are the drafted narrative unchanged (rows {rows}); the pack shows "
                "them as commentary: clear those cells and load again where the service has not written any"
            )
        lines.append(f"next: cscw run --month {self.month}")
        return "\n".join(lines)


def _backup(path: Path, now: datetime) -> Path:
    """A copy of the commentary file in ``commentary/history/<YYYY-MM>_<when>.yml``."""
    history = path.parent / "history"
    history.mkdir(exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    backup = history / f"{path.stem}_{stamp}.yml"
    number = 1
    while backup.exists():
        number += 1
        backup = history / f"{path.stem}_{stamp}_{number}.yml"
    shutil.copy2(path, backup)
    return backup


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and move it into place: a reader sees
    the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def load_commentary_workbook(path: str | Path, params: Params, month: str | None = None) -> StoredCommentary:
    """Read a filled-in commentary workbook and store it in the month's commentary file (merged
    with what the file holds; see the module's rules). Nothing is written when anything is refused:
    InputError for the workbook's cells, ParamsError if the result is not a valid commentary file."""
    workbook = read_commentary_workbook(path, params, month)
    target = commentary_path(params.folder, workbook.month)
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    raw = _read_yaml(target) if before.strip() else {}
    authority = params.authority.org_units.name
    merged = merged_commentary(raw, workbook, authority, params.authority.org_unit_names)
    parse_commentary(merged, str(target), params.catalogue, authority, params.authority.org_unit_names, workbook.month)
    now = datetime.now()
    header = _leading_comments(before) + f"{_WRITTEN_BY} from {Path(path).name} on {now:%Y-%m-%d %H:%M}.\n"
    text = commentary_yaml(merged, header)
    backup = _backup(target, now) if target.exists() else None
    _write_atomically(target, text)
    had_text = {
        (ind, org)
        for ind, entry in (raw.get("commentary") or {}).items()
        for org in ([authority] if isinstance(entry, str) else list(entry or {}))
    }
    return StoredCommentary(
        source=Path(path),
        path=target,
        backup=backup,
        month=workbook.month,
        stored=[r for r in workbook.rows if r.commentary is not None],
        removed=sum(r.commentary is None and (r.indicator, r.org_unit) in had_text for r in workbook.rows),
        action_plans=sum(any(v is not None for v in fields.values()) for fields in workbook.action_plans.values()),
    )
