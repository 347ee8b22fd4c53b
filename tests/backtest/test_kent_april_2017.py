"""Backtest: the engine against Kent's published April 2017 county scorecard (seed 001).

``kent_2017_04.csv`` transcribes the report's figures as an aggregate input; ``..._printed.csv``
what it prints (values, RAG, arrows). The engine must reproduce every rating the seed's stated
bands determine, the arrows, the rolling-3-month ratings and the RAG counts. Where the print
disagrees with its own rule, the disagreement is named below and asserted to be exactly that:
the rule is never bent to match the print.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from csc_workbench.assess.scorecard import rag_counts, scorecard
from csc_workbench.config import load_params
from csc_workbench.ingest.aggregates import ingest_aggregates
from csc_workbench.periods import parse_month
from csc_workbench.store import Store

from ..conftest import ROOT

HERE = Path(__file__).parent
KENT = ROOT / "params" / "examples" / "kent"
APRIL_2017 = parse_month("2017-04")
LETTER = {"green": "G", "amber": "A", "red": "R", None: None}
ARROW = {"improved": "up", "worse": "down", "same": "same", None: None}

#: Indicators whose 2017-18 bands the seeds state in words (seed 001 exception pages, seed 000).
STATED = {
    "unallocated_cases",
    "return_interviews_3wd",
    "placement_meetings_5wd",
    "adoption_plan_4m",
    "caseload_cswt",
    "cin_with_plan",
}

#: Arrows the print gets wrong by its own rule ("green arrow: performance has improved").
DOT_DISAGREEMENTS = {
    # 74.7% against 62.5% a year before, higher is better: improved; printed down.
    ("return_interviews_3wd", "year_ago"): "down",
    # 844/844 = 100.0% against 100.0%: no change, which Kent shows with an amber arrow, not down.
    ("cp_reviews_timely", "previous"): "down",
}

#: Ratings under bands the seeds do not state (catalogue: source "assumed: ..."), where the one
#: documented convention (green at the target, red 15 points or 22.2% beyond it) and the print
#: differ: (indicator, org unit, cohort, column) -> (engine, printed). They show that Kent's real
#: bands are narrower for these indicators (3+ placements red from about 13%, dental checks red
#: from about 80%, placement stability red below about 63-65%); the convention is not tuned to hide it.
ASSUMED_BAND_DISAGREEMENTS: dict[tuple[str, str, str, str], tuple[str, str]] = {
    # polarity T, 19.35% against 17.5%: outside the assumed +/-10% green tolerance; printed green
    ("cp_second_subsequent", "Kent", "all", "rag"): ("A", "G"),
    ("cic_3plus_placements", "North Kent", "all", "rag"): ("A", "R"),  # 13.3%
    ("cic_3plus_placements", "North Kent", "excl_uasc", "rag"): ("A", "R"),  # 14.5%
    ("cic_3plus_placements", "South Kent", "all", "rag"): ("A", "R"),  # 17.8%
    ("cic_3plus_placements", "South Kent", "excl_uasc", "rag"): ("A", "R"),  # 18.2%
    ("cic_dental_timely", "East Kent", "all", "rag"): ("A", "R"),  # 79.8%
    ("cic_dental_timely", "East Kent", "excl_uasc", "rag"): ("A", "R"),  # 80.5%
    ("cic_same_placement_2y", "South Kent", "all", "rag"): ("A", "R"),  # 62.5%
    ("cic_same_placement_2y", "South Kent", "excl_uasc", "rag"): ("A", "R"),  # 62.7%
}


@pytest.fixture(scope="module")
def kent(tmp_path_factory) -> tuple:
    params = load_params(KENT)
    store = Store(tmp_path_factory.mktemp("kent") / "store.duckdb")
    ingest_aggregates(HERE / "kent_2017_04.csv", params, store)
    printed = pd.read_csv(HERE / "kent_2017_04_printed.csv", dtype={"row": "Int64"})
    return params, store, printed


@pytest.fixture(scope="module")
def county(kent) -> pd.DataFrame:
    params, store, _ = kent
    return scorecard(store, params, "2017-04").set_index("indicator")


def test_the_data_is_as_at_the_end_of_april_2017(kent) -> None:
    _, store, _ = kent
    assert store.data_as_at(APRIL_2017) == date(2017, 4, 30)
    assert store.vintages()["as_at"].dt.date.tolist() == [date(2017, 4, 30)]


def band_source(params, indicator: str) -> str:
    entry = params.catalogue[indicator].targets_for(APRIL_2017)
    return (getattr(entry.rag, "source", None) or "") if entry and entry.rag else ""


def scorecard_rows(printed: pd.DataFrame) -> pd.DataFrame:
    return printed[printed["row"].notna()].set_index("indicator")


def test_the_transcription_is_the_whole_scorecard(kent) -> None:
    params, _, printed = kent
    rows = scorecard_rows(printed)
    assert len(rows) == 43
    assert list(rows.index) == [i.id for i in params.catalogue.indicators if i.scorecard]
    assert rows["printed_rag"].value_counts().to_dict() == {"G": 19, "A": 19, "R": 5}  # the printed foot


def test_the_catalogue_states_exactly_the_seed_bands(kent) -> None:
    params, _, _ = kent
    stated = {i.id for i in params.catalogue.indicators if band_source(params, i.id).startswith("stated")}
    assert stated == STATED
    assumed = {i.id for i in params.catalogue.indicators if band_source(params, i.id).startswith("assumed")}
    assert assumed == {i.id for i in params.catalogue.indicators if i.scorecard} - STATED


def test_values_reproduce_the_print(kent, county) -> None:
    _, _, printed = kent
    for indicator, row in scorecard_rows(printed).iterrows():
        assert f"{county.loc[indicator, 'value']:.1f}" == f"{row['printed_value']:.1f}", indicator


def test_stated_bands_reproduce_every_printed_rating(kent, county) -> None:
    _, _, printed = kent
    rows = scorecard_rows(printed)
    for indicator in sorted(STATED):
        assert LETTER[county.loc[indicator, "rag"]] == rows.loc[indicator, "printed_rag"], indicator
        if pd.notna(rows.loc[indicator, "printed_r3m_rag"]):
            assert LETTER[county.loc[indicator, "r3m_rag"]] == rows.loc[indicator, "printed_r3m_rag"], indicator


def test_green_means_the_target_is_met(kent, county) -> None:
    """Kent's guidance: 'G: performance has met the target'. Holds for every H/L indicator."""
    params, _, printed = kent
    for indicator, row in scorecard_rows(printed).iterrows():
        ind = params.catalogue[indicator]
        if ind.polarity.value not in ("high", "low"):
            continue
        value, target = county.loc[indicator, "value"], county.loc[indicator, "target"]
        met = value >= target if ind.polarity.value == "high" else value <= target
        assert met == (row["printed_rag"] == "G"), indicator


def test_assumed_bands_disagree_with_print_only_where_named(kent, county) -> None:
    _, _, printed = kent
    found = {}
    for indicator, row in scorecard_rows(printed).iterrows():
        if indicator in STATED:
            continue
        for column, printed_column in (("rag", "printed_rag"), ("r3m_rag", "printed_r3m_rag")):
            if pd.isna(row[printed_column]):
                continue
            engine = LETTER[county.loc[indicator, column]]
            if engine != row[printed_column]:
                found[(indicator, "Kent", "all", column)] = (engine, row[printed_column])
    assert found == {k: v for k, v in ASSUMED_BAND_DISAGREEMENTS.items() if k[1:3] == ("Kent", "all")}


def test_direction_of_travel_one_month_and_one_year(kent, county) -> None:
    _, _, printed = kent
    disagreements = {}
    compared = 0
    for indicator, row in scorecard_rows(printed).iterrows():
        for slot, column in (("previous", "dot_previous"), ("year_ago", "dot_year_ago")):
            arrow = row[f"printed_dot_{slot.replace('previous', 'prev')}"]
            if pd.isna(arrow):
                continue
            compared += 1
            if ARROW[county.loc[indicator, column]] != arrow:
                disagreements[(indicator, slot)] = arrow
    assert compared == 85  # 43 one-month arrows, 42 one-year (indicator 20 is new)
    assert disagreements == DOT_DISAGREEMENTS


def test_rag_counts(kent, county) -> None:
    """19 green, 19 amber, 5 red, as printed under the scorecard (less any named disagreement)."""
    counts = rag_counts(county.reset_index())
    expected = {"green": 19, "amber": 19, "red": 5}
    for (_, org, cohort, column), (engine, printed) in ASSUMED_BAND_DISAGREEMENTS.items():
        if (org, cohort, column) == ("Kent", "all", "rag"):
            expected[{"G": "green", "A": "amber", "R": "red"}[printed]] -= 1
            expected[{"G": "green", "A": "amber", "R": "red"}[engine]] += 1
    assert counts == expected


def test_uasc_impact_table(kent) -> None:
    """Including and excluding UASC, county and four areas: values and ratings as printed."""
    params, store, printed = kent
    impact = printed[printed["row"].isna()]
    assert len(impact) > 80
    mismatched = {}
    for cohort, part in impact.groupby("cohort"):
        frame = scorecard(store, params, "2017-04", sorted(part["org_unit"].unique()), cohort)
        frame = frame.set_index(["indicator", "org_unit"])
        for row in part.itertuples():
            engine = frame.loc[(row.indicator, row.org_unit)]
            assert f"{engine['value']:.1f}" == f"{row.printed_value:.1f}", row
            if LETTER[engine["rag"]] != row.printed_rag:
                mismatched[(row.indicator, row.org_unit, cohort, "rag")] = (LETTER[engine["rag"]], row.printed_rag)
    stated = {k: v for k, v in mismatched.items() if k[0] in STATED}
    assert stated == {}
    assert mismatched == {k: v for k, v in ASSUMED_BAND_DISAGREEMENTS.items() if k[1:3] != ("Kent", "all")}
