"""The authority: name, DfE codes, report metadata and the org-unit hierarchy."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from csc_workbench.config.catalogue import _read_yaml
from csc_workbench.config.errors import ParamsError, format_pydantic_errors
from csc_workbench.reference import population_0_17

Level = Literal["authority", "area", "team"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgUnit(_Strict):
    name: str
    level: Level
    population: int | None = Field(None, gt=0, description="children aged 0-17, for rates per 10,000")
    children: list[OrgUnit] = Field(default_factory=list)


class ReportMetadata(_Strict):
    """What exception pages print beside each red indicator."""

    portfolio: str | None = None
    cabinet_member: str | None = None
    director: str | None = None
    division: str | None = None
    produced_by: str | None = None
    data_source: str | None = None


class DataGap(_Strict):
    """A month whose data cannot be used (for example after a system migration)."""

    month: str
    reason: str
    indicators: list[str] | Literal["all"] = "all"


class Authority(_Strict):
    name: str
    short_name: str
    la_code_old: str | None = Field(None, description="3-digit DfE LA number, e.g. '886'")
    la_code_new: str | None = Field(None, description="9-character ONS code, e.g. 'E10000016'")
    synthetic: bool = False
    comparator_la_code: str | None = Field(
        None,
        description="for a fictional (synthetic) authority: the real LA whose statistical neighbours, region "
        "and national figures it is compared with",
    )
    report: ReportMetadata = ReportMetadata()
    data_gaps: list[DataGap] = Field(default_factory=list)
    org_units: OrgUnit
    _units: dict[str, tuple[OrgUnit, str | None]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index(self) -> Authority:
        if self.synthetic and (self.la_code_old or self.la_code_new):
            raise ValueError("a synthetic authority has no real LA codes; set comparator_la_code instead")
        if self.org_units.level != "authority":
            raise ValueError("org_units: the top of the hierarchy must have level 'authority'")
        units: dict[str, tuple[OrgUnit, str | None]] = {}

        def walk(unit: OrgUnit, parent: str | None) -> None:
            if unit.name in units:
                raise ValueError(f"org_units: '{unit.name}' appears twice")
            units[unit.name] = (unit, parent)
            for child in unit.children:
                walk(child, unit.name)

        walk(self.org_units, None)
        self._units = units
        return self

    @property
    def org_unit_names(self) -> list[str]:
        return list(self._units)

    @property
    def benchmark_la_code(self) -> str | None:
        """The LA code benchmarks are drawn for: the council's own, or the demo's comparator."""
        return self.la_code_new or self.la_code_old or self.comparator_la_code

    def org_unit(self, name: str) -> OrgUnit:
        return self._units[name][0]

    def parent_of(self, name: str) -> str | None:
        return self._units[name][1]

    def at_level(self, level: Level) -> list[str]:
        return [name for name, (unit, _) in self._units.items() if unit.level == level]

    def descendants(self, name: str) -> list[str]:
        out: list[str] = []
        for child in self.org_unit(name).children:
            out.append(child.name)
            out.extend(self.descendants(child.name))
        return out


def org_unit_populations(authority: Authority, year: int, notes: list[str]) -> dict[str, int | None]:
    """Children aged 0-17 per org unit, for rates per 10,000: as stated in authority.yml, else (for
    the authority) the latest ONS mid-year estimate up to ``year`` for its LA code, noted in ``notes``."""
    populations = {name: authority.org_unit(name).population for name in authority.org_unit_names}
    top = authority.org_units.name
    if populations[top] is None:
        found = population_0_17(authority.la_code_new, year) or population_0_17(authority.la_code_old, year)
        if found:
            populations[top] = found[0]
            notes.append(
                f"rates per 10,000 for {top} use the ONS mid-{found[1]} estimate of {found[0]:,} children aged 0-17"
            )
    return populations


def load_authority(path: str | Path) -> Authority:
    """Read and validate ``authority.yml``; ParamsError names the file and key."""
    path = Path(path)
    raw = _read_yaml(path)
    try:
        return Authority.model_validate(raw)
    except ValidationError as exc:

        def describe(loc: tuple) -> tuple[str, str]:
            return "", ".".join(str(p) for p in loc) or "(top level)"

        raise ParamsError(format_pydantic_errors(str(path), exc.errors(), describe)) from None
