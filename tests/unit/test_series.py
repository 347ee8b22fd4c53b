"""The series an area page shows (13-month and annual tables, org units side by side) and their HTML,
and which notebook serves each area of a catalogue."""

from __future__ import annotations

import math

from csc_workbench.assess import series
from csc_workbench.config import load_params
from csc_workbench.pack.run import GENERIC_AREA, area_notebook
from csc_workbench.periods import month_text, parse_month
from csc_workbench.present import html_tables

from ..conftest import ROOT, make_atoms, monthly_rows


def _months(first: str, count: int) -> list[str]:
    start = parse_month(first)
    return [month_text(start + k) for k in range(count)]


def test_every_area_has_its_own_notebook_or_the_generic_one() -> None:
    notebooks = ROOT / "notebooks"
    for area in load_params(ROOT / "params").catalogue.areas:  # the standard catalogue: one notebook each
        assert area_notebook(area, notebooks) == area
    for area in load_params(ROOT / "params" / "examples" / "kent").catalogue.areas:
        expected = area if (notebooks / f"{area}.ipynb").exists() else GENERIC_AREA
        assert area_notebook(area, notebooks) == expected
    assert area_notebook("referral_assessment", notebooks) == GENERIC_AREA
    assert (notebooks / f"{GENERIC_AREA}.ipynb").exists()


def test_thirteen_month_table_rolling_headline_with_in_month_values(small_params, store) -> None:
    months = _months("2016-04", 24)  # April 2016 to March 2018
    rows = [("rereferrals", m, "Testshire", "all", "month", 1 + k % 2, 4, None) for k, m in enumerate(months)]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = series.thirteen_month_table(store, small_params, "rereferrals", "2018-03", "Testshire")
    assert list(table.columns) == [
        "month", "numerator", "denominator", "value", "in_month_numerator", "in_month_denominator", "in_month",
        "rag", "target", "note",
    ]  # fmt: skip
    assert list(table["month"]) == months[-13:]
    # the rolling year's numerator and denominator: 18 of 48 (the 12 months' 1s and 2s over 4s)
    assert (table["numerator"].iloc[-1], table["denominator"].iloc[-1]) == (18, 48)
    # the month's own numerator and denominator are the month's atoms
    assert list(table["in_month_numerator"]) == [1 + k % 2 for k in range(11, 24)]
    assert (table["in_month_denominator"] == 4).all()
    assert table["in_month"].iloc[-1] == 50.0 and table["in_month"].iloc[-2] == 25.0  # 2/4, then 1/4
    assert math.isclose(table["value"].iloc[-1], 100 * 18 / 48)  # the rolling year: 18 of 48
    assert table["rag"].iloc[-1] == "red" and table["target"].iloc[-1] == 22
    assert (table["note"] == "").all()

    text = html_tables.thirteen_month_table_html(table, small_params.catalogue["rereferrals"])
    assert text.startswith("<table") and text.count("<tr>") == 14  # header and 13 months
    assert "In month" in text and "Rolling 12 months" in text and "Mar 2018" in text
    assert "37.5%" in text and "50.0%" in text and 'class="rag-red"' in text
    assert ">Numerator (rolling 12 months)<" in text and ">Denominator (rolling 12 months)<" in text
    assert ">Numerator (in month)<" in text and ">Denominator (in month)<" in text
    last_row = text.split("<tr>")[-1]
    assert "<td" in last_row and ">2<" in last_row and ">4<" in last_row and ">18<" in last_row and ">48<" in last_row


def test_thirteen_month_table_in_month_headline_and_gaps(small_params, store) -> None:
    months = _months("2017-03", 13)
    rows = [("return_interviews", m, "Testshire", "all", "month", 9, 10, None) for m in months[1:]]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = series.thirteen_month_table(store, small_params, "return_interviews", "2018-03", "Testshire")
    assert table["in_month"].isna().all()  # the headline is already the month's own value
    assert list(table["numerator"].iloc[1:]) == [9] * 12 and list(table["denominator"].iloc[1:]) == [10] * 12
    assert math.isnan(table["numerator"].iloc[0])  # no atom, no numerator
    assert math.isnan(table["value"].iloc[0]) and table["note"].iloc[0] != ""
    assert table["value"].iloc[-1] == 90.0 and table["rag"].iloc[-1] == "green"

    text = html_tables.thirteen_month_table_html(table, small_params.catalogue["return_interviews"])
    assert "In month" not in text and ">Value<" in text and ">-<" in text
    assert ">9<" in text and ">10<" in text  # this month's numerator and denominator


def test_numerators_and_denominators_are_the_atoms_month_by_month(small_params, store) -> None:
    months = _months("2016-04", 24)
    rows = [("rereferrals", m, "Testshire", "all", "month", 3 + k, 10 + 2 * k, None) for k, m in enumerate(months)]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = series.thirteen_month_table(store, small_params, "rereferrals", "2018-03", "Testshire")
    atoms = store.latest(["rereferrals"], ["Testshire"], ["all"]).set_index("period")
    for r in table.to_dict("records"):
        p = parse_month(r["month"])
        assert r["in_month_numerator"] == atoms.loc[p, "numerator"]
        assert r["in_month_denominator"] == atoms.loc[p, "denominator"]
        year = atoms.loc[p - 11 : p]
        assert r["numerator"] == year["numerator"].sum() and r["denominator"] == year["denominator"].sum()
        assert math.isclose(r["value"], 100 * r["numerator"] / r["denominator"])


def test_annual_trend_table_three_years_and_the_year_to_date(small_params, store) -> None:
    months = _months("2014-04", 48)  # April 2014 to March 2018
    rows = [("rereferrals", m, "Testshire", "all", "month", 1, 4, None) for m in months]
    rows += [("rereferrals", "2018-04", "Testshire", "all", "month", 3, 4, None)]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    annual = series.annual_trend_table(store, small_params, "rereferrals", "2018-04", "Testshire")
    assert list(annual["year"]) == ["2015-16", "2016-17", "2017-18", "2018-19 YTD"]
    assert list(annual["numerator"]) == [12, 12, 12, 3] and list(annual["denominator"]) == [48, 48, 48, 4]
    assert list(annual["value"]) == [25.0, 25.0, 25.0, 75.0] and (annual["note"] == "").all()
    text = html_tables.annual_trend_html(annual, small_params.catalogue["rereferrals"])
    assert text.startswith('<table class="cscw-annual"') and text.count("<tr>") == 5 and "2018-19 YTD" in text


def test_quartile_of_a_value_follows_the_polarity() -> None:
    from csc_workbench.benchmarks.compute import quartile_of

    assert [quartile_of(v, 10.0, 20.0, 30.0, "low") for v in (5, 10, 15, 25, 31)] == [1, 1, 2, 3, 4]
    assert [quartile_of(v, 10.0, 20.0, 30.0, "high") for v in (5, 10, 15, 25, 30)] == [4, 3, 3, 2, 1]
    assert quartile_of(15, 10.0, 20.0, 30.0, "none") is None and quartile_of(None, 10.0, 20.0, 30.0, "low") is None
    assert quartile_of(15, None, 20.0, 30.0, "low") is None


def test_commentary_is_the_analysts_or_a_labelled_draft() -> None:
    mine = html_tables.commentary_html("Rose after a **screening change**.", "78.3%, down 2.6 points")
    assert "<strong>screening change</strong>" in mine and html_tables.DRAFTED_LABEL not in mine
    drafted = html_tables.commentary_html(None, "78.3%, down 2.6 points on last month")
    assert html_tables.DRAFTED_LABEL in drafted and "78.3%, down 2.6 points on last month" in drafted
    assert drafted.startswith("<div") and "cscw-drafted" in drafted
    assert "No result this month." in html_tables.commentary_html(None, None)


def test_small_multiples_input_one_row_per_org_unit_and_month(small_params, store) -> None:
    rows = monthly_rows("return_interviews", "North", [9] * 13, [10] * 13, last="2018-03")
    rows += monthly_rows("return_interviews", "South", [5] * 12, [10] * 12, last="2018-03")
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    frame = series.org_trends(store, small_params, "return_interviews", "2018-03", ["North", "South"])
    assert len(frame) == 26 and list(dict.fromkeys(frame["org_unit"])) == ["North", "South"]
    north, south = frame[frame["org_unit"] == "North"], frame[frame["org_unit"] == "South"]
    assert (north["value"] == 90.0).all() and (north["rag"] == "green").all()
    assert math.isnan(south["value"].iloc[0]) and (south["value"].iloc[1:] == 50.0).all()
    assert series.teams_below(small_params, "Testshire") == series.teams_below(small_params, "North") == ["North Team"]
    assert series.teams_below(small_params, "North Team") == []


def test_the_cohort_difference_agrees_with_the_two_figures_printed(small_params) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        [{"indicator": "return_interviews", "title": "t", "value": 84.26, "other_value": 80.14,
          "difference": 84.26 - 80.14, "note": ""}]
    )  # fmt: skip
    text = html_tables.cohort_impact_html(frame, small_params, "all", "all")
    assert ">84.3%<" in text and ">80.1%<" in text and ">+4.2<" in text  # 84.3 - 80.1, not 4.12 -> 4.1


def test_a_monitored_measure_has_no_rag_or_target_columns(small_params, store) -> None:
    rows = [
        ("referrals", m, "Testshire", "all", "month", None, None, 100 + k) for k, m in enumerate(_months("2017-03", 13))
    ]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = series.thirteen_month_table(store, small_params, "referrals", "2018-03", "Testshire")
    text = html_tables.thirteen_month_table_html(table, small_params.catalogue["referrals"])
    assert ">RAG<" not in text and ">Target<" not in text and ">Note<" in text and ">112<" in text
    rated = html_tables.thirteen_month_table_html(
        series.thirteen_month_table(store, small_params, "return_interviews", "2018-03", "Testshire"),
        small_params.catalogue["return_interviews"],
    )
    assert ">RAG<" in rated and ">Target<" in rated
