"""The live progress display of `losi run` on a terminal: one line per running portal, and the totals.

Each line: the portal, its stage, pages so far, pages/s, and the time left on the stage's cap. Finished
portals and notable events scroll above the table. Drawn with rich; when stderr is not a terminal (CI, a
log file) the plain progress lines are printed as before.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from losi.pipeline import RunOptions

# Lines the table already shows (per-probe steps, axe URLs, crawl rates) are not scrolled above it.
_QUIET = re.compile(r": (probe \S+|axe \S+|\d+ pages, [\d.]+ pages/s|rendering: .*)$")


@dataclass
class PortalLine:
    portal_id: str
    stage: str = "queued"
    pages: int = 0
    cap: float | None = None
    stage_started: float = field(default_factory=time.monotonic)
    crawl_started: float | None = None
    finished: bool = False

    def pages_per_second(self, now: float) -> float:
        if self.crawl_started is None or not self.pages:
            return 0.0
        return self.pages / max(now - self.crawl_started, 1e-6)

    def time_left(self, now: float) -> str:
        if self.cap is None:
            return "-"
        return f"{max(0.0, self.stage_started + self.cap - now):.0f} s"


class LiveDisplay:
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.live import Live

        self.total = total
        self.started = time.monotonic()
        self.lines: dict[str, PortalLine] = {}
        self.lock = threading.Lock()
        self.console = Console(stderr=True)
        self.live = Live(self, console=self.console, refresh_per_second=2, transient=True)

    def __enter__(self) -> LiveDisplay:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def log(self, line: str) -> None:
        if not _QUIET.search(line):
            self.console.print(line, markup=False, highlight=False)

    def event(self, portal_id: str, fields: dict[str, Any]) -> None:
        now = time.monotonic()
        with self.lock:
            line = self.lines.setdefault(portal_id, PortalLine(portal_id))
            if "stage" in fields:
                line.stage = str(fields["stage"])
                line.stage_started = now
                line.cap = fields.get("cap")
                line.finished = line.stage in ("done", "not assessed")
                if line.stage.startswith("crawl"):
                    line.crawl_started = now
            if fields.get("pages") is not None:
                line.pages = int(fields["pages"])

    def __rich__(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        now = time.monotonic()
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name, justify in (("portal", "left"), ("stage", "left"), ("pages", "right"), ("pages/s", "right"),
                              ("cap left", "right")):  # fmt: skip
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        with self.lock:
            lines = list(self.lines.values())
        for line in lines:
            if not line.finished:
                table.add_row(line.portal_id, line.stage, str(line.pages), f"{line.pages_per_second(now):.1f}",
                              line.time_left(now))  # fmt: skip
        finished = sum(line.finished for line in lines)
        pages = sum(line.pages for line in lines)
        rate = pages / max(now - self.started, 1e-6)
        table.add_row(Text(f"{finished}/{self.total} done", style="bold"), f"{len(lines) - finished} running",
                      str(pages), f"{rate:.1f}", f"{now - self.started:.0f} s elapsed")  # fmt: skip
        return table


@contextmanager
def live_display(options: RunOptions, total: int, force: bool = False) -> Iterator[LiveDisplay | None]:
    """Show the live table while the block runs when stderr is a terminal (or force); else change nothing."""
    if not (force or sys.stderr.isatty()):
        yield None
        return
    try:
        display = LiveDisplay(total)
    except ImportError:  # rich missing: the plain lines are still there
        yield None
        return
    progress, events = options.progress, options.events
    options.progress, options.events = display.log, display.event
    try:
        with display:
            yield display
    finally:
        options.progress, options.events = progress, events
