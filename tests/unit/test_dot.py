"""Direction of travel in the Kent/Buckinghamshire and Rotherham conventions."""

from __future__ import annotations

import math

import pytest

from csc_workbench.assess.dot import Movement, Performance, movement, performance_change, rotherham_label
from csc_workbench.config.catalogue import Polarity

IMPROVED, SAME, WORSE = Performance.IMPROVED, Performance.SAME, Performance.WORSE


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "target", "expected"),
    [
        (22.5, 23.4, Polarity.LOW, 25, IMPROVED),  # Kent re-referrals, lower is better
        (91.5, 91.3, Polarity.HIGH, 90, IMPROVED),
        (97.99, 98.2, Polarity.HIGH, 98, WORSE),
        (73, 1, Polarity.LOW, 0, WORSE),  # unallocated cases
        (19.4, 19.6, Polarity.TARGET, 17.5, IMPROVED),  # closer to 17.5
        (16.0, 19.4, Polarity.TARGET, 17.5, IMPROVED),  # crossed the target, but closer
        (14.0, 19.4, Polarity.TARGET, 17.5, WORSE),  # crossed and further away
        (100.0, 100.0, Polarity.HIGH, 98, SAME),
        (12, 10, Polarity.NONE, None, None),  # monitor: no performance
        (12, 10, Polarity.TARGET, None, None),  # no target this year: cannot say
    ],
)
def test_performance_by_polarity(current, previous, polarity, target, expected) -> None:
    assert performance_change(current, previous, polarity, target) == expected


def test_within_range_compares_distance_to_the_range() -> None:
    green = (14.0, 20.0)
    assert performance_change(18, 15, Polarity.WITHIN_RANGE, None, green) is SAME  # both inside
    assert performance_change(21, 22, Polarity.WITHIN_RANGE, None, green) is IMPROVED
    assert performance_change(12, 13, Polarity.WITHIN_RANGE, None, green) is WORSE


def test_unrounded_values_and_tolerance() -> None:
    assert performance_change(19.41, 19.44, Polarity.TARGET, 17.5) is IMPROVED  # both print 19.4
    assert performance_change(19.41, 19.44, Polarity.TARGET, 17.5, tolerance=0.05) is SAME
    assert movement(5.0, 5.04, tolerance=0.05) is Movement.STABLE
    assert movement(5.0, 5.06, tolerance=0.05) is Movement.DOWN


def test_missing_values_give_no_arrow() -> None:
    assert movement(1.0, None) is None
    assert performance_change(math.nan, 1.0, Polarity.HIGH) is None
    assert rotherham_label(1.0, None, Polarity.HIGH, True) is None


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "within", "label"),
    [
        (1651, 1287, Polarity.NONE, None, "increase in numbers"),
        (1287, 1287, Polarity.NONE, None, "stable with last period"),
        (1287, 1469, Polarity.NONE, None, "decrease in numbers"),
        (97.6, 85.3, Polarity.HIGH, True, "improvement in performance"),
        (79.8, 80.2, Polarity.HIGH, True, "decline in performance but still within limits of target"),
        (79.8, 80.2, Polarity.HIGH, False, "decline in performance, not on target"),
        (99.0, 99.0, Polarity.HIGH, True, "no movement but within limits of target"),
        (99.0, 99.0, Polarity.HIGH, False, "no movement, not on target"),
        (8.8, 7.3, Polarity.LOW, None, "decline in performance"),
    ],
)
def test_rotherham_labels(current, previous, polarity, within, label) -> None:
    assert rotherham_label(current, previous, polarity, within) == label
