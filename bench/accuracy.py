"""`make bench-accuracy`: assess labelled portals and compare every verdict with the labels.

Three tables, each per portal and per criterion: the synthetic fixture portals (tests/fixtures/), the real
government sites used for tuning (tests/real/), and the real sites kept out of tuning. Each gives agreement
on decided indicators, coverage (decided / labelled), precision and recall of `met`, and every disagreement
with both sides' evidence. The real sites are assessed as `losi assess URL` would with its defaults (no
languages given); they are rebuilt from their repositories' snapshots (tests/real/build.py) and left out,
with a note, where no snapshot is on the machine.

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
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from indicators.catalog import load_catalog
from losi.config import portal_from_mapping
from losi.localserve import LocalServer, serve_directory
from losi.models import Finding, PortalConfig, Verdict
from losi.pipeline import RunOptions, run_assessment
from losi.store import Store
from tests.real.build import RealSite, available, load_sites

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

    def merge(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

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
    label_note: str = ""


@dataclass
class AccuracyReport:
    overall: Tally = field(default_factory=Tally)
    by_portal: dict[str, Tally] = field(default_factory=dict)
    by_criterion: dict[str, Tally] = field(default_factory=dict)
    criterion_by_portal: dict[tuple[str, str], Tally] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    undecided: list[Disagreement] = field(default_factory=list)  # labelled 1/0, machine undecided
    run_id: str = ""
    data_dir: Path | None = None  # the store and captures of the run


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
                report.criterion_by_portal.setdefault((portal_id, indicator.criterion), Tally()),
            ):
                tally.add(value, verdict)
            if verdict not in DECIDED or (verdict == Verdict.MET) != (value == 1):
                evidence = finding.evidence[0].url if finding and finding.evidence else ""
                (report.disagreements if verdict in DECIDED else report.undecided).append(
                    Disagreement(
                        portal=portal_id,
                        indicator=indicator.code,
                        label=value,
                        verdict=verdict.value,
                        rule=finding.rule if finding else "",
                        explanation=finding.explanation if finding else "",
                        evidence=evidence,
                        label_evidence=str(label.get("evidence", "")),
                        label_note=" ".join(str(label.get(k, "")) for k in ("quote", "looked", "note") if label.get(k)),
                    )
                )
    return report


def _assess(portals: list[PortalConfig], work_dir: Path, probes: bool) -> tuple[str, dict[str, dict[str, Finding]]]:
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
    return outcome.run_id, findings


def measure(fixtures: Path = FIXTURES, probes: bool = True, work_dir: Path | None = None) -> AccuracyReport:
    """The synthetic fixture portals (tests/fixtures/), served side by side from one folder."""
    labels_list = load_labels(fixtures / "labels")
    if not labels_list:
        raise SystemExit(f"no labels in {fixtures / 'labels'}")
    work_dir = work_dir or Path(tempfile.mkdtemp(prefix="losi-accuracy-"))
    with serve_directory(fixtures / "portals") as base:
        run_id, findings = _assess([portal_for(labels, base) for labels in labels_list], work_dir, probes)
    framework = labels_list[0].get("framework", "losi-2024")
    report = compare({labels["portal"]: labels for labels in labels_list}, findings, framework)
    report.run_id, report.data_dir = run_id, work_dir / "data"
    return report


def real_home_url(base: str, site: RealSite) -> str:
    return f"{base}/" if site.home == "index.html" else f"{base}/{site.home}"


def measure_real(
    sites: list[RealSite], probes: bool = True, work_dir: Path | None = None
) -> tuple[AccuracyReport, list[str]]:
    """Real government sites (tests/real/), each served from its own root and assessed with the defaults of
    `losi assess URL`. Returns the report and the ids of the sites that could not be built here."""
    built = available(sites)
    runnable = [s for s in sites if s.id in built and s.labels_file.is_file()]
    missing = [s.id for s in sites if s not in runnable]
    report = AccuracyReport()
    if not runnable:
        return report, missing
    work_dir = work_dir or Path(tempfile.mkdtemp(prefix="losi-accuracy-real-"))
    with ExitStack() as stack:
        portals = []
        for site in runnable:
            server = LocalServer(built[site.id])
            stack.callback(server.close)
            config = portal_from_mapping({"id": site.id, "home_url": real_home_url(server.base, site)}, site.id)
            config.allow_private = True  # as `losi assess` allows the loopback host it was given
            portals.append(config)
        run_id, findings = _assess(portals, work_dir, probes)
    labels = {s.id: yaml.safe_load(s.labels_file.read_text(encoding="utf-8")) for s in runnable}
    report = compare(labels, findings, "losi-2024")
    report.run_id, report.data_dir = run_id, work_dir / "data"
    return report, missing


def _row(name: str, tally: Tally) -> str:
    return (
        f"{name:<24} {tally.labelled:>8} {tally.decided:>8} {tally.agreement:>10.1%} {tally.coverage:>9.1%}"
        f" {tally.precision:>10.1%} {tally.recall:>8.1%}"
    )


def print_report(report: AccuracyReport, title: str = "", undecided: bool = False) -> None:
    columns = ("labelled", 8), ("decided", 8), ("agreement", 10), ("coverage", 9), ("precision", 10), ("recall", 8)
    header = f"{title[:24]:<24}" + "".join(f" {name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    for portal_id, tally in report.by_portal.items():
        print(_row(portal_id, tally))
    print("-" * len(header))
    for criterion, tally in sorted(report.by_criterion.items()):
        print(_row(f"criterion {criterion}", tally))
    print("-" * len(header))
    print(_row("ALL", report.overall))
    groups = [("disagreements", report.disagreements)] + ([("undecided", report.undecided)] if undecided else [])
    for name, items in groups:
        print(f"\n{name} ({len(items)}):")
        for d in items:
            print(
                f"  {d.portal} #{d.indicator}: label {d.label}, machine {d.verdict} [{d.rule}] {d.explanation}"
                f"\n      machine evidence: {d.evidence or '-'}"
                f"\n      label evidence: {d.label_evidence or '-'} {d.label_note}".rstrip()
            )
    print()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from bench.accuracy_osi import wants_osi

    if wants_osi(argv):  # the national catalog: labelled country bundles (bench/accuracy_osi.py)
        from bench.accuracy_osi import main as osi_main

        return osi_main(argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.accuracy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--no-probes", action="store_true", help="skip live-browser checks")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--only", choices=("fixtures", "real"), help="measure one corpus only")
    parser.add_argument("--site", action="append", help="real site(s) to measure (default: all)")
    parser.add_argument("--undecided", action="store_true", help="also list labelled indicators left undecided")
    parser.add_argument("--framework", default="losi-2024", help="osi-2024: the labelled country bundles instead")
    args = parser.parse_args(argv)
    probes = not args.no_probes
    if args.only != "real":
        print_report(measure(args.fixtures, probes=probes), "SYNTHETIC FIXTURES", args.undecided)
    if args.only != "fixtures":
        sites = [s for s in load_sites() if not args.site or s.id in args.site]
        report, missing = measure_real(sites, probes=probes)
        held_out = {s.id for s in sites if s.held_out}
        for title, keep in (("REAL SITES (tuning)", False), ("REAL SITES (held out)", True)):
            part = subset(report, {pid for pid in report.by_portal if (pid in held_out) == keep})
            if part.by_portal:
                print_report(part, title, args.undecided)
        if missing:
            print(f"real sites not measured (no snapshot of their repository here): {', '.join(missing)}")
    return 0


def subset(report: AccuracyReport, portals: set[str]) -> AccuracyReport:
    """The part of a report about some portals, its tallies summed again from the per-portal ones."""
    part = AccuracyReport(run_id=report.run_id, data_dir=report.data_dir)
    part.by_portal = {pid: t for pid, t in report.by_portal.items() if pid in portals}
    part.disagreements = [d for d in report.disagreements if d.portal in portals]
    part.undecided = [d for d in report.undecided if d.portal in portals]
    for tally in part.by_portal.values():
        part.overall.merge(tally)
    for (pid, criterion), tally in report.criterion_by_portal.items():
        if pid in portals:
            part.by_criterion.setdefault(criterion, Tally()).merge(tally)
    return part

if __name__ == "__main__":
    sys.exit(main())
