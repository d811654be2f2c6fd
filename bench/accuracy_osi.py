"""`python -m bench.accuracy --framework osi-2024`: assess the labelled country bundles and compare every verdict
with the labels.

The bundles (tests/fixtures/countries/) are served on 127.0.0.1, one port per site (losi/bundleserve.py), and
assessed as `losi country` would. Tables per bundle, per subindex and per sector give agreement on decided
items, coverage (decided / labelled), precision and recall of `met`; then every disagreement with both sides'
evidence. Bundles marked `held_out: true` (kept out of tuning) are reported apart.

    decided      the machine said met or not_met (needs_review / not_assessed are undecided)
    labelled     a person said 1 or 0 (null labels cannot be judged offline and are left out)
    agreement    decided and labelled items where the machine matches the label / decided and labelled
    coverage     decided and labelled / labelled
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.accuracy import DECIDED, Disagreement, Tally
from indicators.catalog import load_catalog
from losi.bundle import load_bundle
from losi.bundleserve import serve_country
from losi.models import Finding, Verdict
from losi.pipeline import RunOptions, run_assessment
from losi.store import Store

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ROOT / "tests" / "fixtures" / "countries"
FRAMEWORK = "osi-2024"


@dataclass
class BundleLabels:
    bundle: str
    country: str
    held_out: bool
    labels: dict[str, dict]


@dataclass
class OsiReport:
    overall: Tally = field(default_factory=Tally)
    by_bundle: dict[str, Tally] = field(default_factory=dict)
    by_criterion: dict[str, Tally] = field(default_factory=dict)
    by_sector: dict[str, Tally] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    undecided: list[Disagreement] = field(default_factory=list)
    run_id: str = ""
    data_dir: Path | None = None
    findings: dict[str, dict[str, Finding]] = field(default_factory=dict)  # country -> code -> finding


def wants_osi(argv: Sequence[str]) -> bool:
    """Does a bench.accuracy command line ask for the national catalog?"""
    for i, arg in enumerate(argv):
        if arg == "--framework" and i + 1 < len(argv):
            return argv[i + 1] != "losi-2024"
        if arg.startswith("--framework="):
            return arg.split("=", 1)[1] != "losi-2024"
    return False


def load_labels(countries: Path = COUNTRIES) -> list[BundleLabels]:
    out = []
    for path in sorted((countries / "labels").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        country_yaml = yaml.safe_load((countries / data["bundle"] / "country.yaml").read_text(encoding="utf-8"))
        portal = str(country_yaml.get("id") or str(country_yaml["country"]).strip().upper())  # the stored portal id
        out.append(BundleLabels(data["bundle"], portal, bool(data.get("held_out")), data["labels"]))
    return out


def compare(labelled: list[BundleLabels], findings: dict[str, dict[str, Finding]]) -> OsiReport:
    catalog = load_catalog(FRAMEWORK)
    report = OsiReport()
    for bundle in labelled:
        tally = report.by_bundle.setdefault(bundle.bundle, Tally())
        found = findings.get(bundle.country, {})
        for indicator in catalog.indicators:
            label = bundle.labels.get(indicator.code) or {}
            value = label.get("value")
            if value not in (0, 1):
                continue
            finding = found.get(indicator.code)
            verdict = finding.verdict if finding else Verdict.NOT_ASSESSED
            tallies = [report.overall, tally, report.by_criterion.setdefault(indicator.criterion, Tally())]
            if indicator.sector:
                tallies.append(report.by_sector.setdefault(indicator.sector, Tally()))
            for t in tallies:
                t.add(value, verdict)
            if verdict in DECIDED and (verdict == Verdict.MET) == (value == 1):
                continue
            first = finding.evidence[0] if finding and finding.evidence else None
            (report.disagreements if verdict in DECIDED else report.undecided).append(Disagreement(
                portal=bundle.bundle, indicator=indicator.code, label=value, verdict=verdict.value,
                rule=finding.rule if finding else "", explanation=finding.explanation if finding else "",
                evidence=f"[{first.site}] {first.url}" if first else "", label_evidence=str(label.get("evidence", "")),
                label_note=str(label.get("note", "")),
            ))  # fmt: skip
    return report


def measure(
    countries: Path = COUNTRIES,
    probes: bool = True,
    work_dir: Path | None = None,
    only: str | None = None,
    bundles: set[str] | None = None,
) -> OsiReport:
    """Serve and assess the labelled bundles (only: "tuning" or "held-out", or the bundles named), one run."""
    labelled = [b for b in load_labels(countries) if only is None or (only == "held-out") == b.held_out]
    labelled = [b for b in labelled if bundles is None or b.bundle in bundles]
    if not labelled:
        raise SystemExit(f"no labelled bundles in {countries / 'labels'}")
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="losi-accuracy-osi-"))
    with ExitStack() as stack:
        portals = [load_bundle(stack.enter_context(serve_country(countries / b.bundle, work_dir / "bundles")))
                   for b in labelled]  # fmt: skip
        outcome = run_assessment(portals, RunOptions(
            out_dir=work_dir / "out", data_dir=work_dir / "data", probes=probes, formats=("json", "xlsx", "html"),
            progress=lambda line: print(line, file=sys.stderr),
        ))  # fmt: skip
    store = Store(data_dir=work_dir / "data")
    findings: dict[str, dict[str, Finding]] = {}
    for stored in store.findings(outcome.run_id):
        findings.setdefault(stored.portal_id, {})[stored.finding.indicator] = stored.finding
    store.close()
    report = compare(labelled, findings)
    report.run_id, report.data_dir, report.findings = outcome.run_id, work_dir / "data", findings
    return report


def subset(report: OsiReport, bundles: set[str], labelled: list[BundleLabels]) -> OsiReport:
    """The part of a report about some bundles (compared again from the run's findings)."""
    part = compare([b for b in labelled if b.bundle in bundles], report.findings)
    part.run_id, part.data_dir, part.findings = report.run_id, report.data_dir, report.findings
    return part


def _row(name: str, tally: Tally) -> str:
    return (f"{name:<26} {tally.labelled:>8} {tally.decided:>8} {tally.agreement:>10.1%} {tally.coverage:>9.1%}"
            f" {tally.precision:>10.1%} {tally.recall:>8.1%}")  # fmt: skip


def print_report(report: OsiReport, title: str, undecided: bool = False) -> None:
    columns = ("labelled", 8), ("decided", 8), ("agreement", 10), ("coverage", 9), ("precision", 10), ("recall", 8)
    header = f"{title[:26]:<26}" + "".join(f" {name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    for name, tally in report.by_bundle.items():
        print(_row(f"bundle {name}", tally))
    print("-" * len(header))
    for code, tally in report.by_criterion.items():
        print(_row(f"subindex {code}", tally))
    print("-" * len(header))
    for code, tally in report.by_sector.items():
        print(_row(f"sector {code}", tally))
    print("-" * len(header))
    print(_row("ALL", report.overall))
    groups = [("disagreements", report.disagreements)] + ([("undecided", report.undecided)] if undecided else [])
    for name, items in groups:
        print(f"\n{name} ({len(items)}):")
        for d in items:
            print(f"  {d.portal} #{d.indicator}: label {d.label}, machine {d.verdict} [{d.rule}] {d.explanation[:300]}"
                  f"\n      machine evidence: {d.evidence or '-'}"
                  f"\n      label evidence: {d.label_evidence or '-'} {d.label_note}".rstrip())  # fmt: skip
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy --framework osi-2024", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--framework", default=FRAMEWORK, choices=(FRAMEWORK,))
    parser.add_argument("--no-probes", action="store_true", help="skip the live-browser checks of the national portals")
    parser.add_argument("--countries", type=Path, default=COUNTRIES)
    parser.add_argument("--only", choices=("tuning", "held-out"), help="measure one group of bundles only")
    parser.add_argument("--bundle", action="append", help="bundle(s) to measure (default: all)")
    parser.add_argument("--undecided", action="store_true", help="also list labelled items left undecided")
    args = parser.parse_args(argv)
    labelled = load_labels(args.countries)
    report = measure(args.countries, probes=not args.no_probes, only=args.only,
                     bundles=set(args.bundle) if args.bundle else None)  # fmt: skip
    for title, held in (("TUNING BUNDLES", False), ("HELD-OUT BUNDLES", True)):
        names = {b.bundle for b in labelled if b.held_out == held and b.bundle in report.by_bundle}
        if names:
            print_report(subset(report, names, labelled), title, args.undecided)
    print(f"run {report.run_id}, store and reports in {report.data_dir.parent if report.data_dir else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
