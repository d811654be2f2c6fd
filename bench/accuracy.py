"""`make bench-accuracy`: assess the labelled fixture portals and compare every verdict with the labels.

Prints per portal and per criterion: agreement on decided indicators, coverage (decided / labelled),
precision and recall of `met`, and every disagreement with its evidence.

    decided      the machine said met or not_met (needs_review / not_assessed are undecided)
    labelled     a person said 1 or 0 (null labels cannot be judged offline and are left out)
    agreement    decided and labelled indicators where the machine matches the label / decided and labelled
    coverage     decided and labelled / labelled
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indicators.catalog import load_catalog
from losi.localserve import serve_directory
from losi.models import Finding, PortalConfig, Verdict
from losi.pipeline import RunOptions, run_assessment
from losi.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DECIDED = (Verdict.MET, Verdict.NOT_MET)


@dataclass
class Tally:
    labelled: int = 0
    decided: int = 0
    agree: int = 0
    true_met: int = 0  # machine met, label 1
    machine_met: int = 0  # machine met (decided and labelled)
    label_met: int = 0  # label 1

    def add(self, label: int, verdict: Verdict) -> None:
        self.labelled += 1
        self.label_met += label == 1
        if verdict not in DECIDED:
            return
        self.decided += 1
        said_met = verdict == Verdict.MET
        self.agree += said_met == (label == 1)
        self.machine_met += said_met
        self.true_met += said_met and label == 1

    @property
    def agreement(self) -> float:
        return self.agree / self.decided if self.decided else 0.0

    @property
    def coverage(self) -> float:
        return self.decided / self.labelled if self.labelled else 0.0

    @property
    def precision(self) -> float:
        return self.true_met / self.machine_met if self.machine_met else 0.0

    @property
    def recall(self) -> float:
        return self.true_met / self.label_met if self.label_met else 0.0


@dataclass
class Disagreement:
    portal: str
    indicator: str
    label: int
    verdict: str
    rule: str
    explanation: str
    evidence: str
    label_evidence: str


@dataclass
class AccuracyReport:
    overall: Tally = field(default_factory=Tally)
    by_portal: dict[str, Tally] = field(default_factory=dict)
    by_criterion: dict[str, Tally] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    run_id: str = ""


def load_labels(labels_dir: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(labels_dir.glob("*.yaml"))]


def portal_for(labels: dict, base: str) -> PortalConfig:
    portal_id = labels["portal"]
    return PortalConfig(
        id=portal_id,
        name=labels.get("name", portal_id),
        home_url=f"{base}/{portal_id}/{labels.get('home', '')}",
        languages=list(labels.get("languages", [])),
        framework=labels.get("framework", "losi-2024"),
        allow_private=True,
    )


def compare(
    labels_by_portal: dict[str, dict], findings: dict[str, dict[str, Finding]], framework: str
) -> AccuracyReport:
    catalog = load_catalog(framework)
    report = AccuracyReport()
    for portal_id, labels in labels_by_portal.items():
        portal_tally = report.by_portal.setdefault(portal_id, Tally())
        for indicator in catalog.indicators:
            label = (labels.get("labels") or {}).get(indicator.code) or {}
            value = label.get("value")
            if value not in (0, 1):
                continue
            finding = findings.get(portal_id, {}).get(indicator.code)
            verdict = finding.verdict if finding else Verdict.NOT_ASSESSED
            for tally in (
                report.overall,
                portal_tally,
                report.by_criterion.setdefault(indicator.criterion, Tally()),
            ):
                tally.add(value, verdict)
            if verdict in DECIDED and (verdict == Verdict.MET) != (value == 1):
                evidence = finding.evidence[0].url if finding and finding.evidence else ""
                report.disagreements.append(
                    Disagreement(
                        portal=portal_id,
                        indicator=indicator.code,
                        label=value,
                        verdict=verdict.value,
                        rule=finding.rule if finding else "",
                        explanation=finding.explanation if finding else "",
                        evidence=evidence,
                        label_evidence=str(label.get("evidence", "")),
                    )
                )
    return report


def measure(fixtures: Path = FIXTURES, probes: bool = True, work_dir: Path | None = None) -> AccuracyReport:
    labels_list = load_labels(fixtures / "labels")
    if not labels_list:
        raise SystemExit(f"no labels in {fixtures / 'labels'}")
    work_dir = work_dir or Path(tempfile.mkdtemp(prefix="losi-accuracy-"))
    with serve_directory(fixtures / "portals") as base:
        portals = [portal_for(labels, base) for labels in labels_list]
        outcome = run_assessment(
            portals,
            RunOptions(
                out_dir=work_dir / "out",
                data_dir=work_dir / "data",
                probes=probes,
                formats=("csv", "json"),
                progress=lambda line: print(line, file=sys.stderr),
            ),
        )
    store = Store(data_dir=work_dir / "data")
    findings: dict[str, dict[str, Finding]] = {}
    for stored in store.findings(outcome.run_id):
        findings.setdefault(stored.portal_id, {})[stored.finding.indicator] = stored.finding
    store.close()
    framework = labels_list[0].get("framework", "losi-2024")
    report = compare({labels["portal"]: labels for labels in labels_list}, findings, framework)
    report.run_id = outcome.run_id
    return report


def _row(name: str, tally: Tally) -> str:
    return (
        f"{name:<24} {tally.labelled:>8} {tally.decided:>8} {tally.agreement:>10.1%} {tally.coverage:>9.1%}"
        f" {tally.precision:>10.1%} {tally.recall:>8.1%}"
    )


def print_report(report: AccuracyReport) -> None:
    columns = ("labelled", 8), ("decided", 8), ("agreement", 10), ("coverage", 9), ("precision", 10), ("recall", 8)
    header = f"{'':<24}" + "".join(f" {name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    for portal_id, tally in report.by_portal.items():
        print(_row(portal_id, tally))
    print("-" * len(header))
    for criterion, tally in sorted(report.by_criterion.items()):
        print(_row(f"criterion {criterion}", tally))
    print("-" * len(header))
    print(_row("ALL", report.overall))
    print(f"\ndisagreements ({len(report.disagreements)}):")
    for d in report.disagreements:
        print(
            f"  {d.portal} #{d.indicator}: label {d.label}, machine {d.verdict} [{d.rule}] {d.explanation}"
            f"\n      machine evidence: {d.evidence or '-'}; label evidence: {d.label_evidence or '-'}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.accuracy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--no-probes", action="store_true", help="skip live-browser checks")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)
    report = measure(args.fixtures, probes=not args.no_probes)
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
