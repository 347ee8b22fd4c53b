"""One small synthetic county for every integration test, and one small synthetic region of
councils for the regional pages: each generated and loaded once per run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from csc_workbench.config import Params, load_params
from csc_workbench.config.region import PARAMS, load_region
from csc_workbench.demo import DemoConfig, DemoFiles, generate_demo
from csc_workbench.demo.region import generate_region
from csc_workbench.load import load_demo
from csc_workbench.pack.region import load_council
from csc_workbench.periods import parse_month
from csc_workbench.store import Store
from csc_workbench.store.regional import contribute

from ..conftest import ROOT

END = "2025-06"  # includes the demo authority's gap month, February 2025
MONTHS = 14


@dataclass(frozen=True)
class County:
    root: Path
    params: Params
    files: DemoFiles
    store: Store
    lines: list[str]


@pytest.fixture(scope="session")
def small_county(tmp_path_factory) -> County:
    params = load_params(ROOT / "params")
    root = tmp_path_factory.mktemp("county")
    files = generate_demo(root / "data", params, DemoConfig(end_month=END, months=MONTHS))
    store = Store(root / "store.duckdb")
    lines = load_demo(files, params, store, quarantine_dir=root / "quarantine", jobs=2)
    return County(root, params, files, store, lines)


@pytest.fixture(scope="session")
def small_region(tmp_path_factory) -> Path:
    """A region of three small synthetic councils to END, each loaded into its own store and its
    figures into the regional store, in this process (the cluster is tested in test_region)."""
    folder = tmp_path_factory.mktemp("small_region")
    generate_region(folder, 3, END, months=MONTHS + 12, max_population=30_000)
    region = load_region(folder)
    for council in region.councils:
        load = load_council(region, council, parse_month(END))
        params = load_params(region.council_folder(council) / PARAMS, region.catalogue_path)
        contribute(Store(region.store_path), council.name, load.contribution, load.data_as_at, params)
    return folder
