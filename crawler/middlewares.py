"""Downloader middlewares: the scope guard (also for redirects) and the crawler-trap guard."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.links import canonical

MAX_URL_LENGTH = 400
MAX_QUERY_PARAMS = 4
MAX_PATH_SEGMENTS = 12
MAX_SEGMENT_REPEATS = 2
MAX_PER_PATTERN = 50
# Calendar-ish dates further than this from today are traps (next/previous month links go on forever).
CALENDAR_YEARS_BACK = 2
CALENDAR_YEARS_AHEAD = 1

_CALENDAR_KEYS = frozenset(
    (
        "year", "month", "day", "date", "week", "cal", "calendar", "y", "m", "d", "ym", "ymd", "from", "to",
        "start", "end", "period", "month_id",
    )
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2}|21\d{2})(?!\d)")
_DATE_PATH = re.compile(r"/(19|20|21)\d{2}(?:[/-]\d{1,2}){0,2}/?$")
_DIGITS = re.compile(r"\d+")


class TrapGuard:
    """Decides whether a URL is a likely crawler trap. Stateful: counts URLs per trap-prone pattern."""

    def __init__(self, max_per_pattern: int = MAX_PER_PATTERN, today: date | None = None):
        self.max_per_pattern = max_per_pattern
        self.today = today or date.today()
        self.patterns: Counter[str] = Counter()

    def reason(self, url: str) -> str | None:
        """The kind of trap ("long_url", "calendar", ...) or None. Counts the URL when it passes."""
        if len(url) > MAX_URL_LENGTH:
            return "long_url"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > MAX_PATH_SEGMENTS:
            return "deep_path"
        if segments and max(Counter(segments).values()) > MAX_SEGMENT_REPEATS:
            return "repeating_path"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        keys = [k.lower() for k, _ in pairs]
        if len(keys) > MAX_QUERY_PARAMS:
            return "faceted_search"
        if len(set(keys)) != len(keys):
            return "faceted_search"
        calendarish = bool(_DATE_PATH.search(parts.path)) or any(k in _CALENDAR_KEYS for k in keys)
        if calendarish and self._far_date(parts.path + "?" + parts.query):
            return "calendar"
        if pairs or _DATE_PATH.search(parts.path):
            path = _DIGITS.sub("<n>", parts.path) if _DATE_PATH.search(parts.path) else parts.path
            pattern = f"{parts.netloc}{path}?{'&'.join(sorted(set(keys)))}"
            if self.patterns[pattern] >= self.max_per_pattern:
                return "pattern_cap"
            self.patterns[pattern] += 1
        return None

    def _far_date(self, text: str) -> bool:
        years = [int(y) for y in _YEAR.findall(text)]
        low, high = self.today.year - CALENDAR_YEARS_BACK, self.today.year + CALENDAR_YEARS_AHEAD
        return any(y < low or y > high for y in years)


class GuardMiddleware:
    """Drops requests outside the scope (incl. redirect targets) and likely crawler traps.

    The spider checks links before it yields them; this middleware also sees redirects and meta-refresh
    targets, which bypass the spider.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.traps = TrapGuard(crawler.settings.getint("LOSI_MAX_PER_PATTERN", MAX_PER_PATTERN))
        self.checked: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("losi_trusted"):  # robots.txt, sitemaps: fetched once by the spider itself
            return None
        spider = spider or self.crawler.spider
        outside = bool(request.meta.get("losi_outside"))
        if urlsplit(request.url).path == "/robots.txt":  # Scrapy's own robots.txt fetch, for any host we visit
            outside = not spider.scope.is_internal(request.url)
        try:
            scope_reason = spider.scope_refusal(request.url, outside=outside)
        except ValueError:  # malformed host or port
            scope_reason = "bad_url"
        if scope_reason:
            self.stats.inc_value(f"losi/refused/{scope_reason}")
            raise IgnoreRequest(f"{scope_reason}: {request.url}")
        # Count each URL once: a rendered re-request of a page is not a new URL for the pattern cap.
        key = canonical(request.url)
        if key in self.checked:
            return None
        trap = self.traps.reason(request.url)
        if trap:
            self.stats.inc_value(f"losi/trap/{trap}")
            raise IgnoreRequest(f"crawler trap ({trap}): {request.url}")
        self.checked.add(key)
        return None
