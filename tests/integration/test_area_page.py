"""An area page's sections, in order, on the demo county: commentary (the analyst's or a
drafted narrative), the 13-month table with numerators and denominators, charts, the annual
table against the benchmarks."""

from __future__ import annotations

import shutil

import altair as alt

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.config import load_params
from csc_workbench.pack import pages

from ..conftest import ROOT
from .conftest import END


def test_front_door_page_sections_and_commentary(small_county, tmp_path) -> None:
    folder = tmp_path / "params"
    shutil.copytree(ROOT / "params", folder)
    (folder / "commentary" / f"{END}.yml").write_text(
        "commentary:\n  rereferrals_12m: |\n    *Synthetic.* Re-referrals rose after a **screening change**.\n",
        encoding="utf-8",
    )
    params = load_params(folder)
    items = pages.area_page(small_county.store, params, "front_door", END)
    ids = pages.AREA_INDICATORS["front_door"]
    headings = [i for i in items if isinstance(i, str) and i.startswith("### ")]
    assert [h.splitlines()[0][4:] for h in headings] == [params.catalogue[i].title for i in ids]

    commentary = [i for i in items if isinstance(i, str) and 'class="cscw-commentary' in i]
    assert len(commentary) == len(ids)
    analyst = commentary[ids.index("rereferrals_12m")]
    assert "<strong>screening change</strong>" in analyst and "Drafted" not in analyst
    card = scorecard(small_county.store, params, END).set_index("indicator")
    drafted = commentary[ids.index("referrals_to_assessment")]
    row = card.loc["referrals_to_assessment"]
    assert "Drafted from the figures" in drafted
    assert f"{row['value']:.1f}%" in drafted  # the draft quotes this month's figure

    tables = [i for i in items if isinstance(i, str) and i.startswith('<table class="cscw-13-month"')]
    assert len(tables) == len(ids) and all(">Numerator<" in t for t in tables)
    num, den = int(row["numerator"]), int(row["denominator"])
    assert f">{num:,}<" in tables[ids.index("referrals_to_assessment")]
    assert f">{den:,}<" in tables[ids.index("referrals_to_assessment")]

    charts = [i for i in items if isinstance(i, alt.TopLevelMixin)]
    annual = [i for i in items if isinstance(i, str) and i.startswith('<table class="cscw-annual"')]
    assert len(charts) == len(ids) + len(annual) and annual  # a trend each, an annual chart with each table
    assert "England" in "".join(annual)  # re-referrals have DfE benchmarks


def test_uasc_tables_for_the_authority_and_its_areas(small_county) -> None:
    params = small_county.params
    areas = [a.name for a in params.authority.org_units.children]
    assert pages.uasc_org_units(params) == [params.authority.org_units.name, *areas]
    assert pages.uasc_org_units(params, areas[0]) == [areas[0]]
