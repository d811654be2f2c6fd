"""The item the spider yields for every response it keeps: one capture."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CaptureItem:
    url: str  # the URL requested (before HTTP redirects)
    final_url: str  # the URL of the response
    status: int
    content_type: str
    depth: int
    rendered: bool
    fetched_at: str  # ISO 8601, UTC
    referer: str = ""
    outside: bool = False  # a one-hop page on a linked portal, outside the crawl scope
    screenshot: str = ""  # relative to the portal folder
    is_page: bool = False  # an HTML page (counts against max_pages)
    aux: bool = False  # robots.txt or a sitemap: kept for audit, never a page of the portal
    reason: str = ""  # HTTP reason phrase
    kind: str = ""  # the focused frontier's class of the request (crawler.focus): "home-menu", "filler:news-item"
    why: str = ""  # why the page was fetched, one line
    protocol: str = "HTTP/1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
