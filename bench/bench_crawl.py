"""Crawl benchmark: 2,000 generated pages served on 127.0.0.1, crawled with crawl_portal.

    .venv/bin/python -m bench.bench_crawl [--pages N]

Plain HTTP for every page except the home page (always rendered and screenshotted when Chromium exists).
Prints pages, seconds, pages/s and the peak RSS of the largest crawl process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.sitegen import generate_site
from crawler.runner import crawl_portal
from losi.layout import PortalFiles
from losi.localserve import LocalServer
from losi.models import Limits, Politeness, PortalConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="losi-bench-") as tmp:
        site_dir = Path(tmp) / "site"
        site_dir.mkdir()
        server = LocalServer(site_dir)
        url = server.url
        generate_site(site_dir, pages=args.pages, base_url=url)
        portal = PortalConfig(
            id="bench",
            home_url=url,
            allow_private=True,
            render="never",
            limits=Limits(max_pages=args.pages + 100, max_depth=100, max_seconds=900),
            politeness=Politeness(delay=0, concurrency_per_host=16),
        )
        try:
            started = time.monotonic()
            result = crawl_portal(portal, PortalFiles(Path(tmp) / "out"), progress=lambda line: None)
            seconds = time.monotonic() - started
        finally:
            server.close()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    print(f"status:    {result.status} ({result.reason})")
    print(f"pages:     {result.pages}")
    print(f"seconds:   {seconds:.1f} (crawl itself {result.stats.get('elapsed_time_seconds', 0):.1f})")
    print(f"pages/s:   {result.pages / seconds:.1f}")
    print(f"peak RSS:  {peak_mb:.0f} MB (largest crawl process)")
    print(f"crawl CPU: {usage.ru_utime + usage.ru_stime:.1f} s (crawler, browser and their children)")
    print(f"rendering: {result.stats.get('rendering', '')}")


if __name__ == "__main__":
    main()
