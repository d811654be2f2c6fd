"""Scoring: effective verdicts, criterion and overall scores, bands and denominators from the catalog."""

from __future__ import annotations

import pytest

from indicators.catalog import available_catalogs, load_catalog
from losi.models import Verdict
from losi.store import Review
from outputs.collect import ReportError, collect_run, resolve_run_id
from outputs.scoring import score_portal, scores_frame
from tests.test_export_support import CITY_INDICATORS, build_store, catalogs, write_catalog


def test_criterion_and_overall_scores_follow_the_catalog(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    report = collect_run(store, run_id, cats)
    city = next(p for p in report.portals if p.portal_id == "tashkent")
    s = city.score
    # IF: 281, 215 met of 2; CP: 296 met of 4; TECH: 214, 206 met of 4
    assert [(c.criterion, c.met, c.total) for c in s.criteria] == [("IF", 2, 2), ("CP", 1, 4), ("TECH", 2, 4)]
    assert s.criterion("IF").band == "Very High"
    assert s.criterion("CP").score == pytest.approx(0.25) and s.criterion("CP").band == "Low"
    assert s.criterion("TECH").band == "Middle"
    assert (s.overall.met, s.overall.total) == (5, 10)
    assert s.index == pytest.approx(0.5) and s.band == "Middle"  # 0.5 is not above 0.5
    assert s.counts == {"met": 5, "not_met": 3, "needs_review": 1, "not_applicable": 1, "not_assessed": 0}
    assert s.decided == 8
    down = next(p for p in report.portals if p.portal_id == "down")
    assert down.score.index == 0 and down.score.counts["not_assessed"] == len(CITY_INDICATORS)


def test_denominator_setting_changes_only_the_overall(tmp_path):
    store, run_id, _ = build_store(tmp_path)
    cats = catalogs(tmp_path, denominator=11)
    city = next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == "tashkent")
    assert city.score.overall.total == 11
    assert city.score.index == pytest.approx(5 / 11)
    assert city.score.criterion("CP").total == 4


def test_bands_come_from_the_catalog_not_from_code(tmp_path):
    cat = write_catalog(tmp_path / "c.yaml", "c", "city", CITY_INDICATORS)
    raw = (tmp_path / "c.yaml").read_text().replace("above: 0.75", "above: 0.4")
    (tmp_path / "c.yaml").write_text(raw)
    from indicators.catalog import parse_catalog

    shifted = parse_catalog(tmp_path / "c.yaml")
    verdicts = {code: Verdict.MET for code, _, _ in CITY_INDICATORS[:5]}
    assert score_portal(cat, "p", verdicts).band == "Middle"
    assert score_portal(shifted, "p", verdicts).band == "Very High"


def test_not_applicable_counts_as_zero_unless_excluded(tmp_path):
    cat = write_catalog(tmp_path / "c.yaml", "c", "city", CITY_INDICATORS)
    verdicts = {code: Verdict.MET for code, _, _ in CITY_INDICATORS[:5]}
    verdicts["225a"] = Verdict.NOT_APPLICABLE
    default = score_portal(cat, "p", verdicts)
    excluded = score_portal(cat, "p", verdicts, exclude_not_applicable=True)
    assert default.overall.total == 10 and default.index == pytest.approx(0.5)
    assert excluded.overall.total == 9 and excluded.index == pytest.approx(5 / 9)
    assert excluded.criterion("TECH").total == 3


def test_reviewer_decision_wins_and_machine_verdict_stays(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    store.add_reviews([
        Review(run_id, "tashkent", "220", "alice", Verdict.MET, "tender page found", "2026-01-02T00:00:00+00:00"),
        Review(run_id, "tashkent", "296", "alice", Verdict.NOT_MET, "old news only", "2026-01-02T00:00:01+00:00"),
        Review(run_id, "tashkent", "296", "bob", Verdict.MET, "news is current", "2026-01-03T00:00:00+00:00"),
    ])
    city = next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == "tashkent")
    by_code = {f.indicator: f for f in city.findings}
    assert by_code["220"].verdict is Verdict.MET and by_code["220"].machine_verdict is Verdict.NEEDS_REVIEW
    assert by_code["220"].method == "review"
    assert by_code["296"].verdict is Verdict.MET and by_code["296"].review.reviewer == "bob"
    assert len(by_code["296"].reviews) == 2
    assert city.score.overall.met == 6


def test_missing_findings_show_as_not_assessed(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    store.save_findings(run_id, "tashkent", "test-city", [])
    city = next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == "tashkent")
    assert [f.indicator for f in city.findings] == [c for c, _, _ in CITY_INDICATORS]
    assert {f.verdict for f in city.findings} == {Verdict.NOT_ASSESSED}


def test_scores_frame_and_run_resolution(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    report = collect_run(store, run_id, cats)
    frame = scores_frame(p.score for p in report.portals)
    assert list(frame.columns) == ["portal", "framework", "criterion", "met", "total", "score", "band"]
    assert (frame["criterion"] == "overall").sum() == 3
    assert resolve_run_id(store, "latest") == run_id
    with pytest.raises(ReportError, match="unknown run"):
        resolve_run_id(store, "nope")
    with pytest.raises(ReportError, match="no catalog"):
        collect_run(store, run_id, {"test-city": cats["test-city"]})


@pytest.mark.skipif("losi-2024" not in available_catalogs(), reason="indicators/catalogs/losi-2024.yaml not there yet")
def test_real_losi_catalog_denominator_and_full_score():
    cat = load_catalog("losi-2024")
    everything = {i.code: Verdict.MET for i in cat.indicators}
    s = score_portal(cat, "p", everything)
    assert s.overall.total == cat.denominator
    assert s.overall.met == len(cat.indicators)
    assert sum(c.total for c in s.criteria) == len(cat.indicators)
    assert all(c.score == 1.0 for c in s.criteria)
    assert s.band == cat.scoring.band(len(cat.indicators) / cat.denominator)
