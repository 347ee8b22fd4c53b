"""The monthly pack: run the notebooks for a month, turn them into offline HTML, publish atomically.

- :mod:`.render`: the Altair renderer notebooks enable (inline spec, no script src) and the
  offline JavaScript bundle (vega, vega-lite, vega-embed) that each page carries once;
- :mod:`.pages`: small pure helpers the notebooks call (scorecard table, trends, UASC impact);
- :mod:`.html`: executed notebook -> self-contained HTML page with the report header;
- :mod:`.run`: :func:`build_pack`, the parallel Papermill runner with the index and publishing.
"""

from __future__ import annotations
