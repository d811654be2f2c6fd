"""Where on the portal is concept X? The shared search every rule uses.

A person looking for "contacts" reads link text (and title / aria-label), glances at the URL, trusts the
header, menu and footer of the home page more than a word deep in a page, and opens the target page to see
whether its title and headings are really about contacts. Candidates are scored the same way: each kind of
signal counts once (its strongest hit), so a menu repeated on every page does not inflate the score.

Language: a match in the page's language or one of the portal's configured languages counts in full; a
match in any other language of the lexicons still counts, a little less (content that exists only in a
secondary language version is still content).
"""

from __future__ import annotations

import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import yaml

from assessors.jurisdiction import Jurisdiction
from assessors.match_store import MatchStore
from assessors.site import ConceptIndex, TextKey, text_key
from crawler.parse import find_emails
from indicators.filler import is_placeholder_email, is_placeholder_phone
from indicators.lexicon import BATCH_SEP, Lexicon, TermMatch
from losi.hosts import bare_host
from losi.models import Control, Evidence, Heading, Link, PageDoc, Region
from losi.portal_cache import portal_cache

if TYPE_CHECKING:
    from assessors.site import PageIndex, Site

# Weights of the signals (the strongest hit of each kind counts once per candidate).
W_ANCHOR = 3.0  # the link's visible text / title / aria-label names the concept
W_LINK_URL = 1.5  # the link's URL slug matches the concept's URL patterns
W_CHROME_BONUS = 1.0  # the link sits in the home page's header, nav or footer
W_TITLE = 3.0  # the target page's <title> names the concept
W_HEADING_TOP = 2.5  # an h1/h2 of the target page names the concept
W_HEADING = 1.5  # a lower heading names the concept
W_PAGE_URL = 1.5  # the target page's own URL matches the patterns
W_TEXT = 1.0  # the concept appears in the target page's main text (max)
OTHER_LANGUAGE_FACTOR = 0.8  # match in a language the page / portal is not in
ANCHOR_HEAD_CHARS = 48  # a card link's title part: a term further into a long link label weighs as text
ANCHOR_SHORT_LABEL = 64  # a label this short is all title
EMPTY_PAGE_WORDS = 25  # a page with fewer words of main text once its filler is dropped says nothing
NO_TEXT_WORDS = 5  # ... and one with fewer words than this says nothing, filler or not
TEMPLATE_SHARE = 0.5  # a heading on at least this share of the pages (and on 3 or more) is the template's

MET_SCORE = 4.5  # default: at or above, a rule may say met
REVIEW_SCORE = 1.5  # default: at or above (and below MET_SCORE), needs_review with the candidate
TEXT_SCAN_CHARS = 30_000  # how much of a page's text is searched
# Concept searches kept (candidates): rules ask about a concept once or twice, one rule after the other (3,000
# real pages: 109 asks, 84 searches; 88 with 16 kept), and a search holds a candidate for every page naming it.
SEARCHES_KEPT = 16
TEXT_SCAN_PAGES = 400  # text-only fallback scans at most this many pages
SNIPPET_CHARS = 160
MIN_LINK_TEXT = 3  # shorter link texts are not looked for in a page's text
LABEL_BATCH = 200  # link labels matched per joined text when indexing

LINK_SIGNALS = frozenset({"anchor", "link-url"})
TARGET_SIGNALS = frozenset({"title", "heading", "page-url"})
ABOUT_PAGE_SIGNALS = TARGET_SIGNALS | {"text"}  # the page itself names the concept
CHROME_REGIONS = frozenset({Region.HEADER.value, Region.NAV.value, Region.FOOTER.value})


DATA_DIR = Path(__file__).resolve().parent / "data"

T = TypeVar("T")
_LinkRow = tuple[PageDoc, Link, str, bool]  # a distinct link: the page it is on, the link, its label, in chrome


@cache
def load_data(name: str) -> dict:
    """A YAML data file of assessors/data/ (social networks, app stores, chat widgets, months...)."""
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@cache
def get_lexicon() -> Lexicon:
    return Lexicon.load(None)


def page_index(page: PageDoc) -> PageIndex:
    """Every concept matched in a page's title, headings and searched text, and in link labels: the page's
    share of SiteSignals.index_pages, done where the page is parsed (on every core) and handed over in
    Site.concept_index. A text's matches do not depend on the texts matched with it, so they are the ones
    index_pages would find; what is not handed over, index_pages matches itself.

    A text this process has handed over already (a template's heading, a menu's label) is not matched or
    sent again: load_site keeps every page's share, also of the pages it drops as copies. Link labels are
    matched LABEL_BATCH new labels at a time (they come with the page that fills the batch). The concepts
    of the page's URL and of its links' URLs come too, each URL once (SiteSignals.url_concepts)."""
    lexicon = get_lexicon()
    concepts = list(lexicon.concepts)
    handed = _handed_over
    if len(handed.seen) > MAX_TEXTS_REMEMBERED:
        handed.seen.clear()
    if len(handed.urls) > MAX_TEXTS_REMEMBERED:
        handed.urls.clear()
    texts: list[str] = []
    memo: dict[tuple[str, str], list[TermMatch]] = {}
    for strings in page_batches(page):
        todo = list(dict.fromkeys(t for t in strings if t and hash(t) not in handed.seen and BATCH_SEP not in t))
        memo.update(lexicon.index(todo, concepts))
        texts.extend(todo)
        handed.seen.update(map(hash, todo))
    urls: dict[str, dict[str, str]] = {}
    for url in [page.url_key, *(link.url for link in page.links)]:
        if (key := hash(url)) not in handed.urls:
            handed.urls.add(key)
            urls[url] = lexicon.url_matches(url) or _NO_CONCEPTS
    for link in [*page.links, *page.dead_links]:
        label = link.label
        if label and (key := hash(label)) not in handed.seen and key not in handed.waiting and BATCH_SEP not in label:
            handed.waiting[key] = label
    if len(handed.waiting) >= LABEL_BATCH:
        # those not matched since as a page's title or heading
        batch = [label for key, label in handed.waiting.items() if key not in handed.seen]
        memo.update(lexicon.index(batch, concepts))
        texts.extend(batch)
        handed.seen.update(handed.waiting)
        handed.waiting.clear()
    return texts, memo, urls


def new_site_for_page_index() -> None:
    """Forget what page_index handed over in this process: the pages of another site follow."""
    global _handed_over
    _handed_over = _HandedOver()


def searched_text(page: PageDoc) -> str:
    """The part of the page's text that is searched (read from its file each time: not held)."""
    return searched_part(page.text)


def searched_part(text: str) -> str:
    """The part of a page's text that is searched, for a caller that holds the whole text already."""
    return text[:TEXT_SCAN_CHARS]


def page_batches(page: PageDoc) -> tuple[list[str], list[str]]:
    """The texts of a page that are matched against every concept, in the batches they are matched in: its
    title with its headings, and the part of its text that is searched."""
    return heading_batch(page), [searched_text(page)]


def heading_batch(page: PageDoc) -> list[str]:
    return [page.title, *(h.text for h in page.headings[:60])]


@dataclass
class _HandedOver:
    # hashes of the texts page_index has matched in this process: a collision only leaves a text to
    # index_pages, and a hash is small where a page's text is not
    seen: set[int] = field(default_factory=set)
    waiting: dict[int, str] = field(default_factory=dict)  # link labels not matched yet (fewer than LABEL_BATCH)
    urls: set[int] = field(default_factory=set)  # hashes of the URLs matched (a collision: SiteSignals matches it)


_handed_over = _HandedOver()
MAX_TEXTS_REMEMBERED = 500_000
_NO_CONCEPTS: dict[str, str] = {}  # a URL no concept's patterns match: one object for all (never changed)


def is_web_url(url: str) -> bool:
    """An http(s) link (not mailto:, tel:, javascript: ...). Not cached: asked about every link of every page,
    and nearly every one is answered by its first characters."""
    if url.startswith(("http://", "https://")):
        return True
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:  # a malformed address ("ftp://[x"): not a web link
        return False


@portal_cache(65_536)
def url_key(url: str) -> str:
    """A comparison key: lower-case scheme and host, no trailing slash, no plain fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path.rstrip("/") or ""
    frag = parts.fragment if parts.fragment.startswith(("/", "!/")) else ""
    key = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, frag))
    return url if key == url else key  # the URL's own string when it is its key: pages' indexes hold it already


def snippet_around(text: str, start: int, end: int, width: int = SNIPPET_CHARS) -> str:
    pad = max(0, (width - (end - start)) // 2)
    lo, hi = max(0, start - pad), min(len(text), end + pad)
    return ("…" if lo else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")


def heading_selector(level: int, text: str) -> str:
    """An XPath that finds a heading by its text (CSS cannot match text)."""
    if "'" in text or len(text) > 120:
        return f"//h{level}"
    return f"//h{level}[normalize-space()='{text}']"


def base_lang(tag: str) -> str:
    return (tag or "").lower().replace("_", "-").split("-")[0]


@dataclass(slots=True)
class Hit:
    signal: str  # anchor | link-url | title | heading | page-url | text
    weight: float
    # what the evidence is worked out from when asked (hit_evidence): a portal's searches make tens of thousands
    # of hits, and rules read the evidence of a few
    source: HitSource
    term: str = ""

    @property
    def evidence(self) -> Evidence:
        return hit_evidence(self.signal, self.source)


# A link hit's link row; a title or page-URL hit's page; a heading hit's page and heading; a text hit's page
# and its first match.
HitSource = _LinkRow | PageDoc | tuple[PageDoc, Heading] | tuple[PageDoc, TermMatch]


def hit_evidence(signal: str, source: HitSource) -> Evidence:
    """Where a hit is seen, and what it says there."""
    if isinstance(source, PageDoc):
        if signal == "title":
            return Evidence(source.url_key, "title", source.title[:200])
        return Evidence(source.url_key, "", source.url_key)  # page-url
    if len(source) == 4:  # a link row
        page, link, label, chrome = source
        return Evidence(
            url=page.url_key, selector=link.selector, snippet=(label or link.url)[:SNIPPET_CHARS],
            note=f"link to {link.url}" + (f" in the home page {link.region}" if chrome else ""),
        )  # fmt: skip
    page, spot = source
    if isinstance(spot, Heading):
        return Evidence(page.url_key, heading_selector(spot.level, spot.text), spot.text[:SNIPPET_CHARS])
    text = searched_text(page)
    return Evidence(page.url_key, "body", snippet_around(text, spot.start, spot.end), note="text mentions it")


@dataclass(slots=True)
class Candidate:
    """A page (or a link target) that may be where the concept lives."""

    url: str
    concept: str
    hits: list[Hit] = field(default_factory=list)
    page: PageDoc | None = None  # the crawled target page, when there is one

    @property
    def score(self) -> float:
        best: dict[str, float] = {}
        for hit in self.hits:
            best[hit.signal] = max(best.get(hit.signal, 0.0), hit.weight)
        return round(sum(best.values()), 3)

    @property
    def signals(self) -> set[str]:
        return {h.signal for h in self.hits}

    @property
    def strength(self) -> int:
        """How many independent kinds of evidence agree: the link, the target page, its text."""
        kinds = self.signals
        return (
            bool(kinds & LINK_SIGNALS) + bool(kinds & TARGET_SIGNALS) + ("text" in kinds)
        )  # fmt: skip

    @property
    def confidence(self) -> float:
        return {0: 0.3, 1: 0.6, 2: 0.85, 3: 0.95}[self.strength]

    def evidence(self, limit: int = 4) -> list[Evidence]:
        """The best hit of each signal kind: the target page's own signals first (the page that proves it),
        then the links leading to it (where a person finds it), strongest first within each group."""
        best: dict[str, Hit] = {}
        for hit in self.hits:
            if hit.signal not in best or hit.weight > best[hit.signal].weight:
                best[hit.signal] = hit
        ordered = sorted(best.values(), key=lambda h: (h.signal in LINK_SIGNALS, h.signal == "page-url", -h.weight))
        page_hits = [h for h in ordered if h.signal not in LINK_SIGNALS]
        link_hits = [h for h in ordered if h.signal in LINK_SIGNALS]
        if page_hits and link_hits and limit > 1:  # keep the link (where a person finds it) as a second item
            chosen = [*page_hits[: max(1, limit - len(link_hits))], *link_hits]
            return [h.evidence for h in chosen[:limit]]
        return [h.evidence for h in ordered[:limit]]

    def terms(self) -> list[str]:
        return sorted({h.term for h in self.hits if h.term})


class SiteSignals:
    """Concept search over one Site. Results are cached per concept."""

    def __init__(self, site: Site, lexicon: Lexicon | None = None) -> None:
        self.site = site
        self.lexicon = lexicon or get_lexicon()
        self.portal_langs = {base_lang(lang) for lang in site.portal.languages if lang}
        self._cache: OrderedDict[tuple[str, bool], list[Candidate]] = OrderedDict()  # the last searches
        self._memo = MatchStore()  # (concept, text_key) -> its matches
        self._indexed: set[TextKey] = set()  # texts already matched against every concept
        self._text_keys = site.text_keys  # url_key -> text_key of the page's searched text (see searched_key)
        self._link_spans: dict[str, list[tuple[int, int]]] = {}
        self._url_hits: dict[str, dict[str, str]] = {}  # url -> {concept: its URL pattern that matches}
        if self.lexicon is get_lexicon():  # page_index's lexicon: take over the URLs it matched
            self._url_hits, site.concept_index.urls = site.concept_index.urls, {}
        self._by_concept: tuple[_ByConcept[_LinkRow], _ByConcept[PageDoc]] | None = None  # see _search
        self._pages_by_key: dict[str, PageDoc] = {}
        self.misleading: dict[str, list[Candidate]] = {}  # concept -> links named for it to pages not about it
        for page in [*site.pages, *site.outside_pages]:
            self._pages_by_key.setdefault(url_key(page.url), page)
            self._pages_by_key.setdefault(url_key(page.final_url), page)
        for alias in site.aliases:  # the same page seen under another URL ("/" and "/index.html")
            if (page := site.page(alias)) is not None:
                self._pages_by_key.setdefault(url_key(alias), page)
        home = site.home
        self.home_key = url_key(home.url_key) if home else ""
        self.template_headings = template_headings(site.pages)
        # Each distinct (target, label) once, from the page where it carries most weight (home first).
        # A link that leads to an error page is not a way to anything: it is kept apart, as dead.
        broken = {url_key(url) for url in site.broken}
        # Each distinct link with its label and whether it is in the home page's menus, header or footer: each
        # concept's search walks them all. Its key is not kept (a string a link).
        self._link_rows: list[_LinkRow] = []
        self.broken_links: list[tuple[PageDoc, Link]] = []
        keys: dict[int, tuple[str, str] | None] = {}  # id(link) -> its key: a template's links are one object
        seen: set[tuple[str, str]] = set()
        for page, link in site.all_links():
            key = keys.get(id(link), ())
            if key == ():
                key = keys[id(link)] = (url_key(link.url), link.label.lower()) if is_web_url(link.url) else None
            if key is None:
                continue
            if key[0] in broken:
                self.broken_links.append((page, link))
            elif key not in seen:
                seen.add(key)
                self._link_rows.append((page, link, link.label, self.is_home(page) and link.region in CHROME_REGIONS))

    def _dead_links(self) -> Iterator[tuple[PageDoc, Link, str]]:
        """Every link that leads nowhere, with why: '#', javascript:, a missing anchor, an error page. Walked, not
        held: a template's dead links are on every page."""
        for page in self.site.pages:
            for link in page.dead_links:
                yield page, link, link.dead
        for page, link in self.broken_links:
            yield page, link, f"an error page (HTTP {self.site.broken.get(link.url, 'error')})"

    # ------------------------------------------------------------------ primitives

    @cached_property
    def own_hosts(self) -> frozenset[str]:
        """Hosts that are the portal itself: the one it was read from, the address its home page declares
        (og:url) and the domain of its own e-mail addresses (info@district.uz). A copy served elsewhere still
        links to its live address; such a link is the portal's own page, not another site."""
        home = self.site.home
        if home is None:
            return frozenset({host(self.site.portal.home_url)})
        providers = set(load_data("mail_providers.yaml").get("providers") or [])
        found = {host(home.url_key), host(self.site.portal.home_url), host(home.meta.get("og:url", ""))}
        for address in [*home.emails, *(a for a, _ in email_addresses(home))]:
            domain = bare_host(address.rpartition("@")[2])
            if domain not in providers:
                found.add(domain)
        return frozenset(h for h in found if h)

    @cached_property
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(self)

    def is_own(self, url: str) -> bool:
        return host(url) in self.own_hosts

    def page_for(self, url: str) -> PageDoc | None:
        return self._pages_by_key.get(url_key(url))

    def is_home(self, page: PageDoc) -> bool:
        return url_key(page.url_key) == self.home_key

    def preferred_langs(self, page: PageDoc | None) -> set[str]:
        langs = set(self.portal_langs)
        if page is not None:
            langs |= {base_lang(page.lang_detected), base_lang(page.lang_declared)} - {""}
        return langs

    def lang_factor(self, match: TermMatch, page: PageDoc | None) -> float:
        preferred = self.preferred_langs(page)
        return 1.0 if not preferred or base_lang(match.lang) in preferred else OTHER_LANGUAGE_FACTOR

    def find(self, concept: str, text: str) -> list[TermMatch]:
        """Matches of a concept in any language; an unknown concept finds nothing."""
        if not text:
            return []
        if (key := text_key(text)) in self._indexed:
            return self._memo.get((concept, key), [])
        try:
            return self.lexicon.find(concept, text)
        except (KeyError, ValueError):
            return []

    def text_matches(self, concept: str, page: PageDoc) -> list[TermMatch]:
        """Matches of a concept in the first TEXT_SCAN_CHARS of a page's main text (indexed once per site):
        looked up without reading the text (it may be kept in a file)."""
        if (key := self.searched_key(page)) in self._indexed:
            return self._memo.get((concept, key), [])
        return self.find(concept, searched_text(page))

    def searched_key(self, page: PageDoc) -> TextKey:
        """The text_key of the page's searched text."""
        key = self._text_keys.get(page.url_key)
        if key is None:
            key = self._text_keys[page.url_key] = text_key(searched_text(page))
        return key

    def in_link_text(self, page: PageDoc, match: TermMatch) -> bool:
        """Does the match fall inside the text of one of the page's links (a menu or a list of links is
        navigation, not content about the thing)?"""
        key = page.url_key
        spans = self._link_spans.get(key)
        if spans is None:
            text = searched_text(page)
            spans = []
            for label in {lk.text for lk in [*page.links, *page.dead_links] if len(lk.text) >= MIN_LINK_TEXT}:
                at = text.find(label)
                while at >= 0:
                    spans.append((at, at + len(label)))
                    at = text.find(label, at + len(label))
            self._link_spans[key] = spans
        return any(start <= match.start and match.end <= end for start, end in spans)

    def index_pages(self, concepts: Iterable[str] | None = None) -> None:
        """Match every concept against every page's title, headings and text once, page by page.

        The short strings of a page (title, headings) and, at the end, the site's distinct link labels (those
        of links that lead nowhere too) are matched as one joined text per concept (fewer, larger lexicon
        calls), and page-major order keeps the lexicon's per-text preparation (case folding, transliteration,
        word index) computed once per text rather than once per concept; later finds are dict lookups.
        """
        wanted = [c for c in (concepts or self.lexicon.concepts) if c in self.lexicon.concepts]
        if self.lexicon is get_lexicon():  # page_index's lexicon: take over what it matched
            handed = self.site.concept_index
            self.site.concept_index = ConceptIndex()  # held once, in the memo
            # the first time, the handed set itself: a copy held every text's key twice while the memo took over
            fresh = handed.texts.difference(self._indexed) if self._indexed else handed.texts
            chosen = set(wanted)
            # a text not indexed yet has no matches in the memo
            self._memo.take_over(handed.matches, lambda concept, key: key in fresh and concept in chosen)
            if self._indexed:
                self._indexed |= fresh
            else:
                self._indexed = fresh
        self._by_concept = None
        labels = sorted({label for _, _, label, _ in self._link_rows if label}
                        | {link.label for _, link, _why in self._dead_links() if link.label})  # fmt: skip
        for page in [*self.site.pages, *self.site.outside_pages]:
            self._index_batch(heading_batch(page), wanted)
            if self._text_keys.get(page.url_key) not in self._indexed:  # a text kept in a file is read if it must be
                text = searched_text(page)
                key = self._text_keys[page.url_key] = text_key(text)
                self._index_batch([text], wanted, keys=[key])
        for start in range(0, len(labels), LABEL_BATCH):
            self._index_batch(labels[start : start + LABEL_BATCH], wanted)

    def _index_batch(self, strings: list[str], concepts: list[str], keys: list[TextKey] | None = None) -> None:
        """Match the strings not matched yet (see index_pages); keys: their text_keys, if worked out already."""
        keyed = zip(strings, keys, strict=True) if keys is not None else ((t, text_key(t)) for t in strings)
        todo = {t: key for t, key in keyed if t and key not in self._indexed and BATCH_SEP not in t}
        for (concept, text), matches in self.lexicon.index(list(todo), concepts).items():
            self._memo[concept, todo[text]] = matches
        self._indexed.update(todo.values())
        self._by_concept = None

    def url_match(self, concept: str, url: str) -> str | None:
        return self.url_concepts(url).get(concept)

    def url_concepts(self, url: str) -> dict[str, str]:
        """Every concept whose URL patterns match the URL, with the pattern (one pass for all concepts)."""
        found = self._url_hits.get(url)
        if found is None:
            found = self._url_hits[url] = self.lexicon.url_matches(url)
        return found

    def best_match(self, concept: str, text: str, page: PageDoc | None) -> tuple[TermMatch, float] | None:
        """The strongest match of the concept in a short text (a link label, a title, a heading); none when the
        text is one of the concept's not_in concepts ("Head of the Health Department" is a position)."""
        matches = self.find(concept, text)
        if not matches:
            return None
        known = self.lexicon.concepts.get(concept)
        if known is not None and any(self.find(other, text) for other in known.not_in):
            return None
        scored = [(m, self.lang_factor(m, page)) for m in matches]
        return max(scored, key=lambda mf: (mf[1], mf[0].end - mf[0].start))

    @cached_property
    def lexicon_order(self) -> tuple[str, ...]:
        """The lexicon's languages, the portal's own first (configured, then as detected on its pages)."""
        own = [base_lang(lang) for lang in [*self.site.portal.languages, *self.site.languages]]
        first = [lang for lang in dict.fromkeys(own) if lang in self.lexicon.languages]
        return (*first, *(lang for lang in self.lexicon.languages if lang not in first))

    def looked_for(self, concepts: Iterable[str]) -> list[str]:
        """Terms and URL patterns searched, for a not_met Finding: the portal's languages first, so that a
        reviewer reads the words a person would have looked for on this portal."""
        out: list[str] = []
        for concept in concepts:
            try:
                terms = list(dict.fromkeys(t for lang in self.lexicon_order for t in self.lexicon.terms(concept, lang)))
                patterns = list(
                    dict.fromkeys(p for lang in self.lexicon_order for p in self.lexicon.url_patterns(concept, lang))
                )
            except (KeyError, ValueError):
                out.append(f"{concept}: (no lexicon entry)")
                continue
            shown = ", ".join(terms[:25]) + (" …" if len(terms) > 25 else "")
            out.append(f"{concept} terms: {shown}")
            if patterns:
                out.append(f"{concept} URL patterns: {', '.join(patterns[:15])}")
        return out

    @cached_property
    def _dead_links_by_label(self) -> list[tuple[PageDoc, Link, str, str]]:
        """The first dead link of each label (page, link, why, label): a template's dead links are on every page,
        and whether one is named for a concept depends on its label alone."""
        first: dict[str, tuple[PageDoc, Link, str, str]] = {}
        for page, link, why in self._dead_links():
            if (label := link.label) and label not in first:
                first[label] = (page, link, why, label)
        return list(first.values())

    def dead_links_for(self, concepts: Iterable[str], limit: int = 5) -> list[Evidence]:
        """Links named for the concepts that lead nowhere: '#', javascript:, a missing anchor, an error page."""
        concepts = tuple(concepts)
        found: dict[str, Evidence] = {}
        for page, link, why, label in self._dead_links_by_label:
            if label.lower() in found or not any(self.find(c, label) for c in concepts):
                continue
            found[label.lower()] = Evidence(page.url_key, link.selector, label[:SNIPPET_CHARS],
                                            note=f"link leads nowhere: {why} ({link.url[:80]})")  # fmt: skip
            if len(found) >= limit:
                break
        return list(found.values())

    def own_headings(self, page: PageDoc) -> list[Heading]:
        """The page's own headings: on pages other than the home page, the template's headings (in the
        header, menu or footer, or repeated on most pages: "Help & legal") say nothing about the page."""
        headings = page.headings if len(page.headings) <= 60 else page.headings[:60]
        if self.is_home(page):
            return headings
        template = self.template_headings  # worked out again at each call: a memo held 200 bytes a page
        return [h for h in headings if h.region not in CHROME_REGIONS and h.text not in template]

    # ------------------------------------------------------------------ candidates

    def candidates(self, concept: str, *, text: bool = True) -> list[Candidate]:
        """Scored places where the concept may live, best first."""
        key = (concept, text)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._search(concept, text)
            if len(self._cache) > SEARCHES_KEPT:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def candidates_any(self, concepts: Iterable[str], *, text: bool = True) -> list[Candidate]:
        merged: list[Candidate] = []
        for concept in concepts:
            merged.extend(self.candidates(concept, text=text))
        return sorted(merged, key=self._rank)

    def _rank(self, candidate: Candidate) -> tuple[float, int, int, str]:
        """Best score first; on a tie, a page in the portal's primary language, then the one nearer the home page."""
        page = candidate.page
        languages = self.site.portal.languages
        lang = (page.lang_detected or page.lang_declared) if page else ""
        lang_rank = languages.index(lang) if lang in languages else len(languages)
        unseen = len(self._crawl_order)
        crawl_rank = self._crawl_order.get(url_key(page.url_key), unseen) if page else unseen
        return (-candidate.score, lang_rank, crawl_rank, candidate.url)

    @cached_property
    def _crawl_order(self) -> dict[str, int]:
        return {url_key(p.url_key): i for i, p in enumerate(self.site.pages)}

    def _search(self, concept: str, with_text: bool) -> list[Candidate]:
        found: dict[str, Candidate] = {}

        def cand(url: str, page: PageDoc | None) -> Candidate:
            k = url_key(url)
            if k not in found:
                found[k] = Candidate(url=url, concept=concept, page=page or self.page_for(url))
            return found[k]

        rows, pages = self._where_concepts_may_be()
        for row in rows.of(concept):
            page, link, label, chrome = row  # a hit's evidence is worked out from its row when asked
            best = self.best_match(concept, label, page) if label else None
            pattern = self.url_match(concept, link.url)
            if best is None and pattern is None:
                continue  # most links, for most concepts
            if best is not None:
                m, factor = best
                if len(label) <= ANCHOR_SHORT_LABEL or m.start < ANCHOR_HEAD_CHARS:
                    weight = W_ANCHOR * factor + (W_CHROME_BONUS if chrome else 0.0)
                    cand(link.url, None).hits.append(Hit("anchor", weight, row, m.term))
                else:  # deep in a card's description ("... and help with a rent shortfall"): a mention
                    cand(link.url, None).hits.append(Hit("anchor-text", W_TEXT * factor / 2, row, m.term))
            if pattern is not None:
                cand(link.url, None).hits.append(Hit("link-url", W_LINK_URL, row, pattern))

        for page in pages.of(concept):
            self._page_hits(concept, page, found, cand)

        if with_text:
            targets = [c for c in found.values() if c.page is not None]
            scanned = {url_key(c.page.url_key) for c in targets if c.page}
            for c in targets:
                self._text_hit(concept, c.page, c)  # type: ignore[arg-type]
            # A link named for the concept whose page, once read, never names it ("Ecology" -> the news
            # template) is a broken promise, not a place where the concept lives.
            # A page left empty once its template filler is dropped is not about anything either.
            misled = [found.pop(key) for key, c in list(found.items()) if c.page is not None
                      and (not c.signals & ABOUT_PAGE_SIGNALS or is_empty_page(c.page))]  # fmt: skip
            if misled:  # the same again if the search is made again
                self.misleading[concept] = misled
            if not found:  # nothing points at the concept: fall back to scanning text
                for page in self.site.pages[:TEXT_SCAN_PAGES]:
                    if url_key(page.url_key) in scanned:
                        continue
                    probe = Candidate(url=page.url_key, concept=concept, page=page)
                    self._text_hit(concept, page, probe)
                    if probe.hits:
                        found[url_key(page.url_key)] = probe
        return sorted(found.values(), key=self._rank)

    def _where_concepts_may_be(self) -> tuple[_ByConcept[_LinkRow], _ByConcept[PageDoc]]:
        """For each concept, the link rows whose label or URL names it and the pages whose title, own
        headings or URL do: the only places _search can find a hit. Worked out in one pass over the links
        and pages from the indexed matches, instead of one pass per concept. It must read the texts that
        _page_hits scores (tests/test_assess_rules.py checks that on fixture sites)."""
        if self._by_concept is None:
            named: dict[TextKey, set[str]] = {}  # indexed text -> concepts it names
            for concept, key in self._memo:  # a text's matches of a concept are held only if there are some
                named.setdefault(key, set()).add(concept)

            def naming(texts: Iterable[str], url: str) -> set[str] | None:
                concepts = set(self.url_concepts(url))
                for key in map(text_key, filter(None, texts)):
                    if key not in self._indexed:
                        return None  # not indexed: looked at for every concept
                    concepts |= named.get(key, set())
                return concepts

            rows = _ByConcept(self._link_rows, lambda row: naming([row[2]], row[1].url))
            pages = _ByConcept(
                [*self.site.pages, *self.site.outside_pages],
                lambda page: naming([page.title, *(h.text for h in self.own_headings(page))], page.url_key),
            )
            self._by_concept = (rows, pages)
        return self._by_concept

    def _page_hits(self, concept: str, page: PageDoc, found: dict[str, Candidate], cand) -> None:
        hits: list[Hit] = []
        if page.title and (best := self.best_match(concept, page.title, page)):
            m, factor = best
            hits.append(Hit("title", W_TITLE * factor, page, m.term))
        for h in self.own_headings(page):
            if best := self.best_match(concept, h.text, page):
                m, factor = best
                weight = (W_HEADING_TOP if h.level <= 2 else W_HEADING) * factor
                hits.append(Hit("heading", weight, (page, h), m.term))
        if pattern := self.url_match(concept, page.url_key):
            hits.append(Hit("page-url", W_PAGE_URL, page, pattern))
        if hits:
            cand(page.url_key, page).hits.extend(hits)

    def _text_hit(self, concept: str, page: PageDoc, candidate: Candidate) -> None:
        matches = self.text_matches(concept, page)
        if not matches:
            return
        factor = max(self.lang_factor(m, page) for m in matches)
        weight = min(W_TEXT, 0.4 + 0.2 * len(matches)) * factor
        candidate.hits.append(Hit("text", weight, (page, matches[0]), matches[0].term))


def is_empty_page(page: PageDoc) -> bool:
    """A page with nothing of its own once its template filler is dropped (a lorem-ipsum list under a real
    title), or with no text at all, and nothing to use: no documents, form, embedded tool or contact details."""
    if page.documents or page.iframes or any(form.sendable for form in page.forms):
        return False
    if any(link.url.startswith(("tel:", "mailto:")) for link in page.links) or contact_spots(page):
        return False
    words = len(page.text.split())
    return words < NO_TEXT_WORDS or (bool(page.filler) and words < EMPTY_PAGE_WORDS)


def template_headings(pages: list[PageDoc]) -> frozenset[str]:
    """Heading texts that the site's template repeats on most pages."""
    if len(pages) < 3:
        return frozenset()
    counts: dict[str, int] = {}
    for page in pages:
        for text in {h.text for h in page.headings}:
            counts[text] = counts.get(text, 0) + 1
    floor = max(3, TEMPLATE_SHARE * len(pages))
    return frozenset(text for text, n in counts.items() if n >= floor)


class _ByConcept(Generic[T]):
    """Items (link rows, pages) filed under the concepts each may name; an item whose concepts are None (not
    known) is filed under every concept."""

    def __init__(self, items: list[T], concepts_of: Callable[[T], set[str] | None]) -> None:
        self._items = items
        self._filed: dict[str, list[int]] = {}  # concept -> positions of its items
        self._every: list[int] = []
        for at, item in enumerate(items):
            concepts = concepts_of(item)
            if concepts is None:
                self._every.append(at)
            for concept in concepts or ():
                self._filed.setdefault(concept, []).append(at)

    def of(self, concept: str) -> list[T]:
        """The concept's items, in the order of the list."""
        filed = self._filed.get(concept, [])
        positions = sorted({*filed, *self._every}) if self._every else filed
        return [self._items[at] for at in positions]


def signals_for(site: Site) -> SiteSignals:
    """The site's SiteSignals, made once: the rules of one assessment share its caches."""
    if site.signals is None:
        site.signals = SiteSignals(site)
    return site.signals


# --------------------------------------------------------------------------- page facts used by several rules

# Markup-level patterns (digits and e-mail syntax), not natural-language words.
PHONE_RE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s\-.]?)?\(?\d{2,5}\)?(?:[\s\-.]?\d{2,4}){2,4}(?![\w.])")


def contact_spots(page: PageDoc) -> list[tuple[int, str]]:
    """Where the page's main text gives a phone number or an e-mail address: (offset, the number's digits or
    the address), template placeholders left out."""
    text = searched_text(page)
    spots: list[tuple[int, str]] = []
    for m in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 7 <= len(digits) <= 15 and not _looks_like_date_or_year(m.group()) and not is_placeholder_phone(m.group()):
            spots.append((m.start(), digits[-9:]))
    for m in find_emails(text):
        if not is_placeholder_email(m.group()):
            spots.append((m.start(), m.group().lower()))
    return sorted(spots)


def phone_numbers(page: PageDoc) -> list[tuple[str, Evidence]]:
    """Phone numbers of the page (tel: links and numbers in the text), template placeholders left out."""
    out: list[tuple[str, Evidence]] = []
    for link in page.links:
        if link.url.lower().startswith(("tel:", "callto:")):
            number = link.url.split(":", 1)[1]
            if is_placeholder_phone(number) or is_placeholder_phone(link.text):
                continue
            out.append((number, Evidence(page.url_key, link.selector, link.text or number, note="phone link")))
    text = page.text  # read once (it may be kept in a file): searched in its first part, quoted from it all
    for m in PHONE_RE.finditer(searched_part(text)):
        digits = re.sub(r"\D", "", m.group())
        if 7 <= len(digits) <= 15 and not _looks_like_date_or_year(m.group()) and not is_placeholder_phone(m.group()):
            snippet = snippet_around(text, m.start(), m.end())
            out.append((m.group().strip(), Evidence(page.url_key, "body", snippet, note="phone number in text")))
    return out


def _looks_like_date_or_year(value: str) -> bool:
    return bool(re.fullmatch(r"\s*\d{1,4}[.\-/]\d{1,2}[.\-/]\d{2,4}\s*", value))


def email_addresses(page: PageDoc) -> list[tuple[str, Evidence]]:
    """E-mail addresses of the page (mailto: links and addresses in the text), template placeholders left out."""
    out: list[tuple[str, Evidence]] = []
    for link in page.links:
        if link.url.lower().startswith("mailto:"):
            addr = link.url.split(":", 1)[1].split("?")[0]
            if not is_placeholder_email(addr):
                out.append((addr, Evidence(page.url_key, link.selector, link.text or addr, note="e-mail link")))
    text = page.text  # read once, as in phone_numbers
    for m in find_emails(searched_part(text)):
        if is_placeholder_email(m.group()):
            continue
        snippet = snippet_around(text, m.start(), m.end())
        out.append((m.group(), Evidence(page.url_key, "body", snippet, note="e-mail address in text")))
    return out


@portal_cache(1 << 17)  # every link of a portal: rules ask where each leads (its own host, a social network ...)
def host(url: str) -> str:
    """The URL's host, lower case, without "www.": one string for each host (thousands of links lead to each)."""
    return sys.intern(bare_host(urlsplit(url).hostname or ""))


# --------------------------------------------------------------------------- rendered controls (widgets)


def page_controls(site: Site, pages: int = 3) -> list[tuple[PageDoc, list[Control]]]:
    """Buttons and aria-labelled elements of the first pages (widgets the parsed text drops).

    The parse step records them (PageDoc.controls, from the rendered DOM for JavaScript pages).
    """
    out: list[tuple[PageDoc, list[Control]]] = []
    for page in site.pages[:pages]:
        controls = [c for c in page.controls if c.label]
        if controls:
            out.append((page, controls))
    return out
