"""The capture writer: every kept response goes to the WARC and one line to captures.jsonl, flushed as it goes.

The WARC record is written and flushed before its JSONL line, so a line always points to a whole record,
even when the crawl is killed half-way.
"""

from __future__ import annotations

import json
import sys
import time
from io import BytesIO
from pathlib import Path
from typing import IO

from scrapy import Spider
from scrapy.crawler import Crawler
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import CaptureItem

PROGRESS_PREFIX = "@@progress "
PROGRESS_EVERY = 25
PROGRESS_SECONDS = 2.0  # and at least this often while pages come in (the live display's page counts)
# Headers that describe the transfer, not the body we store (Scrapy has already decoded it).
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def progress_line(text: str) -> None:
    """A progress line on stdout, which the parent process relays."""
    sys.stdout.write(PROGRESS_PREFIX + text + "\n")
    sys.stdout.flush()


class CaptureWriterPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.warc_file: IO[bytes] | None = None
        self.jsonl_file: IO[str] | None = None
        self.writer: WARCWriter | None = None
        self.pages = 0
        self.captures = 0
        self.started = time.monotonic()
        self.last_progress = self.started

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureWriterPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        files = spider.files
        files.root.mkdir(parents=True, exist_ok=True)
        # Open for the whole crawl (closed in close_spider), appending so a killed run keeps what it wrote.
        self.warc_file = Path(files.warc).open("ab")  # noqa: SIM115
        self.jsonl_file = Path(files.captures).open("a", encoding="utf-8")  # noqa: SIM115
        self.writer = WARCWriter(self.warc_file, gzip=True)
        self.started = time.monotonic()

    def close_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        for f in (self.warc_file, self.jsonl_file):
            if f is not None:
                f.close()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        progress_line(f"done, {self.pages} pages, {self.pages / elapsed:.1f} pages/s")

    def process_item(self, item: CaptureItem, spider: Spider | None = None) -> CaptureItem:
        spider = spider or self.crawler.spider
        assert self.writer is not None and self.warc_file is not None and self.jsonl_file is not None
        offset = self.warc_file.tell()
        headers = [(k, v) for k, v in item.headers if k.lower() not in _TRANSFER_HEADERS]
        headers.append(("Content-Length", str(len(item.body))))
        http_headers = StatusAndHeaders(f"{item.status} {item.reason}".strip(), headers, protocol=item.protocol)
        record = self.writer.create_warc_record(
            item.final_url,
            "response",
            payload=BytesIO(item.body),
            length=len(item.body),
            http_headers=http_headers,
            # A rendered capture holds the browser's DOM, not the bytes the server sent: say so in the record.
            warc_headers_dict={"WARC-Date": item.fetched_at, **({"X-Losi-Rendered": "true"} if item.rendered else {})},
        )
        self.writer.write_record(record)
        self.warc_file.flush()
        line = {
            "url": item.url,
            "final_url": item.final_url,
            "status": item.status,
            "content_type": item.content_type,
            "depth": item.depth,
            "rendered": item.rendered,
            "fetched_at": item.fetched_at,
            "warc_offset": offset,
            "screenshot": item.screenshot,
            "referer": item.referer,
            "outside": item.outside,
            "aux": item.aux,
            "kind": item.kind,
            "why": item.why,
        }
        self.jsonl_file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.jsonl_file.flush()
        self.captures += 1
        self.crawler.stats.inc_value("losi/captures")
        if item.is_page:
            self.pages += 1
            self.crawler.stats.inc_value("losi/pages")
            if item.rendered:
                self.crawler.stats.inc_value("losi/pages_rendered")
            now = time.monotonic()
            if self.pages % PROGRESS_EVERY == 0 or now - self.last_progress >= PROGRESS_SECONDS:
                self.last_progress = now
                elapsed = max(now - self.started, 1e-6)
                progress_line(f"{self.pages} pages, {self.pages / elapsed:.1f} pages/s")
        return item
