"""Concept matches filed under (concept, text_key), held compactly: a portal's pages hold a quarter of a million.

A short text (a title, a heading, a link label) is its own key; template texts repeat on every page, so their
matches are held as TermMatch objects, each distinct one once. A long text (a page's searched text) is filed
under its digest and its matches are its own (their offsets differ from page to page): they are packed into
bytes, 16 a match, and unpacked when asked for. Most questions about a long text find nothing, and those that
do find a few matches (3,000 real pages: 29,000 questions, 3,800 found, 55,000 matches unpacked).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator, MutableMapping

from indicators.lexicon import TermMatch

TextKey = str | bytes  # see site.text_key: a digest (bytes) stands for a long text
MatchKey = tuple[str, TextKey]  # (concept, text_key)

_PACKED = struct.Struct("<4I")  # a match of a long text: its (lang, term) number, words number, start, end


class MatchStore(MutableMapping[MatchKey, list[TermMatch]]):
    """(concept, text_key) -> the concept's matches in that text. A key whose matches are none is not held."""

    def __init__(self) -> None:
        self._lists: dict[MatchKey, list[TermMatch]] = {}  # short texts' matches
        self._packed: dict[MatchKey, bytes] = {}  # long texts' matches
        self._shared: dict[TermMatch, TermMatch] = {}  # one object for equal matches of short texts
        self._words: dict[str, str] = {}  # what matches matched, each held once
        self._terms: list[tuple[str, str]] = []  # (lang, term) by number
        self._term_numbers: dict[tuple[str, str], int] = {}
        self._word_list: list[str] = []  # words by number
        self._word_numbers: dict[str, int] = {}

    def __getitem__(self, key: MatchKey) -> list[TermMatch]:
        if isinstance(key[1], bytes):
            return self._unpacked(key[0], self._packed[key])
        return self._lists[key]

    def get(self, key: MatchKey, default: list[TermMatch] | None = None) -> list[TermMatch] | None:  # type: ignore[override]
        """The matches, without a KeyError's cost: most questions find nothing."""
        if isinstance(key[1], bytes):
            packed = self._packed.get(key)
            return default if packed is None else self._unpacked(key[0], packed)
        return self._lists.get(key, default)

    def __setitem__(self, key: MatchKey, matches: Iterable[TermMatch]) -> None:
        matches = list(matches)
        if not matches:
            self.pop(key, None)
        elif isinstance(key[1], bytes):
            self._packed[key] = b"".join(self._packed_match(match) for match in matches)
        else:
            self._lists[key] = [self._held(match) for match in matches]

    def __delitem__(self, key: MatchKey) -> None:
        del (self._packed if isinstance(key[1], bytes) else self._lists)[key]

    def __contains__(self, key: object) -> bool:
        return key in self._packed or key in self._lists

    def __iter__(self) -> Iterator[MatchKey]:
        yield from self._lists
        yield from self._packed

    def __len__(self) -> int:
        return len(self._lists) + len(self._packed)

    def _held(self, match: TermMatch) -> TermMatch:
        """A match held once, with its words held once: each parse process's pickle brings its own copy of
        "Contact", and the match as it came holds its own copy of the words."""
        held = self._shared.get(match)
        if held is None:
            words = self._words.setdefault(match.text, match.text)
            held = TermMatch(match.concept, match.lang, match.term, match.start, match.end, words)
            self._shared[held] = held
        return held

    def _packed_match(self, match: TermMatch) -> bytes:
        term = self._term_numbers.get((match.lang, match.term))
        if term is None:
            term = self._term_numbers[match.lang, match.term] = len(self._terms)
            self._terms.append((match.lang, match.term))
        words = self._word_numbers.get(match.text)
        if words is None:
            words = self._word_numbers[match.text] = len(self._word_list)
            self._word_list.append(self._words.setdefault(match.text, match.text))
        return _PACKED.pack(term, words, match.start, match.end)

    def _unpacked(self, concept: str, packed: bytes) -> list[TermMatch]:
        terms, words = self._terms, self._word_list
        return [TermMatch(concept, *terms[term], start, end, words[word])
                for term, word, start, end in _PACKED.iter_unpack(packed)]  # fmt: skip

    def take_over(self, other: MatchStore, wanted: Callable[[str, TextKey], bool]) -> None:
        """File here the matches of other's wanted (concept, text_key)s; other is left empty."""
        if not self:  # nothing here yet: other's tables become this store's, with nothing unpacked
            self.__dict__, other.__dict__ = other.__dict__, self.__dict__
            for key in [key for key in self if not wanted(*key)]:
                del self[key]
            return
        for key in list(other):
            if wanted(*key):
                self[key] = other[key]
        other.__init__()  # type: ignore[misc]
