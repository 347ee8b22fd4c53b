"""Breakdown counts from Annex A lists worked by hand: categories, months, team roll-up, every
category present (zero, not missing), and the store keeps the latest vintage whole."""

from __future__ import annotations

import pandas as pd
import pytest

from csc_workbench.assess.breakdowns import breakdown_table
from csc_workbench.config import Params
from csc_workbench.config.errors import ParamsError
from csc_workbench.measures.breakdowns import (
    BREAKDOWNS,
    NOT_RECORDED,
    check_breakdowns,
    compute_breakdowns,
    s47_outcome,
    source_heading,
)
from csc_workbench.periods import parse_month
from csc_workbench.present.area_page import AreaPage
from csc_workbench.present.items import Text, flatten

from ..conftest import make_atoms

MAR, APR = parse_month("2017-03"), parse_month("2017-04")


def _lists() -> dict[int, pd.DataFrame]:
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2017-03-31", "2017-04-01", "2017-04-30", "2017-04-15", "2017-05-01"]),
            "contact_source": ["q) 6: Police", "q) 6: Police", "e) 2A: Schools", None, "q) 6: Police"],
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_date": pd.to_datetime(["2017-04-03", "2017-04-04", "2017-04-05", "2017-03-09"]),
            "referral_source": ["g) 3A: Health services", "h) 3B: Health services", "q) 6: Police", "q) 6: Police"],
            "allocated_team": ["North Team", "North Team", "Nowhere Team", "North Team"],
        }
    )
    return {1: contacts, 3: referrals}


def test_sources_group_under_dfe_headings() -> None:
    values = pd.Series(["q) 6: Police", "1B: Individual", "p1) 5D: LA services", None, "rubbish"])
    assert source_heading(values).tolist() == ["Police", "Individual", "LA services", NOT_RECORDED, NOT_RECORDED]


def test_counts_by_month_team_and_roll_up(small_params) -> None:
    counts = compute_breakdowns(_lists(), small_params.authority, MAR, APR)
    key = counts.set_index(["breakdown", "category", "period", "org_unit"])["count"]
    # contacts (no team): authority only; the 1 May contact is outside the months covered
    assert key[("contacts_by_source", "Police", APR, "Testshire")] == 1
    assert key[("contacts_by_source", "Police", MAR, "Testshire")] == 1
    assert key[("contacts_by_source", "Schools", APR, "Testshire")] == 1
    assert key[("contacts_by_source", NOT_RECORDED, APR, "Testshire")] == 1
    assert key[("contacts_by_source", "Housing", APR, "Testshire")] == 0  # present, zero
    assert set(counts.loc[counts["breakdown"] == "contacts_by_source", "org_unit"]) == {"Testshire"}
    # referrals: the team, its area and the authority; an unknown team counts for the authority alone
    assert key[("referrals_by_source", "Health services", APR, "North Team")] == 2
    assert key[("referrals_by_source", "Health services", APR, "North")] == 2
    assert key[("referrals_by_source", "Police", APR, "North")] == 0
    assert key[("referrals_by_source", "Police", APR, "Testshire")] == 1
    assert key[("referrals_by_source", "Police", MAR, "North")] == 1
    units = set(small_params.authority.org_unit_names)
    per_cell = counts[counts["breakdown"] == "referrals_by_source"].groupby(["period", "org_unit"]).size()
    assert set(per_cell.index.get_level_values(1)) == units
    assert (per_cell == len(BREAKDOWNS["referrals_by_source"].categories)).all()


def test_s47_outcomes() -> None:
    frame = pd.DataFrame(
        {
            "icpc_unnecessary": ["b) No", "b) No", "a) Yes", None, "b) No"],
            "icpc_date": pd.to_datetime(["2017-04-20", "2017-04-20", None, None, "2017-04-21"]),
            "icpc_outcome_cpp": ["a) Yes", "b) No", None, None, None],
        }
    )
    assert s47_outcome(frame).tolist() == [
        "ICPC held: child protection plan", "ICPC held: no plan", "ICPC not needed", "No ICPC yet or not recorded",
        "ICPC held: outcome not recorded",
    ]  # fmt: skip


def test_store_keeps_each_month_whole_from_its_latest_vintage(small_params, store) -> None:
    first = compute_breakdowns(_lists(), small_params.authority, MAR, APR)
    atoms = make_atoms([("referrals", "2017-04", "Testshire", "all", "month", None, None, 3)])
    store.add_vintage(atoms, "first", "annex_a", breakdowns=first)
    lists = _lists()
    lists[1] = lists[1].iloc[:1]  # a reload: only the March police contact
    second = compute_breakdowns(lists, small_params.authority, MAR, MAR)
    store.add_vintage(atoms, "second", "annex_a", breakdowns=second)
    read = store.breakdowns(["contacts_by_source"], ["Testshire"], MAR, APR).set_index(["category", "period"])
    assert read.loc[("Police", MAR), "vintage"] == 2 and read.loc[("Police", MAR), "count"] == 1
    assert read.loc[("Police", APR), "vintage"] == 1 and read.loc[("Schools", APR), "count"] == 1

    table = breakdown_table(read.reset_index(), "contacts_by_source", APR)
    assert table.set_index("category").loc["Police", "month"] == 1
    assert table["r12m"].isna().all()  # the store lacks most of the 12 months: not a partial sum

    catalogue = small_params.catalogue.model_copy(update={"breakdowns": {"front_door": ["contacts_by_source"]}})
    params = Params(catalogue, small_params.authority, small_params.folder)
    items = flatten(AreaPage(store, params, "front_door", APR, "North").breakdowns())
    assert [i.markdown for i in items if isinstance(i, Text)][2] == (
        "Recorded for Testshire only: the list it comes from has no allocated team."  # contacts have no team
    )
    assert AreaPage(store, params, "children_in_care", APR).breakdowns() is None  # none listed for the area


def test_an_unknown_breakdown_in_the_catalogue_is_named_with_the_known_ones(small_params) -> None:
    catalogue = small_params.catalogue.model_copy(update={"breakdowns": {"front_door": ["contacts_by_star_sign"]}})
    with pytest.raises(ParamsError) as raised:
        check_breakdowns(catalogue, "catalogue.yml")
    assert str(raised.value).splitlines() == [
        "catalogue.yml: key 'breakdowns.front_door': 'contacts_by_star_sign' is not an Annex A breakdown",
        f"known breakdowns: {', '.join(BREAKDOWNS)}",
    ]
    check_breakdowns(small_params.catalogue.model_copy(update={"breakdowns": {"front_door": list(BREAKDOWNS)}}), "x")
