"""Peak resident memory of a process and everything below it (Linux /proc), sampled in a thread."""

from __future__ import annotations

import re
from pathlib import Path

from assessors.engines.common import PeakSampler
from losi.procs import descendants

_VMRSS = re.compile(r"^VmRSS:\s+(\d+)", re.M)


def rss_kb(pid: int) -> int:
    try:
        match = _VMRSS.search(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


def tree_rss_kb(pid: int) -> int:
    """The resident memory of pid and of every process it started, in KiB."""
    return sum(rss_kb(p) for p in [pid, *descendants(pid)])


class TreeSampler(PeakSampler):
    """The peak of tree_rss_kb(pid) while it runs, and every sample in MB (`series`)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.series: list[int] = []

        def measure() -> int:
            kb = tree_rss_kb(pid)
            self.series.append(kb // 1024)
            return kb

        super().__init__(measure, interval)
