"""Executed notebook -> offline page: the pack's own stylesheet for screen and A4 print (running
header, landscape when asked), no JupyterLab stylesheet, the chart runtime's loader only on a
page with an interactive chart."""

from __future__ import annotations

import altair as alt
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from csc_workbench.pack.html import SYNTHETIC_LABEL, PageHeader, notebook_to_html
from csc_workbench.pack.render import RUNTIME_PATH, _bundle

HEADER = PageHeader('Northmoor "County" Council', "Nov 2026", "30 November 2026", True, "Scorecard: Northmoor")
CHART = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [2, 1]})).mark_line().encode(x="x:Q", y="y:Q")


def _notebook(chart: alt.TopLevelMixin):
    cell = new_code_cell("display(chart)")
    data, metadata = _bundle(chart.to_dict())
    cell.outputs = [new_output("display_data", data=data, metadata=metadata)]
    nb = new_notebook(cells=[new_markdown_cell("# Scorecard\n\nSome text."), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_a_page_carries_the_pack_stylesheet_and_not_jupyterlab_s() -> None:
    page = notebook_to_html(_notebook(CHART), HEADER)
    assert page.count("<style") == 1 and '<style id="cscw-style">' in page
    assert "--jp-" not in page and "jp-Cell-Placeholder" not in page  # JupyterLab's 240 KB of styles left out
    assert "@page{size:A4;" in page
    # the running header: authority and month left, the page's title and page number right
    assert '@top-left{content:"Northmoor \\"County\\" Council · Nov 2026"' in page
    assert '@top-right{content:"Scorecard: Northmoor · page " counter(page) " of " counter(pages)' in page
    assert f'@bottom-center{{content:"{SYNTHETIC_LABEL}"' in page
    assert "<title>Scorecard: Northmoor</title>" in page and '<header class="cscw-header">' in page
    assert RUNTIME_PATH not in page  # no interactive chart: no runtime


def test_a_wide_page_prints_landscape() -> None:
    assert "@page{size:A4 landscape;" in notebook_to_html(_notebook(CHART), HEADER, landscape=True)


def test_only_a_page_with_an_interactive_chart_loads_the_runtime() -> None:
    pick = alt.param(name="pick", value=1, bind=alt.binding_range(min=0, max=2))
    page = notebook_to_html(_notebook(CHART.add_params(pick)), HEADER)
    assert page.count(f'script.src = "{RUNTIME_PATH}"') == 1
    assert page.index('id="cscw-chart-runtime"') < page.index("</head>")
