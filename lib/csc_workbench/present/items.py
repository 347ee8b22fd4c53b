"""What a page shows, typed: text (Markdown) and HTML blocks display themselves in Jupyter and in
the pack's HTML, as Altair charts do; ``show`` displays any of them, skipping what is absent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A passage of Markdown: a heading, a sentence, a definition."""

    markdown: str

    def _repr_markdown_(self) -> str:
        return self.markdown


@dataclass(frozen=True)
class Html:
    """A table or a block of HTML."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def flatten(items: object) -> list:
    """The items in display order: lists and tuples opened, None left out."""
    if items is None:
        return []
    if isinstance(items, list | tuple):
        return [x for item in items for x in flatten(item)]
    return [items]


def show(*items: object | Iterable[object] | None) -> None:
    """Display each item in turn (a page section may be a list of items, or None for nothing)."""
    from IPython.display import display

    for item in flatten(items):
        display(item)
