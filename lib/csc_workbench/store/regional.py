"""The regional store: what each council of a region gives it, and nothing more.

A regional store is a store like a council's (:class:`~csc_workbench.store.atoms.Store`): vintaged
monthly atoms, read latest first. Its org units are the region's councils: each council's
contribution is its authority's atoms under the council's name (and, where the region agrees,
its areas' atoms under "council: area"), stored as one vintage of kind :data:`CONTRIBUTION` with
the council's name as its source and the council's own data-as-at date. Atoms are aggregates (a
numerator and a denominator per indicator, month, cohort and window); no child-level row, team or
worker ever crosses a council's boundary. Small counts are kept exact here (the region's own
figures are pooled from them) and suppressed in what the region shows.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from csc_workbench.config import Params
from csc_workbench.store.atoms import ATOM_COLUMNS, Store

#: The kind of a council's vintage in the regional store.
CONTRIBUTION = "council contribution"


def area_label(council: str, area: str) -> str:
    """An area's org unit in the regional store: "Ashcombe: North"."""
    return f"{council}: {area}"


def council_contribution(
    store: Store, params: Params, council: str, share_areas: bool, first_month: int, last_month: int
) -> pd.DataFrame:
    """The atoms a council gives its region for the months ``first_month`` to ``last_month``: its
    authority's latest atoms with the council's name as their org unit (its areas' too, under
    :func:`area_label`, when ``share_areas``); the atom columns only."""
    authority = params.authority.org_units
    names = {authority.name: council}
    if share_areas:
        names |= {area.name: area_label(council, area.name) for area in authority.children if area.level == "area"}
    atoms = store.latest(None, list(names), None, first_month, last_month)[ATOM_COLUMNS].copy()
    atoms["org_unit"] = atoms["org_unit"].map(names)
    return atoms.reset_index(drop=True)


def contribute(regional: Store, council: str, atoms: pd.DataFrame, as_at: date | None, params: Params) -> int:
    """Store a council's contribution as a new vintage of the regional store (whole or not at all),
    as at the date the council's data is as at (None: the end of its latest month); its vintage
    number."""
    return regional.add_vintage(atoms, source=council, kind=CONTRIBUTION, as_at=as_at, catalogue=params.catalogue)
