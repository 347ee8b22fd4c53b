"""End to end on a small synthetic county: generate, ingest every extract, read scorecards.

Figures are checked against counts made independently from the generated CSV files with the
csv module, not with the workbench's own reader.
"""

from __future__ import annotations

import calendar
import csv
from datetime import date, datetime
from pathlib import Path

import pytest

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.periods import month_text, parse_month
from csc_workbench.store import Store

from .conftest import END, MONTHS


@pytest.fixture(scope="module")
def county(small_county):
    return small_county.params, small_county.files, small_county.store, small_county.lines


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def test_every_extract_is_a_vintage(county) -> None:
    _, files, store, lines = county
    vintages = store.vintages()
    assert len(vintages) == len(files.snapshots) + 2  # snapshots, the full extract, the aggregates
    assert len(files.snapshots) == MONTHS - 1  # none for the gap month
    assert list(vintages["kind"]).count("annex_a") == MONTHS
    assert any("0 excluded" in line for line in lines)


def test_referrals_match_an_independent_count(county) -> None:
    params, files, store, _ = county
    referrals = rows(files.full_extract / "List 3.csv")
    for month in ("2025-06", "2024-09"):
        expected = sum(1 for r in referrals if day(r["Date of referral"]).strftime("%Y-%m") == month)
        card = scorecard(store, params, month).set_index("indicator")
        assert card.loc["referrals", "value"] == expected
    by_team = sum(
        1 for r in referrals if r["Allocated Team"] == "Fellwick CSWT" and r["Date of referral"][3:] == "06/2025"
    )
    card = scorecard(store, params, END, "Fellwick CSWT").set_index("indicator")
    assert card.loc["referrals", "value"] == by_team


def test_children_in_care_at_month_end_match_each_snapshot(county) -> None:
    """As the store stood at each month end: the full extract, as at the last, has the events recorded late."""
    params, files, store, _ = county
    authority = params.authority.org_units.name
    for folder in files.snapshots[-4:-1]:
        month = folder.name[-7:]
        year, number = int(month[:4]), int(month[5:])
        end = date(year, number, calendar.monthrange(year, number)[1])
        in_care = [
            r
            for r in rows(folder / "List 8.csv")
            if day(r["Date Started to be Looked After"]) <= end
            and (not r["Date Ceased to be Looked After"] or day(r["Date Ceased to be Looked After"]) > end)
        ]
        then = store.atoms_as_of(end, ["cic_open"], [authority], ["all"], parse_month(month))
        assert then.loc[then["period"] == parse_month(month), "value"].item() == len(in_care), month


def test_status_measures_have_a_history_from_the_snapshots(county) -> None:
    params, _, store, _ = county
    atoms = store.latest(["cin_seen_28d"], [params.authority.org_units.name], ["all"])
    months = sorted(atoms["period"].map(month_text))
    expected = [month_text(m) for m in range(parse_month(END) - MONTHS + 1, parse_month(END) + 1)]
    expected.remove("2025-02")
    assert months == expected


def test_the_gap_month_is_not_available_with_its_reason(county) -> None:
    params, _, store, _ = county
    card = scorecard(store, params, "2025-02").set_index("indicator")
    assert card["value"].isna().all()
    assert card.loc["referrals", "note"] == "Feb 2025 not available: System migration: data not available"
    later = scorecard(store, params, "2025-06").set_index("indicator")
    assert "covers Feb 2025, which is not available" in later.loc["rereferrals_12m", "note"]  # its R12M spans the gap


def test_every_org_unit_gets_a_scorecard_and_untargeted_lists_stay_at_authority(county) -> None:
    params, _, store, _ = county
    units = params.authority.org_unit_names
    card = scorecard(store, params, END, units)
    n_indicators = sum(1 for i in params.catalogue.indicators if i.scorecard)
    assert len(card) == n_indicators * len(units)
    contacts = card[card["indicator"] == "contacts"].set_index("org_unit")["value"]
    assert contacts[params.authority.org_units.name] > 0
    assert contacts.drop(params.authority.org_units.name).isna().all()  # no team on List 1: not zero, absent
    authority = card[card["org_unit"] == params.authority.org_units.name].set_index("indicator")
    for indicator in ("cin_open", "cp_plans_open", "cic_open", "care_leavers_in_touch", "cin_seen_28d"):
        assert authority.loc[indicator, "value"] > 0, indicator
    assert set(authority["rag"].dropna()) <= {"green", "amber", "red"}
    assert authority["rag"].notna().sum() > 30


def test_excluding_uasc_changes_children_in_care(county) -> None:
    params, _, store, _ = county
    every = scorecard(store, params, END).set_index("indicator")
    excluding = scorecard(store, params, END, cohort="excl_uasc").set_index("indicator")
    month = parse_month(END)
    top = params.authority.org_units.name
    uasc = store.latest(["cic_uasc_open"], [top], ["all"], month, month)["value"].item()
    assert uasc > 0
    assert excluding.loc["cic_open", "value"] == every.loc["cic_open", "value"] - uasc


def test_every_chart_kind_renders_from_demo_data(county, tmp_path) -> None:
    """Trend, neighbour ranking, small multiples, funnel and annual trend, drawn from the demo's
    aggregates and the comparator's DfE figures, each to a PNG; benchmark charts say whose
    figures they are."""
    import pandas as pd

    from csc_workbench.assess.benchmarking import cached_benchmark_table, comparison_label, dfe_figures
    from csc_workbench.assess.scorecard import gaps_from_params
    from csc_workbench.assess.series import annual_chart_frame, annual_trend_table
    from csc_workbench.assess.windows import window_values
    from csc_workbench.benchmarks import benchmark_set, mapping_values, neighbour_frame, statistical_neighbours
    from csc_workbench.present import charts

    params, _, store, _ = county
    top, end = params.authority.org_units.name, parse_month(END)
    label = comparison_label(params)
    assert "SYNTHETIC" in label and "Kent" in label
    ind = params.catalogue["cin_seen_28d"]
    teams = params.authority.at_level("team")
    months = list(range(end - 12, end + 1))
    atoms = store.latest([ind.id], [top, *teams], ["all"], end - 12, end)
    requests = pd.DataFrame(
        [(ind.id, org, "all", m, "snapshot") for org in [top, *teams] for m in months],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    values["month"] = values["period"].map(month_text)
    trend = charts.trend_chart(
        values[values["org_unit"] == top], title=f"{ind.title} (SYNTHETIC)", unit=ind.unit.value,
        target=ind.target_for(end), bands=charts.bands_for(ind, end), polarity=ind.polarity.value,
    )  # fmt: skip
    multiples = charts.small_multiples(values[values["org_unit"] != top], title="By team (SYNTHETIC)", unit="%")
    latest = atoms[(atoms["period"] == end) & atoms["org_unit"].isin(teams)]
    funnel = charts.funnel_plot(latest[["org_unit", "numerator", "denominator"]], title="Teams (SYNTHETIC)", unit="%")
    rate = params.catalogue["cic_rate_per_10k"]
    figures = mapping_values(rate.benchmark, dfe_figures(store))
    result = benchmark_set(figures, "886", 2025, rate.polarity, statistical_neighbours("886"))
    ranking = charts.neighbour_bar_chart(
        neighbour_frame(result), title=f"Children in care per 10,000, 2024-25. {label}", unit=rate.unit.value,
        authority=result["la_name"], sn_average=result["sn_average"], national=result["national"],
        polarity=rate.polarity.value,
    )  # fmt: skip
    own = annual_trend_table(store, params, rate.id, END, years=5)
    comparison = annual_chart_frame("Northmoor (synthetic)", own, cached_benchmark_table(store, params, rate, end))
    assert {"Northmoor (synthetic)", "SN average", "England"} <= set(comparison["series"])
    annual = charts.annual_trend_chart(comparison, title=f"Children in care per 10,000. {label}", unit=rate.unit.value)
    for name, chart in {"trend": trend, "multiples": multiples, "funnel": funnel, "ranking": ranking,
                        "annual": annual}.items():  # fmt: skip
        path = tmp_path / f"{name}.png"
        charts.to_png(chart, path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, name
        spec = chart.to_dict()
        title = spec["title"]["text"] if isinstance(spec["title"], dict) else spec["title"]
        assert "SYNTHETIC" in str(title), name
        assert spec.get("description"), name


def test_cli_benchmarks_and_loading_a_download(county, tmp_path, capsys) -> None:
    """`cscw benchmarks` prints a real authority's set; `cscw ingest benchmarks` stores a download
    that then takes precedence over the shipped extract for its measure."""
    from csc_workbench.assess.benchmarking import dfe_figures
    from csc_workbench.cli import main

    store = tmp_path / "store.duckdb"
    assert main(["benchmarks", "--indicator", "rereferrals_12m", "--la", "886", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Kent (886)" in out and "2024-25 21.6" in out
    download = tmp_path / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    download.write_text(
        "\ufefftime_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "old_la_code,new_la_code,la_name,rereferral_percent\n"
        "2025,Reporting year,National,E92000001,England,,,,,,22.6\n"
        "2025,Reporting year,Local authority,E92000001,England,E12000008,South East,886,E10000016,Kent,c\n",
        encoding="utf-8",
    )
    assert main(["ingest", "benchmarks", str(download), "--store", str(store)]) == 0
    assert "1 not available with their reason" in capsys.readouterr().out
    loaded = dfe_figures(Store(store))
    kent = loaded[(loaded["measure"] == "rereferral_percent") & (loaded["old_la_code"] == "886")]
    assert kent["value"].isna().all() and kent["reason"].str.contains("confidentiality").all()


def test_exception_pages_for_every_org_unit_and_cohort(county) -> None:
    """Red indicators measured on their own cohort (excluding UASC) sit beside those on all
    children: every red row of every org unit gets its page and its last four months."""
    from csc_workbench.config.commentary import load_commentary
    from csc_workbench.present.exceptions import exception_pages

    params, _, store, _ = county
    for org in [params.authority.org_units.name, *params.authority.at_level("area")]:
        card = scorecard(store, params, END, org)
        pages = exception_pages(card, params, load_commentary(params, END), END, store)
        assert [p["indicator"] for p in pages] == card.loc[card["rag"] == "red", "indicator"].tolist()
        assert all(p["commentary_missing"] for p in pages)  # no commentary file for this month
    # force reds in both cohorts at once: the last months of each are read without double counting
    card = scorecard(store, params, END).copy()
    card.loc[card["indicator"].isin(["cic_inhouse_foster", "cin_seen_28d"]), "rag"] = "red"
    pages = exception_pages(card, params, load_commentary(params, END), END, store)
    forced = {p["indicator"]: p for p in pages}
    assert {"cic_inhouse_foster", "cin_seen_28d"} <= set(forced)
    assert len(forced["cic_inhouse_foster"]["last_months"]) == 4
