"""Reading a crawl back: captures.jsonl lines joined with their WARC records, after the crawl or while it runs."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from warcio.archiveiterator import ArchiveIterator

from losi.layout import PortalFiles

logger = logging.getLogger(__name__)

FOLLOW_POLL_SECONDS = 0.2  # how often a reader that has caught up with a running crawl looks for new captures


@dataclass
class Capture:
    url: str
    final_url: str
    status: int
    content_type: str
    depth: int
    rendered: bool
    fetched_at: str
    screenshot: str
    outside: bool
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    referer: str = ""
    warc_offset: int = -1
    aux: bool = False  # robots.txt or a sitemap, not a page
    kind: str = ""  # the frontier class it was fetched as (crawler.focus)


def _read_record(warc: IO[bytes], offset: int) -> tuple[dict[str, str], bytes] | None:
    try:
        warc.seek(offset)
        for record in ArchiveIterator(warc):
            headers = dict(record.http_headers.headers) if record.http_headers else {}
            return headers, record.content_stream().read()
    except Exception as exc:  # a truncated or corrupt record (killed run) is skipped
        logger.warning("unreadable WARC record at offset %s: %s", offset, exc)
    return None


def iter_captures(files: PortalFiles, until: threading.Event | None = None) -> Iterator[Capture]:
    """Every capture of a crawl, in crawl order. Skips a truncated last line or record.

    until: the crawl is still writing these files; follow them as they grow, and stop once `until` is set
    and everything written before it has been read. The crawl writes and flushes each WARC record before
    its line, so a whole line always points to a whole record."""
    if until is None and not (files.captures.exists() and files.warc.exists()):
        return
    with _opened(files, until) as opened:
        if opened is None:
            return
        lines, warc = opened
        for line in _lines(lines, until):
            try:
                meta = json.loads(line)
                offset = int(meta["warc_offset"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            record = _read_record(warc, offset)
            if record is None:
                continue
            headers, body = record
            yield Capture(
                url=meta.get("url", ""),
                final_url=meta.get("final_url") or meta.get("url", ""),
                status=int(meta.get("status", 0)),
                content_type=meta.get("content_type", ""),
                depth=int(meta.get("depth", 0)),
                rendered=bool(meta.get("rendered", False)),
                fetched_at=meta.get("fetched_at", ""),
                screenshot=meta.get("screenshot", ""),
                outside=bool(meta.get("outside", False)),
                headers=headers,
                body=body,
                referer=meta.get("referer", ""),
                warc_offset=offset,
                aux=bool(meta.get("aux", False)),
                kind=str(meta.get("kind", "")),
            )


@contextlib.contextmanager
def _opened(files: PortalFiles, until: threading.Event | None) -> Iterator[tuple[IO[bytes], IO[bytes]] | None]:
    """The captures index and the WARC, open for reading; a running crawl's once it has created both."""
    while until is not None and not (files.captures.exists() and files.warc.exists()):
        if until.wait(FOLLOW_POLL_SECONDS):
            break
    try:
        lines, warc = files.captures.open("rb"), files.warc.open("rb")
    except OSError:  # the crawl ended without writing them
        yield None
        return
    with lines, warc:
        yield lines, warc


def _lines(handle: IO[bytes], until: threading.Event | None) -> Iterator[str]:
    """The whole lines of a file; of a growing one until `until` is set and its end is reached."""
    if until is None:
        for raw in handle:
            yield raw.decode("utf-8", errors="replace")
        return
    pending = b""
    while True:
        ended = until.is_set()  # before reading: what was written before the end is read in this pass
        for raw in iter(handle.readline, b""):
            pending += raw
            if pending.endswith(b"\n"):
                yield pending.decode("utf-8", errors="replace")
                pending = b""
        if ended:
            if pending:
                yield pending.decode("utf-8", errors="replace")  # a truncated last line (a killed crawl)
            return
        until.wait(FOLLOW_POLL_SECONDS)
