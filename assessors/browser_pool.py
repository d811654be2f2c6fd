"""One Chromium per job, a few reused pages: the shape every live-browser step here uses.

Reused pages are 1.5x faster than a page per URL but grow in memory (stack-notes §3), so each page is
closed and replaced after `recycle_after` uses. Nothing here waits forever: every browser call has a
deadline on our side of the pipe (assessors' probes and losi a11y used to hang when a page or the browser
stopped answering), a page that misses one is closed and replaced, and a browser that cannot be closed is
killed with everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from losi.browser import BrowserNotFound, launch_options
from losi.deadline import CallTimeout, CapReached, Deadline, bounded
from losi.procs import descendants, kill

T = TypeVar("T")

LAUNCH_SECONDS = 60.0  # starting Playwright's driver and Chromium (a busy machine is slow here)
CLOSE_SECONDS = 15.0  # closing a page, a context or the browser
NEW_PAGE_SECONDS = 20.0
ITEM_SECONDS = 90.0  # one item of PagePool.map (a navigation and what is done on the page)
STOP_GRACE_SECONDS = 20.0  # run_sync: after the cap, the time the job has to stop before its processes die


class NoBrowser(RuntimeError):
    """No Chromium (or Playwright) is available; the message says what was tried."""


def _new_processes(before: set[int]) -> list[int]:
    return [pid for pid in descendants(os.getpid()) if pid not in before]


def run_sync(make: Callable[[], Coroutine[Any, Any, T]], cap_seconds: float | None = None) -> T:
    """Run a coroutine to completion from sync code, also when the caller already runs an event loop.

    With cap_seconds, the coroutine runs in a thread of its own: when it has not returned after the cap (plus
    a grace for its own clean-up), the processes it started (the browser, Playwright's driver) are killed,
    which makes every call waiting on them fail, and CapReached is raised if even that does not end it."""
    if cap_seconds is None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(make())
    outcome: dict[str, Any] = {}
    before = set(descendants(os.getpid()))

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make())
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="losi-browser-job", daemon=True)
    thread.start()
    thread.join(None if cap_seconds is None else cap_seconds + STOP_GRACE_SECONDS)
    if thread.is_alive():
        kill(_new_processes(before))
        thread.join(STOP_GRACE_SECONDS)
        if thread.is_alive():
            raise CapReached(f"the browser job did not stop within {cap_seconds:.0f} s; its processes were killed")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@asynccontextmanager
async def chromium(headless: bool = True) -> AsyncIterator[Any]:
    """An async Playwright Chromium browser, launched with losi.browser.launch_options().

    Starting and closing have deadlines; a browser that does not close is killed with its driver."""
    try:
        options = launch_options(headless)
    except BrowserNotFound as exc:
        raise NoBrowser(str(exc)) from exc
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise NoBrowser("playwright is not installed") from exc
    before = set(descendants(os.getpid()))
    manager = async_playwright()
    try:
        pw = await bounded(manager.__aenter__(), LAUNCH_SECONDS, "starting Playwright")
    except CallTimeout as exc:
        kill(_new_processes(before))
        raise NoBrowser(str(exc)) from exc
    try:
        try:
            browser = await bounded(pw.chromium.launch(**options), LAUNCH_SECONDS, "launching Chromium")
        except Exception as exc:
            raise NoBrowser(f"Chromium did not start: {exc}") from exc
        try:
            yield browser
        finally:
            try:
                await bounded(browser.close(), CLOSE_SECONDS, "closing Chromium")
            except Exception:  # a crashed or wedged browser: end it and its renderers
                kill(_new_processes(before))
    finally:
        try:
            await bounded(manager.__aexit__(None, None, None), CLOSE_SECONDS, "stopping Playwright")
        except Exception:
            kill(_new_processes(before))


async def close_quietly(target: Any, seconds: float = CLOSE_SECONDS) -> None:
    """Close a page or context; a crashed, closed or unanswering one is left behind (the browser goes later)."""
    with contextlib.suppress(Exception):
        await bounded(target.close(), seconds, "closing a page")


async def new_page(context: Any) -> Any:
    return await bounded(context.new_page(), NEW_PAGE_SECONDS, "opening a browser page")


class PagePool:
    """`workers` pages on one browser context, each recycled after `recycle_after` uses.

    Each item has `item_seconds` (and the pool the optional `deadline`); a page whose item missed its deadline
    or crashed is closed and replaced, and items left when the deadline passes get CapReached."""

    def __init__(self, context: Any, workers: int = 2, recycle_after: int = 50, item_seconds: float = ITEM_SECONDS,
                 deadline: Deadline | None = None):  # fmt: skip
        self.context = context
        self.workers = max(1, workers)
        self.recycle_after = max(1, recycle_after)
        self.item_seconds = item_seconds
        self.deadline = deadline

    async def map(self, items: list[Any], fn: Callable[[Any, Any], Awaitable[T]]) -> list[T | BaseException]:
        """Call fn(page, item) for every item, `workers` at a time; failures come back as exceptions."""
        results: list[T | BaseException] = [RuntimeError("not run")] * len(items)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(items)):
            queue.put_nowait(i)

        async def worker() -> None:
            page: Any = None
            uses = 0
            try:
                while True:
                    try:
                        i = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    if self.deadline is not None and self.deadline.expired():
                        results[i] = CapReached(f"not checked: {self.deadline.reason}")
                        continue
                    if page is None or uses >= self.recycle_after or page.is_closed():
                        if page is not None:
                            await close_quietly(page)
                        try:
                            page, uses = await new_page(self.context), 0
                        except Exception as exc:  # the browser is gone: what is left cannot be checked
                            page = None
                            results[i] = exc
                            continue
                    uses += 1
                    seconds = self.item_seconds if self.deadline is None else self.deadline.within(self.item_seconds)
                    try:
                        results[i] = await bounded(fn(page, items[i]), seconds, f"checking {items[i]}")
                    except Exception as exc:
                        results[i] = exc
                        if isinstance(exc, CallTimeout):  # the page may be wedged: never reuse it
                            await close_quietly(page)
                            page = None
            finally:
                if page is not None and not page.is_closed():
                    await close_quietly(page)

        await asyncio.gather(*(worker() for _ in range(min(self.workers, len(items)) or 1)))
        return results
