"""Every notebook is a readable report that runs as it stands: a tagged parameters cell, no
outputs committed, and it executes with its default parameters on the demo county (only the
store's location is given, as an analyst's demo store would sit at ../data/demo.duckdb)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
import pytest

from ..conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_has_parameters_and_no_outputs() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"scorecard", "exceptions", "area", "explorer"}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
        assert nb.cells[0].cell_type == "markdown" or path.stem == "area", path.name  # reads like a report


@pytest.fixture(scope="module")
def executed(small_county, tmp_path_factory) -> dict[str, Path | BaseException]:
    out = tmp_path_factory.mktemp("executed")

    def run(path: Path) -> Path | BaseException:
        target = out / path.name
        try:
            papermill.execute_notebook(
                str(path), str(target), parameters={"store": str(small_county.store.path)},
                cwd=str(path.parent), progress_bar=False, kernel_name="python3",
            )  # fmt: skip
        except Exception as exc:  # reported per notebook below
            return exc
        return target

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((p.stem for p in NOTEBOOKS), pool.map(run, NOTEBOOKS), strict=True))


@pytest.mark.parametrize("stem", [p.stem for p in NOTEBOOKS])
def test_notebook_runs_with_its_default_parameters(executed, stem) -> None:
    result = executed[stem]
    assert isinstance(result, Path), f"{stem}: {result}"
    nb = nbformat.read(result, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("display_data", "execute_result") for o in outputs), stem  # it shows something
