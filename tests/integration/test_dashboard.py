"""The portfolio dashboard on the demo county: quarter ends, values read from the scorecard of
each quarter end, arrows against the quarter before, themes rolled up to outcomes."""

from __future__ import annotations

import math

from csc_workbench.assess.dashboard import portfolio_dashboard, quarter_ends
from csc_workbench.assess.scorecard import scorecard
from csc_workbench.assess.themes import theme_rag
from csc_workbench.periods import month_text, parse_month
from csc_workbench.present.html_tables import dashboard_html

from .conftest import END


def test_quarter_ends_are_march_june_september_december() -> None:
    assert [month_text(q) for q in quarter_ends(parse_month("2025-06"))] == [
        "2024-06", "2024-09", "2024-12", "2025-03", "2025-06",
    ]  # fmt: skip
    assert [month_text(q) for q in quarter_ends(parse_month("2025-08"), 2)] == ["2025-03", "2025-06"]


def test_dashboard_figures_are_the_scorecards_of_the_quarter_ends(small_county) -> None:
    params, store = small_county.params, small_county.store
    dashboard = portfolio_dashboard(store, params, END)
    assert list(dashboard.rows["theme"].unique()) == [t.id for t in params.catalogue.themes]
    cards = {q: scorecard(store, params, q).set_index("indicator") for q in dashboard.quarters}
    checked = 0
    for row in dashboard.rows.to_dict("records"):
        for k, q in enumerate(dashboard.quarters):
            expected = cards[q].loc[row["indicator"], "value"]
            value = row["values"][k]
            assert (math.isnan(value) and math.isnan(expected)) or value == expected
            checked += not math.isnan(value)
        values, arrows = row["values"], row["arrows"]
        assert arrows[0] is None
        for k in range(1, len(values)):
            if row["polarity"] in ("high", "low") and not math.isnan(values[k]) and not math.isnan(values[k - 1]):
                better = values[k] > values[k - 1] if row["polarity"] == "high" else values[k] < values[k - 1]
                assert arrows[k] == ("improved" if better else "worse" if values[k] != values[k - 1] else "same")
    assert checked > 40
    for outcome in dashboard.outcomes.to_dict("records"):
        rags = dashboard.themes.set_index("theme").loc[outcome["themes"], "rag"].tolist()
        assert outcome["rag"] == theme_rag(
            rags, next(o for o in params.catalogue.outcomes if o.id == outcome["outcome"])
        )
    text = dashboard_html(dashboard)
    assert all(t.title in text for t in params.catalogue.themes) and all(
        o.title in text for o in params.catalogue.outcomes
    )
    assert text.count('<table class="cscw-dashboard"') == len(params.catalogue.themes)
