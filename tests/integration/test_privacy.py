"""No child identifier, name or date of birth in any file of the pack.

Distinctive identifiers are planted in a freshly generated demo county (every child's id, every
family and adopter id, every worker's and personal adviser's name, every placement postcode and
URN), the county is loaded, a pack is built with chart images for every page and a notebook that
fails after doing real work (so an executed notebook is kept in the pack), and every file of the
pack is scanned: text files as text, workbooks part by part, PNGs byte by byte and chunk by chunk.
The scanner is checked to find a planted string where one is put on purpose.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from csc_workbench.config import load_params
from csc_workbench.demo import DemoConfig, generate_demo
from csc_workbench.load import load_demo
from csc_workbench.pack.run import build_pack
from csc_workbench.store import Store

from ..conftest import ROOT

END, MONTHS = "2025-06", 13
NOTEBOOKS = ROOT / "notebooks"
#: Columns whose every value is replaced by a planted, distinctive value.
PLANTED = {
    "Child Unique ID": "PRIVZZ{}",
    "Family identifier": "PRIVFAM{}",
    "Individual adopter identifier": "PRIVADOPTER{}",
    "Allocated Worker": "Zebedee Quigglesworth {}",
    "Allocated Personal Advisor": "Philomena Wigglesby {}",
    "Placement postcode": "QZ{} 9XX",
    "URN of Placement": "PRIVURN{}",
}
MARKERS = ["PRIVZZ", "PRIVFAM", "PRIVADOPTER", "Quigglesworth", "Wigglesby", "PRIVURN"]


def _plant(folder: Path) -> set[str]:
    """Replace identifying values in every CSV under ``folder`` (the same original value always
    gets the same planted one, across lists and extracts); return the dates of birth seen."""
    mapping: dict[tuple[str, str], str] = {}
    births: set[str] = set()
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        if not rows:
            continue
        header = rows[0]
        columns = {k: header.index(k) for k in PLANTED if k in header}
        birth = header.index("Date of Birth") if "Date of Birth" in header else None
        for row in rows[1:]:
            for name, k in columns.items():
                if row[k]:
                    key = (name, row[k])
                    row[k] = mapping.setdefault(key, PLANTED[name].format(len(mapping) + 1000))
            if birth is not None and row[birth]:
                if row[birth].startswith("01/"):  # first-of-month dates are also the pack's month dates
                    row[birth] = "13/" + row[birth][3:]
                births.add(row[birth])
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return births


def _date_forms(births: set[str]) -> set[str]:
    forms = set()
    for text in births:
        day = datetime.strptime(text, "%d/%m/%Y")
        forms |= {text, day.strftime("%Y-%m-%d")}
    return forms


def _texts(path: Path) -> list[str]:
    """Everything readable in a file: text, each part of a zip (xlsx), PNG bytes and chunks."""
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        texts, at = [data.decode("latin-1")], 8
        while at < len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
            if kind in (b"zTXt", b"iTXt"):
                _, _, rest = body.partition(b"\x00")
                try:
                    texts.append(zlib.decompress(rest[1:] if kind == b"zTXt" else rest.split(b"\x00", 3)[-1]).decode())
                except zlib.error:
                    texts.append(rest.decode("latin-1"))
            at += 12 + length
        return texts
    return [data.decode("utf-8", "replace")]


_DATES = re.compile(r"\b\d{2}/\d{2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


def scan(folder: Path, needles: list[str], dates: set[str] = frozenset()) -> dict[str, list[str]]:
    """{file: needles and dates found in it} for every file under ``folder`` (dates are matched as
    whole dd/mm/yyyy or yyyy-mm-dd tokens, so thousands of them cost one pass per file)."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        texts = _texts(path)
        hits = [n for n in needles if any(n in t for t in texts)]
        hits += sorted({d for t in texts for d in _DATES.findall(t)} & dates)
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture(scope="module")
def planted_pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    params = load_params(ROOT / "params")
    files = generate_demo(root / "data", params, DemoConfig(end_month=END, months=MONTHS))
    births = _plant(files.root)
    store = Store(root / "store.duckdb")
    load_demo(files, params, store, quarantine_dir=root / "quarantine", jobs=2)

    notebooks = root / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    broken = nbformat.read(notebooks / "care_leavers.ipynb", as_version=4)
    broken.cells.append(new_code_cell("raise RuntimeError('deliberate failure after the page was drawn')"))
    nbformat.write(broken, notebooks / "care_leavers.ipynb")
    result = build_pack(
        END,
        ROOT / "params",
        store.path,
        root / "out",
        org_units=["Northmoor", "North Northmoor"],
        areas=["front_door", "children_in_care", "care_leavers", "adoption"],
        notebooks_dir=notebooks,
        progress=False,
        images="all",
    )
    return result, births, store


def test_the_planted_data_was_loaded(planted_pack) -> None:
    """The planted ids really went in (the scan below would be empty otherwise)."""
    result, births, store = planted_pack
    assert births and store.latest(["cic_open"], ["Northmoor"], ["all"])["value"].max() > 100
    failed = [p for p in result.pages if not p.ok]
    assert [p.page.notebook for p in failed] == ["care_leavers", "care_leavers"]
    assert all(p.notebook is not None and p.notebook.exists() for p in failed)  # kept, and scanned
    assert (result.path / "scorecard.xlsx").exists()
    assert sum(len(p.images) for p in result.pages) >= 20


def test_no_identifier_name_or_date_of_birth_in_any_file_of_the_pack(planted_pack) -> None:
    result, births, _ = planted_pack
    files = [p for p in result.path.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".html", ".xlsx", ".png", ".ipynb"} <= kinds
    assert scan(result.path, MARKERS, _date_forms(births)) == {}


def test_the_scanner_finds_what_is_there(planted_pack, tmp_path) -> None:
    result, births, _ = planted_pack
    birth = sorted(births)[0]
    # positive controls: the authority's name is in every page; a planted id written on purpose
    # into a copy of each kind of file is found
    assert "index.html" in scan(result.path, ["Northmoor"])
    copy = tmp_path / "copy"
    shutil.copytree(result.path, copy)
    page = next(copy.glob("front_door_*.html"))
    page.write_text(page.read_text(encoding="utf-8") + f"PRIVZZ1001 born {birth}", encoding="utf-8")
    workbook = copy / "scorecard.xlsx"
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    book.active["B200"] = "Zebedee Quigglesworth 1002"
    book.save(workbook)
    image = next((copy / "images").glob("*.png"))
    data = image.read_bytes()
    chunk = b"tEXt" + b"Comment\x00PRIVFAM1003"
    image.write_bytes(data[:8] + (len(chunk) - 4).to_bytes(4, "big") + chunk + b"\x00\x00\x00\x00" + data[8:])
    found = scan(copy, MARKERS, _date_forms(births))
    assert found == {
        page.name: ["PRIVZZ", birth],
        "scorecard.xlsx": ["Quigglesworth"],
        f"images/{image.name}": ["PRIVFAM"],
    }
