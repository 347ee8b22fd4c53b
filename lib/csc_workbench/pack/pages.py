"""Small pure helpers the pack's notebooks call, so that the notebooks stay thin.

Tables come back as HTML strings (shown with ``IPython.display.HTML``) or tidy frames; charts
come from :mod:`csc_workbench.present.charts`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

from csc_workbench.assess.scorecard import gaps_from_params, resolve_org_units
from csc_workbench.assess.windows import OK, window_values
from csc_workbench.config import Params
from csc_workbench.config.catalogue import Indicator
from csc_workbench.periods import month_label, month_text, parse_month
from csc_workbench.present.charts import RAG_COLOURS, RAG_LABELS
from csc_workbench.present.tables import format_scorecard
from csc_workbench.store.atoms import Store

#: Children-in-care indicators the children_in_care page charts (catalogue ids).
CIC_INDICATORS = ("cic_rate_per_10k", "cic_3plus_placements", "cic_same_placement_2y")

_TABLE_STYLE = "border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em 0;"
_CELL = "border:1px solid #ccc;padding:2px 6px;"


def _month(month: str | int) -> int:
    return parse_month(month) if isinstance(month, str) else int(month)


def data_as_at(store: Store) -> str:
    """The date of the latest load into the store (what the figures are "as at")."""
    vintages = store.vintages()
    if vintages.empty:
        return "unknown"
    return pd.Timestamp(vintages["loaded_at"].max()).strftime("%d %B %Y")


def rag_cell(letter: str, rag: object) -> str:
    """A RAG cell: the palette colour as background, always with its letter (never colour alone)."""
    if not isinstance(rag, str) or not rag:
        return f'<td style="{_CELL}text-align:center;color:#555" title="Not rated">{html.escape(letter)}</td>'
    colour = RAG_COLOURS.get(rag, RAG_COLOURS["none"])
    return (
        f'<td class="rag-{rag}" style="{_CELL}text-align:center;font-weight:bold;color:#fff;background:{colour}" '
        f'title="{RAG_LABELS.get(rag, rag)}">{html.escape(letter)}</td>'
    )


_SHOWN = [
    ("title", "Indicator"), ("period", "Period"), ("value", "Value"), ("rag", "RAG"), ("target", "Target"),
    ("1m ago", "Last month"), ("dot 1m", "DoT 1m"), ("1y ago", "Year ago"), ("dot 1y", "DoT 1y"),
    ("r3m", "R3M"), ("r3m rag", "R3M RAG"), ("ytd", "YTD"),
]  # fmt: skip


def scorecard_html(frame: pd.DataFrame, area_titles: dict[str, str] | None = None) -> str:
    """The scorecard as an HTML table grouped by area, RAG cells coloured, arrows for travel."""
    shown = format_scorecard(frame)
    shown["area"] = list(frame["area"])
    shown["_rag"] = list(frame["rag"])
    shown["_r3m_rag"] = list(frame["r3m_rag"])
    head = "".join(f'<th style="{_CELL}background:#eee">{html.escape(label)}</th>' for _, label in _SHOWN)
    parts = [f'<table class="cscw-scorecard" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>']
    for area, rows in shown.groupby("area", sort=False):
        name = (area_titles or {}).get(area, str(area).replace("_", " ").capitalize())
        parts.append(
            f'<tr><th colspan="{len(_SHOWN)}" style="{_CELL}text-align:left;background:#dde6f0">'
            f"{html.escape(name)}</th></tr>"
        )
        for r in rows.to_dict("records"):
            cells = []
            for key, _ in _SHOWN:
                text = str(r[key]) + (r["caution"] if key == "value" else "")
                if key == "rag":
                    cells.append(rag_cell(text, r["_rag"]))
                elif key == "r3m rag":
                    cells.append(rag_cell(text, r["_r3m_rag"]))
                else:
                    align = "left" if key == "title" else "right"
                    cells.append(f'<td style="{_CELL}text-align:{align}">{html.escape(text)}</td>')
            parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def rag_counts_html(counts: dict[str, int]) -> str:
    """Green / amber / red counts as a line of coloured labels (with the words, not colour alone).

    The ``data-rag-counts`` attribute lets the pack index read the counts back from the page."""
    items = "".join(
        f'<span style="display:inline-block;margin-right:1em;padding:2px 8px;color:#fff;'
        f'background:{RAG_COLOURS[rag]}">{RAG_LABELS[rag]}: {counts.get(rag, 0)}</span>'
        for rag in ("green", "amber", "red")
    )
    data = ",".join(f"{rag}={counts.get(rag, 0)}" for rag in ("green", "amber", "red"))
    return f'<p class="cscw-rag-counts" data-rag-counts="{data}">{items}</p>'


def monthly_trend(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13,
) -> pd.DataFrame:  # fmt: skip
    """``month``, ``value``, ``numerator``, ``denominator``, ``status``, ``note``, ``rag``,
    ``target``: the headline value of one indicator for the last ``months`` months (gap months
    not available, with the reason)."""
    end = _month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    ind_cohort = ind.cohort or cohort
    periods = list(range(end - months + 1, end + 1))
    requests = pd.DataFrame(
        [(ind.id, org, ind_cohort, p, ind.headline_window) for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    atoms = store.latest([ind.id], [org], [ind_cohort], periods[0] - 23, end)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    rated = zip(values["value"], values["status"], periods, strict=True)
    rags = [ind.rate(v, p) if s == OK else None for v, s, p in rated]
    return pd.DataFrame(
        {
            "month": [month_text(p) for p in periods],
            "value": values["value"].astype(float),
            "numerator": values["numerator"].astype(float),
            "denominator": values["denominator"].astype(float),
            "status": values["status"],
            "note": values["note"],
            "rag": [r.value if r is not None else None for r in rags],
            "target": [ind.target_for(p) for p in periods],
        }
    )


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


def uasc_impact(
    store: Store, params: Params, month: str | int, org_unit: str | None = None,
    indicators: Iterable[str] = CIC_INDICATORS,
) -> pd.DataFrame:  # fmt: skip
    """The children-in-care indicators including and excluding UASC for one org unit and month,
    with the variance (including minus excluding)."""
    end = _month(month)
    org = resolve_org_units(params, org_unit)[0]
    chosen: list[Indicator] = [params.catalogue[i] for i in indicators if params.catalogue[i].cohort is None]
    cohorts = ("all", "excl_uasc")
    requests = pd.DataFrame(
        [(ind.id, org, c, end, ind.headline_window) for ind in chosen for c in cohorts],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    atoms = store.latest([i.id for i in chosen], [org], list(cohorts), end - 23, end)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    rows = []
    for k, ind in enumerate(chosen):
        incl, excl = values.iloc[2 * k], values.iloc[2 * k + 1]
        a = incl["value"] if incl["status"] == OK else None
        b = excl["value"] if excl["status"] == OK else None
        rows.append(
            {
                "indicator": ind.id,
                "title": ind.title,
                "including UASC": a,
                "excluding UASC": b,
                "variance": (a - b) if a is not None and b is not None else None,
                "note": None if a is not None and b is not None else (incl["note"] or excl["note"]),
            }
        )
    return pd.DataFrame(rows)


def uasc_impact_html(frame: pd.DataFrame, params: Params) -> str:
    """The UASC impact table as HTML, values rounded as the catalogue says."""
    head = "".join(
        f'<th style="{_CELL}background:#eee">{h}</th>'
        for h in ("Indicator", "Including UASC", "Excluding UASC", "Variance", "Note")
    )
    body = []
    for r in frame.to_dict("records"):
        dec = params.catalogue[r["indicator"]].display_decimals

        def num(x: float | None, *, dec: int = dec) -> str:
            return "-" if x is None or x != x else f"{x:,.{dec}f}"

        cells = [r["title"], num(r["including UASC"]), num(r["excluding UASC"]), num(r["variance"]), r["note"] or ""]
        body.append("<tr>" + "".join(f'<td style="{_CELL}">{html.escape(str(c))}</td>' for c in cells) + "</tr>")
    return (
        f'<table class="cscw-uasc" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def indicator_section(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all",
) -> list:  # fmt: skip
    """What the children-in-care page shows for one indicator, in order: markdown strings
    (heading and definition, the gap months explained) and Altair charts (the 13-month trend
    with RAG bands and target; the annual comparison with the benchmarks)."""
    from csc_workbench.assess.benchmarking import annual_comparison, comparison_label
    from csc_workbench.present.charts import annual_trend_chart, bands_for, trend_chart

    end = _month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    items: list = [f"### {ind.title}\n\n**Definition.** {ind.definition or 'No definition in the catalogue.'}"]
    trend = monthly_trend(store, params, indicator_id, end, org, cohort)
    items.append(
        trend_chart(
            trend,
            title=f"{ind.title}: {org}, last 13 months",
            unit=ind.unit,
            target=ind.target_for(end),
            bands=bands_for(ind, end),
            polarity=ind.polarity,
        )
    )
    items.append(gap_months_text(trend))
    annual = annual_comparison(store, params, indicator_id, end)
    if not annual.empty:
        items.append(
            annual_trend_chart(
                annual,
                title=f"{ind.title}: by financial year. {comparison_label(params)}",
                unit=ind.unit,
                authority=params.authority.short_name,
            )
        )
    return items


#: The scorecard indicators each area page charts (catalogue area -> catalogue ids), main
#: measures first; activity counts are left to the scorecard as context.
AREA_INDICATORS: dict[str, tuple[str, ...]] = {
    "front_door": ("contacts_decision_1wd", "contacts_to_referral", "referrals_to_assessment", "rereferrals_12m"),
    "assessments": ("assessments_45wd", "assessments_child_seen", "assessments_overdue", "assessments_ongoing"),
    "s47": ("s47_rate_per_10k", "s47_child_seen", "icpc_15wd", "icpc_to_plan"),
    "cin": ("cin_rate_per_10k", "cin_with_plan", "cin_seen_28d", "unallocated_cases", "pf_visits_timely"),
    "child_protection": (
        "cp_rate_per_10k", "cp_second_subsequent", "cp_plans_2y_plus", "cp_reviews_timely", "cp_visits_timely",
    ),
    "children_in_care": CIC_INDICATORS,
    "care_leavers": (
        "care_leavers_in_touch", "care_leavers_suitable_accommodation", "care_leavers_eet", "care_leavers_pathway_plan",
    ),
    "adoption": ("adoption_plan_4m", "adoption_a1_days", "adoption_a2_days", "cic_ceased_adopted"),
    "workforce": ("agency_rate", "turnover_rate", "vacancy_rate", "caseload_average"),
    "quality_assurance": (
        "audits_completed", "audits_good_outstanding", "cp_reports_good_outstanding", "cic_care_plans_good_outstanding",
    ),
}  # fmt: skip


def _in_month(
    store: Store, params: Params, indicator_id: str, end: int, org: str, cohort: str, months: int
) -> pd.DataFrame:
    """The in-month (``month`` window) value and status of one indicator for ``months`` months."""
    ind = params.catalogue[indicator_id]
    periods = list(range(end - months + 1, end + 1))
    requests = pd.DataFrame(
        [(ind.id, org, ind.cohort or cohort, p, "month") for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    atoms = store.latest([ind.id], [org], [ind.cohort or cohort], periods[0], end)
    return window_values(atoms, requests, params.catalogue, gaps_from_params(params))


def thirteen_month_table(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13, trend: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The Rotherham-style in-month table for one indicator, oldest month first: ``month``,
    ``in_month`` (the month's own value when the headline is a rolling window, else NaN),
    ``numerator`` and ``denominator`` (of the headline value), ``value`` (the headline value),
    ``rag``, ``target`` and ``note`` (why a month has no value)."""
    end = _month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    if trend is None:  # the caller may pass the monthly_trend it already has
        trend = monthly_trend(store, params, indicator_id, end, org, cohort, months)
    in_month = [float("nan")] * len(trend)
    if ind.headline_window not in ("month", "snapshot"):
        values = _in_month(store, params, indicator_id, end, org, cohort, months)
        in_month = [
            float(v) if s == OK else float("nan") for v, s in zip(values["value"], values["status"], strict=True)
        ]
    notes = [
        "" if s == OK else (n if isinstance(n, str) and n else str(s))
        for s, n in zip(trend["status"], trend["note"], strict=True)
    ]
    return pd.DataFrame(
        {
            "month": trend["month"],
            "in_month": in_month,
            "numerator": trend["numerator"],
            "denominator": trend["denominator"],
            "value": trend["value"],
            "rag": trend["rag"],
            "target": trend["target"],
            "note": notes,
        }
    )


def _count(x: float | None) -> str:
    """A numerator or denominator: whole numbers without decimals, FTE-style figures with one."""
    from csc_workbench.present.tables import format_number

    if x is None or x != x:
        return "-"
    return format_number(float(x), 0 if float(x) % 1 == 0 else 1)


_WINDOW_WORDS = {"r12m": "Rolling 12 months", "r3m": "Rolling 3 months", "fytd": "Year to date", "quarter": "Quarter"}


def thirteen_month_table_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The 13-month table as HTML: one row per month, values rounded as the catalogue says, RAG
    cells coloured with their letter; the in-month column only when the headline is rolling."""
    from csc_workbench.present.tables import RAG_LETTER, format_number

    pct, dec = ind.unit == "percent", ind.display_decimals
    rolling = ind.headline_window not in ("month", "snapshot")
    headline = _WINDOW_WORDS.get(ind.headline_window, "Value") if rolling else "Value"
    ratio = ind.scale is not None
    labels = [
        "Month", *(["In month"] if rolling else []), *(["Numerator", "Denominator"] if ratio else []), headline,
        "RAG", "Target", "Note",
    ]  # fmt: skip
    head = "".join(f'<th style="{_CELL}background:#eee">{html.escape(h)}</th>' for h in labels)
    body = []
    for r in frame.to_dict("records"):
        target = r["target"]
        cells = [f'<td style="{_CELL}">{html.escape(month_label(parse_month(r["month"])))}</td>']
        if rolling:
            cells.append(f'<td style="{_CELL}text-align:right">{format_number(r["in_month"], dec, pct)}</td>')
        if ratio:
            cells += [f'<td style="{_CELL}text-align:right">{_count(r[k])}</td>' for k in ("numerator", "denominator")]
        cells.append(f'<td style="{_CELL}text-align:right">{format_number(r["value"], dec, pct)}</td>')
        rag = r["rag"] if isinstance(r["rag"], str) else ""
        cells.append(rag_cell(RAG_LETTER.get(rag, "-"), rag))
        shown = format_number(float(target), dec, pct) if target is not None else "-"
        cells.append(f'<td style="{_CELL}text-align:right">{shown}</td>')
        cells.append(f'<td style="{_CELL}">{html.escape(r["note"])}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="cscw-13-month" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def area_section(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all",
) -> list:  # fmt: skip
    """What an area page shows for one indicator: :func:`indicator_section` (heading and
    definition, trend chart, gap months, annual comparison chart) with the 13-month table as an
    HTML string (starting ``<table``) after the definition."""
    items = indicator_section(store, params, indicator_id, month, org_unit, cohort)
    table = thirteen_month_table(store, params, indicator_id, month, org_unit, cohort)
    return [items[0], thirteen_month_table_html(table, params.catalogue[indicator_id]), *items[1:]]


def activity_table_html(frame: pd.DataFrame, params: Params, month: str | int) -> str:
    """The activity table as HTML: a row per org unit, for each measure this month, last month
    and the change (signed), rounded as the catalogue says; '-' with the reason in a tooltip."""
    from csc_workbench.present.tables import format_number

    end = _month(month)
    ids = list(dict.fromkeys(frame["indicator"]))
    first = "".join(
        f'<th colspan="3" style="{_CELL}background:#eee">{html.escape(params.catalogue[i].title)}</th>' for i in ids
    )
    months = (month_label(end), month_label(end - 1), "Change")
    second = "".join(f'<th style="{_CELL}background:#f5f5f5">{html.escape(m)}</th>' for _ in ids for m in months)
    body = []
    for org, rows in frame.groupby("org_unit", sort=False):
        by_id = {r["indicator"]: r for r in rows.to_dict("records")}
        cells = [f'<th style="{_CELL}text-align:left">{html.escape(str(org))}</th>']
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
    return (
        f'<table class="cscw-activity" style="{_TABLE_STYLE}"><thead>'
        f'<tr><th rowspan="2" style="{_CELL}background:#eee">Org unit</th>{first}</tr><tr>{second}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


_RULE_WORDS = {
    "worst": "the worst rating among its indicators",
    "majority": "the most common rating (a tie goes to the worse)",
    "share": "red when at least {red:.0%} of rated indicators are red, amber when {amber:.0%} are red or amber",
}


def theme_rollup_html(frame: pd.DataFrame, params: Params) -> str:
    """The theme roll-up as HTML: a RAG cell per theme (with its letter), the counts behind it and
    the rule in words."""
    from csc_workbench.present.tables import RAG_LETTER

    themes = {t.id: t for t in params.catalogue.themes}
    head = "".join(
        f'<th style="{_CELL}background:#eee">{h}</th>'
        for h in ("Theme", "RAG", "Green", "Amber", "Red", "Not rated", "Rule")
    )
    body = []
    for r in frame.to_dict("records"):
        theme = themes[r["theme"]]
        rag = r["rag"] if isinstance(r["rag"], str) else ""
        rule = _RULE_WORDS[theme.rule].format(red=theme.red_share, amber=theme.amber_share)
        cells = [
            f'<td style="{_CELL}text-align:left">{html.escape(r["title"])}</td>',
            rag_cell(RAG_LETTER.get(rag, "-"), rag),
        ]
        cells += [
            f'<td style="{_CELL}text-align:right">{int(r[k])}</td>' for k in ("green", "amber", "red", "not_rated")
        ]
        cells.append(f'<td style="{_CELL}text-align:left;font-size:0.9em">{html.escape(rule)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="cscw-themes" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def annual_table_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The annual comparison (:func:`~csc_workbench.assess.benchmarking.annual_comparison`) as a
    table: a row per financial year (the year to date last), a column per series; '-' with the
    reason as a tooltip where a figure is missing."""
    from csc_workbench.present.tables import format_number

    pct, dec = ind.unit == "percent", ind.display_decimals
    series = list(dict.fromkeys(frame["series"]))
    head = "".join(f'<th style="{_CELL}background:#eee">{html.escape(str(h))}</th>' for h in ["Year", *series])
    body = []
    for year, rows in frame.groupby("year", sort=True):
        by_series = {r["series"]: r for r in rows.to_dict("records")}
        cells = [f'<td style="{_CELL}">{html.escape(str(year))}</td>']
        for name in series:
            r = by_series.get(name)
            value = None if r is None or r["value"] != r["value"] else float(r["value"])
            reason = r["reason"] if r is not None and isinstance(r["reason"], str) else ""
            title = f' title="{html.escape(reason)}"' if value is None and reason else ""
            cells.append(f'<td style="{_CELL}text-align:right"{title}>{format_number(value, dec, pct)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="cscw-annual" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def commentary_html(text: str | None, drafted: str | None) -> str:
    """The analyst's commentary (Markdown), or else the narrative drafted from the figures,
    labelled as a draft for the analyst to edit."""
    from csc_workbench.present.exceptions import markdown_html

    if text:
        return (
            '<div class="cscw-commentary" style="border-left:4px solid #0072B2;padding:2px 10px;margin:0.5em 0">'
            f"<strong>Commentary</strong>{markdown_html(text)}</div>"
        )
    return (
        '<div class="cscw-commentary cscw-drafted" style="border-left:4px dashed #999;padding:2px 10px;'
        'margin:0.5em 0;color:#333"><strong>Drafted from the figures, for the analyst to edit '
        f"(no commentary yet):</strong><p>{html.escape(drafted or 'No result this month.')}</p></div>"
    )


def area_page(
    store: Store, params: Params, area: str, month: str | int, org_unit: str | None = None, cohort: str = "all"
) -> list:
    """Everything an area page shows, in order: per indicator of :data:`AREA_INDICATORS` the
    heading and definition (Markdown), the commentary (the analyst's, else a drafted narrative),
    the 13-month table with numerators and denominators, the 13-month trend chart, the months
    without a figure, and each financial year against the benchmarks (table and chart); then the
    breakdowns the data gives (:func:`csc_workbench.pack.breakdowns.breakdown_items`). HTML
    items start with ``<``; charts are Altair charts."""
    from csc_workbench.assess.benchmarking import annual_comparison, comparison_label
    from csc_workbench.assess.scorecard import scorecard
    from csc_workbench.config.commentary import load_commentary
    from csc_workbench.present.charts import annual_trend_chart, bands_for, trend_chart
    from csc_workbench.present.exceptions import draft_narrative

    if area not in AREA_INDICATORS:
        raise KeyError(f"no page for area {area!r}; areas with one: {', '.join(AREA_INDICATORS)}")
    end = _month(month)
    org = resolve_org_units(params, org_unit)[0]
    card = scorecard(store, params, end, org, cohort)
    rows = {r["indicator"]: r for r in card.to_dict("records")}
    commentary = load_commentary(params, end)
    authority = params.authority.org_units.name
    items: list = []
    for indicator_id in AREA_INDICATORS[area]:
        ind = params.catalogue[indicator_id]
        items.append(f"### {ind.title}\n\n**Definition.** {ind.definition or 'No definition in the catalogue.'}")
        drafted = draft_narrative(rows[indicator_id], ind) if indicator_id in rows else None
        items.append(commentary_html(commentary.text_for(indicator_id, org, authority), drafted))
        trend = monthly_trend(store, params, indicator_id, end, org, cohort)
        table = thirteen_month_table(store, params, indicator_id, end, org, cohort, trend=trend)
        items.append(thirteen_month_table_html(table, ind))
        items.append(
            trend_chart(
                trend,
                title=f"{ind.title}: {org}, last 13 months",
                unit=ind.unit,
                target=ind.target_for(end),
                bands=bands_for(ind, end),
                polarity=ind.polarity,
            )
        )
        items.append(gap_months_text(trend))
        annual = annual_comparison(store, params, indicator_id, end)
        if not annual.empty:
            items.append(f"**By financial year** ({comparison_label(params)}; the latest year is to date):")
            items.append(annual_table_html(annual, ind))
            items.append(
                annual_trend_chart(
                    annual,
                    title=f"{ind.title}: by financial year. {comparison_label(params)}",
                    unit=ind.unit,
                    authority=params.authority.short_name,
                )
            )
    return items


def uasc_org_units(params: Params, org_unit: str | None = None) -> list[str]:
    """The org units of the children-in-care page's UASC impact tables: the org unit, and for the
    authority each of its areas too."""
    org = resolve_org_units(params, org_unit)[0]
    authority = params.authority.org_units
    return [org, *(a.name for a in authority.children)] if org == authority.name else [org]
