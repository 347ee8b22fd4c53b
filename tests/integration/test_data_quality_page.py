"""The data-quality page on the demo county: its notebook runs with the parameters of the pack's
once-per-pack pages and reports the full extract's record, with reader text only and no child's
identifier or worker's name."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import papermill

from ..conftest import ROOT
from .conftest import END
from .test_reader_text import developer_strings, reader_text

NOTEBOOK = ROOT / "notebooks" / "data_quality.ipynb"


def test_the_page_reports_the_demo_extract_in_reader_text(small_county, tmp_path) -> None:
    executed = tmp_path / NOTEBOOK.name
    parameters = {
        "month": END, "org_unit": small_county.params.authority.org_units.name, "cohort": "all",
        "store": str(small_county.store.path), "params_folder": str(ROOT / "params"), "catalogue": None,
    }  # fmt: skip
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), parameters=parameters, cwd=str(NOTEBOOK.parent), progress_bar=False,
        kernel_name="python3",
    )  # fmt: skip
    outputs = [o for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(o.data.get("text/html") or o.data.get("text/markdown", "") for o in outputs if "data" in o)
    text = reader_text(shown)
    assert "the Annex A extract as at 30 June 2025" in text and "No record of data quality" not in text
    assert shown.count("<caption") == 2  # every row kept: no table of exclusions or values set aside
    assert "No row was excluded." in text and "No value was set aside." in text
    rows = pd.read_csv(small_county.files.full_extract / "List 3.csv", dtype=str)
    assert re.search(rf"List 3: Referrals</th><td[^>]*>{len(rows):,}</td><td[^>]*>0</td>", shown)
    assert developer_strings(text, set(small_county.params.catalogue.ids)) == []
    private = set(rows["Child Unique ID"]) | set(rows["Allocated Worker"].dropna())
    assert [value for value in private if value in shown] == []
