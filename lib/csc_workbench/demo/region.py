"""A synthetic region: many fictional councils, each the size of a real English authority, for processing together.

``generate_region(folder, councils=10, end_month="2025-06")`` writes::

    folder/region.yml                             the councils, and how they share figures (read by the region loader)
    folder/catalogue.yml                          the indicators the region compares (params/catalogue.yml)
    folder/councils/<slug>/params/authority.yml   a fictional council (synthetic: true)
    folder/councils/<slug>/params/catalogue.yml   params/catalogue.yml again
    folder/councils/<slug>/inputs/                the council's synthetic demo data (``generate_demo``)

Each council takes the 0-17 population of one real authority (the latest ONS estimate shipped in
``reference/population_0_17.csv``), so the region's sizes are England's, and is compared in DfE benchmarks with that
authority (``comparator_la_code``, which every chart names). Everything else is invented: the council's, areas' and
teams' names (never a real council's name; each council's ends "(synthetic)"), its people, and its children.
The same arguments always write the same bytes.
"""

from __future__ import annotations

import itertools
import re
import shutil
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from csc_workbench.config import load_params
from csc_workbench.demo.generate import OTHER_LAS, REFERENCE_POPULATION, DemoConfig, generate_demo
from csc_workbench.new_council import STANDARD_CATALOGUE
from csc_workbench.reference import HERE as REFERENCE_FOLDER
from csc_workbench.reference import population_table

SHARING = ("named", "letters")
"""How the other councils appear in each council's pack: by name, or as letters (Council A, B ...)."""
SUPPRESS_BELOW = 5
"""Counts from 1 to this less one are suppressed in the region's outputs."""

CHILDREN_PER_AREA = 82_500
"""Children aged 0-17 per area: Northmoor's 330,000 in four areas."""
CHILDREN_PER_DISTRICT_TEAM = 23_500
"""Children aged 0-17 per district children's social work team (CSWT): Northmoor's 330,000 in 14."""
SERVICES_FROM = 5_000
"""Children aged 0-17 from which a council has a children in care team per area and county-wide disability, UASC
and care leaver services; a smaller one (Isles of Scilly, City of London) holds all its children in one district
team, as the demo then has too few such children to give each of those teams a case."""

#: Area names by number of areas: those below, else the first of _COMPASS (Kent's 355,390 children make four areas).
_AREA_PREFIXES = {1: ("Central",), 2: ("North", "South"), 3: ("North", "South", "Central")}
_COMPASS = ("North", "South", "East", "West", "Central", "Mid", "Upper", "Lower")
#: Fictional place names are a prefix and a suffix (about 500 of them): council and team names.
_PLACE_PREFIXES = (
    "Alder", "Bracken", "Brindle", "Cinder", "Corrie", "Dunmar", "Elder", "Fallow", "Fell", "Gorse", "Greystan",
    "Hollin", "Ivy", "Kestrel", "Larch", "Linnet", "Marsh", "Mossen", "Nettle", "Orrin", "Pebble", "Quarry", "Raven",
    "Rook", "Rushen", "Sedge", "Sorrel", "Tansy", "Thistle", "Umber", "Wren", "Yarrow",
)  # fmt: skip
_PLACE_SUFFIXES = (
    "beck", "bury", "combe", "dale", "field", "ford", "gate", "holme", "holt", "hurst", "mere", "moor", "stead",
    "thorpe", "wick", "worth",
)  # fmt: skip
_FIRST_NAMES = (
    "Helen", "David", "Priya", "Tom", "Aisha", "Gareth", "Ruth", "Samuel", "Nadia", "Owen", "Claire", "Imran",
    "Joanna", "Marcus", "Fiona", "Kwame", "Bethan", "Rohan", "Siobhan", "Callum",
)  # fmt: skip
_SURNAMES = (
    "Marsden", "Okafor", "Halloran", "Pemberton", "Castellan", "Ridley", "Fairbairn", "Whitlock", "Greaves",
    "Thackeray", "Ashdown", "Mbeki-Rowe", "Linford", "Quarrie", "Oduya", "Penhallow", "Strickwood", "Varley",
)  # fmt: skip
_COUNCIL_WIDE_SERVICES = ("Disability Service", "UASC Service", "Care Leaver Service")


@dataclass(frozen=True)
class RealAuthority:
    """One current English authority as the shipped ONS estimates give it."""

    old_la_code: str
    name: str
    population: int  # children aged 0-17
    year: int  # of the estimate


@dataclass(frozen=True)
class SyntheticCouncil:
    """A fictional council of the region: its names, the real authority whose size it took, its demo seed."""

    stem: str  # the fictional place it is named after ("Alderbeck")
    size_of: RealAuthority
    seed: int

    @property
    def short_name(self) -> str:
        return f"{self.stem} (synthetic)"

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.stem.lower()).strip("-")


def real_authorities() -> list[RealAuthority]:
    """The current English authorities with their children aged 0-17, smallest first (153 in the 2024 estimates).

    Only the table's latest year counts: the authorities reorganised away before it (Cumbria, Northamptonshire) are
    not in it, and their successors are. An authority listed twice in that year is taken once (its last row).
    """
    table = population_table()
    latest = table[table["year"] == table["year"].max()].drop_duplicates("old_la_code", keep="last")
    latest = latest.sort_values(["population_0_17", "old_la_code"], kind="stable")
    return [
        RealAuthority(str(row.old_la_code), str(row.la_name), int(row.population_0_17), int(row.year))
        for row in latest.itertuples(index=False)
    ]


def choose_sizes(authorities: list[RealAuthority], councils: int, rng: np.random.Generator) -> list[RealAuthority]:
    """``councils`` of the authorities, spread across their sizes: the authorities (smallest first) cut into that
    many runs of (nearly) equal length, one drawn from each run. All of them, once each, when ``councils`` is their
    number; smallest first."""
    if not 1 <= councils <= len(authorities):
        raise ValueError(f"councils must be from 1 to {len(authorities)} (the real authorities whose sizes they take)")
    edges = np.linspace(0, len(authorities), councils + 1).round().astype(int)
    return [authorities[int(rng.integers(lo, hi))] for lo, hi in itertools.pairwise(edges)]


@cache
def _real_names() -> frozenset[str]:
    """Every real authority's name the reference holds (current and reorganised away), lower case."""
    codes = pd.read_csv(REFERENCE_FOLDER / "la_codes.csv", comment="#", dtype=str)
    names = {*population_table()["la_name"], *codes["la_name"].dropna(), *codes["lait_name"].dropna()}
    return frozenset(name.strip().lower() for name in names)


def fictional_places(rng: np.random.Generator, count: int, exclude: set[str]) -> list[str]:
    """``count`` different fictional place names in a seeded order, none a real authority's name nor in
    ``exclude`` (lower case)."""
    unusable = _real_names() | exclude
    places = [
        p + s
        for p in _PLACE_PREFIXES
        for s in _PLACE_SUFFIXES
        if (p + s).lower() not in unusable and p[-1] != s[0]  # no "Yarrowworth"
    ]
    if count > len(places):
        raise ValueError(f"only {len(places)} fictional place names to draw from; {count} asked for")
    return [places[i] for i in rng.permutation(len(places))[:count]]


def _person(rng: np.random.Generator) -> str:
    return f"{_FIRST_NAMES[rng.integers(len(_FIRST_NAMES))]} {_SURNAMES[rng.integers(len(_SURNAMES))]}"


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """``total`` cut into ``parts`` positive whole numbers of roughly equal size (each within 20% of the mean)."""
    weights = rng.uniform(0.8, 1.2, parts)
    sizes = np.maximum(np.floor(total * weights / weights.sum()).astype(int), 1)
    sizes[-1] = total - sizes[:-1].sum()
    return [int(x) for x in sizes]


def team_counts(population: int) -> tuple[int, int]:
    """(areas, district teams) of a council of ``population`` children: areas of about :data:`CHILDREN_PER_AREA`
    (at least one), district teams of about :data:`CHILDREN_PER_DISTRICT_TEAM` (at least one per area)."""
    n_areas = max(1, int(population / CHILDREN_PER_AREA + 0.5))
    return n_areas, max(n_areas, -(-population // CHILDREN_PER_DISTRICT_TEAM))


def org_structure(stem: str, population: int, team_places: list[str], rng: np.random.Generator) -> dict:
    """The org-unit tree of a fictional council of ``population`` children, as Northmoor's is built.

    Areas and district teams (CSWTs) as :func:`team_counts` says, the teams named after ``team_places`` (one each),
    and from :data:`SERVICES_FROM` children a children in care team per area and the county-wide disability, UASC and
    care leaver services. Areas carry their own populations (adding up to the council's) so that they get rates too.
    """
    n_areas, n_district = team_counts(population)
    if n_district > len(team_places):
        raise ValueError(f"{n_district} district teams need as many team places; {len(team_places)} given")
    if n_areas > len(_COMPASS):
        raise ValueError(f"{population:,} children make {n_areas} areas; area names are there for {len(_COMPASS)}")
    with_services = population >= SERVICES_FROM
    prefixes = _AREA_PREFIXES.get(n_areas, _COMPASS[:n_areas])
    per_area, extra = divmod(n_district, n_areas)
    places = iter(team_places)
    areas = []
    for k, (prefix, area_population) in enumerate(zip(prefixes, _split(population, n_areas, rng), strict=True)):
        teams = [{"name": f"{next(places)} CSWT", "level": "team"} for _ in range(per_area + (k < extra))]
        if with_services:
            teams.append({"name": f"{prefix} CIC", "level": "team"})
        areas.append({"name": f"{prefix} {stem}", "level": "area", "population": area_population, "children": teams})
    services = [{"name": name, "level": "team"} for name in _COUNCIL_WIDE_SERVICES] if with_services else []
    return {"name": stem, "level": "authority", "population": population, "children": areas + services}


def authority_yaml(
    council: SyntheticCouncil, team_places: list[str], rng: np.random.Generator, region_seed: int
) -> str:
    """The text of a fictional council's ``authority.yml``, like params/authority.yml (without data gaps)."""
    real = council.size_of
    org = org_structure(council.stem, real.population, team_places, rng)
    kind = "County" if real.population >= 150_000 else "Borough"
    body = {
        "name": f"{council.stem} {kind} Council (SYNTHETIC DEMO)",
        "short_name": council.short_name,
        "synthetic": True,
        "comparator_la_code": real.old_la_code,
        "report": {
            "portfolio": "Children and Families (synthetic)",
            "cabinet_member": f"Councillor {_person(rng)} (synthetic)",
            "director": f"{_person(rng)}, Director of Children's Services (synthetic)",
            "division": "Children's Social Care (synthetic)",
            "produced_by": "Performance and Intelligence Team (synthetic)",
            "data_source": "Synthetic Annex A extracts and monthly returns",
        },
        "org_units": org,
    }
    areas = [unit for unit in org["children"] if unit["level"] == "area"]
    teams = sum(len(area["children"]) for area in areas) + len(org["children"]) - len(areas)
    paragraphs = [
        f"{council.short_name}: a FICTIONAL council of a SYNTHETIC region, generated by csc_workbench.demo.region "
        f"(region seed {region_seed}, demo seed {council.seed}). Every name here is invented (places, people, teams); "
        "it has no DfE LA codes on purpose, so it can never be mistaken for, or benchmarked as, a real council.",
        f"Size: {real.population:,} children aged 0-17, those of {real.name} (LA {real.old_la_code}, "
        f"ONS mid-{real.year} estimate), so its demo volumes are {real.population / REFERENCE_POPULATION:.3f} of "
        f"Northmoor's; {len(areas)} area(s), {teams} team(s). It is compared with the statistical neighbours, "
        f"region and England figures of {real.name}; every chart says so.",
    ]
    header = "\n#\n".join(
        textwrap.fill(text, width=110, initial_indent="# ", subsequent_indent="# ") for text in paragraphs
    )
    return header + "\n\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=120)


def _region_yaml(name: str, councils: list[SyntheticCouncil], sharing: str, region_seed: int) -> str:
    """The text of ``region.yml``. Strings are written double-quoted (JSON's quoting is YAML's)."""
    lines = [
        "# SYNTHETIC DEMO REGION: every council, person and child in it is fictional. Generated by",
        f"# csc_workbench.demo.region (seed {region_seed}); each council's size is a real authority's (see its",
        "# authority.yml), everything else is invented.",
        f"name: {_quoted(name)}",
        "synthetic: true",
        f"sharing: {sharing}          # named | letters: how the other councils appear in each council's pack",
        "share_areas: false        # whether councils also contribute their areas' figures",
        f"suppress_below: {SUPPRESS_BELOW}         # counts from 1 to {SUPPRESS_BELOW - 1} are suppressed in the "
        "region's outputs",
        "catalogue: catalogue.yml",
        "councils:",
    ]
    for council in councils:
        lines += [f"  - name: {_quoted(council.short_name)}", f"    folder: councils/{council.slug}"]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def council_seed(region_seed: int, index: int) -> int:
    """The demo seed of the region's council number ``index``: derived from both, so every council differs."""
    return int(np.random.SeedSequence(region_seed, spawn_key=(index,)).generate_state(1)[0])


def generate_region(
    folder: Path,
    councils: int,
    end_month: str,
    seed: int = DemoConfig.seed,
    months: int = 36,
    sharing: str = "letters",
    max_population: int | None = None,
) -> Path:
    """Write a synthetic region of ``councils`` fictional councils into ``folder`` (new or empty); returns the path
    of its ``region.yml``.

    Sizes: with ``councils`` equal to the number of real authorities (153), every real authority's 0-17 population
    once; with fewer, a seeded choice spread across the range of sizes: the authorities, smallest first, cut into
    ``councils`` runs of nearly equal length and one drawn at random from each run (so 3 councils are a small, a
    middling and a large one). ``max_population`` leaves out the authorities larger than it (quick regions of
    small councils, for tests). Councils are listed smallest first.

    Each council is named after a fictional place drawn with the seed (unique, never a real council's name), has
    areas and teams in proportion to its size (:func:`org_structure`), is benchmarked against the real authority whose
    size it took, and gets ``months`` months of demo data to ``end_month`` from ``generate_demo`` with its own params
    and a seed derived from ``seed`` and its place in the list (:func:`council_seed`).
    """
    folder = Path(folder)
    if sharing not in SHARING:
        raise ValueError(f"sharing must be one of {', '.join(SHARING)}, not {sharing!r}")
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: a region is written into a new or empty folder")
    rng = np.random.default_rng(seed)
    authorities = [a for a in real_authorities() if max_population is None or a.population <= max_population]
    sizes = choose_sizes(authorities, councils, rng)
    taken = {"northmoor", *(re.sub(r" \(synthetic\)$", "", name).lower() for name in OTHER_LAS)}
    stems = fictional_places(rng, councils, taken)
    region = [
        SyntheticCouncil(stem, real, council_seed(seed, k))
        for k, (stem, real) in enumerate(zip(stems, sizes, strict=True))
    ]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STANDARD_CATALOGUE, folder / "catalogue.yml")
    for council in region:
        team_places = fictional_places(rng, team_counts(council.size_of.population)[1], {*(s.lower() for s in stems)})
        params_folder = folder / "councils" / council.slug / "params"
        params_folder.mkdir(parents=True)
        (params_folder / "authority.yml").write_text(authority_yaml(council, team_places, rng, seed), encoding="utf-8")
        shutil.copyfile(STANDARD_CATALOGUE, params_folder / "catalogue.yml")
        config = DemoConfig(end_month=end_month, months=months, seed=council.seed)
        generate_demo(params_folder.parent / "inputs", load_params(params_folder), config)
    name = f"Synthetic region of {councils} councils (SYNTHETIC DEMO)"
    region_file = folder / "region.yml"
    region_file.write_text(_region_yaml(name, region, sharing, seed), encoding="utf-8")
    return region_file
