"""An Altair renderer for notebooks whose charts are light and drawn offline in the pack's pages.

A chart is drawn as SVG with vl-convert when the notebook runs (the pack's batch kernels run in
parallel), and becomes ``text/html``: a container carrying the chart's accessible name (its
``description``) around the SVG. A static chart needs no script and no spec in the page: it
shows as soon as the page is read, prints as drawn, and its PNG for meetings is rasterised from
the same SVG. The chart's title travels in the output's metadata, for the PNG's file name. The pack's kernels
keep each drawing by its spec (:func:`keep_drawings`), so a page run again with the same charts
(after a commentary edit) draws none of them again.

An interactive chart (a parameter bound to an input, or a selection) is drawn the same way in
its first state, and carries its Vega-Lite spec too. A page holding one loads the chart runtime
(vega, vega-lite and vega-embed, written once per pack in :data:`RUNTIME_PATH`) after the page
has loaded, and ``vegaEmbed`` replaces the drawing with the live chart and its controls. Opened
away from its pack, the page keeps the drawing and says what the controls need.

In JupyterLab the same output also carries the interactive chart as a live widget
(:func:`live_chart`: Altair's ``JupyterChart`` with vega, vega-lite and vega-embed bundled by
vl-convert, no CDN), which JupyterLab shows in place of the drawing; the pack's batch kernels
display charts without this renderer (:func:`skip_spec_validation`), so its pages are unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt

RENDERER = "csc_offline"
#: Every chart container carries this class, so tests and pages can find them.
CHART_CLASS = "cscw-chart"
#: ... and an interactive chart this one too (its container is upgraded by the runtime).
INTERACTIVE_CLASS = "cscw-interactive"
#: The chart runtime, relative to the pack's pages (written once per pack by :func:`write_runtime`).
RUNTIME_PATH = "assets/vega-runtime.js"
#: Output metadata key holding what the pack needs of a chart beyond its HTML (its title).
METADATA_KEY = "csc_workbench/chart"

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
#: Attributes of vega's SVG that a static drawing does without: the container names the chart for
#: assistive technology (its children are presentational), and nothing in it takes the pointer.
_NOT_DRAWN = re.compile(r' (?:role|aria-label|aria-roledescription|aria-hidden|pointer-events)="[^"]*"')
_EMPTY_PATHS = re.compile(r'<path class="(?:background|foreground)" d="(?:M0,0h0v0h0Z)?"(?: display="none")?/>')
_GEOMETRY = re.compile(r' (d|transform|x|y|x1|x2|y1|y2|width|height|r)="([^"]*)"')
_DECIMAL = re.compile(r"-?\d+\.\d{2,}")


def _round(match: re.Match) -> str:
    text = f"{float(match.group(0)):.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _slim(svg: str) -> str:
    """vega's SVG with what a drawing does not use left out and coordinates to 0.1 px (about half
    the bytes; a tenth of a pixel is below what a screen or a printer shows)."""
    svg = _EMPTY_PATHS.sub("", _NOT_DRAWN.sub("", svg)).replace(' opacity="1"', "")
    return _GEOMETRY.sub(lambda m: f' {m.group(1)}="{_DECIMAL.sub(_round, m.group(2))}"', svg)


#: The folder where drawings are kept by their spec (:func:`keep_drawings`); None: none kept.
_drawings: Path | None = None


def keep_drawings(folder: str | Path | None) -> None:
    """From now on keep each chart's drawing in ``folder``, named by the digest of its spec and of
    vl-convert's version, and take a chart drawn before from there instead of drawing it again
    (drawing is most of a chart's cost, and the first drawing in a process starts vl-convert's
    JavaScript engine). None: draw every chart afresh. The pack's batch kernels keep drawings;
    :func:`prune_drawings` removes those no run has used for a while."""
    global _drawings
    _drawings = Path(folder) if folder is not None else None
    if _drawings is not None:
        _drawings.mkdir(parents=True, exist_ok=True)


def prune_drawings(folder: str | Path, days: float = 30) -> int:
    """Remove the drawings kept in ``folder`` that no chart has used for ``days`` days; how many."""
    cutoff, removed = time.time() - days * 86_400, 0
    for path in Path(folder).glob("*.svg"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:  # taken by another run meanwhile
            continue
    return removed


def draw_svg(spec: dict[str, Any]) -> str:
    """The Vega-Lite spec drawn as SVG, offline (vl-convert; no URL may be fetched); from the
    drawings kept (:func:`keep_drawings`) when this spec was drawn before."""
    import vl_convert as vlc

    if _drawings is None:
        return _slim(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))
    key = json.dumps([vlc.__version__, spec], sort_keys=True, separators=(",", ":"), default=str)
    path = _drawings / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.svg"
    try:
        svg = path.read_text(encoding="utf-8")
        os.utime(path)  # used now: kept from pruning
        return svg
    except OSError:
        pass
    svg = _slim(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))
    partial = path.with_name(f"{path.stem}.{os.getpid()}.part")  # whole or not at all, for a kernel alongside
    partial.write_text(svg, encoding="utf-8")
    os.replace(partial, path)
    return svg


def is_interactive(spec: Any) -> bool:
    """Whether a spec (or any of its layers and views) has a parameter bound to an input or a
    selection: such a chart needs the runtime to respond to the reader."""
    if isinstance(spec, Mapping):
        params = spec.get("params", [])
        if isinstance(params, list) and any(isinstance(p, Mapping) and ("bind" in p or "select" in p) for p in params):
            return True
        return any(is_interactive(v) for k, v in spec.items() if k not in ("data", "datasets"))
    if isinstance(spec, list):
        return any(is_interactive(v) for v in spec)
    return False


def chart_title(spec: Mapping[str, Any]) -> str:
    """The chart's title as one line ("" if it has none)."""
    title = spec.get("title", "")
    if isinstance(title, Mapping):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title)


def chart_html(spec: dict[str, Any]) -> str:
    """The chart drawn as SVG in its container, named by its description (or title); an
    interactive chart also carries its spec for the runtime."""
    name = html.escape(str(spec.get("description") or chart_title(spec)), quote=True)
    drawing = draw_svg(spec)
    if not is_interactive(spec):
        return f'<div class="{CHART_CLASS}" role="img" aria-label="{name}">{drawing}</div>'
    text = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="{CHART_CLASS} {INTERACTIVE_CLASS}">'
        f'<div class="cscw-drawing" role="img" aria-label="{name}">{drawing}</div>'
        f'<script type="application/json" class="cscw-spec">{text}</script></div>'
    )


@dataclass(frozen=True)
class DrawnChart:
    """A chart as an executed notebook holds it: its title and its SVG."""

    title: str
    svg: str


def drawn_chart(output: Mapping[str, Any]) -> DrawnChart | None:
    """The chart of a notebook output displayed with this renderer (None for any other output)."""
    text = output.get("data", {}).get("text/html", "")
    text = "".join(text) if isinstance(text, list) else text
    meta = output.get("metadata", {}).get(METADATA_KEY)
    svg = _SVG.search(text) if CHART_CLASS in text and meta is not None else None
    return DrawnChart(str(meta.get("title", "")), svg.group(0)) if svg else None


def _bundle(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"text/html": chart_html(spec)}, {METADATA_KEY: {"title": chart_title(spec)}}


#: vega-embed's options for a live chart: drawn as SVG (as the pack draws), and no actions menu
#: (its "Open in Vega Editor" leaves the machine; the explorer has its own export).
LIVE_OPTIONS = {"renderer": "svg", "actions": False}


def live_chart(chart: alt.TopLevelMixin | None = None) -> alt.JupyterChart:
    """The chart as a live Jupyter widget drawn offline: Altair's ``JupyterChart`` with its
    script bundled by vl-convert (vega, vega-lite and vega-embed, as the pack's runtime), so
    JupyterLab fetches nothing. Assign ``.chart`` to redraw it (None clears it)."""
    alt.JupyterChart.enable_offline()
    return alt.JupyterChart(chart, embed_options=LIVE_OPTIONS)


def _renderer(spec: dict[str, Any], **_: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    data, metadata = _bundle(spec)
    if not is_interactive(spec):
        return data, metadata
    # live in JupyterLab; the drawing stays for other readers of the notebook
    widget, widget_metadata = live_chart(alt.Chart.from_dict(spec))._repr_mimebundle_()
    return data | widget, metadata | widget_metadata


def enable() -> None:
    """Register and enable the offline renderer (notebooks call this once, at the top)."""
    alt.renderers.register(RENDERER, _renderer)
    alt.renderers.enable(RENDERER)


def _unvalidated(chart: alt.TopLevelMixin) -> tuple[dict[str, Any], dict[str, Any]]:
    return _bundle(chart.to_dict(validate=False, context={"pre_transform": False}))


def skip_spec_validation() -> None:
    """In this IPython kernel, build and display charts without validating them against the
    Vega-Lite schema (Altair validates each part as it is built and the whole on every display:
    about a third of a pack page's time).

    For the pack's batch kernels only: the chart library's tests validate every chart kind, and
    the browser test checks every chart of the pack draws. Explorers keep Altair's validation."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("skip_spec_validation() works inside an IPython kernel only")
    shell.display_formatter.mimebundle_formatter.for_type(alt.TopLevelMixin, _unvalidated)
    # and no validation as each part of a chart is built (Altair's "debug mode", on by default)
    alt.utils.schemapi.disable_debug_mode()


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one offline script that sets ``window.vegaEmbed``."""
    import vl_convert

    return vl_convert.javascript_bundle()


def write_runtime(folder: str | Path) -> Path:
    """Write the chart runtime into a pack folder, at :data:`RUNTIME_PATH`."""
    path = Path(folder) / RUNTIME_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(javascript_bundle(), encoding="utf-8")
    return path


#: The page script that draws the interactive charts live once the page has loaded: it loads the
#: runtime beside the page and replaces each drawing with ``vegaEmbed``'s chart and controls. The
#: container says ``data-cscw-drawn="live"`` when done (or "failed", with a note to the reader).
_LOADER = """\
(function () {
  function charts() { return Array.prototype.slice.call(document.querySelectorAll(".%(cls)s")); }
  function note(el, text) {
    var p = document.createElement("p");
    p.className = "cscw-chart-note";
    p.textContent = text;
    el.appendChild(p);
  }
  function draw(el) {
    var live = document.createElement("div");
    var spec = JSON.parse(el.querySelector("script.cscw-spec").textContent);
    vegaEmbed(live, spec, {actions: false, renderer: "svg"}).then(function () {
      el.querySelector(".cscw-drawing").replaceWith(live);
      el.setAttribute("data-cscw-drawn", "live");
    }).catch(function (err) {
      el.setAttribute("data-cscw-drawn", "failed");
      note(el, "The chart's controls could not be drawn (" + err + "); the chart shows its first view.");
    });
  }
  window.addEventListener("load", function () {
    var script = document.createElement("script");
    script.src = "%(path)s";
    script.onload = function () { charts().forEach(draw); };
    script.onerror = function () {
      charts().forEach(function (el) {
        el.setAttribute("data-cscw-drawn", "failed");
        note(el, "To use this chart's controls, open the page from its pack folder (they need %(path)s beside it).");
      });
    };
    document.head.appendChild(script);
  });
})();
"""


def runtime_loader() -> str:
    """The ``<script>`` a page with interactive charts carries (see :data:`_LOADER`)."""
    return f'<script id="cscw-chart-runtime">\n{_LOADER % {"cls": INTERACTIVE_CLASS, "path": RUNTIME_PATH}}</script>'
