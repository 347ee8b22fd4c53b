"""Small pure helpers the pack's notebooks call, so that the notebooks stay thin.

Tables come back as HTML strings (shown with ``IPython.display.HTML``) or tidy frames; charts
come from :mod:`csc_workbench.present.charts`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

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
    cohort: str = "all", months: int = 13, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """``month``, ``value``, ``numerator``, ``denominator``, ``status``, ``note``, ``rag``,
    ``target``: the headline value of one indicator for the last ``months`` months (gap months
    not available, with the reason). ``atoms``: the store's atoms already read (else read)."""
    end = _month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    ind_cohort = ind.cohort or cohort
    periods = list(range(end - months + 1, end + 1))
    requests = pd.DataFrame(
        [(ind.id, org, ind_cohort, p, ind.headline_window) for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )
    if atoms is None:
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

        note = r["note"] if isinstance(r["note"], str) else ""
        cells = [r["title"], num(r["including UASC"]), num(r["excluding UASC"]), num(r["variance"]), note]
        body.append("<tr>" + "".join(f'<td style="{_CELL}">{html.escape(str(c))}</td>' for c in cells) + "</tr>")
    return (
        f'<table class="cscw-uasc" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


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

# --- area pages ---------------------------------------------------------------------------


def _requests(ind: Indicator, orgs: Iterable[str], cohort: str, periods: Iterable[int], window: str) -> pd.DataFrame:
    return pd.DataFrame(
        [(ind.id, org, ind.cohort or cohort, p, window) for org in orgs for p in periods],
        columns=["indicator", "org_unit", "cohort", "period", "window"],
    )


def _in_month(
    store: Store, params: Params, indicator_id: str, end: int, org: str, cohort: str, months: int,
    atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The in-month (``month`` window) figures of one indicator for ``months`` months: the
    window_values frame, so ``value``, ``numerator``, ``denominator`` (the month's atoms),
    ``status`` and ``note``."""
    ind = params.catalogue[indicator_id]
    periods = list(range(end - months + 1, end + 1))
    if atoms is None:
        atoms = store.latest([ind.id], [org], [ind.cohort or cohort], periods[0], end)
    return window_values(
        atoms, _requests(ind, [org], cohort, periods, "month"), params.catalogue, gaps_from_params(params)
    )


def _rolling(ind: Indicator) -> bool:
    return ind.headline_window not in ("month", "snapshot")


def thirteen_month_table(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", months: int = 13, trend: pd.DataFrame | None = None, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The Rotherham-style table of one indicator, a row per month, oldest first: ``month``;
    ``numerator``, ``denominator`` and ``value`` of the headline (the month's own figures when
    the headline is in-month or a snapshot, else the rolling window's sums); when the headline
    is a rolling window also the month's own ``in_month_numerator``, ``in_month_denominator``
    and ``in_month`` value (NaN otherwise); ``rag``, ``target`` and ``note`` (why a month has no
    value). Numerators and denominators are the stored atoms (summed over the window)."""
    end = _month(month)
    ind = params.catalogue[indicator_id]
    org = resolve_org_units(params, org_unit)[0]
    if trend is None:  # the caller may pass the monthly_trend it already has
        trend = monthly_trend(store, params, indicator_id, end, org, cohort, months, atoms)
    nan = [float("nan")] * len(trend)
    own = {"in_month_numerator": nan, "in_month_denominator": nan, "in_month": nan}
    if _rolling(ind):
        values = _in_month(store, params, indicator_id, end, org, cohort, len(trend), atoms)
        ok = values["status"] == OK
        for key, column in (("in_month_numerator", "numerator"), ("in_month_denominator", "denominator")):
            own[key] = [float(x) if k else float("nan") for x, k in zip(values[column], ok, strict=True)]
        own["in_month"] = [float(x) if k else float("nan") for x, k in zip(values["value"], ok, strict=True)]
    notes = [
        "" if s == OK else (n if isinstance(n, str) and n else str(s))
        for s, n in zip(trend["status"], trend["note"], strict=True)
    ]
    return pd.DataFrame(
        {
            "month": list(trend["month"]),
            "numerator": list(trend["numerator"]),
            "denominator": list(trend["denominator"]),
            "value": list(trend["value"]),
            **own,
            "rag": list(trend["rag"]),
            "target": list(trend["target"]),
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


def _th(label: str) -> str:
    return f'<th style="{_CELL}background:#eee">{html.escape(label)}</th>'


def _td(text: str, align: str = "right", title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<td style="{_CELL}text-align:{align}"{tip}>{html.escape(text)}</td>'


def thirteen_month_table_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The 13-month table as HTML: one row per month; numerator and denominator (for ratios)
    beside each value; the month's own figures first when the headline is a rolling window;
    values rounded as the catalogue says, RAG cells coloured with their letter."""
    from csc_workbench.present.tables import RAG_LETTER, format_number

    pct, dec = ind.unit == "percent", ind.display_decimals
    rolling, ratio = _rolling(ind), ind.scale is not None
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
    labels += ["RAG", "Target", "Note"]
    body = []
    for r in frame.to_dict("records"):
        cells = [_td(month_label(parse_month(r["month"])), "left")]
        for num, den, value in groups:
            if ratio:
                cells += [_td(_count(r[num])), _td(_count(r[den]))]
            cells.append(_td(format_number(r[value], dec, pct)))
        rag = r["rag"] if isinstance(r["rag"], str) else ""
        cells.append(rag_cell(RAG_LETTER.get(rag, "-"), rag))
        target = r["target"]
        cells.append(_td(format_number(float(target), dec, pct) if target is not None and target == target else "-"))
        cells.append(_td(r["note"], "left"))
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="cscw-13-month" style="{_TABLE_STYLE}"><thead><tr>{"".join(map(_th, labels))}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


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


def annual_trend_table(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", years: int = 3, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The org unit's own figures for the last ``years`` complete financial years and this year
    to date (:func:`csc_workbench.assess.trend.read_annual_trend`): ``year``, ``numerator``,
    ``denominator``, ``value`` and ``note`` (why a year has no value)."""
    from csc_workbench.assess.trend import annual_trend, read_annual_trend

    org = resolve_org_units(params, org_unit)[0]
    if atoms is None:
        own = read_annual_trend(store, params, _month(month), [org], cohort, years, [indicator_id])
    else:
        gaps = gaps_from_params(params)
        own = annual_trend(atoms, params.catalogue, _month(month), [org], cohort, years, [indicator_id], gaps)
    ok = own["status"] == OK
    return pd.DataFrame(
        {
            "year": list(own["year"]),
            "numerator": [float(x) if k else float("nan") for x, k in zip(own["numerator"], ok, strict=True)],
            "denominator": [float(x) if k else float("nan") for x, k in zip(own["denominator"], ok, strict=True)],
            "value": [float(x) if k else float("nan") for x, k in zip(own["value"], ok, strict=True)],
            "note": ["" if k else (n if isinstance(n, str) and n else str(s))
                     for k, n, s in zip(ok, own["note"], own["status"], strict=True)],
        }
    )  # fmt: skip


def annual_trend_html(frame: pd.DataFrame, ind: Indicator) -> str:
    """The annual trend (:func:`annual_trend_table`) as a small table, a row per year."""
    from csc_workbench.present.tables import format_number

    pct, dec, ratio = ind.unit == "percent", ind.display_decimals, ind.scale is not None
    labels = ["Year", *(["Numerator", "Denominator"] if ratio else []), "Value", "Note"]
    body = []
    for r in frame.to_dict("records"):
        cells = [_td(str(r["year"]), "left")]
        if ratio:
            cells += [_td(_count(r["numerator"])), _td(_count(r["denominator"]))]
        cells += [_td(format_number(r["value"], dec, pct)), _td(r["note"], "left")]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="cscw-annual" style="{_TABLE_STYLE}"><thead><tr>{"".join(map(_th, labels))}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _year_label(row: Mapping[str, Any]) -> str:
    """The financial year a DfE figure falls in ("2024-25"), as the annual trend labels years."""
    from csc_workbench.benchmarks.authorities import financial_year_label

    census = row.get("census_month")
    return financial_year_label(int(row["year"]), int(census) if census == census and census else 3)


def benchmark_summary(
    store: Store, params: Params, indicator_id: str, month: str | int, org_unit: str | None = None,
    cohort: str = "all", annual: pd.DataFrame | None = None, table: pd.DataFrame | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The latest year's DfE benchmarks of an indicator next to the org unit's own value for that
    financial year (:func:`~csc_workbench.assess.benchmarking.indicator_benchmark_table`):
    ``year``, ``own``, ``sn_average``, ``region_name``, ``regional``, ``national``, ``quartile``
    (of the org unit's value among English LAs, 1 = best) and, for a real authority, its
    published value, rank and quartile. None when the indicator has no DfE benchmark."""
    from csc_workbench.assess.benchmarking import indicator_benchmark_table
    from csc_workbench.benchmarks.compute import quartile_of

    ind = params.catalogue[indicator_id]
    if ind.benchmark is None or params.authority.benchmark_la_code is None:
        return None
    if table is None:
        table = indicator_benchmark_table(params, indicator_id, store=store)
    if table is None or table.empty:
        return None
    known = table[table[["sn_average", "regional", "national"]].notna().any(axis=1)]
    if known.empty:
        return None
    row = known.sort_values("year").iloc[-1].to_dict()
    if annual is None:
        annual = annual_trend_table(store, params, indicator_id, month, org_unit, cohort)
    year = _year_label(row)
    own_rows = annual[annual["year"] == year]
    own = float(own_rows["value"].iloc[0]) if not own_rows.empty else float("nan")
    polarity = row.get("polarity") or ind.polarity.value
    published = not params.authority.synthetic
    return {
        "year": year,
        "period": str(row["period"]),
        "own": own,
        "sn_average": row["sn_average"],
        "region_name": row["region_name"] or "Region",
        "regional": row["regional"],
        "national": row["national"],
        "quartile": quartile_of(own, row.get("q1"), row.get("median"), row.get("q3"), polarity),
        "published": row["la_value"] if published else None,
        "rank": f"{int(row['rank'])} of {int(row['rank_of'])}" if published and row["rank"] == row["rank"] else None,
        "published_quartile": row["quartile"] if published else None,
    }


def benchmark_html(summary: Mapping[str, Any], ind: Indicator, org_label: str, note: str) -> str:
    """The latest benchmarks (:func:`benchmark_summary`) as a one-row table, with whose figures
    they are underneath."""
    from csc_workbench.present.tables import format_number

    pct, dec = ind.unit == "percent", ind.display_decimals

    def num(x: Any) -> str:
        return format_number(None if x is None or x != x else float(x), dec, pct)

    labels = ["Year", f"{org_label} (own data)", "SN average", str(summary["region_name"]), "England",
              "Quartile (English LAs, 1 = best)"]  # fmt: skip
    quartile = summary["quartile"]
    cells = [
        _td(summary["year"], "left"), _td(num(summary["own"])), _td(num(summary["sn_average"])),
        _td(num(summary["regional"])), _td(num(summary["national"])),
        _td(f"Q{quartile}" if quartile else "-", "center",
            "" if quartile else "no better direction, or no figure to place"),
    ]  # fmt: skip
    if summary.get("published") is not None:
        labels += ["Published (DfE)", "Rank"]
        cells += [_td(num(summary["published"])), _td(summary["rank"] or "-")]
    return (
        f'<div class="cscw-benchmarks"><table style="{_TABLE_STYLE}margin-bottom:0.2em">'
        f"<thead><tr>{''.join(map(_th, labels))}</tr></thead><tbody><tr>{''.join(cells)}</tr></tbody></table>"
        f'<p style="font-size:0.8em;color:#555;margin-top:0">{html.escape(note)}</p></div>'
    )


def annual_chart_frame(
    store: Store, params: Params, indicator_id: str, org_label: str, annual: pd.DataFrame, years: int = 5,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The annual trend chart's input: the org unit's own years (:func:`annual_trend_table`)
    and the DfE benchmarks for the years published (SN average, region, England), ``year``,
    ``series``, ``value``, ``reason``."""
    from csc_workbench.assess.benchmarking import indicator_benchmark_table

    rows = [(r["year"], org_label, r["value"], r["note"] or None) for r in annual.to_dict("records")]
    if table is None and params.catalogue[indicator_id].benchmark is not None:
        table = indicator_benchmark_table(params, indicator_id, store=store)
    if table is not None and not table.empty:
        for r in table.to_dict("records"):
            sn_reason = None if r["sn_average"] == r["sn_average"] else r["sn_reason"]
            year = _year_label(r)
            rows += [
                (year, "SN average", r["sn_average"], sn_reason),
                (year, r["region_name"] or "Region", r["regional"], r["regional_reason"]),
                (year, "England", r["national"], r["national_reason"]),
            ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["year", "series", "value", "reason"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    recent = sorted(frame["year"].unique())[-years:]
    return frame[frame["year"].isin(recent)].reset_index(drop=True)


def child_trends(
    store: Store, params: Params, indicator_id: str, month: str | int, org_units: list[str], cohort: str = "all",
    months: int = 13, atoms: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The headline value of one indicator for several org units over ``months`` months:
    ``org_unit``, ``month``, ``value``, ``numerator``, ``denominator``, ``status``, ``note``,
    ``rag``, ``target`` (the input of the small multiples)."""
    end = _month(month)
    ind = params.catalogue[indicator_id]
    periods = list(range(end - months + 1, end + 1))
    if atoms is None:
        atoms = store.latest([ind.id], org_units, [ind.cohort or cohort], periods[0] - 23, end)
    requests = _requests(ind, org_units, cohort, periods, ind.headline_window)
    values = window_values(atoms, requests, params.catalogue, gaps_from_params(params))
    rags = [
        ind.rate(v, p) if s == OK else None
        for v, s, p in zip(values["value"], values["status"], values["period"], strict=True)
    ]
    return pd.DataFrame(
        {
            "org_unit": list(values["org_unit"]),
            "month": [month_text(int(p)) for p in values["period"]],
            "value": values["value"].astype(float).to_numpy(),
            "numerator": values["numerator"].astype(float).to_numpy(),
            "denominator": values["denominator"].astype(float).to_numpy(),
            "status": list(values["status"]),
            "note": list(values["note"]),
            "rag": [r.value if r is not None else None for r in rags],
            "target": [ind.target_for(int(p)) for p in values["period"]],
        }
    )


def teams_below(params: Params, org: str) -> list[str]:
    """The teams under an org unit (every team for the authority); [] for a team."""
    teams = set(params.authority.at_level("team"))
    return [name for name in params.authority.descendants(org) if name in teams and name != org]


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


#: The label of a narrative drafted from the numbers, shown where the analyst has written none.
DRAFTED_LABEL = "Drafted from the figures \u2014 for the analyst to edit"


def _org_label(params: Params, org: str) -> str:
    return params.authority.short_name if org == params.authority.org_units.name else org


#: DfE benchmark tables already worked out in this process, keyed by the store file's state: the
#: pages of every org unit show the same LA-level benchmarks, so a warm pack kernel works each
#: out once. Any write to the store (a new mtime or size) makes a new key.
_BENCHMARK_CACHE: dict[tuple, pd.DataFrame | None] = {}
_FIGURES_CACHE: dict[tuple, pd.DataFrame] = {}


def _store_state(store: Store) -> tuple:
    try:
        stat = store.path.stat()
    except OSError:
        return (str(store.path),)
    return (str(store.path.resolve()), stat.st_mtime_ns, stat.st_size)


def _benchmarks(store: Store, params: Params, ind: Indicator, end: int, years: int = 6) -> pd.DataFrame | None:
    """The indicator's DfE benchmark table for the last ``years`` years to the report month's
    financial year (None without a benchmark); the DfE figures are read once per store state."""
    from csc_workbench.assess.benchmarking import dfe_figures
    from csc_workbench.benchmarks import indicator_benchmarks
    from csc_workbench.periods import financial_year_start

    code = params.authority.benchmark_la_code
    if ind.benchmark is None or code is None:
        return None
    last = financial_year_start(end) + 1
    wanted = list(range(last - years + 1, last + 1))
    key = (_store_state(store), ind.id, ind.polarity.value, ind.benchmark.model_dump_json(), str(code), tuple(wanted))
    if key not in _BENCHMARK_CACHE:
        if len(_BENCHMARK_CACHE) > 512:
            _BENCHMARK_CACHE.clear()
        state = key[0]
        if state not in _FIGURES_CACHE:
            _FIGURES_CACHE.clear()  # one store at a time
            _FIGURES_CACHE[state] = dfe_figures(store)
        table = indicator_benchmarks(ind, _FIGURES_CACHE[state], code, wanted)
        _BENCHMARK_CACHE[key] = table
    table = _BENCHMARK_CACHE[key]
    return None if table is None else table.copy()


def _indicator_items(
    store: Store, params: Params, indicator_id: str, end: int, org: str, cohort: str,
    card_row: Mapping[str, Any] | None, commentary: str | None, main: bool, atoms: pd.DataFrame | None = None,
) -> list:  # fmt: skip
    """One indicator's section of an area page (see :func:`area_page`)."""
    from csc_workbench.assess.benchmarking import comparison_label
    from csc_workbench.present.charts import annual_trend_chart, bands_for, funnel_plot, small_multiples, trend_chart
    from csc_workbench.present.exceptions import draft_narrative

    ind = params.catalogue[indicator_id]
    label = _org_label(params, org)
    items: list = [f"### {ind.title}\n\n**Definition.** {ind.definition or 'No definition in the catalogue.'}"]
    trend = monthly_trend(store, params, indicator_id, end, org, cohort, atoms=atoms)
    table = thirteen_month_table(store, params, indicator_id, end, org, cohort, trend=trend, atoms=atoms)
    items.append(f"**Last 13 months**, {label}. {gap_months_text(trend)}")
    items.append(thirteen_month_table_html(table, ind))
    annual = annual_trend_table(store, params, indicator_id, end, org, cohort, atoms=atoms)
    dfe = _benchmarks(store, params, ind, end)
    items.append("**By financial year** (the last three complete years, then this year to date):")
    items.append(annual_trend_html(annual, ind))
    summary = benchmark_summary(store, params, indicator_id, end, org, cohort, annual=annual, table=dfe)
    benchmarks: dict[str, float | None] = {}
    if summary is not None:
        items.append(f"**Latest benchmarks** (DfE, {summary['period']}):")
        items.append(benchmark_html(summary, ind, label, comparison_label(params)))
        benchmarks = {
            f"SN average {summary['year']}": summary["sn_average"],
            f"England {summary['year']}": summary["national"],
        }
    items.append(
        trend_chart(
            trend,
            title=f"{ind.title}: {label}, last 13 months",
            unit=ind.unit,
            target=ind.target_for(end),
            bands=bands_for(ind, end),
            benchmarks={k: v for k, v in benchmarks.items() if v is not None and v == v} or None,
            polarity=ind.polarity,
        )
    )
    chart_frame = annual_chart_frame(store, params, indicator_id, label, annual, table=dfe)
    if chart_frame.loc[chart_frame["series"] == label, "value"].notna().any():
        note = comparison_label(params) if summary is not None else "No DfE benchmark for this indicator"
        items.append(
            annual_trend_chart(
                chart_frame, title=f"{ind.title}: {label} by financial year. {note}", unit=ind.unit, authority=label
            )
        )
    if main:
        children = [c.name for c in params.authority.org_unit(org).children]
        if children:
            frame = child_trends(store, params, indicator_id, end, children, cohort, atoms=atoms)
            if frame["value"].notna().any():
                items.append(f"**By org unit**: {ind.title.lower()} in each org unit of {label}.")
                items.append(
                    small_multiples(
                        frame, title=f"{ind.title}: the org units of {label}, last 13 months", unit=ind.unit
                    )
                )
        teams = teams_below(params, org)
        if ind.unit == "percent" and len(teams) >= 3:
            latest = child_trends(store, params, indicator_id, end, teams, cohort, months=1, atoms=atoms)
            usable = latest[(latest["status"] == OK) & (latest["denominator"] > 0)]
            if len(usable) >= 3:
                own = trend["value"].iloc[-1] if trend["status"].iloc[-1] == OK else None
                items.append(
                    funnel_plot(
                        usable[["org_unit", "numerator", "denominator"]],
                        title=f"{ind.title}: teams of {label}, {month_label(end)}",
                        unit=ind.unit,
                        overall_rate=own,
                        scale=ind.scale or 100,
                    )
                )
    drafted = draft_narrative(card_row, ind) if card_row is not None else None
    items.append(commentary_html(commentary, drafted))
    return items


def area_page(
    store: Store, params: Params, area: str, month: str | int, org_unit: str | None = None, cohort: str = "all"
) -> list:
    """Everything an area page shows, in order, as markdown strings, HTML strings (starting
    ``<table`` or ``<div``) and Altair charts.

    For each indicator of :data:`AREA_INDICATORS` (a Rotherham-style section): the heading and
    definition; the last 13 months as a table with numerators and denominators (the months
    without a figure explained); the last three financial years and this year to date as a
    table; the latest DfE benchmarks (SN average, region, England, quartile) where the indicator
    has one; the 13-month trend chart with RAG bands, target and benchmarks; the annual chart
    against the benchmarks; for the page's first indicator also the small multiples by the org
    units below and a funnel across teams (percentages), then the explorable trend ("Explore by
    org unit"); and the commentary: the analyst's for the month (``params/commentary/``), else
    a narrative drafted from the figures, labelled :data:`DRAFTED_LABEL`. Then, on the
    children-in-care page, the UASC impact tables; last the breakdowns the data gives
    (:func:`csc_workbench.pack.breakdowns.breakdown_items`)."""
    from csc_workbench.assess.scorecard import scorecard
    from csc_workbench.assess.trend import last_complete_march
    from csc_workbench.config.commentary import load_commentary
    from csc_workbench.pack.breakdowns import breakdown_items
    from csc_workbench.present.interactive import explorable_trend, explore_org_units

    if area not in AREA_INDICATORS:
        raise KeyError(f"no page for area {area!r}; areas with one: {', '.join(AREA_INDICATORS)}")
    end = _month(month)
    org = resolve_org_units(params, org_unit)[0]
    card = scorecard(store, params, end, org, cohort)
    rows = {r["indicator"]: r for r in card.to_dict("records")}
    commentary = load_commentary(params, end)
    authority = params.authority.org_units.name
    ids = AREA_INDICATORS[area]
    # one read of the store and of the DfE figures for the whole page
    below = [c.name for c in params.authority.org_unit(org).children]
    units = list(dict.fromkeys([org, *below, *teams_below(params, org)]))
    cohorts = {cohort} | {params.catalogue[i].cohort for i in ids if params.catalogue[i].cohort}
    atoms = store.latest(ids, units, cohorts, last_complete_march(end) - 36, end)
    items: list = []
    for k, indicator_id in enumerate(ids):
        text = commentary.text_for(indicator_id, org, authority)
        row = rows.get(indicator_id)
        items += _indicator_items(store, params, indicator_id, end, org, cohort, row, text, main=k == 0, atoms=atoms)
        if k == 0:
            first = params.catalogue[indicator_id]
            near = explore_org_units(params, org)
            if store.latest([first.id], near, [first.cohort or cohort], end - 12, end).empty:
                items.append(
                    f"#### Explore by org unit\n\nNo figures for {first.title.lower()} at {', '.join(near)} "
                    "in the last 13 months: nothing to explore here."
                )
            else:
                items.append(f"#### Explore by org unit\n\n{first.title}: pick an org unit and a window to compare.")
                items.append(explorable_trend(store, params, indicator_id, month_text(end), org, cohort))
    if area == "children_in_care":
        items.append(
            "### Impact of unaccompanied asylum-seeking children (UASC)\n\n"
            "Each indicator including and excluding UASC, and the variance (including minus excluding)"
            + (": for the authority, then each of its areas." if org == authority else ".")
        )
        for unit in uasc_org_units(params, org):
            items.append(f"**{unit}**")
            items.append(uasc_impact_html(uasc_impact(store, params, end, unit), params))
    items += breakdown_items(store, params, area, month_text(end), org)
    return items


def uasc_org_units(params: Params, org_unit: str | None = None) -> list[str]:
    """The org units of the children-in-care page's UASC impact tables: the org unit, and for the
    authority each of its areas too."""
    org = resolve_org_units(params, org_unit)[0]
    authority = params.authority.org_units
    return [org, *(a.name for a in authority.children)] if org == authority.name else [org]
