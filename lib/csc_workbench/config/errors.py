"""Errors for everything an analyst edits or loads: each names where the problem is."""

from __future__ import annotations

import re


class WorkbenchError(Exception):
    """An error meant for the analyst: the message says where and what, no traceback needed."""


class ParamsError(WorkbenchError):
    """A params file (catalogue, authority) is invalid. The message names file and key."""


class InputError(WorkbenchError):
    """An input file is invalid. The message names file, row and column; nothing was stored."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: {len(problems)} problem(s); nothing from this file was stored\n{shown}{more}")


def format_pydantic_errors(path: str, errors: list[dict], describe_loc) -> str:
    """One line per pydantic error: file, what it belongs to (``describe_loc``), key, message."""
    lines = []
    for error in errors:
        where, key = describe_loc(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        # A check across keys names its key at the start of the message: "targets.2017-18.rag: ...".
        embedded = re.match(r"^([\w\-]+(?:\.[\w\-]+)+): (.*)$", message, re.S)
        if embedded and key.startswith("("):
            key, message = embedded.group(1), embedded.group(2)
        if key.startswith("(") and message.startswith("indicator '"):
            lines.append(f"{path}: {message}")  # a check across indicators names its own place
        else:
            lines.append(f"{path}: {where}key '{key}': {message}")
    return "\n".join(lines)
