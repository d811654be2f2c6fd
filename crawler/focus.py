"""The focused frontier: within the page budget, the pages the indicators need come first.

Every page request gets a class, a Scrapy priority and a one-line reason (recorded with its capture):

    home            the home page
    home-menu       a link in the home page's header, navigation or footer
    service         a link in the content of a service catalogue page
    concept:<id>    a link whose anchor text, title or URL names a concept of the catalog's indicators
                    (in the portal's languages, through indicators.lexicon)
    linked-portal   a page of a linked service portal
    other           anything else, breadth-first
    filler:<kind>   news and event items, archives, pagination, galleries, tag and date listings: after
                    the others, and only up to `limits.filler_share` of the page budget (enough for the news
                    and events indicators)
    filler:listed-item
                    a member, beyond the first few, of a URL family that a news section or a listing links
                    to in its content (/post/123-slug under /news/): news items under a path of their own.
                    Not a family that menus link to (/page.aspx?id=12 in the menu, /page.aspx?id=901 in
                    the news list): there, news and the portal's own pages share one family
    near-duplicate  the many members of one URL family (/objects/item-1 ... item-500) that no listing names
                    as items: last; not capped, since some sites keep every page in one family (/node/123)

Scrapy does the ordering (request priorities; FocusMiddleware sets them as the spider's requests leave
it) and BudgetMiddleware keeps the filler share; the spider asks Focus before it queues a sitemap's URLs,
so a sitemap that lists thousands of news items first cannot fill the frontier. A family becomes one of
items while the crawl runs (the spider shows Focus every page it reads); BudgetMiddleware then holds its
members already queued as near-duplicates to the filler share too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.links import Anchor
from losi.models import PortalConfig

# Scrapy priorities (higher first); the depth is subtracted within a class, so each class is breadth-first.
PRIORITY = {"home": 1000, "home-menu": 500, "service": 450, "concept": 400, "linked-portal": 350, "other": 100,
            "filler-named": -80, "filler": -100, "near-duplicate": -150}  # fmt: skip
# Concepts too common to steer a crawl (every page names the city), or that mark filler rather than content.
IGNORED_CONCEPTS = frozenset(
    {"official-city", "online-channel", "upcoming", "news", "events", "national-elections", "social-media",
     "search", "apply-online", "pay-online"}
)  # fmt: skip
SERVICE_CONCEPTS = ("services-catalogue", "service-details")
ITEM_CONCEPTS = ("news", "events")  # a URL below one of these sections is a dated item
FAMILY_FREE = 12  # members of one URL family fetched before the others count as near-duplicates
ITEM_LINKS = 3  # links to one family in the content of a news section or a listing that make it a family of items
TEMPLATE_REGIONS = ("header", "nav", "footer")  # where a page's menus and footer sit (crawler.links regions)
ENQUEUE_PER_QUOTA = 3  # filler requests queued at most, as a multiple of the filler quota

_SLUG = re.compile(r"\d|[^/]{25,}|^[a-z0-9]+(?:-[a-z0-9]+){2,}$")
_FILLER_PATH = (
    ("archive", re.compile(r"(?:^|/)(?:archives?|arxiv|arhiv|архив\w*|arkhiv)(?:/|$)", re.I)),
    ("pagination", re.compile(r"(?:^|/)(?:page|p|sahifa|страница|pagina)/\d+(?:/|$)", re.I)),
    ("gallery", re.compile(r"(?:^|/)(?:galler\w*|galere\w*|галере\w*|photos?|fotos?|фото\w*|videos?|видео\w*|"
                           r"albums?|media-?gallery|fotogalere\w*)(?:/|$)", re.I)),
    ("tag-listing", re.compile(r"(?:^|/)(?:tags?|teg|тег\w*|categor(?:y|ies)|rubri\w*|рубрик\w*|label)(?:/|$)",
                               re.I)),
    ("date-listing", re.compile(r"(?:^|/)(?:19|20)\d{2}(?:/\d{1,2}){0,2}/?$")),
)
_PAGINATION_KEYS = frozenset({"page", "p", "pg", "start", "offset", "from", "paged", "pagen", "page_n"})
_DATE_KEYS = frozenset({"date", "year", "month", "day", "ym", "ymd"})
_TAG_KEYS = frozenset({"tag", "tags", "category", "cat", "rubric"})


@dataclass(frozen=True)
class Choice:
    kind: str  # see the module docstring
    priority: int
    reason: str
    concept: str = ""  # the catalog concept the link names, if any (a menu link to the service catalogue...)

    @property
    def filler(self) -> bool:
        return self.kind.startswith("filler")


def catalog_concepts(framework: str) -> list[str]:
    """The concepts the catalog's indicators look for, less those too common to steer a crawl."""
    from indicators.catalog import load_catalog

    catalog = load_catalog(framework)
    return sorted({c for i in catalog.indicators for c in i.concepts} - IGNORED_CONCEPTS)


def family(url: str) -> str:
    """A URL's family: its host, its path with the last segment (and numbers) blanked, and its query keys."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments and _SLUG.search(segments[-1]):
        segments[-1] = "*"
    path = re.sub(r"\d+", "#", "/".join(segments))
    keys = "&".join(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return f"{parts.netloc}/{path}?{keys}"


class Focus:
    """Classifies page requests for one portal's crawl (see the module docstring)."""

    def __init__(self, portal: PortalConfig, concepts: Iterable[str] | None = None, lexicon: Any = None):
        self.portal = portal
        self.languages = list(portal.languages) or None
        if lexicon is None:
            try:
                from indicators.lexicon import Lexicon

                lexicon = Lexicon.load(None)
            except Exception:  # a broken lexicon file: the crawl still runs, breadth-first
                lexicon = None
        self.lexicon = lexicon
        if concepts is None:
            try:
                concepts = catalog_concepts(portal.framework)
            except Exception:
                concepts = []
        # Service concepts first: a link that names a service catalogue is a service link.
        ordered = [c for c in SERVICE_CONCEPTS if c in set(concepts)]
        self.concepts = ordered + [c for c in concepts if c not in ordered]
        self.families: Counter[str] = Counter()
        self.item_families: set[str] = set()  # URL families that a news section or a listing links to as items
        self.menu_families: set[str] = set()  # URL families that the home page's or a listing's menus link to
        self.filler_quota = max(1, round(portal.limits.max_pages * portal.limits.filler_share))
        self._named = lru_cache(maxsize=20_000)(self._concept_in_label)

    # ---- what a URL or a label is

    def filler_kind(self, url: str) -> str:
        """'news-item', 'archive', 'pagination', 'gallery', 'tag-listing', 'date-listing' or ''."""
        parts = urlsplit(url)
        path = parts.path
        for kind, pattern in _FILLER_PATH:
            if pattern.search(path):
                return kind
        keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if keys & _PAGINATION_KEYS:
            return "pagination"
        if keys & _DATE_KEYS:
            return "date-listing"
        if keys & _TAG_KEYS:
            return "tag-listing"
        if self.lexicon is not None and path.strip("/"):
            parent = url[: url.rstrip("/").rfind("/") + 1] if "/" in path.strip("/") else ""
            for concept in ITEM_CONCEPTS:
                # below a news (or events) section, not the section itself: /news/123-slug, not /news/
                if parent and self._url_names(concept, parent) and self._url_names(concept, url):
                    return f"{concept}-item"
        return ""

    def _url_names(self, concept: str, url: str) -> bool:
        try:
            return bool(self.lexicon.url_match(concept, url))
        except Exception:
            return False

    def _concept_in_label(self, label: str) -> str:
        if not label or self.lexicon is None:
            return ""
        for concept in self.concepts:
            try:
                if self.lexicon.find(concept, label, self.languages):
                    return concept
            except Exception:
                continue
        return ""

    def concept_of(self, url: str, label: str = "") -> tuple[str, str]:
        """(concept, "anchor text" | "URL") of the first catalog concept the link names, or ("", "")."""
        concept = self._named(label.strip()[:200]) if label else ""
        if concept:
            return concept, "anchor text"
        if self.lexicon is not None:
            for concept in self.concepts:
                if self._url_names(concept, url):
                    return concept, "URL"
        return "", ""

    def note_page(self, url: str, kind: str, anchors: Mapping[str, Anchor]) -> None:
        """Learn item families from a page the crawl read: a news or events section, or a listing (filler),
        that links to several members of one family in its content lists items of that family. The families
        its menus (and the home page's) link to are the portal's own pages, never items."""
        home = kind == "home"
        if not (home or kind.startswith("filler") or self.is_item_section(url)):
            return
        content: Counter[str] = Counter()
        for link, anchor in anchors.items():
            if anchor.region in TEMPLATE_REGIONS:
                self.menu_families.add(family(link))
            elif not home:
                content[family(link)] += 1
        self.item_families.update(name for name, links in content.items() if links >= ITEM_LINKS)

    def learned_item_families(self) -> list[str]:
        """The URL families taken for items (for the crawl summary)."""
        return sorted(self.item_families - self.menu_families)

    def is_item_section(self, url: str) -> bool:
        return self.lexicon is not None and any(self._url_names(concept, url) for concept in ITEM_CONCEPTS)

    def listed_item(self, url: str, depth: int) -> Choice | None:
        """The filler class of a near-duplicate whose family is known to be one of items, or None."""
        name = family(url)
        if name not in self.item_families or name in self.menu_families:
            return None
        why = f"one of {self.families[name]}+ items of the URL family {name}, which a listing links to"
        return Choice("filler:listed-item", PRIORITY["filler"] - depth, why)

    # ---- the decision

    def classify(self, url: str, depth: int, *, label: str = "", region: str = "", source_concept: str = "",
                 from_home: bool = False, outside: bool = False, sitemap: bool = False) -> Choice:  # fmt: skip
        """source_concept: the concept of the page the link is on (a service catalogue's links are services)."""
        where = "the sitemap" if sitemap else ("the home page" if from_home else "a page")
        if outside:
            return Choice("linked-portal", PRIORITY["linked-portal"] - depth, "a page of a linked service portal")
        filler = self.filler_kind(url)
        if not filler and from_home and region in TEMPLATE_REGIONS:
            concept, _how = self.concept_of(url, label)
            names = f" (names {concept})" if concept else ""
            return Choice("home-menu", PRIORITY["home-menu"] - depth, f"linked from the home page's {region}{names}",
                          concept)  # fmt: skip
        if not filler and source_concept == "services-catalogue" and region not in TEMPLATE_REGIONS:
            return Choice("service", PRIORITY["service"] - depth, "linked from the service catalogue")
        if filler:
            concept, how = self.concept_of(url, label) if label else ("", "")
            base = PRIORITY["filler-named"] if concept else PRIORITY["filler"]
            named = f", names {concept} ({how})" if concept else ""
            return Choice(f"filler:{filler}", base - depth, f"{filler.replace('-', ' ')} from {where}{named}")
        concept, how = self.concept_of(url, label)
        if concept:
            bonus = 40 if concept in SERVICE_CONCEPTS else 0
            return Choice(f"concept:{concept}", PRIORITY["concept"] + bonus - depth,
                          f"{how} names {concept}, from {where}", concept)  # fmt: skip
        name = family(url)
        members = self.families[name] = self.families[name] + 1
        if members <= FAMILY_FREE:
            return Choice("other", PRIORITY["other"] - depth, f"from {where}, breadth-first")
        return self.listed_item(url, depth) or Choice(
            "near-duplicate", PRIORITY["near-duplicate"] - depth, f"one of {members}+ pages of the URL family {name}"
        )


class FocusMiddleware:
    """Spider middleware: sets the priority and the reason of every page request the spider yields, and
    keeps the queued filler small (news items beyond a few times the filler quota are dropped)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.queued_filler = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FocusMiddleware:
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: Any, spider: Spider | None = None) -> Any:
        async for item in result:
            if isinstance(item, Request):
                item = self.prioritise(response, item)
                if item is None:
                    continue
            yield item

    def prioritise(self, response: Response, request: Request) -> Request | None:
        spider = self.crawler.spider
        focus: Focus | None = getattr(spider, "focus", None)
        meta = request.meta
        if focus is None or "losi_depth" not in meta or meta.get("losi_home"):
            return request
        if meta.get("losi_static") is not None:  # a page re-requested in the browser keeps its class
            for key in ("losi_kind", "losi_reason", "losi_concept"):
                meta.setdefault(key, response.meta.get(key, ""))
            request.priority = response.request.priority if response.request else request.priority
            return request
        choice = focus.classify(
            request.url, int(meta.get("losi_depth", 0)), label=meta.get("losi_label", ""),
            region=meta.get("losi_region", ""), source_concept=response.meta.get("losi_concept", ""),
            from_home=bool(response.meta.get("losi_home")), outside=bool(meta.get("losi_outside")),
            sitemap=bool(meta.get("losi_sitemap")),
        )  # fmt: skip
        stats = self.crawler.stats
        if choice.filler:
            if self.queued_filler >= ENQUEUE_PER_QUOTA * focus.filler_quota:
                stats.inc_value(f"losi/focus/not_queued/{choice.kind}")
                return None
            self.queued_filler += 1
        meta["losi_kind"] = choice.kind
        meta["losi_reason"] = choice.reason
        meta["losi_concept"] = choice.concept
        request.priority = choice.priority
        stats.inc_value(f"losi/focus/queued/{choice.kind.split(':')[0]}")
        return request


class BudgetMiddleware:
    """Downloader middleware: filler pages take at most `limits.filler_share` of the page budget."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.filler_admitted = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        meta = request.meta
        focus: Focus | None = getattr(self.crawler.spider, "focus", None)
        if focus is None or meta.get("losi_static"):
            return None
        if meta.get("losi_kind") == "near-duplicate":  # queued before its family was known to be one of items
            choice = focus.listed_item(request.url, int(meta.get("losi_depth", 0)))
            if choice is not None:
                meta["losi_kind"], meta["losi_reason"] = choice.kind, choice.reason
        if not str(meta.get("losi_kind", "")).startswith("filler"):
            return None
        if self.filler_admitted >= focus.filler_quota:
            self.crawler.stats.inc_value("losi/focus/over_filler_quota")
            raise IgnoreRequest(f"filler quota of {focus.filler_quota} pages reached: {request.url}")
        self.filler_admitted += 1
        return None


def summary(stats: dict[str, Any], portal: PortalConfig, fetched: list[dict[str, str]],
            item_families: Iterable[str] = ()) -> dict[str, Any]:  # fmt: skip
    """The crawl summary's account of the budget: pages by class, what was left out, why each page came, and the
    URL families taken for news items because listings link to them (Focus.learned_item_families)."""
    pages_by_kind = Counter(entry["kind"].split(":")[0] if entry["kind"] else "home" for entry in fetched)
    return {
        "max_pages": portal.limits.max_pages,
        "filler_quota": max(1, round(portal.limits.max_pages * portal.limits.filler_share)),
        "pages_by_class": dict(pages_by_kind.most_common()),
        "filler_pages_by_kind": dict(Counter(e["kind"] for e in fetched if e["kind"].startswith("filler"))),
        "not_queued": {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("losi/focus/not_queued/")},
        "over_filler_quota": int(stats.get("losi/focus/over_filler_quota", 0)),
        "item_families": list(item_families),
        "fetched": fetched,
    }
