"""One small synthetic county for every integration test: generated and loaded once per run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from csc_workbench.config import Params, load_params
from csc_workbench.demo import DemoConfig, DemoFiles, generate_demo
from csc_workbench.load import load_demo
from csc_workbench.store import Store

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
