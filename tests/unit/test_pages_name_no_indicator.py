"""The catalogue drives every page: no notebook and no page-building module names an indicator of
a catalogue (the measures computed from Annex A are the one place that knows what they count)."""

from __future__ import annotations

import json
import re

import yaml

from ..conftest import ROOT

PAGE_CODE = ("assess", "explore", "pack", "present")
QUOTED = re.compile(r"""["']([a-z][a-z0-9_]*)["']""")


def _catalogue_ids() -> dict[str, set[str]]:
    """Each catalogue under params/ (the standard one and the examples) -> its indicator ids."""
    return {
        str(path.relative_to(ROOT)): {
            ind["id"] for ind in yaml.safe_load(path.read_text(encoding="utf-8"))["indicators"]
        }
        for path in (ROOT / "params").rglob("catalogue.yml")
    }


def _sources() -> dict[str, str]:
    sources = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in PAGE_CODE
        for path in (ROOT / "lib" / "csc_workbench" / package).rglob("*.py")
    }
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources[str(path.relative_to(ROOT))] = "\n".join("".join(cell["source"]) for cell in cells)
    return sources


def named_ids(sources: dict[str, str], ids: set[str]) -> list[tuple[str, str]]:
    return [(name, m.group(1)) for name, text in sources.items() for m in QUOTED.finditer(text) if m.group(1) in ids]


def test_no_page_code_or_notebook_names_an_indicator_id() -> None:
    catalogues = _catalogue_ids()
    assert {"params/catalogue.yml", "params/examples/kent/catalogue.yml"} <= set(catalogues)
    sources = _sources()
    assert all((ROOT / "lib" / "csc_workbench" / package).is_dir() for package in PAGE_CODE)
    assert "notebooks/area.ipynb" in sources and "lib/csc_workbench/present/area_page.py" in sources
    assert named_ids(sources, set().union(*catalogues.values())) == []


def test_the_scan_finds_an_id_written_into_page_code() -> None:
    planted = {"lib/csc_workbench/present/x.py": 'rows = ids["cic_rate_per_10k"]', "notebooks/y.ipynb": "f('caseload')"}
    assert named_ids(planted, {"cic_rate_per_10k", "caseload"}) == [
        ("lib/csc_workbench/present/x.py", "cic_rate_per_10k"),
        ("notebooks/y.ipynb", "caseload"),
    ]
