"""Rendering in the crawl, bounded: scrapy-playwright's download handler and browser provider, with deadlines.

- Every rendered download has a deadline on our side of the pipe (RENDER_SECONDS): Playwright's own
  navigation timeout runs in its driver, and a browser that stops answering would otherwise hold the
  request forever. A download that misses it fails like a timed-out download (the spider then keeps the
  page's plain HTTP capture).
- The browser is launched in one of the run's browser slots (losi.slots, shared with the probes of other
  portals) when the run has a slot pool. A browser idle for IDLE_SECONDS is closed (and its slot freed),
  and the next page to render launches it again: most crawls render their home page and little else, and
  an idle Chromium holds ~330 MB for the rest of the crawl.
- http and https share one handler, so one Playwright driver (a Node process of ~125 MB) serves both; a
  crawl that renders nothing after its home page (render: never) stops the driver once that is done.
- Closing has a deadline too; a browser that does not close is killed with everything it started.

Wired by settings (DOWNLOAD_HANDLERS, PLAYWRIGHT_BROWSER_PROVIDER), see crawler.settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.provider import PlaywrightBrowserProvider

from losi.deadline import CallTimeout, bounded
from losi.procs import descendants, kill
from losi.slots import BrowserSlots, Slot

logger = logging.getLogger(__name__)

RENDER_SECONDS = 75.0  # one rendered download: navigation (30 s in the driver), content, response headers
LAUNCH_SECONDS = 60.0
CLOSE_SECONDS = 20.0
SLOT_WAIT_SECONDS = 180.0  # how long a page waits for a browser slot before it is fetched without a browser
IDLE_SECONDS = 8.0


class NoBrowserSlot(RuntimeError):
    pass


class RenderingStopped(RuntimeError):
    """A page asked to render after the crawl stopped its browser (see stop_browsing)."""


def _end_by_force(provider: Any) -> None:
    """A browser or driver that did not close in time: killed with everything it started, its slot freed."""
    if isinstance(provider, PooledBrowserProvider):
        provider.kill_browser()
        provider.release()


class PooledBrowserProvider(PlaywrightBrowserProvider):
    """Launches Chromium in one of the run's browser slots and frees the slot when the browser goes."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.slots = BrowserSlots.from_env()
        self.slot: Slot | None = None
        self.before: set[int] = set()

    async def launch_browser(self) -> Any:
        if self.slots is not None and self.slot is None:
            self.slot = await self.slots.acquire_async(SLOT_WAIT_SECONDS)
            if self.slot is None:
                raise NoBrowserSlot(f"no browser slot came free within {SLOT_WAIT_SECONDS:.0f} s")
        self.before = set(descendants(os.getpid()))
        try:
            browser = await bounded(super().launch_browser(), LAUNCH_SECONDS, "launching Chromium")
        except Exception:
            self.release()
            raise
        browser.on("disconnected", lambda *_: self.release())
        return browser

    def release(self) -> None:
        if self.slot is not None:
            self.slot.release()
            self.slot = None

    def kill_browser(self) -> None:
        kill([pid for pid in descendants(os.getpid()) if pid not in self.before])

    async def close(self) -> None:
        try:
            await bounded(super().close(), CLOSE_SECONDS, "stopping Playwright")
        except Exception:
            self.kill_browser()
        self.release()


class BoundedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.in_flight = 0
        self.last_used = time.monotonic()
        self.idle_task: asyncio.Task[None] | None = None
        self.closed = False
        self.stopped = False  # stop_browsing: no more rendering in this crawl

    @classmethod
    def from_crawler(cls, crawler: Any) -> BoundedPlaywrightHandler:
        """The crawl's one handler, for every scheme it is configured for (Scrapy asks once per scheme)."""
        handler = getattr(crawler, "_losi_render_handler", None)
        if handler is None:
            handler = crawler._losi_render_handler = cls(crawler)
        return handler

    async def close(self) -> None:
        if not self.closed:  # once, though Scrapy closes it for each of its schemes
            self.closed = True
            await super().close()

    async def stop_browsing(self) -> None:
        """Close the browser and stop Playwright's driver for the rest of the crawl (plain HTTP goes on); a
        page asked to render afterwards fails like any download, and the spider keeps its plain capture."""
        self.stopped = True
        provider, self.browser_provider = getattr(self, "browser_provider", None), None  # _close: nothing left
        if self.idle_task is not None:
            self.idle_task.cancel()
        try:
            if hasattr(self, "browser"):
                await bounded(self.browser.close(), CLOSE_SECONDS, "closing Chromium")
            if provider is not None:
                await bounded(provider.close(), CLOSE_SECONDS, "stopping Playwright")
        except Exception:
            _end_by_force(provider)
        logger.info("browser and Playwright stopped: nothing more in this crawl is rendered")

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if self.stopped:
            raise RenderingStopped(f"not rendering {request.url}: the browser was stopped for this crawl")
        self.in_flight += 1
        self.last_used = time.monotonic()
        try:
            return await bounded(super()._download_request(request, spider), RENDER_SECONDS, f"rendering {request.url}")
        except CallTimeout as exc:
            self.stats.inc_value("losi/render_timeouts")
            page = request.meta.get("playwright_page")
            if page is not None:
                with contextlib.suppress(Exception):
                    await bounded(page.close(), CLOSE_SECONDS, "closing a page")
            raise DownloadTimeoutError(str(exc)) from None
        finally:
            self.in_flight -= 1
            self.last_used = time.monotonic()
            self._watch_idle()

    def _watch_idle(self) -> None:
        if self.idle_task is None:
            self.idle_task = asyncio.ensure_future(self._close_when_idle())

    async def _close_when_idle(self) -> None:
        """Close the browser (and free its slot) while the crawl does not need it."""
        try:
            while hasattr(self, "browser"):
                await asyncio.sleep(1.0)
                idle = time.monotonic() - self.last_used
                if self.in_flight or self._get_total_page_count() or idle < IDLE_SECONDS:
                    continue
                logger.info("closing the idle browser (the next page to render launches it again)")
                try:
                    await bounded(self.browser.close(), CLOSE_SECONDS, "closing Chromium")
                except Exception:
                    self.browser_provider.kill_browser()
                # the "disconnected" callback drops self.browser (relaunched on the next render) and the slot
                return
        finally:
            self.idle_task = None

    async def _close(self) -> None:
        if self.idle_task is not None:
            self.idle_task.cancel()
        try:
            await bounded(super()._close(), CLOSE_SECONDS * 2, "closing the browser")
        except Exception:
            _end_by_force(getattr(self, "browser_provider", None))
