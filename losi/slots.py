"""The machine's browser pool: a few slots shared by every process of a run (crawls that render, probes).

A slot is an exclusive lock (flock) on one of `size` files in a folder, so it is shared across processes
without a server, and the kernel frees it when the process holding it ends, also when it is killed.
`losi run --parallel N` sets LOSI_BROWSER_SLOTS=<folder>:<size> for the processes it starts; without it
every browser job runs at once (one portal at a time has one browser at a time anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ENV = "LOSI_BROWSER_SLOTS"
POLL_SECONDS = 0.25
# How long a portal's probes wait for a free browser; every holder is bounded by its own probe cap.
SLOT_WAIT_SECONDS = 3600.0
BROWSER_MB = 700  # the peak memory of one Chromium with a few pages (stack-notes: 0.6 to 1.1 GB PSS)


def default_size() -> int:
    """Browsers the machine can run at once: one per core, fewer when memory is short."""
    cores = os.cpu_count() or 1
    try:
        available_mb = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (ValueError, OSError, AttributeError):
        return cores
    return max(1, min(cores, available_mb // BROWSER_MB))


@dataclass
class Slot:
    number: int
    handle: IO[bytes] | None

    def release(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class BrowserSlots:
    def __init__(self, folder: Path, size: int):
        self.folder = Path(folder)
        self.size = max(1, size)
        self.folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls) -> BrowserSlots | None:
        value = os.environ.get(ENV, "")
        folder, _, size = value.rpartition(":")
        if not folder or not size.isdigit():
            return None
        return cls(Path(folder), int(size))

    def env_value(self) -> str:
        return f"{self.folder}:{self.size}"

    def try_acquire(self) -> Slot | None:
        for number in range(self.size):
            handle = (self.folder / f"slot-{number}.lock").open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            return Slot(number, handle)
        return None

    def acquire(self, timeout: float | None = None) -> Slot | None:
        """Wait for a free slot; None when none came free within timeout."""
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            slot = self.try_acquire()
            if slot is not None or (give_up is not None and time.monotonic() >= give_up):
                return slot
            time.sleep(POLL_SECONDS)

    async def acquire_async(self, timeout: float | None = None) -> Slot | None:
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            slot = self.try_acquire()
            if slot is not None or (give_up is not None and time.monotonic() >= give_up):
                return slot
            await asyncio.sleep(POLL_SECONDS)


@contextlib.contextmanager
def browser_slot(timeout: float | None = None) -> Iterator[Slot | None]:
    """Hold one of the run's browser slots (LOSI_BROWSER_SLOTS) while a browser job runs.

    Yields the slot, or None when the run has no pool. TimeoutError when no slot came free within timeout."""
    slots = BrowserSlots.from_env()
    if slots is None:
        yield None
        return
    slot = slots.acquire(timeout)
    if slot is None:
        raise TimeoutError(f"no browser slot came free within {timeout:.0f} s ({slots.size} shared by the run)")
    try:
        yield slot
    finally:
        slot.release()
