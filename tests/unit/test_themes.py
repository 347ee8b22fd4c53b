"""Theme roll-up rules worked by hand, and the catalogue's themes and activity validated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from csc_workbench.assess.themes import outcome_rollup, theme_rag, theme_rollup
from csc_workbench.config.catalogue import Theme, load_catalogue
from csc_workbench.config.errors import ParamsError
from csc_workbench.present.html_tables import theme_rollup_html

from ..conftest import FIXTURES

BASE = yaml.safe_load((FIXTURES / "small" / "catalogue.yml").read_text())
IDS = [i["id"] for i in BASE["indicators"]]

G, A, R = "green", "amber", "red"


def theme(rule: str, **kw) -> Theme:
    return Theme(id="t", title="T", indicators=["x"], rule=rule, **kw)


@pytest.mark.parametrize(
    ("rule", "rags", "expected"),
    [
        ("worst", [G, G, A], A),
        ("worst", [G, R, None, A], R),
        ("worst", [G, G], G),
        ("majority", [G, G, A], G),
        ("majority", [G, A, A, R], A),
        ("majority", [G, R], R),  # a tie goes to the worse
        ("majority", [G, G, A, A, R], A),
        ("share", [G, R, G, R], R),  # 2 of 4 red = 50% >= red_share 0.5
        ("share", [G, G, G, R], A),  # 25% red: not red; red or amber 25% >= 0.25
        ("share", [G, G, G, G, A], G),  # 20% amber < 25%
        ("mean", [G, G, A], G),  # (3 + 3 + 2) / 3 = 2.67 >= 2.5
        ("mean", [G, A, R], A),  # 2.0
        ("mean", [A, R, R], R),  # 1.33 < 1.5
        ("mean", [G, R], A),  # 2.0: a green and a red are amber on average
        ("mean", [None], None),
        ("share", [G, A, None, None], A),  # unrated ignored: 1 of 2 amber
        ("worst", [None, None], None),  # nothing rated: the theme is not rated
        ("majority", [], None),
    ],
)
def test_theme_rules(rule: str, rags: list, expected: str | None) -> None:
    assert theme_rag(rags, theme(rule)) == expected


def test_share_thresholds_come_from_params() -> None:
    strict = theme("share", red_share=0.2, amber_share=0.1)
    assert theme_rag([G, G, G, G, R], strict) == R
    assert theme_rag([G] * 9 + [A], strict) == A
    assert theme_rag([G] * 11 + [A], strict) == G


def _catalogue(tmp_path: Path, **extra) -> Path:
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(BASE | extra, sort_keys=False))
    return path


def test_themes_roll_up_a_scorecard(tmp_path: Path) -> None:
    themes = [
        {"id": "a", "title": "Theme A", "rule": "worst", "indicators": IDS[:2]},
        {"id": "b", "title": "Theme B", "rule": "majority", "indicators": IDS[1:3]},
    ]
    catalogue = load_catalogue(_catalogue(tmp_path, themes=themes, activity=IDS[:1]))
    card = pd.DataFrame({"indicator": IDS[:3], "org_unit": "Testshire", "rag": [G, R, None]})
    frame = theme_rollup(card, catalogue)
    assert frame[["theme", "green", "amber", "red", "not_rated", "rag"]].to_dict("records") == [
        {"theme": "a", "green": 1, "amber": 0, "red": 1, "not_rated": 0, "rag": R},
        {"theme": "b", "green": 0, "amber": 0, "red": 1, "not_rated": 1, "rag": R},
    ]
    with pytest.raises(ValueError, match="several org units"):
        theme_rollup(pd.concat([card, card.assign(org_unit="Other")]), catalogue)

    class P:  # the two attributes theme_rollup_html reads
        pass

    params = P()
    params.catalogue = catalogue
    text = theme_rollup_html(frame, params)
    assert text.count('class="rag-red"') == 2 and "Theme A" in text and "the worst rating" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"themes": [{"id": "a", "title": "A", "indicators": ["nope"]}]}, "theme 'a': key 'indicators.0': 'nope'"),
        ({"themes": [{"id": "a", "title": "A", "rule": "average", "indicators": IDS[:1]}]}, "themes.0.rule"),
        ({"themes": [{"id": "a", "title": "A", "indicators": []}]}, "themes.0.indicators"),
        (
            {
                "themes": [
                    {
                        "id": "a",
                        "title": "A",
                        "rule": "share",
                        "red_share": 0.2,
                        "amber_share": 0.4,
                        "indicators": IDS[:1],
                    }
                ]
            },
            "amber_share",
        ),
        (
            {
                "themes": [
                    {"id": "a", "title": "A", "indicators": IDS[:1]},
                    {"id": "a", "title": "B", "indicators": IDS[:1]},
                ]
            },
            "theme 'a': key 'id': 'a' is used twice",
        ),
        ({"activity": ["referrals_typo"]}, "key 'activity.0': 'referrals_typo' is not an indicator"),
    ],
)
def test_bad_themes_and_activity_name_file_and_key(tmp_path: Path, extra: dict, message: str) -> None:
    path = _catalogue(tmp_path, **extra)
    with pytest.raises(ParamsError) as caught:
        load_catalogue(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_themes_roll_up_to_their_outcome_by_its_rule(tmp_path: Path) -> None:
    raw = dict(BASE)
    raw["outcomes"] = [{"id": "safe", "title": "Children are safe", "rule": "mean"}, {"id": "other", "title": "O"}]
    raw["themes"] = [
        {"id": "a", "title": "A", "indicators": [IDS[0]], "outcome": "safe"},
        {"id": "b", "title": "B", "indicators": [IDS[1]], "outcome": "safe"},
        {"id": "c", "title": "C", "indicators": [IDS[2]]},
    ]
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    catalogue = load_catalogue(path)
    themes = pd.DataFrame({"theme": ["a", "b", "c"], "rag": [G, R, R]})
    outcomes = outcome_rollup(themes, catalogue).set_index("outcome")
    assert outcomes.loc["safe", "themes"] == ["a", "b"] and outcomes.loc["safe", "rag"] == A  # (3 + 1) / 2
    assert outcomes.loc["other", "rag"] is None and outcomes.loc["other", "not_rated"] == 0  # no theme


def test_a_theme_naming_an_unknown_outcome_is_refused(tmp_path: Path) -> None:
    raw = dict(BASE)
    raw["themes"] = [{"id": "a", "title": "A", "indicators": [IDS[0]], "outcome": "nowhere"}]
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ParamsError, match="theme 'a': key 'outcome': 'nowhere' is not an outcome id"):
        load_catalogue(path)
