"""The data quality of one Annex A load, as aggregates that may be shared.

Per list and org unit: the rows kept, the rows excluded and the values set aside (a bad value
emptied, its row kept), each also by field and reason; the blank lines skipped; and the lists and
fields that the extract lacks, cannot use or leaves blank on every row, with the indicators they
stopped. Counts and words only: never a child's identifier, a row number or a value as written.

A row counts for its allocated team, the team's area and the authority, as the indicators do; a
row of a list with teams whose team is blank or not in authority.yml counts for the authority and
for ``ORG_UNIT_NOT_KNOWN``; the rows of a list without teams count for the authority alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from csc_workbench.config.authority import Authority
from csc_workbench.ingest.annex_a import EXCLUDED, IGNORED, AnnexA, quarantine_reasons
from csc_workbench.ingest.annex_a_spec import LISTS, Column
from csc_workbench.measures.annex_a import MeasureRun, org_chains
from csc_workbench.store.atoms import QUALITY_COLUMNS

#: What a count counts (``status``).
ROWS_KEPT = "rows kept"
ROWS_EXCLUDED = "rows excluded"
VALUES_SET_ASIDE = "values set aside"
BLANK_LINES = "blank lines skipped"
STOPS = "stops indicators"
#: Where the rows of a list with teams go when their team is blank or not in authority.yml (as well as the authority).
ORG_UNIT_NOT_KNOWN = "Org unit not known"

#: Why a list or a field stopped indicators (``reason`` of ``STOPS``).
NOT_IN_EXTRACT = "not in the extract"
NOT_USABLE = "could not be used"
NO_ROWS = "has no rows"
MOST_ROWS_EXCLUDED = "more than half of its rows excluded"
NO_COLUMN = "no such column"
NOT_USED = "not used: dates written two ways"
BLANK_ON_EVERY_ROW = "blank on every row"

_TOTALS = (ROWS_KEPT, ROWS_EXCLUDED, VALUES_SET_ASIDE)
_COHORT_STOPPED = re.compile(r"^(?P<indicator>\S+) \((?P<cohort>[^)]+)\)$")  # MeasureRun's "id (cohort)"


@dataclass(frozen=True)
class FieldGap:
    """A list, or a column of it, that the extract lacks or cannot use, and the indicators it stopped."""

    list_number: int
    column: Column | None  # None: the whole list
    problem: str
    indicators: tuple[str, ...]  # as ``MeasureRun.stopped`` names them: "id", or "id (cohort)" for one cohort


def field_gaps(annex: AnnexA, run: MeasureRun, gone: Mapping[int, str]) -> list[FieldGap]:
    """Each list that gives no figures (``gone``) or is not in the extract; for each list read with rows, each
    template column it does not have, cannot use or leaves blank on every row where that stopped an indicator."""
    gaps = []
    for number, spec in LISTS.items():
        whole_list = tuple(run.stopped.get((number, None), ()))
        if number in gone:
            gaps.append(FieldGap(number, None, _no_figures(annex, number), whole_list))
        elif number in annex.missing_lists:
            gaps.append(FieldGap(number, None, NOT_IN_EXTRACT, whole_list))
        elif number in annex.lists and not annex.lists[number].empty:
            refused = annex.refused.get(number, {})
            for column in spec.columns:
                stopped = tuple(run.stopped.get((number, column.key), ()))
                if column.key in refused:
                    gaps.append(FieldGap(number, column, NOT_USED, stopped))
                elif column.key not in annex.columns[number]:
                    gaps.append(FieldGap(number, column, NO_COLUMN, stopped))
                elif stopped:
                    gaps.append(FieldGap(number, column, BLANK_ON_EVERY_ROW, stopped))
    return gaps


def _no_figures(annex: AnnexA, number: int) -> str:
    """Why a list gives no figures (``load.lists_without_figures`` decides that it does not)."""
    if number in annex.unusable:
        return NOT_USABLE
    if number not in annex.lists or len(annex.lists[number]) + annex.excluded.get(number, 0) == 0:
        return NO_ROWS
    return MOST_ROWS_EXCLUDED


def annex_a_quality(annex: AnnexA, run: MeasureRun, gone: Mapping[int, str], authority: Authority) -> pd.DataFrame:
    """The load's data quality (``QUALITY_COLUMNS``): for each list read, per org unit, the rows kept, the rows
    excluded and the values set aside, in total (``field`` and ``reason`` empty; every org unit, zeros too) and by
    field and reason (where any), and the blank lines skipped (for the authority); then, for the authority and
    without a count, one row per indicator that a list or field stopped (``field_gaps``), and one for each list that
    gives no figures (``gone``) but feeds no indicator."""
    chains = org_chains(authority)
    top = authority.org_units.name
    reasons = quarantine_reasons(annex)
    parts = [
        _list_counts(number, frame, reasons[reasons["list"] == number], annex, chains, top)
        for number, frame in sorted(annex.lists.items())
    ]
    stopped = _stopped(field_gaps(annex, run, gone), gone, top)
    frame = pd.concat([*parts, stopped] if len(stopped) else parts, ignore_index=True)
    return frame[QUALITY_COLUMNS].astype({"list_number": "int64", "count": "Int64"})


def _list_counts(
    number: int, frame: pd.DataFrame, reasons: pd.DataFrame, annex: AnnexA, chains: dict[str, list[str]], top: str
) -> pd.DataFrame:
    """One list's counts per org unit (``annex_a_quality``); ``reasons``: its ``quarantine_reasons``."""
    has_teams = "allocated_team" in LISTS[number].keys
    rows = frame["_row"].to_numpy()
    kept_teams = (frame["allocated_team"] if has_teams else pd.Series(top, index=frame.index)).set_axis(rows)
    excluded = reasons[reasons["action"] == EXCLUDED].drop_duplicates(["row", "field", "reason"])
    excluded_rows = pd.Index(excluded["row"].unique())
    if has_teams:
        excluded_teams = annex.excluded_teams.get(number, pd.Series(dtype=object)).reindex(excluded_rows)
    else:
        excluded_teams = pd.Series(top, index=excluded_rows, dtype=object)
    set_aside = reasons[(reasons["action"] == IGNORED) & reasons["row"].isin(rows)]
    set_aside_teams = kept_teams.reindex(set_aside["row"])
    facts = pd.concat(
        [
            _facts(ROWS_KEPT, kept_teams),
            _facts(ROWS_EXCLUDED, excluded_teams),
            _facts(VALUES_SET_ASIDE, set_aside_teams),
            _facts(ROWS_EXCLUDED, excluded_teams.reindex(excluded["row"]), excluded["field"], excluded["reason"]),
            _facts(VALUES_SET_ASIDE, set_aside_teams, set_aside["field"], set_aside["reason"]),
        ],
        ignore_index=True,
    )
    facts["team"] = facts["team"].where(facts["team"].isin(chains), ORG_UNIT_NOT_KNOWN)
    mapping = pd.DataFrame(
        [(team, unit) for team, chain in chains.items() for unit in chain]
        + [(ORG_UNIT_NOT_KNOWN, top), (ORG_UNIT_NOT_KNOWN, ORG_UNIT_NOT_KNOWN)],
        columns=["team", "org_unit"],
    )
    keys = ["status", "field", "reason", "org_unit"]
    counted = facts.merge(mapping, on="team").groupby(keys).size().rename("count")
    units = [*chains, ORG_UNIT_NOT_KNOWN] if has_teams else [top]
    grid = pd.MultiIndex.from_product([_TOTALS, [""], [""], units], names=keys)
    total = counted.index.get_level_values("reason") == ""
    blank_lines = pd.DataFrame(
        {"status": [BLANK_LINES], "field": "", "reason": "", "org_unit": top, "count": annex.blank_lines.get(number, 0)}
    )
    return pd.concat(
        [counted[total].reindex(grid, fill_value=0).reset_index(), counted[~total].reset_index(), blank_lines],
        ignore_index=True,
    ).assign(list_number=number, indicator=None, cohort=None)


def _facts(status: str, teams: pd.Series, fields: object = "", reasons: object = "") -> pd.DataFrame:
    """One row per row or value counted: ``status``, ``field``, ``reason`` and the team written on its row."""
    return pd.DataFrame(
        {
            "status": status,
            "field": fields if isinstance(fields, str) else pd.Series(fields).to_numpy(),
            "reason": reasons if isinstance(reasons, str) else pd.Series(reasons).to_numpy(),
            "team": teams.to_numpy(dtype=object),
        }
    )


def _stopped(gaps: list[FieldGap], gone: Mapping[int, str], top: str) -> pd.DataFrame:
    """A row per indicator each gap stopped, and one for a list that gives no figures but stops none."""
    rows = []
    for gap in gaps:
        if not gap.indicators and gap.list_number not in gone:
            continue
        for name in gap.indicators or (None,):
            cohort_only = _COHORT_STOPPED.match(name) if name else None
            rows.append(
                {
                    "list_number": gap.list_number,
                    "org_unit": top,
                    "status": STOPS,
                    "field": gap.column.header if gap.column else "",
                    "reason": gap.problem,
                    "indicator": cohort_only["indicator"] if cohort_only else name,
                    "cohort": cohort_only["cohort"] if cohort_only else None,
                    "count": None,
                }
            )
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS).drop_duplicates()  # an indicator stopped twice by one gap
