"""Scrapy settings: the project defaults (module-level, for scrapy.cfg) and the per-portal settings."""

from __future__ import annotations

import functools
from typing import Any

from crawler.scope import blocked_address, private_allowed
from losi.layout import PortalFiles
from losi.models import PortalConfig

BOT_NAME = "losi"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "losi/0.1 (+https://github.com/losi-project/losi; portal assessment for the UN LOSI/OSI)"
ROBOTSTXT_OBEY = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Breadth-first: FIFO queues; the spider sets priority = -depth.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

CONCURRENT_REQUESTS = 16
# Scrapy starts this many asyncio workers for EVERY callback's output (default 100): that alone halved the
# crawl rate. Our callbacks yield one item and a few requests.
CONCURRENT_ITEMS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = True
METAREFRESH_MAXDELAY = 30
HTTPERROR_ALLOW_ALL = True  # 404s and 500s are captures too
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy's HTTP control port: nothing may listen during a crawl
LOG_LEVEL = "INFO"
# The spider keeps its own depth (redirects keep the depth of the page that redirected).
DEPTH_LIMIT = 0
DEPTH_STATS_VERBOSE = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

DOWNLOADER_MIDDLEWARES = {"crawler.middlewares.GuardMiddleware": 50, "crawler.focus.BudgetMiddleware": 60}
# The focused frontier (crawler.focus): priorities and reasons of the spider's page requests.
SPIDER_MIDDLEWARES = {"crawler.focus.FocusMiddleware": 600}
ITEM_PIPELINES = {"crawler.pipelines.CaptureWriterPipeline": 300}

# Pages the browser renders: no images, fonts or media (faster; the DOM is what we keep).
PLAYWRIGHT_ABORTED_TYPES = ("image", "font", "media")
PLAYWRIGHT_PAGES = 4
NAVIGATION_TIMEOUT_MS = 30000


def abort_request(request: Any, block_private: bool = True, private_allowed: Any = None) -> bool:
    """For the browser: skip images, fonts and media; never let a crawled page reach private addresses."""
    if request.resource_type in PLAYWRIGHT_ABORTED_TYPES:
        return True
    return block_private and blocked_address(request.url, private_allowed)


def portal_settings(portal: PortalConfig, files: PortalFiles, chromium: str | None) -> dict[str, Any]:
    """The settings of one portal's crawl. chromium=None disables rendering (plain HTTP only)."""
    from losi.browser import CHROMIUM_ARGS

    names = (
        "BOT_NAME", "CONCURRENT_ITEMS", "USER_AGENT", "TWISTED_REACTOR", "SCHEDULER_DISK_QUEUE",
        "SCHEDULER_MEMORY_QUEUE", "CONCURRENT_REQUESTS", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE",
        "DOWNLOAD_WARNSIZE", "RETRY_TIMES", "REDIRECT_MAX_TIMES", "METAREFRESH_ENABLED",
        "METAREFRESH_MAXDELAY", "HTTPERROR_ALLOW_ALL", "COOKIES_ENABLED", "TELNETCONSOLE_ENABLED",
        "REMOTE_CONTROL_ENABLED", "LOG_LEVEL", "DEPTH_LIMIT", "DEPTH_STATS_VERBOSE",
        "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES",
    )
    module = globals()
    settings: dict[str, Any] = {name: module[name] for name in names}
    politeness = portal.politeness
    settings.update(
        {
            "ROBOTSTXT_OBEY": politeness.obey_robots,
            "DOWNLOAD_DELAY": max(0.0, politeness.delay),
            "DOWNLOAD_DELAY_JITTER": 0.5 if politeness.delay > 0 else 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, politeness.concurrency_per_host),
            # Requests the downloader holds for a host wait out DOWNLOAD_DELAY one by one, also when a cap
            # closes the crawl; a small multiple of the per-host concurrency keeps that wait short.
            "CONCURRENT_REQUESTS": max(8, 2 * politeness.concurrency_per_host),
            "CLOSESPIDER_TIMEOUT": max(1, portal.limits.max_seconds),
            "LOG_FILE": str(files.crawl_log),
            "LOG_FILE_APPEND": False,
            "LOG_INSTALL_ROOT_HANDLER": True,
        }
    )
    if chromium:
        settings.update(
            {
                # scrapy-playwright's handler and browser provider with deadlines and the run's browser slots
                "DOWNLOAD_HANDLERS": {
                    "http": "crawler.render.BoundedPlaywrightHandler",
                    "https": "crawler.render.BoundedPlaywrightHandler",
                },
                "PLAYWRIGHT_BROWSER_PROVIDER": "crawler.render.PooledBrowserProvider",
                "PLAYWRIGHT_BROWSER_TYPE": "chromium",
                "PLAYWRIGHT_LAUNCH_OPTIONS": {
                    "executable_path": chromium,
                    "headless": True,
                    "args": list(CHROMIUM_ARGS),
                },
                "PLAYWRIGHT_MAX_CONTEXTS": 1,
                "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": PLAYWRIGHT_PAGES,
                "PLAYWRIGHT_ABORT_REQUEST": functools.partial(
                    abort_request, private_allowed=private_allowed(portal)
                ),
                "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": NAVIGATION_TIMEOUT_MS,
            }
        )
    return settings
