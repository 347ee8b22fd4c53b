"""Red/Amber/Green bands and ratings for every band style councils use (below both the catalogue,
which parses bands, and assess, which rates values).

All functions are pure: a value (never rounded first), a rule and a target in, a rating out.

Band styles:
- thresholds: explicit intervals for red, amber and green ("Below 80% = Red, 80% to 90% =
  Amber, 90% and above = Green"), written ``"< 80"``, ``"80 <= x < 90"``, ``">= 90"``,
  ``"1 to 10"`` (both ends included) or ``"= 0"``;
- tolerance: distance from the target, in points or as a percentage of the target, on both
  sides or one ("+/-5 of 158.8" green, "+/-15" amber, more is red);
- range: a green range with an amber margin beyond it ("14-20" green, "up to 1% above range"
  amber, beyond that red);
- none: monitor / information measures carry no RAG.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class Interval:
    """A stretch of the number line; ``None`` bounds are unbounded."""

    low: float | None = None
    low_inclusive: bool = False
    high: float | None = None
    high_inclusive: bool = False

    def contains(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)

    def overlaps(self, other: Interval) -> bool:
        """True when some number lies in both intervals."""
        low, low_in = _max_low(self, other)
        high, high_in = _min_high(self, other)
        if low is None or high is None:
            return True
        return low < high or (low == high and low_in and high_in)

    def __str__(self) -> str:
        if self.low is not None and self.low == self.high:
            return f"= {_fmt(self.low)}"
        if self.low is None:
            return f"{'<=' if self.high_inclusive else '<'} {_fmt(self.high)}"
        if self.high is None:
            return f"{'>=' if self.low_inclusive else '>'} {_fmt(self.low)}"
        return (
            f"{_fmt(self.low)} {'<=' if self.low_inclusive else '<'} x "
            f"{'<=' if self.high_inclusive else '<'} {_fmt(self.high)}"
        )


def _fmt(number: float | None) -> str:
    return f"{number:g}" if number is not None else ""


def _max_low(a: Interval, b: Interval) -> tuple[float | None, bool]:
    if a.low is None:
        return b.low, b.low_inclusive
    if b.low is None or a.low > b.low:
        return a.low, a.low_inclusive
    if b.low > a.low:
        return b.low, b.low_inclusive
    return a.low, a.low_inclusive and b.low_inclusive


def _min_high(a: Interval, b: Interval) -> tuple[float | None, bool]:
    if a.high is None:
        return b.high, b.high_inclusive
    if b.high is None or a.high < b.high:
        return a.high, a.high_inclusive
    if b.high < a.high:
        return b.high, b.high_inclusive
    return a.high, a.high_inclusive and b.high_inclusive


_NUM = r"(-?\d+(?:\.\d+)?)"
_ONE_SIDED = re.compile(rf"^(<=|<|>=|>|=)\s*{_NUM}$")
_TO = re.compile(rf"^{_NUM}\s+to\s+{_NUM}$")
_BETWEEN = re.compile(rf"^{_NUM}\s*(<=|<)\s*x\s*(<=|<)\s*{_NUM}$")


def parse_interval(text: str) -> Interval:
    """Parse a band written as ``"< 80"``, ``"80 <= x < 90"``, ``"1 to 10"`` or ``"= 0"``.

    A trailing ``%`` is allowed and ignored (bands are in the indicator's own unit).
    """
    cleaned = str(text).replace("%", "").strip()
    if match := _ONE_SIDED.match(cleaned):
        op, number = match.group(1), float(match.group(2))
        return {
            "<": Interval(high=number),
            "<=": Interval(high=number, high_inclusive=True),
            ">": Interval(low=number),
            ">=": Interval(low=number, low_inclusive=True),
            "=": Interval(number, True, number, True),
        }[op]
    if match := _TO.match(cleaned):
        low, high = float(match.group(1)), float(match.group(2))
        if low > high:
            raise ValueError(f"band {text!r}: {low:g} is above {high:g}")
        return Interval(low, True, high, True)
    if match := _BETWEEN.match(cleaned):
        low, high = float(match.group(1)), float(match.group(4))
        if low > high:
            raise ValueError(f"band {text!r}: {low:g} is above {high:g}")
        return Interval(low, match.group(2) == "<=", high, match.group(3) == "<=")
    raise ValueError(
        f"band {text!r} is not understood; write it like '< 80', '>= 90', '80 <= x < 90', '1 to 10' or '= 0'"
    )


def gap_between(
    bands: list[Interval], integers_only: bool, low: float = 0.0, high: float | None = None
) -> float | None:
    """A number in ``[low, high]`` that no band contains, or None when the bands cover it.

    With ``integers_only`` (counts), gaps that hold no whole number are allowed.
    """
    edges = sorted({e for b in bands for e in (b.low, b.high) if e is not None})
    candidates: list[float] = []
    for i, edge in enumerate(edges):
        candidates.append(edge)
        if i + 1 < len(edges):
            candidates.append((edge + edges[i + 1]) / 2)
            if integers_only:
                candidates.extend(float(n) for n in range(math.ceil(edge), math.floor(edges[i + 1]) + 1))
    if edges:
        candidates += [edges[0] - 1, edges[-1] + 1]
    else:
        candidates.append(0.0)
    candidates += [low] + ([high] if high is not None else [])
    for candidate in candidates:
        if candidate < low or (high is not None and candidate > high):
            continue
        if integers_only and candidate != int(candidate):
            continue
        if not any(b.contains(candidate) for b in bands):
            return candidate
    return None


@dataclass(frozen=True)
class Margin:
    """A distance: absolute (in the indicator's unit) or a percentage of a reference value."""

    amount: float
    percent: bool = False

    def of(self, reference: float) -> float:
        return abs(reference) * self.amount / 100 if self.percent else self.amount

    @classmethod
    def parse(cls, raw: float | int | str) -> Margin:
        text = str(raw).strip()
        percent = text.endswith("%")
        try:
            amount = float(text.rstrip("%").strip())
        except ValueError as exc:
            raise ValueError(f"{raw!r} is not a margin such as 5 or '1%'") from exc
        if amount < 0:
            raise ValueError(f"margin {raw!r} is negative")
        return cls(amount, percent)

    def __str__(self) -> str:
        return f"{self.amount:g}%" if self.percent else f"{self.amount:g}"


def rag_thresholds(value: float, red: Interval | None, amber: Interval | None, green: Interval | None) -> Rag | None:
    """The band holding the value; None when no band does (validated away on load)."""
    for rag, band in ((Rag.RED, red), (Rag.AMBER, amber), (Rag.GREEN, green)):
        if band is not None and band.contains(value):
            return rag
    return None


def _signed_deviation(value: float, reference_low: float, reference_high: float, side: str) -> float:
    """How far the value lies outside [low, high] on the side(s) that count (0 inside)."""
    above = max(0.0, value - reference_high)
    below = max(0.0, reference_low - value)
    if side == "above":
        return above
    if side == "below":
        return below
    return max(above, below)


def rag_tolerance(value: float, target: float, green: Margin, amber: Margin | None, side: str) -> Rag:
    """Green within ``green`` of the target, amber within ``amber``, red beyond (edges inclusive)."""
    deviation = _signed_deviation(value, target, target, side)
    if deviation <= green.of(target) + 1e-12:
        return Rag.GREEN
    if amber is not None and deviation <= amber.of(target) + 1e-12:
        return Rag.AMBER
    return Rag.RED


def rag_range(value: float, low: float, high: float, amber: Margin | None, side: str) -> Rag:
    """Green inside [low, high]; amber within the margin beyond the range; red further out.

    A percentage margin is taken of the edge it extends ("1% above range" of 20 is 0.2).
    """
    if low <= value <= high:
        return Rag.GREEN
    if (side == "above" and value < low) or (side == "below" and value > high):
        return Rag.GREEN
    if amber is not None:
        if value > high and value - high <= amber.of(high) + 1e-12:
            return Rag.AMBER
        if value < low and low - value <= amber.of(low) + 1e-12:
            return Rag.AMBER
    return Rag.RED
