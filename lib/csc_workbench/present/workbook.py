"""Writing an Excel workbook for readers: in one move, so no reader ever opens a half-written file."""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook


def save_atomically(book: Workbook, path: Path) -> Path:
    """Save ``book`` to a temporary file beside ``path`` and move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        book.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
