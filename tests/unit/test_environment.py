"""environment.yml (conda users) lists what pyproject.toml lists, with the same minimum versions."""

from __future__ import annotations

import re
import tomllib

import yaml

from ..conftest import ROOT

#: PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"duckdb": "python-duckdb", "vl-convert-python": "vl-convert-python"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def pyproject_lines() -> list[str]:
    """Every requirement of pyproject.toml, the development extra's included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]


def pyproject_requirements() -> dict[str, str]:
    return {CONDA_NAMES.get(name, name): spec for name, spec in map(_split, pyproject_lines())}


def conda_requirements() -> dict[str, str]:
    """What environment.yml installs: conda packages, and the pip section's packages not on
    conda-forge (the project itself, ``-e .``, aside)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries = [d for d in env["dependencies"] if isinstance(d, str)]
    entries += [p for d in env["dependencies"] if isinstance(d, dict) for p in d.get("pip", []) if p != "-e ."]
    found = dict(_split(d) for d in entries)
    found.pop("python")
    found.pop("pip")
    return found


def test_environment_yml_matches_pyproject() -> None:
    assert conda_requirements() == pyproject_requirements()


def test_environment_yml_installs_the_project_itself() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1 and pip_sections[0][-1] == "-e ."
    assert "python=3.11" in env["dependencies"]


def test_uv_lock_is_in_step_with_pyproject() -> None:
    """uv.lock (the versions a fresh machine installs, `make lock`) was made from today's pyproject.toml:
    the project's requirements recorded in it are pyproject's, and it pins a version of each."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    recorded = {r["name"]: r.get("specifier", "") for r in packages["csc-workbench"]["metadata"]["requires-dist"]}
    assert {name: spec.replace(" ", "") for name, spec in recorded.items()} == dict(map(_split, pyproject_lines()))
    assert all(packages[name].get("version") for name in recorded)
