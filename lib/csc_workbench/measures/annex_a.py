"""Monthly atoms from Annex A child records, per team, rolled up to area and authority.

Each measure turns one or more lists into *record rows*: one row per record that counts, with
the month, the team, whether the child is UASC, and its numerator and denominator contribution.
``compute_atoms`` then adds them up per team and month, rolls teams up the org-unit hierarchy,
fills months with no records with zero (a team with no referrals had 0, not "no data"), divides
rates by population, and returns atoms ready for the store. Definitions: ``docs/measures.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csc_workbench.config.authority import Authority
from csc_workbench.config.catalogue import Catalogue, Unit
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.measures.working_days import bank_holidays, working_days_between
from csc_workbench.periods import month_text
from csc_workbench.reference import population_0_17
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

    def has(self, *numbers: int) -> bool:
        return all(n in self.lists for n in numbers)


@dataclass(frozen=True)
class Measure:
    indicator: str
    lists: tuple[int, ...]
    kind: str  # "flow" (events in the month), "stock" (open at month end), "status" (as-at month only)
    records: Callable[[Context], pd.DataFrame]
    cohorts: tuple[str, ...] = ("all",)


@dataclass
class MeasureRun:
    atoms: pd.DataFrame
    computed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # indicator -> why
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


# Made once each: measures that share a function (a count and its rate) share its record rows.
_contacts = count_events(1, "contact_date")
_referrals = count_events(3, "referral_date")
_assessments_started = count_events(4, "assessment_start_date")
_assessments_completed = count_events(4, "assessment_authorised_date")
_s47_started = count_events(5, "s47_start_date")
_icpc_held = count_events(5, "icpc_date")
_cp_started = count_events(7, "cpp_start_date")
_cp_ended = count_events(7, "cpp_end_date")
_cic_started = count_events(8, "cic_start_date")
_cic_ceased = count_events(8, "cic_end_date")
_adoptions = count_events(10, "adoption_order_date")
_cin_open = count_open(6, "cin_start_date", "cin_closure_date")
_cp_open = count_open(7, "cpp_start_date", "cpp_end_date")
_cic_open = count_open(8, "cic_start_date", "cic_end_date")


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

MEASURES: tuple[Measure, ...] = (
    Measure("contacts", (1,), "flow", _contacts),
    Measure("contacts_to_referral", (1, 3), "flow", _contacts_to_referral),
    Measure("referrals", (3,), "flow", _referrals),
    Measure("referral_rate_per_10k", (3,), "flow", _referrals),
    Measure("referrals_to_assessment", (3, 4), "flow", _referrals_to_assessment),
    Measure("referrals_nfa", (3,), "flow", _referrals_nfa),
    Measure("rereferrals_12m", (3,), "flow", _rereferrals),
    Measure("assessments_started", (4,), "flow", _assessments_started),
    Measure("assessments_completed", (4,), "flow", _assessments_completed),
    Measure("assessments_45wd", (4,), "flow", _assessments_45wd),
    Measure("assessments_child_seen", (4,), "flow", _assessments_child_seen),
    Measure("assessments_overdue", (4,), "stock", _assessments_overdue),
    Measure("s47_started", (5,), "flow", _s47_started),
    Measure("s47_rate_per_10k", (5,), "flow", _s47_started),
    Measure("icpc_held", (5,), "flow", _icpc_held),
    Measure("icpc_rate_per_10k", (5,), "flow", _icpc_held),
    Measure("icpc_15wd", (5,), "flow", _icpc_15wd),
    Measure("icpc_to_plan", (5,), "flow", _icpc_to_plan),
    Measure("cin_open", (6,), "stock", _cin_open),
    Measure("open_cases", (6,), "stock", _cin_open),
    Measure("cin_rate_per_10k", (6,), "stock", _cin_open),
    Measure("cin_seen_28d", (6,), "status", _cin_seen_28d),
    Measure("unallocated_cases", (6,), "status", _unallocated),
    Measure("cp_plans_open", (7,), "stock", _cp_open),
    Measure("cp_rate_per_10k", (7,), "stock", _cp_open),
    Measure("cp_plans_started", (7,), "flow", _cp_started),
    Measure("cp_plans_ended", (7,), "flow", _cp_ended),
    Measure("cp_second_subsequent", (7,), "flow", _cp_second),
    Measure("cp_plans_18m_plus", (7,), "stock", _cp_open_longer_than(18)),
    Measure("cp_plans_2y_plus", (7,), "stock", _cp_open_longer_than(24)),
    Measure("cp_ceased_2y_plus", (7,), "flow", _cp_ceased_2y),
    Measure("cp_reviews_timely", (7,), "status", _cp_reviews),
    Measure("cp_visits_timely", (7,), "status", _cp_visits),
    Measure("cic_open", (8,), "stock", _cic_open, BOTH),
    Measure("cic_uasc_open", (8,), "stock", _cic_uasc_open),
    Measure("cic_rate_per_10k", (8,), "stock", _cic_open, BOTH),
    Measure("cic_started", (8,), "flow", _cic_started, BOTH),
    Measure("cic_ceased", (8,), "flow", _cic_ceased, BOTH),
    Measure("cic_ceased_permanence", (8,), "flow", _ceased_with_reason(PERMANENCE), BOTH),
    Measure("cic_ceased_adopted", (8,), "flow", _ceased_with_reason(ADOPTED), ("excl_uasc",)),
    Measure("adoption_ceased_share", (8,), "flow", _ceased_with_reason(ADOPTED), BOTH),
    Measure("cic_reviews_timely", (8,), "status", _cic_reviews, BOTH),
    Measure("cic_visits_timely", (8,), "status", _cic_visits, BOTH),
    Measure("cic_health_timely", (8,), "status", _cic_health, BOTH),
    Measure("cic_dental_timely", (8,), "status", _cic_dental, BOTH),
    Measure("cic_3plus_placements", (8,), "status", _cic_3plus, BOTH),
    Measure("cic_same_placement_2y", (8,), "status", _cic_same_placement, BOTH),
    Measure("cic_inhouse_foster", (8,), "status", _cic_inhouse_foster, ("excl_uasc",)),
    Measure("cic_missing", (8,), "status", _cic_missing, BOTH),
    Measure("cic_missing_episodes", (8,), "status", _cic_missing_episodes, BOTH),
    Measure("return_interviews_offered", (8,), "status", _return_interviews_offered, BOTH),
    Measure("care_leavers_open", (9,), "status", _care_leavers_open, BOTH),
    Measure("care_leavers_in_touch", (9,), "status", _care_leavers_in_touch, BOTH),
    Measure("care_leavers_suitable_accommodation", (9,), "status", _care_leavers_suitable, BOTH),
    Measure("care_leavers_eet", (9,), "status", _care_leavers_eet, BOTH),
    Measure("care_leavers_pathway_plan", (9,), "status", _care_leavers_pathway, BOTH),
    Measure("adoptions", (10,), "flow", _adoptions),
    Measure("adoption_plan_4m", (10,), "flow", _adoption_plan_4m),
    Measure("adoption_a1_days", (10,), "flow", _adoption_days("cic_entered_care_date", "placed_for_adoption_date")),
    Measure("adoption_a2_days", (10,), "flow", _adoption_days("placement_order_date", "matched_date")),
    Measure("adoption_12m_of_decision", (10,), "flow", _adoption_12m_of_decision),
)

KINDS = {measure.indicator: measure.kind for measure in MEASURES}

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


def _populations(authority: Authority, year: int, notes: list[str]) -> dict[str, int | None]:
    """Children aged 0-17 per org unit: as stated in authority.yml, else (for the authority) the
    latest ONS mid-year estimate for its LA code."""
    populations = {name: authority.org_unit(name).population for name in authority.org_unit_names}
    top = authority.org_units.name
    if populations[top] is None:
        found = population_0_17(authority.la_code_new, year) or population_0_17(authority.la_code_old, year)
        if found:
            populations[top] = found[0]
            notes.append(
                f"rates per 10,000 for {top} use the ONS mid-{found[1]} estimate of {found[0]:,} children aged 0-17"
            )
    return populations


def compute_atoms(
    lists: dict[int, pd.DataFrame],
    authority: Authority,
    catalogue: Catalogue,
    as_at: pd.Timestamp,
    first_month: int,
) -> MeasureRun:
    """Atoms for every catalogue indicator the lists can give, for the months covered.

    Record rows are summed per indicator, cohort, month and team; teams then roll up their
    chain (team, area, authority) in one pass; every org unit and covered month gets an atom,
    zero where nothing happened; rates divide by the org unit's population.
    """
    ctx = Context(lists, pd.Timestamp(as_at).normalize(), first_month, as_at.year * 12 + as_at.month - 1)
    chains = org_chains(authority)
    top = authority.org_units.name
    run = MeasureRun(atoms=pd.DataFrame(columns=ATOM_COLUMNS))
    cache: dict[Callable, pd.DataFrame] = {}
    per_team, grids, unknown_teams = [], [], 0
    for measure in MEASURES:
        indicator = catalogue.get(measure.indicator)
        if indicator is None:
            continue
        if not ctx.has(*measure.lists):
            missing = ", ".join(f"List {n}" for n in measure.lists if n not in lists)
            run.skipped[measure.indicator] = f"needs {missing}"
            continue
        if indicator.unit is Unit.RATE_PER_10K and not any(_populations(authority, ctx.as_at.year, []).values()):
            run.skipped[indicator.id] = "no org unit has a population in authority.yml"
            continue
        if measure.records not in cache:
            cache[measure.records] = measure.records(ctx)
        rows = cache[measure.records]
        known = rows["team"].isin(chains)
        has_teams = "allocated_team" in LISTS[measure.lists[0]].keys
        if has_teams:
            unknown_teams = max(unknown_teams, int((~known).sum()))
        rows = rows.assign(team=rows["team"].where(known, top))
        cohorts = (indicator.cohort,) if indicator.cohort else measure.cohorts
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
        run.computed.append(indicator.id)
    if not grids:
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
            "_window": ["month" if KINDS[i] == "flow" else "snapshot" for i in run.computed],
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
    run.atoms = atoms[ATOM_COLUMNS].reset_index(drop=True)
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
