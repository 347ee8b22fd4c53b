"""Annex A from other producers: the workbooks in ../shared/data/annex_a_samples (README there) load with every list
they contain, and the demo county written as a spreadsheet gives the figures its CSV files give.

For each sample and list: the rows kept and excluded, checked against a count made without the workbench's reader
(openpyxl for the .xlsx files; for the .xls, xlrd, as stated at EXCLUDED_XLS); then what the sample yields with the
standard catalogue: which indicators are stopped and why (every other indicator that names a measure is computed),
and figures counted from the workbook independently. The samples are read where CI has them, beside the clone; a
missing file fails the tests rather than skipping them.
"""

from __future__ import annotations

import csv
import itertools
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csc_workbench.config import load_params
from csc_workbench.demo import DemoConfig, generate_demo
from csc_workbench.ingest.annex_a import AnnexA, read_annex_a
from csc_workbench.ingest.annex_a_spec import LISTS, list_by_sheet
from csc_workbench.load import default_as_at, default_first_month, measure_annex_a
from csc_workbench.measures.annex_a import MeasureRun, compute_atoms
from csc_workbench.periods import parse_month

from ..conftest import ROOT

SAMPLES = ROOT.parent / "shared" / "data" / "annex_a_samples"
LIIA = SAMPLES / "liia_tools_Annex_A.xlsx"
CLEANER_XLS = SAMPLES / "annex_a_cleaner_example-A-2005.xls"
JOURNEYS = SAMPLES / "child_event_journeys_annexa_example.xlsx"
TODAY = date(2026, 12, 1)
PARAMS = load_params(ROOT / "params")
TOP = PARAMS.authority.org_units.name


def measured(path: Path) -> tuple[AnnexA, MeasureRun]:
    """Read a sample and compute its atoms as `cscw ingest annex-a` does (as-at and first month from the data)."""
    annex = read_annex_a(path, today=TODAY)
    as_at = default_as_at(annex)
    first = default_first_month(annex, as_at)
    run = compute_atoms(
        annex.lists, PARAMS.authority, PARAMS.catalogue, as_at, first, annex.columns, annex.blank_columns
    )
    return annex, run


def kept_and_excluded(annex: AnnexA) -> dict[int, tuple[int, int]]:
    q = annex.quarantine
    excluded = q[q["action"] == "row excluded"].groupby("sheet")["row"].nunique()
    return {n: (len(frame), int(excluded.get(annex.sheets[n][1], 0))) for n, frame in annex.lists.items()}


def data_rows(path: Path) -> dict[int, list[dict[str, object]]]:
    """Per list, the non-blank rows below the header (row 1) as openpyxl reads them (formulas by their cached
    values), keyed by header as written."""
    book = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h).strip() for h in rows[0]]
        body = [r for r in rows[1:] if any(v is not None and str(v).strip() for v in r)]
        out[list_by_sheet(sheet.title).number] = [dict(zip(header, r, strict=True)) for r in body]
    return out


def in_month(value: object, month: str) -> bool:
    return isinstance(value, datetime) and value.strftime("%Y-%m") == month


def open_at_end(start: object, end: object, month: str) -> bool:
    last = pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)
    return isinstance(start, datetime) and start <= last and (not isinstance(end, datetime) or end > last)


def atom(run: MeasureRun, indicator: str, month: str, cohort: str = "all") -> tuple[float, float | None]:
    a = run.atoms
    row = a[(a["indicator"] == indicator) & (a["period"] == parse_month(month)) & (a["org_unit"] == TOP)]
    row = row[row["cohort"] == cohort]
    assert len(row) == 1, (indicator, month, len(row))
    den = row.iloc[0]["denominator"]
    return row.iloc[0]["numerator"], None if pd.isna(den) else den


def measured_indicators() -> list[str]:
    return [i.id for i in PARAMS.catalogue.indicators if i.measure is not None]


# --- liia-tools: all 11 lists, messy values, List 9 of the 2019 template ----------------------------------------

LIIA_UASC = (
    "needs the 'Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)' column of List 9"
)
LIIA_STOPPED = {
    "care_leavers_open (excl_uasc)": LIIA_UASC,
    "care_leavers_in_touch (excl_uasc)": LIIA_UASC,
    "care_leavers_suitable_accommodation (excl_uasc)": LIIA_UASC,
    "care_leavers_eet (excl_uasc)": LIIA_UASC,
    "care_leavers_pathway_plan": "needs the 'Latest Pathway Plan Review Date' column of List 9",
}


def test_liia_every_list_loads_with_every_row() -> None:
    annex, _ = measured(LIIA)
    counts = {n: len(rows) for n, rows in data_rows(LIIA).items()}
    assert counts == {1: 5, 2: 5, 3: 6, 4: 5, 5: 5, 6: 5, 7: 7, 8: 5, 9: 6, 10: 5, 11: 5}
    assert kept_and_excluded(annex) == {n: (count, 0) for n, count in counts.items()}
    assert annex.missing_lists == [] and annex.unusable == {}
    ignored = annex.quarantine.groupby(["sheet", "column", "reason"]).size().to_dict()
    assert ignored == {
        ("List 4", "Was the child assessed as requiring LA children's social care support?", "unknown code"): 5,
        ("List 6", "Primary Need Code", "unknown code"): 1,  # "PSRMEM - Support with memory and cognition"
        ("List 8", "Ethnicity", "blank Ethnicity"): 1,
        ("List 8", "Placement Location", "blank Placement Location"): 5,
    }


def test_liia_list_9_lacks_four_columns_and_only_what_needs_them_stops(tmp_path: Path) -> None:
    annex, run = measured(LIIA)
    absent = {LISTS[9].column(key).header for key in set(LISTS[9].keys) - annex.columns[9]}
    assert absent == {
        "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
        "Allocated Personal Advisor",
        "Latest Pathway Plan Review Date",
        "Latest Date of Contact",
    }
    assert all(annex.columns[n] == frozenset(LISTS[n].keys) for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11))
    assert run.skipped == LIIA_STOPPED
    assert run.computed == [i for i in measured_indicators() if i != "care_leavers_pathway_plan"]
    _, _, report = measure_annex_a(LIIA, PARAMS, quarantine_dir=tmp_path, today=TODAY)
    assert "List 9: no 'Allocated Personal Advisor' column" in report.lines
    assert "List 9: no 'Latest Date of Contact' column" in report.lines
    assert (
        "List 9: no 'Latest Pathway Plan Review Date' column; not computed: care_leavers_pathway_plan" in report.lines
    )


def test_liia_figures_match_an_independent_count() -> None:
    _, run = measured(LIIA)
    rows = data_rows(LIIA)
    month = "2020-09"
    assert atom(run, "contacts", month) == (sum(in_month(r["Date of Contact"], month) for r in rows[1]), None)
    assert atom(run, "referrals", month) == (sum(in_month(r["Date of Referral"], month) for r in rows[3]), None)
    s47 = "Strategy discussion initiating Section 47 Enquiry Start Date"
    assert atom(run, "s47_started", month) == (sum(in_month(r[s47], month) for r in rows[5]), None)
    icpc = sum(in_month(r["Date of Initial Child Protection Conference"], "2020-10") for r in rows[5])
    assert atom(run, "icpc_held", "2020-10") == (icpc, None) == (3, None)
    for month in ("2020-09", "2021-01", "2021-03"):
        plans = sum(
            open_at_end(r["Child Protection Plan Start Date"], r["Child Protection Plan End Date"], month)
            for r in rows[7]
        )
        assert atom(run, "cp_plans_open", month) == (plans, None)
        in_care = sum(
            open_at_end(r["Date Started to be Looked After"], r["Date Ceased to be Looked After"], month)
            for r in rows[8]
        )
        assert atom(run, "cic_open", month) == (in_care, None)
    # status measures at the as-at date, 31/03/2021 (the end of the month of the latest event)
    in_touch = sum(r["LA in Touch"] == "a) Yes" for r in rows[9])
    assert atom(run, "care_leavers_in_touch", "2021-03") == (in_touch, len(rows[9])) == (6, 6)
    assert atom(run, "unallocated_cases", "2021-03") == (5, None)  # every List 6 worker is #N/A


def test_liia_messy_values_are_read_as_meant() -> None:
    """ "Female" beside "b) Female", fractional ages, #N/A teams, non-breaking spaces in names, formula dates, coded
    values written "e) PR4 - Private provision", a header with a trailing space ("Date of Adoption Order ")."""
    annex, _ = measured(LIIA)
    rows = data_rows(LIIA)
    contacts = annex.lists[1]
    assert contacts["gender"].tolist()[:2] == ["b) Female", "b) Female"]
    assert contacts["age"].tolist() == [int(r["Age"]) for r in rows[1]] == [6, 8, 11, 14, 15]
    assert annex.lists[6]["allocated_team"].isna().all()
    assert annex.lists[3]["allocated_worker"].iloc[0] == "Dustin Hazlett"
    assert rows[3][0]["Allocated Worker"] == "Dustin\u00a0Hazlett"
    assert annex.lists[4]["child_seen"].eq("a) Yes").all()
    assert set(annex.lists[8]["placement_provider"]) == {
        "e) PR4: Private provision",
        "b) PR1: Own provision",
        "f) PR5: Voluntary/third sector",
    }
    adoption = annex.lists[10]
    for key, header in (("adoption_decision_date", "Date of Decision that Child Should be Placed for Adoption"),
                        ("adoption_order_date", "Date of Adoption Order")):  # fmt: skip
        assert adoption[key].tolist() == [pd.Timestamp(r[header]) for r in rows[10]]  # formula cells (=H2+5)


# --- the Annex A cleaner's 2019 template, legacy .xls ------------------------------------------------------------

EXCLUDED_XLS = {1: (1, 0), 2: (11, 1), **{n: (0, 0) for n in range(3, 12)}}
"""Rows kept and excluded per list of annex_a_cleaner_example-A-2005.xls. Counted with xlrd 2.0.2 (installed with pip
into a scratch folder outside the project, so not a dependency): every List_N sheet has the title "List N: ..." on
row 1 and the header on row 2; List_1 has one data row (child 1001, contacted 01/01/2010, source "POLICE"); List_2
has twelve (children 1005 to 1015, 1009 twice, rows 7 and 8 identical in every cell); Lists 3 to 11 have none."""


def test_cleaner_xls_loads_every_list_after_its_guidance_sheets() -> None:
    annex, run = measured(CLEANER_XLS)
    assert kept_and_excluded(annex) == EXCLUDED_XLS
    assert annex.missing_lists == [] and annex.unusable == {}
    assert {n: sheet for n, (_, sheet) in annex.sheets.items()} == {n: f"List_{n}" for n in range(1, 12)}
    later = {"uasc", "personal_advisor", "pathway_plan_date", "latest_contact_date"}  # List 9 columns added after 2019
    assert annex.columns == {n: frozenset(LISTS[n].keys) - (later if n == 9 else set()) for n in range(1, 12)}
    assert any("'Front_Sheet', 'FAQ_and_changes', 'Guidance', 'Codes_used'" in note for note in annex.notes)
    assert annex.quarantine[["sheet", "row", "reason"]].values.tolist() == [["List_2", 8, "duplicate of row 7"]]
    contact = annex.lists[1].iloc[0]
    assert (contact["child_id"], contact["contact_date"], contact["contact_source"]) == (
        "1001",
        pd.Timestamp(2010, 1, 1),
        "q) 6: Police",
    )
    assert annex.lists[2]["eha_start_date"].min() == pd.Timestamp(2010, 1, 1)  # text "2010-01-01" in the sheet
    # Lists 3 to 10 have no rows: only the contacts count is computed, for January 2010; the others are not
    # available (never 0), as nobody said that those lists truly had no records.
    assert run.computed == ["contacts"]
    assert atom(run, "contacts", "2010-01") == (1, None)
    assert run.skipped == {} and set(run.unavailable) == set(measured_indicators()) - {"contacts"}
    assert run.unavailable["referrals"] == "List 3 (Referrals) has no rows"
    assert run.unavailable["referrals_to_assessment"] == (
        "List 3 (Referrals) has no rows; List 4 (Assessments) has no rows"
    )
    assert run.unavailable["adoptions"] == "List 10 (Adoption) has no rows"
    assert all(why.endswith("has no rows") for why in run.unavailable.values())


# --- child event journeys: IDs and event dates only; lists 9 to 11 empty ----------------------------------------


def blank(header: str, number: int) -> str:
    return f"needs the '{header}' column of List {number}, which is blank on every row"


UASC_8 = blank("Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)", 8)
MISSING_8 = blank("Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months", 8)
JOURNEYS_STOPPED = {
    "referrals_nfa": blank("Referral NFA?", 3),
    "assessments_child_seen": blank("Child Seen During Continuous Assessment", 4),
    "cin_seen_28d": blank("Date Child Was Last Seen", 6),
    "cp_second_subsequent": blank("Number of Previous Child Protection Plans", 7),
    "cp_reviews_timely": blank("Date of latest review conference", 7),
    "cp_visits_timely": blank("Date of the Last Statutory Visit", 7),
    "cic_open (excl_uasc)": UASC_8,
    "cic_uasc_open": UASC_8,
    "cic_rate_per_10k (excl_uasc)": UASC_8,
    "cic_started (excl_uasc)": UASC_8,
    "cic_ceased (excl_uasc)": UASC_8,
    "cic_ceased_permanence (excl_uasc)": UASC_8,
    "cic_reviews_timely": blank("Date of Latest Statutory Review", 8),
    "cic_visits_timely": blank("Date of Last Social Work Visit", 8),
    "cic_health_timely": f"{blank('Date of Last Health Assessment', 8)}; {blank('Date of Birth', 8)}",
    "cic_dental_timely": blank("Date of Last Dental Check", 8),
    "cic_3plus_placements": blank("Number of Placements in the Last 12 months", 8),
    "cic_same_placement_2y": f"{blank('Date of Birth', 8)}; {blank('Start Date of Most Recent Placement', 8)}",
    "cic_inhouse_foster": f"{blank('Placement Type', 8)}; {blank('Placement Provider', 8)}",
    "cic_missing": MISSING_8,
    "cic_missing_episodes": MISSING_8,
    "return_interviews_offered": MISSING_8,
    "cic_ceased_adopted (excl_uasc)": UASC_8,
    "adoption_ceased_share (excl_uasc)": UASC_8,
}  # fmt: skip
JOURNEYS_NOT_AVAILABLE = {
    **dict.fromkeys(
        ["care_leavers_open", "care_leavers_in_touch", "care_leavers_suitable_accommodation", "care_leavers_eet",
         "care_leavers_pathway_plan"],
        "List 9 (Care leavers) has no rows",
    ),
    **dict.fromkeys(
        ["adoptions", "adoption_plan_4m", "adoption_a1_days", "adoption_a2_days", "adoption_12m_of_decision"],
        "List 10 (Adoption) has no rows",
    ),
}  # fmt: skip


def test_journeys_every_list_loads_and_blank_columns_stop_what_needs_them(tmp_path: Path) -> None:
    annex, run = measured(JOURNEYS)
    rows = data_rows(JOURNEYS)
    counts = {n: len(r) for n, r in rows.items()}
    assert counts == {1: 13, 2: 2, 3: 11, 4: 5, 5: 4, 6: 2, 7: 3, 8: 3, 9: 0, 10: 0, 11: 0}
    s47 = "Strategy discussion initiating Section 47 Enquiry Start Date"
    no_s47_date = sum(r[s47] is None for r in rows[5])  # child 2547: a conference date but no enquiry date
    assert no_s47_date == 1
    expected = {
        n: (count - (no_s47_date if n == 5 else 0), no_s47_date if n == 5 else 0) for n, count in counts.items()
    }
    assert kept_and_excluded(annex) == expected
    assert run.skipped == JOURNEYS_STOPPED and run.unavailable == JOURNEYS_NOT_AVAILABLE
    # cic_ceased_adopted is measured on excl_uasc alone (its catalogue cohort): stopped whole with that cohort
    stopped_whole = {what for what in JOURNEYS_STOPPED if " (" not in what} | {"cic_ceased_adopted"}
    assert run.computed == [i for i in measured_indicators() if i not in {*stopped_whole, *JOURNEYS_NOT_AVAILABLE}]
    _, _, report = measure_annex_a(JOURNEYS, PARAMS, quarantine_dir=tmp_path, today=TODAY)
    assert "List 3: 'Referral NFA?' is blank on every row; not computed: referrals_nfa" in report.lines
    assert report.lines[0].startswith("NOT AVAILABLE for 2020-05: 10 indicator(s) stored with the reason")
    assert (
        "  List 10 (Adoption) has no rows (if it truly had none, load with --empty-is-zero 10 to count 0): adoptions, "
        "adoption_plan_4m, adoption_a1_days, adoption_a2_days, adoption_12m_of_decision" in report.lines
    )
    assert (  # feeds no indicator: said among what stopped
        "List 11 (Adopters) has no rows (if it truly had none, load with --empty-is-zero 11 to count 0)" in report.lines
    )


def test_journeys_figures_match_an_independent_count() -> None:
    _, run = measured(JOURNEYS)
    rows = data_rows(JOURNEYS)
    for month in ("2019-01", "2019-02", "2019-04"):
        assert atom(run, "contacts", month) == (sum(in_month(r["Date of Contact"], month) for r in rows[1]), None)
    for month in ("2019-02", "2019-03", "2019-04", "2019-05"):
        assert atom(run, "referrals", month) == (sum(in_month(r["Date of referral"], month) for r in rows[3]), None)
    for month in ("2019-09", "2019-11", "2020-03", "2020-05"):
        in_care = sum(
            open_at_end(r["Date Started to be Looked After"], r["Date Ceased to be Looked After"], month)
            for r in rows[8]
        )
        assert atom(run, "cic_open", month) == (in_care, None)
        plans = sum(
            open_at_end(r["Child Protection Plan Start Date"], r["Child Protection Plan End Date"], month)
            for r in rows[7]
        )
        assert atom(run, "cp_plans_open", month) == (plans, None)
    # child 3333, referred on 08/03/2019 and again on 22/03/2019: one re-referral of five in March
    assert atom(run, "rereferrals_12m", "2019-03") == (1, 5)


# --- the demo county as a spreadsheet ----------------------------------------------------------------------------

ROWS_PER_LIST = 150


def typed(frame: pd.DataFrame, number: int) -> pd.DataFrame:
    """A list's text cells as a spreadsheet holds them: dates as dates, counts as numbers, blank cells empty."""
    out = frame.replace("", None)
    for column in LISTS[number].columns:
        if column.header not in out:
            continue
        if column.kind == "date":
            out[column.header] = pd.to_datetime(out[column.header], format="%d/%m/%Y")
        elif column.kind in ("integer", "years"):
            out[column.header] = pd.to_numeric(out[column.header]).astype("Int64")
    return out


@pytest.fixture(scope="module")
def demo_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the first rows of every list of the demo's full extract, as CSV files."""
    root = tmp_path_factory.mktemp("demo")
    files = generate_demo(root / "demo", PARAMS, DemoConfig(end_month="2025-06", months=6))
    folder = root / "csv"
    folder.mkdir()
    for number in range(1, 12):
        with open(files.full_extract / f"List {number}.csv", encoding="utf-8") as handle:
            head = list(itertools.islice(csv.reader(handle), ROWS_PER_LIST + 1))
        with open(folder / f"List {number}.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(head)
    return folder


@pytest.mark.parametrize(("suffix", "engine"), [(".ods", "odf"), (".xlsx", "openpyxl")])
def test_the_demo_as_a_spreadsheet_gives_the_figures_of_its_csv(
    tmp_path: Path, demo_head: Path, suffix: str, engine: str
) -> None:
    """The first rows of every list of the demo's full extract, as CSV files and as one spreadsheet with typed cells
    (dates, numbers), a guidance sheet first: the same lists and the same atoms."""
    workbook = tmp_path / f"extract{suffix}"
    with pd.ExcelWriter(workbook, engine=engine) as writer:
        pd.DataFrame({"Guidance": ["SYNTHETIC demo county"]}).to_excel(writer, sheet_name="Guidance", index=False)
        for number in range(1, 12):
            frame = pd.read_csv(demo_head / f"List {number}.csv", dtype=str, keep_default_na=False)
            typed(frame, number).to_excel(writer, sheet_name=f"List {number}", index=False)
    options = {"as_at": "2025-06-30", "today": date(2025, 7, 1)}
    from_csv = measure_annex_a(demo_head, PARAMS, quarantine_dir=tmp_path / "q", **options)
    from_sheet = measure_annex_a(workbook, PARAMS, quarantine_dir=tmp_path / "q", **options)
    keys = ["indicator", "cohort", "period", "org_unit"]
    atoms = [result[0].sort_values(keys).reset_index(drop=True) for result in (from_csv, from_sheet)]
    assert len(atoms[0]) > 5_000
    pd.testing.assert_frame_equal(atoms[0], atoms[1])
    csv_lists, sheet_lists = (
        read_annex_a(demo_head, today=date(2025, 7, 1)),
        read_annex_a(workbook, today=date(2025, 7, 1)),
    )
    assert sorted(sheet_lists.lists) == list(range(1, 12))
    for number, frame in csv_lists.lists.items():
        assert len(frame) == ROWS_PER_LIST
        pd.testing.assert_frame_equal(frame, sheet_lists.lists[number], obj=f"List {number}")
