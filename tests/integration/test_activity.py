"""The scorecard's activity table on the demo county: each figure is the stored atom."""

from __future__ import annotations

from csc_workbench.assess.activity import activity_table
from csc_workbench.periods import month_label, parse_month
from csc_workbench.present.html_tables import activity_table_html

from .conftest import END


def test_activity_table_figures_are_the_atoms(small_county) -> None:
    params, store = small_county.params, small_county.store
    end = parse_month(END)
    frame = activity_table(store, params, END)
    areas = [c.name for c in params.authority.org_units.children]
    below = [u for area in params.authority.org_units.children for u in (area.name, *(t.name for t in area.children))]
    assert list(dict.fromkeys(frame["org_unit"])) == [params.authority.org_units.name, *below]  # every team
    assert list(dict.fromkeys(frame["indicator"])) == params.catalogue.activity
    atoms = store.latest(params.catalogue.activity, None, None, end - 1, end)
    atoms = atoms[atoms["window"].isin(["month", "snapshot"])]
    checked = 0
    for r in frame.to_dict("records"):
        ind = params.catalogue[r["indicator"]]
        mine = atoms[(atoms["indicator"] == ind.id) & (atoms["org_unit"] == r["org_unit"])
                     & (atoms["cohort"] == (ind.cohort or "all"))].set_index("period")["value"]  # fmt: skip
        if r["this_month"] != r["this_month"]:  # NaN: no figure, and none stored (not a zero)
            assert end not in mine.index and isinstance(r["note"], str) and "no figure" in r["note"]
            continue
        assert r["this_month"] == mine[end] and r["last_month"] == mine[end - 1]
        assert r["change"] == mine[end] - mine[end - 1]
        checked += 1
    assert checked >= 30

    team = next(c.name for c in params.authority.org_units.children[0].children)
    assert set(activity_table(store, params, END, team)["org_unit"]) == {team}

    text = activity_table_html(frame, params, END)
    assert month_label(end) in text and month_label(end - 1) in text
    assert text.count("<tr>") == 2 + 1 + len(below)  # two header rows, then a row per org unit
    assert len(below) > len(areas)
