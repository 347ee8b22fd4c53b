"""Councils other than our demo build complete packs from their own catalogues: Kent from its
published April 2017 figures (aggregates only, its own eleven areas and 54 indicators), and a small
made-up council with a catalogue of its own (other area names, a handful of indicators, no teams)
from an Annex A extract."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from csc_workbench.config import load_params
from csc_workbench.ingest.aggregates import ingest_aggregates
from csc_workbench.load import load_annex_a
from csc_workbench.pack.run import GENERIC_AREA, build_pack
from csc_workbench.store import Store

from ..conftest import ROOT

KENT = ROOT / "params" / "examples" / "kent"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _check_pack(result, params, org_units: list[str]) -> None:
    """Every page ok; a page per org unit for the scorecard, the exceptions and every area of the
    catalogue, each area page holding a section for every indicator the catalogue puts there."""
    assert not result.failures, [(p.page.title, p.error) for p in result.failures]
    areas = params.catalogue.areas
    dashboard = 1 if params.catalogue.themes else 0  # a portfolio dashboard where the catalogue has themes
    once = 4  # data quality, revisions, the guidance notes and the accessibility statement
    assert len(result.pages) == len(org_units) * (2 + dashboard + len(areas)) + once
    index = _text(result.index)
    for page in result.pages:
        assert f'href="{page.html.name}"' in index
        area = page.page.parameters.get("area") or page.page.notebook
        if area in areas:
            text = _text(page.html)
            assert areas[area] in text
            for ind in params.catalogue.in_area(area):
                assert re.search(rf"<h3[^>]*>{re.escape(ind.title.replace('&', '&amp;'))}", text), ind.title


@pytest.fixture(scope="module")
def kent_store(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("kent") / "kent.duckdb")
    ingest_aggregates(ROOT / "tests" / "backtest" / "kent_2017_04.csv", load_params(KENT), store)
    return store


def test_kent_builds_a_complete_pack_from_its_published_figures(kent_store, tmp_path) -> None:
    params = load_params(KENT)
    units = ["Kent", "North Kent"]
    folder = tmp_path / "params"  # the catalogue kept elsewhere and given as --catalogue
    folder.mkdir()
    shutil.copy(KENT / "authority.yml", folder / "authority.yml")
    result = build_pack("2017-04", folder, kent_store.path, tmp_path / "out", org_units=units, images="none",
                        progress=False, catalogue=KENT / "catalogue.yml")  # fmt: skip
    _check_pack(result, params, units)
    generic = {p.page.parameters["area"] for p in result.pages if p.page.notebook == GENERIC_AREA}
    assert {"referral_assessment", "staffing", "activity"} <= generic  # areas without a notebook of their own
    assert "data as at 30 April 2017" in _text(result.pages[0].html)  # from the data, not the day of the build
    scorecard = next(p for p in result.pages if p.page.notebook == "scorecard" and p.page.org_unit == "Kent")
    assert sum(scorecard.rag_counts.values()) == 43  # Kent's 43 rated scorecard rows


BRACKENFORD = ROOT / "params" / "examples" / "brackenford"


def test_a_small_council_with_its_own_catalogue_builds_a_complete_pack(small_county, tmp_path) -> None:
    """Brackenford's own area names and indicator ids, each naming the Annex A measure it uses;
    no teams, so the demo extract's records all count for the authority."""
    params = load_params(BRACKENFORD)
    store = Store(tmp_path / "brackenford.duckdb")
    report = load_annex_a(small_county.files.full_extract, params, store, quarantine_dir=tmp_path / "quarantine")
    assert report.vintage is not None
    result = build_pack("latest", BRACKENFORD, store.path, tmp_path / "out", images="none", progress=False)
    _check_pack(result, params, ["Brackenford"])
    notebooks = {p.page.notebook for p in result.pages}
    # no themes in its catalogue, so no dashboard
    assert notebooks == {
        "scorecard",
        "exceptions",
        GENERIC_AREA,
        "data_quality",
        "revisions",
        "guidance",
        "accessibility",
    }
    # the council's indicators hold the demo's figures: referrals in the month as the demo's own count
    referrals = store.latest(["new_referrals"], ["Brackenford"], ["all"], None, None)
    demo = small_county.store.latest(["referrals"], ["Northmoor"], ["all"], None, None)
    mine = referrals.set_index("period")["value"]
    theirs = demo.set_index("period")["value"].reindex(mine.index)
    assert len(mine) >= 12 and (mine == theirs).all()
    text = _text(next(p.html for p in result.pages if p.page.parameters.get("area") == "looked_after"))
    assert "Children looked after per 10,000 children" in text and "SYNTHETIC" in text
