"""Stage benchmark: one generated portal through every stage, each timed apart, with pages/s.

    .venv/bin/python -m bench.bench_stages [--pages 2000] [--no-probes] [--corpus ../shared/corpora/city-bureau]
        [--delay 0.05]

crawl (Scrapy over 127.0.0.1, politeness off unless --delay, plain HTTP) -> parse (the WARC into page
documents, on every core up to 4 or LOSI_PARSE_WORKERS, each page's concepts matched there too) ->
probes (the live-browser checks of the home and key pages) -> assess (every LOSI 2024 indicator) ->
reports (CSV, JSON, XLSX, HTML from the store). Prints seconds and pages/s per stage and the peak RSS.
Then the crawl again with its pages parsed as it captures them (as `losi run` does): the crawl's time and
the parsing left once it ended.
`make bench` runs it on generated pages (word salad: every page goes to langdetect) and again on real saved
pages (--corpus, cycled up to --pages) when the shared corpora are there.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.rss import TreeSampler
from bench.sitegen import generate_site
from crawler.parse_pool import parse_workers
from crawler.runner import BackgroundCrawl, crawl_portal
from losi.layout import PortalFiles, portal_files
from losi.localserve import LocalServer
from losi.models import Limits, Politeness, PortalConfig
from losi.pipeline import load_site
from losi.store import Store


def _line(stage: str, seconds: float, pages: int, unit: str = "pages") -> None:
    rate = f"{pages / seconds:8.1f} {unit}/s" if seconds > 0 and pages else ""
    print(f"{stage:<8} {seconds:8.1f} s  {pages:6d} {unit:<6} {rate}", flush=True)


def _alongside(portal: PortalConfig, files: PortalFiles) -> None:
    """The portal crawled again as `losi run` does it, its pages parsed while the crawl writes them: the
    crawl's time, then the parsing left after it (what the crawl's end waits for before the assessment)."""
    print("crawl and parse together, as `losi run` does (pages parsed as the crawl captures them):", flush=True)
    ended: list[float] = []
    started = time.monotonic()
    crawl = BackgroundCrawl(portal, files, on_end=lambda: ended.append(time.monotonic()))
    site = load_site(portal, files, crawl=crawl)
    done = time.monotonic()
    _line("crawl", ended[0] - started, crawl.result().pages)
    _line("parse+", done - ended[0], len(site.pages))
    print("(parse+: parsing left after the crawl ended)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--no-probes", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds between requests (politeness; default 0: the crawl as fast as it goes)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="a folder of saved .html pages to build the portal from (cycled up to --pages)")
    args = parser.parse_args(argv)
    # Imported here, not at the top: the parse processes start from a server that imports this module (as it
    # imports the `losi` command's module, which loads neither the rules nor the reports), and with these
    # loaded there, parsing 3,000 real pages took ~1.5 s longer (cause not found).
    from assessors.engine import assess_site
    from indicators.catalog import load_catalog
    from outputs.reports import write_reports

    with tempfile.TemporaryDirectory(prefix="losi-bench-") as tmp, TreeSampler(os.getpid()) as memory:
        site_dir = Path(tmp) / "site"
        site_dir.mkdir()
        server = LocalServer(site_dir)
        generate_site(site_dir, pages=args.pages, base_url=server.url, corpus=args.corpus)
        portal = PortalConfig(
            id="bench", home_url=server.url, allow_private=True, render="never", languages=["en"],
            limits=Limits(max_pages=args.pages + 100, max_depth=100, max_seconds=900),
            politeness=Politeness(delay=args.delay, concurrency_per_host=16),
        )  # fmt: skip
        store = Store(data_dir=Path(tmp) / "data")
        run_id = store.create_run(Path(tmp) / "out")
        store.add_portal(run_id, portal)
        files = portal_files(Path(tmp) / "data", run_id, portal.id)
        try:
            what = f"pages built from the saved pages in {args.corpus}" if args.corpus else "generated pages of ~4 KB"
            print(f"portal: {args.pages} {what} on {server.url}; parsing in {parse_workers()} process(es)")
            started = time.monotonic()
            crawl = crawl_portal(portal, files, progress=lambda line: None)
            _line("crawl", time.monotonic() - started, crawl.pages)

            started = time.monotonic()
            site = load_site(portal, files)
            _line("parse", time.monotonic() - started, len(site.pages))

            if not args.no_probes:
                from assessors.probes import run_probes

                started = time.monotonic()
                site.probes = run_probes(site, files)
                checked = int((site.probes.get("axe") or {}).get("pages_checked", 0))
                _line("probes", time.monotonic() - started, checked, "axe pages")

            catalog = load_catalog(portal.framework)
            started = time.monotonic()
            findings = assess_site(site, catalog)
            _line("assess", time.monotonic() - started, len(site.pages))


            started = time.monotonic()
            store.save_pages(run_id, portal.id, site.pages)
            store.save_findings(run_id, portal.id, catalog.id, findings)
            store.set_portal_status(run_id, portal.id, "assessed")
            written = write_reports(store, run_id, Path(tmp) / "out")
            _line("report", time.monotonic() - started, len(written), "files")
            del site, findings  # the pages of the crawl above, before the same portal is crawled again
            _alongside(portal, portal_files(Path(tmp) / "data", run_id, "bench-alongside"))
        finally:
            store.close()
            server.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {memory.peak_mb:.0f} MB for this process and its children together (this process: {own:.0f} MB)")
    every = max(1, len(memory.series) // 15)
    print(f"RSS over time (MB, every {every * 0.5:.0f} s): {memory.series[::every]}")


if __name__ == "__main__":
    main()
