"""The monthly pack: run the notebooks for a month, turn them into light offline HTML, publish atomically.

- :mod:`.render`: the Altair renderer notebooks enable (each chart drawn as SVG when the notebook
  runs; an interactive chart also carries its spec) and the chart runtime (vega, vega-lite,
  vega-embed) that the pack holds once, for the pages with an interactive chart;
- :mod:`.html`: executed notebook -> offline HTML page with the report header and the pack's
  stylesheet for screen and A4 print;
- :mod:`.meeting_files`: ``scorecard.xlsx`` and the charts as PNG;
- :mod:`.pdf`: the pack as one PDF with a bookmark per page (``cscw run --pdf``);
- :mod:`.run`: :func:`build_pack`, the parallel Papermill runner with the index and publishing.
"""

from __future__ import annotations
