"""The store: one DuckDB file of vintaged monthly atoms.

An atom is one figure for an indicator, month, org unit, cohort and window: numerator,
denominator and value, or the reason it is unavailable. Every load is a new *vintage*; nothing
is overwritten. Reads take the latest vintage of each key; ``revisions`` lists what changed.
A load is one transaction: it is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from csc_workbench.periods import month_text

KEY = ["indicator", "period", "org_unit", "cohort", "window"]
ATOM_COLUMNS = [*KEY, "numerator", "denominator", "value", "unavailable_reason"]
BREAKDOWN_COLUMNS = ["breakdown", "category", "period", "org_unit", "count"]

_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS vintage_seq START 1;
CREATE TABLE IF NOT EXISTS vintages (
    vintage     INTEGER PRIMARY KEY,
    loaded_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    rows        INTEGER NOT NULL
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


class Store:
    """A DuckDB file of atoms. Cheap to create: connections are opened per operation."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self, read_only: bool = False):
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no store here yet; load some data first (cscw ingest ...)")
        key = self.path.resolve()
        if read_only and _REUSE_READERS:
            if key not in _READERS:
                _READERS[key] = duckdb.connect(str(self.path), read_only=True)
            cursor = _READERS[key].cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        reader = _READERS.pop(key, None)
        if reader is not None:  # this process writes: its kept reader would block the write
            reader.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                con.execute(_SCHEMA)
            yield con
        finally:
            con.close()

    @contextmanager
    def _new_vintage(self, source: str, kind: str, rows: int):
        """A connection inside a transaction with a new vintage registered: all or nothing."""
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                vintage = int(con.execute("SELECT nextval('vintage_seq')").fetchone()[0])
                con.execute(
                    "INSERT INTO vintages (vintage, source, kind, rows) VALUES (?, ?, ?, ?)",
                    [vintage, source, kind, rows],
                )
                yield con, vintage
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def add_vintage(self, atoms: pd.DataFrame, source: str, kind: str, breakdowns: pd.DataFrame | None = None) -> int:
        """Store validated atoms (and the load's breakdown counts) as a new vintage, all or
        nothing; returns the vintage number."""
        frame = atoms.reindex(columns=ATOM_COLUMNS)
        if frame.duplicated(KEY).any():
            raise ValueError("atoms to store have duplicate keys")
        with self._new_vintage(source, kind, len(frame)) as (con, vintage):
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
        return vintage

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

    def add_benchmarks(self, frame: pd.DataFrame, source: str) -> int:
        """Store a DfE download (the long frame of ``csc_workbench.benchmarks``) as a new vintage."""
        from csc_workbench.benchmarks.sources import LONG_COLUMNS

        incoming = frame.reindex(columns=LONG_COLUMNS)
        with self._new_vintage(source, "benchmarks", len(incoming)) as (con, vintage):
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
        with self._connect(read_only=True) as con:
            return con.execute("SELECT * FROM vintages ORDER BY vintage").df()

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
