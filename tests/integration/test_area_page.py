"""An area page on the demo county, driven by the catalogue: a section for every indicator of the
area (definition, 13-month table with numerators and denominators, trend chart, annual table,
benchmarks where mapped, annual chart, commentary or a drafted narrative); the headline by org
unit; the cohorts side by side where the catalogue has two; the breakdowns the catalogue lists."""

from __future__ import annotations

import shutil

import altair as alt
import pytest

from csc_workbench.assess.benchmarking import indicator_benchmark_table
from csc_workbench.assess.scorecard import scorecard
from csc_workbench.config import load_params
from csc_workbench.present import html_tables
from csc_workbench.present.area_page import AreaPage
from csc_workbench.present.items import Html, Text, flatten

from ..conftest import ROOT
from .conftest import END


def _html(items: object) -> list[str]:
    return [i.html for i in flatten(items) if isinstance(i, Html)]


def test_front_door_page_has_a_section_per_indicator_of_the_catalogue(small_county, tmp_path) -> None:
    folder = tmp_path / "params"
    shutil.copytree(ROOT / "params", folder)
    (folder / "commentary" / f"{END}.yml").write_text(
        "commentary:\n  rereferrals_12m: |\n    *Synthetic.* Re-referrals rose after a **screening change**.\n",
        encoding="utf-8",
    )
    params = load_params(folder)
    page = AreaPage(small_county.store, params, "front_door", END)
    area = [i for i in params.catalogue.indicators if i.area == "front_door"]
    assert page.indicators == area and page.headline == area[0]
    card = scorecard(small_county.store, params, END).set_index("indicator")
    for ind in page.indicators:
        heading = page.heading(ind)
        assert isinstance(heading, Text) and heading.markdown.startswith(f"### {ind.title}\n")
        assert ind.definition in heading.markdown
        label, table = page.monthly_table(ind)
        assert label.markdown.startswith("**Last 13 months**") and table.html.startswith('<table class="cscw-13-month"')
        assert table.html.count("<tr>") == 1 + 13
        assert isinstance(page.trend_chart(ind), alt.TopLevelMixin)
        assert _html(page.annual_table(ind))[0].startswith('<table class="cscw-annual"')
        benchmarks = page.benchmark_table(ind)
        assert (benchmarks is not None) == (ind.benchmark is not None), ind.id
        commentary = page.commentary(ind)
        assert (commentary is None) == (not ind.scorecard), ind.id  # off the scorecard: nothing to draft from

    analyst = page.commentary(params.catalogue["rereferrals_12m"]).html
    assert "<strong>screening change</strong>" in analyst and html_tables.DRAFTED_LABEL not in analyst
    drafted = page.commentary(params.catalogue["referrals_to_assessment"]).html
    row = card.loc["referrals_to_assessment"]
    assert html_tables.DRAFTED_LABEL in drafted and f"{row['value']:.1f}%" in drafted  # quotes the month's figure
    table = _html(page.monthly_table(params.catalogue["referrals_to_assessment"]))[0]
    assert f">{int(row['numerator']):,}<" in table and f">{int(row['denominator']):,}<" in table

    dfe = indicator_benchmark_table(params, "rereferrals_12m", store=small_county.store)
    latest = dfe[dfe["national"].notna()].sort_values("year").iloc[-1]
    shown = _html(page.benchmark_table(params.catalogue["rereferrals_12m"]))[0]
    dec = params.catalogue["rereferrals_12m"].display_decimals
    assert f">{latest['national']:.{dec}f}%<" in shown and f">{latest['sn_average']:.{dec}f}%<" in shown

    breakdowns = flatten(page.breakdowns())
    names = params.catalogue.breakdowns["front_door"]
    assert len([i for i in breakdowns if isinstance(i, Html)]) == len(names)
    assert next(i for i in breakdowns if isinstance(i, Text)).markdown == "## Breakdowns"
    assert page.by_org_unit(page.headline) is None  # contacts are recorded for the authority only
    assessments = AreaPage(small_county.store, params, "assessments", END)
    by_org = flatten(assessments.by_org_unit(assessments.headline))
    assert any(isinstance(i, alt.FacetChart) for i in by_org)  # the headline in each area


def test_children_in_care_compares_all_children_with_excluding_uasc_for_the_authority_and_areas(small_county):
    params = small_county.params
    page = AreaPage(small_county.store, params, "children_in_care", END)
    items = flatten(page.cohort_comparison())
    tables = [i.html for i in items if isinstance(i, Html)]
    areas = [a.name for a in params.authority.org_units.children]
    assert [i.markdown for i in items if isinstance(i, Text) and i.markdown.startswith("**")] == [
        f"**{u}**" for u in [params.authority.org_units.name, *areas]
    ]
    assert len(tables) == 1 + len(areas)
    assert all("All children" in t and "Excluding UASC" in t and ">nan<" not in t for t in tables)
    # the rows are the area's indicators measured for both cohorts, in catalogue order
    both = set(
        small_county.store.latest(None, [params.authority.org_units.name], ["excl_uasc"], None, None)["indicator"]
    )
    expected = [i.title for i in page.indicators if i.cohort is None and i.id in both]
    assert [t for t in expected if t in tables[0]] == expected and expected


def test_an_area_without_breakdowns_or_cohorts_shows_neither(small_county) -> None:
    page = AreaPage(small_county.store, small_county.params, "workforce", END)
    assert page.breakdowns() is None
    assert page.cohort_comparison() is None  # workforce figures exist for all children only


def test_a_team_page_has_no_org_units_below(small_county) -> None:
    team = small_county.params.authority.at_level("team")[0]
    page = AreaPage(small_county.store, small_county.params, "front_door", END, team)
    assert page.by_org_unit(page.headline) is None


def test_unknown_area_names_the_catalogue_areas(small_county) -> None:
    with pytest.raises(KeyError, match="the catalogue's areas: front_door"):
        AreaPage(small_county.store, small_county.params, "astrology", END)
