"""The shared HTML's bound controls work offline with no kernel: headless Chromium loads the chart
runtime beside the page, which replaces the chart's drawing with the live chart; it picks an org
unit in the drop-down and a window on the radio buttons, and the chart redraws accordingly."""

from __future__ import annotations

import json
import re

from csc_workbench.pack import render
from csc_workbench.present.interactive import explorable_trend, explore_frame

from .conftest import END
from .test_pack import _chromium, _remote

#: Operates the controls once the chart has drawn, and writes what it saw into <body> attributes.
DRIVER = """
<script>
(function () {
  function lines() { return Array.from(document.querySelectorAll('.mark-line path')); }
  function waitFor(ready, then, tries) {
    if (ready()) { then(); } else if (tries > 0) { setTimeout(function () { waitFor(ready, then, tries - 1); }, 50); }
  }
  var body = document.body;
  waitFor(function () { return document.querySelector('select[name=pick_org]') && lines().length > 0; }, function () {
    body.setAttribute('data-lines-before', lines().length);
    var select = document.querySelector('select[name=pick_org]');
    select.value = %(org)s;
    select.dispatchEvent(new Event('change'));
    setTimeout(function () {
      body.setAttribute('data-lines-after', lines().length);
      body.setAttribute('data-path-after', lines()[0].getAttribute('d'));
      body.setAttribute('data-label-after', lines()[0].getAttribute('aria-label'));
      var radio = document.querySelector('input[name=pick_window][value=%(window)s]');
      radio.checked = true;
      radio.dispatchEvent(new Event('change'));
      setTimeout(function () {
        body.setAttribute('data-path-window', lines()[0].getAttribute('d'));
        body.setAttribute('data-done', 'yes');
      }, 500);
    }, 500);
  }, 200);
})();
</script>
"""


def test_a_reader_operates_the_org_unit_and_window_controls(small_county, tmp_path) -> None:
    params, store = small_county.params, small_county.store
    area = params.authority.org_units.children[0].name
    # an in-month headline; the demo county's rolling years cross its gap month (February 2025)
    chart = explorable_trend(store, params, "referrals_to_assessment", END)
    frame = explore_frame(store, params, "referrals_to_assessment", END)
    units = list(dict.fromkeys(frame["org_unit"]))
    assert len(units) == 1 + len(params.authority.org_units.children)

    spec = chart.to_dict()
    declared = spec.get("params", []) + [q for layer in spec["layer"] for q in layer.get("params", [])]
    bound = {q["name"]: q["bind"]["input"] for q in declared if "bind" in q}
    assert bound == {"pick_org": "select", "pick_window": "radio"}
    page = tmp_path / "explore.html"
    render.write_runtime(tmp_path)  # the pack writes it once, in assets/ beside the pages
    driver = DRIVER % {"org": json.dumps(area), "window": json.dumps("Rolling 3 months")}
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{render.runtime_loader()}</head>"
        f"<body>{render.chart_html(spec)}{driver}</body></html>",
        encoding="utf-8",
    )
    dom, urls = _chromium(page, tmp_path)
    assert not _remote(urls)
    assert f'class="{render.CHART_CLASS} {render.INTERACTIVE_CLASS}" data-cscw-drawn="live"' in dom
    assert 'class="cscw-drawing"' not in dom  # the drawing made way for the live chart
    found = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', re.search(r"<body[^>]*>", dom).group(0)))
    assert found.get("done") == "yes", found
    assert int(found["lines-before"]) == len(units)  # "All": a line per org unit
    assert int(found["lines-after"]) == 1  # the chosen area alone
    assert f"Org unit: {area};" in found["label-after"] and "Window: In month" in found["label-after"]
    assert found["path-window"] != found["path-after"]  # rolling 3 months, not the month's own figures
