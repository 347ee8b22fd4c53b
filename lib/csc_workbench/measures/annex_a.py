"""Monthly atoms from Annex A child records, per team, rolled up to area and authority.

Each *measure* (:data:`MEASURES`, named for what it counts) turns one or more lists into *record
rows*: one row per record that counts, with the month, the team, whether the child is UASC, and
its numerator and denominator contribution. A catalogue indicator names the measure it uses
(``measure:``); several may share one (the count of referrals and the rate per 10,000: the
indicator's unit decides the value). ``compute_atoms`` computes each measure's record rows once,
adds them up per indicator, team and month, rolls teams up the org-unit hierarchy, fills months
with no records with zero (a team with no referrals had 0, not "no data"), divides rates by
population, and returns atoms ready for the store. A measure whose list is missing or empty, or
whose list lacks a column it needs, is not computed and ``MeasureRun`` says why.
Definitions: ``docs/measures.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from csc_workbench.config.authority import Authority
from csc_workbench.config.authority import org_unit_populations as _populations
from csc_workbench.config.catalogue import Catalogue, Unit
from csc_workbench.config.errors import ParamsError
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.measures.working_days import bank_holidays, working_days_between
from csc_workbench.periods import month_text
from csc_workbench.store.atoms import ATOM_COLUMNS

RECORD_COLUMNS = ["period", "team", "uasc", "numerator", "denominator"]

YES = "a) Yes"
ADOPTED = ("E11", "E12")
PERMANENCE = ("E11", "E12", "E41", "E45", "E46", "E47", "E48")
FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")
RELATIVE_FOSTER = ("U1", "U2", "U3")
EET = tuple(f"{p}{n}" for p in "FP" for n in range(1, 6))


@dataclass(frozen=True)
class Context:
    """What every measure sees: the lists, the as-at date and the months covered."""

    lists: dict[int, pd.DataFrame]
    as_at: pd.Timestamp
    first_month: int
    last_month: int

    @property
    def as_at_month(self) -> int:
        return self.as_at.year * 12 + self.as_at.month - 1


MeasureKind = Literal["flow", "stock", "status"]


@dataclass(frozen=True)
class Measure:
    """One way of counting Annex A records.

    ``needs`` names, per list, the columns it cannot do without; its first list is the one whose
    records are counted (their team and UASC status place each record). Columns it uses only when
    they are there (a team, "Number of Referrals in Last 12 Months") are not needs. Cohorts other
    than "all" also need the counted list's UASC column.
    """

    name: str
    kind: MeasureKind  # "flow" (events in the month), "stock" (open at month end), "status" (as-at month only)
    records: Callable[[Context], pd.DataFrame]
    needs: Mapping[int, tuple[str, ...]]
    cohorts: tuple[str, ...] = ("all",)

    @property
    def counted_list(self) -> int:
        return next(iter(self.needs))


Gap = tuple[int, str | None]
"""What stopped a measure: (list, column key), or (list, None) when the list is missing or empty."""


@dataclass
class MeasureRun:
    atoms: pd.DataFrame
    computed: list[str] = field(default_factory=list)
    #: indicator (or "indicator (cohort)" when only that cohort stopped) -> why it was not computed
    skipped: dict[str, str] = field(default_factory=dict)
    #: indicator -> why it is not available: its atoms of the as-at month carry this reason, never a 0
    unavailable: dict[str, str] = field(default_factory=dict)
    #: each list missing or giving no figures, (list, None), and absent column, (list, key) -> the indicators it
    #: stopped or made not available
    stopped: dict[Gap, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- building blocks -----------------------------------------------------------------------


def month_of(dates: pd.Series) -> pd.Series:
    """Month index of each date (NaN where missing)."""
    return (dates.dt.year * 12 + dates.dt.month - 1).astype("Float64")


def month_end(index: int) -> pd.Timestamp:
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1) + pd.offsets.MonthEnd(0)


def month_ends(months: pd.Series) -> pd.Series:
    """The last day of each month index, as datetimes (one Timestamp built per distinct month)."""
    lookup = {m: month_end(int(m)) for m in pd.unique(months)}
    return months.map(lookup).astype("datetime64[ns]")


def code_id(series: pd.Series) -> pd.Series:
    """The identifier inside a coded value: "a) E11: Adopted ..." -> "E11", "b) U4: ..." -> "U4"."""
    return (
        series.astype("string")
        .str.extract(r"^\s*[a-z]{1,2}\)\s*([A-Z0-9]+)\b", expand=False)
        .fillna(series.astype("string").str.extract(r"^\s*([A-Z][A-Z0-9]*)\s*[:\-]", expand=False))
    )


def _uasc(frame: pd.DataFrame) -> pd.Series:
    if "uasc" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["uasc"].eq(YES).fillna(False).astype(bool)


def _team(frame: pd.DataFrame) -> pd.Series:
    if "allocated_team" not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame["allocated_team"].astype(object).where(frame["allocated_team"].notna(), None)


def records(frame: pd.DataFrame, period, numerator, denominator=1.0) -> pd.DataFrame:
    """Record rows for a measure: period, team, uasc, numerator, denominator."""
    out = pd.DataFrame(
        {
            "period": period,
            "team": _team(frame),
            "uasc": _uasc(frame),
            "numerator": numerator,
            "denominator": denominator,
        },
        index=frame.index,
    )
    return out.dropna(subset=["period"]).astype({"period": int, "numerator": float, "denominator": float})


def events_in_months(frame: pd.DataFrame, column: str, ctx: Context) -> pd.DataFrame:
    """Rows whose ``column`` date falls in a covered month, with that month in ``_month``."""
    months = month_of(frame[column])
    keep = months.between(ctx.first_month, ctx.last_month).fillna(False).astype(bool)
    return frame[keep].assign(_month=months[keep].astype(int))


def open_at_month_ends(frame: pd.DataFrame, start: str, end: str, ctx: Context) -> pd.DataFrame:
    """One row per record per covered month at whose end it is open (started, not yet ended)."""
    start_month = month_of(frame[start])
    end_month = month_of(frame[end]) if end in frame else pd.Series(np.nan, index=frame.index)
    low = np.maximum(start_month.to_numpy(dtype=float, na_value=np.nan), ctx.first_month)
    # open at the end of month m when it ends in a later month
    high = np.minimum(end_month.to_numpy(dtype=float, na_value=np.nan) - 1, ctx.last_month)
    high = np.where(np.isnan(high), ctx.last_month, high)
    keep = ~np.isnan(low) & (high >= low)
    kept = frame[keep]
    counts = (high[keep] - low[keep] + 1).astype(int)
    expanded = kept.loc[kept.index.repeat(counts)]
    offsets = expanded.groupby(level=0).cumcount().to_numpy()
    return expanded.assign(_month=np.repeat(low[keep].astype(int), counts) + offsets)


def open_on(frame: pd.DataFrame, start: str, end: str, day: pd.Timestamp) -> pd.DataFrame:
    """Records open on ``day``: started on or before it, not ended by it."""
    started = frame[start].le(day).fillna(False)
    ended = frame[end].le(day).fillna(False) if end in frame else False
    return frame[started & ~ended]


def days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.days.astype("Float64")


def _flag(condition: pd.Series) -> pd.Series:
    return condition.fillna(False).astype(float)


def count_events(number: int, column: str) -> Callable[[Context], pd.DataFrame]:
    """A measure counting the records of list ``number`` whose ``column`` date falls in the month."""

    def measure(ctx: Context) -> pd.DataFrame:
        rows = events_in_months(ctx.lists[number], column, ctx)
        return records(rows, rows["_month"], 1.0, np.nan)

    return measure


def count_open(number: int, start: str, end: str) -> Callable[[Context], pd.DataFrame]:
    """A measure counting the records of list ``number`` open at each month end."""

    def measure(ctx: Context) -> pd.DataFrame:
        rows = open_at_month_ends(ctx.lists[number], start, end, ctx)
        return records(rows, rows["_month"], 1.0, np.nan)

    return measure


# --- front door ---------------------------------------------------------------------------------


def _contacts_to_referral(ctx: Context) -> pd.DataFrame:
    c = events_in_months(ctx.lists[1], "contact_date", ctx)
    refs = ctx.lists[3][["child_id", "referral_date"]].dropna().sort_values("referral_date")
    left = c[["child_id", "contact_date", "_month"]].dropna(subset=["contact_date"]).sort_values("contact_date")
    matched = pd.merge_asof(
        left.reset_index(),
        refs,
        left_on="contact_date",
        right_on="referral_date",
        by="child_id",
        direction="forward",
        tolerance=pd.Timedelta(days=14),
    ).set_index("index")
    c = c.loc[matched.index]
    return records(c, c["_month"], _flag(matched["referral_date"].notna()))


def _referrals_nfa(ctx: Context) -> pd.DataFrame:
    r = events_in_months(ctx.lists[3], "referral_date", ctx)
    return records(r, r["_month"], _flag(r["referral_nfa"].eq(YES)))


def _rereferrals(ctx: Context) -> pd.DataFrame:
    """Previous referral of the same child on or after the same date a year before.

    Found in the list where it reaches back 12 months; before that, from the Annex A field
    "Number of Referrals in Last 12 Months" (taken to count earlier referrals).
    """
    all_refs = ctx.lists[3].dropna(subset=["referral_date"]).sort_values(["child_id", "referral_date"])
    previous = all_refs.groupby("child_id")["referral_date"].shift()
    within = previous.ge(all_refs["referral_date"] - pd.DateOffset(years=1)).fillna(False)
    lookback_from = all_refs["referral_date"].min() + pd.DateOffset(years=1)
    field_says = all_refs["referrals_last_12m"].fillna(0).gt(0) if "referrals_last_12m" in all_refs else False
    flag = within | ((all_refs["referral_date"] < lookback_from) & field_says)
    r = events_in_months(all_refs.assign(_re=flag), "referral_date", ctx)
    return records(r, r["_month"], _flag(r["_re"]))


def _referrals_to_assessment(ctx: Context) -> pd.DataFrame:
    r = events_in_months(ctx.lists[3], "referral_date", ctx)
    starts = ctx.lists[4][["child_id", "assessment_start_date"]].dropna().sort_values("assessment_start_date")
    left = r[["child_id", "referral_date"]].sort_values("referral_date").reset_index()
    matched = pd.merge_asof(
        left,
        starts,
        left_on="referral_date",
        right_on="assessment_start_date",
        by="child_id",
        direction="forward",
        tolerance=pd.Timedelta(days=28),
    ).set_index("index")
    r = r.loc[matched.index]
    return records(r, r["_month"], _flag(matched["assessment_start_date"].notna()))


# --- assessments -----------------------------------------------------------------------------


def _with_referral_date(assessments: pd.DataFrame, ctx: Context) -> pd.Series:
    """The child's latest referral on or before the assessment start; the start where none."""
    if 3 not in ctx.lists or assessments.empty:
        return assessments["assessment_start_date"]
    refs = ctx.lists[3][["child_id", "referral_date"]].dropna().sort_values("referral_date")
    left = assessments[["child_id", "assessment_start_date"]].reset_index().sort_values("assessment_start_date")
    left = left.dropna(subset=["assessment_start_date"])
    matched = pd.merge_asof(
        left, refs, left_on="assessment_start_date", right_on="referral_date", by="child_id", direction="backward"
    ).set_index("index")
    referral = matched["referral_date"].reindex(assessments.index)
    return referral.fillna(assessments["assessment_start_date"])


def _assessments_45wd(ctx: Context) -> pd.DataFrame:
    a = events_in_months(ctx.lists[4], "assessment_authorised_date", ctx)
    days = working_days_between(_with_referral_date(a, ctx), a["assessment_authorised_date"])
    return records(a, a["_month"], _flag(days.le(45)))


def _assessments_child_seen(ctx: Context) -> pd.DataFrame:
    a = events_in_months(ctx.lists[4], "assessment_authorised_date", ctx)
    return records(a, a["_month"], _flag(a["child_seen"].eq(YES)))


def _assessments_overdue(ctx: Context) -> pd.DataFrame:
    a = open_at_month_ends(ctx.lists[4], "assessment_start_date", "assessment_authorised_date", ctx)
    ends = month_ends(a["_month"])
    overdue = working_days_between(a["assessment_start_date"], ends).gt(45)
    a = a[overdue.fillna(False).to_numpy()]
    return records(a, a["_month"], 1.0, np.nan)


# --- section 47 and conferences ------------------------------------------------------------------


def _icpc_15wd(ctx: Context) -> pd.DataFrame:
    s = events_in_months(ctx.lists[5], "icpc_date", ctx)
    return records(s, s["_month"], _flag(working_days_between(s["s47_start_date"], s["icpc_date"]).le(15)))


def _icpc_to_plan(ctx: Context) -> pd.DataFrame:
    s = events_in_months(ctx.lists[5], "icpc_date", ctx)
    return records(s, s["_month"], _flag(s["icpc_outcome_cpp"].eq(YES)))


# --- children in need ------------------------------------------------------------------------------


def _cin_open_on_as_at(ctx: Context) -> pd.DataFrame:
    return open_on(ctx.lists[6], "cin_start_date", "cin_closure_date", ctx.as_at)


def _cin_seen_28d(ctx: Context) -> pd.DataFrame:
    c = _cin_open_on_as_at(ctx)
    seen = days_between(c["date_last_seen"], pd.Series(ctx.as_at, index=c.index)).between(0, 28)
    return records(c, ctx.as_at_month, _flag(seen))


def _unallocated(ctx: Context) -> pd.DataFrame:
    c = _cin_open_on_as_at(ctx)
    c = c[c["allocated_worker"].isna()]
    return records(c, ctx.as_at_month, 1.0, np.nan)


# --- child protection -------------------------------------------------------------------------------


def _cp_second(ctx: Context) -> pd.DataFrame:
    c = events_in_months(ctx.lists[7], "cpp_start_date", ctx)
    return records(c, c["_month"], _flag(c["previous_cpp_count"].fillna(0).ge(1)))


def _cp_open_longer_than(months: int) -> Callable[[Context], pd.DataFrame]:
    def measure(ctx: Context) -> pd.DataFrame:
        c = open_at_month_ends(ctx.lists[7], "cpp_start_date", "cpp_end_date", ctx)
        ends = month_ends(c["_month"])
        long = (c["cpp_start_date"] + pd.DateOffset(months=months)).le(ends)
        return records(c, c["_month"], _flag(long))

    return measure


def _cp_ceased_2y(ctx: Context) -> pd.DataFrame:
    c = events_in_months(ctx.lists[7], "cpp_end_date", ctx)
    lasted = (c["cpp_start_date"] + pd.DateOffset(years=2)).le(c["cpp_end_date"])
    return records(c, c["_month"], _flag(lasted))


def _cp_reviews(ctx: Context) -> pd.DataFrame:
    c = open_on(ctx.lists[7], "cpp_start_date", "cpp_end_date", ctx.as_at)
    due = (c["latest_review_date"] + pd.DateOffset(months=6)).where(
        c["latest_review_date"].notna(), c["cpp_start_date"] + pd.DateOffset(months=3)
    )
    return records(c, ctx.as_at_month, _flag(due.ge(ctx.as_at)))


def _cp_visits(ctx: Context) -> pd.DataFrame:
    c = open_on(ctx.lists[7], "cpp_start_date", "cpp_end_date", ctx.as_at)
    as_at = pd.Series(ctx.as_at, index=c.index)
    last = c["last_statutory_visit_date"].where(c["last_statutory_visit_date"].notna(), c["cpp_start_date"])
    visited = working_days_between(last, as_at).le(20) & last.le(ctx.as_at)
    return records(c, ctx.as_at_month, _flag(visited))


# --- children in care ----------------------------------------------------------------------------------


def _cic_uasc_open(ctx: Context) -> pd.DataFrame:
    c = open_at_month_ends(ctx.lists[8], "cic_start_date", "cic_end_date", ctx)
    c = c[_uasc(c)]
    return records(c, c["_month"], 1.0, np.nan)


def _ceased_with_reason(reasons: tuple[str, ...]) -> Callable[[Context], pd.DataFrame]:
    def measure(ctx: Context) -> pd.DataFrame:
        c = events_in_months(ctx.lists[8], "cic_end_date", ctx)
        return records(c, c["_month"], _flag(code_id(c["cic_end_reason"]).isin(reasons)))

    return measure


def _cic_on_as_at(ctx: Context) -> pd.DataFrame:
    return open_on(ctx.lists[8], "cic_start_date", "cic_end_date", ctx.as_at)


def _cic_reviews(ctx: Context) -> pd.DataFrame:
    """First review 20 working days after entering care, the second 3 months later, then every 6.

    Annex A holds only the latest review: one held within a month after the first was due is
    taken to be the first.
    """
    c = _cic_on_as_at(ctx)
    start, review = c["cic_start_date"], c["latest_review_date"]
    first_due = pd.Series(np.nan, index=c.index, dtype="datetime64[ns]")
    known = start.notna().to_numpy()
    if known.any():
        first_due[known] = np.busday_offset(
            start[known].to_numpy(dtype="datetime64[D]"), 20, roll="forward", holidays=bank_holidays()
        ).astype("datetime64[ns]")
    is_first = review.le(first_due + pd.DateOffset(months=1))
    due = (review + pd.DateOffset(months=6)).where(~is_first, review + pd.DateOffset(months=3))
    due = due.where(review.notna(), first_due)
    return records(c, ctx.as_at_month, _flag(due.ge(ctx.as_at)))


def _cic_visits(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    last = c["last_visit_date"].where(c["last_visit_date"].notna(), c["cic_start_date"])
    return records(c, ctx.as_at_month, _flag(days_between(last, pd.Series(ctx.as_at, index=c.index)).le(42)))


def _in_care_a_year(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    return c[(c["cic_start_date"] + pd.DateOffset(years=1)).le(ctx.as_at)]


def _cic_health(ctx: Context) -> pd.DataFrame:
    c = _in_care_a_year(ctx)
    under_5 = (c["date_of_birth"] + pd.DateOffset(years=5)).gt(ctx.as_at)
    window = pd.Series(np.where(under_5, 183, 365), index=c.index)
    age = days_between(c["last_health_assessment_date"], pd.Series(ctx.as_at, index=c.index))
    return records(c, ctx.as_at_month, _flag(age.le(window) & age.ge(0)))


def _cic_dental(ctx: Context) -> pd.DataFrame:
    c = _in_care_a_year(ctx)
    age = days_between(c["last_dental_check_date"], pd.Series(ctx.as_at, index=c.index))
    return records(c, ctx.as_at_month, _flag(age.between(0, 365)))


def _cic_3plus(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    return records(c, ctx.as_at_month, _flag(c["placements_last_12m"].ge(3)))


def _cic_same_placement(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    eligible = (c["date_of_birth"] + pd.DateOffset(years=16)).gt(ctx.as_at) & (
        c["cic_start_date"] + pd.DateOffset(years=2, months=6)
    ).le(ctx.as_at)
    c = c[eligible.fillna(False)]
    stable = (c["placement_start_date"] + pd.DateOffset(years=2)).le(ctx.as_at)
    return records(c, ctx.as_at_month, _flag(stable))


def _cic_inhouse_foster(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    kind = code_id(c["placement_type"])
    c, kind = c[kind.isin(FOSTER).fillna(False)], kind[kind.isin(FOSTER).fillna(False)]
    own = code_id(c["placement_provider"]).eq("PR1").fillna(False) | kind.isin(RELATIVE_FOSTER)
    return records(c, ctx.as_at_month, _flag(own))


def _cic_missing(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    c = c[c["missing_episodes"].fillna(0).gt(0)]
    return records(c, ctx.as_at_month, 1.0, np.nan)


def _cic_missing_episodes(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    return records(c, ctx.as_at_month, c["missing_episodes"].fillna(0).astype(float), np.nan)


def _return_interviews_offered(ctx: Context) -> pd.DataFrame:
    c = _cic_on_as_at(ctx)
    c = c[c["missing_episodes"].fillna(0).gt(0)]
    return records(c, ctx.as_at_month, _flag(c["return_interview_offered"].eq(YES)))


# --- care leavers --------------------------------------------------------------------------------------


def _care_leavers(ctx: Context) -> pd.DataFrame:
    return ctx.lists[9]


def _in_touch(ctx: Context) -> pd.DataFrame:
    c = ctx.lists[9]
    return c[c["in_touch"].eq(YES).fillna(False)]


def _care_leavers_open(ctx: Context) -> pd.DataFrame:
    c = _care_leavers(ctx)
    return records(c, ctx.as_at_month, 1.0, np.nan)


def _care_leavers_in_touch(ctx: Context) -> pd.DataFrame:
    c = _care_leavers(ctx)
    return records(c, ctx.as_at_month, _flag(c["in_touch"].eq(YES)))


def _care_leavers_suitable(ctx: Context) -> pd.DataFrame:
    c = _in_touch(ctx)
    return records(c, ctx.as_at_month, _flag(c["accommodation_suitable"].eq("a) Suitable")))


def _care_leavers_eet(ctx: Context) -> pd.DataFrame:
    c = _in_touch(ctx)
    return records(c, ctx.as_at_month, _flag(code_id(c["activity"]).isin(EET)))


def _care_leavers_pathway(ctx: Context) -> pd.DataFrame:
    c = _care_leavers(ctx)
    recent = (c["pathway_plan_date"] + pd.DateOffset(months=6)).ge(ctx.as_at) & c["pathway_plan_date"].le(ctx.as_at)
    return records(c, ctx.as_at_month, _flag(recent))


# --- adoption ---------------------------------------------------------------------------------------


def _adoption_plan_4m(ctx: Context) -> pd.DataFrame:
    a = events_in_months(ctx.lists[10], "adoption_decision_date", ctx)
    quick = (a["cic_entered_care_date"] + pd.DateOffset(months=4)).ge(a["adoption_decision_date"])
    return records(a, a["_month"], _flag(quick))


def _adoption_days(start: str, end: str) -> Callable[[Context], pd.DataFrame]:
    def measure(ctx: Context) -> pd.DataFrame:
        a = events_in_months(ctx.lists[10], "adoption_order_date", ctx)
        days = days_between(a[start], a[end])
        a = a[days.notna().to_numpy()]
        return records(a, a["_month"], days.dropna().astype(float), 1.0)

    return measure


def _adoption_12m_of_decision(ctx: Context) -> pd.DataFrame:
    a = events_in_months(ctx.lists[10], "placed_for_adoption_date", ctx)
    quick = (a["adoption_decision_date"] + pd.DateOffset(months=12)).ge(a["placed_for_adoption_date"])
    return records(a, a["_month"], _flag(quick))


BOTH = ("all", "excl_uasc")

_CP_OPEN = ("cpp_start_date", "cpp_end_date")
_CIC_OPEN = ("cic_start_date", "cic_end_date")
_CIN_OPEN = ("cin_start_date", "cin_closure_date")

MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("contacts", "flow", count_events(1, "contact_date"), {1: ("contact_date",)}),
        Measure("contacts_to_referral", "flow", _contacts_to_referral, {1: ("contact_date",), 3: ("referral_date",)}),
        Measure("referrals", "flow", count_events(3, "referral_date"), {3: ("referral_date",)}),
        Measure(
            "referrals_to_assessment",
            "flow",
            _referrals_to_assessment,
            {3: ("referral_date",), 4: ("assessment_start_date",)},
        ),
        Measure("referrals_nfa", "flow", _referrals_nfa, {3: ("referral_date", "referral_nfa")}),
        Measure("rereferrals_12m", "flow", _rereferrals, {3: ("referral_date",)}),
        Measure(
            "assessments_started", "flow", count_events(4, "assessment_start_date"), {4: ("assessment_start_date",)}
        ),
        Measure(
            "assessments_completed",
            "flow",
            count_events(4, "assessment_authorised_date"),
            {4: ("assessment_authorised_date",)},
        ),
        Measure(
            "assessments_45wd", "flow", _assessments_45wd, {4: ("assessment_start_date", "assessment_authorised_date")}
        ),
        Measure(
            "assessments_child_seen", "flow", _assessments_child_seen, {4: ("assessment_authorised_date", "child_seen")}
        ),
        Measure(
            "assessments_overdue",
            "stock",
            _assessments_overdue,
            {4: ("assessment_start_date", "assessment_authorised_date")},
        ),
        Measure("s47_started", "flow", count_events(5, "s47_start_date"), {5: ("s47_start_date",)}),
        Measure("icpc_held", "flow", count_events(5, "icpc_date"), {5: ("icpc_date",)}),
        Measure("icpc_15wd", "flow", _icpc_15wd, {5: ("s47_start_date", "icpc_date")}),
        Measure("icpc_to_plan", "flow", _icpc_to_plan, {5: ("icpc_date", "icpc_outcome_cpp")}),
        Measure("cin_open", "stock", count_open(6, *_CIN_OPEN), {6: _CIN_OPEN}),
        Measure("cin_seen_28d", "status", _cin_seen_28d, {6: (*_CIN_OPEN, "date_last_seen")}),
        Measure("unallocated_cases", "status", _unallocated, {6: (*_CIN_OPEN, "allocated_worker")}),
        Measure("cp_plans_open", "stock", count_open(7, *_CP_OPEN), {7: _CP_OPEN}),
        Measure("cp_plans_started", "flow", count_events(7, "cpp_start_date"), {7: ("cpp_start_date",)}),
        Measure("cp_plans_ended", "flow", count_events(7, "cpp_end_date"), {7: ("cpp_end_date",)}),
        Measure("cp_second_subsequent", "flow", _cp_second, {7: ("cpp_start_date", "previous_cpp_count")}),
        Measure("cp_plans_18m_plus", "stock", _cp_open_longer_than(18), {7: _CP_OPEN}),
        Measure("cp_plans_2y_plus", "stock", _cp_open_longer_than(24), {7: _CP_OPEN}),
        Measure("cp_ceased_2y_plus", "flow", _cp_ceased_2y, {7: _CP_OPEN}),
        Measure("cp_reviews_timely", "status", _cp_reviews, {7: (*_CP_OPEN, "latest_review_date")}),
        Measure("cp_visits_timely", "status", _cp_visits, {7: (*_CP_OPEN, "last_statutory_visit_date")}),
        Measure("cic_open", "stock", count_open(8, *_CIC_OPEN), {8: _CIC_OPEN}, BOTH),
        Measure("cic_uasc_open", "stock", _cic_uasc_open, {8: (*_CIC_OPEN, "uasc")}),
        Measure("cic_started", "flow", count_events(8, "cic_start_date"), {8: ("cic_start_date",)}, BOTH),
        Measure("cic_ceased", "flow", count_events(8, "cic_end_date"), {8: ("cic_end_date",)}, BOTH),
        Measure(
            "cic_ceased_permanence",
            "flow",
            _ceased_with_reason(PERMANENCE),
            {8: ("cic_end_date", "cic_end_reason")},
            BOTH,
        ),
        Measure(
            "cic_ceased_adopted", "flow", _ceased_with_reason(ADOPTED), {8: ("cic_end_date", "cic_end_reason")}, BOTH
        ),
        Measure("cic_reviews_timely", "status", _cic_reviews, {8: (*_CIC_OPEN, "latest_review_date")}, BOTH),
        Measure("cic_visits_timely", "status", _cic_visits, {8: (*_CIC_OPEN, "last_visit_date")}, BOTH),
        Measure(
            "cic_health_timely",
            "status",
            _cic_health,
            {8: (*_CIC_OPEN, "last_health_assessment_date", "date_of_birth")},
            BOTH,
        ),
        Measure("cic_dental_timely", "status", _cic_dental, {8: (*_CIC_OPEN, "last_dental_check_date")}, BOTH),
        Measure("cic_3plus_placements", "status", _cic_3plus, {8: (*_CIC_OPEN, "placements_last_12m")}, BOTH),
        Measure(
            "cic_same_placement_2y",
            "status",
            _cic_same_placement,
            {8: (*_CIC_OPEN, "date_of_birth", "placement_start_date")},
            BOTH,
        ),
        Measure(
            "cic_inhouse_foster",
            "status",
            _cic_inhouse_foster,
            {8: (*_CIC_OPEN, "placement_type", "placement_provider")},
            ("excl_uasc",),
        ),
        Measure("cic_missing", "status", _cic_missing, {8: (*_CIC_OPEN, "missing_episodes")}, BOTH),
        Measure("cic_missing_episodes", "status", _cic_missing_episodes, {8: (*_CIC_OPEN, "missing_episodes")}, BOTH),
        Measure(
            "return_interviews_offered",
            "status",
            _return_interviews_offered,
            {8: (*_CIC_OPEN, "missing_episodes", "return_interview_offered")},
            BOTH,
        ),
        Measure("care_leavers_open", "status", _care_leavers_open, {9: ("child_id",)}, BOTH),
        Measure("care_leavers_in_touch", "status", _care_leavers_in_touch, {9: ("in_touch",)}, BOTH),
        Measure(
            "care_leavers_suitable_accommodation",
            "status",
            _care_leavers_suitable,
            {9: ("in_touch", "accommodation_suitable")},
            BOTH,
        ),
        Measure("care_leavers_eet", "status", _care_leavers_eet, {9: ("in_touch", "activity")}, BOTH),
        Measure("care_leavers_pathway_plan", "status", _care_leavers_pathway, {9: ("pathway_plan_date",)}, BOTH),
        Measure("adoptions", "flow", count_events(10, "adoption_order_date"), {10: ("adoption_order_date",)}),
        Measure(
            "adoption_plan_4m", "flow", _adoption_plan_4m, {10: ("cic_entered_care_date", "adoption_decision_date")}
        ),
        Measure(
            "adoption_a1_days",
            "flow",
            _adoption_days("cic_entered_care_date", "placed_for_adoption_date"),
            {10: ("cic_entered_care_date", "placed_for_adoption_date", "adoption_order_date")},
        ),
        Measure(
            "adoption_a2_days",
            "flow",
            _adoption_days("placement_order_date", "matched_date"),
            {10: ("placement_order_date", "matched_date", "adoption_order_date")},
        ),
        Measure(
            "adoption_12m_of_decision",
            "flow",
            _adoption_12m_of_decision,
            {10: ("adoption_decision_date", "placed_for_adoption_date")},
        ),
    )
}
"""Every Annex A measure, by name: what a catalogue indicator's ``measure:`` may say."""


def check_measures(catalogue: Catalogue, source: str) -> None:
    """ParamsError naming ``source`` (the catalogue file), the indicator and the key for every ``measure:`` that is
    not one of :data:`MEASURES`, listing the known measures."""
    problems = [
        f"{source}: indicator '{indicator.id}': key 'measure': '{indicator.measure}' is not an Annex A measure"
        for indicator in catalogue.indicators
        if indicator.measure is not None and indicator.measure not in MEASURES
    ]
    if problems:
        raise ParamsError("\n".join([*problems, f"known measures: {', '.join(MEASURES)}"]))


def _gaps(
    measure: Measure,
    lists: dict[int, pd.DataFrame],
    present: dict[int, frozenset[str]],
    blank: dict[int, frozenset[str]],
) -> list[tuple[Gap, str]]:
    """Every list the measure needs that is missing, and every column it needs that its list lacks or leaves blank on
    every row; each with the reason in words."""
    gaps: list[tuple[Gap, str]] = []
    for number, keys in measure.needs.items():
        if number not in lists:
            gaps.append(((number, None), f"needs List {number}"))
        else:
            gaps.extend(gap for key in keys if (gap := _column_gap(number, key, present, blank)) is not None)
    return gaps


def _column_gap(
    number: int, key: str, present: dict[int, frozenset[str]], blank: dict[int, frozenset[str]]
) -> tuple[Gap, str] | None:
    """Why column ``key`` of list ``number`` cannot be used (absent, or blank on every row), or None."""
    column = LISTS[number].column(key)
    if key not in present[number]:
        return (number, key), f"needs the '{column.header}' column of List {number}"
    if key in blank[number] and not column.may_be_all_blank:
        return (number, key), f"needs the '{column.header}' column of List {number}, which is blank on every row"
    return None


def _stop(run: MeasureRun, what: str, gaps: list[tuple[Gap, str]]) -> None:
    """Record that ``what`` (an indicator, or "indicator (cohort)") was not computed, and why."""
    for gap, _ in gaps:
        run.stopped.setdefault(gap, []).append(what)
    run.skipped[what] = "; ".join(reason for _, reason in gaps)


# --- from record rows to atoms -----------------------------------------------------------------------


def org_chains(authority: Authority) -> dict[str, list[str]]:
    """Each org unit -> itself and its ancestors, up to the authority."""
    chains = {}
    for name in authority.org_unit_names:
        chain, unit = [name], name
        while (parent := authority.parent_of(unit)) is not None:
            chain.append(parent)
            unit = parent
        chains[name] = chain
    return chains


def compute_atoms(
    lists: dict[int, pd.DataFrame],
    authority: Authority,
    catalogue: Catalogue,
    as_at: pd.Timestamp,
    first_month: int,
    columns: Mapping[int, Collection[str]] | None = None,
    blank_columns: Mapping[int, Collection[str]] | None = None,
    unavailable: Mapping[int, str] | None = None,
    empty_is_zero: Collection[int] = (),
) -> MeasureRun:
    """Atoms for every catalogue indicator that names a measure the lists can give, for the months covered.

    ``columns`` says which column keys each list's source really had (the reader's ``AnnexA.columns``),
    by default every column of its frame; ``blank_columns`` which of them have no value on any row
    (``AnnexA.blank_columns``): such a column counts as not supplied, unless a blank there says
    something (``Column.may_be_all_blank``: an end date, a later milestone, an allocated worker).
    Each measure's record rows are computed once, then summed
    per indicator, cohort, month and team; teams roll up their chain (team, area, authority) in one
    pass; every org unit and covered month gets an atom, zero where nothing happened; rates divide
    by the org unit's population. An indicator whose measure lacks a list or a column is
    skipped, and ``MeasureRun.skipped`` and ``stopped`` say why.

    No zeros from nothing: a list that gives no figures (``unavailable``: list -> why, e.g. most of its rows
    excluded) and a list with no rows, unless ``empty_is_zero`` names it (the analyst confirmed it had none: its
    indicators count 0), make the indicators that need it *not available*: their atoms of the as-at month carry
    the reason (``unavailable_reason``) and no figure, and earlier months keep what earlier loads stored.
    ``MeasureRun.unavailable`` says which and why.
    """
    check_measures(catalogue, f"catalogue '{catalogue.name}'")
    present = {
        number: frozenset(
            LISTS[number].keys
            if frame.empty and number in empty_is_zero
            else columns[number]
            if columns is not None and number in columns
            else frame.columns
        )
        for number, frame in lists.items()
    }
    blank = {number: frozenset((blank_columns or {}).get(number, ())) for number in lists}
    gone = dict(unavailable or {})
    for number, frame in lists.items():
        if frame.empty and number not in empty_is_zero:
            gone.setdefault(number, f"List {number} ({LISTS[number].title}) has no rows")
    ctx = Context(lists, pd.Timestamp(as_at).normalize(), first_month, as_at.year * 12 + as_at.month - 1)
    chains = org_chains(authority)
    top = authority.org_units.name
    populations = _populations(authority, ctx.as_at.year, [])
    any_population = any(populations.values())
    run = MeasureRun(atoms=pd.DataFrame(columns=ATOM_COLUMNS))
    record_rows: dict[str, pd.DataFrame] = {}  # measure name -> its record rows, computed once
    windows: dict[str, str] = {}
    per_team, grids, gaps_stored, unknown_teams = [], [], [], 0
    for indicator in catalogue.indicators:
        if indicator.measure is None:
            continue
        measure = MEASURES[indicator.measure]
        if indicator.cohort is not None and indicator.cohort not in measure.cohorts:
            run.skipped[indicator.id] = (
                f"measure '{measure.name}' has no cohort '{indicator.cohort}' (it gives {', '.join(measure.cohorts)})"
            )
            continue
        has_teams = "allocated_team" in LISTS[measure.counted_list].keys
        units = list(chains) if has_teams else [top]
        reasons = [gone[number] for number in measure.needs if number in gone]
        if reasons:
            run.unavailable[indicator.id] = "; ".join(reasons)
            for number in measure.needs:
                if number in gone:
                    run.stopped.setdefault((number, None), []).append(indicator.id)
            if indicator.unit is Unit.RATE_PER_10K:
                units = [unit for unit in units if populations.get(unit)]
            grid = pd.MultiIndex.from_product(
                [
                    [indicator.id],
                    [ctx.as_at_month],
                    units,
                    (indicator.cohort,) if indicator.cohort else measure.cohorts,
                ],
                names=["indicator", "period", "org_unit", "cohort"],
            ).to_frame(index=False)
            window = "month" if measure.kind == "flow" else "snapshot"
            gaps_stored.append(grid.assign(window=window, unavailable_reason=run.unavailable[indicator.id]))
            continue
        gaps = _gaps(measure, lists, present, blank)
        if gaps:
            _stop(run, indicator.id, gaps)
            continue
        if indicator.unit is Unit.RATE_PER_10K and not any_population:
            run.skipped[indicator.id] = "no org unit has a population in authority.yml"
            continue
        cohorts = (indicator.cohort,) if indicator.cohort else measure.cohorts
        counted = measure.counted_list
        split = [cohort for cohort in cohorts if cohort != "all"]  # cohorts that need the UASC column
        uasc = _column_gap(counted, "uasc", present, blank) if split else None
        if uasc is not None:
            for cohort in split:
                _stop(run, f"{indicator.id} ({cohort})", [uasc])
            cohorts = tuple(c for c in cohorts if c == "all")
            if not cohorts:
                continue
        if measure.name not in record_rows:
            record_rows[measure.name] = measure.records(ctx)
        rows = record_rows[measure.name]
        known = rows["team"].isin(chains)
        if has_teams:
            unknown_teams = max(unknown_teams, int((~known).sum()))
        rows = rows.assign(team=rows["team"].where(known, top))
        for cohort in cohorts:
            part = rows if cohort == "all" else rows[~rows["uasc"]]
            summed = part.groupby(["period", "team"], sort=False)[["numerator", "denominator"]].sum(min_count=1)
            per_team.append(summed.reset_index().assign(indicator=indicator.id, cohort=cohort))
        months = [ctx.as_at_month] if measure.kind == "status" else list(range(ctx.first_month, ctx.last_month + 1))
        grids.append(
            pd.MultiIndex.from_product(
                # lists without a team (contacts, adoption) are counted for the authority alone
                [[indicator.id], cohorts, months, list(chains) if has_teams else [top]],
                names=["indicator", "cohort", "period", "org_unit"],
            ).to_frame(index=False)
        )
        windows[indicator.id] = "month" if measure.kind == "flow" else "snapshot"
        run.computed.append(indicator.id)
    gap_atoms = [
        pd.concat(gaps_stored, ignore_index=True)
        .reindex(columns=ATOM_COLUMNS)
        .astype({"numerator": float, "denominator": float, "value": float})
    ] if gaps_stored else []  # fmt: skip
    if not grids:
        if gap_atoms:
            run.atoms = gap_atoms[0]
        return run

    keys = ["indicator", "cohort", "period", "org_unit"]
    mapping = pd.DataFrame(
        [(team, org) for team, chain in chains.items() for org in chain], columns=["team", "org_unit"]
    )
    rolled = (
        pd.concat(per_team, ignore_index=True)
        .merge(mapping, on="team")
        .groupby(keys, sort=False)[["numerator", "denominator"]]
        .sum(min_count=1)
        .reset_index()
    )
    atoms = pd.concat(grids, ignore_index=True).merge(rolled, on=keys, how="left")
    facts = pd.DataFrame(
        {
            "indicator": run.computed,
            "_scale": [catalogue[i].scale for i in run.computed],
            "_unit": [catalogue[i].unit.value for i in run.computed],
            "_window": [windows[i] for i in run.computed],
        }
    )
    atoms = atoms.merge(facts, on="indicator")
    atoms["numerator"] = atoms["numerator"].fillna(0.0)
    population = atoms["org_unit"].map(_populations(authority, ctx.as_at.year, run.notes)).astype(float)
    is_rate, is_count = atoms["_unit"].eq(Unit.RATE_PER_10K.value), atoms["_unit"].eq(Unit.COUNT.value)
    atoms["denominator"] = np.where(is_rate, population, np.where(is_count, np.nan, atoms["denominator"].fillna(0.0)))
    atoms = atoms[~(is_rate & population.isna())]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (
            atoms["_scale"].astype(float) * atoms["numerator"] / atoms["denominator"].where(atoms["denominator"] > 0)
        )
    atoms["value"] = np.where(atoms["_unit"].eq(Unit.COUNT.value), atoms["numerator"], ratio)
    atoms["window"] = atoms["_window"]
    atoms["unavailable_reason"] = None
    run.atoms = pd.concat([atoms[ATOM_COLUMNS], *gap_atoms], ignore_index=True)
    if unknown_teams:
        run.notes.append(
            f"up to {unknown_teams:,} records per indicator had no allocated team, or one not in authority.yml: "
            "counted at authority level only"
        )
    run.notes.append(
        f"{len(run.computed)} indicators computed for {month_text(ctx.first_month)} to {month_text(ctx.last_month)} "
        f"(status measures for {month_text(ctx.as_at_month)} only); {len(run.atoms):,} atoms"
    )
    return run
