"""Bad aggregate input through the command line (issue 11): every refusal names the file, row (as
Excel numbers it) and column and says what was expected; the exit status says what happened;
nothing from a refused file is stored and no figure already stored changes. Files saved by Excel in
other encodings and with other delimiters are read, or refused saying what was found."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from csc_workbench import cli
from csc_workbench.cli import main
from csc_workbench.config import load_params
from csc_workbench.config.errors import InputError
from csc_workbench.ingest.csv_text import read_csv_cells
from csc_workbench.load import load_annex_a
from csc_workbench.periods import parse_month
from csc_workbench.store import Store

from ..conftest import FIXTURES, ROOT, make_atoms

PARAMS = str(FIXTURES / "small")
HEADER = "indicator,period,org_unit,cohort,window,numerator,denominator,value\n"
GOOD = "rereferrals,2017-03,Testshire,,r12m,3500,16000,\nreferrals,2017-03,North,,,,,120\n"


def write(folder: Path, name: str, body: str, header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(header + body, encoding="utf-8")
    return path


def cscw(capsys, *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``cscw ARGS``."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def contents(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everything a scorecard can read: the latest atoms, and the vintages."""
    return store.latest(), store.vintages()[["vintage", "source", "rows", "as_at"]]


@pytest.fixture
def loaded(tmp_path: Path, capsys) -> Store:
    """A store holding one good load (vintage 1)."""
    store = tmp_path / "store.duckdb"
    assert cscw(capsys, "ingest", "aggregates", str(write(tmp_path, "good.csv", GOOD)), "--params", PARAMS,
                "--store", str(store))[0] == 0  # fmt: skip
    return Store(store)


def refused(capsys, store: Store, path: Path, expected: str) -> str:
    """Load ``path``: refused with exit 2 and ``expected`` under a line naming the file, the store unchanged."""
    before = contents(store)
    status, out, err = cscw(capsys, "ingest", "aggregates", str(path), "--params", PARAMS, "--store", str(store.path))
    assert status == 2, (out, err)
    assert err.startswith(f"cscw: {path}: ") and "nothing from this file was stored" in err.splitlines()[0]
    assert expected in err
    assert "Traceback" not in err and out == ""
    after = contents(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    return err


# --- values in range ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("rereferrals,2017-04,Testshire,,r12m,,,150",
         "row 2, column value: 150 is above 100; rereferrals is a percentage, from 0 to 100"),
        ("rereferrals,2017-04,Testshire,,r12m,,,100.5%", "row 2, column value: 100.5% is above 100"),
        ("rereferrals,2017-04,Testshire,,r12m,12,10,",
         "row 2, column numerator: 12 exceeds the denominator 10; rereferrals is a percentage, so its numerator is "
         "at most its denominator"),
        ("referrals,2017-04,North,,,,,-5", "row 2, column value: -5 is negative; expected 0 or more"),
        ("rereferrals,2017-04,Testshire,,r12m,-1,10,", "row 2, column numerator: -1 is negative; expected 0 or more"),
        ("rereferrals,2017-04,Testshire,,r12m,1,-10,", "row 2, column denominator: -10 is negative"),
        ("caseload,2017-04,North,,,100,0,",
         "row 2, column denominator: zero; caseload (average) needs a denominator above 0 (with nothing to count, "
         "leave the numbers empty and give an unavailable_reason)"),
        ("referrals,2017-04,North,,,,,12.5", "row 2, column value: 12.5 is not a whole number; referrals is a count"),
        ("referrals,2017-04,North,,,,,ten", "row 2, column value: 'ten' is not a number; expected a number"),
    ],
)  # fmt: skip
def test_a_value_out_of_range_is_refused_with_its_row_and_column(tmp_path, capsys, loaded, row, expected) -> None:
    refused(capsys, loaded, write(tmp_path, "bad.csv", row + "\n"), expected)


def test_a_row_is_numbered_as_excel_numbers_it(tmp_path, capsys, loaded) -> None:
    """Blank lines above the header and between rows count: the analyst finds row 6 in Excel."""
    body = "\n\n" + HEADER + "referrals,2017-04,North,,,,,1\n\nrereferrals,2017-04,Testshire,,r12m,,,150\n"
    err = refused(capsys, loaded, write(tmp_path, "gaps.csv", body, header=""), "row 6, column value: 150 is above")
    assert "row 4" not in err and "row 2," not in err


def test_a_percentage_that_is_fine_is_stored(tmp_path, capsys, loaded) -> None:
    """The limits themselves are in range: 100%, 0 and a numerator equal to its denominator."""
    body = (
        "rereferrals,2017-04,Testshire,,r12m,,,100\nreferrals,2017-04,North,,,,,0\n"
        "rereferrals,2017-05,Testshire,,r12m,7,7,\n"
    )
    status, out, _ = cscw(capsys, "ingest", "aggregates", str(write(tmp_path, "edge.csv", body)), "--params", PARAMS,
                          "--store", str(loaded.path))  # fmt: skip
    assert status == 0 and "3 atoms stored as vintage 2" in out
    values = loaded.latest(["rereferrals"]).set_index("period")["value"]
    assert values[parse_month("2017-04")] == 100 and values[parse_month("2017-05")] == 100


# --- the store refuses atoms out of range, whatever loads them --------------------------------


def test_the_store_refuses_atoms_out_of_range_naming_indicator_org_unit_and_month(small_params, store) -> None:
    store.add_vintage(make_atoms([("referrals", "2017-03", "North", "all", "month", 120, None, 120)]), "good", "x")
    before = contents(store)
    bad = make_atoms(
        [
            ("rereferrals", "2017-04", "Testshire", "all", "r12m", None, None, 150),
            ("return_interviews", "2017-04", "North", "all", "month", 12, 10, 120),
            ("referrals", "2017-04", "South", "all", "month", -3, None, -3),
            ("caseload", "2017-04", "North", "all", "snapshot", 40, 0, None),
        ]
    )
    with pytest.raises(InputError) as caught:
        store.add_vintage(bad, "extract.xlsx", "annex_a", catalogue=small_params.catalogue)
    message = str(caught.value)
    assert message.startswith("extract.xlsx: 6 problem(s); nothing from this file was stored")
    assert "rereferrals, Testshire, 2017-04 (all, r12m): value 150 is above 100, and it is a percentage" in message
    assert "return_interviews, North, 2017-04 (all, month): numerator 12 is above its denominator 10" in message
    assert "referrals, South, 2017-04 (all, month): numerator -3 is negative" in message
    assert "caseload, North, 2017-04 (all, snapshot): numerator 40 over a zero denominator" in message
    # without the catalogue the store still refuses what no unit allows
    with pytest.raises(InputError, match="referrals, South, 2017-04 \\(all, month\\): value -3 is negative"):
        store.add_vintage(bad, "extract.xlsx", "annex_a")
    after = contents(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


def test_an_annex_a_load_that_computes_a_percentage_above_100_stores_nothing(tmp_path, monkeypatch, store) -> None:
    """The guard sits where every loader stores: a measure gone wrong cannot store a 150%."""
    from csc_workbench import load as loading

    params = load_params(ROOT / "params")
    percent = next(i.id for i in params.catalogue.indicators if i.unit == "percent")
    real = loading.compute_atoms

    def gone_wrong(*args, **kwargs):
        run = real(*args, **kwargs)
        month = int(run.atoms["period"].max())
        wrong = make_atoms([(percent, "2024-01", "Northmoor", "all", "month", 3, 2, 150)]).assign(period=month)
        run.atoms = pd.concat([run.atoms, wrong], ignore_index=True)
        return run

    monkeypatch.setattr(loading, "compute_atoms", gone_wrong)
    extract = FIXTURES / "annex_a" / "small_extract.xlsx"
    with pytest.raises(InputError, match=f"{percent}, Northmoor, 2024-03 \\(all, month\\): value 150 is above 100"):
        load_annex_a(extract, params, store, quarantine_dir=tmp_path / "q", today=date(2024, 6, 30))
    assert not store.path.exists() or store.vintages().empty


# --- encodings and delimiters -------------------------------------------------------------------

ROWS = [
    ["indicator", "period", "org_unit", "numerator", "denominator", "value", "unavailable_reason"],
    ["rereferrals", "2017-04", "Testshire", "3635", "16125", "", ""],
    ["referrals", "2017-04", "North", "", "", "1204", ""],
    ["referrals", "2017-04", "South", "", "", "", "système en panne"],
]


def saved(folder: Path, name: str, encoding: str, delimiter: str, decimal: str = ".", bom: bytes = b"") -> Path:
    """ROWS as Excel saves them: ``encoding``, ``delimiter``, and 22,5 where the comma is the decimal mark."""
    rows = [list(r) for r in ROWS]
    rows[1][5] = f"22{decimal}5"  # the printed percentage, checked against 3635/16125 = 22.54
    text = "\r\n".join(delimiter.join(cells) for cells in rows) + "\r\n"
    path = folder / name
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "delimiter", "decimal", "bom", "read_as"),
    [
        ("utf-8", ",", ".", b"", None),
        ("utf-8", ",", ".", codecs.BOM_UTF8, None),
        ("cp1252", ",", ".", b"", "read as Windows-1252, columns separated by commas"),
        ("utf-16-le", "\t", ".", codecs.BOM_UTF16_LE,
         "read as UTF-16 (Excel's Unicode text), columns separated by tabs"),
        ("utf-8", ";", ",", b"",
         "read as UTF-8, columns separated by semicolons; a comma in a number is its decimal mark"),
        ("cp1252", ";", ",", b"", "read as Windows-1252, columns separated by semicolons"),
        ("utf-8", "\t", ".", b"", "read as UTF-8, columns separated by tabs"),
    ],
)  # fmt: skip
def test_excel_encodings_and_delimiters_are_read(tmp_path, capsys, encoding, delimiter, decimal, bom, read_as) -> None:
    path = saved(tmp_path, "return.csv", encoding, delimiter, decimal, bom)
    store = Store(tmp_path / "store.duckdb")
    status, out, err = cscw(capsys, "ingest", "aggregates", str(path), "--params", PARAMS, "--store", str(store.path))
    assert status == 0, err
    assert "3 atoms stored as vintage 1" in out
    assert (read_as in out) if read_as else ("read as" not in out)
    atoms = store.latest().set_index(["indicator", "org_unit"])
    assert atoms.loc[("rereferrals", "Testshire"), "value"] == pytest.approx(100 * 3635 / 16125)
    assert atoms.loc[("referrals", "North"), "value"] == 1204
    assert atoms.loc[("referrals", "South"), "unavailable_reason"] == "système en panne"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04rest of a zip", "this is an Excel workbook, not a CSV file: save it from Excel as 'CSV UTF-8"),
        (b"indicator|period|org_unit|value\nreferrals|2017-04|North|1\n",
         "no comma, semicolon or tab separates the columns (its first row uses '|'); expected a CSV file"),
        ("indicator\tperiod\n".encode("utf-16-le"), "not text: it holds NUL bytes (UTF-16 without a byte-order mark"),
        (b"indicator,period,org_unit,value\nreferrals,2017-04,North\x81,1\n",
         "not readable as UTF-8 or Windows-1252 (byte 0x81 at byte 56); save it from Excel as 'CSV UTF-8"),
        (codecs.BOM_UTF16_LE + "indicator,".encode("utf-16-le") + b"\x00",
         "not readable as UTF-16 (Excel's Unicode text) (byte 0x00 at byte 23); save it from Excel"),
        (b"", "the file is empty (0 bytes)"),
        (b"\r\n\n", "the file holds only blank lines"),
        (b",,\n,,\n", "every row is blank"),
        (b"indicator,period,org_unit,value\nreferrals,2017-04,North,1,2\n",
         "row 2, column E: a value under no header; is there a comma inside a value that is not in quotes?"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_readable_csv_says_what_was_found(tmp_path, capsys, loaded, content, expected) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    refused(capsys, loaded, path, expected)


def test_the_header_of_a_semicolon_file_is_not_a_missing_column(tmp_path, capsys, loaded) -> None:
    """Once reported as "required column(s) missing"."""
    path = tmp_path / "semicolons.csv"
    path.write_text("indicator;period;org_unit;value\nreferrals;2017-04;North;1.204\n", encoding="utf-8")
    err = refused(capsys, loaded, path, "row 2, column value: '1.204' could be a whole number or a decimal")
    assert "missing" not in err


def test_read_csv_cells_keeps_every_cell_as_text_and_rows_as_excel_numbers_them(tmp_path) -> None:
    path = saved(tmp_path, "x.csv", "cp1252", ";", ",")
    read = read_csv_cells(path)
    assert (read.encoding, read.delimiter) == ("cp1252", ";")
    assert read.cells.index[0] == 1 and read.cells.loc[2, 5] == "22,5" and read.cells.loc[3, 5] == "1204"
    assert read.describe() == "Windows-1252, columns separated by semicolons"


# --- several files ------------------------------------------------------------------------------


def test_several_files_say_which_were_stored_and_which_refused(tmp_path, capsys) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    bad = write(tmp_path, "bad.csv", "rereferrals,2017-04,Testshire,,r12m,,,150\n")
    later = write(tmp_path, "later.csv", "referrals,2017-04,North,,,,,130\n")
    store = Store(tmp_path / "store.duckdb")
    status, out, err = cscw(
        capsys, "ingest", "aggregates", str(good), str(bad), str(later), "--params", PARAMS, "--store", str(store.path)
    )
    assert status == 2
    assert f"{good}: 2 atoms stored as vintage 1" in out and f"{later}: 1 atoms stored as vintage 2" in out
    assert err.startswith(f"cscw: {bad}: 1 problem(s); nothing from this file was stored")
    assert err.splitlines()[-1] == f"3 files: stored {good}, {later}; refused {bad}"
    assert list(store.vintages()["source"]) == [str(good), str(later)]
    assert "rereferrals" not in set(store.latest(first_month=parse_month("2017-04"))["indicator"])


def test_several_good_files_say_so(tmp_path, capsys) -> None:
    first, second = write(tmp_path, "a.csv", GOOD), write(tmp_path, "b.csv", "referrals,2017-04,North,,,,,130\n")
    status, out, err = cscw(capsys, "ingest", "aggregates", str(first), str(second), "--params", PARAMS,
                            "--store", str(tmp_path / "store.duckdb"))  # fmt: skip
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == f"2 files: stored {first}, {second}; refused none"


# --- no traceback reaches the user --------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        (RuntimeError("boom"), 1,
         "cscw: unexpected error (RuntimeError: boom); run again with --debug to see where, and report it"),
        (PermissionError(13, "Permission denied", "outputs/2017-04"), 1,
         "cscw: outputs/2017-04: Permission denied: check the path and its permissions"),
        (duckdb.CatalogException("Catalog Error: Table with name atoms does not exist!"), 1,
         "cscw: the store could not be read or written (Catalog Error: Table with name atoms does not exist!); "
         "run again with --debug to see where"),
        (KeyError("unknown indicator 'x'"), 2, "cscw: unknown indicator 'x'"),
    ],
)  # fmt: skip
def test_any_error_is_one_line_and_debug_shows_the_traceback(capsys, monkeypatch, error, status, expected) -> None:
    def fails(args):
        raise error

    monkeypatch.setattr(cli, "run", fails)
    assert cscw(capsys, "vintages") == (status, "", expected + "\n")
    with pytest.raises(type(error)):
        main(["vintages", "--debug"])
    with pytest.raises(type(error)):
        main(["--debug", "vintages"])
    monkeypatch.setenv("CSCW_DEBUG", "1")
    with pytest.raises(type(error)):
        main(["vintages"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--month", "2017-04"], "interrupted: nothing was published; the previous pack is untouched"),
        (["ingest", "annex-a", "extract.xlsx"], "interrupted: nothing was stored"),
        (["ingest", "aggregates", "a.csv"], "interrupted: nothing was stored"),
        (["demo", "--ingest"],
         "interrupted: loads that had finished are kept (cscw vintages lists them); nothing else was stored"),
        (["scorecard", "--month", "2017-04"], "interrupted"),
    ],
)  # fmt: skip
def test_an_interrupted_command_says_what_it_left(capsys, monkeypatch, args, message) -> None:
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cscw(capsys, *args) == (130, "", f"cscw: {message}\n")


def test_an_interrupted_load_of_several_files_names_those_stored(tmp_path, capsys, monkeypatch) -> None:
    first, second = write(tmp_path, "a.csv", GOOD), write(tmp_path, "b.csv", "referrals,2017-04,North,,,,,130\n")
    from csc_workbench.ingest import aggregates  # the command imports it when it runs

    real = aggregates.ingest_aggregates

    def interrupted_on_the_second(path, *args):
        if path == second:
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(aggregates, "ingest_aggregates", interrupted_on_the_second)
    store = Store(tmp_path / "store.duckdb")
    status, out, err = cscw(capsys, "ingest", "aggregates", str(first), str(second), "--params", PARAMS,
                            "--store", str(store.path))  # fmt: skip
    assert (status, err) == (130, f"cscw: interrupted: nothing more was stored; stored before: {first}\n")
    assert f"{first}: 2 atoms stored as vintage 1" in out
    assert list(store.vintages()["source"]) == [str(first)]


def test_a_missing_file_or_a_folder_is_named(tmp_path, capsys, loaded) -> None:
    refused(capsys, loaded, tmp_path / "nowhere.csv", "file not found")
    (tmp_path / "folder.csv").mkdir()
    refused(capsys, loaded, tmp_path / "folder.csv", "a folder, not a CSV file")
