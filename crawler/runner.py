"""Crawl one portal in a subprocess and report how it went. Never raises for a bad or unreachable site."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from crawler.captures import Capture, iter_captures
from crawler.pipelines import PROGRESS_PREFIX
from crawler.scope import Scope, host_of
from losi.layout import PortalFiles
from losi.models import PortalConfig
from losi.procs import PARENT_ENV, descendants, kill

REPO_ROOT = Path(__file__).resolve().parent.parent
# The child stops itself at max_seconds (CLOSESPIDER_TIMEOUT); this is the margin before it is killed.
KILL_GRACE_SECONDS = 90


@dataclass
class CrawlResult:
    status: str  # "ok" | "partial" | "failed"
    reason: str
    pages: int
    seconds: float
    stats: dict = field(default_factory=dict)
    focus: dict = field(default_factory=dict)  # the page budget's split and why each page was fetched

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preflight(portal: PortalConfig) -> str | None:
    """Why the home page may not be crawled at all, or None."""
    parts = urlsplit(portal.home_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"home URL {portal.home_url!r} is not an http(s) URL"
    scope = Scope.for_portal(portal)
    try:
        internal = scope.is_internal(portal.home_url)
        allowed = scope.may_fetch(portal.home_url)
    except ValueError as exc:  # a bad port or host
        return f"home URL {portal.home_url!r} is not a valid URL: {exc}"
    if not internal:
        return f"home URL {portal.home_url} is outside the portal's domains {scope.domains}"
    if not allowed:
        return (
            f"refused to crawl {host_of(portal.home_url)}: it is a private or loopback address "
            "(set allow_private to crawl tests or intranets)"
        )
    return None


def _fresh_start(files: PortalFiles) -> None:
    files.root.mkdir(parents=True, exist_ok=True)
    for path in (files.warc, files.captures, files.crawl_summary, files.crawl_log):
        path.unlink(missing_ok=True)
    shutil.rmtree(files.screenshots, ignore_errors=True)
    files.warc.touch()
    files.captures.touch()


def _count_pages(files: PortalFiles) -> int:
    pages = 0
    try:
        with files.captures.open(encoding="utf-8") as f:
            for line in f:
                try:
                    if "html" in json.loads(line).get("content_type", "").lower():
                        pages += 1
                except (json.JSONDecodeError, AttributeError):
                    continue
    except OSError:
        return 0
    return pages


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _run_child(
    files: PortalFiles, deadline: float, progress: Callable[[str], None] | None, stop: threading.Event | None = None
) -> tuple[int | None, str]:
    """Run crawl_one; relay progress; kill it at the deadline or when `stop` is set. Returns (exit code or
    None if killed, stderr)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env[PARENT_ENV] = str(os.getpid())  # the crawl ends with this process, even when it is killed
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.crawl_one", str(files.job)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=str(REPO_ROOT),
            env=env,
        )
        assert proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
        reader.start()
        killed = False
        while True:
            ending = time.monotonic() > deadline or (stop is not None and stop.is_set())
            if ending and not killed and proc.poll() is None:
                tree = descendants(proc.pid)  # read first: Chromium is in a process group of its own
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                kill([*tree, *descendants(proc.pid)])
                killed = True
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith(PROGRESS_PREFIX) and progress is not None:
                try:
                    progress(line[len(PROGRESS_PREFIX) :])
                except Exception:  # a broken progress callback must not stop the crawl
                    progress = None
        code = proc.wait()
        err.seek(0)
        stderr = err.read()
    return (None if killed else code), stderr


def _decide(
    portal: PortalConfig, child: dict[str, Any] | None, code: int | None, stderr: str, pages: int,
    stopped: bool = False,
) -> tuple[str, str]:  # fmt: skip
    """(status, reason) of a crawl from what its child wrote; code None: the child was killed, at the time
    limit or, when `stopped`, because the assessment gave the crawl up."""
    if child is None:
        last = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
        killed = "because the assessment gave it up" if stopped else "after the time limit"
        why = f"crawler was stopped {killed}" if code is None else f"crawler exited with code {code}"
        why = f"{why}: {last}" if last else why
        return ("partial" if pages else "failed"), why
    finish = child.get("finish_reason", "")
    if pages == 0:
        reason = child.get("home_error") or "no HTML page was captured"
        if finish == "closespider_timeout" and not child.get("home_error"):
            reason = f"time cap of {portal.limits.max_seconds} s reached before any page was captured"
        if not child.get("home_error") and child.get("stats", {}).get("robotstxt/forbidden"):
            reason = "robots.txt forbids crawling the home page"
        return "failed", reason
    if finish == "closespider_timeout":
        return "partial", f"time cap of {portal.limits.max_seconds} s reached after {pages} pages"
    if child.get("capped"):
        return "partial", child["capped"]
    if finish != "finished":
        return "partial", f"crawl stopped early ({finish or 'unknown reason'}) after {pages} pages"
    if child.get("home_error"):
        return "partial", f"home page failed ({child['home_error']}); {pages} other pages kept"
    if int(child.get("home_status") or 0) >= 400:
        return "partial", f"home page answered HTTP {child['home_status']}; {pages} pages kept"
    return "ok", f"finished: {pages} pages"


def crawl_portal(
    portal: PortalConfig,
    files: PortalFiles,
    progress: Callable[[str], None] | None = None,
    fresh: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> CrawlResult:
    """Crawl one portal into files (job, WARC, captures, summary, log). Returns how it went; never raises
    for a bad or unreachable site.

    fresh: set once the files of an earlier attempt are gone (from then on, what they hold is this crawl's).
    stop: set it to end the crawl now (its child process is killed)."""
    started = time.monotonic()
    _fresh_start(files)
    if fresh is not None:
        fresh.set()
    files.job.write_text(json.dumps(portal.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    refusal = preflight(portal)
    if refusal:
        result = CrawlResult("failed", refusal, 0, round(time.monotonic() - started, 2), {})
        files.crawl_summary.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        return result
    deadline = started + portal.limits.max_seconds + KILL_GRACE_SECONDS
    try:
        code, stderr = _run_child(files, deadline, progress, stop)
    except OSError as exc:
        code, stderr = -1, f"could not start the crawler: {exc}"
    child: dict[str, Any] | None = None
    try:
        child = json.loads(files.crawl_summary.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        child = None
    if stderr.strip():
        with files.crawl_log.open("a", encoding="utf-8") as log:
            log.write("\n--- crawler stderr ---\n" + stderr)
    pages = int(child["pages"]) if child else _count_pages(files)
    stopped = stop is not None and stop.is_set() and time.monotonic() <= deadline
    status, reason = _decide(portal, child, code, stderr, pages, stopped)
    stats: dict[str, Any] = dict(child.get("stats", {})) if child else {}
    if child:
        stats["rendering"] = child.get("rendering", "")
        stats["warnings"] = child.get("warnings", [])
    result = CrawlResult(status, reason, pages, round(time.monotonic() - started, 2), stats,
                         dict(child.get("focus", {})) if child else {})  # fmt: skip
    files.crawl_summary.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return result


class BackgroundCrawl:
    """A crawl running in a thread of this process while its captures are read as it writes them.

    Parsing alongside the crawl uses the cores a crawl leaves idle (a polite crawl mostly waits), so the
    assessment starts with most pages already parsed. `captures()` ends once the crawl has ended and
    everything it wrote has been read; `result()` waits for the crawl, which its own time cap bounds."""

    def __init__(
        self,
        portal: PortalConfig,
        files: PortalFiles,
        progress: Callable[[str], None] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.files = files
        self.done = threading.Event()
        self._fresh = threading.Event()
        self._stop = threading.Event()
        self._result: CrawlResult | None = None
        self._thread = threading.Thread(
            target=self._crawl, args=(portal, progress, on_end), name=f"crawl {portal.id}", daemon=True
        )
        self._thread.start()

    def _crawl(
        self, portal: PortalConfig, progress: Callable[[str], None] | None, on_end: Callable[[], None] | None
    ) -> None:
        started = time.monotonic()
        try:
            self._result = crawl_portal(portal, self.files, progress, self._fresh, self._stop)
        except Exception as exc:  # e.g. the disk is full: the portal is finished with the reason
            self._result = CrawlResult("failed", f"the crawl stopped: {type(exc).__name__}: {exc}", 0,
                                       round(time.monotonic() - started, 2))  # fmt: skip
        finally:
            self._fresh.set()
            try:
                if on_end is not None:
                    on_end()
            finally:
                self.done.set()

    def captures(self) -> Iterator[Capture]:
        self._fresh.wait()  # never read what an earlier attempt left before it is removed
        yield from iter_captures(self.files, until=self.done)

    def stop(self) -> None:
        """End the crawl without waiting for it (whoever reads its captures has given up)."""
        self._stop.set()

    def result(self) -> CrawlResult:
        self._thread.join()
        assert self._result is not None
        return self._result
