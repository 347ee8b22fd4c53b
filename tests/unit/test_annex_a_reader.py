"""Annex A reader: real-world extracts in, tidy typed frames and a quarantine out, or a clear AnnexAError."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csc_workbench.config.errors import InputError
from csc_workbench.ingest.annex_a import (
    END_BEFORE_START,
    QUARANTINE_COLUMNS,
    AnnexAError,
    read_annex_a,
    write_quarantine,
)
from csc_workbench.ingest.annex_a_spec import LISTS, ListSpec

TODAY = date(2024, 6, 30)
FIXTURE = Path(__file__).parent.parent / "fixtures" / "annex_a" / "small_extract.xlsx"

_DEFAULT = {"id": "C1", "date": "01/04/2023", "integer": "1", "years": "1", "number": "1", "text": "North Team"}


def record(spec: ListSpec, n: int = 1, **values: str) -> dict[str, str]:
    """A valid record of ``spec`` (child n), as text by column key; ``values`` override."""
    row = {}
    for col in spec.columns:
        row[col.key] = col.codes[0] if col.kind == "category" else _DEFAULT[col.kind]
    row[spec.columns[0].key] = f"C{n}"
    row.update(values)
    return row


def write_csv(
    path: Path,
    spec: ListSpec,
    records: list[dict[str, str]],
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    extra: dict[str, list[str]] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """A CSV of ``records`` with the template headers (``headers`` renames, ``drop`` leaves out, ``extra`` adds)."""
    keys = [c.key for c in spec.columns if c.key not in drop]
    names = [(headers or {}).get(k, spec.column(k).header) for k in keys]
    extra = extra or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(names + list(extra))
        for i, rec in enumerate(records):
            writer.writerow([rec.get(k, "") for k in keys] + [values[i] for values in extra.values()])
    return path


def read_list(tmp_path: Path, spec: ListSpec, records, **options) -> tuple:
    """Write one list as a CSV in a folder, read the folder; (frame, annex)."""
    write_csv(tmp_path / "extract" / f"{spec.sheet}.csv", spec, records, **options)
    annex = read_annex_a(tmp_path / "extract", today=TODAY)
    return annex.lists[spec.number], annex


def reasons(annex, column: str | None = None) -> list[tuple[int, str, str]]:
    q = annex.quarantine
    if column is not None:
        q = q[q["column"] == column]
    return list(zip(q["row"], q["reason"], q["action"], strict=True))


L1, L3, L6, L8, L10 = LISTS[1], LISTS[3], LISTS[6], LISTS[8], LISTS[10]


# --- the committed workbook --------------------------------------------------------------------------------------


def build_fixture(path: Path) -> Path:
    """The committed small workbook: Excel date cells, numeric IDs, "Sex", odd sheet names, a header-only list."""
    book = openpyxl.Workbook()
    contacts = book.active
    contacts.title = "List 1"
    contacts.append(["Child ID", "Sex", "Ethnicity", "Date of Birth", "Age", "Date of Contact", "Contact Source"])
    contacts.append([1001.0, "Female", "a) WBRI", datetime(2015, 2, 1), 9, datetime(2024, 3, 5), "q) 6: Police"])
    contacts.append(["1002", "a) Male", "WBRI", "01/02/2016", 8.0, "06/03/2024", "Police"])
    contacts.append([None, "b) Female", "a) WBRI", None, None, datetime(2024, 3, 7), "e) 2A: Schools"])
    contacts.append([1001.0, "Female", "a) WBRI", datetime(2015, 2, 1), 9, datetime(2024, 3, 5), "q) 6: Police"])
    contacts.append([1003, "b) Female", "a) WBRI", None, None, datetime(2030, 1, 1), "q) 6: Police"])
    cin = book.create_sheet("list 6 - children in need")
    cin_header = [c.header for c in L6.columns]
    cin.append([" child unique id ", "GENDER", *cin_header[2:]])
    base = ["b) Female", "a) WBRI", datetime(2014, 1, 1), 10, "b) No"]
    team = ["c) Child in need plan", "North Team", "A Worker"]
    cin.append([2001, *base, datetime(2024, 3, 5), "N1", None, None, None, *team])
    cin.append([2002, *base, datetime(2024, 3, 5), "N1 - Abuse or neglect", None, datetime(2024, 2, 1), "RC8", *team])
    care = book.create_sheet("List_8")
    care.append([c.header for c in L8.columns])
    notes = book.create_sheet("Notes")
    notes.append(["Extract produced for the inspection"])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_committed_fixture_is_what_build_fixture_makes(tmp_path: Path) -> None:
    assert sheet_values(FIXTURE) == sheet_values(build_fixture(tmp_path / "fresh.xlsx"))


def test_workbook_excel_dates_numeric_ids_sheet_names_and_header_only_list() -> None:
    annex = read_annex_a(FIXTURE, today=TODAY)
    assert annex.source == str(FIXTURE)
    assert sorted(annex.lists) == [1, 6, 8]
    assert annex.missing_lists == [2, 3, 4, 5, 7, 9, 10, 11]

    contacts = annex.lists[1]
    assert contacts["child_id"].tolist() == ["1001", "1002"]  # 1001.0 cell -> "1001"; blank, duplicate, future gone
    assert contacts["_row"].tolist() == [2, 3]
    assert contacts["gender"].tolist() == ["b) Female", "a) Male"]
    assert contacts["ethnicity"].tolist() == ["a) WBRI", "a) WBRI"]
    assert contacts["contact_source"].tolist() == ["q) 6: Police", "q) 6: Police"]
    assert contacts["contact_date"].tolist() == [pd.Timestamp(2024, 3, 5), pd.Timestamp(2024, 3, 6)]
    assert contacts["date_of_birth"].tolist() == [pd.Timestamp(2015, 2, 1), pd.Timestamp(2016, 2, 1)]
    assert str(contacts["age"].dtype) == "Int64" and contacts["age"].tolist() == [9, 8]

    q = annex.quarantine.set_index("row")
    assert (q["file"] == str(FIXTURE)).all()
    list1 = annex.quarantine[annex.quarantine["sheet"] == "List 1"].set_index("row")
    assert list1.loc[4, "reason"] == "blank Child ID" and list1.loc[4, "column"] == "Child ID"
    assert list1.loc[5, "reason"] == "duplicate of row 2" and list1.loc[5, "value"] == "1001"
    assert list1.loc[6, "reason"] == "date in the future" and list1.loc[6, "value"] == "01/01/2030"
    assert (list1["action"] == "row excluded").all()

    cin = annex.lists[6]
    assert cin["child_id"].tolist() == ["2001"]
    assert cin["cin_primary_need"].tolist() == ["N1 - Abuse or neglect"]
    bad = annex.quarantine[annex.quarantine["sheet"] == "list 6 - children in need"]
    assert bad[["row", "column", "value", "reason", "action"]].values.tolist() == [
        [
            3,
            "CIN Closure Date",
            "01/02/2024",
            "CIN Closure Date 01/02/2024 is before CIN Start Date 05/03/2024",
            "row excluded",
        ]
    ]

    care = annex.lists[8]
    assert care.empty and list(care.columns) == [*L8.keys, "_row"]
    assert str(care["cic_start_date"].dtype).startswith("datetime64")
    assert any("List_8" in n and "header only" in n for n in annex.notes)
    assert any("'Notes'" in n and "not Annex A" in n for n in annex.notes)


def test_summary_counts_kept_excluded_and_reasons() -> None:
    text = read_annex_a(FIXTURE, today=TODAY).summary()
    assert "List 1 Contacts (List 1): 2 rows kept, 3 excluded, 0 values ignored" in text
    assert "List 6 Children in need (list 6 - children in need): 1 rows kept, 1 excluded" in text
    assert "1 x row excluded: Child ID: duplicate of an earlier row" in text
    assert "CIN Closure Date is before CIN Start Date" in text
    assert "Missing lists: 2 Early help assessments, 3 Referrals" in text


# --- headers -----------------------------------------------------------------------------------------------------


def test_header_variants_sex_and_odd_spacing_and_case(tmp_path: Path) -> None:
    headers = {
        "child_id": "  child ID ",
        "gender": "Sex",
        "ethnicity": "ETHNIC ORIGIN",
        "date_of_birth": "D.O.B",
        "age": "Age",
        "contact_date": "Contact   date (dd/mm/yyyy)",
        "contact_source": "source_of_contact",
    }
    frame, annex = read_list(tmp_path, L1, [record(L1, gender="b) Female")], headers=headers)
    assert frame["gender"].tolist() == ["b) Female"]
    assert frame["contact_date"].tolist() == [pd.Timestamp(2023, 4, 1)]
    assert frame["age"].tolist() == [1]
    assert annex.quarantine.empty
    assert not any("unknown column" in n for n in annex.notes)


@pytest.mark.parametrize(
    ("number", "key", "header"),
    [
        (1, "gender", "Sex"),  # 2026
        (4, "assessment_authorised_date", "Assessment Completion Date"),
        (4, "assessment_outcome_csc", "Was the child assessed as being in need at assessment?"),  # 2019 codes sheet
        (5, "s47_start_date", "Section 47 Enquiry Start Date"),
        (5, "icpc_unnecessary", "Initial Child Protection Conference Not Required"),
        (8, "cic_start_date", "Date Started to be in Care"),
        (8, "uasc", "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N))"),  # liia-tools
        (8, "missing_episodes",
         "Number of Episodes the Child has been ‘Missing’ from their Placement\nin the last 12 months"),
        (9, "in_touch", "LA In Touch "),  # 2019
        (10, "adoption_order_date", "Date of Adoption Order "),
    ],
)  # fmt: skip
def test_headers_of_other_template_years_and_producers(tmp_path: Path, number: int, key: str, header: str) -> None:
    spec = LISTS[number]
    frame, annex = read_list(tmp_path, spec, [record(spec)], headers={key: header})
    assert key in annex.columns[number] and frame[key].notna().all()
    assert not any("unknown column" in note for note in annex.notes)


def test_utf8_byte_order_mark_does_not_hide_the_first_header(tmp_path: Path) -> None:
    frame, _ = read_list(tmp_path, L1, [record(L1)], encoding="utf-8-sig")
    assert frame["child_id"].tolist() == ["C1"]


def test_windows_1252_csv_is_read_and_noted(tmp_path: Path) -> None:
    frame, annex = read_list(tmp_path, L6, [record(L6, allocated_worker="Zoë Brontë")], encoding="cp1252")
    assert frame["allocated_worker"].tolist() == ["Zoë Brontë"]
    assert any("Windows-1252" in n for n in annex.notes)


def test_unknown_columns_are_ignored_and_noted(tmp_path: Path) -> None:
    frame, annex = read_list(tmp_path, L1, [record(L1)], extra={"Worker email": ["a@b.c"]})
    assert list(frame.columns) == [*L1.keys, "_row"]
    assert any("ignored unknown column(s) 'Worker email'" in n for n in annex.notes)


def test_absent_optional_columns_are_added_empty(tmp_path: Path) -> None:
    frame, _ = read_list(tmp_path, L1, [record(L1)], drop=("date_of_birth", "age"))
    assert list(frame.columns) == [*L1.keys, "_row"]
    assert frame["date_of_birth"].isna().all() and str(frame["date_of_birth"].dtype).startswith("datetime64")
    assert frame["age"].isna().all() and str(frame["age"].dtype) == "Int64"


def test_identical_duplicated_column_is_kept_once_and_noted(tmp_path: Path) -> None:
    recs = [record(L1, 1, gender="a) Male"), record(L1, 2, gender="b) Female")]
    frame, annex = read_list(tmp_path, L1, recs, extra={"Sex": ["a) Male", "b) Female"]})
    assert frame["gender"].tolist() == ["a) Male", "b) Female"]
    expected = "'Gender' (column B) and 'Sex' (column H) are both the column 'Gender', with identical values"
    assert any(expected in n for n in annex.notes)


def test_conflicting_duplicated_columns_are_fatal_naming_file_sheet_and_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List 1"
    sheet.append([c.header for c in L1.columns] + ["Sex"])
    sheet.append(["C1", "a) Male", "a) WBRI", None, None, "01/04/2023", "q) 6: Police", "b) Female"])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    with pytest.raises(AnnexAError) as caught:
        read_annex_a(path, today=TODAY)
    message = str(caught.value)
    assert str(path) in message and "sheet 'List 1'" in message
    assert "'Gender' (column B) and 'Sex' (column H) are both the column 'Gender', with different values" in message
    assert "row 2" in message


def test_a_missing_column_is_recorded_and_the_list_still_loads(tmp_path: Path) -> None:
    """Referral NFA and Ethnicity are template columns, but no row needs them to be counted: the list loads, the
    columns are recorded as absent (empty in the frame), and no row is quarantined for them."""
    folder = tmp_path / "extract"
    write_csv(folder / "List 3.csv", L3, [record(L3, 1), record(L3, 2)], drop=("referral_nfa", "ethnicity"))
    annex = read_annex_a(folder, today=TODAY)
    assert annex.lists[3]["child_id"].tolist() == ["C1", "C2"]
    assert annex.lists[3]["referral_nfa"].isna().all()
    assert annex.columns[3] == frozenset(L3.keys) - {"referral_nfa", "ethnicity"}
    assert annex.quarantine.empty and annex.unusable == {}


def test_a_list_without_a_column_every_row_needs_is_unusable_and_the_others_load(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_csv(folder / "List 1.csv", L1, [record(L1)], drop=("contact_date",))
    write_csv(folder / "List 3.csv", L3, [record(L3)])
    annex = read_annex_a(folder, today=TODAY)
    assert list(annex.lists) == [3] and 1 not in annex.missing_lists
    assert annex.unusable == {
        1: [
            f"{folder / 'List 1.csv'}: column 'Date of Contact' is missing: every row of List 1 (Contacts) needs it, "
            "so the list cannot be used"
        ]
    }
    assert "List 1 Contacts (List 1.csv): not usable" in annex.summary()


def test_an_extract_with_no_usable_list_is_fatal_naming_every_problem(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_csv(folder / "List 1.csv", L1, [record(L1)], drop=("contact_date",))
    write_csv(folder / "List 3.csv", L3, [record(L3)], drop=("child_id", "referral_date"))
    with pytest.raises(AnnexAError) as caught:
        read_annex_a(folder, today=TODAY)
    error = caught.value
    assert isinstance(error, InputError)
    assert len(error.problems) == 3
    message = str(error)
    assert f"{folder / 'List 1.csv'}: column 'Date of Contact' is missing" in message
    assert f"{folder / 'List 3.csv'}: column 'Child Unique ID' is missing" in message
    assert f"{folder / 'List 3.csv'}: column 'Date of referral' is missing" in message
    assert "nothing from this file was stored" in message


def test_a_missing_column_in_a_workbook_names_the_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Contacts"
    sheet.append(["Child Unique ID", "Gender", "Ethnicity", "Contact Source"])
    sheet.append(["C1", "a) Male", "a) WBRI", "q) 6: Police"])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    with pytest.raises(AnnexAError, match=r"extract\.xlsx, sheet 'Contacts': column 'Date of Contact' is missing"):
        read_annex_a(path, today=TODAY)


# --- values ------------------------------------------------------------------------------------------------------


def test_text_dates_in_every_accepted_form(tmp_path: Path) -> None:
    forms = [
        "05/03/2024",
        "5/3/2024",
        "2024-03-05",
        " 05/03/2024 ",
        "05/03/2024 00:00:00",
        "2024-03-05T00:00:00",
        "5 Mar 2024",
        "05-Mar-2024",
        "5 March 2024",
        "5\u00a0MAR\u00a02024",
        "05 mar. 2024",
    ]
    recs = [record(L1, i, contact_date=text) for i, text in enumerate(forms)]
    frame, annex = read_list(tmp_path, L1, recs)
    assert annex.quarantine.empty
    assert frame["contact_date"].tolist() == [pd.Timestamp(2024, 3, 5)] * len(forms)
    assert str(frame["contact_date"].dtype).startswith("datetime64")


def test_bad_dates_exclude_the_row_in_required_columns_and_are_ignored_elsewhere(tmp_path: Path) -> None:
    recs = [
        record(L1, 1, contact_date="31 Feb 2024"),
        record(L1, 2, contact_date="March 2024"),
        record(L1, 3, date_of_birth="05/03"),
        record(L1, 4, date_of_birth="01/01/0201"),
        record(L1, 5, date_of_birth="2019"),  # a year alone is not a date (nor the Excel serial number 2019)
    ]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["child_id"].tolist() == ["C3", "C4", "C5"]
    assert frame["date_of_birth"].isna().all()
    bad = "not a valid date (expected dd/mm/yyyy)"
    assert reasons(annex) == [
        (2, bad, "row excluded"),
        (3, bad, "row excluded"),
        (4, bad, "value ignored"),
        (5, bad, "value ignored"),
        (6, bad, "value ignored"),
    ]
    assert annex.quarantine["value"].tolist() == ["31 Feb 2024", "March 2024", "05/03", "01/01/0201", "2019"]


def test_two_digit_years_serial_numbers_and_other_forms(tmp_path: Path) -> None:
    """Each read as 05/03/2024; two-digit years as Excel reads them (00-68 are 2000-2068)."""
    forms = ["05-03-24", "5/3/24", "05.03.2024", "2024/03/05", "March 5, 2024", "05-Mar-24", "45356", "45356.75"]
    recs = [record(L1, i, contact_date=text) for i, text in enumerate(forms)]
    frame, annex = read_list(tmp_path, L1, recs)
    assert annex.quarantine.empty and not any("month first" in n for n in annex.notes)
    assert frame["contact_date"].tolist() == [pd.Timestamp(2024, 3, 5)] * len(forms)
    recs = [record(L1, 1, date_of_birth="01/01/69"), record(L1, 2, date_of_birth="1/1/00")]
    dob, _ = read_list(tmp_path / "b", L1, recs)
    assert dob["date_of_birth"].tolist() == [pd.Timestamp(1969, 1, 1), pd.Timestamp(2000, 1, 1)]


def test_a_column_that_can_only_be_month_first_is_read_month_first_and_said(tmp_path: Path) -> None:
    """'03/25/2024' can only be 25 March: the whole column is read month first, '03/04/2024' as 4 March too."""
    recs = [record(L1, 1, contact_date="03/25/2024"), record(L1, 2, contact_date="03/04/2024")]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["contact_date"].tolist() == [pd.Timestamp(2024, 3, 25), pd.Timestamp(2024, 3, 4)]
    assert annex.quarantine.empty
    assert (
        f"{tmp_path / 'extract' / 'List 1.csv'} (List 1 Contacts): 'Date of Contact' read month first (mm/dd/yyyy), as "
        "'03/25/2024' on row 2 can only be" in annex.notes
    )


def test_a_column_that_could_be_either_follows_the_lists_other_dates(tmp_path: Path) -> None:
    """Dates of birth all with a day of 12 or less follow the list's contact dates, month first; a list with no date
    that must be month first reads day first (the template's order)."""
    recs = [record(L1, 1, contact_date="03/25/2024", date_of_birth="02/01/2015")]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["date_of_birth"].tolist() == [pd.Timestamp(2015, 2, 1)]
    assert any(
        "'Date of Birth' read month first like the list's other dates ('02/01/2015' on row 2 could be either)" in n
        for n in annex.notes
    )
    frame, annex = read_list(tmp_path / "b", L1, [record(L1, 1, contact_date="03/04/2024")])
    assert frame["contact_date"].tolist() == [pd.Timestamp(2024, 4, 3)]
    assert not any("month first" in n for n in annex.notes)


def test_a_column_of_dates_written_both_ways_is_refused(tmp_path: Path) -> None:
    """Never day first for some cells and month first for others. The contact date dates every row: List 1 cannot
    be used. A date of birth written both ways is not used, and the list loads without it."""
    path = tmp_path / "extract" / "List 1.csv"
    recs = [record(L1, 1, contact_date="25/03/2024"), record(L1, 2, contact_date="03/26/2024"), record(L1, 3)]
    write_csv(path, L1, recs)
    write_csv(tmp_path / "extract" / "List 3.csv", L3, [record(L3)])
    annex = read_annex_a(tmp_path / "extract", today=TODAY)
    assert annex.unusable == {
        1: [
            f"{path}: column 'Date of Contact' holds dates written day first ('25/03/2024' on row 2) and month first "
            "('03/26/2024' on row 3); write every date of a column one way; every row of List 1 needs it, so the list "
            "cannot be used"
        ]
    }
    recs = [record(L1, 1, date_of_birth="25/03/2015"), record(L1, 2, date_of_birth="03/26/2015")]
    frame, annex = read_list(tmp_path / "b", L1, recs)
    assert frame["child_id"].tolist() == ["C1", "C2"] and frame["date_of_birth"].isna().all()
    assert "date_of_birth" not in annex.columns[1] and list(annex.refused[1]) == ["date_of_birth"]
    assert annex.refused[1]["date_of_birth"].endswith("write every date of a column one way")
    assert any(n.endswith("write every date of a column one way; the column is not used") for n in annex.notes)
    assert "column not used: " in annex.summary()


def test_in_a_workbook_a_column_of_dates_written_both_ways_is_refused_naming_the_sheet(tmp_path: Path) -> None:
    """Text dates beside date cells: the date cells say nothing of the order, the text both ways."""
    book = openpyxl.Workbook()
    contacts_sheet(book, "List 1", [[c.header for c in L1.columns], CONTACT])
    referral = ["C1", "a) Male", "a) WBRI", None, 9, "25/03/2024", "q) 6: Police", "b) No", 0, "T", "W"]
    later = [*referral[:5], "03/26/2024", *referral[6:]]
    cell = [*referral[:5], datetime(2024, 3, 27), *referral[6:]]
    contacts_sheet(book, "Referrals", [[c.header for c in L3.columns], referral, cell, later])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    annex = read_annex_a(path, today=TODAY)
    assert list(annex.lists) == [1]
    assert annex.unusable[3] == [
        f"{path}, sheet 'Referrals': column 'Date of referral' holds dates written day first ('25/03/2024' on row 2) "
        "and month first ('03/26/2024' on row 4); write every date of a column one way; every row of List 3 needs "
        "it, so the list cannot be used"
    ]


def test_a_column_whose_only_order_is_not_the_lists_is_refused(tmp_path: Path) -> None:
    """Two List 10 columns can only be day first, one only month first: that one is not used."""
    recs = [
        record(L10, 1, cic_entered_care_date="25/01/2023", adoption_decision_date="20/02/2023",
               placement_order_date="03/25/2023"),
    ]  # fmt: skip
    frame, annex = read_list(tmp_path, L10, recs)
    assert frame["adoption_decision_date"].tolist() == [pd.Timestamp(2023, 2, 20)]
    assert annex.refused[10]["placement_order_date"] == (
        f"{tmp_path / 'extract' / 'List 10.csv'}: column 'Date of Placement Order' holds dates that can only be read "
        "month first ('03/25/2023' on row 2), but the list's other date columns are written day first ('Date the "
        "Child Entered Care', 'Date of Decision that Child Should be Placed for Adoption'); write every date of a list "
        "one way"
    )


def test_ids_lose_a_trailing_point_zero_and_spaces(tmp_path: Path) -> None:
    recs = [record(L1, child_id="1234.0"), record(L1, child_id=" 77 "), record(L1, child_id="AB12.5")]
    frame, _ = read_list(tmp_path, L1, recs)
    assert frame["child_id"].tolist() == ["1234", "77", "AB12.5"]


def test_blank_child_id_excludes_the_row(tmp_path: Path) -> None:
    frame, annex = read_list(tmp_path, L1, [record(L1, 1), record(L1, child_id="  ")])
    assert frame["child_id"].tolist() == ["C1"]
    assert reasons(annex) == [(3, "blank Child Unique ID", "row excluded")]


def test_codes_with_and_without_their_letter_prefix(tmp_path: Path) -> None:
    forms = [
        ("a) U1: Foster placement - relatives - long term", "a) E11: Adopted - application unopposed", "b) Female"),
        ("U1: Foster placement - relatives - long term", "E11: Adopted - application unopposed", "Female"),
        ("U1", "E11", "FEMALE"),
        ("u1", "e11:  adopted – application unopposed", "b)female"),
        (" A) U1: FOSTER PLACEMENT - RELATIVES - LONG TERM ", "Adopted - application unopposed", " b) Female "),
    ]
    recs = [
        record(L8, i, placement_type=p, cic_end_reason=r, gender=g, cic_end_date="01/05/2023", uasc="Y")
        for i, (p, r, g) in enumerate(forms)
    ]
    frame, annex = read_list(tmp_path, L8, recs)
    assert annex.quarantine.empty
    assert set(frame["placement_type"]) == {"a) U1: Foster placement - relatives - long term"}
    assert set(frame["cic_end_reason"]) == {"a) E11: Adopted - application unopposed"}
    assert set(frame["gender"]) == {"b) Female"}
    assert set(frame["uasc"]) == {"a) Yes"}


def test_unknown_or_blank_codes_are_ignored_and_the_row_kept(tmp_path: Path) -> None:
    """A bad code, even in a required column, blanks that value only: the child still counts."""
    recs = [record(L6, 1, cin_closure_reason="Closed"), record(L6, 2, gender="Unknown"), record(L6, 3, gender="")]
    frame, annex = read_list(tmp_path, L6, recs)
    assert frame["child_id"].tolist() == ["C1", "C2", "C3"]
    assert frame["cin_closure_reason"].iloc[0] is None
    assert frame["gender"].tolist()[1:] == [None, None]
    assert reasons(annex) == [
        (2, "unknown code", "value ignored"),
        (3, "unknown code", "value ignored"),
        (4, "blank Gender", "value ignored"),
    ]


def test_blank_or_bad_ids_and_record_dates_exclude_the_row(tmp_path: Path) -> None:
    recs = [
        record(L6, 1, child_id=""),
        record(L6, 2, cin_start_date="31/02/2024"),
        record(L6, 3, cin_start_date=""),
        record(L6, 4),
    ]
    frame, annex = read_list(tmp_path, L6, recs)
    assert frame["child_id"].tolist() == ["C4"]
    assert [(row, action) for row, _, action in reasons(annex)] == [
        (2, "row excluded"),
        (3, "row excluded"),
        (4, "row excluded"),
    ]


def test_ambiguous_descriptions_are_not_guessed(tmp_path: Path) -> None:
    # "Individual" is the description of four source codes (1A to 1D): it must not be matched to one of them.
    recs = [record(L1, 1, contact_source="Individual"), record(L1, 2, contact_source="1B")]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["contact_source"].tolist() == [None, "b) 1B: Individual"]
    assert reasons(annex) == [(2, "unknown code", "value ignored")]


def test_integers_accept_whole_numbers_only(tmp_path: Path) -> None:
    recs = [
        record(L3, 1, referrals_last_12m="2"),
        record(L3, 2, referrals_last_12m="3.0"),
        record(L3, 3, referrals_last_12m="-1"),
        record(L3, 4, referrals_last_12m="two"),
        record(L3, 5, referrals_last_12m="2.5"),
        record(L3, 6, referrals_last_12m="99999999999999999999"),
    ]
    frame, annex = read_list(tmp_path, L3, recs)
    assert frame["child_id"].tolist() == ["C1", "C2", "C3", "C4", "C5", "C6"]
    counts = frame["referrals_last_12m"]
    assert str(counts.dtype) == "Int64"
    assert counts.tolist()[:2] == [2, 3] and counts.iloc[2:].isna().all()
    assert reasons(annex) == [
        (4, "negative number", "value ignored"),
        (5, "not a whole number", "value ignored"),
        (6, "not a whole number", "value ignored"),
        (7, "not a whole number", "value ignored"),
    ]


def test_ages_are_whole_years_at_the_last_birthday(tmp_path: Path) -> None:
    """Some systems compute ages to the day (6.138 years): floored to completed years. -1 is an unborn child."""
    ages = ["6.138261464750171", "0.85", "17.999", "-1", "-0.5", "-2", "12", "old", "99999999999999999999"]
    frame, annex = read_list(tmp_path, L1, [record(L1, i, age=a) for i, a in enumerate(ages)])
    assert str(frame["age"].dtype) == "Int64"
    assert frame["age"].iloc[[0, 1, 2, 3, 4, 6]].tolist() == [6, 0, 17, -1, -1, 12]
    assert frame["age"].iloc[[5, 7, 8]].isna().all()
    assert reasons(annex) == [
        (7, "below -1 (an unborn child's age is -1)", "value ignored"),
        (9, "not a number", "value ignored"),
        (10, "not a number", "value ignored"),
    ]


def test_text_is_stripped_and_blank_is_none_and_blank_workers_are_kept(tmp_path: Path) -> None:
    frame, annex = read_list(tmp_path, L6, [record(L6, 1, allocated_worker="  "), record(L6, 2, allocated_team=" X ")])
    assert frame["allocated_worker"].tolist() == [None, "North Team"]
    assert frame["allocated_team"].tolist() == ["North Team", "X"]
    assert annex.quarantine.empty
    assert any("Allocated Worker is blank on 1 row(s); kept" in n for n in annex.notes)


def test_dates_in_the_future(tmp_path: Path) -> None:
    recs = [
        record(L1, 1, contact_date="01/07/2024"),  # the record's date: row excluded
        record(L1, 2, date_of_birth="01/07/2024"),  # another date: value ignored
        record(L1, 3, contact_date="30/06/2024"),  # today is not the future
    ]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["child_id"].tolist() == ["C2", "C3"]
    assert pd.isna(frame["date_of_birth"].iloc[0])
    assert reasons(annex) == [(2, "date in the future", "row excluded"), (3, "date in the future", "value ignored")]
    assert annex.quarantine["column"].tolist() == ["Date of Contact", "Date of Birth"]


def test_a_future_start_date_excludes_the_row_even_outside_the_record_key(tmp_path: Path) -> None:
    recs = [record(L10, 1, cic_entered_care_date="01/07/2024"), record(L10, 2, placement_order_date="01/07/2024")]
    frame, annex = read_list(tmp_path, L10, recs)
    assert frame["child_id"].tolist() == ["C2"] and pd.isna(frame["placement_order_date"].iloc[0])
    assert reasons(annex) == [(2, "date in the future", "row excluded"), (3, "date in the future", "value ignored")]


def test_end_date_before_start_date_excludes_the_row(tmp_path: Path) -> None:
    recs = [
        record(L6, 1, cin_start_date="05/03/2024", cin_closure_date="01/02/2024"),
        record(L6, 2, cin_start_date="05/03/2024", cin_closure_date="05/03/2024"),
    ]
    frame, annex = read_list(tmp_path, L6, recs)
    assert frame["child_id"].tolist() == ["C2"]
    assert reasons(annex) == [
        (2, "CIN Closure Date 01/02/2024 is before CIN Start Date 05/03/2024", "row excluded"),
    ]


def test_adoption_milestone_before_entering_care(tmp_path: Path) -> None:
    recs = [record(L10, 1, cic_entered_care_date="01/03/2023", adoption_order_date="01/02/2023"), record(L10, 2)]
    frame, annex = read_list(tmp_path, L10, recs)
    assert frame["child_id"].tolist() == ["C2"]
    assert reasons(annex) == [
        (2, "Date of Adoption Order 01/02/2023 is before Date the Child Entered Care 01/03/2023", "row excluded")
    ]


def test_end_before_start_pairs_are_columns_of_their_lists() -> None:
    for number, pairs in END_BEFORE_START.items():
        for start, end in pairs:
            assert LISTS[number].column(start).kind == LISTS[number].column(end).kind == "date"


# --- rows --------------------------------------------------------------------------------------------------------


def test_exact_duplicate_rows_keep_the_first(tmp_path: Path) -> None:
    ids = ["1001", "1002", "1001", "1001.0", "1002"]
    recs = [record(L1, child_id=i) for i in ids]
    frame, annex = read_list(tmp_path, L1, recs)
    assert frame["_row"].tolist() == [2, 3]
    assert reasons(annex) == [
        (4, "duplicate of row 2", "row excluded"),
        (5, "duplicate of row 2", "row excluded"),  # the same record once "1001.0" is read as "1001"
        (6, "duplicate of row 3", "row excluded"),
    ]
    assert annex.quarantine["value"].tolist() == ["1001", "1001.0", "1002"]
    assert any("3 exact duplicate row(s) removed" in n for n in annex.notes)


def test_same_record_key_with_different_content_counts_once_and_quarantines_both_rows(tmp_path: Path) -> None:
    """Dates alike, so the later row counts; both rows are in the quarantine, saying which counts and why."""
    recs = [record(L6, 1, allocated_team="North"), record(L6, 1, allocated_team="South"), record(L6, 2)]
    frame, annex = read_list(tmp_path, L6, recs)
    assert frame["allocated_team"].tolist() == ["South", "North Team"] and frame["_row"].tolist() == [3, 4]
    assert reasons(annex) == [
        (2, "same Child Unique ID + CIN Start Date as row 3, which counts instead (differs in Allocated Team)",
         "row excluded"),
        (3, "same Child Unique ID + CIN Start Date as row 2; this row counts (differs in Allocated Team)", "row kept"),
    ]  # fmt: skip
    assert any(
        "1 record(s) listed more than once with the same Child Unique ID + CIN Start Date but different values "
        "(rows 2 and 3): each counted once, from its row with the most recent date" in n
        for n in annex.notes
    )
    assert "1 x row excluded: Child Unique ID: same Child Unique ID + CIN Start Date as another row" in annex.summary()


def test_of_a_record_listed_twice_the_row_with_the_most_recent_date_counts(tmp_path: Path) -> None:
    """Child C1's care episode twice: the first row has the later placement (its most recent date), so it counts
    though it comes first; rows excluded as duplicates are not rows excluded for a bad value."""
    recs = [
        record(L8, 1, placement_start_date="01/03/2024", placement_type="d) U4: Foster placement - long term"),
        record(L8, 1, placement_start_date="01/01/2024"),
        record(L8, 2, cic_start_date="31/02/2024"),
    ]
    frame, annex = read_list(tmp_path, L8, recs)
    assert frame["_row"].tolist() == [2] and frame["placement_start_date"].tolist() == [pd.Timestamp(2024, 3, 1)]
    assert [(row, action) for row, _, action in reasons(annex)] == [
        (2, "row kept"),
        (3, "row excluded"),
        (4, "row excluded"),
    ]
    assert reasons(annex)[1][1] == (
        "same Child Unique ID + Date Started to be Looked After as row 2, which counts instead (differs in Start Date "
        "of Most Recent Placement, Placement Type)"
    )
    assert annex.excluded == {8: 1}


def test_row_numbers_are_the_rows_a_person_sees(tmp_path: Path) -> None:
    path = tmp_path / "extract" / "List 1.csv"
    write_csv(path, L1, [record(L1, 1), record(L1, 2)])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", ",,,,,,", lines[2]]) + "\n")
    annex = read_annex_a(path.parent, today=TODAY)
    assert annex.lists[1]["_row"].tolist() == [2, 5]
    assert any("2 blank row(s) skipped" in n for n in annex.notes)


def test_header_only_list_is_an_empty_frame_and_noted(tmp_path: Path) -> None:
    frame, annex = read_list(tmp_path, L8, [])
    assert frame.empty and list(frame.columns) == [*L8.keys, "_row"]
    assert str(frame["placements_last_12m"].dtype) == "Int64"
    assert any("header only" in n for n in annex.notes)


# --- files -------------------------------------------------------------------------------------------------------


def test_missing_sheet_goes_to_missing_lists_and_other_lists_are_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "List 1"
    first.append([c.header for c in L1.columns])
    first.append(["C1", "a) Male", "a) WBRI", None, None, datetime(2024, 1, 2), "q) 6: Police"])
    third = book.create_sheet("Referrals")
    third.append([c.header for c in L3.columns])
    third.append(["C1", "a) Male", "a) WBRI", None, None, "02/01/2024", "q) 6: Police", "b) No", 0, "T", "W"])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    annex = read_annex_a(path, today=TODAY)
    assert sorted(annex.lists) == [1, 3]
    assert annex.missing_lists == [2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert annex.lists[3]["referral_date"].tolist() == [pd.Timestamp(2024, 1, 2)]
    assert annex.lists[3]["referrals_last_12m"].tolist() == [0]


def test_csv_file_names_councils_use(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_csv(folder / "list_01_contacts.csv", L1, [record(L1)])
    write_csv(folder / "Annex A - List 3.csv", L3, [record(L3)])
    write_csv(folder / "Kent_AnnexA_List6_2024.csv", L6, [record(L6)])
    write_csv(folder / "08.csv", L8, [record(L8)])
    write_csv(folder / "contacts_2024_03.csv", L1, [record(L1)])  # the number is a month: not list 3
    (folder / "README.txt").write_text("notes")
    annex = read_annex_a(folder, today=TODAY)
    assert sorted(annex.lists) == [1, 3, 6, 8]
    assert annex.sheets[1] == (str(folder / "list_01_contacts.csv"), "list_01_contacts.csv")
    assert any("'contacts_2024_03.csv'" in n and "'README.txt'" in n for n in annex.notes)


def test_excel_errors_and_spaces_in_headers_and_values(tmp_path: Path) -> None:
    """A CSV saved from a spreadsheet keeps its "#N/A" cells as text: blank, so a child without an ID is excluded
    and a team of #N/A counts for the authority. Non-breaking, repeated and trailing spaces go from headers and
    values alike, so a team still matches the org tree."""
    headers = {"allocated_team": "Allocated\u00a0Team ", "referral_date": "Date  of referral\u00a0"}
    recs = [
        record(L3, 1, allocated_team="#N/A", allocated_worker="Dustin\u00a0Hazlett "),
        record(L3, 2, allocated_team="North\u00a0\u00a0Team", referral_nfa="#n/a"),
        record(L3, child_id="#N/A"),
    ]
    frame, annex = read_list(tmp_path, L3, recs, headers=headers)
    assert frame["child_id"].tolist() == ["C1", "C2"]
    assert frame["allocated_team"].tolist() == [None, "North Team"]
    assert frame["allocated_worker"].tolist() == ["Dustin Hazlett", "North Team"]
    assert frame["referral_nfa"].tolist() == ["a) Yes", None]
    assert reasons(annex) == [(3, "blank Referral NFA?", "value ignored"), (4, "blank Child Unique ID", "row excluded")]
    assert annex.columns[3] == frozenset(L3.keys)


def test_codes_written_as_identifier_dash_description(tmp_path: Path) -> None:
    recs = [
        record(L8, 1, placement_provider="e) PR4 - Private provision", cic_end_reason="h) E41 - Residence order"),
        record(L8, 2, placement_provider="PR1 - our own carers", cic_end_reason="E41"),
    ]
    frame, annex = read_list(tmp_path, L8, recs)
    assert frame["placement_provider"].tolist() == ["e) PR4: Private provision", "b) PR1: Own provision"]
    assert set(frame["cic_end_reason"]) == {"h) E41: Residence order granted"}
    assert annex.quarantine.empty


# --- spreadsheets ------------------------------------------------------------------------------------------------


def contacts_sheet(book: openpyxl.Workbook, title: str, rows: list[list[object]]) -> None:
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)


CONTACT = ["C1", "a) Male", "a) WBRI", None, 9, datetime(2024, 3, 5), "q) 6: Police"]


def test_guidance_sheets_title_rows_and_sheet_names_producers_use(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Guidance"
    book.active.append(["List 1: Contacts. Child Unique ID: unique identity number for each child."])
    contacts_sheet(book, "List_1", [["List 1: Contacts"], [], [c.header for c in L1.columns], CONTACT])
    contacts_sheet(book, "List 3 - Referrals", [[c.header for c in L3.columns], list(record(L3).values())])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    annex = read_annex_a(path, today=TODAY)
    assert sorted(annex.lists) == [1, 3]
    assert annex.lists[1]["_row"].tolist() == [4]  # title on row 1, a blank row, the header on row 3
    assert annex.lists[1]["contact_date"].tolist() == [pd.Timestamp(2024, 3, 5)]
    assert any("sheet 'List_1'" in n and "header found on row 3" in n for n in annex.notes)
    assert any("ignored sheets that are not Annex A lists: 'Guidance'" in n for n in annex.notes)


def test_two_sheets_for_one_list_are_fatal_naming_both(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "List 3"
    contacts_sheet(book, "Referrals", [[c.header for c in L3.columns]])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    with pytest.raises(AnnexAError, match=r"sheets 'List 3' and 'Referrals' both look like List 3 \(Referrals\)"):
        read_annex_a(path, today=TODAY)


def test_formula_cells_give_their_cached_values_and_error_cells_are_blank(tmp_path: Path) -> None:
    """openpyxl writes formulas without results, so the formula workbook here is the liia-tools sample (see
    test_annex_a_samples); this workbook holds an error cell (#N/A) and a cell TRUE beside a count of 1, which a hash
    table would take for the same value."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List 3"
    sheet.append([c.header for c in L3.columns])
    sheet.append(
        ["C1", "a) Male", "a) WBRI", None, 9, datetime(2024, 3, 5), "q) 6: Police", "b) No", True, "#N/A", None]
    )
    sheet.append(["C2", "a) Male", "a) WBRI", None, 1, datetime(2024, 3, 5), "q) 6: Police", "b) No", 1, "North", None])
    assert sheet["J2"].data_type == "e"  # an error cell, as Excel writes #N/A
    path = tmp_path / "extract.xlsx"
    book.save(path)
    annex = read_annex_a(path, today=TODAY)
    frame = annex.lists[3]
    assert frame["allocated_team"].tolist() == [None, "North"]
    assert frame["referrals_last_12m"].iloc[0] is pd.NA and frame["referrals_last_12m"].iloc[1] == 1
    assert reasons(annex) == [(2, "not a whole number", "value ignored")]
    assert annex.quarantine["value"].tolist() == ["TRUE"]


def test_spreadsheet_cells_are_read_as_they_are_typed(tmp_path: Path) -> None:
    """Date cells with a time of day, a date cell that lost its format (a serial number), dates written as text,
    numeric IDs and ages, a number for a team, a date where a count belongs: no cell goes through text but to be
    shown in the quarantine."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List 3"
    sheet.append([c.header for c in L3.columns])
    sheet.append(
        [1001, "a) Male", "a) WBRI", datetime(2015, 2, 1, 13, 30), 9.7, 45356, "q) 6: Police", "b) No", 2.0, 301, "W"]
    )
    sheet.append(
        [
            "C2",
            "a) Male",
            "a) WBRI",
            "01/02/2015",
            "9",
            "05/03/2024",
            "q) 6: Police",
            "b) No",
            datetime(2024, 1, 1),
            "North",
            None,
        ]
    )
    path = tmp_path / "extract.xlsx"
    book.save(path)
    annex = read_annex_a(path, today=TODAY)
    frame = annex.lists[3]
    assert frame["child_id"].tolist() == ["1001", "C2"]
    assert frame["date_of_birth"].tolist() == [pd.Timestamp(2015, 2, 1)] * 2
    assert frame["referral_date"].tolist() == [pd.Timestamp(2024, 3, 5)] * 2
    assert frame["age"].tolist() == [9, 9] and frame["allocated_team"].tolist() == ["301", "North"]
    assert frame["referrals_last_12m"].iloc[0] == 2 and frame["referrals_last_12m"].iloc[1] is pd.NA
    assert reasons(annex) == [(3, "not a whole number", "value ignored")]
    assert annex.quarantine["value"].tolist() == ["01/01/2024"]


def test_xlsm_is_read_like_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "List 1"
    book.active.append([c.header for c in L1.columns])
    book.active.append(CONTACT)
    path = tmp_path / "extract.xlsm"
    book.save(path)
    assert read_annex_a(path, today=TODAY).lists[1]["child_id"].tolist() == ["C1"]


def test_ods_is_read_with_dates_and_numbers_as_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame([CONTACT], columns=[c.header for c in L1.columns])
    path = tmp_path / "extract.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame({"Notes": ["Guidance"]}).to_excel(writer, sheet_name="Front sheet", index=False)
        frame.to_excel(writer, sheet_name="List 1 - Contacts", index=False)
    annex = read_annex_a(path, today=TODAY)
    assert annex.sheets[1] == (str(path), "List 1 - Contacts")
    assert annex.lists[1][["child_id", "age", "contact_date"]].values.tolist() == [["C1", 9, pd.Timestamp(2024, 3, 5)]]


def test_two_files_for_one_list_are_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_csv(folder / "List 1.csv", L1, [record(L1)])
    write_csv(folder / "Contacts.csv", L1, [record(L1)])
    with pytest.raises(AnnexAError, match=r"files 'Contacts\.csv' and 'List 1\.csv' both look like List 1"):
        read_annex_a(folder, today=TODAY)


def test_a_single_csv_needs_a_name_that_says_its_list(tmp_path: Path) -> None:
    named = write_csv(tmp_path / "List 6.csv", L6, [record(L6)])
    annex = read_annex_a(named, today=TODAY)
    assert list(annex.lists) == [6] and 6 not in annex.missing_lists and len(annex.missing_lists) == 10
    unnamed = write_csv(tmp_path / "extract.csv", L6, [record(L6)])
    with pytest.raises(AnnexAError, match="cannot tell which Annex A list"):
        read_annex_a(unnamed, today=TODAY)


@pytest.mark.parametrize("name", ["extract.xlsx", "List 1.csv"])
def test_empty_file_is_fatal(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(AnnexAError, match=r"is empty \(0 bytes\)") as caught:
        read_annex_a(path)
    assert str(path) in str(caught.value)


def test_empty_csv_in_a_folder_is_fatal_naming_it(tmp_path: Path) -> None:
    write_csv(tmp_path / "extract" / "List 1.csv", L1, [record(L1)])
    (tmp_path / "extract" / "List 3.csv").write_bytes(b"")
    with pytest.raises(AnnexAError, match=r"List 3\.csv is empty"):
        read_annex_a(tmp_path / "extract")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"%PDF-1.4 not an extract"),
        ("extract.docx", b"PK\x03\x04 a word document"),
        ("extract.xlsx", b"Child Unique ID,Gender\n1,a) Male\n"),  # a text file renamed .xlsx
        ("extract.txt", b"Child Unique ID,Gender\n"),
    ],
)
def test_wrong_file_type_is_fatal(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(
        AnnexAError, match=r"is not a spreadsheet \(\.xlsx, \.xlsm, \.xls or \.ods\) or a folder of CSV"
    ) as caught:
        read_annex_a(path)
    assert str(path) in str(caught.value)


def test_path_that_does_not_exist_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(AnnexAError, match="does not exist"):
        read_annex_a(tmp_path / "nowhere.xlsx")


def test_workbook_without_list_sheets_is_fatal(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    path = tmp_path / "extract.xlsx"
    book.save(path)
    with pytest.raises(AnnexAError, match=r"no sheet is an Annex A list \(sheets found: 'Summary'\)"):
        read_annex_a(path)


def test_workbook_whose_list_sheets_are_all_blank_is_fatal(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "List 1"
    book.create_sheet("List 3")
    path = tmp_path / "extract.xlsx"
    book.save(path)
    with pytest.raises(AnnexAError, match="is empty: every list sheet in it is blank"):
        read_annex_a(path)


def test_folder_without_list_csvs_is_fatal(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"x")
    with pytest.raises(AnnexAError, match="is not a spreadsheet"):
        read_annex_a(tmp_path)


def test_csv_with_a_row_longer_than_its_header_is_fatal(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "extract" / "List 1.csv", L1, [record(L1)])
    path.write_text(path.read_text() + "C2,a) Male,a) WBRI,,,01/04/2023,q) 6: Police,Smith, John\n")
    with pytest.raises(
        AnnexAError,
        match=r"List 1\.csv: row 3, column H: a value beyond the header \(row 1 ends at column G\); is there a comma "
        "inside a value that is not in quotes\\?",
    ):
        read_annex_a(path.parent)


# --- the quarantine file -----------------------------------------------------------------------------------------


def test_write_quarantine_writes_every_field(tmp_path: Path) -> None:
    recs = [record(L6, 1, cin_start_date="05/03/2024", cin_closure_date="01/02/2024"), record(L6, 2, gender="")]
    _, annex = read_list(tmp_path, L6, recs)
    written = write_quarantine(annex, tmp_path / "data" / "quarantine")
    assert written is not None and written.parent == tmp_path / "data" / "quarantine"
    assert written.name.startswith("extract_quarantine_") and written.suffix == ".csv"
    table = pd.read_csv(written, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert tuple(table.columns) == QUARANTINE_COLUMNS
    assert table.values.tolist() == [
        [
            str(tmp_path / "extract" / "List 6.csv"),
            "List 6.csv",
            "2",
            "CIN Closure Date",
            "01/02/2024",
            "CIN Closure Date 01/02/2024 is before CIN Start Date 05/03/2024",
            "row excluded",
        ],
        [str(tmp_path / "extract" / "List 6.csv"), "List 6.csv", "3", "Gender", "", "blank Gender", "value ignored"],
    ]
    again = write_quarantine(annex, tmp_path / "data" / "quarantine")
    assert again is not None and again != written


def test_write_quarantine_writes_nothing_when_nothing_is_quarantined(tmp_path: Path) -> None:
    _, annex = read_list(tmp_path, L1, [record(L1)])
    assert write_quarantine(annex, tmp_path / "data") is None
    assert not (tmp_path / "data").exists()


def test_write_quarantine_refuses_outputs(tmp_path: Path) -> None:
    _, annex = read_list(tmp_path, L1, [record(L1, child_id="")])
    with pytest.raises(ValueError, match="not outputs/"):
        write_quarantine(annex, tmp_path / "outputs")
    assert not (tmp_path / "outputs").exists()


def test_reading_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    write_csv(folder / "List 1.csv", L1, [record(L1, child_id="")])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    read_annex_a(folder, today=TODAY)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
