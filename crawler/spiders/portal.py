"""PortalSpider: breadth-first crawl of one portal, rendering in Chromium only where it is needed."""

from __future__ import annotations

import contextlib
import gzip
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.focus import ENQUEUE_PER_QUOTA, Focus
from crawler.items import CaptureItem
from crawler.links import PageSignals, canonical, extract, is_file
from crawler.parse import declared_charset, decode_body, is_html
from crawler.scope import Scope, host_of, linked_scope, netloc_of, scope_refusal
from losi.deadline import CallTimeout, bounded
from losi.layout import PortalFiles
from losi.models import PortalConfig

logger = logging.getLogger(__name__)

HOME_PRIORITY = 1000
MAX_SITEMAP_FILES = 20
MAX_SITEMAP_ENTRIES = 50_000  # per sitemap file (the protocol's own limit)
NETWORK_IDLE_MS = 3000
# URLs the spider may know of (fetched or queued) per allowed page, with a floor for small caps.
FRONTIER_PER_PAGE = 10
FRONTIER_MIN = 1000
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
REPLACEMENT_CHAR = "\ufffd"  # what a browser puts where bytes do not decode under the declared charset
STATIC_TWIN_TIMEOUT_MS = 15000
# Deadlines on our side of the pipe to the browser (its own timeouts run in Playwright's driver).
READ_RENDERED_SECONDS = 90.0  # network idle, the DOM, the home page's screenshot, the static twin
PAGE_CLOSE_SECONDS = 10.0


async def close_page(page: Any) -> None:
    """Close a rendered page; one already closed, crashed or not answering is left to the browser's close."""
    with contextlib.suppress(Exception):
        await bounded(page.close(), PAGE_CLOSE_SECONDS, "closing a page")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_failure(failure: Failure, url: str) -> str:
    """A one-line, human-readable reason for a failed download."""
    where = netloc_of(url) or url
    if failure.check(DownloadConnectionRefusedError) or "ERR_CONNECTION_REFUSED" in str(failure.value):
        return f"could not connect to {where}: connection refused"
    if failure.check(CannotResolveHostError, DNSLookupError) or "ERR_NAME_NOT_RESOLVED" in str(failure.value):
        return f"could not resolve host {host_of(url)}"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return f"timed out fetching {url}"
    if failure.check(ConnectError):
        return f"could not connect to {where}: {failure.getErrorMessage()}"
    if failure.check(IgnoreRequest):
        return f"not fetched: {failure.getErrorMessage()}"
    message = failure.getErrorMessage().splitlines()[0] if failure.getErrorMessage() else ""
    return f"{failure.type.__name__ if failure.type else 'error'} fetching {url}: {message}".strip()


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, portal: PortalConfig, files: PortalFiles, chromium: str | None = None, **kwargs: Any):
        super().__init__(name=self.name, **kwargs)
        self.portal = portal
        self.files = files
        self.render_enabled = bool(chromium) and portal.render in ("auto", "always")
        self.home_renderable = bool(chromium)
        self.scope = Scope.for_portal(portal)
        self.linked = linked_scope(portal)
        self.home_url = canonical(portal.home_url)
        self.seen: set[str] = set()
        self.pages = 0
        self.capped = ""  # why the crawl was stopped early by a cap
        self.home_error = ""
        self.home_fetched = False
        self.home_status = 0
        self.home_done = False  # the home page was answered (or failed): the other seeds may start
        self.warnings: list[str] = []
        self.sitemap_files = 0
        self.sitemap_filler = 0
        self.frontier_limit = max(FRONTIER_MIN, FRONTIER_PER_PAGE * portal.limits.max_pages)
        self.focus = Focus(portal)  # priorities and reasons: crawler.focus.FocusMiddleware applies them
        self.screenshot_count = 0

    # ------------------------------------------------------------------ scope

    def in_scope(self, url: str) -> bool:
        try:
            return self.scope.is_internal(url)
        except ValueError:  # malformed port or host
            return False

    def scope_refusal(self, url: str, outside: bool = False) -> str | None:
        """Why a URL may not be fetched ("outside_scope", "private_address"), or None."""
        return scope_refusal(self.scope, self.linked, url, outside)

    # ------------------------------------------------------------------ requests

    def page_request(
        self,
        url: str,
        depth: int,
        referer: str = "",
        render: bool = False,
        outside: bool = False,
        home: bool = False,
        dont_filter: bool = False,
        static: CaptureItem | None = None,
    ) -> Request:
        meta: dict[str, Any] = {
            "losi_depth": depth,
            "losi_outside": outside,
            "losi_home": home,
            "losi_referer": referer,
            "losi_static": static,
        }
        if render:
            meta.update(
                {
                    "playwright": True,
                    "playwright_include_page": True,
                    # Created on first use (not at start-up), so only the handler that renders starts a browser.
                    "playwright_context": "default",
                    "playwright_context_kwargs": {"ignore_https_errors": True},
                    "playwright_page_goto_kwargs": {"wait_until": "load"},
                }
            )
        headers = {"Referer": referer} if referer else None
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            meta=meta,
            headers=headers,
            priority=HOME_PRIORITY if home else -depth,
            dont_filter=dont_filter,
        )

    def _should_render(self, url: str) -> bool:
        return self.render_enabled and (self.portal.render == "always" or "#" in url)

    async def start(self) -> AsyncIterator[Any]:
        # robots.txt, the sitemaps and the seeds come after the home page (see after_home), so that the
        # home page's links get depth 1 even when rendering the home page is slow.
        self.seen.add(self.home_url)
        yield self.page_request(self.home_url, 0, home=True)

    def after_home(self, host_reachable: bool = True) -> list[Request]:
        """robots.txt, sitemap.xml (not when the host could not be reached) and the configured seeds."""
        if self.home_done:
            return []
        self.home_done = True
        parts = urlsplit(self.home_url)
        root = f"{parts.scheme}://{parts.netloc}"
        trusted = {"losi_trusted": True, "dont_obey_robotstxt": True}
        requests: list[Request] = []
        if host_reachable:
            requests.append(
                Request(f"{root}/robots.txt", callback=self.parse_robots, errback=self.on_aux_error,
                        meta=trusted, priority=HOME_PRIORITY - 1)
            )
            requests.append(self.sitemap_request(f"{root}/sitemap.xml"))
        for seed in self.portal.seeds:
            url = canonical(seed)
            if url not in self.seen:
                self.seen.add(url)
                requests.append(self.page_request(url, 0, render=self._should_render(url)))
        return requests

    def sitemap_request(self, url: str) -> Request:
        self.sitemap_files += 1
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_aux_error,
            meta={"losi_trusted": True},
            priority=HOME_PRIORITY - 2,
        )

    # ------------------------------------------------------------------ captures

    def capture(
        self,
        response: Response,
        body: bytes,
        final_url: str,
        rendered: bool,
        headers: list[tuple[str, str]] | None = None,
        screenshot: str = "",
    ) -> CaptureItem:
        meta = response.meta
        redirects = meta.get("redirect_urls") or []
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if headers is None:
            headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items() for v in values
            ]
        is_page = "html" in content_type.lower() or (not content_type and body.lstrip()[:1] == b"<")
        return CaptureItem(
            url=redirects[0] if redirects else response.request.url if response.request else response.url,
            final_url=final_url,
            status=response.status,
            content_type=content_type,
            depth=int(meta.get("losi_depth", 0)),
            rendered=rendered,
            fetched_at=utc_now(),
            referer=meta.get("losi_referer", ""),
            outside=bool(meta.get("losi_outside")),
            screenshot=screenshot,
            is_page=is_page,
            kind="home" if meta.get("losi_home") else meta.get("losi_kind", ""),
            why="the home page" if meta.get("losi_home") else meta.get("losi_reason", ""),
            headers=headers,
            body=body,
        )

    def _cap_reached(self) -> bool:
        if self.pages < self.portal.limits.max_pages:
            return False
        if not self.capped:
            self.capped = f"page cap of {self.portal.limits.max_pages} pages reached"
            self.crawler.stats.set_value("losi/capped", self.capped)
        return True

    # ------------------------------------------------------------------ callbacks

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        page = meta.get("playwright_page")
        rendered = bool(meta.get("playwright"))
        screenshot = ""
        body = response.body
        final_url = response.url
        headers: list[tuple[str, str]] | None = None
        static: tuple[bytes, list[tuple[str, str]]] | None = None
        if self._cap_reached():
            if page is not None:
                await close_page(page)
            raise CloseSpider("max_pages")
        if page is not None:
            try:
                body, final_url, headers, screenshot, static = await bounded(
                    self._read_rendered(response, page), READ_RENDERED_SECONDS, f"reading the rendered {response.url}"
                )
            except CallTimeout as exc:  # the browser stopped answering: keep the DOM the handler already read
                self.warnings.append(str(exc))
                self.crawler.stats.inc_value("losi/render_timeouts")
                body, final_url, headers, screenshot, static = response.body, response.url, None, "", None
            finally:
                await close_page(page)
        home = bool(meta.get("losi_home"))
        if home and rendered and not self.render_enabled:
            await self._stop_browsing()  # only the home page is rendered (its screenshot): that is done
        if home:
            self.home_fetched = True
            self.home_status = response.status
        home_render = home and not rendered and self.home_renderable and response.status < 400
        if home and not home_render:
            for request in self.after_home():
                yield request
        if static is not None:
            # The browser lost characters to a lying charset; the server's bytes decode cleanly: keep those
            # (the parse step reads their real charset). Links are still followed from the rendered DOM.
            item = self.capture(response, static[0], final_url, False, static[1], screenshot)
        else:
            item = self.capture(response, body, final_url, rendered, headers, screenshot)
        if not item.is_page:
            if home_render:
                for request in self.after_home():
                    yield request
            yield item
            return

        dom_content_type = dict((k.lower(), v) for k, v in headers or []).get("content-type", item.content_type)
        encoding = _charset(dom_content_type) if rendered else getattr(response, "encoding", "utf-8")
        signals = extract(body, final_url, encoding)
        wants_render = home_render or (
            not rendered
            and self.render_enabled
            and response.status < 400
            and not signals.js_redirect
            and (self.portal.render == "always" or signals.looks_like_spa)
        )
        if wants_render:
            # Re-request in the browser; the static capture is kept only if rendering fails. The home page is
            # fetched plainly first (so DOWNLOAD_MAXSIZE and the plain capture hold whatever the browser does),
            # then always rendered and screenshotted, at its original URL (the browser follows its redirects).
            self.crawler.stats.inc_value("losi/rerendered")
            yield self.page_request(
                item.url if home else response.url, item.depth, item.referer, render=True, outside=item.outside,
                home=home, dont_filter=True, static=item,
            )
            return
        self.pages += 1
        yield item
        if response.status >= 400 or item.outside:
            return
        self.focus.note_page(item.final_url, item.kind, signals.anchors)  # a listing shows which family holds items
        for request in self.follow(signals, item, rendered):
            yield request

    async def _stop_browsing(self) -> None:
        handler = getattr(self.crawler, "_losi_render_handler", None)  # see crawler.render
        if handler is not None:
            await handler.stop_browsing()

    async def _read_rendered(
        self, response: Response, page: Any
    ) -> tuple[bytes, str, list[tuple[str, str]], str, tuple[bytes, list[tuple[str, str]]] | None]:
        """The rendered DOM (after the network settles), its URL, headers, the home page's screenshot, and the
        server's own bytes and headers when the DOM lost characters that those bytes hold."""
        with contextlib.suppress(Exception):  # a page that keeps polling never goes idle; its DOM is still good
            await page.wait_for_load_state("networkidle", timeout=NETWORK_IDLE_MS)
        try:
            html = await page.content()
        except Exception:  # navigation in progress (JS redirect): let it finish, then read
            await page.wait_for_load_state("load", timeout=NETWORK_IDLE_MS)
            html = await page.content()
        content_type = response.headers.get("Content-Type", b"text/html").decode("latin-1") or "text/html"
        charset = _charset(content_type)
        try:
            body = html.encode(charset)
        except (LookupError, UnicodeEncodeError):
            body = html.encode("utf-8")
            content_type = (
                _CHARSET.sub("charset=utf-8", content_type)
                if _CHARSET.search(content_type)
                else content_type + "; charset=utf-8"
            )
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
            if k.decode("latin-1").lower() != "content-type"
        ]
        headers.append(("Content-Type", content_type))
        screenshot = ""
        if response.meta.get("losi_home"):
            screenshot = await self._screenshot(page)
        static = await self._static_twin(page, response) if REPLACEMENT_CHAR in html else None
        return body, page.url, headers, screenshot, static

    async def _static_twin(self, page: Any, response: Response) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The page's bytes as the server sent them, when they decode without replacement characters.

        Chromium decodes a page by its declared charset, so a cp1251 page served as utf-8 reaches the DOM as
        U+FFFD; crawler.parse.decode_body sniffs such bytes right. Fetched once more (same URL, no
        redirects, same scope rules), only for a page whose DOM holds replacement characters.
        """
        url = page.url
        if self.scope_refusal(url, outside=bool(response.meta.get("losi_outside"))):
            return None
        try:
            answer = await page.request.get(url, max_redirects=0, timeout=STATIC_TWIN_TIMEOUT_MS)
            raw = await answer.body()
            pairs = [(h["name"], h["value"]) for h in answer.headers_array]
            status = answer.status
        except Exception as exc:  # the rendered capture stays; say why
            self.warnings.append(f"static copy of {url} not fetched: {exc}")
            return None
        content_type = next((v for k, v in pairs if k.lower() == "content-type"), "")
        limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") or len(raw)
        if not 200 <= status < 300 or len(raw) > limit or not is_html(raw, content_type):
            return None
        headers = dict(pairs)
        try:
            raw.decode(declared_charset(raw, headers, content_type) or "utf-8")
            return None  # valid under the charset the browser used: the U+FFFD are the page's own (or its JS's)
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies: the browser's decoding lost characters
        if REPLACEMENT_CHAR in decode_body(raw, headers, content_type):
            return None  # no charset reads the server's bytes cleanly either: the rendered DOM is as good
        self.crawler.stats.inc_value("losi/static_kept_for_charset")
        self.warnings.append(f"{url}: the browser could not decode the declared charset; kept the server's bytes")
        return raw, pairs

    async def _screenshot(self, page: Any) -> str:
        self.files.screenshots.mkdir(parents=True, exist_ok=True)
        self.screenshot_count += 1
        name = f"home-{self.screenshot_count}.png" if self.screenshot_count > 1 else "home.png"
        path = self.files.screenshots / name
        try:
            await page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # a failed screenshot must not lose the page
            self.warnings.append(f"screenshot of {page.url} failed: {exc}")
            return ""
        return str(path.relative_to(self.files.root))

    def follow(self, signals: PageSignals, item: CaptureItem, rendered: bool) -> list[Request]:
        requests: list[Request] = []
        if signals.js_redirect and signals.js_redirect not in self.seen:
            request = self._link_request(signals.js_redirect, item.depth, item.final_url)
            if request is not None:
                self.crawler.stats.inc_value("losi/js_redirects")
                requests.append(request)
        depth = item.depth + 1
        if depth > self.portal.limits.max_depth:
            fresh = [u for u in signals.links if u not in self.seen and self.in_scope(u)]
            self.crawler.stats.inc_value("losi/depth_capped", len(fresh))
            return requests
        for url in signals.links:
            request = self._link_request(url, depth, item.final_url)
            if request is not None:
                anchor = signals.anchors.get(url)
                if anchor is not None:  # how the page names the link and where: the frontier's first clue
                    request.meta["losi_label"] = anchor.label
                    request.meta["losi_region"] = anchor.region
                requests.append(request)
        if rendered:
            for route in signals.hash_routes:  # an SPA's hash routes are pages of their own
                if route not in self.seen and self.in_scope(route):
                    self.seen.add(route)
                    requests.append(self.page_request(route, depth, item.final_url, render=True, dont_filter=True))
        return requests

    def _link_request(self, url: str, depth: int, referer: str) -> Request | None:
        if url in self.seen:
            return None
        if len(self.seen) >= self.frontier_limit:  # a hostile page with endless links must not fill memory
            self.crawler.stats.inc_value("losi/frontier_full")
            return None
        try:
            return self._new_link_request(url, depth, referer)
        except ValueError:  # a malformed URL (bad port, bad IPv6 literal) is skipped
            self.crawler.stats.inc_value("losi/bad_urls")
            return None

    def _new_link_request(self, url: str, depth: int, referer: str) -> Request | None:
        if is_file(url):
            self.seen.add(url)
            self.crawler.stats.inc_value("losi/documents_not_downloaded")
            return None
        if self.in_scope(url):
            self.seen.add(url)
            return self.page_request(url, depth, referer, render=self._should_render(url))
        if self.linked.is_internal(url):
            self.seen.add(url)
            return self.page_request(url, depth, referer, outside=True)
        return None

    def aux_capture(self, response: Response) -> CaptureItem:
        item = self.capture(response, response.body, response.url, False)
        item.is_page = False  # robots.txt, sitemaps (and their error pages) are not portal pages
        item.aux = True  # ...also when a site answers them with an HTML page
        return item

    def parse_robots(self, response: Response) -> Any:
        yield self.aux_capture(response)
        if response.status >= 400:
            return
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if self.sitemap_files < MAX_SITEMAP_FILES and url not in self.seen:
                self.seen.add(url)
                yield self.sitemap_request(url)

    def parse_sitemap(self, response: Response) -> Any:
        yield self.aux_capture(response)
        if response.status >= 400:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # not XML: nothing to seed from
            self.warnings.append(f"unreadable sitemap: {response.url}")
            return
        # The whole sitemap is read (up to MAX_SITEMAP_ENTRIES): its news items are filler, counted apart, so
        # thousands of them listed first cannot use up the frontier before the pages the indicators need.
        limit = self.portal.limits.max_pages * 2
        filler_limit = ENQUEUE_PER_QUOTA * self.focus.filler_quota
        for number, entry in enumerate(sitemap):
            loc = entry.get("loc", "")
            if not loc or number >= MAX_SITEMAP_ENTRIES:
                continue
            url = canonical(urljoin(response.url, loc))
            if sitemap.type == "sitemapindex":
                if self.sitemap_files < MAX_SITEMAP_FILES and url not in self.seen:
                    self.seen.add(url)
                    yield self.sitemap_request(url)
            elif url not in self.seen and not is_file(url) and self.in_scope(url):
                if self.focus.filler_kind(url):
                    if self.sitemap_filler >= filler_limit:
                        self.crawler.stats.inc_value("losi/sitemap_filler_skipped")
                        continue
                    self.sitemap_filler += 1
                elif limit <= 0:
                    continue
                else:
                    limit -= 1
                self.seen.add(url)
                self.crawler.stats.inc_value("losi/sitemap_urls")
                request = self.page_request(url, 1, response.url, render=self._should_render(url))
                request.meta["losi_sitemap"] = True
                yield request

    # ------------------------------------------------------------------ errors

    async def on_error(self, failure: Failure) -> AsyncIterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        page = meta.get("playwright_page")
        if page is not None:
            await close_page(page)
        home = bool(meta.get("losi_home"))
        if failure.check(IgnoreRequest):
            if home:
                self.home_error = describe_failure(failure, request.url)
                for follow in self.after_home():
                    yield follow
            return
        if failure.check(DownloadCancelledError, CancelledError):
            # Scrapy cancels a download that is larger than DOWNLOAD_MAXSIZE (and logs the size).
            self.crawler.stats.inc_value("losi/too_large")
            self.warnings.append(f"response too large (over DOWNLOAD_MAXSIZE), not kept: {request.url}")
            if home:
                self.home_error = f"home page too large: {failure.getErrorMessage()}"
                for follow in self.after_home():
                    yield follow
            return
        if meta.get("playwright"):
            # The browser failed on this page: keep what plain HTTP gave, or fetch it without the browser.
            self.crawler.stats.inc_value("losi/render_failed")
            self.warnings.append(f"rendering failed for {request.url}: {describe_failure(failure, request.url)}")
            static = meta.get("losi_static")
            if static is not None:
                if home:
                    for follow in self.after_home():
                        yield follow
                if not self._cap_reached():
                    self.pages += 1
                    yield static
                    if static.status < 400 and not static.outside:  # follow what plain HTTP showed
                        signals = extract(static.body, static.final_url, _charset(static.content_type))
                        for follow in self.follow(signals, static, False):
                            yield follow
                return
            plain = self.page_request(
                request.url,
                meta.get("losi_depth", 0),
                meta.get("losi_referer", ""),
                outside=bool(meta.get("losi_outside")),
                home=bool(meta.get("losi_home")),
                dont_filter=True,
            )
            yield plain
            return
        self.crawler.stats.inc_value("losi/errors")
        reason = describe_failure(failure, request.url)
        logger.warning("failed: %s", reason)
        if home:
            self.home_error = reason
            for follow in self.after_home(host_reachable=False):
                yield follow

    def on_aux_error(self, failure: Failure) -> None:
        """robots.txt and sitemaps are optional: a failure is only logged."""
        request = failure.request  # type: ignore[attr-defined]
        logger.info("optional file not fetched: %s", describe_failure(failure, request.url))


def _charset(content_type: str) -> str:
    match = _CHARSET.search(content_type or "")
    return match.group(1).strip("\"'") if match else "utf-8"
