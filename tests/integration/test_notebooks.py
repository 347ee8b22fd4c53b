"""Every notebook is a readable report that runs as it stands: a tagged parameters cell, no
outputs committed, and it executes with its default parameters on the demo county (only the
store's location is given, as an analyst's demo store would sit at ../data/demo.duckdb; the
regional pages are given a small synthetic region's folder, as ../data/region would be). What it
shows draws offline in JupyterLab: no output (nor any output inside a widget) loads a script,
stylesheet or image from another host, and none needs a renderer JupyterLab lacks."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
import pytest

from ..conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: An element that makes the browser fetch from a URL on another host ...
_FETCHES = re.compile(r"""<(?:script|img|link|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
#: ... or a script naming one (Altair's own renderer loads vega from a CDN); a chart's spec, JSON
#: in a script element, is data, not code.
_SCRIPT = re.compile(r"""<script\b(?![^>]*\btype=["']?application/json)[^>]*>(.*?)</script\s*>""", re.I | re.S)
_URL = re.compile(r"""https?://[^\s"'<>]+""")
#: Vega and Vega-Lite mimetypes: JupyterLab draws Vega-Lite 5 only (Altair 6 writes Vega-Lite 6).
_VEGA_MIMETYPE = re.compile(r"^application/vnd\.vega")


def test_every_notebook_has_parameters_and_no_outputs() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"scorecard", "exceptions", "area", "explorer"}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
        assert nb.cells[0].cell_type == "markdown" or path.stem == "area", path.name  # reads like a report


#: The notebooks of a region's pages, given the region's folder as well.
REGIONAL = ("region", "regional")


@pytest.fixture(scope="module")
def executed(small_county, small_region, tmp_path_factory) -> dict[str, Path | BaseException]:
    out = tmp_path_factory.mktemp("executed")

    def run(path: Path) -> Path | BaseException:
        target = out / path.name
        parameters = {"store": str(small_county.store.path)}
        if path.stem in REGIONAL:
            parameters["region_folder"] = str(small_region)
        try:
            papermill.execute_notebook(
                str(path), str(target), parameters=parameters,
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


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """Every output of the notebook: its cells', and those inside its widgets (the explorer draws
    its chart and table in output widgets)."""
    widgets = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    inside = [o for model in widgets.get("state", {}).values() for o in model.get("state", {}).get("outputs", [])]
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])] + inside


@pytest.mark.parametrize("stem", [p.stem for p in NOTEBOOKS])
def test_what_a_notebook_shows_draws_offline(executed, stem) -> None:
    result = executed[stem]
    assert isinstance(result, Path), f"{stem}: {result}"
    for output in _outputs(nbformat.read(result, as_version=4)):
        data = output.get("data", {})
        assert not [m for m in data if _VEGA_MIMETYPE.match(m)], f"{stem}: {list(data)}"
        html = data.get("text/html", "")
        html = "".join(html) if isinstance(html, list) else html
        remote = _FETCHES.findall(html) + [u for script in _SCRIPT.findall(html) for u in _URL.findall(script)]
        assert not remote, f"{stem} loads from another host: {remote}"
