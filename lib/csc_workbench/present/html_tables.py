"""The pack's tables as HTML: scorecard, RAG counts, 13-month and annual tables, benchmarks,
cohorts side by side, activity, themes, breakdowns and commentary. Pure functions of frames from
:mod:`csc_workbench.assess`; RAG cells always carry their letter (never colour alone)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from csc_workbench.assess.dashboard import Dashboard
from csc_workbench.assess.series import as_month, is_rolling
from csc_workbench.assess.windows import OK
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Indicator
from csc_workbench.config.commentary import DocumentInfo
from csc_workbench.periods import month_label, parse_month
from csc_workbench.present.charts import RAG_COLOURS, RAG_LABELS
from csc_workbench.present.tables import RAG_LETTER, WINDOW_WORDS, format_number, format_scorecard

_TABLE_STYLE = "border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em 0;"
_CELL = "border:1px solid #ccc;padding:2px 6px;"


def rag_cell(letter: str, rag: object) -> str:
    """A RAG cell: the palette colour as background, always with its letter (never colour alone),
    in black (at least 4.5:1 on every RAG colour)."""
    if not isinstance(rag, str) or not rag:
        return f'<td style="{_CELL}text-align:center;color:#444" title="Not rated">{html.escape(letter)}</td>'
    colour = RAG_COLOURS.get(rag, RAG_COLOURS["none"])
    return (
        f'<td class="rag-{rag}" style="{_CELL}text-align:center;font-weight:bold;color:#000;background:{colour}" '
        f'title="{RAG_LABELS.get(rag, rag)}">{html.escape(letter)}</td>'
    )


#: Direction of travel colours, as text on white (each at least 4.5:1): better, same, worse.
TRAVEL_COLOURS = {"improved": "#00703C", "same": "#7A4F00", "worse": "#B3261E"}
_TRAVEL_WORDS = {"improved": "better", "same": "no change", "worse": "worse"}
#: Polarity in the words of Rotherham's "good is" column.
GOOD_IS = {"high": "Higher", "low": "Lower", "target": "Near target", "within-range": "In range", "none": "Monitor"}
#: Visually hidden, read by screen readers.
_HIDDEN = "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"


def travel_cell(arrow: str, performance: object, movement: object) -> str:
    """A direction-of-travel cell: the arrow coloured by performance (green better, amber the same,
    red worse) with the words for screen readers and on hover; uncoloured for a monitor measure."""
    words = _TRAVEL_WORDS.get(performance, "") if isinstance(performance, str) else ""
    if not words and isinstance(movement, str):
        words = {"up": "up", "stable": "no change", "down": "down"}.get(movement, "")
    colour = TRAVEL_COLOURS.get(performance, "#222") if isinstance(performance, str) else "#222"
    if not arrow:
        return _td("-", "center", "no figure to compare")
    return (
        f'<td style="{_CELL}text-align:center;font-weight:bold;color:{colour}" title="{words}">'
        f'<span aria-hidden="true">{html.escape(arrow)}</span><span style="{_HIDDEN}">{words}</span></td>'
    )


_SHOWN = [
    ("title", "Indicator"), ("good is", "Good is"), ("period", "Period"), ("num", "Numerator"),
    ("den", "Denominator"), ("value", "Value"), ("rag", "RAG"), ("target", "Target"), ("1m ago", "Last month"),
    ("dot 1m", "Change on last month"), ("1y ago", "A year ago"), ("dot 1y", "Change on a year ago"),
    ("r3m", "Rolling 3 months"), ("r3m rag", "Rolling 3 months RAG"), ("ytd", "Year to date"),
]  # fmt: skip


def scorecard_html(frame: pd.DataFrame, area_titles: dict[str, str] | None = None, params: Params | None = None) -> str:
    """The scorecard as an HTML table grouped by area, as the seeds print it: good is, numerator and
    denominator, value and RAG, target, last month and a year ago with coloured arrows, rolling 3
    months and year to date; ``*`` marks a small denominator, explained under the table."""
    arrows = params.catalogue.settings.arrows if params is not None else "performance"
    shown = format_scorecard(frame, arrows)
    head = "".join(f'<th scope="col" style="{_CELL}background:#eee">{html.escape(label)}</th>' for _, label in _SHOWN)
    parts = [
        f'<table class="cscw-scorecard" style="{_TABLE_STYLE}"><caption style="text-align:left;font-weight:bold">'
        "Scorecard: every rated indicator by area</caption><thead><tr>"
        f"{head}</tr></thead><tbody>"
    ]
    records = frame.to_dict("records")
    for area in dict.fromkeys(frame["area"]):
        name = (area_titles or {}).get(area, str(area).replace("_", " ").capitalize())
        parts.append(
            f'<tr><th scope="colgroup" colspan="{len(_SHOWN)}" style="{_CELL}text-align:left;background:#dde6f0">'
            f"{html.escape(name)}</th></tr>"
        )
        for k, r in enumerate(records):
            if r["area"] != area:
                continue
            text = shown.iloc[k]
            cells = []
            for key, _ in _SHOWN:
                if key == "rag":
                    cells.append(rag_cell(text["rag"], r["rag"]))
                elif key == "r3m rag":
                    cells.append(rag_cell(text["r3m rag"], r["r3m_rag"]))
                elif key == "dot 1m":
                    cells.append(travel_cell(text["dot 1m"], r["dot_previous"], r["move_previous"]))
                elif key == "dot 1y":
                    cells.append(travel_cell(text["dot 1y"], r["dot_year_ago"], r["move_year_ago"]))
                elif key == "title":
                    cells.append(f'<th scope="row" style="{_CELL}text-align:left;font-weight:normal">'
                                 f"{html.escape(text['title'])}</th>")  # fmt: skip
                elif key == "good is":
                    cells.append(_td(GOOD_IS.get(r["polarity"], ""), "left"))
                else:
                    value = str(text[key]) + (text["caution"] if key == "den" else "")
                    cells.append(_td(value, "left" if key == "period" else "right"))
            parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</tbody></table>")
    if params is not None:
        settings = params.catalogue.settings
        low, high = settings.caution_denominator
        parts.append(
            f'<p class="cscw-key" style="font-size:0.85em">* a denominator from {low:g} to {high:g}: read with care. '
            f"No RAG rating where the denominator is under {settings.min_denominator:g}. Arrows: green better, "
            "amber no change, red worse than the month or year compared with"
            + (" (the arrow shows whether the figure went up or down)." if arrows == "numeric" else ".")
            + "</p>"
        )
    return "".join(parts)


def rag_counts_html(counts: dict[str, int]) -> str:
    """Green / amber / red counts as a line of coloured labels (with the words, not colour alone)."""
    items = "".join(
        f'<span style="display:inline-block;margin-right:1em;padding:2px 8px;color:#000;font-weight:bold;'
        f'background:{RAG_COLOURS[rag]}">{RAG_LABELS[rag]}: {counts.get(rag, 0)}</span>'
        for rag in ("green", "amber", "red")
    )
    return f'<p class="cscw-rag-counts">{items}</p>'


def gap_months_text(trend: pd.DataFrame) -> str:
    """Markdown-ready sentence explaining the months not shown in a trend (empty when none)."""
    gaps = trend[trend["status"] != OK]
    if gaps.empty:
        return "Every month in the period has a value."
    items = [
        f"{month_label(parse_month(m))}: {n if isinstance(n, str) and n else s}"
        for m, s, n in zip(gaps["month"], gaps["status"], gaps["note"], strict=True)
    ]
    return "Months shown as gaps: " + "; ".join(items) + "."


def _count(x: float | None) -> str:
    """A numerator or denominator: whole numbers without decimals, FTE-style figures with one."""
    if x is None or x != x:
        return "-"
    return format_number(float(x), 0 if float(x) % 1 == 0 else 1)


_WINDOW_WORDS = {"r12m": "Rolling 12 months", "r3m": "Rolling 3 months", "fytd": "Year to date", "quarter": "Quarter"}


def _th(label: str) -> str:
    return f'<th scope="col" style="{_CELL}background:#eee">{html.escape(label)}</th>'


def _caption(text: str) -> str:
    """A table's caption: what the table holds, for every reader and for screen readers."""
    return f'<caption style="text-align:left;font-weight:bold;padding:2px 0">{html.escape(text)}</caption>'


def _td(text: str, align: str = "right", title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<td style="{_CELL}text-align:{align}"{tip}>{html.escape(text)}</td>'


def thirteen_month_table_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The 13-month table as HTML: one row per month; numerator and denominator (for ratios)
    beside each value; the month's own figures first when the headline is a rolling window;
    values rounded as the catalogue says, RAG cells coloured with their letter; a measure that is
    only monitored has no RAG or target columns."""
    pct, dec = ind.unit == "percent", ind.display_decimals
    rated = ind.polarity.value != "none"
    rolling, ratio = is_rolling(ind), ind.scale is not None
    headline = _WINDOW_WORDS.get(ind.headline_window, "Value") if rolling else "Value"
    groups: list[tuple[str, str, str]] = []  # (numerator, denominator, value) columns, labelled
    if rolling:
        groups.append(("in_month_numerator", "in_month_denominator", "in_month"))
    groups.append(("numerator", "denominator", "value"))
    labels = ["Month"]
    for k, _ in enumerate(groups):
        name = "In month" if rolling and k == 0 else headline
        suffix = f" ({name.lower()})" if rolling else ""
        labels += [f"Numerator{suffix}", f"Denominator{suffix}"] if ratio else []
        labels.append(name)
    labels += ["RAG", "Target", "Note"] if rated else ["Note"]
    body = []
    for r in frame.to_dict("records"):
        cells = [_td(month_label(parse_month(r["month"])), "left")]
        for num, den, value in groups:
            if ratio:
                cells += [_td(_count(r[num])), _td(_count(r[den]))]
            cells.append(_td(format_number(r[value], dec, pct)))
        if rated:
            rag = r["rag"] if isinstance(r["rag"], str) else ""
            cells.append(rag_cell(RAG_LETTER.get(rag, "-"), rag))
            target = r["target"]
            shown = format_number(float(target), dec, pct) if target is not None and target == target else "-"
            cells.append(_td(shown))
        cells.append(_td(r["note"], "left"))
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = _caption(f"{ind.title}: the last 13 months")
    return (
        f'<table class="cscw-13-month" style="{_TABLE_STYLE}">{caption}'
        f"<thead><tr>{''.join(map(_th, labels))}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def activity_table_html(frame: pd.DataFrame, params: Params, month: str | int) -> str:
    """The activity table as HTML: a row per org unit, for each measure this month, last month
    and the change (signed), rounded as the catalogue says; '-' with the reason in a tooltip."""
    end = as_month(month)
    ids = list(dict.fromkeys(frame["indicator"]))
    first = "".join(
        f'<th colspan="3" style="{_CELL}background:#eee">{html.escape(params.catalogue[i].title)}</th>' for i in ids
    )
    months = (month_label(end), month_label(end - 1), "Change")
    second = "".join(f'<th style="{_CELL}background:#f5f5f5">{html.escape(m)}</th>' for _ in ids for m in months)
    body = []
    for org, rows in frame.groupby("org_unit", sort=False):
        by_id = {r["indicator"]: r for r in rows.to_dict("records")}
        level = params.authority.org_unit(str(org)).level
        indent = {"authority": "font-weight:bold", "area": "font-weight:bold", "team": "padding-left:1.5em"}
        cells = [f'<th scope="row" style="{_CELL}text-align:left;{indent.get(level, "")}">{html.escape(str(org))}</th>']
        for i in ids:
            r, dec = by_id[i], params.catalogue[i].display_decimals
            note = r["note"] if isinstance(r["note"], str) else ""
            for key in ("this_month", "last_month", "change"):
                x = r[key]
                text = format_number(None if x is None or x != x else float(x), dec)
                if key == "change" and text not in ("-",) and float(x) > 0:
                    text = "+" + text
                title = f' title="{html.escape(note)}"' if note and text == "-" else ""
                cells.append(f'<td style="{_CELL}text-align:right"{title}>{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = _caption("Activity this month and last month, by org unit")
    return (
        f'<table class="cscw-activity" style="{_TABLE_STYLE}">{caption}'
        "<thead>"
        f'<tr><th rowspan="2" style="{_CELL}background:#eee">Org unit</th>{first}</tr><tr>{second}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


_RULE_WORDS = {
    "worst": "the worst rating among its indicators",
    "majority": "the most common rating (a tie goes to the worse)",
    "share": "red when at least {red:.0%} of rated indicators are red, amber when {amber:.0%} are red or amber",
    "mean": "scores of red 1, amber 2 and green 3 averaged: red below {red_below:g}, green from {green_from:g}",
}


def theme_rollup_html(frame: pd.DataFrame, params: Params) -> str:
    """The theme roll-up as HTML: a RAG cell per theme (with its letter), the counts behind it and
    the rule in words."""
    themes = {t.id: t for t in params.catalogue.themes}
    head = "".join(
        f'<th style="{_CELL}background:#eee">{h}</th>'
        for h in ("Theme", "RAG", "Green", "Amber", "Red", "Not rated", "Rule")
    )
    body = []
    for r in frame.to_dict("records"):
        theme = themes[r["theme"]]
        rag = r["rag"] if isinstance(r["rag"], str) else ""
        rule = _RULE_WORDS[theme.rule].format(
            red=theme.red_share, amber=theme.amber_share, red_below=theme.mean_red_below,
            green_from=theme.mean_green_from,
        )  # fmt: skip
        cells = [
            f'<td style="{_CELL}text-align:left">{html.escape(r["title"])}</td>',
            rag_cell(RAG_LETTER.get(rag, "-"), rag),
        ]
        cells += [
            f'<td style="{_CELL}text-align:right">{int(r[k])}</td>' for k in ("green", "amber", "red", "not_rated")
        ]
        cells.append(f'<td style="{_CELL}text-align:left;font-size:0.9em">{html.escape(rule)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = _caption("Themes: the rating of each and the rule that sets it")
    return (
        f'<table class="cscw-themes" style="{_TABLE_STYLE}">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def annual_trend_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The annual trend (:func:`annual_trend_table`) as a small table, a row per year."""
    pct, dec, ratio = ind.unit == "percent", ind.display_decimals, ind.scale is not None
    labels = ["Year", *(["Numerator", "Denominator"] if ratio else []), "Value", "Note"]
    body = []
    for r in frame.to_dict("records"):
        cells = [_td(str(r["year"]), "left")]
        if ratio:
            cells += [_td(_count(r["numerator"])), _td(_count(r["denominator"]))]
        cells += [_td(format_number(r["value"], dec, pct)), _td(r["note"], "left")]
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = _caption(f"{ind.title}: by financial year")
    return (
        f'<table class="cscw-annual" style="{_TABLE_STYLE}">{caption}'
        f"<thead><tr>{''.join(map(_th, labels))}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def benchmark_html(summary: Mapping[str, Any], ind: Indicator, org_label: str, note: str) -> str:
    """The latest benchmarks (:func:`benchmark_summary`) as a one-row table, with whose figures
    they are underneath."""
    pct, dec = ind.unit == "percent", ind.display_decimals

    def num(x: Any) -> str:
        return format_number(None if x is None or x != x else float(x), dec, pct)

    labels = [
        "Year", f"{org_label} (own data)", "Statistical neighbours' (SN) average", "Best SN",
        str(summary["region_name"]), "England", "Top quartile from", "Quartile (English LAs, 1 = best)",
    ]  # fmt: skip
    quartile = summary["quartile"]
    best = summary.get("best_sn")
    best_text = num(best) + (
        f" ({summary['best_sn_name']})" if summary.get("best_sn_name") and num(best) != "-" else ""
    )
    cells = [
        _td(summary["year"], "left"), _td(num(summary["own"])), _td(num(summary["sn_average"])), _td(best_text),
        _td(num(summary["regional"])), _td(num(summary["national"])), _td(num(summary.get("top_quartile"))),
        _td(f"Q{quartile}" if quartile else "-", "center",
            "" if quartile else "no better direction, or no figure to place"),
    ]  # fmt: skip
    if summary.get("published") is not None:
        labels += ["Published (DfE)", "Rank"]
        cells += [_td(num(summary["published"])), _td(summary["rank"] or "-")]
    caption = _caption(f"Latest benchmarks, {summary['year']}")
    return (
        f'<div class="cscw-benchmarks"><table style="{_TABLE_STYLE}margin-bottom:0.2em">{caption}'
        f"<thead><tr>{''.join(map(_th, labels))}</tr></thead><tbody><tr>{''.join(cells)}</tr></tbody></table>"
        f'<p style="font-size:0.8em;color:#555;margin-top:0">{html.escape(note)}</p></div>'
    )


def commentary_html(text: str | None, drafted: str | None) -> str:
    """The analyst's commentary (Markdown), or else the narrative drafted from the figures,
    clearly labelled as a draft for the analyst to edit."""
    from csc_workbench.present.exceptions import markdown_html

    if text:
        return (
            '<div class="cscw-commentary" style="border-left:4px solid #0072B2;padding:2px 10px;margin:0.5em 0">'
            f"<strong>Commentary</strong>{markdown_html(text)}</div>"
        )
    return (
        '<div class="cscw-commentary cscw-drafted" style="border-left:4px dashed #999;padding:2px 10px;'
        f'margin:0.5em 0;color:#333"><strong>{DRAFTED_LABEL}</strong> (no commentary for this month yet)'
        f"<p>{html.escape(drafted or 'No result this month.')}</p></div>"
    )


def cohort_impact_html(frame: pd.DataFrame, params: Params, cohort: str, other: str) -> str:
    """The cohorts side by side (:func:`csc_workbench.assess.series.cohort_impact`) as HTML:
    a row per indicator, values rounded as the catalogue says, the difference signed."""
    titles = params.catalogue.cohorts
    labels = ("Indicator", titles[cohort], titles[other], "Difference", "Note")
    body = []
    for r in frame.to_dict("records"):
        ind = params.catalogue[r["indicator"]]
        pct, dec = ind.unit == "percent", ind.display_decimals
        # the difference of the two figures as printed, so the three always agree on the page
        shown = [float(f"{x:.{dec}f}") if x == x else x for x in (r["value"], r["other_value"])]
        gap = shown[0] - shown[1]
        difference = format_number(gap, dec)
        if gap == gap and float(difference.replace(",", "")) > 0:
            difference = "+" + difference
        cells = [
            _td(ind.title, "left"), _td(format_number(shown[0], dec, pct)),
            _td(format_number(shown[1], dec, pct)), _td(difference), _td(r["note"], "left"),
        ]  # fmt: skip
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = _caption(f"Each indicator for {titles[cohort]} and {titles[other]}")
    return (
        f'<table class="cscw-cohorts" style="{_TABLE_STYLE}">{caption}'
        f"<thead><tr>{''.join(map(_th, labels))}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _count_and_share(count: float, share: float) -> str:
    if count != count:
        return _td("-") + _td("-")
    return _td(f"{int(count):,}") + _td(f"{share:.1f}%")


def breakdown_table_html(table: pd.DataFrame, end: int, title: str = "Counts and shares by category") -> str:
    """A breakdown (:func:`csc_workbench.assess.breakdowns.breakdown_table`) as HTML: count and
    share for the month, the last 12 months and the 12 before, and the totals."""
    heads = [month_label(end), f"12 months to {month_label(end)}", f"12 months to {month_label(end - 12)}"]
    top = "".join(f'<th colspan="2" style="{_CELL}background:#eee">{html.escape(h)}</th>' for h in heads)
    sub = "".join(f'<th style="{_CELL}background:#f5f5f5">{h}</th>' for _ in heads for h in ("Number", "%"))
    rows = []
    for r in table.to_dict("records"):
        cells = "".join(
            _count_and_share(r[count], r[share])
            for count, share in (("month", "month_share"), ("r12m", "r12m_share"), ("prior_r12m", "prior_share"))
        )
        rows.append(f"<tr>{_td(r['category'], 'left')}{cells}</tr>")
    totals = "".join(
        _count_and_share(table[c].sum(min_count=len(table)), 100.0) for c in ("month", "r12m", "prior_r12m")
    )
    rows.append(f'<tr style="font-weight:bold">{_td("All", "left")}{totals}</tr>')
    caption = _caption(title)
    return (
        f'<table class="cscw-breakdown" style="{_TABLE_STYLE}">{caption}<thead><tr><th scope="col" rowspan="2" '
        f'style="{_CELL}background:#eee">Category</th>{top}</tr><tr>{sub}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def document_html(document: DocumentInfo) -> str:
    """The report's status, author and date created (Rotherham's cover), from the month's
    commentary file; empty when none is given."""
    parts = [
        (label, value) for label, value in (
            ("Document status", document.status), ("Author", document.author),
            ("Date created", document.created.strftime("%d %B %Y").lstrip("0") if document.created else None),
        ) if value
    ]  # fmt: skip
    if not parts:
        return ""
    items = " &middot; ".join(f"<strong>{html.escape(k)}:</strong> {html.escape(v)}" for k, v in parts)
    return f'<p class="cscw-document">{items}</p>'


#: The dashboard's symbols beside each rating (Buckinghamshire prints a star, a circle, a square).
_RAG_SYMBOL = {"green": "\u2605", "amber": "\u25cf", "red": "\u25a0"}


def _rag_label(rag: object) -> str:
    """A rating in words with its symbol ("★ Green"), or "Not rated"."""
    if not isinstance(rag, str) or rag not in _RAG_SYMBOL:
        return "Not rated"
    return f"{_RAG_SYMBOL[rag]} {RAG_LABELS.get(rag, rag.title())}"


def _rag_badge(rag: object) -> str:
    colour = RAG_COLOURS.get(rag, "#fff") if isinstance(rag, str) else "#fff"
    return (
        f'<span class="cscw-rag-badge" style="display:inline-block;padding:1px 8px;margin-left:0.5em;'
        f'border:1px solid #555;color:#000;background:{colour};font-weight:bold">{html.escape(_rag_label(rag))}</span>'
    )


def dashboard_html(dashboard: Dashboard) -> str:
    """The portfolio dashboard (Buckinghamshire's, one page): each outcome with its RAG, then its
    themes with theirs, and for each indicator good to be, data period, target, the quarter ends
    with an arrow on each, the latest RAG, benchmarks and the narrative."""
    from csc_workbench.present.tables import NUMERIC_ARROW, PERFORMANCE_ARROW

    quarters = [month_label(q) for q in dashboard.quarters]
    labels = ["Measure", "Good to be", "Data period", "Target", *quarters, "Latest (RAG)", "Benchmarks", "Narrative"]
    head = "".join(f'<th scope="col" style="{_CELL}background:#eee">{html.escape(h)}</th>' for h in labels)
    themes = dashboard.themes.set_index("theme")
    parts = []
    groups = [*dashboard.outcomes.to_dict("records"), {"outcome": None, "title": None, "rag": None}]
    for outcome in groups:
        rows = dashboard.rows[dashboard.rows["outcome"].map(lambda o, w=outcome["outcome"]: o == w)]
        if rows.empty:
            continue
        if outcome["title"]:
            parts.append(f'<h3 class="cscw-outcome">{html.escape(outcome["title"])}{_rag_badge(outcome["rag"])}</h3>')
        for theme_id in dict.fromkeys(rows["theme"]):
            theme = themes.loc[theme_id]
            body = []
            for r in rows[rows["theme"] == theme_id].to_dict("records"):
                pct, dec = r["unit"] == "percent", r["decimals"]
                arrows = NUMERIC_ARROW if r["polarity"] == "none" else PERFORMANCE_ARROW
                target = r["target"]
                target_text = (
                    format_number(target, dec, pct)
                    if target is not None and target == target
                    else r["green_band"]
                    if isinstance(r["green_band"], str)
                    else ("Monitor" if r["polarity"] == "none" else "-")
                )
                cells = [
                    f'<th scope="row" style="{_CELL}text-align:left;font-weight:normal">{html.escape(r["title"])}</th>',
                    _td(GOOD_IS.get(r["polarity"], ""), "left"),
                    _td(WINDOW_WORDS.get(r["period"], r["period"]), "left"), _td(target_text),
                ]  # fmt: skip
                for value, change in zip(r["values"], r["arrows"], strict=True):
                    arrow = arrows.get(change or "", "")
                    colour = TRAVEL_COLOURS.get(change, "#222") if change else "#222"
                    words = _TRAVEL_WORDS.get(change, change or "") if change else ""
                    mark = (
                        f'<span aria-hidden="true" style="color:{colour};font-weight:bold">{arrow}</span>'
                        f'<span style="{_HIDDEN}">{words}</span> '
                        if arrow
                        else ""
                    )
                    shown = format_number(value, dec, pct)
                    cells.append(f'<td style="{_CELL}text-align:right;white-space:nowrap">{mark}{shown}</td>')
                cells.append(rag_cell(_rag_label(r["rag"]), r["rag"]))
                cells += [_td(r["benchmarks"] or "-", "left"), f'<td style="{_CELL}">{_narrative(r["narrative"])}</td>']
                body.append(f"<tr>{''.join(cells)}</tr>")
            parts.append(
                f'<table class="cscw-dashboard" style="{_TABLE_STYLE}"><caption style="text-align:left;'
                f'font-weight:bold">{html.escape(str(theme["title"]))}{_rag_badge(theme["rag"])}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            )
    return "".join(parts) or "<p>No themes are set in the catalogue: there is no dashboard to show.</p>"


def _narrative(text: str) -> str:
    from csc_workbench.present.exceptions import markdown_html

    return markdown_html(text) if text else ""


#: The label of a narrative drafted from the numbers, shown where the analyst has written none.
DRAFTED_LABEL = "Drafted from the figures \u2014 for the analyst to edit"
