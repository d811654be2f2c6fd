"""Where a run's files live. One place, so every step agrees.

<data_dir>/losi.sqlite                     the default store
<data_dir>/runs/<run_id>/<portal_id>/
    job.json                               the portal configuration the crawl ran with
    captures.warc.gz                       every response, as the crawler saw it
    captures.jsonl                         one line per capture: url, status, warc offset, depth, ...
    crawl.json                             crawl summary: status, reason, pages, seconds, stats
    crawl.log                              the crawler's log
    screenshots/*.png                      rendered pages (home page always)
    probes.json                            live-browser measurements (mobile, axe, search, ...)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    return Path(os.environ.get("LOSI_DATA", "data")).resolve()


@dataclass(frozen=True)
class PortalFiles:
    root: Path

    @property
    def job(self) -> Path:
        return self.root / "job.json"

    @property
    def warc(self) -> Path:
        return self.root / "captures.warc.gz"

    @property
    def captures(self) -> Path:
        return self.root / "captures.jsonl"

    @property
    def crawl_summary(self) -> Path:
        return self.root / "crawl.json"

    @property
    def crawl_log(self) -> Path:
        return self.root / "crawl.log"

    @property
    def screenshots(self) -> Path:
        return self.root / "screenshots"

    @property
    def probes(self) -> Path:
        return self.root / "probes.json"


def portal_files(data_dir: Path, run_id: str, portal_id: str) -> PortalFiles:
    return PortalFiles(data_dir / "runs" / run_id / portal_id)


def run_files(run_id: str, named: str | Path | None, fallback: Path | None = None) -> Path | None:
    """The data directory that holds the run's files on this machine: the one the run names (a distributed
    run names the directory every worker mounts), else `fallback` (this machine's --data-dir); None when
    neither holds the run's folder (not mounted here, or moved)."""
    for candidate in (named, fallback):
        if candidate and (Path(candidate) / "runs" / run_id).is_dir():
            return Path(candidate)
    return None
