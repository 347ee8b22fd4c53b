"""Analysts' commentary and action plans, one file per month: ``params/commentary/<YYYY-MM>.yml``.

Format (every key optional; indicator ids must be in the catalogue)::

    note: "anything about the file, e.g. synthetic demo text"
    document:                       # shown on the scorecard page, as Rotherham's report prints it
      status: "Final"               # e.g. Draft, Final
      author: "Performance and Intelligence Team"
      created: 2026-11-12
    commentary:
      referrals_to_assessment: "Markdown text for the authority"
      cic_dental_timely:
        Northmoor: "Markdown text for the authority"
        North: "Markdown text for the North area"
    action_plans:
      referrals_to_assessment:
        strategic_director: "..."
        departmental_lead: "..."
        reason: "why the target is not met (Markdown)"
        what: "..."
        how: "..."
        who: "..."
        when: "..."
        shortfall_noun: "referrals not progressing to assessment"  # for the drafted narrative

A plain text under an indicator is the authority's commentary. Errors name the file and key.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csc_workbench.config.catalogue import Catalogue, _read_yaml, load_catalogue
from csc_workbench.config.errors import ParamsError, format_pydantic_errors
from csc_workbench.periods import month_text, parse_month


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionPlan(_Strict):
    """Seed 004's action plan: the parts the analyst may fill in ahead of the service."""

    strategic_director: str | None = None
    departmental_lead: str | None = None
    reason: str | None = None
    what: str | None = None
    how: str | None = None
    who: str | None = None
    when: str | None = None
    shortfall_noun: str | None = Field(
        None, description="short noun for the count not meeting the measure, e.g. 'children without a plan'"
    )


class DocumentInfo(_Strict):
    """The month's report as a document: its status, author and the date it was created."""

    status: str | None = None
    author: str | None = None
    created: date | None = None


class _CommentaryFile(_Strict):
    note: str | None = None
    document: DocumentInfo = DocumentInfo()
    commentary: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    action_plans: dict[str, ActionPlan] = Field(default_factory=dict)


class Commentary(_Strict):
    """Commentary for one month: (indicator, org unit or None for the authority) -> Markdown."""

    month: str | None = None
    path: str | None = None
    note: str | None = None
    document: DocumentInfo = DocumentInfo()
    texts: dict[tuple[str, str | None], str] = Field(default_factory=dict)
    action_plans: dict[str, ActionPlan] = Field(default_factory=dict)

    def text_for(self, indicator: str, org_unit: str | None = None, authority: str | None = None) -> str | None:
        """The Markdown for an indicator and org unit (None or the authority's name: the authority)."""
        if org_unit is None or org_unit == authority:
            text = self.texts.get((indicator, None))
            if text is None and org_unit is not None:
                text = self.texts.get((indicator, org_unit))
            return text if text and text.strip() else None
        text = self.texts.get((indicator, org_unit))
        return text if text and text.strip() else None

    def action_plan(self, indicator: str) -> ActionPlan | None:
        return self.action_plans.get(indicator)

    @property
    def indicators(self) -> list[str]:
        return sorted({ind for ind, _ in self.texts})


def commentary_path(params_folder: str | Path, month: str | int) -> Path:
    month = month_text(month) if isinstance(month, int) else month_text(parse_month(month))
    return Path(params_folder) / "commentary" / f"{month}.yml"


def parse_commentary(
    raw: Any,
    path: str,
    catalogue: Catalogue | None = None,
    authority: str | None = None,
    org_units: list[str] | None = None,
    month: str | None = None,
) -> Commentary:
    """Validate the content of a commentary file; ParamsError names the file and key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    try:
        data = _CommentaryFile.model_validate(raw)
    except ValidationError as exc:

        def describe(loc: tuple) -> tuple[str, str]:
            parts = [str(p) for p in loc if p not in ("str", "dict[str,str]")]
            return "", ".".join(parts) or "(top level)"

        raise ParamsError(format_pydantic_errors(path, exc.errors(), describe)) from None
    problems: list[str] = []
    texts: dict[tuple[str, str | None], str] = {}
    for ident, entry in data.commentary.items():
        if catalogue is not None and ident not in catalogue:
            problems.append(f"{path}: key 'commentary.{ident}': '{ident}' is not an indicator in the catalogue")
            continue
        if isinstance(entry, str):
            texts[(ident, None)] = entry
            continue
        for org, text in entry.items():
            if org_units is not None and org not in org_units:
                problems.append(
                    f"{path}: key 'commentary.{ident}.{org}': '{org}' is not an org unit; known: {', '.join(org_units)}"
                )
                continue
            texts[(ident, None if org == authority else org)] = text
    for ident in data.action_plans:
        if catalogue is not None and ident not in catalogue:
            problems.append(f"{path}: key 'action_plans.{ident}': '{ident}' is not an indicator in the catalogue")
    if problems:
        raise ParamsError("\n".join(problems))
    return Commentary(
        month=month, path=path, note=data.note, document=data.document, texts=texts,
        action_plans=dict(data.action_plans),
    )  # fmt: skip


def load_commentary(params_folder: str | Path | Any, month: str | int) -> Commentary:
    """Commentary for ``month`` from ``<params_folder>/commentary/<YYYY-MM>.yml`` (empty when no file).

    ``params_folder`` is a folder (the catalogue and authority in it are read to check ids and
    org units) or a loaded :class:`~csc_workbench.config.Params`.
    """
    catalogue: Catalogue | None
    authority = org_units = None
    if hasattr(params_folder, "catalogue") and hasattr(params_folder, "folder"):
        params = params_folder
        folder, catalogue = Path(params.folder), params.catalogue
        authority, org_units = params.authority.org_units.name, params.authority.org_unit_names
    else:
        folder = Path(params_folder)
        catalogue = load_catalogue(folder / "catalogue.yml") if (folder / "catalogue.yml").exists() else None
        if (folder / "authority.yml").exists():
            from csc_workbench.config.authority import load_authority

            auth = load_authority(folder / "authority.yml")
            authority, org_units = auth.org_units.name, auth.org_unit_names
    path = commentary_path(folder, month)
    label = path.stem
    if not path.exists():
        return Commentary(month=label)
    text = path.read_text(encoding="utf-8")
    raw = _read_yaml(path) if text.strip() else {}
    return parse_commentary(raw, str(path), catalogue, authority, org_units, label)
