"""Catalogue loading: valid files load, bad ones fail naming the file, indicator and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from csc_workbench.cli import main
from csc_workbench.config import load_params
from csc_workbench.config.catalogue import load_catalogue
from csc_workbench.config.errors import ParamsError
from csc_workbench.measures.annex_a import check_measures
from csc_workbench.periods import parse_month

from ..conftest import FIXTURES, ROOT

BASE = yaml.safe_load((FIXTURES / "small" / "catalogue.yml").read_text())


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def with_indicator(**changes) -> dict:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["indicators"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"polarity": "higher"}, "polarity", "Input should be"),
        ({"unit": "pounds"}, "unit", "Input should be"),
        ({"area": "nowhere"}, "area", "'nowhere' is not one of the areas"),
        ({"targets": {"2017-19": {"target": 1}}}, "targets", "not a financial year"),
        (
            {"targets": {"2017-18": {"target": 22, "rag": {"style": "thresholds", "red": "> 27", "green": "<= 25"}}}},
            "targets.2017-18.rag",
            "no band holds the value",
        ),
        (
            {
                "targets": {
                    "2017-18": {
                        "rag": {"style": "thresholds", "red": ">= 27", "amber": "22 < x <= 27", "green": "<= 22"}
                    }
                }
            },
            "targets.2017-18.rag",
            "overlaps",
        ),
        (
            {"targets": {"2017-18": {"rag": {"style": "thresholds", "red": "< 22", "green": ">= 22"}}}},
            "targets.2017-18.rag",
            "lower is better, but the red band (< 22) is not above green",
        ),
        (
            {"targets": {"2017-18": {"rag": {"style": "tolerance", "green": 5}}}},
            "targets.2017-18.rag",
            "tolerance bands need a target",
        ),
        (
            {"targets": {"2017-18": {"rag": {"style": "thresholds", "red": "above 27", "green": "<= 27"}}}},
            "targets.2017-18.rag",
            "not understood",
        ),
        ({"targets": {"2017-18": {"rag": {"style": "sometimes"}}}}, "targets.2017-18.rag", "does not match any"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
        ({"measure": "Re-referrals"}, "measure", "String should match pattern"),
    ],
)
def test_bad_catalogue_names_file_indicator_and_key(tmp_path: Path, change: dict, key: str, fragment: str) -> None:
    path = write(tmp_path, with_indicator(**change))
    with pytest.raises(ParamsError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    assert str(path) in message
    assert "indicator 'rereferrals'" in message
    assert f"key '{key}'" in message
    assert fragment in message


def test_duplicate_ids_and_monitor_with_bands_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["indicators"].append(dict(data["indicators"][0]))
    with pytest.raises(ParamsError, match="'rereferrals' is used twice"):
        load_catalogue(write(tmp_path, data))
    monitor = with_indicator(polarity="none")
    with pytest.raises(ParamsError, match="polarity is none"):
        load_catalogue(write(tmp_path, monitor))


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yml"
    path.write_text("indicators: [\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_catalogue(path)
    with pytest.raises(ParamsError, match="file not found"):
        load_catalogue(tmp_path / "none.yml")


def test_targets_apply_from_their_financial_year_until_replaced(small_params) -> None:
    ind = small_params.catalogue["rereferrals"]
    assert ind.target_for(parse_month("2016-03")) is None  # before the first entry
    assert ind.target_for(parse_month("2016-04")) == 25
    assert ind.target_for(parse_month("2017-03")) == 25
    assert ind.target_for(parse_month("2017-04")) == 22  # Kent-style change in April
    assert ind.target_for(parse_month("2019-01")) == 22
    assert ind.rate(23.0, parse_month("2017-03")).value == "green"
    assert ind.rate(23.0, parse_month("2017-04")).value == "amber"


@pytest.mark.parametrize("folder", ["params", "params/examples/kent"])
def test_shipped_params_load(folder: str) -> None:
    params = load_params(ROOT / folder)
    assert len(params.catalogue.indicators) >= 40
    assert params.authority.org_units.level == "authority"


def test_cscw_check_refuses_an_unknown_measure_naming_file_indicator_and_key(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "authority.yml").write_text((FIXTURES / "small" / "authority.yml").read_text())
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["indicators"][1]["measure"] = "referals"
    path = folder / "catalogue.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["check", "--params", str(folder)]) == 2
    error = capsys.readouterr().err
    assert f"{path}: indicator 'referrals': key 'measure': 'referals' is not an Annex A measure" in error
    assert "known measures: contacts, contacts_to_referral, referrals, referrals_to_assessment," in error
    data["indicators"][1]["measure"] = "referrals"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["check", "--params", str(folder)]) == 0
    assert "1 of them computed from Annex A" in capsys.readouterr().out


@pytest.mark.parametrize("folder", ["params", "params/examples/kent"])
def test_shipped_catalogues_name_known_measures(folder: str) -> None:
    catalogue = load_params(ROOT / folder).catalogue
    check_measures(catalogue, folder)
    assert sum(i.measure is not None for i in catalogue.indicators) >= 30


def test_the_standard_catalogue_says_annex_a_where_a_measure_computes_it() -> None:
    """data_notes.source "Annex A list N" and a measure: go together."""
    for indicator in load_params(ROOT / "params").catalogue.indicators:
        from_annex_a = (indicator.data_notes.source or "").startswith("Annex A")
        assert from_annex_a == (indicator.measure is not None), indicator.id
