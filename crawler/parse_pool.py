"""Parsing a crawl's captures on every core: page documents in crawl order, from a pool of processes.

Parsing is CPU-bound Python (lxml, dates, language), one page at a time; a portal of thousands of pages
spends most of its assessment here. Pages go to worker processes in small chunks, a few chunks ahead of
the reader, so memory holds only those in flight; the documents come back in crawl order, so the result
is the same as parsing them one after the other. Small crawls, one core or a pool that cannot start
(a daemonic worker process) are parsed here, in this process.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crawler.captures import Capture
from crawler.parse import parse_page
from crawler.scope import Scope
from crawler.shared_parts import PartNumbers, PartsPickler, PartsTable, SharedParts
from losi.models import PageDoc

logger = logging.getLogger(__name__)

ENV = "LOSI_PARSE_WORKERS"  # how many processes parse (1: in the assessing process); `losi run --parallel` divides
MAX_WORKERS = 4
MIN_PAGES_FOR_POOL = 200  # below this, starting the processes costs more than it saves
CHUNK_PAGES = 16
CHUNKS_AHEAD = 3  # per worker: chunks sent before the first comes back
WORKER_GC_THRESHOLD = 10_000  # allocations between young-generation collections in a parse process
START_SECONDS = 60.0  # the pool processes starting (imports) on a busy machine
CHUNK_SECONDS = 300.0  # a chunk not back by then (its worker hangs) is parsed here instead

Parsed = tuple[Capture, PageDoc | None, Any]  # (capture, its page document, what `also` made of it)
Also = Callable[[PageDoc], Any]
Chunk = Future[tuple[str, bytes]]  # a pool process's name and what it sent for the chunk (_parse_chunk)


def parse_workers() -> int:
    """Processes to parse with: LOSI_PARSE_WORKERS, else the cores (at most MAX_WORKERS)."""
    try:
        return max(1, int(os.environ[ENV]))
    except (KeyError, ValueError):
        return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def parse_capture(capture: Capture, scope: Scope) -> PageDoc | None:
    page = parse_page(
        capture.body,
        url=capture.url,
        final_url=capture.final_url,
        status=capture.status,
        content_type=capture.content_type,
        scope=scope,
        headers=capture.headers,
        depth=capture.depth,
        rendered=capture.rendered,
        fetched_at=capture.fetched_at,
        screenshot=capture.screenshot,
    )
    if page is not None:
        page.fetched_as = capture.kind
    return page


_job: tuple[Scope, Also | None] | None = None  # a pool process's scope and page work, set when it starts
_sender = ""  # a pool process's name for what it sends (PartsTable), set when it starts
_part_numbers = PartNumbers()  # what a pool process has sent: see PartsPickler


def _start_worker(scope: Scope, also: Also | None) -> None:
    global _job, _sender
    _job = (scope, also)
    _sender = uuid.uuid4().hex
    # A worker's objects live for one page, and the collector's young-generation passes over them cost about
    # a tenth of parsing at the default threshold (700): collect less often, and never look at the modules.
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, 10, 10)


def _parse_one(capture: Capture, scope: Scope, also: Also | None) -> tuple[PageDoc | None, Any]:
    doc = parse_capture(capture, scope)
    return doc, None if doc is None or also is None else also(doc)


def _parse_chunk(chunk: list[Capture]) -> tuple[str, bytes]:
    """In a pool process: the chunk's (document, also's result) pairs, as PartsPickler writes them."""
    assert _job is not None
    return _sender, PartsPickler.dumps([_parse_one(capture, *_job) for capture in chunk], _part_numbers)


def _chunks(captures: Iterable[Capture]) -> Iterator[list[Capture]]:
    chunk: list[Capture] = []
    for capture in captures:
        chunk.append(capture)
        if len(chunk) == CHUNK_PAGES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _start_pool(workers: int, scope: Scope, also: Also | None) -> ProcessPoolExecutor | None:
    """A pool whose processes answered once, or None (then the pages are parsed in this process)."""
    pool: ProcessPoolExecutor | None = None
    try:
        # forkserver: never fork a process that runs threads (progress display, store, servers)
        pool = ProcessPoolExecutor(workers, multiprocessing.get_context("forkserver"), _start_worker, (scope, also))
        pool.submit(os.getpid).result(START_SECONDS)  # processes that die starting (an unguarded __main__) never do
    except Exception as exc:  # e.g. "daemonic processes are not allowed to have children"
        logger.info("parsing in one process: the parse processes did not start (%s)", exc or type(exc).__name__)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return None
    return pool


def share_cores(portals_at_once: int) -> None:
    """Let each of `portals_at_once` portal processes started from here parse on its share of the cores
    (unless LOSI_PARSE_WORKERS says otherwise): they inherit the environment."""
    os.environ.setdefault(ENV, str(max(1, (os.cpu_count() or 1) // max(1, portals_at_once))))


def parse_captures(
    captures: Iterable[Capture],
    scope: Scope,
    expected: int | None,
    workers: int | None = None,
    also: Also | None = None,
) -> Iterator[Parsed]:
    """(capture, its page document or None, also(document) or None) for every capture, in the order given.

    also: more work on each page document where it is parsed (a module-level function: it goes to the
    pool's processes by name).

    expected: about how many captures there are (the pool is used only for many); None while a crawl is
    still writing them (the pool starts once MIN_PAGES_FOR_POOL have come). Stopping early (a
    deadline) is closing this generator: the pool's processes end after the pages they hold. Parts
    repeated across pages (template links) are one object (SharedParts)."""
    workers = parse_workers() if workers is None else workers
    shared = SharedParts()
    captures = iter(captures)
    if expected is None:  # a crawl still running: parse here until it proves big enough for the pool
        for capture in itertools.islice(captures, MIN_PAGES_FOR_POOL):
            yield _parsed_here(capture, scope, also, shared)
        following = next(captures, None)
        if following is None:
            return
        captures, expected = itertools.chain([following], captures), MIN_PAGES_FOR_POOL
    pool = _start_pool(workers, scope, also) if workers > 1 and expected >= MIN_PAGES_FOR_POOL else None
    if pool is None:
        for capture in captures:
            yield _parsed_here(capture, scope, also, shared)
        return
    tables: dict[str, PartsTable] = {}  # pool process -> the parts it has sent
    in_flight: deque[tuple[list[Capture], Chunk]] = deque()
    try:
        for chunk in _chunks(captures):
            try:
                in_flight.append((chunk, pool.submit(_parse_chunk, chunk)))
            except BrokenProcessPool:  # a worker died: the pool takes no more; what is left is parsed here
                in_flight.append((chunk, _failed()))
            while len(in_flight) >= workers * CHUNKS_AHEAD:
                yield from _collect(*in_flight.popleft(), scope, also, shared, tables)
        while in_flight:
            yield from _collect(*in_flight.popleft(), scope, also, shared, tables)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _parsed_here(capture: Capture, scope: Scope, also: Also | None, shared: SharedParts) -> Parsed:
    doc, extra = _parse_one(capture, scope, also)
    return capture, None if doc is None else shared.share(doc), extra


def _failed() -> Chunk:
    future: Chunk = Future()
    future.set_exception(BrokenProcessPool("the parse pool stopped"))
    return future


def _collect(
    chunk: list[Capture],
    result: Chunk,
    scope: Scope,
    also: Also | None,
    shared: SharedParts,
    tables: dict[str, PartsTable],
) -> Iterator[Parsed]:
    try:
        sender, data = result.result(CHUNK_SECONDS)
        parsed = tables.setdefault(sender, PartsTable(shared)).loads(data)
    except Exception as exc:  # a worker died (or hangs), or sent a part with a chunk that never came back
        reason = "a part sent before was lost" if isinstance(exc, KeyError) else exc or type(exc).__name__
        logger.warning("parsing %d pages in the assessing process: %s", len(chunk), reason)
        yield from (_parsed_here(capture, scope, also, shared) for capture in chunk)
        return
    for capture, (doc, extra) in zip(chunk, parsed, strict=True):
        yield capture, None if doc is None else shared.share_texts(doc), extra


def count_lines(path: Any) -> int:
    """Lines in a text file (the captures index): how many captures to expect, without reading bodies."""
    try:
        with open(path, "rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return 0
