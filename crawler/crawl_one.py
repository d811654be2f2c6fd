"""Run one portal's crawl in this process: `python -m crawler.crawl_one <job.json>`.

crawler.runner starts this in a subprocess (Twisted's reactor cannot be restarted, and a crash or a
memory leak stays in the child). Progress lines go to stdout; the Scrapy log goes to crawl.log;
a preliminary crawl.json (close reason, stats) is written for the parent to finish.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.focus import summary as focus_summary
from crawler.pipelines import progress_line
from crawler.settings import portal_settings
from crawler.spiders.portal import PortalSpider
from losi.browser import BrowserNotFound, find_chromium
from losi.layout import PortalFiles
from losi.models import PortalConfig
from losi.procs import die_with_parent

STAT_PREFIXES = (
    "losi/",
    "downloader/request_count",
    "downloader/response_count",
    "downloader/response_status_count/",
    "downloader/exception_count",
    "downloader/response_bytes",
    "retry/count",
    "robotstxt/forbidden",
    "playwright/page_count",
    "playwright/browser_count",
    "log_count/ERROR",
    "log_count/WARNING",
    "elapsed_time_seconds",
    "finish_reason",
    "item_scraped_count",
)
MAX_WARNINGS = 50


def select_stats(stats: dict[str, Any]) -> dict[str, Any]:
    chosen = {k: v for k, v in stats.items() if k.startswith(STAT_PREFIXES)}
    return {k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in sorted(chosen.items())}


def run(job: Path) -> dict[str, Any]:
    portal = PortalConfig.from_dict(json.loads(job.read_text(encoding="utf-8")))
    files = PortalFiles(job.parent)
    try:
        chromium: str | None = find_chromium()
        rendering = f"Chromium at {chromium}"
    except BrowserNotFound as exc:
        chromium = None
        rendering = f"disabled, plain HTTP only: {exc}"
    progress_line(f"rendering: {rendering}")
    process = CrawlerProcess(Settings(portal_settings(portal, files, chromium)))
    logging.getLogger("losi.crawl").log(
        logging.INFO if chromium else logging.WARNING, "%s: rendering %s", portal.id, rendering
    )
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, portal=portal, files=files, chromium=chromium)
    process.start()
    spider: PortalSpider | None = crawler.spider  # type: ignore[assignment]
    stats = crawler.stats.get_stats() if crawler.stats else {}
    item_families = spider.focus.learned_item_families() if spider else []
    return {
        "finish_reason": str(stats.get("finish_reason", "")),
        "pages": spider.pages if spider else 0,
        "home_fetched": spider.home_fetched if spider else False,
        "home_error": spider.home_error if spider else "",
        "home_status": spider.home_status if spider else 0,
        "capped": spider.capped if spider else "",
        "warnings": (spider.warnings if spider else [])[:MAX_WARNINGS],
        "rendering": rendering,
        "stats": select_stats(stats),
        "focus": focus_summary(stats, portal, fetched_pages(files), item_families),
    }


def fetched_pages(files: PortalFiles) -> list[dict[str, str]]:
    """Every page captured, with its frontier class and the reason it was fetched (from captures.jsonl)."""
    out: list[dict[str, str]] = []
    try:
        with files.captures.open(encoding="utf-8") as f:
            for line in f:
                try:
                    capture = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if capture.get("aux") or "html" not in str(capture.get("content_type", "")).lower():
                    continue
                out.append({"url": capture.get("url", ""), "kind": capture.get("kind", ""),
                            "why": capture.get("why", "")})  # fmt: skip
    except OSError:
        return out
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m crawler.crawl_one <job.json>", file=sys.stderr)
        return 2
    die_with_parent()  # a crawl never outlives the worker that started it (crawler.runner names itself)
    job = Path(args[0])
    summary = run(job)
    PortalFiles(job.parent).crawl_summary.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
