"""The revisions page: the figures of earlier months that changed since last month's pack, with
their ratings then and now and the data each came from. Pure functions of
:class:`~csc_workbench.assess.revisions.Revisions`; ratings always carry their word (never colour
alone), figures are rounded as the scorecard rounds them."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from csc_workbench.assess.revisions import Revisions
from csc_workbench.config import Params
from csc_workbench.periods import month_label
from csc_workbench.present.charts import RAG_LABELS
from csc_workbench.present.html_tables import _CELL, _TABLE_STYLE, _caption, _count, _td, _th, rag_cell
from csc_workbench.present.items import Html, Text
from csc_workbench.present.tables import WINDOW_WORDS, format_number

#: Each kind of load in words.
KIND_WORDS = {"annex_a": "Annex A extract", "aggregates": "Aggregate figures"}
#: The most changed figures a table lists; the rest are counted under it.
MAX_ROWS = 100
#: Which figures a long table keeps first: the authority's, then the areas', then the teams'.
_LEVEL_ORDER = {"authority": 0, "area": 1, "team": 2}
_HEADERS = ("Org unit", "Month", "Before", "Rating before", "Now", "Rating now", "Change", "Before, from", "Now, from",
            "Note")  # fmt: skip
#: A row whose rating changed: marked in bold and in words, not by colour.
_CHANGED_ROW = "font-weight:bold;background:#fff8e1"


def vintage_words(kind: str, as_at: date | pd.Timestamp, loaded_at: datetime | pd.Timestamp) -> str:
    """A load as a reader knows it: "Annex A extract as at 31 Oct 2026, loaded 2 Dec 2026 09:14"."""
    what = KIND_WORDS.get(kind, "Data load")
    return f"{what} as at {_day(as_at)}, loaded {_day(loaded_at)} {loaded_at:%H:%M}"


def revisions_summary(revisions: Revisions, params: Params) -> Text:
    """How many figures changed, in how many indicators, and how many ratings; or that none did."""
    changes = revisions.changes
    earlier = f"months before {month_label(revisions.month)}"
    whose = _whose(revisions, params)
    read = (
        f"Last month's pack read the figures as they stood on {_day(revisions.previous_as_at)}; this pack reads them "
        f"as they stand on {_day(revisions.as_at)}."
    )
    if changes.empty:
        lead = f"No figure for {earlier} ({whose}) has changed since last month's pack. {read}"
    else:
        ratings = int(changes["rating_changed"].sum())
        lead = (
            f"{_count_of(len(changes), 'figure')} for {earlier} ({whose}) changed since last month's pack, in "
            f"{_count_of(changes['indicator'].nunique(), 'indicator')}; "
            f"{_count_of(ratings, 'rating')} changed as a result. {read} Each rating is the scorecard's for that "
            "indicator, org unit and month, with the figures as they stood then and as they stand now."
        )
    if revisions.added:
        lead += (
            f"\n\n{_count_of(revisions.added, 'figure')} for {earlier} {'is' if revisions.added == 1 else 'are'} in "
            "this month's data for the first time (last month's data did not have them): they are not listed here."
        )
    return Text(f"## Summary\n\n{lead}")


def rating_changes(revisions: Revisions, params: Params) -> list[Text | Html] | None:
    """The changed figures whose rating changed, grouped by indicator; None when no rating changed."""
    changed = revisions.changes[revisions.changes["rating_changed"]]
    if changed.empty:
        return None
    return [
        Text("## Ratings that changed"),
        _table(changed, revisions, params, "Figures whose rating changed since last month's pack", highlight=False),
    ]


def changes_by_area(revisions: Revisions, params: Params) -> list[Text | Html] | None:
    """Every changed figure, a table per area of the catalogue; None when nothing changed."""
    changes = revisions.changes
    if changes.empty:
        return None
    items: list[Text | Html] = [Text("## Changed figures by area")]
    for area, rows in changes.groupby("area", sort=False):
        title = params.catalogue.areas[str(area)]
        items.append(Text(f"### {title}"))
        caption = f"{title}: figures changed since last month's pack"
        items.append(_table(rows, revisions, params, caption, highlight=True))
    return items


def _table(rows: pd.DataFrame, revisions: Revisions, params: Params, caption: str, highlight: bool) -> Html:
    """The changed figures as a table with a header row per indicator; the ``MAX_ROWS`` of most
    weight (the authority's first, then the areas', each newest month first) when there are more.
    ``highlight`` marks the rows whose rating changed (where not every row's did)."""
    listed = _most_weighty(rows, params)
    loads = {int(v["vintage"]): v for v in revisions.vintages.to_dict("records")}
    body = []
    for indicator, group in listed.groupby("indicator", sort=False):
        title = params.catalogue[str(indicator)].title
        header = (
            f'<tr><th scope="rowgroup" colspan="{len(_HEADERS)}" style="{_CELL}text-align:left;background:#dde6f0">'
            f"{html.escape(title)}</th></tr>"
        )
        cells = "".join(_row(r, loads, highlight) for r in group.to_dict("records"))
        body.append(f"<tbody>{header}{cells}</tbody>")
    left_out = len(rows) - len(listed)
    more = (
        f'<p class="cscw-revisions-more">And {_count_of(left_out, "more changed figure")}, not listed to keep the '
        "page short: the teams' figures and the oldest months are left out first.</p>"
        if left_out
        else ""
    )
    return Html(
        f'<table class="cscw-revisions" style="{_TABLE_STYLE}">{_caption(caption)}'
        f"<thead><tr>{''.join(map(_th, _HEADERS))}</tr></thead>{''.join(body)}</table>{more}"
    )


def _most_weighty(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """At most ``MAX_ROWS`` rows, in their order: the authority's first, then the areas', then the
    teams', each newest month first."""
    if len(rows) <= MAX_ROWS:
        return rows
    level = rows["org_unit"].map(lambda org: _LEVEL_ORDER.get(params.authority.org_unit(org).level, 3))
    weight = pd.DataFrame({"level": level, "period": -rows["period"]}, index=rows.index)
    kept = weight.sort_values(["level", "period"], kind="stable").index[:MAX_ROWS]
    return rows.loc[rows.index.isin(kept)]


def _row(r: Mapping[str, Any], loads: Mapping[int, Mapping[str, Any]], highlight: bool) -> str:
    percent, decimals = r["unit"] == "percent", int(r["decimals"])
    ratio = r["unit"] != "count"
    window = WINDOW_WORDS.get(r["window"], r["window"]).lower()
    notes = []
    if highlight and r["rating_changed"]:
        notes.append("Rating changed.")
    notes += [f"{when}: {r[key]}." for when, key in (("Before", "old_note"), ("Now", "new_note")) if r[key]]
    if r["rated_window"] and r["rated_window"] != r["window"] and (r["old_rag"] or r["new_rag"]):
        rated = WINDOW_WORDS.get(r["rated_window"], r["rated_window"]).lower()
        before, now = (format_number(_number(r[k]), decimals, percent) for k in ("old_rated_value", "new_rated_value"))
        notes.append(f"Rated on the {rated} figure: {before} before, {now} now.")
    style = f' style="{_CHANGED_ROW}"' if highlight and r["rating_changed"] else ""
    cells = [
        f'<th scope="row" style="{_CELL}text-align:left;font-weight:inherit">{html.escape(r["org_unit"])}</th>',
        _td(f"{month_label(int(r['period']))}, {window}", "left"),
        _td(_figure(r, "old", percent, decimals, ratio)),
        _rating(r["old_rag"]),
        _td(_figure(r, "new", percent, decimals, ratio)),
        _rating(r["new_rag"]),
        _td(_change(r["old_value"], r["new_value"], r["unit"], decimals)),
        _td(_load(loads, r["old_vintage"]), "left"),
        _td(_load(loads, r["new_vintage"]), "left"),
        _td(" ".join(notes), "left"),
    ]
    return f"<tr{style}>{''.join(cells)}</tr>"


def _figure(r: Mapping[str, Any], when: str, percent: bool, decimals: int, ratio: bool) -> str:
    """A figure as the scorecard shows it ("-" where there is none, as for 0 of 0), with its
    numerator and denominator where it has them; "Not available" where the month is not."""
    if r[f"{when}_note"]:
        return "Not available"
    shown = format_number(_number(r[f"{when}_value"]), decimals, percent)
    if ratio and _present(r[f"{when}_denominator"]):
        shown += f" ({_count(r[f'{when}_numerator'])} / {_count(r[f'{when}_denominator'])})"
    return shown


def _change(old: object, new: object, unit: str, decimals: int) -> str:
    """The change between the two figures as printed (so the three always agree), signed;
    percentages in points; "-" unless both have a value."""
    before, now = _number(old), _number(new)
    if before is None or now is None:
        return "-"
    change = round(now, decimals) - round(before, decimals) + 0.0  # + 0.0: no "-0"
    text = ("+" if change > 0 else "") + format_number(change, decimals)
    return f"{text} points" if unit == "percent" else text


def _rating(rag: object) -> str:
    rag = rag if isinstance(rag, str) else None
    return rag_cell(RAG_LABELS[rag or "none"], rag)


def _load(loads: Mapping[int, Mapping[str, Any]], vintage: int) -> str:
    load = loads[int(vintage)]
    return vintage_words(load["kind"], load["as_at"], load["loaded_at"])


def _whose(revisions: Revisions, params: Params) -> str:
    """Whose figures: "Northmoor and 25 org units within it", and the cohort unless it is all children."""
    first, others = revisions.org_units[0], revisions.org_units[1:]
    if set(others) <= set(params.authority.descendants(first)):
        whose = f"{first} and {_count_of(len(others), 'org unit')} within it" if others else first
    else:
        whose = f"{first} and {_count_of(len(others), 'more org unit')}"
    if revisions.cohort != "all":
        whose += f"; {params.catalogue.cohorts[revisions.cohort]}"
    return whose


def _day(moment: date | datetime | pd.Timestamp) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _count_of(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _number(x: object) -> float | None:
    return None if x is None or x != x else float(x)


def _present(x: object) -> bool:
    return _number(x) is not None
