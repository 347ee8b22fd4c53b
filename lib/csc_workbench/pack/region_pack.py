"""The region's own pack: a page per area of the region's catalogue (every council's monthly value
ranked, the regional figure and quartiles, a funnel with exact limits) and an index saying which
councils contributed this month, from the run's own data.

Published like a council's pack: built aside, then swapped into ``<region>/outputs/<YYYY-MM>/``.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.config.region import Region
from csc_workbench.pack.kernels import DRAWINGS, WarmKernels
from csc_workbench.pack.run import DEFAULT_NOTEBOOKS, Page, execute_page, finish_page, publish
from csc_workbench.periods import month_label, parse_month
from csc_workbench.store.atoms import Store

if TYPE_CHECKING:
    from csc_workbench.pack.region import CouncilOutcome

#: The notebook of one area of the region's pack.
REGION_NOTEBOOK = "region"


def build_region_pack(
    region: Region, month: str, councils: list[CouncilOutcome], notebooks_dir: Path = DEFAULT_NOTEBOOKS
) -> Path:
    """Build and publish the region's pack for ``month``; the path of its index. ``councils``:
    each council's outcome in this run, for the index."""
    from csc_workbench.pack.html import PageHeader
    from csc_workbench.pack.run import data_as_at

    index = parse_month(month)
    catalogue = load_catalogue(region.catalogue_path)
    out = region.outputs
    final, build = out / month, out / f".building-{month}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    as_at = data_as_at(Store(region.store_path), index)
    header = PageHeader(region.name, month_label(index), as_at, region.synthetic, links=(("index.html", "Contents"),))
    pages = [
        Page(REGION_NOTEBOOK, region.name, f"region_{area}", f"{title}: the region's councils",
             {"region_folder": str(region.folder), "month": month, "area": area}, area)
        for area, title in catalogue.areas.items()
    ]  # fmt: skip
    results = []
    with WarmKernels(drawings=out / DRAWINGS) as kernels:
        for k, page in enumerate(pages):
            results.append(finish_page(execute_page(page, notebooks_dir, build, kernels, first=k == 0), build, header))
    if (build / "notebooks").is_dir() and not any((build / "notebooks").iterdir()):
        (build / "notebooks").rmdir()  # each page's executed notebook is kept only if it failed
    (build / "index.html").write_text(_index(region, header, month, results, councils), encoding="utf-8")
    publish(build, final)
    return final / "index.html"


def _index(region: Region, header, month: str, results, councils: list[CouncilOutcome]) -> str:
    """The region's index: its pages, and each council's part in this month's run."""
    from csc_workbench.pack.html import stylesheet

    pages = "".join(
        f'<li><a href="{html.escape(r.html.name)}">{html.escape(r.page.title)}</a></li>'
        if r.ok and r.html
        else f"<li>{html.escape(r.page.title)}: not built ({html.escape((r.error or '').splitlines()[0][:300])})</li>"
        for r in results
    )
    rows = "".join(
        f"<tr><td>{html.escape(c.council)}</td><td>{_contributed(c)}</td><td>{_packed(c)}</td></tr>" for c in councils
    )
    head = replace(header, title=f"Regional comparison: {region.name}, {header.month_label}")
    sharing = (
        "The councils' figures are shown as letters (Council A, Council B, ...), as the region agreed; each "
        "council's own pack names it."
        if region.sharing == "letters"
        else "Councils are named, as the region agreed."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{html.escape(head.title)}</title>{stylesheet(head)}</head><body>{head.html()}<main>"
        f"<p>Each council's monthly figures compared, indicator by indicator. {sharing} Counts below "
        f"{region.suppress_below} are not shown.</p><h2>Pages</h2><ul>{pages}</ul>"
        "<h2>Councils this month</h2>"
        '<table class="cscw-index" border="1" cellpadding="4" style="border-collapse:collapse">'
        "<thead><tr><th>Council</th><th>Figures given to the region</th><th>Its own pack</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></main></body></html>\n"
    )


def _contributed(council: CouncilOutcome) -> str:
    if council.load is None:
        return "none this month: its data could not be loaded"
    as_at = council.load.data_as_at
    return "yes" + (f", data as at {as_at.strftime('%d %B %Y').lstrip('0')}" if as_at else "")


def _packed(council: CouncilOutcome) -> str:
    if council.pack is None:
        return "not built"
    failed = len(council.failed_pages)
    return f"{council.pages} pages" + (f", {failed} failed" if failed else "")
