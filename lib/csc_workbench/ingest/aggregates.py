"""Aggregate input: a warehouse extract or a manual return, as CSV, into atoms.

Columns: ``indicator``, ``period`` (YYYY-MM), ``org_unit``, ``cohort`` (optional, default
``all`` or the indicator's own cohort), ``window`` (optional: month, snapshot, r3m, r12m, fytd,
quarter; default month, which for a snapshot measure means its month-end snapshot),
``numerator``, ``denominator``, ``value`` (for counts, or a published figure without its
parts), ``value_is`` (optional, rates per 10,000 only: ``count`` or ``rate``) and
``unavailable_reason`` (optional: marks the month as a gap). A rate per 10,000 given as a count
(no denominator) divides by the org unit's population (``org_unit_populations``). The file may
be UTF-8, Windows-1252 or UTF-16, separated by commas, semicolons or tabs (``read_csv_cells``; in a
semicolon-separated file a comma in a number is its decimal mark). Figures must be in range: no
negative number, a percentage from 0 to 100, a count whole, a denominator above 0. Every problem is
reported with its row (as Excel numbers it: the header is row 1) and column; a file with any
problem stores nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from csc_workbench.config import Params
from csc_workbench.config.authority import org_unit_populations
from csc_workbench.config.catalogue import WINDOWS, Indicator, Unit
from csc_workbench.config.errors import InputError
from csc_workbench.ingest.csv_text import DELIMITERS, read_csv_cells
from csc_workbench.periods import month_end, month_text, parse_month
from csc_workbench.store.atoms import ATOM_COLUMNS, KEY, Store

REQUIRED = ("indicator", "period", "org_unit")
OPTIONAL = ("cohort", "window", "numerator", "denominator", "value", "value_is", "unavailable_reason")
_NUMBERS = ("numerator", "denominator", "value")
#: What ``value`` holds for a rate per 10,000: a count (divided by the population) or the rate.
VALUE_IS = ("count", "rate")


class _Ambiguous(ValueError):
    """A number that reads two ways in a file whose decimal mark is the comma ('1.204')."""


def _plain(text: str, decimal_comma: bool) -> str:
    """A number as Python reads it: '1,234.5' -> '1234.5'; with a decimal comma '1.234,5' -> '1234.5'
    (a lone '1.204' there is refused as ambiguous)."""
    cleaned = text.strip().removesuffix("%").strip()
    if not decimal_comma:
        return cleaned.replace(",", "")
    cleaned = re.sub(r"[ \u00a0\u202f]", "", cleaned)
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", cleaned):
        raise _Ambiguous(text)
    return cleaned.replace(".", "").replace(",", ".") if "," in cleaned else cleaned


def _number(text: str, decimal_comma: bool = False) -> float | None:
    """Parse '1,234.5' or '22.5%' (with ``decimal_comma``, '1.234,5' or '22,5'); '' is None; anything
    else raises ValueError."""
    cleaned = _plain(text, decimal_comma)
    if cleaned == "":
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _decimals(text: str, decimal_comma: bool = False) -> int:
    cleaned = _plain(text, decimal_comma)
    return len(cleaned.split(".")[1]) if "." in cleaned else 0


def read_aggregates(
    path: str | Path, params: Params, today: date | None = None, notes: list[str] | None = None
) -> pd.DataFrame:
    """Validate an aggregate CSV and return its atoms; InputError lists every bad cell. ``notes``
    receives what a reader should know (a population taken from ONS)."""
    path = Path(path)
    read = read_csv_cells(path)
    decimal_comma = read.delimiter == ";"
    if notes is not None and (read.encoding, read.delimiter) not in (("utf-8", ","), ("utf-8-sig", ",")):
        decimals = "; a comma in a number is its decimal mark" if decimal_comma else ""
        notes.append(f"read as {read.describe()}{decimals}")
    table = read.cells
    filled = table.ne("").any(axis=1)
    if not filled.any():
        raise InputError(str(path), ["every row is blank"])
    # The header is read as a row so that duplicated column names are seen, not renamed.
    header_row = int(filled.idxmax())
    header = [str(c).strip().lower().replace(" ", "_") for c in table.loc[header_row]]
    body = table.loc[filled & (table.index > header_row)]
    used = [i for i, name in enumerate(header) if name]  # blank columns Excel pads are dropped
    columns = [header[i] for i in used]
    problems = _check_columns(columns, header_row)
    for i in (i for i, name in enumerate(header) if not name):
        for line in body.index[body[i].ne("")]:
            problems.append(
                f"row {line}, column {get_column_letter(1 + i)}: a value under no header; is there a "
                f"{DELIMITERS[read.delimiter]} inside a value that is not in quotes?"
            )
    if problems:
        raise InputError(str(path), problems)
    raw = body[used].set_axis(columns, axis=1)
    if raw.empty:
        raise InputError(str(path), [f"the file has a header (row {header_row}) but no rows below it"])

    catalogue, authority = params.catalogue, params.authority
    org_units = set(authority.org_unit_names)
    today = today or date.today()
    this_month = today.year * 12 + today.month - 1
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    by_year: dict[int, tuple[dict[str, int | None], list[str]]] = {}
    used_notes: dict[str, None] = {}

    def population_of(org_unit: str, period: int) -> int | None:
        year = period // 12
        if year not in by_year:
            ons: list[str] = []
            by_year[year] = (org_unit_populations(authority, year, ons), ons)
        figures, ons = by_year[year]
        if org_unit == authority.org_units.name:
            used_notes.update(dict.fromkeys(ons))
        return figures[org_unit]

    for line, record in zip(raw.index, raw.to_dict("records"), strict=True):  # line: the row as Excel numbers it
        bad = problems.append

        def cell(column: str, record: dict = record) -> str:
            return str(record.get(column, "")).strip()

        ident = cell("indicator")
        indicator: Indicator | None = catalogue.get(ident)
        if indicator is None:
            bad(f"row {line}, column indicator: unknown indicator {ident!r} (not in the catalogue)")
        try:
            period = parse_month(cell("period"))
            if period > this_month:
                bad(f"row {line}, column period: {cell('period')!r} is in the future")
        except ValueError as exc:
            period = None
            bad(f"row {line}, column period: {exc}")
        org_unit = cell("org_unit")
        if org_unit not in org_units:
            bad(f"row {line}, column org_unit: unknown org unit {org_unit!r} (not in authority.yml)")

        cohort = cell("cohort") or (indicator.cohort if indicator and indicator.cohort else "all")
        if cohort not in catalogue.cohorts:
            bad(f"row {line}, column cohort: unknown cohort {cohort!r}; expected one of {', '.join(catalogue.cohorts)}")
        elif indicator and indicator.cohort and cohort != indicator.cohort:
            bad(f"row {line}, column cohort: {ident} is measured on cohort {indicator.cohort!r}, not {cohort!r}")

        window = cell("window").lower() or "month"
        if window not in WINDOWS:
            bad(f"row {line}, column window: {window!r} is not one of {', '.join(WINDOWS)}")
        elif indicator is not None:
            if indicator.is_stock and window == "month":
                window = "snapshot"
            elif indicator.is_stock and window != "snapshot":
                bad(f"row {line}, column window: {ident} is a snapshot measure; it has no {window} window")
            elif not indicator.is_stock and window == "snapshot":
                bad(f"row {line}, column window: {ident} is a flow measure; use month, not snapshot")

        numbers: dict[str, float | None] = {}
        for column in _NUMBERS:
            try:
                numbers[column] = _number(cell(column), decimal_comma)
            except _Ambiguous:
                numbers[column] = None
                bad(
                    f"row {line}, column {column}: {cell(column)!r} could be a whole number or a decimal (in a file "
                    "separated by semicolons the comma is the decimal mark): write it without a thousands separator"
                )
            except ValueError:
                numbers[column] = None
                bad(f"row {line}, column {column}: {cell(column)!r} is not a number; expected a number such as 120")
            else:
                if numbers[column] is not None and numbers[column] < 0:
                    bad(f"row {line}, column {column}: {cell(column)} is negative; expected 0 or more")
        value_is = cell("value_is").lower()
        if value_is not in ("", *VALUE_IS):
            bad(f"row {line}, column value_is: {cell('value_is')!r} is not one of {', '.join(VALUE_IS)}")
            value_is = ""
        reason = cell("unavailable_reason") or None
        known = org_unit in org_units and period is not None
        population = partial(population_of, org_unit, period) if known else None
        atom = (
            _atom(indicator, numbers, cell("value"), value_is, reason, line, bad, org_unit, population, decimal_comma)
            if indicator
            else None
        )

        key = (ident, period, org_unit, cohort, window)
        if key in seen:
            bad(f"row {line}: duplicates row {seen[key]} (same indicator, period, org_unit, cohort and window)")
        else:
            seen[key] = line
        if atom is not None:
            rows.append(dict(zip(KEY, key, strict=True)) | atom)

    if problems:
        raise InputError(str(path), problems)
    if notes is not None:
        notes.extend(used_notes)
    return pd.DataFrame(rows, columns=ATOM_COLUMNS)


def _check_columns(columns: list[str], row: int) -> list[str]:
    """What is wrong with the header (``row``: its row number)."""
    where = f"header (row {row})"
    problems = []
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        problems.append(f"{where}: column(s) {', '.join(duplicated)} appear more than once")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(f"{where}: required column(s) missing: {', '.join(missing)}")
    unknown = [c or "(blank)" for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(f"{where}: unknown column(s) {', '.join(unknown)}; expected {', '.join(REQUIRED + OPTIONAL)}")
    if not any(c in columns for c in (*_NUMBERS, "unavailable_reason")):
        problems.append(f"{where}: no numerator, denominator or value column")
    return problems


def _atom(
    indicator: Indicator,
    numbers: dict,
    value_text: str,
    value_is: str,
    reason: str | None,
    line: int,
    bad: Callable[[str], None],
    org_unit: str,
    population: Callable[[], int | None] | None,
    decimal_comma: bool = False,
) -> dict | None:
    """The stored figures for one row, or None after reporting what is wrong with it.
    ``population`` gives the org unit's children aged 0-17 (None: org unit or period is bad);
    ``decimal_comma``: the file's numbers use a comma as their decimal mark."""
    numerator, denominator, value = numbers["numerator"], numbers["denominator"], numbers["value"]
    given = [n for n in (numerator, denominator, value) if n is not None]
    if reason:
        if given:
            bad(f"row {line}, column unavailable_reason: a row marked unavailable must leave the numbers empty")
            return None
        return {"numerator": None, "denominator": None, "value": None, "unavailable_reason": reason}
    if not given:
        bad(f"row {line}: no numerator, denominator or value (mark a gap with unavailable_reason)")
        return None
    if value_is and indicator.unit is not Unit.RATE_PER_10K:
        bad(f"row {line}, column value_is: only for rates per 10,000; {indicator.id} is a {indicator.unit}")
        return None
    if value_is == "count" and denominator is not None:
        bad(f"row {line}, column value_is: a count takes no denominator (the population is the denominator)")
        return None
    if indicator.unit is Unit.RATE_PER_10K and denominator is None and (numerator is not None or value_is != "rate"):
        # A count of children: the numerator, or the value unless it is marked as the rate.
        if value_is != "rate" and numerator is not None and value is not None and numerator != value:
            bad(
                f"row {line}, column value: {value:g} differs from numerator {numerator:g} (with no denominator "
                "both are the count; if the value is the rate, write rate in a value_is column)"
            )
            return None
        count, column = (numerator, "numerator") if numerator is not None else (value, "value")
        if count != int(count):
            hint = (
                "; if it is a published rate per 10,000, write rate in a value_is column" if column == "value" else ""
            )
            bad(f"row {line}, column {column}: {count:g} is not a whole number, so not a count of children{hint}")
            return None
        if population is None:
            return None  # the row's org unit or period is already reported
        numerator, denominator = count, population()
        if denominator is None:
            bad(
                f"row {line}, column denominator: empty, and {org_unit!r} has no population to divide the count "
                f"by ({indicator.id} is a rate per 10,000): add population: (children aged 0-17) to {org_unit!r} "
                "in authority.yml, or give the denominator"
            )
            return None
        if value_is != "rate":
            value = None  # the value was the count: the rate is computed
    if indicator.unit is Unit.COUNT:
        if denominator is not None:
            bad(f"row {line}, column denominator: {indicator.id} is a count and takes no denominator")
            return None
        if numerator is not None and value is not None and numerator != value:
            bad(f"row {line}, column value: {value:g} differs from numerator {numerator:g}")
            return None
        count, column = (value, "value") if value is not None else (numerator, "numerator")
        if count != int(count):
            bad(f"row {line}, column {column}: {count:g} is not a whole number; {indicator.id} is a count")
            return None
        return {"numerator": count, "denominator": None, "value": count, "unavailable_reason": None}
    if (numerator is None) != (denominator is None):
        missing = "denominator" if denominator is None else "numerator"
        bad(f"row {line}, column {missing}: {indicator.id} needs both numerator and denominator (or a value alone)")
        return None
    if numerator is None:
        if indicator.unit is Unit.PERCENT and value is not None and value > 100:
            bad(f"row {line}, column value: {value_text} is above 100; {indicator.id} is a percentage, from 0 to 100")
            return None
        return {"numerator": None, "denominator": None, "value": value, "unavailable_reason": None}
    if denominator == 0:
        bad(
            f"row {line}, column denominator: zero; {indicator.id} ({indicator.unit}) needs a denominator above 0 "
            "(with nothing to count, leave the numbers empty and give an unavailable_reason)"
        )
        return None
    if indicator.unit is Unit.PERCENT and numerator > denominator:
        bad(
            f"row {line}, column numerator: {numerator:g} exceeds the denominator {denominator:g}; {indicator.id} is "
            "a percentage, so its numerator is at most its denominator"
        )
        return None
    computed = indicator.scale * numerator / denominator
    if value is not None:
        allowed = 0.5 * 10 ** -_decimals(value_text, decimal_comma) + 1e-9
        if abs(computed - value) > allowed:
            bad(
                f"row {line}, column value: {value_text} does not match numerator/denominator "
                f"({computed:.4g}); leave value empty to use the computed figure"
            )
            return None
    return {"numerator": numerator, "denominator": denominator, "value": computed, "unavailable_reason": None}


@dataclass
class AggregatesLoad:
    """What loading one aggregate file stored."""

    source: str
    vintage: int
    atoms: int
    as_at: date
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.source}: {self.atoms:,} atoms stored as vintage {self.vintage}, as at {self.as_at:%d/%m/%Y}"
        return "\n".join([head, *(f"  {note}" for note in self.notes)])


def ingest_aggregates(path: str | Path, params: Params, store: Store, as_at: date | None = None) -> AggregatesLoad:
    """Validate then store a file as one new vintage, as at ``as_at`` (default: the last day of
    the latest period in the file)."""
    notes: list[str] = []
    atoms = read_aggregates(path, params, notes=notes)
    latest = int(atoms["period"].max())
    if as_at is None:
        as_at = month_end(latest)
    elif as_at < date(latest // 12, latest % 12 + 1, 1):
        raise InputError(
            str(path), [f"as-at date {as_at:%Y-%m-%d} is before {month_text(latest)}, the latest period in the file"]
        )
    vintage = store.add_vintage(atoms, source=str(path), kind="aggregates", as_at=as_at, catalogue=params.catalogue)
    return AggregatesLoad(str(path), vintage, len(atoms), as_at, notes)
