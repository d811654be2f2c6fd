"""Whose page is it? A district portal built on another site's template carries that site's header; a city
portal republishes the region's org chart or the regional council's decisions. Such a page does not prove an
indicator for this portal.

An administration is named by an official-city term ("hokimligi", "Primăria", "City Council", "мэрия") with
its place next to it, before or after depending on the language ("Urganch tumani hokimligi", "Primăria
Comunei Porumbești", "администрация города Сургута"). The words next to the term, without the kind of place
("tuman", "comuna", "города") and the site words ("official website"), are the place's name. The portal's own
names come from its home page's title and main heading; a page whose title or top headings name
administrations, none of them the portal's own, is about another administration.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

from indicators.lexicon import normalize

if TYPE_CHECKING:
    from assessors.signals import SiteSignals
    from losi.models import PageDoc

OFFICIAL_CONCEPT = "official-city"
PLACE_KIND_CONCEPT = "place-kind"
NEIGHBOUR_WORDS = 3  # words on each side of an official-city term read as the place's name
STEM_CHARS = 5  # names are compared by their first letters: "Surgut" and "Surguta" are one place
MIN_NAME_CHARS = 3
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['ʻʼ`’-][^\W\d_]+)*")


class Jurisdiction:
    """The administrations a site's pages name, and which of them is the portal's own."""

    def __init__(self, sig: SiteSignals) -> None:
        self.sig = sig

    def names(self, text: str) -> set[str]:
        """Stems of the place names next to the official-city terms of a short text (a title, a heading)."""
        if not text:
            return set()
        skip = [(m.start, m.end) for c in (OFFICIAL_CONCEPT, PLACE_KIND_CONCEPT) for m in self.sig.find(c, text)]
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        found: set[str] = set()
        for m in self.sig.find(OFFICIAL_CONCEPT, text):
            before = [w for w in words if w[1] <= m.start][-NEIGHBOUR_WORDS:]
            after = [w for w in words if w[0] >= m.end][:NEIGHBOUR_WORDS]
            for start, end, word in [*before, *after]:
                if any(s < end and start < e for s, e in skip) or len(word) < MIN_NAME_CHARS:
                    continue
                if word.lower() in self.stopwords:
                    continue
                found.add(normalize(word)[:STEM_CHARS])
        return found

    @cached_property
    def stopwords(self) -> frozenset[str]:
        lexicon = self.sig.lexicon
        return frozenset(w.lower() for info in lexicon.language_info.values() for w in info.stopwords)

    @cached_property
    def own(self) -> set[str]:
        """The portal's own names: from its configured name and its home page's title and top headings."""
        home = self.sig.site.home
        texts = [self.sig.site.portal.name]
        if home is not None:
            texts += [home.title, home.meta.get("og:site_name", ""), *(h.text for h in home.headings if h.level <= 2)]
        return {name for text in texts for name in self.names(text)}

    def other_administration(self, page: PageDoc) -> str:
        """The administrations the page's title and top headings name when none of them is the portal's
        own ("" when the page names none, or names the portal's own)."""
        if not self.own or self.sig.is_home(page):
            return ""
        texts = [page.title, *(h.text for h in self.sig.own_headings(page) if h.level <= 2)]
        named: dict[str, str] = {}
        for text in texts:
            for name in self.names(text):
                named.setdefault(name, text)
        if not named or set(named) & self.own:
            return ""
        return next(iter(named.values()))[:120]
