"""`losi country`: assess one or more country bundles (country.yaml) against a national catalog (OSI)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawler.scope import host_of, is_private_host
from losi.bundle import load_bundle

EPILOG = """\
examples:
  losi country uzbekistan.yaml --out reports/uzb
  losi country uzbekistan.yaml --max-pages 200 --no-probes   # 200 pages per site, no browser checks
  losi country uzb.yaml geo.yaml --out reports/2026           # several countries in one run
  losi country uzbekistan.yaml --from-run 20261123-101500-ab12  # re-assess the captures, no crawl

country.yaml (the shape of the UN Member State Questionnaire):
  country: UZB                      # ISO 3166 alpha-3
  name: Republic of Uzbekistan
  languages: [uz, ru, en]
  framework: osi-2024
  portals:
    national: https://gov.uz/
    services: [https://my.gov.uz/]  # one or more
    open_data: https://data.egov.uz/
    participation: https://meningfikrim.uz/
    procurement: https://xarid.uzex.uz/
  ministries:                       # health, education, employment, social_protection, environment, justice
    health: https://ssv.uz/
    education: https://uzedu.uz/
  other: [https://lex.uz/]          # further official sites to crawl
  limits: {max_pages: 300, max_seconds: 600}   # per site

writes findings.csv, findings.json, scores.csv, report.xlsx and report.html into --out, with portal = the
country code; every evidence item names the site it came from. A site that cannot be reached makes the items
looked for on it not_assessed, with the reason; the other sites are still assessed.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from losi.cli import _add_run_options

    parser.description = "Crawl every site of a country bundle and assess the country against the OSI items."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("bundles", nargs="+", type=Path, metavar="country.yaml", help="country bundle file(s)")
    parser.add_argument("--max-pages", type=int, default=None, help="page cap per site (default: the bundle's, or 300)")
    parser.add_argument("--max-seconds", type=int, default=None, help="crawl time cap per site (default: 600)")
    parser.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private/loopback addresses (automatic for the sites a bundle names on such addresses)",
    )
    _add_run_options(parser, "out")


def run(args: argparse.Namespace) -> int:
    from losi.cli import UsageError, _finish, _run_options
    from losi.pipeline import run_assessment

    if (args.max_pages is not None and args.max_pages < 1) or (args.max_seconds is not None and args.max_seconds < 1):
        raise UsageError("--max-pages and --max-seconds must be at least 1")
    portals = []
    for path in args.bundles:
        portal = load_bundle(path)
        if args.max_pages is not None:
            portal.limits.max_pages = args.max_pages
        if args.max_seconds is not None:
            portal.limits.max_seconds = args.max_seconds
        private = sorted({host_of(s["url"]) for s in portal.sites if is_private_host(host_of(s["url"]))})
        if private and not (portal.allow_private or args.allow_private):
            print(f"note: {', '.join(private)} is a private or loopback address; crawling it as the bundle names it",
                  file=sys.stderr)  # fmt: skip
        portal.allow_private = portal.allow_private or args.allow_private or bool(private)
        portals.append(portal)
    return _finish(run_assessment(portals, _run_options(args)))
