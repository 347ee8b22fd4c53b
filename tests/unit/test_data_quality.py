"""Data quality in the pack: the aggregate record an Annex A load keeps (rows kept, excluded and set
aside per list and org unit, with reasons; blank lines; the fields that stop indicators), stored
with its vintage, chosen for a month and shown with small numbers suppressed and no identifier."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pandas as pd
import pytest

from csc_workbench.assess.data_quality import month_data_quality
from csc_workbench.config import Params, load_params
from csc_workbench.load import load_annex_a, measure_annex_a
from csc_workbench.measures.data_quality import (
    BLANK_LINES,
    BLANK_ON_EVERY_ROW,
    ORG_UNIT_NOT_KNOWN,
    ROWS_EXCLUDED,
    ROWS_KEPT,
    STOPS,
    VALUES_SET_ASIDE,
)
from csc_workbench.present import data_quality as page
from csc_workbench.present.items import Html, Text, flatten
from csc_workbench.store import Store
from csc_workbench.store.atoms import QUALITY_COLUMNS

from ..conftest import FIXTURES, ROOT, make_atoms

#: Lists 1 and 3 of a small extract: a contact with a date that does not exist; referrals in two teams, one in a
#: team not in authority.yml, a blank line, a row without its date, one dated in the future, one without its child,
#: an exact copy, a referral source that is no code, and "Referral NFA?" blank on every row.
EXTRACT = FIXTURES / "annex_a" / "data_quality"
TODAY = date(2024, 6, 30)
#: What the extract holds that names a child, a worker or a value as written: never in the record or the page.
PLANTED = ["ZZPLANTED42", "C10", "C20", "Plantworth", "Testworker", "Atlantis", "2030", "31/02/2024", "pigeon"]


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(ROOT / "params")


@pytest.fixture(scope="module")
def quality(params, tmp_path_factory) -> pd.DataFrame:
    _, _, report = measure_annex_a(EXTRACT, params, quarantine_dir=tmp_path_factory.mktemp("q"), today=TODAY)
    assert report.data_quality is not None
    return report.data_quality


def count(quality: pd.DataFrame, number: int, unit: str, status: str, field: str = "", reason: str = "") -> int:
    rows = quality[
        (quality["list_number"] == number)
        & (quality["org_unit"] == unit)
        & (quality["status"] == status)
        & (quality["field"] == field)
        & (quality["reason"] == reason)
    ]
    assert len(rows) == 1, (number, unit, status, field, reason)
    return int(rows["count"].iloc[0])


def test_rows_kept_excluded_and_set_aside_count_for_their_team_its_area_and_the_authority(quality) -> None:
    kept = {unit: count(quality, 3, unit, ROWS_KEPT) for unit in
            ("Northmoor", "North Northmoor", "Brackenholt CSWT", "South Northmoor", "Cindermere CSWT", "Fellwick CSWT",
             ORG_UNIT_NOT_KNOWN)}  # fmt: skip
    assert kept == {
        "Northmoor": 9, "North Northmoor": 6, "Brackenholt CSWT": 6, "South Northmoor": 2, "Cindermere CSWT": 2,
        "Fellwick CSWT": 0, ORG_UNIT_NOT_KNOWN: 1,
    }  # fmt: skip
    excluded = [count(quality, 3, unit, ROWS_EXCLUDED) for unit in ("Northmoor", "Brackenholt CSWT", "Cindermere CSWT")]
    assert excluded == [4, 2, 2]
    # values set aside on the rows kept: the unknown code, and "Referral NFA?" blank on each of the 9 rows
    assert count(quality, 3, "Northmoor", VALUES_SET_ASIDE) == 10
    assert count(quality, 3, "Northmoor", VALUES_SET_ASIDE, "Referral NFA?", "blank") == 9
    assert count(quality, 3, "Brackenholt CSWT", VALUES_SET_ASIDE, "Referral Source", "unknown code") == 1
    assert count(quality, 3, "Northmoor", BLANK_LINES) == 1
    # contacts have no team: the authority alone
    assert set(quality.loc[quality["list_number"] == 1, "org_unit"]) == {"Northmoor"}
    assert (count(quality, 1, "Northmoor", ROWS_KEPT), count(quality, 1, "Northmoor", ROWS_EXCLUDED)) == (5, 1)


def test_excluded_rows_are_counted_by_field_and_reason_in_words_without_their_values(quality) -> None:
    reasons = quality[(quality["status"] == ROWS_EXCLUDED) & (quality["org_unit"] == "Northmoor")]
    by_reason = reasons[reasons["reason"] != ""][["list_number", "field", "reason", "count"]]
    found = {(number, field, reason): n for number, field, reason, n in by_reason.itertuples(index=False)}
    assert found == {
        (1, "Date of Contact", "not a valid date (expected dd/mm/yyyy)"): 1,
        (3, "Date of referral", "blank"): 1,
        (3, "Date of referral", "date in the future"): 1,
        (3, "Child Unique ID", "blank"): 1,
        (3, "", "exact copy of another row"): 1,
    }
    # an excluded row counts for the team written on it
    assert count(quality, 3, "Brackenholt CSWT", ROWS_EXCLUDED, "Date of referral", "date in the future") == 1


def test_a_field_blank_on_every_row_names_the_indicators_it_stops(quality) -> None:
    stops = quality[(quality["status"] == STOPS) & (quality["list_number"] == 3)]
    assert stops[["field", "reason", "indicator"]].values.tolist() == [
        ["Referral NFA?", BLANK_ON_EVERY_ROW, "referrals_nfa"]
    ]
    assert stops["count"].isna().all()
    missing = quality[(quality["status"] == STOPS) & (quality["list_number"] == 4)]
    assert set(missing["reason"]) == {"not in the extract"} and "assessments_started" in set(missing["indicator"])


def test_no_identifier_or_value_as_written_reaches_the_record(quality) -> None:
    assert list(quality.columns) == QUALITY_COLUMNS
    text = quality.astype(str).to_csv()
    assert [planted for planted in PLANTED if planted in text] == []


@pytest.fixture(scope="module")
def loaded(params, tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("store") / "store.duckdb")
    load_annex_a(EXTRACT, params, store, quarantine_dir=tmp_path_factory.mktemp("q"), today=TODAY)
    return store


def test_the_record_is_stored_with_its_vintage_and_read_back_whole(loaded, quality) -> None:
    vintage = int(loaded.vintages()["vintage"].iloc[-1])
    stored = loaded.data_quality([vintage])
    assert set(stored["vintage"]) == {vintage}
    key = QUALITY_COLUMNS[:-1]
    both = stored.drop(columns="vintage").merge(quality, on=key, how="outer", suffixes=("_stored", ""), indicator=True)
    assert set(both["_merge"]) == {"both"}
    assert both["count_stored"].astype("Float64").equals(both["count"].astype("Float64"))
    assert loaded.data_quality([vintage + 1]).empty


def test_a_record_that_cannot_be_stored_stores_nothing(store) -> None:
    atoms = make_atoms([("referrals", "2024-03", "Northmoor", "all", "month", 9, None, 9)])
    twice = pd.DataFrame([[3, "Northmoor", ROWS_KEPT, "", "", None, None, 9]] * 2, columns=QUALITY_COLUMNS)
    with pytest.raises(ValueError, match="duplicate"):
        store.add_vintage(atoms, "extract", "annex_a", quality=twice)
    assert store.vintages().empty


def test_a_store_written_before_records_were_kept_reads_as_no_record_then_gains_the_table(store) -> None:
    atoms = make_atoms([("referrals", "2024-03", "Northmoor", "all", "month", 9, None, 9)])
    store.add_vintage(atoms, "old extract", "annex_a", as_at=date(2024, 3, 31))
    with duckdb.connect(str(store.path)) as con:
        con.execute("DROP TABLE data_quality")  # as a store written before the table existed
    record = month_data_quality(store, "2024-03")
    assert record.annex_a is not None and record.annex_a.vintage == 1 and not record.recorded
    assert "loaded before the workbench kept a record of data quality" in page.loads_summary(record).markdown
    with duckdb.connect(str(store.path), read_only=True) as con:  # reading left the file as it was
        assert "data_quality" not in {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    kept = pd.DataFrame([[3, "Northmoor", ROWS_KEPT, "", "", None, None, 9]], columns=QUALITY_COLUMNS)
    store.add_vintage(atoms, "new extract", "annex_a", as_at=date(2024, 3, 31), quality=kept)
    assert month_data_quality(store, "2024-03").quality["count"].tolist() == [9]
    assert store.data_quality([1]).empty


def test_the_month_reads_the_latest_extract_as_at_it_or_before_and_the_aggregates_it_uses(store) -> None:
    def atoms(month: str):
        return make_atoms([("referrals", month, "Northmoor", "all", "month", 9, None, 9)])

    kept = pd.DataFrame([[3, "Northmoor", ROWS_KEPT, "", "", None, None, 9]], columns=QUALITY_COLUMNS)
    store.add_vintage(atoms("2024-02"), "february", "annex_a", as_at=date(2024, 2, 29), quality=kept)
    store.add_vintage(atoms("2024-03"), "march", "annex_a", as_at=date(2024, 3, 31), quality=kept)
    store.add_vintage(atoms("2024-03"), "march again", "annex_a", as_at=date(2024, 3, 31), quality=kept)
    store.add_vintage(atoms("2024-04"), "april", "annex_a", as_at=date(2024, 4, 30), quality=kept)
    store.add_vintage(atoms("2024-01"), "january return", "aggregates", as_at=date(2024, 4, 30))
    store.add_vintage(atoms("2024-05"), "may return", "aggregates", as_at=date(2024, 5, 31))
    march = month_data_quality(store, "2024-03")
    assert march.annex_a is not None and march.annex_a.vintage == 3  # the later of the two as at 31 March
    assert [load.vintage for load in march.aggregates] == [5]  # the May return holds nothing up to March
    assert month_data_quality(store, "2024-01").annex_a is None


def test_the_page_suppresses_small_counts_and_shows_no_identifier(loaded, params) -> None:
    record = month_data_quality(loaded, "2024-03")
    assert record.recorded and record.annex_a is not None and record.annex_a.as_at == date(2024, 3, 31)
    sections = flatten(
        [
            page.loads_summary(record),
            page.rows_by_list_table(record, params),
            page.kept_by_org_unit_table(record, params),
            page.excluded_by_org_unit_table(record, params),
            page.exclusion_reasons_table(record, params),
            page.set_aside_by_org_unit_table(record, params),
            page.set_aside_reasons_table(record, params),
            page.stopped_indicators_table(record, params),
        ]
    )
    tables = [item.html for item in sections if isinstance(item, Html)]
    assert len(tables) == 7
    assert all("<caption" in table and 'scope="col"' in table and 'scope="row"' in table for table in tables)
    text = " ".join(
        re.sub(r"<[^>]+>", " ", item.html) if isinstance(item, Html) else item.markdown for item in sections
    )
    assert "the Annex A extract as at 31 March 2024" in text
    assert 'Counts from 1 to 4 are shown as "fewer than 5"' in text
    assert "fewer than 5" in tables[0]  # List 3: 4 rows excluded, 1 blank line
    assert re.search(r"List 3: Referrals</th><td[^>]*>9</td><td[^>]*>fewer than 5</td><td[^>]*>10</td>", tables[0])
    assert "% of referrals resulting in no further action" in tables[-1]  # by its title, never its id
    assert [planted for planted in [*PLANTED, "referrals_nfa", "None", "nan"] if planted in text] == []
    assert [cell for table in tables for cell in re.findall(r"<td[^>]*>([1-4])</td>", table)] == []


def test_counts_from_one_to_four_are_suppressed() -> None:
    assert [page.suppressed(n) for n in (0, 1, 4, 5, 1234, None)] == ["0", *["fewer than 5"] * 2, "5", "1,234", "-"]


def test_without_an_annex_a_extract_the_page_says_so_and_names_the_aggregate_returns(store, params) -> None:
    atoms = make_atoms([("referrals", "2024-03", "Northmoor", "all", "month", 9, None, 9)])
    store.add_vintage(atoms, "return", "aggregates", as_at=date(2024, 3, 31))
    record = month_data_quality(store, "2024-03")
    assert record.annex_a is None and [load.figures for load in record.aggregates] == [1]
    summary = page.loads_summary(record).markdown
    assert "No Annex A extract dated Mar 2024 or earlier has been loaded" in summary
    assert "1 aggregate return (as at 31 March 2024, 1 figure)" in summary
    section = page.rows_by_list_table(record, params)
    assert isinstance(section, Text) and section.markdown == "No Annex A extract is loaded for this month."
