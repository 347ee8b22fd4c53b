"""Measures from child records, against answers worked out by hand.

Each test builds a few Annex A records, computes atoms and checks numerators and denominators
that are worked out in the comments, including the edge cases: a referral on either side of 12
months, working days across Easter and Christmas, a child moving team mid-month, a UASC child
turning 18 and a plan open exactly 2 years.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
import yaml

from csc_workbench.config import load_params
from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.config.errors import ParamsError
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.measures.annex_a import compute_atoms
from csc_workbench.periods import parse_month

from ..conftest import FIXTURES, ROOT

CATALOGUE = load_catalogue(ROOT / "params" / "catalogue.yml")
AUTHORITY = load_params(FIXTURES / "small").authority  # Testshire > North > North Team; South


def make_list(number: int, rows: list[dict]) -> pd.DataFrame:
    """A typed list frame as the reader returns it: every spec key, dates as datetimes."""
    spec = LISTS[number]
    frame = pd.DataFrame(rows, columns=list(spec.keys))
    for column in spec.columns:
        if column.kind == "date":
            frame[column.key] = pd.to_datetime(frame[column.key], format="%d/%m/%Y")
        elif column.kind in ("integer", "number"):
            frame[column.key] = pd.to_numeric(frame[column.key]).astype("Float64")
        else:
            frame[column.key] = frame[column.key].astype(object).where(frame[column.key].notna(), None)
    return frame


def atoms_for(lists: dict[int, list[dict]], as_at: str, first: str) -> pd.DataFrame:
    frames = {n: make_list(n, rows) for n, rows in lists.items()}
    run = compute_atoms(frames, AUTHORITY, CATALOGUE, pd.Timestamp(as_at), parse_month(first))
    return run.atoms


def atom(atoms: pd.DataFrame, indicator: str, month: str, org: str = "Testshire", cohort: str = "all") -> tuple:
    row = atoms[
        (atoms["indicator"] == indicator)
        & (atoms["period"] == parse_month(month))
        & (atoms["org_unit"] == org)
        & (atoms["cohort"] == cohort)
    ]
    assert len(row) == 1, (indicator, month, org, cohort, len(row))
    num, den = row.iloc[0]["numerator"], row.iloc[0]["denominator"]
    return num, (None if den is None or (isinstance(den, float) and math.isnan(den)) else den)


def referral(child: str, date: str, team: str = "North Team", **extra) -> dict:
    return {"child_id": child, "referral_date": date, "allocated_team": team, "referral_nfa": "b) No"} | extra


def test_rereferral_on_either_side_of_12_months() -> None:
    """A: referred 10/01/2024 and 10/01/2025, the same date a year on: a re-referral.
    B: 10/01/2024 and 11/01/2025, a year and a day: not. C: once only."""
    atoms = atoms_for(
        {
            3: [
                referral("A", "10/01/2024"),
                referral("A", "10/01/2025"),
                referral("B", "10/01/2024"),
                referral("B", "11/01/2025"),
                referral("C", "20/01/2025", team="South", referral_nfa="a) Yes"),
            ]
        },
        "31/01/2025",
        "2024-01",
    )
    assert atom(atoms, "rereferrals_12m", "2025-01") == (1, 3)
    assert atom(atoms, "rereferrals_12m", "2025-01", "North") == (1, 2)
    assert atom(atoms, "rereferrals_12m", "2025-01", "South") == (0, 1)
    assert atom(atoms, "referrals", "2025-01") == (3, None)
    assert atom(atoms, "referrals", "2024-06") == (0, None)  # a month with none is 0, not missing
    assert atom(atoms, "referrals_nfa", "2025-01") == (1, 3)
    # the rate divides by the population of the org unit that has one
    populated = atoms[(atoms["indicator"] == "referral_rate_per_10k")]
    assert set(populated["org_unit"]) == set()  # the small authority states no population


def test_assessment_timeliness_across_easter_and_christmas() -> None:
    """Referral Wed 01/04/2026. Working days after it skip Good Friday 03/04, Easter Monday 06/04,
    4 May and 25 May bank holidays: the 45th working day is Tue 09/06/2026 (without the holidays
    it would be 03/06). Authorised 09/06 is in time, 10/06 is the 46th day: late.
    Referral Mon 22/12/2025, authorised Mon 29/12/2025: Christmas Day and Boxing Day skipped, 3 days."""
    atoms = atoms_for(
        {
            3: [referral("A", "01/04/2026"), referral("B", "01/04/2026"), referral("C", "22/12/2025")],
            4: [
                {"child_id": "A", "assessment_start_date": "02/04/2026", "assessment_authorised_date": "09/06/2026",
                 "child_seen": "a) Yes", "allocated_team": "North Team"},
                {"child_id": "B", "assessment_start_date": "01/04/2026", "assessment_authorised_date": "10/06/2026",
                 "child_seen": "b) No", "allocated_team": "North Team"},
                {"child_id": "C", "assessment_start_date": "22/12/2025", "assessment_authorised_date": "29/12/2025",
                 "child_seen": "a) Yes", "allocated_team": "South"},
            ],
        },
        "30/06/2026",
        "2025-12",
    )  # fmt: skip
    assert atom(atoms, "assessments_45wd", "2026-06") == (1, 2)
    assert atom(atoms, "assessments_45wd", "2025-12") == (1, 1)
    assert atom(atoms, "assessments_child_seen", "2026-06") == (1, 2)
    assert atom(atoms, "assessments_started", "2026-04") == (2, None)
    assert atom(atoms, "assessments_completed", "2026-06") == (2, None)
    assert atom(atoms, "referrals_to_assessment", "2026-04") == (2, 2)


def test_icpc_within_15_working_days_over_christmas() -> None:
    """S47 started Mon 15/12/2025: 15 working days, skipping 25, 26 December and 1 January, ends
    Thu 08/01/2026. An ICPC that day is in time; on Fri 09/01 it is not."""
    s47 = [
        {"child_id": "A", "s47_start_date": "15/12/2025", "icpc_date": "08/01/2026", "icpc_outcome_cpp": "a) Yes",
         "allocated_team": "North Team"},
        {"child_id": "B", "s47_start_date": "15/12/2025", "icpc_date": "09/01/2026", "icpc_outcome_cpp": "b) No",
         "allocated_team": "North Team"},
        {"child_id": "C", "s47_start_date": "16/12/2025", "allocated_team": "South"},
    ]  # fmt: skip
    atoms = atoms_for({5: s47}, "31/01/2026", "2025-12")
    assert atom(atoms, "icpc_15wd", "2026-01") == (1, 2)
    assert atom(atoms, "icpc_to_plan", "2026-01") == (1, 2)
    assert atom(atoms, "s47_started", "2025-12") == (3, None)
    assert atom(atoms, "icpc_held", "2025-12") == (0, None)


def test_child_moving_team_mid_month() -> None:
    """One CIN episode in North Team to 15/03/2025, a new one in South from that day: at the end of
    February the child counts in North Team (and North), at the end of March in South."""
    cin = [
        {"child_id": "A", "cin_start_date": "01/01/2025", "cin_closure_date": "15/03/2025",
         "allocated_team": "North Team", "allocated_worker": "W1", "date_last_seen": "10/03/2025"},
        {"child_id": "A", "cin_start_date": "15/03/2025", "allocated_team": "South", "allocated_worker": "W2",
         "date_last_seen": "20/03/2025"},
        {"child_id": "B", "cin_start_date": "01/02/2025", "allocated_team": "South", "date_last_seen": "01/02/2025"},
    ]  # fmt: skip
    atoms = atoms_for({6: cin}, "31/03/2025", "2025-01")
    assert atom(atoms, "cin_open", "2025-02", "North Team") == (1, None)
    assert atom(atoms, "cin_open", "2025-02", "South") == (1, None)
    assert atom(atoms, "cin_open", "2025-03", "North Team") == (0, None)
    assert atom(atoms, "cin_open", "2025-03", "South") == (2, None)
    assert atom(atoms, "cin_open", "2025-03") == (2, None)
    # status at 31/03/2025: A seen 11 days before, B 58 days before; B has no worker
    assert atom(atoms, "cin_seen_28d", "2025-03") == (1, 2)
    assert atom(atoms, "unallocated_cases", "2025-03") == (1, None)
    assert atoms[atoms["indicator"] == "cin_seen_28d"]["period"].unique().tolist() == [parse_month("2025-03")]


def test_uasc_child_turning_18() -> None:
    """A UASC child in care from 01/06/2024 turns 18 and leaves care on 10/03/2025 (E17), then
    appears on the care leavers list. In care at the end of February, gone at the end of March;
    the ceasing counts for all children, not excluding UASC."""
    cic = [
        {"child_id": "U", "uasc": "a) Yes", "date_of_birth": "10/03/2007", "cic_start_date": "01/06/2024",
         "cic_end_date": "10/03/2025", "cic_end_reason": "v) E17: Aged 18+ and remained with current carers",
         "allocated_team": "North Team"},
        {"child_id": "K", "uasc": "b) No", "date_of_birth": "01/01/2015", "cic_start_date": "01/01/2020",
         "cic_end_date": "20/03/2025", "cic_end_reason": "a) E11: Adopted - application unopposed",
         "allocated_team": "North Team"},
    ]  # fmt: skip
    leavers = [{"child_id": "U", "uasc": "a) Yes", "in_touch": "a) Yes", "allocated_team": "South"}]
    atoms = atoms_for({8: cic, 9: leavers}, "31/03/2025", "2025-01")
    assert atom(atoms, "cic_open", "2025-02") == (2, None)
    assert atom(atoms, "cic_open", "2025-02", cohort="excl_uasc") == (1, None)
    assert atom(atoms, "cic_uasc_open", "2025-02") == (1, None)
    assert atom(atoms, "cic_uasc_open", "2025-03") == (0, None)
    assert atom(atoms, "cic_ceased", "2025-03") == (2, None)
    assert atom(atoms, "cic_ceased", "2025-03", cohort="excl_uasc") == (1, None)
    assert atom(atoms, "cic_ceased_adopted", "2025-03", cohort="excl_uasc") == (1, 1)
    assert atom(atoms, "adoption_ceased_share", "2025-03") == (1, 2)
    assert atom(atoms, "care_leavers_in_touch", "2025-03") == (1, 1)
    assert atom(atoms, "care_leavers_in_touch", "2025-03", cohort="excl_uasc") == (0, 0)


def test_plan_open_exactly_two_years() -> None:
    """Started 30/04/2023: two years old on 30/04/2025, so counted at the end of April 2025, not March.
    A second plan started 01/11/2023 is 18 months old at the end of April 2025 only after 01/05/2025."""
    cpp = [
        {"child_id": "A", "cpp_start_date": "30/04/2023", "previous_cpp_count": 1, "allocated_team": "North Team",
         "latest_review_date": "01/03/2025", "last_statutory_visit_date": "25/04/2025"},
        {"child_id": "B", "cpp_start_date": "01/11/2023", "cpp_end_date": "15/05/2025", "previous_cpp_count": 0,
         "allocated_team": "South", "latest_review_date": "01/09/2024", "last_statutory_visit_date": "01/03/2025"},
    ]  # fmt: skip
    atoms = atoms_for({7: cpp}, "30/04/2025", "2025-03")
    assert atom(atoms, "cp_plans_2y_plus", "2025-03") == (0, 2)
    assert atom(atoms, "cp_plans_2y_plus", "2025-04") == (1, 2)
    assert atom(atoms, "cp_plans_18m_plus", "2025-04") == (1, 2)  # B reaches 18 months on 01/05/2025
    assert atom(atoms, "cp_plans_open", "2025-04") == (2, None)
    # reviews: A due 01/09/2025 (in time); B due 01/03/2025 (overdue). Visits: A 3 working days ago; B 40.
    assert atom(atoms, "cp_reviews_timely", "2025-04") == (1, 2)
    assert atom(atoms, "cp_visits_timely", "2025-04") == (1, 2)


def test_children_in_care_status_measures() -> None:
    """At 31/10/2026: A (aged 12, in care since 2020, same placement since 2021, visited 10 days ago,
    health and dental 6 months ago, 1 placement, reviewed 2 months ago) meets every standard.
    B (aged 3, in care since 2024, health 7 months ago: late for an under-5; dental none; 3 placements;
    reviewed 8 months ago; went missing twice, not offered a return interview) meets none."""
    cic = [
        {"child_id": "A", "date_of_birth": "01/01/2014", "cic_start_date": "01/01/2020",
         "placement_start_date": "01/01/2021", "last_visit_date": "21/10/2026",
         "last_health_assessment_date": "30/04/2026", "last_dental_check_date": "30/04/2026",
         "placements_last_12m": 1, "latest_review_date": "31/08/2026", "missing_episodes": 0,
         "placement_type": "a) U1: Foster placement - relatives - long term",
         "placement_provider": "e) PR4: Private provision", "allocated_team": "North Team"},
        {"child_id": "B", "date_of_birth": "01/01/2023", "cic_start_date": "01/02/2024",
         "placement_start_date": "01/09/2026", "last_visit_date": "01/08/2026",
         "last_health_assessment_date": "31/03/2026", "placements_last_12m": 3,
         "latest_review_date": "28/02/2026", "missing_episodes": 2, "return_interview_offered": "b) No",
         "placement_type": "f) U6: Foster placement - not FFA",
         "placement_provider": "e) PR4: Private provision", "allocated_team": "North Team"},
    ]  # fmt: skip
    atoms = atoms_for({8: cic}, "31/10/2026", "2026-10")
    assert atom(atoms, "cic_visits_timely", "2026-10") == (1, 2)
    assert atom(atoms, "cic_health_timely", "2026-10") == (1, 2)
    assert atom(atoms, "cic_dental_timely", "2026-10") == (1, 2)
    assert atom(atoms, "cic_3plus_placements", "2026-10") == (1, 2)
    assert atom(atoms, "cic_reviews_timely", "2026-10") == (1, 2)
    assert atom(atoms, "cic_same_placement_2y", "2026-10") == (1, 2)  # B: 2 years 9 months in care, placed 09/2026
    assert atom(atoms, "cic_inhouse_foster", "2026-10", cohort="excl_uasc") == (1, 2)  # A with relatives
    assert atom(atoms, "cic_missing", "2026-10") == (1, None)
    assert atom(atoms, "cic_missing_episodes", "2026-10") == (2, None)
    assert atom(atoms, "return_interviews_offered", "2026-10") == (0, 1)


def test_adoption_timeliness() -> None:
    """A: entered care 01/01/2025, decision 01/04/2025 (within 4 months), placement order 01/06/2025,
    matched 01/08/2025 (61 days), placed 01/09/2025 (243 days after entering care), adopted 15/12/2025.
    B: entered 01/01/2024, decision 02/05/2024 (over 4 months), order 01/07/2024, matched 30/09/2024
    (91 days), placed 01/10/2024 (274 days), adopted 10/12/2025."""
    adoption = [
        {"child_id": "A", "cic_entered_care_date": "01/01/2025", "adoption_decision_date": "01/04/2025",
         "placement_order_date": "01/06/2025", "matched_date": "01/08/2025",
         "placed_for_adoption_date": "01/09/2025", "adoption_order_date": "15/12/2025"},
        {"child_id": "B", "cic_entered_care_date": "01/01/2024", "adoption_decision_date": "02/05/2024",
         "placement_order_date": "01/07/2024", "matched_date": "30/09/2024",
         "placed_for_adoption_date": "01/10/2024", "adoption_order_date": "10/12/2025"},
    ]  # fmt: skip
    atoms = atoms_for({10: adoption}, "31/12/2025", "2024-01")
    assert atom(atoms, "adoptions", "2025-12") == (2, None)
    assert atom(atoms, "adoption_a1_days", "2025-12") == (243 + 274, 2)
    assert atom(atoms, "adoption_a2_days", "2025-12") == (61 + 91, 2)
    assert atom(atoms, "adoption_plan_4m", "2025-04") == (1, 1)
    assert atom(atoms, "adoption_plan_4m", "2024-05") == (0, 1)
    assert atom(atoms, "adoption_12m_of_decision", "2025-09") == (1, 1)


def test_measures_needing_a_missing_list_are_skipped_and_said() -> None:
    frames = {3: make_list(3, [referral("A", "10/01/2025")])}
    run = compute_atoms(frames, AUTHORITY, CATALOGUE, pd.Timestamp("2025-01-31"), parse_month("2025-01"))
    assert run.skipped["contacts_to_referral"] == "needs List 1"
    assert run.skipped["cic_open"] == "needs List 8"
    assert "referrals" in run.computed
    assert run.skipped["referral_rate_per_10k"] == "no org unit has a population in authority.yml"
    assert set(run.atoms["indicator"]) == set(run.computed)


@pytest.mark.parametrize("team", [None, "Adoption Team (not in authority.yml)"])
def test_records_without_a_known_team_count_at_authority_level_only(team) -> None:
    frames = {3: make_list(3, [referral("A", "10/01/2025", team=team)])}
    run = compute_atoms(frames, AUTHORITY, CATALOGUE, pd.Timestamp("2025-01-31"), parse_month("2025-01"))
    assert atom(run.atoms, "referrals", "2025-01") == (1, None)
    assert atom(run.atoms, "referrals", "2025-01", "North") == (0, None)
    assert any("counted at authority level only" in note for note in run.notes)


def test_rates_use_the_ons_population_of_a_real_authority() -> None:
    """Kent (E10000016, 886): 355,390 children aged 0-17 in the ONS mid-2024 estimate; 350,198 mid-2023."""
    from csc_workbench.reference import population_0_17

    assert population_0_17("E10000016", 2025) == (355390, 2024)
    assert population_0_17("886", 2023) == (350198, 2023)
    assert population_0_17("E99999999", 2024) is None
    kent = AUTHORITY.model_copy(update={"la_code_new": "E10000016"})
    frames = {3: make_list(3, [referral("A", "10/01/2025"), referral("B", "11/01/2025")])}
    run = compute_atoms(frames, kent, CATALOGUE, pd.Timestamp("2025-01-31"), parse_month("2025-01"))
    assert atom(run.atoms, "referral_rate_per_10k", "2025-01") == (2, 355390)
    assert any("ONS mid-2024 estimate of 355,390" in note for note in run.notes)


# --- which measures a run can compute -------------------------------------------------------------------------------


def run_for(lists: dict[int, list[dict]], as_at: str = "2025-01-31", first: str = "2025-01", **options):
    frames = {n: make_list(n, rows) for n, rows in lists.items()}
    return compute_atoms(frames, AUTHORITY, CATALOGUE, pd.Timestamp(as_at), parse_month(first), **options)


def test_a_missing_column_stops_only_the_measures_that_need_it() -> None:
    """List 3 without "Referral NFA?": the NFA share stops; referrals, their rate and re-referrals do not."""
    columns = {3: frozenset(LISTS[3].keys) - {"referral_nfa"}}
    run = run_for({3: [referral("A", "10/01/2025")]}, columns=columns)
    assert run.skipped["referrals_nfa"] == "needs the 'Referral NFA?' column of List 3"
    others = {k: v for k, v in run.skipped.items() if k != "referrals_nfa"}
    assert others.pop("referral_rate_per_10k") == "no org unit has a population in authority.yml"
    assert all(why.startswith("needs List ") and "List 3" not in why for why in others.values())
    assert run.stopped[(3, "referral_nfa")] == ["referrals_nfa"]
    assert {"referrals", "rereferrals_12m"} <= set(run.computed) and "referrals_nfa" not in run.computed
    assert atom(run.atoms, "referrals", "2025-01") == (1, None)


def test_a_column_blank_on_every_row_counts_as_not_supplied_unless_a_blank_says_something() -> None:
    """Nobody has a "Date Child Was Last Seen": seen within 28 days cannot be told. No CIN episode has closed and no
    worker is allocated: both blanks are information, so the open cases and the unallocated cases are counted."""
    cin = [{"child_id": "A", "cin_start_date": "01/01/2025", "allocated_team": "North Team"}]
    blank = {6: frozenset({"date_last_seen", "cin_closure_date", "allocated_worker"})}
    run = run_for({6: cin}, blank_columns=blank)
    reason = "needs the 'Date Child Was Last Seen' column of List 6, which is blank on every row"
    assert run.skipped["cin_seen_28d"] == reason
    assert atom(run.atoms, "cin_open", "2025-01") == (1, None)
    assert atom(run.atoms, "unallocated_cases", "2025-01") == (1, None)


def test_an_empty_list_makes_its_indicators_not_available_never_zero() -> None:
    """List 8 with no rows: its indicators are stored for the as-at month with the reason and no figure; List 3's
    months with no referrals (a usable list) stay 0."""
    run = run_for({3: [referral("A", "10/01/2025")], 8: []}, first="2024-12")
    assert run.unavailable["cic_open"] == "List 8 (Children in care) has no rows"
    assert run.stopped[(8, None)][:2] == ["cic_open", "cic_uasc_open"]
    gaps = run.atoms[run.atoms["indicator"] == "cic_open"]
    assert set(gaps["period"]) == {parse_month("2025-01")} and set(gaps["cohort"]) == {"all", "excl_uasc"}
    assert set(gaps["org_unit"]) == {"Testshire", "North", "North Team", "South"}
    assert gaps["unavailable_reason"].eq("List 8 (Children in care) has no rows").all()
    assert gaps[["numerator", "denominator", "value"]].isna().all(axis=None)
    assert "cic_open" not in run.computed and "referrals" in run.computed
    assert atom(run.atoms, "referrals", "2024-12") == (0, None)


def test_an_empty_list_the_analyst_confirms_counts_zero() -> None:
    run = run_for({3: [referral("A", "10/01/2025")], 8: []}, empty_is_zero=[8])
    assert "cic_open" in run.computed and not run.unavailable
    assert atom(run.atoms, "cic_open", "2025-01") == (0, None)
    assert atom(run.atoms, "cic_3plus_placements", "2025-01", "North") == (0, 0)


def test_a_list_said_to_give_no_figures_makes_every_indicator_it_feeds_not_available() -> None:
    """contacts_to_referral counts List 1 but needs List 3 too."""
    reason = "List 3 (Referrals): 9 of its 10 rows excluded"
    run = run_for({1: [], 3: [referral("A", "10/01/2025")]}, unavailable={3: reason}, empty_is_zero=[1])
    assert run.unavailable["contacts_to_referral"] == reason and run.unavailable["referrals"] == reason
    assert "contacts" in run.computed
    assert run.atoms.loc[run.atoms["indicator"] == "referrals", "unavailable_reason"].eq(reason).all()


def test_without_the_uasc_column_only_the_all_children_cohort_is_computed() -> None:
    cic = [{"child_id": "A", "cic_start_date": "01/06/2024", "allocated_team": "North Team"}]
    columns = {8: frozenset(LISTS[8].keys) - {"uasc"}}
    run = run_for({8: cic}, columns=columns)
    uasc = "needs the 'Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)' column of List 8"
    assert run.skipped["cic_open (excl_uasc)"] == uasc
    assert run.skipped["cic_uasc_open"] == uasc
    assert run.skipped["cic_inhouse_foster (excl_uasc)"] == uasc  # measured on excl_uasc alone: nothing left
    assert "cic_inhouse_foster" not in run.computed
    assert atom(run.atoms, "cic_open", "2025-01") == (1, None)
    assert run.atoms[run.atoms["indicator"] == "cic_open"]["cohort"].unique().tolist() == ["all"]


def test_indicators_sharing_a_measure_compute_its_records_once(monkeypatch) -> None:
    """referrals (a count) and referral_rate_per_10k (a rate) both use the measure "referrals"."""
    from csc_workbench.measures import annex_a

    calls = []
    measure = annex_a.MEASURES["referrals"]

    def counted(ctx):
        calls.append(1)
        return measure.records(ctx)

    monkeypatch.setitem(annex_a.MEASURES, "referrals", dataclasses.replace(measure, records=counted))
    kent = AUTHORITY.model_copy(update={"la_code_new": "E10000016"})  # a population for the rate
    frames = {3: make_list(3, [referral("A", "10/01/2025")])}
    run = compute_atoms(frames, kent, CATALOGUE, pd.Timestamp("2025-01-31"), parse_month("2025-01"))
    assert {"referrals", "referral_rate_per_10k"} <= set(run.computed)
    assert len(calls) == 1
    assert atom(run.atoms, "referral_rate_per_10k", "2025-01") == (1, 355390)


def test_a_catalogue_names_the_measures_and_the_unit_decides_the_value(tmp_path) -> None:
    """A council's own ids: its "Kids in care" uses the measure cic_open; indicators without a measure (from
    aggregates) are left alone; an unknown measure is refused naming the indicator and the key."""
    data = {
        "name": "Tiny",
        "areas": {"care": "Care"},
        "cohorts": {"all": "All", "excl_uasc": "Excluding UASC"},
        "indicators": [
            {"id": "kids_in_care", "area": "care", "title": "Kids in care", "polarity": "none", "unit": "count",
             "period": "snapshot", "measure": "cic_open"},
            {"id": "caseload", "area": "care", "title": "Caseload", "polarity": "none", "unit": "average",
             "period": "snapshot"},
            {"id": "placement_moves", "area": "care", "title": "Moves", "polarity": "none", "unit": "count",
             "period": "snapshot", "measure": "cic_open", "cohort": "excl_uasc"},
        ],
    }  # fmt: skip
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(data))
    catalogue = load_catalogue(path)
    cic = [{"child_id": "A", "uasc": "a) Yes", "cic_start_date": "01/06/2024", "allocated_team": "North Team"}]
    frames = {8: make_list(8, cic)}
    run = compute_atoms(frames, AUTHORITY, catalogue, pd.Timestamp("2025-01-31"), parse_month("2025-01"))
    assert run.computed == ["kids_in_care", "placement_moves"] and run.skipped == {}
    assert atom(run.atoms, "kids_in_care", "2025-01") == (1, None)
    assert atom(run.atoms, "placement_moves", "2025-01", cohort="excl_uasc") == (0, None)
    data["indicators"][1]["measure"] = "caseloads"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(
        ParamsError, match=r"indicator 'caseload': key 'measure': 'caseloads' is not an Annex A measure"
    ):
        compute_atoms(frames, AUTHORITY, load_catalogue(path), pd.Timestamp("2025-01-31"), parse_month("2025-01"))


def test_docs_measures_lists_every_measure_with_its_needs() -> None:
    """docs/measures.md's table: one row per measure, in order, with the columns it needs."""
    from csc_workbench.measures.annex_a import MEASURES

    rows = [line.split(" | ") for line in (ROOT / "docs" / "measures.md").read_text().splitlines()]
    table = {row[0].lstrip("| "): row for row in rows if len(row) == 6 and not row[0].startswith("|---")}
    table.pop("measure")
    assert list(table) == list(MEASURES)
    for name, measure in MEASURES.items():
        assert table[name][1] == ", ".join(str(n) for n in measure.needs)
        assert all(key in table[name][3] for keys in measure.needs.values() for key in keys), name
