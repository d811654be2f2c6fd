"""One Chromium per job, a few reused pages: the shape every live-browser step here uses.

Reused pages are 1.5x faster than a page per URL but grow in memory (stack-notes §3), so each page is
closed and replaced after `recycle_after` uses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from losi.browser import BrowserNotFound, launch_options

T = TypeVar("T")


class NoBrowser(RuntimeError):
    """No Chromium (or Playwright) is available; the message says what was tried."""


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        return ex.submit(lambda: asyncio.run(make())).result()


@asynccontextmanager
async def chromium(headless: bool = True) -> AsyncIterator[Any]:
    """An async Playwright Chromium browser, launched with losi.browser.launch_options()."""
    try:
        options = launch_options(headless)
    except BrowserNotFound as exc:
        raise NoBrowser(str(exc)) from exc
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise NoBrowser("playwright is not installed") from exc
    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(**options)
        except Exception as exc:
            raise NoBrowser(f"Chromium did not start: {exc}") from exc
        try:
            yield browser
        finally:
            await browser.close()


class PagePool:
    """`workers` pages on one browser context, each recycled after `recycle_after` uses."""

    def __init__(self, context: Any, workers: int = 2, recycle_after: int = 50):
        self.context = context
        self.workers = max(1, workers)
        self.recycle_after = max(1, recycle_after)

    async def map(self, items: list[Any], fn: Callable[[Any, Any], Awaitable[T]]) -> list[T | BaseException]:
        """Call fn(page, item) for every item, `workers` at a time; failures come back as exceptions."""
        results: list[T | BaseException] = [RuntimeError("not run")] * len(items)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(items)):
            queue.put_nowait(i)

        async def worker() -> None:
            page = await self.context.new_page()
            uses = 0
            try:
                while True:
                    try:
                        i = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    if uses >= self.recycle_after or page.is_closed():
                        if not page.is_closed():
                            await page.close()
                        page, uses = await self.context.new_page(), 0
                    uses += 1
                    try:
                        results[i] = await fn(page, items[i])
                    except Exception as exc:
                        results[i] = exc
            finally:
                if not page.is_closed():
                    await page.close()

        await asyncio.gather(*(worker() for _ in range(min(self.workers, len(items)) or 1)))
        return results
