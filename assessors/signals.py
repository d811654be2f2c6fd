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
import weakref
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from indicators.lexicon import Lexicon, TermMatch
from losi.models import Control, Evidence, Link, PageDoc, Region

if TYPE_CHECKING:
    from assessors.site import Site

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

MET_SCORE = 4.5  # default: at or above, a rule may say met
REVIEW_SCORE = 1.5  # default: at or above (and below MET_SCORE), needs_review with the candidate
TEXT_SCAN_CHARS = 30_000  # how much of a page's text is searched
TEXT_SCAN_PAGES = 400  # text-only fallback scans at most this many pages
SNIPPET_CHARS = 160
LABEL_BATCH = 200  # link labels matched per joined text when indexing
BATCH_SEP = "\n|\n"  # joins short texts for one lexicon call; no term can match across it

LINK_SIGNALS = frozenset({"anchor", "link-url"})
TARGET_SIGNALS = frozenset({"title", "heading", "page-url"})
CHROME_REGIONS = frozenset({Region.HEADER.value, Region.NAV.value, Region.FOOTER.value})


@cache
def get_lexicon() -> Lexicon:
    return Lexicon.load(None)


def url_key(url: str) -> str:
    """A comparison key: lower-case scheme and host, no trailing slash, no plain fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path.rstrip("/") or ""
    frag = parts.fragment if parts.fragment.startswith(("/", "!/")) else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, frag))


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


@dataclass
class Hit:
    signal: str  # anchor | link-url | title | heading | page-url | text
    weight: float
    evidence: Evidence
    term: str = ""


@dataclass
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
        self._cache: dict[tuple[str, bool], list[Candidate]] = {}
        self._memo: dict[tuple[str, str], list[TermMatch]] = {}  # (concept, indexed text) -> its matches
        self._indexed: set[str] = set()  # texts already matched against every concept
        self._scan_texts: dict[str, str] = {}
        self._url_memo: dict[tuple[str, str], str | None] = {}
        self._pages_by_key: dict[str, PageDoc] = {}
        for page in [*site.pages, *site.outside_pages]:
            self._pages_by_key.setdefault(url_key(page.url), page)
            self._pages_by_key.setdefault(url_key(page.final_url), page)
        home = site.home
        self.home_key = url_key(home.url_key) if home else ""
        # Each distinct (target, label) once, from the page where it carries most weight (home first).
        self._links: dict[tuple[str, str], tuple[PageDoc, Link]] = {}
        for page, link in site.all_links():
            if urlsplit(link.url).scheme not in ("http", "https"):
                continue
            key = (url_key(link.url), link.label.lower())
            if key not in self._links:
                self._links[key] = (page, link)

    # ------------------------------------------------------------------ primitives

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
        if text in self._indexed:
            return self._memo.get((concept, text), [])
        try:
            return self.lexicon.find(concept, text)
        except (KeyError, ValueError):
            return []

    def text_matches(self, concept: str, page: PageDoc) -> list[TermMatch]:
        """Matches of a concept in the first TEXT_SCAN_CHARS of a page's main text (indexed once per site)."""
        return self.find(concept, self.scan_text(page))

    def scan_text(self, page: PageDoc) -> str:
        key = page.url_key
        text = self._scan_texts.get(key)
        if text is None:
            text = self._scan_texts[key] = page.text[:TEXT_SCAN_CHARS]
        return text

    def index_pages(self, concepts: Iterable[str] | None = None) -> None:
        """Match every concept against every page's title, headings and text once, page by page.

        The short strings of a page (title, headings) and, at the end, the site's distinct link labels are
        matched as one joined text per concept (fewer, larger lexicon calls), and page-major order keeps the
        lexicon's per-text preparation (case folding, transliteration, word index) computed once per text
        rather than once per concept; later finds are dict lookups.
        """
        wanted = [c for c in (concepts or self.lexicon.concepts) if c in self.lexicon.concepts]
        labels = sorted({link.label for _, link in self._links.values() if link.label})
        for page in [*self.site.pages, *self.site.outside_pages]:
            self._index_batch([page.title, *(h.text for h in page.headings[:60])], wanted)
            self._index_batch([self.scan_text(page)], wanted)
        for start in range(0, len(labels), LABEL_BATCH):
            self._index_batch(labels[start : start + LABEL_BATCH], wanted)

    def _index_batch(self, strings: list[str], concepts: list[str]) -> None:
        todo = list(dict.fromkeys(t for t in strings if t and t not in self._indexed and BATCH_SEP not in t))
        if not todo:
            return
        starts: list[int] = []
        pos = 0
        for text in todo:
            starts.append(pos)
            pos += len(text) + len(BATCH_SEP)
        joined = BATCH_SEP.join(todo)
        for concept in concepts:
            try:
                found = self.lexicon.find(concept, joined) if len(todo) > 1 else self.lexicon.find(concept, todo[0])
            except (KeyError, ValueError):
                continue
            for m in found:
                at = bisect_right(starts, m.start) - 1
                text, base = todo[at], starts[at]
                if m.end - base > len(text):
                    continue  # cannot happen with the separator; never attribute a match to the wrong text
                local = replace(m, start=m.start - base, end=m.end - base)
                self._memo.setdefault((concept, text), []).append(local)
        self._indexed.update(todo)

    def url_match(self, concept: str, url: str) -> str | None:
        key = (concept, url)
        if key in self._url_memo:
            return self._url_memo[key]
        try:
            found = self.lexicon.url_match(concept, url)
        except (KeyError, ValueError):
            found = None
        self._url_memo[key] = found
        return found

    def best_match(self, concept: str, text: str, page: PageDoc | None) -> tuple[TermMatch, float] | None:
        matches = self.find(concept, text)
        if not matches:
            return None
        scored = [(m, self.lang_factor(m, page)) for m in matches]
        return max(scored, key=lambda mf: (mf[1], mf[0].end - mf[0].start))

    def looked_for(self, concepts: Iterable[str]) -> list[str]:
        """Terms and URL patterns searched, for a not_met Finding."""
        out: list[str] = []
        for concept in concepts:
            try:
                terms = self.lexicon.terms(concept)
                patterns = self.lexicon.url_patterns(concept)
            except (KeyError, ValueError):
                out.append(f"{concept}: (no lexicon entry)")
                continue
            shown = ", ".join(terms[:25]) + (" …" if len(terms) > 25 else "")
            out.append(f"{concept} terms: {shown}")
            if patterns:
                out.append(f"{concept} URL patterns: {', '.join(patterns[:15])}")
        return out

    # ------------------------------------------------------------------ candidates

    def candidates(self, concept: str, *, text: bool = True) -> list[Candidate]:
        """Scored places where the concept may live, best first."""
        key = (concept, text)
        if key not in self._cache:
            self._cache[key] = self._search(concept, text)
        return self._cache[key]

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

        for page, link in self._links.values():
            label = link.label
            chrome = self.is_home(page) and link.region in CHROME_REGIONS
            ev = Evidence(
                url=page.url_key, selector=link.selector, snippet=(label or link.url)[:SNIPPET_CHARS],
                note=f"link to {link.url}" + (f" in the home page {link.region}" if chrome else ""),
            )  # fmt: skip
            if label and (best := self.best_match(concept, label, page)):
                m, factor = best
                weight = W_ANCHOR * factor + (W_CHROME_BONUS if chrome else 0.0)
                cand(link.url, None).hits.append(Hit("anchor", weight, ev, m.term))
            if pattern := self.url_match(concept, link.url):
                cand(link.url, None).hits.append(Hit("link-url", W_LINK_URL, ev, pattern))

        for page in [*self.site.pages, *self.site.outside_pages]:
            self._page_hits(concept, page, found, cand)

        if with_text:
            targets = [c for c in found.values() if c.page is not None]
            scanned = {url_key(c.page.url_key) for c in targets if c.page}
            for c in targets:
                self._text_hit(concept, c.page, c)  # type: ignore[arg-type]
            if not found:  # nothing points at the concept: fall back to scanning text
                for page in self.site.pages[:TEXT_SCAN_PAGES]:
                    if url_key(page.url_key) in scanned:
                        continue
                    probe = Candidate(url=page.url_key, concept=concept, page=page)
                    self._text_hit(concept, page, probe)
                    if probe.hits:
                        found[url_key(page.url_key)] = probe
        return sorted(found.values(), key=self._rank)

    def _page_hits(self, concept: str, page: PageDoc, found: dict[str, Candidate], cand) -> None:
        hits: list[Hit] = []
        if page.title and (best := self.best_match(concept, page.title, page)):
            m, factor = best
            hits.append(Hit("title", W_TITLE * factor, Evidence(page.url_key, "title", page.title[:200]), m.term))
        for h in page.headings[:60]:
            if best := self.best_match(concept, h.text, page):
                m, factor = best
                weight = (W_HEADING_TOP if h.level <= 2 else W_HEADING) * factor
                ev = Evidence(page.url_key, heading_selector(h.level, h.text), h.text[:SNIPPET_CHARS])
                hits.append(Hit("heading", weight, ev, m.term))
        if pattern := self.url_match(concept, page.url_key):
            hits.append(Hit("page-url", W_PAGE_URL, Evidence(page.url_key, "", page.url_key), pattern))
        if hits:
            cand(page.url_key, page).hits.extend(hits)

    def _text_hit(self, concept: str, page: PageDoc, candidate: Candidate) -> None:
        text = self.scan_text(page)
        matches = self.find(concept, text)
        if not matches:
            return
        factor = max(self.lang_factor(m, page) for m in matches)
        weight = min(W_TEXT, 0.4 + 0.2 * len(matches)) * factor
        m = matches[0]
        ev = Evidence(page.url_key, "body", snippet_around(text, m.start, m.end), note="text mentions it")
        candidate.hits.append(Hit("text", weight, ev, m.term))


_SIGNALS: dict[int, tuple[weakref.ref, SiteSignals]] = {}


def signals_for(site: Site) -> SiteSignals:
    """One SiteSignals per Site (rules of one run share its caches)."""
    entry = _SIGNALS.get(id(site))
    if entry is not None and entry[0]() is site:
        return entry[1]
    for key in [k for k, (ref, _) in _SIGNALS.items() if ref() is None]:
        del _SIGNALS[key]
    sig = SiteSignals(site)
    _SIGNALS[id(site)] = (weakref.ref(site), sig)
    return sig


# --------------------------------------------------------------------------- page facts used by several rules

# Markup-level patterns (digits and e-mail syntax), not natural-language words.
PHONE_RE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s\-.]?)?\(?\d{2,5}\)?(?:[\s\-.]?\d{2,4}){2,4}(?![\w.])")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")


def phone_numbers(page: PageDoc) -> list[tuple[str, Evidence]]:
    out: list[tuple[str, Evidence]] = []
    for link in page.links:
        if link.url.lower().startswith(("tel:", "callto:")):
            number = link.url.split(":", 1)[1]
            out.append((number, Evidence(page.url_key, link.selector, link.text or number, note="phone link")))
    for m in PHONE_RE.finditer(page.text[:TEXT_SCAN_CHARS]):
        digits = re.sub(r"\D", "", m.group())
        if 7 <= len(digits) <= 15 and not _looks_like_date_or_year(m.group()):
            snippet = snippet_around(page.text, m.start(), m.end())
            out.append((m.group().strip(), Evidence(page.url_key, "body", snippet, note="phone number in text")))
    return out


def _looks_like_date_or_year(value: str) -> bool:
    return bool(re.fullmatch(r"\s*\d{1,4}[.\-/]\d{1,2}[.\-/]\d{2,4}\s*", value))


def email_addresses(page: PageDoc) -> list[tuple[str, Evidence]]:
    out: list[tuple[str, Evidence]] = []
    for link in page.links:
        if link.url.lower().startswith("mailto:"):
            addr = link.url.split(":", 1)[1].split("?")[0]
            out.append((addr, Evidence(page.url_key, link.selector, link.text or addr, note="e-mail link")))
    for m in EMAIL_RE.finditer(page.text[:TEXT_SCAN_CHARS]):
        snippet = snippet_around(page.text, m.start(), m.end())
        out.append((m.group(), Evidence(page.url_key, "body", snippet, note="e-mail address in text")))
    return out


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


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
