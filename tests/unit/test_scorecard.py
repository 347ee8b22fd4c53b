"""The scorecard table: columns, ratings, small denominators, arrows and windows."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from csc_workbench.assess.scorecard import COLUMNS, rag_counts, scorecard, scorecard_from_atoms
from csc_workbench.cli import main
from csc_workbench.ingest.aggregates import ingest_aggregates
from csc_workbench.periods import parse_month

from ..conftest import make_atoms, monthly_rows

APR17 = parse_month("2017-04")


def test_scorecard_columns_ratings_and_windows(small_params) -> None:
    # return interviews: in-month, high is better, target 85 (75 red edge)
    nums = [80] * 21 + [70, 90, 74]  # Feb, Mar, Apr 2017
    rows = monthly_rows("return_interviews", "Testshire", nums, [100] * 24)
    rows += monthly_rows("return_interviews", "North", [3, 3], [4, 4])  # denominator 4: not rated
    rows += [("cic_open", "2017-04", "Testshire", "all", "snapshot", 500, None, 500)]
    frame = scorecard_from_atoms(make_atoms(rows), small_params.catalogue, APR17, ["Testshire", "North"])
    assert list(frame.columns[: len(COLUMNS)]) == COLUMNS
    # only scorecard indicators, every org unit, catalogue order
    assert frame["indicator"].unique().tolist() == [i.id for i in small_params.catalogue.indicators]
    row = frame.set_index(["indicator", "org_unit"]).loc[("return_interviews", "Testshire")]
    assert row["value"] == 74 and row["rag"] == "red" and row["target"] == 85
    assert row["previous_value"] == 90 and row["dot_previous"] == "worse"
    assert row["year_ago_value"] == 80 and row["dot_year_ago"] == "worse"
    assert row["r3m_value"] == pytest.approx(78.0) and row["r3m_rag"] == "amber"
    assert row["ytd_value"] == 74  # April is the first month of the financial year
    assert row["move_previous"] == "down"
    assert row["dot_previous_label"] == "decline in performance, not on target"
    small = frame.set_index(["indicator", "org_unit"]).loc[("return_interviews", "North")]
    assert small["value"] == 75 and small["rag"] is None and bool(small["small_denominator"])
    assert "denominator 4 is under 5" in small["note"]
    missing = frame.set_index(["indicator", "org_unit"]).loc[("rereferrals", "Testshire")]
    assert (
        math.isnan(missing["value"])
        and missing["rag"] is None
        and missing["note"] == "no usable monthly figure for 2016-05, 2016-06, 2016-07 ..."
    )
    assert rag_counts(frame) == {"green": 0, "amber": 0, "red": 1}


def test_caution_flag_for_denominators_1_to_9_but_rating_from_5(small_params) -> None:
    rows = monthly_rows("return_interviews", "North", [9], [9])
    frame = scorecard_from_atoms(make_atoms(rows), small_params.catalogue, APR17, ["North"])
    row = frame.set_index("indicator").loc["return_interviews"]
    assert row["rag"] == "green" and bool(row["small_denominator"])


def test_cli_ingest_and_scorecard(tmp_path: Path, small_params, capsys) -> None:
    path = tmp_path / "extract.csv"
    path.write_text(
        "indicator,period,org_unit,window,numerator,denominator,value\n"
        "rereferrals,2017-04,Testshire,r12m,3635,16125,\n"
        "rereferrals,2017-03,Testshire,r12m,,,23.4\n"
        "rereferrals,2016-04,Testshire,r12m,,,21.7\n"
    )
    store = tmp_path / "store.duckdb"
    params = str(Path(__file__).parent.parent / "fixtures" / "small")
    assert main(["ingest", "aggregates", str(path), "--params", params, "--store", str(store)]) == 0
    assert "3 atoms stored as vintage 1" in capsys.readouterr().out
    assert main(["scorecard", "--month", "2017-04", "--params", params, "--store", str(store), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("rereferrals,"))
    assert (
        ",22.54" in line and ",amber," in line
    )  # 2017-18 target 22, amber to 27 and ",improved," in line and ",worse," in line
    assert main(["scorecard", "--month", "2017-04", "--params", params, "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "22.5%" in table and "GREEN 0  AMBER 1  RED 0" in table
    bad = main(["scorecard", "--month", "2017-04", "--org-unit", "Atlantis", "--params", params, "--store", str(store)])
    assert bad == 2
    assert "unknown org unit 'Atlantis'" in capsys.readouterr().err


def test_scorecard_reads_only_the_latest_vintage(tmp_path: Path, small_params, store) -> None:
    first = tmp_path / "a.csv"
    first.write_text("indicator,period,org_unit,value\ncic_open,2017-04,Testshire,500\n")
    second = tmp_path / "b.csv"
    second.write_text("indicator,period,org_unit,value\ncic_open,2017-04,Testshire,510\n")
    ingest_aggregates(first, small_params, store)
    ingest_aggregates(second, small_params, store)
    assert store.latest()["value"].tolist() == [510]
    frame = scorecard(store, small_params, "2017-04")
    assert frame.set_index("indicator").loc["cic_open", "value"] == 510
    with pytest.raises(KeyError, match="unknown cohort"):
        scorecard(store, small_params, "2017-04", cohort="teens")
