"""`make bench-big`: labelled portals grown past 5,000 pages with news, galleries and archives.

    .venv/bin/python -m bench.bench_big [--news 5000] [--probes] [--portals chisinau-ro,samarqand-table-uz]
    .venv/bin/python -m bench.bench_big --real [--template] [--items post] [--portals crevedia-ro,oqdaryo-uz]

Each labelled fixture portal (tests/fixtures) is assessed twice at the default page budget: as it is, and
grown with --news neutral news items (plus their paginated listings and photo galleries, all listed first
in sitemap.xml and the ten latest linked from the home page, as CMS portals do), written in the portal's
language with its own words that name no concept. Prints, per portal and
in total, agreement and coverage against the labels for both, the pages fetched by class (crawl.json),
and every indicator whose verdict differs. The filler names no concept, so the verdicts should not move.

With --real, the real government sites (tests/real: rebuilt from their repositories' snapshots, those kept
out of tuning too) are grown and assessed instead, as `losi assess URL` does: no languages given. With
--template, each filler page is the home page's template (header, menus, footer) around its text, as a CMS
makes it, instead of a bare page. With --items post, the news items live in a folder whose name says nothing
of news (/post/00001-slug.html, as many CMSs keep them): the frontier learns they are items from the
listings that link to them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.accuracy import FIXTURES, Tally, compare, real_home_url
from bench.grow import add_filler, neutral_words
from losi.layout import portal_files
from losi.localserve import LocalServer
from losi.models import Finding, PortalConfig
from losi.pipeline import RunOptions, run_assessment
from losi.store import Store
from tests.real.build import available, load_sites

DEFAULT_PORTALS = ("chisinau-ro", "samarqand-table-uz", "tbilisi-cms-ka")


@dataclass(frozen=True)
class Subject:
    """A labelled portal to grow: where its pages are, its home page, and the languages it is assessed in."""

    name: str
    pages: Path
    labels: dict
    home: str  # "" or "index.html": the site's root
    languages: tuple[str, ...]  # given to the assessment ("" = found by the tool, as `losi assess URL` does)
    filler_language: str


def fixture_subject(name: str) -> Subject:
    labels = yaml.safe_load((FIXTURES / "labels" / f"{name}.yaml").read_text(encoding="utf-8"))
    languages = tuple(labels.get("languages") or ())
    return Subject(name, FIXTURES / "portals" / name, labels, labels.get("home", ""), languages,
                   (languages or ("en",))[0])  # fmt: skip


def real_subjects(names: list[str]) -> tuple[list[Subject], list[str]]:
    """The real sites named (all when none is) that can be rebuilt here, and the names of those that cannot."""
    sites = [s for s in load_sites() if not names or s.id in names]
    built = available(sites)
    subjects = [
        Subject(
            s.id, built[s.id], yaml.safe_load(s.labels_file.read_text(encoding="utf-8")),
            real_home_url("", s).lstrip("/"), (), (s.languages or ("en",))[0],
        )
        for s in sites
        if s.id in built and s.labels_file.is_file()
    ]
    return subjects, [s.id for s in sites if s.id not in {subject.name for subject in subjects}]


def _assess(subject: Subject, site: Path, work: Path, probes: bool) -> tuple[dict[str, Finding], dict]:
    server = LocalServer(site)
    try:
        portal = PortalConfig(id=subject.name, home_url=f"{server.url}{subject.home}",
                              languages=list(subject.languages), allow_private=True,
                              framework=subject.labels.get("framework", "losi-2024"))  # fmt: skip
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
    parser.add_argument("--portals", help=f"comma-separated (default: {','.join(DEFAULT_PORTALS)}; all with --real)")
    parser.add_argument("--real", action="store_true", help="grow the real sites of tests/real instead")
    parser.add_argument("--template", action="store_true",
                        help="filler pages carry the home page's header, menus and footer (as a CMS makes them)")
    parser.add_argument("--items", default="", metavar="FOLDER",
                        help="the news items' folder, e.g. post (default: novosti/<year>, a path that names news)")
    args = parser.parse_args(argv)
    names = [p.strip() for p in (args.portals or "").split(",") if p.strip()]
    if args.real:
        subjects, missing = real_subjects(names)
        if missing:
            print(f"real sites not measured (no snapshot of their repository here): {', '.join(missing)}")
    else:
        subjects = [fixture_subject(name) for name in names or DEFAULT_PORTALS]
    total = {"as is": Tally(), "grown": Tally()}
    print(f"{'':<34} {'labelled':>8} {'decided':>8} {'agreement':>10} {'coverage':>9}")
    with tempfile.TemporaryDirectory(prefix="losi-bench-big-") as tmp:
        for subject in subjects:
            name, labels = subject.name, subject.labels
            plain_site = Path(tmp) / name / "plain"
            shutil.copytree(subject.pages, plain_site)
            grown_site = Path(tmp) / name / "grown"
            shutil.copytree(plain_site, grown_site)
            filler = add_filler(grown_site, news=args.news, home=subject.home or "index.html",
                                lang=subject.filler_language, words=neutral_words(plain_site),
                                template=args.template, items=args.items.strip("/"))  # fmt: skip
            pages = sum(1 for _ in grown_site.rglob("*.html"))
            results = {}
            for variant, site in (("as is", plain_site), ("grown", grown_site)):
                findings, crawl = _assess(subject, site, Path(tmp) / name / f"work-{variant}", args.probes)
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
