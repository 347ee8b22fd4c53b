"""Executed notebook -> one self-contained, offline HTML page.

nbconvert's lab template is used with input cells, prompts and the parameters cells removed;
every script or stylesheet it would fetch from a CDN (require.js, MathJax, Jupyter widgets,
mermaid) is stripped; the vega / vega-lite / vega-embed bundle is inlined once in ``<head>``
(charts are drawn by the inline scripts of :mod:`csc_workbench.pack.render`); and a header block
says whose figures they are, for which month, as at when, and SYNTHETIC for the demo.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat

from csc_workbench.pack.render import javascript_bundle

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


@dataclass(frozen=True)
class PageHeader:
    authority: str
    month_label: str
    data_as_at: str
    synthetic: bool
    title: str = ""

    def html(self) -> str:
        banner = (
            f'<div class="cscw-synthetic" style="background:#D55E00;color:#fff;font-weight:bold;padding:6px 10px;'
            f'margin-bottom:6px">{html.escape(SYNTHETIC_LABEL)}</div>'
            if self.synthetic
            else ""
        )
        title = f"<h1 style='margin:0.2em 0;font-size:1.6em'>{html.escape(self.title)}</h1>" if self.title else ""
        return (
            '<header class="cscw-header" style="font-family:sans-serif;border-bottom:2px solid #0072B2;'
            'padding:8px 16px;margin-bottom:12px">'
            f"{banner}{title}"
            f'<div><span class="cscw-authority" style="font-weight:bold">{html.escape(self.authority)}</span>'
            f' &middot; <span class="cscw-month">{html.escape(self.month_label)}</span>'
            f' &middot; <span class="cscw-as-at">data as at {html.escape(self.data_as_at)}</span></div>'
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


def notebook_to_html(notebook: str | Path | nbformat.NotebookNode, header: PageHeader) -> str:
    """The executed notebook as one offline page (no input code, no parameters, no CDN)."""
    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, str | Path) else notebook
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": header.title or "page"}})
    body = strip_remote(body)
    bundle = javascript_bundle().replace("</script", "<\\/script")
    head = f'<script type="text/javascript" id="cscw-vega-bundle">\n{bundle}\n</script>\n'
    if header.title:
        title = f"<title>{html.escape(header.title)}</title>"
        body = re.sub(r"<title>.*?</title>", lambda _: title, body, count=1, flags=re.S)
    # the header first: the bundle holds "<body>" in its strings
    body = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + header.html(), body, count=1, flags=re.I)
    body = re.sub(r"</head\s*>", lambda _: head + "</head>", body, count=1, flags=re.I)
    return body


def write_page(notebook: str | Path, path: str | Path, header: PageHeader) -> Path:
    path = Path(path)
    path.write_text(notebook_to_html(notebook, header), encoding="utf-8")
    return path
