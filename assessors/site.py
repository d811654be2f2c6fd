"""The portal as the assessors see it: its parsed pages, its link graph and the live-browser probes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessors.match_store import MatchStore, TextKey
from indicators.lexicon import TermMatch
from losi.models import Link, PageDoc, PortalConfig

if TYPE_CHECKING:
    from assessors.signals import SiteSignals

# The texts of a page matched against every concept, (concept, text) -> matches, and URL -> {concept: the
# URL pattern that matches}: see signals.page_index.
PageIndex = tuple[list[str], dict[tuple[str, str], list[TermMatch]], dict[str, dict[str, str]]]

# What a matched text is filed under (TextKey): a short text (a title, a heading, a link label) itself, a long
# one (a page's searched text) a digest of it, so that holding its matches does not hold the text.
LONG_TEXT = 512  # characters


def text_key(text: TextKey) -> TextKey:
    """A text under LONG_TEXT characters is its own key, a longer one its digest; a key is its own key."""
    if isinstance(text, bytes) or len(text) < LONG_TEXT:
        return text
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class ConceptIndex:
    """The concept matches of texts and URLs matched where the pages were parsed (signals.page_index),
    site-wide: a text that many pages repeat (a template's heading, a menu's label) is held once, however
    many pages hand it over. Texts are filed under their text_key. SiteSignals takes them over; what is not
    here, it matches itself."""

    texts: set[TextKey] = field(default_factory=set)
    matches: MatchStore = field(default_factory=MatchStore)  # (concept, text_key) -> matches, held compactly
    urls: dict[str, dict[str, str]] = field(default_factory=dict)  # URL -> {concept: its URL pattern that matches}
    # Each distinct {concept: pattern} of urls once: a portal's URLs match a few hundred distinct sets, and each
    # page's share brings its own copies (3,000 real pages: 17,500 dicts, 1,354 distinct, 3.2 MB). Never changed.
    _concept_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def add(
        self,
        texts: Iterable[TextKey],
        matches: Mapping[tuple[str, TextKey], list[TermMatch]],
        urls: dict[str, dict[str, str]] | None = None,
        keys: dict[str, TextKey] | None = None,
    ) -> None:
        """A page's share (signals.page_index); keys: text_key of texts the caller has worked out already."""
        known = keys or {}
        fresh = {text: key for text in texts if (key := known.get(text) or text_key(text)) not in self.texts}
        # another index's store (merged): only the fresh texts' records are read back, each once
        shared = matches.items_of(fresh) if isinstance(matches, MatchStore) else matches.items()
        for (concept, text), found in shared:
            if (key := fresh.get(text)) is not None:
                self.matches[concept, key] = found
        self.matches.settle(fresh.values())
        self.texts.update(fresh.values())
        for url, concepts in (urls or {}).items():
            if url not in self.urls:
                self.urls[url] = self._concept_sets.setdefault(tuple(concepts.items()), concepts)

    @classmethod
    def merged(cls, indexes: Iterable[ConceptIndex]) -> ConceptIndex:
        whole = cls()
        for index in indexes:  # texts filed under their keys already, and text_key(key) is key
            whole.add(index.texts, index.matches, index.urls)
        return whole


@dataclass
class Site:
    portal: PortalConfig
    pages: list[PageDoc]  # every parsed HTML page, in crawl order (home page first)
    external: list[Link] = field(default_factory=list)  # links that leave the crawl scope (deduplicated)
    probes: dict[str, Any] = field(default_factory=dict)  # name -> result of a live-browser probe
    portal_dir: Path | None = None  # the run's folder for this portal (screenshots live here)
    # Pages fetched one hop outside the scope to verify a link (e.g. a service on the national portal).
    outside_pages: list[PageDoc] = field(default_factory=list)
    # URL of a page seen again under another URL ("/index.html" for "/") -> the URL it is kept under
    aliases: dict[str, str] = field(default_factory=dict)
    # URL -> HTTP status of the links the crawler followed to an error (404 ...): links that lead nowhere
    broken: dict[str, int] = field(default_factory=dict)
    # The crawl read every page it could reach (no page, depth or time cap hit): what was not found is absent.
    crawl_complete: bool = False
    # Concepts already matched in pages' texts where they were parsed; SiteSignals.index_pages takes them over.
    concept_index: ConceptIndex = field(default_factory=ConceptIndex)
    # page URL (url_key) -> the text_key of its searched text, worked out while its text was at hand: the
    # text of a page kept in a file is not read back to look its matches up
    text_keys: dict[str, TextKey] = field(default_factory=dict)
    # What the rules share about this site (signals.signals_for), made when first asked for. The site holds it,
    # so that it goes when the site goes: held apart, it held the site, and a process assessing portal after
    # portal (a serial run, a worker) kept every portal it had assessed.
    signals: SiteSignals | None = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "signals": None}  # made again where it is wanted

    @cached_property
    def by_url(self) -> dict[str, PageDoc]:
        index: dict[str, PageDoc] = {}
        for page in [*self.pages, *self.outside_pages]:
            index.setdefault(page.url, page)
            index.setdefault(page.final_url, page)
        for alias, kept in self.aliases.items():
            if kept in index:
                index.setdefault(alias, index[kept])
        return index

    @property
    def home(self) -> PageDoc | None:
        return self.pages[0] if self.pages else None

    @property
    def home_url(self) -> str:
        """Where the home page really is (after redirects), or the configured home URL when none was fetched."""
        return self.home.url_key if self.home else self.portal.home_url

    def page(self, url: str) -> PageDoc | None:
        """The page fetched at url, also when it was kept under another URL with the same content."""
        return self.by_url.get(url)

    def all_links(self) -> Iterator[tuple[PageDoc, Link]]:
        for page in self.pages:
            for link in page.links:
                yield page, link

    @cached_property
    def languages(self) -> list[str]:
        """Languages of the portal's pages, most pages first."""
        counts: dict[str, int] = {}
        for page in self.pages:
            lang = page.lang_detected or page.lang_declared
            if lang:
                counts[lang] = counts.get(lang, 0) + 1
        return sorted(counts, key=lambda lang: -counts[lang])
