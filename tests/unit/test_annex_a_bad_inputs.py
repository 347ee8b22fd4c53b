"""Bad Annex A input through the command line (issue 11): each case is made at test time from the first rows of the
SYNTHETIC demo county's extract, loaded with ``cscw ingest annex-a`` into a store that already holds the good
extract, and checked for its message (file, sheet, row as Excel numbers it, column), its exit status, what the store
holds afterwards, and that no figure changed where the input was refused or could not be used."""

from __future__ import annotations

import codecs
import csv
import itertools
import shutil
from collections.abc import Callable
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csc_workbench.cli import main
from csc_workbench.config import load_params
from csc_workbench.demo import DemoConfig, generate_demo
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.periods import parse_month
from csc_workbench.store import Store

from ..conftest import ROOT

PARAMS = str(ROOT / "params")
ROWS = 200  # the first rows of every list
AS_AT = parse_month("2025-06")  # the demo's last month, found from the data
KEY = ["indicator", "period", "org_unit", "cohort", "window"]
Rows = list[list[str]]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(extract, store): a folder with the first rows of every list of the demo's full extract, and a store holding
    it as vintage 1."""
    root = tmp_path_factory.mktemp("annex_a")
    files = generate_demo(root / "demo", load_params(PARAMS), DemoConfig(end_month="2025-06", months=3))
    extract = root / "extract"
    extract.mkdir()
    for number in LISTS:
        with open(files.full_extract / f"List {number}.csv", encoding="utf-8") as handle:
            head = list(itertools.islice(csv.reader(handle), ROWS + 1))
        write_rows(extract / f"List {number}.csv", head)
    store = root / "store.duckdb"
    with redirect_stdout(StringIO()):
        assert main(["ingest", "annex-a", str(extract), "--params", PARAMS, "--store", str(store),
                     "--quarantine", str(root / "q")]) == 0  # fmt: skip
    return extract, store


def write_rows(path: Path, rows: Rows, encoding: str = "utf-8", delimiter: str = ",", bom: bytes = b"") -> Path:
    text = StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(bom + text.getvalue().encode(encoding))
    return path


def read_rows(path: Path) -> Rows:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def column(rows: Rows, header: str) -> int:
    return rows[0].index(header)


@pytest.fixture
def case(tmp_path: Path, good: tuple[Path, Path]) -> tuple[Path, Store]:
    """A copy of the good extract to spoil and a copy of the store holding it."""
    extract, store = good
    shutil.copytree(extract, tmp_path / "extract")
    shutil.copy(store, tmp_path / "store.duckdb")
    return tmp_path / "extract", Store(tmp_path / "store.duckdb")


def spoil(folder: Path, number: int, change: Callable[[Rows], Rows | None]) -> Path:
    """Rewrite List ``number`` of ``folder`` through ``change`` (which edits the rows, header first, in place or
    returns new ones)."""
    path = folder / f"List {number}.csv"
    rows = read_rows(path)
    write_rows(path, change(rows) or rows)
    return path


def ingest(capsys, folder: Path, store: Store, *options: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``cscw ingest annex-a FOLDER``."""
    quarantine = folder.parent / "quarantine"
    status = main(["ingest", "annex-a", str(folder), "--params", PARAMS, "--store", str(store.path),
                   "--quarantine", str(quarantine), *options])  # fmt: skip
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def figures(store: Store) -> pd.DataFrame:
    """Every figure a scorecard can read (the latest vintage of each atom), in a fixed order."""
    latest = store.latest().drop(columns=["vintage", "source"])
    reason = latest["unavailable_reason"]
    latest["unavailable_reason"] = reason.astype(object).where(reason.notna(), None)
    return latest.sort_values(KEY).reset_index(drop=True)


def same_figures(store: Store, before: pd.DataFrame, but: set[str] = frozenset()) -> None:
    """The store's figures are ``before``'s, indicators in ``but`` aside."""
    after = figures(store)
    keep = ~after["indicator"].isin(but)
    pd.testing.assert_frame_equal(
        after[keep].reset_index(drop=True), before[~before["indicator"].isin(but)].reset_index(drop=True)
    )


def refused(capsys, folder: Path, store: Store, expected: str) -> str:
    """Load ``folder``: refused with exit status 2 and ``expected`` in the message, the store exactly as before."""
    before, vintages = figures(store), store.vintages()
    status, out, err = ingest(capsys, folder, store)
    assert status == 2, (out, err)
    assert err.startswith(f"cscw: {folder}: ") and "nothing from this file was stored" in err.splitlines()[0]
    assert expected in err and out == ""
    pd.testing.assert_frame_equal(figures(store), before)
    pd.testing.assert_frame_equal(store.vintages(), vintages)
    return err


def gaps(store: Store, indicator: str) -> pd.DataFrame:
    latest = store.latest([indicator])
    return latest[latest["unavailable_reason"].notna()]


def quarantined(folder: Path) -> pd.DataFrame:
    (path,) = (folder.parent / "quarantine").glob("*.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


# --- 1. duplicates and conflicts ----------------------------------------------------------------------------------


def test_a_child_listed_twice_in_list_8_with_another_legal_status_counts_once(capsys, case) -> None:
    """Once counted twice (310 atoms changed). The copy has a later legal status start, so it counts; both rows are
    in the quarantine and the run says how many and where."""
    folder, store = case
    before = figures(store)
    rows = read_rows(folder / "List 8.csv")
    ended = column(rows, "Date Ceased to be Looked After")
    open_row = next(i for i, row in enumerate(rows) if i and not row[ended])  # in care at the end: counted
    copy = list(rows[open_row])
    copy[column(rows, "Child's Legal Status")] = "E1: Placement order"
    copy[column(rows, "Start date of current legal status")] = "01/06/2025"
    spoil(folder, 8, lambda rows: rows.append(copy))
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "")
    first, second = open_row + 1, len(rows) + 1  # rows as Excel numbers them: the header is row 1
    assert (
        f"{folder / 'List 8.csv'} (List 8 Children in care): 1 record(s) listed more than once with the same Child "
        f"Unique ID + Date Started to be Looked After but different values (rows {first} and {second}): each counted "
        "once, from its row with the most recent date (the later row when they tie)" in out
    )
    names = "Child Unique ID + Date Started to be Looked After"
    differ = "Start date of current legal status, Child's Legal Status"
    assert quarantined(folder)[["row", "reason", "action"]].values.tolist() == [
        [str(first), f"same {names} as row {second}, which counts instead (differs in {differ})", "row excluded"],
        [str(second), f"same {names} as row {first}; this row counts (differs in {differ})", "row kept"],
    ]
    assert store.vintages()["vintage"].tolist() == [1, 2]
    same_figures(store, before)  # legal status counts nowhere: every figure as before, the child once


# --- 2. date formats decided per column ---------------------------------------------------------------------------


def redate(rows: Rows, write: Callable[[pd.Timestamp], str], headers: tuple[str, ...] = ()) -> None:
    """Every date of the list (or of ``headers``) written with ``write``."""
    spec = LISTS[3]
    dates = {c.header for c in spec.columns if c.kind == "date"} if not headers else set(headers)
    for i in [column(rows, h) for h in dates if h in rows[0]]:
        for row in rows[1:]:
            if row[i]:
                row[i] = write(pd.Timestamp(pd.to_datetime(row[i], format="%d/%m/%Y")))


@pytest.mark.parametrize(
    ("form", "write", "note"),
    [
        ("mm/dd/yyyy", lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}", "'Date of referral' read month first"),
        ("dd-mm-yy", lambda d: f"{d.day:02d}-{d.month:02d}-{d.year % 100:02d}", None),
        ("dd/mm/yy", lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}", None),
        ("yyyy-mm-dd", lambda d: f"{d:%Y-%m-%d}", None),
        ("Excel serial numbers as text", lambda d: str((d - pd.Timestamp("1899-12-30")).days), None),
    ],
)
def test_list_3_dates_in_another_form_give_the_same_figures(capsys, case, form, write, note) -> None:
    """mm/dd/yyyy once kept 5,946 referrals with day and month swapped and moved the as-at date to 31/12/2026;
    dd-mm-yy and serial numbers once excluded every row."""
    folder, store = case
    before = figures(store)
    spoil(folder, 3, lambda rows: redate(rows, write))
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, ""), form
    assert "(as at 30/06/2025)" in out.splitlines()[0]
    assert f"List 3 Referrals (List 3.csv): {ROWS} rows kept, 0 excluded, 0 values ignored" in out
    assert (note in out) if note else ("month first" not in out)
    same_figures(store, before)


def mixed(rows: Rows) -> None:
    """Referral dates written month first, and one more referral written day first (25/03/2025)."""
    redate(rows, lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}", ("Date of referral",))
    rows.append(list(rows[1]))
    rows[-1][column(rows, "Date of referral")] = "25/03/2025"


def test_a_column_of_dates_written_both_ways_makes_its_list_unusable_and_moves_no_figure(capsys, case) -> None:
    """The "Date of referral" dates every referral: List 3 cannot be used. Its indicators are not available for the
    as-at month, earlier months keep the figures stored before, and the other lists load."""
    folder, store = case
    before = figures(store)
    spoil(folder, 3, mixed)
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "")
    path = folder / "List 3.csv"
    rows = read_rows(path)
    i = column(rows, "Date of referral")
    row, written = next((n, r[i]) for n, r in enumerate(rows[1:], start=2) if int(r[i].split("/")[1]) > 12)
    assert (
        f"{path}: column 'Date of referral' holds dates written day first ('25/03/2025' on row {ROWS + 2}) and month "
        f"first ('{written}' on row {row}); write every date of a column one way; every row of List 3 needs it, so "
        "the list cannot be used" in out
    )
    assert "NOT AVAILABLE for 2025-06" in out and "List 3 (Referrals) could not be used (see the load)" in out
    assert "(as at 30/06/2025)" in out.splitlines()[0]
    fed_by_3 = {"referrals", "referral_rate_per_10k", "referrals_nfa", "rereferrals_12m", "contacts_to_referral",
                "referrals_to_assessment"}  # fmt: skip
    same_figures(store, before, but=fed_by_3)
    referrals = store.latest(["referrals"], org_units=["Northmoor"], cohorts=["all"]).set_index("period")
    assert referrals.loc[AS_AT, "unavailable_reason"] == "List 3 (Referrals) could not be used (see the load)"
    assert pd.isna(referrals.loc[AS_AT, "value"])
    old = before[(before["indicator"] == "referrals") & (before["org_unit"] == "Northmoor")].set_index("period")
    assert referrals.loc[AS_AT - 1, "value"] == old.loc[AS_AT - 1, "value"]  # stored by the good load, untouched


def test_a_column_of_dates_written_both_ways_that_rows_can_do_without_is_not_used(capsys, case) -> None:
    folder, store = case
    before = figures(store)
    header = "Date of Last Dental Check"

    def both_ways(rows: Rows) -> None:
        i = column(rows, header)
        filled = [r for r in range(1, len(rows)) if rows[r][i]]
        rows[filled[0]][i], rows[filled[1]][i] = "25/03/2025", "03/26/2025"

    spoil(folder, 8, both_ways)
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "")
    assert f"{folder / 'List 8.csv'}: column '{header}' holds dates written day first ('25/03/2025' on row" in out
    assert "write every date of a column one way; the column is not used" in out
    assert f"List 8: '{header}' not used; not computed: cic_dental_timely" in out
    same_figures(store, before)  # the dental checks keep the figure stored before; nothing else moved


# --- 3. no zeros from nothing -------------------------------------------------------------------------------------

CP = ["cp_plans_open", "cp_rate_per_10k", "cp_plans_started", "cp_plans_ended", "cp_second_subsequent",
      "cp_plans_18m_plus", "cp_plans_2y_plus", "cp_ceased_2y_plus", "cp_reviews_timely",
      "cp_visits_timely"]  # fmt: skip


def test_a_list_of_blank_lines_makes_its_indicators_not_available_never_zero(capsys, case) -> None:
    """Once 1,176 open child protection plans read 0 and a rate of 0.0 was rated green."""
    folder, store = case
    before = figures(store)
    (folder / "List 7.csv").write_text("\r\n\r\n\r\n")
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "")
    reason = "List 7 (Child protection) has no rows (if it truly had none, load with --empty-is-zero 7 to count 0)"
    assert out.splitlines()[1].startswith("  NOT AVAILABLE for 2025-06: 10 indicator(s) stored with the reason")
    assert f"{reason}: {', '.join(CP)}" in out
    same_figures(store, before, but=set(CP))
    plans = gaps(store, "cp_plans_open")
    assert set(plans["period"]) == {AS_AT} and plans["unavailable_reason"].eq(reason).all()
    assert set(plans["org_unit"]) >= {"Northmoor"} and plans["value"].isna().all()
    earlier = store.latest(["cp_plans_open"], first_month=AS_AT - 2, last_month=AS_AT - 1)
    assert earlier["unavailable_reason"].isna().all() and earlier["value"].gt(0).any()  # the good load's figures
    scorecard = StringIO()
    with redirect_stdout(scorecard):
        assert main(["scorecard", "--month", "2025-06", "--format", "csv", "--params", PARAMS,
                     "--store", str(store.path)]) == 0  # fmt: skip
    card = pd.read_csv(StringIO(scorecard.getvalue())).set_index("indicator")
    assert pd.isna(card.loc["cp_rate_per_10k", "value"]) and pd.isna(card.loc["cp_rate_per_10k", "rag"])
    assert card.loc["cp_plans_open", "note"] == f"Jun 2025 not available: {reason}"


def test_an_empty_list_the_analyst_confirms_counts_zero(capsys, case) -> None:
    folder, store = case
    spoil(folder, 7, lambda rows: rows[:1])  # the header alone
    status, out, err = ingest(capsys, folder, store, "--empty-is-zero", "7")
    assert (status, err) == (0, "")
    assert "List 7 (Child protection): no rows; counted as zero, as --empty-is-zero says" in out
    assert "NOT AVAILABLE" not in out
    plans = store.latest(["cp_plans_open"], org_units=["Northmoor"], cohorts=["all"]).set_index("period")
    assert plans["value"].tolist() == [0, 0, 0] and plans["unavailable_reason"].isna().all()


def test_a_list_left_out_of_the_extract_counts_zero_when_the_analyst_confirms_it(capsys, case) -> None:
    folder, store = case
    (folder / "List 10.csv").unlink()
    status, out, err = ingest(capsys, folder, store, "--empty-is-zero", "10")
    assert (status, err) == (0, "")
    assert "List 10 (Adoption): not in the extract; counted as having no records, as --empty-is-zero says" in out
    adoptions = store.latest(["adoptions"], org_units=["Northmoor"]).set_index("period")
    assert adoptions["value"].tolist() == [0, 0, 0] and adoptions["unavailable_reason"].isna().all()


def test_the_empty_list_option_says_when_its_list_has_rows(capsys, case) -> None:
    folder, store = case
    before = figures(store)
    adoptions = len(read_rows(folder / "List 10.csv")) - 1
    status, out, err = ingest(capsys, folder, store, "--empty-is-zero", "10")
    assert (status, err) == (0, "")
    assert f"--empty-is-zero 10: List 10 (Adoption) has {adoptions} rows; its figures are counted from them" in out
    same_figures(store, before)


def test_the_empty_list_option_takes_list_numbers_only(capsys, case) -> None:
    folder, store = case
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "annex-a", str(folder), "--empty-is-zero", "12", "--store", str(store.path)])
    assert exit_.value.code == 2
    assert "argument --empty-is-zero: '12' is not an Annex A list number (1 to 11)" in capsys.readouterr().err


def test_a_list_whose_rows_are_mostly_excluded_gives_no_figures_and_does_not_move_the_as_at(capsys, case) -> None:
    """Most referral dates unreadable, and a kept one in a later month: List 3's indicators are not available, and
    the extract stays as at June (its other lists' latest events)."""
    folder, store = case
    before = figures(store)

    def mostly_bad(rows: Rows) -> None:
        i = column(rows, "Date of referral")
        for row in rows[1 : ROWS // 2 + 2]:
            row[i] = "TBC"
        rows[-1][i] = "15/07/2025"  # a month that nothing else reaches

    spoil(folder, 3, mostly_bad)
    status, out, err = ingest(capsys, folder, store, "--empty-is-zero", "3")
    assert (status, err) == (0, "")
    reason = f"List 3 (Referrals): {ROWS // 2 + 1} of its {ROWS} rows excluded for a bad or missing value"
    assert f"{reason} (see the quarantine): contacts_to_referral, referrals, referral_rate_per_10k" in out
    assert f"--empty-is-zero 3: not applied: {reason}" in out
    assert "(as at 30/06/2025)" in out.splitlines()[0]
    assert f"List 3 Referrals (List 3.csv): {ROWS // 2 - 1} rows kept, {ROWS // 2 + 1} excluded" in out
    bad = quarantined(folder)
    bad = bad[(bad["sheet"] == "List 3.csv") & (bad["column"] == "Date of referral")]
    assert bad["row"].tolist() == [str(r) for r in range(2, ROWS // 2 + 3)] and set(bad["value"]) == {"TBC"}
    assert set(bad["reason"]) == {"not a valid date (expected dd/mm/yyyy)"}
    same_figures(store, before, but={"referrals", "referral_rate_per_10k", "referrals_nfa", "rereferrals_12m",
                                     "contacts_to_referral", "referrals_to_assessment"})  # fmt: skip
    assert gaps(store, "referrals")["period"].eq(AS_AT).all()


# --- 7. encodings and delimiters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom", "read_as"),
    [
        ("utf-8", ",", codecs.BOM_UTF8, None),
        ("cp1252", ",", b"", "read as Windows-1252, columns separated by commas"),
        ("cp1252", ";", b"", "read as Windows-1252, columns separated by semicolons"),
        ("utf-16-le", "\t", codecs.BOM_UTF16_LE, "read as UTF-16 (Excel's Unicode text), columns separated by tabs"),
        ("utf-8", "\t", b"", "read as UTF-8, columns separated by tabs"),
    ],
)
def test_csv_lists_in_excel_encodings_and_delimiters_give_the_same_figures(
    capsys, case, encoding, delimiter, bom, read_as
) -> None:
    folder, store = case
    before = figures(store)
    path = folder / "List 6.csv"
    rows = read_rows(path)
    rows[1][column(rows, "Allocated Worker")] = "Zoë Brontë"  # a character Windows-1252 writes its own way
    write_rows(path, rows, encoding, delimiter, bom)
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "")
    assert (f"{path}: read as {read_as.removeprefix('read as ')}" in out) if read_as else ("read as" not in out)
    same_figures(store, before)


def test_a_semicolon_csv_reads_decimal_commas(capsys, case) -> None:
    """Where the comma is the decimal mark, an age computed to the day is written 6,138 and floored to 6."""
    folder, store = case
    before = figures(store)
    path = folder / "List 1.csv"
    rows = read_rows(path)
    age = column(rows, "Age of Child (Years)")
    rows[1][age] = rows[1][age] + ",138"
    write_rows(path, rows, delimiter=";")
    status, out, err = ingest(capsys, folder, store)
    assert (status, err) == (0, "") and "List 1 Contacts (List 1.csv): 200 rows kept, 0 excluded, 0 values" in out
    same_figures(store, before)


def test_a_workbook_saved_with_a_csv_name_is_refused_saying_what_it_is(capsys, case) -> None:
    folder, store = case
    book = openpyxl.Workbook()
    book.active.append(["Child Unique ID"])
    book.save(folder / "List 4.csv")
    refused(
        capsys, folder, store,
        f"{folder / 'List 4.csv'}: this is an Excel workbook, not a CSV file: save it from Excel as 'CSV UTF-8",
    )  # fmt: skip


def test_a_csv_row_with_a_value_beyond_its_header_is_refused_naming_row_and_column(capsys, case) -> None:
    """An unquoted comma in a worker's name shifts every later value of the row under the wrong header."""
    folder, store = case
    spoil(folder, 3, lambda rows: rows[5].append("Smith"))  # row 6 in Excel: the header is row 1
    refused(
        capsys, folder, store,
        f"{folder / 'List 3.csv'}: row 6, column L: a value beyond the header (row 1 ends at column K); is there a "
        "comma inside a value that is not in quotes?",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (codecs.BOM_UTF16_LE + "Child Unique ID,".encode("utf-16-le") + b"\x00",
         "not readable as UTF-16 (Excel's Unicode text) (byte 0x00 at byte 35); save it from Excel as 'CSV UTF-8"),
        (b"Child Unique ID|Gender\nC1|a) Male\n",
         "no comma, semicolon or tab separates the columns (its first row uses '|'); expected a CSV file: save it "
         "from Excel as 'CSV UTF-8 (Comma delimited)'"),
        ("Child Unique ID\tGender\n".encode("utf-16-le"),
         "not text: it holds NUL bytes (UTF-16 without a byte-order mark, or not a CSV)"),
    ],
)  # fmt: skip
def test_a_list_that_is_not_a_readable_csv_is_refused_saying_what_was_found(capsys, case, content, expected) -> None:
    folder, store = case
    (folder / "List 2.csv").write_bytes(content)
    refused(capsys, folder, store, f"{folder / 'List 2.csv'}: {expected}")
