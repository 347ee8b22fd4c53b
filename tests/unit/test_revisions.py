"""The revisions page: the figures of earlier months that changed since the previous month's pack
(the store as at the end of the month before against the store as at the end of the pack's month),
each rated then and now as the scorecard rates it, with the loads it came from in words."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from csc_workbench.assess.revisions import COLUMNS, revisions_from_atoms, revisions_since_previous_month
from csc_workbench.periods import parse_month
from csc_workbench.present import revisions as page
from csc_workbench.present.items import Html, Text
from csc_workbench.present.revisions import changes_by_area, rating_changes, revisions_summary, vintage_words
from csc_workbench.store import Store

from ..conftest import make_atoms, monthly_rows

MAR17, APR17 = parse_month("2017-03"), parse_month("2017-04")
UNITS = ["Testshire", "North", "North Team", "South"]


def _rereferrals(march_numerator: int) -> list[tuple]:
    """Twelve months of re-referrals to Mar 2017, 25 of 100 a month but March (rated on R12M)."""
    return monthly_rows("rereferrals", "Testshire", [25] * 11 + [march_numerator], [100] * 12, last="2017-03")


#: As loaded at the end of March: the previous month's pack (April's) read these.
MARCH = [
    ("return_interviews", "2017-03", "Testshire", "all", "month", 80, 100, None),  # amber; green later
    ("return_interviews", "2017-02", "Testshire", "all", "month", 90, 100, None),  # unchanged
    ("return_interviews", "2017-03", "Testshire", "excl_uasc", "month", 70, 90, None),  # another cohort
    ("referrals", "2017-03", "Testshire", "all", "month", 120, None, None),  # a count, not rated
    ("placed_20mi", "2017-03", "North", "excl_uasc", "snapshot", 40, 50, None),  # green; unavailable later
    *_rereferrals(25),  # R12M 25%: green; 26.25% (amber) later
]
#: As loaded at the end of April: the April pack reads these.
APRIL = [
    ("return_interviews", "2017-03", "Testshire", "all", "month", 86, 100, None),
    ("return_interviews", "2017-02", "Testshire", "all", "month", 90, 100, None),
    ("return_interviews", "2017-03", "Testshire", "excl_uasc", "month", 75, 90, None),
    ("referrals", "2017-03", "Testshire", "all", "month", 125, None, None),
    ("placed_20mi", "2017-03", "North", "excl_uasc", "snapshot", None, None, None, "List 8 could not be used"),
    *_rereferrals(40),
    ("referrals", "2017-01", "Testshire", "all", "month", 100, None, None),  # not there before: added
    ("return_interviews", "2017-04", "Testshire", "all", "month", 60, 100, None),  # the pack's own month
]


@pytest.fixture
def revised(store: Store, small_params) -> Store:
    store.add_vintage(make_atoms(MARCH), "data/march/extract.csv", "annex_a", as_at=date(2017, 3, 31))
    store.add_vintage(make_atoms(APRIL), "data/april/extract.csv", "annex_a", as_at=date(2017, 4, 30))
    later = [("return_interviews", "2017-03", "Testshire", "all", "month", 50, 100, None)]
    store.add_vintage(make_atoms(later), "data/may/extract.csv", "annex_a", as_at=date(2017, 5, 31))
    return store


def test_atoms_as_of_reads_each_figure_as_it_stood_on_a_date(revised: Store) -> None:
    def march_return_interviews(as_at: date) -> list:
        atoms = revised.atoms_as_of(as_at, ["return_interviews"], ["Testshire"], ["all"], MAR17)
        return atoms.loc[atoms["period"] == MAR17, ["numerator", "vintage"]].values.tolist()

    assert march_return_interviews(date(2017, 3, 31)) == [[80, 1]]
    assert march_return_interviews(date(2017, 4, 30)) == [[86, 2]]
    assert march_return_interviews(date(2017, 6, 30)) == [[50, 3]]
    assert march_return_interviews(date(2017, 2, 28)) == []
    # an older-dated load made later counts from its as-at date, and as the latest load from then on
    late = [("return_interviews", "2017-03", "Testshire", "all", "month", 81, 100, None)]
    revised.add_vintage(make_atoms(late), "data/march/resent.csv", "annex_a", as_at=date(2017, 3, 31))
    assert march_return_interviews(date(2017, 3, 31)) == [[81, 4]]
    assert march_return_interviews(date(2017, 4, 30)) == [[81, 4]]
    assert march_return_interviews(date(2017, 6, 30)) == [[81, 4]]


def test_revisions_list_each_changed_figure_with_its_rating_then_and_now(revised: Store, small_params) -> None:
    revisions = revisions_since_previous_month(revised, small_params, "2017-04", UNITS)
    assert (revisions.previous_as_at, revisions.as_at) == (date(2017, 3, 31), date(2017, 4, 30))
    changes = revisions.changes
    assert list(changes.columns) == COLUMNS
    # catalogue order (front door, then children in care); unchanged, other-cohort and April figures left out
    assert changes[["indicator", "org_unit", "month"]].values.tolist() == [
        ["rereferrals", "Testshire", "2017-03"],
        ["referrals", "Testshire", "2017-03"],
        ["return_interviews", "Testshire", "2017-03"],
        ["placed_20mi", "North", "2017-03"],
    ]
    rows = changes.set_index("indicator")
    assert rows.loc["return_interviews", ["old_value", "new_value", "change"]].tolist() == [80, 86, 6]
    assert rows.loc["return_interviews", ["old_rag", "new_rag", "rating_changed"]].tolist() == ["amber", "green", True]
    assert rows.loc["referrals", ["old_value", "new_value", "old_rag", "new_rag"]].tolist() == [120, 125, None, None]
    assert not rows.loc["referrals", "rating_changed"]
    unavailable = rows.loc["placed_20mi"]  # measured on its own cohort
    assert unavailable["cohort"] == "excl_uasc" and unavailable["old_value"] == 80 and math.isnan(unavailable["change"])
    assert unavailable["new_note"] == "Mar 2017 not available: List 8 could not be used"
    assert (unavailable["old_rag"], unavailable["new_rag"], unavailable["rating_changed"]) == ("green", None, True)
    rolling = rows.loc["rereferrals"]  # the month's figure changed; the rolling 12 months is rated
    assert (rolling["window"], rolling["rated_window"]) == ("month", "r12m")
    assert (rolling["old_value"], rolling["new_value"]) == (25, 40)
    assert rolling["old_rated_value"] == pytest.approx(25) and rolling["new_rated_value"] == pytest.approx(26.25)
    assert (rolling["old_rag"], rolling["new_rag"]) == ("green", "amber")
    assert set(changes["old_vintage"]) == {1} and set(changes["new_vintage"]) == {2}
    assert revisions.added == 1  # January's referrals, new in April's load
    assert revisions.vintages[["vintage", "kind"]].values.tolist() == [[1, "annex_a"], [2, "annex_a"]]


def test_the_previous_pack_is_fixed_by_the_store_so_the_page_can_be_made_again(revised: Store, small_params) -> None:
    """March's pack compares February's data (none) with March's: nothing changed, figures added."""
    march = revisions_since_previous_month(revised, small_params, "2017-03", UNITS)
    assert march.changes.empty and march.added == 12  # February's figures, first loaded in March
    assert "No figure for months before Mar 2017" in revisions_summary(march, small_params).markdown
    assert rating_changes(march, small_params) is None and changes_by_area(march, small_params) is None


def test_a_month_the_authority_marks_unavailable_shows_no_change(small_params) -> None:
    before = make_atoms([("referrals", "2017-03", "Testshire", "all", "month", 120, None, None)]).assign(vintage=1)
    now = make_atoms([("referrals", "2017-03", "Testshire", "all", "month", 125, None, None)]).assign(vintage=2)
    changes, added = revisions_from_atoms(before, now, small_params.catalogue, ["Testshire"])
    assert len(changes) == 1 and added == 0
    gaps = {("*", MAR17): "System migration"}
    changes, _ = revisions_from_atoms(before, now, small_params.catalogue, ["Testshire"], gaps=gaps)
    assert changes.empty


def test_a_load_is_described_for_a_reader() -> None:
    loaded = datetime(2017, 5, 3, 9, 14, 52)
    assert vintage_words("annex_a", date(2017, 4, 30), loaded) == (
        "Annex A extract as at 30 Apr 2017, loaded 3 May 2017 09:14"
    )
    assert vintage_words("aggregates", date(2017, 3, 31), loaded).startswith("Aggregate figures as at 31 Mar 2017")


def test_the_page_says_what_changed_and_shows_it_by_area(revised: Store, small_params) -> None:
    revisions = revisions_since_previous_month(revised, small_params, "2017-04", UNITS)
    summary = revisions_summary(revisions, small_params).markdown
    assert "4 figures for months before Apr 2017 (Testshire and 3 org units within it) changed" in summary
    assert "in 4 indicators; 3 ratings changed" in summary
    assert "31 Mar 2017" in summary and "30 Apr 2017" in summary
    assert "1 figure for months before Apr 2017 is in this month's data for the first time" in summary

    heading, table = rating_changes(revisions, small_params)
    assert heading.markdown == "## Ratings that changed"
    ratings = table.html
    assert "<caption" in ratings and ratings.count('scope="col"') == 10 and ratings.count('scope="row"') == 3
    assert "Number of referrals" not in ratings  # its rating did not change
    assert 'title="Amber">Amber</td>' in ratings and 'title="Green">Green</td>' in ratings  # words, not colour alone
    assert "80.0% (80 / 100)" in ratings and "86.0% (86 / 100)" in ratings and "+6.0 points" in ratings
    assert "Mar 2017, in month" in ratings and "Not available" in ratings
    assert "Rated on the rolling 12 months figure: 25.0% before, 26.2% now." in ratings
    assert "Annex A extract as at 31 Mar 2017, loaded " in ratings and "Annex A extract as at 30 Apr 2017" in ratings

    items = changes_by_area(revisions, small_params)
    headings = [i.markdown for i in items if isinstance(i, Text)]
    tables = [i.html for i in items if isinstance(i, Html)]
    assert headings == ["## Changed figures by area", "### Front door", "### Children in care"]
    front_door = tables[0]
    assert "Front door: figures changed since last month&#x27;s pack" in front_door
    assert "<td" in front_door and ">125<" in front_door and ">+5<" in front_door
    assert front_door.count("Rating changed.") == 1  # re-referrals, highlighted in words too
    everything = "".join(tables) + ratings + summary
    assert "data/" not in everything and ".csv" not in everything  # loads in words, never their files
    assert "return_interviews" not in everything and "2017-03" not in everything


def test_a_long_list_keeps_the_weightiest_figures_and_says_how_many_more(
    store: Store, small_params, monkeypatch
) -> None:
    def counts(add: int) -> list[tuple]:
        return [
            ("referrals", f"2017-0{m}", org, "all", "month", 10 * m + add, None, None)
            for org in ("North Team", "North") for m in (1, 2, 3)
        ]  # fmt: skip

    store.add_vintage(make_atoms(counts(0)), "march", "annex_a", as_at=date(2017, 3, 31))
    store.add_vintage(make_atoms(counts(1)), "april", "annex_a", as_at=date(2017, 4, 30))
    monkeypatch.setattr(page, "MAX_ROWS", 4)
    revisions = revisions_since_previous_month(store, small_params, APR17, ["North", "North Team"])
    assert len(revisions.changes) == 6
    table = changes_by_area(revisions, small_params)[2].html
    assert "And 2 more changed figures, not listed to keep the page short" in table
    # the area's three months and the team's latest, in the page's order
    assert table.count(">North<") == 3 and table.count(">North Team<") == 1 and "Mar 2017, in month" in table
    assert table.index(">North<") < table.index(">North Team<")
