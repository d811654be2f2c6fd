"""Scores as the survey computes them (outputs/survey.py) from the osi-2024 catalog's survey block."""

from __future__ import annotations

import pytest

from indicators.catalog import load_catalog
from losi.models import Verdict
from outputs.survey import survey_score


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("osi-2024")


def test_the_catalog_says_what_the_survey_scores_and_why(catalog) -> None:
    survey = catalog.national.survey
    assert survey.subindices == ("IF", "CP", "SP", "EPI", "TECH") and survey.epi == "EPI"
    assert "NOT found" in survey.weights_doubt and "NOT found" in survey.reference.doubt
    assert [layer.code for layer in survey.epi_layers] == ["information", "consultation", "decision"]
    epi = [i for i in catalog.indicators if i.criterion == "EPI"]
    assert all(i.layer for i in epi) and not any(i.layer for i in catalog.indicators if i.criterion != "EPI")
    assert {s.code for s in catalog.national.sectors} == {"health", "education", "employment", "social_protection",
                                                          "environment", "justice"}  # fmt: skip
    sectors = catalog.national.sectors
    per_sector = {s.code: {i.family for i in catalog.indicators if i.sector == s.code} for s in sectors}
    families = {f.code for f in catalog.national.families}
    assert all(found == families for found in per_sector.values()), per_sector


def test_nothing_met_is_zero_and_everything_met_is_one(catalog) -> None:
    none = survey_score(catalog, {}, "UZB")
    every = survey_score(catalog, {i.code: Verdict.MET for i in catalog.indicators}, "UZB")
    assert none is not None and every is not None
    assert none.estimated_osi == 0.0 and none.estimated_epi == 0.0 and none.epi_points == 0
    assert none.pending == sum(1 for i in catalog.indicators if i.criterion != "EGL")  # all undecided, counted 0
    assert every.estimated_osi == 1.0 and every.estimated_epi == 1.0
    assert every.epi_points == every.epi_max_points == sum(1 for i in catalog.indicators if i.criterion == "EPI")
    assert [s.code for s in every.outside] == ["EGL"]


def test_subindices_weigh_equally_not_by_item_count(catalog) -> None:
    # every TECH item met, nothing else: TECH is one fifth of the estimate, though it has 16 of 164 OSI items
    verdicts = {i.code: Verdict.MET for i in catalog.indicators if i.criterion == "TECH"}
    score = survey_score(catalog, verdicts, "GEO")
    tech = next(s for s in score.subindices if s.code == "TECH")
    assert tech.share == 1.0 and tech.weight == 0.2
    assert score.estimated_osi == pytest.approx(0.2)
    assert {year: round(p.osi, 4) for year, p in score.published.items()} == {2024: 0.5652, 2022: 0.6111}


def test_epi_layers_count_raw_points(catalog) -> None:
    consultation = [i.code for i in catalog.indicators if i.layer == "consultation"]
    verdicts = {code: Verdict.MET for code in consultation[:5]}
    verdicts.update({code: Verdict.NOT_MET for code in consultation[5:]})
    score = survey_score(catalog, verdicts, "XXX")
    layers = {s.code: s for s in score.epi_layers}
    assert layers["consultation"].met == 5 and layers["consultation"].pending == 0
    assert layers["information"].met == 0 and layers["decision"].met == 0
    assert score.epi_points == 5 and score.published == {}
    rows = {r["measure"]: r for r in score.rows("XXX")}
    assert rows["EPI E-consultation (raw points)"]["points"] == 5
    assert rows["OSI (estimate)"]["value"] == round(score.estimated_osi, 4)


def test_a_losi_catalog_has_no_survey_score() -> None:
    assert survey_score(load_catalog("losi-2024"), {}) is None
