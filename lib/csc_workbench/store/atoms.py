"""The store: one DuckDB file of vintaged monthly atoms.

An atom is one figure for an indicator, month, org unit, cohort and window: numerator,
denominator and value, or the reason it is unavailable. Every load is a new *vintage*; nothing
is overwritten. Reads take the latest vintage of each key; ``revisions`` lists what changed.
A load is one transaction: it is stored whole or not at all, and atoms out of range (a negative
figure, a percentage above 100) are refused before it starts. Each vintage records the date its
data is *as at* (the extract's date, never the load's); ``data_as_at`` says what a pack shows.

A store another process is using is waited for (``WRITE_WAIT``, ``READ_WAIT`` seconds), then
refused as busy; a store file that is empty, damaged, not a DuckDB file or in a folder that cannot
be written is refused with ``StoreError`` before anything is written to it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from csc_workbench.config.catalogue import Unit
from csc_workbench.config.errors import InputError, WorkbenchError
from csc_workbench.periods import month_end, month_text

if TYPE_CHECKING:
    from csc_workbench.config.catalogue import Catalogue

KEY = ["indicator", "period", "org_unit", "cohort", "window"]
ATOM_COLUMNS = [*KEY, "numerator", "denominator", "value", "unavailable_reason"]
BREAKDOWN_COLUMNS = ["breakdown", "category", "period", "org_unit", "count"]
#: A load's data quality, aggregates only (``csc_workbench.measures.data_quality``): a count per list, org unit,
#: status, field and reason, or (no count) an indicator a list or field stopped.
QUALITY_COLUMNS = ["list_number", "org_unit", "status", "field", "reason", "indicator", "cohort", "count"]

_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS vintage_seq START 1;
CREATE TABLE IF NOT EXISTS vintages (
    vintage     INTEGER PRIMARY KEY,
    loaded_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    rows        INTEGER NOT NULL,
    as_at       DATE  -- the date the data is as at (NULL only while an older store is migrated)
);
CREATE TABLE IF NOT EXISTS atoms (
    indicator          VARCHAR NOT NULL,
    period             INTEGER NOT NULL,  -- month index: year * 12 + month - 1
    org_unit           VARCHAR NOT NULL,
    cohort             VARCHAR NOT NULL,
    "window"           VARCHAR NOT NULL,
    numerator          DOUBLE,
    denominator        DOUBLE,
    value              DOUBLE,
    unavailable_reason VARCHAR,
    vintage            INTEGER NOT NULL REFERENCES vintages (vintage),
    PRIMARY KEY (indicator, period, org_unit, cohort, "window", vintage)
);
CREATE TABLE IF NOT EXISTS benchmarks (
    source VARCHAR, dataset VARCHAR, measure VARCHAR, filters VARCHAR, year INTEGER, level VARCHAR,
    region_code VARCHAR, region_name VARCHAR, old_la_code VARCHAR, new_la_code VARCHAR, la_name VARCHAR,
    value DOUBLE, reason VARCHAR,
    vintage INTEGER NOT NULL REFERENCES vintages (vintage)
);
CREATE TABLE IF NOT EXISTS breakdowns (
    breakdown VARCHAR NOT NULL, category VARCHAR NOT NULL, period INTEGER NOT NULL, org_unit VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    vintage INTEGER NOT NULL REFERENCES vintages (vintage)
);
CREATE TABLE IF NOT EXISTS data_quality (
    list_number INTEGER NOT NULL, org_unit VARCHAR NOT NULL, status VARCHAR NOT NULL,
    field VARCHAR NOT NULL, reason VARCHAR NOT NULL,  -- '' for a total, or a whole row or list
    indicator VARCHAR, cohort VARCHAR,  -- an indicator stopped (for one cohort), without a count
    count BIGINT,
    vintage INTEGER NOT NULL REFERENCES vintages (vintage)
);
-- a breakdown's month and org unit come whole from their latest vintage (every category of it)
CREATE OR REPLACE VIEW breakdowns_latest AS
    SELECT b.* FROM breakdowns b JOIN (
        SELECT breakdown, period, org_unit, max(vintage) AS vintage FROM breakdowns GROUP BY ALL
    ) USING (breakdown, period, org_unit, vintage);
CREATE OR REPLACE VIEW atoms_latest AS
    SELECT * EXCLUDE (rank) FROM (
        SELECT a.*, v.source, row_number() OVER (
            PARTITION BY indicator, period, org_unit, cohort, "window" ORDER BY a.vintage DESC
        ) AS rank
        FROM atoms a JOIN vintages v USING (vintage)
    ) WHERE rank = 1;
"""


#: Seconds a load waits for another process to let go of the store, and a read for a load to finish.
WRITE_WAIT = 5.0
READ_WAIT = 30.0
#: A DuckDB file starts with a 12,288-byte header holding b"DUCK" at bytes 8-11.
_HEADER_BYTES = 12_288
_MAGIC = slice(8, 12)


class StoreError(WorkbenchError):
    """The store file cannot be used (busy, damaged, not a store, not writable); it was not written to."""


_READERS: dict[Path, duckdb.DuckDBPyConnection] = {}
_REUSE_READERS = False


def reuse_read_connections(reuse: bool = True) -> None:
    """Keep one read-only connection per store file open for the rest of the process, instead of
    opening one per read (about 12 ms each; a pack page makes dozens of reads).

    Off by default: a connection left open stops another process loading data into the store.
    The pack's batch kernels, which only read and end with the run, turn it on."""
    global _REUSE_READERS
    _REUSE_READERS = reuse
    if not reuse:
        while _READERS:
            _READERS.popitem()[1].close()


@contextmanager
def read_connections_kept() -> Iterator[None]:
    """:func:`reuse_read_connections` for the block only (for a process that reads a store many
    times in a row and writes nothing, such as the pack's build); closed after it, unless they
    were kept before it."""
    if _REUSE_READERS:
        yield
        return
    reuse_read_connections(True)
    try:
        yield
    finally:
        reuse_read_connections(False)


class Store:
    """A DuckDB file of atoms. Cheap to create: connections are opened per operation."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no store here yet; load some data first (cscw ingest ...)")
        key = self.path.resolve()
        if read_only and _REUSE_READERS:
            if key not in _READERS:
                _READERS[key] = self._open(read_only=True)
            cursor = _READERS[key].cursor()
            try:
                yield cursor
            except duckdb.IOException as exc:
                raise self._unusable(exc) from None
            finally:
                cursor.close()
            return
        reader = _READERS.pop(key, None)
        if reader is not None:  # this process writes: its kept reader would block the write
            reader.close()
        if not read_only:
            self._check_writable()
        con = self._open(read_only)
        try:
            if not read_only:
                con.execute(_SCHEMA)
                _add_as_at(con)
            yield con
        except duckdb.IOException as exc:  # a block missing from a damaged file, found when read; a full disk
            raise self._unusable(exc) from None
        finally:
            con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection to a sound store file, waiting up to ``READ_WAIT`` (``WRITE_WAIT``) seconds
        while another process holds its lock. An existing file is checked read-only first, so a
        damaged one is never opened for writing."""
        deadline = time.monotonic() + (READ_WAIT if read_only else WRITE_WAIT)
        if self.path.exists():
            self._check_bytes()
            if not read_only:
                self._connect_waiting(True, deadline, writing=True).close()
        return self._connect_waiting(read_only, deadline, writing=not read_only)

    def _connect_waiting(self, read_only: bool, deadline: float, writing: bool) -> duckdb.DuckDBPyConnection:
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "Could not set lock" not in str(exc):
                    raise self._unusable(exc) from None
                if time.monotonic() >= deadline:
                    raise self._busy(writing) from None
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise self._unusable(exc) from None
        try:
            self._check_size(con, read_only)
        except BaseException:
            con.close()
            raise
        return con

    def _busy(self, writing: bool) -> StoreError:
        """Another process holds the store's lock (a load writing, or a pack build reading)."""
        if not writing:
            return StoreError(
                f"{self.path}: the store is busy (another load is running); waited {READ_WAIT:g} s: "
                "try again when it has finished"
            )
        return StoreError(
            f"{self.path}: the store is busy (another load is running, or a pack is being built from it); waited "
            f"{WRITE_WAIT:g} s and stored nothing: run this load again when the other has finished"
        )

    def _check_bytes(self) -> None:
        """Refuse an empty file or one that is not a DuckDB database, before DuckDB opens it."""
        with self.path.open("rb") as file:
            head = file.read(_MAGIC.stop)
        if not head:
            raise StoreError(
                f"{self.path} is empty (0 bytes), not a store: delete it (the next load starts a new store), "
                "or give --store the store's file"
            )
        if head[_MAGIC] != b"DUCK":
            raise StoreError(
                f"{self.path} is not a DuckDB file, so not a store: give --store the store's file "
                "(data/store.duckdb by default); it was not changed"
            )

    def _check_size(self, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        """Refuse a file that is not its header and whole blocks, or shorter than the blocks DuckDB
        says it uses (a truncated copy), and a DuckDB database that is not a store (an empty one only
        for reading)."""
        block_size, used = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
        size, needed = self.path.stat().st_size, _HEADER_BYTES + used * block_size
        if size < needed:
            raise self._unusable(f"truncated: {size:,} bytes where its {used} blocks of data need {needed:,}")
        if (size - _HEADER_BYTES) % block_size:
            raise self._unusable(f"truncated: {size:,} bytes, not a whole number of its {block_size:,}-byte blocks")
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "vintages" not in tables and (tables or read_only):  # an empty DuckDB file may become a store
            raise StoreError(
                f"{self.path} is a DuckDB database but not a workbench store (it has no vintages table): "
                "give --store the store's file; it was not changed"
            )

    def _unusable(self, problem: BaseException | str) -> StoreError:
        """The error for a store DuckDB cannot open (``problem``: its exception, or what is wrong)."""
        detail = str(problem).splitlines()[0]
        if "Permission denied" in detail or "Read-only file system" in detail:
            return StoreError(
                f"{self.path} cannot be opened (permission denied): check its permissions, or give --store another "
                "file; nothing was changed"
            )
        if "No space left on device" in detail:
            return StoreError(f"{self.path}: the disk is full: free some space and run the load again")
        if "Could not read enough bytes" in detail:
            detail = "truncated: it ends before its data does"
        elif isinstance(problem, BaseException):
            detail = re.sub(r'"[^"]*"', "", detail).replace("  ", " ")  # DuckDB's message, without the path
        return StoreError(
            f"{self.path} is damaged ({detail}): restore it from a backup, or move it aside and load the data "
            "again; it was not changed"
        )

    def _check_writable(self) -> None:
        """Refuse to load into a folder or file that cannot be written (DuckDB writes a .wal file beside the store)."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: the folder {folder} cannot be created ({exc.strerror}): give --store a file in a "
                "folder you can write to"
            ) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(
                f"{self.path}: the folder {folder} is read-only, and a load writes the store and its journal "
                "(.wal) there: give --store a file in a folder you can write to; nothing was changed"
            )
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise StoreError(
                f"{self.path} is read-only: make it writable, or give --store another file; nothing was changed"
            )

    @contextmanager
    def _new_vintage(self, source: str, kind: str, rows: int, as_at: date | None):
        """A connection inside a transaction with a new vintage registered: all or nothing."""
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                vintage = int(con.execute("SELECT nextval('vintage_seq')").fetchone()[0])
                con.execute(
                    "INSERT INTO vintages (vintage, source, kind, rows, as_at) VALUES (?, ?, ?, ?, ?)",
                    [vintage, source, kind, rows, as_at],
                )
                yield con, vintage
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def add_vintage(
        self,
        atoms: pd.DataFrame,
        source: str,
        kind: str,
        breakdowns: pd.DataFrame | None = None,
        as_at: date | None = None,
        catalogue: Catalogue | None = None,
        quality: pd.DataFrame | None = None,
    ) -> int:
        """Store validated atoms (and the load's breakdown counts and data quality, ``QUALITY_COLUMNS``) as a new
        vintage, all or nothing; returns the vintage number. ``as_at`` defaults to the last day of the atoms'
        latest month. Atoms out of range (``out_of_range``, by their units in ``catalogue``) are
        refused with InputError naming each one."""
        frame = atoms.reindex(columns=ATOM_COLUMNS)
        if frame.duplicated(KEY).any():
            raise ValueError("atoms to store have duplicate keys")
        problems = out_of_range(frame, catalogue)
        if problems:
            raise InputError(source, problems)
        if as_at is None:
            if frame.empty:
                raise ValueError(f"{source}: no atoms, so no as-at date; give one")
            as_at = month_end(int(frame["period"].max()))
        with self._new_vintage(source, kind, len(frame), as_at) as (con, vintage):
            con.register("incoming", frame)
            con.execute(
                'INSERT INTO atoms SELECT indicator, period, org_unit, cohort, "window", '
                "numerator, denominator, value, unavailable_reason, ? FROM incoming",
                [vintage],
            )
            con.unregister("incoming")
            if breakdowns is not None and len(breakdowns):
                counts = breakdowns[BREAKDOWN_COLUMNS]
                if counts.duplicated(BREAKDOWN_COLUMNS[:4]).any():
                    raise ValueError("breakdowns to store have duplicate keys")
                con.register("incoming_breakdowns", counts)
                con.execute(
                    "INSERT INTO breakdowns SELECT breakdown, category, period, org_unit, count, ? "
                    "FROM incoming_breakdowns",
                    [vintage],
                )
                con.unregister("incoming_breakdowns")
            if quality is not None and len(quality):
                if quality.duplicated(QUALITY_COLUMNS[:-1]).any():
                    raise ValueError("data quality to store has duplicate keys")
                con.register("incoming_quality", quality[QUALITY_COLUMNS])
                columns = ", ".join(QUALITY_COLUMNS)
                con.execute(f"INSERT INTO data_quality SELECT {columns}, ? FROM incoming_quality", [vintage])
                con.unregister("incoming_quality")
        return vintage

    def data_quality(self, vintages: Iterable[int]) -> pd.DataFrame:
        """The data-quality records of ``vintages`` (``QUALITY_COLUMNS`` and ``vintage``); none for a vintage
        stored without one (an aggregate load; a load into a store written before they were kept)."""
        with self._connect(read_only=True) as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "data_quality" not in tables:
                return pd.DataFrame(columns=[*QUALITY_COLUMNS, "vintage"])
            return con.execute(
                "SELECT * FROM data_quality WHERE vintage IN (SELECT unnest(?)) ORDER BY vintage, list_number",
                [[int(v) for v in vintages]],
            ).df()

    def breakdowns(
        self, names: Iterable[str], org_units: Iterable[str], first_month: int, last_month: int
    ) -> pd.DataFrame:
        """Latest breakdown counts (``breakdown, category, period, org_unit, count, vintage``);
        empty for a store written before breakdowns existed."""
        query = (
            "SELECT * FROM breakdowns_latest WHERE breakdown IN (SELECT unnest(?)) "
            "AND org_unit IN (SELECT unnest(?)) AND period BETWEEN ? AND ? ORDER BY breakdown, org_unit, period"
        )
        with self._connect(read_only=True) as con:
            known = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'breakdowns_latest'").fetchone()
            if not known[0]:
                return pd.DataFrame(columns=[*BREAKDOWN_COLUMNS, "vintage"])
            return con.execute(query, [list(names), list(org_units), first_month, last_month]).df()

    def latest(
        self,
        indicators: Iterable[str] | None = None,
        org_units: Iterable[str] | None = None,
        cohorts: Iterable[str] | None = None,
        first_month: int | None = None,
        last_month: int | None = None,
    ) -> pd.DataFrame:
        """Latest vintage of every atom matching the filters (None means no filter)."""
        clauses, params = [], []
        for column, values in (("indicator", indicators), ("org_unit", org_units), ("cohort", cohorts)):
            if values is not None:
                values = list(values)
                clauses.append(f"{column} IN (SELECT unnest(?))")
                params.append(values)
        if first_month is not None:
            clauses.append("period >= ?")
            params.append(first_month)
        if last_month is not None:
            clauses.append("period <= ?")
            params.append(last_month)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f'SELECT * FROM atoms_latest {where} ORDER BY indicator, org_unit, cohort, "window", period'
        with self._connect(read_only=True) as con:
            return con.execute(query, params).df()

    def atoms_as_of(
        self,
        as_at: date,
        indicators: Iterable[str],
        org_units: Iterable[str],
        cohorts: Iterable[str],
        last_month: int,
    ) -> pd.DataFrame:
        """The atoms as they stood when the data was as at ``as_at``: for each key, its latest vintage
        among the vintages as at that date or before (a later load of older-dated data counts too),
        for the indicators, org units and cohorts given, up to ``last_month``. Store columns, with
        ``vintage``."""
        with self._connect(read_only=True) as con:
            dates = _vintage_as_at(con)
            vintages = dates.loc[dates["as_at"] <= pd.Timestamp(as_at), "vintage"].astype(int).tolist()
            query = """
                SELECT * EXCLUDE (rank) FROM (
                    SELECT *, row_number() OVER (
                        PARTITION BY indicator, period, org_unit, cohort, "window" ORDER BY vintage DESC
                    ) AS rank
                    FROM atoms
                    WHERE vintage IN (SELECT unnest(?)) AND indicator IN (SELECT unnest(?))
                      AND org_unit IN (SELECT unnest(?)) AND cohort IN (SELECT unnest(?)) AND period <= ?
                ) WHERE rank = 1
                ORDER BY indicator, org_unit, cohort, "window", period
            """
            params = [vintages, list(indicators), list(org_units), list(cohorts), last_month]
            return con.execute(query, params).df()

    def add_benchmarks(self, frame: pd.DataFrame, source: str) -> int:
        """Store a DfE download (the long frame of ``csc_workbench.benchmarks``) as a new vintage,
        as at the end of the period of its latest year."""
        from csc_workbench.benchmarks.sources import LONG_COLUMNS, latest_period_end

        incoming = frame.reindex(columns=LONG_COLUMNS)
        with self._new_vintage(source, "benchmarks", len(incoming), latest_period_end(incoming)) as (con, vintage):
            con.register("incoming", incoming)
            con.execute("INSERT INTO benchmarks SELECT *, ? FROM incoming", [vintage])
            con.unregister("incoming")
        return vintage

    def benchmarks(self) -> pd.DataFrame:
        """Loaded DfE figures: for each source and dataset, the rows of its latest load."""
        if not self.path.exists():
            return pd.DataFrame()
        with self._connect(read_only=True) as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "benchmarks" not in tables:
                return pd.DataFrame()
            return con.execute(
                """SELECT * EXCLUDE (vintage) FROM benchmarks b
                   WHERE vintage = (SELECT max(vintage) FROM benchmarks
                                    WHERE source = b.source AND dataset = b.dataset AND measure = b.measure)"""
            ).df()

    def latest_month(self) -> int:
        """The latest month with any atom (ValueError when the store is empty)."""
        with self._connect(read_only=True) as con:
            month = con.execute("SELECT max(period) FROM atoms").fetchone()[0]
        if month is None:
            raise ValueError(f"{self.path}: the store holds no data yet")
        return int(month)

    def vintages(self) -> pd.DataFrame:
        """Every load: vintage, loaded_at, as_at (the date its data is as at), kind, rows, source."""
        with self._connect(read_only=True) as con:
            frame = con.execute("SELECT vintage, loaded_at, kind, rows, source FROM vintages ORDER BY vintage").df()
            frame = frame.merge(_vintage_as_at(con), on="vintage", how="left")
        return frame[["vintage", "loaded_at", "as_at", "kind", "rows", "source"]]

    def data_as_at(self, month: int | None = None) -> date | None:
        """The date the data a pack of ``month`` (a month index; None: the whole store) reads is
        as at: the latest as-at among the vintages whose atoms are the latest for any month up to
        ``month``. None when the store holds no atoms for those months."""
        with self._connect(read_only=True) as con:
            read = pd.DataFrame({"vintage": _vintages_read(con, month)})
            dates = read.merge(_vintage_as_at(con), on="vintage")["as_at"].dropna()
        return None if dates.empty else pd.Timestamp(dates.max()).date()

    def vintages_read(self, month: int | None = None) -> list[int]:
        """The vintages a pack of ``month`` (a month index; None: the whole store) reads: those whose
        atoms are the latest for any key of a month up to ``month``, oldest first."""
        with self._connect(read_only=True) as con:
            return _vintages_read(con, month)

    def revisions(self, since_vintage: int | None = None) -> pd.DataFrame:
        """Every atom whose figures changed from one vintage to the next.

        One row per change: key, the two vintages, old and new numerator, denominator, value
        and availability, and the change in value. ``since_vintage`` keeps changes made by
        that vintage or later.
        """
        query = """
            WITH ordered AS (
                SELECT *, lag(vintage) OVER k AS old_vintage,
                    lag(numerator) OVER k AS old_numerator, lag(denominator) OVER k AS old_denominator,
                    lag(value) OVER k AS old_value, lag(unavailable_reason) OVER k AS old_unavailable
                FROM atoms
                WINDOW k AS (PARTITION BY indicator, period, org_unit, cohort, "window" ORDER BY vintage)
            )
            SELECT indicator, period, org_unit, cohort, "window", old_vintage, vintage AS new_vintage,
                old_numerator, numerator AS new_numerator, old_denominator, denominator AS new_denominator,
                old_value, value AS new_value, value - old_value AS change,
                old_unavailable, unavailable_reason AS new_unavailable
            FROM ordered
            WHERE old_vintage IS NOT NULL
              AND (numerator IS DISTINCT FROM old_numerator OR denominator IS DISTINCT FROM old_denominator
                   OR value IS DISTINCT FROM old_value OR unavailable_reason IS DISTINCT FROM old_unavailable)
              AND vintage >= ?
            ORDER BY indicator, org_unit, cohort, period, new_vintage
        """
        with self._connect(read_only=True) as con:
            frame = con.execute(query, [since_vintage or 0]).df()
        frame["period"] = frame["period"].map(month_text)
        return frame


def out_of_range(atoms: pd.DataFrame, catalogue: Catalogue | None = None) -> list[str]:
    """Why atoms cannot be stored, one line per atom naming its indicator, org unit and month: a
    negative or infinite figure, a numerator over a zero denominator, and (by the indicator's unit in
    ``catalogue``) a percentage above 100 or with its numerator above its denominator."""
    numbers = atoms[["numerator", "denominator", "value"]].astype(float)
    table = atoms[KEY].join(numbers)
    units = {indicator.id: indicator.unit for indicator in catalogue.indicators} if catalogue else {}
    percent = atoms["indicator"].map(units).eq(Unit.PERCENT).to_numpy()
    numerator, denominator, value = (numbers[column].to_numpy() for column in numbers)
    slack = 1e-9
    checks: list[tuple[np.ndarray, str]] = [
        *((np.isinf(numbers[c].to_numpy()), f"{c} {{{c}:g}} is not a finite number") for c in numbers),
        *((numbers[c].to_numpy() < 0, f"{c} {{{c}:g}} is negative") for c in numbers),
        ((denominator == 0) & (numerator > 0), "numerator {numerator:g} over a zero denominator"),
        (percent & (value > 100 + slack), "value {value:g} is above 100, and it is a percentage"),
        (
            percent & (numerator > denominator * (1 + slack)),
            "numerator {numerator:g} is above its denominator {denominator:g}, and it is a percentage",
        ),
    ]
    problems = []
    for failed, what in checks:
        for row in table.loc[failed].to_dict("records"):
            where = f"{row['indicator']}, {row['org_unit']}, {month_text(int(row['period']))}"
            problems.append(f"{where} ({row['cohort']}, {row['window']}): {what.format(**row)}")
    return problems


def _vintages_read(con: duckdb.DuckDBPyConnection, month: int | None) -> list[int]:
    """``Store.vintages_read`` on an open connection."""
    where, params = ("WHERE period <= ?", [month]) if month is not None else ("", [])
    keys = ", ".join(f'"{column}"' for column in KEY)
    latest = f"SELECT DISTINCT max(vintage) AS vintage FROM atoms {where} GROUP BY {keys} ORDER BY vintage"
    return [int(row[0]) for row in con.execute(latest, params).fetchall()]  # the vintages atoms_latest shows


def _has_as_at(con: duckdb.DuckDBPyConnection) -> bool:
    query = "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'vintages' AND column_name = 'as_at'"
    return bool(con.execute(query).fetchone()[0])


def _vintage_as_at(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``vintage, as_at`` (datetime64) as recorded, or as derived for a store written before
    vintages had an as-at date and opened read-only."""
    recorded = _has_as_at(con)
    frame = con.execute("SELECT vintage, as_at FROM vintages").df() if recorded else _derived_as_at(con)
    return frame.assign(as_at=pd.to_datetime(frame["as_at"]))


def _derived_as_at(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The as-at of vintages stored without one: the last day of an atoms vintage's latest month;
    the end of the period of a benchmarks vintage's latest year."""
    from csc_workbench.benchmarks.sources import latest_period_end

    atoms = con.execute("SELECT vintage, max(period) AS period FROM atoms GROUP BY vintage").fetchall()
    rows = [(int(vintage), month_end(int(period))) for vintage, period in atoms]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "benchmarks" in tables:
        latest = con.execute(
            "SELECT vintage, source, dataset, measure, max(year) AS year FROM benchmarks GROUP BY ALL"
        ).df()
        rows += [(int(vintage), latest_period_end(part)) for vintage, part in latest.groupby("vintage")]
    return pd.DataFrame(rows, columns=["vintage", "as_at"])


def _add_as_at(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate a store written before vintages had an as-at date: add the column and derive it."""
    if _has_as_at(con):
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("ALTER TABLE vintages ADD COLUMN as_at DATE")
        con.register("derived_as_at", _derived_as_at(con))
        con.execute("UPDATE vintages SET as_at = d.as_at FROM derived_as_at d WHERE vintages.vintage = d.vintage")
        con.unregister("derived_as_at")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
