"""Set-up from the LA code: a council's params folder written from the shipped DfE reference.

``write_params("886", Path("params/kent"))`` writes ``authority.yml`` (name, old and new LA
codes, report metadata to fill in, the authority as the top of an org tree to fill in; region,
statistical neighbours and the ONS population 0-17 as comments), a copy of the standard
``catalogue.yml`` and an empty ``commentary/`` folder. The result passes ``cscw check`` as it is.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from csc_workbench.benchmarks.authorities import (
    is_new_code,
    la_name,
    load_la_codes,
    new_code_for,
    normalise_old_code,
    reorganisations,
)
from csc_workbench.benchmarks.neighbours import neighbours
from csc_workbench.config.errors import WorkbenchError
from csc_workbench.reference import population_0_17

#: The standard catalogue every new council starts from.
STANDARD_CATALOGUE = Path(__file__).resolve().parents[2] / "params" / "catalogue.yml"
#: The statistical neighbour model listed (DfE's current one).
NEIGHBOUR_MODEL = "2025"
#: ``report:`` in authority.yml: key -> (the stand-in written, what the analyst replaces it with).
REPORT_STAND_INS = {
    "portfolio": ("Children's Services", "the cabinet portfolio"),
    "cabinet_member": ("Cabinet Member for Children's Services", 'the councillor, e.g. "Cllr A. Smith"'),
    "director": ("Director of Children's Services", "the director's name"),
    "division": ("Children's Social Care", "the division or service"),
    "produced_by": ("Performance and Intelligence Team", "the team that produces the pack"),
    "data_source": ("Case management system", 'your system, e.g. "Liquidlogic LCS" or "Mosaic"'),
}


@dataclass(frozen=True)
class Neighbour:
    """One statistical neighbour: rank (1 closest), LA codes, name and DfE's closeness."""

    rank: int
    old_code: str
    new_code: str | None
    name: str
    closeness: str


@dataclass(frozen=True)
class Council:
    """What the shipped reference says about one current English local authority."""

    name: str
    old_code: str
    new_code: str
    region_code: str
    region_name: str
    population: tuple[int, int] | None  # (children aged 0-17, ONS mid-year)
    neighbours: list[Neighbour]


def find_council(code: str) -> Council:
    """The current authority with this LA code, old (``886``) or new (``E10000016``); an unknown
    or retired code raises WorkbenchError (naming the successors of a retired one)."""
    text = str(code).strip()
    codes = load_la_codes()
    current = codes[codes["valid_to"].isna()]
    reorg = reorganisations()
    if is_new_code(text):
        text = text.upper()
        replaced = reorg[reorg["predecessor_new"] == text]
        rows = current[current["new_la_code"] == text]
    elif text.isdigit():
        text = str(normalise_old_code(text))
        replaced = reorg[(reorg["predecessor_old"] == text) & (reorg["kind"] != "new code")]
        rows = current[current["old_la_code"] == text]
    else:
        raise WorkbenchError(_unknown(text, current))
    if len(replaced):
        raise WorkbenchError(_retired(text, replaced))
    if rows.empty:
        raise WorkbenchError(_unknown(text, current))
    row = rows.iloc[0]
    old = str(row["old_la_code"])
    return Council(
        name=str(row["la_name"]),
        old_code=old,
        new_code=str(row["new_la_code"]),
        region_code=str(row["region_code"]),
        region_name=str(row["region_name"]),
        population=population_0_17(old, date.today().year),
        neighbours=[
            Neighbour(rank, neighbour, new_code_for(neighbour), la_name(neighbour) or neighbour, closeness)
            for rank, neighbour, closeness in neighbours(old, NEIGHBOUR_MODEL)
        ],
    )


def _retired(code: str, replaced: pd.DataFrame) -> str:
    first = replaced.iloc[0]
    when = date.fromisoformat(first["effective"])
    day = f"{when.day} {when:%B %Y}"
    if (replaced["kind"] == "new code").all():
        return (
            f"LA code {code} was {first['predecessor_name']}'s ONS code until {day}: use "
            f"{first['successor_new']} (or its LA number {first['successor_old']})"
        )
    names = [f"{r.successor_name} ({r.successor_old}, {r.successor_new})" for r in replaced.itertuples()]
    successors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"LA code {code} is {first['predecessor_name']}, which was replaced on {day} by {successors}: "
        "give the code of the council you are setting up"
    )


def _unknown(code: str, current: pd.DataFrame) -> str:
    message = (
        f"unknown LA code {code!r}: give the 3-digit DfE LA number (e.g. 886) or the 9-character ONS code "
        "(e.g. E10000016) of an English local authority"
    )
    named = current[current["la_name"].str.lower() == code.lower()]
    if len(named):
        message += f"; {named.iloc[0]['la_name']} is {named.iloc[0]['old_la_code']}"
    return message


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def authority_yaml(council: Council, command: str) -> str:
    """The text of ``authority.yml`` for a council; ``command`` is how it was asked for."""
    today = date.today()
    lines = [
        f"# {council.name}: written by `{command}` on {today.day} {today:%B %Y} from the DfE reference shipped",
        "# with the workbench (lib/csc_workbench/reference/). Replace what is marked TO FILL IN, add the",
        "# areas and teams, then run `cscw check --params` on this folder.",
        "#",
        f"# Region: {council.region_name} ({council.region_code})",
    ]
    if council.neighbours:
        lines.append(f"# Statistical neighbours (DfE {NEIGHBOUR_MODEL} model, closest first; benchmarks use them):")
        lines += [
            f"#   {n.rank:2d}. {n.name} ({n.old_code}, {n.new_code or 'no ONS code'}): {n.closeness.lower()}"
            for n in council.neighbours
        ]
    else:
        lines.append(f"# Statistical neighbours: none in the DfE {NEIGHBOUR_MODEL} model for {council.name}")
    lines += [
        "#",
        "# catalogue.yml beside this file is the workbench's standard catalogue: its targets and RAG bands",
        "# are invented for the demo. Set your own per financial year (docs/catalogue.md).",
        "",
        f"name: {_quoted(council.name)}  # TO FILL IN: the council's name as your reports print it",
        f"short_name: {_quoted(council.name)}",
        f'la_code_old: "{council.old_code}"  # DfE LA number',
        f'la_code_new: "{council.new_code}"  # ONS code',
        "synthetic: false",
        "",
        "# What exception pages print beside each red indicator. TO FILL IN: each value is a stand-in",
        "# (a role or a team, not a person): replace it with the name as your reports print it.",
        "report:",
        *(f"  {key}: {_quoted(stand_in)}  # TO FILL IN: {what}" for key, (stand_in, what) in REPORT_STAND_INS.items()),
        "",
        "# Months whose data cannot be used (for example after a system migration), as a list:",
        "# data_gaps:",
        '#   - month: "2026-02"',
        '#     reason: "System migration: data not available"',
        "#     indicators: all",
        "",
        "# The org-unit tree: the authority, its areas and their teams, named exactly as the",
        '# "Allocated Team" column of your Annex A lists. population: children aged 0-17, for rates',
        "# per 10,000 (an area needs its own to get rates).",
        "org_units:",
        f"  name: {_quoted(council.name)}",
        "  level: authority",
    ]
    if council.population:
        count, year = council.population
        lines += [
            f"  # Population 0-17: {count:,} (ONS mid-{year} estimate, the latest shipped). While no population",
            "  # is stated here, the authority's rates per 10,000 use the ONS estimate of each year.",
        ]
    else:
        lines.append(f"  # population: TO FILL IN: no ONS estimate is shipped for LA {council.old_code}")
    lines += [
        "  # TO FILL IN: the areas and their teams, for example:",
        "  # children:",
        '  #   - name: "North"',
        "  #     level: area",
        "  #     population: 40000",
        "  #     children:",
        '  #       - {name: "North Children\'s Social Work Team", level: team}',
        '  #       - {name: "North Children in Care Team", level: team}',
        '  #   - name: "South"',
        "  #     level: area",
        "  #     population: 35000",
        "  #     children:",
        '  #       - {name: "South Children\'s Social Work Team", level: team}',
        "",
    ]
    return "\n".join(lines)


def default_folder(council: Council) -> Path:
    """``params/<name>``, e.g. ``params/kent``: beside the demo's params, not over them."""
    return Path("params") / re.sub(r"[^a-z0-9]+", "_", council.name.lower()).strip("_")


def write_params(council: Council, out: Path, force: bool = False, command: str = "cscw init") -> None:
    """Write ``authority.yml``, a copy of the standard catalogue and an empty ``commentary/`` into
    ``out``; an existing folder with files in it is refused unless ``force`` (then the two files
    are replaced and the commentary kept)."""
    if out.exists() and not out.is_dir():
        raise WorkbenchError(f"{out} is a file, not a folder: choose another --out")
    if out.exists() and any(out.iterdir()) and not force:
        raise WorkbenchError(
            f"{out} already exists: choose another --out, or give --force to replace its authority.yml and "
            "catalogue.yml (its commentary is kept)"
        )
    if not STANDARD_CATALOGUE.is_file():
        raise WorkbenchError(
            f"{STANDARD_CATALOGUE}: the standard catalogue is missing (run from the workbench's folder)"
        )
    text = authority_yaml(council, command)
    try:
        (out / "commentary").mkdir(parents=True, exist_ok=True)
        (out / "authority.yml").write_text(text, encoding="utf-8")
        shutil.copyfile(STANDARD_CATALOGUE, out / "catalogue.yml")
    except OSError as exc:
        raise WorkbenchError(f"{exc.filename or out}: cannot write it ({exc.strerror})") from None
