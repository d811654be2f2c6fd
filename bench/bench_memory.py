"""Memory benchmark: the assessing process's RSS as a portal's pages are parsed and assessed.

    .venv/bin/python -m bench.bench_memory [--pages 3000 10000] [--corpus ../shared/corpora/city-bureau]

For each size, a portal of that many pages (real saved pages cycled, each made distinct, or generated ones)
is crawled once over 127.0.0.1; then a fresh process parses its captures (on the pool, as `losi run` does)
and assesses every LOSI indicator, printing its RSS once a second, its peak after parsing and its peak
while assessing. Last, the slope between sizes: the memory a page costs (flat memory would be 0 KB a page).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.rss import rss_kb
from bench.sitegen import generate_site
from crawler.runner import crawl_portal
from losi.layout import PortalFiles, portal_files
from losi.localserve import LocalServer
from losi.models import Limits, Politeness, PortalConfig

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "city-bureau"


def _portal(url: str, pages: int) -> PortalConfig:
    return PortalConfig(
        id="bench", home_url=url, allow_private=True, render="never", languages=["en"],
        limits=Limits(max_pages=pages + 100, max_depth=100, max_seconds=1800),
        politeness=Politeness(delay=0, concurrency_per_host=16),
    )  # fmt: skip


def _rss_mb() -> int:
    return rss_kb(os.getpid()) // 1024


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure(files: PortalFiles, portal: PortalConfig) -> dict[str, int]:
    """Parse and assess a crawled portal in this process; print what memory it took, and return its pages and
    peaks (MB)."""
    from assessors.engine import assess_site
    from indicators.catalog import load_catalog
    from losi.pipeline import load_site

    series: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            series.append(_rss_mb())

    threading.Thread(target=sample, daemon=True).start()
    at_start = _rss_mb()
    started = time.monotonic()
    site = load_site(portal, files)
    parsed, after_parse = time.monotonic() - started, _peak_mb()
    started = time.monotonic()
    findings = assess_site(site, load_catalog(portal.framework))
    assessed, after_assess = time.monotonic() - started, _peak_mb()
    done.set()
    print(f"  {len(site.pages)} pages, {len(findings)} findings; RSS at start {at_start} MB")
    print(f"  parse  {parsed:6.1f} s, peak {after_parse} MB")
    print(f"  assess {assessed:6.1f} s, peak {after_assess} MB")
    every = max(1, len(series) // 20)
    print(f"  RSS over time (MB, every {every} s): {series[::every]}", flush=True)
    return {"pages": len(site.pages), "parse": after_parse, "assess": after_assess}


def print_slopes(sizes: list[dict[str, int]]) -> None:
    """What a page costs: the growth of each peak from one size to the next, over the pages between them (the
    process's fixed part, its imports and the first pages' templates, drops out)."""
    for small, big in itertools.pairwise(sorted(sizes, key=lambda size: size["pages"])):
        pages = big["pages"] - small["pages"]
        if pages <= 0:
            continue
        grown = {stage: big[stage] - small[stage] for stage in ("parse", "assess")}
        print(f"from {small['pages']} to {big['pages']} pages: "
              + ", ".join(f"{stage} peak +{mb} MB ({mb * 1024 / pages:.1f} KB a page)" for stage, mb in grown.items()),
              flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else None,
                        help="saved .html pages to build the portal from (default: the City Bureau corpus if present)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child: a crawled portal's folder
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)  # where the child writes its peaks
    args = parser.parse_args(argv)
    if args.measure:
        files = PortalFiles(args.measure)
        peaks = measure(files, PortalConfig.from_dict(json.loads(files.job.read_text(encoding="utf-8"))))
        if args.result:
            args.result.write_text(json.dumps(peaks), encoding="utf-8")
        return
    sizes: list[dict[str, int]] = []
    for pages in args.pages:
        with tempfile.TemporaryDirectory(prefix="losi-bench-memory-") as tmp:
            site_dir = Path(tmp) / "site"
            site_dir.mkdir()
            server = LocalServer(site_dir)
            try:
                generate_site(site_dir, pages=pages, base_url=server.url, corpus=args.corpus)
                portal = _portal(server.url, pages)
                files = portal_files(Path(tmp) / "data", "bench", portal.id)
                files.root.mkdir(parents=True, exist_ok=True)
                crawl = crawl_portal(portal, files)
            finally:
                server.close()
            what = f"built from {args.corpus}" if args.corpus else "generated"
            print(f"{pages} pages {what}: crawled {crawl.pages} in {crawl.seconds:.0f} s ({crawl.status})", flush=True)
            result = Path(tmp) / "peaks.json"
            subprocess.run([sys.executable, "-m", "bench.bench_memory", "--measure", str(files.root),
                            "--result", str(result)], cwd=REPO, check=True, timeout=3600)  # fmt: skip
            sizes.append(json.loads(result.read_text(encoding="utf-8")))
    print_slopes(sizes)


if __name__ == "__main__":
    main()
