"""Theme roll-up (Buckinghamshire's dashboard): one RAG per theme from its indicators' RAGs,
by the theme's rule in the catalogue (see :class:`csc_workbench.config.catalogue.Theme`)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from csc_workbench.config.catalogue import Catalogue, RatedGroup

_ORDER = ("green", "amber", "red")  # better to worse


#: The mean rule's score of each rating.
SCORES = {"red": 1, "amber": 2, "green": 3}


def theme_rag(rags: Iterable[str | None], theme: RatedGroup) -> str | None:
    """A theme's (or an outcome's) RAG from the RAGs it rolls up (None or anything else = not
    rated, ignored), by its rule."""
    rated = [r for r in rags if r in _ORDER]
    if not rated:
        return None
    counts = {r: rated.count(r) for r in _ORDER}
    if theme.rule == "mean":
        score = sum(SCORES[r] for r in rated) / len(rated)
        return "red" if score < theme.mean_red_below else "green" if score >= theme.mean_green_from else "amber"
    if theme.rule == "worst":
        return next(r for r in reversed(_ORDER) if counts[r])
    if theme.rule == "majority":
        top = max(counts.values())
        return next(r for r in reversed(_ORDER) if counts[r] == top)  # a tie goes to the worse
    red = counts["red"] / len(rated)
    if red >= theme.red_share:
        return "red"
    return "amber" if red + counts["amber"] / len(rated) >= theme.amber_share else "green"


def theme_rollup(scorecard: pd.DataFrame, catalogue: Catalogue, org_unit: str | None = None) -> pd.DataFrame:
    """One row per theme for one org unit of a scorecard frame: ``theme``, ``title``, ``rule``,
    ``green``, ``amber``, ``red``, ``not_rated`` (indicators counted) and ``rag``."""
    frame = scorecard if org_unit is None else scorecard[scorecard["org_unit"] == org_unit]
    if frame["org_unit"].nunique() > 1:
        raise ValueError("theme_rollup: the scorecard holds several org units; say which (org_unit=...)")
    rag_of = dict(zip(frame["indicator"], frame["rag"], strict=True))
    rows = []
    for theme in catalogue.themes:
        rags = [rag_of.get(i) for i in theme.indicators]
        rated = [r if r in _ORDER else None for r in rags]
        rows.append(
            {
                "theme": theme.id,
                "title": theme.title,
                "rule": theme.rule,
                **{r: rated.count(r) for r in _ORDER},
                "not_rated": rated.count(None),
                "rag": theme_rag(rated, theme),
            }
        )
    return pd.DataFrame(rows, columns=["theme", "title", "rule", *_ORDER, "not_rated", "rag"])


def outcome_rollup(themes: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per outcome from a :func:`theme_rollup` frame: ``outcome``, ``title``, ``rule``,
    ``themes`` (the ids rolled up), the counts of their ratings and ``rag``."""
    rag_of = dict(zip(themes["theme"], themes["rag"], strict=True))
    rows = []
    for outcome in catalogue.outcomes:
        ids = [t.id for t in catalogue.themes if t.outcome == outcome.id]
        rated = [rag_of.get(i) if rag_of.get(i) in _ORDER else None for i in ids]
        rows.append(
            {"outcome": outcome.id, "title": outcome.title, "rule": outcome.rule, "themes": ids,
             **{r: rated.count(r) for r in _ORDER}, "not_rated": rated.count(None),
             "rag": theme_rag(rated, outcome)}
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=["outcome", "title", "rule", "themes", *_ORDER, "not_rated", "rag"])
    frame["rag"] = pd.Series([r["rag"] for r in rows], index=frame.index, dtype=object)  # None, not NaN
    return frame
