"""Exception pages and action plans for red indicators (Kent's exception page; seed 004's plan).

Pure functions: numbers in, page dicts and HTML out. ``exception_pages`` reads the store once.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

import mistune
import pandas as pd

from csc_workbench.assess.scorecard import atoms_needed, gaps_from_params, scorecard_from_atoms
from csc_workbench.config.catalogue import Catalogue, DataPeriod, Indicator, OrgRef, Polarity, Unit
from csc_workbench.config.commentary import Commentary
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.present.charts import RAG_COLOURS
from csc_workbench.present.html_tables import TRAVEL_COLOURS
from csc_workbench.present.tables import format_number
from csc_workbench.store.atoms import KEY

TO_COMPLETE = "to be completed by the service"

_POLARITY_WORDS = {
    Polarity.HIGH: "Higher values are better",
    Polarity.LOW: "Lower values are better",
    Polarity.TARGET: "Values close to the target are better",
    Polarity.WITHIN_RANGE: "Values within the range are better",
    Polarity.NONE: "No direction is better (monitor only)",
}
_UNIT_WORDS = {Unit.RATE_PER_10K: " per 10,000", Unit.PERCENT: "%"}


def _month(month: str | int) -> int:
    return parse_month(month) if isinstance(month, str) else int(month)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fmt(value: float | None, indicator: Indicator, unit_words: bool = True) -> str:
    text = format_number(value, indicator.display_decimals, indicator.unit is Unit.PERCENT)
    if unit_words and text != "-" and indicator.unit is Unit.RATE_PER_10K:
        text += " per 10,000"
    return text


# --- last months ------------------------------------------------------------------------------
def last_months(
    atoms: pd.DataFrame,
    catalogue: Catalogue,
    indicator: str,
    org_unit: str,
    month: str | int,
    n: int = 4,
    cohort: str = "all",
    gaps: Mapping[tuple[str, int], str] | None = None,
) -> pd.DataFrame:
    """``month``, ``label``, ``result``, ``target``, ``rag`` for the last ``n`` months, oldest first.

    Each month is rated as the scorecard for that month rates it (that month's financial-year
    bands, the rated window, the small-denominator rule): the rows come from scorecard_from_atoms.
    """
    return last_months_all(atoms, catalogue, [indicator], [org_unit], month, n, cohort, gaps)[(indicator, org_unit)]


def last_months_all(
    atoms: pd.DataFrame,
    catalogue: Catalogue,
    indicators: Iterable[str],
    org_units: Iterable[str],
    month: str | int,
    n: int = 4,
    cohort: str = "all",
    gaps: Mapping[tuple[str, int], str] | None = None,
    levels: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], pd.DataFrame]:
    """:func:`last_months` for several indicators and org units at once, keyed (indicator, org
    unit): one scorecard per month for all of them, not one per indicator; ``levels`` as for
    :func:`~csc_workbench.assess.scorecard.scorecard_from_atoms`."""
    end = _month(month)
    indicators, org_units = list(dict.fromkeys(indicators)), list(dict.fromkeys(org_units))
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {(i, o): [] for i in indicators for o in org_units}
    for period in range(end - n + 1, end + 1):
        frame = scorecard_from_atoms(atoms, catalogue, period, org_units, cohort, gaps, only=indicators, levels=levels)
        found = set(frame["indicator"])
        missing = [i for i in indicators if i not in found]
        if missing:
            raise KeyError(f"indicator {missing[0]!r} is not a scorecard indicator in the catalogue")
        for r in frame.to_dict("records"):
            rows[(r["indicator"], r["org_unit"])].append(
                {
                    "month": month_text(period),
                    "label": month_label(period),
                    "result": None if _missing(r["value"]) else float(r["value"]),
                    "target": None if _missing(r["target"]) else float(r["target"]),
                    "rag": r["rag"] if isinstance(r["rag"], str) else None,
                    "note": r["note"] if isinstance(r["note"], str) else None,
                }
            )
    result = {}
    for key, records in rows.items():
        frame = pd.DataFrame(records, columns=["month", "label", "result", "target", "rag", "note"])
        for column in ("rag", "note"):  # keep None (not NaN) where there is no rating or note
            frame[column] = pd.Series([r[column] for r in records], index=frame.index, dtype=object)
        result[key] = frame
    return result


def _read_atoms(store, params, ids, org_units, cohort, first_month, last_month) -> pd.DataFrame:
    cohorts = {cohort} | {i.cohort for i in params.catalogue.indicators if i.cohort}
    return store.latest(ids, org_units, cohorts, atoms_needed(first_month)[0], last_month)


# --- data notes -------------------------------------------------------------------------------
def _period_sentence(indicator: Indicator, month: int) -> str:
    if indicator.data_notes.period:
        return " ".join(indicator.data_notes.period.split())
    here = month_label(month)
    period = indicator.period
    if period is DataPeriod.R12M:
        return (
            f"Figures shown are based on a rolling 12 month period. The result for {here} for example "
            f"shows performance for {month_label(month - 11)} to {here}."
        )
    if period is DataPeriod.FYTD:
        start = month - (month % 12 - 3) % 12
        return (
            f"Figures shown are for the financial year to date. The result for {here} for example "
            f"shows performance for {month_label(start)} to {here}."
        )
    if period is DataPeriod.SNAPSHOT:
        return f"Figures shown are a snapshot at the end of each month. The result for {here} shows the position at the end of {here}."  # noqa: E501
    if period is DataPeriod.QUARTER:
        return "Figures shown are for the latest complete quarter."
    return f"Figures shown are for the month. The result for {here} shows performance during {here}."


def data_notes_lines(
    indicator: Indicator, month: str | int, data_source: str | None = None, org: OrgRef | None = None
) -> list[tuple[str, str]]:
    """(label, text) lines as Kent's exception page prints them under the chart (the target and
    bands of ``org``, given as (name, level), where the catalogue sets them per level)."""
    m = _month(month)
    target = indicator.target_for(m, org)
    target_text = "none set" if target is None else f"{target:g}{_UNIT_WORDS.get(indicator.unit, '')}"
    lines = [
        ("Target", f"{target_text} (RAG Bandings: {indicator.bands_in_words(m, org)})"),
        ("Tolerance", _POLARITY_WORDS[indicator.polarity]),
        ("Data", _period_sentence(indicator, m)),
    ]
    source = indicator.data_notes.source or data_source
    if source:
        lines.append(("Data Source", source))
    if indicator.data_notes.notes:
        lines.append(("Notes", " ".join(indicator.data_notes.notes.split())))
    return lines


def data_notes_text(indicator: Indicator, month: str | int, data_source: str | None = None) -> str:
    """The data notes in words, one "Label: text" line each (target and bands, direction, period, source)."""
    return "\n".join(f"{label}: {text}" for label, text in data_notes_lines(indicator, month, data_source))


# --- narrative and gap ------------------------------------------------------------------------
def gap_to_target(value: float | None, target: float | None, polarity: Polarity | str) -> tuple[float, float] | None:
    """(absolute gap, gap as % of the target), positive when worse than the target; None when not defined.

    Seed 004 prints "439.1 +Target: 54.1 per 10,000 (14.0%)": the value's distance beyond the
    target in its direction of badness, and that distance as a percentage of the target.
    """
    if _missing(value) or _missing(target):
        return None
    polarity = Polarity(polarity)
    if polarity is Polarity.HIGH:
        gap = target - value
    elif polarity in (Polarity.LOW, Polarity.TARGET, Polarity.WITHIN_RANGE):
        gap = value - target if polarity is Polarity.LOW else abs(value - target)
    else:
        return None
    pct = gap / target * 100.0 if target else math.nan
    return gap, pct


def gap_text(value: float | None, target: float | None, indicator: Indicator) -> str:
    """Seed 004's "439.1 +Target: 54.1 per 10,000 (14.0%)" ("-Target" when below the target)."""
    gap = gap_to_target(value, target, indicator.polarity)
    if gap is None:
        return _fmt(value, indicator)
    absolute, pct = gap
    sign = "+" if value >= target else "-"
    dec = indicator.display_decimals
    unit = {Unit.PERCENT: " points", Unit.RATE_PER_10K: " per 10,000"}.get(indicator.unit, "")
    pct_text = "" if math.isnan(pct) else f" ({abs(pct):.1f}%)"
    return f"{_fmt(value, indicator, unit_words=False)} {sign}Target: {abs(absolute):,.{dec}f}{unit}{pct_text}"


def _shortfall(row: Mapping[str, Any], indicator: Indicator) -> float | None:
    num, den = row.get("numerator"), row.get("denominator")
    if indicator.unit is not Unit.PERCENT or _missing(num) or _missing(den) or den <= 0:
        return None
    if indicator.polarity is Polarity.HIGH:
        count = den - num
    elif indicator.polarity is Polarity.LOW:
        count = num
    else:
        return None
    if count < 0 or abs(count - round(count)) > 1e-9:
        return None
    return count


def draft_narrative(row: Mapping[str, Any], indicator: Indicator, shortfall_noun: str | None = None) -> str:
    """A first draft for the analyst to edit, from a scorecard row.

    "78.3%, down 2.6 points on last month and below the 90% target (Red); 534 children without
    a plan". Percentages change in points, other units in their own units; the count not meeting
    the measure (denominator - numerator when higher is better, numerator when lower is better) is
    given for percentages when the numbers allow, named by ``shortfall_noun`` if given.
    """
    value, previous, target = row.get("value"), row.get("previous_value"), row.get("target")
    dec = indicator.display_decimals
    if _missing(value):
        return "No result this month."
    parts = [_fmt(value, indicator)]
    if not _missing(previous):
        change = round(value, dec) - round(previous, dec)
        if abs(change) < 0.5 * 10**-dec:
            parts.append(", no change on last month")
        else:
            unit = {Unit.PERCENT: " points", Unit.RATE_PER_10K: " per 10,000"}.get(indicator.unit, "")
            if indicator.unit is Unit.COUNT and abs(change) == 1:
                unit = ""
            direction = "up" if change > 0 else "down"
            parts.append(f", {direction} {abs(change):,.{dec}f}{unit} on last month")
    rag = row.get("rag")
    if not _missing(target):
        rounded_value, rounded_target = round(value, dec), round(target, dec)
        position = "above" if rounded_value > rounded_target else "below" if rounded_value < rounded_target else "on"
        target_text = f"{target:g}{_UNIT_WORDS.get(indicator.unit, '')}"
        parts.append(f" and {position} the {target_text} target")
    if rag:
        parts.append(f" ({str(rag).title()})")
    text = "".join(parts)
    count = _shortfall(row, indicator)
    if count is not None:
        noun = shortfall_noun or f"of {format_number(row['denominator'], 0)} not meeting the measure"
        text += f"; {format_number(count, 0)} {noun}"
    return text


# --- pages ------------------------------------------------------------------------------------
def exception_pages(
    scorecard_frame: pd.DataFrame,
    params,
    commentary: Commentary,
    month: str | int,
    store=None,
    atoms: pd.DataFrame | None = None,
    n: int = 4,
) -> list[dict[str, Any]]:
    """One page dict per red row of the scorecard (rag == "red"), in scorecard order.

    The last ``n`` months are read from ``store`` (or taken from ``atoms``); without either the
    page has only this month. ``commentary_missing`` is True when the analyst wrote nothing.
    """
    end = _month(month)
    red = scorecard_frame[scorecard_frame["rag"] == "red"]
    report = params.authority.report
    authority = params.authority.org_units.name
    if atoms is None and store is not None and not red.empty:
        ids = sorted(set(red["indicator"]))
        orgs = sorted(set(red["org_unit"]))
        cohorts = sorted(set(red["cohort"]))
        # each read also brings the indicators' own cohorts: keep one copy of every atom
        atoms = pd.concat(
            [_read_atoms(store, params, ids, orgs, c, end - n + 1, end) for c in cohorts], ignore_index=True
        ).drop_duplicates(KEY)
    gaps = gaps_from_params(params)
    cache: dict[tuple[str, str, str], pd.DataFrame] = {}
    if atoms is not None and not red.empty:
        for cohort, part in red.groupby(red["cohort"].fillna("all")):
            levels = {org: params.authority.org_unit(org).level for org in set(part["org_unit"])}
            trends = last_months_all(
                atoms, params.catalogue, part["indicator"], part["org_unit"], end, n, cohort, gaps, levels
            )
            cache.update({(org, cohort, ind): frame for (ind, org), frame in trends.items()})
    pages = []
    for row in red.to_dict("records"):
        ind = params.catalogue[row["indicator"]]
        org = row["org_unit"]
        cohort = row.get("cohort") or "all"
        if atoms is not None:
            key = (org, cohort, row["indicator"])
            if key not in cache:
                cache[key] = last_months_all(
                    atoms, params.catalogue, [ind.id], [org], end, n, cohort, gaps,
                    {org: params.authority.org_unit(org).level},
                )[(ind.id, org)]  # fmt: skip
            trend = cache[key]
        else:
            trend = pd.DataFrame(
                [{"month": month_text(end), "label": month_label(end), "result": row["value"],
                  "target": row["target"], "rag": row["rag"], "note": row.get("note")}]
            )  # fmt: skip
        text = commentary.text_for(ind.id, org, authority)
        plan = commentary.action_plan(ind.id)
        gap = gap_to_target(row["value"], row["target"], ind.polarity)
        pages.append(
            {
                "indicator": ind.id,
                "title": ind.title,
                "rag": row["rag"],
                "org_unit": org,
                "month": month_text(end),
                "month_label": month_label(end),
                "unit": ind.unit.value,
                "decimals": ind.display_decimals,
                "value": row["value"],
                "value_text": _fmt(row["value"], ind),
                "target": row["target"],
                "target_text": _fmt(row["target"], ind),
                "portfolio": report.portfolio,
                "cabinet_member": report.cabinet_member,
                "director": report.director,
                "division": report.division,
                "last_months": trend.to_dict("records"),
                "commentary": text,
                "commentary_missing": text is None,
                "draft_narrative": draft_narrative(row, ind, plan.shortfall_noun if plan else None),
                "data_notes": data_notes_lines(
                    ind, end, report.data_source, (org, params.authority.org_unit(org).level)
                ),
                "gap": gap,
                "performance_text": gap_text(row["value"], row["target"], ind),
                "action_plan": {
                    "strategic_director": (plan and plan.strategic_director) or report.director,
                    "departmental_lead": plan.departmental_lead if plan else None,
                    "reason": plan.reason if plan else None,
                    "what": plan.what if plan else None,
                    "how": plan.how if plan else None,
                    "who": plan.who if plan else None,
                    "when": plan.when if plan else None,
                },
            }
        )
    return pages


def red_without_commentary(scorecard_frame: pd.DataFrame, params, commentary: Commentary) -> list[str]:
    """Titles of the red indicators with no commentary for their org unit (for the pack index)."""
    authority = params.authority.org_units.name
    red = scorecard_frame[scorecard_frame["rag"] == "red"]
    return [
        params.catalogue[row["indicator"]].title
        for row in red.to_dict("records")
        if commentary.text_for(row["indicator"], row["org_unit"], authority) is None
    ]


# --- HTML -------------------------------------------------------------------------------------
_TABLE = 'class="cscw-exception" style="border-collapse:collapse;width:100%;margin:0.5em 0"'
_TD = 'style="border:1px solid #999;padding:4px 6px;vertical-align:top"'
_TH_STYLE = "border:1px solid #999;padding:4px 6px;text-align:left;background:#eee;vertical-align:top"
_TH = f'style="{_TH_STYLE}"'


def _e(x: Any) -> str:
    return html.escape("" if _missing(x) else str(x))


_MARKDOWN = mistune.create_markdown(escape=True)


def markdown_html(text: str) -> str:
    """Analysts' commentary (Markdown) as HTML, with any raw HTML in it escaped (mistune)."""
    return _MARKDOWN(text.strip())


def _rag_cell(rag: str | None) -> str:
    if not rag:
        return f"<td {_TD}>-</td>"
    colour = RAG_COLOURS.get(rag, RAG_COLOURS["none"])
    return (
        f'<td style="border:1px solid #999;padding:4px 6px;background:{colour};color:#000;font-weight:bold" '
        f'data-rag="{_e(rag)}">{_e(rag.title())}</td>'
    )


def _num(value: Any, page: Mapping[str, Any]) -> str:
    return _e(format_number(None if _missing(value) else value, int(page["decimals"]), page["unit"] == "percent"))


def exception_page_html(page: Mapping[str, Any]) -> str:
    """Kent's exception page: title and RAG; portfolio details; last months; commentary; data notes."""
    colour = RAG_COLOURS.get(page["rag"], RAG_COLOURS["none"])
    head = (
        f'<div class="cscw-exception-page" data-indicator="{_e(page["indicator"])}" '
        f'data-commentary-missing="{str(page["commentary_missing"]).lower()}">'
        f'<table {_TABLE}><tr><th style="{_TH_STYLE};font-size:1.1em">{_e(page["title"])}</th>'
        f'<td style="width:6em;border:1px solid #999;background:{colour};color:#000;font-weight:bold;'
        f'text-align:center">{_e(str(page["rag"]).upper())}</td></tr></table>'
    )
    meta = [
        ("Cabinet Member", page.get("cabinet_member")),
        ("Portfolio", page.get("portfolio")),
        ("Director", page.get("director")),
        ("Division", page.get("division")),
        ("Org unit", page.get("org_unit")),
    ]
    meta_html = f"<table {_TABLE}>" + "".join(
        f"<tr><th {_TH}>{_e(k)}</th><td {_TD}>{_e(v) or '-'}</td></tr>" for k, v in meta
    ) + "</table>"  # fmt: skip
    months = page["last_months"]
    trend = (
        f"<table {_TABLE}><tr><th {_TH}></th>"
        + "".join(f"<th {_TH}>{_e(m['label'])}</th>" for m in months)
        + f"</tr><tr><th {_TH}>Result</th>"
        + "".join(f"<td {_TD}>{_num(m['result'], page)}</td>" for m in months)
        + f"</tr><tr><th {_TH}>Target</th>"
        + "".join(f"<td {_TD}>{_num(m['target'], page)}</td>" for m in months)
        + f"</tr><tr><th {_TH}>RAG</th>"
        + "".join(_rag_cell(m["rag"]) for m in months)
        + "</tr></table>"
    )
    if page["commentary_missing"]:
        comment = (
            '<div class="cscw-commentary-missing" style="border:2px solid '
            f'{RAG_COLOURS["red"]};padding:6px"><strong>Commentary missing:</strong> no analyst commentary '
            f"for this red indicator this month. Draft from the numbers (to edit): "
            f"<em>{_e(page['draft_narrative'])}</em></div>"
        )
    else:
        comment = f'<div class="cscw-commentary">{markdown_html(page["commentary"])}</div>'
    notes = f"<table {_TABLE}>" + "".join(
        f"<tr><th {_TH}>{_e(label)}</th><td {_TD}>{_e(text)}</td></tr>" for label, text in page["data_notes"]
    ) + "</table>"  # fmt: skip
    return (
        head + meta_html + "<h4>Trend</h4>" + trend + "<h4>Commentary</h4>" + comment
        + "<h4>Data notes</h4>" + notes + "</div>"
    )  # fmt: skip


def _box(value: str | None, markdown: bool = False) -> str:
    if value is None or not str(value).strip():
        return f'<td {_TD}><span class="cscw-to-complete" style="color:#555"><em>{TO_COMPLETE}</em></span></td>'
    return f"<td {_TD}>{markdown_html(value) if markdown else _e(value)}</td>"


def action_plan_html(page: Mapping[str, Any]) -> str:
    """Seed 004's performance action plan; what / how / who / when blank until the service fills them."""
    plan = page["action_plan"]
    target = page["target_text"]
    rows_overview = [
        ("Indicator Title", _e(page["title"])),
        ("Strategic Director Lead", _e(plan.get("strategic_director")) or None),
        ("Departmental Lead", _e(plan.get("departmental_lead")) or None),
        ("Target", _e(target)),
    ]

    def tr(label: str, cell: str) -> str:
        return f'<tr><th style="{_TH_STYLE};width:30%">{_e(label)}</th>{cell}</tr>'

    def section(title: str) -> str:
        return f'<tr><th colspan="2" {_TH}>{_e(title)}</th></tr>'

    body = section("INDICATOR OVERVIEW")
    body += "".join(tr(k, f"<td {_TD}>{v}</td>" if v else _box(None)) for k, v in rows_overview)
    body += section("CURRENT SITUATION: performance this period and reason for non-compliance")
    body += tr("Performance this Period", f"<td {_TD}>{_e(page['performance_text'])}</td>")
    body += tr("Non-compliance reason", _box(plan.get("reason"), markdown=True))
    body += section("ACTIONS: what is necessary to achieve a green score, how, by whom and when")
    body += tr("What (is required)", _box(plan.get("what"), markdown=True))
    body += tr("How (will it be achieved)", _box(plan.get("how"), markdown=True))
    body += tr("Who (will be responsible)", _box(plan.get("who")))
    body += tr("When (will results be realised)", _box(plan.get("when")))
    return (
        f'<div class="cscw-action-plan" data-indicator="{_e(page["indicator"])}">'
        f"<h4>Performance action plan</h4><table {_TABLE}>{body}</table></div>"
    )


def summary_html(pages: list[dict[str, Any]]) -> str:
    """The list of red indicators, flagging those without commentary."""
    if not pages:
        return '<p class="cscw-exceptions-summary">No indicator is red.</p>'
    items = "".join(
        f"<tr><td {_TD}>{_e(p['title'])}</td><td {_TD}>{_e(p['org_unit'])}</td>"
        f"<td {_TD}>{_e(p['value_text'])}</td><td {_TD}>{_e(p['target_text'])}</td>"
        + (
            f'<td {_TD} data-commentary-missing="true"><strong style="color:{TRAVEL_COLOURS["worse"]}">'
            "commentary missing</strong></td>"
            if p["commentary_missing"]
            else f"<td {_TD}>commentary written</td>"
        )
        + "</tr>"
        for p in pages
    )
    missing = sum(p["commentary_missing"] for p in pages)
    return (
        f'<p class="cscw-exceptions-summary">{len(pages)} red indicator(s); '
        f"{missing} without commentary.</p>"
        f"<table {_TABLE}><tr><th {_TH}>Indicator</th><th {_TH}>Org unit</th><th {_TH}>Result</th>"
        f"<th {_TH}>Target</th><th {_TH}>Commentary</th></tr>{items}</table>"
    )
