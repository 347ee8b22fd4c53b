"""A synthetic region of three councils run with one command on a local Dask cluster: a council
whose input is refused is reported and the others carry on; each council's pack carries its
regional section; the region's pack draws every indicator's ranking and funnel; only aggregates
cross a council's boundary (the regional store and every page are scanned for the children's
identifiers and the teams' names)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from csc_workbench.config import load_params
from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.config.region import INPUTS, PARAMS, load_region
from csc_workbench.demo.region import generate_region
from csc_workbench.pack.region import cluster, run_region
from csc_workbench.store.atoms import ATOM_COLUMNS, Store
from csc_workbench.store.regional import CONTRIBUTION

END = "2026-10"


@pytest.fixture(scope="module")
def region_run(tmp_path_factory):
    """Three small councils (sizes of real small authorities); the third sends a workbook that is not one."""
    folder = tmp_path_factory.mktemp("region")
    generate_region(folder, 3, END, months=24, max_population=30_000)
    region = load_region(folder)
    broken = region.council_folder(region.councils[2]) / INPUTS
    for path in broken.iterdir():  # its month: one Annex A workbook, damaged in transit
        if path.is_dir():
            for file in path.iterdir():
                file.unlink()
            path.rmdir()
        else:
            path.unlink()
    (broken / "annex_a_2026-10.xlsx").write_bytes(b"this is not a workbook")
    said: list[str] = []
    result = run_region(region, END, workers=2, progress=False, say=said.append)
    return region, result, said


def test_a_council_whose_input_is_refused_is_reported_and_the_others_carry_on(region_run) -> None:
    region, result, said = region_run
    good, broken = region.councils[:2], region.councils[2]
    outcomes = {c.council: c for c in result.councils}
    assert [c.council for c in result.failures] == [broken.name]
    assert outcomes[broken.name].stage == "load" and "annex_a_2026-10.xlsx" in outcomes[broken.name].error
    assert len(said) == 1 and said[0].startswith(f"{broken.name}: its data could not be loaded")
    for council in good:
        assert outcomes[council.name].ok and outcomes[council.name].pack.is_file()
        assert outcomes[council.name].load.annex_a_rows > 0
    index = result.pack.read_text(encoding="utf-8")
    assert "none this month: its data could not be loaded" in index


def test_the_regional_store_holds_each_councils_aggregates_by_council_and_load(region_run) -> None:
    region, _, _ = region_run
    regional = Store(region.store_path)
    vintages = regional.vintages()
    assert sorted(vintages["source"]) == sorted(c.name for c in region.councils[:2])
    assert set(vintages["kind"]) == {CONTRIBUTION}
    atoms = regional.latest()
    assert set(atoms["org_unit"]) == {c.name for c in region.councils[:2]}  # the authorities only: no area shared
    assert list(atoms.columns[: len(ATOM_COLUMNS)]) == ATOM_COLUMNS


def _identifiers(region) -> tuple[set[str], set[str]]:
    """The child identifiers in the councils' Annex A lists, and the names of their teams."""
    children, teams = set(), set()
    for council in region.councils[:2]:
        inputs = region.council_folder(council) / INPUTS
        full = next(inputs.glob("annex_a_synthetic_full_*"))
        for csv in full.glob("*.csv"):
            frame = pd.read_csv(csv, dtype=str)
            for column in frame.columns:
                if "child" in column.lower() and ("id" in column.lower() or "unique" in column.lower()):
                    children |= set(frame[column].dropna())
        authority = load_params(region.council_folder(council) / PARAMS).authority
        teams |= {name for name in authority.org_unit_names if authority.org_unit(name).level == "team"}
    return children, teams


def test_nothing_child_level_crosses_a_councils_boundary(region_run) -> None:
    region, result, _ = region_run
    children, teams = _identifiers(region)
    assert len(children) > 100 and teams
    regional = Store(region.store_path)
    stored = set(regional.latest()["org_unit"]) | set(regional.vintages()["source"])
    assert not stored & (children | teams)
    pages = [*result.pack.parent.glob("*.html")]
    for council in result.councils:
        if council.pack is not None:
            pages += council.pack.parent.glob("regional*.html")
    assert len(pages) >= 3
    pattern = re.compile("|".join(re.escape(x) for x in sorted(children | teams, key=len, reverse=True)))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not pattern.search(text), f"{page.name} shows {pattern.search(text).group(0)!r}"


def test_each_council_sees_itself_named_and_the_others_as_letters(region_run) -> None:
    region, result, _ = region_run
    first, second = region.councils[:2]
    page = (next(c for c in result.councils if c.council == first.name).pack.parent / "regional.html").read_text(
        encoding="utf-8"
    )
    assert first.name in page and second.name not in page
    assert re.search(r"Council [A-Z]\b", page)
    assert 'class="cscw-chart' in page


def test_the_region_pack_draws_every_indicators_ranking_and_funnel(region_run) -> None:
    region, result, _ = region_run
    catalogue = load_catalogue(region.catalogue_path)
    pages = {p.name: p.read_text(encoding="utf-8") for p in result.pack.parent.glob("region_*.html")}
    assert len(pages) == len(catalogue.areas)
    text = "".join(pages.values())
    assert text.count('class="cscw-chart') >= len(catalogue.areas)
    assert "funnel" in text.lower() and "rank" in text.lower()
    assert not any(c.name in text for c in region.councils[:2])  # letters: the region's pack names no council


def test_given_a_schedulers_address_the_work_runs_on_that_cluster() -> None:
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as other,
        cluster(scheduler=other.scheduler_address) as client,
    ):
        assert client.scheduler.address == other.scheduler_address
        assert client.submit(len, "region").result() == 6
