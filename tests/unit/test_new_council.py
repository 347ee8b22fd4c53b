"""``cscw init``: a council's params folder from its LA code, checked against the reference files
read here independently (with the csv module, not the library's readers)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from csc_workbench.cli import main
from csc_workbench.config import load_params
from csc_workbench.config.authority import Authority, ReportMetadata
from csc_workbench.new_council import REPORT_STAND_INS, authority_yaml, find_council

from ..conftest import ROOT

REFERENCE = ROOT / "lib" / "csc_workbench" / "reference"


def reference(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


CURRENT = {row["old_la_code"]: row for row in reference("la_codes.csv") if not row["valid_to"]}


def expected_neighbours(old_code: str) -> list[tuple[int, str, str, str]]:
    rows = [r for r in reference("statistical_neighbours.csv") if r["model"] == "2025" and r["la_code"] == old_code]
    rows.sort(key=lambda r: int(r["rank"]))
    return [
        (
            int(r["rank"]),
            CURRENT[r["neighbour_code"]]["la_name"],
            r["neighbour_code"],
            CURRENT[r["neighbour_code"]]["new_la_code"],
        )
        for r in rows
    ]


def expected_population(old_code: str) -> tuple[int, int]:
    rows = [r for r in reference("population_0_17.csv") if r["old_la_code"] == old_code]
    latest = max(rows, key=lambda r: int(r["year"]))
    return int(latest["population_0_17"]), int(latest["year"])


@pytest.mark.parametrize(
    ("code", "old_code"),
    [
        ("886", "886"),  # Kent, a shire county
        ("E10000016", "886"),  # Kent by its ONS code
        ("201", "201"),  # City of London
        ("350", "350"),  # Bolton, a metropolitan borough
        ("805", "805"),  # Hartlepool, a unitary
        ("303", "303"),  # Bexley, an outer London borough
        ("815", "815"),  # North Yorkshire: the LA number kept, a new ONS code from 2023
    ],
)
def test_init_writes_params_that_pass_check_with_the_reference_values(
    tmp_path: Path, capsys, code: str, old_code: str
) -> None:
    out = tmp_path / "council"
    assert main(["init", "--la", code, "--out", str(out)]) == 0
    assert main(["check", "--params", str(out)]) == 0
    expected = CURRENT[old_code]
    assert f"{expected['la_name']}: 1 org units" in capsys.readouterr().out

    params = load_params(out)
    authority = params.authority
    assert (authority.name, authority.la_code_old, authority.la_code_new) == (
        expected["la_name"], old_code, expected["new_la_code"],
    )  # fmt: skip
    assert authority.org_unit_names == [expected["la_name"]]
    assert authority.org_units.population is None  # rates use the ONS estimate of each year
    assert set(authority.report.model_dump()) == set(ReportMetadata.model_fields)
    assert all("placeholder" not in str(value).lower() for value in authority.report.model_dump().values())

    text = (out / "authority.yml").read_text(encoding="utf-8")
    assert f"# Region: {expected['region_name']} ({expected['region_code']})" in text
    listed = re.findall(r"^#\s+(\d+)\. (.+) \((\d{3}), (E\d{8})\): ", text, re.M)
    assert [(int(r), n, o, c) for r, n, o, c in listed] == expected_neighbours(old_code)
    assert len(listed) == 10
    count, year = expected_population(old_code)
    assert f"# Population 0-17: {count:,} (ONS mid-{year} estimate" in text
    for key, (stand_in, _) in REPORT_STAND_INS.items():
        assert re.search(rf"^  {key}: .+  # TO FILL IN: ", text, re.M)
        assert getattr(authority.report, key) == stand_in

    assert (out / "catalogue.yml").read_bytes() == (ROOT / "params" / "catalogue.yml").read_bytes()
    assert (out / "commentary").is_dir() and not any((out / "commentary").iterdir())


def test_the_commented_example_tree_is_valid_once_uncommented(tmp_path: Path) -> None:
    text = authority_yaml(find_council("886"), "cscw init --la 886")
    example = re.sub(r"^  # (?=children:|  )", "  ", text, flags=re.M)
    authority = Authority.model_validate(yaml.safe_load(example))
    assert authority.at_level("area") == ["North", "South"]
    assert authority.org_unit("North").population == 40000


def test_every_current_la_code_gives_a_valid_authority() -> None:
    for old_code in CURRENT:
        authority = Authority.model_validate(yaml.safe_load(authority_yaml(find_council(old_code), "test")))
        assert authority.la_code_old == old_code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("928", "LA code 928 is Northamptonshire, which was replaced on 1 April 2021 by North Northamptonshire "
         "(940, E06000061) and West Northamptonshire (941, E06000062)"),
        ("E10000021", "LA code E10000021 is Northamptonshire, which was replaced on 1 April 2021 by North "
         "Northamptonshire (940, E06000061) and West Northamptonshire (941, E06000062)"),
        ("909", "Cumbria, which was replaced on 1 April 2023 by Cumberland (942, E06000063) and Westmorland and "
         "Furness (943, E06000064)"),
        ("E10000023", "LA code E10000023 was North Yorkshire's ONS code until 1 April 2023: use E06000065 (or its LA "
         "number 815)"),
        ("999", "unknown LA code '999': give the 3-digit DfE LA number (e.g. 886) or the 9-character ONS code"),
        ("E99999999", "unknown LA code 'E99999999'"),
        ("Kent", "unknown LA code 'Kent': give the 3-digit DfE LA number (e.g. 886) or the 9-character ONS code "
         "(e.g. E10000016) of an English local authority; Kent is 886"),
    ],
)  # fmt: skip
def test_an_unknown_or_retired_code_is_refused_and_writes_nothing(tmp_path: Path, capsys, code: str, message: str):
    out = tmp_path / "council"
    assert main(["init", "--la", code, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error
    assert not out.exists()


def test_an_existing_folder_is_kept_unless_forced(tmp_path: Path, capsys) -> None:
    out = tmp_path / "council"
    assert main(["init", "--la", "886", "--out", str(out)]) == 0
    (out / "authority.yml").write_text("edited", encoding="utf-8")
    (out / "commentary" / "2026-10.yml").write_text("commentary: {}\n", encoding="utf-8")
    assert main(["init", "--la", "201", "--out", str(out)]) == 2
    assert f"{out} already exists: choose another --out, or give --force" in capsys.readouterr().err
    assert (out / "authority.yml").read_text(encoding="utf-8") == "edited"
    assert main(["init", "--la", "201", "--out", str(out), "--force"]) == 0
    assert load_params(out).authority.la_code_old == "201"
    assert (out / "commentary" / "2026-10.yml").exists()  # the analyst's commentary is never removed
