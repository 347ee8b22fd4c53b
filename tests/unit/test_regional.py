"""Regional comparison of councils: headline values, ranks, the region as a whole, exact funnel
limits, small-number suppression and anonymous labels."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csc_workbench.assess.regional import (
    ABOVE_95,
    ABOVE_998,
    BELOW_95,
    BELOW_998,
    LIMIT_COLUMNS,
    SUMMARY_COLUMNS,
    VALUE_COLUMNS,
    WITHIN,
    council_labels,
    council_values,
    funnel_limits,
    funnel_positions,
    rank_councils,
    rank_trend,
    regional_summary,
    suppress_small_counts,
)
from csc_workbench.assess.windows import MISSING, OK, UNAVAILABLE
from csc_workbench.config import Params
from csc_workbench.periods import parse_month

from ..conftest import make_atoms, monthly_rows

MARCH = parse_month("2025-03")
Z_95, Z_998 = 1.959964, 3.090232  # two-sided 95% and 99.8% points of the normal distribution


def values_frame(rows: list[tuple]) -> pd.DataFrame:
    """A :func:`council_values` frame from (indicator, council, period, numerator, denominator,
    value, status) rows."""
    frame = pd.DataFrame(
        rows, columns=["indicator", "council", "period", "numerator", "denominator", "value", "status"]
    ).astype({"numerator": float, "denominator": float, "value": float})
    return frame.assign(note=None)


# --- council values -----------------------------------------------------------------------


def test_council_values_gives_each_council_its_headline_with_reasons(small_params: Params) -> None:
    atoms = make_atoms(
        monthly_rows("rereferrals", "Northby", [1] * 13, [10] * 13, last="2025-03")  # r12m: 12 of 120
        + monthly_rows("rereferrals", "Southby", [3] * 12, [10] * 12, last="2025-03")  # from Apr 2024 only
        + monthly_rows("return_interviews", "Northby", [8, 9], [10, 10], last="2025-03")
        + monthly_rows("return_interviews", "Southby", [5, 6], [10, 20], last="2025-03")
        + [
            ("placed_20mi", "2025-03", "Northby", "excl_uasc", "snapshot", 30, 40, None),
            ("placed_20mi", "2025-03", "Northby", "all", "snapshot", 1, 40, None),  # the wrong cohort
        ]
    )
    values = council_values(
        atoms,
        small_params.catalogue,
        ["rereferrals", "return_interviews", "placed_20mi"],
        [MARCH - 1, MARCH],
        gaps={("return_interviews", MARCH - 1): "system migration"},
    )
    assert list(values.columns) == VALUE_COLUMNS
    assert len(values) == 3 * 2 * 2  # indicators x councils x months, a row even without a figure
    by_key = values.set_index(["indicator", "council", "period"])
    north = by_key.loc[("rereferrals", "Northby", MARCH)]
    assert (north["numerator"], north["denominator"], north["value"], north["status"]) == (12, 120, 10.0, OK)
    assert by_key.loc[("rereferrals", "Southby", MARCH), "value"] == pytest.approx(30.0)
    south_feb = by_key.loc[("rereferrals", "Southby", MARCH - 1)]
    assert south_feb["status"] == MISSING and math.isnan(south_feb["value"]) and "Mar 2024" in south_feb["note"]
    assert by_key.loc[("return_interviews", "Southby", MARCH), "value"] == pytest.approx(30.0)
    gap = by_key.loc[("return_interviews", "Northby", MARCH - 1)]
    assert gap["status"] == UNAVAILABLE and "system migration" in gap["note"]
    assert by_key.loc[("placed_20mi", "Northby", MARCH), "value"] == pytest.approx(75.0)  # excl_uasc cohort
    assert by_key.loc[("placed_20mi", "Southby", MARCH), "status"] == MISSING


# --- ranks --------------------------------------------------------------------------------


def test_ranks_by_polarity_with_ties_sharing_the_better_rank(small_params: Params) -> None:
    values = values_frame(
        [("return_interviews", c, MARCH, None, None, v, OK) for c, v in zip("ABCD", [30, 20, 20, 10], strict=True)]
        + [("rereferrals", c, MARCH, None, None, v, OK) for c, v in zip("ABCD", [5, 10, 10, 2], strict=True)]
    )
    ranked = rank_councils(values, small_params.catalogue).set_index(["indicator", "council"])
    high = ranked.loc["return_interviews"]  # higher is better
    assert list(high["rank"]) == [1, 2, 2, 4] and list(high["quartile"]) == [1, 2, 2, 4]
    low = ranked.loc["rereferrals"]  # lower is better
    assert list(low["rank"]) == [2, 3, 3, 1] and list(low["quartile"]) == [2, 3, 3, 1]
    assert set(ranked["ranked"]) == {4}


def test_councils_without_a_figure_are_not_ranked_and_months_rank_apart(small_params: Params) -> None:
    values = values_frame(
        [
            ("return_interviews", "A", MARCH, 9, 10, 90, OK),
            ("return_interviews", "B", MARCH, None, None, None, MISSING),
            ("return_interviews", "C", MARCH, 5, 10, 50, OK),
            ("return_interviews", "D", MARCH, None, None, None, OK),  # a figure suppressed after the fact
            ("return_interviews", "B", MARCH - 1, 1, 10, 10, OK),
        ]
    )
    ranked = rank_councils(values, small_params.catalogue).set_index(["council", "period"])
    assert ranked.loc[("A", MARCH), "rank"] == 1 and ranked.loc[("C", MARCH), "rank"] == 2
    assert math.isnan(ranked.loc[("B", MARCH), "rank"]) and math.isnan(ranked.loc[("D", MARCH), "quartile"])
    assert ranked.loc[("A", MARCH), "ranked"] == 2
    assert math.isnan(ranked.loc[("A", MARCH), "quartile"])  # two councils ranked: no quarters to speak of
    assert ranked.loc[("B", MARCH - 1), "rank"] == 1 and ranked.loc[("B", MARCH - 1), "ranked"] == 1


@pytest.mark.parametrize("indicator", ["cic_rate", "caseload", "referrals"])  # target, within-range, none
def test_an_indicator_without_a_better_direction_is_not_ranked(small_params: Params, indicator: str) -> None:
    values = values_frame([(indicator, c, MARCH, None, None, v, OK) for c, v in zip("ABC", [3, 1, 2], strict=True)])
    ranked = rank_councils(values, small_params.catalogue)
    assert ranked["rank"].isna().all() and ranked["quartile"].isna().all()
    assert list(ranked["ranked"]) == [0, 0, 0]


def test_quartiles_of_ten_councils(small_params: Params) -> None:
    values = values_frame([("return_interviews", f"C{k}", MARCH, None, None, 100 - k, OK) for k in range(1, 11)])
    ranked = rank_councils(values, small_params.catalogue)
    assert list(ranked["rank"]) == list(range(1, 11))
    # ceil(4 x rank / 10): ranks 1-2, 3-5, 6-7 and 8-10
    assert list(ranked["quartile"]) == [1, 1, 2, 2, 2, 3, 3, 4, 4, 4]


def test_rank_trend_takes_the_council_s_last_months_oldest_first(small_params: Params) -> None:
    rows = [
        ("return_interviews", c, MARCH - k, None, None, v + k, OK) for k in range(15) for c, v in (("A", 50), ("B", 60))
    ]
    rows += [("rereferrals", "A", MARCH, None, None, 5, OK)]
    ranked = rank_councils(values_frame(rows), small_params.catalogue).sample(frac=1, random_state=3)
    trend = rank_trend(ranked, "return_interviews", "A", months=13)
    assert list(trend.columns) == ["period", "rank", "ranked"]
    assert list(trend["period"]) == list(range(MARCH - 12, MARCH + 1))
    assert set(trend["rank"]) == {2} and set(trend["ranked"]) == {2}  # B is always higher
    assert len(rank_trend(ranked, "rereferrals", "A")) == 1


# --- the region as a whole ----------------------------------------------------------------


def test_regional_pools_percentages_and_rates_but_averages_counts(small_params: Params) -> None:
    values = values_frame(
        [
            ("return_interviews", "Big", MARCH, 90, 100, 90, OK),
            ("return_interviews", "Small", MARCH, 1, 10, 10, OK),
            ("return_interviews", "Absent", MARCH, None, None, None, MISSING),
            ("rereferrals", "Big", MARCH, 20, 100, 20, OK),
            ("rereferrals", "Mid", MARCH, 10, 40, 25, OK),
            ("rereferrals", "Small", MARCH, 4, 10, 40, OK),
            ("referrals", "Big", MARCH, 300, None, 300, OK),
            ("referrals", "Small", MARCH, 100, None, 100, OK),
            ("cic_rate", "Big", MARCH, 500, 100_000, 50, OK),
            ("cic_rate", "Small", MARCH, 100, 10_000, 100, OK),
            ("caseload", "Big", MARCH, 300, 20, 15, OK),
            ("caseload", "Small", MARCH, 100, 4, 25, OK),
        ]
    )
    summary = regional_summary(values, small_params.catalogue)
    assert list(summary.columns) == SUMMARY_COLUMNS
    rows = summary.set_index("indicator")
    returns = rows.loc["return_interviews"]
    assert returns["councils"] == 2
    assert returns["regional"] == pytest.approx(100 * 91 / 110)  # 82.7%: the big council weighs more
    assert returns["mean"] == pytest.approx(50.0)  # each council once
    assert (returns["best"], returns["worst"]) == (90, 10)  # higher is better
    rereferrals = rows.loc["rereferrals"]
    assert rereferrals["regional"] == pytest.approx(100 * 34 / 150)
    assert (rereferrals["best"], rereferrals["worst"]) == (20, 40)  # lower is better
    expected = np.percentile([20, 25, 40], [25, 50, 75])  # linear interpolation: 22.5, 25, 32.5
    assert [rereferrals["q1"], rereferrals["median"], rereferrals["q3"]] == pytest.approx(list(expected))
    assert rows.loc["referrals", "regional"] == pytest.approx(200.0)  # a count: the mean per council
    assert rows.loc["cic_rate", "regional"] == pytest.approx(10_000 * 600 / 110_000)  # 54.5 per 10,000
    assert rows.loc["caseload", "regional"] == pytest.approx(400 / 24)  # an average: total over total
    for indicator in ("referrals", "cic_rate", "caseload"):  # no better direction
        assert math.isnan(rows.loc[indicator, "best"]) and math.isnan(rows.loc[indicator, "worst"])


def test_regional_is_not_pooled_from_a_council_without_its_numerator(small_params: Params) -> None:
    values = values_frame(
        [
            ("return_interviews", "A", MARCH, 9, 10, 90, OK),
            ("return_interviews", "B", MARCH, None, None, 70, OK),  # a value supplied on its own
            ("return_interviews", "A", MARCH - 1, None, None, None, MISSING),
        ]
    )
    summary = regional_summary(values, small_params.catalogue).set_index("period")
    assert summary.loc[MARCH, "councils"] == 2 and math.isnan(summary.loc[MARCH, "regional"])
    assert summary.loc[MARCH, "mean"] == pytest.approx(80.0)
    empty = summary.loc[MARCH - 1]
    assert empty["councils"] == 0 and empty[["regional", "mean", "median", "best"]].isna().all()


# --- exact funnel limits ------------------------------------------------------------------


def brute_force_limit(cdf, n: float, probability: float, scale: float) -> float:
    """Spiegelhalter's limit by walking up the counts: the first count r whose cumulative
    probability reaches ``probability``, less the interpolation alpha, over n."""
    r = 0
    while cdf(r) < probability:
        r += 1
    alpha = (cdf(r) - probability) / (cdf(r) - cdf(r - 1))
    return (r - alpha) / n * scale


@pytest.mark.parametrize("p0", [0.03, 0.2, 0.5, 0.85])
def test_binomial_limits_match_a_brute_force_computation(p0: float) -> None:
    denominators = [1, 7, 20, 63, 250, 1000]
    limits = funnel_limits(denominators, 100 * p0, 100, "binomial")
    assert list(limits.columns) == ["denominator", *LIMIT_COLUMNS]
    for row in limits.to_dict("records"):
        n = int(row["denominator"])

        def cdf(r: int, n: int = n) -> float:
            return stats.binom.cdf(r, n, p0)

        for column, probability in (("lower_95", 0.025), ("upper_95", 0.975), ("lower_998", 0.001),
                                    ("upper_998", 0.999)):  # fmt: skip
            expected = min(max(brute_force_limit(cdf, n, probability, 100), 0.0), 100.0)
            assert row[column] == pytest.approx(expected, abs=1e-9), (n, column)


@pytest.mark.parametrize("rate", [5.0, 40.0, 350.0])
def test_poisson_limits_match_a_brute_force_computation(rate: float) -> None:
    children = [500, 12_000, 80_000]
    limits = funnel_limits(children, rate, 10_000, "poisson")
    for row in limits.to_dict("records"):
        expected_count = row["denominator"] * rate / 10_000  # 12,000 children at 40 per 10,000: 48

        def cdf(r: int, mu: float = expected_count) -> float:
            return stats.poisson.cdf(r, mu)

        for column, probability in (("lower_95", 0.025), ("upper_95", 0.975), ("lower_998", 0.001),
                                    ("upper_998", 0.999)):  # fmt: skip
            expected = max(brute_force_limit(cdf, row["denominator"], probability, 10_000), 0.0)
            assert row[column] == pytest.approx(expected, abs=1e-9), (row["denominator"], column)


def test_worked_case_by_hand() -> None:
    # n = 20, p0 = 0.2, the 99.8% upper limit. Binomial(20, 0.2): P(R <= 9) = 0.997405 and
    # P(R <= 10) = 0.999437, so r = 10 is the first count reaching 0.999;
    # alpha = (0.999437 - 0.999) / (0.999437 - 0.997405) = 0.000437 / 0.002032 = 0.215;
    # limit = (10 - 0.215) / 20 = 0.48925, i.e. 48.9% (the normal approximation says
    # 20 + 3.09 x sqrt(0.2 x 0.8 / 20) x 100 = 47.6%).
    limits = funnel_limits([20], 20, 100, "binomial").iloc[0]
    assert limits["upper_998"] == pytest.approx(48.93, abs=0.01)
    # the lower 99.8% limit: P(R = 0) = 0.8^20 = 0.0115 already reaches 0.001, so r = 0 and
    # (0 - alpha) / 20 is below zero: clipped to 0
    assert limits["lower_998"] == 0.0


def test_exact_limits_approach_the_normal_ones_for_large_denominators() -> None:
    n, p0 = 100_000, 0.2
    spread = math.sqrt(p0 * (1 - p0) / n) * 100  # 0.126 percentage points
    limits = funnel_limits([n], 20, 100, "binomial").iloc[0]
    assert limits["lower_95"] == pytest.approx(20 - Z_95 * spread, abs=0.005)
    assert limits["upper_95"] == pytest.approx(20 + Z_95 * spread, abs=0.005)
    assert limits["lower_998"] == pytest.approx(20 - Z_998 * spread, abs=0.005)
    assert limits["upper_998"] == pytest.approx(20 + Z_998 * spread, abs=0.005)
    children, rate = 10_000_000, 40.0  # Poisson: 40,000 children expected
    rate_spread = math.sqrt(children * rate / 10_000) / children * 10_000
    poisson = funnel_limits([children], rate, 10_000, "poisson").iloc[0]
    assert poisson["upper_998"] == pytest.approx(rate + Z_998 * rate_spread, abs=0.01)
    assert poisson["lower_998"] == pytest.approx(rate - Z_998 * rate_spread, abs=0.01)


def test_exact_limits_differ_clearly_from_the_normal_ones_for_small_denominators() -> None:
    small = funnel_limits([10, 20], 20, 100, "binomial")
    normal_upper_95 = 20 + Z_95 * math.sqrt(0.16 / 10) * 100  # 44.8
    assert small.loc[0, "upper_95"] == pytest.approx(42.95, abs=0.01)
    assert normal_upper_95 - small.loc[0, "upper_95"] > 1.5
    rare = funnel_limits([20], 5, 100, "binomial").iloc[0]  # a rare event: strongly skewed
    normal_upper_998 = 5 + Z_998 * math.sqrt(0.05 * 0.95 / 20) * 100  # 20.1
    assert rare["upper_998"] == pytest.approx(23.5, abs=0.05)
    assert rare["upper_998"] - normal_upper_998 > 3


def test_limits_without_a_denominator_clipping_and_bad_input() -> None:
    limits = funnel_limits([0, -1, np.nan, 1], 50, 100, "binomial")
    assert limits.loc[:2, LIMIT_COLUMNS].isna().all(axis=None)
    assert limits.loc[3, LIMIT_COLUMNS].between(0, 100).all()
    # n = 1 at 50%: the lower limits fall below zero and are clipped; the 99.8% upper limit is r = 1,
    # alpha = (1 - 0.999) / (1 - 0.5) = 0.002: (1 - 0.002) / 1 = 99.8%
    assert limits.loc[3, "lower_998"] == 0.0 and limits.loc[3, "upper_998"] == pytest.approx(99.8)
    assert funnel_limits([0], 40, 10_000, "poisson")[LIMIT_COLUMNS].isna().all(axis=None)
    assert funnel_limits([100], 40, 10_000, "poisson").loc[0, "lower_95"] == 0.0  # clipped at 0
    whole = funnel_limits([12.7, 13], 20, 100, "binomial")  # only whole numbers of children have limits
    assert whole.loc[0, LIMIT_COLUMNS].tolist() == whole.loc[1, LIMIT_COLUMNS].tolist()
    certain = funnel_limits([10, 0], 0, 100, "binomial")  # nobody counted anywhere: no room for chance
    assert certain.loc[0, LIMIT_COLUMNS].tolist() == [0.0] * 4 and certain.loc[1, LIMIT_COLUMNS].isna().all()
    with pytest.raises(ValueError, match="outside 0 to 100"):
        funnel_limits([10], 120, 100, "binomial")
    with pytest.raises(ValueError, match="kind"):
        funnel_limits([10], 20, 100, "normal")  # type: ignore[arg-type]


def test_funnel_positions_in_plain_words() -> None:
    # n = 100 at 20%: 95% limits 11.97 to 27.65, 99.8% limits 8.10 to 32.68
    latest = pd.DataFrame(
        {
            "council": ["High", "Raised", "Usual", "Lowish", "Low", "Empty", "Unknown"],
            "numerator": [40, 30, 20, 10, 5, 0, None],
            "denominator": [100, 100, 100, 100, 100, 0, 100],
            "value": [40, 30, 20, 10, 5, None, None],
        },
        index=[7, 6, 5, 4, 3, 2, 1],
    )
    placed = funnel_positions(latest, 20, 100, "binomial").set_index("council")
    assert placed.loc["High", "upper_998"] == pytest.approx(32.68, abs=0.01)
    assert list(placed["position"].iloc[:5]) == [ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998]
    assert placed["position"].iloc[5:].isna().all()  # no denominator, no value: no position
    assert list(placed["outside"]) == [True, False, False, False, True, False, False]
    assert placed.loc["Empty", LIMIT_COLUMNS].isna().all()
    on_the_limits = funnel_limits([100, 100], 20, 100, "binomial")[["upper_998", "lower_95"]].to_numpy().diagonal()
    edge = pd.DataFrame({"council": ["X", "Y"], "numerator": [0, 0], "denominator": [100, 100], "value": on_the_limits})
    assert list(funnel_positions(edge, 20, 100, "binomial")["position"]) == [ABOVE_95, WITHIN]  # a limit is within
    assert {ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998} == {
        "above the 99.8% limit", "above the 95% limit", "within the limits", "below the 95% limit",
        "below the 99.8% limit",
    }  # fmt: skip


# --- suppression --------------------------------------------------------------------------


def test_small_counts_are_suppressed_but_zero_and_the_threshold_are_not() -> None:
    frame = pd.DataFrame(
        {"numerator": [0, 1, 4, 5, np.nan, 12], "denominator": [10, 10, 10, 10, 10, 3], "value": [0, 10, 40, 50, 1, 2]}
    ).astype(float)
    hidden = suppress_small_counts(frame, 5)
    assert hidden["numerator"].iloc[[0, 3, 5]].tolist() == [0, 5, 12]  # zero, the threshold and above are kept
    assert hidden["numerator"].iloc[[1, 2, 4]].isna().all()  # 1 and threshold - 1 hidden; missing stays missing
    assert hidden["suppressed"].tolist() == [False, True, True, False, False, False]
    assert hidden["value"].isna().tolist() == [False, True, True, False, False, False]
    assert hidden["denominator"].tolist() == frame["denominator"].tolist()  # not one of the columns
    assert frame["numerator"].iloc[1] == 1  # the input is left alone
    both = suppress_small_counts(frame, 5, columns=("numerator", "denominator"))
    assert math.isnan(both["denominator"].iloc[5]) and both["suppressed"].iloc[5] and math.isnan(both["value"].iloc[5])
    for threshold in (1, 0):
        kept = suppress_small_counts(frame, threshold)
        assert not kept["suppressed"].any() and kept["numerator"].iloc[1] == 1


# --- labels -------------------------------------------------------------------------------

REGION = ["Ashby", "Brookfield", "Carrow", "Dunmere", "Eastwick", "Fairholm", "Glenside", "Hartley", "Ivybridge",
          "Jarrow"]  # fmt: skip


def test_named_labels_are_the_councils_own_names() -> None:
    assert council_labels(REGION, "Carrow", "named") == {c: c for c in REGION}


def test_letter_labels_are_stable_keep_the_own_name_and_hide_the_order() -> None:
    labels = council_labels(REGION, "Carrow", "letters", seed="north-east 2025")
    assert labels["Carrow"] == "Carrow"
    others = [c for c in REGION if c != "Carrow"]
    everyone = council_labels(REGION, None, "letters", seed="north-east 2025")
    assert {c: labels[c] for c in others} == {c: everyone[c] for c in others}  # the same letter in every pack
    assert sorted(labels[c] for c in others) == sorted(set(everyone.values()) - {everyone["Carrow"]})
    shuffled = random.Random(1).sample(REGION, len(REGION))
    assert council_labels(shuffled, "Carrow", "letters", seed="north-east 2025") == labels
    by_letter = sorted(others, key=lambda c: labels[c])
    assert by_letter != others  # not the alphabetical order (nor, as no figure is used, size or rank)
    reseeded = council_labels(REGION, "Carrow", "letters", seed="north-east 2026")
    assert sorted(others, key=lambda c: reseeded[c]) != by_letter
    assert set(council_labels(REGION, None, "letters").values()) == {f"Council {x}" for x in "ABCDEFGHIJ"}


def test_letter_labels_go_past_z() -> None:
    councils = [f"Council number {k}" for k in range(28)]
    labels = council_labels(councils, None, "letters")
    assert {"Council Z", "Council AA", "Council AB"} <= set(labels.values()) and len(set(labels.values())) == 28
    with pytest.raises(ValueError, match="sharing"):
        council_labels(councils, None, "initials")  # type: ignore[arg-type]
