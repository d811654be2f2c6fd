"""Parts that a portal's pages repeat (a template's links, headings and controls) held as one object, and
sent once from each parse process.

The template's menus and footers repeat on every page: on 3,000 pages, most of the ~160 links a page holds
are copies of a few hundred. Page documents hold one object for each distinct part (they are never changed
once parsed), so memory grows with what pages have of their own, not with pages times template.

A parse process pickles its results with PartsPickler: the first copy of a part goes with a number, each
later copy as that number alone. The assessing process reads them with its PartsTable for that process. A
number it never received (a chunk lost to a timeout) fails the read, and that chunk is parsed again there:
a part is never taken for another.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import operator
import pickle
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from losi.models import Control, Heading, Link, PageDoc, PartRuns

T = TypeVar("T")
S = TypeVar("S", list, PartRuns)
SHARED_KINDS = frozenset({Link, Heading, Control})  # what pages repeat, by value (they hold only strings)
# Parts a parse process remembers having sent (~0.5 KB each): a template's are sent again after it forgets
MAX_PARTS_REMEMBERED = 50_000
NO_LINKS = PartRuns()  # a page without links (dead links, documents): one object for every such page
_region_of = operator.attrgetter("region")


@cache
def _values_of(kind: type) -> Callable[[Any], tuple]:
    """A dataclass instance's field values, in field order."""
    return operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))


def part_key(part: Any) -> tuple:
    """Equal parts have equal keys."""
    kind = type(part)
    return (kind, *_values_of(kind)(part))


class SharedParts:
    """One object for each distinct link, heading, control, form and set of meta tags of a portal's pages, and
    for each run of links that pages repeat in the same order."""

    def __init__(self) -> None:
        self._parts: dict[int, Any] = {}  # hash of its key (part_key, value_key) -> the first part seen
        self._runs: dict[int, tuple[Link, ...]] = {}  # hash of its links' ids -> the first run of them seen
        # equal strings of different parts (not sys.intern: interned strings outlive the portal on Python 3.12)
        self.strings: dict[str, str] = {}

    def one(self, part: T) -> T:
        return self._one(part_key(part), part)

    def _one(self, key: Any, part: T) -> T:
        """The part held for parts equal to this one. Filed under its key's hash, not the key (a tuple of its
        values: 130 bytes a link, 60,000 links on 10,000 pages); a part that another shares a hash with is its
        own."""
        held = self._parts.setdefault(hash(key), part)
        return held if held is part or held == part else part

    def share(self, doc: PageDoc) -> PageDoc:
        doc.links = [self.one(link) for link in doc.links]
        doc.dead_links = [self.one(link) for link in doc.dead_links]
        doc.documents = [self.one(link) for link in doc.documents]
        doc.headings = [self.one(heading) for heading in doc.headings]
        doc.controls = [self.one(control) for control in doc.controls]
        return self.share_texts(doc)

    def share_texts(self, doc: PageDoc) -> PageDoc:
        """The page's strings, forms and meta tags that other pages have too, as their objects (a template's
        search form, meta tags, script URLs; the dates of a news list; content type, languages, the second it was
        fetched in). Each pickle brings its own copies; a page not redirected has one string for its URL and its
        final URL."""
        text = self.strings.setdefault
        doc.scripts = [text(src, src) for src in doc.scripts]
        doc.iframes = [text(src, src) for src in doc.iframes]
        doc.dates = [text(date, date) for date in doc.dates]
        doc.emails = [text(email, email) for email in doc.emails]
        doc.content_type = text(doc.content_type, doc.content_type)
        doc.lang_declared = text(doc.lang_declared, doc.lang_declared)
        doc.lang_detected = text(doc.lang_detected, doc.lang_detected)
        doc.fetched_at = text(doc.fetched_at, doc.fetched_at)
        if doc.final_url == doc.url:  # not redirected: one string
            doc.final_url = doc.url
        doc.forms = [self._one(value_key(form), form) for form in doc.forms]
        doc.meta = self._one((dict, *doc.meta.items()), doc.meta)
        # a news list's dates, a template's headings and search form: pages with the same list hold one list
        doc.headings, doc.dates, doc.forms = map(self._one_list, (doc.headings, doc.dates, doc.forms))
        doc.links, doc.dead_links, doc.documents = map(self.runs, (doc.links, doc.dead_links, doc.documents))
        return doc

    def _one_list(self, parts: S) -> S:
        """The list (or runs) held for lists of the same parts, in the same order (its parts are held once
        already)."""
        return self._one((type(parts), *map(id, parts)), parts)

    def runs(self, links: list[Link]) -> PartRuns:
        """The links (shared ones) as runs of one region each, a run that an earlier page holds too as that
        page's tuple: a page holds a few runs of its template's menus and footer and its own links, not a
        slot for every link (148 a page on real portals, most of them the template's)."""
        if not links:
            return NO_LINKS
        items: list[Link | tuple[Link, ...]] = []
        for _region, grouped in itertools.groupby(links, key=_region_of):
            run = tuple(grouped)
            if len(run) == 1:
                items.extend(run)
                continue
            held = self._runs.setdefault(hash(tuple(map(id, run))), run)
            same = held is run or (len(held) == len(run) and all(a is b for a, b in zip(held, run, strict=True)))
            items.append(held if same else run)
        return self._one_list(PartRuns(items))  # a template's dead links and documents: the same runs on most pages


def value_key(value: Any) -> Any:
    """A hashable key equal for equal values of dataclasses, lists and hashable values (a form with its fields)."""
    if isinstance(value, list):
        return (list, *map(value_key, value))
    if dataclasses.is_dataclass(value):
        kind = type(value)
        return (kind, *map(value_key, _values_of(kind)(value)))
    return value


_LOST = object()  # in a PartsTable: a number whose first copy never came


def _first_copy(number: int, kind: type, values: tuple) -> Any:
    raise RuntimeError("only a PartsTable reads what a PartsPickler wrote")


def _later_copy(number: int) -> Any:
    raise RuntimeError("only a PartsTable reads what a PartsPickler wrote")


class PartNumbers:
    """What a parse process has sent: each part's number (part_key -> number). It remembers at most `most`
    parts, then forgets them all (a part sent again gets a new number): a worker's memory stays bounded.
    Numbers are never given twice."""

    def __init__(self, most: int = MAX_PARTS_REMEMBERED) -> None:
        self.by_key: dict[tuple, int] = {}
        self._next = 0
        self._most = most

    def new(self, key: tuple) -> int:
        if len(self.by_key) >= self._most:
            self.by_key.clear()
        number = self.by_key[key] = self._next
        self._next += 1
        return number


class PartsPickler(pickle.Pickler):
    """Pickles a parse process's results, each distinct part with a number the first time this process
    sends it, and as that number after (numbers: this process's, kept from one result to the next)."""

    def __init__(self, file: io.BytesIO, numbers: PartNumbers) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._numbers = numbers

    def reducer_override(self, obj: Any) -> Any:
        # called for instances of classes only (never for str, int, list, dict ...), once per object: a
        # second reference to it in this pickle is pickle's own
        kind = type(obj)
        if kind not in SHARED_KINDS:
            return NotImplemented
        key = part_key(obj)
        number = self._numbers.by_key.get(key)
        if number is None:
            return _first_copy, (self._numbers.new(key), kind, key[1:])  # its values, not itself: see PartsTable
        return _later_copy, (number,)

    @classmethod
    def dumps(cls, obj: Any, numbers: PartNumbers) -> bytes:
        out = io.BytesIO()
        cls(out, numbers).dump(obj)
        return out.getvalue()


class PartsTable:
    """The parts one parse process has sent, by number, each shared with those of every other (shared)."""

    def __init__(self, shared: SharedParts) -> None:
        self._shared = shared
        self._parts: list[Any] = []  # by number: a process numbers its parts 0, 1, 2 ...

    def _first_copy(self, number: int, kind: type, values: tuple) -> Any:
        # made here from its values: a part pickled whole would come back as itself, not as what this returns
        if number >= len(self._parts):  # numbers up to it that are not here came with a chunk that was lost
            self._parts.extend([_LOST] * (number + 1 - len(self._parts)))
        # a URL, text or selector of a link is often another link's too (their hashes are computed here once)
        text = self._shared.strings.setdefault
        part = kind(*[text(value, value) if type(value) is str else value for value in values])
        part = self._parts[number] = self._shared.one(part)
        return part

    def _later_copy(self, number: int) -> Any:
        part = self._parts[number] if number < len(self._parts) else _LOST
        if part is _LOST:
            raise KeyError(f"part {number} never came")
        return part

    def loads(self, data: bytes) -> Any:
        return _TableUnpickler(io.BytesIO(data), self).load()


class _TableUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, table: PartsTable) -> None:
        super().__init__(file)
        self._table = table

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in ("_first_copy", "_later_copy"):
            return getattr(self._table, name)
        return super().find_class(module, name)
