"""The revisions page on the demo county, run as the pack runs it (once, for the authority): its
month-end snapshots miss a few events recorded after the month end, which the next snapshot restates
(and the full extract has), so the page lists last month's figures they revise and counts the figures
shown for the first time; with a later load that corrects last month's figures, it lists each of
them, in reader text only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest

from csc_workbench.assess.activity import activity_org_units
from csc_workbench.assess.revisions import revisions_since_previous_month
from csc_workbench.periods import month_end, month_text, parse_month
from csc_workbench.store import Store

from ..conftest import ROOT
from .conftest import END
from .test_reader_text import developer_strings, reader_text

AFTER = month_text(parse_month(END) + 1)  # the month after the county's last


def _run_page(store: Path, authority: str, out: Path, month: str = END) -> list[str]:
    """The page's markdown and HTML outputs, run with the pack's parameters for a page it has once."""
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "revisions.ipynb"), str(out),
        parameters={"month": month, "store": str(store), "org_unit": authority},
        cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    outputs = [o for cell in nbformat.read(out, as_version=4).cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return [o["data"].get("text/html") or o["data"]["text/markdown"] for o in outputs if "data" in o]


@pytest.fixture(scope="module")
def corrected_store(small_county, tmp_path_factory) -> tuple[Store, int]:
    """A copy of the county's store with a load as at the end of the month after its last (the pack's
    month, when only this load revises figures) that adds one to the numerator of each of the
    authority's figures for the month before, as last month's pack read them; and how many figures
    it corrected."""
    store = Store(tmp_path_factory.mktemp("corrected") / "store.duckdb")
    shutil.copy(small_county.store.path, store.path)
    params, month = small_county.params, parse_month(AFTER)
    catalogue, authority = params.catalogue, params.authority.org_units.name
    previous = store.atoms_as_of(month_end(month - 1), catalogue.ids, [authority], catalogue.cohorts, month - 1)
    own_cohort = previous["indicator"].map({i.id: i.cohort or "all" for i in catalogue.indicators})
    percent = previous["indicator"].map({i.id: i.unit.value == "percent" for i in catalogue.indicators})
    room = ~percent | (previous["numerator"] + 1 <= previous["denominator"])
    chosen = previous[
        (previous["period"] == month - 1) & (previous["cohort"] == own_cohort) & previous["numerator"].notna()
        & previous["unavailable_reason"].isna() & room
    ]  # fmt: skip
    corrected = chosen.drop(columns="vintage").assign(numerator=chosen["numerator"] + 1, value=float("nan"))
    store.add_vintage(corrected, "corrections.csv", "aggregates", as_at=month_end(month), catalogue=catalogue)
    return store, len(corrected)


def test_the_demo_countys_late_records_revise_earlier_figures_and_the_page_lists_them(small_county, tmp_path) -> None:
    params, store = small_county.params, small_county.store
    authority = params.authority.org_units.name
    summary, *_ = _run_page(store.path, authority, tmp_path / "revisions.ipynb")
    units = activity_org_units(params, authority)
    revisions = revisions_since_previous_month(store, params, END, units)
    assert len(revisions.changes) > 0
    assert set(revisions.vintages["kind"]) == {"annex_a"}  # events recorded late: aggregates are not revised
    # each snapshot restated the month before it, so only last month's figures are revised (the full extract
    # agrees with the snapshots' restatements of earlier months), as last month's pack revised the month before
    assert set(revisions.changes["month"]) == {month_text(parse_month(END) - 1)}
    previous = revisions_since_previous_month(store, params, parse_month(END) - 1, units)
    assert set(previous.changes["month"]) == {month_text(parse_month(END) - 2)}
    assert (
        f"{len(revisions.changes):,} figures for months before Jun 2025 (Northmoor and 25 org units within it) changed "
        "since last month's pack"
    ) in summary
    assert (
        "Last month's pack read the figures as they stood on 31 May 2025; this pack reads them as they stand on "
        "30 Jun 2025."
    ) in summary
    assert "figures for months before Jun 2025 are in this month's data for the first time" in summary


def test_a_correcting_load_is_listed_figure_by_figure(corrected_store, small_county, tmp_path) -> None:
    store, corrected = corrected_store
    assert corrected > 20
    authority = small_county.params.authority.org_units.name
    summary, *sections = _run_page(store.path, authority, tmp_path / "revisions.ipynb", AFTER)
    assert f"{corrected} figures for months before Jul 2025 (Northmoor and 25 org units within it) changed" in summary
    page = "".join(sections)
    ratings = int(re.search(r"; (\d+) ratings? changed as a result", summary).group(1))
    assert page.count('<th scope="row"') == corrected + ratings  # each in its area's table; rating changes above too
    assert "more changed figure" not in page
    assert page.count("Jun 2025, ") >= corrected and "Aggregate figures as at 31 Jul 2025, loaded " in page
    assert "Annex A extract as at 30 Jun 2025, loaded " in page
    ids = set(small_county.params.catalogue.ids)
    assert developer_strings(reader_text(summary + page), ids) == []
