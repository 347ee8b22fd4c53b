"""Direction of travel: how a value moved against an earlier one, in both conventions.

- performance arrows (Kent, Buckinghamshire): improved / same / worse, by polarity;
- numeric arrows (Rotherham): up / stable / down, coloured by performance, with "decline but
  within limits of target" told apart from "decline, not on target".

Values are compared unrounded; ``tolerance`` widens "same" to changes at most that large.
"""

from __future__ import annotations

import math
from enum import StrEnum

from csc_workbench.config.catalogue import Polarity


class Movement(StrEnum):
    UP = "up"
    STABLE = "stable"
    DOWN = "down"


class Performance(StrEnum):
    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def movement(current: float | None, previous: float | None, tolerance: float = 0.0) -> Movement | None:
    """Numeric direction, or None when either value is not available."""
    if _missing(current) or _missing(previous):
        return None
    change = current - previous
    if abs(change) <= tolerance:
        return Movement.STABLE
    return Movement.UP if change > 0 else Movement.DOWN


def distance_from_goal(
    value: float, polarity: Polarity, target: float | None, green_range: tuple[float, float] | None
) -> float | None:
    """How far a value is from what is good: smaller is better. None when polarity has no goal."""
    if polarity is Polarity.HIGH:
        return -value
    if polarity is Polarity.LOW:
        return value
    if polarity is Polarity.WITHIN_RANGE and green_range is not None:
        low, high = green_range
        return max(0.0, low - value, value - high)
    if polarity in (Polarity.TARGET, Polarity.WITHIN_RANGE) and target is not None:
        return abs(value - target)
    return None


def performance_change(
    current: float | None,
    previous: float | None,
    polarity: Polarity,
    target: float | None = None,
    green_range: tuple[float, float] | None = None,
    tolerance: float = 0.0,
) -> Performance | None:
    """Improved / same / worse by polarity; None for monitor measures or missing values."""
    if _missing(current) or _missing(previous):
        return None
    now = distance_from_goal(current, polarity, target, green_range)
    before = distance_from_goal(previous, polarity, target, green_range)
    if now is None or before is None:
        return None
    if abs(current - previous) <= tolerance or now == before:
        return Performance.SAME
    return Performance.IMPROVED if now < before else Performance.WORSE


def rotherham_label(
    current: float | None,
    previous: float | None,
    polarity: Polarity,
    within_target: bool | None,
    target: float | None = None,
    green_range: tuple[float, float] | None = None,
    tolerance: float = 0.0,
) -> str | None:
    """Rotherham's key: a numeric arrow whose colour says what the move means.

    ``within_target`` is whether the current value is within the limits of its target
    (None when the indicator has no target this year).
    """
    move = movement(current, previous, tolerance)
    if move is None:
        return None
    perf = performance_change(current, previous, polarity, target, green_range, tolerance)
    if perf is None:
        return {
            Movement.UP: "increase in numbers",
            Movement.STABLE: "stable with last period",
            Movement.DOWN: "decrease in numbers",
        }[move]
    if perf is Performance.IMPROVED:
        return "improvement in performance"
    stem = "decline in performance" if perf is Performance.WORSE else "no movement"
    if within_target is None:
        return stem
    if perf is Performance.WORSE:
        return f"{stem} but still within limits of target" if within_target else f"{stem}, not on target"
    return f"{stem} but within limits of target" if within_target else f"{stem}, not on target"
