"""Read one Ofsted Annex A extract as councils really produce it, into tidy typed frames.

An extract is a spreadsheet (``.xlsx``, ``.xlsm``, legacy ``.xls`` or OpenDocument ``.ods``) with one sheet per list
("List 1" ... "List 11", "List_1", "List 1 - Contacts" or "Contacts"; guidance and other sheets are ignored), a
folder of CSV files (one per list, named like "List 1.csv" or "list_01_contacts.csv"), or a single CSV whose name
says which list it is. Spreadsheets are read with calamine (python-calamine), formulas by their cached values, a
sheet per worker thread, each cell as calamine types it (text, number, boolean, date), never turned into text and
back. CSV files are read with ``read_csv_cells``: UTF-8 with or without a byte-order mark, Windows-1252 or UTF-16,
commas, semicolons or tabs. The header may sit below title rows; headers are matched through :func:`header_aliases`,
so the variants of every template year ("Sex" for "Gender", "Child ID", "Age") are accepted and unknown columns are
ignored and noted. Values lose leading, trailing and non-breaking spaces; Excel errors such as ``#N/A`` read as
blank; codes may carry their letter prefix or not. Dates may be date cells, Excel serial numbers, or text in many
forms (:func:`_read_dates`), the order of day and month decided per column (:func:`_date_columns`), never per cell.

A column a list does not have is recorded as absent (:attr:`AnnexA.columns`): the measures that need it stop, the
others go on; so is a column refused for dates written both ways (:attr:`AnnexA.refused`). A list without a column
that every row needs (its child or adopter identifier, the date that dates its records), or whose such column is
refused, cannot be used at all: it goes to :attr:`AnnexA.unusable` with the file, sheet and column, and the other
lists are still read. Problems with the extract as a whole (not a spreadsheet, empty, unreadable CSV, two sheets or
files for one list, no usable list) raise :class:`AnnexAError`, listing every problem with its file, sheet and
column. Problems with a value are *quarantined* instead: the row is excluded (a bad or blank value in a column every
row needs, a record or start date that is bad or in the future, an end date before its start date, an exact
duplicate row) or the value is ignored (set empty) and the row kept. A record listed on several rows with the same
record key but different values elsewhere counts once, from the row with the most recent date; every such row is
quarantined, the one that counts as "row kept". Blank required free text (team, worker, postcode) is kept and noted:
a blank worker means an unallocated case. Every quarantine entry names file, sheet, row (as the spreadsheet numbers
it), column, the value as written, the reason and the action.

The reader is pure: it never writes. :func:`write_quarantine` writes the quarantine CSV where the caller says
(under ``data/``: the quarantine names children, so never under ``outputs/``).
"""

from __future__ import annotations

import os
import queue
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa
from openpyxl.utils import get_column_letter

from csc_workbench.config.errors import InputError
from csc_workbench.ingest.annex_a_spec import LISTS, Column, ListSpec, header_aliases, list_by_sheet, normalise_header
from csc_workbench.ingest.csv_text import DELIMITERS, decode, read_csv_cells

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

__all__ = [
    "QUARANTINE_COLUMNS",
    "SPREADSHEETS",
    "AnnexA",
    "AnnexAError",
    "empty_list",
    "quarantine_reasons",
    "read_annex_a",
    "write_quarantine",
]

QUARANTINE_COLUMNS = ("file", "sheet", "row", "column", "value", "reason", "action")
EXCLUDED = "row excluded"
IGNORED = "value ignored"
KEPT = "row kept"  # a record listed twice with different values: the row that counts

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
"""File types read as spreadsheets (with calamine)."""

NOT_A_SOURCE = "is not a spreadsheet (.xlsx, .xlsm, .xls or .ods) or a folder of CSV files"

END_BEFORE_START: dict[int, tuple[tuple[str, str], ...]] = {
    2: (("eha_start_date", "eha_completion_date"),),
    4: (("assessment_start_date", "assessment_authorised_date"),),
    5: (("s47_start_date", "icpc_date"),),
    6: (("cin_start_date", "cin_closure_date"),),
    7: (("cpp_start_date", "cpp_end_date"),),
    8: (("cic_start_date", "cic_end_date"),),
    10: tuple(
        ("cic_entered_care_date", later)
        for later in (
            "adoption_decision_date",
            "placement_order_date",
            "matched_date",
            "placed_for_adoption_date",
            "adoption_order_date",
        )
    ),
}
"""Per list, (start, end) column pairs: a row whose end is before its start is excluded."""

_EARLIEST = pd.Timestamp(1900, 1, 1)
_HEADER_SCAN = 10  # rows searched for the header when row 1 is not it
_SHOWN = 8  # how many names or rows a note lists before "..."


class AnnexAError(InputError):
    """The extract cannot be read at all; the message names the file, sheet and column of every problem."""


@dataclass
class AnnexA:
    """One Annex A extract, read and typed.

    ``lists`` holds the usable lists, every template column present (those the source lacks are empty);
    ``columns`` says which columns each source really had and uses, ``blank_columns`` which of those have no value on
    any row kept, ``refused`` the columns a source has but that cannot be used (dates written two ways), and why;
    ``excluded`` how many rows of each list were excluded for a bad or missing value (duplicates aside);
    ``excluded_teams`` the allocated team written on each excluded row of a list that has teams, and ``blank_lines``
    how many blank rows were skipped inside each list; ``unusable`` the lists found but not usable, and why.
    """

    source: str
    lists: dict[int, pd.DataFrame]
    missing_lists: list[int]
    quarantine: pd.DataFrame
    notes: list[str]
    sheets: dict[int, tuple[str, str]] = field(default_factory=dict)  # list number -> (file, sheet or CSV name)
    columns: dict[int, frozenset[str]] = field(default_factory=dict)  # list number -> column keys in its source
    blank_columns: dict[int, frozenset[str]] = field(default_factory=dict)  # list number -> keys blank on every row
    unusable: dict[int, list[str]] = field(default_factory=dict)  # list number -> why it cannot be used
    refused: dict[int, dict[str, str]] = field(default_factory=dict)  # list number -> column key -> why not used
    excluded: dict[int, int] = field(default_factory=dict)  # list number -> rows excluded for a bad value
    # list number -> the allocated team (None when blank) of each row excluded, indexed by its row in the source
    excluded_teams: dict[int, pd.Series] = field(default_factory=dict)
    blank_lines: dict[int, int] = field(default_factory=dict)  # list number -> blank rows skipped between its rows

    def summary(self) -> str:
        """Per list: rows kept, excluded, values ignored, grouped reasons with counts; lists not usable and why;
        then missing lists and notes."""
        lines = [f"Annex A extract {self.source}"]
        q = self.quarantine
        for number in sorted({*self.lists, *self.unusable}):
            spec = LISTS[number]
            file, sheet = self.sheets.get(number, (self.source, spec.sheet))
            if number in self.unusable:
                lines.append(f"List {number} {spec.title} ({sheet}): not usable")
                lines.extend(f"    {problem}" for problem in self.unusable[number])
                continue
            mine = q[(q["file"] == file) & (q["sheet"] == sheet)]
            excluded = mine.loc[mine["action"] == EXCLUDED, "row"].nunique()
            ignored = int((mine["action"] == IGNORED).sum())
            lines.append(
                f"List {number} {spec.title} ({sheet}): {len(self.lists[number]):,} rows kept, {excluded:,} excluded, "
                f"{ignored:,} values ignored"
            )
            lines.extend(f"    column not used: {why}" for why in self.refused.get(number, {}).values())
            if len(mine):
                groups = Counter(zip(mine["action"], mine["column"], mine["reason"].map(_general_reason), strict=True))
                for (action, column, reason), count in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[1])):
                    lines.append(f"    {count:>6,} x {action}: {column}: {reason}")
        if self.missing_lists:
            missing = ", ".join(f"{n} {LISTS[n].title}" for n in self.missing_lists)
            lines.append(f"Missing lists: {missing}")
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines)


# --- reading the files -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where one list is: a CSV file, or a sheet of a spreadsheet."""

    spec: ListSpec
    file: str
    sheet: str  # the sheet name, or the CSV's file name
    is_csv: bool

    @property
    def where(self) -> str:
        return self.file if self.is_csv else f"{self.file}, sheet '{self.sheet}'"


@dataclass
class _Table:
    """One list's cells as found, index = row number in the file, positional columns, "" for blank: text from a CSV;
    from a spreadsheet the values calamine types (text, numbers, booleans, dates), never turned into text."""

    source: _Source
    cells: pd.DataFrame
    delimiter: str | None = None  # a CSV's delimiter

    @property
    def spec(self) -> ListSpec:
        return self.source.spec

    @property
    def where(self) -> str:
        return self.source.where


@dataclass
class _ListRead:
    """What reading one source gave: a typed list, or why it is unusable, or problems fatal to the extract."""

    source: _Source
    notes: list[str]
    blank: bool = False
    frame: pd.DataFrame | None = None
    quarantine: pd.DataFrame | None = None
    columns: frozenset[str] = frozenset()
    blank_columns: frozenset[str] = frozenset()
    refused: dict[str, str] = field(default_factory=dict)
    excluded: int = 0
    excluded_teams: pd.Series | None = None
    blank_lines: int = 0
    unusable: list[str] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)


def read_annex_a(path: str | Path, today: date | None = None) -> AnnexA:
    """Read one Annex A extract (spreadsheet, folder of CSVs, or one named CSV); AnnexAError lists fatal problems."""
    source = str(path)
    path = Path(path)
    today = today or date.today()
    notes: list[str] = []
    if not path.exists():
        raise AnnexAError(source, [f"{source} does not exist"])
    books: _Books | None = None
    if path.is_dir():
        sources = _folder_sources(path, notes)
    elif path.stat().st_size == 0:
        raise AnnexAError(source, [f"{source} is empty (0 bytes)"])
    elif path.suffix.lower() in SPREADSHEETS:
        books = _Books(path)
        sources = _workbook_sources(path, books, notes)
    elif path.suffix.lower() == ".csv":
        spec = _list_for_file_name(path.stem)
        if spec is None:
            raise AnnexAError(
                source,
                [
                    f"{source}: cannot tell which Annex A list this CSV is from its name; "
                    "name it like 'List 3.csv' or 'list_03_referrals.csv', or give a folder of CSV files"
                ],
            )
        sources = [_Source(spec, str(path), path.name, True)]
    else:
        raise AnnexAError(source, [f"{source} {NOT_A_SOURCE}"])

    try:
        reads = _read_sources(sources, books, pd.Timestamp(today))
    finally:
        if books is not None:
            books.close()
    for read in reads:
        notes.extend(read.notes)
    fatal = [problem for read in reads for problem in read.fatal]
    if fatal:
        raise AnnexAError(source, fatal)
    if books is not None and all(read.blank for read in reads):
        raise AnnexAError(source, [f"{source} is empty: every list sheet in it is blank"])
    usable = [read for read in reads if read.frame is not None]
    if not usable:
        raise AnnexAError(source, [problem for read in reads for problem in read.unusable])
    return AnnexA(
        source=source,
        lists={read.source.spec.number: read.frame for read in usable},
        missing_lists=[n for n in LISTS if n not in {read.source.spec.number for read in reads}],
        quarantine=_concat_quarantine([read.quarantine for read in usable]),
        notes=notes,
        sheets={read.source.spec.number: (read.source.file, read.source.sheet) for read in reads},
        columns={read.source.spec.number: read.columns for read in usable},
        blank_columns={read.source.spec.number: read.blank_columns for read in usable},
        unusable={read.source.spec.number: read.unusable for read in reads if read.unusable},
        refused={read.source.spec.number: read.refused for read in usable if read.refused},
        excluded={read.source.spec.number: read.excluded for read in usable},
        excluded_teams={
            read.source.spec.number: read.excluded_teams for read in usable if read.excluded_teams is not None
        },
        blank_lines={read.source.spec.number: read.blank_lines for read in usable},
    )


def _read_sources(sources: list[_Source], books: _Books | None, today: pd.Timestamp) -> list[_ListRead]:
    """Each source read and typed, in list order; a worker thread per core (calamine and the CSV parser release
    the GIL while they parse), and for a spreadsheet one more: calamine spends about half the time of a workbook
    parsing its sheets, GIL released, so while two threads take turns at the Python work a third parses."""
    ordered = sorted(sources, key=lambda s: s.spec.number)
    cores = os.cpu_count() or 1
    workers = max(1, min(len(ordered), cores if books is None else cores + 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: _read_source(s, books, today), ordered))


def _read_source(source: _Source, books: _Books | None, today: pd.Timestamp) -> _ListRead:
    notes: list[str] = []
    delimiter = None
    try:
        if source.is_csv:
            cells, delimiter = _read_csv(Path(source.file), notes)
        else:
            assert books is not None
            cells = books.sheet_cells(source)
    except AnnexAError as exc:
        return _ListRead(source, notes, fatal=exc.problems)
    read = _ListRead(source, notes, blank=not _nonblank_rows(cells).any())
    try:
        _read_list(_Table(source, cells, delimiter), today, read)
    except _ListProblems as exc:
        read.unusable = exc.problems
        return read
    except AnnexAError as exc:
        read.fatal = exc.problems
        return read
    if len(read.frame):
        read.blank_columns = frozenset(key for key in read.columns if read.frame[key].isna().all())
    return read


def _one_per_list(
    where: Path, candidates: list[tuple[str, ListSpec | None]], noun: str
) -> tuple[dict[int, str], list[str]]:
    """(list number -> the one file or sheet name holding it, the names holding no list); two
    names for one list are refused, naming both."""
    chosen: dict[int, str] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for name, spec in candidates:
        if spec is None:
            ignored.append(name)
        elif spec.number in chosen:
            problems.append(
                f"{where}: {noun} '{chosen[spec.number]}' and '{name}' both look like List {spec.number} "
                f"({spec.title}); keep one"
            )
        else:
            chosen[spec.number] = name
    if problems:
        raise AnnexAError(str(where), problems)
    return chosen, ignored


def _folder_sources(folder: Path, notes: list[str]) -> list[_Source]:
    """Every CSV of the folder whose name says which list it is; two files for one list are refused."""
    files = [f for f in sorted(folder.iterdir()) if f.is_file() and not f.name.startswith((".", "~$"))]
    candidates = [(f.name, _list_for_file_name(f.stem) if f.suffix.lower() == ".csv" else None) for f in files]
    found, ignored = _one_per_list(folder, candidates, "files")
    if not found:
        detail = f" (it holds {_names(ignored)})" if ignored else " (it is empty)"
        raise AnnexAError(
            str(folder),
            [f"{folder} {NOT_A_SOURCE}: no file in it is an Annex A list CSV named like 'List 1.csv'{detail}"],
        )
    if ignored:
        notes.append(f"{folder}: ignored files that are not Annex A list CSVs: {_names(ignored)}")
    return [_Source(LISTS[number], str(folder / name), name, True) for number, name in sorted(found.items())]


def _list_for_file_name(stem: str) -> ListSpec | None:
    """The list a CSV file name refers to: list_by_sheet, else "list N" anywhere, else a leading or trailing number."""
    spec = list_by_sheet(stem)
    if spec is not None:
        return spec
    text = stem.lower()
    alone = len(re.findall(r"\d+", text)) == 1  # a leading or trailing number counts only when it is the only one
    for pattern, ok in (
        (r"list[\s_\-.]*0*(\d{1,2})(?!\d)", True),
        (r"^0*(\d{1,2})(?!\d)", alone),
        (r"(?<!\d)0*(\d{1,2})$", alone),
    ):
        match = re.search(pattern, text) if ok else None
        if match and int(match.group(1)) in LISTS:
            spec = LISTS[int(match.group(1))]
            # A title in the name that names another list ("contacts_2024_03") makes the number a date, not a list.
            norm = normalise_header(stem)
            titles = [s for s in LISTS.values() if normalise_header(s.title) in norm]
            longest = max(titles, key=lambda s: len(s.title), default=None)
            if longest is not None and longest is not spec:
                return None
            return spec
    return None


def _read_csv(path: Path, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """All cells of a CSV as text (rows as Excel numbers them, from 1) and its delimiter; the encoding and the
    delimiter are found (``read_csv_cells``) and said in a note unless UTF-8 with commas. A file of blank lines is a
    list with no rows."""
    if path.stat().st_size == 0:
        raise AnnexAError(str(path), [f"{path} is empty (0 bytes)"])
    try:
        read = read_csv_cells(path)
    except InputError as exc:
        if _only_blank_lines(path):
            return pd.DataFrame(index=pd.RangeIndex(1, 1), columns=pd.RangeIndex(0), dtype=object), ","
        raise AnnexAError(str(path), [f"{path}: {problem}" for problem in exc.problems]) from None
    if read.encoding not in ("utf-8", "utf-8-sig") or read.delimiter != ",":
        notes.append(f"{path}: read as {read.describe()}")
    return read.cells, read.delimiter


def _only_blank_lines(path: Path) -> bool:
    """Whether a CSV file holds nothing but blank lines (in an encoding ``read_csv_cells`` reads)."""
    try:
        text, _ = decode(path.read_bytes(), str(path))
    except InputError:
        return False
    return not text.strip()


class _Books:
    """A spreadsheet opened once per worker thread that reads it (a calamine workbook is not shared by threads)."""

    def __init__(self, path: Path):
        self.path = path
        self._free: queue.SimpleQueue[CalamineWorkbook] = queue.SimpleQueue()
        self._opened: list[CalamineWorkbook] = []

    @contextmanager
    def book(self) -> Iterator[CalamineWorkbook]:
        from python_calamine import CalamineWorkbook  # imported here: only spreadsheets need it

        try:
            book = self._free.get_nowait()
        except queue.Empty:
            try:
                book = CalamineWorkbook.from_path(self.path)
            except Exception as exc:  # any failure to open means it is not a spreadsheet calamine can read
                detail = str(exc).strip() or type(exc).__name__
                raise AnnexAError(
                    str(self.path), [f"{self.path} {NOT_A_SOURCE} (it could not be opened as one: {detail})"]
                ) from None
            self._opened.append(book)
        try:
            yield book
        finally:
            self._free.put(book)

    def sheet_cells(self, source: _Source) -> pd.DataFrame:
        """A sheet's cells as calamine types them (``_grid``), rows and columns as the spreadsheet numbers them."""
        with self.book() as book:
            try:
                rows = book.get_sheet_by_name(source.sheet).to_python(skip_empty_area=False)
            except Exception as exc:  # a damaged sheet: name it rather than fail with calamine's own trace
                raise AnnexAError(source.file, [f"{source.where}: the sheet could not be read ({exc})"]) from None
        return _grid(rows)

    def close(self) -> None:
        for book in self._opened:
            book.close()


def _workbook_sources(path: Path, books: _Books, notes: list[str]) -> list[_Source]:
    """The list sheets of a spreadsheet; other sheets (guidance, codes, notes) are ignored, two sheets for one list
    are refused."""
    with books.book() as book:
        names = list(book.sheet_names)
    chosen, ignored = _one_per_list(path, [(name, list_by_sheet(name)) for name in names], "sheets")
    if not chosen:
        found = _names(ignored) if ignored else "none"
        raise AnnexAError(
            str(path), [f"{path}: no sheet is an Annex A list (sheets found: {found}); expected 'List 1' ..."]
        )
    if ignored:
        notes.append(f"{path}: ignored sheets that are not Annex A lists: {_names(ignored)}")
    return [_Source(LISTS[number], str(path), name, False) for number, name in sorted(chosen.items())]


def _grid(rows: list[list[object]]) -> pd.DataFrame:
    """Spreadsheet rows as they are typed (text, numbers, booleans, dates, "" for blank), nothing converted:
    index = row number from 1, columns = positions from 0, each an object column."""
    width = max(map(len, rows), default=0)
    if len(set(map(len, rows))) > 1:
        rows = [row + [""] * (width - len(row)) for row in rows]
    grid = np.empty((len(rows), width), dtype=object)
    if width:
        grid[:] = rows
    return pd.DataFrame(grid, index=pd.RangeIndex(1, len(rows) + 1), columns=range(width), dtype=object, copy=False)


def _as_text(cells: pd.Series) -> pd.Series:
    """Cells as the text a person sees (``_cell_text``), each distinct value turned into text once."""
    values = cells.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return cells.astype(object)
    positions, uniques = _distinct(values)
    text = np.array([_cell_text(v) for v in uniques], dtype=object)
    return pd.Series(text.take(positions), index=cells.index, dtype=object)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, uniques) of a column's cells: each distinct value once.

    A hash table takes TRUE for 1 and FALSE for 0, so where a column holds both booleans and the numbers 0 or 1,
    those cells are told apart one by one.
    """
    positions, uniques = pd.factorize(values, use_na_sentinel=False)
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        return positions, uniques
    ambiguous = [i for i, v in enumerate(uniques) if not isinstance(v, str) and v in (0, 1)]
    if not ambiguous:
        return positions, uniques
    redo = np.isin(positions, ambiguous)
    cells = values[redo]
    if pd.api.types.infer_dtype(cells, skipna=False) in ("boolean", "integer", "floating", "mixed-integer-float"):
        return positions, uniques
    found: dict[tuple[bool, object], int] = {}
    extended = list(uniques)
    codes = np.empty(len(cells), dtype=positions.dtype)
    for i, value in enumerate(cells):
        key = (isinstance(value, bool), value)
        if key not in found:
            found[key] = len(extended)
            extended.append(value)
        codes[i] = found[key]
    positions = positions.copy()
    positions[redo] = codes
    return positions, _objects(extended)


def _objects(values) -> np.ndarray:
    """A one-dimensional object array of ``values`` as they are (numpy would nest sequences)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: dates dd/mm/yyyy, 1234.0 as "1234", blank as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        text = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return text if value.time() == time() else f"{text} {value:%H:%M:%S}"
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    return str(value)


# --- one list ----------------------------------------------------------------------------------------------------


class _ListProblems(Exception):
    """Why one list cannot be used, collected so that every list's problems are reported together."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _read_list(table: _Table, today: pd.Timestamp, read: _ListRead) -> None:
    """One list read into ``read``: its typed frame, quarantine, the keys of the columns it has and uses, the
    columns it has but cannot use (key -> why) and how many rows were excluded; or _ListProblems."""
    spec, notes = table.spec, read.notes
    label = f"{table.where} (List {spec.number} {spec.title})"
    cells = table.cells
    nonblank = _nonblank_rows(cells)
    if not nonblank.any():
        notes.append(f"{label}: empty; read as no rows")
        read.frame, read.quarantine = _empty_frame(spec), _concat_quarantine([])
        return

    header_row = _find_header(cells, nonblank, spec)
    if header_row != cells.index[0]:
        notes.append(f"{label}: header found on row {header_row}; rows above it ignored")
    headers = [" ".join(_cell_text(h).split()) for h in cells.loc[header_row]]  # non-breaking, repeated spaces too
    body = cells.loc[header_row + 1 :]
    body_filled = nonblank[cells.index > header_row]
    if not body_filled.all():
        last = body.index[body_filled][-1] if body_filled.any() else header_row
        read.blank_lines = int((~body_filled & (body.index <= last)).sum())
        if read.blank_lines:
            notes.append(f"{label}: {read.blank_lines} blank row(s) skipped")
        body = body[body_filled]
    if table.delimiter is not None:
        _check_row_lengths(table, headers, header_row, body)

    chosen, headers_by_key = _match_columns(table, headers, body, label, notes)
    raw = pd.DataFrame({key: body[position] for key, position in chosen.items()}, index=body.index)
    if len(body) == 0:
        notes.append(f"{label}: header only, no rows")
    distinct = {key: _distinct(raw[key].to_numpy(dtype=object)) for key in raw if spec.column(key).kind != "id"}
    dates, read.refused = _date_columns(table, raw, distinct, headers_by_key, label, notes)
    raw = raw.drop(columns=list(read.refused))
    read.frame, read.quarantine, read.excluded, read.excluded_teams = _type_and_check(
        raw, distinct, dates, headers_by_key, table, today, label, notes
    )
    read.columns = frozenset(raw.columns)


def _check_row_lengths(table: _Table, headers: list[str], header_row: int, body: pd.DataFrame) -> None:
    """A CSV row with a value beyond the header's last column has a delimiter inside a value that is not quoted:
    every value after it sits under the wrong header. AnnexAError naming the first such row."""
    named = [i for i, header in enumerate(headers) if header]
    width = named[-1] + 1 if named else 0
    if not named or body.shape[1] <= width or body.empty:
        return
    beyond = body.loc[:, width:].ne("").to_numpy()
    rows = beyond.any(axis=1)
    if rows.any():
        first = int(np.argmax(rows))
        column = width + int(np.argmax(beyond[first]))
        delimiter = DELIMITERS[table.delimiter or ","]
        raise AnnexAError(
            table.source.file,
            [
                f"{table.where}: row {body.index[first]}, column {get_column_letter(1 + column)}: a value beyond "
                f"the header (row {header_row} ends at column {get_column_letter(width)}); is there a {delimiter} "
                "inside a value that is not in quotes?"
            ],
        )


def _nonblank_rows(cells: pd.DataFrame):
    """Boolean array: rows with any non-blank cell (looking past the first column only where it is blank)."""
    if cells.shape[1] == 0:
        return pd.Series(False, index=cells.index).to_numpy()
    nonblank = cells[0].ne("").to_numpy().copy()
    rest = ~nonblank
    if rest.any() and cells.shape[1] > 1:
        nonblank[rest] = cells.loc[rest, 1:].ne("").to_numpy().any(axis=1)
    return nonblank


def _find_header(cells: pd.DataFrame, nonblank, spec: ListSpec) -> int:
    """The header row: the first non-blank row, unless a row just below it matches clearly more headers."""
    aliases = header_aliases(spec)
    candidates = cells.index[nonblank][:_HEADER_SCAN]
    first = candidates[0]

    def known(row: int) -> int:
        return sum(_key_for_header(_cell_text(h), aliases) is not None for h in cells.loc[row])

    best, best_known = first, known(first)
    if best_known >= 2:
        return first
    for row in candidates[1:]:
        count = known(row)
        if count >= 2 and count > best_known:
            return row
    return best


_HINT = re.compile(r"(ddmmyyyy|yn|yesno)$")


def _key_for_header(header: str, aliases: dict[str, str]) -> str | None:
    """The column key of a header, matched through the aliases, ignoring a trailing "(dd/mm/yyyy)" or "(Y/N)"."""
    norm = normalise_header(header)
    if not norm:
        return None
    key = aliases.get(norm)
    if key is None:
        stripped = _HINT.sub("", norm)
        matches = {k for alias, k in aliases.items() if _HINT.sub("", alias) == stripped}
        key = matches.pop() if len(matches) == 1 else None
    return key


def _match_columns(
    table: _Table, headers: list[str], body: pd.DataFrame, label: str, notes: list[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Key -> column position and key -> header as written; _ListProblems when a column every row needs is missing
    or one column appears twice with different values."""
    spec = table.spec
    aliases = header_aliases(spec)
    positions: dict[str, list[int]] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        key = _key_for_header(header, aliases)
        if key is not None:
            positions.setdefault(key, []).append(position)
        elif header:
            unknown.append(header)
        elif body[position].ne("").any():
            unknown.append(f"(no header, column {get_column_letter(1 + position)})")
    problems: list[str] = []
    chosen: dict[str, int] = {}
    for key, found in positions.items():
        keep = found[0]
        values = {p: _as_text(body[p]).str.strip() for p in found} if len(found) > 1 else {}
        for other in found[1:]:
            first, second = get_column_letter(1 + keep), get_column_letter(1 + other)
            where = f"'{headers[keep]}' (column {first}) and '{headers[other]}' (column {second})"
            same = f"{where} are both the column '{spec.column(key).header}'"
            if values[keep].equals(values[other]):
                notes.append(f"{label}: {same}, with identical values; kept the first")
            elif not values[other].ne("").any():
                notes.append(f"{label}: {same}; the second is empty and was dropped")
            elif not values[keep].ne("").any():
                notes.append(f"{label}: {same}; the first is empty and was dropped")
                keep = other
            else:
                differ = values[keep].ne(values[other]).to_numpy()
                row = values[keep].index[differ][0]
                problems.append(
                    f"{table.where}: {same}, with different values (first difference on row {row}); "
                    "delete the wrong one"
                )
        chosen[key] = keep
    for col in spec.columns:
        if _essential(spec, col) and col.key not in chosen:
            problems.append(
                f"{table.where}: column '{col.header}' is missing: every row of List {spec.number} ({spec.title}) "
                "needs it, so the list cannot be used"
            )
    if problems:
        raise _ListProblems(problems)
    if unknown:
        notes.append(f"{label}: ignored unknown column(s) {_names(unknown)}")
    return chosen, {key: headers[p] for key, p in chosen.items()}


# --- typing and checking -----------------------------------------------------------------------------------------


@dataclass
class _Problems:
    """Quarantine entries while a list is checked: (row, key, reason, action) frames."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, rows, key: str, reason, action: str) -> None:
        rows = pd.Index(rows)
        if len(rows):
            self.parts.append(
                pd.DataFrame({"row": rows.astype("int64"), "key": key, "reason": reason, "action": action})
            )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": pd.Series(dtype="int64"), "key": [], "reason": [], "action": []})
        return pd.concat(self.parts, ignore_index=True)


def _essential(spec: ListSpec, col: Column) -> bool:
    """A row cannot be used without a valid value here: a required id, or the date that dates the
    record (a date in its record key, or the start of a start/end pair).

    A bad or blank value elsewhere, even in a required column (gender, ethnicity, child seen, a
    legal status start date), is ignored instead and the row kept: dropping the child from every
    count would be a worse error than one unknown field. The quarantine report lists both.
    """
    if col.kind == "id":
        return col.required
    starts = {start for start, _ in END_BEFORE_START.get(spec.number, ())}
    return col.kind == "date" and (col.key in spec.record_key or col.key in starts)


def _type_and_check(
    raw: pd.DataFrame,
    distinct: dict[str, tuple[np.ndarray, np.ndarray]],
    dates: dict[str, _DateColumn],
    headers: dict[str, str],
    table: _Table,
    today: pd.Timestamp,
    label: str,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, int, pd.Series | None]:
    """Coerce each column to its kind, validate with pandera, check rows; return the kept rows, the quarantine, how
    many rows were excluded for a bad or missing value (duplicates aside) and, for a list with teams, the allocated
    team of every row excluded (by its row)."""
    spec = table.spec
    problems = _Problems()
    typed: dict[str, pd.Series] = {}
    decimal_comma = table.delimiter == ";"
    for col in spec.columns:
        if col.key not in raw:
            typed[col.key] = _empty_column(col, raw.index)
            continue
        values, bad = _coerce(col, raw[col.key], distinct.get(col.key), dates.get(col.key), decimal_comma)
        typed[col.key] = values
        if bad is not None and bad.any():
            reason = _BAD_REASON[col.kind]
            problems.add(raw.index[bad], col.key, reason, EXCLUDED if _essential(spec, col) else IGNORED)
    frame = pd.DataFrame(typed, index=raw.index)

    # Column checks (pandera): blank required values, codes, negative counts, dates in the future.
    flagged = problems.frame()
    already = set(zip(flagged["row"], flagged["key"], strict=True))
    # The dates that date the record: its key dates and the start dates of its (start, end) pairs.
    key_dates = {k for k in spec.record_key if spec.column(k).kind == "date"}
    key_dates |= {start for start, _ in END_BEFORE_START.get(spec.number, ())}
    ignored: list[tuple[str, pd.Index]] = []
    for key, check, rows in _pandera_failures(spec, frame, today, frozenset(raw.columns)):
        col = spec.column(key)
        if check == "not_nullable":
            rows = pd.Index([r for r in rows if (r, key) not in already])
            action = EXCLUDED if _essential(spec, col) else IGNORED
            problems.add(rows, key, f"blank {headers.get(key, col.header)}", action)
            continue
        reason = _CHECK_REASON[check]
        # A future date excludes the row only when it dates the record; other bad values follow "required".
        fatal = key in key_dates if check == "future" else _essential(spec, col)
        action = EXCLUDED if fatal else IGNORED
        problems.add(rows, key, reason, action)
        if action == IGNORED:
            ignored.append((key, rows))
    for key, rows in ignored:
        frame.loc[rows, key] = None

    # Row checks on the rows not already excluded: an end before its start.
    entries = problems.frame()
    open_rows = ~frame.index.isin(entries.loc[entries["action"] == EXCLUDED, "row"])
    for start, end in END_BEFORE_START.get(spec.number, ()):
        if start not in raw or end not in raw:
            continue
        bad = (frame[end] < frame[start]).to_numpy(dtype=bool) & open_rows
        if bad.any():
            sub = frame.loc[bad]
            reason = (
                f"{headers[end]} "
                + sub[end].dt.strftime("%d/%m/%Y")
                + f" is before {headers[start]} "
                + sub[start].dt.strftime("%d/%m/%Y")
            )
            problems.add(sub.index, end, reason.to_numpy(), EXCLUDED)

    # Exact duplicates among the rows still kept: later copies excluded. A copy shares its record key, so only
    # rows whose key repeats are compared in full. Rows that share the key but differ elsewhere are one record
    # listed twice: one of them counts (_resolve_conflicts).
    entries = problems.frame()
    excluded = pd.Index(entries.loc[entries["action"] == EXCLUDED, "row"].unique())
    kept = frame.drop(index=excluded)
    key_cols = list(spec.record_key)
    shared = kept.duplicated(subset=key_cols, keep=False).to_numpy()
    if shared.any():
        candidates = kept.loc[shared]
        hashes = pd.util.hash_pandas_object(candidates, index=False).to_numpy()
        repeat = pd.Series(hashes).duplicated().to_numpy()
        if repeat.any():
            first_row = pd.Series(candidates.index, index=hashes).groupby(level=0).first()
            firsts = first_row.loc[hashes[repeat]].to_numpy()
            problems.add(candidates.index[repeat], key_cols[0], [f"duplicate of row {r}" for r in firsts], EXCLUDED)
            copies = int(repeat.sum())
            notes.append(f"{label}: {copies:,} exact duplicate row(s) removed (later copies; see the quarantine)")
            kept = kept.drop(index=candidates.index[repeat])
            candidates = candidates.loc[~repeat]
        conflicting = candidates.duplicated(subset=key_cols, keep=False).to_numpy()
        if conflicting.any():
            dropped = _resolve_conflicts(spec, candidates.loc[conflicting], headers, problems, label, notes)
            kept = kept.drop(index=dropped)

    _note_blank_text(spec, kept, headers, label, notes)  # headers: the columns the source has
    teams = frame.loc[frame.index.difference(kept.index), "allocated_team"] if "allocated_team" in frame else None
    kept = kept.assign(_row=kept.index.astype("int64")).reset_index(drop=True)
    return kept, _quarantine(problems.frame(), raw, headers, table), len(excluded), teams


def _resolve_conflicts(
    spec: ListSpec, rows: pd.DataFrame, headers: dict[str, str], problems: _Problems, label: str, notes: list[str]
) -> pd.Index:
    """One record listed on several rows with the same record key (the child and the episode's start) but different
    values elsewhere: counted once, from the row with the most recent date (any date but the key's and the date of
    birth: the latest news of the record), the later row when they tie. Every such row goes to the quarantine: the
    one that counts as "row kept", the others excluded. Returns the rows excluded."""
    key_cols = list(spec.record_key)
    names = " + ".join(headers.get(k, spec.column(k).header) for k in key_cols)
    dated = [c.key for c in spec.columns if c.kind == "date" and c.key not in key_cols and c.key != "date_of_birth"]
    latest = rows[dated].max(axis=1) if dated else pd.Series(pd.NaT, index=rows.index)
    ordered = rows.assign(_latest=latest, _line=rows.index).sort_values(
        [*key_cols, "_latest", "_line"], na_position="first", kind="stable"
    )
    group = ordered.groupby(key_cols, sort=False).ngroup().to_numpy()
    keeper = ordered.groupby(group)["_line"].transform("last").to_numpy()
    line = ordered["_line"].to_numpy()
    drop = line != keeper
    compared = [k for k in spec.keys if k not in key_cols and k in headers]
    left = rows.loc[line[drop], compared].reset_index(drop=True)
    right = rows.loc[keeper[drop], compared].reset_index(drop=True)
    differs = pd.DataFrame(
        {k: ~(left[k].eq(right[k]).fillna(False) | (left[k].isna() & right[k].isna())) for k in compared}
    ).to_numpy(dtype=bool)
    what = [", ".join(headers[k] for k, d in zip(compared, row, strict=True) if d) for row in differs]
    problems.add(
        line[drop],
        key_cols[0],
        [
            f"same {names} as row {k}, which counts instead (differs in {w})"
            for k, w in zip(keeper[drop], what, strict=True)
        ],
        EXCLUDED,
    )
    others: dict[int, list[int]] = {}
    differ: dict[int, set[str]] = {}
    for k, d, w in zip(keeper[drop], line[drop], what, strict=True):
        others.setdefault(int(k), []).append(int(d))
        differ.setdefault(int(k), set()).update(w.split(", "))
    problems.add(
        list(others),
        key_cols[0],
        [
            f"same {names} as {'rows' if len(o) > 1 else 'row'} {', '.join(map(str, o))}; this row counts "
            f"(differs in {', '.join(h for h in (headers[k] for k in compared) if h in differ[r])})"
            for r, o in others.items()
        ],
        KEPT,
    )
    pairs = "; ".join(" and ".join(map(str, sorted([r, *o]))) for r, o in list(others.items())[:_SHOWN]) + (
        "; ..." if len(others) > _SHOWN else ""
    )
    notes.append(
        f"{label}: {len(others):,} record(s) listed more than once with the same {names} but different values "
        f"(rows {pairs}): each counted once, from its row with the most recent date (the later row when they tie); "
        "every such row is in the quarantine"
    )
    return pd.Index(line[drop])


_BAD_REASON = {
    "id": "not a valid identifier",
    "date": "not a valid date (expected dd/mm/yyyy)",
    "category": "unknown code",
    "integer": "not a whole number",
    "years": "not a number",
    "number": "not a number",
    "text": "not valid text",
}
_CHECK_REASON = {
    "future": "date in the future",
    "negative": "negative number",
    "unborn": "below -1 (an unborn child's age is -1)",
    "code": "unknown code",
}


def _pandera_failures(spec: ListSpec, frame: pd.DataFrame, today: pd.Timestamp, present: frozenset[str]):
    """(key, check, rows) for every failing column check of the list's pandera schema."""
    try:
        _schema(spec, today, present).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        if cases["index"].isna().any():  # a dtype or structure failure: a bug in this module, not in the data
            raise RuntimeError(f"Annex A list {spec.number}: typed frame fails its schema:\n{cases}") from None
        for (key, check), group in cases.groupby(["column", "check"], sort=False):
            name = check if check == "not_nullable" else check.split("(")[0]
            yield key, name, pd.Index(group["index"].astype("int64").unique())


def _schema(spec: ListSpec, today: pd.Timestamp, present: frozenset[str]) -> pa.DataFrameSchema:
    """The pandera schema of a typed list: required non-blank (where the source has the column), known codes,
    counts >= 0, ages >= -1, dates not in the future."""
    columns = {}
    for col in spec.columns:
        checks: list[pa.Check] = []
        if col.kind == "date":
            checks.append(pa.Check(lambda s, t=today: s <= t, name="future"))
        elif col.kind == "category":
            checks.append(pa.Check(lambda s, codes=frozenset(col.codes): s.isin(codes), name="code"))
        elif col.kind in ("integer", "number"):
            checks.append(pa.Check(lambda s: s >= 0, name="negative"))
        elif col.kind == "years":
            checks.append(pa.Check(lambda s: s >= -1, name="unborn"))
        required = col.key in present and (col.required or _essential(spec, col))
        nullable = not required or col.kind == "text"
        columns[col.key] = pa.Column(_DTYPES[col.kind], checks=checks, nullable=nullable)
    return pa.DataFrameSchema(columns, strict=True)


_DTYPES = {
    "id": object,
    "text": object,
    "category": object,
    "date": "datetime64[us]",
    "integer": "Int64",
    "years": "Int64",
    "number": "Float64",
}


def _note_blank_text(spec: ListSpec, frame: pd.DataFrame, headers: dict[str, str], label: str, notes: list[str]):
    """Required text columns (team, worker, postcode) may be blank: a blank worker means unallocated. Noted."""
    for col in spec.columns:
        if col.required and col.kind == "text" and col.key in headers:
            blank = int(frame[col.key].isna().sum())
            if blank:
                notes.append(f"{label}: {headers.get(col.key, col.header)} is blank on {blank:,} row(s); kept")


# --- coercion ----------------------------------------------------------------------------------------------------


def _coerce(
    col: Column,
    raw: pd.Series,
    distinct: tuple[np.ndarray, np.ndarray] | None,
    dates: _DateColumn | None,
    decimal_comma: bool,
) -> tuple[pd.Series, np.ndarray | None]:
    """The typed column and a mask of non-blank values that could not be read (None when none can fail).

    Cells come typed from a spreadsheet (numbers, dates, text) or as text from a CSV; each is read as the column's
    kind. Each distinct value is read once (a column of 100,000 rows holds a few thousand dates, a few dozen codes):
    ``distinct`` is the column's (positions, uniques), ``dates`` a date column read in its order.
    """
    if col.kind == "id":  # identifiers are mostly distinct: no gain in reading each value once
        cells = raw.to_numpy(dtype=object)
        ids = [_id(v if isinstance(v, str) else _cell_text(v)) for v in cells]
        return pd.Series(ids, index=raw.index, dtype=object), None
    assert distinct is not None
    positions, uniques = distinct
    if col.kind == "date":
        assert dates is not None
        values, bad = dates.values(), dates.bad()
    elif col.kind == "category":
        values, bad = _categories(col, _texts(uniques))
    elif col.kind in ("integer", "years", "number"):
        values, bad = _numbers(uniques, col.kind, decimal_comma)
    else:
        text = _texts(uniques)
        values, bad = text.where(text.ne("").to_numpy(), None), None
    typed = values.take(positions).set_axis(raw.index)
    return typed, (bad[positions] if bad is not None else None)


_EXCEL_ERRORS = frozenset(
    {"#N/A", "#N/A N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!", "#CALC!", "#FIELD!"}
)
"""Excel's error values: a CSV written from a spreadsheet holds them as text. Read as blank."""


def _texts(uniques: np.ndarray) -> pd.Series:
    """Each distinct cell as clean text (``_clean``); a number or a date as a person sees it (``_cell_text``)."""
    if pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        uniques = _objects([v if isinstance(v, str) else _cell_text(v) for v in uniques])
    return _clean(pd.Series(uniques, dtype=object))


def _clean(text: pd.Series) -> pd.Series:
    """Trimmed text with every run of white space (non-breaking spaces too) made one space; Excel errors blank."""
    text = text.str.strip()
    odd = text.str.contains(r"\s\s|[^\S ]", regex=True).to_numpy()
    if odd.any():
        text[odd] = text[odd].str.replace(r"\s+", " ", regex=True)
    if text.str.startswith("#").any():
        text[text.str.upper().isin(_EXCEL_ERRORS).to_numpy()] = ""
    return text


def _id(value: str) -> str | None:
    """An identifier trimmed, None for blank or an Excel error; one written as a number loses its ".0" ("1234.0" ->
    "1234", as a number that went through a spreadsheet)."""
    value = value.strip()
    if not value or (value[0] == "#" and value.upper() in _EXCEL_ERRORS):
        return None
    if value.endswith("0") and "." in value:
        head, _, tail = value.rpartition(".")
        if head.isascii() and head.isdigit() and not tail.strip("0"):
            return head
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(uniques: np.ndarray, kind: str, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers (3, "3", "3.0") as Int64; ages floored to whole years as Int64 (6.9 -> 6); numbers as Float64.
    Number cells are taken as they are; text is read as a number (with a decimal comma, "6,5", in a CSV whose
    columns are separated by semicolons); other text, booleans and dates are bad."""
    number = np.full(len(uniques), np.nan)
    blank = np.zeros(len(uniques), dtype=bool)
    is_text = np.array([isinstance(v, str) for v in uniques], dtype=bool)
    is_number = np.array([_is_number(v) for v in uniques], dtype=bool)
    number[is_number] = [float(v) for v in uniques[is_number]]
    if is_text.any():
        text = _clean(pd.Series(uniques[is_text], dtype=object))
        if decimal_comma:
            text = text.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
        blank[is_text] = text.eq("").to_numpy()
        number[is_text] = pd.to_numeric(text.where(text.ne(""), None), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        finite = np.abs(number) < (np.inf if kind == "number" else 2**53)  # whole numbers beyond 2**53 are not exact
        ok = finite & (number % 1 == 0) if kind == "integer" else finite
    number = np.where(ok, number, np.nan)
    if kind == "number":
        return pd.Series(number).astype("Float64"), ~ok & ~blank
    return pd.Series(np.floor(number)).astype("Int64"), ~ok & ~blank


# --- dates: the order of day and month is decided per column -----------------------------------------------------

_MONTHS = {
    name: number
    for number, full in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
         "december"),
        start=1,
    )
    for name in (full, full[:3])
} | {"sept": 9}  # fmt: skip

_DATE_TEXT = re.compile(
    r"^(?:(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"  # 05/03/2024, 5-3-24
    r"|(?P<y2>\d{4})(?P<sep2>[/.\-])(?P<m2>\d{1,2})(?P=sep2)(?P<d2>\d{1,2})"  # 2024-03-05
    r"|(?P<d3>\d{1,2})[\s\-/.]*(?P<month3>[A-Za-z]{3,9})\.?,?[\s\-/.]*(?P<y3>\d{4}|\d{2})"  # 5 Mar 2024, 05-Mar-24
    r"|(?P<month4>[A-Za-z]{3,9})\.?[\s\-/.]*(?P<d4>\d{1,2}),?[\s\-/.]+(?P<y4>\d{4})"  # March 5, 2024
    r"|(?P<serial>\d{1,7}(?:\.\d+)?))"  # an Excel serial number: 45356 is 05/03/2024
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # a time of day, ignored
)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_FIRST_SERIAL = 61  # 01/03/1900: Excel counts a 29/02/1900 that never was, so lower numbers are a day out
_LAST_SERIAL = 2958465  # 31/12/9999
DAY_FIRST, MONTH_FIRST = "day first", "month first"


@dataclass
class _DateColumn:
    """A date column's distinct cells read both ways. Date and number cells, ISO dates and named months read the
    same either way; text such as "03/04/2024" gives a date day first and another month first, and "25/03/2024"
    (or "03/25/2024") a date one way only."""

    day_first: np.ndarray  # datetime64[us] per distinct cell, NaT where it is not a date read day first
    month_first: np.ndarray
    blank: np.ndarray
    only_day_first: np.ndarray  # bool per distinct cell: a date day first, not month first
    only_month_first: np.ndarray
    ambiguous: np.ndarray  # bool per distinct cell: two different dates, one each way
    order: str = DAY_FIRST

    def values(self) -> pd.Series:
        return pd.Series(self.month_first if self.order == MONTH_FIRST else self.day_first)

    def bad(self) -> np.ndarray:
        read = self.month_first if self.order == MONTH_FIRST else self.day_first
        return np.isnat(read) & ~self.blank


def _read_dates(uniques: np.ndarray) -> _DateColumn:
    """Each distinct cell of a date column read day first and month first.

    Date cells (a time of day dropped) and Excel serial numbers (as numbers or text) read as they are; text may be
    dd/mm/yyyy, d/m/yy, dd-mm-yyyy, dd.mm.yyyy (or month first), yyyy-mm-dd, "8 Jan 2000", "08-Jan-00" or
    "January 8, 2000", any with a time of day. Two-digit years are 1969-2068 (as Excel and POSIX read them). Other
    text, a number that is a year (1900 to 2100), booleans and years before 1900 are not dates.
    """
    size = len(uniques)
    day_first = np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
    blank = np.zeros(size, dtype=bool)
    serial = np.full(size, np.nan)
    is_text = np.array([isinstance(v, str) for v in uniques], dtype=bool)
    for i in np.flatnonzero(~is_text):  # date and number cells of a spreadsheet
        value = uniques[i]
        if isinstance(value, date):  # a datetime too: its time of day is dropped
            day_first[i] = np.datetime64(date(value.year, value.month, value.day))
        elif _is_number(value):
            serial[i] = value
    month_first = day_first.copy()
    only_day_first = np.zeros(size, dtype=bool)
    only_month_first = np.zeros(size, dtype=bool)
    ambiguous = np.zeros(size, dtype=bool)
    if is_text.any():
        text = _clean(pd.Series(uniques[is_text], dtype=object))
        blank[is_text] = text.eq("").to_numpy()
        # dd/mm/yyyy and mm/dd/yyyy, by far the commonest, in C; other forms by the regular expression
        dmy = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce").astype("datetime64[us]")
        mdy = pd.to_datetime(text, format="%m/%d/%Y", errors="coerce").astype("datetime64[us]")
        same = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        text_serial = pd.Series(np.nan, index=text.index)
        rest = (dmy.isna() & mdy.isna() & text.ne("")).to_numpy()
        if rest.any():
            parts = text[rest].str.extract(_DATE_TEXT)
            numbers = parts.drop(columns=["sep", "sep2", "month3", "month4"]).astype("float64")
            year = _full_year(numbers["y"])
            dmy[rest] = _ymd(year, numbers["b"], numbers["a"]).to_numpy()
            mdy[rest] = _ymd(year, numbers["a"], numbers["b"]).to_numpy()
            named = parts["month3"].fillna(parts["month4"]).str.lower().map(_MONTHS).astype("float64")
            same[rest] = _ymd(
                numbers["y2"].fillna(_full_year(numbers["y3"])).fillna(numbers["y4"]),
                numbers["m2"].fillna(named),
                numbers["d2"].fillna(numbers["d3"]).fillna(numbers["d4"]),
            ).to_numpy()
            text_serial[rest] = numbers["serial"].to_numpy()
        day_first[is_text] = dmy.fillna(same).to_numpy()
        month_first[is_text] = mdy.fillna(same).to_numpy()
        only_day_first[is_text] = (dmy.notna() & mdy.isna()).to_numpy()
        only_month_first[is_text] = (mdy.notna() & dmy.isna()).to_numpy()
        ambiguous[is_text] = (dmy.notna() & mdy.notna() & dmy.ne(mdy)).to_numpy()
        serial[is_text] = text_serial.to_numpy()
    whole = np.floor(serial)
    year_alone = (whole == serial) & (serial >= 1900) & (serial <= 2100)
    is_serial = (serial >= _FIRST_SERIAL) & (serial <= _LAST_SERIAL) & ~year_alone
    if is_serial.any():
        days = whole[is_serial].astype("int64").astype("timedelta64[D]")
        day_first[is_serial] = month_first[is_serial] = (_EXCEL_EPOCH + days).astype("datetime64[us]")
    for read in (day_first, month_first):
        read[read < np.datetime64(_EARLIEST)] = np.datetime64("NaT")
    return _DateColumn(day_first, month_first, blank, only_day_first, only_month_first, ambiguous)


def _full_year(year: pd.Series) -> pd.Series:
    """A two-digit year as Excel reads it: 00-68 are 2000-2068, 69-99 are 1969-1999."""
    short = year < 100
    return year.where(~short, year + np.where(year < 69, 2000, 1900))


def _ymd(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates from parts (NaT where a part is missing or the date does not exist)."""
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    if parts.isna().all(axis=None):
        return pd.Series(pd.NaT, index=year.index, dtype="datetime64[us]")
    return pd.to_datetime(parts, errors="coerce").astype("datetime64[us]")


def _date_columns(
    table: _Table,
    raw: pd.DataFrame,
    distinct: dict[str, tuple[np.ndarray, np.ndarray]],
    headers: dict[str, str],
    label: str,
    notes: list[str],
) -> tuple[dict[str, _DateColumn], dict[str, str]]:
    """Each date column of a list read in one order, and the columns refused (key -> why).

    A column holding text that can only be a date day first ("25/03/2024") is read day first; one that can only be
    month first ("03/25/2024") month first, and said; a column without either (every day 12 or less) is read as the
    list's other columns are, day first (the template's order) unless they are month first. A column holding both
    is refused, and so is a column whose only order is not the list's (more columns one way than the other): one
    producer writes every date of a list one way. A refused column that every row needs makes the list unusable
    (_ListProblems); another is not used.
    """
    spec = table.spec
    columns = {key: _read_dates(distinct[key][1]) for key in raw if spec.column(key).kind == "date"}

    def example(key: str, which: np.ndarray) -> str:
        positions, uniques = distinct[key]
        code = int(np.flatnonzero(which)[0])
        row = raw.index[int(np.argmax(positions == code))]
        return f"'{_cell_text(uniques[code]).strip()}' on row {row}"

    day_first = [k for k, c in columns.items() if c.only_day_first.any() and not c.only_month_first.any()]
    month_first = [k for k, c in columns.items() if c.only_month_first.any() and not c.only_day_first.any()]
    order = MONTH_FIRST if len(month_first) > len(day_first) else DAY_FIRST
    refused: dict[str, str] = {}
    for key, column in columns.items():
        name = f"{table.where}: column '{headers[key]}'"
        if column.only_day_first.any() and column.only_month_first.any():
            refused[key] = (
                f"{name} holds dates written day first ({example(key, column.only_day_first)}) and month first "
                f"({example(key, column.only_month_first)}); write every date of a column one way"
            )
        elif key in (month_first if order == DAY_FIRST else day_first):
            mine, other = (MONTH_FIRST, DAY_FIRST) if order == DAY_FIRST else (DAY_FIRST, MONTH_FIRST)
            theirs = [headers[k] for k in (day_first if order == DAY_FIRST else month_first)]
            proof = column.only_month_first if mine == MONTH_FIRST else column.only_day_first
            refused[key] = (
                f"{name} holds dates that can only be read {mine} ({example(key, proof)}), but the list's other "
                f"date columns are written {other} ({_names(theirs)}); write every date of a list one way"
            )
        else:
            column.order = order
            if order == MONTH_FIRST and key in month_first:
                notes.append(
                    f"{label}: '{headers[key]}' read month first (mm/dd/yyyy), as "
                    f"{example(key, column.only_month_first)} can only be"
                )
            elif order == MONTH_FIRST and column.ambiguous.any():
                notes.append(
                    f"{label}: '{headers[key]}' read month first like the list's other dates "
                    f"({example(key, column.ambiguous)} could be either)"
                )
    essential = [why for key, why in refused.items() if _essential(spec, spec.column(key))]
    if essential:
        raise _ListProblems(
            [f"{why}; every row of List {spec.number} needs it, so the list cannot be used" for why in essential]
        )
    for why in refused.values():
        notes.append(f"{why}; the column is not used")
    return {k: c for k, c in columns.items() if k not in refused}, refused


def _categories(col: Column, distinct: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Each value matched to its canonical code."""
    lookup = _code_lookup(col.codes)
    codes = [_match_code(value, lookup) for value in distinct]
    bad = [code is None and bool(value) for code, value in zip(codes, distinct, strict=True)]
    return pd.Series(codes, dtype=object), np.array(bad, dtype=bool)


def _match_code(value: str, lookup: dict[str, str]) -> str | None:
    """The canonical code of a value as written; else of its label without a letter prefix ("b) Female" when the
    template's letter differs); else of the identifier before its description ("e) PR4 - Private provision")."""
    code = lookup.get(_code_norm(value))
    if code is not None or not value:
        return code
    letter = _LETTER.match(value)
    label = letter.group(1) if letter else value
    code = lookup.get(_code_norm(label))
    if code is None and (ident := _IDENT.match(label)):
        code = lookup.get(_code_norm(ident.group(1)))
    return code


_LETTER = re.compile(r"^[a-z]{1,2}\d?\)\s*(.+)$", re.IGNORECASE)
_IDENT = re.compile(r"^([A-Za-z0-9]{1,4})\s*(?::|\s-\s|–|—)\s*(.+)$")
_LOOKUPS: dict[tuple[str, ...], dict[str, str]] = {}


def _code_norm(text: str) -> str:
    """Case, space and dash insensitive form of a code."""
    text = text.lower().replace("–", "-").replace("—", "-").replace("’", "'")
    return re.sub(r"\s+", "", text).rstrip(".")


def _code_lookup(codes: tuple[str, ...]) -> dict[str, str]:
    """Normalised accepted forms -> canonical code: the code, without its letter prefix, its identifier ("E11"),
    its description where unique, and Y/N for Yes/No. A form two codes share is not accepted."""
    if codes in _LOOKUPS:
        return _LOOKUPS[codes]
    tiers: list[dict[str, set[str]]] = [{}, {}, {}, {}, {}]
    for code in codes:
        forms = [(0, code)]
        label = code
        letter = _LETTER.match(code)
        if letter:
            label = letter.group(1)
            forms.append((1, label))
        ident = _IDENT.match(label)
        if ident:
            forms.append((2, ident.group(1)))
            forms.append((3, ident.group(2)))
        if label.lower() in ("yes", "no"):
            forms.append((4, label[0]))
        for tier, form in forms:
            tiers[tier].setdefault(_code_norm(form), set()).add(code)
    lookup: dict[str, str] = {}
    for tier in tiers:
        for form, matched in tier.items():
            if form not in lookup and len(matched) == 1:
                lookup[form] = next(iter(matched))
    _LOOKUPS[codes] = lookup
    return lookup


def _empty_column(col: Column, index: pd.Index) -> pd.Series:
    """An all-empty column of the kind's dtype (an optional column the file does not have)."""
    if col.kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    if col.kind in ("integer", "years", "number"):
        return pd.Series(pd.NA, index=index, dtype=_DTYPES[col.kind])
    return pd.Series(None, index=index, dtype=object)


def empty_list(number: int) -> pd.DataFrame:
    """List ``number`` with no rows but every column, typed as the reader types it."""
    return _empty_frame(LISTS[number])


def _empty_frame(spec: ListSpec) -> pd.DataFrame:
    """A list with no rows but every column."""
    index = pd.RangeIndex(0)
    frame = pd.DataFrame({col.key: _empty_column(col, index) for col in spec.columns}, index=index)
    return frame.assign(_row=pd.Series(dtype="int64"))


# --- the quarantine ----------------------------------------------------------------------------------------------


def _quarantine(entries: pd.DataFrame, raw: pd.DataFrame, headers: dict[str, str], table: _Table) -> pd.DataFrame:
    """Entries (row, key, reason, action) with file, sheet, header and the value as written."""
    if entries.empty:
        return _concat_quarantine([])
    values = pd.Series("", index=entries.index, dtype=object)
    for key, group in entries.groupby("key", sort=False):
        values[group.index] = [_cell_text(v) for v in raw[key].reindex(group["row"])]
    return pd.DataFrame(
        {
            "file": table.source.file,
            "sheet": table.source.sheet,
            "row": entries["row"].astype("int64"),
            "column": entries["key"].map(headers),
            "value": values,
            "reason": entries["reason"],
            "action": entries["action"],
        }
    ).sort_values(["row", "column"], kind="stable")


def _concat_quarantine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        empty = {c: pd.Series(dtype="int64" if c == "row" else object) for c in QUARANTINE_COLUMNS}
        return pd.DataFrame(empty)
    return pd.concat(parts, ignore_index=True)[list(QUARANTINE_COLUMNS)]


def _general_reason(reason: str) -> str:
    """A reason without its particular dates, rows and columns, to group the summary."""
    reason = re.sub(r" \d{2}/\d{2}/\d{4}", "", reason)
    reason = re.sub(r" \(differs in [^)]*\)", "", reason)
    reason = re.sub(r"as rows? \d+(?:, \d+)*", "as another row", reason)
    return re.sub(r"row \d+", "an earlier row", reason)


#: Reasons that are the same words on every row (no date, row or value in them), kept as they are.
_FIXED_REASONS = frozenset({*_BAD_REASON.values(), *_CHECK_REASON.values()})


def quarantine_reasons(annex: AnnexA) -> pd.DataFrame:
    """The quarantine with nothing a cell held: per entry its ``list``, ``row`` (in its file), ``action``, ``field``
    (the template's header of the column at fault; "" for a whole row: a copy, a record listed twice) and ``reason``
    in words that hold no date, row number or value ("blank", "date in the future", "before the start date"), for
    counts that may be shared."""
    q = annex.quarantine
    parts = []
    for number in sorted(annex.lists):
        spec = LISTS[number]
        file, sheet = annex.sheets.get(number, (annex.source, spec.sheet))
        mine = q[(q["file"] == file) & (q["sheet"] == sheet)]
        aliases = header_aliases(spec)
        fields, reasons = [], []
        for header, reason, action in zip(mine["column"], mine["reason"], mine["action"], strict=True):
            whole_row = _whole_row_reason(reason, action)
            key = _key_for_header(header, aliases)
            fields.append("" if whole_row else spec.column(key).header if key else header)
            reasons.append(whole_row or _reason_words(reason))
        parts.append(
            pd.DataFrame(
                {"list": number, "row": mine["row"].to_numpy(), "action": mine["action"].to_numpy(),
                 "field": fields, "reason": reasons}
            )
        )  # fmt: skip
    if not parts:
        return pd.DataFrame({"list": [], "row": [], "action": [], "field": [], "reason": []}).astype(
            {"list": "int64", "row": "int64"}
        )
    return pd.concat(parts, ignore_index=True)


def _whole_row_reason(reason: str, action: str) -> str | None:
    """The words of a reason about a whole row (an exact copy, one record on several rows), else None."""
    if reason.startswith("duplicate of row "):
        return "exact copy of another row"
    if reason.startswith("same "):
        counts = "this row counts" if action == KEPT else "which counts instead"
        return f"the same record as another row, {counts}"
    return None


def _reason_words(reason: str) -> str:
    """A column's reason in words without the value, date or row it names."""
    if reason.startswith("blank "):
        return "blank"
    if " is before " in reason:
        return "before the start date"
    return reason if reason in _FIXED_REASONS else "another problem"


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def write_quarantine(annex: AnnexA, folder: str | Path) -> Path | None:
    """Write the quarantine rows to a CSV in ``folder`` (created), named after the source and the time.

    Returns its path, or None when nothing was quarantined. The rows name children: write them under ``data/``,
    never under ``outputs/`` (refused).
    """
    if annex.quarantine.empty:
        return None
    folder = Path(folder)
    if "outputs" in folder.resolve().parts:
        raise ValueError(f"{folder}: quarantine rows name children; write them under data/, not outputs/")
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(annex.source)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", source.name if source.is_dir() else source.stem).strip("_") or "annex_a"
    base = f"{stem}_quarantine_{datetime.now():%Y%m%d-%H%M%S}"
    target = folder / f"{base}.csv"
    n = 2
    while target.exists():
        target = folder / f"{base}-{n}.csv"
        n += 1
    annex.quarantine.to_csv(target, index=False, encoding="utf-8-sig")
    return target
