"""Reading a crawl back: captures.jsonl lines joined with their WARC records."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from warcio.archiveiterator import ArchiveIterator

from losi.layout import PortalFiles

logger = logging.getLogger(__name__)


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


def _read_record(warc: IO[bytes], offset: int) -> tuple[dict[str, str], bytes] | None:
    try:
        warc.seek(offset)
        for record in ArchiveIterator(warc):
            headers = dict(record.http_headers.headers) if record.http_headers else {}
            return headers, record.content_stream().read()
    except Exception as exc:  # a truncated or corrupt record (killed run) is skipped
        logger.warning("unreadable WARC record at offset %s: %s", offset, exc)
    return None


def iter_captures(files: PortalFiles) -> Iterator[Capture]:
    """Every capture of a crawl, in crawl order. Skips a truncated last line or record."""
    if not files.captures.exists() or not files.warc.exists():
        return
    with files.captures.open(encoding="utf-8", errors="replace") as lines, files.warc.open("rb") as warc:
        for line in lines:
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
            )
