"""What changed since the previous month's pack: councils re-run earlier months every report, so
late recording and corrections change figures already reported.

The previous month's pack is defined from the store alone, so the comparison can be made again:
it read, for each figure, the latest vintage as at the end of the month before the pack's month;
this pack reads the latest vintage as at the end of its own month. A figure of an earlier month
(before the pack's month) that the two read differently (numerator, denominator, value, or whether
it is available) is a revision; each is rated as the scorecard rates its indicator for its org unit
and month, with the figures as they stood before and as they stand now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from csc_workbench.assess.scorecard import atoms_needed, gaps_from_params, resolve_org_units, scorecard_from_atoms
from csc_workbench.assess.series import as_month
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Catalogue
from csc_workbench.periods import month_end, month_text
from csc_workbench.store.atoms import KEY, Store

#: What each figure is compared on; NaN and None count as equal to themselves.
FIGURES = ["numerator", "denominator", "value", "unavailable_reason"]
#: As a page shows a figure: its parts, its value, and why it is not available.
SHOWN = ["numerator", "denominator", "value", "note"]

COLUMNS = [
    "indicator", "title", "area", "org_unit", "cohort", "period", "month", "window", "unit", "decimals",
    "old_numerator", "old_denominator", "old_value", "old_note", "old_vintage",
    "new_numerator", "new_denominator", "new_value", "new_note", "new_vintage",
    "change", "rated_window", "old_rated_value", "new_rated_value", "old_rag", "new_rag", "rating_changed",
]  # fmt: skip


@dataclass(frozen=True)
class Revisions:
    """The figures of months before ``month`` that changed between the previous month's pack and this one."""

    month: int
    org_units: list[str]
    cohort: str
    previous_as_at: date  # the previous month's pack read the figures as they stood on this date
    as_at: date  # this pack reads them as they stand on this date
    changes: pd.DataFrame  # COLUMNS: one row per changed figure, in catalogue, org unit and month order
    added: int  # figures of earlier months the previous month's pack did not have (shown for the first time)
    vintages: pd.DataFrame  # vintage, loaded_at, as_at, kind: each load the changed figures come from


def revisions_since_previous_month(
    store: Store, params: Params, month: str | int, org_units: str | Iterable[str] | None = None, cohort: str = "all"
) -> Revisions:
    """The figures of months before ``month`` for ``org_units`` (default: the authority), for every
    indicator of the catalogue on ``cohort`` (or the indicator's own cohort), that changed since the
    previous month's pack, each with its rating then and now."""
    month = as_month(month)
    units = resolve_org_units(params, org_units)
    if cohort not in params.catalogue.cohorts:
        raise KeyError(f"unknown cohort {cohort!r}; known: {', '.join(params.catalogue.cohorts)}")
    ids = params.catalogue.ids
    cohorts = {cohort} | {i.cohort for i in params.catalogue.indicators if i.cohort}
    previous_as_at, as_at = month_end(month - 1), month_end(month)
    before = store.atoms_as_of(previous_as_at, ids, units, cohorts, month - 1)
    now = store.atoms_as_of(as_at, ids, units, cohorts, month - 1)
    levels = {org: params.authority.org_unit(org).level for org in units}
    changes, added = revisions_from_atoms(
        before, now, params.catalogue, units, cohort, gaps_from_params(params), levels
    )
    loads = store.vintages()
    involved = set(changes["old_vintage"]) | set(changes["new_vintage"])
    vintages = loads.loc[loads["vintage"].isin(involved), ["vintage", "loaded_at", "as_at", "kind"]]
    return Revisions(month, units, cohort, previous_as_at, as_at, changes, added, vintages.reset_index(drop=True))


def revisions_from_atoms(
    before: pd.DataFrame,
    now: pd.DataFrame,
    catalogue: Catalogue,
    org_units: Iterable[str],
    cohort: str = "all",
    gaps: Mapping[tuple[str, int], str] | None = None,
    levels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, int]:
    """(changed figures, number of figures added) between two readings of the store's atoms
    (store columns with ``vintage``; ``now`` holds every key of ``before``).

    A figure changed when its numerator, denominator, value or availability differs, as a page
    shows it: a month the authority marks unavailable (``gaps``) shows the same either way, so its
    figures are not listed. Ratings are the scorecard's for the indicator, org unit and month, from
    each reading (``levels`` as for ``scorecard_from_atoms``); an indicator off the scorecard is not
    rated."""
    org_units = list(org_units)
    own_cohort = {i.id: i.cohort or cohort for i in catalogue.indicators}
    before, now = (_on_cohort(atoms, own_cohort) for atoms in (before, now))
    paired = now.merge(before, on=KEY, how="left", suffixes=("_new", "_old"), indicator="_read")
    previously = (paired["_read"] == "both").to_numpy()
    differs = np.zeros(len(paired), dtype=bool)
    for column in FIGURES:
        differs |= _differs(paired[f"{column}_old"], paired[f"{column}_new"])
    candidates = paired.loc[previously & differs].reset_index(drop=True)
    requests = candidates[KEY]
    shown_old = window_values(before, requests, catalogue, gaps)
    shown_new = window_values(now, requests, catalogue, gaps)
    keep = np.zeros(len(candidates), dtype=bool)
    for column in SHOWN:
        keep |= _differs(shown_old[column], shown_new[column])
    changed = requests.loc[keep].reset_index(drop=True)
    for prefix, shown, read in (("old", shown_old, "_old"), ("new", shown_new, "_new")):
        for column in ("numerator", "denominator", "value"):
            changed[f"{prefix}_{column}"] = shown.loc[keep, column].to_numpy()
        ok = shown.loc[keep, "status"].to_numpy() == OK
        changed[f"{prefix}_note"] = np.where(ok, None, shown.loc[keep, "note"].to_numpy())
        changed[f"{prefix}_vintage"] = candidates.loc[keep, f"vintage{read}"].astype(int).to_numpy()
    changed["change"] = changed["new_value"] - changed["old_value"]
    ratings = _ratings(changed, before, now, catalogue, cohort, gaps, levels)
    frame = changed.merge(ratings, on=["indicator", "org_unit", "period"], how="left")
    return _described(frame, catalogue, org_units), int((~previously).sum())


def _on_cohort(atoms: pd.DataFrame, own_cohort: Mapping[str, str]) -> pd.DataFrame:
    """The atoms of each indicator's cohort (its own, or the one asked for)."""
    return atoms[atoms["cohort"].to_numpy() == atoms["indicator"].map(own_cohort).to_numpy()]


def _differs(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Where two columns differ, a missing value being equal only to another missing one."""
    old, new = old.reset_index(drop=True), new.reset_index(drop=True)
    return ((old != new) & ~(old.isna() & new.isna())).to_numpy()


def _ratings(
    changed: pd.DataFrame,
    before: pd.DataFrame,
    now: pd.DataFrame,
    catalogue: Catalogue,
    cohort: str,
    gaps: Mapping[tuple[str, int], str] | None,
    levels: Mapping[str, str] | None,
) -> pd.DataFrame:
    """The scorecard's rating of each changed figure's indicator, org unit and month, before and
    now: one scorecard per month, for the indicators and org units changed in it."""
    columns = ["indicator", "org_unit", "period", "rated_window", "old_rated_value", "new_rated_value", "old_rag",
               "new_rag"]  # fmt: skip
    parts = []
    for period, rows in changed.groupby("period"):
        period = int(period)
        first, _ = atoms_needed(period)
        orgs, ids = list(dict.fromkeys(rows["org_unit"])), list(dict.fromkeys(rows["indicator"]))
        rated = []
        for atoms in (before, now):
            read = atoms["period"].between(first, period) & atoms["indicator"].isin(ids) & atoms["org_unit"].isin(orgs)
            card = scorecard_from_atoms(atoms[read], catalogue, period, orgs, cohort, gaps, only=ids, levels=levels)
            rated.append(card.set_index(["indicator", "org_unit"]))
        old, new = rated
        parts.append(
            pd.DataFrame(
                {
                    "indicator": [key[0] for key in old.index],
                    "org_unit": [key[1] for key in old.index],
                    "period": period,
                    "rated_window": old["rated_window"].to_numpy(),
                    "old_rated_value": old["rated_value"].to_numpy(),
                    "new_rated_value": new.loc[old.index, "rated_value"].to_numpy(),
                    "old_rag": old["rag"].to_numpy(),
                    "new_rag": new.loc[old.index, "rag"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _described(frame: pd.DataFrame, catalogue: Catalogue, org_units: list[str]) -> pd.DataFrame:
    """The changes with each indicator's title, area, unit and decimals, whether the rating changed,
    in catalogue order (area, then indicator), then org unit and month."""
    indicators = {i.id: i for i in catalogue.indicators}
    order = {i.id: (list(catalogue.areas).index(i.area), k) for k, i in enumerate(catalogue.indicators)}
    frame = frame.assign(
        title=frame["indicator"].map(lambda i: indicators[i].title),
        area=frame["indicator"].map(lambda i: indicators[i].area),
        unit=frame["indicator"].map(lambda i: indicators[i].unit.value),
        decimals=frame["indicator"].map(lambda i: indicators[i].display_decimals),
        month=frame["period"].map(month_text),
        _order=frame["indicator"].map(order),
        _org=frame["org_unit"].map(org_units.index),
    )
    for column in ("old_note", "new_note", "old_rag", "new_rag", "rated_window"):  # None (not NaN) where there is none
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["rating_changed"] = [old != new for old, new in zip(frame["old_rag"], frame["new_rag"], strict=True)]
    frame = frame.sort_values(["_order", "_org", "period"], kind="stable")
    return frame.reindex(columns=COLUMNS).reset_index(drop=True)
