"""The pack's run record and quick rebuilds, on the small synthetic county: the manifest in every
pack (digests, vintages read, versions, commit, each page's status and time), the index built from
it, the run's log beside the pack; a second run keeps every unchanged page; a commentary edit
rebuilds only the pages showing that commentary; the same inputs give the same pages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from csc_workbench.assess.scorecard import scorecard
from csc_workbench.pack.kernels import DRAWINGS
from csc_workbench.pack.record import BUILT, KEPT, page_inputs, read_record
from csc_workbench.pack.run import build_pack

from ..conftest import ROOT
from .conftest import END

AUTHORITY = "Northmoor"
EDITED = "referrals_to_assessment"  # on the front door page and in the front door theme of the dashboard
NEW_TEXT = "Service managers reviewed every referral closed without assessment this month."


@pytest.fixture(scope="module")
def runs(small_county, tmp_path_factory):
    """Four runs of one month's pack: the first; the same again; after a commentary edit; rebuilt.
    Each with its pages' HTML and the charts' drawings kept beside the packs (name: time used)."""
    work = tmp_path_factory.mktemp("record")
    params = work / "params"
    shutil.copytree(ROOT / "params", params, ignore=shutil.ignore_patterns("examples"))
    out = work / "outputs"

    def build(**options):
        result = build_pack(END, params, small_county.store.path, out, [AUTHORITY], ["front_door", "adoption"],
                            jobs=2, progress=False, **options)  # fmt: skip
        pages = {p.name: p.read_bytes() for p in result.path.glob("*.html")}
        drawings = {p.name: p.stat().st_mtime_ns for p in (out / DRAWINGS).glob("*.svg")}
        return result, pages, drawings

    first = build()
    again = build()
    commentary = params / "commentary" / f"{END}.yml"
    commentary.write_text(yaml.safe_dump({"commentary": {EDITED: NEW_TEXT}}), encoding="utf-8")
    edited = build()
    rebuilt = build(rebuild=True)
    return first, again, edited, rebuilt


def _statuses(result) -> dict[str, str]:
    return {page.output: page.status for page in result.record.pages}


def test_every_pack_holds_its_run_record(runs, small_county) -> None:
    (first, _, _), *_, (rebuilt, _, _) = runs
    manifest = json.loads((first.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["month"] == END
    inputs = manifest["inputs"]
    assert len(inputs["params"]) == len(inputs["catalogue"]) == len(inputs["library"]) == 16
    assert inputs["packages"]["papermill"] and inputs["packages"]["csc-workbench"] == "0.1.0"
    assert inputs["commit"] is None or len(inputs["commit"].split("+")[0]) == 40
    vintages = small_county.store.vintages()
    assert [v["vintage"] for v in inputs["store_vintages"]] == vintages["vintage"].tolist()
    assert all("/" not in v["source"] for v in inputs["store_vintages"])  # file names, not paths
    assert {p["output"]: p["status"] for p in manifest["pages"]} == dict.fromkeys(_statuses(first), BUILT)
    assert all(p["seconds"] > 0 and len(p["inputs"]) == 16 for p in manifest["pages"])
    assert read_record(rebuilt.path).pages == rebuilt.record.pages  # the folder holds the last run's pack


def test_the_index_is_built_from_the_record(runs) -> None:
    (first, _, _), *_ = runs
    index = (first.path / "index.html").read_text(encoding="utf-8")
    for page in first.record.pages:
        assert f'href="{page.html}"' in index and (first.path / page.html).is_file()
    scorecard = next(p for p in first.record.pages if p.notebook == "scorecard")
    counts = scorecard.rag_counts
    assert f'<td class="rag-green">{counts["green"]}</td><td class="rag-amber">{counts["amber"]}</td>' in index


def test_the_log_beside_the_pack_tells_each_run(runs) -> None:
    (first, _, _), *_ = runs
    log = first.log.read_text(encoding="utf-8")
    assert first.log == first.path.parent / f"{END}.log"
    assert log.count(f"cscw run {END} started") == 4 and log.count("published") == 4
    assert "built front_door_northmoor in" in log and "kept front_door_northmoor: its inputs are unchanged" in log
    assert "; --rebuild: every page run again" in log


def test_an_unchanged_pack_keeps_every_page(runs) -> None:
    (first, first_pages, _), (again, again_pages, _), *_ = runs
    assert set(_statuses(again).values()) == {KEPT}
    assert again_pages == first_pages
    assert again.timings["total"] < first.timings["total"] / 2


def test_a_commentary_edit_rebuilds_only_the_pages_showing_it(runs, small_county) -> None:
    (_, first_pages, _), _, (edited, edited_pages, _), _ = runs
    card = scorecard(small_county.store, small_county.params, END, AUTHORITY).set_index("indicator")
    exceptions = {"exceptions_northmoor"} if card.loc[EDITED, "rag"] == "red" else set()  # red only
    rebuilt = {page for page, status in _statuses(edited).items() if status == BUILT}
    assert rebuilt == {"front_door_northmoor", "dashboard_northmoor"} | exceptions
    assert set(_statuses(edited).values()) == {BUILT, KEPT}
    assert NEW_TEXT.encode() in edited_pages["front_door_northmoor.html"]
    assert NEW_TEXT.encode() not in first_pages["front_door_northmoor.html"]
    assert edited_pages["adoption_northmoor.html"] == first_pages["adoption_northmoor.html"]


def test_a_rebuilt_page_takes_its_unchanged_charts_from_the_drawings_and_images_kept(runs) -> None:
    (first, _, first_drawings), _, (edited, _, edited_drawings), _ = runs
    assert len(first_drawings) >= 20  # the front door and adoption pages' charts
    # the commentary edit changed no chart: the front door page drew none again, and used them all
    assert edited_drawings.keys() == first_drawings.keys()
    used = [name for name in first_drawings if edited_drawings[name] > first_drawings[name]]
    assert len(used) >= 10
    front_door = next(p for p in edited.record.pages if p.output == "front_door_northmoor")
    assert front_door.status == BUILT and len(front_door.images) >= 10
    before = next(p for p in first.record.pages if p.output == "front_door_northmoor")
    assert front_door.drawings == before.drawings  # the same drawings: its images copied from the last pack


def test_the_same_inputs_give_the_same_pages(runs) -> None:
    _, _, (edited, edited_pages, _), (rebuilt, rebuilt_pages, _) = runs
    assert set(_statuses(rebuilt).values()) == {BUILT}
    assert rebuilt_pages.keys() == edited_pages.keys()
    different = [name for name in rebuilt_pages if rebuilt_pages[name] != edited_pages[name]]
    assert different == []
    assert (rebuilt.path / "index.html").read_bytes() == (edited.path / "index.html").read_bytes()


def test_a_page_inputs_digest_changes_with_its_notebook_and_the_library(tmp_path) -> None:
    notebook = Path(ROOT / "notebooks" / "guidance.ipynb")
    copy = tmp_path / "guidance.ipynb"
    copy.write_bytes(notebook.read_bytes())
    key = page_inputs(copy, {"month": END}, {"library": "x"}, {})
    assert key == page_inputs(copy, {"month": END}, {"library": "x"}, {})
    copy.write_bytes(notebook.read_bytes().replace(b"Guidance", b"Guide"))
    assert key != page_inputs(copy, {"month": END}, {"library": "x"}, {})
    assert key != page_inputs(notebook, {"month": END}, {"library": "y"}, {})
