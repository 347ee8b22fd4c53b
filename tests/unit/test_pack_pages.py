"""The pure helpers of the area pages: the 13-month table and the indicators each area shows."""

from __future__ import annotations

import math

from csc_workbench.config import load_params
from csc_workbench.pack import pages
from csc_workbench.pack.run import AREA_NOTEBOOKS
from csc_workbench.periods import month_text, parse_month

from ..conftest import ROOT, make_atoms


def _months(first: str, count: int) -> list[str]:
    start = parse_month(first)
    return [month_text(start + k) for k in range(count)]


def test_area_indicators_belong_to_their_area_and_every_area_has_a_notebook() -> None:
    params = load_params(ROOT / "params")
    assert set(pages.AREA_INDICATORS) == set(params.catalogue.areas) == set(AREA_NOTEBOOKS)
    for area, ids in pages.AREA_INDICATORS.items():
        assert 3 <= len(ids) <= 5, area
        for indicator in ids:
            ind = params.catalogue[indicator]
            assert ind.area == area and ind.scorecard, indicator
            assert (ROOT / "notebooks" / f"{AREA_NOTEBOOKS[area]}.ipynb").exists()


def test_thirteen_month_table_rolling_headline_with_in_month_values(small_params, store) -> None:
    months = _months("2016-04", 24)  # April 2016 to March 2018
    rows = [("rereferrals", m, "Testshire", "all", "month", 1 + k % 2, 4, None) for k, m in enumerate(months)]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = pages.thirteen_month_table(store, small_params, "rereferrals", "2018-03", "Testshire")
    assert list(table.columns) == ["month", "in_month", "numerator", "denominator", "value", "rag", "target", "note"]
    assert list(table["month"]) == months[-13:]
    # the rolling year's numerator and denominator: 18 of 48 (the 12 months' 1s and 2s over 4s)
    assert (table["numerator"].iloc[-1], table["denominator"].iloc[-1]) == (18, 48)
    assert table["in_month"].iloc[-1] == 50.0 and table["in_month"].iloc[-2] == 25.0  # 2/4, then 1/4
    assert math.isclose(table["value"].iloc[-1], 100 * 18 / 48)  # the rolling year: 18 of 48
    assert table["rag"].iloc[-1] == "red" and table["target"].iloc[-1] == 22
    assert (table["note"] == "").all()

    text = pages.thirteen_month_table_html(table, small_params.catalogue["rereferrals"])
    assert text.startswith("<table") and text.count("<tr>") == 14  # header and 13 months
    assert "In month" in text and "Rolling 12 months" in text and "Mar 2018" in text
    assert "37.5%" in text and "50.0%" in text and 'class="rag-red"' in text
    assert ">Numerator<" in text and ">Denominator<" in text and ">18<" in text and ">48<" in text


def test_thirteen_month_table_in_month_headline_and_gaps(small_params, store) -> None:
    months = _months("2017-03", 13)
    rows = [("return_interviews", m, "Testshire", "all", "month", 9, 10, None) for m in months[1:]]
    store.add_vintage(make_atoms(rows), "test", "aggregates")
    table = pages.thirteen_month_table(store, small_params, "return_interviews", "2018-03", "Testshire")
    assert table["in_month"].isna().all()  # the headline is already the month's own value
    assert math.isnan(table["value"].iloc[0]) and table["note"].iloc[0] != ""
    assert table["value"].iloc[-1] == 90.0 and table["rag"].iloc[-1] == "green"

    text = pages.thirteen_month_table_html(table, small_params.catalogue["return_interviews"])
    assert "In month" not in text and ">Value<" in text and ">-<" in text
    assert ">9<" in text and ">10<" in text  # this month's numerator and denominator
