"""Windows derived from monthly atoms; what cannot be derived is not available, never zero."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from csc_workbench.assess.windows import MISSING, NOT_APPLICABLE, OK, UNAVAILABLE, window_span, window_values
from csc_workbench.periods import month_text, parse_month

from ..conftest import make_atoms


def months(first: str, count: int) -> list[str]:
    start = parse_month(first)
    return [month_text(start + i) for i in range(count)]


def referral_atoms(first: str = "2016-01", count: int = 24) -> pd.DataFrame:
    """Month i: numerator i + 1, denominator 10 (re-referrals), and i + 1 referrals."""
    rows = []
    for i, m in enumerate(months(first, count)):
        rows.append(("rereferrals", m, "Testshire", "all", "month", i + 1, 10, 10 * (i + 1)))
        rows.append(("referrals", m, "Testshire", "all", "month", i + 1, None, i + 1))
    return make_atoms(rows)


def ask(catalogue, atoms, *requests, gaps=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(ind, "Testshire", "all", parse_month(m), w) for ind, m, w in requests],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    return window_values(atoms, frame, catalogue, gaps)


def test_spans() -> None:
    apr17 = parse_month("2017-04")
    assert window_span("r12m", apr17) == (parse_month("2016-05"), apr17)
    assert window_span("r3m", apr17) == (parse_month("2017-02"), apr17)
    assert window_span("fytd", parse_month("2017-03")) == (parse_month("2016-04"), parse_month("2017-03"))
    assert window_span("fytd", apr17) == (apr17, apr17)
    assert window_span("quarter", parse_month("2017-05")) == (parse_month("2017-01"), parse_month("2017-03"))
    assert window_span("quarter", parse_month("2017-06")) == (apr17, parse_month("2017-06"))


def test_rolling_windows_sum_numerators_over_denominators(small_params) -> None:
    out = ask(
        small_params.catalogue,
        referral_atoms(),
        ("rereferrals", "2016-12", "r12m"),  # months 1..12: 78 / 120
        ("rereferrals", "2017-03", "r3m"),  # months 13..15: 42 / 30
        ("rereferrals", "2016-06", "fytd"),  # Apr-Jun 2016 = months 4..6: 15 / 30
        ("referrals", "2016-12", "r12m"),  # count: 78
        ("rereferrals", "2016-12", "month"),
    )
    assert list(out["status"]) == [OK] * 5
    assert out.loc[0, ["numerator", "denominator"]].tolist() == [78, 120]
    assert out.loc[0, "value"] == pytest.approx(65.0)
    assert out.loc[1, "value"] == pytest.approx(140.0)
    assert out.loc[2, "value"] == pytest.approx(50.0)
    assert out.loc[3, "value"] == 78
    assert math.isnan(out.loc[3, "denominator"])
    assert out.loc[4, "value"] == pytest.approx(120.0)


def test_a_missing_month_makes_the_window_not_available_not_smaller(small_params) -> None:
    atoms = referral_atoms()
    atoms = atoms[~((atoms["period"] == parse_month("2016-05")) & (atoms["indicator"] == "rereferrals"))]
    out = ask(small_params.catalogue, atoms, ("rereferrals", "2016-12", "r12m"), ("rereferrals", "2016-05", "month"))
    assert list(out["status"]) == [MISSING, MISSING]
    assert math.isnan(out.loc[0, "value"])
    assert "May 2016" in out.loc[0, "note"]
    assert out.loc[1, "note"] == "no figure for May 2016"


def test_a_gap_month_carries_its_reason(small_params) -> None:
    atoms = referral_atoms()
    gaps = {("*", parse_month("2016-10")): "System migration"}
    out = ask(
        small_params.catalogue,
        atoms,
        ("rereferrals", "2016-12", "r12m"),
        ("rereferrals", "2016-10", "month"),
        ("rereferrals", "2017-10", "r12m"),
        gaps=gaps,
    )
    assert list(out["status"]) == [UNAVAILABLE, UNAVAILABLE, OK]
    assert out.loc[0, "note"] == "covers Oct 2016, which is not available: System migration"
    assert out.loc[1, "note"] == "Oct 2016 not available: System migration"
    assert math.isnan(out.loc[1, "value"])


def test_a_month_marked_unavailable_in_the_data_is_a_gap(small_params) -> None:
    atoms = pd.concat(
        [
            referral_atoms("2016-01", 2),
            make_atoms([("rereferrals", "2016-03", "Testshire", "all", "month", None, None, None, "LCS go-live")]),
        ]
    )
    out = ask(small_params.catalogue, atoms, ("rereferrals", "2016-03", "r3m"))
    assert out.loc[0, "status"] == UNAVAILABLE
    assert "LCS go-live" in out.loc[0, "note"]


def test_snapshot_measures_have_no_rolling_windows(small_params) -> None:
    atoms = make_atoms([("cic_open", "2017-04", "Testshire", "all", "snapshot", 500, None, 500)])
    out = ask(
        small_params.catalogue, atoms, ("cic_open", "2017-04", "snapshot"), ("cic_open", "2017-04", "r3m"),
        ("cic_open", "2017-04", "fytd"),
    )  # fmt: skip
    assert list(out["status"]) == [OK, NOT_APPLICABLE, NOT_APPLICABLE]
    assert out.loc[0, "value"] == 500


def test_rate_per_10k_divides_by_the_population_not_twelve_populations(small_params) -> None:
    rows = [("s47_rate", m, "Testshire", "all", "month", 10, 120_000, None) for m in months("2016-04", 12)]
    rows[-1] = ("s47_rate", "2017-03", "Testshire", "all", "month", 10, 125_000, None)
    out = ask(small_params.catalogue, make_atoms(rows), ("s47_rate", "2017-03", "r12m"))
    assert out.loc[0, "numerator"] == 120
    assert out.loc[0, "denominator"] == 125_000
    assert out.loc[0, "value"] == pytest.approx(9.6)


def test_a_supplied_window_is_used_as_given(small_params) -> None:
    atoms = pd.concat(
        [referral_atoms(), make_atoms([("rereferrals", "2016-12", "Testshire", "all", "r12m", 30, 100, 30.0)])]
    )
    out = ask(small_params.catalogue, atoms, ("rereferrals", "2016-12", "r12m"), ("rereferrals", "2016-11", "r12m"))
    assert out.loc[0, "value"] == 30.0  # supplied
    assert out.loc[1, "status"] == MISSING  # 2015-12 is not in the data: no derived value


def test_zero_denominator_is_not_available(small_params) -> None:
    rows = [("rereferrals", m, "Testshire", "all", "month", 0, 0, None) for m in months("2016-01", 3)]
    out = ask(small_params.catalogue, make_atoms(rows), ("rereferrals", "2016-03", "r3m"))
    assert out.loc[0, "status"] == MISSING
    assert out.loc[0, "note"] == "denominator is zero"
    assert math.isnan(out.loc[0, "value"])


def test_annual_trend_three_financial_years_and_year_to_date(small_params) -> None:
    """Monthly referrals: 1 a month in 2014-15, 2 in 2015-16, 3 in 2016-17, 4 from April 2017.
    Re-referrals: numerator i + 1 of 10 each month from January 2016 (referral_atoms)."""
    from csc_workbench.assess.trend import annual_trend, last_complete_march

    rows = []
    for i, m in enumerate(months("2014-04", 40)):
        rows.append(("referrals", m, "Testshire", "all", "month", i // 12 + 1, None, i // 12 + 1))
    rows.append(("cic_open", "2017-03", "Testshire", "all", "snapshot", 480, None, 480))
    rows.append(("cic_open", "2017-07", "Testshire", "all", "snapshot", 500, None, 500))
    atoms = make_atoms(rows)
    july = parse_month("2017-07")
    assert last_complete_march(july) == parse_month("2017-03")
    assert last_complete_march(parse_month("2017-03")) == parse_month("2017-03")
    trend = annual_trend(atoms, small_params.catalogue, july, ["Testshire"], indicators=["referrals", "cic_open"])
    referrals = trend[trend["indicator"] == "referrals"]
    assert referrals["year"].tolist() == ["2014-15", "2015-16", "2016-17", "2017-18 YTD"]
    assert referrals["value"].tolist() == [12, 24, 36, 16]  # the year to date is April to July: 4 x 4
    stock = trend[trend["indicator"] == "cic_open"].set_index("year")
    assert stock.loc["2016-17", "value"] == 480  # 31 March 2017
    assert stock.loc["2017-18 YTD", "value"] == 500  # the latest snapshot
    assert stock.loc["2015-16", "status"] == MISSING and math.isnan(stock.loc["2015-16", "value"])


def test_duplicate_atoms_are_refused_not_double_counted(small_params) -> None:
    atoms = referral_atoms("2016-01", 3)
    with pytest.raises(ValueError, match="same key more than once"):
        ask(small_params.catalogue, pd.concat([atoms, atoms]), ("rereferrals", "2016-03", "r3m"))
