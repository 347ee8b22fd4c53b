"""The pack's data-quality page: what the Annex A extract behind the month held, list by list and
org unit by org unit (rows kept, rows excluded, values set aside, blank lines skipped), why rows
were excluded or values set aside, and which lists and fields stopped indicators. Counts only,
never a child's identifier or detail; a count from 1 to 4 is shown as "fewer than 5"."""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

from csc_workbench.assess.data_quality import Load, MonthDataQuality
from csc_workbench.config import Params
from csc_workbench.ingest.annex_a_spec import LISTS
from csc_workbench.measures.data_quality import (
    BLANK_LINES,
    ORG_UNIT_NOT_KNOWN,
    ROWS_EXCLUDED,
    ROWS_KEPT,
    STOPS,
    VALUES_SET_ASIDE,
)
from csc_workbench.periods import month_label
from csc_workbench.present.html_tables import _CELL, _TABLE_STYLE, _caption, _th
from csc_workbench.present.items import Html, Text

#: How a count from 1 to 4 is shown, and why.
FEWER_THAN_5 = "fewer than 5"
SUPPRESSION_NOTE = (
    f'Counts from 1 to 4 are shown as "{FEWER_THAN_5}", so that no child can be recognised from a small number; '
    "0 means none."
)
_NO_FIGURE = "-"


def suppressed(count: float | None) -> str:
    """A count as the page shows it: "fewer than 5" from 1 to 4, otherwise the number ("-" for none recorded)."""
    if count is None or pd.isna(count):
        return _NO_FIGURE
    number = int(count)
    return FEWER_THAN_5 if 0 < number < 5 else f"{number:,}"


def source_description(load: Load) -> str:
    """An Annex A load as a reader knows it: "the Annex A extract as at 30 June 2025"."""
    return f"the Annex A extract as at {_long_date(load.as_at)}"


def loads_summary(record: MonthDataQuality) -> Text:
    """Which loads the month's figures come from, how their rows were checked, and how small counts are shown."""
    month, extract = month_label(record.month), record.annex_a
    if extract is None:
        parts = [f"No Annex A extract dated {month} or earlier has been loaded, so this page has no rows to describe."]
    elif not record.recorded:
        parts = [
            f"The figures for {month} counted from children's records come from {source_description(extract)}, "
            "which was loaded before the workbench kept a record of data quality: load it again to see here the rows "
            "it kept and excluded."
        ]
    else:
        parts = [
            f"The figures for {month} counted from children's records come from {source_description(extract)}, the "
            f"latest extract dated {month} or earlier. Every row was checked when it was loaded. A row was "
            "**excluded** when it lacked a value every count needs (the child's identifier, or the date the record "
            "starts), when that date was in the future, when an end date was before its start, or when it repeated "
            "another row; a value elsewhere in a row that was blank where the template needs one, or could not be "
            "read, was **set aside** and the row kept. Blank lines between rows were skipped.",
            SUPPRESSION_NOTE + " The page holds counts only: no child's identifier or details.",
        ]
    if record.aggregates:
        returns = "; ".join(
            f"as at {_long_date(load.as_at)}, {_count_words(load.figures, 'figure')}" for load in record.aggregates
        )
        parts.append(
            f"The pages also use {_count_words(len(record.aggregates), 'aggregate return')} ({returns}). A return is "
            "checked whole when it is loaded and refused if any figure in it is wrong, so none of its figures was "
            "left out."
        )
    return Text("\n\n".join(parts))


def rows_by_list_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | Text:
    """A row per list read: rows kept, rows excluded, values set aside and (for the authority) blank lines skipped,
    for ``org_unit`` (None: the authority)."""
    if record.annex_a is None or not record.recorded:
        return _not_recorded(record)
    unit = org_unit or params.authority.org_units.name
    totals = _total_counts(record.quality[record.quality["org_unit"] == unit], "list_number")
    authority = unit == params.authority.org_units.name
    statuses = [ROWS_KEPT, ROWS_EXCLUDED, VALUES_SET_ASIDE, *([BLANK_LINES] if authority else [])]
    body = [
        f"<tr>{_row_header(_list_name(int(number)))}{''.join(_count_cell(counts.get(s)) for s in statuses)}</tr>"
        for number, counts in totals.items()
    ]
    caption = f"Rows read from each list of {source_description(record.annex_a)}: {unit}"
    table = _table(caption, ["List", *(s.capitalize() for s in statuses)], body)
    if authority:
        return table
    return Html(
        table.html + '<p class="cscw-key" style="font-size:0.85em">Lists without an allocated team are counted for '
        "the authority alone.</p>"
    )


def kept_by_org_unit_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | Text:
    """Rows kept of each list with an allocated team, by org unit in and below ``org_unit`` (None: the authority)."""
    if not record.recorded:
        return _not_recorded(record)
    table = _by_org_unit_table(record, params, org_unit, ROWS_KEPT, "Rows kept by org unit")
    return table or Text("No row of a list with an allocated team was kept.")


def excluded_by_org_unit_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | None:
    """Rows excluded from each list with an allocated team, by org unit in and below ``org_unit`` (None: the
    authority); None when none was or there is no record (``exclusion_reasons_table`` says so)."""
    return _by_org_unit_table(record, params, org_unit, ROWS_EXCLUDED, "Rows excluded by org unit")


def set_aside_by_org_unit_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | None:
    """Values set aside in each list with an allocated team, by org unit in and below ``org_unit`` (None: the
    authority); None when none was or there is no record (``set_aside_reasons_table`` says so)."""
    return _by_org_unit_table(record, params, org_unit, VALUES_SET_ASIDE, "Values set aside by org unit")


def exclusion_reasons_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | Text:
    """Why rows were excluded, by list, field and reason, for ``org_unit`` (None: the authority)."""
    return _reasons_table(
        record, org_unit or params.authority.org_units.name, ROWS_EXCLUDED, "Why rows were excluded",
        "A row excluded for more than one reason counts under each.", "No row was excluded.",
    )  # fmt: skip


def set_aside_reasons_table(record: MonthDataQuality, params: Params, org_unit: str | None = None) -> Html | Text:
    """Why values were set aside (their rows kept), by list, field and reason, for ``org_unit`` (None: the
    authority)."""
    return _reasons_table(
        record, org_unit or params.authority.org_units.name, VALUES_SET_ASIDE, "Why values were set aside",
        "The rows were kept and counted; only the value was left out.", "No value was set aside.",
    )  # fmt: skip


def stopped_indicators_table(record: MonthDataQuality, params: Params) -> Html | Text:
    """The lists and fields the extract lacks, cannot use or leaves blank on every row, each with the indicators of
    the catalogue it stopped (for the month, none of their figures is computed from this extract)."""
    if record.annex_a is None or not record.recorded:
        return _not_recorded(record)
    stops = record.quality[record.quality["status"] == STOPS]
    if stops.empty:
        return Text("Every list and field the indicators need was in the extract, and none was blank on every row.")
    body = []
    for (number, field, reason), group in stops.groupby(["list_number", "field", "reason"], sort=True):
        names = _indicator_names(zip(group["indicator"], group["cohort"], strict=True), params)
        body.append(
            f"<tr>{_row_header(_list_name(int(number)))}{_text_cell(field or 'Whole list')}"
            f"{_text_cell(reason.capitalize())}{_text_cell('; '.join(names) or 'No indicator uses it')}</tr>"
        )
    caption = f"Lists and fields of {source_description(record.annex_a)} that stopped indicators"
    return _table(caption, ["List", "Field", "Problem", "Indicators not computed"], body)


def _by_org_unit_table(
    record: MonthDataQuality, params: Params, org_unit: str | None, status: str, title: str
) -> Html | None:
    """A row per org unit in and below ``org_unit`` (None: the authority, with the rows whose team is not known), a
    column per list with teams: the count of ``status``. None when every such count is 0 (or there is no record)."""
    top = params.authority.org_units.name
    unit = org_unit or top
    quality = record.quality
    totals = quality[(quality["status"] == status) & (quality["reason"] == "") & (quality["org_unit"] != top)]
    if not totals["count"].fillna(0).astype(float).any():
        return None
    lists = sorted({int(number) for number in totals["list_number"]})
    units = [unit, *params.authority.descendants(unit), *([ORG_UNIT_NOT_KNOWN] if unit == top else [])]
    counts = quality[(quality["status"] == status) & (quality["reason"] == "")].set_index(["org_unit", "list_number"])
    body = [
        f"<tr>{_row_header(name, _org_unit_style(name, params))}"
        f"{''.join(_count_cell(counts['count'].get((name, number))) for number in lists)}</tr>"
        for name in units
    ]
    headers = ["Org unit", *(f"{LISTS[number].title} (List {number})" for number in lists)]
    table = _table(f"{title}, for each list with an allocated team: {unit}", headers, body)
    note = "A row counts for its allocated team, the team's area and the authority."
    if unit == top:
        note += (
            f' "{ORG_UNIT_NOT_KNOWN}": rows whose team is blank or not one of the authority\'s teams; they count for '
            "the authority too."
        )
    return Html(f'{table.html}<p class="cscw-key" style="font-size:0.85em">{html.escape(note)}</p>')


def _not_recorded(record: MonthDataQuality) -> Text:
    """What a section says when the month has no data-quality record (``loads_summary`` says why)."""
    if record.annex_a is None:
        return Text("No Annex A extract is loaded for this month.")
    return Text(f"No record of data quality is held for {source_description(record.annex_a)}.")


def _reasons_table(
    record: MonthDataQuality, unit: str, status: str, title: str, note: str, none: str
) -> Html | Text:  # fmt: skip
    """The counts of ``status`` at ``unit`` by list, field and reason, most first; ``none`` when there are none."""
    if not record.recorded:
        return _not_recorded(record)
    quality = record.quality
    rows = quality[(quality["status"] == status) & (quality["org_unit"] == unit) & (quality["reason"] != "")]
    if rows.empty:
        return Text(none)
    ordered = rows.assign(_order=-rows["count"].astype(float)).sort_values(["list_number", "_order", "field"])
    body = [
        f"<tr>{_row_header(_list_name(int(r['list_number'])))}{_text_cell(r['field'] or 'Whole row')}"
        f"{_text_cell(r['reason'].capitalize())}{_count_cell(r['count'])}</tr>"
        for r in ordered.to_dict("records")
    ]
    table = _table(f"{title}: {unit}", ["List", "Field", "Reason", status.capitalize()], body)
    return Html(f'{table.html}<p class="cscw-key" style="font-size:0.85em">{html.escape(note)}</p>')


def _total_counts(quality: pd.DataFrame, key: str) -> dict:
    """The totals of ``quality`` (no field or reason) by ``key`` ("list_number" or "org_unit"): {key: {status:
    count}}."""
    totals = quality[quality["reason"] == ""]
    return {k: dict(zip(part["status"], part["count"], strict=True)) for k, part in totals.groupby(key, sort=True)}


def _indicator_names(stopped: Iterable[tuple[object, object]], params: Params) -> list[str]:
    """Catalogue titles of the indicators stopped (with the cohort when only one cohort was), in catalogue order;
    indicators no longer in the catalogue left out."""
    catalogue = params.catalogue
    names = {}
    for indicator, cohort in stopped:
        found = catalogue.get(str(indicator)) if isinstance(indicator, str) else None
        if found is None:
            continue
        label = catalogue.cohorts.get(str(cohort), str(cohort)) if isinstance(cohort, str) else None
        names[(catalogue.ids.index(found.id), label or "")] = f"{found.title} ({label})" if label else found.title
    return [names[key] for key in sorted(names)]


def _list_name(number: int) -> str:
    return f"List {number}: {LISTS[number].title}"


def _org_unit_style(name: str, params: Params) -> str:
    """Areas and the authority in bold, teams indented (as the activity table shows them)."""
    if name == ORG_UNIT_NOT_KNOWN:
        return "font-style:italic"
    return "font-weight:normal;padding-left:1.5em" if params.authority.org_unit(name).level == "team" else ""


def _row_header(text: str, style: str = "font-weight:normal") -> str:
    return f'<th scope="row" style="{_CELL}text-align:left;{style}">{html.escape(text)}</th>'


def _text_cell(text: str) -> str:
    return f'<td style="{_CELL}text-align:left">{html.escape(text)}</td>'


def _count_cell(count: float | None) -> str:
    return f'<td style="{_CELL}text-align:right">{html.escape(suppressed(count))}</td>'


def _table(caption: str, headers: list[str], body: list[str]) -> Html:
    return Html(
        f'<table class="cscw-data-quality" style="{_TABLE_STYLE}">{_caption(caption)}'
        f"<thead><tr>{''.join(map(_th, headers))}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _long_date(day) -> str:
    return f"{day.day} {day:%B %Y}"


def _count_words(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
