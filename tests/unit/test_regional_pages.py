"""The regional pages: a council's regional section and one area of the region's own pack, read
from a small regional store built here (seven councils' contributions, made of the standard
catalogue's indicators, with known ranks, a council far outside the funnel, small counts and a
council that did not contribute for the month)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
import yaml

from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.periods import month_text, parse_month
from csc_workbench.present.items import Html, Text, flatten
from csc_workbench.present.regional import RegionalSection, RegionPage
from csc_workbench.store.atoms import ATOM_COLUMNS, Store

from ..conftest import ROOT

MONTH = "2025-03"
END = parse_month(MONTH)
#: 24 months: the report month's rolling 12 months and those of 12 months before.
FIRST = END - 23
#: The share meeting ``assessments_45wd`` (higher is better) in the last 12 months and the 12
#: before, and each council's size (children assessed a month).
ASSESSED = {
    "Ashcombe": (0.90, 0.60, 400),
    "Brindledale": (0.80, 0.70, 200),
    "Corriefield": (0.70, 0.95, 160),
    "Dunmarford": (0.65, 0.80, 120),
    "Elderholme": (0.60, 0.65, 100),
    "Fallowmere": (0.55, 0.50, 60),
}
#: Contributed until January only: no figure for the report month.
LATE = "Gorsegate"
COUNCILS = [*ASSESSED, LATE]
#: Fallowmere re-referred one child a quarter: 3 (or 4) in any 12 months, a small count.
SMALL = "Fallowmere"
#: Each council's overdue assessments at the report month's end (lower is better): Dunmarford's 2 is small.
OVERDUE = {"Ashcombe": 40, "Brindledale": 0, "Corriefield": 12, "Dunmarford": 2, "Elderholme": 25, "Fallowmere": 7}
#: The indicators the councils contribute: the front door's, two assessment ones and a rate of children in care.
CONTRIBUTED = [
    "contacts", "contacts_decision_1wd", "contacts_to_referral", "referrals", "referral_rate_per_10k",
    "referrals_to_assessment", "referrals_nfa", "rereferrals_12m", "assessments_45wd", "assessments_overdue",
    "cic_rate_per_10k",
]  # fmt: skip
STANDARD = load_catalogue(ROOT / "params" / "catalogue.yml")
TIMELY, REREFERRALS = STANDARD["assessments_45wd"].title, STANDARD["rereferrals_12m"].title
#: What must never reach a reader's page: store internals, ids, file names, code and month codes.
DEVELOPER_TEXT = re.compile(
    r"vintage|duckdb|\.ya?ml\b|region\.yml|csc_workbench|Traceback|\bNone\b|\bnan\b|\bNaN\b|"
    r"\b20\d\d-(?:0[1-9]|1[0-2])\b|\{\{|\}\}"
)


def _atoms_for(council: str, k: int) -> pd.DataFrame:
    """A council's monthly atoms: the known figures above, and plausible others."""
    last = END - 2 if council == LATE else END
    population = 20_000.0 * (k + 2)
    rows = []
    for period in range(FIRST, last + 1):
        recent = period > END - 12
        share, before, size = ASSESSED.get(council, (0.75, 0.75, 80))
        assessed = float(size)
        met = round(assessed * (share if recent else before))
        referrals = 50.0 + 10 * k
        rereferred = (1.0 if period % 3 == 0 else 0.0) if council == SMALL else round(referrals * (0.15 + 0.01 * k))
        contacts = 300.0 + 20 * k
        month_rows = {
            "contacts": (contacts, None),
            "contacts_decision_1wd": (round(contacts * 0.9), contacts),
            "contacts_to_referral": (referrals, contacts),
            "referrals": (referrals, None),
            "referral_rate_per_10k": (referrals, population),
            "referrals_to_assessment": (round(referrals * 0.8), referrals),
            "referrals_nfa": (round(referrals * 0.1), referrals),
            "rereferrals_12m": (rereferred, referrals),
            "assessments_45wd": (met, assessed),
        }
        for indicator, (numerator, denominator) in month_rows.items():
            rows.append((indicator, period, council, "all", "month", numerator, denominator))
        rows.append(("assessments_overdue", period, council, "all", "snapshot", OVERDUE.get(council, 9), None))
        rows.append(("cic_rate_per_10k", period, council, "all", "snapshot", 60.0 + 40 * k, population))
    frame = pd.DataFrame(rows, columns=ATOM_COLUMNS[:7]).assign(value=None, unavailable_reason=None)
    return frame[ATOM_COLUMNS].astype({"numerator": float, "denominator": float, "value": float})


def make_region(folder: Path, sharing: str = "letters", synthetic: bool = False) -> Path:
    """A region folder: region.yml, the standard catalogue, a folder per council and the regional
    store holding each council's contribution as one vintage (and an area's atoms, shared by one
    council, that no council page may show)."""
    shutil.copy(ROOT / "params" / "catalogue.yml", folder / "catalogue.yml")
    councils = []
    for name in COUNCILS:
        (folder / "councils" / name.lower()).mkdir(parents=True)
        councils.append({"name": name, "folder": f"councils/{name.lower()}"})
    spec = {"name": "Testshire Group", "synthetic": synthetic, "sharing": sharing, "suppress_below": 5,
            "councils": councils}  # fmt: skip
    (folder / "region.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    catalogue = load_catalogue(folder / "catalogue.yml")
    store = Store(folder / "region.duckdb")
    for k, name in enumerate(COUNCILS):
        atoms = _atoms_for(name, k)
        if name == "Ashcombe":  # its area's figures: not a council, never ranked
            area = atoms[atoms["indicator"] == "assessments_45wd"].assign(org_unit="Ashcombe: North", numerator=0.0)
            atoms = pd.concat([atoms, area], ignore_index=True)
        as_at = date(2025, 4, 8 + k) if name != LATE else date(2025, 2, 10)
        store.add_vintage(atoms, source=name, kind="council contribution", as_at=as_at, catalogue=catalogue)
    return folder


@pytest.fixture(scope="module")
def lettered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_region(tmp_path_factory.mktemp("lettered"))


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_region(tmp_path_factory.mktemp("named"), sharing="named", synthetic=True)


def everything(section: RegionalSection | RegionPage) -> list:
    """Every item the page shows, as its notebook shows them."""
    items: list = [section.introduction()]
    if isinstance(section, RegionalSection):
        items.append(section.summary())
        indicators = section.indicators
    else:
        indicators = section.area_indicators
    for ind in indicators:
        items += [section.heading(ind), section.ranking_chart(ind), section.funnel_chart(ind)]
        items.append(section.rank_trend_chart(ind) if isinstance(section, RegionalSection) else section.table(ind))
    return flatten(items)


def reader_text(items: list) -> str:
    """What a reader reads and hears: passages, tables, and each chart's title, subtitle,
    accessible description and data."""
    parts = []
    for item in items:
        if isinstance(item, Text):
            parts.append(item.markdown)
        elif isinstance(item, Html):
            parts.append(re.sub(r"<[^>]+>", " ", item.html))
        else:
            spec = item.to_dict()
            parts.append(json.dumps([spec.get("title"), spec.get("description"), _data_values(spec)]))
    return "\n".join(parts)


def _data_values(spec: object) -> list[dict]:
    """Every inline data row of a chart spec."""
    if isinstance(spec, dict):
        data = spec.get("data")
        rows = data["values"] if isinstance(data, dict) and isinstance(data.get("values"), list) else []
        return rows + [row for key, value in spec.items() if key != "data" for row in _data_values(value)]
    if isinstance(spec, list):
        return [row for value in spec for row in _data_values(value)]
    return []


def table_rows(item: Html) -> dict[str, list[str]]:
    """A table's rows by their first cell: the cells' text."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", item.html):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        rows[cells[0]] = cells[1:]
    return rows


def summary_row(section: RegionalSection, title: str) -> dict[str, str]:
    """The summary table's row of an indicator: each cell by its column's header."""
    table = next(item for item in section.summary() if isinstance(item, Html))
    headers = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table.html)]
    return dict(zip(headers, [title, *table_rows(table)[title]], strict=True))


# --- the council's section ----------------------------------------------------------------


def test_the_section_names_its_council_and_letters_the_others(lettered: Path) -> None:
    section = RegionalSection(lettered, "Brindledale", MONTH)
    text = reader_text(everything(section))
    assert "Brindledale" in text
    others = [c for c in COUNCILS if c != "Brindledale"]
    assert not [name for name in others if name in text]
    letters = set(re.findall(r"Council [A-Z]\b", text))
    assert len(letters) == len(COUNCILS) - 1  # every other council that has figures, by a letter of its own
    assert "Ashcombe: North" not in text  # an area's figures are not a council's


def test_named_sharing_names_every_council_and_says_synthetic(named: Path) -> None:
    section = RegionalSection(named, "Brindledale", MONTH)
    text = reader_text(everything(section))
    assert all(name in text for name in COUNCILS)
    assert not re.search(r"Council [A-Z]\b", text)
    assert "SYNTHETIC" in section.introduction().markdown
    chart = section.ranking_chart(section.catalogue["assessments_45wd"])
    assert "SYNTHETIC" in str(chart.to_dict()["title"]["text"])


def test_the_introduction_says_who_contributed_and_how_figures_are_shared(lettered: Path) -> None:
    intro = RegionalSection(lettered, "Ashcombe", MONTH).introduction().markdown
    assert "Testshire Group" in intro and "Mar 2025" in intro
    assert "6 of the region's 7 councils contributed figures for Mar 2025" in intro
    assert "as at 13 April 2025" in intro  # the latest of the contributions read (Fallowmere's)
    assert "letters" in intro and "from 1 to 4" in intro


def test_the_summary_shows_the_ranks_quartiles_and_funnel_places_of_the_data(lettered: Path) -> None:
    timely = summary_row(RegionalSection(lettered, "Brindledale", MONTH), TIMELY)
    assert list(timely)[:2] == ["Indicator", "Brindledale"]
    # six councils with a figure (Gorsegate has none for March): 90, 80, 70, 65, 60, 55%
    assert timely["Brindledale"] == "80.0%"
    assert timely["Rank"] == "2nd of 6"
    assert timely["Quartile"] == "Second quarter"  # ceil(4 x 2 / 6) = 2
    assert timely["Median"] == "67.5%"  # between 70% and 65%
    # a year before, seven councils: 95, 80, 75 (Gorsegate), 70 (Brindledale), 65, 60 (Ashcombe), 50%
    assert timely["Rank against 12 months ago"] == "Up from 4th to 2nd"
    ashcombe = summary_row(RegionalSection(lettered, "Ashcombe", MONTH), TIMELY)
    # 90% of 4,800 against a region of 77.2%: far above the limits, and higher is better
    assert ashcombe["Funnel plot"] == "Above the 99.8% limit (better than the region)"
    assert ashcombe["Rank"] == "1st of 6" and ashcombe["Quartile"] == "Best quarter"
    assert ashcombe["Rank against 12 months ago"] == "Up from 6th to 1st"
    corriefield = summary_row(RegionalSection(lettered, "Corriefield", MONTH), TIMELY)
    assert corriefield["Rank against 12 months ago"] == "Down from 1st to 3rd"
    assert corriefield["Regional figure"] == timely["Regional figure"] == "77.2%"  # 100 x 9,636 / 12,480: pooled


def test_small_counts_are_hidden_and_left_out_of_ranks(lettered: Path) -> None:
    section = RegionalSection(lettered, SMALL, MONTH)
    rereferrals = summary_row(section, REREFERRALS)
    assert rereferrals[SMALL] == "a count below 5, not shown"
    assert rereferrals["Rank"] == "not ranked" and rereferrals["Quartile"] == "-"
    overdue = summary_row(section, STANDARD["assessments_overdue"].title)
    # the mean of 40, 0, 12, 25 and 7: Dunmarford's hidden 2 is left out (with it, 14.3)
    assert (overdue["Regional figure"], overdue["Median"]) == ("16.8", "12.0")
    ind = section.catalogue["rereferrals_12m"]
    chart = section.ranking_chart(ind).to_dict()
    ranked = {row["council"] for row in _data_values(chart) if "place" in row}
    assert len(ranked) == 5 and SMALL in section.labels and SMALL not in ranked
    assert f"Not ranked: {SMALL} (a count below 5, not shown)" in " ".join(chart["title"]["subtitle"])
    overdue = RegionPage(lettered, MONTH, "assessments").table(section.catalogue["assessments_overdue"])
    lettered_dunmarford = section.labels["Dunmarford"]
    assert table_rows(overdue)[lettered_dunmarford][0] == "a count below 5, not shown"
    assert table_rows(overdue)[section.labels["Brindledale"]][:2] == ["0", "1st of 5"]  # none is shown, and best


def test_charts_have_marks_titles_and_descriptions_or_are_left_out(lettered: Path) -> None:
    section = RegionalSection(lettered, "Corriefield", MONTH)
    timely = section.catalogue["assessments_45wd"]
    for chart in (section.ranking_chart(timely), section.funnel_chart(timely), section.rank_trend_chart(timely)):
        spec = chart.to_dict()
        assert spec["title"]["text"] and spec["description"]
        marks = [layer["mark"]["type"] for layer in spec["layer"]]
        assert {"bar", "point"} & set(marks)
        alt.LayerChart.from_dict(spec)  # a valid Vega-Lite spec
    trend = section.rank_trend_chart(timely).to_dict()
    ranks = {row["month_label"]: row["value"] for row in _data_values(trend) if "place" in row}
    assert ranks["Mar 2025"] == 3 and ranks["Mar 2024"] == 1  # Corriefield fell from first to third
    assert trend["layer"][0]["encoding"]["y"]["scale"]["reverse"] is True  # rank 1 at the top
    contacts, rate = section.catalogue["contacts"], section.catalogue["cic_rate_per_10k"]
    assert section.ranking_chart(contacts) is None and section.funnel_chart(contacts) is None  # a count, unrated
    assert section.rank_trend_chart(contacts) is None
    assert section.ranking_chart(rate) is None  # close to a target is better: no rank ...
    assert section.funnel_chart(rate) is not None  # ... but a rate per 10,000 has a funnel
    assert {i.id for i in section.indicators} == set(CONTRIBUTED)


def test_the_funnel_labels_councils_outside_the_limits_and_rings_the_council(lettered: Path) -> None:
    section = RegionalSection(lettered, "Brindledale", MONTH)
    spec = section.funnel_chart(section.catalogue["assessments_45wd"]).to_dict()
    labels = {row["council"] for row in _data_values(spec) if set(row) == {"council", "bold", "n", "value"}}
    assert "Brindledale" in labels and section.labels["Ashcombe"] in labels
    assert any(layer["mark"].get("filled") is False for layer in spec["layer"])  # the ring
    assert "ringed" in " ".join(spec["title"]["subtitle"])


# --- the region's pages -------------------------------------------------------------------


def test_the_region_page_covers_every_indicator_of_the_area(lettered: Path) -> None:
    page = RegionPage(lettered, MONTH, "front_door")
    expected = [i.id for i in page.catalogue.in_area("front_door")]
    assert [i.id for i in page.area_indicators] == expected
    text = reader_text(everything(page))
    for ind in page.area_indicators:
        assert ind.title in text
        assert page.table(ind) is not None
    assert page.introduction().markdown.startswith(f"## {page.title}\n\nTestshire Group, Mar 2025. Each indicator")
    # no council is named by the region's pack when figures are shared as letters
    assert not [name for name in COUNCILS if name in text]


def test_the_region_table_gives_each_council_now_and_a_year_before(lettered: Path) -> None:
    page = RegionPage(lettered, MONTH, "assessments")
    table = page.table(page.catalogue["assessments_45wd"])
    rows = table_rows(table)
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table.html)
    assert headers == ["Council", "Mar 2025", "Rank", "Quartile", "Mar 2024", "Rank, Mar 2024"]
    assert rows[page.labels["Corriefield"]] == ["70.0%", "3rd of 6", "Second quarter", "95.0%", "1st of 7"]
    assert rows[page.labels[LATE]][:2] == ["no figure", "not ranked"]
    assert list(rows)[1:4] == [page.labels[c] for c in ("Ashcombe", "Brindledale", "Corriefield")]  # best first


def test_an_area_without_figures_says_so(lettered: Path) -> None:
    page = RegionPage(lettered, MONTH, "adoption")
    ind = page.area_indicators[0]
    assert "No council's figure can be shown for Mar 2025" in page.heading(ind).markdown
    assert page.ranking_chart(ind) is None and page.funnel_chart(ind) is None and page.table(ind) is None


def test_no_store_internals_ids_or_codes_reach_the_reader(lettered: Path, named: Path) -> None:
    ids = set(STANDARD.ids)
    for page in (RegionalSection(lettered, "Ashcombe", MONTH), RegionalSection(named, SMALL, MONTH),
                 RegionPage(lettered, MONTH, "front_door"), RegionPage(named, MONTH, "assessments")):  # fmt: skip
        text = reader_text(everything(page))
        assert not DEVELOPER_TEXT.findall(text), DEVELOPER_TEXT.findall(text)[:5]
        assert not [word for word in re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", text) if word in ids]


def test_unknown_councils_and_areas_are_refused(lettered: Path) -> None:
    with pytest.raises(KeyError, match="Nowhere"):
        RegionalSection(lettered, "Nowhere", MONTH)
    with pytest.raises(KeyError, match="nowhere"):
        RegionPage(lettered, MONTH, "nowhere")
    assert RegionalSection(lettered, None, "latest").council == COUNCILS[0]  # the notebooks' defaults
    assert month_text(RegionPage(lettered, "latest").month) == MONTH


# --- the notebooks ------------------------------------------------------------------------


def _run_notebook(path: Path, parameters: dict) -> list:
    """Run a notebook's code cells top to bottom in this process, its parameters cell replaced
    by ``parameters``; what it shows, in order."""
    import csc_workbench.present.items as items_module

    nb = nbformat.read(path, as_version=4)
    shown: list = []
    namespace: dict = {}
    original = items_module.show
    items_module.show = lambda *items: shown.extend(flatten(items))
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if "parameters" in cell.metadata.get("tags", []):
                defaults: dict = {}
                exec(cell.source, defaults)
                assert set(defaults) - {"__builtins__"} == set(parameters), path.name
                namespace.update(parameters)
                continue
            exec(cell.source, namespace)
    finally:
        items_module.show = original
    return shown


def test_the_notebooks_run_top_to_bottom_on_a_region(lettered: Path) -> None:
    notebooks = ROOT / "notebooks"
    section = _run_notebook(
        notebooks / "regional.ipynb",
        {"month": MONTH, "org_unit": None, "cohort": "all", "store": "unused", "params_folder": "unused",
         "catalogue": None, "region_folder": str(lettered), "council": "Brindledale"},
    )  # fmt: skip
    assert isinstance(section[0], Text) and "Brindledale" in section[0].markdown
    assert sum(isinstance(item, alt.TopLevelMixin) for item in section) >= len(CONTRIBUTED)
    area = _run_notebook(
        notebooks / "region.ipynb", {"region_folder": str(lettered), "month": MONTH, "area": "front_door"}
    )
    assert sum(isinstance(item, Html) for item in area) == len(load_catalogue(lettered / "catalogue.yml").in_area(
        "front_door"))  # fmt: skip
    for path in (notebooks / "regional.ipynb", notebooks / "region.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
