"""The scorecard table: columns, ratings, small denominators, arrows and windows."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from csc_workbench.assess.scorecard import COLUMNS, r3m_comparable, rag_counts, scorecard, scorecard_from_atoms
from csc_workbench.cli import main
from csc_workbench.ingest.aggregates import ingest_aggregates
from csc_workbench.periods import parse_month
from csc_workbench.present.tables import format_scorecard

from ..conftest import FIXTURES, make_atoms, monthly_rows

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
        and missing["note"] == "no figure for May 2016, Jun 2016, Jul 2016 and 9 more months"
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


def test_a_rolling_3_months_is_rated_only_where_it_compares_with_the_target(small_params) -> None:
    """Section 47 enquiries per 10,000 over 3 months are a quarter of the yearly rate the target is
    set for: shown, not rated; a percentage's rolling 3 months is rated."""
    catalogue = small_params.catalogue
    assert r3m_comparable(catalogue["return_interviews"]) and r3m_comparable(catalogue["cic_rate"])
    assert not r3m_comparable(catalogue["s47_rate"]) and not r3m_comparable(catalogue["referrals"])
    rows = monthly_rows("s47_rate", "Testshire", [40] * 24, [100_000] * 24)
    rows += monthly_rows("return_interviews", "Testshire", [80] * 24, [100] * 24)
    frame = scorecard_from_atoms(make_atoms(rows), catalogue, APR17, ["Testshire"]).set_index("indicator")
    assert frame.loc["s47_rate", "r3m_value"] == pytest.approx(12.0) and frame.loc["s47_rate", "r3m_rag"] is None
    assert frame.loc["s47_rate", "rag"] is not None  # the rolling year is rated against its target
    assert frame.loc["return_interviews", "r3m_rag"] is not None


def test_targets_per_org_unit_level(small_params, tmp_path) -> None:
    """A target set for the authority alone leaves areas unrated with the reason; a named org unit
    or a level can have a target of its own (the named org unit wins)."""
    import yaml

    from csc_workbench.config.catalogue import load_catalogue

    raw = yaml.safe_load((FIXTURES / "small" / "catalogue.yml").read_text())
    entry = next(i for i in raw["indicators"] if i["id"] == "return_interviews")
    year = entry["targets"][next(iter(entry["targets"]))]
    year["levels"] = ["authority"]
    year["other_targets"] = {"South": {"target": 70, "rag": {"style": "thresholds", "red": "< 60",
                                                             "amber": "60 <= x < 70", "green": ">= 70"}}}  # fmt: skip
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    catalogue = load_catalogue(path)
    rows = []
    for org in ("Testshire", "North", "South"):
        rows += monthly_rows("return_interviews", org, [74] * 24, [100] * 24)
    levels = {"Testshire": "authority", "North": "area", "South": "area"}
    frame = scorecard_from_atoms(make_atoms(rows), catalogue, APR17, list(levels), levels=levels)
    frame = frame[frame["indicator"] == "return_interviews"].set_index("org_unit")
    assert frame.loc["Testshire", "rag"] == "red" and frame.loc["Testshire", "target"] == 85
    assert frame.loc["North", "rag"] is None and math.isnan(frame.loc["North", "target"])
    assert frame.loc["North", "note"] == "no target is set for areas"
    assert frame.loc["South", "rag"] == "green" and frame.loc["South", "target"] == 70
    shown = format_scorecard(frame.reset_index()).set_index("org_unit")
    assert shown.loc["North", "rag"] == "-" and shown.loc["North", "target"] == "-"  # no RAG beside an empty target
