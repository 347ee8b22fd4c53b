"""Aggregate ingest into the vintaged store: errors name row and column; nothing is lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from csc_workbench.config import Params, load_params
from csc_workbench.config.errors import InputError
from csc_workbench.ingest.aggregates import ingest_aggregates, read_aggregates
from csc_workbench.periods import parse_month
from csc_workbench.store import Store

from ..conftest import FIXTURES, ROOT, make_atoms

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
    loaded = ingest_aggregates(first, small_params, store)
    rerun = csv(tmp_path, "referrals,2017-03,North,,,,,125\nreferrals,2017-04,North,,,,,130\n", "rerun.csv")
    again = ingest_aggregates(rerun, small_params, store)
    assert (loaded.vintage, loaded.atoms, again.vintage) == (1, 4, 2)
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
        store.add_vintage(atoms, "broken", "aggregates", as_at=date(2017, 3, 31))
    assert len(store.vintages()) == 1
    assert store.latest().set_index("indicator").loc["referrals", "value"] == 120


# --- rates per 10,000 given as counts -----------------------------------------------------------

RATE_HEADER = "indicator,period,org_unit,window,numerator,denominator,value,value_is\n"


def params_with(tmp_path: Path, authority: str) -> Params:
    """The small catalogue with another authority.yml."""
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "catalogue.yml").write_text((FIXTURES / "small" / "catalogue.yml").read_text(), encoding="utf-8")
    (folder / "authority.yml").write_text(authority, encoding="utf-8")
    return load_params(folder)


#: Testshire 120,000 children, North 36,000, South none stated.
POPULATED = """
name: Testshire County Council (SYNTHETIC TEST)
short_name: Testshire
synthetic: true
org_units:
  name: Testshire
  level: authority
  population: 120000
  children:
    - {name: North, level: area, population: 36000}
    - {name: South, level: area}
"""


def test_a_rate_given_as_a_count_divides_by_the_population_in_authority_yml(tmp_path: Path) -> None:
    params = params_with(tmp_path, POPULATED)
    body = (
        "s47_rate,2017-03,Testshire,month,30,,,\n"  # a count in numerator: 30 / 120,000 x 10,000 = 2.5
        "cic_rate,2017-03,North,,,,54,\n"  # a count in value: 54 / 36,000 x 10,000 = 15.0
        "cic_rate,2017-03,Testshire,,600,,50.0,rate\n"  # 600 / 120,000 x 10,000 = 50.0, as printed
        "cic_rate,2017-03,South,,,,48.2,rate\n"  # a published rate, stored as given
        "cic_rate,2017-04,South,,30,25000,,\n"  # a stated denominator, as before: 12.0
    )
    atoms = read_aggregates(csv(tmp_path, body, header=RATE_HEADER), params).set_index(["org_unit", "period"])
    march, april = parse_month("2017-03"), parse_month("2017-04")
    s47 = atoms[atoms["indicator"] == "s47_rate"].loc[("Testshire", march)]
    assert (s47["numerator"], s47["denominator"], s47["value"]) == (30, 120_000, 2.5)
    cic = atoms[atoms["indicator"] == "cic_rate"]
    assert tuple(cic.loc[("North", march), ["numerator", "denominator", "value"]]) == (54, 36_000, 15.0)
    assert tuple(cic.loc[("Testshire", march), ["numerator", "denominator", "value"]]) == (600, 120_000, 50.0)
    published = cic.loc[("South", march)]
    assert published["value"] == 48.2
    assert pd.isna(published["numerator"]) and pd.isna(published["denominator"])
    assert tuple(cic.loc[("South", april), ["numerator", "denominator", "value"]]) == (30, 25_000, 12.0)


def test_the_authority_without_a_population_uses_the_ons_estimate_for_its_la_code(tmp_path: Path) -> None:
    params = params_with(
        tmp_path,
        "name: Kent County Council\nshort_name: Kent\nla_code_old: '886'\nla_code_new: E10000016\n"
        "org_units: {name: Kent, level: authority}\n",
    )
    ons = pd.read_csv(ROOT / "lib" / "csc_workbench" / "reference" / "population_0_17.csv", comment="#", dtype=str)
    kent = ons[(ons["old_la_code"] == "886") & (ons["year"] == "2017")]
    population = int(kent["population_0_17"].iloc[0])
    notes: list[str] = []
    atoms = read_aggregates(csv(tmp_path, "cic_rate,2017-04,Kent,,,,1800,\n", header=RATE_HEADER), params, notes=notes)
    assert tuple(atoms.loc[0, ["numerator", "denominator"]]) == (1800, population)
    assert atoms.loc[0, "value"] == pytest.approx(1800 / population * 10_000)
    assert notes == [f"rates per 10,000 for Kent use the ONS mid-2017 estimate of {population:,} children aged 0-17"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "cic_rate,2017-03,South,,,,54,",
            "row 2, column denominator: empty, and 'South' has no population to divide the count by (cic_rate "
            "is a rate per 10,000): add population: (children aged 0-17) to 'South' in authority.yml",
        ),
        ("cic_rate,2017-03,North,,,,48.2,", "row 2, column value: 48.2 is not a whole number, so not a count"),
        ("cic_rate,2017-03,North,,54,,55,", "row 2, column value: 55 differs from numerator 54"),
        ("cic_rate,2017-03,North,,600,,50.0,rate", "row 2, column value: 50.0 does not match"),  # 166.7
        ("cic_rate,2017-03,North,,54,36000,,count", "row 2, column value_is: a count takes no denominator"),
        ("cic_rate,2017-03,North,,,,54,number", "row 2, column value_is: 'number' is not one of count, rate"),
        ("referrals,2017-03,North,,,,54,count", "row 2, column value_is: only for rates per 10,000"),
    ],
)
def test_a_rate_given_as_a_count_is_refused_when_it_cannot_be_divided(tmp_path: Path, row: str, expected: str) -> None:
    params = params_with(tmp_path, POPULATED)
    path = csv(tmp_path, row + "\n", header=RATE_HEADER)
    with pytest.raises(InputError) as caught:
        read_aggregates(path, params)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


# --- as-at dates --------------------------------------------------------------------------------


def test_an_aggregates_load_is_as_at_the_end_of_its_latest_month_or_as_given(
    tmp_path: Path, small_params, store
) -> None:
    body = "referrals,2017-02,North,,,,,120\nreferrals,2017-03,North,,,,,125\n"
    assert ingest_aggregates(csv(tmp_path, body, "a.csv"), small_params, store).as_at == date(2017, 3, 31)
    given = ingest_aggregates(csv(tmp_path, body, "b.csv"), small_params, store, as_at=date(2017, 4, 6))
    assert given.as_at == date(2017, 4, 6)
    assert list(store.vintages()["as_at"].dt.date) == [date(2017, 3, 31), date(2017, 4, 6)]
    with pytest.raises(InputError, match="as-at date 2017-02-28 is before 2017-03, the latest period"):
        ingest_aggregates(csv(tmp_path, body, "c.csv"), small_params, store, as_at=date(2017, 2, 28))


def test_data_as_at_is_the_latest_as_at_of_the_vintages_a_month_reads(small_params, store) -> None:
    def load(rows: list[tuple[str, int]], as_at: date) -> None:
        atoms = make_atoms([("referrals", month, "North", "all", "month", n, None, n) for month, n in rows])
        store.add_vintage(atoms, "test", "aggregates", as_at=as_at)

    load([("2017-03", 1), ("2017-04", 2)], date(2017, 4, 30))
    load([("2017-05", 3)], date(2017, 5, 31))
    assert store.data_as_at(parse_month("2017-04")) == date(2017, 4, 30)  # May's load is not read
    assert store.data_as_at(parse_month("2017-05")) == date(2017, 5, 31)
    assert store.data_as_at() == date(2017, 5, 31)
    assert store.data_as_at(parse_month("2017-02")) is None
    load([("2017-03", 1), ("2017-04", 2)], date(2017, 4, 20))  # an earlier extract, loaded later
    assert store.data_as_at(parse_month("2017-04")) == date(2017, 4, 20)  # it replaced every atom of the first


def test_a_benchmarks_load_is_as_at_the_end_of_the_period_of_its_latest_year(store) -> None:
    frame = pd.DataFrame(
        {
            "source": ["ees", "ees", "ees"],
            "dataset": ["csww_indicators_2017_to_2024", "cla_rates", "cla_rates"],
            "measure": ["turnover_rate", "rate_per_10k", "rate_per_10k"],
            "year": [2024, 2023, 2024],  # the workforce census of 30 September 2024; years ending 31 March
            "level": "national",
            "value": [15.0, 70.0, None],
        }
    )
    store.add_benchmarks(frame, "downloads")
    assert store.vintages()["as_at"].dt.date.tolist() == [date(2024, 9, 30)]
    store.add_benchmarks(frame.iloc[1:], "cla only")
    assert store.vintages()["as_at"].dt.date.tolist()[1] == date(2024, 3, 31)


def test_a_store_written_before_as_at_dates_is_read_and_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # the schema before vintages had an as-at date
        con.execute(
            "CREATE SEQUENCE vintage_seq START 2; "
            "CREATE TABLE vintages (vintage INTEGER PRIMARY KEY, loaded_at TIMESTAMP NOT NULL DEFAULT "
            "current_timestamp, source VARCHAR NOT NULL, kind VARCHAR NOT NULL, rows INTEGER NOT NULL); "
            "CREATE TABLE atoms (indicator VARCHAR NOT NULL, period INTEGER NOT NULL, org_unit VARCHAR NOT NULL, "
            'cohort VARCHAR NOT NULL, "window" VARCHAR NOT NULL, numerator DOUBLE, denominator DOUBLE, value DOUBLE, '
            "unavailable_reason VARCHAR, vintage INTEGER NOT NULL REFERENCES vintages (vintage), "
            'PRIMARY KEY (indicator, period, org_unit, cohort, "window", vintage)); '
            "CREATE VIEW atoms_latest AS SELECT * EXCLUDE (rank) FROM (SELECT a.*, v.source, row_number() OVER ("
            'PARTITION BY indicator, period, org_unit, cohort, "window" ORDER BY a.vintage DESC) AS rank '
            "FROM atoms a JOIN vintages v USING (vintage)) WHERE rank = 1; "
            "INSERT INTO vintages (vintage, source, kind, rows) VALUES (1, 'old.csv', 'aggregates', 2); "
            f"INSERT INTO atoms VALUES ('referrals', {parse_month('2016-11')}, 'North', 'all', 'month', 5, NULL, 5, "
            f"NULL, 1), ('referrals', {parse_month('2016-12')}, 'North', 'all', 'month', 6, NULL, 6, NULL, 1)"
        )
    old = Store(path)
    assert old.data_as_at() == date(2016, 12, 31)  # derived by a read, which leaves the file as it was
    assert old.vintages()["as_at"].dt.date.tolist() == [date(2016, 12, 31)]
    with duckdb.connect(str(path), read_only=True) as con:
        assert "as_at" not in {row[0] for row in con.execute("DESCRIBE vintages").fetchall()}
    old.add_vintage(make_atoms([("referrals", "2017-01", "North", "all", "month", 7, None, 7)]), "new", "aggregates")
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.execute("SELECT vintage, as_at FROM vintages ORDER BY vintage").fetchall()
    assert stored == [(1, date(2016, 12, 31)), (2, date(2017, 1, 31))]
