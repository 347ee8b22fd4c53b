"""Charts for performance reports: one function per kind of chart, each a pure function.

Every function takes a tidy, already aggregated pandas frame and returns an Altair chart:

- :func:`trend_chart`: a monthly trend with RAG bands shaded behind, the target as a dashed
  rule, benchmark lines, and months that are not available drawn as gaps (no line across them)
  whose reason shows in the tooltip and in the subtitle (tooltips do not survive in images);
- :func:`neighbour_bar_chart`: the authority against its statistical neighbours, ranked best
  first by polarity, the authority highlighted, the SN and England averages marked;
- :func:`small_multiples`: one small trend per org unit with a figure, sharing the y axis;
- :func:`funnel_plot`: org unit rates against their denominators with 95% and 99.8% control
  limits around the authority rate (the sound way to compare small teams);
- :func:`annual_trend_chart`: annual values (year ending 31 March) against benchmarks, up to
  the report month's financial year;
- :func:`breakdown_chart`: each category's share of a breakdown.

Every chart has a title, axis titles with units and a text alternative (the Vega-Lite
``description``) written from the data. Value axes show movement: lines and points get an axis
fitted to the data, targets and benchmarks (and band edges near them), bars start at zero;
ticks are round. Missing figures are gaps, never zeros, and each reason is said once, in month
names, for all the months it explains. Labels never overlap (those that cannot be placed are
named instead) and long names are wrapped, not cut. Charts are :data:`CHART_WIDTH` wide, the
width of the page, in the HTML pack and in images alike. RAG colours come from
:data:`RAG_COLOURS` everywhere (Okabe-Ito, colour-blind safe) and are always paired with a label
or a shape.

Charts embed their data inline (no URLs, whatever Altair data transformer is enabled) and only
the columns they draw; frames that look child-level are refused. :func:`to_png` and
:func:`to_svg` render offline with vl-convert, for board papers and slides.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import altair as alt
import numpy as np
import pandas as pd

from csc_workbench.assess.regional import funnel_limits
from csc_workbench.bands import Margin
from csc_workbench.config.catalogue import Indicator, Polarity, RangeBands, ThresholdBands, ToleranceBands, Unit
from csc_workbench.periods import financial_year_start, month_label, month_text, parse_month

__all__ = [
    "BAND_OPACITY",
    "CHART_WIDTH",
    "MAX_ROWS",
    "QUARTILE_WORDS",
    "RAG_COLOURS",
    "RAG_LABELS",
    "RAG_SHAPES",
    "Band",
    "ValueAxis",
    "annual_trend_chart",
    "bands_for",
    "breakdown_chart",
    "chart_data_rows",
    "council_funnel_chart",
    "funnel_plot",
    "funnel_verdict",
    "neighbour_bar_chart",
    "ordinal",
    "rank_text",
    "rank_trend_chart",
    "ranking_chart",
    "small_multiples",
    "to_png",
    "to_svg",
    "trend_chart",
]

# --- palette ------------------------------------------------------------------------------

#: RAG colours (Okabe-Ito bluish green, orange, vermillion; grey for "not rated"), the one
#: palette every chart uses. Colour is never the only cue: see RAG_LABELS and RAG_SHAPES.
RAG_COLOURS: dict[str, str] = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#999999"}
RAG_LABELS: dict[str, str] = {"green": "Green", "amber": "Amber", "red": "Red", "none": "Not rated"}
RAG_SHAPES: dict[str, str] = {"green": "circle", "amber": "diamond", "red": "triangle-down", "none": "square"}
#: Fill opacity of RAG bands shaded behind a trend.
BAND_OPACITY = 0.15

#: The measure itself / the authority (Okabe-Ito blue), the target, gaps and other bars.
SERIES_COLOUR = "#0072B2"
TARGET_COLOUR = "#000000"
GAP_COLOUR = "#666666"
OTHER_COLOUR = "#BDBDBD"
#: Benchmarks keep their colour across charts: SN average, England, regional, then others.
_BENCHMARK_COLOURS = (("neighbour", "#CC79A7"), ("sn ", "#CC79A7"), ("england", "#56B4E9"), ("national", "#56B4E9"))
_REGIONAL_COLOUR = "#555555"
_SPARE_COLOURS = ("#8C510A", "#F0E442", "#444444", "#35978F")
_BENCHMARK_DASHES = ([2, 2], [8, 3], [1, 3], [8, 3, 2, 3])
#: Funnel plot flags: deeper colour and a different shape the further out a unit lies.
FUNNEL_FLAGS: dict[str, tuple[str, str]] = {
    "Within 95% limits": ("#999999", "circle"),
    "Outside 95% limits": ("#56B4E9", "square"),
    "Outside 99.8% limits": ("#0072B2", "triangle-up"),
}


#: A chart is for aggregates: a frame longer than this is refused ("aggregate before charting").
MAX_ROWS = 5000
_CHILD_COLUMNS = re.compile(r"^(child(_?unique)?_?id|upn|uln|date_?of_?birth|dob|child_?name|forename|surname)$")

#: A RAG band in value units: (low, high, rag); None is open-ended.
Band = tuple[float | None, float | None, str]

_UNIT_TEXT = {
    Unit.PERCENT.value: ("%", "%"),
    Unit.RATE_PER_10K.value: ("per 10,000 children aged 0-17", " per 10,000"),
    Unit.COUNT.value: ("number", ""),
    Unit.AVERAGE.value: ("average", ""),
    Unit.RATIO.value: ("ratio", ""),
}
_NO_SUFFIX = {"number", "count", "average", "ratio", ""}

OK = "ok"


# --- small helpers ------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: the frame lacks the column(s) {', '.join(missing)}")
    child = [c for c in frame.columns if _CHILD_COLUMNS.match(re.sub(r"[\s-]+", "_", str(c).strip().lower()))]
    if child:
        raise ValueError(f"{what}: the frame looks child-level (column {child[0]!r}); aggregate before charting")
    if len(frame) > MAX_ROWS:
        raise ValueError(f"{what}: {len(frame)} rows is more than {MAX_ROWS}; aggregate before charting")


def _check_title(title: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValueError("every chart needs a title")
    return title.strip()


def _json_value(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) or math.isinf(x) else float(x)
    if isinstance(x, (list, tuple)):
        return [_json_value(v) for v in x]
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)


def _data(frame: pd.DataFrame | list[dict[str, Any]]) -> alt.Data:
    """Inline data (JSON-safe values, NaN as null) that no data transformer turns into a URL."""
    records = frame.to_dict("records") if isinstance(frame, pd.DataFrame) else frame
    return alt.Data(values=[{str(k): _json_value(v) for k, v in r.items()} for r in records])


def _objects(column: pd.Series) -> pd.Series:
    """A writable object column (pandas 3 would infer a read-only string array)."""
    return pd.Series(list(column), dtype=object)


def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and math.isnan(x))


def _unit_code(unit: str | Unit) -> str:
    return unit.value if isinstance(unit, Unit) else str(unit)


def _axis_title(unit: str | Unit) -> str:
    """Axis title: a catalogue unit code becomes words; any other text is used as given."""
    code = _unit_code(unit)
    return _UNIT_TEXT[code][0] if code in _UNIT_TEXT else code


def _is_percent(unit: str | Unit) -> bool:
    code = _unit_code(unit)
    return code == Unit.PERCENT.value or code.strip().startswith("%")


def _suffix(unit: str | Unit) -> str:
    code = _unit_code(unit)
    if code in _UNIT_TEXT:
        return _UNIT_TEXT[code][1]
    if _is_percent(code):
        return "%"
    return "" if code.strip().lower() in _NO_SUFFIX else f" {code.strip()}"


def _value_format(unit: str | Unit) -> str:
    """A tooltip's number format: counts as whole numbers, other units to one decimal place."""
    return ",.0f" if _unit_code(unit) == Unit.COUNT.value else ",.1f"


def _number(value: float | None, decimals: int = 1) -> str:
    if _missing(value):
        return "n/a"
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _fmt(value: float | None, unit: str | Unit, decimals: int = 1) -> str:
    """``21.1%``, ``85.5 per 10,000``, ``36 days``: for descriptions and labels."""
    return "n/a" if _missing(value) else _number(value, decimals) + _suffix(unit)


def _polarity(polarity: Polarity | str | None) -> str:
    if polarity is None:
        return Polarity.NONE.value
    text = str(polarity.value if isinstance(polarity, Polarity) else polarity).strip().lower()
    aliases = {"h": "high", "higher": "high", "l": "low", "lower": "low", "t": "target", "info": "none"}
    text = aliases.get(text, text)
    try:
        return Polarity(text).value
    except ValueError:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {', '.join(p.value for p in Polarity)}") from None


_POLARITY_WORDS = {
    "high": "higher is better",
    "low": "lower is better",
    "target": "closer to target is better",
    "within-range": "within the range is better",
}


# --- value axes and labels ---------------------------------------------------------------

#: Total width in pixels of a full-width chart, axes, labels and legends included (Vega-Lite
#: ``autosize: fit-x``): a number, not "container", because the pack's pages and the PNGs that
#: vl-convert draws use the same spec, and a PNG has no container to fill.
CHART_WIDTH = 900
_FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
#: Names (of authorities, org units, categories) longer than this many characters are wrapped.
NAME_WIDTH = 28
#: Categories of a breakdown longer than this many characters are wrapped.
CATEGORY_WIDTH = 40
#: Labels of 10 px text whose centres are closer than this many pixels overlap.
LABEL_HEIGHT = 13
#: A generous width in pixels of one character of 10 px text, to keep labels apart.
_CHAR_WIDTH = 6.0


class ValueAxis(NamedTuple):
    """A value axis: its domain and the round values of its ticks."""

    low: float
    high: float
    ticks: list[float]


def _round_ends(low: float, high: float, ticks: int) -> tuple[float, float, float]:
    """The ends, at multiples of a round step (1, 2 or 5 times a power of ten), that hold
    [low, high] most tightly with at most ``ticks`` + 2 intervals, and the step."""
    power = math.floor(math.log10((high - low) / ticks))
    steps = [m * 10.0**k for k in (power - 1, power, power + 1) for m in (1, 2, 5)]
    ends = [(math.floor(low / s + 1e-9) * s, math.ceil(high / s - 1e-9) * s, s) for s in steps]
    fitting = [e for e in ends if round((e[1] - e[0]) / e[2]) <= ticks + 2]  # the largest step always fits
    return min(fitting, key=lambda e: e[1] - e[0])


def _value_axis(
    values: Iterable[float | None],
    *,
    percent: bool,
    bar: bool = False,
    edges: Iterable[float | None] = (),
    ticks: int = 6,
) -> ValueAxis:
    """The value axis for ``values`` (the data, targets and benchmarks drawn), with round ticks.

    Lines and points get an axis fitted to the values with a tenth of their span to spare, so
    that a movement from 85% to 95% fills the chart; band ``edges`` within one span of the values
    are shown too. Bars (``bar``) always start at zero. The axis never goes below zero for values
    that do not, nor above 100 for percentages that do not.
    """
    found = [float(v) for v in values if not _missing(v)] or [0.0, 100.0 if percent else 1.0]
    low, high = min(found), max(found)
    if bar:
        low, high = min(low, 0.0), max(high, 0.0)
    else:
        reach = max(high - low, abs(high) * 0.05)
        near = [float(e) for e in edges if not _missing(e) and low - reach <= float(e) <= high + reach]
        low, high = min([low, *near]), max([high, *near])
    pad = (high - low) * 0.1 or max(abs(high) * 0.1, 1.0)  # a constant series: a band around it
    low, high = (low if bar and low == 0 else low - pad), high + pad
    low, high, step = _round_ends(low, high, ticks)
    if min(found) >= 0:
        low = max(low, 0.0)
    if percent and max(found) <= 100:
        high = min(high, 100.0)
    count = round((high - low) / step)
    return ValueAxis(float(low), float(high), [round(low + i * step, 10) for i in range(count + 1)])


def _spread(values: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions as near ``values`` as they can be, at least ``gap`` apart and inside
    ``[low, high]`` with half a gap to spare (the labels of close lines, nudged apart)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [0.0] * len(values)
    previous = -math.inf
    for i in order:
        placed[i] = max(min(max(values[i], low + gap / 2), high - gap / 2), previous + gap)
        previous = placed[i]
    following = high + gap / 2
    for i in reversed(order):
        placed[i] = min(placed[i], following - gap)
        following = placed[i]
    return placed


def _band_labels(bands: Sequence[Mapping[str, Any]], taken: Sequence[float], gap: float) -> list[dict]:
    """A label for each RAG band, inside the band at the height nearest its middle that is at
    least ``gap`` from every label already placed (``taken``, then each band label placed). A
    band too narrow for its label gets none: the colour key names it."""
    placed = list(taken)
    labels = []
    for band in bands:
        bottom, top = band["low"] + gap / 2, band["high"] - gap / 2
        if bottom > top:
            continue
        middle = (band["low"] + band["high"]) / 2
        nudged = (p + side * gap for p in placed for side in (-1, 1))
        candidates = [min(max(c, bottom), top) for c in (middle, bottom, top, *nudged)]
        free = [c for c in candidates if all(abs(c - p) >= gap * (1 - 1e-9) for p in placed)]
        if free:
            position = min(free, key=lambda c: abs(c - middle))
            placed.append(position)
            labels.append({"label": band["rag"], "position": position, "colour": band["colour"]})
    return labels


def _wrap_labels(values: Iterable[str], chars: int) -> str | None:
    """A Vega ``labelExpr`` that breaks the labels longer than ``chars`` characters into lines
    (axis and header labels are cut off otherwise), or None when every label is short."""
    long = {v: textwrap.wrap(v, chars) for v in values if len(v) > chars}
    return f"{json.dumps(long)}[datum.value] || datum.value" if long else None


#: Longer title and subtitle lines are wrapped, so that a long title never widens the chart.
TITLE_WIDTH, SUBTITLE_WIDTH = 90, 120


def _title(text: str, subtitle: Sequence[str]) -> alt.TitleParams:
    heading = textwrap.wrap(text, TITLE_WIDTH) if len(text) > TITLE_WIDTH else text
    lines = [wrapped for s in subtitle if s for wrapped in textwrap.wrap(s, SUBTITLE_WIDTH)]
    if lines:
        return alt.TitleParams(text=heading, subtitle=lines, anchor="start")
    return alt.TitleParams(text=heading, anchor="start")


def _join(items: Sequence[str], limit: int = 4) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)


def _benchmark_colour(label: str, index: int) -> str:
    low = f"{label.lower()} "
    if low.startswith("sn ") or "stat" in low:
        return "#CC79A7"
    for word, colour in _BENCHMARK_COLOURS:
        if word in low:
            return colour
    if "region" in low:
        return _REGIONAL_COLOUR
    return _SPARE_COLOURS[index % len(_SPARE_COLOURS)]


def _month_index(value: Any) -> int:
    if isinstance(value, (int, np.integer)):
        return int(value)
    return parse_month(str(value))


def _rag_key(value: Any) -> str:
    if _missing(value):
        return "none"
    key = str(getattr(value, "value", value)).strip().lower()
    return key if key in RAG_COLOURS else "none"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def _and(items: Sequence[str]) -> str:
    """Items in words: "a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- why a figure is missing, in reader words ---------------------------------------------

_MONTH_CODE = re.compile(r"\b(\d{4})-(\d{2})\b")
#: A month in a window's note: "Feb 2025" (or "2025-02", as notes used to name months).
_MONTH = r"(?:[A-Z][a-z]{2} \d{4}|\d{4}-\d{2})"
_MONTH_NUMBERS = {month_label(m).split()[0]: m for m in range(12)}
_UNAVAILABLE = re.compile(rf"^({_MONTH}) (?:not |un)available:\s*(.+)$", re.DOTALL)
_COVERS_GAP = re.compile(rf"^(?:covers|includes) ({_MONTH}), (?:which is not |un)available:\s*(.+)$", re.DOTALL)
_NO_FIGURE_FOR = re.compile(
    rf"^no (?:usable monthly )?figure for ({_MONTH}(?:, {_MONTH})*)(?: and (\d+) more months?| (\.\.\.))?$"
)
_NO_WINDOW = re.compile(r"^a snapshot measure has no \w+ window$")
#: Notes (or statuses, where a month has no note) and what a reader is told instead.
_NOTE_WORDS = {
    "no figure": "",
    "missing": "",
    "unavailable": "not available",
    "not applicable": "not applicable",
    "denominator is zero": "nothing to count: the denominator is zero",
}


def _month_of(text: str) -> int:
    """The month index of "Feb 2025" or "2025-02"."""
    if "-" in text:
        return parse_month(text)
    name, year = text.split()
    return int(year) * 12 + _MONTH_NUMBERS[name]


def _in_words(text: str) -> str:
    """Month codes in a reason as month names ("2025-02" -> "Feb 2025"); financial years such
    as "2025-26" are left alone."""

    def name(match: re.Match[str]) -> str:
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or month == (year + 1) % 100:
            return match.group(0)
        return month_label(year * 12 + month - 1)

    return _MONTH_CODE.sub(name, text)


class _Reason(NamedTuple):
    """Why a figure is missing. ``kind`` "plain": ``text`` says why ("" when there is just no
    figure); "gap": the figures are or cover ``months``, unavailable because of ``text``;
    "lacking": the figures cover ``months`` that have no data, and ``more`` later months
    besides where the note named only the first few (-1: how many is not said)."""

    kind: str
    text: str = ""
    months: tuple[int, ...] = ()
    more: int = 0


def _reason(note: Any, status: Any = None, period: int | None = None) -> _Reason:
    """The reason in the note of a window (or its status, where there is no note) ending in
    ``period``, as :func:`csc_workbench.assess.windows.window_values` words it."""
    text = "" if _missing(note) else str(note).strip()
    text = text or ("" if _missing(status) else str(status).strip())
    if match := _UNAVAILABLE.match(text) or _COVERS_GAP.match(text):
        return _Reason("gap", match.group(2).strip(), (_month_of(match.group(1)),))
    if match := _NO_FIGURE_FOR.match(text):
        months = tuple(_month_of(m.strip()) for m in match.group(1).split(", "))
        if months == (period,):  # a month's own figure
            return _Reason("plain")
        more = int(match.group(2)) if match.group(2) else -1 if match.group(3) else 0
        return _Reason("lacking", months=months, more=more)
    if _NO_WINDOW.match(text):
        return _Reason("plain", "a month-end figure has no rolling window")
    return _Reason("plain", _NOTE_WORDS.get(text, _in_words(text)))


def _keys(reasons: Sequence[_Reason]) -> list[tuple]:
    """A key for each reason: figures with the same key share a reason (and are explained
    together). Figures lacking data share one where the months they lack touch or overlap."""
    keys: list[tuple] = []
    clusters: list[set[int]] = []
    for reason in reasons:
        if reason.kind != "lacking":
            keys.append((reason.kind, reason.text))
            continue
        near = {m + d for m in reason.months for d in (-1, 0, 1)}
        index = next((i for i, c in enumerate(clusters) if c & near), len(clusters))
        if index == len(clusters):
            clusters.append(set())
        clusters[index] |= set(reason.months)
        keys.append(("lacking", index))
    return keys


def _merged(reasons: Sequence[_Reason], months: Iterable[int] = ()) -> _Reason:
    """One reason for figures sharing it (of ``months``, when they are monthly): the months
    unavailable or lacking data of each, together; just the reason where the figures are of the
    unavailable months themselves."""
    first = reasons[0]
    named = {m for r in reasons for m in r.months}
    if first.kind == "gap":
        return _Reason("plain", first.text) if named == set(months) else first._replace(months=tuple(sorted(named)))
    if first.kind != "lacking":
        return first
    # months a note left unnamed may be named by another note (of the next window, say)
    more = any(r.more < 0 or sum(m > max(r.months) for m in named) < r.more for r in reasons if r.more)
    return first._replace(months=tuple(sorted(named)), more=-1 if more else 0)


def _why(reason: _Reason, several: bool = False) -> str:
    """The reason in words ("" when there is just no figure)."""
    covers = "these figures cover" if several else "this figure covers"
    if reason.kind == "gap":
        return f"{covers} {_months_text(reason.months)} ({reason.text})"
    if reason.kind == "lacking":
        more = " and other months" if reason.more else ""
        return f"{covers} months with no data ({_months_text(reason.months)}{more})"
    return reason.text


def _no_figure(when: str, reason: _Reason, several: bool) -> str:
    """The sentence for figures missing for one reason, as "No figure for Aug to Oct 2024: these
    figures cover months with no data (Sep to Nov 2023)" or "No figure for Feb 2025 (system
    migration)"."""
    words = _why(reason, several)
    if not words:
        return f"No figure for {when}"
    return f"No figure for {when} ({words})" if reason.kind == "plain" else f"No figure for {when}: {words}"


def _months_text(months: Iterable[int]) -> str:
    """Months as runs: "Feb 2025", "Aug to Oct 2024", "Nov 2025 to Jan 2026 and Mar 2026"."""
    runs: list[list[int]] = []
    for m in sorted(set(months)):
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])

    def run(first: int, last: int) -> str:
        if first == last:
            return month_label(first)
        start = month_label(first).split()[0] if first // 12 == last // 12 else month_label(first)
        return f"{start} to {month_label(last)}"

    return _and([run(first, last) for first, last in runs])


def _gap_lines(gaps: pd.DataFrame, units: Sequence[str] | None = None) -> list[str]:
    """A sentence for each reason months have no figure, its months together (``gaps``:
    ``period``, ``note``, ``status`` and, with ``units`` the org units drawn, ``org_unit``).
    Org units are named where not all of them share the months and the reason."""
    reasons = [
        _reason(note, status, int(period))
        for note, status, period in zip(gaps["note"], gaps["status"], gaps["period"], strict=True)
    ]
    per_key: dict[tuple, dict[str, list[tuple[int, _Reason]]]] = {}
    for key, reason, period, unit in zip(
        _keys(reasons), reasons, gaps["period"], gaps["org_unit"] if units else [""] * len(gaps), strict=True
    ):
        per_key.setdefault(key, {}).setdefault(unit, []).append((int(period), reason))
    lines: list[tuple[int, str]] = []
    for per_unit in per_key.values():
        together: dict[tuple[int, ...], list[str]] = {}
        for unit, found in per_unit.items():
            together.setdefault(tuple(sorted(m for m, _ in found)), []).append(unit)
        for months, names in together.items():
            when = _months_text(months)
            if units and len(names) < len(units):
                when += f" in {_and(names)}"
            reason = _merged([r for name in names for _, r in per_unit[name]], months)
            lines.append((months[0], _no_figure(when, reason, len(months) > 1)))
    return [line for _, line in sorted(lines, key=lambda item: item[0])]


# --- bands from the catalogue -------------------------------------------------------------


def bands_for(indicator: Indicator, month: str | int) -> list[Band]:
    """The RAG bands in force for ``month`` as (low, high, rag) in value units, for trend_chart.

    Threshold bands give their intervals; tolerance bands are drawn around the year's target
    (on the side that counts); range bands around the green range. Monitor measures: [].
    """
    month = _month_index(month)
    entry = indicator.targets_for(month)
    if entry is None or entry.rag is None:
        return []
    rule = entry.rag
    if isinstance(rule, ThresholdBands):
        return [(i.low, i.high, name) for name, i in rule._intervals.items()]
    if isinstance(rule, ToleranceBands):
        green, amber = rule.margins()
        side = rule.side or indicator.default_side
        return _around(entry.target, entry.target, green, amber, side, amber_of_edge=False)
    if isinstance(rule, RangeBands):
        amber = Margin.parse(rule.amber) if rule.amber is not None else None
        low, high = rule.green
        return _around(low, high, Margin(0.0), amber, rule.side, amber_of_edge=True)
    return []


def _around(low: float, high: float, green: Margin, amber: Margin | None, side: str, amber_of_edge: bool) -> list[Band]:
    """Green from low - g to high + g, amber beyond it, red further, on the side(s) that count."""
    g_low, g_high = green.of(low), green.of(high)

    def amber_width(edge: float, green_width: float) -> float | None:
        if amber is None:
            return None
        return amber.of(edge) if amber_of_edge else max(amber.of(edge) - green_width, 0.0)

    bands: list[Band] = []
    below, above = side in ("both", "below"), side in ("both", "above")
    green_low = low - g_low if below else None
    green_high = high + g_high if above else None
    bands.append((green_low, green_high, "green"))
    if above:
        width = amber_width(high, g_high)
        edge = green_high if width is None else green_high + width
        if width:
            bands.append((green_high, edge, "amber"))
        bands.append((edge, None, "red"))
    if below:
        width = amber_width(low, g_low)
        edge = green_low if width is None else green_low - width
        if width:
            bands.append((edge, green_low, "amber"))
        bands.append((None, edge, "red"))
    return bands


def _band_rows(bands: Iterable[Sequence[Any]] | None, low: float, high: float, unit: str | Unit) -> list[dict]:
    """Bands clipped to the y domain [low, high]; empty ones dropped."""
    rows = []
    for band in bands or []:
        if len(band) != 3:
            raise ValueError(f"a band is (low, high, rag), got {band!r}")
        b_low, b_high, rag = band
        key = _rag_key(rag)
        if key == "none":
            raise ValueError(f"band rag must be green, amber or red, got {rag!r}")
        top = high if _missing(b_high) else min(float(b_high), high)
        bottom = low if _missing(b_low) else max(float(b_low), low)
        if top <= bottom:
            continue
        if _missing(b_low):
            words = f"below {_fmt(b_high, unit)}"
        elif _missing(b_high):
            words = f"{_fmt(b_low, unit)} and above"
        else:
            words = f"{_fmt(b_low, unit)} to {_fmt(b_high, unit)}"
        rows.append(
            {
                "low": bottom,
                "high": top,
                "rag": RAG_LABELS[key],
                "band": f"{RAG_LABELS[key]}: {words}",
                "colour": RAG_COLOURS[key],
            }
        )
    return rows


# --- trend --------------------------------------------------------------------------------


def _trend_frame(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """One row per month from the first to the last (holes filled as missing), with its index
    ``period``, a label, an ``ok`` flag, the note and, for every month not ok, the ``reason`` in
    reader words, and ``segment`` numbering runs of ok months."""
    months = [_month_index(m) for m in frame["month"]]
    if len(set(months)) != len(months):
        raise ValueError(f"{what}: a month appears twice; chart one indicator and org unit at a time")
    extra = [c for c in ("rag", "target") if c in frame.columns]
    work = pd.DataFrame(
        {
            "period": months,
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, copy=True),
            "status": _objects(frame["status"]),
            "note": _objects(frame["note"]),
            **{c: _objects(frame[c]) for c in extra},
        }
    ).set_index("period")
    if months:
        work = work.reindex(range(min(months), max(months) + 1))
    filled = work["status"].isna()
    work.loc[filled, "status"] = "missing"
    work.loc[filled, "note"] = [f"no figure for {month_label(int(m))}" for m in work.index[filled]]
    ok = (work["status"] == OK).to_numpy() & work["value"].notna().to_numpy()
    no_value = (work["status"] == OK).to_numpy() & ~ok
    work.loc[no_value, "status"] = "missing"
    work.loc[no_value, "note"] = "no value given"
    work.loc[~ok, "value"] = np.nan
    work["ok"] = ok
    work["reason"] = [
        None if good else (_why(_merged([_reason(n, s, int(m))], [int(m)])) or "no figure")
        for n, s, m, good in zip(work["note"], work["status"], work.index, ok, strict=True)
    ]
    work["segment"] = np.cumsum(~ok)
    work["month"] = [month_text(int(m)) for m in work.index]
    work["month_label"] = [month_label(int(m)) for m in work.index]
    if "rag" in work.columns:
        work["rag"] = [RAG_LABELS[_rag_key(r)] if good else None for r, good in zip(work["rag"], ok, strict=True)]
    if "target" in work.columns:
        work["target"] = pd.to_numeric(work["target"], errors="coerce")
    return work.reset_index()


#: Month labels ("Nov 2025") print on two lines, month above year, so that they stay level.
_TWO_LINES = "split(datum.value, ' ')"


def _x_month(labels: list[str], title: str | None = "Month", shown: list[str] | None = None) -> alt.X:
    axis = alt.Axis(labelAngle=0, labelExpr=_TWO_LINES, **({"values": shown} if shown is not None else {}))
    return alt.X("month_label:O", title=title, sort=labels, scale=alt.Scale(domain=labels), axis=axis)


def _y_value(field: str, title: str | list[str], axis: ValueAxis) -> alt.Y:
    return alt.Y(
        f"{field}:Q",
        title=title,
        scale=alt.Scale(domain=[axis.low, axis.high], nice=False, zero=False),
        axis=alt.Axis(values=axis.ticks),
    )


def _rag_encodings(present: Iterable[str]) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape of RAG ratings (points, and bands that share their key), over the
    ratings present, in a fixed order."""
    keys = [k for k in RAG_COLOURS if RAG_LABELS[k] in set(present)]
    domain = [RAG_LABELS[k] for k in keys]
    legend = alt.Legend(title="RAG", orient="bottom", symbolOpacity=1)
    colour = alt.Color("rag:N", scale=alt.Scale(domain=domain, range=[RAG_COLOURS[k] for k in keys]), legend=legend)
    shape = alt.Shape("rag:N", scale=alt.Scale(domain=domain, range=[RAG_SHAPES[k] for k in keys]), legend=legend)
    return colour, shape


def _margin_text(rows: list[dict], axis: ValueAxis, title: str, **style: Any) -> alt.Chart:
    """Labels in the margin right of the plot, each at its ``position`` on the value axis."""
    return (
        alt.Chart(_data(rows))
        .mark_text(x="width", dx=6, align="left", baseline="middle", fontSize=10, **style)
        .encode(y=_y_value("position", title, axis), text="label:N")
    )


def trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    target: float | None = None,
    bands: Iterable[Sequence[Any]] | None = None,
    benchmarks: Mapping[str, float | None] | None = None,
    polarity: Polarity | str | None = None,
    width: int = CHART_WIDTH,
    height: int = 260,
) -> alt.LayerChart:
    """Monthly trend of one indicator for one org unit.

    ``frame``: one row per month with ``month`` ("YYYY-MM"), ``value``, ``status`` (ok /
    unavailable / missing / not applicable, as window_values gives) and ``note``; optionally
    ``rag`` (green / amber / red, to colour and shape the points) and ``target`` (a target per
    month, drawn as a dashed line, for trends that cross a change of financial year).
    Months absent from the frame between the first and last are shown as missing.

    ``unit`` is the y axis title ("% of referrals") or a catalogue unit code. ``target`` is a
    dashed rule; ``bands`` are (low, high, rag) in value units (None = open-ended, see
    :func:`bands_for`), shaded behind and clipped to the axis; ``benchmarks`` maps a label
    ("SN average 2025") to a value drawn as a labelled rule. The value axis is fitted to the
    values, targets, benchmarks and the band edges near them. The labels of the target, the
    benchmarks and the bands sit right of the plot, apart; a band too narrow for its label is
    named by the colour key. Months not ok are gaps in the line, marked by a dotted rule whose
    tooltip gives the reason; the subtitle says each reason once, for all the months it explains.
    ``width`` is the whole chart's.
    """
    title = _check_title(title)
    _require(frame, ("month", "value", "status", "note"), "trend_chart")
    data = _trend_frame(frame, "trend_chart")
    if data.empty:
        raise ValueError("trend_chart: the frame has no months")
    percent, axis_title, number = _is_percent(unit), _axis_title(unit), _value_format(unit)
    polarity = _polarity(polarity)
    bench = {str(k): float(v) for k, v in (benchmarks or {}).items() if not _missing(v)}
    targets = list(data["target"]) if "target" in data.columns else []
    bands = list(bands or [])
    edges = [edge for band in bands for edge in band[:2]]
    axis = _value_axis([*data["value"], target, *targets, *bench.values()], percent=percent, edges=edges)
    labels = list(data["month_label"])
    x = _x_month(labels)
    ok_rows = data[data["ok"]]
    band_rows = _band_rows(bands, axis.low, axis.high, unit)
    rated = "rag" in data.columns
    present = [b["rag"] for b in band_rows] + (list(ok_rows["rag"].fillna(RAG_LABELS["none"])) if rated else [])
    colour, shape = _rag_encodings(present)
    layers: list[alt.Chart] = []
    if band_rows:
        layers.append(
            alt.Chart(_data(band_rows))
            .mark_rect(fillOpacity=BAND_OPACITY)
            .encode(
                y=_y_value("low", axis_title, axis),
                y2="high:Q",
                color=colour,
                tooltip=[alt.Tooltip("band:N", title="RAG band")],
            )
        )

    line_labels: list[dict] = []
    if bench:
        rows = [
            {"benchmark": k, "value": v, "label": f"{k}: {_fmt(v, unit)}", "colour": _benchmark_colour(k, i)}
            for i, (k, v) in enumerate(bench.items())
        ]
        layers.append(
            alt.Chart(_data(rows))
            .mark_rule(strokeDash=[2, 2], size=1.5)
            .encode(
                y=_y_value("value", axis_title, axis),
                color=alt.Color("colour:N", scale=None),
                tooltip=[alt.Tooltip("benchmark:N", title="Benchmark"), alt.Tooltip("value:Q", format=number)],
            )
        )
        line_labels += [{"label": r["label"], "value": r["value"]} for r in rows]

    if not _missing(target):
        row = [{"label": f"Target {_fmt(target, unit)}", "target": float(target)}]
        layers.append(
            alt.Chart(_data(row))
            .mark_rule(strokeDash=[6, 4], size=1.5, color=TARGET_COLOUR)
            .encode(y=_y_value("target", axis_title, axis), tooltip=[alt.Tooltip("label:N", title="Target")])
        )
        line_labels.append({"label": row[0]["label"], "value": float(target)})
    elif "target" in data.columns and data["target"].notna().any():
        rows = data.loc[data["target"].notna(), ["month_label", "target"]]
        layers.append(
            alt.Chart(_data(rows))
            .mark_line(strokeDash=[6, 4], interpolate="step", color=TARGET_COLOUR, size=1.5)
            .encode(x=x, y=_y_value("target", axis_title, axis), tooltip=["month_label:O", "target:Q"])
        )
        latest_target = float(rows["target"].iloc[-1])
        line_labels.append({"label": f"Target {_fmt(latest_target, unit)}", "value": latest_target})

    # labels right of the plot: the lines' first, nudged apart, then each band's where it fits
    gap = (axis.high - axis.low) * LABEL_HEIGHT / height
    positions = _spread([r["value"] for r in line_labels], gap, axis.low, axis.high)
    for r, position in zip(line_labels, positions, strict=True):
        r["position"] = position
    if line_labels:
        layers.append(_margin_text(line_labels, axis, axis_title, color="#333333"))
    band_labels = _band_labels(band_rows, positions, gap)
    if band_labels:
        layers.append(
            _margin_text(band_labels, axis, axis_title, fontWeight="bold").encode(
                color=alt.Color("colour:N", scale=None)
            )
        )

    tooltip = [alt.Tooltip("month_label:O", title="Month"), alt.Tooltip("value:Q", title=axis_title, format=number)]
    if not ok_rows.empty:
        layers.append(
            alt.Chart(_data(ok_rows[["month_label", "value", "segment"]]))
            .mark_line(color=SERIES_COLOUR, strokeWidth=2)
            .encode(x=x, y=_y_value("value", axis_title, axis), detail="segment:N")
        )
        points = alt.Chart(_data(ok_rows[["month_label", "value", *(["rag"] if rated else [])]]))
        if rated:
            points = points.mark_point(filled=True, size=60, opacity=1).encode(color=colour, shape=shape)
            tooltip.append(alt.Tooltip("rag:N", title="RAG"))
        else:
            points = points.mark_point(filled=True, size=60, opacity=1, color=SERIES_COLOUR)
        layers.append(points.encode(x=x, y=_y_value("value", axis_title, axis), tooltip=tooltip))

    gaps = data[~data["ok"]]
    if not gaps.empty:
        layers.append(
            alt.Chart(_data(gaps[["month_label", "reason"]]))
            .mark_rule(strokeDash=[1, 3], color=GAP_COLOUR, size=1)
            .encode(
                x=x,
                tooltip=[alt.Tooltip("month_label:O", title="Month"), alt.Tooltip("reason:N", title="No figure")],
            )
        )

    subtitle = [_POLARITY_WORDS[polarity].capitalize()] if polarity in _POLARITY_WORDS else []
    subtitle += _gap_lines(gaps)
    description = _describe_trend(title, data, unit, target, bench, polarity)
    return alt.layer(*layers).properties(
        title=_title(title, subtitle), description=description, width=width, height=height, autosize=_FIT_WIDTH
    )


def _describe_trend(
    title: str,
    data: pd.DataFrame,
    unit: str | Unit,
    target: float | None,
    bench: Mapping[str, float],
    polarity: str,
) -> str:
    first, last = data["month_label"].iloc[0], data["month_label"].iloc[-1]
    ok_rows = data[data["ok"]]
    head = f"{title}, {first} to {last}: "
    if ok_rows.empty:
        text = head + "no month has a value"
    else:
        latest = ok_rows.iloc[-1]
        when = "" if latest["month_label"] == last else f" ({latest['month_label']})"
        text = head + f"latest {_fmt(latest['value'], unit)}{when}"
        month_target = latest["target"] if "target" in data.columns else None
        shown_target = target if not _missing(target) else month_target
        if not _missing(shown_target):
            text += f" against a target of {_fmt(shown_target, unit)}"
        if "rag" in data.columns and latest["rag"]:
            text += f", rated {latest['rag']}"
        if polarity in _POLARITY_WORDS:
            text += f" ({_POLARITY_WORDS[polarity]})"
    if bench:
        text += "; " + ", ".join(f"{k} {_fmt(v, unit)}" for k, v in bench.items())
    gaps = data[~data["ok"]]
    if not gaps.empty:
        text += f"; {_plural(len(gaps), 'month')} not available. " + ". ".join(_gap_lines(gaps))
    return text + "."


# --- statistical neighbours ---------------------------------------------------------------


def neighbour_bar_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    authority: str,
    sn_average: float | None = None,
    national: float | None = None,
    polarity: Polarity | str | None,
    width: int = CHART_WIDTH,
    bar_height: int = 20,
) -> alt.LayerChart:
    """The authority and its statistical neighbours, one horizontal bar each, best first.

    ``frame``: ``la_name``, ``value``, ``reason`` (why a value is missing). Higher-is-better
    measures are ranked largest first, lower-is-better smallest first, others largest first.
    LAs without a value are not drawn (never as zero) but listed in the subtitle and the text
    alternative. ``sn_average`` and ``national`` (England) are drawn as rules with a legend. The
    bars start at zero; long names are wrapped. ``width`` is the whole chart's.
    """
    title = _check_title(title)
    _require(frame, ("la_name", "value", "reason"), "neighbour_bar_chart")
    polarity = _polarity(polarity)
    names = [str(n) for n in frame["la_name"]]
    if authority not in names:
        raise ValueError(f"neighbour_bar_chart: the authority {authority!r} is not in the frame")
    if len(set(names)) != len(names):
        raise ValueError("neighbour_bar_chart: an LA appears twice")
    work = pd.DataFrame(
        {
            "la_name": names,
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, copy=True),
            "reason": [None if _missing(r) else str(r) for r in frame["reason"]],
        }
    )
    absent = work[work["value"].isna()]
    drawn = work[work["value"].notna()].copy()
    ascending = polarity == "low"
    drawn["_key"] = drawn["value"] if ascending else -drawn["value"]
    drawn = drawn.sort_values(["_key", "la_name"], kind="stable").drop(columns="_key").reset_index(drop=True)
    drawn["rank"] = np.arange(1, len(drawn) + 1)
    group_label, others = authority, "Statistical neighbours"
    drawn["group"] = np.where(drawn["la_name"] == authority, group_label, others)
    drawn["label"] = [_fmt(v, unit) for v in drawn["value"]]
    order = list(drawn["la_name"])
    axis_title = _axis_title(unit)
    bench = {
        label: float(v)
        for label, v in (("SN average", sn_average), ("England", national))
        if v is not None and not _missing(v)
    }
    axis = _value_axis([*drawn["value"], *bench.values()], percent=_is_percent(unit), bar=True)
    x_scale = alt.Scale(domain=[axis.low, axis.high], nice=False)
    x_axis = alt.Axis(values=axis.ticks)
    y = _names_axis("la_name", "Local authority", order, authority)
    tooltip = [
        alt.Tooltip("la_name:N", title="Local authority"),
        alt.Tooltip("value:Q", title=axis_title, format=_value_format(unit)),
        alt.Tooltip("rank:Q", title=f"Rank (of {len(drawn)})"),
    ]
    bar_data = drawn[["la_name", "value", "rank", "group", "label"]]
    layers: list[alt.Chart] = [
        alt.Chart(_data(bar_data))
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=axis_title, scale=x_scale, axis=x_axis),
            y=y,
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=[group_label, others], range=[SERIES_COLOUR, OTHER_COLOUR]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=tooltip,
        ),
        alt.Chart(_data(bar_data))
        .mark_text(align="left", baseline="middle", dx=3, fontSize=10)
        .encode(x=alt.X("value:Q", title=axis_title, scale=x_scale, axis=x_axis), y=y, text="label:N"),
    ]
    if bench:
        rows = [
            {"benchmark": f"{k} {_fmt(v, unit)}", "value": v, "colour": _benchmark_colour(k, i)}
            for i, (k, v) in enumerate(bench.items())
        ]
        dashes = [_BENCHMARK_DASHES[i % len(_BENCHMARK_DASHES)] for i in range(len(rows))]
        domain = [r["benchmark"] for r in rows]
        layers.append(
            alt.Chart(_data(rows))
            .mark_rule(size=2)
            .encode(
                x=alt.X("value:Q", title=axis_title, scale=x_scale, axis=x_axis),
                color=alt.Color(
                    "benchmark:N",
                    scale=alt.Scale(domain=domain, range=[r["colour"] for r in rows]),
                    legend=alt.Legend(title="Benchmarks", orient="bottom"),
                ),
                strokeDash=alt.StrokeDash(
                    "benchmark:N", scale=alt.Scale(domain=domain, range=dashes), legend=alt.Legend(title="Benchmarks")
                ),
                tooltip=[alt.Tooltip("benchmark:N", title="Benchmark")],
            )
        )
    ranked = f"Ranked best first ({_POLARITY_WORDS[polarity]})" if polarity in ("high", "low") else None
    subtitle = [ranked or "Ranked highest first"]
    if not absent.empty:
        subtitle.append("Not available: " + "; ".join(_with_reason(r.la_name, r.reason) for r in absent.itertuples()))
    description = _describe_neighbours(title, drawn, absent, authority, unit, bench, polarity)
    chart = alt.layer(*layers).properties(
        title=_title(title, subtitle),
        description=description,
        width=width,
        height=_rows_height(order, bar_height),
        autosize=_FIT_WIDTH,
    )
    return chart.resolve_scale(color="independent", strokeDash="independent")


def _names_axis(field: str, title: str, order: list[str], bold: str | None) -> alt.Y:
    """The names down a ranked chart, in ``order``, long ones wrapped, ``bold`` (the reader's own) in bold."""
    weight = f"datum.value == {json.dumps(bold)} ? 'bold' : 'normal'"
    wrapped = _wrap_labels(order, NAME_WIDTH)
    return alt.Y(
        f"{field}:N",
        sort=order,
        title=title,
        scale=alt.Scale(domain=order),
        axis=alt.Axis(labelFontWeight=alt.ExprRef(weight), labelLimit=0, **({"labelExpr": wrapped} if wrapped else {})),
    )


def _rows_height(order: list[str], row_height: int) -> int:
    """A ranked chart's height: a row per name, tall enough for its wrapped lines (60 px at least)."""
    lines = max((len(textwrap.wrap(name, NAME_WIDTH)) for name in order), default=1)
    return max(max(row_height, 12 * lines + 6) * max(len(order), 1), 60)


def _with_reason(name: str, reason: str | None) -> str:
    return f"{name} ({reason})" if reason else name


def _describe_neighbours(
    title: str,
    drawn: pd.DataFrame,
    absent: pd.DataFrame,
    authority: str,
    unit: str | Unit,
    bench: Mapping[str, float],
    polarity: str,
) -> str:
    own = drawn[drawn["la_name"] == authority]
    if own.empty:
        text = f"{title}: no value for {authority}; {_plural(len(drawn), 'authority', 'authorities')} shown"
    else:
        row = own.iloc[0]
        ranking = "1 = best" if polarity in ("high", "low") else "1 = highest"
        text = (
            f"{title}: {authority} {_fmt(row['value'], unit)}, ranked {int(row['rank'])} of {len(drawn)} "
            f"authorities with a value ({ranking})"
        )
    if bench:
        text += "; " + ", ".join(f"{k} {_fmt(v, unit)}" for k, v in bench.items())
    text += "."
    if not absent.empty:
        text += " Not available: " + _join([_with_reason(r.la_name, r.reason) for r in absent.itertuples()]) + "."
    return text


# --- small multiples ----------------------------------------------------------------------


def small_multiples(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    columns: int = 4,
    width: int = CHART_WIDTH,
    height: int = 110,
) -> alt.FacetChart:
    """A small trend per org unit, faceted, sharing the y axis (fitted to the values and targets).

    ``frame``: ``org_unit``, ``month``, ``value``, ``status``, ``note`` (one row per org unit
    and month), optionally ``target`` (drawn dashed) and ``rag`` (colours and shapes points).
    Org units appear in the order of the frame; one with no figure in any month is left out and
    named in the subtitle (never an empty panel). Months not ok are gaps with the reason in the
    tooltip, each reason said once in the subtitle. The chart carries one data row per org unit
    drawn and month. ``width`` is the whole chart's, ``height`` a panel's.
    """
    title = _check_title(title)
    _require(frame, ("org_unit", "month", "value", "status", "note"), "small_multiples")
    units = list(dict.fromkeys(str(u) for u in frame["org_unit"]))
    if not units:
        raise ValueError("small_multiples: the frame has no rows")
    parts = []
    all_months = [_month_index(m) for m in frame["month"]]
    first, last = min(all_months), max(all_months)
    for unit_name in units:
        rows = frame[frame["org_unit"].astype(str) == unit_name]
        # every panel covers the same months, so holes at either end are shown as missing too
        edges = pd.DataFrame(
            {"month": [month_text(first), month_text(last)], "value": np.nan, "status": None, "note": None}
        )
        have = {_month_index(m) for m in rows["month"]}
        pad = edges[[_month_index(m) not in have for m in edges["month"]]]
        part = _trend_frame(pd.concat([rows, pad], ignore_index=True), "small_multiples")
        parts.append(part.assign(org_unit=unit_name))
    data = pd.concat(parts, ignore_index=True)
    drawn = [u for u in units if data.loc[data["org_unit"] == u, "ok"].any()]
    if not drawn:
        raise ValueError("small_multiples: no org unit has a figure in any month")
    left_out = [u for u in units if u not in drawn]
    data = data[data["org_unit"].isin(drawn)].reset_index(drop=True)
    percent, axis_title = _is_percent(unit), _axis_title(unit)
    y_title = textwrap.wrap(axis_title, max(height // 6, 10)) or axis_title  # in lines that fit a panel
    targets = list(data["target"]) if "target" in data.columns else []
    axis = _value_axis([*data["value"], *targets], percent=percent, ticks=4)
    labels = [month_label(m) for m in range(first, last + 1)]
    shown = labels if len(labels) <= 3 else [labels[0], labels[len(labels) // 2], labels[-1]]
    x = _x_month(labels, title=None, shown=shown)
    y = _y_value("value", y_title, axis)
    tooltip = [
        alt.Tooltip("org_unit:N", title="Org unit"),
        alt.Tooltip("month_label:O", title="Month"),
        alt.Tooltip("value:Q", title=axis_title, format=_value_format(unit)),
    ]
    layers = []
    if "target" in data.columns:
        layers.append(
            alt.Chart()
            .mark_line(strokeDash=[6, 4], interpolate="step", color=TARGET_COLOUR, size=1)
            .encode(x=x, y=_y_value("target", y_title, axis))
            .transform_filter("isValid(datum.target)")
        )
    layers.append(
        alt.Chart()
        .mark_line(color=SERIES_COLOUR, strokeWidth=1.5)
        .encode(x=x, y=y, detail="segment:N")
        .transform_filter("datum.ok")
    )
    points = alt.Chart().mark_point(filled=True, size=25, opacity=1, color=SERIES_COLOUR)
    if "rag" in data.columns:
        colour, shape = _rag_encodings(data["rag"].dropna().tolist() or [RAG_LABELS["none"]])
        points = points.encode(color=colour, shape=shape)
        tooltip.append(alt.Tooltip("rag:N", title="RAG"))
    layers.append(points.encode(x=x, y=y, tooltip=tooltip).transform_filter("datum.ok"))
    gap_tooltip = [
        alt.Tooltip("org_unit:N", title="Org unit"),
        alt.Tooltip("month_label:O", title="Month"),
        alt.Tooltip("reason:N", title="No figure"),
    ]
    layers.append(
        alt.Chart()
        .mark_rule(strokeDash=[1, 3], color=GAP_COLOUR)
        .encode(x=x, tooltip=gap_tooltip)
        .transform_filter("!datum.ok")
    )
    columns_kept = ["org_unit", "month", "month_label", "value", "reason", "ok", "segment"]
    columns_kept += [c for c in ("target", "rag") if c in data.columns]
    subtitle = _gap_lines(data[~data["ok"]], drawn)
    if left_out:
        subtitle.append(f"Left out (no figure in any month): {_and(left_out)}")
    description = _describe_multiples(title, data, drawn, left_out, unit, labels)
    columns = max(1, min(columns, len(drawn)))
    panel = int((width - 90) / columns) - 20  # the y axis takes up to 90 px, 20 px between panels
    wrapped = _wrap_labels(drawn, max(panel // 8, 12))
    header = alt.Header(labelFontWeight="bold", labelLimit=0, **({"labelExpr": wrapped} if wrapped else {}))
    inner = alt.layer(*layers, data=_data(data[columns_kept])).properties(width=panel, height=height)
    return (
        inner.facet(facet=alt.Facet("org_unit:N", sort=drawn, title=None, header=header), columns=columns)
        .resolve_axis(x="independent")  # each panel its own month axis: none left under an empty cell
        .properties(title=_title(title, subtitle), description=description)
    )


def _describe_multiples(
    title: str, data: pd.DataFrame, units: list[str], left_out: list[str], unit: str | Unit, labels: list[str]
) -> str:
    text = f"{title}, {labels[0]} to {labels[-1]}, {_plural(len(units), 'org unit')}"
    latest = data[data["ok"]].groupby("org_unit", sort=False).tail(1)
    lo, hi = latest.loc[latest["value"].idxmin()], latest.loc[latest["value"].idxmax()]
    text += (
        f": latest values range from {_fmt(lo['value'], unit)} ({lo['org_unit']}, {lo['month_label']}) "
        f"to {_fmt(hi['value'], unit)} ({hi['org_unit']}, {hi['month_label']})"
    )
    gaps = data[~data["ok"]]
    if not gaps.empty:
        text += f"; {_plural(len(gaps), 'org unit month')} not available. " + ". ".join(_gap_lines(gaps, units))
    if left_out:
        text += f". Left out, with no figure in any month: {_and(left_out)}"
    return text + "."


# --- funnel plot --------------------------------------------------------------------------


def _funnel_limit_rows(grid: np.ndarray, limits: pd.DataFrame) -> list[dict[str, Any]]:
    """A funnel's four limit lines (:func:`~csc_workbench.assess.regional.funnel_limits` on
    ``grid``) as rows to draw; points without a limit are left out."""
    return [
        {"n": float(g), "level": level, "series": f"{level} {side}", "limit": float(v)}
        for level, suffix in (("95%", "95"), ("99.8%", "998"))
        for side in ("lower", "upper")
        for g, v in zip(grid, limits[f"{side}_{suffix}"], strict=True)
        if not _missing(v)
    ]


def _funnel_layers(
    limit_rows: list[dict[str, Any]], centre: dict[str, Any], points: pd.DataFrame, name: tuple[str, str],
    x: alt.X, y: Any, axis_title: str, centre_title: str, limits_title: str,
) -> list[alt.Chart]:  # fmt: skip
    """A funnel plot's limit lines, its centre (``centre``: ``label`` and ``overall``) ruled and
    labelled, and its points flagged by colour and shape. ``points``: the ``name`` column (field,
    tooltip title), numerator, denominator, value, flag, place (in words), limits_95, limits_998;
    ``y`` makes the value axis' encoding of a field."""
    field, title = name
    flags = [f for f in FUNNEL_FLAGS if f in set(points["flag"])]
    return [
        alt.Chart(_data(limit_rows))
        .mark_line(color=GAP_COLOUR, strokeWidth=1.2, clip=True)
        .encode(
            x=x,
            y=y("limit"),
            detail="series:N",
            strokeDash=alt.StrokeDash(
                "level:N",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[6, 4], [1, 0]]),
                legend=alt.Legend(title=limits_title, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("series:N", title="Limit"),
                alt.Tooltip("n:Q", title="Denominator", format=",.0f"),
                alt.Tooltip("limit:Q", title=axis_title, format=",.1f"),
            ],
        ),
        alt.Chart(_data([centre]))
        .mark_rule(color=TARGET_COLOUR, size=1.5)
        .encode(y=y("overall"), tooltip=[alt.Tooltip("label:N", title=centre_title)]),
        alt.Chart(_data([centre]))
        .mark_text(x=4, align="left", baseline="bottom", dy=-3, fontSize=10, color=TARGET_COLOUR)
        .encode(y=y("overall"), text="label:N"),
        alt.Chart(_data(points.rename(columns={"denominator": "n"})))
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=x,
            y=y("value"),
            color=alt.Color(
                "flag:N",
                scale=alt.Scale(domain=flags, range=[FUNNEL_FLAGS[f][0] for f in flags]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            shape=alt.Shape(
                "flag:N",
                scale=alt.Scale(domain=flags, range=[FUNNEL_FLAGS[f][1] for f in flags]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip(f"{field}:N", title=title),
                alt.Tooltip("value:Q", title=axis_title, format=",.1f"),
                alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"),
                alt.Tooltip("n:Q", title="Denominator", format=",.0f"),
                alt.Tooltip("place:N", title="Position"),
                alt.Tooltip("limits_95:N", title="95% limits"),
                alt.Tooltip("limits_998:N", title="99.8% limits"),
            ],
        ),
    ]


def _funnel_grid(denominators: np.ndarray, points: int = 80) -> np.ndarray:
    lo = max(1.0, math.floor(denominators.min() * 0.8))
    hi = max(lo + 1.0, math.ceil(denominators.max() * 1.1))
    grid = np.geomspace(lo, hi, points)
    return np.unique(np.concatenate([grid, denominators.astype(float)]))


#: A rectangle in pixels from the plot's top left corner: (left, top, right, bottom).
_Box = tuple[float, float, float, float]


def _overlaps(a: _Box, b: _Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(
    points: Sequence[tuple[str, float, float]], marks: Sequence[tuple[float, float]], size: tuple[float, float],
    reserved: Sequence[_Box] = (),
) -> list[tuple[float, float, str] | None]:  # fmt: skip
    """Where to write each label (name, x, y of its point, in pixels, in order of importance):
    right of its point, else left, else nudged up or down a line at a time; never over another
    label, a mark (``marks``, pixels) or a ``reserved`` box, nor outside the plot (``size``).
    Each place is (x, y, align), None where there is no room."""
    width, height = size
    taken = [*reserved, *((mx - 5, my - 5, mx + 5, my + 5) for mx, my in marks)]
    places: list[tuple[float, float, str] | None] = []
    for name, px, py in points:
        text = len(name) * _CHAR_WIDTH
        place = None
        for dy in (0, -1, 1, -2, 2, -3, 3):
            y = py + dy * LABEL_HEIGHT
            for align, left in (("left", px + 8), ("right", px - 8 - text)):
                box = (left, y - LABEL_HEIGHT / 2, left + text, y + LABEL_HEIGHT / 2)
                inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
                if inside and not any(_overlaps(box, other) for other in taken):
                    place = (left if align == "left" else left + text, y, align)
                    taken.append(box)
                    break
            if place:
                break
        places.append(place)
    return places


def funnel_plot(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    overall_rate: float | None = None,
    scale: float = 100,
    denominator_title: str = "Denominator (number of children)",
    width: int = CHART_WIDTH,
    height: int = 320,
) -> alt.LayerChart:
    """Org unit rates against their denominators, within funnel-shaped control limits.

    ``frame``: ``org_unit``, ``numerator``, ``denominator`` (a proportion: numerator <=
    denominator). Rate = scale * numerator / denominator. The limits surround the overall rate
    (``overall_rate`` in rate units, else sum of numerators / sum of denominators) at 95% and
    99.8%, exact binomial limits (:func:`csc_workbench.assess.regional.funnel_limits`, after
    Spiegelhalter 2005: lopsided and never below zero for small denominators, where the normal
    approximation is symmetric and too narrow above), computed on a grid of denominators that
    includes every unit's own (a grid point between whole numbers takes the nearest one's
    limits). The rate axis is fitted to the units and their limits. Units outside the limits are
    flagged by colour, shape and tooltip, and labelled where a label fits without covering
    another (the furthest out first; the others are named in the subtitle); units within the
    limits carry no label. Units with a denominator of 0 (or no figures) are left out and listed
    in the subtitle. ``width`` is the whole chart's.
    """

    title = _check_title(title)
    _require(frame, ("org_unit", "numerator", "denominator"), "funnel_plot")
    if scale <= 0:
        raise ValueError("funnel_plot: scale must be positive")
    work = pd.DataFrame(
        {
            "org_unit": [str(u) for u in frame["org_unit"]],
            "numerator": pd.to_numeric(frame["numerator"], errors="coerce").to_numpy(dtype=float, copy=True),
            "denominator": pd.to_numeric(frame["denominator"], errors="coerce").to_numpy(dtype=float, copy=True),
        }
    )
    usable = work["numerator"].notna() & work["denominator"].notna() & (work["denominator"] > 0)
    left_out = work[~usable]
    work = work[usable].reset_index(drop=True)
    if work.empty:
        raise ValueError("funnel_plot: no org unit has a denominator above zero")
    bad = work[(work["numerator"] < 0) | (work["numerator"] > work["denominator"])]
    if not bad.empty:
        raise ValueError(
            "funnel_plot: a proportion needs 0 <= numerator <= denominator; not so for " + ", ".join(bad["org_unit"])
        )
    if overall_rate is None or _missing(overall_rate):
        p = work["numerator"].sum() / work["denominator"].sum()
    else:
        p = float(overall_rate) / scale
    if not 0 <= p <= 1:
        raise ValueError(f"funnel_plot: the overall rate {p * scale:g} is outside 0 to {scale:g}")
    n = work["denominator"].to_numpy()
    work["rate"] = scale * work["numerator"] / work["denominator"]
    own_limits = funnel_limits(n, p * scale, scale, kind="binomial")
    lo95, hi95 = own_limits["lower_95"].to_numpy(), own_limits["upper_95"].to_numpy()
    lo998, hi998 = own_limits["lower_998"].to_numpy(), own_limits["upper_998"].to_numpy()
    rate = work["rate"].to_numpy()
    outside998 = (rate < lo998) | (rate > hi998)
    outside95 = ((rate < lo95) | (rate > hi95)) & ~outside998
    within, out95, out998 = FUNNEL_FLAGS
    work["flag"] = np.select([outside998, outside95], [out998, out95], within)
    side = np.where(rate > scale * p, "above", "below")
    work["position"] = [
        f"{s} the {'99.8' if o998 else '95'}% limit" if (o998 or o95) else "within the 95% limits"
        for s, o998, o95 in zip(side, outside998, outside95, strict=True)
    ]
    work["limits_95"] = [f"{_number(a)} to {_number(b)}" for a, b in zip(lo95, hi95, strict=True)]
    work["limits_998"] = [f"{_number(a)} to {_number(b)}" for a, b in zip(lo998, hi998, strict=True)]

    grid = _funnel_grid(n)
    limit_rows = _funnel_limit_rows(grid, funnel_limits(grid, p * scale, scale, kind="binomial"))
    axis_title = _axis_title(unit)
    # the axis holds the units and their limits (the funnel's mouth left of the smallest unit is cut)
    near = [r["limit"] for r in limit_rows if r["n"] >= n.min()]
    axis = _value_axis([*work["rate"], p * scale, *near], percent=scale == 100)
    y_axis = alt.Axis(values=axis.ticks)
    y_scale = alt.Scale(domain=[axis.low, axis.high], nice=False, zero=False)
    x_low, x_high = float(grid.min()), float(grid.max())
    x = alt.X(
        "n:Q",
        title=denominator_title,
        scale=alt.Scale(domain=[x_low, x_high], nice=False, zero=False),
        axis=alt.Axis(tickCount=6, labelOverlap="greedy"),  # "12,500" is wide: labels never run together
    )
    overall = [{"label": f"Overall rate {_fmt(p * scale, unit)}", "overall": p * scale}]
    points = work[["org_unit", "numerator", "denominator", "rate", "flag", "position", "limits_95", "limits_998"]]
    layers: list[alt.Chart] = _funnel_layers(
        limit_rows, overall[0], points.rename(columns={"rate": "value", "position": "place"}), ("org_unit", "Org unit"),
        x, lambda field: alt.Y(f"{field}:Q", title=axis_title, scale=y_scale, axis=y_axis), axis_title,
        centre_title="Overall", limits_title="Control limits",
    )  # fmt: skip

    # labels for the units outside the limits, the furthest out first, where they fit
    plot = (width - 70.0, float(height))  # the rate axis takes about 70 px of the width

    def pixels(denominator: float, value: float) -> tuple[float, float]:
        return (
            (denominator - x_low) / (x_high - x_low) * plot[0],
            (axis.high - value) / (axis.high - axis.low) * plot[1],
        )

    with np.errstate(divide="ignore", invalid="ignore"):  # an overall rate of 0 or 100% has no spread
        distance = np.abs(rate / scale - p) / np.sqrt(p * (1 - p) / n)
    flagged = work.assign(_far=np.where(np.isnan(distance), 0.0, distance), _rank=np.where(outside998, 0, 1))
    flagged = flagged[flagged["flag"] != within].sort_values(["_rank", "_far"], ascending=[True, False])
    overall_y = pixels(x_low, p * scale)[1]
    reserved = [(0.0, overall_y - 3 - LABEL_HEIGHT, 4 + len(overall[0]["label"]) * _CHAR_WIDTH, overall_y - 3)]
    places = _place_labels(
        [
            (u, *pixels(d, r))
            for u, d, r in zip(flagged["org_unit"], flagged["denominator"], flagged["rate"], strict=True)
        ],
        [pixels(d, r) for d, r in zip(work["denominator"], work["rate"], strict=True)],
        plot,
        reserved,
    )
    labelled: dict[str, list[dict]] = {"left": [], "right": []}
    leaders, unlabelled = [], []
    for row, place in zip(flagged.itertuples(index=False), places, strict=True):
        if place is None:
            unlabelled.append(row.org_unit)
            continue
        px, py, align = place
        at = {
            "n": x_low + px / plot[0] * (x_high - x_low),
            "rate": axis.high - py / plot[1] * (axis.high - axis.low),
        }
        labelled[align].append({"org_unit": row.org_unit, **at})
        if abs(py - pixels(row.denominator, row.rate)[1]) > 1:  # nudged: a line to its point
            leaders.append({"n": row.denominator, "rate": row.rate, "n_label": at["n"], "rate_label": at["rate"]})
    if leaders:
        layers.append(
            alt.Chart(_data(leaders))
            .mark_rule(color=GAP_COLOUR, size=0.8)
            .encode(
                x=x,
                y=alt.Y("rate:Q", title=axis_title, scale=y_scale, axis=y_axis),
                x2="n_label:Q",
                y2="rate_label:Q",
            )
        )
    for align, rows in labelled.items():
        if rows:
            layers.append(
                alt.Chart(_data(rows))
                .mark_text(align=align, baseline="middle", fontSize=10)
                .encode(x=x, y=alt.Y("rate:Q", title=axis_title, scale=y_scale, axis=y_axis), text="org_unit:N")
            )
    subtitle = [f"Control limits (95% and 99.8%) around the overall rate of {_fmt(p * scale, unit)}"]
    if unlabelled:
        subtitle.append(f"Also outside the limits (no room for a label): {_and(unlabelled)}")
    if not left_out.empty:
        subtitle.append("Left out (denominator 0 or no figure): " + ", ".join(left_out["org_unit"]))
    description = _describe_funnel(title, work, left_out, p * scale, unit, side)
    return alt.layer(*layers).properties(
        title=_title(title, subtitle), description=description, width=width, height=height, autosize=_FIT_WIDTH
    )


def _describe_funnel(
    title: str, work: pd.DataFrame, left_out: pd.DataFrame, overall: float, unit: str | Unit, side: np.ndarray
) -> str:
    text = f"{title}: {_plural(len(work), 'org unit')} against the overall rate of {_fmt(overall, unit)}"
    out998 = work["flag"] == "Outside 99.8% limits"
    out95 = work["flag"] == "Outside 95% limits"
    if out998.any():
        names = [f"{u} {s}" for u, s in zip(work.loc[out998, "org_unit"], side[out998.to_numpy()], strict=True)]
        text += f"; {_plural(int(out998.sum()), 'unit')} outside the 99.8% limits ({_join(names)})"
    if out95.any():
        names = _join(list(work.loc[out95, "org_unit"]))
        text += f"; {_plural(int(out95.sum()), 'unit')} outside the 95% limits only ({names})"
    if not (out998.any() or out95.any()):
        text += "; every unit is within the 95% limits"
    text += "."
    if not left_out.empty:
        text += f" Left out with no denominator: {_join(list(left_out['org_unit']))}."
    return text


# --- annual trend -------------------------------------------------------------------------

_YEAR = re.compile(r"^(\d{4})-\d{2}")


def _years_shown(work: pd.DataFrame, report_month: str | int | None) -> list[str]:
    """The years to draw: none after the report month's financial year; none before the first
    or after the last year with a figure (a benchmark year not yet published); and no full year
    for a year shown to date (a year still running has no full-year figure)."""
    years = sorted(set(work["year"]))
    if report_month is not None:
        last = financial_year_start(_month_index(report_month))
        years = [y for y in years if not (m := _YEAR.match(y)) or int(m.group(1)) <= last]
    with_figures = set(work.loc[work["value"].notna(), "year"])
    to_date = {y.removesuffix("YTD").strip() for y in years if y.endswith("YTD")}
    years = [y for y in years if y in with_figures or y not in to_date]
    kept = [i for i, y in enumerate(years) if y in with_figures]
    return years[kept[0] : kept[-1] + 1] if kept else years


def _annual_gap_lines(gaps: pd.DataFrame) -> list[str]:
    """A sentence for each reason figures are missing: the series and years sharing it together."""
    reasons = [_reason(note) for note in gaps["reason"]]
    per_key: dict[tuple, dict[str, list[tuple[str, _Reason]]]] = {}
    for key, reason, year, series in zip(_keys(reasons), reasons, gaps["year"], gaps["series"], strict=True):
        per_key.setdefault(key, {}).setdefault(series, []).append((year, reason))
    lines = []
    for per_series in per_key.values():
        together: dict[tuple[str, ...], list[str]] = {}
        for series, found in per_series.items():
            together.setdefault(tuple(y for y, _ in found), []).append(series)
        for years, names in together.items():
            reason = _merged([r for name in names for _, r in per_series[name]])
            lines.append(_no_figure(f"{_and(names)} {_and(years)}", reason, len(names) * len(years) > 1))
    return lines


def annual_trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    authority: str | None = None,
    report_month: str | int | None = None,
    width: int = CHART_WIDTH,
    height: int = 260,
) -> alt.LayerChart:
    """Annual values (year ending 31 March) of the authority and its benchmarks, grouped bars
    from zero.

    ``frame``: ``year`` ("2023-24", or "2024-25 YTD" for a year to date), ``series``
    ("Northmoor", "SN average", "England", "Regional"), ``value``, ``reason`` (why a value is
    missing). ``authority`` names the highlighted series (default: the first series in the
    frame). Years after the financial year of ``report_month`` are not drawn, nor years before
    the first or after the last with any figure (benchmarks not yet published), nor the full
    year of a year shown to date. Missing values are gaps marked "n/a" on the baseline, their
    reason in the tooltip and, each reason once, in the subtitle. ``width`` is the whole chart's.
    """
    title = _check_title(title)
    _require(frame, ("year", "series", "value", "reason"), "annual_trend_chart")
    work = pd.DataFrame(
        {
            "year": [str(y) for y in frame["year"]],
            "series": [str(s) for s in frame["series"]],
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, copy=True),
            "reason": [None if _missing(r) else str(r) for r in frame["reason"]],
        }
    )
    if work.empty:
        raise ValueError("annual_trend_chart: the frame has no rows")
    if work.duplicated(["year", "series"]).any():
        raise ValueError("annual_trend_chart: a (year, series) pair appears twice")
    years = _years_shown(work, report_month)
    if not years:
        raise ValueError("annual_trend_chart: no year up to the report month's financial year")
    series = list(dict.fromkeys(work["series"]))
    authority = authority or series[0]
    if authority not in series:
        raise ValueError(f"annual_trend_chart: the authority {authority!r} is not a series")
    series = [authority] + [s for s in series if s != authority]
    # every year and series appears: pairs absent from the frame are gaps too
    full = pd.MultiIndex.from_product([years, series], names=["year", "series"]).to_frame(index=False)
    work = full.merge(work, on=["year", "series"], how="left")
    work["reason"] = [
        ("no figure" if r is None or _missing(r) else r) if _missing(v) else r
        for v, r in zip(work["value"], work["reason"], strict=True)
    ]
    colours = [SERIES_COLOUR] + [_benchmark_colour(s, i) for i, s in enumerate(series[1:])]
    percent, axis_title = _is_percent(unit), _axis_title(unit)
    axis = _value_axis(work["value"], percent=percent, bar=True)
    work["label"] = [_fmt(v, unit) for v in work["value"]]
    work["baseline"] = axis.low
    x = alt.X(
        "year:O", title="Year ending 31 March", sort=years, scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0)
    )
    x_offset = alt.XOffset("series:N", sort=series, scale=alt.Scale(domain=series))
    colour = alt.Color(
        "series:N",
        sort=series,
        scale=alt.Scale(domain=series, range=colours),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    present = work[work["value"].notna()]
    gaps = work[work["value"].isna()]
    subtitle = _annual_gap_lines(gaps)
    gaps = gaps.assign(reason=[_why(_reason(r)) or "no figure" for r in gaps["reason"]])  # in reader words
    layers: list[alt.Chart] = []
    if not present.empty:
        layers.append(
            alt.Chart(_data(present[["year", "series", "value", "label"]]))
            .mark_bar()
            .encode(
                x=x,
                xOffset=x_offset,
                y=_y_value("value", axis_title, axis),
                color=colour,
                tooltip=[
                    alt.Tooltip("year:O", title="Year"),
                    alt.Tooltip("series:N", title="Series"),
                    alt.Tooltip("value:Q", title=axis_title, format=_value_format(unit)),
                ],
            )
        )
    if not gaps.empty:
        layers.append(
            alt.Chart(_data(gaps[["year", "series", "reason", "baseline"]]))
            .mark_text(text="n/a", baseline="bottom", dy=-2, fontSize=9, color=GAP_COLOUR, angle=270, align="left")
            .encode(
                x=x,
                xOffset=x_offset,
                y=_y_value("baseline", axis_title, axis),
                tooltip=[
                    alt.Tooltip("year:O", title="Year"),
                    alt.Tooltip("series:N", title="Series"),
                    alt.Tooltip("reason:N", title="No figure"),
                ],
            )
        )
    description = _describe_annual(title, work, years, series, authority, unit)
    return alt.layer(*layers).properties(
        title=_title(title, subtitle), description=description, width=width, height=height, autosize=_FIT_WIDTH
    )


def _describe_annual(
    title: str, work: pd.DataFrame, years: list[str], series: list[str], authority: str, unit: str | Unit
) -> str:
    text = f"{title}, {years[0]} to {years[-1]}: "
    own = work[(work["series"] == authority) & work["value"].notna()]
    if own.empty:
        text += f"no value for {authority}"
        year = years[-1]
    else:
        latest = own.iloc[-1]
        year = latest["year"]
        text += f"{authority} {_fmt(latest['value'], unit)} in {year}"
    others = work[(work["year"] == year) & (work["series"] != authority) & work["value"].notna()]
    if not others.empty:
        text += " against " + ", ".join(f"{r.series} {_fmt(r.value, unit)}" for r in others.itertuples())
    text += "."
    gaps = work[work["value"].isna()]
    if not gaps.empty:
        text += " " + ". ".join(_annual_gap_lines(gaps)) + "."
    return text


# --- images and inspection ----------------------------------------------------------------


def _vl_version() -> str | None:
    import vl_convert as vlc

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def breakdown_chart(frame: pd.DataFrame, title: str, period_label: str, width: int = CHART_WIDTH) -> alt.LayerChart:
    """Horizontal bars from zero of each category's share of a breakdown (``category``,
    ``count``), in the given order, labelled with the share and the count; long categories are
    wrapped. Aggregated counts only. ``width`` is the whole chart's."""
    _require(frame, ["category", "count"], "breakdown_chart")
    _check_title(title)
    total = float(frame["count"].sum())
    data = frame.assign(
        category=[str(c) for c in frame["category"]],
        share=[100 * c / total if total else 0.0 for c in frame["count"]],
        label=[f"{100 * c / total:.1f}% ({int(c):,})" if total else "-" for c in frame["count"]],
    )
    order = list(data["category"])
    axis = _value_axis([float(data["share"].max()) * 1.2], percent=True, bar=True)  # room for the labels
    largest = data.sort_values("count", ascending=False).head(3)
    description = (
        f"{title}, {period_label}: {int(total):,} in all. Largest: "
        + "; ".join(f"{r.category} {r.label}" for r in largest.itertuples())
        + "."
    )
    wrapped = _wrap_labels(order, CATEGORY_WIDTH)
    lines = max(len(textwrap.wrap(c, CATEGORY_WIDTH)) or 1 for c in order)
    y_axis = alt.Axis(labelLimit=0, **({"labelExpr": wrapped} if wrapped else {}))
    base = alt.Chart(_data(data[["category", "count", "share", "label"]])).encode(
        y=alt.Y("category:N", sort=order, title=None, axis=y_axis),
        x=alt.X("share:Q", title=f"% of all, {period_label}", scale=alt.Scale(domain=[axis.low, axis.high], nice=False),
                axis=alt.Axis(values=axis.ticks)),
        tooltip=[alt.Tooltip("category:N", title="Category"), alt.Tooltip("count:Q", title="Number", format=",d"),
                 alt.Tooltip("share:Q", title="Share (%)", format=".1f")],
    )  # fmt: skip
    bars = base.mark_bar(color=SERIES_COLOUR)
    labels = base.mark_text(align="left", dx=3, fontSize=10).encode(text="label:N")
    return (bars + labels).properties(
        title=_title(title, [f"{period_label}: {int(total):,} in all"]), width=width,
        height=max(18, 12 * lines + 8) * len(order), description=description, autosize=_FIT_WIDTH,
    )  # fmt: skip


def to_png(chart: alt.TopLevelMixin, path: str | Path, scale: float = 2) -> Path:
    """Write the chart as PNG (``scale`` 2 suits slides and print), offline, with no browser."""
    import vl_convert as vlc

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = vlc.vegalite_to_png(chart.to_json(), vl_version=_vl_version(), scale=scale, allowed_base_urls=[])
    path.write_bytes(png)
    return path


def to_svg(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Write the chart as SVG, offline, with no browser."""
    import vl_convert as vlc

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    svg = vlc.vegalite_to_svg(chart.to_json(), vl_version=_vl_version(), allowed_base_urls=[])
    path.write_text(svg, encoding="utf-8")
    return path


def chart_data_rows(chart: alt.TopLevelMixin | Mapping[str, Any]) -> int:
    """Number of data rows embedded in a chart (inline values and named datasets)."""
    spec = chart if isinstance(chart, Mapping) else chart.to_dict()
    total = sum(len(rows) for rows in spec.get("datasets", {}).values())

    def walk(node: Any) -> int:
        if isinstance(node, Mapping):
            count = 0
            for key, value in node.items():
                if key == "data" and isinstance(value, Mapping) and isinstance(value.get("values"), list):
                    count += len(value["values"])
                elif key != "datasets":
                    count += walk(value)
            return count
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0

    return total + walk(spec)


# --- regional comparison ------------------------------------------------------------------

#: A council's quartile among the region's councils (1 = the best quarter), in words.
QUARTILE_WORDS = {1: "best quarter", 2: "second quarter", 3: "third quarter", 4: "worst quarter"}
#: The region's lines on a ranking: (colour, dash).
_REGION_RULES = {"Regional figure": (_REGIONAL_COLOUR, [1, 0]), "Median": ("#8C510A", [6, 4])}
#: The shading of the middle half of the councils' figures (first to third quartile).
_MIDDLE_HALF_COLOUR = "#999999"
_OTHER_COUNCILS = "Other councils"
#: The other councils' dots: a grey with 4.5:1 contrast on white (a graphic needs 3:1, WCAG 1.4.11).
_OTHER_DOTS = "#767676"


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: float, ranked: int, joint: bool = False) -> str:
    """A place among the councils ranked: "3rd of 10", "joint 2nd of 10"."""
    return f"{'joint ' if joint else ''}{ordinal(int(rank))} of {ranked}"


def ranking_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    polarity: Polarity | str,
    own: str | None = None,
    regional: float | None = None,
    median: float | None = None,
    quartiles: tuple[float, float] | None = None,
    width: int = CHART_WIDTH,
    bar_height: int = 20,
) -> alt.LayerChart:
    """The councils of a region on one indicator, a dot each on its row, best first.

    ``frame``: ``council`` (as the page shows it: a name or "Council A"), ``value``, ``rank`` (1 =
    best; tied councils share the better rank), ``quartile`` (1 = the best quarter) and ``reason``
    (why a council has no value or rank), as :func:`csc_workbench.assess.regional.rank_councils`
    gives them. Only an indicator with a better direction (``polarity`` high or low) is ranked.
    ``own`` (the council reading) is drawn in the series colour, its name in bold and its bar's
    label saying "this council", so that colour is never the only cue. ``regional`` (the region
    as a whole) and ``median`` are rules with a key; ``quartiles`` (the first and third quartile
    of the councils' figures) shade the middle half of the councils. Councils without a rank are
    not drawn (never as zero) and are named, with the reason, in the subtitle. The value axis is
    fitted to the figures (councils often lie within a few points of each other, which bars from
    zero would hide), and each dot is labelled with its figure, on its left near the axis' end;
    long names are wrapped. ``width`` is the whole chart's.
    """
    title = _check_title(title)
    _require(frame, ("council", "value", "rank", "quartile", "reason"), "ranking_chart")
    polarity = _polarity(polarity)
    if polarity not in ("high", "low"):
        raise ValueError("ranking_chart: only an indicator where higher or lower is better is ranked")
    names = [str(c) for c in frame["council"]]
    if len(set(names)) != len(names):
        raise ValueError("ranking_chart: a council appears twice")
    if own is not None and own not in names:
        raise ValueError(f"ranking_chart: the council {own!r} is not in the frame")
    work = pd.DataFrame(
        {
            "council": names,
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, copy=True),
            "rank": pd.to_numeric(frame["rank"], errors="coerce").to_numpy(dtype=float, copy=True),
            "quartile": pd.to_numeric(frame["quartile"], errors="coerce").to_numpy(dtype=float, copy=True),
            "reason": [None if _missing(r) else str(r) for r in frame["reason"]],
        }
    )
    shown = work["value"].notna() & work["rank"].notna()
    absent, drawn = work[~shown], work[shown].sort_values(["rank", "council"], kind="stable").reset_index(drop=True)
    if drawn.empty:
        raise ValueError("ranking_chart: no council has a ranked figure")
    ranked = len(drawn)
    ties = drawn["rank"].map(drawn["rank"].value_counts())
    drawn["place"] = [rank_text(r, ranked, n > 1) for r, n in zip(drawn["rank"], ties, strict=True)]
    drawn["quarter"] = [QUARTILE_WORDS.get(int(q), "") if not _missing(q) else "" for q in drawn["quartile"]]
    drawn["group"] = [c if c == own else _OTHER_COUNCILS for c in drawn["council"]]
    drawn["label"] = [
        _fmt(v, unit) + (", this council" if c == own else "")
        for c, v in zip(drawn["council"], drawn["value"], strict=True)
    ]
    order = list(drawn["council"])
    axis_title = _axis_title(unit)
    lines = {label: float(v) for label, v in (("Regional figure", regional), ("Median", median)) if not _missing(v)}
    middle = None if quartiles is None or any(_missing(q) for q in quartiles) else tuple(map(float, quartiles))
    axis = _value_axis([*drawn["value"], *lines.values(), *(middle or ())], percent=_is_percent(unit))
    # a label right of its dot, or left of it in the axis' last third (where it would run off the chart)
    drawn["align"] = np.where(drawn["value"] > axis.low + (axis.high - axis.low) * 2 / 3, "right", "left")
    x_scale = alt.Scale(domain=[axis.low, axis.high], nice=False)
    x = alt.X("value:Q", title=axis_title, scale=x_scale, axis=alt.Axis(values=axis.ticks))
    y = _names_axis("council", "Council", order, own)
    layers: list[alt.Chart] = []
    if middle is not None:
        row = {
            "low": middle[0],
            "high": middle[1],
            "label": f"Middle half of the councils: {_fmt(middle[0], unit)} to {_fmt(middle[1], unit)}",
        }
        layers.append(
            alt.Chart(_data([row]))
            .mark_rect(color=_MIDDLE_HALF_COLOUR, opacity=BAND_OPACITY)
            .encode(
                x=alt.X("low:Q", title=axis_title, scale=x_scale),
                x2="high:Q",
                tooltip=[alt.Tooltip("label:N", title="Quartiles")],
            )
        )
    groups = [g for g in (own, _OTHER_COUNCILS) if g is not None and g in set(drawn["group"])]
    bar_data = drawn[["council", "value", "place", "quarter", "group", "label"]]
    legend = alt.Legend(title=None, orient="bottom", padding=8) if own in groups else None
    layers += [
        alt.Chart(_data(bar_data))
        .mark_point(filled=True, size=120, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=groups, range=[SERIES_COLOUR if g == own else _OTHER_DOTS for g in groups]),
                legend=legend,
            ),
            shape=alt.Shape(
                "group:N",
                scale=alt.Scale(domain=groups, range=["diamond" if g == own else "circle" for g in groups]),
                legend=None,  # the colour's key names the groups; the label says "this council"
            ),
            tooltip=[
                alt.Tooltip("council:N", title="Council"),
                alt.Tooltip("value:Q", title=axis_title, format=_value_format(unit)),
                alt.Tooltip("place:N", title="Rank"),
                alt.Tooltip("quarter:N", title="Quartile"),
            ],
        ),
    ]
    for align, dx in (("left", 9), ("right", -9)):
        side = drawn[drawn["align"] == align]
        if not side.empty:
            layers.append(
                alt.Chart(_data(side[["council", "value", "group", "label"]]))
                .mark_text(
                    align=align,
                    baseline="middle",
                    dx=dx,
                    fontSize=10,
                    fontWeight=alt.ExprRef(f"datum.group != {json.dumps(_OTHER_COUNCILS)} ? 'bold' : 'normal'"),
                )
                .encode(x=x, y=y, text="label:N")
            )
    if lines:
        rows = [{"line": f"{k} {_fmt(v, unit)}", "value": v} for k, v in lines.items()]
        domain = [r["line"] for r in rows]
        kinds = [_REGION_RULES[k] for k in lines]
        layers.append(
            alt.Chart(_data(rows))
            .mark_rule(size=2)
            .encode(
                x=x,
                color=alt.Color(
                    "line:N",
                    scale=alt.Scale(domain=domain, range=[c for c, _ in kinds]),
                    legend=alt.Legend(title="Region", orient="bottom"),
                ),
                strokeDash=alt.StrokeDash(
                    "line:N",
                    scale=alt.Scale(domain=domain, range=[d for _, d in kinds]),
                    legend=alt.Legend(title="Region", orient="bottom"),
                ),
                tooltip=[alt.Tooltip("line:N", title="Region")],
            )
        )
    subtitle = [f"Ranked best first ({_POLARITY_WORDS[polarity]})"]
    if middle is not None:
        subtitle.append(
            f"Shaded: the middle half of the councils' figures, from the first quartile ({_fmt(middle[0], unit)}) "
            f"to the third ({_fmt(middle[1], unit)})"
        )
    if not absent.empty:
        subtitle.append("Not ranked: " + "; ".join(_with_reason(r.council, r.reason) for r in absent.itertuples()))
    description = _describe_ranking(title, drawn, absent, own, unit, lines, middle)
    chart = alt.layer(*layers).properties(
        title=_title(title, subtitle),
        description=description,
        width=width,
        height=_rows_height(order, bar_height),
        autosize=_FIT_WIDTH,
    )
    return chart.resolve_scale(color="independent", strokeDash="independent")


def _describe_ranking(
    title: str,
    drawn: pd.DataFrame,
    absent: pd.DataFrame,
    own: str | None,
    unit: str | Unit,
    lines: Mapping[str, float],
    middle: tuple[float, ...] | None,
) -> str:
    text = f"{title}: {_plural(len(drawn), 'council')} ranked, 1 = best"
    mine = drawn[drawn["council"] == own]
    if not mine.empty:
        row = mine.iloc[0]
        quarter = f", in the {row['quarter']}" if row["quarter"] else ""
        text += f"; {own} {_fmt(row['value'], unit)}, {row['place']}{quarter}"
    elif own is not None:
        text += f"; {own} is not ranked"
    best, worst = drawn.iloc[0], drawn.iloc[-1]
    text += (
        f"; best {best['council']} {_fmt(best['value'], unit)}, last {worst['council']} {_fmt(worst['value'], unit)}"
    )
    if lines:
        text += "; " + ", ".join(f"{k.lower()} {_fmt(v, unit)}" for k, v in lines.items())
    if middle is not None:
        text += f"; the middle half of the councils from {_fmt(middle[0], unit)} to {_fmt(middle[1], unit)}"
    text += "."
    if not absent.empty:
        text += " Not ranked: " + _join([_with_reason(r.council, r.reason) for r in absent.itertuples()]) + "."
    return text


def _funnel_flag(position: str) -> str:
    """A council's place in the funnel, as :func:`csc_workbench.assess.regional.funnel_positions`
    words it, as the chart flags it."""
    within, out95, out998 = FUNNEL_FLAGS
    return out998 if "99.8%" in position else out95 if "95%" in position else within


def funnel_verdict(position: str, polarity: Polarity | str | None) -> str:
    """Whether a council outside the funnel's limits is "better" or "worse" than the region, by
    the indicator's polarity; "" within the limits or for an indicator without a better direction.
    ``position`` as :func:`csc_workbench.assess.regional.funnel_positions` words it ("above the
    99.8% limit")."""
    better = {"high": "above", "low": "below"}.get(_polarity(polarity))
    if better is None or not position.endswith("limit"):
        return ""
    return "better" if position.startswith(better) else "worse"


def council_funnel_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str | Unit,
    overall: float,
    scale: float,
    kind: str,
    own: str | None = None,
    polarity: Polarity | str | None = None,
    denominator_title: str = "Denominator (number of children)",
    width: int = CHART_WIDTH,
    height: int = 320,
) -> alt.LayerChart:
    """The councils of a region against their size, within exact funnel limits around the region.

    ``frame``: ``council``, ``numerator``, ``denominator`` and ``value`` (in the indicator's units).
    ``overall`` is the regional figure the funnel surrounds; ``kind`` is "binomial" for a
    percentage (``scale`` 100) and "poisson" for a rate per 10,000 children (``scale`` 10,000).
    The 95% and 99.8% limits are exact (:func:`csc_workbench.assess.regional.funnel_limits`), drawn
    on a grid of denominators holding every council's own, and each council's place is worked out
    at its own denominator (:func:`~csc_workbench.assess.regional.funnel_positions`). Councils
    outside the limits are flagged by colour, shape and tooltip; those outside the 99.8% limits are
    labelled where a label fits (the furthest out first; the others named in the subtitle). ``own``
    (the council reading) is ringed and always labelled. Where ``polarity`` has a better
    direction, the tooltip and the text alternative say whether a council outside the limits is
    better or worse than the region. Councils without a value or with a denominator of 0 are left
    out and named in the subtitle. ``width`` is the whole chart's.
    """
    from csc_workbench.assess.regional import funnel_positions

    title = _check_title(title)
    _require(frame, ("council", "numerator", "denominator", "value"), "council_funnel_chart")
    if kind not in ("binomial", "poisson"):
        raise ValueError(f"council_funnel_chart: kind must be 'binomial' or 'poisson', not {kind!r}")
    if _missing(overall):
        raise ValueError("council_funnel_chart: a funnel needs the regional figure")
    polarity = _polarity(polarity)
    work = pd.DataFrame(
        {
            "council": [str(c) for c in frame["council"]],
            **{
                c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, copy=True)
                for c in ("numerator", "denominator", "value")
            },
        }
    )
    placed = funnel_positions(work, float(overall), scale, kind)
    usable = placed["position"].notna()
    left_out, work = placed[~usable], placed[usable].reset_index(drop=True)
    if work.empty:
        raise ValueError("council_funnel_chart: no council has a value and a denominator above zero")
    *_, out998 = FUNNEL_FLAGS
    work["flag"] = [_funnel_flag(p) for p in work["position"]]
    verdicts = [funnel_verdict(p, polarity) for p in work["position"]]
    work["place"] = [f"{p} ({v} than the region)" if v else p for p, v in zip(work["position"], verdicts, strict=True)]
    work["side"] = [p.split()[0] + (f" ({v})" if v else "") for p, v in zip(work["position"], verdicts, strict=True)]
    work["limits_95"] = [
        f"{_number(a)} to {_number(b)}" for a, b in zip(work["lower_95"], work["upper_95"], strict=True)
    ]
    work["limits_998"] = [
        f"{_number(a)} to {_number(b)}" for a, b in zip(work["lower_998"], work["upper_998"], strict=True)
    ]
    n = work["denominator"].to_numpy()
    grid = _funnel_grid(n)
    limit_rows = _funnel_limit_rows(grid, funnel_limits(grid, float(overall), scale, kind))
    axis_title = _axis_title(unit)
    near = [r["limit"] for r in limit_rows if r["n"] >= n.min()]  # the funnel's mouth left of the smallest is cut
    axis = _value_axis([*work["value"], float(overall), *near], percent=_is_percent(unit))
    y_scale = alt.Scale(domain=[axis.low, axis.high], nice=False, zero=False)
    y_axis = alt.Axis(values=axis.ticks)
    x_low, x_high = float(grid.min()), float(grid.max())
    x = alt.X(
        "n:Q",
        title=denominator_title,
        scale=alt.Scale(domain=[x_low, x_high], nice=False, zero=False),
        axis=alt.Axis(tickCount=6, labelOverlap="greedy"),  # "12,500" is wide: labels never run together
    )

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=axis_title, scale=y_scale, axis=y_axis)

    region = [{"label": f"Region {_fmt(float(overall), unit)}", "overall": float(overall)}]
    points = work[["council", "numerator", "denominator", "value", "flag", "place", "limits_95", "limits_998"]]
    layers = _funnel_layers(
        limit_rows, region[0], points, ("council", "Council"), x, y, axis_title,
        centre_title="Regional figure", limits_title="Limits",
    )  # fmt: skip
    mine = work[work["council"] == own]
    if not mine.empty:
        layers.append(
            alt.Chart(_data(mine[["council", "denominator", "value"]].rename(columns={"denominator": "n"})))
            .mark_point(shape="circle", size=260, filled=False, strokeWidth=2, color=TARGET_COLOUR)
            .encode(x=x, y=y("value"), tooltip=[alt.Tooltip("council:N", title="This council")])
        )

    # labels: the council reading first, then those outside the 99.8% limits, the furthest out first
    plot = (width - 70.0, float(height))  # the value axis takes about 70 px of the width

    def pixels(denominator: float, value: float) -> tuple[float, float]:
        return (
            (denominator - x_low) / (x_high - x_low) * plot[0],
            (axis.high - value) / (axis.high - axis.low) * plot[1],
        )

    spread = (work["upper_998"] - work["lower_998"]).where(lambda s: s > 0)
    far = ((work["value"] - float(overall)).abs() / spread).fillna(0.0)
    outside = work["flag"] == out998
    chosen = work.assign(_own=work["council"] != own, _far=-far)[(work["council"] == own) | outside]
    chosen = chosen.sort_values(["_own", "_far"], kind="stable")
    overall_y = pixels(x_low, float(overall))[1]
    reserved = [(0.0, overall_y - 3 - LABEL_HEIGHT, 4 + len(region[0]["label"]) * _CHAR_WIDTH, overall_y - 3)]
    places = _place_labels(
        [(c, *pixels(d, v)) for c, d, v in zip(chosen["council"], chosen["denominator"], chosen["value"], strict=True)],
        [pixels(d, v) for d, v in zip(work["denominator"], work["value"], strict=True)],
        plot,
        reserved,
    )
    labelled: dict[str, list[dict]] = {"left": [], "right": []}
    leaders, unlabelled = [], []
    for row, place in zip(chosen.itertuples(index=False), places, strict=True):
        if place is None:
            if row.flag == out998:
                unlabelled.append(row.council)
            continue
        px, py, align = place
        at = {"n": x_low + px / plot[0] * (x_high - x_low), "value": axis.high - py / plot[1] * (axis.high - axis.low)}
        labelled[align].append({"council": row.council, "bold": row.council == own, **at})
        if abs(py - pixels(row.denominator, row.value)[1]) > 1:  # nudged: a line to its point
            leaders.append({"n": row.denominator, "value": row.value, "n_label": at["n"], "value_label": at["value"]})
    if leaders:
        layers.append(
            alt.Chart(_data(leaders))
            .mark_rule(color=GAP_COLOUR, size=0.8)
            .encode(x=x, y=y("value"), x2="n_label:Q", y2="value_label:Q")
        )
    for align, rows in labelled.items():
        if rows:
            layers.append(
                alt.Chart(_data(rows))
                .mark_text(
                    align=align,
                    baseline="middle",
                    fontSize=10,
                    fontWeight=alt.ExprRef("datum.bold ? 'bold' : 'normal'"),
                )
                .encode(x=x, y=y("value"), text="council:N")
            )
    subtitle = [f"Exact limits (95% and 99.8%) around the regional figure of {_fmt(float(overall), unit)}"]
    if own is not None and not mine.empty:
        subtitle.append(f"{own} is ringed")
    if unlabelled:
        subtitle.append(f"Also outside the 99.8% limits (no room for a label): {_and(unlabelled)}")
    if not left_out.empty:
        subtitle.append("Left out (no figure, or a denominator of 0): " + _and(list(left_out["council"])))
    description = _describe_council_funnel(title, work, left_out, float(overall), unit, own)
    return alt.layer(*layers).properties(
        title=_title(title, subtitle), description=description, width=width, height=height, autosize=_FIT_WIDTH
    )


def _describe_council_funnel(
    title: str, work: pd.DataFrame, left_out: pd.DataFrame, overall: float, unit: str | Unit, own: str | None
) -> str:
    within, out95, out998 = FUNNEL_FLAGS
    text = f"{title}: {_plural(len(work), 'council')} against the regional figure of {_fmt(overall, unit)}"
    mine = work[work["council"] == own]
    if not mine.empty:
        row = mine.iloc[0]
        text += f"; {own} {_fmt(row['value'], unit)}, {row['place']}"
    for flag, words in ((out998, "outside the 99.8% limits"), (out95, "outside the 95% limits only")):
        rows = work[work["flag"] == flag]
        if not rows.empty:
            names = [f"{r.council} {r.side}" if flag == out998 else r.council for r in rows.itertuples()]
            text += f"; {_plural(len(rows), 'council')} {words} ({_join(names)})"
    if (work["flag"] == within).all():
        text += "; every council is within the 95% limits"
    text += "."
    if not left_out.empty:
        text += f" Left out, with no figure or a denominator of 0: {_join(list(left_out['council']))}."
    return text


def rank_trend_chart(
    frame: pd.DataFrame, *, title: str, council: str, width: int = CHART_WIDTH, height: int = 220
) -> alt.LayerChart:
    """A council's rank among the region's councils month by month, rank 1 (the best) at the top.

    ``frame``: one row per month with ``month`` ("YYYY-MM" or a month index), ``rank`` (missing
    where the council was not ranked), ``ranked`` (how many councils were ranked that month) and
    ``note`` (why the council has no rank, where it has none). Months absent between the first
    and last are shown as missing. The rank axis runs from 1 at the top to the most councils
    ranked in any month at the bottom, in whole numbers. Months without a rank are gaps in the
    line, marked by a dotted rule whose tooltip gives the reason, each reason said once in the
    subtitle. ``width`` is the whole chart's.
    """
    title = _check_title(title)
    _require(frame, ("month", "rank", "ranked", "note"), "rank_trend_chart")
    rank = pd.to_numeric(frame["rank"], errors="coerce").to_numpy(dtype=float, copy=True)
    months = [_month_index(m) for m in frame["month"]]
    series = pd.DataFrame(
        {
            "month": [month_text(m) for m in months],
            "value": rank,
            "status": [OK if not math.isnan(r) else "missing" for r in rank],
            "note": [
                None if not math.isnan(r) or _missing(n) else str(n) for r, n in zip(rank, frame["note"], strict=True)
            ],
        }
    )
    data = _trend_frame(series, "rank_trend_chart")
    if data.empty:
        raise ValueError("rank_trend_chart: the frame has no months")
    counts = dict(zip(months, pd.to_numeric(frame["ranked"], errors="coerce"), strict=True))
    data["ranked"] = [counts.get(int(m), math.nan) for m in data["period"]]
    data["place"] = [
        rank_text(r, int(n)) if ok else None for r, n, ok in zip(data["value"], data["ranked"], data["ok"], strict=True)
    ]
    if not data["ok"].any():
        raise ValueError(f"rank_trend_chart: {council} has no rank in any month")
    bottom = int(max(data["ranked"].max(), data["value"].max()))
    step = max(1, math.ceil(bottom / 10))
    ticks = sorted({1, *range(step, bottom + 1, step)})
    y = alt.Y(
        "value:Q",
        title="Rank (1 = best)",
        scale=alt.Scale(domain=[1, max(bottom, 2)], reverse=True, nice=False, zero=False),
        axis=alt.Axis(values=ticks, format="d"),
    )
    labels = list(data["month_label"])
    x = _x_month(labels)
    ok_rows = data[data["ok"]]
    tooltip = [alt.Tooltip("month_label:O", title="Month"), alt.Tooltip("place:N", title="Rank")]
    layers: list[alt.Chart] = [
        alt.Chart(_data(ok_rows[["month_label", "value", "segment"]]))
        .mark_line(color=SERIES_COLOUR, strokeWidth=2)
        .encode(x=x, y=y, detail="segment:N"),
        alt.Chart(_data(ok_rows[["month_label", "value", "place"]]))
        .mark_point(filled=True, size=60, opacity=1, color=SERIES_COLOUR)
        .encode(x=x, y=y, tooltip=tooltip),
    ]
    gaps = data[~data["ok"]]
    if not gaps.empty:
        layers.append(
            alt.Chart(_data(gaps[["month_label", "reason"]]))
            .mark_rule(strokeDash=[1, 3], color=GAP_COLOUR, size=1)
            .encode(
                x=x, tooltip=[alt.Tooltip("month_label:O", title="Month"), alt.Tooltip("reason:N", title="No rank")]
            )
        )
    subtitle = ["Rank 1 is the best, at the top", *(line.replace("No figure", "No rank") for line in _gap_lines(gaps))]
    description = _describe_rank_trend(title, data, council)
    return alt.layer(*layers).properties(
        title=_title(title, subtitle), description=description, width=width, height=height, autosize=_FIT_WIDTH
    )


def _describe_rank_trend(title: str, data: pd.DataFrame, council: str) -> str:
    ok_rows = data[data["ok"]]
    first, last = data["month_label"].iloc[0], data["month_label"].iloc[-1]
    latest, earliest = ok_rows.iloc[-1], ok_rows.iloc[0]
    text = f"{title}, {first} to {last}: {council} {latest['place']} in {latest['month_label']}"
    if len(ok_rows) > 1:
        text += f", from {earliest['place']} in {earliest['month_label']}"
        best, worst = ok_rows.loc[ok_rows["value"].idxmin()], ok_rows.loc[ok_rows["value"].idxmax()]
        text += f"; best {best['place']} ({best['month_label']}), lowest {worst['place']} ({worst['month_label']})"
    gaps = data[~data["ok"]]
    if not gaps.empty:
        text += f"; no rank in {_plural(len(gaps), 'month')}"
    return text + "."
