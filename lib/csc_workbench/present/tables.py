"""Scorecard tables as people read them: rounded figures, RAG letters and arrows."""

from __future__ import annotations

import math

import pandas as pd

RAG_LETTER = {"green": "G", "amber": "A", "red": "R"}
#: Each data period or window in words, as the pages print it.
WINDOW_WORDS = {
    "month": "In month", "snapshot": "Month end", "r3m": "Rolling 3 months", "r12m": "Rolling 12 months",
    "fytd": "Year to date", "quarter": "Latest quarter",
}  # fmt: skip
PERFORMANCE_ARROW = {"improved": "↑", "same": "→", "worse": "↓"}
NUMERIC_ARROW = {"up": "↑", "stable": "→", "down": "↓"}


def format_number(value: float | None, decimals: int, percent: bool = False) -> str:
    """Rounded for display only (ratings always use the unrounded value); '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:,.{decimals}f}"
    return f"{text}%" if percent else text


def _period_words(row: dict, num) -> str:
    """The data period in words, and what is rated where that is another window ("Month end;
    rated on year to date: 85.0%"), so a rating is never read against the wrong figure."""
    period = row["period"] if row["period"] != "snapshot" else "snapshot"
    words = WINDOW_WORDS.get(period, period)
    rated = row.get("rated_window")
    if rated and rated != period and row.get("rag"):
        words += f"; rated on {WINDOW_WORDS.get(rated, rated).lower()}: {num(row.get('rated_value'))}"
    return words


def _target_text(row: dict, num) -> str:
    """The target, or where the bands have no single target the green band ("85% and above");
    '-' only where nothing is rated."""
    target = row["target"]
    if target is not None and target == target:
        return num(target)
    return row.get("green_band") or "-"


def format_scorecard(frame: pd.DataFrame, arrows: str = "performance") -> pd.DataFrame:
    """Display strings for a scorecard frame, one row per indicator and org unit. ``arrows``:
    "performance" (Kent, Buckinghamshire: up means better) or "numeric" (Rotherham: up means the
    figure rose); a monitor measure always shows whether it rose or fell."""
    rows = []
    for r in frame.to_dict("records"):
        pct, dec = r["unit"] == "percent", int(r["decimals"])
        numeric = arrows == "numeric" or r["polarity"] == "none"
        arrow = NUMERIC_ARROW if numeric else PERFORMANCE_ARROW

        def num(x: float | None, *, pct: bool = pct, dec: int = dec) -> str:
            return format_number(x, dec, pct)

        rows.append(
            {
                "org_unit": r["org_unit"],
                "indicator": r["indicator"],
                "title": r["title"],
                "pol": r["polarity"],
                "period": _period_words(r, num),
                "value": num(r["value"]),
                "rag": RAG_LETTER.get(r["rag"] or "", "-"),
                "num": format_number(r["numerator"], 1 if r["numerator"] % 1 else 0)
                if r["numerator"] == r["numerator"] and r["unit"] != "count"
                else "-",
                "den": format_number(r["denominator"], 1 if r["denominator"] % 1 else 0)
                if r["denominator"] == r["denominator"]
                else "-",
                "caution": "*" if r["small_denominator"] else "",
                "target": _target_text(r, num),
                "1m ago": num(r["previous_value"]),
                "dot 1m": arrow.get((r["move_previous"] if numeric else r["dot_previous"]) or "", ""),
                "1y ago": num(r["year_ago_value"]),
                "dot 1y": arrow.get((r["move_year_ago"] if numeric else r["dot_year_ago"]) or "", ""),
                "r3m": num(r["r3m_value"]),
                "r3m rag": RAG_LETTER.get(r["r3m_rag"] or "", "-"),
                "ytd": num(r["ytd_value"]),
            }
        )
    return pd.DataFrame(rows)
