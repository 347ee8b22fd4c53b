"""Executed notebook -> one offline HTML page, light, for the screen and for A4 paper.

nbconvert's lab template is used with input cells, prompts and the parameters cells removed;
every script or stylesheet it would fetch from a CDN (require.js, MathJax, Jupyter widgets,
mermaid) is stripped, and so is JupyterLab's own stylesheet (240 KB of styles for the lab's
user interface): the page carries the pack's stylesheet instead (:func:`stylesheet`), for the
screen and for print (A4, a running header with the authority, month, page title and page
number, tables that fit the paper, no scroll bars, no controls). Charts arrive drawn as SVG
(:mod:`csc_workbench.pack.render`); only a page with an interactive chart carries the small
script that loads the chart runtime beside it. A header block says whose figures they are, for
which month, as at when, and SYNTHETIC for the demo.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

#: Cell tags removed from pages: the notebook's defaults and the values Papermill injected.
HIDDEN_TAGS = ("parameters", "injected-parameters", "remove-cell")
SYNTHETIC_LABEL = "SYNTHETIC DEMO: fictional authority, synthetic data, not real figures"

_REMOTE = r"""["']?\s*(?:https?:)?//"""
#: <script src=remote ...></script>, <link href=remote ...>, and inline module scripts importing remote code.
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*" + _REMOTE + r"[^>]*>\s*</script\s*>", re.I | re.S)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*" + _REMOTE + r"[^>]*>", re.I | re.S)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_IMPORTS_REMOTE = re.compile(
    r"""(?:import\b[^;]*?from\s*|import\s*\(\s*|require\.config|MathJax)["']?(?:https?:)?//|MathJax\.Hub"""
)
#: what a page must never hold: a src or href that leaves the machine
REMOTE_REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
#: in the exporter's <head>: its stylesheets, empty scripts and comments
_HEAD_CLUTTER = re.compile(r"<style\b[^>]*>.*?</style\s*>|<script\b[^>]*>\s*</script\s*>|<!--.*?-->", re.I | re.S)

#: Print margins in mm (top, sides, bottom): the running header sits in the top one. A4 leaves
#: 190 mm (portrait) or 277 mm (landscape) for a page's content.
PRINT_MARGINS_MM = (12, 10, 10)
#: The pack's stylesheet for the screen; print rules follow in :func:`stylesheet`.
SCREEN_CSS = """\
html{-webkit-text-size-adjust:100%}
body{margin:0;color:#1a1a1a;background:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,\
"Liberation Sans",sans-serif}
main{padding:0 16px 2em}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.cscw-header{border-bottom:2px solid #0072B2;padding:8px 16px;margin-bottom:12px}
.cscw-synthetic{background:#B34700;color:#fff;font-weight:bold;padding:6px 10px;margin-bottom:6px}
.cscw-header h1{margin:.2em 0;font-size:1.6em;line-height:1.2}
.cscw-authority{font-weight:bold}
h1,h2,h3,h4,h5,h6{font-weight:600;line-height:1.2;margin:1.2em 0 .5em}
h1{font-size:1.75em}h2{font-size:1.45em}h3{font-size:1.2em}h4{font-size:1.05em}
p{margin:0 0 .8em}
a.anchor-link,.jp-Collapser{display:none}
.jp-Cell{margin:0;padding:0}
.jp-OutputArea-output{overflow-x:auto}
.jp-OutputArea-output pre{margin:0;white-space:pre-wrap;font-family:inherit}
.jp-RenderedHTML td,.jp-RenderedHTML th{text-align:left;vertical-align:middle;line-height:1.25}
.jp-RenderedMarkdown table{border-collapse:collapse;margin-bottom:1em}
.jp-RenderedMarkdown td,.jp-RenderedMarkdown th{border:1px solid #ccc;padding:2px 6px}
.jp-RenderedHTML tbody tr:nth-child(even){background:#f5f5f5}
.jp-RenderedHTML tbody tr:hover{background:#e3f0fb}
.cscw-chart{margin:.5em 0 1.5em}
.cscw-chart svg{display:block;max-width:100%;height:auto}
.cscw-chart-note{font-size:.9em;color:#555}
.vega-bindings{margin:.3em 0}
.vega-bind{margin:.2em 1em .2em 0;display:inline-block}
"""


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (for the running header's ``content``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def print_css(header: PageHeader, landscape: bool = False) -> str:
    """The pack's print rules: A4 (landscape for a wide page such as the scorecard), the running
    header (authority and month; the page's title and its page number of the page's pages), the
    SYNTHETIC label at the foot of every sheet for the demo; tables that fit the paper with their
    header repeated and no row cut; headings kept with what follows; charts kept whole and scaled
    to the paper; no scroll bars, no controls; each exception and its action plan on a sheet."""
    left = _css_string(f"{header.authority} · {header.month_label}")
    right = _css_string(f"{header.title} · page " if header.title else "Page ")
    foot = f"@bottom-center{{content:{_css_string(SYNTHETIC_LABEL)};font:bold 7.5pt sans-serif;color:#B34700}}"
    return (
        f"@page{{size:A4{' landscape' if landscape else ''};margin:{'mm '.join(map(str, PRINT_MARGINS_MM))}mm;"
        f"@top-left{{content:{left};font:8pt sans-serif;color:#333;vertical-align:bottom}}"
        f'@top-right{{content:{right} counter(page) " of " counter(pages);font:8pt sans-serif;color:#333;'
        "vertical-align:bottom}"
        f"{foot if header.synthetic else ''}}}\n"
        + f"@media print{{body{{font-size:{8.5 if landscape else 9.5}pt;line-height:1.35}}}}\n"
        + """\
@media print{
main{padding:0}
.cscw-header{padding:0 0 3pt;margin-bottom:6pt}
.cscw-synthetic{padding:2pt 6pt;margin-bottom:3pt}
.cscw-header h1{font-size:14pt}
.cscw-nav{display:none}
h1{font-size:14pt}h2{font-size:12pt}h3{font-size:11pt}h4{font-size:10pt}
h1,h2,h3,h4,h5,h6{margin:.8em 0 .35em;break-after:avoid}
.jp-MarkdownCell,.jp-OutputArea-child:has(>.jp-RenderedMarkdown){break-after:avoid}
.jp-OutputArea,.jp-OutputArea-output,.jp-MarkdownOutput{overflow:visible!important}
.jp-RenderedHTML tbody tr:hover{background:none}
table{max-width:100%}
thead{display:table-header-group}
tr,.cscw-chart,.cscw-chart svg{break-inside:avoid}
.cscw-chart{margin:.3em 0 .8em}
.cscw-chart svg{max-height:120mm;width:auto}
.vega-bindings,.cscw-chart-note{display:none!important}
.jp-OutputArea-child:has(.cscw-interactive),
.jp-OutputArea-child:has(>.jp-RenderedMarkdown):has(+.jp-OutputArea-child .cscw-interactive){display:none}
:is(.cscw-scorecard,.cscw-activity,.cscw-themes,.cscw-dashboard){font-size:7pt!important;margin:.2em 0 .5em!important}
:is(.cscw-scorecard,.cscw-activity,.cscw-themes,.cscw-dashboard) :is(td,th){padding:0 2.5pt!important;line-height:1}
.cscw-activity :is(td,th){padding:0 2pt!important}
.cscw-activity tbody :is(td,th),.cscw-scorecard td{white-space:nowrap}
/* the scorecard's period column (3rd) may wrap its notes; the other columns keep to their figures */
.cscw-scorecard td:nth-child(3){white-space:normal;min-width:86px}
.cscw-scorecard thead th{font-size:6pt}
.cscw-scorecard thead th:not(:first-child){width:1px}
:is(.cscw-13-month,.cscw-annual,.cscw-cohorts,.cscw-breakdown) {font-size:8pt!important}
:is(.cscw-13-month,.cscw-annual,.cscw-cohorts,.cscw-breakdown) :is(td,th){padding:1pt 4pt!important}
.cscw-rag-counts{margin:.2em 0 .4em}
.jp-OutputArea-child:has(.cscw-exception-page)~.jp-OutputArea-child:has(.cscw-exception-page),
.jp-MarkdownCell:has(+.jp-Cell .cscw-exception-page),
.jp-Cell:not(.jp-MarkdownCell+.jp-Cell):has(.cscw-exception-page){break-before:page}
.cscw-exception-page,.cscw-action-plan{font-size:8.5pt}
:is(.cscw-exception-page,.cscw-action-plan) :is(td,th){padding:1.5pt 4pt!important}
:is(.cscw-exception-page,.cscw-action-plan) h4{margin:.5em 0 .2em}
.cscw-exception-page table.cscw-exception,.cscw-action-plan table.cscw-exception{margin:.25em 0!important}
.jp-OutputArea-child:has(.cscw-exception-page)+.jp-OutputArea-child .cscw-chart svg{max-height:72mm}
.cscw-action-plan{break-inside:avoid}
}
"""
    )


def stylesheet(header: PageHeader, landscape: bool = False) -> str:
    """The ``<style>`` every page of the pack carries (the index too)."""
    return f'<style id="cscw-style">\n{SCREEN_CSS}{print_css(header, landscape)}</style>'


#: The links atop every page of a council's pack: its contents, guidance notes and accessibility statement.
PACK_LINKS = (
    ("index.html", "Contents"),
    ("guidance.html", "Guidance notes: how to read the ratings, arrows and abbreviations"),
    ("accessibility.html", "Accessibility statement"),
)


@dataclass(frozen=True)
class PageHeader:
    authority: str
    month_label: str
    data_as_at: str
    synthetic: bool
    title: str = ""
    links: tuple[tuple[str, str], ...] = PACK_LINKS  # (page, text) of the pack's own pages

    def html(self) -> str:
        banner = f'<div class="cscw-synthetic">{html.escape(SYNTHETIC_LABEL)}</div>' if self.synthetic else ""
        title = f"<h1>{html.escape(self.title)}</h1>" if self.title else ""
        links = " &middot; ".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for href, text in self.links)
        return (
            f'<header class="cscw-header">{banner}{title}'
            f'<div><span class="cscw-authority">{html.escape(self.authority)}</span>'
            f' &middot; <span class="cscw-month">{html.escape(self.month_label)}</span>'
            f' &middot; <span class="cscw-as-at">data as at {html.escape(self.data_as_at)}</span></div>'
            f'<nav class="cscw-nav" aria-label="This pack">{links}</nav>'
            "</header>"
        )


def strip_remote(page: str) -> str:
    """Remove every script or stylesheet the page would fetch from elsewhere."""
    page = _REMOTE_SCRIPT.sub("", page)
    page = _REMOTE_LINK.sub("", page)

    def inline(match: re.Match) -> str:
        return "" if _IMPORTS_REMOTE.search(match.group(1)) else match.group(0)

    return _INLINE_SCRIPT.sub(inline, page)


_EXPORTERS = threading.local()


def _exporter():
    """This thread's HTML exporter, configured once (building one compiles its Jinja templates
    again: a third of a page's conversion time)."""
    exporter = getattr(_EXPORTERS, "exporter", None)
    if exporter is None:
        exporter = _EXPORTERS.exporter = _new_exporter()
    return exporter


def prepare_converter() -> None:
    """Import the converter and build the calling thread's exporter ahead of its first page."""
    _exporter()


def _new_exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_TAGS)
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.mathjax_url = ""
    config.HTMLExporter.require_js_url = ""
    config.HTMLExporter.jquery_url = ""
    config.HTMLExporter.widget_renderer_url = ""
    config.HTMLExporter.embed_images = True
    exporter = HTMLExporter(config=config, template_name="lab")
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def notebook_to_html(notebook: str | Path | nbformat.NotebookNode, header: PageHeader, landscape: bool = False) -> str:
    """The executed notebook as one offline page (no input code, no parameters, no CDN), with the
    pack's stylesheet (printed in A4 landscape if ``landscape``)."""
    import nbformat  # here, not above: a second to import, which the pack's first page should not wait for

    from csc_workbench.pack.render import INTERACTIVE_CLASS, runtime_loader

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, str | Path) else notebook
    page, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": header.title or "page"}})
    page = strip_remote(page)
    head, _, body = page.partition("</head>")
    head = _HEAD_CLUTTER.sub("", head)
    if header.title:
        title = f"<title>{html.escape(header.title)}</title>"
        head = re.sub(r"<title>.*?</title>", lambda _: title, head, count=1, flags=re.S)
    head += stylesheet(header, landscape) + "\n"
    if INTERACTIVE_CLASS in body:
        head += runtime_loader() + "\n"
    body = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + header.html(), body, count=1, flags=re.I)
    return re.sub(r"\n\s*\n+", "\n", head) + "</head>" + body


def write_page(notebook: str | Path, path: str | Path, header: PageHeader, landscape: bool = False) -> Path:
    path = Path(path)
    path.write_text(notebook_to_html(notebook, header, landscape), encoding="utf-8")
    return path
