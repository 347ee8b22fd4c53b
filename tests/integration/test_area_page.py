"""An area page's sections, in order, on the demo county: per indicator the definition, the
13-month table with numerators and denominators, the annual table, the latest benchmarks, the
charts and the commentary (the analyst's or a drafted narrative); the explorable chart after the
first indicator; the UASC tables on the children-in-care page; the breakdowns last."""

from __future__ import annotations

import importlib
import shutil
import sys
import types

import altair as alt
import pytest

from csc_workbench.assess.benchmarking import indicator_benchmark_table
from csc_workbench.assess.scorecard import scorecard
from csc_workbench.config import load_params
from csc_workbench.pack import pages

from ..conftest import ROOT
from .conftest import END

EXPLORE, BREAKDOWN = object(), "<div>breakdown sentinel</div>"


@pytest.fixture
def sentinels(monkeypatch):
    """The explorable chart and the breakdowns (other modules) replaced by markers, and the
    arguments they were called with."""
    calls: dict[str, tuple] = {}

    def explorable_trend(*args):
        calls["explore"] = args
        return EXPLORE

    def breakdown_items(*args):
        calls["breakdowns"] = args
        return [BREAKDOWN]

    for name, attr, fake in (
        ("csc_workbench.present.interactive", "explorable_trend", explorable_trend),
        ("csc_workbench.pack.breakdowns", "breakdown_items", breakdown_items),
    ):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            module = types.ModuleType(name)
            monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(module, attr, fake, raising=False)
    return calls


def _kind(item: object) -> str:
    if item is EXPLORE:
        return "explore"
    if isinstance(item, alt.TopLevelMixin):
        return "chart"
    assert isinstance(item, str)
    for prefix, kind in (
        ("### ", "heading"), ("#### Explore", "explore heading"), ("**Last 13 months**", "13-month label"),
        ('<table class="cscw-13-month"', "13-month table"), ("**By financial year**", "annual label"),
        ('<table class="cscw-annual"', "annual table"), ("**Latest benchmarks**", "benchmarks label"),
        ('<div class="cscw-benchmarks"', "benchmarks"), ('<div class="cscw-commentary', "commentary"),
        (BREAKDOWN, "breakdowns"),
    ):  # fmt: skip
        if item.startswith(prefix):
            return kind
    return item[:30]


def _sections(items: list) -> list[list]:
    starts = [k for k, i in enumerate(items) if isinstance(i, str) and i.startswith("### ")]
    return [items[a:b] for a, b in zip(starts, [*starts[1:], len(items)], strict=True)]


def test_front_door_page_sections_in_order_with_commentary(small_county, tmp_path, sentinels) -> None:
    folder = tmp_path / "params"
    shutil.copytree(ROOT / "params", folder)
    (folder / "commentary" / f"{END}.yml").write_text(
        "commentary:\n  rereferrals_12m: |\n    *Synthetic.* Re-referrals rose after a **screening change**.\n",
        encoding="utf-8",
    )
    params = load_params(folder)
    items = pages.area_page(small_county.store, params, "front_door", END)
    ids = pages.AREA_INDICATORS["front_door"]
    sections = _sections(items)
    assert [s[0].splitlines()[0][4:] for s in sections] == [params.catalogue[i].title for i in ids]
    assert params.catalogue[ids[0]].definition in sections[0][0]
    for indicator, section in zip(ids, sections, strict=True):
        kinds = [_kind(i) for i in section]
        has_benchmark = params.catalogue[indicator].benchmark is not None
        expected = ["heading", "13-month label", "13-month table", "annual label", "annual table"]
        expected += ["benchmarks label", "benchmarks"] if has_benchmark else []
        assert kinds[: len(expected)] == expected, indicator
        rest = kinds[len(expected) :]
        assert rest[:2] == ["chart", "chart"], indicator  # the 13-month trend and the annual chart
        end = rest.index("commentary")
        assert set(rest[2:end]) <= {"chart"}, indicator  # small multiples / funnel for the first only
        assert indicator == ids[0] or end == 2
        tail = rest[end + 1 :]
        if indicator == ids[0]:
            assert tail[:2] == ["explore heading", "explore"]
            tail = tail[2:]
        assert tail == (["breakdowns"] if indicator == ids[-1] else []), indicator
    assert sentinels["explore"][2:] == (ids[0], END, params.authority.org_units.name, "all")
    assert sentinels["breakdowns"][2:] == ("front_door", END, params.authority.org_units.name)

    commentary = [i for i in items if isinstance(i, str) and 'class="cscw-commentary' in i]
    assert len(commentary) == len(ids)
    analyst = commentary[ids.index("rereferrals_12m")]
    assert "<strong>screening change</strong>" in analyst and pages.DRAFTED_LABEL not in analyst
    card = scorecard(small_county.store, params, END).set_index("indicator")
    drafted = commentary[ids.index("referrals_to_assessment")]
    row = card.loc["referrals_to_assessment"]
    assert pages.DRAFTED_LABEL in drafted
    assert f"{row['value']:.1f}%" in drafted  # the draft quotes this month's figure

    tables = [i for i in items if isinstance(i, str) and i.startswith('<table class="cscw-13-month"')]
    assert len(tables) == len(ids) and all(">Numerator" in t and ">Denominator" in t for t in tables)
    num, den = int(row["numerator"]), int(row["denominator"])
    assert f">{num:,}<" in tables[ids.index("referrals_to_assessment")]
    assert f">{den:,}<" in tables[ids.index("referrals_to_assessment")]
    benchmarks = [i for i in items if isinstance(i, str) and i.startswith('<div class="cscw-benchmarks"')]
    assert benchmarks and all("England" in b and "SN average" in b for b in benchmarks)
    dfe = indicator_benchmark_table(params, "rereferrals_12m", store=small_county.store)
    latest = dfe[dfe["national"].notna()].sort_values("year").iloc[-1]
    dec = params.catalogue["rereferrals_12m"].display_decimals
    assert (
        f">{latest['national']:.{dec}f}%<" in benchmarks[-1] and f">{latest['sn_average']:.{dec}f}%<" in benchmarks[-1]
    )
    again = pages.area_page(small_county.store, params, "front_door", END)  # benchmarks from the cache
    assert [i for i in again if isinstance(i, str)] == [i for i in items if isinstance(i, str)]


def test_children_in_care_page_for_the_authority_has_uasc_tables_per_area(small_county, sentinels) -> None:
    params = small_county.params
    items = pages.area_page(small_county.store, params, "children_in_care", END)
    areas = [a.name for a in params.authority.org_units.children]
    uasc = [k for k, i in enumerate(items) if isinstance(i, str) and i.startswith('<table class="cscw-uasc"')]
    assert len(uasc) == 1 + len(areas)
    assert all("Including UASC" in items[k] for k in uasc)
    assert not [i for i in items if isinstance(i, str) and (">nan<" in i or ">None<" in i)]  # gaps are '-'
    assert [items[k - 1] for k in uasc] == [f"**{u}**" for u in [params.authority.org_units.name, *areas]]
    commentary = max(k for k, i in enumerate(items) if isinstance(i, str) and "cscw-commentary" in i)
    assert commentary < uasc[0] and uasc[-1] < items.index(BREAKDOWN) == len(items) - 1
    charts = [i for i in items if isinstance(i, alt.TopLevelMixin)]
    assert any(isinstance(c, alt.FacetChart) for c in charts)  # the first indicator by area


def test_uasc_tables_for_the_authority_and_its_areas(small_county) -> None:
    params = small_county.params
    areas = [a.name for a in params.authority.org_units.children]
    assert pages.uasc_org_units(params) == [params.authority.org_units.name, *areas]
    assert pages.uasc_org_units(params, areas[0]) == [areas[0]]
