"""Loading a source into the store, end to end: read, validate, measure, store as a vintage.

Each function reads everything and computes every atom before it writes anything, and the
write is one transaction: a failed load stores nothing and loses nothing stored before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from csc_workbench.config import Params
from csc_workbench.ingest.annex_a import AnnexA, read_annex_a, write_quarantine
from csc_workbench.measures.annex_a import compute_atoms
from csc_workbench.measures.breakdowns import compute_breakdowns
from csc_workbench.periods import month_text
from csc_workbench.store.atoms import Store

#: Date columns that are not events (they say nothing about how recent an extract is).
_NOT_EVENTS = {"date_of_birth"}


@dataclass
class LoadReport:
    source: str
    vintage: int | None
    atoms: int
    as_at: pd.Timestamp
    first_month: int
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = (
            f"{self.source}: {self.atoms:,} atoms for {month_text(self.first_month)} to "
            f"{month_text(self.as_at.year * 12 + self.as_at.month - 1)} (as at {self.as_at:%d/%m/%Y})"
            + (f", stored as vintage {self.vintage}" if self.vintage is not None else "")
        )
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def latest_event(annex: AnnexA) -> pd.Timestamp | None:
    """The latest event date anywhere in the extract (dates of birth aside)."""
    latest = None
    for frame in annex.lists.values():
        for column in frame.columns:
            if column in _NOT_EVENTS or not pd.api.types.is_datetime64_any_dtype(frame[column]):
                continue
            top = frame[column].max()
            if pd.notna(top) and (latest is None or top > latest):
                latest = top
    return latest


def default_as_at(annex: AnnexA) -> pd.Timestamp:
    """The last day of the month of the latest event in the extract."""
    latest = latest_event(annex)
    if latest is None:
        raise ValueError(f"{annex.source}: no dated records, so no as-at date; give --as-at")
    return (latest + pd.offsets.MonthEnd(0)).normalize()


def default_first_month(annex: AnnexA, as_at: pd.Timestamp) -> int:
    """First month of contacts or referrals; an extract without them covers its as-at month."""
    firsts = [
        annex.lists[number][column].min()
        for number, column in ((1, "contact_date"), (3, "referral_date"))
        if number in annex.lists and not annex.lists[number].empty
    ]
    firsts = [d for d in firsts if pd.notna(d)]
    first = min(firsts) if firsts else as_at
    return first.year * 12 + first.month - 1


def measure_annex_a(
    path: str | Path,
    params: Params,
    as_at: date | str | None = None,
    first_month: int | None = None,
    quarantine_dir: str | Path = "data/quarantine",
    today: date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read one Annex A extract and compute its atoms and breakdown counts; writes only the
    quarantine report."""
    annex = read_annex_a(path, today=today)
    as_at_ts = pd.Timestamp(as_at).normalize() if as_at is not None else default_as_at(annex)
    first = first_month if first_month is not None else default_first_month(annex, as_at_ts)
    run = compute_atoms(annex.lists, params.authority, params.catalogue, as_at_ts, first)
    counts = compute_breakdowns(annex.lists, params.authority, first, as_at_ts.year * 12 + as_at_ts.month - 1)
    report = LoadReport(str(path), None, len(run.atoms), as_at_ts, first)
    report.lines.append(annex.summary())
    quarantine = write_quarantine(annex, quarantine_dir)
    if quarantine is not None:
        report.lines.append(f"quarantined rows written to {quarantine} (kept out of every shared output)")
    if annex.missing_lists:
        stopped = sorted(run.skipped)
        report.lines.append(
            "missing lists: "
            + ", ".join(f"List {n}" for n in annex.missing_lists)
            + (f"; indicators not computed: {', '.join(stopped)}" if stopped else "")
        )
    report.lines.extend(run.notes)
    return run.atoms, counts, report


def load_annex_a(
    path: str | Path,
    params: Params,
    store: Store,
    as_at: date | str | None = None,
    first_month: int | None = None,
    quarantine_dir: str | Path = "data/quarantine",
    today: date | None = None,
) -> LoadReport:
    """Read one Annex A extract, compute its atoms and store them as one new vintage."""
    atoms, counts, report = measure_annex_a(path, params, as_at, first_month, quarantine_dir, today)
    if len(atoms):
        report.vintage = store.add_vintage(atoms, source=str(path), kind="annex_a", breakdowns=counts)
    return report


def _snapshot_month_end(folder: str | Path) -> pd.Timestamp:
    return pd.Timestamp(Path(folder).name[-7:] + "-01") + pd.offsets.MonthEnd(0)


def _measure_snapshot(job: tuple) -> tuple[pd.DataFrame, LoadReport]:
    folder, params, quarantine_dir = job
    atoms, _, report = measure_annex_a(folder, params, _snapshot_month_end(folder), quarantine_dir=quarantine_dir)
    return atoms, report  # snapshots hold lists 6-9 only: no breakdowns


def load_demo(
    files, params: Params, store: Store, quarantine_dir: str | Path = "data/quarantine", jobs: int | None = None
) -> list[str]:
    """Load a generated demo county: month-end snapshots oldest first, the full extract, then aggregates.

    ``files`` is the ``DemoFiles`` that ``csc_workbench.demo.generate_demo`` returned. The
    snapshots are read and measured in parallel (``jobs`` processes, default one per core) and
    stored one after another, oldest first, so vintages follow the months.
    """
    from concurrent.futures import ProcessPoolExecutor

    from csc_workbench.ingest.aggregates import ingest_aggregates

    lines = []
    work = [(folder, params, quarantine_dir) for folder in files.snapshots]
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        for (folder, *_), (atoms, report) in zip(work, pool.map(_measure_snapshot, work), strict=True):
            vintage = store.add_vintage(atoms, source=str(folder), kind="annex_a")
            lines.append(f"{Path(folder).name}: {report.atoms:,} atoms, vintage {vintage}")
    full = load_annex_a(files.full_extract, params, store, quarantine_dir=quarantine_dir)
    lines.append(str(full))
    vintage, rows = ingest_aggregates(files.aggregates, params, store)
    lines.append(f"{files.aggregates}: {rows:,} atoms, vintage {vintage}")
    return lines
