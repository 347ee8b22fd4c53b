"""The pack's chart renderer: static charts drawn as SVG with their accessible name and no spec;
interactive charts (bound parameters, selections) drawn too and carrying their spec for the
runtime; the drawing slimmed without touching its text; drawings kept by their spec are not
drawn again, and those unused for a month are pruned. In JupyterLab an interactive chart is
also a live widget whose script is bundled offline."""

from __future__ import annotations

import json
import os
import re
import time

import altair as alt
import pandas as pd

from csc_workbench.pack.render import (
    CHART_CLASS,
    INTERACTIVE_CLASS,
    METADATA_KEY,
    RUNTIME_PATH,
    _bundle,
    _renderer,
    _slim,
    chart_html,
    draw_svg,
    drawn_chart,
    is_interactive,
    keep_drawings,
    live_chart,
    prune_drawings,
    runtime_loader,
)

FRAME = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "value": [3.25, 1.5, 2.125]})


def _line() -> alt.Chart:
    return alt.Chart(FRAME).mark_line(point=True).encode(x="month:O", y="value:Q")


def test_a_static_chart_is_an_svg_drawing_named_by_its_description() -> None:
    spec = _line().properties(title="Re-referrals", description="Re-referrals fell from 3.3 to 2.1").to_dict()
    assert not is_interactive(spec)
    text = chart_html(spec)
    assert re.fullmatch(
        rf'<div class="{CHART_CLASS}" role="img" aria-label="Re-referrals fell from 3.3 to 2.1"><svg\b.*</svg></div>',
        text,
        re.S,
    )
    assert "<script" not in text and '"$schema"' not in text  # no runtime needed, no spec carried
    assert ">Re-referrals</text>" in text  # the title is drawn
    assert not re.search(r' (?:role|aria-label|pointer-events)="', text.split("<svg", 1)[1])


def test_a_chart_without_description_is_named_by_its_title() -> None:
    assert 'aria-label="Re-referrals"' in chart_html(_line().properties(title="Re-referrals").to_dict())


def test_bound_parameters_and_selections_make_a_chart_interactive() -> None:
    pick = alt.param(name="pick", value="a", bind=alt.binding_select(options=["a", "b"]))
    hover = alt.selection_point(name="hover", on="pointerover")
    assert is_interactive(_line().add_params(pick).to_dict())
    assert is_interactive(alt.layer(_line().add_params(hover), _line()).to_dict())  # in a layer
    assert not is_interactive(_line().add_params(alt.param(name="plain", value=1)).to_dict())  # neither


def test_an_interactive_chart_is_drawn_and_carries_its_spec() -> None:
    pick = alt.param(name="pick", value="a", bind=alt.binding_select(options=["a", "b"]))
    spec = _line().add_params(pick).properties(description="Pick one").to_dict()
    text = chart_html(spec)
    assert text.startswith(f'<div class="{CHART_CLASS} {INTERACTIVE_CLASS}">')
    assert '<div class="cscw-drawing" role="img" aria-label="Pick one"><svg' in text
    carried = re.search(r'<script type="application/json" class="cscw-spec">(.*?)</script>', text, re.S).group(1)
    assert json.loads(carried) == spec
    loader = runtime_loader()
    assert f'script.src = "{RUNTIME_PATH}"' in loader and "vegaEmbed(" in loader


def test_the_drawing_is_slimmed_but_its_text_is_kept() -> None:
    svg = (
        '<svg width="10" height="10"><g pointer-events="none" role="graphics-object">'
        '<path class="background" aria-hidden="true" d="M0,0h0v0h0Z" pointer-events="none"/>'
        '<path aria-label="Month: Jan; value: 3.25" d="M1.23456,-0.04L20.5,3.14159" opacity="1"/>'
        '<text transform="translate(10.00001,-2.987654)" opacity="0.5">12.345</text></g></svg>'
    )
    assert _slim(svg) == (
        '<svg width="10" height="10"><g><path d="M1.2,0L20.5,3.1"/>'
        '<text transform="translate(10,-3)" opacity="0.5">12.345</text></g></svg>'
    )


def test_the_renderer_keeps_the_title_in_the_output_metadata() -> None:
    data, metadata = _bundle(_line().properties(title=["Two", "lines"]).to_dict())
    assert list(data) == ["text/html"] and metadata == {METADATA_KEY: {"title": "Two lines"}}
    chart = drawn_chart({"data": data, "metadata": metadata})
    assert chart is not None and chart.title == "Two lines" and chart.svg.startswith("<svg")
    assert drawn_chart({"data": {"text/html": "<p>a table</p>"}, "metadata": {}}) is None


def test_in_jupyterlab_an_interactive_chart_is_also_a_live_widget_drawn_offline() -> None:
    pick = alt.param(name="pick", value="a", bind=alt.binding_select(options=["a", "b"]))
    static, _ = _renderer(_line().to_dict())
    assert list(static) == ["text/html"]  # a drawing, nothing to run
    data, metadata = _renderer(_line().add_params(pick).properties(title="Pick").to_dict())
    assert data["text/html"] == chart_html(_line().add_params(pick).properties(title="Pick").to_dict())
    assert "application/vnd.jupyter.widget-view+json" in data and metadata[METADATA_KEY] == {"title": "Pick"}
    widget = live_chart(_line())
    assert widget.embed_options == {"renderer": "svg", "actions": False} and widget.spec["mark"]["type"] == "line"
    # the widget's script is vl-convert's bundle: it imports nothing from a URL
    assert not re.search(r"""\bimport\b[^;]*?["'](?:https?:)?//""", widget._esm)


def test_kept_drawings_are_not_drawn_again_and_unused_ones_are_pruned(tmp_path, monkeypatch) -> None:
    import vl_convert

    spec = _line().properties(title="Re-referrals").to_dict()
    fresh = draw_svg(spec)
    drawn = []
    real = vl_convert.vegalite_to_svg
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda *a, **k: drawn.append(1) or real(*a, **k))
    keep_drawings(tmp_path / "drawings")
    try:
        assert draw_svg(spec) == fresh and len(drawn) == 1  # drawn once, and kept
        assert draw_svg(spec) == fresh and len(drawn) == 1  # then taken from the folder
        other = _line().properties(title="Assessments").to_dict()
        assert draw_svg(other) != fresh and len(drawn) == 2  # another spec is another drawing
    finally:
        keep_drawings(None)
    assert draw_svg(spec) == fresh and len(drawn) == 3  # none kept: drawn afresh
    kept = sorted((tmp_path / "drawings").glob("*.svg"))
    assert len(kept) == 2 and not list((tmp_path / "drawings").glob("*.part"))
    old = time.time() - 40 * 86_400
    os.utime(kept[0], (old, old))  # not used by any run for 40 days
    assert prune_drawings(tmp_path / "drawings", days=30) == 1
    assert sorted((tmp_path / "drawings").glob("*.svg")) == kept[1:]
