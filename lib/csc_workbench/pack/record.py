"""The run record: how a pack was made, kept in it as ``manifest.json``.

It names what the pack was made from (the params and catalogue digests, the store's vintages
read, the versions of the packages and of the library, the project's commit) and what became of
each page (built, kept from the month's previous pack, or failed; its time; the digest of its
inputs). The pack's index is built from it. A page's *inputs* are everything its HTML depends on:
its notebook, its parameters, the params and catalogue, the library, the store's vintages and the
part of the month's commentary the page shows. A run finding a page's inputs unchanged since the
month's previous pack keeps that page as it was, so a commentary edit rebuilds only the pages
showing that commentary.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
#: The library's own files, whose digest stands for its code in every page's inputs.
LIBRARY = Path(__file__).resolve().parents[1]
PROJECT = LIBRARY.parents[1]

#: A page's status in the record.
BUILT, KEPT, FAILED = "built", "kept", "failed"


@dataclass
class PageRecord:
    """One page of the pack, as the index and the next run read it (paths relative to the pack)."""

    output: str
    title: str
    org_unit: str
    notebook: str
    status: str  # BUILT, KEPT or FAILED
    seconds: float  # the page's time to build (a kept page's when it was built)
    inputs: str  # digest of the page's inputs
    html: str | None = None
    executed_notebook: str | None = None  # kept for a failed page
    error: str | None = None
    rag_counts: dict[str, int] | None = None
    commentary_missing: list[str] | None = None
    images: list[str] = field(default_factory=list)
    drawings: dict[str, str] = field(default_factory=dict)  # each image's digest of the drawing it shows
    interactive: bool = False
    once: bool = False  # a page the pack has once (guidance notes, accessibility statement, ...)

    @property
    def ok(self) -> bool:
        return self.status != FAILED


@dataclass
class RunRecord:
    month: str
    built_at: str  # ISO time the run started (the only field that differs between equal runs)
    options: dict[str, Any]
    inputs: dict[str, Any]  # params, catalogue, library digests; store vintages; commit; packages
    pages: list[PageRecord]
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=False, default=str) + "\n"

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def read_record(folder: Path) -> RunRecord | None:
    """The record of the pack in ``folder``, or None (no pack, or one made before records were kept)."""
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return RunRecord(**(raw | {"pages": [PageRecord(**page) for page in raw["pages"]]}))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()[:16]


def file_digest(path: Path) -> str | None:
    return digest(path.read_bytes()) if path.exists() else None


def json_digest(value: object) -> str:
    return digest(json.dumps(value, sort_keys=True, default=str))


def library_digest() -> str:
    """One digest of the library's source and reference files."""
    files = sorted(p for p in LIBRARY.rglob("*") if p.is_file() and p.suffix in (".py", ".csv"))
    return json_digest([(str(p.relative_to(LIBRARY)), digest(p.read_bytes())) for p in files])


def package_versions() -> dict[str, str]:
    """The installed versions of the workbench and of the packages it requires."""
    versions = {"csc-workbench": metadata.version("csc-workbench")}
    for line in metadata.requires("csc-workbench") or []:
        if "extra ==" in line:  # a development package
            continue
        name = re.match(r"[A-Za-z0-9._-]+", line).group(0)
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def project_commit() -> str | None:
    """The project's git commit, with "+changes" when the work tree differs from it; None outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(PROJECT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if changed else "")


def page_inputs(notebook: Path, parameters: dict, shared: dict[str, Any], commentary: dict[str, Any]) -> str:
    """The digest of a page's inputs: its notebook, parameters, the run's shared inputs (params,
    catalogue, library, store vintages, options) and the commentary it shows."""
    return json_digest(
        {"notebook": file_digest(notebook), "parameters": parameters, "shared": shared, "commentary": commentary}
    )


def commentary_shown(commentary, indicators: list[str] | None, org_unit: str | None, document: bool) -> dict:
    """The part of a month's :class:`~csc_workbench.config.commentary.Commentary` a page shows:
    the texts for its org unit (None: the authority) and indicators (None: none), their action
    plans, and the document's status, author and date when ``document``."""
    shown: dict[str, Any] = {}
    if indicators:
        wanted = set(indicators)
        shown["texts"] = sorted(
            (indicator, text) for (indicator, org), text in commentary.texts.items()
            if indicator in wanted and org == org_unit
        )  # fmt: skip
        shown["action_plans"] = {
            indicator: plan.model_dump(mode="json")
            for indicator, plan in sorted(commentary.action_plans.items())
            if indicator in wanted
        }
    if document:
        shown["document"] = commentary.document.model_dump(mode="json")
    return shown
