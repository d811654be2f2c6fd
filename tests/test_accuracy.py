"""Regression guard for the automatic verdicts: the labelled fixture portals (tests/fixtures/) are crawled
and assessed for real (bench.accuracy.measure, no live-browser probes), and the agreement with the labels,
the coverage and the number of false `met` verdicts must not get worse than what was reached.

Floors sit a little under the values measured when they were set (no probes, 2026-11, second round):
agreement 100.0 %, coverage 83.3 %, 0 false met (label 0, machine met); with probes 100.0 % and 88.9 %.
The technology indicators that need the live browser (#204, #206, #208-#210) are undecided without probes,
which lowers coverage only.
"""

from __future__ import annotations

import pytest

from bench.accuracy import AccuracyReport, measure

AGREEMENT_FLOOR = 0.98
COVERAGE_FLOOR = 0.82
MAX_FALSE_MET = 1
# The traps of tests/fixtures/README.md: label-0 indicators a naive keyword match would call met.
TRAPS = {
    "tbilisi-cms-ka": ("275", "235", "236", "237", "259", "287", "218", "279"),
    "samarqand-table-uz": ("295", "271", "205", "222", "237", "285"),
    "almaty-spa-kk": ("279", "216", "234", "270a"),
    "chisinau-ro": ("212", "279", "294", "269b"),
}

# Traps still sprung when the floors were set (to be fixed, not to be added to): none since the second round
# (the service catalogue rule now reads the service-details concept).
KNOWN_OPEN: set[tuple[str, str]] = set()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> AccuracyReport:
    return measure(probes=False, work_dir=tmp_path_factory.mktemp("accuracy"))


def test_every_labelled_portal_was_assessed(report: AccuracyReport) -> None:
    assert set(report.by_portal) == set(TRAPS)
    for portal, tally in report.by_portal.items():
        assert tally.labelled >= 85, portal
        assert tally.decided > 0, f"{portal}: nothing decided (crawl or assess failed)"


def test_agreement_and_coverage_do_not_fall(report: AccuracyReport) -> None:
    overall = report.overall
    assert overall.agreement >= AGREEMENT_FLOOR, (overall.agreement, report.disagreements)
    assert overall.coverage >= COVERAGE_FLOOR, overall.coverage


def test_false_met_stay_rare(report: AccuracyReport) -> None:
    false_met = [d for d in report.disagreements if d.label == 0 and d.verdict == "met"]
    assert len(false_met) <= MAX_FALSE_MET, [(d.portal, d.indicator, d.explanation) for d in false_met]


def test_no_trap_is_a_false_met(report: AccuracyReport) -> None:
    false_met = {(d.portal, d.indicator) for d in report.disagreements if d.label == 0 and d.verdict == "met"}
    sprung = [
        (portal, code)
        for portal, codes in TRAPS.items()
        for code in codes
        if (portal, code) in false_met and (portal, code) not in KNOWN_OPEN
    ]
    assert not sprung, sprung
