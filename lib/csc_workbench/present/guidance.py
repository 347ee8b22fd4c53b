"""The pack's guidance page (Kent's guidance notes): what polarity means, the RAG rules including
small denominators, both arrow conventions, every window and abbreviation, the data sources and
DfE's suppression markers, with the council's own settings from its catalogue."""

from __future__ import annotations

import html

from csc_workbench.config import Params
from csc_workbench.present.charts import RAG_COLOURS
from csc_workbench.present.html_tables import _CELL, _TABLE_STYLE, GOOD_IS, TRAVEL_COLOURS, _caption
from csc_workbench.present.items import Html, Text

#: Abbreviations a reader meets in the pack, spelt out.
ABBREVIATIONS = {
    "RAG": "Red, amber, green rating against the target",
    "DoT": "Direction of travel: the change against last month or a year ago",
    "R12M": "Rolling 12 months: the 12 months ending with the month shown",
    "R3M": "Rolling 3 months: the 3 months ending with the month shown",
    "FYTD / YTD": "Financial year to date: from 1 April to the month shown",
    "SS": "Snapshot: the position on the last day of the month",
    "SN": "Statistical neighbours: the ten councils most like this one, as chosen by the Department for "
    "Education (DfE)",
    "DfE": "Department for Education",
    "CIN": "Child in need",
    "CP": "Child protection",
    "ICPC": "Initial child protection conference",
    "S47": "Section 47 enquiry (Children Act 1989): an enquiry into whether a child is suffering, or likely to "
    "suffer, significant harm",
    "CIC / CLA": "Children in care / children looked after",
    "UASC": "Unaccompanied asylum-seeking children",
    "SGO": "Special guardianship order",
    "CAO": "Child arrangements order",
    "EET": "In education, employment or training",
    "FTE": "Full-time equivalent",
    "Q1 to Q4": "Quartiles of English councils: Q1 is the best quarter",
}

#: DfE's markers for a figure it does not publish, and what each means.
SUPPRESSION = {
    "c": "confidential: suppressed to protect individuals (small numbers)",
    "x": "not available: not collected or not applicable",
    "z": "not applicable",
    "low": "a small number, suppressed",
    "k": "fewer than 0.5, rounded to 0",
    "u": "low reliability",
    "..": "not available",
    ":": "not available",
}

_POLARITY_WORDS = {
    "high": "the aim is the highest number or percentage possible",
    "low": "the aim is the lowest number or percentage possible",
    "target": "the aim is to stay close to the target",
    "within-range": "the aim is to stay inside a range",
    "none": "monitored for context, not rated",
}


def _table(caption: str, header: tuple[str, str], rows: list[tuple[str, str]]) -> Html:
    head = "".join(
        f'<th scope="col" style="{_CELL}background:#eee;text-align:left">{html.escape(h)}</th>' for h in header
    )
    body = "".join(
        f'<tr><th scope="row" style="{_CELL}text-align:left">{html.escape(a)}</th>'
        f'<td style="{_CELL}text-align:left">{html.escape(b)}</td></tr>'
        for a, b in rows
    )
    return Html(
        f'<table class="cscw-guidance" style="{_TABLE_STYLE}">{_caption(caption)}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def guidance(params: Params) -> list:
    """The guidance page's sections, in order, for the council's catalogue."""
    settings = params.catalogue.settings
    low, high = settings.caution_denominator
    rag_rows = [
        ("Red", "performance is significantly away from the target"),
        ("Amber", "performance is close to the target"),
        ("Green", "the target has been met"),
        ("Not rated", f"no target or bands are set, or the denominator is under {settings.min_denominator:g}"),
    ]
    swatches = "".join(
        f'<span style="display:inline-block;padding:1px 8px;margin-right:0.5em;border:1px solid #555;'
        f'background:{RAG_COLOURS[rag]};color:#000;font-weight:bold">{rag.title()}</span>'
        for rag in ("red", "amber", "green")
    )
    arrows = [
        ("\u2191 green", "better than the month (or year) compared with"),
        ("\u2192 amber", "no change"),
        ("\u2193 red", "worse than the month (or year) compared with"),
    ]
    numeric = settings.arrows == "numeric"
    travel = "".join(
        f'<span style="color:{colour};font-weight:bold;margin-right:1em">{word}</span>'
        for word, colour in (("better", TRAVEL_COLOURS["improved"]), ("no change", TRAVEL_COLOURS["same"]),
                             ("worse", TRAVEL_COLOURS["worse"]))
    )  # fmt: skip
    sources = sorted({i.data_notes.source for i in params.catalogue.indicators if i.data_notes.source})
    return [
        Text(
            "## How to read this pack\n\nEach indicator is shown with its value for the month, its numerator and "
            "denominator where it is a percentage, rate or average, its rating against the target, and how it has "
            "moved since last month and a year ago. This page explains the ratings, the arrows and every "
            "abbreviation used."
        ),
        Text("### Polarity: what good looks like"),
        _table("Polarity", ("Good is", "Meaning"), [(GOOD_IS[k], v) for k, v in _POLARITY_WORDS.items()]),
        Text(
            "### RAG ratings\n\nEach rated indicator is rated red, amber or green against the target and bands set "
            "for the financial year (the year starts on 1 April). Ratings use the unrounded value: 97.99% shows as "
            "98.0% but is amber against a 98% target. Every rating carries its letter or word, never colour alone."
        ),
        Html(f"<p>{swatches}</p>"),
        _table("What each rating means", ("Rating", "Meaning"), rag_rows),
        Text(
            f"### Small denominators\n\nWhere a percentage, rate or average is worked out from few children, read it "
            f"with care: a denominator from {low:g} to {high:g} is marked with \\*, and no rating is given where "
            f"the denominator is under {settings.min_denominator:g}."
        ),
        Text(
            "### Direction of travel (arrows)\n\n"
            + (
                "The arrow shows whether the figure went up or down; its colour shows whether that is better or "
                "worse, given the polarity."
                if numeric
                else "The arrow shows whether performance got better or worse, given the polarity: an improvement "
                "may be a fall (for example fewer re-referrals) or a rise."
            )
            + " A measure that is only monitored shows whether it rose or fell, without colour."
        ),
        Html(f"<p>{travel}</p>"),
        _table("Arrows", ("Arrow", "Meaning"), arrows),
        Text(
            "### Data periods\n\nA figure is for the month, the month end, or a longer window ending with the month. "
            "A rolling 3 months of a yearly count or rate is shown but not rated: it is a quarter of the year its "
            "target is set for. A month that could not be used (for example after a system migration) is shown "
            "as a gap with its reason, never as zero."
        ),
        _table("Abbreviations", ("Abbreviation", "Meaning"), list(ABBREVIATIONS.items())),
        Text(
            "### Data sources\n\nThe council's own figures come from its case management system: "
            + (", ".join(sources) if sources else "its monthly returns")
            + ". Benchmarks are the Department for Education's published statistics (children in need census, "
            "children looked after return, children's social work workforce census), for the year ending 31 March: "
            "they are about eight months old when published. Contains public sector information licensed under the "
            "Open Government Licence v3.0."
        ),
        _table("When DfE does not publish a figure", ("Marker", "Meaning"), [(k, v) for k, v in SUPPRESSION.items()]),
    ]


def accessibility_statement(params: Params) -> list:
    """The pack's accessibility statement, as DfE's dashboards carry one: the standard aimed at,
    how it is checked, what is known not to meet it, and whom to ask for another format."""
    team = params.authority.report.produced_by or "the performance team"
    return [
        Text(
            f"## Accessibility statement\n\n{params.authority.name} wants as many people as possible to be able to "
            "read this pack. The pages are built to meet the Web Content Accessibility Guidelines (WCAG) 2.2 at "
            "level AA: they work without a mouse, their text can be enlarged to 200% without loss, every rating "
            "is given in words or letters as well as colour, text contrast is at least 4.5 to 1, tables have "
            "captions and header cells, headings follow in order, and every chart has a text description. The "
            "pages work offline: nothing is fetched from the internet."
        ),
        Text(
            "### How the pages are checked\n\nEvery kind of page is checked when the pack is built and tested: "
            "with the axe-core accessibility engine in the Chromium browser, and by reading screenshots and "
            "printed pages."
        ),
        Text(
            "### Known limitations\n\nCharts are pictures of the figures: the tables beside each chart hold the "
            "same figures for screen readers. The chart to explore an indicator by org unit needs a mouse or "
            "keyboard focus on its controls; the same figures are in the tables of the page."
        ),
        Text(
            f"### Another format\n\nIf you need any part of this pack in another format, or find a problem not "
            f"listed here, contact {team}."
        ),
    ]
