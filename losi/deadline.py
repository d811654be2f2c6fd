"""Time caps: a Deadline for a stage, a bounded await for one call, and a hard limit for CPU-bound code.

Every stage of a portal (crawl, parse, probes, assessment, reports) has a cap. A stage that reaches its cap
stops with what it has and says why, in a sentence that ends up in the portal's status and the findings'
explanations ("probe time cap of 300 s reached ...").
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class CapReached(Exception):
    """A stage or a call used up its time; str() is the reason, for people."""


class CallTimeout(CapReached):
    """One call (a browser call, a download) did not answer within its deadline."""


@dataclass
class Deadline:
    """The cap of one stage: `seconds` from its start."""

    seconds: float
    stage: str = "stage"
    started: float = field(default_factory=time.monotonic)
    hit: str = ""  # set by whoever stopped early because of this deadline: what was left undone

    @property
    def at(self) -> float:
        return self.started + self.seconds

    def restart(self, spent: float = 0.0) -> None:
        """The stage (re)starts now, `spent` seconds of it already used: parsing alongside a crawl, the
        assessment's cap runs from the crawl's end."""
        self.started = time.monotonic() - spent

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def within(self, seconds: float) -> float:
        """seconds, or what is left of this deadline if that is less (never below a small floor)."""
        return max(0.5, min(seconds, self.remaining()))

    @property
    def reason(self) -> str:
        return f"{self.stage} time cap of {self.seconds:.0f} s reached"


CANCEL_GRACE_SECONDS = 2.0  # how long a call that missed its deadline may take to clean up after cancellation


def _retrieve(task: asyncio.Future[object]) -> None:
    if not task.cancelled():
        task.exception()  # read, so an abandoned call's late failure is not reported as never retrieved


async def bounded(awaitable: Awaitable[T], seconds: float, what: str) -> T:
    """await with a deadline: CallTimeout naming `what` when it does not finish within `seconds`.

    Playwright's own timeouts run in its driver; when the driver or the browser stops answering, nothing
    on our side would ever wake up. This deadline lives in our event loop. Unlike asyncio.wait_for, it does
    not wait for the cancelled call to finish its clean-up (a `finally: await page.close()` on a wedged
    browser would never end): after a short grace the call is left behind, still cancelled."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.01, seconds))
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    await asyncio.wait({task}, timeout=CANCEL_GRACE_SECONDS)
    task.add_done_callback(_retrieve)
    raise CallTimeout(f"{what}: no answer within {seconds:.0f} s")


@contextmanager
def time_limit(seconds: float, reason: str) -> Iterator[None]:
    """Raise CapReached(reason) in this code once `seconds` have passed (SIGALRM, main thread only).

    For CPU-bound stages (parsing, assessment, reports) that cannot be awaited with a deadline. Off the main
    thread (or without SIGALRM) it does nothing: the callers check a Deadline between steps as well."""
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or seconds <= 0:
        yield
        return

    def on_alarm(_signum: int, _frame: object) -> None:
        raise CapReached(reason)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
