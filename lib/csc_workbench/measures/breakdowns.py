"""Breakdowns from Annex A: counts by category per month and org unit (contacts and referrals
by source, completed assessments by outcome, section 47 enquiries by outcome).

Counts only: a breakdown row is (breakdown, category, period, org_unit, count), never a child.
Records with an allocated team count for the team, its area and the authority; lists without a
team (List 1, contacts) and records with no or an unknown team count for the authority alone,
as the indicators do. Every category of a breakdown appears for every org unit and month
covered (zero where nothing happened), so a missing category is never a silent zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csc_workbench.config.authority import Authority
from csc_workbench.config.catalogue import Catalogue
from csc_workbench.config.errors import ParamsError
from csc_workbench.measures.annex_a import org_chains

COLUMNS = ["breakdown", "category", "period", "org_unit", "count"]
NOT_RECORDED = "Not recorded"

#: DfE source-of-referral headings (CIN census), in its order, after the sub-codes are grouped.
SOURCES = (
    "Individual", "Schools", "Education services", "Health services", "Housing", "LA services", "Police",
    "Other legal agency", "Other", "Anonymous", "Unknown",
)  # fmt: skip


def source_heading(values: pd.Series) -> pd.Series:
    """'q) 6: Police' -> 'Police', '1B: Individual' -> 'Individual'; blank -> Not recorded.
    (Each distinct code is read once: a list has a few dozen codes over many rows.)"""
    codes, distinct = pd.factorize(values.astype("string"), use_na_sentinel=True)
    text = pd.Series(distinct, dtype="string").str.split(":", n=1).str[-1].str.strip()
    headings = text.where(text.isin(SOURCES), NOT_RECORDED).fillna(NOT_RECORDED).astype(str).to_numpy(dtype=object)
    return pd.Series(np.append(headings, NOT_RECORDED)[codes], index=values.index)


ASSESSMENT_OUTCOMES = (
    "Needs children's social care services",
    "No further children's social care services",
    NOT_RECORDED,
)


def _letter(values: pd.Series) -> np.ndarray:
    """The answer letter of Annex A codes ('a) Yes' -> 'a'); '' when blank."""
    return values.astype("string").str.strip().str.lower().str[:1].fillna("").to_numpy(dtype=object)


def assessment_outcome(frame: pd.DataFrame) -> pd.Series:
    answer = _letter(frame["assessment_outcome_csc"])
    return pd.Series(
        np.select([answer == "a", answer == "b"], ASSESSMENT_OUTCOMES[:2], NOT_RECORDED), index=frame.index
    )


S47_OUTCOMES = (
    "ICPC held: child protection plan",
    "ICPC held: no plan",
    "ICPC held: outcome not recorded",
    "ICPC not needed",
    "No ICPC yet or not recorded",
)


def s47_outcome(frame: pd.DataFrame) -> pd.Series:
    unnecessary = _letter(frame["icpc_unnecessary"]) == "a"
    held = frame["icpc_date"].notna().to_numpy()
    plan = _letter(frame["icpc_outcome_cpp"])
    return pd.Series(
        np.select([held & (plan == "a"), held & (plan == "b"), held, unnecessary], S47_OUTCOMES[:4], S47_OUTCOMES[4]),
        index=frame.index,
    )


@dataclass(frozen=True)
class Breakdown:
    id: str
    title: str
    list_number: int
    date: str  # the column whose month a record counts in
    categories: tuple[str, ...]
    categorise: Callable[[pd.DataFrame], pd.Series]
    note: str


BREAKDOWNS: dict[str, Breakdown] = {
    b.id: b
    for b in (
        Breakdown("contacts_by_source", "Contacts by source", 1, "contact_date", (*SOURCES, NOT_RECORDED),
                  lambda f: source_heading(f["contact_source"]),
                  "Contacts received in the month by who made them (Annex A List 1, DfE source headings)."),
        Breakdown("referrals_by_source", "Referrals by source", 3, "referral_date", (*SOURCES, NOT_RECORDED),
                  lambda f: source_heading(f["referral_source"]),
                  "Referrals received in the month by source (Annex A List 3, DfE source headings)."),
        Breakdown("assessment_outcomes", "Assessments completed, by outcome", 4, "assessment_authorised_date",
                  ASSESSMENT_OUTCOMES, assessment_outcome,
                  "Assessments authorised in the month by whether the child was assessed as needing "
                  "children's social care services (Annex A List 4)."),
        Breakdown("s47_outcomes", "Section 47 enquiries, by outcome", 5, "s47_start_date", S47_OUTCOMES,
                  s47_outcome,
                  "Section 47 enquiries started in the month by what followed (Annex A List 5); recent "
                  "enquiries may still be awaiting their conference."),
    )
}  # fmt: skip


def check_breakdowns(catalogue: Catalogue, source: str) -> None:
    """ParamsError naming ``source`` (the catalogue file), the area and the key for every name under
    ``breakdowns:`` that is not one of :data:`BREAKDOWNS`, listing the known breakdowns."""
    problems = [
        f"{source}: key 'breakdowns.{area}': '{name}' is not an Annex A breakdown"
        for area, names in catalogue.breakdowns.items()
        for name in names
        if name not in BREAKDOWNS
    ]
    if problems:
        raise ParamsError("\n".join([*problems, f"known breakdowns: {', '.join(BREAKDOWNS)}"]))


def compute_breakdowns(
    lists: dict[int, pd.DataFrame], authority: Authority, first_month: int, last_month: int
) -> pd.DataFrame:
    """Counts per breakdown, category, month and org unit for the months covered (``COLUMNS``)."""
    chains = org_chains(authority)
    top = authority.org_units.name
    mapping = pd.DataFrame([(t, o) for t, chain in chains.items() for o in chain], columns=["team", "org_unit"])
    parts = []
    for b in BREAKDOWNS.values():
        frame = lists.get(b.list_number)
        if frame is None:
            continue
        dates = pd.to_datetime(frame[b.date])
        period = dates.dt.year * 12 + dates.dt.month - 1
        keep = period.between(first_month, last_month)
        rows = frame[keep]
        has_teams = "allocated_team" in rows.columns
        team = rows["allocated_team"].where(rows["allocated_team"].isin(chains), top) if has_teams else top
        counted = (
            pd.DataFrame({"category": b.categorise(rows).to_numpy(), "period": period[keep].astype(int), "team": team})
            .merge(mapping, on="team")
            .groupby(["category", "period", "org_unit"])
            .size()
        )
        units = list(chains) if has_teams else [top]
        grid = pd.MultiIndex.from_product(
            [list(b.categories), range(first_month, last_month + 1), units], names=["category", "period", "org_unit"]
        )
        full = counted.reindex(grid, fill_value=0).rename("count").reset_index()
        parts.append(full.assign(breakdown=b.id))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    return out.astype({"period": int, "count": int})
