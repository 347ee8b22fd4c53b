"""A region: councils that compare themselves month by month (``region.yml`` in a region folder).

A regional group (a London-style data pool, a benchmarking club) names its councils, each with
its own folder holding what that council has anyway: its ``params/`` (authority and catalogue),
its ``inputs/`` (the month's Annex A extract and returns) and, once loaded, its store and packs.
The region decides what crosses a council's boundary: only aggregate figures (the authority's,
and the areas' when ``share_areas``), small counts suppressed below ``suppress_below``, and the
other councils shown by name or as letters (``sharing``); a council always sees itself named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csc_workbench.config.catalogue import _read_yaml
from csc_workbench.config.errors import ParamsError, format_pydantic_errors

#: What each council folder holds, relative to it.
PARAMS, INPUTS, STORE, OUTPUTS = "params", "inputs", "store.duckdb", "outputs"
#: The region's own files, relative to the region folder.
REGIONAL_STORE, REGION_OUTPUTS = "region.duckdb", "outputs"


class RegionCouncil(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="the council's name as the region shows it")
    folder: Path = Field(description="the council's folder, relative to the region folder")


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    synthetic: bool = False
    sharing: Literal["named", "letters"] = Field(
        "letters", description="how each council's pack and the region's pack show the other councils"
    )
    share_areas: bool = Field(False, description="councils contribute their areas' figures as well")
    suppress_below: int = Field(5, ge=0, description="counts from 1 to this minus one are suppressed")
    catalogue: Path = Field(Path("catalogue.yml"), description="the indicators compared")
    councils: list[RegionCouncil] = Field(min_length=1)
    folder: Path = Field(Path("."), exclude=True, description="the region folder (set on load)")

    @model_validator(mode="after")
    def _distinct(self) -> Region:
        for what in ("name", "folder"):
            seen: set = set()
            for council in self.councils:
                value = getattr(council, what)
                if value in seen:
                    raise ValueError(f"councils: two councils have the {what} {str(value)!r}")
                seen.add(value)
        return self

    def council_folder(self, council: RegionCouncil) -> Path:
        return self.folder / council.folder

    @property
    def catalogue_path(self) -> Path:
        return self.folder / self.catalogue

    @property
    def store_path(self) -> Path:
        return self.folder / REGIONAL_STORE

    @property
    def outputs(self) -> Path:
        return self.folder / REGION_OUTPUTS


def load_region(folder: str | Path) -> Region:
    """Read and validate ``region.yml`` in a region folder; ParamsError names the file and key."""
    folder = Path(folder)
    path = folder / "region.yml"
    raw = _read_yaml(path)
    try:
        region = Region.model_validate(raw | {"folder": folder})
    except ValidationError as exc:

        def describe(loc: tuple) -> tuple[str, str]:
            return "", ".".join(str(p) for p in loc) or "(top level)"

        raise ParamsError(format_pydantic_errors(str(path), exc.errors(), describe)) from None
    missing = [str(c.folder) for c in region.councils if not region.council_folder(c).is_dir()]
    if missing:
        raise ParamsError(f"{path}: key 'councils': no such council folder: {', '.join(missing)}")
    if not region.catalogue_path.is_file():
        raise ParamsError(f"{path}: key 'catalogue': {region.catalogue_path} not found")
    return region
