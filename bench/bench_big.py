"""`make bench-big`: labelled portals grown past 5,000 pages with news, galleries and archives.

    .venv/bin/python -m bench.bench_big [--news 5000] [--probes] [--portals chisinau-ro,samarqand-table-uz]

Each labelled fixture portal (tests/fixtures) is assessed twice at the default page budget: as it is, and
grown with --news neutral news items (plus their paginated listings and photo galleries, all listed first
in sitemap.xml and the ten latest linked from the home page, as CMS portals do), written in the portal's
language with its own words that name no concept. Prints, per portal and
in total, agreement and coverage against the labels for both, the pages fetched by class (crawl.json),
and every indicator whose verdict differs. The filler names no concept, so the verdicts should not move.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import yaml

from bench.accuracy import FIXTURES, Tally, compare
from bench.grow import add_filler, neutral_words
from losi.layout import portal_files
from losi.localserve import LocalServer
from losi.models import Finding, PortalConfig
from losi.pipeline import RunOptions, run_assessment
from losi.store import Store

DEFAULT_PORTALS = ("chisinau-ro", "samarqand-table-uz", "tbilisi-cms-ka")


def _assess(site: Path, labels: dict, work: Path, probes: bool) -> tuple[dict[str, Finding], dict]:
    server = LocalServer(site)
    try:
        portal = PortalConfig(id=labels["portal"], home_url=server.url + labels.get("home", ""),
                              languages=list(labels.get("languages", [])), allow_private=True,
                              framework=labels.get("framework", "losi-2024"))  # fmt: skip
        outcome = run_assessment([portal], RunOptions(out_dir=work / "out", data_dir=work / "data", probes=probes,
                                                      formats=("csv",), progress=lambda line: None))  # fmt: skip
    finally:
        server.close()
    store = Store(data_dir=work / "data")
    try:
        findings = {s.finding.indicator: s.finding for s in store.findings(outcome.run_id, portal.id)}
    finally:
        store.close()
    crawl = json.loads(portal_files(work / "data", outcome.run_id, portal.id).crawl_summary.read_text("utf-8"))
    return findings, crawl


def _row(name: str, tally: Tally) -> str:
    return f"{name:<34} {tally.labelled:>8} {tally.decided:>8} {tally.agreement:>10.1%} {tally.coverage:>9.1%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=5000)
    parser.add_argument("--probes", action="store_true", help="run the live-browser probes too (slower)")
    parser.add_argument("--portals", default=",".join(DEFAULT_PORTALS))
    args = parser.parse_args(argv)
    total = {"as is": Tally(), "grown": Tally()}
    print(f"{'':<34} {'labelled':>8} {'decided':>8} {'agreement':>10} {'coverage':>9}")
    with tempfile.TemporaryDirectory(prefix="losi-bench-big-") as tmp:
        for name in [p.strip() for p in args.portals.split(",") if p.strip()]:
            labels = yaml.safe_load((FIXTURES / "labels" / f"{name}.yaml").read_text(encoding="utf-8"))
            plain_site = Path(tmp) / name / "plain"
            shutil.copytree(FIXTURES / "portals" / name, plain_site)
            grown_site = Path(tmp) / name / "grown"
            shutil.copytree(plain_site, grown_site)
            home = labels.get("home", "") or "index.html"
            language = (labels.get("languages") or ["en"])[0]
            filler = add_filler(grown_site, news=args.news, home=home, lang=language, words=neutral_words(plain_site))
            pages = sum(1 for _ in grown_site.rglob("*.html"))
            results = {}
            for variant, site in (("as is", plain_site), ("grown", grown_site)):
                findings, crawl = _assess(site, labels, Path(tmp) / name / f"work-{variant}", args.probes)
                report = compare({name: labels}, {name: findings}, labels.get("framework", "losi-2024"))
                total[variant].labelled += report.overall.labelled
                total[variant].decided += report.overall.decided
                total[variant].agree += report.overall.agree
                results[variant] = (findings, crawl, report)
                print(_row(f"{name} {variant}", report.overall))
            crawl = results["grown"][1]
            focus = crawl.get("focus", {})
            print(f"  grown: {pages} pages on the site ({len(filler)} filler), {crawl.get('pages')} fetched of "
                  f"{focus.get('max_pages')}: {focus.get('pages_by_class')}")  # fmt: skip
            before, after = results["as is"][0], results["grown"][0]
            moved = [code for code in before if code in after and before[code].verdict != after[code].verdict]
            for code in moved:
                print(f"  #{code}: {before[code].verdict.value} -> {after[code].verdict.value}: "
                      f"{after[code].explanation[:150]}")  # fmt: skip
            print(f"  verdicts changed by the filler: {len(moved)} of {len(before)}")
    print(_row("ALL as is", total["as is"]))
    print(_row("ALL grown", total["grown"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
