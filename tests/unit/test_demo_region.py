"""A synthetic region (csc_workbench.demo.region): layout, region.yml, real sizes, fictional names, loading, bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from csc_workbench.config import Params, load_params
from csc_workbench.demo import DemoFiles, generate_region
from csc_workbench.demo.region import SUPPRESS_BELOW, choose_sizes, org_structure, real_authorities
from csc_workbench.load import load_demo
from csc_workbench.periods import parse_month
from csc_workbench.store import Store

ROOT = Path(__file__).resolve().parents[2]
POPULATION_CSV = ROOT / "lib" / "csc_workbench" / "reference" / "population_0_17.csv"
END = "2025-06"
MONTHS = 12
SMALL = 60_000  # the region's councils are the size of authorities of at most this many children (quick to make)
REGION_KEYS = ["name", "synthetic", "sharing", "share_areas", "suppress_below", "catalogue", "councils"]


def latest_populations() -> pd.DataFrame:
    """The CSV's latest year: one row per current authority."""
    table = pd.read_csv(POPULATION_CSV, comment="#", dtype={"old_la_code": str, "new_la_code": str})
    return table[table["year"] == table["year"].max()]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_region(tmp_path_factory.mktemp("region") / "r", 3, END, months=MONTHS, max_population=SMALL)


@pytest.fixture(scope="module")
def spec(region: Path) -> dict:
    return yaml.safe_load(region.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def councils(region: Path, spec: dict) -> dict[str, Params]:
    """Each council's params, by its name in region.yml."""
    return {c["name"]: load_params(region.parent / c["folder"] / "params") for c in spec["councils"]}


def test_region_yml_has_the_loaders_shape(region: Path, spec: dict) -> None:
    text = region.read_text(encoding="utf-8")
    assert region.name == "region.yml"
    assert text.startswith("# SYNTHETIC DEMO REGION")
    assert list(spec) == REGION_KEYS
    assert spec["name"] == "Synthetic region of 3 councils (SYNTHETIC DEMO)"
    assert spec["synthetic"] is True
    assert spec["sharing"] == "letters" and spec["share_areas"] is False
    assert spec["suppress_below"] == SUPPRESS_BELOW == 5
    assert (region.parent / spec["catalogue"]).read_bytes() == (ROOT / "params" / "catalogue.yml").read_bytes()
    assert len(spec["councils"]) == 3
    for council in spec["councils"]:
        assert list(council) == ["name", "folder"]
        folder = region.parent / council["folder"]
        assert council["folder"].startswith("councils/") and folder.is_dir()
        assert sorted(p.name for p in folder.iterdir()) == ["inputs", "params"]
        assert (folder / "params" / "catalogue.yml").read_bytes() == (region.parent / "catalogue.yml").read_bytes()


def test_inputs_are_the_demo_generators(region: Path, councils: dict[str, Params], spec: dict) -> None:
    for council in spec["councils"]:
        inputs = region.parent / council["folder"] / "inputs"
        assert (inputs / f"annex_a_synthetic_full_{END}").is_dir()
        assert len(list(inputs.glob("annex_a_synthetic_snapshot_*"))) == MONTHS  # no gap month
        assert (inputs / "aggregates_synthetic.csv").is_file()
        assert "SYNTHETIC DEMO DATA" in (inputs / "README.txt").read_text(encoding="utf-8")
    referrals = [
        (region.parent / c["folder"] / "inputs" / f"annex_a_synthetic_full_{END}" / "List 3.csv").read_bytes()
        for c in spec["councils"]
    ]
    assert len(set(referrals)) == 3  # a seed of its own each


def test_sizes_are_real_authorities(councils: dict[str, Params]) -> None:
    real = latest_populations().set_index("old_la_code")["population_0_17"]
    sizes = []
    for params in councils.values():
        authority = params.authority
        assert authority.synthetic and authority.la_code_old is None and authority.la_code_new is None
        population = authority.org_units.population
        assert population == real[authority.comparator_la_code] <= SMALL
        areas = [authority.org_unit(name) for name in authority.at_level("area")]
        assert sum(area.population for area in areas) == population
        sizes.append(population)
    assert sizes == sorted(sizes) and len(set(sizes)) == 3  # smallest first, spread


def test_names_are_fictional_unique_and_labelled(councils: dict[str, Params]) -> None:
    real = {name.lower() for name in pd.read_csv(POPULATION_CSV, comment="#")["la_name"]}
    names = list(councils)
    assert len(set(names)) == len(names)
    for name, params in councils.items():
        authority = params.authority
        assert name == authority.short_name and name.endswith(" (synthetic)")
        assert "SYNTHETIC" in authority.name
        for unit in authority.org_unit_names:
            assert unit.lower() not in real, unit
        assert name.removesuffix(" (synthetic)").lower() not in real


def test_a_council_loads_and_its_referrals_follow_its_size(
    tmp_path: Path, region: Path, spec: dict, councils: dict[str, Params]
) -> None:
    """The smallest council is loaded; its referrals in the last month against the largest's (counted from its
    extract) are about the ratio of their populations."""
    small, large = spec["councils"][0], spec["councils"][-1]
    params = councils[small["name"]]
    inputs = region.parent / small["folder"] / "inputs"
    files = DemoFiles(
        root=inputs,
        full_extract=inputs / f"annex_a_synthetic_full_{END}",
        snapshots=sorted(inputs.glob("annex_a_synthetic_snapshot_*")),
        aggregates=inputs / "aggregates_synthetic.csv",
    )
    store = Store(tmp_path / "store.duckdb")
    load_demo(files, params, store, quarantine_dir=tmp_path / "quarantine")
    top = params.authority.org_units.name
    stored = store.latest(indicators=["referrals"], org_units=[top], first_month=parse_month(END))
    small_referrals = float(stored["numerator"].iloc[0])
    extract = pd.read_csv(region.parent / large["folder"] / "inputs" / f"annex_a_synthetic_full_{END}" / "List 3.csv")
    months = pd.to_datetime(extract["Date of referral"], format="%d/%m/%Y").dt.strftime("%Y-%m")
    large_referrals = int((months == END).sum())
    small_population = params.authority.org_units.population
    large_population = councils[large["name"]].authority.org_units.population
    assert large_population / small_population > 1.5  # a test of scale
    ratio = (small_referrals / large_referrals) / (small_population / large_population)
    assert 0.65 <= ratio <= 1.35, (small_referrals, large_referrals, small_population, large_population)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path, region: Path) -> None:
    again = generate_region(tmp_path / "again", 3, END, months=MONTHS, max_population=SMALL)
    files = sorted(p.relative_to(region.parent) for p in region.parent.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.parent) for p in again.parent.rglob("*") if p.is_file())
    for rel in files:
        assert (region.parent / rel).read_bytes() == (again.parent / rel).read_bytes(), rel


def test_every_real_authority_once_for_a_full_region() -> None:
    authorities = real_authorities()
    latest = latest_populations()
    assert len(authorities) == len(latest) == latest["old_la_code"].nunique() == 153
    assert {a.old_la_code for a in authorities} == set(latest["old_la_code"])
    chosen = choose_sizes(authorities, 153, np.random.default_rng(1))
    assert chosen == authorities
    ten = choose_sizes(authorities, 10, np.random.default_rng(1))
    assert [a.population for a in ten] == sorted(a.population for a in ten)
    assert ten[0].population < 30_000 and ten[-1].population > 150_000  # spread across the range
    with pytest.raises(ValueError, match="councils must be from 1 to 153"):
        choose_sizes(authorities, 154, np.random.default_rng(1))


@pytest.mark.parametrize(
    ("population", "areas", "district_teams", "teams"),
    [(319, 1, 1, 1), (10_000, 1, 1, 5), (99_822, 1, 5, 9), (355_390, 4, 16, 23)],
)
def test_org_structure_scales_with_size(population: int, areas: int, district_teams: int, teams: int) -> None:
    places = [f"Place{k}" for k in range(20)]
    org = org_structure("Testholme", population, places, np.random.default_rng(1))
    area_units = [unit for unit in org["children"] if unit["level"] == "area"]
    team_names = [t["name"] for a in area_units for t in a["children"]] + [
        unit["name"] for unit in org["children"] if unit["level"] == "team"
    ]
    assert org["population"] == population == sum(a["population"] for a in area_units)
    assert len(area_units) == areas
    assert sum(name.endswith(" CSWT") for name in team_names) == district_teams
    assert len(team_names) == len(set(team_names)) == teams


def test_bad_arguments_are_refused(tmp_path: Path, region: Path) -> None:
    with pytest.raises(ValueError, match="sharing must be one of named, letters"):
        generate_region(tmp_path / "x", 2, END, sharing="everyone")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_region(region.parent, 2, END)
