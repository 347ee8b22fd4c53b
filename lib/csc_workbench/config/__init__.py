"""What the analyst edits in ``params/``: the catalogue and the authority, validated on load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from csc_workbench.config.authority import Authority, load_authority
from csc_workbench.config.catalogue import Catalogue, load_catalogue


@dataclass(frozen=True)
class Params:
    catalogue: Catalogue
    authority: Authority
    folder: Path


def load_params(folder: str | Path = "params", catalogue: str | Path | None = None) -> Params:
    """Load ``authority.yml`` and ``catalogue.yml`` from a params folder.

    ``catalogue`` overrides the catalogue file (a council may keep several).
    """
    folder = Path(folder)
    return Params(
        catalogue=load_catalogue(catalogue or folder / "catalogue.yml"),
        authority=load_authority(folder / "authority.yml"),
        folder=folder,
    )
