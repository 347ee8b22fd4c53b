"""Read one Ofsted Annex A extract as councils really produce it, into tidy typed frames.

An extract is an ``.xlsx`` workbook with one sheet per list ("List 1" ... "List 11", or names such as "list 1 -
contacts" or "Contacts"), a folder of CSV files (one per list, named like "List 1.csv" or "list_01_contacts.csv"), or
a single CSV whose name says which list it is. Headers are matched through :func:`header_aliases`, so template
variants ("Sex" for "Gender", "Child ID", "Age") are accepted; unknown columns are ignored and noted.

Problems with the extract as a whole (not a workbook, empty file, a required column missing, one column twice with
different values) raise :class:`AnnexAError`, listing every problem with its file, sheet and column. Problems with a
value are *quarantined* instead: the row is excluded (a bad or blank value in a required column, a record or start
date that is bad or in the future, an end date before its start date, an exact duplicate row) or the value is ignored
(set empty) and the row kept. Blank required free text (team, worker, postcode) is kept and noted: a blank worker
means an unallocated case. Every quarantine entry names file, sheet, row, column, the value as written, the reason and
the action. Excel date cells are read as dates (shown as dd/mm/yyyy in the quarantine); whole-number cells lose ".0".

The reader is pure: it never writes. :func:`write_quarantine` writes the quarantine CSV where the caller says
(under ``data/``: the quarantine names children, so never under ``outputs/``).
"""

from __future__ import annotations

import re
import string
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from csc_workbench.config.errors import InputError
from csc_workbench.ingest.annex_a_spec import LISTS, Column, ListSpec, header_aliases, list_by_sheet, normalise_header

__all__ = ["QUARANTINE_COLUMNS", "AnnexA", "AnnexAError", "read_annex_a", "write_quarantine"]

QUARANTINE_COLUMNS = ("file", "sheet", "row", "column", "value", "reason", "action")
EXCLUDED = "row excluded"
IGNORED = "value ignored"

NOT_A_SOURCE = "is not an Excel workbook (.xlsx) or a folder of CSV files"

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
    """One Annex A extract, read and typed."""

    source: str
    lists: dict[int, pd.DataFrame]
    missing_lists: list[int]
    quarantine: pd.DataFrame
    notes: list[str]
    sheets: dict[int, tuple[str, str]] = field(default_factory=dict)  # list number -> (file, sheet or CSV name)

    def summary(self) -> str:
        """Per list: rows kept, excluded, values ignored, grouped reasons with counts; then missing lists, notes."""
        lines = [f"Annex A extract {self.source}"]
        q = self.quarantine
        for number, frame in sorted(self.lists.items()):
            spec = LISTS[number]
            file, sheet = self.sheets.get(number, (self.source, spec.sheet))
            mine = q[(q["file"] == file) & (q["sheet"] == sheet)]
            excluded = mine.loc[mine["action"] == EXCLUDED, "row"].nunique()
            ignored = int((mine["action"] == IGNORED).sum())
            lines.append(
                f"List {number} {spec.title} ({sheet}): {len(frame):,} rows kept, {excluded:,} excluded, "
                f"{ignored:,} values ignored"
            )
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


@dataclass
class _Table:
    """One list's cells as found: text only ("" for blank), positional columns, index = row number in the file."""

    spec: ListSpec
    file: str
    sheet: str
    is_csv: bool
    cells: pd.DataFrame

    @property
    def where(self) -> str:
        return self.file if self.is_csv else f"{self.file}, sheet '{self.sheet}'"


def read_annex_a(path: str | Path, today: date | None = None) -> AnnexA:
    """Read one Annex A extract (workbook, folder of CSVs, or one named CSV); AnnexAError lists fatal problems."""
    source = str(path)
    path = Path(path)
    today = today or date.today()
    notes: list[str] = []
    if not path.exists():
        raise AnnexAError(source, [f"{source} does not exist"])
    if path.is_dir():
        tables = _read_folder(path, notes)
    elif path.stat().st_size == 0:
        raise AnnexAError(source, [f"{source} is empty (0 bytes)"])
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        tables = _read_workbook(path, notes)
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
        tables = [_read_csv(path, spec, notes)]
    elif path.suffix.lower() == ".xls":
        raise AnnexAError(source, [f"{source} is an old-format Excel file (.xls): save it as .xlsx and try again"])
    else:
        raise AnnexAError(source, [f"{source} {NOT_A_SOURCE}"])

    problems: list[str] = []
    lists: dict[int, pd.DataFrame] = {}
    sheets: dict[int, tuple[str, str]] = {}
    quarantine: list[pd.DataFrame] = []
    for table in tables:
        try:
            frame, q = _read_list(table, pd.Timestamp(today), notes)
        except _ListProblems as exc:
            problems.extend(exc.problems)
            continue
        lists[table.spec.number] = frame
        sheets[table.spec.number] = (table.file, table.sheet)
        quarantine.append(q)
    if problems:
        raise AnnexAError(source, problems)
    missing = [n for n in LISTS if n not in lists]
    return AnnexA(
        source=source,
        lists=dict(sorted(lists.items())),
        missing_lists=missing,
        quarantine=_concat_quarantine(quarantine),
        notes=notes,
        sheets=sheets,
    )


def _read_folder(folder: Path, notes: list[str]) -> list[_Table]:
    """Every CSV of the folder whose name says which list it is."""
    found: dict[int, Path] = {}
    problems: list[str] = []
    ignored: list[str] = []
    for file in sorted(folder.iterdir()):
        if file.name.startswith((".", "~$")) or not file.is_file():
            continue
        if file.suffix.lower() != ".csv":
            ignored.append(file.name)
            continue
        spec = _list_for_file_name(file.stem)
        if spec is None:
            ignored.append(file.name)
        elif spec.number in found:
            problems.append(
                f"{folder}: both '{found[spec.number].name}' and '{file.name}' look like List {spec.number} "
                f"({spec.title}); keep one"
            )
        else:
            found[spec.number] = file
    if problems:
        raise AnnexAError(str(folder), problems)
    if not found:
        detail = f" (it holds {_names(ignored)})" if ignored else " (it is empty)"
        raise AnnexAError(
            str(folder),
            [f"{folder} {NOT_A_SOURCE}: no file in it is an Annex A list CSV named like 'List 1.csv'{detail}"],
        )
    if ignored:
        notes.append(f"{folder}: ignored files that are not Annex A list CSVs: {_names(ignored)}")
    tables: list[_Table] = []
    errors: list[str] = []
    for number, file in sorted(found.items()):
        try:
            tables.append(_read_csv(file, LISTS[number], notes))
        except AnnexAError as exc:
            errors.extend(exc.problems)
    if errors:
        raise AnnexAError(str(folder), errors)
    return tables


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


def _read_csv(path: Path, spec: ListSpec, notes: list[str]) -> _Table:
    """All cells of a CSV as text; the header is read as a row so duplicated headers are seen, not renamed."""
    if path.stat().st_size == 0:
        raise AnnexAError(str(path), [f"{path} is empty (0 bytes)"])
    # Every cell as text, nothing converted; na_filter=False also reads missing trailing fields as "".
    options = {"dtype": str, "keep_default_na": False, "na_filter": False, "header": None, "skip_blank_lines": False}
    try:
        try:
            cells = pd.read_csv(path, encoding="utf-8-sig", **options)
        except UnicodeDecodeError:
            cells = pd.read_csv(path, encoding="cp1252", **options)
            notes.append(f"{path}: not UTF-8; read as Windows-1252 text")
    except pd.errors.EmptyDataError:
        cells = pd.DataFrame()
    except UnicodeDecodeError:
        raise AnnexAError(str(path), [f"{path} is not a text CSV file (neither UTF-8 nor Windows-1252)"]) from None
    except (pd.errors.ParserError, ValueError) as exc:
        message = str(exc).strip().replace("C error: ", "")
        raise AnnexAError(
            str(path),
            [f"{path}: not a readable CSV file ({message}); is there a comma inside a value that is not quoted?"],
        ) from None
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    cells.columns = range(cells.shape[1])
    return _Table(spec, str(path), path.name, True, cells)


def _read_workbook(path: Path, notes: list[str]) -> list[_Table]:
    """The list sheets of a workbook; Excel dates become dd/mm/yyyy text, whole numbers lose their ".0"."""
    import openpyxl  # imported here: only workbooks need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any failure to open means it is not a workbook we can read
        raise AnnexAError(str(path), [f"{path} {NOT_A_SOURCE} (it could not be opened as a workbook: {exc})"]) from None
    try:
        chosen: dict[int, str] = {}
        problems: list[str] = []
        ignored: list[str] = []
        for sheet in book.worksheets:
            spec = list_by_sheet(sheet.title)
            if spec is None:
                ignored.append(sheet.title)
            elif spec.number in chosen:
                problems.append(
                    f"{path}: sheets '{chosen[spec.number]}' and '{sheet.title}' both look like List {spec.number} "
                    f"({spec.title}); keep one"
                )
            else:
                chosen[spec.number] = sheet.title
        if problems:
            raise AnnexAError(str(path), problems)
        if not chosen:
            names = _names(ignored) if ignored else "none"
            raise AnnexAError(
                str(path), [f"{path}: no sheet is an Annex A list (sheets found: {names}); expected 'List 1' ..."]
            )
        if ignored:
            notes.append(f"{path}: ignored sheets that are not Annex A lists: {_names(ignored)}")
        tables = []
        for number, title in sorted(chosen.items()):
            sheet = book[title]
            sheet.reset_dimensions()  # the size a file declares can be wrong: read every row that is there
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            width = max((len(r) for r in rows), default=0)
            cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=range(width), dtype=object)
            cells.index = pd.RangeIndex(1, len(cells) + 1)
            tables.append(_Table(LISTS[number], str(path), title, False, cells))
    finally:
        book.close()
    if all(not t.cells.ne("").to_numpy().any() for t in tables):
        raise AnnexAError(str(path), [f"{path} is empty: every list sheet in it is blank"])
    return tables


def _cell_text(value: object) -> str:
    """An Excel cell as the text a person sees: dates dd/mm/yyyy, 1234.0 as "1234", blank as ""."""
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
    """Fatal problems with one list, collected so that every list's problems are reported together."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _read_list(table: _Table, today: pd.Timestamp, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One list's typed frame and quarantine, or _ListProblems."""
    spec = table.spec
    label = f"{table.where} (List {spec.number} {spec.title})"
    cells = table.cells
    nonblank = _nonblank_rows(cells)
    if not nonblank.any():
        notes.append(f"{label}: empty; read as no rows")
        return _empty_frame(spec), _concat_quarantine([])

    header_row = _find_header(cells, nonblank, spec)
    if header_row != cells.index[0]:
        notes.append(f"{label}: header found on row {header_row}; rows above it ignored")
    headers = [str(h).strip() for h in cells.loc[header_row]]
    body = cells.loc[header_row + 1 :]
    body_filled = nonblank[cells.index > header_row]
    if not body_filled.all():
        last = body.index[body_filled][-1] if body_filled.any() else header_row
        inner_blank = int((~body_filled & (body.index <= last)).sum())
        if inner_blank:
            notes.append(f"{label}: {inner_blank} blank row(s) skipped")
        body = body[body_filled]

    chosen, headers_by_key = _match_columns(table, headers, body, label, notes)
    raw = pd.DataFrame({key: body[position] for key, position in chosen.items()}, index=body.index)
    if len(body) == 0:
        notes.append(f"{label}: header only, no rows")
    frame, quarantine = _type_and_check(spec, raw, headers_by_key, table, today, label, notes)
    return frame, quarantine


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
        return sum(_key_for_header(str(h), aliases) is not None for h in cells.loc[row])

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
    """Key -> column position and key -> header as written; fatal when required columns are missing or conflict."""
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
            unknown.append(f"(no header, column {_letter(position)})")
    problems: list[str] = []
    chosen: dict[str, int] = {}
    for key, found in positions.items():
        keep = found[0]
        values = {p: body[p].astype(object).str.strip() for p in found} if len(found) > 1 else {}
        for other in found[1:]:
            where = f"'{headers[keep]}' (column {_letter(keep)}) and '{headers[other]}' (column {_letter(other)})"
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
        if col.required and col.key not in chosen:
            problems.append(f"{table.where}: required column '{col.header}' is missing (List {spec.number})")
    if problems:
        raise _ListProblems(problems)
    if unknown:
        notes.append(f"{label}: ignored unknown column(s) {_names(unknown)}")
    return chosen, {key: headers[p] for key, p in chosen.items()}


def _letter(position: int) -> str:
    """Spreadsheet column letters for a 0-based position: 0 -> A, 27 -> AB."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


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
    spec: ListSpec,
    raw: pd.DataFrame,
    headers: dict[str, str],
    table: _Table,
    today: pd.Timestamp,
    label: str,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coerce each column to its kind, validate with pandera, check rows; return the kept rows and the quarantine."""
    problems = _Problems()
    typed: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.key not in raw:
            typed[col.key] = _empty_column(col, raw.index)
            continue
        values, bad = _coerce(col, raw[col.key])
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
    for key, check, rows in _pandera_failures(spec, frame, today):
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
    # rows whose key repeats are compared in full.
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
        same_key = candidates.index[candidates.duplicated(subset=key_cols, keep=False).to_numpy()]
        if len(same_key):
            names = " + ".join(headers.get(k, spec.column(k).header) for k in key_cols)
            notes.append(
                f"{label}: {len(same_key)} rows share their {names} with another row but differ elsewhere; "
                f"all kept (rows {_rows(same_key)})"
            )

    _note_blank_text(spec, kept, headers, label, notes)
    kept = kept.assign(_row=kept.index.astype("int64")).reset_index(drop=True)
    return kept, _quarantine(problems.frame(), raw, headers, table)


_BAD_REASON = {
    "id": "not a valid identifier",
    "date": "not a valid date (expected dd/mm/yyyy)",
    "category": "unknown code",
    "integer": "not a whole number",
    "number": "not a number",
    "text": "not valid text",
}
_CHECK_REASON = {"future": "date in the future", "negative": "negative number", "code": "unknown code"}


def _pandera_failures(spec: ListSpec, frame: pd.DataFrame, today: pd.Timestamp):
    """(key, check, rows) for every failing column check of the list's pandera schema."""
    try:
        _schema(spec, today).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        if cases["index"].isna().any():  # a dtype or structure failure: a bug in this module, not in the data
            raise RuntimeError(f"Annex A list {spec.number}: typed frame fails its schema:\n{cases}") from None
        for (key, check), group in cases.groupby(["column", "check"], sort=False):
            name = check if check == "not_nullable" else check.split("(")[0]
            yield key, name, pd.Index(group["index"].astype("int64").unique())


def _schema(spec: ListSpec, today: pd.Timestamp) -> pa.DataFrameSchema:
    """The pandera schema of a typed list: required non-blank, known codes, counts >= 0, dates not in the future."""
    columns = {}
    for col in spec.columns:
        checks: list[pa.Check] = []
        if col.kind == "date":
            checks.append(pa.Check(lambda s, t=today: s <= t, name="future"))
        elif col.kind == "category":
            checks.append(pa.Check(lambda s, codes=frozenset(col.codes): s.isin(codes), name="code"))
        elif col.kind in ("integer", "number"):
            checks.append(pa.Check(lambda s: s >= 0, name="negative"))
        nullable = not (col.required or _essential(spec, col)) or col.kind == "text"
        columns[col.key] = pa.Column(_DTYPES[col.kind], checks=checks, nullable=nullable)
    return pa.DataFrameSchema(columns, strict=True)


_DTYPES = {
    "id": object,
    "text": object,
    "category": object,
    "date": "datetime64[us]",
    "integer": "Int64",
    "number": "Float64",
}


def _note_blank_text(spec: ListSpec, frame: pd.DataFrame, headers: dict[str, str], label: str, notes: list[str]):
    """Required text columns (team, worker, postcode) may be blank: a blank worker means unallocated. Noted."""
    for col in spec.columns:
        if col.required and col.kind == "text":
            blank = int(frame[col.key].isna().sum())
            if blank:
                notes.append(f"{label}: {headers.get(col.key, col.header)} is blank on {blank:,} row(s); kept")


# --- coercion ----------------------------------------------------------------------------------------------------


def _coerce(col: Column, raw: pd.Series) -> tuple[pd.Series, np.ndarray | None]:
    """The typed column and a mask of non-blank values that could not be read (None when none can fail).

    Each distinct value is read once (a column of 100,000 rows holds a few thousand dates, a few dozen codes).
    """
    if col.kind == "id":  # identifiers are mostly distinct: no gain in reading each value once
        return _text(raw.astype(object), id_=True), None
    positions, uniques = pd.factorize(raw.to_numpy(dtype=object))
    distinct = pd.Series(uniques, dtype=object)
    if col.kind == "date":
        values, bad = _dates(distinct)
    elif col.kind == "category":
        values, bad = _categories(col, distinct)
    elif col.kind in ("integer", "number"):
        values, bad = _numbers(distinct, whole=col.kind == "integer")
    else:
        values, bad = _text(distinct, id_=col.kind == "id"), None
    typed = values.take(positions).set_axis(raw.index)
    return typed, (bad[positions] if bad is not None else None)


def _text(distinct: pd.Series, id_: bool) -> pd.Series:
    """Stripped text, None for blank; an identifier written as a number loses its ".0" ("1234.0" -> "1234")."""
    text = distinct.str.strip()
    if id_:
        text = pd.Series([_whole_id(v) for v in text], index=text.index, dtype=object)
    return text.where(text.ne("").to_numpy(), None)


def _whole_id(value: str) -> str:
    """ "1234.0" -> "1234" (a number that went through a spreadsheet); anything else unchanged."""
    if value.endswith("0") and "." in value:
        head, _, tail = value.rpartition(".")
        if head.isascii() and head.isdigit() and not tail.strip("0"):
            return head
    return value


_DATE_TEXT = re.compile(
    r"^(?:(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def _dates(distinct: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """dd/mm/yyyy (also d/m/yyyy) or yyyy-mm-dd, either with a time of day; other text and years before 1900 are bad."""
    text = distinct.str.strip()
    blank = text.eq("").to_numpy()
    out = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce").astype("datetime64[us]")
    todo = out.isna().to_numpy() & ~blank
    if todo.any():
        parts = text[todo].str.extract(_DATE_TEXT)
        ymd = pd.DataFrame(
            {
                "year": parts["y"].fillna(parts["y2"]),
                "month": parts["m"].fillna(parts["m2"]),
                "day": parts["d"].fillna(parts["d2"]),
            }
        ).astype("float64")
        out[todo] = pd.to_datetime(ymd, errors="coerce").astype("datetime64[us]").to_numpy()
    out[(out < _EARLIEST).to_numpy()] = pd.NaT
    return out, out.isna().to_numpy() & ~blank


def _numbers(distinct: pd.Series, whole: bool) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers ("3", "3.0") as Int64, or numbers as Float64; other text is bad."""
    text = distinct.str.strip()
    blank = text.eq("").to_numpy()
    number = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
    finite = number.abs() < (2**53 if whole else float("inf"))  # whole numbers beyond 2**53 are not exact
    ok = (finite & (number % 1 == 0) if whole else finite).to_numpy()
    number = number.where(ok)
    return (number.astype("Int64") if whole else number.astype("Float64")), ~ok & ~blank


def _categories(col: Column, distinct: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Each value matched to its canonical code."""
    lookup = _code_lookup(col.codes)
    codes = [lookup.get(_code_norm(value)) for value in distinct]
    bad = [code is None and bool(value.strip()) for code, value in zip(codes, distinct, strict=True)]
    return pd.Series(codes, dtype=object), np.array(bad, dtype=bool)


_LETTER = re.compile(r"^[a-z]{1,2}\d?\)\s*(.+)$")
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
    if col.kind in ("integer", "number"):
        return pd.Series(pd.NA, index=index, dtype=_DTYPES[col.kind])
    return pd.Series(None, index=index, dtype=object)


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
        values[group.index] = raw[key].reindex(group["row"]).to_numpy()
    return pd.DataFrame(
        {
            "file": table.file,
            "sheet": table.sheet,
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
    """A reason without its particular dates and rows, to group the summary."""
    reason = re.sub(r" \d{2}/\d{2}/\d{4}", "", reason)
    return re.sub(r"row \d+", "an earlier row", reason)


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _rows(rows) -> str:
    shown = ", ".join(str(r) for r in list(rows[:_SHOWN]))
    return shown + (", ..." if len(rows) > _SHOWN else "")


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
