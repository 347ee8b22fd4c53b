"""The scorecard: one row per indicator with value, RAG, direction of travel and windows.

``scorecard_from_atoms`` is pure (atoms in, table out); ``scorecard`` reads the store first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from csc_workbench.assess.dot import movement, performance_change, rotherham_label
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.bands import Rag
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Catalogue, Indicator, OrgRef, RangeBands, Unit
from csc_workbench.periods import first_month_of_financial_year, month_text, parse_month
from csc_workbench.store.atoms import Store

COLUMNS = [
    "indicator", "title", "area", "polarity", "period", "value", "numerator", "denominator", "target",
    "rag", "small_denominator", "previous_value", "dot_previous", "year_ago_value", "dot_year_ago",
    "r3m_value", "r3m_rag", "ytd_value",
]  # fmt: skip
EXTRA_COLUMNS = [
    "org_unit", "cohort", "month", "unit", "decimals", "rated_window", "rated_value", "green_band", "note",
    "move_previous", "dot_previous_label", "move_year_ago", "dot_year_ago_label",
]  # fmt: skip

_OPTIONAL_TEXT = (
    "rag", "green_band", "dot_previous", "dot_year_ago", "r3m_rag", "note", "move_previous", "dot_previous_label",
    "move_year_ago", "dot_year_ago_label",
)  # fmt: skip

#: Units whose denominator counts children or cases, so the small-denominator rule applies.
_SMALL_DENOMINATOR_UNITS = (Unit.PERCENT, Unit.AVERAGE, Unit.RATIO)


def r3m_comparable(ind: Indicator) -> bool:
    """Whether a rolling 3 months can be rated against the indicator's target: a share, an average
    or a ratio, or a stock (a month-end level), is comparable; three months of a flow counted or
    rated per 10,000 are a quarter of the year the target is set for, so they are not."""
    return ind.unit in _SMALL_DENOMINATOR_UNITS or ind.is_stock


def gaps_from_params(params: Params) -> dict[tuple[str, int], str]:
    """(indicator or "*", month) -> reason, from the authority's data_gaps."""
    gaps: dict[tuple[str, int], str] = {}
    for gap in params.authority.data_gaps:
        targets = ["*"] if gap.indicators == "all" else gap.indicators
        for ident in targets:
            gaps[(ident, parse_month(gap.month))] = gap.reason
    return gaps


def atoms_needed(month: int) -> tuple[int, int]:
    """First and last month of atoms a scorecard for ``month`` reads (R12M a year ago)."""
    return min(month - 23, first_month_of_financial_year(month)), month


#: The values each scorecard row needs, in the order requests are made for one indicator/org unit.
SLOTS = ("now", "previous", "year_ago", "rated", "r3m", "ytd")


def _requests(indicators: list[Indicator], org_units: list[str], cohort: str, month: int) -> pd.DataFrame:
    """One request per indicator, org unit and slot, in that nesting order."""
    rows = []
    for ind in indicators:
        ind_cohort = ind.cohort or cohort
        windows = (
            (ind.headline_window, month),
            (ind.headline_window, month - 1),
            (ind.headline_window, month - 12),
            (ind.rated_window, month),
            ("r3m", month),
            ("fytd", month),
        )
        for org in org_units:
            for window, period in windows:
                rows.append((ind.id, org, ind_cohort, period, window))
    return pd.DataFrame(rows, columns=["indicator", "org_unit", "cohort", "period", "window"])


def _nan_to_none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _travel(
    value: float | None,
    before: float | None,
    ind: Indicator,
    target: float | None,
    green_range: tuple[float, float] | None,
    within: bool | None,
    tolerance: float,
) -> tuple[str | None, str | None, str | None]:
    """(performance arrow, numeric arrow, Rotherham label) of a value against an earlier one."""
    perf = performance_change(value, before, ind.polarity, target, green_range, tolerance)
    move = movement(value, before, tolerance)
    label = rotherham_label(value, before, ind.polarity, within, target, green_range, tolerance)
    return (perf.value if perf else None), (move.value if move else None), label


def scorecard_from_atoms(
    atoms: pd.DataFrame,
    catalogue: Catalogue,
    month: int,
    org_units: Iterable[str],
    cohort: str = "all",
    gaps: Mapping[tuple[str, int], str] | None = None,
    only: Iterable[str] | None = None,
    levels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Scorecard rows for every scorecard indicator (or those in ``only``) and org unit, in
    catalogue order. ``levels`` (org unit -> authority, area or team) picks each org unit's target
    where the catalogue sets targets per level; without it every org unit has the authority's."""
    chosen = None if only is None else set(only)
    indicators = [i for i in catalogue.indicators if i.scorecard and (chosen is None or i.id in chosen)]
    org_units = list(org_units)
    requests = _requests(indicators, org_units, cohort, month)
    values = window_values(atoms, requests, catalogue, gaps)
    # Requests were made in (indicator, org unit, slot) order: row i of the scorecard reads rows
    # i * len(SLOTS) + k of the window values. Plain lists keep the loop below cheap.
    columns = {c: values[c].tolist() for c in ("value", "numerator", "denominator", "status", "note")}

    def get(row: int, slot: str, column: str):
        item = columns[column][row * len(SLOTS) + SLOTS.index(slot)]
        return _nan_to_none(item) if column in ("value", "numerator", "denominator") else item

    settings = catalogue.settings
    caution_low, caution_high = settings.caution_denominator

    def rate(
        ind: Indicator, row: int, slot: str, org: OrgRef | None
    ) -> tuple[float | None, float | None, str | None, bool, str | None]:
        """(value, denominator, rag, caution flag, note) of a slot for one indicator/org unit."""
        value, den = get(row, slot, "value"), get(row, slot, "denominator")
        note = get(row, slot, "note") if get(row, slot, "status") != OK else None
        rag = ind.rate(value, month, org)
        small = caution = False
        if den is not None and ind.unit in _SMALL_DENOMINATOR_UNITS:
            small = den < settings.min_denominator
            caution = caution_low <= den <= caution_high
        if small and rag is not None:
            rag, note = None, f"not rated: denominator {den:g} is under {settings.min_denominator:g}"
        return value, den, (rag.value if rag else None), caution, note

    records = []
    row = -1
    for ind in indicators:
        for org in org_units:
            row += 1
            ref = (org, levels[org]) if levels is not None else None
            entry = ind.targets_for(month, ref)
            target = entry.target if entry else None
            green_range = entry.rag.green if entry and isinstance(entry.rag, RangeBands) else None
            value = get(row, "now", "value")
            rated_value, _, rag, caution, rated_note = rate(ind, row, "rated", ref)
            rated_note = rated_note or ind.no_target_reason(month, ref)
            r3m_value, _, r3m_rag, _, _ = rate(ind, row, "r3m", ref)
            if not r3m_comparable(ind):
                r3m_rag = None  # shown, not rated: three months of a yearly count or rate
            previous = get(row, "previous", "value")
            year_ago = get(row, "year_ago", "value")
            within = None if rag is None else Rag(rag) in settings.within_target
            compare = (ind, target, green_range, within, settings.dot_tolerance)
            dot_prev, move_prev, label_prev = _travel(value, previous, *compare)
            dot_year, move_year, label_year = _travel(value, year_ago, *compare)
            note = get(row, "now", "note") if get(row, "now", "status") != OK else rated_note
            records.append(
                {
                    "indicator": ind.id, "title": ind.title, "area": ind.area, "polarity": ind.polarity.value,
                    "period": ind.period.value, "value": value,
                    "numerator": get(row, "now", "numerator"), "denominator": get(row, "now", "denominator"),
                    "target": target, "rag": rag, "small_denominator": caution,
                    "previous_value": previous, "dot_previous": dot_prev,
                    "year_ago_value": year_ago, "dot_year_ago": dot_year,
                    "r3m_value": r3m_value, "r3m_rag": r3m_rag,
                    "ytd_value": get(row, "ytd", "value"),
                    "org_unit": org, "cohort": ind.cohort or cohort, "month": month_text(month),
                    "unit": ind.unit.value, "decimals": ind.display_decimals, "rated_window": ind.rated_window,
                    "rated_value": rated_value, "green_band": ind.green_in_words(month, ref), "note": note,
                    "move_previous": move_prev, "dot_previous_label": label_prev,
                    "move_year_ago": move_year, "dot_year_ago_label": label_year,
                }
            )  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=COLUMNS + EXTRA_COLUMNS)
    for column in _OPTIONAL_TEXT:  # keep None (not NaN) where there is no rating or arrow
        frame[column] = pd.Series([r[column] for r in records], index=frame.index, dtype=object)
    return frame.astype(
        {
            c: float
            for c in (
                "value",
                "numerator",
                "denominator",
                "target",
                "previous_value",
                "year_ago_value",
                "r3m_value",
                "ytd_value",
                "rated_value",
            )
        }
    )


def resolve_org_units(params: Params, org_units: str | Iterable[str] | None) -> list[str]:
    """The org units asked for, checked against the hierarchy (None means the authority)."""
    if org_units is None:
        return [params.authority.org_units.name]
    units = [org_units] if isinstance(org_units, str) else list(org_units)
    for org in units:
        if org not in params.authority.org_unit_names:
            raise KeyError(f"unknown org unit {org!r}; known: {', '.join(params.authority.org_unit_names)}")
    return units


def scorecard(
    store: Store,
    params: Params,
    month: str | int,
    org_units: str | Iterable[str] | None = None,
    cohort: str = "all",
) -> pd.DataFrame:
    """Scorecard for one month read from the store (default org unit: the authority)."""
    month = parse_month(month) if isinstance(month, str) else month
    org_units = resolve_org_units(params, org_units)
    if cohort not in params.catalogue.cohorts:
        raise KeyError(f"unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
    ids = [i.id for i in params.catalogue.indicators if i.scorecard]
    cohorts = {cohort} | {i.cohort for i in params.catalogue.indicators if i.cohort}
    first, last = atoms_needed(month)
    atoms = store.latest(ids, org_units, cohorts, first, last)
    levels = {org: params.authority.org_unit(org).level for org in org_units}
    return scorecard_from_atoms(
        atoms, params.catalogue, month, org_units, cohort, gaps_from_params(params), levels=levels
    )


def rag_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Green, amber and red counts of the latest ratings, as Kent prints under its scorecard."""
    counts = frame["rag"].value_counts()
    return {rag.value: int(counts.get(rag.value, 0)) for rag in (Rag.GREEN, Rag.AMBER, Rag.RED)}
