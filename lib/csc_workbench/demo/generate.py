"""Generate the synthetic demo county: Annex A extracts (a full one and month-end snapshots) and aggregates.

Children and their journeys are simulated for the window of ``months`` months ending ``end_month``, after a
three-year burn-in and a longer history for children already in care (so that open CIN cases, child protection
plans, children in care and care leavers exist on day one with realistic start dates). Everything is vectorised
with numpy; loops run over months, teams or event numbers, never over children. One generator
(``numpy.random.default_rng(seed)``) drives it all, so the same config always writes byte-identical files.

Volumes follow the authority's size: the constants below are those of a county of :data:`REFERENCE_POPULATION`
children (Northmoor, the shipped demo), and every count that grows with a council (referrals, contacts, UASC
arrivals, children in care and disabled children known from long ago, early help, adopters, fostering households,
audits, personal advisers) is multiplied by the authority's children aged 0-17 over it (:func:`volume_scale`). Rates
(re-referrals, plans, timeliness) do not change with size (a smaller council's weak team is weighted down, see
``_Rates.add``); a council of 20,000 children gets about 20/330 of Northmoor's rows. At scale 1 every draw is the
one it was before sizes existed, so Northmoor's files are unchanged.

Days are held as integers (days since 1970-01-01): :data:`OPEN` marks an end that has not happened,
:data:`NA` an event that never happens. Files only ever show dates on or before their as-at date.

The month-end snapshots miss a few late-recorded events, as real ones do: a child's records of a day (starts,
ends, visits, reviews) are entered on the day, or for a share :data:`RECORDED_LATE` of days up to
:data:`RECORDING_LAG` days later, so about 3% of a month's events, mostly of its last week, are entered after its
month end. Its snapshot lacks them (no record for a start, the record still open for an end, the visit or review
before as the latest); the full extract has every event, later snapshots those of the records still on them.
Recording lags are a hash of the seed, the child and the day, so they leave the generator's draws alone.

Each snapshot holds the records of lists 6-8 open at its date or closed since the start of the previous snapshot's
month (the month before, or the one before the gap month; for the first snapshot, its own month), so that month's
starts, ends and month-end stocks can be counted again from it, its late-recorded starts and ends now in: the loader
restates that month from it, as a council's monthly extract restates recent months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from csc_workbench.config import Params
from csc_workbench.ingest import annex_a_spec as A
from csc_workbench.measures.working_days import bank_holidays
from csc_workbench.periods import month_text, parse_month
from csc_workbench.reference import population_0_17

OPEN = 3_000_000
"""Day number of an end that has not happened (far future)."""
NA = -3_000_000
"""Day number of an event that never happens."""

_EPOCH_MONTH = 1970 * 12
_BURN_IN_MONTHS = 36
_LOOKBACK = 400  # days before the window from which recurring events (visits, reviews) are simulated


@dataclass(frozen=True)
class DemoConfig:
    """What to generate. ``gap_month`` None means the first ``data_gaps`` month of the authority; "" means none."""

    end_month: str  # "YYYY-MM", last month of data (callers pass the last complete month)
    months: int = 36
    seed: int = 20261124
    gap_month: str | None = None  # a month with no data (system migration)


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo files were written."""

    root: Path
    full_extract: Path  # folder: the latest full Annex A extract, all 11 lists, covering all `months`
    snapshots: list[Path]  # folders, one per month-end (oldest first), lists 6-9 only, as at that month end
    # (each also holds the records closed since the start of the previous snapshot's month, to restate it)
    aggregates: Path  # aggregate CSV for indicators Annex A cannot give


def demo_population(params: Params, config: DemoConfig) -> int:
    """Children aged 0-17 the demo's volumes are sized for: the population of the top org unit in authority.yml,
    else the latest ONS estimate up to the end month for the authority's LA code (or comparator), else
    :data:`REFERENCE_POPULATION`."""
    authority = params.authority
    if authority.org_units.population:
        return authority.org_units.population
    found = population_0_17(authority.benchmark_la_code, parse_month(config.end_month) // 12)
    return found[0] if found else REFERENCE_POPULATION


def volume_scale(params: Params, config: DemoConfig) -> float:
    """What every volume is multiplied by: the authority's children aged 0-17 over :data:`REFERENCE_POPULATION`."""
    return demo_population(params, config) / REFERENCE_POPULATION


def resolve_gap_month(params: Params, config: DemoConfig) -> str | None:
    """The month simulated as unavailable: ``config.gap_month``, else the authority's first data gap.

    An empty string in the config means no gap month.
    """
    if config.gap_month is not None:
        return config.gap_month or None
    return params.authority.data_gaps[0].month if params.authority.data_gaps else None


# --- volumes and mixes ---------------------------------------------------------------------------------------------

REFERENCE_POPULATION = 330_000
"""Children aged 0-17 of the county the volumes below describe (Northmoor, Kent-sized): scale 1."""

# volumes at scale 1 (multiplied by volume_scale)
REF_PER_MONTH = 1315.0  # referrals (Kent: about 16,000 a year)
CONTACTS_PER_MONTH = 3750.0  # contacts (about 45,000 a year)
UASC_PER_MONTH = 26.0  # UASC arrivals becoming looked after
NFA_AT_REFERRAL = 0.085
S47_SHARE = 0.39  # of assessed referrals (not UASC, not disability service)
ICPC_SHARE = 0.32  # of S47 enquiries
PLAN_SHARE = 0.84  # of ICPCs
DISABILITY_REFERRALS = 0.012  # share of referrals to the disability service
CIC_IN_CSWT = 0.04  # children in care held by a district team (in proceedings)
REENTRY_SHARE = 0.16  # of children returning home who come back into care
LEGACY_CIC_PER_MONTH = 47.0
LEGACY_DISABILITY_PER_MONTH = 12.0
EARLY_HELP_PER_MONTH = 150.0  # early help assessments started without a contact or a closed case
ADOPTER_ENQUIRIES_PER_MONTH = 24.0  # from families not (yet) matched
FOSTERING_HOUSEHOLDS = 600.0
AUDITS_PER_MONTH = 52.0
CP_REPORTS_PER_MONTH = 190.0  # child protection conference reports quality-assured
CIC_CARE_PLANS_PER_MONTH = 430.0  # care plans quality-assured
PERSONAL_ADVISERS = 45

SEASON = np.array([1.00, 1.02, 1.08, 0.97, 1.06, 1.07, 1.03, 0.80, 1.03, 1.10, 1.09, 0.86])
SEASON = SEASON / SEASON.mean()

SEX_P = np.array([0.515, 0.482, 0.0025, 0.0005])
SEX_UASC_P = np.array([0.94, 0.06, 0.0, 0.0])
ETH_P = np.concatenate(
    [
        [0.700, 0.003, 0.004, 0.040, 0.006, 0.030, 0.010, 0.012, 0.025, 0.012],
        [0.008, 0.005, 0.012, 0.010, 0.030, 0.008, 0.002, 0.020, 0.010, 0.053],
    ]
)
ETH_UASC_P = np.zeros(20)
ETH_UASC_P[[3, 12, 14, 17, 15, 8, 18, 19]] = [0.08, 0.30, 0.30, 0.24, 0.03, 0.02, 0.02, 0.01]
# referral / contact sources, in SOURCE_CODES order (1A 1B 1C 1D 2A 2B 3A-3F 4 5A 5B 5C 5D 6 7 8 9 10)
REF_SOURCE_P = np.concatenate(
    [
        [0.020, 0.035, 0.005, 0.005, 0.190, 0.020, 0.030, 0.030, 0.010, 0.020, 0.035],
        [0.030, 0.020, 0.050, 0.030, 0.030, 0.020, 0.300, 0.030, 0.040, 0.010, 0.010],
    ]
)
CONTACT_SOURCE_P = np.concatenate(
    [
        [0.045, 0.055, 0.010, 0.010, 0.150, 0.020, 0.030, 0.030, 0.010, 0.020, 0.040],
        [0.030, 0.025, 0.030, 0.025, 0.030, 0.015, 0.340, 0.025, 0.040, 0.025, 0.015],
    ]
)
UASC_SOURCE_P = np.zeros(22)
UASC_SOURCE_P[[17, 18, 19]] = [0.45, 0.35, 0.20]
# age at referral: bands [0,1) [1,5) [5,10) [10,16) [16,18)
AGE_BANDS = np.array([0.0, 1.0, 5.0, 10.0, 16.0, 17.9])
REF_AGE_P = np.array([0.11, 0.18, 0.24, 0.35, 0.12])
CIC_AGE_P = np.array([0.20, 0.16, 0.18, 0.34, 0.12])
NEED_P = np.array([0.52, 0.04, 0.05, 0.14, 0.17, 0.03, 0.005, 0.03, 0.01, 0.005])
CIC_NEED_P = np.array([0.64, 0.015, 0.04, 0.10, 0.14, 0.03, 0.005, 0.03, 0.0, 0.0])
ABUSE_P = np.array([0.48, 0.07, 0.04, 0.38, 0.03])

# exits from care by age band at entry: 0, 1-2, 3-4, 5-9, 10-13, 14-15, 16-17
EX_ADOPT, EX_ADOPT_REV, EX_SGO, EX_CAO, EX_HOME, EX_OTHER, EX_18 = range(7)
EXIT_AGE_EDGES = np.array([1.0, 3.0, 5.0, 10.0, 14.0, 16.0])
EXIT_P = np.array(
    [
        [0.58, 0.06, 0.19, 0.03, 0.09, 0.02, 0.03],
        [0.40, 0.05, 0.30, 0.05, 0.13, 0.03, 0.04],
        [0.18, 0.03, 0.40, 0.06, 0.19, 0.05, 0.09],
        [0.03, 0.00, 0.46, 0.06, 0.18, 0.06, 0.21],
        [0.00, 0.00, 0.30, 0.04, 0.23, 0.08, 0.35],
        [0.00, 0.00, 0.08, 0.02, 0.31, 0.10, 0.49],
        [0.00, 0.00, 0.00, 0.00, 0.30, 0.13, 0.57],
    ]
)

# ceased-care reasons (indices into CEASED_REASON_CODES)
_E11, _E12, _E2, _E3, _E4A, _E4B, _E13, _E41, _E45, _E46, _E47, _E48 = range(12)
_E5, _E6, _E7, _E9, _E14, _E15, _E16, _E8, _X1, _E17 = range(12, 22)
REASONS_AT_18 = ([_E17, _E5, _E6, _E8, _E13, _E4A, _E7], [0.16, 0.45, 0.06, 0.19, 0.06, 0.06, 0.02])
REASONS_AT_18_UASC = ([_E5, _E8, _E17, _E6, _E13], [0.55, 0.20, 0.12, 0.10, 0.03])
REASONS_OTHER = ([_E13, _E3, _E9, _E14, _E8, _E2, _E16], [0.30, 0.15, 0.12, 0.10, 0.25, 0.02, 0.06])
REASONS_OTHER_UASC = ([_E15, _E8, _E3, _E16], [0.35, 0.35, 0.20, 0.10])
REASONS_SGO = ([_E45, _E46, _E47, _E48], [0.45, 0.12, 0.33, 0.10])
CARE_LEAVER_REASONS = np.array([_E5, _E6, _E8, _E13, _E17, _E7, _E9, _E14])

# CIN closure reasons (indices into CIN_CLOSURE_CODES)
_RC1, _RC2, _RC3, _RC4, _RC5, _RC6, _RC7, _RC8, _RC9 = range(9)

# legal statuses (indices into LEGAL_STATUS_CODES)
_C1, _C2, _D1, _E1, _V2, _V3, _V4, _L1, _L2, _L3, _J1, _J2, _J3 = range(13)

# placements (indices into PLACEMENT_TYPE_CODES and PLACEMENT_PROVIDER_CODES)
_U1, _U2, _U3, _U4, _U5, _U6, _A3, _A4, _A5, _A6, _P1, _P2, _P3, _H5, _K1, _K2 = range(16)
_R1, _R2, _R3, _R5, _S1, _Z1, _T0 = range(16, 23)
_PT_YOUNG = {_U1: 0.07, _U3: 0.10, _U2: 0.005, _U4: 0.21, _U5: 0.01, _U6: 0.38, _P1: 0.05, _K2: 0.115}
_PT_YOUNG |= {_R3: 0.01, _S1: 0.01, _Z1: 0.01, _K1: 0.005, _T0: 0.005, _R1: 0.005}
_PT_OLD = {_U1: 0.04, _U3: 0.06, _U4: 0.20, _U6: 0.18, _H5: 0.30, _K2: 0.12, _P2: 0.04, _P1: 0.03}
_PT_OLD |= {_S1: 0.01, _Z1: 0.02}
_PT_UASC_YOUNG = {_U6: 0.55, _U4: 0.30, _K2: 0.08, _U3: 0.02, _Z1: 0.05}
_PT_UASC_OLD = {_H5: 0.50, _U6: 0.25, _U4: 0.10, _K2: 0.05, _P2: 0.05, _Z1: 0.05}
_PR0, _PR1, _PR2, _PR3, _PR4, _PR5 = range(6)

# care leavers (indices into ACCOMMODATION_CODES and ACTIVITY_CODES)
ACC_SUITABLE_P = np.zeros(16)
ACC_SUITABLE_P[[0, 1, 2, 3, 6, 9, 10, 14, 15]] = [0.14, 0.02, 0.34, 0.06, 0.02, 0.06, 0.22, 0.02, 0.12]
ACC_UNSUITABLE_P = np.zeros(16)
ACC_UNSUITABLE_P[[8, 11, 12, 13, 0, 6, 14]] = [0.22, 0.15, 0.10, 0.33, 0.05, 0.05, 0.10]
EET_P = np.array([0.08, 0.01, 0.38, 0.05, 0.12, 0.10, 0.07, 0.01, 0.12, 0.06, 0, 0, 0])
NEET_P = np.array([0] * 10 + [0.22, 0.58, 0.20])

OTHER_LAS = (
    "Westmarch (synthetic)",
    "Southdale (synthetic)",
    "Ashcombe (synthetic)",
    "Harrowfield (synthetic)",
    "Kirkby Moor (synthetic)",
    "Stannington Vale (synthetic)",
    "Greyholme (synthetic)",
    "Eastwater (synthetic)",
)
EHA_ORGANISATIONS = (
    "{authority} Early Help Service (synthetic)",  # the authority's own service, named after its top org unit
    "School (synthetic)",
    "Health visiting (synthetic)",
    "Family hub (synthetic)",
)


# --- calendar --------------------------------------------------------------------------------------------------------


def _first_day(month_index: np.ndarray | int) -> np.ndarray:
    """Day number of the first day of a month index (year * 12 + month - 1)."""
    months = np.asarray(month_index, dtype=np.int64) - _EPOCH_MONTH
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _month_of(day: np.ndarray) -> np.ndarray:
    """Month index of each day number."""
    return np.asarray(day, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + (
        _EPOCH_MONTH
    )


def _day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def _add_months(day: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar months added to each day (31 Jan + 1 month = 28/29 Feb)."""
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    nm = m + np.asarray(months, dtype=np.int64)
    length = ((nm + 1).astype("datetime64[D]") - nm.astype("datetime64[D]")).astype(np.int64)
    return nm.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, length - 1)


def _ymd(day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    dom = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom


def _age(dob: np.ndarray, day: np.ndarray | int) -> np.ndarray:
    """Age in whole years on each day."""
    y1, m1, d1 = _ymd(dob)
    y2, m2, d2 = _ymd(np.broadcast_to(np.asarray(day, dtype=np.int64), np.shape(dob)))
    return y2 - y1 - ((m2 * 100 + d2) < (m1 * 100 + d1)).astype(np.int64)


class _Calendar:
    """Working days (weekends and England and Wales bank holidays excluded)."""

    def __init__(self) -> None:
        self.holidays = bank_holidays()

    def add_working_days(self, day: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The n-th working day after each day (a weekend day first rolls forward to Monday)."""
        d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
        out = np.busday_offset(d, np.asarray(n, dtype=np.int64), roll="forward", holidays=self.holidays)
        return out.astype(np.int64)

    def is_working(self, day: np.ndarray) -> np.ndarray:
        return np.is_busday(np.asarray(day, dtype=np.int64).astype("datetime64[D]"), holidays=self.holidays)


# --- organisation ----------------------------------------------------------------------------------------------------


class _Org:
    """The authority's teams, classified by what they do."""

    def __init__(self, params: Params) -> None:
        authority = params.authority
        self.authority = authority.org_units.name
        self.short_name = authority.short_name
        self.areas: list[str] = []
        self.area_pop: list[float] = []
        self.teams: list[str] = []
        team_area: list[int] = []

        def walk(unit, area: int) -> None:
            for child in unit.children:
                if child.level == "area":
                    self.areas.append(child.name)
                    self.area_pop.append(float(child.population or 0))
                    walk(child, len(self.areas) - 1)
                elif child.level == "team":
                    self.teams.append(child.name)
                    team_area.append(area)
                    walk(child, area)

        walk(authority.org_units, -1)
        self.team_area = np.array(team_area, dtype=np.int64)
        pop = np.array(self.area_pop)
        if len(pop) and pop.min() <= 0:
            pop = np.full(len(pop), (authority.org_units.population or 1.0) / max(len(pop), 1))
        self.area_pop_arr = pop
        lower = [t.lower() for t in self.teams]

        def find(*words: str) -> int:
            for i, name in enumerate(lower):
                if any(w in name for w in words) and self.team_area[i] < 0:
                    return i
            return -1

        self.dis_team = find("disab")
        self.uasc_team = find("uasc", "asylum")
        self.cl_team = find("leaver")
        is_cic = np.array(
            [("cic" in t.split() or "in care" in t) and a >= 0 for t, a in zip(lower, team_area, strict=True)]
        )
        self.kind = np.full(len(self.teams), 5)  # 0 CSWT, 1 CIC, 2 disability, 3 UASC, 4 care leavers, 5 other
        self.kind[(self.team_area >= 0) & ~is_cic] = 0
        self.kind[is_cic] = 1
        for idx, kind in ((self.dis_team, 2), (self.uasc_team, 3), (self.cl_team, 4)):
            if idx >= 0:
                self.kind[idx] = kind
        self.cswt = np.flatnonzero(self.kind == 0)
        if len(self.cswt) == 0:
            raise ValueError("the demo needs area teams (district social work teams) in params/authority.yml")
        area_n = np.bincount(self.team_area[self.cswt], minlength=len(self.areas))
        weight = pop[self.team_area[self.cswt]] / area_n[self.team_area[self.cswt]]
        self.cswt_weight = weight / weight.sum()
        self.area_cic = np.full(len(self.areas), -1)
        for i in np.flatnonzero(self.kind == 1):
            if self.area_cic[self.team_area[i]] < 0:
                self.area_cic[self.team_area[i]] = i

    @property
    def n(self) -> int:
        return len(self.teams)

    def cic_team_for(self, home: np.ndarray) -> np.ndarray:
        team = self.area_cic[self.team_area[home]]
        return np.where(team >= 0, team, home)


# --- rates: drift, team effects and monthly noise ------------------------------------------------------------------


class _Rates:
    """Probability surfaces (team x month) for each rate; month 0 is the first burn-in month."""

    def __init__(
        self, rng: np.random.Generator, org: _Org, n_months: int, window_start: int, weak_weight: float
    ) -> None:
        self.rng, self.org, self.n_months, self.w = rng, org, n_months, window_start
        self.weak_weight = weak_weight
        self.table: dict[str, np.ndarray] = {}

    def add(
        self,
        name: str,
        start: float,
        end: float,
        team_sd: float = 0.0,
        month_sd: float = 0.0,
        cell_sd: float = 0.0,
        weak: tuple[int, float] = (0, 0.0),
        weak_kinds: tuple[int, ...] = (0,),
        dips: tuple[tuple[float, float, float], ...] = (),
        lo: float = 0.0,
        hi: float = 1.0,
    ) -> np.ndarray:
        """A surface: linear drift over the window, a team effect, AR(1) month noise, team-month noise.

        ``weak`` = (number of teams, shift) gives some teams a persistent shift (to put them in red), times
        ``weak_weight``: a council smaller than the reference has fewer teams, each a larger share of it, so its weak
        team's shift is smaller, and it weighs in the council's figures about as in Northmoor's (a council of one
        district team is not a weak council);
        ``dips`` = (from, to, shift) with from/to as fractions of the window shifts every team for a while.
        """
        rng, n_t, n_m, w = self.rng, self.org.n, self.n_months, self.w
        base = np.full(n_m, start, dtype=float)
        span = max(n_m - w - 1, 1)
        base[w:] = start + (end - start) * np.arange(n_m - w) / span
        team = rng.normal(0.0, team_sd, n_t) if team_sd else np.zeros(n_t)
        if weak[0]:
            candidates = np.flatnonzero(np.isin(self.org.kind, weak_kinds))
            chosen = rng.choice(candidates, size=min(weak[0], len(candidates)), replace=False)
            team[chosen] += weak[1] * self.weak_weight
        month = np.zeros(n_m)
        if month_sd:
            shocks = rng.normal(0.0, month_sd, n_m)
            for i in range(1, n_m):
                month[i] = 0.6 * month[i - 1] + shocks[i]
        cell = rng.normal(0.0, cell_sd, (n_t, n_m)) if cell_sd else 0.0
        surface = base[None, :] + team[:, None] + month[None, :] + cell
        for frm, to, shift in dips:
            a, b = w + int(frm * (n_m - w)), w + int(to * (n_m - w))
            surface[:, a:b] += shift
        surface = np.clip(surface, lo, hi)
        self.table[name] = surface
        return surface


# --- people ----------------------------------------------------------------------------------------------------------


class _People:
    """Every simulated child, in arrays that grow as children are created."""

    FIELDS: ClassVar[dict[str, type]] = {
        "dob": np.int64,
        "b18": np.int64,
        "sex": np.int8,
        "eth": np.int8,
        "disabled": np.int8,  # index into YES_NO_UNKNOWN
        "uasc": bool,
        "dis": bool,  # held by the disability service
        "home": np.int64,  # district team of residence
        "rteam": np.int64,  # team taking referrals (home, or the disability / UASC service)
        "pre_cpp": np.int64,  # child protection plans before the simulation
        "pre_cp_end": np.int64,
        "last_ref": np.int64,
        "busy": np.int64,  # an open episode until this day
    }

    def __init__(self) -> None:
        self.n = 0
        self.cap = 1 << 16
        self.a = {k: np.zeros(self.cap, dtype=t) for k, t in self.FIELDS.items()}

    def add(self, **cols: np.ndarray) -> np.ndarray:
        m = len(next(iter(cols.values())))
        while self.n + m > self.cap:
            self.cap *= 2
            for k, v in self.a.items():
                grown = np.zeros(self.cap, dtype=v.dtype)
                grown[: self.n] = v[: self.n]
                self.a[k] = grown
        idx = np.arange(self.n, self.n + m)
        for k, v in cols.items():
            self.a[k][idx] = v
        self.n += m
        return idx

    def __getattr__(self, name: str) -> np.ndarray:
        a = self.__dict__.get("a")
        if a is not None and name in a:
            return a[name][: self.n]
        raise AttributeError(name)


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """n draws of an index with probabilities p."""
    cdf = np.cumsum(np.asarray(p, dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), len(cdf) - 1)


def _pick_rows(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix."""
    cdf = np.cumsum(p, axis=1)
    cdf = cdf / cdf[:, -1:]
    return np.minimum((rng.random(len(p))[:, None] > cdf).sum(axis=1), p.shape[1] - 1)


def _pick_from(rng: np.random.Generator, n: int, spec: tuple[list[int], list[float]]) -> np.ndarray:
    values, p = spec
    return np.asarray(values)[_pick(rng, n, np.asarray(p))]


def _uniform(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """Whole days lo..hi inclusive."""
    return rng.integers(lo, hi + 1, n)


# --- the simulation context ------------------------------------------------------------------------------------------


class _World:
    """The whole simulation: time line, organisation, rates and every table."""

    def __init__(self, params: Params, config: DemoConfig) -> None:
        self.params, self.config = params, config
        self.rng = np.random.default_rng(config.seed)
        self.cal = _Calendar()
        self.org = _Org(params)
        self.scale = volume_scale(params, config)
        self.end_mi = parse_month(config.end_month)
        if config.months < 1:
            raise ValueError("months must be at least 1")
        self.first_mi = self.end_mi - config.months + 1
        self.sim_mi = self.first_mi - _BURN_IN_MONTHS
        self.n_sim = self.end_mi - self.sim_mi + 1
        self.w0 = int(_first_day(self.first_mi))
        self.we = int(_first_day(self.end_mi + 1)) - 1
        self.cut = self.w0 - _LOOKBACK
        self.window_mis = list(range(self.first_mi, self.end_mi + 1))
        self.month_end = np.array([int(_first_day(m + 1)) - 1 for m in self.window_mis], dtype=np.int64)
        gap = resolve_gap_month(params, config)
        self.gap_mi = parse_month(gap) if gap else None
        self.people = _People()
        self.rates = _Rates(self.rng, self.org, self.n_sim, _BURN_IN_MONTHS, weak_weight=min(self.scale, 1.0))
        self._define_rates()

    def k(self, day: np.ndarray) -> np.ndarray:
        """Rate-surface month column of each day (clamped to the simulated months)."""
        return np.clip(_month_of(np.clip(day, -100_000, 200_000)) - self.sim_mi, 0, self.n_sim - 1)

    def rate(self, name: str, team: np.ndarray | int, day: np.ndarray) -> np.ndarray:
        surface = self.rates.table[name]
        team = np.broadcast_to(np.asarray(team), np.shape(day))
        return surface[team, self.k(day)]

    def _define_rates(self) -> None:
        r = self.rates.add
        # front door and assessments
        r("rereferral", 0.236, 0.222, team_sd=0.015, month_sd=0.008, weak=(1, 0.06), lo=0.05, hi=0.6)
        r("assess_45wd", 0.86, 0.895, 0.025, 0.012, 0.02, weak=(1, -0.09), dips=((0.40, 0.50, -0.04),), hi=0.99)
        r("child_seen", 0.981, 0.985, 0.005, 0.003, 0.004, weak=(1, -0.025), hi=0.998)
        r("icpc_15wd", 0.87, 0.895, 0.04, 0.03, 0.03, weak=(1, -0.14), dips=((0.55, 0.62, -0.08),), hi=0.99)
        r("pre_cpp", 0.205, 0.20, 0.02, 0.005, weak=(1, 0.07), lo=0.02, hi=0.6)
        r("long_plans", 0.0, 0.0, 0.6, weak=(1, 1.5), lo=-1.0, hi=3.0)
        # visits, reviews and timeliness (probability of a late gap)
        r("cin_seen_late", 0.10, 0.09, 0.025, 0.01, 0.01, weak=(1, 0.10), dips=((0.28, 0.36, 0.05),), lo=0.0)
        r("cp_visit_late", 0.065, 0.06, 0.02, 0.01, 0.01, weak=(1, 0.07), dips=((0.66, 0.72, 0.05),), lo=0.0)
        r("cp_review_late", 0.16, 0.14, 0.05, 0.02, weak=(1, 0.25), lo=0.0)
        r("cic_visit_late", 0.06, 0.05, 0.02, 0.01, 0.01, weak=(1, 0.08), weak_kinds=(1,), lo=0.0)
        r("cic_review_late", 0.14, 0.12, 0.04, 0.02, weak=(1, 0.2), weak_kinds=(1, 3), lo=0.0)
        r("health_late", 0.30, 0.26, 0.06, 0.03, weak=(1, 0.25), weak_kinds=(1,), lo=0.0)
        r("dental_late", 0.33, 0.30, 0.06, 0.03, lo=0.0)
        r("rhi_offered", 0.955, 0.965, 0.02, 0.01, weak=(1, -0.10), weak_kinds=(1, 3), hi=1.0)
        r("alloc_delay", 0.004, 0.004, 0.002, 0.0, dips=((0.30, 0.40, 0.03),), lo=0.0)
        r("inhouse", 0.70, 0.71, 0.04, 0.01, weak=(1, -0.12), weak_kinds=(1,), lo=0.3, hi=0.95)
        # care leavers (one team)
        r("cl_suitable", 0.915, 0.93, 0.0, 0.015, lo=0.5)
        r("cl_eet", 0.47, 0.53, 0.0, 0.02, lo=0.2)
        r("cl_plan_late", 0.14, 0.10, 0.0, 0.02, lo=0.0)
        # adoption (authority)
        r("adopt_4m", 0.70, 0.78, 0.0, 0.04, hi=0.98)
        r("adopt_a2", 150.0, 118.0, 0.0, 8.0, lo=40.0, hi=400.0)


# --- the front door and the journeys that follow ---------------------------------------------------------------------


def _new_children(w: _World, ref_day: np.ndarray, rteam: np.ndarray, kind: str) -> np.ndarray:
    """Create children referred on ref_day to rteam: kind 'ref' (any child), 'uasc' or 'dis'."""
    rng, org = w.rng, w.org
    n = len(ref_day)
    if kind == "uasc":
        age = rng.choice([14, 15, 16, 17], n, p=[0.05, 0.20, 0.45, 0.30]) + rng.random(n) * 0.95
    elif kind == "dis":
        age = rng.uniform(1.0, 16.5, n)
    else:
        band = _pick(rng, n, REF_AGE_P)
        age = AGE_BANDS[band] + rng.random(n) * (AGE_BANDS[band + 1] - AGE_BANDS[band])
    dob = ref_day - np.floor(age * 365.25).astype(np.int64) - 1
    dob = _no_leap_birthday(dob)
    home = np.where(org.kind[rteam] == 0, rteam, org.cswt[_pick(rng, n, org.cswt_weight)])
    uasc = kind == "uasc"
    sex = _pick(rng, n, SEX_UASC_P if uasc else SEX_P)
    eth = _pick(rng, n, ETH_UASC_P if uasc else ETH_P)
    disabled = np.where(rng.random(n) < (0.02 if uasc else 0.08), 0, np.where(rng.random(n) < 0.01, 2, 1))
    if kind == "dis":
        disabled[:] = 0
    p_pre = w.rate("pre_cpp", home, ref_day) if kind == "ref" else np.zeros(n)
    pre = np.where((rng.random(n) < p_pre) & (age >= 1.0), _pick(rng, n, np.array([0.75, 0.20, 0.05])) + 1, 0)
    pre_gap = np.where(rng.random(n) < 0.16, _uniform(rng, 90, 730, n), _uniform(rng, 731, 3650, n))
    pre_end = np.where(pre > 0, np.maximum(ref_day - pre_gap, dob + 60), NA)
    return w.people.add(
        dob=dob,
        b18=_add_months(dob, 216),
        sex=sex,
        eth=eth,
        disabled=disabled,
        uasc=np.full(n, uasc),
        dis=np.full(n, kind == "dis"),
        home=home,
        rteam=rteam,
        pre_cpp=pre,
        pre_cp_end=pre_end,
        last_ref=np.full(n, NA),
        busy=np.full(n, NA),
    )


def _no_leap_birthday(dob: np.ndarray) -> np.ndarray:
    """Move 29 February birthdays to the 28th (keeps whole-year ages and 18th birthdays in step)."""
    _, month, dom = _ymd(dob)
    return np.where((month == 2) & (dom == 29), dob - 1, dob)


def _day_weights(w: _World, days: np.ndarray) -> np.ndarray:
    """Relative chance of a referral or contact on each day: quiet weekends, holidays and late December."""
    _, month, dom = _ymd(days)
    weekday = (days + 3) % 7  # 0 = Monday
    wt = np.where(weekday == 5, 0.22, np.where(weekday == 6, 0.16, 1.0))
    wt = np.where(~w.cal.is_working(days) & (weekday < 5), 0.3, wt)
    wt = np.where((month == 12) & (dom >= 22), wt * 0.5, wt)
    return wt / wt.sum()


def _cp_duration(w: _World, team: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Length of a child protection plan in days (a few teams keep plans longer)."""
    rng, n = w.rng, len(team)
    tilt = w.rate("long_plans", team, start)
    p = np.tile(np.array([0.15, 0.45, 0.30, 0.075, 0.025]), (n, 1))
    p[:, 3] *= np.exp(tilt)
    p[:, 4] *= np.exp(tilt)
    band = _pick_rows(rng, p)
    lo = np.array([80, 113, 271, 541, 731])[band]
    hi = np.array([112, 270, 540, 730, 1095])[band]
    return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)


class _Tables:
    """Lists of column batches, concatenated at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list[dict[str, np.ndarray]]] = {}

    def add(self, name: str, **cols: np.ndarray) -> None:
        self.parts.setdefault(name, []).append(cols)

    def get(self, name: str) -> dict[str, np.ndarray]:
        parts = self.parts.get(name, [])
        if not parts:
            return {}
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _front_door(w: _World) -> dict[str, dict[str, np.ndarray]]:
    """Referrals month by month from the start of the burn-in, each with its whole journey decided."""
    rng, org, people = w.rng, w.org, w.people
    tabs = _Tables()
    ref_teams = np.concatenate([org.cswt, [org.dis_team] if org.dis_team >= 0 else []]).astype(np.int64)
    ref_w = np.concatenate([org.cswt_weight * (1 - DISABILITY_REFERRALS), [DISABILITY_REFERRALS]])[: len(ref_teams)]
    ref_w = ref_w / ref_w.sum()
    mid = (w.first_mi + w.end_mi) / 2
    n_ref_total = 0
    for mi in range(w.sim_mi, w.end_mi + 1):
        d0, d1 = int(_first_day(mi)), int(_first_day(mi + 1)) - 1
        days = np.arange(d0, d1 + 1)
        weights = _day_weights(w, days)
        mean = REF_PER_MONTH * w.scale * SEASON[mi % 12] * (1 + 0.02 * (mi - mid) / 12) * np.exp(rng.normal(0, 0.025))
        n_ref = rng.poisson(mean)
        n_uasc = rng.poisson(UASC_PER_MONTH * w.scale * (1 + 0.25 * np.sin(2 * np.pi * (mi % 12 - 4) / 12)))
        n_team = rng.multinomial(max(n_ref - n_uasc, 0), ref_w)
        # who can be referred again: an earlier referral, case closed, not in care, under 17
        ok = (people.busy < d0) & (people.last_ref > NA) & ~people.uasc & (d0 - people.dob < 17 * 365)
        recent = ok & (people.last_ref >= _first_day(mi - 11))
        older = ok & (people.last_ref < _first_day(mi - 12)) & (people.last_ref >= _first_day(mi - 36))
        chosen: list[np.ndarray] = []
        new_teams: list[np.ndarray] = []
        for j, team in enumerate(ref_teams):
            n_j = int(n_team[j])
            if n_j == 0:
                continue
            pool = np.flatnonzero(recent & (people.rteam == team))
            k_rr = min(rng.binomial(n_j, w.rates.table["rereferral"][team, mi - w.sim_mi]), len(pool))
            if k_rr:
                chosen.append(rng.choice(pool, k_rr, replace=False))
            pool_old = np.flatnonzero(older & (people.rteam == team))
            k_old = min(rng.binomial(n_j - k_rr, 0.07), len(pool_old))
            if k_old:
                chosen.append(rng.choice(pool_old, k_old, replace=False))
            new_teams.append(np.full(n_j - k_rr - k_old, team))
        old_children = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
        nt = np.concatenate(new_teams) if new_teams else np.zeros(0, np.int64)
        ref_day_new = rng.choice(days, len(nt), p=weights)
        dis_mask = org.kind[nt] == 2
        kids_new = np.empty(len(nt), np.int64)
        if (~dis_mask).any():
            kids_new[~dis_mask] = _new_children(w, ref_day_new[~dis_mask], nt[~dis_mask], "ref")
        if dis_mask.any():
            kids_new[dis_mask] = _new_children(w, ref_day_new[dis_mask], nt[dis_mask], "dis")
        uasc_team = org.uasc_team if org.uasc_team >= 0 else int(org.cswt[0])
        ref_day_uasc = rng.choice(days, n_uasc, p=weights)
        kids_uasc = _new_children(w, ref_day_uasc, np.full(n_uasc, uasc_team), "uasc")
        ref_day_old = rng.choice(days, len(old_children), p=weights)
        child = np.concatenate([old_children, kids_new, kids_uasc])
        day = np.concatenate([ref_day_old, ref_day_new, ref_day_uasc])
        # children new to the data are referred after their birth
        day = np.maximum(day, people.dob[child] + 1)
        ids = np.arange(n_ref_total, n_ref_total + len(child))
        n_ref_total += len(child)
        _journeys(w, tabs, ids, child, day)
    return {name: tabs.get(name) for name in tabs.parts}


def _journeys(w: _World, tabs: _Tables, ids: np.ndarray, child: np.ndarray, day: np.ndarray) -> None:
    """Referral -> assessment -> S47 -> ICPC -> CP plan, or CIN plan, or care; decided at referral."""
    rng, people, cal = w.rng, w.people, w.cal
    n = len(child)
    team = people.rteam[child]
    uasc = people.uasc[child]
    dis = people.dis[child]
    b18 = people.b18[child]
    age = (day - people.dob[child]) / 365.25
    src = np.where(uasc, _pick(rng, n, UASC_SOURCE_P), _pick(rng, n, REF_SOURCE_P))
    nfa = ~uasc & (rng.random(n) < NFA_AT_REFERRAL)
    tabs.add("referrals", id=ids, child=child, day=day, team=team, source=src, nfa=nfa)
    people.a["last_ref"][child] = day
    people.a["busy"][child] = np.maximum(people.busy[child], day)

    a = np.flatnonzero(~nfa)
    m = len(a)
    ch, dy, tm, ua, di, bb, ag = child[a], day[a], team[a], uasc[a], dis[a], b18[a], age[a]
    # assessment: start 0-8 working days after referral; authorised within 45 working days mostly
    lag = np.array([0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 6, 8])[rng.integers(0, 12, m)]
    start = cal.add_working_days(dy, lag)
    on_time = rng.random(m) < w.rate("assess_45wd", tm, dy)
    k_on = np.maximum(lag + 3, np.round(rng.triangular(6, 34, 44, m)).astype(np.int64))
    k_late = 45 + rng.geometric(0.3, m) + np.where(rng.random(m) < 0.05, rng.integers(5, 30, m), 0)
    k = np.where(on_time, k_on, k_late)
    k = np.where(ua, np.maximum(lag + 2, rng.integers(4, 25, m)), k)
    auth = cal.add_working_days(dy, k)
    seen_p = w.rate("child_seen", tm, dy)
    seen = np.where(rng.random(m) < seen_p, 0, np.where(rng.random(m) < 0.85, 1, 2))
    # section 47, conference, plan
    s47 = ~ua & (rng.random(m) < np.where(di, 0.05, S47_SHARE))
    s47_start = np.minimum(dy + np.array([0, 0, 0, 1, 1, 2, 3, 5, 8])[rng.integers(0, 9, m)], auth)
    icpc = s47 & (rng.random(m) < ICPC_SHARE)
    icpc_k = np.where(rng.random(m) < w.rate("icpc_15wd", tm, dy), rng.integers(5, 16, m), rng.integers(16, 33, m))
    icpc_day = np.where(icpc, cal.add_working_days(s47_start, icpc_k), NA)
    plan = icpc & (rng.random(m) < PLAN_SHARE) & (icpc_day < bb - 30)
    cp_start = np.where(plan, icpc_day, NA)
    cp_end = np.where(plan, np.minimum(cp_start + _cp_duration(w, tm, dy), bb - 1), NA)
    cp_next = _pick(rng, m, np.array([0.70, 0.15, 0.15]))  # 0 step down to CIN, 1 care, 2 close
    cp_next = np.where(cp_end >= bb - 1, 2, cp_next)
    # outcome when there is no plan: 0 close, 1 CIN plan, 2 care, 3 long CIN (disability)
    age_band = np.digitize(ag, [1, 5, 10, 16])
    p_care = np.array([0.085, 0.03, 0.018, 0.04, 0.025])[age_band]
    p_close = np.where(icpc, 0.15, np.where(s47, 0.45, 0.53))
    u = rng.random(m)
    outcome = np.where(u < p_close, 0, np.where(u < 1 - p_care, 1, 2))
    outcome = np.where(di, np.where(u < 0.25, 0, np.where(u < 0.97, 3, 2)), outcome)
    outcome = np.where(ua, 2, outcome)
    outcome = np.where(plan, np.where(cp_next == 1, 2, 4), outcome)  # 4: after a plan
    outcome = np.where((outcome == 2) & (ag >= 17.5) & ~plan, 1, outcome)
    # going into care
    direct = np.where(rng.random(m) < 0.5, dy + rng.integers(0, 4, m), auth + rng.integers(0, 21, m))
    direct = np.where(ua, dy + rng.integers(0, 3, m), direct)
    cic_start = np.where(outcome == 2, np.where(plan, cp_end, direct), NA)
    # episode end (care episodes are closed later, when the period of care is known)
    close = auth + rng.integers(0, 8, m)
    cin_plan = auth + np.clip(rng.lognormal(np.log(245), 0.75, m), 30, 1100).astype(np.int64)
    cin_long = auth + np.clip(rng.lognormal(np.log(950), 0.7, m), 180, 5000).astype(np.int64)
    after_plan = np.where(cp_next == 0, cp_end + rng.integers(45, 271, m), cp_end + rng.integers(0, 6, m))
    end = np.select(
        [outcome == 0, outcome == 1, outcome == 3, outcome == 4], [close, cin_plan, cin_long, after_plan], OPEN
    )
    reason = np.select(
        [outcome == 0, outcome == 4],
        [np.where(rng.random(m) < 0.55, _RC8, _RC9), np.where(rng.random(m) < 0.9, _RC7, _RC5)],
        _pick_from(rng, m, ([_RC7, _RC5, _RC3, _RC4, _RC2], [0.88, 0.08, 0.02, 0.015, 0.005])),
    )
    capped = (end >= bb) & (outcome != 2)
    end = np.where(capped, bb - 1, end)
    reason = np.where(capped, np.where(di | (rng.random(m) < 0.3), _RC6, _RC7), reason)
    need = np.where(di, 1, np.where(ua, np.where(rng.random(m) < 0.85, 7, 3), _pick(rng, m, NEED_P)))
    need = np.where(plan | ((outcome == 2) & ~ua), np.where(rng.random(m) < 0.85, 0, need), need)
    ep = ids[a]
    tabs.add(
        "assessments",
        ref=ep,
        child=ch,
        team=tm,
        start=start,
        auth=auth,
        seen=seen,
        ongoing=outcome != 0,
    )
    s = np.flatnonzero(s47)
    tabs.add(
        "s47",
        ref=ep[s],
        child=ch[s],
        team=tm[s],
        start=s47_start[s],
        icpc=icpc_day[s],
        plan=plan[s],
    )
    p = np.flatnonzero(plan)
    cat0 = _pick(rng, len(p), ABUSE_P)
    changes = rng.random(len(p)) < 0.08
    tabs.add(
        "cp",
        episode=ep[p],
        child=ch[p],
        team=tm[p],
        start=cp_start[p],
        end=cp_end[p],
        cat0=cat0,
        cat1=np.where(changes, (cat0 + rng.integers(1, 5, len(p))) % 5, cat0),
        epo=rng.random(len(p)) < 0.06,
        seen_alone=_pick(rng, len(p), np.array([0.85, 0.12, 0.03])),
    )
    tabs.add(
        "episodes",
        id=ep,
        child=ch,
        team=tm,
        start=dy,
        end=end,
        reason=reason,
        need=need,
        a_start=start,
        a_auth=auth,
        cic_start=cic_start,
    )
    people.a["busy"][ch] = np.where(outcome == 2, OPEN, np.maximum(people.busy[ch], end))


# --- periods of care -------------------------------------------------------------------------------------------------


def _cic_team(w: _World, child: np.ndarray) -> np.ndarray:
    """The team holding a child in care: the area CIC team mostly; disability and UASC services."""
    rng, org, people = w.rng, w.org, w.people
    n = len(child)
    home = people.home[child]
    team = org.cic_team_for(home)
    team = np.where(rng.random(n) < CIC_IN_CSWT, home, team)
    if org.dis_team >= 0:
        to_dis = people.dis[child] | ((people.disabled[child] == 0) & (rng.random(n) < 0.5))
        team = np.where(to_dis, org.dis_team, team)
    uasc_team = np.full(n, org.uasc_team) if org.uasc_team >= 0 else org.cic_team_for(home)
    return np.where(people.uasc[child], uasc_team, team)


def _cic_core(w: _World, child: np.ndarray, start: np.ndarray, team: np.ndarray, reentry: bool) -> dict:
    """One period of care per child from ``start``: how and when it ends, adoption milestones, legal status."""
    rng, people = w.rng, w.people
    n = len(child)
    dob, b18, uasc = people.dob[child], people.b18[child], people.uasc[child]
    dis = team == w.org.dis_team
    age = (start - dob) / 365.25
    ex = _pick_rows(rng, EXIT_P[np.digitize(age, EXIT_AGE_EDGES)])
    ex = np.where(uasc, np.where(rng.random(n) < 0.86, EX_18, EX_OTHER), ex)
    # adoption: decision, placement order, match, placed, order (or a decision reversed)
    adopt_kind = np.select([ex == EX_ADOPT, ex == EX_ADOPT_REV], [1, 2], 0)
    on4 = rng.random(n) < w.rate("adopt_4m", 0, start)
    dec = start + np.where(on4, rng.integers(25, 119, n), rng.integers(125, 331, n))
    po = dec + rng.integers(40, 211, n)
    a2_mean = w.rate("adopt_a2", 0, po)
    matched = po + np.clip(rng.gamma(6.0, a2_mean / 6.0), 15, 600).astype(np.int64)
    placed = matched + rng.integers(7, 36, n)
    ao = placed + rng.integers(110, 331, n)
    ffa = np.where((adopt_kind > 0) & (age < 1) & (rng.random(n) < 0.15), start + rng.integers(3, 41, n), NA)
    nl = dec + rng.integers(90, 421, n)
    nl_reason = _pick(rng, n, np.array([0.2, 0.3, 0.35, 0.15]))
    rev = adopt_kind == 2
    rev_po = rev & (rng.random(n) < 0.5) & (po < nl) & (nl_reason != 1)
    rev_after = np.where(rng.random(n) < 0.6, EX_SGO, EX_18)
    has_po = (adopt_kind == 1) | rev_po
    # how long
    dur = np.select(
        [ex == EX_SGO, ex == EX_CAO, ex == EX_HOME, ex == EX_OTHER],
        [
            np.clip(rng.lognormal(np.log(480), 0.45, n), 150, 1800),
            np.clip(rng.lognormal(np.log(365), 0.5, n), 90, 1500),
            np.clip(rng.lognormal(np.log(160), 1.0, n), 5, 2500),
            np.clip(rng.lognormal(np.log(240), 0.9, n), 3, 2500),
        ],
        OPEN,
    ).astype(np.int64)
    end = np.where(dur < OPEN, start + dur, OPEN)
    end = np.where(adopt_kind == 1, ao, end)
    end = np.where(rev, np.where(rev_after == EX_SGO, nl + rng.integers(60, 401, n), OPEN), end)
    ex = np.where(rev, rev_after, ex)
    end = np.where(ex == EX_18, b18, end)
    ex = np.where(end >= b18, EX_18, ex)
    end = np.maximum(np.minimum(end, b18), start + 1)
    # why
    r18 = np.where(uasc, _pick_from(rng, n, REASONS_AT_18_UASC), _pick_from(rng, n, REASONS_AT_18))
    r18 = np.where(dis & (rng.random(n) < 0.3), _E7, r18)
    r_other = np.where(uasc, _pick_from(rng, n, REASONS_OTHER_UASC), _pick_from(rng, n, REASONS_OTHER))
    end_age = (end - dob) / 365.25
    r_other = np.where(np.isin(r_other, [_E9, _E14]) & (end_age < 12), _E13, r_other)
    reason = np.select(
        [ex == EX_ADOPT, ex == EX_SGO, ex == EX_CAO, ex == EX_HOME, ex == EX_OTHER],
        [
            np.where(rng.random(n) < 0.75, _E11, _E12),
            _pick_from(rng, n, REASONS_SGO),
            np.full(n, _E41),
            np.where(rng.random(n) < 0.85, _E4A, _E4B),
            r_other,
        ],
        r18,
    )
    # legal status: up to three stages
    ls_code = np.full((n, 3), -1)
    ls_day = np.full((n, 3), NA)
    s0 = np.where(
        age < 16,
        _pick_from(rng, n, ([_C1, _V2, _L1, _L2], [0.63, 0.25, 0.05, 0.07])),
        _pick_from(rng, n, ([_V2, _C1, _L1, _J1], [0.72, 0.18, 0.05, 0.05])),
    )
    s0 = np.where(dis, np.where(rng.random(n) < 0.8, _V2, _C1), s0)
    s0 = np.where(uasc, _V2, s0)
    s0 = np.where((ex == EX_OTHER) & (reason == _E14), _J1, np.where(s0 == _J1, _V2, s0))
    s0 = np.where(has_po & (s0 == _V2), _C1, s0)
    ls_code[:, 0], ls_day[:, 0] = s0, start
    to_c1 = np.isin(s0, [_L1, _L2]) | ((s0 == _V2) & ~uasc & (age < 16) & (rng.random(n) < 0.2))
    t1 = np.where(np.isin(s0, [_L1, _L2]), start + rng.integers(2, 11, n), start + rng.integers(30, 301, n))
    t_c2 = start + rng.integers(150, 331, n)
    ls_code[:, 1] = np.where(to_c1, _C1, np.where(s0 == _C1, _C2, -1))
    ls_day[:, 1] = np.where(to_c1, t1, np.where(s0 == _C1, t_c2, NA))
    ls_code[:, 2] = np.where(to_c1, _C2, -1)
    ls_day[:, 2] = np.where(to_c1, np.maximum(t_c2, t1 + 100), NA)
    po_day = np.where(has_po, po, NA)
    drop = has_po[:, None] & (ls_day >= po_day[:, None])
    ls_code[drop], ls_day[drop] = -1, NA
    slot = np.argmax(ls_code < 0, axis=1)
    rows = np.flatnonzero(has_po)
    ls_code[rows, slot[rows]], ls_day[rows, slot[rows]] = _E1, po[rows]
    gone = ls_day >= end[:, None]
    ls_code[gone], ls_day[gone] = -1, NA
    # permanence plan: up to three stages
    base_plan = np.select(
        [np.isin(ex, [EX_SGO, EX_CAO]), ex == EX_HOME, ex == EX_OTHER, uasc],
        [2, 0, 6, 3],
        np.where((age >= 14) & (rng.random(n) < 0.25), 4, 5),
    )
    pp_code = np.full((n, 3), -1)
    pp_day = np.full((n, 3), NA)
    pp_code[:, 0], pp_day[:, 0] = np.where(adopt_kind > 0, 0, base_plan), start
    pp_code[:, 1], pp_day[:, 1] = np.where(adopt_kind > 0, 1, -1), np.where(adopt_kind > 0, dec, NA)
    pp_code[:, 2] = np.where(rev, np.where(ex == EX_SGO, 2, 5), -1)
    pp_day[:, 2] = np.where(rev, nl, NA)
    gone = pp_day >= end[:, None]
    pp_code[gone], pp_day[gone] = -1, NA
    need = np.where(uasc, np.where(rng.random(n) < 0.85, 7, 3), _pick(rng, n, CIC_NEED_P))
    need = np.where(dis, 1, need)
    re_gap = np.where(
        reentry & (ex == EX_HOME) & (rng.random(n) < REENTRY_SHARE) & (end_age < 16),
        rng.integers(30, 541, n),
        -1,
    )
    return {
        "child": child,
        "start": start,
        "end": end,
        "ex": ex,
        "reason": reason,
        "team": team,
        "uasc": uasc,
        "adopt_kind": adopt_kind,
        "dec": np.where(adopt_kind > 0, dec, NA),
        "po": po_day,
        "matched": np.where(adopt_kind == 1, matched, NA),
        "placed": np.where(adopt_kind == 1, placed, NA),
        "ao": np.where(adopt_kind == 1, ao, NA),
        "nl": np.where(rev, nl, NA),
        "nl_reason": np.where(rev, nl_reason, -1),
        "ffa": ffa,
        "ls_code": ls_code,
        "ls_day": ls_day,
        "pp_code": pp_code,
        "pp_day": pp_day,
        "need": need,
        "re_gap": re_gap,
        "subsequent": np.zeros(n, bool),
    }


def _cat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _cic_periods(w: _World, child: np.ndarray, start: np.ndarray, team: np.ndarray) -> tuple[dict, np.ndarray]:
    """Periods of care for entrants (first periods in entrant order, then returns into care).

    Returns the periods and, per entrant, the row of its second period (-1 if none).
    """
    first = _cic_core(w, child, start, team, reentry=True)
    re = np.flatnonzero(first["re_gap"] >= 0)
    s2 = first["end"][re] + first["re_gap"][re]
    ok = s2 < w.people.b18[child[re]] - 60
    re, s2 = re[ok], s2[ok]
    second = _cic_core(w, child[re], s2, team[re], reentry=False)
    second["subsequent"] = first["re_gap"][re] < 365
    second_row = np.full(len(child), -1)
    second_row[re] = len(child) + np.arange(len(re))
    return _cat([first, second]), second_row


def _close_after_care(w: _World, per: dict, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """End day and CIN closure reason of the episode whose last period of care is ``rows``."""
    rng = w.rng
    n = len(rows)
    ex, end, reason = per["ex"][rows], per["end"][rows], per["reason"][rows]
    post = np.select([ex == EX_HOME, ex == EX_OTHER], [rng.integers(60, 201, n), rng.integers(0, 31, n)], 0)
    b18 = w.people.b18[per["child"][rows]]
    ep_end = np.minimum(end + post, b18)
    ep_reason = np.select(
        [ex == EX_ADOPT, ex == EX_SGO, ex == EX_CAO, reason == _E3, reason == _E2, ex == EX_18],
        [_RC1, _RC4, _RC3, _RC5, _RC2, np.where(rng.random(n) < 0.4, _RC6, _RC7)],
        _RC7,
    )
    return ep_end, ep_reason


def _legacy_children(w: _World, start: np.ndarray, age: np.ndarray, kind: str) -> np.ndarray:
    """Children first known before the burn-in (already in care, or long-term disabled children)."""
    rng, org = w.rng, w.org
    n = len(start)
    dob = _no_leap_birthday(start - np.floor(age * 365.25).astype(np.int64) - 1)
    home = org.cswt[_pick(rng, n, org.cswt_weight)]
    uasc = kind == "uasc"
    rteam = np.full(n, org.uasc_team) if uasc and org.uasc_team >= 0 else home
    if kind == "dis" and org.dis_team >= 0:
        rteam = np.full(n, org.dis_team)
    disabled = np.where(rng.random(n) < (1.0 if kind == "dis" else 0.07), 0, 1)
    return w.people.add(
        dob=dob,
        b18=_add_months(dob, 216),
        sex=_pick(rng, n, SEX_UASC_P if uasc else SEX_P),
        eth=_pick(rng, n, ETH_UASC_P if uasc else ETH_P),
        disabled=disabled,
        uasc=np.full(n, uasc),
        dis=np.full(n, kind == "dis"),
        home=home,
        rteam=rteam,
        pre_cpp=np.zeros(n, np.int64),
        pre_cp_end=np.full(n, NA),
        last_ref=np.full(n, NA),
        busy=np.full(n, OPEN),
    )


def _monthly_days(w: _World, first_mi: int, counts: np.ndarray) -> np.ndarray:
    """Random days: counts[i] of them in month first_mi + i."""
    firsts = _first_day(np.arange(first_mi, first_mi + len(counts)))
    lengths = _first_day(np.arange(first_mi + 1, first_mi + len(counts) + 1)) - firsts
    base = np.repeat(firsts, counts)
    return base + np.floor(w.rng.random(len(base)) * np.repeat(lengths, counts)).astype(np.int64)


def _care(w: _World, fd: dict) -> tuple[dict, dict]:
    """All periods of care (burn-in and window entrants, plus children in care since long before) and episodes."""
    rng, people, org = w.rng, w.people, w.org
    ep = fd["episodes"]
    n_ep = len(ep["id"])
    e_cic = np.flatnonzero(ep["cic_start"] > NA)
    child = ep["child"][e_cic]
    per, second = _cic_periods(w, child, ep["cic_start"][e_cic], _cic_team(w, child))
    last = np.where(second >= 0, second, np.arange(len(e_cic)))
    ep_end, ep_reason = _close_after_care(w, per, last)
    ep["end"][e_cic], ep["reason"][e_cic] = ep_end, ep_reason
    ep["team"][e_cic] = per["team"][: len(e_cic)]
    ep["cic1"] = np.full(n_ep, -1)
    ep["cic2"] = np.full(n_ep, -1)
    ep["cic1"][e_cic], ep["cic2"][e_cic] = np.arange(len(e_cic)), second

    # children in care since before the burn-in: entrants over 18 years
    first_mi = w.sim_mi - 12 * 18
    n_months = w.sim_mi - first_mi
    counts = rng.poisson(LEGACY_CIC_PER_MONTH * w.scale, n_months)
    years_before = (w.sim_mi - np.arange(first_mi, w.sim_mi)) / 12
    counts_u = rng.poisson(np.clip(16 - 1.2 * years_before, 0, None) * w.scale)
    day = _monthly_days(w, first_mi, counts)
    band = _pick(rng, len(day), CIC_AGE_P)
    age = AGE_BANDS[band] + rng.random(len(day)) * (AGE_BANDS[band + 1] - AGE_BANDS[band])
    day_u = _monthly_days(w, first_mi, counts_u)
    age_u = rng.choice([14, 15, 16, 17], len(day_u), p=[0.05, 0.20, 0.45, 0.30]) + rng.random(len(day_u)) * 0.95
    kids = np.concatenate([_legacy_children(w, day, age, "ref"), _legacy_children(w, day_u, age_u, "uasc")])
    start = np.concatenate([day, day_u])
    lper, lsecond = _cic_periods(w, kids, start, _cic_team(w, kids))
    # keep entrants whose care reaches the lookback, or who are care leavers during the window
    n_l = len(kids)
    llast = np.where(lsecond >= 0, lsecond, np.arange(n_l))
    leaver = _is_care_leaver(w, lper)
    b25 = _add_months(people.dob[lper["child"]], 300)
    keep_row = (lper["end"] >= w.cut) | (leaver & (b25 >= w.w0))
    entrant_of_row = np.concatenate([np.arange(n_l), np.flatnonzero(lsecond >= 0)])
    keep_entrant = keep_row[:n_l] | np.where(lsecond >= 0, keep_row[np.maximum(lsecond, 0)], False)
    rows_keep = np.flatnonzero(keep_entrant[entrant_of_row])
    offset = len(per["child"])
    remap = np.full(len(lper["child"]), -1)
    remap[rows_keep] = offset + np.arange(len(rows_keep))
    per = _cat([per, {k: v[rows_keep] for k, v in lper.items()}])
    # legacy CIN episodes for entrants whose episode reaches the window
    l_end, l_reason = _close_after_care(w, lper, llast)
    ent = np.flatnonzero(keep_entrant & (l_end >= w.w0) & (remap[np.arange(n_l)] >= 0))
    m = len(ent)
    lchild = kids[ent]
    lstart = np.maximum(start[ent] - rng.integers(0, 201, m), people.dob[lchild] + 1)
    legacy_ep = {
        "id": np.full(m, -1),
        "child": lchild,
        "team": lper["team"][ent],
        "start": lstart,
        "end": l_end[ent],
        "reason": l_reason[ent],
        "need": lper["need"][ent],
        "a_start": np.full(m, NA),
        "a_auth": np.full(m, NA),
        "cic_start": start[ent],
        "cic1": remap[ent],
        "cic2": np.where(lsecond[ent] >= 0, remap[np.maximum(lsecond[ent], 0)], -1),
    }
    # long-term disabled children known before the burn-in
    dis_first = w.sim_mi - 12 * 12
    dcount = rng.poisson(LEGACY_DISABILITY_PER_MONTH * w.scale, w.sim_mi - dis_first)
    dday = _monthly_days(w, dis_first, dcount)
    dkids = _legacy_children(w, dday, rng.uniform(0.5, 16.5, len(dday)), "dis")
    dend = dday + np.clip(rng.lognormal(np.log(950), 0.7, len(dday)), 180, 5000).astype(np.int64)
    db18 = people.b18[dkids]
    dreason = np.where(dend >= db18, _RC6, np.where(rng.random(len(dday)) < 0.9, _RC7, _RC5))
    dend = np.minimum(dend, db18 - 1)
    dk = np.flatnonzero(dend >= w.w0)
    md = len(dk)
    dis_team = org.dis_team if org.dis_team >= 0 else -1
    dis_ep = {
        "id": np.full(md, -1),
        "child": dkids[dk],
        "team": np.where(dis_team >= 0, dis_team, people.home[dkids[dk]]),
        "start": dday[dk],
        "end": dend[dk],
        "reason": dreason[dk],
        "need": np.full(md, 1),
        "a_start": np.full(md, NA),
        "a_auth": np.full(md, NA),
        "cic_start": np.full(md, NA),
        "cic1": np.full(md, -1),
        "cic2": np.full(md, -1),
    }
    episodes = _cat([ep, legacy_ep, dis_ep])
    return per, episodes


def _is_care_leaver(w: _World, per: dict) -> np.ndarray:
    """Periods after which the young person is a care leaver: left at 17 or 18, 13 weeks in care since 14."""
    dob = w.people.dob[per["child"]]
    b14 = _add_months(dob, 168)
    end_age = (per["end"] - dob) / 365.25
    weeks = per["end"] - np.maximum(per["start"], b14)
    reason_ok = np.isin(per["reason"], CARE_LEAVER_REASONS)
    return (per["end"] < OPEN) & (end_age >= 17.0) & (weeks >= 91) & reason_ok


# --- recurring events: visits, reviews, placements, health, missing ------------------------------------------------


def _renewal(
    first: np.ndarray, stop: np.ndarray, gap: Callable[[np.ndarray, np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """Event days per record, ascending: ``first``, then after each gap, while on or before ``stop``.

    Returns an (n, K) array padded with OPEN. ``gap(rows, day, k)`` gives the next gaps for the active rows.
    """
    n = len(first)
    cur = np.asarray(first, dtype=np.int64).copy()
    active = cur <= stop
    cols: list[np.ndarray] = []
    k = 0
    while active.any() and k < 5000:
        cols.append(np.where(active, cur, OPEN))
        rows = np.flatnonzero(active)
        cur[rows] = cur[rows] + np.maximum(gap(rows, cur[rows], k), 1)
        active[rows] = cur[rows] <= stop[rows]
        k += 1
    return np.stack(cols, axis=1) if cols else np.full((n, 1), OPEN)


def _last_on_or_before(events: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Latest event on or before each row's day (NA if none)."""
    day = np.broadcast_to(np.asarray(day), (len(events),))
    count = (events <= day[:, None]).sum(axis=1)
    value = events[np.arange(len(events)), np.maximum(count - 1, 0)]
    return np.where(count > 0, value, NA)


def _index_on_or_before(events: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Column of the latest event on or before each row's day (-1 if none)."""
    day = np.broadcast_to(np.asarray(day), (len(events),))
    return (events <= day[:, None]).sum(axis=1) - 1


def _count_between(events: np.ndarray, after: np.ndarray, upto: np.ndarray) -> np.ndarray:
    """Events with after < day <= upto, per row."""
    after = np.broadcast_to(np.asarray(after), (len(events),))
    upto = np.broadcast_to(np.asarray(upto), (len(events),))
    return (events <= upto[:, None]).sum(axis=1) - (events <= after[:, None]).sum(axis=1)


def _phase_start(w: _World, start: np.ndarray, typical_gap: int, lag: tuple[int, int]) -> np.ndarray:
    """First simulated event: soon after the start, or mid-cycle at the lookback for records open long before."""
    n = len(start)
    soon = start + w.rng.integers(lag[0], lag[1] + 1, n)
    mid = w.cut - w.rng.integers(0, typical_gap + 1, n)
    return np.where(start >= w.cut, soon, np.maximum(mid, start))


def _visits(
    w: _World, start: np.ndarray, stop: np.ndarray, team: np.ndarray, late: str, on: tuple, off: tuple
) -> np.ndarray:
    """Visits: gaps uniform in ``on`` days, or in ``off`` days with the team's late probability at the time."""
    rng = w.rng
    first = np.minimum(_phase_start(w, start, on[1], (0, 7)), np.maximum(stop, start))

    def gap(rows: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        m = len(rows)
        is_late = rng.random(m) < w.rate(late, team[rows], day)
        return np.where(is_late, rng.integers(off[0], off[1] + 1, m), rng.integers(on[0], on[1] + 1, m))

    return _renewal(first, stop, gap)


def _reviews(
    w: _World, start: np.ndarray, stop: np.ndarray, team: np.ndarray, late: str, first_due: np.ndarray, cic: bool
) -> np.ndarray:
    """Review dates: each held a few days before it is due, or late with the team's probability.

    Child protection: first due 3 months after the start, then 6 months after each review. Children in care:
    20 working days after entering care, 3 months after the first review, then every 6 months.
    """
    rng = w.rng
    n = len(start)
    long_ago = start < w.cut
    prev = np.where(long_ago, w.cut - rng.integers(0, 180, n), NA)
    due = np.where(long_ago, _add_months(np.maximum(prev, 0), 6), first_due)
    count = np.where(long_ago, 2, 0)
    cols = [np.where(long_ago & (prev <= stop), prev, OPEN)]
    active = due - 60 <= stop
    while active.any():
        rows = np.flatnonzero(active)
        m = len(rows)
        is_late = rng.random(m) < w.rate(late, team[rows], due[rows])
        held = np.where(is_late, due[rows] + rng.integers(1, 46, m), due[rows] - rng.integers(2, 15, m))
        held = np.maximum(held, np.maximum(prev[rows], start[rows]) + 1)
        col = np.full(n, OPEN)
        ok = held <= stop[rows]
        col[rows[ok]] = held[ok]
        cols.append(col)
        prev[rows] = held
        step = np.where((count[rows] == 0) & cic, 3, 6)
        due[rows] = _add_months(held, step)
        count[rows] += 1
        active[rows] = ok & (due[rows] - 60 <= stop[rows])
    events = np.stack(cols, axis=1)
    return np.sort(events, axis=1)


def _placements(w: _World, per: dict, stop: np.ndarray) -> dict:
    """Placement moves per period of care and what each placement is."""
    rng, people, org = w.rng, w.people, w.org
    n = len(per["start"])
    start = per["start"]
    stab = _pick(rng, n, np.array([0.72, 0.18, 0.10]))
    mean_gap = np.array([9000.0, 400.0, 110.0])[stab]
    early = rng.random(n) < 0.27

    def gap(rows: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        g = 7 + rng.exponential(mean_gap[rows]).astype(np.int64)
        return np.where((k == 0) & early[rows], rng.integers(7, 61, len(rows)), g)

    adopt = per["adopt_kind"] == 1
    stop_moves = np.where(adopt, np.minimum(stop, per["placed"] - 1), stop)
    moves = _renewal(start, stop_moves, gap)
    placed_col = np.where(adopt & (per["placed"] <= stop), per["placed"], OPEN)
    moves = np.sort(np.concatenate([moves, placed_col[:, None]], axis=1), axis=1)
    moves = moves[:, : max(int((moves < OPEN).sum(axis=1).max()), 1)]
    valid = moves < OPEN
    r, c = np.nonzero(valid)
    day = moves[r, c]
    child = per["child"][r]
    age = (day - people.dob[child]) / 365.25
    uasc = per["uasc"][r]
    ptype = np.full(len(r), _U6)
    for mask, table in (
        (~uasc & (age < 16), _PT_YOUNG),
        (~uasc & (age >= 16), _PT_OLD),
        (uasc & (age < 16), _PT_UASC_YOUNG),
        (uasc & (age >= 16), _PT_UASC_OLD),
    ):
        idx = np.flatnonzero(mask)
        keys = np.array(list(table))
        ptype[idx] = keys[_pick(rng, len(idx), np.array(list(table.values())))]
    ptype = np.where((ptype == _R3) & (age >= 1), _U6, ptype)
    is_adopt = adopt[r] & (day == per["placed"][r])
    ptype = np.where(is_adopt, np.where(rng.random(len(r)) < 0.3, _A5, _A6), ptype)
    m = len(r)
    u = rng.random(m)
    inhouse = u < np.where(uasc, 0.35, w.rate("inhouse", per["team"][r], day))
    provider = np.select(
        [
            np.isin(ptype, [_U1, _U2, _U3, _T0]),
            np.isin(ptype, [_U4, _U5, _U6]),
            ptype == _P1,
            np.isin(ptype, [_A5, _A6]),
            np.isin(ptype, [_K1]),
            np.isin(ptype, [_S1]),
        ],
        [
            np.full(m, _PR1),
            np.where(inhouse, _PR1, np.where(rng.random(m) < 0.9, _PR4, _PR5)),
            np.full(m, _PR0),
            _pick_from(rng, m, ([_PR1, _PR2, _PR5], [0.6, 0.2, 0.2])),
            _pick_from(rng, m, ([_PR3, _PR2], [0.5, 0.5])),
            _pick_from(rng, m, ([_PR4, _PR3, _PR5], [0.6, 0.2, 0.2])),
        ],
        _pick_from(rng, m, ([_PR1, _PR4, _PR5], [0.18, 0.74, 0.08])),
    )
    p_in = np.array([0.95, 0.92, 0.10, 0.5, 0.55, 0.6])[provider]
    inside = rng.random(m) < p_in
    within20 = rng.random(m) < np.where(inside, 0.95, 0.30)
    la = np.where(inside, -1, _pick(rng, m, np.array([0.16] * 6 + [0.02, 0.02])))
    la = np.where(~inside & (rng.random(m) < 0.015), len(OTHER_LAS), la)  # Wales
    la = np.where(is_adopt & (rng.random(m) < 0.1), len(OTHER_LAS) + 1, la)  # confidential
    urn = np.where(np.isin(ptype, [_K1, _K2, _H5, _R1, _S1]), 900000 + rng.integers(0, 99999, m), -1)
    district = np.where(inside, org.team_area[per["team"][r]].clip(0) + 1, rng.integers(10, 99, m))
    shape = moves.shape

    def grid(values: np.ndarray, fill: int = -1) -> np.ndarray:
        out = np.full(shape, fill, dtype=np.int64)
        out[r, c] = values
        return out

    return {
        "moves": moves,
        "type": grid(ptype),
        "provider": grid(provider),
        "inside": grid(inside.astype(np.int64)),
        "within20": grid(within20.astype(np.int64)),
        "la": grid(la),
        "urn": grid(urn),
        "pc_district": grid(district),
        "pc_sector": grid(rng.integers(0, 10, m)),
        "pc_unit": grid(rng.integers(0, 26 * 26, m)),
    }


def _poisson_events(w: _World, start: np.ndarray, stop: np.ndarray, per_year: np.ndarray) -> np.ndarray:
    """Random events at per_year a year (none where the rate is 0), from the lookback."""
    rng = w.rng
    rate = np.where(per_year > 0, per_year, 1.0)
    first = np.maximum(start, w.cut) + rng.exponential(365.0 / rate).astype(np.int64)
    first = np.where(per_year > 0, first, OPEN)

    def gap(rows: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        return 1 + rng.exponential(365.0 / rate[rows]).astype(np.int64)

    return _renewal(first, stop, gap)


def _health(w: _World, per: dict, stop: np.ndarray, dental: bool) -> np.ndarray:
    """Health assessments (yearly, 6-monthly under 5) or dental checks while in care."""
    rng, people = w.rng, w.people
    n = len(per["start"])
    start, team = per["start"], per["team"]
    dob = people.dob[per["child"]]
    refuses = rng.random(n) < (0.05 if dental else 0.035)
    if dental:
        first = np.where(start >= w.cut, start + rng.integers(20, 201, n), w.cut - rng.integers(0, 300, n))
    else:
        first = np.where(start >= w.cut, start + rng.integers(8, 46, n), w.cut - rng.integers(0, 330, n))
        first = np.where(rng.random(n) < 0.1, first + rng.integers(20, 90, n), first)
    first = np.maximum(first, start)
    late_name = "dental_late" if dental else "health_late"

    def gap(rows: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        m = len(rows)
        is_late = rng.random(m) < w.rate(late_name, team[rows], day)
        if dental:
            on, off = rng.integers(150, 361, m), rng.integers(380, 600, m)
        else:
            interval = np.where(day - dob[rows] < 5 * 365, 182, 365)
            on, off = interval - rng.integers(0, 46, m), interval + rng.integers(5, 121, m)
        g = np.where(is_late, off, on)
        return np.where(refuses[rows], 20 * 365, g)

    return _renewal(first, stop, gap)


def _care_leavers(w: _World, per: dict) -> dict:
    """Young people who left care at 17 or 18, with their contact, pathway plan, accommodation and activity."""
    rng, people = w.rng, w.people
    rows = np.flatnonzero(_is_care_leaver(w, per))
    child = per["child"][rows]
    dob = people.dob[child]
    leave = per["end"][rows]
    n = len(rows)
    extended = rng.random(n) < 0.55
    b21 = _add_months(dob, 252)
    until = np.where(extended, _add_months(dob, 252 + rng.integers(1, 49, n)), b21)
    keep = (until > w.w0) & (leave <= w.we)
    rows, child, dob, leave, until, n = rows[keep], child[keep], dob[keep], leave[keep], until[keep], int(keep.sum())
    stop = np.minimum(until, w.we)
    engaged = rng.random(n) < 0.91
    first = np.where(leave >= w.cut, leave + rng.integers(0, 15, n), w.cut - rng.integers(0, 40, n))

    def contact_gap(r: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        m = len(r)
        long = rng.random(m) < 0.05
        g_on = np.where(long, rng.integers(100, 250, m), rng.integers(7, 61, m))
        return np.where(engaged[r], g_on, rng.integers(60, 300, m))

    contacts = _renewal(first, stop, contact_gap)
    plan_first = np.where(leave >= w.cut, leave - rng.integers(0, 150, n), w.cut - rng.integers(0, 170, n))

    def plan_gap(r: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        m = len(r)
        is_late = rng.random(m) < w.rate("cl_plan_late", 0, day)
        return np.where(is_late, rng.integers(190, 300, m), rng.integers(100, 179, m))

    plans = _renewal(plan_first, stop, plan_gap)
    seg_first = np.where(leave >= w.cut, leave, w.cut - rng.integers(0, 200, n))
    accom = _renewal(seg_first, stop, lambda r, d, k: rng.integers(120, 501, len(r)))
    activity = _renewal(seg_first, stop, lambda r, d, k: rng.integers(90, 401, len(r)))
    suitable = rng.random(accom.shape) < w.rate("cl_suitable", 0, np.clip(accom, 0, w.we))
    acc_s = _pick(rng, accom.size, ACC_SUITABLE_P).reshape(accom.shape)
    acc_u = _pick(rng, accom.size, ACC_UNSUITABLE_P).reshape(accom.shape)
    uasc = per["uasc"][rows]
    p_eet = w.rate("cl_eet", 0, np.clip(activity, 0, w.we)) + np.where(uasc, 0.08, 0.0)[:, None]
    eet = rng.random(activity.shape) < p_eet
    act = np.where(
        eet,
        _pick(rng, activity.size, EET_P).reshape(activity.shape),
        _pick(rng, activity.size, NEET_P).reshape(activity.shape),
    )
    return {
        "child": child,
        "period": rows,
        "leave": leave,
        "until": until,
        "uasc": uasc,
        "not_in_touch": _pick(rng, n, np.array([0.55, 0.25, 0.08, 0.12])),  # No, Refu, Rhom, NREQ
        "contacts": contacts,
        "plans": plans,
        "accom": accom,
        "suitable": suitable,
        "acc_type": np.where(suitable, acc_s, acc_u),
        "activity": activity,
        "act": act,
    }


# --- contacts, early help, adoption and adopters ---------------------------------------------------------------


def _contacts(w: _World, refs: dict) -> dict:
    """A contact before each referral, and contacts that go no further, for the window months."""
    rng, people, org = w.rng, w.people, w.org
    n = len(refs["day"])
    lag = np.array([0] * 13 + [1, 1, 1, 2, 3, 5, 7])[rng.integers(0, 20, n)]
    c_day = np.maximum(refs["day"] - lag, people.dob[refs["child"]] + 1)
    src = np.where(rng.random(n) < 0.85, refs["source"], _pick(rng, n, CONTACT_SOURCE_P))
    sel = (c_day >= w.w0) & (c_day <= w.we)
    parts = [{"child": refs["child"][sel], "day": c_day[sel], "source": src[sel]}]
    ref_month = _month_of(c_day[sel])
    mid = (w.first_mi + w.end_mi) / 2
    for mi in w.window_mis:
        d0, d1 = int(_first_day(mi)), int(_first_day(mi + 1)) - 1
        days = np.arange(d0, d1 + 1)
        weights = _day_weights(w, days)
        total = rng.poisson(CONTACTS_PER_MONTH * w.scale * SEASON[mi % 12] * (1 + 0.02 * (mi - mid) / 12))
        n_other = max(total - int((ref_month == mi).sum()), 0)
        n_known = rng.binomial(n_other, 0.42)
        pool = np.flatnonzero((people.last_ref >= d0 - 730) & (people.last_ref < d0) & (people.b18 > d1) & ~people.uasc)
        known = rng.choice(pool, min(n_known, len(pool)), replace=True) if len(pool) else np.zeros(0, np.int64)
        n_new = n_other - len(known)
        new_day = rng.choice(days, n_new, p=weights)
        new = _new_children(w, new_day, org.cswt[_pick(rng, n_new, org.cswt_weight)], "contact")
        known_day = np.maximum(rng.choice(days, len(known), p=weights), people.dob[known] + 1)
        child = np.concatenate([known, new])
        day = np.concatenate([known_day, new_day])
        parts.append({"child": child, "day": day, "source": _pick(rng, len(child), CONTACT_SOURCE_P)})
        parts[-1]["new"] = np.concatenate([np.zeros(len(known), bool), np.ones(n_new, bool)])
    parts[0]["new"] = np.zeros(int(sel.sum()), bool)
    c = _cat(parts)
    key = (c["child"] * (1 << 24) + (c["day"] - w.cut)) * 32 + c["source"]
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    return {k: v[keep] for k, v in c.items()}


def _early_help(w: _World, eps: dict, contacts: dict) -> dict:
    """Early help assessments: after a case closed to early help, after some contacts, and stand-alone."""
    rng, org = w.rng, w.org
    rc9 = np.flatnonzero((eps["reason"] == _RC9) & (eps["end"] >= w.w0 - 120) & (eps["end"] <= w.we))
    rc9 = rc9[rng.random(len(rc9)) < 0.8]
    new_contact = np.flatnonzero(contacts["new"])
    new_contact = new_contact[rng.random(len(new_contact)) < 0.12]
    counts = rng.poisson(EARLY_HELP_PER_MONTH * w.scale, len(w.window_mis))
    day = _monthly_days(w, w.first_mi, counts)
    stand = _new_children(w, day, org.cswt[_pick(rng, len(day), org.cswt_weight)], "contact")
    child = np.concatenate([eps["child"][rc9], contacts["child"][new_contact], stand])
    start = np.concatenate(
        [
            eps["end"][rc9] + rng.integers(3, 26, len(rc9)),
            contacts["day"][new_contact] + rng.integers(5, 31, len(new_contact)),
            day + rng.integers(0, 3, len(day)),
        ]
    )
    n = len(child)
    done = np.where(rng.random(n) < 0.88, start + rng.integers(20, 121, n), NA)
    keep = (start <= w.we) & ((start >= w.w0) | (done >= w.w0) | ((done == NA) & (start >= w.w0 - 365)))
    return {
        "child": child[keep],
        "start": start[keep],
        "done": done[keep],
        "org": _pick(rng, int(keep.sum()), np.array([0.55, 0.2, 0.15, 0.1])),
    }


def _adopters(w: _World, adoption: dict) -> dict:
    """Adopter families: those matched with the children on list 10, and others at every stage."""
    rng = w.rng
    matched = np.flatnonzero(adoption["matched"] <= w.we)
    fam_of_child = np.full(len(adoption["child"]), -1)
    fam_of_child[matched] = np.arange(len(matched))
    f = len(matched)
    m_day = adoption["matched"][matched]
    approval = m_day - rng.integers(30, 400, f)
    # others: enquiries from 18 months before the window
    first_mi = w.first_mi - 18
    counts = rng.poisson(ADOPTER_ENQUIRIES_PER_MONTH * w.scale, w.end_mi - first_mi + 1)
    enq_o = _monthly_days(w, first_mi, counts)
    g = len(enq_o)
    stage1 = rng.random(g) < 0.4
    stage2 = stage1 & (rng.random(g) < 0.8)
    approved = stage2 & (rng.random(g) < 0.9)
    s1s_o = enq_o + rng.integers(7, 91, g)
    s1e_o = s1s_o + rng.integers(45, 76, g)
    s2s_o = s1e_o + rng.integers(0, 31, g)
    s2e_o = s2s_o + rng.integers(90, 151, g)
    appr_o = s2e_o + rng.integers(0, 31, g)
    left_stage = np.where(~stage1, 0, np.where(~stage2, 1, np.where(~approved, 2, 3)))
    leaves = (left_stage < 3) & (rng.random(g) < 0.85) | ((left_stage == 3) & (rng.random(g) < 0.1))
    leave_day = np.select(
        [left_stage == 0, left_stage == 1, left_stage == 2],
        [enq_o + rng.integers(10, 90, g), s1e_o, s2e_o],
        appr_o + 200,
    )
    # matched families, dates counted back from the approval
    s2e = approval - rng.integers(0, 31, f)
    s2s = s2e - rng.integers(90, 151, f)
    s1e = s2s - rng.integers(0, 31, f)
    s1s = s1e - rng.integers(45, 76, f)
    enq = s1s - rng.integers(7, 91, f)
    fam = {
        "enquiry": np.concatenate([enq, enq_o]),
        "s1s": np.concatenate([s1s, np.where(stage1, s1s_o, NA)]),
        "s1e": np.concatenate([s1e, np.where(stage2 | (stage1 & ~leaves), s1e_o, NA)]),
        "s2s": np.concatenate([s2s, np.where(stage2, s2s_o, NA)]),
        "s2e": np.concatenate([s2e, np.where(approved | (stage2 & ~leaves), s2e_o, NA)]),
        "approval": np.concatenate([approval, np.where(approved, appr_o, NA)]),
        "matched": np.concatenate([m_day, np.full(g, NA)]),
        "placed": np.concatenate([adoption["placed"][matched], np.full(g, NA)]),
        "ao": np.concatenate([adoption["ao"][matched], np.full(g, NA)]),
        "left": np.concatenate([np.full(f, NA), np.where(leaves, leave_day, NA)]),
        "left_reason": np.concatenate(
            [np.full(f, -1), np.where(leaves, _pick(rng, g, np.array([0.6, 0.25, 0.15])), -1)]
        ),
        "ffa": np.concatenate([rng.random(f) < 0.12, rng.random(g) < 0.08]),
    }
    dates = np.stack(
        [fam[k] for k in ("enquiry", "s1s", "s1e", "s2s", "s2e", "approval", "matched", "placed", "ao", "left")]
    )
    in_window = ((dates >= w.w0) & (dates <= w.we)).any(axis=0)
    still_open = (fam["enquiry"] <= w.we) & (fam["left"] == NA) & (fam["ao"] == NA)
    keep = in_window | (still_open & (fam["enquiry"] >= w.w0 - 730))
    keep &= fam["enquiry"] <= w.we
    family_index = np.flatnonzero(keep)
    couple = rng.random(len(family_index)) < 0.78
    size = np.where(couple, 2, 1)
    fam_rows = np.repeat(family_index, size)
    n = len(fam_rows)
    sex = np.where(rng.random(n) < 0.55, 1, 0)
    out = {k: v[fam_rows] for k, v in fam.items()}
    out["family"] = fam_rows
    out["sex"] = sex
    out["eth"] = _pick(rng, n, ETH_P)
    out["disabled"] = (rng.random(n) < 0.04).astype(np.int64)
    adoption["family"] = fam_of_child
    return out


# --- assembling the simulated county -------------------------------------------------------------------------------


def _count_prior(child_q: np.ndarray, day_q: np.ndarray, child_e: np.ndarray, day_e: np.ndarray) -> np.ndarray:
    """Per query, the child's events on or after the same date a year earlier and before the query day."""
    if len(child_e) == 0:
        return np.zeros(len(child_q), np.int64)
    year_ago = _add_months(day_q, -12)
    base = min(int(day_e.min()), int(year_ago.min())) - 1
    scale = np.int64(1 << 24)
    keys = np.sort(child_e.astype(np.int64) * scale + (day_e - base))
    hi = np.searchsorted(keys, child_q.astype(np.int64) * scale + (day_q - base), side="left")
    lo = np.searchsorted(keys, child_q.astype(np.int64) * scale + (year_ago - base), side="left")
    return hi - lo


def _subset(table: dict, mask: np.ndarray) -> tuple[dict, np.ndarray]:
    """Rows of a table where mask holds, and the new row number of every old row (-1 if dropped)."""
    rows = np.flatnonzero(mask)
    remap = np.full(len(mask), -1)
    remap[rows] = np.arange(len(rows))
    return {k: v[rows] for k, v in table.items()}, remap


def _relink(link: np.ndarray, remap: np.ndarray) -> np.ndarray:
    return np.where(link >= 0, remap[np.maximum(link, 0)], -1)


class _Data:
    """Every table of the simulated county, with the recurring events of records open in the window."""

    def __init__(self, w: _World) -> None:
        rng, people, cal = w.rng, w.people, w.cal
        fd = _front_door(w)
        per, eps = _care(w, fd)
        refs, asm, s47, cp = fd["referrals"], fd["assessments"], fd["s47"], fd["cp"]
        # counts of earlier events of the same child in the last 12 months
        refs["last12"] = _count_prior(refs["child"], refs["day"], refs["child"], refs["day"])
        s47["s47_12"] = _count_prior(s47["child"], s47["start"], s47["child"], s47["start"])
        held = s47["icpc"] > NA
        s47["icpc_12"] = _count_prior(s47["child"], s47["start"], s47["child"][held], s47["icpc"][held])
        # previous child protection plans: earlier plans in the data and before it
        order = np.lexsort((cp["start"], cp["child"]))
        sorted_child = cp["child"][order]
        group_start = np.r_[0, np.flatnonzero(np.diff(sorted_child)) + 1]
        rank_sorted = np.arange(len(order)) - np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
        rank = np.empty(len(order), np.int64)
        rank[order] = rank_sorted
        prev_end_sorted = np.r_[NA, cp["end"][order][:-1]]
        prev_end = np.empty(len(order), np.int64)
        prev_end[order] = np.where(rank_sorted > 0, prev_end_sorted, NA)
        cp["previous"] = people.pre_cpp[cp["child"]] + rank
        prev_end = np.where(rank == 0, people.pre_cp_end[cp["child"]], prev_end)
        cp["repeat_2y"] = (prev_end > NA) & (cp["start"] - prev_end <= 730)
        # link episodes and plans
        eps["cp"] = np.full(len(eps["id"]), -1)
        n_pipe = int((eps["id"] >= 0).sum())
        pos = np.searchsorted(eps["id"][:n_pipe], cp["episode"])
        eps["cp"][pos] = np.arange(len(cp["start"]))
        eps["alloc"] = eps["start"] + np.where(
            (eps["id"] >= 0) & (rng.random(len(eps["id"])) < w.rate("alloc_delay", eps["team"], eps["start"])),
            rng.integers(3, 61, len(eps["id"])),
            0,
        )
        self.refs, self.asm, self.s47, self.cp_all, self.per_all = refs, asm, s47, cp, per
        # records open at some point in the window
        self.cp, cp_remap = _subset(cp, (cp["start"] <= w.we) & (cp["end"] >= w.w0))
        self.per, per_remap = _subset(per, (per["start"] <= w.we) & (per["end"] >= w.w0))
        self.eps, _ = _subset(eps, (eps["start"] <= w.we) & (eps["end"] >= w.w0))
        self.eps["cp"] = _relink(self.eps["cp"], cp_remap)
        self.eps["cic1"] = _relink(self.eps["cic1"], per_remap)
        self.eps["cic2"] = _relink(self.eps["cic2"], per_remap)
        ep, cpw, pw = self.eps, self.cp, self.per
        # recurring events
        stop = np.minimum(ep["end"], w.we)
        self.seen = _visits(w, ep["start"], stop, ep["team"], "cin_seen_late", (7, 27), (30, 80))
        stop = np.minimum(cpw["end"], w.we)
        self.cp_visits = _visits(w, cpw["start"], stop, cpw["team"], "cp_visit_late", (5, 15), (30, 50))
        due = _add_months(cpw["start"], 3)
        self.cp_reviews = _reviews(w, cpw["start"], stop, cpw["team"], "cp_review_late", due, cic=False)
        stop = np.minimum(pw["end"], w.we)
        self.cic_visits = _visits(w, pw["start"], stop, pw["team"], "cic_visit_late", (14, 38), (44, 75))
        due = cal.add_working_days(pw["start"], 20)
        self.cic_reviews = _reviews(w, pw["start"], stop, pw["team"], "cic_review_late", due, cic=True)
        self.health = _health(w, pw, stop, dental=False)
        self.dental = _health(w, pw, stop, dental=True)
        self.place = _placements(w, pw, stop)
        n = len(pw["start"])
        age_then = (np.maximum(pw["start"], w.cut) - people.dob[pw["child"]]) / 365.25
        klass = np.where(
            pw["uasc"], _pick(rng, n, np.array([0.72, 0.22, 0.06])), _pick(rng, n, np.array([0.8, 0.15, 0.05]))
        )
        klass = np.where(age_then < 10, 0, klass)
        self.missing = _poisson_events(w, pw["start"], stop, np.array([0.0, 2.5, 12.0])[klass])
        self.rhi_offered = rng.random(self.missing.shape) < w.rate(
            "rhi_offered", pw["team"][:, None], np.clip(self.missing, 0, w.we)
        )
        self.rhi_accepted = rng.random(self.missing.shape) < 0.68
        absent_rate = np.where((age_then >= 8) & (rng.random(n) < 0.06), 3.0, 0.0)
        self.absent = _poisson_events(w, pw["start"], stop, absent_rate)
        self.leavers = _care_leavers(w, per)
        # front door extras, adoption and adopters
        self.contacts = _contacts(w, refs)
        self.eha = _early_help(w, eps, self.contacts)
        self.adoption = self._adoption(w, per)
        self.adopters = _adopters(w, self.adoption)
        ids = w.rng.permutation(people.n) + 1_000_000
        self.child_id = np.char.add("SYN", ids.astype(str)).astype(object)

    @staticmethod
    def _adoption(w: _World, per: dict) -> dict:
        kind = per["adopt_kind"]
        journey_end = np.where(kind == 1, per["ao"], per["nl"])
        keep = (kind > 0) & (per["dec"] <= w.we) & (journey_end >= w.w0)
        rows = np.flatnonzero(keep)
        # a child adopted after two periods of care appears once per decision
        out = {
            k: per[k][rows]
            for k in ("child", "start", "dec", "po", "matched", "placed", "ao", "nl", "nl_reason", "ffa")
        }
        return out


# --- late recording: what a month-end snapshot does not have yet ----------------------------------------------------

RECORDED_LATE = 0.15
"""Share of a child's days whose records (starts, ends, visits, reviews) were entered after the day."""
RECORDING_LAG = 10
"""Such records were entered 1 to this many days after the day (uniformly)."""

#: Start and end columns of the records the snapshots show (the day a care leaver left care too).
_RECORD_DAYS = (
    ("eps", "start"), ("eps", "end"), ("cp", "start"), ("cp", "end"), ("per", "start"), ("per", "end"),
    ("leavers", "leave"),
)  # fmt: skip
#: Visits and reviews (one row per record), each with the table of its records.
_RECURRING = (("seen", "eps"), ("cp_visits", "cp"), ("cp_reviews", "cp"), ("cic_visits", "per"), ("cic_reviews", "per"))


def _recording_lag(seed: int, child: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days after ``day`` on which a child's records of that day were entered: 0 for most, 1 to
    :data:`RECORDING_LAG` for a share :data:`RECORDED_LATE`.

    A hash of the seed, the child and the day (splitmix64), not a draw: every record of a child's day is entered
    together (the end of a period of care, the CIN closure and the start as a care leaver of that day), and the
    generator's draws, so the full extract and the aggregates, are the same as without late recording.
    """
    x = np.asarray(child, dtype=np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x ^= np.asarray(day, dtype=np.int64).astype(np.uint64) + np.uint64(seed * 0xBF58476D1CE4E5B9 % 2**64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x ^= x >> np.uint64(shift)
        x *= np.uint64(factor)
    x ^= x >> np.uint64(31)
    late = (x >> np.uint64(11)).astype(np.float64) / 2.0**53 < RECORDED_LATE
    return np.where(late, 1 + (x % np.uint64(RECORDING_LAG)).astype(np.int64), 0)


def _late_events(seed: int, child: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat positions, days, days entered) of the events of ``days`` (a row per ``child``) entered after the day."""
    flat = days.ravel()
    pos = np.flatnonzero((flat > NA) & (flat < OPEN))
    owner = np.repeat(child, days.shape[1]) if days.ndim == 2 else child
    lag = _recording_lag(seed, owner[pos], flat[pos])
    late = lag > 0
    return pos[late], flat[pos[late]], flat[pos[late]] + lag[late]


# --- writing Annex A lists -------------------------------------------------------------------------------------


class _Lists:
    """Builds each Annex A list as at a date, as columns of text ready for CSV."""

    def __init__(self, w: _World, data: _Data) -> None:
        self.w, self.d = w, data
        self.d0 = _day("1950-01-01")
        days = np.arange(self.d0, _day("2080-12-31") + 1)
        text = pd.to_datetime(days, unit="D").strftime(A.DATE_FORMAT)
        self.date_table = np.append(np.asarray(text, dtype=object), "")
        self.int_table = np.array([str(i) for i in range(5000)] + [""], dtype=object)
        org = w.org
        self.team_names = np.array([*(_q(t) for t in org.teams), ""], dtype=object)
        n_workers = np.array([28, 22, 30, 24, 60, 20])[org.kind]
        self.n_workers = n_workers
        self.worker_names = {
            t: np.array([f"SYN Worker {t + 1:02d}-{k + 1:02d}" for k in range(n_workers[t])] + [""], dtype=object)
            for t in range(org.n)
        }
        las = [*OTHER_LAS, A.LA_OF_PLACEMENT_SPECIAL[1], A.LA_OF_PLACEMENT_SPECIAL[4]]
        self.la_names = np.array([_q(x) for x in las], dtype=object)
        self.own_la = _q(w.org.short_name)
        self.letters = np.array([a + b for a in "ABDEFGHJLNPQRSTUWXYZ" for b in "ABDEFGHJLNPQRSTUWXYZ"], dtype=object)
        seed = w.config.seed
        self.late_days = {
            (table, column): _late_events(seed, getattr(data, table)["child"], getattr(data, table)[column])
            for table, column in _RECORD_DAYS
        }
        self.late_events = {
            name: _late_events(seed, getattr(data, table)["child"], getattr(data, name)) for name, table in _RECURRING
        }

    @contextmanager
    def as_recorded(self, asat: int) -> Iterator[None]:
        """While open, the lists show the data as the case-management system held it on ``asat``, without the
        events on or before it entered after it: a start not there yet (no record), an end not there yet (the record
        still open, a care leaver still in care), a visit or review not there yet (the one before it the latest).

        The few events are changed in place, not in copies (copying the visits for every snapshot added about 15%
        to the demo's generation time), and changed back on leaving."""
        d, saved = self.d, []
        for table, column in _RECORD_DAYS:
            pos, day, entered = self.late_days[(table, column)]
            days, hidden = getattr(d, table)[column], pos[(day <= asat) & (entered > asat)]
            saved.append((days, hidden, days[hidden]))
            days[hidden] = OPEN
        for name, _ in _RECURRING:
            pos, day, entered = self.late_events[name]
            events = getattr(d, name)
            rows, cols = np.divmod(pos[(day <= asat) & (entered > asat)], events.shape[1])
            touched = np.unique(rows)
            saved.append((events, touched, events[touched]))
            events[rows, cols] = NA
            events[touched] = np.maximum.accumulate(events[touched], axis=1)  # rows stay ascending
        try:
            yield
        finally:
            for values, where, before in saved:
                values[where] = before

    # formatting
    def dates(self, days: np.ndarray, asat: int) -> np.ndarray:
        days = np.asarray(days, dtype=np.int64)
        ok = (days >= self.d0) & (days <= asat)
        return self.date_table[np.where(ok, days - self.d0, -1)]

    def ints(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.int64)
        return self.int_table[np.where(values >= 0, np.minimum(values, len(self.int_table) - 2), -1)]

    @staticmethod
    def codes(codes: tuple[str, ...], idx: np.ndarray) -> np.ndarray:
        table = np.array([*(_q(c) for c in codes), ""], dtype=object)
        idx = np.asarray(idx, dtype=np.int64)
        return table[np.where(idx >= 0, idx, -1)]

    def yes_no(self, flag: np.ndarray) -> np.ndarray:
        return self.codes(A.YES_NO, np.where(np.asarray(flag, bool), 0, 1))

    def team(self, team: np.ndarray) -> np.ndarray:
        return self.team_names[np.asarray(team, dtype=np.int64)]

    def worker(self, team: np.ndarray, child: np.ndarray, blank: np.ndarray | None = None) -> np.ndarray:
        """A worker per child and team (the same child in the same team keeps its worker)."""
        team = np.asarray(team, dtype=np.int64)
        k = (np.asarray(child, dtype=np.int64) * 2654435761 + team * 40503) % self.n_workers[team]
        if blank is not None:
            k = np.where(blank, -1, k)
        out = np.empty(len(team), dtype=object)
        for t in np.unique(team):
            sel = team == t
            out[sel] = self.worker_names[int(t)][k[sel]]
        return out

    def child(self, child: np.ndarray, age_day: np.ndarray | int, asat: int) -> dict[str, np.ndarray]:
        p = self.w.people
        dob = p.dob[child]
        return {
            "child_id": self.d.child_id[child],
            "gender": self.codes(A.GENDER_CODES, p.sex[child]),
            "ethnicity": self.codes(A.ETHNICITY_CODES, p.eth[child]),
            "date_of_birth": self.dates(dob, asat),
            "age": self.ints(np.maximum(_age(dob, age_day), 0)),
            "disability": self.codes(A.YES_NO_UNKNOWN, p.disabled[child]),
        }

    # lists 1-5, 10, 11 (full extract only)
    def list1(self, asat: int) -> dict:
        c = self.d.contacts
        rows = np.flatnonzero((c["day"] >= self.w.w0) & (c["day"] <= asat))
        rows = rows[np.lexsort((c["child"][rows], c["day"][rows]))]
        out = self.child(c["child"][rows], c["day"][rows], asat)
        out["contact_date"] = self.dates(c["day"][rows], asat)
        out["contact_source"] = self.codes(A.SOURCE_CODES, c["source"][rows])
        return out

    def list2(self, asat: int) -> dict:
        e = self.d.eha
        rows = np.flatnonzero(e["start"] <= asat)
        rows = rows[np.lexsort((e["child"][rows], e["start"][rows]))]
        out = self.child(e["child"][rows], e["start"][rows], asat)
        out["eha_start_date"] = self.dates(e["start"][rows], asat)
        out["eha_completion_date"] = self.dates(e["done"][rows], asat)
        names = [_q(x.format(authority=self.w.org.authority)) for x in EHA_ORGANISATIONS]
        out["eha_organisation"] = np.array(names, dtype=object)[e["org"][rows]]
        return out

    def list3(self, asat: int) -> dict:
        r = self.d.refs
        rows = np.flatnonzero((r["day"] >= self.w.w0) & (r["day"] <= asat))
        child = r["child"][rows]
        out = self.child(child, r["day"][rows], asat)
        out["referral_date"] = self.dates(r["day"][rows], asat)
        out["referral_source"] = self.codes(A.SOURCE_CODES, r["source"][rows])
        out["referral_nfa"] = self.yes_no(r["nfa"][rows])
        out["referrals_last_12m"] = self.ints(r["last12"][rows])
        out["allocated_team"] = self.team(r["team"][rows])
        out["allocated_worker"] = self.worker(r["team"][rows], child)
        return out

    def list4(self, asat: int) -> dict:
        a = self.d.asm
        rows = np.flatnonzero((a["start"] <= asat) & ((a["start"] >= self.w.w0) | (a["auth"] >= self.w.w0)))
        child = a["child"][rows]
        done = a["auth"][rows] <= asat
        out = self.child(child, a["start"][rows], asat)
        out["assessment_start_date"] = self.dates(a["start"][rows], asat)
        out["child_seen"] = self.codes(A.YES_NO_UNKNOWN, a["seen"][rows])
        out["assessment_authorised_date"] = self.dates(a["auth"][rows], asat)
        out["assessment_outcome_csc"] = self.codes(
            A.YES_NO_UNKNOWN, np.where(done, np.where(a["ongoing"][rows], 0, 1), -1)
        )
        out["allocated_team"] = self.team(a["team"][rows])
        out["allocated_worker"] = self.worker(a["team"][rows], child)
        return out

    def list5(self, asat: int) -> dict:
        s = self.d.s47
        w = self.w
        rows = np.flatnonzero((s["start"] <= asat) & ((s["start"] >= w.w0) | (s["icpc"] >= w.w0)))
        child = s["child"][rows]
        start, icpc = s["start"][rows], s["icpc"][rows]
        held = (icpc > NA) & (icpc <= asat)
        pending = icpc > asat
        concluded = (icpc == NA) & (start + 20 <= asat)
        out = self.child(child, start, asat)
        out["s47_start_date"] = self.dates(start, asat)
        out["icpc_unnecessary"] = self.codes(A.YES_NO, np.select([concluded, held | pending], [0, 1], -1))
        out["icpc_date"] = self.dates(icpc, asat)
        out["icpc_outcome_cpp"] = self.codes(A.YES_NO, np.where(held, np.where(s["plan"][rows], 0, 1), -1))
        out["s47s_last_12m"] = self.ints(s["s47_12"][rows])
        out["icpcs_last_12m"] = self.ints(s["icpc_12"][rows])
        out["allocated_team"] = self.team(s["team"][rows])
        out["allocated_worker"] = self.worker(s["team"][rows], child)
        return out

    def list10(self, asat: int) -> dict:
        a = self.d.adoption
        rows = np.flatnonzero(a["dec"] <= asat)
        child = a["child"][rows]
        out = self.child(child, asat, asat)
        fam = a["family"][rows]
        fam_ok = (fam >= 0) & (a["matched"][rows] <= asat)
        out["family_id"] = np.where(fam_ok, np.char.add("SYNF", (100000 + np.maximum(fam, 0)).astype(str)), "").astype(
            object
        )
        out["cic_entered_care_date"] = self.dates(a["start"][rows], asat)
        out["adoption_decision_date"] = self.dates(a["dec"][rows], asat)
        for key, col in (
            ("placement_order_date", "po"),
            ("matched_date", "matched"),
            ("placed_for_adoption_date", "placed"),
            ("adoption_order_date", "ao"),
            ("no_longer_adoption_date", "nl"),
            ("ffa_placement_date", "ffa"),
        ):
            out[key] = self.dates(a[col][rows], asat)
        nl_done = a["nl"][rows] <= asat
        out["no_longer_adoption_reason"] = self.codes(
            A.NO_LONGER_ADOPTION_CODES, np.where(nl_done, a["nl_reason"][rows], -1)
        )
        return out

    def list11(self, asat: int) -> dict:
        f = self.d.adopters
        n = len(f["family"])
        out = {
            "adopter_id": np.char.add("SYNA", (1000000 + np.arange(n)).astype(str)).astype(object),
            "family_id": np.char.add("SYNF", (100000 + f["family"]).astype(str)).astype(object),
            "gender": self.codes(A.GENDER_CODES, f["sex"]),
            "ethnicity": self.codes(A.ETHNICITY_CODES, f["eth"]),
            "disability": self.codes(A.YES_NO, f["disabled"]),
            "ffa_adopter": self.yes_no(f["ffa"]),
            "children_placed": self.ints(np.where(f["placed"] <= asat, 1, -1)),
        }
        for key, col in (
            ("enquiry_date", "enquiry"),
            ("stage1_start_date", "s1s"),
            ("stage1_end_date", "s1e"),
            ("stage2_start_date", "s2s"),
            ("stage2_end_date", "s2e"),
            ("application_date", "s2s"),
            ("approval_date", "approval"),
            ("matched_date", "matched"),
            ("placed_date", "placed"),
            ("adoption_order_date", "ao"),
            ("leaving_date", "left"),
        ):
            out[key] = self.dates(f[col], asat)
        out["leaving_reason"] = self.codes(A.LEAVING_ADOPTION_CODES, np.where(f["left"] <= asat, f["left_reason"], -1))
        return out

    # lists 6-9: full extract and month-end snapshots
    @staticmethod
    def open_rows(start: np.ndarray, end: np.ndarray, asat: int, since: int) -> np.ndarray:
        """Records started by ``asat`` and not closed before ``since``: the full extract's are those open in the
        window; a snapshot's, those open at its date or closed since the start of the previous snapshot's month."""
        return np.flatnonzero((start <= asat) & (end >= since))

    def _in(self, start: np.ndarray, end: np.ndarray, link: np.ndarray, asat: int) -> np.ndarray:
        ok = link >= 0
        i = np.maximum(link, 0)
        return ok & (start[i] <= asat) & (end[i] > asat)

    def list6(self, asat: int, since: int) -> dict:
        d, ep = self.d, self.d.eps
        rows = self.open_rows(ep["start"], ep["end"], asat, since)
        child = ep["child"][rows]
        seen = _last_on_or_before(d.seen[rows], asat)
        for link, events in ((ep["cp"], d.cp_visits), (ep["cic1"], d.cic_visits), (ep["cic2"], d.cic_visits)):
            lk = link[rows]
            has = np.flatnonzero(lk >= 0)
            if len(has):
                seen[has] = np.maximum(seen[has], _last_on_or_before(events[lk[has]], asat))
        closed = ep["end"][rows] <= asat
        pw, cpw = d.per, d.cp
        in_cic = self._in(pw["start"], pw["end"], ep["cic1"][rows], asat) | self._in(
            pw["start"], pw["end"], ep["cic2"][rows], asat
        )
        in_cp = self._in(cpw["start"], cpw["end"], ep["cp"][rows], asat)
        assessing = (ep["a_auth"][rows] > asat) & (ep["a_start"][rows] > NA)
        status = np.select([closed, in_cic, in_cp, assessing], [4, 0, 1, 3], 2)
        out = self.child(child, asat, asat)
        out["cin_start_date"] = self.dates(ep["start"][rows], asat)
        out["cin_primary_need"] = self.codes(A.NEED_CODES, ep["need"][rows])
        out["date_last_seen"] = self.dates(seen, asat)
        out["cin_closure_date"] = self.dates(ep["end"][rows], asat)
        out["cin_closure_reason"] = self.codes(A.CIN_CLOSURE_CODES, np.where(closed, ep["reason"][rows], -1))
        out["case_status"] = self.codes(A.CASE_STATUS_CODES, status)
        out["allocated_team"] = self.team(ep["team"][rows])
        unallocated = (ep["alloc"][rows] > asat) & ~closed
        out["allocated_worker"] = self.worker(ep["team"][rows], child, unallocated)
        return out

    def list7(self, asat: int, since: int) -> dict:
        d, cp = self.d, self.d.cp
        rows = self.open_rows(cp["start"], cp["end"], asat, since)
        child = cp["child"][rows]
        review = _last_on_or_before(d.cp_reviews[rows], asat)
        out = self.child(child, asat, asat)
        out["cpp_start_date"] = self.dates(cp["start"][rows], asat)
        out["cpp_category"] = self.codes(A.ABUSE_CODES, cp["cat0"][rows])
        out["cpp_latest_category"] = self.codes(
            A.ABUSE_CODES, np.where(review > NA, cp["cat1"][rows], cp["cat0"][rows])
        )
        out["last_statutory_visit_date"] = self.dates(_last_on_or_before(d.cp_visits[rows], asat), asat)
        out["seen_alone"] = self.codes(A.YES_NO_UNKNOWN, cp["seen_alone"][rows])
        out["latest_review_date"] = self.dates(review, asat)
        out["cpp_end_date"] = self.dates(cp["end"][rows], asat)
        out["epo_police_protection_6m"] = self.yes_no(cp["epo"][rows])
        out["previous_cpp_count"] = self.ints(cp["previous"][rows])
        out["allocated_team"] = self.team(cp["team"][rows])
        out["allocated_worker"] = self.worker(cp["team"][rows], child)
        return out

    def list8(self, asat: int, since: int) -> dict:
        d, pw = self.d, self.d.per
        rows = self.open_rows(pw["start"], pw["end"], asat, since)
        n = len(rows)
        child = pw["child"][rows]
        start, end = pw["start"][rows], pw["end"][rows]
        ref = np.minimum(end, asat)
        closed = end <= asat
        # legal status and permanence plan: the latest stage started on or before the date
        ls_day, ls_code = pw["ls_day"][rows], pw["ls_code"][rows]
        valid = (ls_code >= 0) & (ls_day <= ref[:, None])
        col = 2 - np.argmax(valid[:, ::-1], axis=1)
        legal, legal_day = ls_code[np.arange(n), col], ls_day[np.arange(n), col]
        pp_day, pp_code = pw["pp_day"][rows], pw["pp_code"][rows]
        valid = (pp_code >= 0) & (pp_day <= ref[:, None])
        plan = pp_code[np.arange(n), 2 - np.argmax(valid[:, ::-1], axis=1)]
        review = _last_on_or_before(d.cic_reviews[rows], asat)
        iro = np.where(review > NA, np.maximum(review - (review * 7 + child) % 12, start), NA)
        # placements
        pl = d.place
        moves = pl["moves"][rows]
        current = np.maximum(_index_on_or_before(moves, ref), 0)
        nxt = np.concatenate([moves[:, 1:], np.full((n, 1), OPEN)], axis=1)
        ends = np.where(nxt < OPEN, nxt, end[:, None])
        in_year = (moves <= ref[:, None]) & (ends > (ref - 365)[:, None])
        ix = (np.arange(n), current)

        def now(key: str) -> np.ndarray:
            return pl[key][rows][ix]

        la = now("la")
        inside = now("inside") == 1
        la_text = np.where(inside, self.own_la, self.la_names[np.maximum(la, 0)]).astype(object)
        urn = now("urn")
        urn_text = np.where(urn >= 0, np.char.add("SC", np.maximum(urn, 0).astype(str)), "").astype(object)
        postcode = np.char.add(
            np.char.add("ZZ", now("pc_district").astype(str)),
            np.char.add(
                " ",
                np.char.add(now("pc_sector").astype(str), self.letters[now("pc_unit") % len(self.letters)].astype(str)),
            ),
        ).astype(object)
        # missing and absent episodes in the last 12 months, and the latest return interview
        missing = d.missing[rows]
        n_missing = _count_between(missing, ref - 365, ref)
        last_missing = np.maximum(_index_on_or_before(missing, ref), 0)
        offered = d.rhi_offered[rows][np.arange(n), last_missing]
        accepted = d.rhi_accepted[rows][np.arange(n), last_missing] & offered
        has_missing = n_missing > 0
        out = self.child(child, asat, asat)
        out["uasc"] = self.yes_no(pw["uasc"][rows])
        out["cic_start_date"] = self.dates(start, asat)
        out["category_of_need"] = self.codes(A.NEED_CODES, pw["need"][rows])
        out["subsequent_period_12m"] = self.yes_no(pw["subsequent"][rows])
        out["legal_status_start_date"] = self.dates(legal_day, asat)
        out["legal_status"] = self.codes(A.LEGAL_STATUS_CODES, legal)
        out["latest_review_date"] = self.dates(review, asat)
        out["last_visit_date"] = self.dates(_last_on_or_before(d.cic_visits[rows], asat), asat)
        out["permanence_plan"] = self.codes(A.PERMANENCE_PLAN_CODES, plan)
        out["last_iro_contact_date"] = self.dates(iro, asat)
        out["last_health_assessment_date"] = self.dates(_last_on_or_before(d.health[rows], asat), asat)
        out["last_dental_check_date"] = self.dates(_last_on_or_before(d.dental[rows], asat), asat)
        out["placements_last_12m"] = self.ints(in_year.sum(axis=1))
        out["cic_end_date"] = self.dates(end, asat)
        out["cic_end_reason"] = self.codes(A.CEASED_REASON_CODES, np.where(closed, pw["reason"][rows], -1))
        out["placement_start_date"] = self.dates(moves[ix], asat)
        out["placement_type"] = self.codes(A.PLACEMENT_TYPE_CODES, now("type"))
        out["placement_provider"] = self.codes(A.PLACEMENT_PROVIDER_CODES, now("provider"))
        out["placement_postcode"] = postcode
        out["placement_urn"] = urn_text
        out["placement_location"] = self.codes(A.PLACEMENT_LOCATION_CODES, np.where(inside, 0, 1))
        out["placement_la"] = la_text
        out["missing_episodes"] = self.ints(n_missing)
        out["absent_episodes"] = self.ints(_count_between(d.absent[rows], ref - 365, ref))
        out["return_interview_offered"] = self.codes(
            A.YES_NO_UNKNOWN, np.where(has_missing, np.where(offered, 0, 1), -1)
        )
        out["return_interview_accepted"] = self.codes(
            A.YES_NO_UNKNOWN, np.where(has_missing, np.where(accepted, 0, 1), -1)
        )
        out["allocated_team"] = self.team(pw["team"][rows])
        out["allocated_worker"] = self.worker(pw["team"][rows], child)
        return out

    def list9(self, asat: int) -> dict:
        cl, w = self.d.leavers, self.w
        rows = np.flatnonzero((cl["leave"] <= asat) & (cl["until"] > asat))
        child = cl["child"][rows]
        p = w.people
        age = _age(p.dob[child], asat)
        contact = _last_on_or_before(cl["contacts"][rows], asat)
        in_touch = (contact > NA) & (asat - contact <= 90)
        not_code = np.array([1, 3, 5, 4])[cl["not_in_touch"][rows]]
        not_code = np.where((not_code == 4) & (age < 21), 1, not_code)
        acc_col = np.maximum(_index_on_or_before(cl["accom"][rows], asat), 0)
        act_col = np.maximum(_index_on_or_before(cl["activity"][rows], asat), 0)
        ix = np.arange(len(rows))
        accom = np.where(in_touch, cl["acc_type"][rows][ix, acc_col], 7)
        suitable = np.where(in_touch, np.where(cl["suitable"][rows][ix, acc_col], 0, 1), -1)
        team = np.full(len(rows), w.org.cl_team) if w.org.cl_team >= 0 else w.org.cic_team_for(p.home[child])
        out = self.child(child, asat, asat)
        out["uasc"] = self.yes_no(cl["uasc"][rows])
        out["allocated_team"] = self.team(team)
        out["allocated_worker"] = self.worker(team, child)
        pa = (child * 7919) % max(round(PERSONAL_ADVISERS * w.scale), 1) + 1
        out["personal_advisor"] = np.char.add("SYN PA ", pa.astype(str)).astype(object)
        out["eligibility"] = self.codes(A.ELIGIBILITY_CODES, np.where(age < 18, 0, 1))
        out["pathway_plan_date"] = self.dates(_last_on_or_before(cl["plans"][rows], asat), asat)
        out["in_touch"] = self.codes(A.IN_TOUCH_CODES, np.where(in_touch, 0, not_code))
        out["latest_contact_date"] = self.dates(contact, asat)
        out["accommodation_type"] = self.codes(A.ACCOMMODATION_CODES, accom)
        out["accommodation_suitable"] = self.codes(A.SUITABILITY_CODES, suitable)
        out["activity"] = self.codes(A.ACTIVITY_CODES, np.where(in_touch, cl["act"][rows][ix, act_col], -1))
        return out


def _q(text: str) -> str:
    """CSV field text: quoted when it holds a comma, a quote or a line break."""
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_list(folder: Path, number: int, cols: dict) -> int:
    """Write one list as CSV (template headers in template order); returns the row count.

    Columns hold CSV-ready text (lookup tables are quoted where needed), so rows are joined directly: several
    times faster than ``DataFrame.to_csv`` for the half a million rows of the snapshots.
    """
    spec = A.LISTS[number]
    n = len(next(iter(cols.values()))) if cols else 0
    blank = [""] * n
    columns = [cols[c.key].tolist() if c.key in cols else blank for c in spec.columns]
    header = ",".join(_q(c.header) for c in spec.columns)
    body = "".join(line + "\n" for line in map(",".join, zip(*columns, strict=True)))
    with open(folder / f"{spec.sheet}.csv", "w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n" + body)
    return n


# --- aggregates ------------------------------------------------------------------------------------------------------


def _episode_state(d: _Data, rows: np.ndarray, day: int) -> np.ndarray:
    """Case status index (CASE_STATUS_CODES) of episodes on a day."""
    ep, pw, cpw = d.eps, d.per, d.cp

    def inside(start: np.ndarray, end: np.ndarray, link: np.ndarray) -> np.ndarray:
        i = np.maximum(link, 0)
        return (link >= 0) & (start[i] <= day) & (end[i] > day)

    in_cic = inside(pw["start"], pw["end"], ep["cic1"][rows]) | inside(pw["start"], pw["end"], ep["cic2"][rows])
    in_cp = inside(cpw["start"], cpw["end"], ep["cp"][rows])
    closed = ep["end"][rows] <= day
    assessing = (ep["a_auth"][rows] > day) & (ep["a_start"][rows] > NA)
    return np.select([closed, in_cic, in_cp, assessing], [4, 0, 1, 3], 2)


class _Aggregates:
    """Monthly atoms for the indicators Annex A cannot give, consistent with the simulated lists."""

    def __init__(self, w: _World, d: _Data) -> None:
        self.w, self.d = w, d
        self.M = len(w.window_mis)
        self.T = w.org.n
        self.cols = _BURN_IN_MONTHS + np.arange(self.M)
        self.rows: list[dict] = []

    # counting helpers
    def flow(self, team: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Events per team and window month."""
        team, day = np.ravel(team), np.ravel(day)
        ok = (day >= self.w.w0) & (day <= self.w.we)
        m = _month_of(day[ok]) - self.w.first_mi
        return np.bincount(team[ok] * self.M + m, minlength=self.T * self.M).reshape(self.T, self.M)

    def binom(self, den: np.ndarray, name: str, *args, **kw) -> np.ndarray:
        p = self.w.rates.add(name, *args, **kw)[:, self.cols]
        return self.w.rng.binomial(den, p)

    def emit(
        self,
        ind: str,
        num: np.ndarray | None,
        den: np.ndarray | None,
        team_rows: bool = True,
        decimals: int = 0,
        combine: str = "sum",
        areas: bool = True,
    ) -> None:
        """Rows for teams (where the denominator is above 0), their areas and the authority.

        ``decimals``: 0 whole numbers, 1 one decimal place (FTE), 2 whole numerator over a one-decimal denominator.
        """
        org = self.w.org
        base = den if den is not None else num
        units: list[tuple[str, np.ndarray | None, np.ndarray]] = []

        def agg(x: np.ndarray | None, teams: np.ndarray) -> np.ndarray | None:
            if x is None:
                return None
            return x[teams].max(axis=0) if combine == "max" else x[teams].sum(axis=0)

        all_teams = np.flatnonzero(base.max(axis=1) > 0)
        units.append((org.authority, agg(num, all_teams), agg(den, all_teams)))
        if areas:
            for a, name in enumerate(org.areas):
                teams = np.flatnonzero((org.team_area == a) & np.isin(np.arange(self.T), all_teams))
                if len(teams):
                    units.append((name, agg(num, teams), agg(den, teams) if den is not None else None))
        if team_rows:
            for t in all_teams:
                units.append((org.teams[t], None if num is None else num[t], None if den is None else den[t]))
        for name, n_arr, d_arr in units:
            for s in range(self.M):
                numerator = None if n_arr is None else float(n_arr[s])
                denominator = None if d_arr is None else float(d_arr[s])
                if den is not None and not denominator:
                    continue
                self.rows.append(
                    {"indicator": ind, "s": s, "org_unit": name, "num": numerator, "den": denominator, "dp": decimals}
                )

    def build(self) -> None:
        w, d, rng, M, T = self.w, self.d, self.w.rng, self.M, self.T
        org = w.org
        kind = org.kind
        zero = np.zeros((T, M), np.int64)
        # front door, assessments, S47
        contacts = zero.copy()
        contacts[0] = self.flow(np.zeros(len(d.contacts["day"]), np.int64), d.contacts["day"]).sum(axis=0)
        p = w.rates.add("agg_contacts_1wd", 0.956, 0.965, 0.0, 0.012, dips=((0.45, 0.52, -0.05),), hi=0.995)
        self.emit(
            "contacts_decision_1wd",
            rng.binomial(contacts[0], p[0, self.cols])[None, :],
            contacts[:1],
            team_rows=False,
            areas=False,
        )
        a = d.asm
        done = self.flow(a["team"], a["auth"])
        ongoing = self.flow(a["team"][a["ongoing"]], a["auth"][a["ongoing"]])
        self.emit("assessments_ongoing", ongoing, done)
        s47 = self.flow(d.s47["team"], d.s47["start"])
        self.emit(
            "s47_child_seen", self.binom(s47, "agg_s47_seen", 0.978, 0.982, 0.006, 0.003, weak=(1, -0.03), hi=1.0), s47
        )
        # month-end stocks
        ep, cpw, pw = d.eps, d.cp, d.per
        cases, cin_den, cp_open, cic, cic_nu, school, long18, elig, within, within_nu = (zero.copy() for _ in range(10))
        people = w.people
        for s, day in enumerate(w.month_end):
            rows = np.flatnonzero((ep["start"] <= day) & (ep["end"] > day))
            state = _episode_state(d, rows, int(day))
            cases[:, s] = np.bincount(ep["team"][rows], minlength=T)
            plan_rows = rows[np.isin(state, [2, 3]) & (day - ep["start"][rows] >= 45)]
            cin_den[:, s] = np.bincount(ep["team"][plan_rows], minlength=T)
            c = np.flatnonzero((cpw["start"] <= day) & (cpw["end"] > day))
            cp_open[:, s] = np.bincount(cpw["team"][c], minlength=T)
            c = np.flatnonzero((pw["start"] <= day) & (pw["end"] > day))
            team = pw["team"][c]
            nu = ~pw["uasc"][c]
            dob = people.dob[pw["child"][c]]
            age = _age(dob, int(day))
            cur = np.maximum(_index_on_or_before(d.place["moves"][c], int(day)), 0)
            near = d.place["within20"][c, cur] == 1
            cic[:, s] = np.bincount(team, minlength=T)
            cic_nu[:, s] = np.bincount(team[nu], minlength=T)
            school[:, s] = np.bincount(team[(age >= 5) & (age <= 15)], minlength=T)
            long18[:, s] = np.bincount(team[day - pw["start"][c] >= 548], minlength=T)
            since14 = day - np.maximum(pw["start"][c], _add_months(dob, 168))
            elig[:, s] = np.bincount(team[(age >= 16) & (since14 >= 91)], minlength=T)
            within[:, s] = np.bincount(team[near], minlength=T)
            within_nu[:, s] = np.bincount(team[near & nu], minlength=T)
        self.emit(
            "cin_with_plan",
            self.binom(cin_den, "agg_cin_plan", 0.885, 0.91, 0.03, 0.01, 0.01, weak=(1, -0.12), hi=1.0),
            cin_den,
        )
        pf = np.where(kind[:, None] == 0, rng.poisson(np.clip(rng.normal(6, 2.5, T), 1, None)[:, None], (T, M)), 0)
        self.emit("pf_visits_timely", self.binom(pf, "agg_pf", 0.86, 0.9, 0.05, 0.02, hi=1.0), pf)
        cp_all = d.cp_all
        starts = self.flow(cp_all["team"], cp_all["start"])
        repeats = self.flow(cp_all["team"][cp_all["repeat_2y"]], cp_all["start"][cp_all["repeat_2y"]])
        self.emit("cp_repeat_within_2y", repeats, starts)
        self.emit(
            "cp_plan_up_to_date",
            self.binom(cp_open, "agg_cp_plan", 0.957, 0.965, 0.012, 0.005, weak=(1, -0.05), hi=1.0),
            cp_open,
        )
        # children in care
        reviews = self.flow(np.repeat(pw["team"], d.cic_reviews.shape[1]), d.cic_reviews)
        self.emit(
            "cic_review_participation",
            self.binom(reviews, "agg_participation", 0.955, 0.962, 0.015, 0.005, hi=1.0),
            reviews,
        )
        per_all = d.per_all
        cic_starts = self.flow(per_all["team"], per_all["start"])
        self.emit(
            "cic_iha_timely",
            self.binom(cic_starts, "agg_iha", 0.80, 0.86, 0.05, 0.02, weak=(1, -0.12), weak_kinds=(1,), hi=1.0),
            cic_starts,
        )
        self.emit(
            "iha_referral_5wd", self.binom(cic_starts, "agg_iha_ref", 0.87, 0.905, 0.04, 0.015, hi=1.0), cic_starts
        )
        self.emit(
            "cic_pep_up_to_date",
            self.binom(school, "agg_pep", 0.935, 0.95, 0.02, 0.01, weak=(1, -0.06), weak_kinds=(1,), hi=1.0),
            school,
        )
        self.emit(
            "cic_care_plan_up_to_date",
            self.binom(cic, "agg_care_plan", 0.955, 0.965, 0.012, 0.005, weak=(1, -0.04), weak_kinds=(1,), hi=1.0),
            cic,
        )
        moves = self.flow(np.repeat(pw["team"], d.place["moves"].shape[1]), d.place["moves"])
        self.emit(
            "placement_meetings_5wd",
            self.binom(moves, "agg_pam", 0.80, 0.87, 0.05, 0.02, weak=(1, -0.15), weak_kinds=(1,), hi=1.0),
            moves,
        )
        self.emit(
            "cic_same_worker_12m",
            self.binom(long18, "agg_same_worker", 0.60, 0.66, 0.06, 0.02, weak=(1, -0.12), weak_kinds=(1,), hi=1.0),
            long18,
        )
        missing = self.flow(np.repeat(pw["team"], d.missing.shape[1]), d.missing)
        self.emit("return_interviews_3wd", self.binom(missing, "agg_rhi_3wd", 0.77, 0.85, 0.05, 0.02, hi=1.0), missing)
        self.emit("cic_placed_within_20mi", within_nu, cic_nu)
        self.emit("cic_placed_over_20mi", cic - within, cic)
        self.emit(
            "care_leavers_eligible_pathway_plan",
            self.binom(elig, "agg_elig_plan", 0.95, 0.965, 0.015, 0.01, weak=(1, -0.06), weak_kinds=(1,), hi=1.0),
            elig,
        )
        self._workforce(cases)
        self._quality()

    def _workforce(self, cases: np.ndarray) -> None:
        w, rng, M, T = self.w, self.w.rng, self.M, self.T
        kind = w.org.kind
        holding = np.isin(kind, [0, 1, 2, 3])
        target = np.select([kind == 0, kind == 1, kind == 2, kind == 3], [19.6, 16.4, 17.5, 18.0], 17.0)
        load = w.rates.add("agg_caseload", 0.0, -1.6, 1.3, 0.25, 0.5, weak=(2, 3.5), lo=-6.0, hi=8.0)[:, self.cols]
        load = target[:, None] + load
        cases = np.where(holding[:, None], cases, 0)
        fte = np.where(cases > 0, np.round(cases / load, 1), 0.0)
        fte = np.where((fte <= 0) & (cases > 0), 0.1, fte)
        agency_p = w.rates.add("agg_agency", 0.135, 0.112, 0.03, 0.008, 0.01, weak=(1, 0.07), lo=0.0, hi=0.5)[
            :, self.cols
        ]
        agency = np.round(fte * agency_p, 1)
        perm = np.round(fte - agency, 1)
        unfilled = w.rates.add("agg_unfilled", 0.02, 0.015, 0.01, 0.004, 0.005, lo=0.0, hi=0.2)[:, self.cols]
        posts = np.round((perm + agency) / (1 - unfilled), 1)
        leave_p = w.rates.add("agg_turnover", 0.0122, 0.0112, 0.002, 0.001, 0.001, weak=(1, 0.006), lo=0.0, hi=0.1)[
            :, self.cols
        ]
        leavers = np.round(rng.binomial(np.round(perm).astype(np.int64), leave_p) * 0.95, 1)
        keep = holding[:, None]
        self.emit("caseload_average", np.where(keep, cases, 0), np.where(keep, fte, 0.0), decimals=2)
        cswt = (kind == 0)[:, None]
        self.emit("caseload_cswt", np.where(cswt, cases, 0), np.where(cswt, fte, 0.0), decimals=2)
        cic_t = np.isin(kind, [1, 3])[:, None]
        self.emit("caseload_cic_teams", np.where(cic_t, cases, 0), np.where(cic_t, fte, 0.0), decimals=2)
        seasonal = FOSTERING_HOUSEHOLDS + 25 * np.sin(np.arange(M) / 6) + rng.normal(0, 6, M)
        households = np.round(w.scale * seasonal).astype(np.int64)
        foster_fte = np.round(households / rng.normal(17.4, 0.5, M), 1)
        self.emit(
            "caseload_fostering", households[None, :], foster_fte[None, :], team_rows=False, areas=False, decimals=2
        )
        peak = np.where(keep & (fte > 0), np.round(load * rng.uniform(1.15, 1.34, (T, M))), 0).astype(np.int64)
        self.emit("caseload_max", peak, None, combine="max")
        for ind, num, den in (
            ("posts_permanent_qsw", perm, posts),
            ("posts_agency", agency, posts),
            ("agency_rate", agency, perm + agency),
            ("turnover_rate", leavers, perm),
            ("vacancy_rate", np.round(posts - perm, 1), posts),
        ):
            self.emit(ind, np.where(keep, num, 0.0), np.where(keep, den, 0.0), team_rows=False, decimals=1)

    def _quality(self) -> None:
        w, rng, M, T = self.w, self.w.rng, self.M, self.T
        org = w.org
        share = np.zeros(T)
        share[org.cswt] = org.cswt_weight * 0.8
        others = np.flatnonzero(org.kind != 0)
        share[others] = 0.2 / max(len(others), 1)
        scheduled = rng.poisson(AUDITS_PER_MONTH * w.scale * share[:, None], (T, M))
        completed = self.binom(scheduled, "agg_audits_done", 0.955, 0.962, 0.02, 0.015, hi=1.0)
        good = self.binom(completed, "agg_audits_good", 0.675, 0.72, 0.05, 0.02, hi=1.0)
        reports = rng.poisson(CP_REPORTS_PER_MONTH * w.scale * share[:, None], (T, M))
        plans = rng.poisson(CIC_CARE_PLANS_PER_MONTH * w.scale * share[:, None], (T, M))
        self.emit("audits_completed", completed, scheduled, team_rows=False)
        self.emit("audits_good_outstanding", good, completed, team_rows=False)
        self.emit(
            "cp_reports_good_outstanding",
            self.binom(reports, "agg_cp_reports", 0.70, 0.765, 0.04, 0.02, hi=1.0),
            reports,
            team_rows=False,
        )
        self.emit(
            "cic_care_plans_good_outstanding",
            self.binom(plans, "agg_cic_plans", 0.705, 0.77, 0.04, 0.02, hi=1.0),
            plans,
            team_rows=False,
        )

    def frame(self, params: Params) -> tuple[pd.DataFrame, list[str]]:
        """The aggregate CSV rows, in catalogue order, with the gap month marked unavailable."""
        w = self.w
        catalogue = {i.id: i for i in params.catalogue.indicators}
        wanted = [i.id for i in params.catalogue.indicators if i.data_notes.source == "Aggregate return"]
        made = {r["indicator"] for r in self.rows}
        skipped = [i for i in wanted if i not in made]
        unit_order = {name: k for k, name in enumerate([w.org.authority, *w.org.areas, *w.org.teams])}
        frame = pd.DataFrame(self.rows)
        frame = frame[frame["indicator"].isin(wanted)]
        gap_reason = None
        if w.gap_mi is not None and w.first_mi <= w.gap_mi <= w.end_mi:
            gap_s = w.gap_mi - w.first_mi
            gap_reason = "System migration: data not available"
            for g in w.params.authority.data_gaps:
                if parse_month(g.month) == w.gap_mi:
                    gap_reason = g.reason
            units = frame[["indicator", "org_unit", "dp"]].drop_duplicates()
            frame = frame[frame["s"] != gap_s]
            gap_rows = units.assign(s=gap_s, num=np.nan, den=np.nan)
            frame = pd.concat([frame, gap_rows], ignore_index=True)
        frame["ind_order"] = frame["indicator"].map({i: k for k, i in enumerate(wanted)})
        frame["unit_order"] = frame["org_unit"].map(unit_order)
        frame = frame.sort_values(["ind_order", "s", "unit_order"], kind="stable").reset_index(drop=True)
        out = pd.DataFrame(
            {
                "indicator": frame["indicator"],
                "period": [month_text(w.first_mi + int(s)) for s in frame["s"]],
                "org_unit": frame["org_unit"],
            }
        )
        cohort, window, value, num_t, den_t, reason = [], [], [], [], [], []
        for ind, s, num, den, dp in zip(
            frame["indicator"], frame["s"], frame["num"], frame["den"], frame["dp"], strict=True
        ):
            spec = catalogue[ind]
            cohort.append(spec.cohort or "all")
            window.append("snapshot" if spec.is_stock else "month")
            gap = gap_reason is not None and int(s) == w.gap_mi - w.first_mi
            fmt = "{:.1f}" if dp == 1 else "{:.0f}"
            den_fmt = "{:.1f}" if dp in (1, 2) else "{:.0f}"
            if gap:
                num_t.append("")
                den_t.append("")
                value.append("")
                reason.append(gap_reason)
                continue
            reason.append("")
            if den is None or pd.isna(den):
                num_t.append("")
                den_t.append("")
                value.append(fmt.format(num))
            else:
                num_t.append(fmt.format(num))
                den_t.append(den_fmt.format(den))
                value.append(f"{spec.scale * float(fmt.format(num)) / float(den_fmt.format(den)):.1f}")
        out["cohort"] = cohort
        out["window"] = window
        out["numerator"] = num_t
        out["denominator"] = den_t
        out["value"] = value
        out["unavailable_reason"] = reason
        return out, skipped


# --- the entry point -------------------------------------------------------------------------------------------------

_README = """SYNTHETIC DEMO DATA - NOT REAL CHILDREN, NOT A REAL COUNCIL

{name} is a fictional county. Every child, worker, adopter, postcode and
placement here was invented by csc_workbench (csc_workbench.demo.generate) with
seed {seed} and end month {end} ({months} months of data, {first} to {end}).
Child identifiers start with "SYN"; postcodes start with "ZZ", which no real postcode does.

What is here
  annex_a_synthetic_full_{end}/        the latest full Ofsted Annex A extract (List 1.csv ... List 11.csv):
                                        every record with activity in the window; the status fields of
                                        lists 6-9 (last seen, visits, reviews, health, placements, care
                                        leaver status) as at {end_day}; list 9 holds the care leavers on the
                                        list on that date.
  annex_a_synthetic_snapshot_YYYY-MM/  lists 6-9 as they stood at each month end, one per month: open
                                        records, plus the records of lists 6-8 closed since the start of the
                                        previous snapshot's month (the month before; for the first snapshot,
                                        its own month), so that each restates that month, as real monthly
                                        extracts restate recent months. Like real month-end extracts
                                        they miss a few late-recorded events: about 3% of a month's starts,
                                        ends, visits and reviews, mostly from its last week, were entered
                                        after the month end, so its snapshot lacks them (a start not there
                                        yet, an end not yet recorded: the record still open). The next
                                        snapshot has that month's starts and ends; the full extract has them
                                        all.
  aggregates_synthetic.csv             monthly figures for indicators Annex A cannot give (contact
                                        decisions, plans, participation, workforce, caseloads, audits).

Conventions
  Dates are dd/mm/yyyy; coded values use the Annex A template's codes. Ages in lists 1-5 are at the
  contact, referral, assessment or enquiry date; in lists 6-11 at the extract's as-at date.
  {gap_text}
"""


def _gap_text(w: _World) -> str:
    if w.gap_mi is None or not (w.first_mi <= w.gap_mi <= w.end_mi):
        return "No month is marked unavailable."
    return (
        f"{month_text(w.gap_mi)} simulates a case-management system migration: there is no month-end snapshot for"
        " it and its aggregate rows carry an unavailable_reason (the full extract still holds its events)."
    )


def generate_demo(out_dir: str | Path, params: Params, config: DemoConfig) -> DemoFiles:
    """Generate the synthetic demo county into ``out_dir``; the same config always gives the same bytes."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    w = _World(params, config)
    data = _Data(w)
    lists = _Lists(w, data)
    end_text = month_text(w.end_mi)
    full = root / f"annex_a_synthetic_full_{end_text}"
    full.mkdir(exist_ok=True)
    builders = {1: lists.list1, 2: lists.list2, 3: lists.list3, 4: lists.list4, 5: lists.list5, 10: lists.list10}
    builders |= {11: lists.list11, 9: lists.list9}
    builders |= {6: lambda asat: lists.list6(asat, w.w0), 7: lambda asat: lists.list7(asat, w.w0)}
    builders |= {8: lambda asat: lists.list8(asat, w.w0)}
    for number in range(1, 12):
        _write_list(full, number, builders[number](w.we))
    snapshots: list[Path] = []
    # each snapshot holds the records closed since the start of the previous snapshot's month, so that
    # load.load_demo can restate that month from it (the first snapshot: its own month, the window's first)
    previous = None
    for mi, day in zip(w.window_mis, w.month_end, strict=True):
        if mi == w.gap_mi:
            continue
        folder = root / f"annex_a_synthetic_snapshot_{month_text(mi)}"
        folder.mkdir(exist_ok=True)
        asat, since = int(day), int(_first_day(mi if previous is None else previous))
        with lists.as_recorded(asat):
            _write_list(folder, 6, lists.list6(asat, since))
            _write_list(folder, 7, lists.list7(asat, since))
            _write_list(folder, 8, lists.list8(asat, since))
            _write_list(folder, 9, lists.list9(asat))
        snapshots.append(folder)
        previous = mi
    agg = _Aggregates(w, data)
    agg.build()
    frame, _ = agg.frame(params)
    aggregates = root / "aggregates_synthetic.csv"
    frame.to_csv(aggregates, index=False, lineterminator="\n", encoding="utf-8")
    readme = _README.format(
        name=params.authority.name,
        seed=config.seed,
        end=end_text,
        months=config.months,
        first=month_text(w.first_mi),
        end_day=pd.Timestamp(w.we, unit="D").strftime(A.DATE_FORMAT),
        gap_text=_gap_text(w),
    )
    (root / "README.txt").write_text(readme, encoding="utf-8")
    return DemoFiles(root=root, full_extract=full, snapshots=snapshots, aggregates=aggregates)
