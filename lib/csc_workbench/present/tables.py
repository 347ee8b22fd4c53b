"""Scorecard tables as people read them: rounded figures, RAG letters and arrows."""

from __future__ import annotations

import math

import pandas as pd

RAG_LETTER = {"green": "G", "amber": "A", "red": "R"}
PERFORMANCE_ARROW = {"improved": "↑", "same": "→", "worse": "↓"}
NUMERIC_ARROW = {"up": "↑", "stable": "→", "down": "↓"}


def format_number(value: float | None, decimals: int, percent: bool = False) -> str:
    """Rounded for display only (ratings always use the unrounded value); '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:,.{decimals}f}"
    return f"{text}%" if percent else text


def format_scorecard(frame: pd.DataFrame) -> pd.DataFrame:
    """Display strings for a scorecard frame, one row per indicator and org unit."""
    rows = []
    for r in frame.to_dict("records"):
        pct, dec = r["unit"] == "percent", int(r["decimals"])
        arrow = NUMERIC_ARROW if r["polarity"] == "none" else PERFORMANCE_ARROW

        def num(x: float | None, *, pct: bool = pct, dec: int = dec) -> str:
            return format_number(x, dec, pct)

        rows.append(
            {
                "org_unit": r["org_unit"],
                "indicator": r["indicator"],
                "title": r["title"],
                "pol": r["polarity"],
                "period": r["period"],
                "value": num(r["value"]),
                "rag": RAG_LETTER.get(r["rag"] or "", "-"),
                "num": format_number(r["numerator"], 1 if r["numerator"] % 1 else 0)
                if r["numerator"] == r["numerator"] and r["unit"] != "count"
                else "-",
                "den": format_number(r["denominator"], 1 if r["denominator"] % 1 else 0)
                if r["denominator"] == r["denominator"]
                else "-",
                "caution": "*" if r["small_denominator"] else "",
                "target": num(r["target"]),
                "1m ago": num(r["previous_value"]),
                "dot 1m": arrow.get(r["dot_previous"] or r["move_previous"] or "", ""),
                "1y ago": num(r["year_ago_value"]),
                "dot 1y": arrow.get(r["dot_year_ago"] or r["move_year_ago"] or "", ""),
                "r3m": num(r["r3m_value"]),
                "r3m rag": RAG_LETTER.get(r["r3m_rag"] or "", "-"),
                "ytd": num(r["ytd_value"]),
            }
        )
    return pd.DataFrame(rows)
