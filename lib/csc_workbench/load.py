"""Loading a source into the store, end to end: read, validate, measure, store as a vintage.

Each function reads everything and computes every atom before it writes anything, and the
write is one transaction: a failed load stores nothing and loses nothing stored before.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from csc_workbench.config import Params
from csc_workbench.ingest.annex_a import AnnexA, empty_list, read_annex_a, write_quarantine
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.measures.annex_a import MeasureRun, compute_atoms
from csc_workbench.measures.breakdowns import compute_breakdowns
from csc_workbench.measures.data_quality import BLANK_ON_EVERY_ROW, NO_COLUMN, NOT_USED, annex_a_quality, field_gaps
from csc_workbench.periods import month_text, parse_month
from csc_workbench.store.atoms import Store

#: Date columns that are not events (they say nothing about how recent an extract is).
_NOT_EVENTS = {"date_of_birth"}

#: A list more than this share of whose rows were excluded for a bad or missing value gives no figures: counting the
#: rest would print figures too low to be true (a column of dates the reader could not read, a broken export).
MOSTLY_EXCLUDED = 0.5


@dataclass
class LoadReport:
    source: str
    vintage: int | None
    atoms: int
    as_at: pd.Timestamp
    first_month: int
    lines: list[str] = field(default_factory=list)
    #: the load's data quality, aggregates only (``measures.data_quality.annex_a_quality``), stored with its atoms
    data_quality: pd.DataFrame | None = None

    def __str__(self) -> str:
        head = (
            f"{self.source}: {self.atoms:,} atoms for {month_text(self.first_month)} to "
            f"{month_text(self.as_at.year * 12 + self.as_at.month - 1)} (as at {self.as_at:%d/%m/%Y})"
            + (f", stored as vintage {self.vintage}" if self.vintage is not None else "")
        )
        return "\n".join([head, *(f"  {part}" for line in self.lines for part in line.splitlines())])


def latest_event(annex: AnnexA, skip: Collection[int] = ()) -> pd.Timestamp | None:
    """The latest event date anywhere in the extract (dates of birth aside), lists in ``skip`` aside."""
    latest = None
    for number, frame in annex.lists.items():
        if number in skip:
            continue
        for column in frame.columns:
            if column in _NOT_EVENTS or not pd.api.types.is_datetime64_any_dtype(frame[column]):
                continue
            top = frame[column].max()
            if pd.notna(top) and (latest is None or top > latest):
                latest = top
    return latest


def default_as_at(annex: AnnexA, skip: Collection[int] = ()) -> pd.Timestamp:
    """The last day of the month of the latest event in the extract (lists in ``skip``, which give no figures, aside:
    a date misread there must not move the extract's date)."""
    latest = latest_event(annex, skip)
    if latest is None:
        raise ValueError(f"{annex.source}: no dated records, so no as-at date; give --as-at")
    return (latest + pd.offsets.MonthEnd(0)).normalize()


def default_first_month(annex: AnnexA, as_at: pd.Timestamp, skip: Collection[int] = ()) -> int:
    """First month of contacts or referrals; an extract without them covers its as-at month."""
    firsts = [
        annex.lists[number][column].min()
        for number, column in ((1, "contact_date"), (3, "referral_date"))
        if number in annex.lists and number not in skip and not annex.lists[number].empty
    ]
    firsts = [d for d in firsts if pd.notna(d)]
    first = min(firsts) if firsts else as_at
    return first.year * 12 + first.month - 1


def lists_without_figures(annex: AnnexA, empty_is_zero: Collection[int] = ()) -> tuple[dict[int, str], list[str]]:
    """The lists of the extract that give no figures, each with why, and notes on ``empty_is_zero``.

    A list that cannot be used; one more than ``MOSTLY_EXCLUDED`` of whose rows were excluded for a bad or missing
    value (duplicates aside), every row or most; and one with no rows, unless ``empty_is_zero`` names it (the
    analyst confirms it had none this time: its indicators count 0). The indicators these lists feed are stored as
    not available with the reason, never as 0. A list that ``empty_is_zero`` names but that is not in the extract
    counts as empty too.
    """
    reasons: dict[int, str] = {}
    notes: list[str] = []
    for number, spec in LISTS.items():
        name = f"List {number} ({spec.title})"
        confirmed = number in empty_is_zero
        if number in annex.unusable:
            reasons[number] = f"{name} could not be used (see the load)"
        elif number not in annex.lists:
            if confirmed:
                notes.append(f"{name}: not in the extract; counted as having no records, as --empty-is-zero says")
            continue
        else:
            kept, excluded = len(annex.lists[number]), annex.excluded.get(number, 0)
            rows = kept + excluded
            if rows == 0:
                if confirmed:
                    notes.append(f"{name}: no rows; counted as zero, as --empty-is-zero says")
                else:
                    reasons[number] = (
                        f"{name} has no rows (if it truly had none, load with --empty-is-zero {number} to count 0)"
                    )
            elif excluded > MOSTLY_EXCLUDED * rows:
                share = "every one" if kept == 0 else f"{excluded:,}"
                reasons[number] = (
                    f"{name}: {share} of its {rows:,} rows excluded for a bad or missing value (see the quarantine)"
                )
            elif confirmed:
                notes.append(f"--empty-is-zero {number}: {name} has {kept:,} rows; its figures are counted from them")
        if confirmed and number in reasons:
            notes.append(f"--empty-is-zero {number}: not applied: {reasons[number]}")
    return reasons, notes


def measure_annex_a(
    path: str | Path,
    params: Params,
    as_at: date | str | None = None,
    first_month: int | None = None,
    quarantine_dir: str | Path = "data/quarantine",
    today: date | None = None,
    empty_is_zero: Collection[int] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read one Annex A extract and compute its atoms, breakdown counts and data quality (the
    report's ``data_quality``); writes only the quarantine report. Lists that give no figures
    (``lists_without_figures``) make their indicators not available for the as-at month and do not
    move the extract's as-at date."""
    annex = read_annex_a(path, today=today)
    gone, confirmations = lists_without_figures(annex, empty_is_zero)
    if as_at is None and latest_event(annex, gone) is None and gone:
        raise ValueError(
            f"{path}: no list gives figures ({'; '.join(gone.values())}), so nothing to store; "
            "correct the extract, or give --as-at to store its indicators as not available"
        )
    as_at_ts = pd.Timestamp(as_at).normalize() if as_at is not None else default_as_at(annex, gone)
    first = first_month if first_month is not None else default_first_month(annex, as_at_ts, gone)
    lists = {number: frame for number, frame in annex.lists.items() if number not in gone}
    columns = dict(annex.columns)
    for number in empty_is_zero:
        if number not in lists and number not in gone:
            lists[number], columns[number] = empty_list(number), frozenset(LISTS[number].keys)
    run = compute_atoms(
        lists,
        params.authority,
        params.catalogue,
        as_at_ts,
        first,
        columns,
        annex.blank_columns,
        unavailable=gone,
        empty_is_zero=empty_is_zero,
    )
    counts = compute_breakdowns(lists, params.authority, first, as_at_ts.year * 12 + as_at_ts.month - 1)
    quality = annex_a_quality(annex, run, gone, params.authority)
    report = LoadReport(str(path), None, len(run.atoms), as_at_ts, first, data_quality=quality)
    report.lines.extend(not_available(run, as_at_ts))
    report.lines.append(annex.summary())
    quarantine = write_quarantine(annex, quarantine_dir)
    if quarantine is not None:
        report.lines.append(f"quarantined rows written to {quarantine} (kept out of every shared output)")
    report.lines.extend(confirmations)
    report.lines.extend(what_stopped(annex, run, gone))
    report.lines.extend(run.notes)
    return run.atoms, counts, report


def not_available(run: MeasureRun, as_at: pd.Timestamp) -> list[str]:
    """The report's first lines when indicators are not available: which, and why, grouped by reason."""
    if not run.unavailable:
        return []
    by_reason: dict[str, list[str]] = {}
    for indicator, why in run.unavailable.items():
        by_reason.setdefault(why, []).append(indicator)
    lines = [
        f"NOT AVAILABLE for {month_text(as_at.year * 12 + as_at.month - 1)}: {len(run.unavailable)} indicator(s) "
        "stored with the reason instead of a figure (earlier months keep what earlier loads stored)"
    ]
    lines.extend(f"  {why}: {', '.join(indicators)}" for why, indicators in by_reason.items())
    return lines


def what_stopped(annex: AnnexA, run: MeasureRun, gone: Mapping[int, str] | None = None) -> list[str]:
    """A line for each list the extract lacks, and each that gives no figures (``gone``) but feeds no indicator
    (``not_available`` names those that feed one); for each template column a list lacks, does not use or leaves
    blank on every row, naming the indicators it stopped ("List 9: no 'Allocated Personal Advisor' column" when
    none); then the indicators stopped for another reason."""
    gone = gone or {}
    lines = []
    for gap in field_gaps(annex, run, gone):
        number, column = gap.list_number, gap.column
        if number in gone:
            if not gap.indicators:
                lines.append(gone[number])
        elif column is None:
            lines.append(_stopped(f"List {number} {LISTS[number].title}: not in the extract", gap.indicators))
        else:
            what = {
                NOT_USED: f"'{column.header}' not used",
                NO_COLUMN: f"no '{column.header}' column",
                BLANK_ON_EVERY_ROW: f"'{column.header}' is blank on every row",
            }[gap.problem]
            lines.append(_stopped(f"List {number}: {what}", gap.indicators))
    lines.extend(f"{what}: not computed: {why}" for what, why in run.skipped.items() if not why.startswith("needs "))
    return lines


def _stopped(what: str, indicators: Collection[str]) -> str:
    return what + (f"; not computed: {', '.join(indicators)}" if indicators else "")


def load_annex_a(
    path: str | Path,
    params: Params,
    store: Store,
    as_at: date | str | None = None,
    first_month: int | None = None,
    quarantine_dir: str | Path = "data/quarantine",
    today: date | None = None,
    empty_is_zero: Collection[int] = (),
) -> LoadReport:
    """Read one Annex A extract, compute its atoms and store them as one new vintage."""
    atoms, counts, report = measure_annex_a(path, params, as_at, first_month, quarantine_dir, today, empty_is_zero)
    if len(atoms):
        report.vintage = store.add_vintage(
            atoms,
            source=str(path),
            kind="annex_a",
            breakdowns=counts,
            as_at=report.as_at.date(),
            catalogue=params.catalogue,
            quality=report.data_quality,
        )
    return report


def _snapshot_month_end(folder: str | Path) -> pd.Timestamp:
    return pd.Timestamp(Path(folder).name[-7:] + "-01") + pd.offsets.MonthEnd(0)


def _measure_snapshot(job: tuple) -> tuple[pd.DataFrame, LoadReport]:
    folder, first_month, params, quarantine_dir = job
    as_at = _snapshot_month_end(folder)
    atoms, _, report = measure_annex_a(folder, params, as_at, first_month, quarantine_dir=quarantine_dir)
    return atoms, report  # snapshots hold lists 6-9 only: no breakdowns


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def load_demo(
    files, params: Params, store: Store, quarantine_dir: str | Path = "data/quarantine", jobs: int | None = None
) -> list[str]:
    """Load a generated demo county: month-end snapshots oldest first, the full extract, then aggregates.

    ``files`` is the ``DemoFiles`` that ``csc_workbench.demo.generate_demo`` returned. Each
    snapshot restates the previous snapshot's month. The snapshots are read and measured in
    parallel (``jobs`` processes, default one per core) and stored one after another, oldest
    first, so vintages follow the months.
    """
    from concurrent.futures import ProcessPoolExecutor

    from csc_workbench.ingest.aggregates import ingest_aggregates

    lines = []
    # Each snapshot is measured from the previous snapshot's month (the month before, or the one before the gap
    # month), whose closed records it holds: it restates that month with the events recorded after its month end,
    # as a council's monthly extract restates recent months, so the store as at each month end has them. The first
    # snapshot, where the demo's data start, covers its own month.
    months = [parse_month(Path(folder).name[-7:]) for folder in files.snapshots]
    firsts = months[:1] + months[:-1]
    work = [(folder, first, params, quarantine_dir) for folder, first in zip(files.snapshots, firsts, strict=True)]
    # Ctrl-C reaches the workers too: they leave it to this process, which drops the snapshots not yet measured
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, initializer=_ignore_interrupts) as pool:
        try:
            for (folder, *_), (atoms, report) in zip(work, pool.map(_measure_snapshot, work), strict=True):
                vintage = store.add_vintage(
                    atoms,
                    source=str(folder),
                    kind="annex_a",
                    as_at=report.as_at.date(),
                    catalogue=params.catalogue,
                    quality=report.data_quality,
                )
                lines.append(f"{Path(folder).name}: {report.atoms:,} atoms, vintage {vintage}")
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    full = load_annex_a(files.full_extract, params, store, quarantine_dir=quarantine_dir)
    lines.append(str(full))
    lines.append(str(ingest_aggregates(files.aggregates, params, store)))
    return lines
