"""Aggregate ingest into the vintaged store: errors name row and column; nothing is lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from csc_workbench.config.errors import InputError
from csc_workbench.ingest.aggregates import ingest_aggregates, read_aggregates
from csc_workbench.periods import parse_month

HEADER = "indicator,period,org_unit,cohort,window,numerator,denominator,value\n"


def csv(tmp_path: Path, body: str, name: str = "extract.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


GOOD = (
    "rereferrals,2017-03,Testshire,,r12m,3500,16000,\n"
    "referrals,2017-03,North,,,,,120\n"
    "cic_open,2017-03,North Team,,,,,45\n"
    "placed_20mi,2017-03,Testshire,,,1108,1364,\n"
)


def test_good_file_becomes_atoms(tmp_path: Path, small_params) -> None:
    atoms = read_aggregates(csv(tmp_path, GOOD), small_params)
    by_id = atoms.set_index("indicator")
    assert by_id.loc["rereferrals", "value"] == pytest.approx(21.875)
    assert by_id.loc["referrals", "numerator"] == 120  # counts keep their number as numerator
    assert by_id.loc["cic_open", "window"] == "snapshot"  # month of a stock is its snapshot
    assert by_id.loc["placed_20mi", "cohort"] == "excl_uasc"  # the indicator's own cohort
    assert by_id.loc["rereferrals", "period"] == parse_month("2017-03")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("nope,2017-03,Testshire,,,1,2,", "row 2, column indicator: unknown indicator 'nope'"),
        ("rereferrals,2017-13,Testshire,,r12m,1,2,", "row 2, column period: '2017-13' is not a month"),
        ("rereferrals,03/2017,Testshire,,r12m,1,2,", "row 2, column period: '03/2017' is not a month"),
        ("rereferrals,2017-03,Atlantis,,r12m,1,2,", "row 2, column org_unit: unknown org unit 'Atlantis'"),
        ("rereferrals,2017-03,Testshire,,r12m,ten,20,", "row 2, column numerator: 'ten' is not a number"),
        ("rereferrals,2017-03,Testshire,,r12m,1,0,", "row 2, column denominator: zero"),
        ("rereferrals,2017-03,Testshire,,r12m,-1,10,", "row 2, column numerator: -1 is negative"),
        ("rereferrals,2017-03,Testshire,,r12m,12,10,", "row 2, column numerator: 12 exceeds the denominator"),
        ("rereferrals,2017-03,Testshire,,r12m,5,,", "row 2, column denominator: rereferrals needs both"),
        ("rereferrals,2017-03,Testshire,,weekly,1,2,", "row 2, column window: 'weekly' is not one of"),
        ("cic_open,2017-03,Testshire,,r12m,,,5", "row 2, column window: cic_open is a snapshot measure"),
        ("referrals,2017-03,Testshire,,snapshot,,,5", "row 2, column window: referrals is a flow measure"),
        ("referrals,2017-03,Testshire,,,,4,5", "row 2, column denominator: referrals is a count"),
        ("referrals,2017-03,Testshire,teens,,,,5", "row 2, column cohort: unknown cohort 'teens'"),
        ("placed_20mi,2017-03,Testshire,all,,1,2,", "row 2, column cohort: placed_20mi is measured on cohort"),
        ("rereferrals,2017-03,Testshire,,r12m,3500,16000,25.0", "row 2, column value: 25.0 does not match"),
        ("rereferrals,2017-03,Testshire,,r12m,,,", "row 2: no numerator, denominator or value"),
        ("rereferrals,2099-01,Testshire,,r12m,1,2,", "row 2, column period: '2099-01' is in the future"),
    ],
)
def test_each_bad_cell_is_named(tmp_path: Path, small_params, row: str, expected: str) -> None:
    path = csv(tmp_path, row + "\n")
    with pytest.raises(InputError) as caught:
        read_aggregates(path, small_params, today=date(2026, 11, 24))
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)
    assert "nothing from this file was stored" in str(caught.value)


def test_printed_value_checked_at_its_own_precision(tmp_path: Path, small_params) -> None:
    """22.5 is how 3635/16125 = 22.54% prints: consistent. 22.6 is not."""
    ok = csv(tmp_path, "rereferrals,2017-03,Testshire,,r12m,3635,16125,22.5\n")
    assert read_aggregates(ok, small_params)["value"].iloc[0] == pytest.approx(22.543, abs=1e-3)
    bad = csv(tmp_path, "rereferrals,2017-03,Testshire,,r12m,3635,16125,22.6\n", "bad.csv")
    with pytest.raises(InputError, match="does not match"):
        read_aggregates(bad, small_params)


def test_duplicates_bad_headers_and_empty_files(tmp_path: Path, small_params) -> None:
    dup = csv(tmp_path, "referrals,2017-03,North,,,,,1\nreferrals,2017-03,North,all,month,,,2\n")
    with pytest.raises(InputError, match="row 3: duplicates row 2"):
        read_aggregates(dup, small_params)
    typo = csv(tmp_path, "referrals,2017-03,North,1\n", "typo.csv", "indicator,period,org_unit,valeu\n")
    with pytest.raises(InputError, match="unknown column"):
        read_aggregates(typo, small_params)
    twice = csv(tmp_path, "referrals,2017-03,North,1,2\n", "twice.csv", "indicator,period,org_unit,value,value\n")
    with pytest.raises(InputError, match="appear more than once"):
        read_aggregates(twice, small_params)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        read_aggregates(empty, small_params)
    header_only = csv(tmp_path, "", "header.csv")
    with pytest.raises(InputError, match="no rows"):
        read_aggregates(header_only, small_params)


def test_byte_order_mark_and_messy_headers_are_accepted(tmp_path: Path, small_params) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(' Indicator ,Period,Org Unit,Value\nreferrals,2017-03,North,"1,204"\n', encoding="utf-8-sig")
    assert read_aggregates(path, small_params)["value"].tolist() == [1204]


def test_every_load_is_a_new_vintage_and_reads_take_the_latest(tmp_path: Path, small_params, store) -> None:
    first = csv(tmp_path, GOOD, "march.csv")
    v1, rows = ingest_aggregates(first, small_params, store)
    rerun = csv(tmp_path, "referrals,2017-03,North,,,,,125\nreferrals,2017-04,North,,,,,130\n", "rerun.csv")
    v2, _ = ingest_aggregates(rerun, small_params, store)
    assert (v1, rows, v2) == (1, 4, 2)
    latest = store.latest().set_index(["indicator", "period"])
    assert latest.loc[("referrals", parse_month("2017-03")), "value"] == 125
    assert latest.loc[("referrals", parse_month("2017-03")), "vintage"] == 2
    assert latest.loc[("rereferrals", parse_month("2017-03")), "vintage"] == 1  # untouched keys stay
    assert len(store.latest()) == 5
    revisions = store.revisions()
    assert len(revisions) == 1
    change = revisions.iloc[0]
    assert (change["indicator"], change["period"], change["old_value"], change["new_value"]) == (
        "referrals", "2017-03", 120, 125,
    )  # fmt: skip
    assert (change["old_vintage"], change["new_vintage"], change["change"]) == (1, 2, 5)
    assert list(store.vintages()["source"]) == [str(first), str(rerun)]


def test_a_bad_file_stores_nothing_and_loses_nothing(tmp_path: Path, small_params, store) -> None:
    ingest_aggregates(csv(tmp_path, GOOD, "good.csv"), small_params, store)
    before = store.latest()
    bad = csv(tmp_path, "referrals,2017-03,North,,,,,999\nreferrals,2017-04,Atlantis,,,,,1\n", "bad.csv")
    with pytest.raises(InputError):
        ingest_aggregates(bad, small_params, store)
    pd.testing.assert_frame_equal(store.latest(), before)
    assert len(store.vintages()) == 1


def test_a_failed_write_rolls_back(tmp_path: Path, small_params, store, monkeypatch) -> None:
    ingest_aggregates(csv(tmp_path, GOOD, "good.csv"), small_params, store)
    atoms = read_aggregates(csv(tmp_path, "referrals,2017-03,North,,,,,999\n", "new.csv"), small_params)
    atoms["period"] = "not a month"  # the insert fails half way through the transaction
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        store.add_vintage(atoms, "broken", "aggregates")
    assert len(store.vintages()) == 1
    assert store.latest().set_index("indicator").loc["referrals", "value"] == 120
