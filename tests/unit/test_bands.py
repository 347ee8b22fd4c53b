"""RAG for every band style, with the seeds' own wording as cases."""

from __future__ import annotations

import pytest

from csc_workbench.bands import Interval, Margin, Rag, gap_between, parse_interval, rag_range, rag_tolerance
from csc_workbench.config.catalogue import ThresholdBands

G, A, R = Rag.GREEN, Rag.AMBER, Rag.RED


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("< 80", [79.999, -5], [80, 81]),
        ("<= 18", [18, 0], [18.0001]),
        ("> 22", [22.0001], [22]),
        (">= 90%", [90, 100], [89.99]),
        ("80 <= x < 90", [80, 89.999], [79.999, 90]),
        ("18 < x <= 22", [18.001, 22], [18, 22.001]),
        ("1 to 10", [1, 10], [0, 10.5]),
        ("= 0", [0], [1, -1]),
    ],
)
def test_parse_interval_edges(text: str, inside: list[float], outside: list[float]) -> None:
    band = parse_interval(text)
    assert all(band.contains(v) for v in inside)
    assert not any(band.contains(v) for v in outside)


@pytest.mark.parametrize("text", ["below 80", "80-90", "x < 80", "10 to 1", ""])
def test_parse_interval_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="band"):
        parse_interval(text)


def kent_bands(red: str, amber: str, green: str) -> ThresholdBands:
    return ThresholdBands(style="thresholds", red=red, amber=amber, green=green)


def test_kent_returner_interviews_below_75_red_75_to_85_amber_85_green() -> None:
    bands = kent_bands("< 75", "75 <= x < 85", ">= 85")
    assert [bands.rate(v, 85) for v in (74.7, 74.999, 75, 84.99, 85, 100)] == [R, R, A, A, G, G]


def test_kent_unallocated_above_10_red_1_to_10_amber_0_green() -> None:
    bands = kent_bands("> 10", "1 to 10", "= 0")
    assert [bands.rate(v, 0) for v in (0, 1, 10, 11, 73)] == [G, A, A, R, R]


def test_kent_caseload_above_22_red_18_to_22_amber_18_and_below_green() -> None:
    bands = kent_bands("> 22", "18 < x <= 22", "<= 18")
    assert [bands.rate(v, 18) for v in (18, 18.01, 22, 22.04, 23.4)] == [G, A, A, R, R]


def test_rating_uses_the_unrounded_value() -> None:
    """Kent: 15208/15520 prints as 98.0% but is 97.99%, Amber against a 98.0% target."""
    bands = kent_bands("< 90", "90 <= x < 98", ">= 98")
    value = 100 * 15208 / 15520
    assert f"{value:.1f}" == "98.0"
    assert bands.rate(value, 98) is A


def test_tolerance_in_points_both_sides() -> None:
    """Rotherham S47 rate: +/-5 of 158.8 green, +/-15 amber, more red."""
    green, amber = Margin.parse(5), Margin.parse(15)
    rate = [rag_tolerance(v, 158.8, green, amber, "both") for v in (158.8, 163.8, 153.8, 163.9, 173.8, 143.8, 174)]
    assert rate == [G, G, G, A, A, A, R]


def test_tolerance_as_percentage_of_target() -> None:
    green, amber = Margin.parse("10%"), Margin.parse("20%")
    assert Margin.parse("10%").of(200) == pytest.approx(20)
    assert [rag_tolerance(v, 200, green, amber, "both") for v in (220, 221, 160, 159)] == [G, A, A, R]


def test_one_sided_tolerance_only_counts_the_bad_side() -> None:
    """'Within limits (low)': only exceeding the target is a problem."""
    green, amber = Margin.parse(2), Margin.parse(5)
    assert [rag_tolerance(v, 74.1, green, amber, "above") for v in (10, 76.1, 76.2, 79.1, 79.2)] == [G, G, A, A, R]


def test_range_with_margin_above() -> None:
    """Rotherham caseloads: 14-20 green, up to 1% above range amber, over 1% above red."""
    margin = Margin.parse("1%")
    assert [rag_range(v, 14, 20, margin, "both") for v in (14, 20, 20.2, 20.21, 13.86, 13.85)] == [G, G, A, R, A, R]
    assert rag_range(2.8, 14, 20, margin, "above") is G
    assert rag_range(2.8, 14, 20, margin, "both") is R


def test_bands_that_leave_a_gap_are_found() -> None:
    bands = [parse_interval("> 30"), parse_interval("25 < x < 30"), parse_interval("<= 25")]
    assert gap_between(bands, integers_only=False) == 30
    counts = [parse_interval("> 10"), parse_interval("1 to 10"), parse_interval("= 0")]
    assert gap_between(counts, integers_only=True) is None
    assert gap_between(counts, integers_only=False) == pytest.approx(0.5)


def test_overlap() -> None:
    assert parse_interval("<= 25").overlaps(parse_interval(">= 25"))
    assert not parse_interval("< 25").overlaps(parse_interval(">= 25"))
    assert Interval(1, True, 2, True).overlaps(Interval(2, True, 3, False))


def test_bands_in_words_read_like_kent_data_notes() -> None:
    bands = kent_bands("< 75", "75 <= x < 85", ">= 85")
    assert bands.in_words("%") == "Below 75% = Red, 75% to 85% = Amber, 85% and above = Green"
    assert kent_bands("> 10", "1 to 10", "= 0").in_words("") == "Above 10 = Red, 1 to 10 = Amber, 0 = Green"
