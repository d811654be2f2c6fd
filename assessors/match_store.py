"""Concept matches filed under (concept, text_key), held compactly: a portal's pages hold a quarter of a million.

A short text (a title, a heading, a link label) is its own key, a long text (a page's searched text) is filed
under its digest. All of a text's matches, for every concept, are packed into one record of bytes, 8 a match,
and unpacked when asked for. Most questions about a long text find nothing, and those that do find a few
matches (3,000 real pages: 29,000 questions, 3,800 found, 55,000 matches unpacked). Short texts are packed
too: a page's own title and headings are texts no other page has, and as lists of TermMatch objects under
(concept, text) keys they held 430 bytes a text (3,000 real pages: 9,000 texts, 3.8 MB). A store given a spool
(the file that holds the pages' texts) writes the records of settled long texts there, and holds only where
each is.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, ItemsView, Iterable, Iterator, MutableMapping
from functools import cache

from indicators.lexicon import TermMatch
from losi.text_spool import TextSpool

TextKey = str | bytes  # see site.text_key: a digest (bytes) stands for a long text
MatchKey = tuple[str, TextKey]  # (concept, text_key)

# A text's record: the number of concepts it names; for each, its number and its number of matches (the top
# bit set if they are wide); then the matches, concept after concept, each its (lang, term) number, its words'
# number, start and end: 8 bytes, or 16 if a number is 65,536 or more (a searched text has 30,000 characters).
_COUNT = struct.Struct("<I")
_NARROW, _WIDE = struct.Struct("<4H"), struct.Struct("<4I")
_WIDE_FLAG = 1 << 31


@cache
def _header(concepts: int) -> struct.Struct:
    return struct.Struct(f"<{2 * concepts}I")


class MatchStore(MutableMapping[MatchKey, list[TermMatch]]):
    """(concept, text_key) -> the concept's matches in that text. A key whose matches are none is not held."""

    def __init__(self, spool: TextSpool | None = None) -> None:
        self._spool = spool  # where settled records go (see settle); None: they stay here
        # a text's key -> its record; a long text's (its digest), once settled, where it is in the spool
        self._records: dict[TextKey, bytes | int] = {}
        self._concepts: list[str] = []  # concepts, terms and words by their numbers in the records
        self._concept_numbers: dict[str, int] = {}
        self._terms: list[tuple[str, str]] = []  # (lang, term)
        self._term_numbers: dict[tuple[str, str], int] = {}
        self._word_list: list[str] = []  # what matches matched, each held once
        self._word_numbers: dict[str, int] = {}

    def __getitem__(self, key: MatchKey) -> list[TermMatch]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: MatchKey, default: list[TermMatch] | None = None) -> list[TermMatch] | None:  # type: ignore[override]
        """The matches, without a KeyError's cost: most questions find nothing."""
        concept, text = key
        record, number = self._record(text), self._concept_numbers.get(concept)
        if record is None or number is None:
            return default
        for at, concept_number, count, form in self._spans(record):
            if concept_number == number:
                return self._unpacked(concept, record, at, count, form)
        return default

    def items(self) -> ItemsView[MatchKey, list[TermMatch]]:
        """Every (concept, text_key) with its matches, each text's record read once."""
        return _Items(self)

    def items_of(self, texts: Iterable[TextKey]) -> Iterator[tuple[MatchKey, list[TermMatch]]]:
        """The matches filed under these texts only, concept by concept, each text's record read once."""
        for text in texts:
            if (record := self._record(text)) is not None:
                for at, number, count, form in self._spans(record):
                    concept = self._concepts[number]
                    yield (concept, text), self._unpacked(concept, record, at, count, form)

    def _unpacked(self, concept: str, record: bytes, at: int, count: int, form: struct.Struct) -> list[TermMatch]:
        """A concept's matches from where they start in a record."""
        packed = memoryview(record)[at : at + count * form.size]
        terms, words = self._terms, self._word_list
        return [TermMatch(concept, *terms[term], start, end, words[word])
                for term, word, start, end in form.iter_unpack(packed)]  # fmt: skip

    def __setitem__(self, key: MatchKey, matches: Iterable[TermMatch]) -> None:
        concept, text = key
        matches = list(matches)
        if not matches:  # most texts name most concepts nowhere
            if key in self:
                del self[key]
            return
        parts = self._parts(text)
        number = self._number(self._concepts, self._concept_numbers, concept)
        fields = [self._fields(match) for match in matches]
        wide = any(value > 0xFFFF for values in fields for value in values)
        form = _WIDE if wide else _NARROW
        parts[number] = (len(matches) | (_WIDE_FLAG if wide else 0), b"".join(form.pack(*values) for values in fields))
        self._file(text, parts)

    def __delitem__(self, key: MatchKey) -> None:
        concept, text = key
        if key not in self:
            raise KeyError(key)
        parts = self._parts(text)
        del parts[self._concept_numbers[concept]]
        self._file(text, parts)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        concept, text = key
        record, number = self._record(text), self._concept_numbers.get(concept)
        return record is not None and any(n == number for _, n, _count, _form in self._spans(record))

    def __iter__(self) -> Iterator[MatchKey]:
        concepts = self._concepts
        for text, record in list(self._records.items()):
            for _, number, _count, _form in self._spans(self._read(record)):
                yield concepts[number], text

    def __len__(self) -> int:
        return sum(_COUNT.unpack_from(self._read(record))[0] for record in self._records.values())

    def __bool__(self) -> bool:
        return bool(self._records)

    def settle(self, texts: Iterable[TextKey]) -> None:
        """The matches of these texts are all filed: their records go to the spool, if this store has one."""
        if self._spool is None:
            return
        for text in texts:
            record = self._records.get(text) if isinstance(text, bytes) else None
            if isinstance(record, bytes):
                self._records[text] = self._spool.keep_bytes(record)

    def __getstate__(self) -> dict[str, object]:
        """Pickled with its records read back, without its spool (a file of this process)."""
        records = {text: self._read(record) for text, record in self._records.items()}
        return self.__dict__ | {"_spool": None, "_records": records}

    def _record(self, text: TextKey) -> bytes | None:
        record = self._records.get(text)
        return None if record is None else self._read(record)

    def _read(self, record: bytes | int) -> bytes:
        """A record held here, or read back from where it is in the spool."""
        if isinstance(record, int):
            assert self._spool is not None  # only a store with a spool files places
            return self._spool.read_bytes(record)
        return record

    def take_over(self, other: MatchStore, wanted: Callable[[str, TextKey], bool]) -> None:
        """File here the matches of other's wanted (concept, text_key)s; other is left empty."""
        if not self:  # nothing here yet: other's tables (and its spool) become this store's, nothing unpacked
            self.__dict__, other.__dict__ = other.__dict__, self.__dict__
            for key in [key for key in self if not wanted(*key)]:
                del self[key]
            return
        for key, matches in other.items():
            if wanted(*key):
                self[key] = matches
        other.__init__()  # type: ignore[misc]

    @staticmethod
    def _number(values: list, numbers: dict, value: object) -> int:
        number = numbers.get(value)
        if number is None:
            number = numbers[value] = len(values)
            values.append(value)
        return number

    def _fields(self, match: TermMatch) -> tuple[int, int, int, int]:
        term = self._number(self._terms, self._term_numbers, (match.lang, match.term))
        words = self._number(self._word_list, self._word_numbers, match.text)
        return term, words, match.start, match.end

    @staticmethod
    def _spans(record: bytes) -> Iterator[tuple[int, int, int, struct.Struct]]:
        """(where its matches start, its number, how many, how they are packed) for each concept in a record."""
        (concepts,) = _COUNT.unpack_from(record)
        header = _header(concepts).unpack_from(record, _COUNT.size)
        at = _COUNT.size + 8 * concepts
        for i in range(0, 2 * concepts, 2):
            number, count = header[i], header[i + 1]
            form = _WIDE if count & _WIDE_FLAG else _NARROW
            count &= ~_WIDE_FLAG
            yield at, number, count, form
            at += count * form.size

    def _parts(self, text: TextKey) -> dict[int, tuple[int, bytes]]:
        """A text's record taken apart: concept number -> (match count and width flag, packed matches)."""
        record = self._record(text)
        if record is None:
            return {}
        return {number: (count | (_WIDE_FLAG if form is _WIDE else 0), record[at : at + count * form.size])
                for at, number, count, form in self._spans(record)}  # fmt: skip

    def _file(self, text: TextKey, parts: dict[int, tuple[int, bytes]]) -> None:
        kept = {number: part for number, part in parts.items() if part[0] & ~_WIDE_FLAG}
        if not kept:
            self._records.pop(text, None)
            return
        header = [value for number, (count, _) in kept.items() for value in (number, count)]
        self._records[text] = b"".join(
            [_COUNT.pack(len(kept)), _header(len(kept)).pack(*header), *(packed for _, packed in kept.values())]
        )


class _Items(ItemsView[MatchKey, list[TermMatch]]):
    """A MatchStore's items, each text's record read once: the mapping's own view reads it again for every
    concept it names (a long text names dozens)."""

    _mapping: MatchStore

    def __iter__(self) -> Iterator[tuple[MatchKey, list[TermMatch]]]:
        store = self._mapping
        yield from store.items_of(list(store._records))
