"""CSV files as Excel and warehouses write them: the encoding and the delimiter are found, not assumed.

Read: UTF-8 with or without a byte-order mark, Windows-1252 (Excel's "CSV (Comma delimited)" on
Windows), UTF-16 with a byte-order mark (Excel's "Unicode text"); columns separated by commas,
semicolons (Excel where the comma is the decimal mark) or tabs. Anything else is refused with a
message that says what was found and what is expected.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from csc_workbench.config.errors import InputError

#: Delimiters tried, in order of preference when two fit equally.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
#: Codec -> what a person calls it.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16 (Excel's Unicode text)",
    "cp1252": "Windows-1252",
}
_SAVE_AS = "save it from Excel as 'CSV UTF-8 (Comma delimited)'"
_SAMPLE = 1 << 16  # characters looked at to find the delimiter


@dataclass(frozen=True)
class CsvCells:
    """Every cell of a CSV as text. ``cells``: index = row number as Excel numbers it (from 1; blank
    rows kept as rows of ""), columns = positions from 0; nothing converted."""

    cells: pd.DataFrame
    encoding: str  # a key of ENCODINGS
    delimiter: str  # a key of DELIMITERS

    def describe(self) -> str:
        """How the file was read, e.g. "Windows-1252, columns separated by semicolons"."""
        return f"{ENCODINGS[self.encoding]}, columns separated by {DELIMITERS[self.delimiter]}s"


def read_csv_cells(path: str | Path) -> CsvCells:
    """Read a CSV file's cells as text, finding its encoding and delimiter; InputError (naming the
    file, what was found and what is expected) when it is not a CSV this can read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), ["file not found"]) from None
    except IsADirectoryError:
        raise InputError(str(path), ["a folder, not a CSV file"]) from None
    if not data:
        raise InputError(str(path), ["the file is empty (0 bytes)"])
    text, encoding = decode(data, str(path))
    if not text.strip():
        raise InputError(str(path), ["the file holds only blank lines"])
    delimiter = find_delimiter(text, str(path))
    # as wide as the widest of the first rows: a short title row or blank rows above the header are rows too
    width = max(map(len, csv.reader(io.StringIO(_sample(text), newline=""), delimiter=delimiter)))
    options = {"dtype": object, "na_filter": False, "keep_default_na": False, "header": None, "names": range(width)}
    try:
        cells = pd.read_csv(io.StringIO(text), sep=delimiter, skip_blank_lines=False, **options)
    except pd.errors.ParserError as exc:
        raise InputError(str(path), [_ragged(str(exc), delimiter)]) from None
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return CsvCells(cells, encoding, delimiter)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, codec) of a CSV file's bytes: a byte-order mark decides; else UTF-8, else Windows-1252."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(name, [f"this is an Excel workbook, not a CSV file: {_SAVE_AS}"])
    if data.startswith(codecs.BOM_UTF8):
        return _decoded(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(data, "utf-16", name), "utf-16"
    if b"\x00" in data:
        raise InputError(
            name, [f"not text: it holds NUL bytes (UTF-16 without a byte-order mark, or not a CSV); {_SAVE_AS}"]
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decoded(data, "cp1252", name), "cp1252"


def _decoded(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        expected = "UTF-8 or Windows-1252" if codec == "cp1252" else ENCODINGS[codec]
        raise InputError(
            name,
            [f"not readable as {expected} (byte 0x{data[exc.start]:02x} at byte {exc.start + 1}); {_SAVE_AS}"],
        ) from None


def find_delimiter(text: str, name: str) -> str:
    """The delimiter that splits the first rows into the most columns (the commonest count of cells per row)."""
    sample = _sample(text)
    best, score = None, (0, 0)
    for delimiter in DELIMITERS:
        widths = Counter(len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row)
        width, rows = widths.most_common(1)[0] if widths else (0, 0)
        if width > 1 and (width, rows) > score:
            best, score = delimiter, (width, rows)
    if best is None:
        first = next((line for line in sample.splitlines() if line.strip()), "")
        found = sorted({c for c in first if not c.isalnum() and c not in " _-'\"%."})
        seen = f" (its first row uses {' '.join(repr(c) for c in found)})" if found else ""
        raise InputError(
            name, [f"no comma, semicolon or tab separates the columns{seen}; expected a CSV file: {_SAVE_AS}"]
        )
    return best


def _sample(text: str) -> str:
    """The first rows of ``text`` (whole rows only)."""
    if len(text) <= _SAMPLE:
        return text
    sample = text[:_SAMPLE]
    return sample[: sample.rfind("\n") + 1] or sample


def _ragged(message: str, delimiter: str) -> str:
    """pandas' "Expected 8 fields in line 3, saw 9" as a person would say it."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found is None:
        return f"not a readable CSV file ({message.strip()})"
    expected, line, saw = found.groups()
    return (
        f"row {line} has {saw} cells where the rows above have at most {expected}: is there a "
        f"{DELIMITERS[delimiter]} inside a value that is not in quotes?"
    )
