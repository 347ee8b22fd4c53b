"""Aggregate input: a warehouse extract or a manual return, as CSV, into atoms.

Columns: ``indicator``, ``period`` (YYYY-MM), ``org_unit``, ``cohort`` (optional, default
``all`` or the indicator's own cohort), ``window`` (optional: month, snapshot, r3m, r12m, fytd,
quarter; default month, which for a snapshot measure means its month-end snapshot),
``numerator``, ``denominator``, ``value`` (for counts, or a published figure without its
parts) and ``unavailable_reason`` (optional: marks the month as a gap). Every problem is reported
with its row and column; a file with any problem stores nothing.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd

from csc_workbench.config import Params
from csc_workbench.config.catalogue import WINDOWS, Indicator, Unit
from csc_workbench.config.errors import InputError
from csc_workbench.periods import parse_month
from csc_workbench.store.atoms import ATOM_COLUMNS, KEY, Store

REQUIRED = ("indicator", "period", "org_unit")
OPTIONAL = ("cohort", "window", "numerator", "denominator", "value", "unavailable_reason")
_NUMBERS = ("numerator", "denominator", "value")


def _number(text: str) -> float | None:
    """Parse '1,234.5' or '22.5%'; '' is None; anything else raises ValueError."""
    cleaned = text.strip().replace(",", "").removesuffix("%").strip()
    if cleaned == "":
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _decimals(text: str) -> int:
    cleaned = text.strip().replace(",", "").removesuffix("%")
    return len(cleaned.split(".")[1]) if "." in cleaned else 0


def read_aggregates(path: str | Path, params: Params, today: date | None = None) -> pd.DataFrame:
    """Validate an aggregate CSV and return its atoms; InputError lists every bad cell."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), ["file not found"])
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", header=None)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [f"not a readable CSV file: {exc}"]) from None
    except pd.errors.EmptyDataError:
        raise InputError(str(path), ["the file is empty"]) from None
    # The header is read as a row so that duplicated column names are seen, not renamed.
    columns = [str(c).strip().lower().replace(" ", "_") for c in table.iloc[0]]
    problems = _check_columns(columns)
    if problems:
        raise InputError(str(path), problems)
    raw = table.iloc[1:].set_axis(columns, axis=1)
    if raw.empty:
        raise InputError(str(path), ["the file has a header but no rows"])

    catalogue, authority = params.catalogue, params.authority
    org_units = set(authority.org_unit_names)
    today = today or date.today()
    this_month = today.year * 12 + today.month - 1
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for position, record in enumerate(raw.to_dict("records")):
        line = position + 2  # the header is line 1
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
                numbers[column] = _number(cell(column))
            except ValueError:
                numbers[column] = None
                bad(f"row {line}, column {column}: {cell(column)!r} is not a number")
            else:
                if numbers[column] is not None and numbers[column] < 0:
                    bad(f"row {line}, column {column}: {cell(column)} is negative")
        reason = cell("unavailable_reason") or None
        atom = _atom(indicator, numbers, cell("value"), reason, line, bad) if indicator else None

        key = (ident, period, org_unit, cohort, window)
        if key in seen:
            bad(f"row {line}: duplicates row {seen[key]} (same indicator, period, org_unit, cohort and window)")
        else:
            seen[key] = line
        if atom is not None:
            rows.append(dict(zip(KEY, key, strict=True)) | atom)

    if problems:
        raise InputError(str(path), problems)
    return pd.DataFrame(rows, columns=ATOM_COLUMNS)


def _check_columns(columns: list[str]) -> list[str]:
    problems = []
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        problems.append(f"header: column(s) {', '.join(duplicated)} appear more than once")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(f"header: required column(s) missing: {', '.join(missing)}")
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(f"header: unknown column(s) {', '.join(unknown)}; expected {', '.join(REQUIRED + OPTIONAL)}")
    if not any(c in columns for c in (*_NUMBERS, "unavailable_reason")):
        problems.append("header: no numerator, denominator or value column")
    return problems


def _atom(indicator: Indicator, numbers: dict, value_text: str, reason: str | None, line: int, bad) -> dict | None:
    """The stored figures for one row, or None after reporting what is wrong with it."""
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
    if indicator.unit is Unit.COUNT:
        if denominator is not None:
            bad(f"row {line}, column denominator: {indicator.id} is a count and takes no denominator")
            return None
        if numerator is not None and value is not None and numerator != value:
            bad(f"row {line}, column value: {value:g} differs from numerator {numerator:g}")
            return None
        count = value if value is not None else numerator
        return {"numerator": count, "denominator": None, "value": count, "unavailable_reason": None}
    if (numerator is None) != (denominator is None):
        missing = "denominator" if denominator is None else "numerator"
        bad(f"row {line}, column {missing}: {indicator.id} needs both numerator and denominator (or a value alone)")
        return None
    if numerator is None:
        return {"numerator": None, "denominator": None, "value": value, "unavailable_reason": None}
    if denominator == 0:
        bad(f"row {line}, column denominator: zero; {indicator.id} ({indicator.unit}) needs a denominator above 0")
        return None
    if indicator.unit is Unit.PERCENT and numerator > denominator:
        bad(f"row {line}, column numerator: {numerator:g} exceeds the denominator {denominator:g} of a percentage")
        return None
    computed = indicator.scale * numerator / denominator
    if value is not None:
        allowed = 0.5 * 10 ** -_decimals(value_text) + 1e-9
        if abs(computed - value) > allowed:
            bad(
                f"row {line}, column value: {value_text} does not match numerator/denominator "
                f"({computed:.4g}); leave value empty to use the computed figure"
            )
            return None
    return {"numerator": numerator, "denominator": denominator, "value": computed, "unavailable_reason": None}


def ingest_aggregates(path: str | Path, params: Params, store: Store) -> tuple[int, int]:
    """Validate then store a file as one new vintage; returns (vintage, rows)."""
    atoms = read_aggregates(path, params)
    vintage = store.add_vintage(atoms, source=str(path), kind="aggregates")
    return vintage, len(atoms)
