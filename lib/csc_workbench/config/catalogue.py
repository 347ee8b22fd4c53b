"""The indicator catalogue: what each indicator is and how it is rated, per financial year.

Loaded from YAML in ``params/`` and validated; every error names the file, the indicator and
the key. The format is documented in ``docs/catalogue.md``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from csc_workbench.bands import (
    Interval,
    Margin,
    Rag,
    gap_between,
    parse_interval,
    rag_range,
    rag_thresholds,
    rag_tolerance,
)
from csc_workbench.config.errors import ParamsError, format_pydantic_errors
from csc_workbench.periods import financial_year_start, parse_financial_year


class Polarity(StrEnum):
    HIGH = "high"
    LOW = "low"
    TARGET = "target"
    WITHIN_RANGE = "within-range"
    NONE = "none"


class Unit(StrEnum):
    PERCENT = "percent"
    COUNT = "count"
    RATE_PER_10K = "rate_per_10k"
    AVERAGE = "average"
    RATIO = "ratio"


class DataPeriod(StrEnum):
    SNAPSHOT = "snapshot"
    R12M = "r12m"
    FYTD = "fytd"
    MONTH = "month"
    QUARTER = "quarter"


#: Windows an atom may be stored or derived for. ``snapshot`` is a stock at month end,
#: ``month`` a flow within the month; the others are derived from monthly flows.
WINDOWS = ("month", "snapshot", "r3m", "r12m", "fytd", "quarter")

#: How each unit turns numerator and denominator into a value.
UNIT_SCALE = {
    Unit.PERCENT: 100.0,
    Unit.RATE_PER_10K: 10_000.0,
    Unit.AVERAGE: 1.0,
    Unit.RATIO: 1.0,
    Unit.COUNT: None,
}

_Side = Literal["both", "above", "below"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThresholdBands(_Strict):
    """Explicit intervals: ``red: "< 75"``, ``amber: "75 <= x < 85"``, ``green: ">= 85"``."""

    style: Literal["thresholds"]
    red: str | None = None
    amber: str | None = None
    green: str | None = None
    source: str | None = Field(None, description="where the bands come from, e.g. a report")
    _intervals: dict[str, Interval] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _parse(self) -> ThresholdBands:
        intervals: dict[str, Interval] = {}
        for name in ("red", "amber", "green"):
            raw = getattr(self, name)
            if raw is not None:
                try:
                    intervals[name] = parse_interval(raw)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        if "green" not in intervals or len(intervals) < 2:
            raise ValueError("thresholds need a green band and at least one of red or amber")
        names = list(intervals)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if intervals[a].overlaps(intervals[b]):
                    raise ValueError(f"the {a} band ({intervals[a]}) overlaps the {b} band ({intervals[b]})")
        self._intervals = intervals
        return self

    def check_coverage(self, integers_only: bool, high: float | None) -> None:
        """Every value from 0 (all units are non-negative) to ``high`` must fall in a band."""
        gap = gap_between(list(self._intervals.values()), integers_only, 0.0, high)
        if gap is not None:
            raise ValueError(f"no band holds the value {gap:g}; the bands must cover every possible value")

    def check_polarity(self, polarity: Polarity) -> None:
        """Higher is better: every worse band lies below green; lower is better: above it."""
        green = self._intervals["green"]
        for name in ("red", "amber"):
            worse = self._intervals.get(name)
            if worse is None:
                continue
            if polarity is Polarity.HIGH and not (
                worse.high is not None and green.low is not None and worse.high <= green.low
            ):
                raise ValueError(f"higher is better, but the {name} band ({worse}) is not below green ({green})")
            if polarity is Polarity.LOW and not (
                worse.low is not None and green.high is not None and worse.low >= green.high
            ):
                raise ValueError(f"lower is better, but the {name} band ({worse}) is not above green ({green})")

    def rate(self, value: float, target: float | None) -> Rag | None:
        i = self._intervals
        return rag_thresholds(value, i.get("red"), i.get("amber"), i["green"])

    def in_words(self, unit_suffix: str) -> str:
        parts = [
            f"{_interval_words(self._intervals[n], unit_suffix)} = {n.title()}"
            for n in ("red", "amber", "green")
            if n in self._intervals
        ]
        return ", ".join(parts)


class ToleranceBands(_Strict):
    """Distance from the target: ``green: 5`` (points) or ``green: "5%"`` (of the target)."""

    style: Literal["tolerance"]
    green: float | str
    amber: float | str | None = None
    side: _Side | None = None
    source: str | None = None

    @field_validator("green", "amber")
    @classmethod
    def _margin(cls, raw: float | str | None) -> float | str | None:
        if raw is not None:
            Margin.parse(raw)
        return raw

    def margins(self) -> tuple[Margin, Margin | None]:
        return Margin.parse(self.green), Margin.parse(self.amber) if self.amber is not None else None

    def rate(self, value: float, target: float | None, side: str = "both") -> Rag | None:
        if target is None:
            return None
        green, amber = self.margins()
        return rag_tolerance(value, target, green, amber, self.side or side)

    def in_words(self, unit_suffix: str, target: float | None, side: str = "both") -> str:
        green, amber = self.margins()
        sign = {"both": "+/-", "above": "+", "below": "-"}[self.side or side]
        text = f"within {sign}{green}{unit_suffix if not green.percent else ''} of {target:g} = Green"
        if amber is not None:
            text += f", within {sign}{amber}{unit_suffix if not amber.percent else ''} = Amber"
        return text + ", further = Red"


class RangeBands(_Strict):
    """A green range with an amber margin beyond it: ``green: [14, 20]``, ``amber: "1%"``."""

    style: Literal["range"]
    green: tuple[float, float]
    amber: float | str | None = None
    side: _Side = "both"
    source: str | None = None

    @model_validator(mode="after")
    def _check(self) -> RangeBands:
        if self.green[0] > self.green[1]:
            raise ValueError(f"green range {list(self.green)} runs backwards")
        if self.amber is not None:
            Margin.parse(self.amber)
        return self

    def rate(self, value: float, target: float | None) -> Rag | None:
        amber = Margin.parse(self.amber) if self.amber is not None else None
        return rag_range(value, self.green[0], self.green[1], amber, self.side)

    def in_words(self, unit_suffix: str) -> str:
        low, high = self.green
        text = f"{low:g} to {high:g}{unit_suffix} = Green"
        if self.amber is not None:
            where = {"both": "outside", "above": "above", "below": "below"}[self.side]
            text += f", up to {Margin.parse(self.amber)} {where} the range = Amber"
        return text + ", further = Red"


class NoBands(_Strict):
    """Monitor / information measures: never rated."""

    style: Literal["none"]

    def rate(self, value: float, target: float | None) -> Rag | None:
        return None


RagRule = Annotated[ThresholdBands | ToleranceBands | RangeBands | NoBands, Field(discriminator="style")]


def _interval_words(interval: Interval, suffix: str) -> str:
    def n(x: float | None) -> str:
        return f"{x:g}{suffix}"

    if interval.low is not None and interval.low == interval.high:
        return n(interval.low)
    if interval.low is None:
        return f"{n(interval.high)} and below" if interval.high_inclusive else f"Below {n(interval.high)}"
    if interval.high is None:
        return f"{n(interval.low)} and above" if interval.low_inclusive else f"Above {n(interval.low)}"
    return f"{n(interval.low)} to {n(interval.high)}"


class BenchmarkMapping(_Strict):
    """Where DfE publishes an equivalent of the indicator (annual, year ending 31 March)."""

    source: Literal["lait", "ees"]
    measure: str = Field(description="LAIT 'Short Desc', or the EES file's measure column")
    dataset: str | None = Field(None, description="EES file name without .csv (required for ees)")
    filters: dict[str, str] = Field(default_factory=dict, description="EES filter columns and the value to keep")
    scale: float = Field(1.0, description="multiply the published value by this to match the indicator's unit")
    note: str | None = Field(None, description="how the published definition differs from the indicator")

    @model_validator(mode="after")
    def _dataset(self) -> BenchmarkMapping:
        if self.source == "ees" and not self.dataset:
            raise ValueError("an ees benchmark needs its dataset (the file name without .csv)")
        return self


class OrgTargets(_Strict):
    """A target and bands for one org-unit level or named org unit."""

    target: float | None = None
    rag: RagRule | None = None
    note: str | None = None


#: An org unit as a target sees it: (name, level).
OrgRef = tuple[str, str]


class YearTargets(OrgTargets):
    """Target and bands for one financial year (they apply until a later year replaces them).

    ``levels`` limits them to org-unit levels (authority, area, team) or named org units (a
    county service); ``other_targets`` sets different ones for a level or a named org unit. An
    org unit with neither has no target that year: its value is shown without a RAG."""

    levels: list[str] | None = Field(None, description="levels or org-unit names the target applies to")
    other_targets: dict[str, OrgTargets] = Field(default_factory=dict, description="level or org unit -> target")

    def for_org(self, org: OrgRef | None) -> OrgTargets | None:
        """The target and bands that apply to ``org`` (None: the authority's view, this entry)."""
        if org is None:
            return self
        name, level = org
        if name in self.other_targets:
            return self.other_targets[name]
        if level in self.other_targets:
            return self.other_targets[level]
        return self if self.levels is None or level in self.levels or name in self.levels else None


class DataNotes(_Strict):
    """What readers are told under an indicator (period, source, notes), and, kept apart, where the
    definition comes from for analysts (``provenance``: never printed on a reader's page)."""

    period: str | None = Field(None, description="what the data period means, in words")
    source: str | None = None
    notes: str | None = Field(None, description="notes for readers")
    provenance: str | None = Field(None, description="for analysts only: sources, transcription, assumptions")


class Indicator(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    area: str
    title: str
    polarity: Polarity
    unit: Unit
    period: DataPeriod
    rated: DataPeriod | Literal["r3m"] | None = Field(None, description="which value is rated; default the data period")
    cohort: str | None = Field(None, description="a cohort the indicator is always measured on")
    measure: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = Field(
        None,
        description="the Annex A measure that computes it (docs/measures.md); without one it comes from aggregate "
        "data only",
    )
    scorecard: bool = True
    decimals: int | None = None
    denominator_window: Literal["sum", "last"] | None = None
    definition: str = ""
    data_notes: DataNotes = DataNotes()
    benchmark: BenchmarkMapping | None = None
    targets: dict[str, YearTargets] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _years(cls, targets: dict[str, YearTargets]) -> dict[str, YearTargets]:
        for year in targets:
            parse_financial_year(year)
        return dict(sorted(targets.items()))

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        for year, entry in self.targets.items():
            parts = [(f"targets.{year}", entry)]
            parts += [(f"targets.{year}.other_targets.{k}", v) for k, v in entry.other_targets.items()]
            for where, part in parts:
                rule = part.rag
                if rule is None or isinstance(rule, NoBands):
                    continue
                if self.polarity is Polarity.NONE:
                    raise ValueError(f"{where}.rag: polarity is none (monitor), so the indicator cannot have RAG bands")
                if isinstance(rule, ThresholdBands):
                    try:
                        rule.check_coverage(self.unit is Unit.COUNT, 100.0 if self.unit is Unit.PERCENT else None)
                        rule.check_polarity(self.polarity)
                    except ValueError as exc:
                        raise ValueError(f"{where}.rag: {exc}") from None
                if isinstance(rule, ToleranceBands) and part.target is None:
                    raise ValueError(f"{where}.rag: tolerance bands need a target for {year}")
        return self

    # --- derived facts -------------------------------------------------------------------
    @property
    def headline_window(self) -> str:
        return self.period.value if self.period is not DataPeriod.SNAPSHOT else "snapshot"

    @property
    def rated_window(self) -> str:
        return str(self.rated.value if isinstance(self.rated, DataPeriod) else self.rated or self.headline_window)

    @property
    def is_stock(self) -> bool:
        """Snapshot measures are stocks: they have no rolling or year-to-date windows."""
        return self.period is DataPeriod.SNAPSHOT

    @property
    def scale(self) -> float | None:
        return UNIT_SCALE[self.unit]

    @property
    def sums_denominator(self) -> bool:
        """Rates per 10,000 divide by a population, which is not summed over months."""
        if self.denominator_window:
            return self.denominator_window == "sum"
        return self.unit is not Unit.RATE_PER_10K

    @property
    def display_decimals(self) -> int:
        if self.decimals is not None:
            return self.decimals
        return 0 if self.unit is Unit.COUNT else 1

    @property
    def unit_suffix(self) -> str:
        return "%" if self.unit is Unit.PERCENT else ""

    def year_targets(self, month: int) -> YearTargets | None:
        """The entry in force for the financial year of ``month`` (latest year not after it)."""
        year = financial_year_start(month)
        chosen = None
        for label, entry in self.targets.items():
            if parse_financial_year(label) <= year:
                chosen = entry
        return chosen

    def targets_for(self, month: int, org: OrgRef | None = None) -> OrgTargets | None:
        """The target and bands in force for ``month`` and, given, the org unit (name, level)."""
        entry = self.year_targets(month)
        return entry.for_org(org) if entry is not None else None

    def no_target_reason(self, month: int, org: OrgRef | None) -> str | None:
        """Why an org unit has no target where the year has one ("no target is set for areas")."""
        entry = self.year_targets(month)
        if entry is None or org is None or entry.for_org(org) is not None:
            return None
        return f"no target is set for {org[1]}s" if org[1] in ("area", "team") else f"no target is set for {org[0]}"

    def target_for(self, month: int, org: OrgRef | None = None) -> float | None:
        entry = self.targets_for(month, org)
        return entry.target if entry else None

    def rate(self, value: float | None, month: int, org: OrgRef | None = None) -> Rag | None:
        """RAG of an unrounded value in the financial year of ``month`` (for ``org``, if given)."""
        entry = self.targets_for(month, org)
        if value is None or value != value or entry is None or entry.rag is None:
            return None
        if isinstance(entry.rag, ToleranceBands):
            return entry.rag.rate(value, entry.target, self.default_side)
        return entry.rag.rate(value, entry.target)

    @property
    def default_side(self) -> str:
        return {Polarity.HIGH: "below", Polarity.LOW: "above"}.get(self.polarity, "both")

    def green_in_words(self, month: int, org: OrgRef | None = None) -> str | None:
        """The green band in force ("85% and above", "14 to 20"), shown where a rating has no single
        target figure; None without bands."""
        entry = self.targets_for(month, org)
        rule = entry.rag if entry else None
        if isinstance(rule, ThresholdBands):
            return _interval_words(rule._intervals["green"], self.unit_suffix)
        if isinstance(rule, RangeBands):
            return f"{rule.green[0]:g} to {rule.green[1]:g}{self.unit_suffix}"
        return None

    def bands_in_words(self, month: int, org: OrgRef | None = None) -> str:
        """ "Below 75% = Red, 75% to 85% = Amber, 85% and above = Green", as exception pages print."""
        entry = self.targets_for(month, org)
        if entry is None or entry.rag is None or isinstance(entry.rag, NoBands):
            return "no RAG bands (monitor)"
        if isinstance(entry.rag, ToleranceBands):
            return entry.rag.in_words(self.unit_suffix, entry.target, self.default_side)
        return entry.rag.in_words(self.unit_suffix)


class Settings(_Strict):
    min_denominator: float = Field(5, description="no RAG where the denominator is below this")
    caution_denominator: tuple[float, float] = Field((1, 9), description="flag denominators in this range")
    dot_tolerance: float = Field(0.0, ge=0, description="changes this small or smaller count as the same")
    within_target: tuple[Rag, ...] = Field(
        (Rag.GREEN, Rag.AMBER), description="ratings that count as 'within target' for direction of travel"
    )
    arrows: Literal["performance", "numeric"] = Field(
        "performance",
        description="direction-of-travel arrows: performance (Kent, Buckinghamshire: up is better) or numeric "
        "(Rotherham: up means the figure rose); both coloured by performance",
    )


ThemeRule = Literal["worst", "majority", "share", "mean"]


class RatedGroup(_Strict):
    """Ratings rolled up into one (Buckinghamshire's themes and outcomes): ``rule`` says how.

    worst     red if any is red, else amber if any is amber, else green
    majority  the most common rating; a tie goes to the worse
    share     red when at least ``red_share`` of the rated are red, amber when at least
              ``amber_share`` are red or amber, else green
    mean      a score of red 1, amber 2, green 3, averaged: red below ``mean_red_below``, green
              from ``mean_green_from``, amber between
    Unrated ones (monitor, no figure) do not count; a group with none rated is not rated."""

    id: str
    title: str
    rule: ThemeRule = "worst"
    red_share: float = Field(0.5, gt=0, le=1)
    amber_share: float = Field(0.25, gt=0, le=1)
    mean_red_below: float = Field(1.5, ge=1, le=3)
    mean_green_from: float = Field(2.5, ge=1, le=3)


class Theme(RatedGroup):
    """A group of indicators rated as one, rolled up into its ``outcome``."""

    indicators: list[str] = Field(min_length=1)
    outcome: str | None = Field(None, description="the id of the outcome this theme rolls up to")


class Outcome(RatedGroup):
    """An outcome of the portfolio (Buckinghamshire: "Vulnerable children are safe and protected
    from harm"), rated from its themes' ratings by its rule."""


class Catalogue(_Strict):
    name: str
    settings: Settings = Settings()
    areas: dict[str, str]
    cohorts: dict[str, str] = Field(default_factory=lambda: {"all": "All children"})
    indicators: list[Indicator]
    #: Indicators in the scorecard's activity table (this month, last month, change by org unit).
    activity: list[str] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    #: Area -> the Annex A breakdowns its page shows (names from ``csc_workbench.measures.breakdowns``).
    breakdowns: dict[str, list[str]] = Field(default_factory=dict)
    _by_id: dict[str, Indicator] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index(self) -> Catalogue:
        seen: dict[str, Indicator] = {}
        for indicator in self.indicators:
            if indicator.id in seen:
                raise ValueError(f"indicator '{indicator.id}': key 'id': '{indicator.id}' is used twice")
            if indicator.area not in self.areas:
                raise ValueError(
                    f"indicator '{indicator.id}': key 'area': '{indicator.area}' is not one of the areas: "
                    + ", ".join(self.areas)
                )
            if indicator.cohort is not None and indicator.cohort not in self.cohorts:
                raise ValueError(
                    f"indicator '{indicator.id}': key 'cohort': '{indicator.cohort}' is not listed under cohorts"
                )
            seen[indicator.id] = indicator
        self._by_id = seen
        for area in self.breakdowns:
            if area not in self.areas:
                raise ValueError(f"key 'breakdowns.{area}': '{area}' is not one of the areas: " + ", ".join(self.areas))
        for k, ident in enumerate(self.activity):
            if ident not in seen:
                raise ValueError(f"key 'activity.{k}': '{ident}' is not an indicator of the catalogue")
        theme_ids: set[str] = set()
        for theme in self.themes:
            if theme.id in theme_ids:
                raise ValueError(f"theme '{theme.id}': key 'id': '{theme.id}' is used twice")
            theme_ids.add(theme.id)
            for k, ident in enumerate(theme.indicators):
                if ident not in seen:
                    raise ValueError(f"theme '{theme.id}': key 'indicators.{k}': '{ident}' is not an indicator")
            if theme.outcome is not None and theme.outcome not in {o.id for o in self.outcomes}:
                raise ValueError(f"theme '{theme.id}': key 'outcome': '{theme.outcome}' is not an outcome id")
        for group in [*self.themes, *self.outcomes]:
            kind = "theme" if isinstance(group, Theme) else "outcome"
            if group.mean_red_below > group.mean_green_from:
                raise ValueError(
                    f"{kind} '{group.id}': key 'mean_red_below': {group.mean_red_below:g} is above mean_green_from "
                    f"{group.mean_green_from:g}"
                )
            if group.rule == "share" and group.amber_share > group.red_share:
                raise ValueError(
                    f"{kind} '{group.id}': key 'amber_share': {group.amber_share:g} is above red_share "
                    f"{group.red_share:g} (amber must start at a smaller share than red)"
                )
        return self

    def __getitem__(self, indicator_id: str) -> Indicator:
        return self._by_id[indicator_id]

    def get(self, indicator_id: str) -> Indicator | None:
        return self._by_id.get(indicator_id)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._by_id

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def in_area(self, area: str) -> list[Indicator]:
        return [i for i in self.indicators if i.area == area]


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a catalogue file; ParamsError names the file, indicator and key."""
    path = Path(path)
    raw = _read_yaml(path)
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        indicators = raw.get("indicators") if isinstance(raw, dict) else None

        def describe(loc: tuple) -> tuple[str, str]:
            if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
                ident = "?"
                if isinstance(indicators, list) and loc[1] < len(indicators) and isinstance(indicators[loc[1]], dict):
                    ident = indicators[loc[1]].get("id", f"number {loc[1] + 1}")
                key = ".".join(str(p) for p in loc[2:] if p not in _UNION_TAGS) or "(indicator)"
                return f"indicator '{ident}': ", key
            return "", ".".join(str(p) for p in loc) or "(top level)"

        raise ParamsError(format_pydantic_errors(str(path), exc.errors(), describe)) from None


_UNION_TAGS = {"thresholds", "tolerance", "range", "none"}


#: libyaml's safe loader when PyYAML has it (about ten times faster), else the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    return data
