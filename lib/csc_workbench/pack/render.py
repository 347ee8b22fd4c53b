"""An Altair renderer for notebooks whose output works offline in the pack's HTML pages.

Each chart becomes ``text/html`` holding a ``<div>`` and an inline ``<script>`` that calls
``vegaEmbed`` on the inline spec. There is no ``<script src>``: the page carries the vega,
vega-lite and vega-embed bundle once, in its ``<head>`` (see :func:`javascript_bundle`).
"""

from __future__ import annotations

import functools
import html
import json
import re
import uuid
from typing import Any

import altair as alt

RENDERER = "csc_offline"
#: The line of a chart's script that holds its spec (see :func:`spec_from_html`).
_SPEC_LINE = re.compile(r"^  var spec = (.*);$", re.MULTILINE)
#: Every chart container carries this class, so tests and pages can find them.
CHART_CLASS = "cscw-chart"


def chart_html(spec: dict[str, Any], div_id: str | None = None) -> str:
    """The ``<div>`` and ``<script>`` that render one Vega-Lite spec with the page's vegaEmbed."""
    div_id = div_id or f"cscw-chart-{uuid.uuid4().hex[:12]}"
    text = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    description = html.escape(str(spec.get("description", "")), quote=True)
    return (
        f'<div id="{div_id}" class="{CHART_CLASS}" role="img" aria-label="{description}"></div>\n'
        "<script>\n"
        "(function () {\n"
        f'  var el = document.getElementById("{div_id}");\n'
        f"  var spec = {text};\n"
        '  if (typeof vegaEmbed === "undefined") {\n'
        '    el.textContent = "Chart not shown: the page lacks its offline chart library.";\n'
        "    return;\n"
        "  }\n"
        '  vegaEmbed(el, spec, {actions: false, renderer: "svg"}).catch(function (err) {\n'
        '    el.textContent = "Chart failed to render: " + err;\n'
        "  });\n"
        "})();\n"
        "</script>"
    )


def spec_from_html(text: str) -> dict[str, Any] | None:
    """The Vega-Lite spec inside a chart's HTML from :func:`chart_html` (None if there is none):
    the pack draws the charts of executed notebooks as PNG from it."""
    match = _SPEC_LINE.search(text)
    return json.loads(match.group(1)) if match and CHART_CLASS in text else None


def _bundle(spec: dict[str, Any]) -> dict[str, Any]:
    return {"text/html": chart_html(spec)}


def _renderer(spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    return _bundle(spec)


def enable() -> None:
    """Register and enable the offline renderer (notebooks call this once, at the top)."""
    alt.renderers.register(RENDERER, _renderer)
    alt.renderers.enable(RENDERER)


def _unvalidated(chart: alt.TopLevelMixin) -> dict[str, Any]:
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
