"""The synthetic demo county (csc_workbench.demo): layout, determinism, volumes, codes and dates."""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from csc_workbench.config import Params, load_params
from csc_workbench.demo import (
    REFERENCE_POPULATION,
    DemoConfig,
    DemoFiles,
    generate_demo,
    resolve_gap_month,
    volume_scale,
)
from csc_workbench.demo.region import org_structure
from csc_workbench.ingest.aggregates import read_aggregates
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.periods import month_text, parse_month

ROOT = Path(__file__).resolve().parents[2]
END = "2025-06"
MONTHS = 14  # 2024-05 .. 2025-06
GAP = "2025-02"
CONFIG = DemoConfig(end_month=END, months=MONTHS, gap_month=GAP)
WINDOW = [month_text(parse_month(END) - MONTHS + 1 + i) for i in range(MONTHS)]
DATE_TEXT = re.compile(r"^\d{2}/\d{2}/\d{4}$")


def month_end(month: str) -> pd.Timestamp:
    return pd.Period(month, "M").to_timestamp(how="end").normalize()


def read_list(folder: Path, number: int) -> pd.DataFrame:
    """A list as text, with our column keys."""
    frame = pd.read_csv(folder / f"List {number}.csv", dtype=str, keep_default_na=False)
    frame.columns = list(LISTS[number].keys)
    return frame


def dates(frame: pd.DataFrame, key: str) -> pd.Series:
    return pd.to_datetime(frame[key].replace("", None), format="%d/%m/%Y")


def open_at(frame: pd.DataFrame, start: str, end: str, day: pd.Timestamp) -> pd.DataFrame:
    s, e = dates(frame, start), dates(frame, end)
    return frame[(s <= day) & (e.isna() | (e > day))]


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(ROOT / "params")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, params: Params) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo"), params, CONFIG)


@pytest.fixture(scope="module")
def full(demo: DemoFiles) -> dict[int, pd.DataFrame]:
    return {n: read_list(demo.full_extract, n) for n in LISTS}


@pytest.fixture(scope="module")
def snaps(demo: DemoFiles) -> dict[str, dict[int, pd.DataFrame]]:
    return {folder.name[-7:]: {n: read_list(folder, n) for n in (6, 7, 8, 9)} for folder in demo.snapshots}


def test_layout_and_headers_follow_the_spec(demo: DemoFiles) -> None:
    assert demo.full_extract == demo.root / f"annex_a_synthetic_full_{END}"
    assert sorted(p.name for p in demo.full_extract.iterdir()) == sorted(f"List {n}.csv" for n in range(1, 12))
    assert [p.name for p in demo.snapshots] == [f"annex_a_synthetic_snapshot_{m}" for m in WINDOW if m != GAP]
    for folder in demo.snapshots:
        assert sorted(p.name for p in folder.iterdir()) == [f"List {n}.csv" for n in (6, 7, 8, 9)]
    for folder, numbers in [(demo.full_extract, range(1, 12)), (demo.snapshots[0], (6, 7, 8, 9))]:
        for n in numbers:
            with open(folder / f"List {n}.csv", encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            assert header == [c.header for c in LISTS[n].columns], f"List {n}"
    assert demo.aggregates == demo.root / "aggregates_synthetic.csv"
    assert demo.aggregates.read_text(encoding="utf-8").splitlines()[0] == (
        "indicator,period,org_unit,cohort,window,numerator,denominator,value,unavailable_reason"
    )


def test_readme_says_synthetic(demo: DemoFiles) -> None:
    text = (demo.root / "README.txt").read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" in text
    assert "fictional" in text and "csc_workbench" in text
    assert str(CONFIG.seed) in text and END in text
    assert "they miss a few late-recorded events" in text


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path, params: Params, demo: DemoFiles) -> None:
    again = generate_demo(tmp_path / "again", params, CONFIG)
    files = sorted(p.relative_to(demo.root) for p in demo.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.root) for p in again.root.rglob("*") if p.is_file())
    for rel in files:
        assert (demo.root / rel).read_bytes() == (again.root / rel).read_bytes(), rel
    other = generate_demo(tmp_path / "other", params, DemoConfig(end_month=END, months=MONTHS, seed=7, gap_month=GAP))
    referrals = Path(demo.full_extract.name) / "List 3.csv"
    assert (demo.root / referrals).read_bytes() != (other.root / referrals).read_bytes()


def test_gap_month_defaults_to_the_authoritys_first_data_gap(params: Params) -> None:
    gaps = [g.month for g in params.authority.data_gaps]
    assert resolve_gap_month(params, DemoConfig(end_month=END)) == (gaps[0] if gaps else None)
    assert resolve_gap_month(params, DemoConfig(end_month=END, gap_month="2024-09")) == "2024-09"
    assert resolve_gap_month(params, DemoConfig(end_month=END, gap_month="")) is None


def test_large_county_volumes(full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]) -> None:
    referrals = dates(full[3], "referral_date").dt.strftime("%Y-%m").value_counts()
    contacts = dates(full[1], "contact_date").dt.strftime("%Y-%m").value_counts()
    assert sorted(referrals.index) == WINDOW
    for month in WINDOW:
        assert 900 <= referrals[month] <= 1800, (month, referrals[month])
        assert 2500 <= contacts[month] <= 5200, (month, contacts[month])
    assert referrals["2024-08"] < referrals[["2024-09", "2024-10", "2024-11"]].min()  # quieter August
    for month, lists in snaps.items():
        day = month_end(month)
        cic = open_at(lists[8], "cic_start_date", "cic_end_date", day)
        assert 1500 <= len(cic) <= 2500, (month, len(cic))
        assert 0.12 <= (cic["uasc"] == "a) Yes").mean() <= 0.32, month
        assert 900 <= len(open_at(lists[7], "cpp_start_date", "cpp_end_date", day)) <= 1600, month
        assert 8500 <= len(open_at(lists[6], "cin_start_date", "cin_closure_date", day)) <= 12500, month
        assert 1000 <= len(lists[9]) <= 2000, month
    ages = full[8]["age"].astype(int)[dates(full[8], "cic_end_date").isna()]
    assert ages.between(0, 17).all()
    rereferred = (full[3]["referrals_last_12m"].astype(int) > 0).mean()
    assert 0.15 <= rereferred <= 0.30


def test_teams_are_org_units(
    params: Params, full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> None:
    units = set(params.authority.org_unit_names)
    frames = [full[n] for n in range(3, 10)] + [lists[n] for lists in snaps.values() for n in lists]
    for frame in frames:
        teams = set(frame["allocated_team"])
        assert teams <= units, teams - units
    teams_6 = set(full[6]["allocated_team"])
    assert {"Disability Service", "UASC Service", "North CIC"} <= teams_6
    assert set(full[9]["allocated_team"]) == {"Care Leaver Service"}


def test_child_ids_are_synthetic_and_consistent(full: dict[int, pd.DataFrame]) -> None:
    pattern = re.compile(r"^SYN\d{7}$")
    people = []
    for n in range(1, 11):
        ids = full[n]["child_id"]
        assert ids.map(lambda x: bool(pattern.match(x))).all(), f"List {n}"
        people.append(full[n][["child_id", "date_of_birth"]])
    births = pd.concat(people).drop_duplicates()
    assert births["child_id"].is_unique  # one date of birth per child across every list
    assert full[11]["adopter_id"].str.startswith("SYNA").all()
    for n, keys in ((3, ["child_id", "referral_date"]), (8, ["child_id", "cic_start_date"]), (9, ["child_id"])):
        assert not full[n].duplicated(keys).any(), f"List {n}"


def test_unallocated_cases_are_a_handful(snaps: dict[str, dict[int, pd.DataFrame]]) -> None:
    counts = []
    for month, lists in snaps.items():
        cin = open_at(lists[6], "cin_start_date", "cin_closure_date", month_end(month))
        counts.append(int((cin["allocated_worker"] == "").sum()))
        assert (lists[6]["allocated_worker"] != "").mean() > 0.99
    assert max(counts) > 0


def _all_frames(
    full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> list[tuple[str, int, pd.DataFrame, pd.Timestamp]]:
    out = [("full", n, frame, month_end(END)) for n, frame in full.items()]
    out += [(month, n, frame, month_end(month)) for month, lists in snaps.items() for n, frame in lists.items()]
    return out


def test_dates_are_dd_mm_yyyy_and_never_after_the_as_at_date(
    full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> None:
    for label, n, frame, asat in _all_frames(full, snaps):
        for col in LISTS[n].columns:
            if col.kind != "date":
                continue
            text = frame[col.key][frame[col.key] != ""]
            assert text.map(lambda x: bool(DATE_TEXT.match(x))).all(), (label, n, col.key)
            parsed = pd.to_datetime(text, format="%d/%m/%Y")
            assert parsed.max() <= asat if len(parsed) else True, (label, n, col.key)


def test_codes_are_the_templates(full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]) -> None:
    for label, n, frame, _ in _all_frames(full, snaps):
        for col in LISTS[n].columns:
            if col.kind == "category":
                used = set(frame[col.key]) - {""}
                assert used <= set(col.codes), (label, n, col.key, used - set(col.codes))
            if col.required and col.kind in ("id", "date", "integer") and n <= 9:
                assert (frame[col.key] != "").all(), (label, n, col.key)


def test_end_dates_never_precede_start_dates(full: dict[int, pd.DataFrame]) -> None:
    pairs = {
        2: [("eha_start_date", "eha_completion_date")],
        4: [("assessment_start_date", "assessment_authorised_date")],
        5: [("s47_start_date", "icpc_date")],
        6: [("cin_start_date", "cin_closure_date"), ("date_of_birth", "cin_start_date")],
        7: [("cpp_start_date", "cpp_end_date"), ("cpp_start_date", "latest_review_date")],
        8: [
            ("cic_start_date", "cic_end_date"),
            ("cic_start_date", "placement_start_date"),
            ("cic_start_date", "legal_status_start_date"),
        ],
        10: [
            ("cic_entered_care_date", "adoption_decision_date"),
            ("adoption_decision_date", "placement_order_date"),
            ("placement_order_date", "matched_date"),
            ("matched_date", "placed_for_adoption_date"),
            ("placed_for_adoption_date", "adoption_order_date"),
        ],
        11: [("enquiry_date", "approval_date"), ("approval_date", "matched_date")],
    }
    for n, checks in pairs.items():
        for start, end in checks:
            s, e = dates(full[n], start), dates(full[n], end)
            both = s.notna() & e.notna()
            assert both.any(), (n, start, end)
            assert (e[both] >= s[both]).all(), (n, start, end)
    closed = full[6][full[6]["cin_closure_date"] != ""]
    assert (closed["cin_closure_reason"] != "").all()
    assert (closed["case_status"] == "e) Closed episode").all()


def test_snapshots_agree_with_the_full_extract_but_for_late_recording(
    full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> None:
    month = WINDOW[2]
    day = month_end(month)
    keys = ["child_id", "cic_start_date", "allocated_team", "date_of_birth"]
    from_full = set(map(tuple, open_at(full[8], "cic_start_date", "cic_end_date", day)[keys].to_numpy()))
    from_snap = set(map(tuple, open_at(snaps[month][8], "cic_start_date", "cic_end_date", day)[keys].to_numpy()))
    assert len(from_full) > 1000
    assert len(from_full ^ from_snap) < 0.01 * len(from_full)  # but a few starts and ends recorded after the day
    # status fields are as at the snapshot date: nobody seen after it, visits move on by the end
    seen = dates(snaps[month][6], "date_last_seen")
    assert seen.max() <= day
    later = dates(full[8], "last_visit_date").max()
    assert later > day


#: The start and end of each record of lists 6-8.
SPANS = {
    6: ("cin_start_date", "cin_closure_date"),
    7: ("cpp_start_date", "cpp_end_date"),
    8: ("cic_start_date", "cic_end_date"),
}


def records(frame: pd.DataFrame, start: str) -> pd.Series:
    """Each row's record: its child and start date."""
    return frame["child_id"] + " " + frame[start]


def test_snapshots_miss_a_few_events_of_the_months_last_days(
    full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> None:
    """Starts and ends entered after the month end: the month's snapshot lacks the record or shows it open;
    the next snapshot and the full extract have them."""
    counts = {"starts": 0, "late starts": 0, "ends": 0, "late ends": 0}
    for month, following in itertools.pairwise(snaps):
        day = month_end(month)
        first, last_days = day - pd.offsets.MonthBegin(1), day - pd.Timedelta(days=10)
        for n, (start, end) in SPANS.items():
            truth, snapshot = full[n], snaps[month][n]
            began, ended = dates(truth, start), dates(truth, end)
            started = truth[(began >= first) & (began <= day)]
            late = started[~records(started, start).isin(records(snapshot, start))]
            assert (dates(late, start) > last_days).all(), (month, n)
            open_later = late[dates(late, end).isna() | (dates(late, end) > month_end(following))]
            assert records(open_later, start).isin(records(snaps[following][n], start)).all(), (month, n)
            closed = truth[(ended >= first) & (ended <= day)]
            shown_open = records(closed, start).isin(records(snapshot[snapshot[end] == ""], start))
            assert (dates(closed[shown_open], end) > last_days).all(), (month, n)
            counts["starts"] += len(started)
            counts["late starts"] += len(late)
            counts["ends"] += len(closed)
            counts["late ends"] += int(shown_open.sum())
    assert 0.01 <= counts["late starts"] / counts["starts"] <= 0.04, counts
    assert 0.01 <= counts["late ends"] / counts["ends"] <= 0.04, counts


def test_each_snapshot_holds_every_record_of_the_previous_snapshots_month(
    full: dict[int, pd.DataFrame], snaps: dict[str, dict[int, pd.DataFrame]]
) -> None:
    """So the loader can restate that month from it: every record open at some point in it (its late-recorded
    starts and ends now in), and none closed before it; the first snapshot holds none closed before its own month."""
    for month, following in itertools.pairwise(snaps):
        first = month_end(month) - pd.offsets.MonthBegin(1)
        for n, (start, end) in SPANS.items():
            truth, snapshot = full[n], snaps[following][n]
            began, ended = dates(truth, start), dates(truth, end)
            in_month = truth[(began <= month_end(month)) & (ended.isna() | (ended >= first))]
            assert records(in_month, start).isin(records(snapshot, start)).all(), (following, n)
            assert (dates(snapshot, end).dropna() >= first).all(), (following, n)
    assert "2025-01" in snaps and "2025-03" in snaps and GAP not in snaps  # after the gap: from the month before it
    first_month = next(iter(snaps))
    for n, (_, end) in SPANS.items():
        assert (dates(snaps[first_month][n], end).dropna() >= month_end(first_month) - pd.offsets.MonthBegin(1)).all()


def test_aggregates_load_and_mark_the_gap(demo: DemoFiles, params: Params) -> None:
    atoms = read_aggregates(demo.aggregates, params, today=date(2099, 1, 1))
    agg = pd.read_csv(demo.aggregates, dtype=str, keep_default_na=False)
    wanted = {i.id for i in params.catalogue.indicators if i.data_notes.source == "Aggregate return"}
    assert set(agg["indicator"]) == wanted
    assert set(atoms["indicator"]) == wanted
    gap = agg[agg["period"] == GAP]
    assert len(gap) > 0
    assert (gap["unavailable_reason"] != "").all()
    assert (gap[["numerator", "denominator", "value"]] == "").all().all()
    rest = agg[agg["period"] != GAP]
    assert (rest["unavailable_reason"] == "").all()
    assert ((rest["value"] != "") | (rest["numerator"] != "")).all()
    assert sorted(agg["period"].unique()) == WINDOW
    # an area is the sum of its teams
    month = rest[(rest["indicator"] == "caseload_cswt") & (rest["period"] == WINDOW[0])]
    area = month[month["org_unit"] == "North Northmoor"]
    teams = month[month["org_unit"].isin(["Brackenholt CSWT", "Fellwick CSWT", "Mossbeck CSWT"])]
    assert float(area["numerator"].iloc[0]) == pytest.approx(teams["numerator"].astype(float).sum())
    assert float(area["denominator"].iloc[0]) == pytest.approx(teams["denominator"].astype(float).sum(), abs=0.05)


#: The digest of the demo files for CONFIG, recorded before the demo's volumes followed the authority's population:
#: Northmoor is the reference size (scale 1), so not a byte of it may move. A deliberate change to the demo's output
#: records the new digest here (and says why in its commit).
NORTHMOOR_DIGEST = "a4b1c0f395ef89b091959d3eed275f37106dca24770b16db8f956f00c68a3d73"


def folder_digest(root: Path) -> str:
    """SHA-256 over every file's path (relative to ``root``) and bytes, in path order."""
    total = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        total.update(str(path.relative_to(root)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def test_northmoor_is_byte_for_byte_what_it_was(params: Params, demo: DemoFiles) -> None:
    assert params.authority.org_units.population == REFERENCE_POPULATION
    assert volume_scale(params, CONFIG) == 1.0
    assert folder_digest(demo.root) == NORTHMOOR_DIGEST


@pytest.fixture(scope="module")
def small_council(tmp_path_factory: pytest.TempPathFactory) -> Params:
    """A fictional council of 10,000 children (one area, one district team, a CIC team and three services)."""
    folder = tmp_path_factory.mktemp("small") / "params"
    folder.mkdir()
    org = org_structure("Testholme", 10_000, ["Testbeck"], np.random.default_rng(1))
    authority = {"name": "Testholme (SYNTHETIC DEMO)", "short_name": "Testholme (synthetic)", "synthetic": True}
    (folder / "authority.yml").write_text(yaml.safe_dump(authority | {"org_units": org}), encoding="utf-8")
    shutil.copyfile(ROOT / "params" / "catalogue.yml", folder / "catalogue.yml")
    return load_params(folder)


def test_volumes_follow_the_population_and_rates_do_not(
    tmp_path: Path, small_council: Params, full: dict[int, pd.DataFrame]
) -> None:
    """10,000 children: about 10/330 of Northmoor's rows, every list and team with some, re-referrals as common."""
    small = generate_demo(tmp_path / "small", small_council, CONFIG)
    lists = {n: read_list(small.full_extract, n) for n in LISTS}
    assert all(len(frame) for frame in lists.values()), {n: len(frame) for n, frame in lists.items()}
    teams = set(small_council.authority.at_level("team"))
    assert set().union(*(set(lists[n]["allocated_team"]) for n in range(3, 10))) == teams
    scale = 10_000 / REFERENCE_POPULATION
    for n in (1, 3, 6, 7, 8):
        assert 0.75 * scale <= len(lists[n]) / len(full[n]) <= 1.25 * scale, (n, len(lists[n]), len(full[n]))
    rereferred = (lists[3]["referrals_last_12m"].astype(int) > 0).mean()
    assert rereferred == pytest.approx((full[3]["referrals_last_12m"].astype(int) > 0).mean(), abs=0.05)
    aggregates = pd.read_csv(small.aggregates, dtype=str, keep_default_na=False)
    assert set(aggregates["org_unit"]) <= set(small_council.authority.org_unit_names)
