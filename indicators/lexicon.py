"""Concept lexicons: what an indicator's concepts look like in each language, in text and in URLs.

Data lives in indicators/concepts.yaml (concept id -> description) and indicators/lexicons/<lang>.yaml
(concept -> terms, url patterns, exclude terms). This module only compiles and matches them.

Term syntax (in the YAML files):
- words are matched whole ("contact" does not fire inside "contactless"); case does not matter;
- a trailing `*` on a word allows any ending ("новост*" = новости, новостей, новостная ...);
- words of a phrase may be separated by spaces, hyphens, slashes or a colon;
- an Uzbek term in Latin also matches Uzbek Cyrillic text (the text is transliterated, see translit.py).

URL pattern syntax: a slug matched as a whole token of the decoded, lower-cased "host/path?query"
(tokens are split by / ? & = . _ - #); `*` allows any ending within the token; `re:` starts a raw regex.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from indicators.translit import APOSTROPHES, cyrillic_to_latin_map, has_cyrillic
from losi.portal_cache import portal_cache

DATA_DIR = Path(__file__).parent
CONCEPTS_FILE = DATA_DIR / "concepts.yaml"
LEXICON_DIR = DATA_DIR / "lexicons"

# One-to-one character substitutions applied to text before matching (offsets stay valid).
_PREP_TABLE = str.maketrans(
    {**{a: "'" for a in APOSTROPHES}, "ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț", "İ": "I", "\u00a0": " "}
)
_PREP_CHARS = re.compile("[" + re.escape("".join(map(chr, _PREP_TABLE))) + "]")  # a regex finds them faster
# Optional-diacritics folding for languages often written without them (set per language in its file).
_DIACRITIC_CLASSES = {"ă": "[ăâa]", "â": "[âăa]", "î": "[îi]", "ș": "[șs]", "ț": "[țt]"}
_SEPARATOR = r"(?:\s*[-–—/&:,]\s*|\s+)"
_URL_TOKEN_SEP = r"/?&=._#\-"
_URL_SEPARATORS = frozenset(_URL_TOKEN_SEP.replace("\\", ""))
BATCH_SEP = "\n|\n"  # joins short texts for one call of Lexicon.index; no term can match across it
WHICH_MEMO = 20_000  # matched texts remembered per term set (which term matched them)


class LexiconError(ValueError):
    """A lexicon or concepts file is malformed. The message names the file, the concept and the field."""


@dataclass(frozen=True, slots=True)  # slots: a portal's pages hold hundreds of thousands of them
class TermMatch:
    concept: str
    lang: str
    term: str  # the term as written in the lexicon
    start: int  # offsets into the ORIGINAL text
    end: int
    text: str  # the original text[start:end]

    def __reduce__(self) -> tuple[type[TermMatch], tuple[str, str, str, int, int, str]]:
        # pickled by its fields: the parse processes send ~80 a page (a frozen slotted dataclass's own state
        # functions ask dataclasses.fields every time)
        return TermMatch, (self.concept, self.lang, self.term, self.start, self.end, self.text)


@dataclass(frozen=True)
class Concept:
    id: str
    description: str
    exclude: tuple[str, ...] = ()  # concept ids whose matches veto an overlapping match of this one
    # concept ids whose presence in the same short text (a heading, a link) means this concept is only a
    # word of it: "Head of the Health Department" names a position, it is not a heading about health
    not_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageInfo:
    code: str
    name: str
    script: str
    switcher: tuple[str, ...]  # how a language switcher names this language ("English", "EN", "Русский")
    url_codes: tuple[str, ...]  # path segments / query values meaning this language ("en", "eng")
    stopwords: tuple[str, ...]


# --------------------------------------------------------------------------- text preparation


def _prepare(text: str) -> str:
    """Lower-case matching form of `text` with exactly the same length (so offsets map 1:1)."""
    return _prepare_as(text)[0]


def _prepare_as(text: str) -> tuple[str, tuple[bool, bool]]:
    """_prepare's result, and what it decided for the text as a whole: NFKC kept its length, lower case kept
    it. Texts joined for one call of Lexicon.index must agree on both, and on having Cyrillic (then they are
    matched again transliterated, see _latinised), or a text would be matched unlike itself alone."""
    if _PREP_CHARS.search(text):  # most texts have none: str.translate looks every character up
        text = text.translate(_PREP_TABLE)
    nfkc_kept = True
    if not unicodedata.is_normalized("NFKC", text):
        nfkc = unicodedata.normalize("NFKC", text)
        nfkc_kept = len(nfkc) == len(text)
        if nfkc_kept:
            text = nfkc
    lower = text.lower()
    lower_kept = len(lower) == len(text)
    if not lower_kept:
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower, (nfkc_kept, lower_kept)


@portal_cache(32)
def _prepared(text: str) -> str:
    return _prepare(text)


@portal_cache(32)
def _latinised(text: str) -> tuple[str, tuple[int, ...]] | None:
    """The prepared text with Cyrillic transliterated to Uzbek Latin, and its offset map; None if no Cyrillic."""
    prepared = _prepared(text)
    if not has_cyrillic(prepared):
        return None
    latin, index = cyrillic_to_latin_map(prepared)
    return latin, tuple(index)


def normalize(text: str) -> str:
    """Matching key: NFKC, casefold, one apostrophe, single spaces, Cyrillic -> Uzbek Latin.

    Compare normalize(a) == normalize(b); do not show the result to people (Cyrillic of every language
    becomes Latin, so Russian "Контакты" and Uzbek "Kontaktlar" share a script).
    """
    text = unicodedata.normalize("NFKC", text or "").translate(_PREP_TABLE).casefold()
    text = " ".join(text.split())
    return cyrillic_to_latin_map(text)[0] if has_cyrillic(text) else text


# --------------------------------------------------------------------------- compiling


def _term_key(term: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", term).translate(_PREP_TABLE).lower().split())


@portal_cache(1 << 17)  # every concept walks every link: a smaller cache is emptied before the next concept
def _url_target(url: str) -> str | None:
    """Host, path and query of a URL, decoded and prepared for URL patterns (one URL meets every concept)."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    target = unquote(host + parts.path + ("?" + parts.query if parts.query else "")).lower()
    return target.translate(_PREP_TABLE)


def _expanding_characters() -> dict[str, str]:
    """Characters whose NFKC form is longer (Armenian "և" -> "եւ", "ﬁ" -> "fi"), keyed by that form.

    Prepared text keeps them as they are (offsets must not move), so a term spelled with the expansion has to
    match the single character too.
    """
    blocks = (range(0x0530, 0x0590), range(0xFB00, 0xFB18))  # Armenian; Latin and Armenian ligatures
    table: dict[str, str] = {}
    for char in map(chr, (code for block in blocks for code in block)):
        expanded = unicodedata.normalize("NFKC", char).lower()
        if len(expanded) > 1:
            table.setdefault(expanded, char)
    return table


_EXPANSIONS = _expanding_characters()


def _word_regex(word: str, options: Mapping[str, Any]) -> str:
    parts: list[str] = []
    position = 0
    while position < len(word):
        expansion = next((e for e in _EXPANSIONS if word.startswith(e, position)), None)
        if expansion:
            parts.append(f"(?:{re.escape(expansion)}|{re.escape(_EXPANSIONS[expansion])})")
            position += len(expansion)
            continue
        char = word[position]
        position += 1
        if char == "*":
            parts.append(r"\w*")
        elif char == "'" and options.get("apostrophe_optional"):
            parts.append("'?")
        elif char == "ı":
            parts.append("[ıi]")
        elif char in _DIACRITIC_CLASSES and options.get("diacritics_optional"):
            parts.append(_DIACRITIC_CLASSES[char])
        elif char == "-":
            parts.append(r"[-\s]?")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def term_regex(term: str, options: Mapping[str, Any] | None = None, latinise: bool = False) -> str:
    """Regex (without boundaries) for one lexicon term, matched against prepared text."""
    key = _term_key(term)
    if latinise and has_cyrillic(key):
        key = cyrillic_to_latin_map(key)[0]
    return _SEPARATOR.join(_word_regex(w, options or {}) for w in key.split(" "))


def _start_keys(term_rx_key: str, options: Mapping[str, Any]) -> set[str] | None:
    """Index keys under which a term can start: "3:xyz" (a word starting with xyz), "2:xy" (a word starting
    with xy, or the one-letter word x) or "1:x" (any word starting with x, for a term like "x*"). None: the
    term must be scanned for. The longer the key, the fewer the words where its terms are tried."""
    first = term_rx_key.split(" ")[0][:4]
    variants = [""]
    position = 0
    while position < len(first):
        char = first[position]
        position += 1
        expansion = next((e for e in _EXPANSIONS if first.startswith(e, position - 1)), None)
        if char == "*":
            variants = [v + "*" for v in variants]
            break
        if expansion:  # the text may hold the single character ("և" for "եւ"), as _word_regex matches it
            alts = [expansion, _EXPANSIONS[expansion]]
            position += len(expansion) - 1
        elif char == "'" and options.get("apostrophe_optional"):
            alts = ["'", ""]
        elif char == "ı":
            alts = ["ı", "i"]
        elif char in _DIACRITIC_CLASSES and options.get("diacritics_optional"):
            alts = [c for c in _DIACRITIC_CLASSES[char] if c not in "[]"]
        elif char == "-":
            alts = ["-", ""]
        else:
            alts = [char]
        variants = [v + a for v in variants for a in alts]
    keys: set[str] = set()
    for variant in variants:
        run = re.match(r"\w+", variant)
        if not run:
            return None
        word = run.group()
        starred = variant[run.end() : run.end() + 1] == "*"
        if len(word) >= 3:
            keys.add("3:" + word[:3])
        elif len(word) == 2:
            keys.add("2:" + word)
        elif starred:
            keys.add("1:" + word)
        elif run.end() < len(variant) or len(variant) == len(first):
            keys.add("2:" + word)  # a one-letter word: followed by a non-word char or the end
        else:
            return None
    return keys


_WORD_RX = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
WORD_INDEXES_KEPT = 64  # texts whose word index is kept: every concept of an index() call reads the same one
# A term set with at most this many start keys finds them in a text it has no word index of (a few fast
# substring searches) rather than indexing every word of it: a single concept asked about a page-long text.
FEW_START_KEYS = 40
_word_indexes: dict[str, dict[str, list[int]]] = {}


def _word_index(subject: str, build: bool = True) -> dict[str, list[int]] | None:
    """Start offsets of the words of `subject`, by their first one, two and three characters (in no order;
    the one-letter word x is under "2:x", as _start_keys files it). build=False: only one already made."""
    index = _word_indexes.get(subject)
    if index is not None or not build:
        return index
    by_three: dict[str, list[int]] = {}
    for m in _WORD_RX.finditer(subject):
        by_three.setdefault(m.group()[:3], []).append(m.start())
    index = {}
    for three, starts in by_three.items():
        if len(three) == 3:
            index["3:" + three] = starts
        index.setdefault("2:" + three[:2], []).extend(starts)
        index.setdefault("1:" + three[0], []).extend(starts)
    if len(_word_indexes) >= WORD_INDEXES_KEPT:
        del _word_indexes[next(iter(_word_indexes))]
    _word_indexes[subject] = index
    return index


def _key_starts(subject: str, key: str) -> Iterator[int]:
    """Where the words that _word_index files under `key` start in `subject`, found without indexing it."""
    prefix = key[2:]
    one_letter = key.startswith("2:") and len(prefix) == 1  # "2:x" is the one-letter word x itself
    at = subject.find(prefix)
    while at >= 0:
        if (at == 0 or not _WORD_CHAR.match(subject, at - 1)) and not (
            one_letter and _WORD_CHAR.match(subject, at + 1)
        ):
            yield at
        at = subject.find(prefix, at + 1)


def url_regex(pattern: str) -> str:
    if pattern.startswith("re:"):
        return pattern[3:]
    body = "".join(rf"[^{_URL_TOKEN_SEP}]*" if c == "*" else re.escape(c) for c in pattern.lower().strip("/"))
    return rf"(?:^|(?<=[{_URL_TOKEN_SEP}])){body}(?=[{_URL_TOKEN_SEP}]|$)"


@dataclass
class _UrlPatterns:
    """A concept's URL patterns, compiled, each with the longest piece of text it cannot match without
    (None for re: patterns): most links meet most concepts nowhere, and a substring test says so quickly."""

    each: list[tuple[str, re.Pattern[str], str | None]]

    @classmethod
    def build(cls, patterns: list[str]) -> _UrlPatterns:
        return cls([(p, re.compile(url_regex(p)), _url_literal(p)) for p in patterns])

    def match(self, target: str) -> str | None:
        for pattern, rx, literal in self.each:
            if (literal is None or literal in target) and rx.search(target):
                return pattern
        return None


class _UrlIndex:
    """Every concept's URL patterns, filed by the first characters they must begin with. A pattern matches at
    the start of a URL or just after a separator, so only the patterns filed under the text at those places
    need their regex tried: one pass over a URL for all concepts, instead of one per concept."""

    HEAD = 3  # characters a pattern is filed under (fewer when its text before a '*' is shorter)

    def __init__(self, patterns: Mapping[str, _UrlPatterns]) -> None:
        self.by_head: dict[str, list[tuple[str, int, str, re.Pattern[str]]]] = {}
        self.anywhere: list[tuple[str, int, str, re.Pattern[str]]] = []  # re: patterns, those opening with '*'
        for concept, compiled in patterns.items():
            for order, (pattern, rx, _literal) in enumerate(compiled.each):
                head = "" if pattern.startswith("re:") else _url_pieces(pattern)[0][: self.HEAD]
                filed = self.by_head.setdefault(head, []) if head else self.anywhere
                filed.append((concept, order, pattern, rx))
        self.head_lengths = sorted({len(head) for head in self.by_head})

    def matches(self, target: str) -> dict[str, str]:
        """concept -> its first pattern (in its own order) that matches the prepared URL `target`."""
        tried = set(self.anywhere)
        for start in [0, *(at + 1 for at, char in enumerate(target) if char in _URL_SEPARATORS)]:
            for length in self.head_lengths:
                tried.update(self.by_head.get(target[start : start + length], ()))
        first: dict[str, tuple[int, str]] = {}
        for concept, order, pattern, rx in tried:
            if (concept not in first or order < first[concept][0]) and rx.search(target):
                first[concept] = (order, pattern)
        return {concept: pattern for concept, (_order, pattern) in first.items()}


def _url_literal(pattern: str) -> str | None:
    if pattern.startswith("re:"):
        return None
    return max(_url_pieces(pattern), key=len) or None


def _url_pieces(pattern: str) -> list[str]:
    """The literal text of a URL pattern (not re:) between its '*'s, as url_regex matches it."""
    return pattern.lower().strip("/").split("*")


@dataclass
class _Entry:
    terms: list[str]
    url: list[str]
    exclude: list[str]


@dataclass
class _TermSet:
    """Terms compiled for index-driven matching: one anchored regex per start key."""

    by_key: dict[str, str]  # start key -> the regex of the terms that start so, compiled when first needed
    scan: re.Pattern[str] | None  # terms whose start cannot be indexed: searched the slow way
    terms: list[tuple[str, str, str]]  # (lang, term, regex), longest first: which term a match is
    named: dict[str, tuple[str, str]] = field(default_factory=dict)  # matched text -> (lang, term), memo
    # each term's regex, compiled when a match first needs it (most terms of most concepts never match)
    compiled: dict[int, re.Pattern[str]] = field(default_factory=dict)
    # each start key's regex, compiled when a text first has a word that starts so (most never come up)
    compiled_keys: dict[str, re.Pattern[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, items: list[tuple[str, str, str, set[str] | None]]) -> _TermSet:
        """items: (lang, term, regex, start keys)."""
        items = sorted(items, key=lambda t: -len(t[2]))
        grouped: dict[str, list[str]] = {}
        scanned: list[str] = []
        for _lang, _term, rx, keys in items:
            if keys is None:
                scanned.append(rx)
                continue
            for key in keys:
                grouped.setdefault(key, []).append(rx)
        by_key = {key: rf"(?:{'|'.join(rxs)})(?!\w)" for key, rxs in grouped.items()}
        scan = re.compile(rf"(?<!\w)(?:{'|'.join(scanned)})(?!\w)") if scanned else None
        return cls(by_key, scan, [(lang, term, rx) for lang, term, rx, _ in items])

    def spans(self, subject: str) -> list[tuple[int, int]]:
        index = _word_index(subject, build=len(self.by_key) > FEW_START_KEYS)
        if index is None:
            starts: Iterable[tuple[str, Iterable[int]]] = ((key, _key_starts(subject, key)) for key in self.by_key)
        else:  # the start keys both of the text's words and of terms
            starts = ((key, index[key]) for key in index.keys() & self.by_key.keys())
        found: list[tuple[int, int]] = []
        for key, positions in starts:
            rx = None
            for pos in positions:
                rx = rx or self._key_regex(key)
                if m := rx.match(subject, pos):
                    found.append(m.span())
        if self.scan is not None:
            found.extend(m.span() for m in self.scan.finditer(subject))
        found.sort(key=lambda span: (span[0], -span[1]))
        out: list[tuple[int, int]] = []
        for span in found:
            if not out or span[0] >= out[-1][1]:
                out.append(span)
        return out

    def which(self, matched: str) -> tuple[str, str]:
        known = self.named.get(matched)
        if known is None:
            known = next(((lang, term) for i, (lang, term, _) in enumerate(self.terms)
                          if self._term_regex(i).fullmatch(matched)), (self.terms[0][0], self.terms[0][1]))  # fmt: skip
            if len(self.named) < WHICH_MEMO:
                self.named[matched] = known
        return known

    def _key_regex(self, key: str) -> re.Pattern[str]:
        rx = self.compiled_keys.get(key)
        if rx is None:
            rx = self.compiled_keys[key] = re.compile(self.by_key[key])
        return rx

    def _term_regex(self, i: int) -> re.Pattern[str]:
        rx = self.compiled.get(i)
        if rx is None:
            rx = self.compiled[i] = re.compile(rf"(?:{self.terms[i][2]})(?!\w)")
        return rx


@dataclass
class _Compiled:
    terms: _TermSet | None
    exclude: _TermSet | None


# libyaml's safe loader when PyYAML was built with it: the same documents, read ten times faster (every process
# that matches concepts reads every lexicon)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot read: {exc}") from exc


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise LexiconError(f"{where}: must be a list of strings")
    for v in value:
        if not isinstance(v, str) or not v.strip():
            raise LexiconError(f"{where}: {v!r} is not a non-empty string (quote yes/no/on/off/numbers in YAML)")
    return list(value)


def load_concepts(path: Path = CONCEPTS_FILE) -> dict[str, Concept]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise LexiconError(f"{path.name}: must map concept ids to descriptions")
    concepts: dict[str, Concept] = {}
    for cid, raw in data.items():
        where = f"{path.name}: concept {cid!r}"
        if isinstance(raw, str):
            concepts[cid] = Concept(cid, raw)
        elif isinstance(raw, dict) and isinstance(raw.get("description"), str):
            concepts[cid] = Concept(
                cid, raw["description"], tuple(_str_list(raw.get("exclude"), where + " exclude")),
                tuple(_str_list(raw.get("not_in"), where + " not_in")),
            )  # fmt: skip
        else:
            raise LexiconError(f"{where}: needs a description")
    for c in concepts.values():
        for field_name, others in (("exclude", c.exclude), ("not_in", c.not_in)):
            for other in others:
                if other not in concepts:
                    raise LexiconError(f"{path.name}: concept {c.id!r}: {field_name} names unknown concept {other!r}")
    return concepts


def available_languages() -> list[str]:
    return sorted(p.stem for p in LEXICON_DIR.glob("*.yaml"))


def _add_entries(
    data: dict[str, Any],
    path: Path,
    code: str,
    concepts: Mapping[str, Concept],
    concepts_file: Path,
    entries: dict[tuple[str, str], _Entry],
) -> None:
    """The concepts of one lexicon file into `entries`; a concept may be defined once per language."""
    raw_concepts = data.get("concepts") or {}
    if not isinstance(raw_concepts, dict):
        raise LexiconError(f"{path.name}: concepts must be a mapping")
    for cid, raw in raw_concepts.items():
        where = f"{path.name}: concept {cid!r}"
        if cid not in concepts:
            raise LexiconError(f"{where}: unknown concept (not in {concepts_file.name})")
        if (cid, code) in entries:
            raise LexiconError(f"{where}: already defined for language {code!r} in another lexicon file")
        if not isinstance(raw, dict):
            raise LexiconError(f"{where}: must be a mapping with terms/url/exclude")
        unknown = set(raw) - {"terms", "url", "exclude"}
        if unknown:
            raise LexiconError(f"{where}: unknown field(s) {sorted(unknown)}")
        entry = _Entry(
            _str_list(raw.get("terms"), where + " terms"),
            _str_list(raw.get("url"), where + " url"),
            _str_list(raw.get("exclude"), where + " exclude"),
        )
        for pattern in entry.url:
            try:
                re.compile(url_regex(pattern))
            except re.error as exc:
                raise LexiconError(f"{where} url: bad pattern {pattern!r}: {exc}") from exc
        entries[(cid, code)] = entry


# --------------------------------------------------------------------------- the lexicon


class Lexicon:
    """Concept terms and URL patterns of a set of languages, compiled for fast matching."""

    def __init__(
        self,
        concepts: Mapping[str, Concept],
        languages: Mapping[str, LanguageInfo],
        entries: Mapping[tuple[str, str], _Entry],
        options: Mapping[str, Mapping[str, Any]],
    ):
        self.concepts: Mapping[str, Concept] = dict(concepts)
        self.languages: tuple[str, ...] = tuple(languages)
        self.language_info: Mapping[str, LanguageInfo] = dict(languages)
        self._entries = dict(entries)
        self._options = dict(options)
        self._compiled: dict[tuple[str, tuple[str, ...], bool], _Compiled] = {}
        self._url: dict[str, _UrlPatterns] = {}
        self._url_index: _UrlIndex | None = None
        self._latin_of: dict[tuple[str, ...], tuple[str, ...]] = {}

    # ---- loading

    @classmethod
    def load(cls, languages: Iterable[str] | None = None) -> Lexicon:
        """Load (once per language set) the concepts and the lexicons of `languages` (None: all)."""
        key = None if languages is None else tuple(sorted({str(x).lower() for x in languages}))
        return _load_cached(key)

    @classmethod
    def from_files(cls, concepts_file: Path, lexicon_files: Iterable[Path]) -> Lexicon:
        concepts = load_concepts(concepts_file)
        langs: dict[str, LanguageInfo] = {}
        entries: dict[tuple[str, str], _Entry] = {}
        options: dict[str, dict[str, Any]] = {}
        for path in lexicon_files:
            data = _read_yaml(path)
            if not isinstance(data, dict):
                raise LexiconError(f"{path.name}: must be a mapping")
            code = str(data.get("language") or path.stem)
            if code in langs and "name" not in data:  # a topic file adding concepts to a language (see _files)
                _add_entries(data, path, code, concepts, concepts_file, entries)
                continue
            langs[code] = LanguageInfo(
                code=code,
                name=str(data.get("name", code)),
                script=str(data.get("script", "")),
                switcher=tuple(_str_list(data.get("switcher"), f"{path.name}: switcher")),
                url_codes=tuple(_str_list(data.get("url_codes"), f"{path.name}: url_codes") or [code]),
                stopwords=tuple(_term_key(w) for w in _str_list(data.get("stopwords"), f"{path.name}: stopwords")),
            )
            opts = data.get("options") or {}
            if not isinstance(opts, dict):
                raise LexiconError(f"{path.name}: options must be a mapping")
            options[code] = opts
            _add_entries(data, path, code, concepts, concepts_file, entries)
        return cls(concepts, langs, entries, options)

    # ---- queries

    def _concept(self, concept: str) -> Concept:
        try:
            return self.concepts[concept]
        except KeyError:
            raise KeyError(f"unknown concept {concept!r}; see indicators/concepts.yaml") from None

    def _langs(self, langs: Iterable[str] | None) -> tuple[str, ...]:
        if langs is None:
            return self.languages
        wanted = {str(x).lower() for x in langs}
        chosen = tuple(code for code in self.languages if code in wanted)
        return chosen or self.languages  # no lexicon for any of them: try every language we have

    def terms(self, concept: str, lang: str | None = None) -> list[str]:
        self._concept(concept)
        langs = self.languages if lang is None else (lang,)
        out: list[str] = []
        for code in langs:
            entry = self._entries.get((concept, code))
            if entry:
                out.extend(t for t in entry.terms if t not in out)
        return out

    def exclude_terms(self, concept: str, lang: str | None = None) -> list[str]:
        self._concept(concept)
        langs = self.languages if lang is None else (lang,)
        return [t for code in langs for t in (self._entries.get((concept, code)) or _Entry([], [], [])).exclude]

    def url_patterns(self, concept: str, lang: str | None = None) -> list[str]:
        self._concept(concept)
        langs = self.languages if lang is None else (lang,)
        out: list[str] = []
        for code in langs:
            entry = self._entries.get((concept, code))
            if entry:
                out.extend(p for p in entry.url if p not in out)
        return out

    def url_match(self, concept: str, url: str) -> str | None:
        """The URL pattern of `concept` that matches `url` (host, path and query, decoded), else None."""
        target = _url_target(url)
        return None if target is None else self._url_patterns_of(concept).match(target)

    def url_matches(self, url: str) -> dict[str, str]:
        """Every concept whose URL patterns match `url`, with the pattern url_match would name."""
        if self._url_index is None:
            self._url_index = _UrlIndex({concept: self._url_patterns_of(concept) for concept in self.concepts})
        target = _url_target(url)
        return {} if target is None else self._url_index.matches(target)

    def _url_patterns_of(self, concept: str) -> _UrlPatterns:
        compiled = self._url.get(concept)
        if compiled is None:
            compiled = self._url[concept] = _UrlPatterns.build(self.url_patterns(concept))
        return compiled

    def _compile(self, concept: str, langs: tuple[str, ...], latin: bool) -> _Compiled:
        """A concept's terms in several languages. latin=True: the Uzbek pass over latinised text."""
        key = (concept, langs, latin)
        if key in self._compiled:
            return self._compiled[key]
        terms: list[tuple[str, str, str, set[str] | None]] = []
        excludes: list[tuple[str, str, str, set[str] | None]] = []
        for code in langs:
            entry = self._entries.get((concept, code))
            if not entry:
                continue
            opts = self._options.get(code, {})
            for bucket, words in ((terms, entry.terms), (excludes, entry.exclude)):
                for term in words:
                    term_key = _term_key(term)
                    if latin and has_cyrillic(term_key):
                        term_key = cyrillic_to_latin_map(term_key)[0]
                    rx = term_regex(term, opts, latinise=latin)
                    bucket.append((code, term, rx, _start_keys(term_key, opts)))
        compiled = _Compiled(
            _TermSet.build(terms) if terms else None, _TermSet.build(excludes) if excludes else None
        )
        self._compiled[key] = compiled
        return compiled

    def _latin_langs(self, langs: tuple[str, ...]) -> tuple[str, ...]:
        """Those of the languages also matched on latinised text (Uzbek written in either script)."""
        chosen = self._latin_of.get(langs)
        if chosen is None:
            chosen = self._latin_of[langs] = tuple(c for c in langs if self._options.get(c, {}).get("latinise"))
        return chosen

    def _raw_find(self, concept: str, text: str, langs: tuple[str, ...]) -> list[TermMatch]:
        """Matches of one concept, vetoed by its own exclude terms (not by other concepts)."""
        if not text:
            return []
        found: dict[tuple[int, int], TermMatch] = {}
        prepared = _prepared(text)
        latin_langs = self._latin_langs(langs)
        passes: list[tuple[str, tuple[int, ...] | None, tuple[str, ...], bool]] = [(prepared, None, langs, False)]
        if latin_langs:
            latinised = _latinised(text)
            if latinised is not None:
                passes.append((latinised[0], latinised[1], latin_langs, True))
        for subject, index, pass_langs, latin in passes:
            comp = self._compile(concept, pass_langs, latin)
            if comp.terms is None:
                continue
            vetoes = comp.exclude.spans(subject) if comp.exclude else []
            for s, e in comp.terms.spans(subject):
                if any(vs < e and s < ve for vs, ve in vetoes):
                    continue
                lang, term = comp.terms.which(subject[s:e])
                if index is not None:
                    s, e = index[s], index[e - 1] + 1
                if (s, e) not in found:
                    found[(s, e)] = TermMatch(concept, lang, term, s, e, text[s:e])
        return sorted(found.values(), key=lambda t: (t.start, -t.end))

    def find(self, concept: str, text: str, langs: Iterable[str] | None = None) -> list[TermMatch]:
        """Where `concept` is named in `text`, in the given languages (None: all), in text order."""
        c = self._concept(concept)
        chosen = self._langs(langs)
        matches = self._raw_find(concept, text, chosen)
        if matches and c.exclude:
            vetoes = [(m.start, m.end) for other in c.exclude for m in self._raw_find(other, text, chosen)]
            matches = [m for m in matches if not any(vs < m.end and m.start < ve for vs, ve in vetoes)]
        return matches

    def index(self, texts: list[str], concepts: Iterable[str]) -> dict[tuple[str, str], list[TermMatch]]:
        """(concept, text) -> the concept's matches in that text (all languages), for distinct texts without
        BATCH_SEP. Short texts are matched joined, one call per concept (fewer, larger calls: the per-text
        preparation, case folding, transliteration and word index, is done once); no term matches across
        the separator, so each text gets exactly the matches it has alone."""
        if len(texts) < 2:  # a page's searched text comes alone: nothing to tell apart
            return self._index_joined(texts, concepts) if texts else {}
        memo: dict[tuple[str, str], list[TermMatch]] = {}
        alike: dict[tuple[bool, bool, bool], list[str]] = {}
        for text in texts:
            prepared, kept = _prepare_as(text)
            alike.setdefault((*kept, has_cyrillic(prepared)), []).append(text)
        for group in alike.values():
            memo.update(self._index_joined(group, concepts))
        return memo

    def _index_joined(self, texts: list[str], concepts: Iterable[str]) -> dict[tuple[str, str], list[TermMatch]]:
        """Lexicon.index for texts that _prepare treats alike."""
        memo: dict[tuple[str, str], list[TermMatch]] = {}
        starts: list[int] = []
        pos = 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + len(BATCH_SEP)
        joined = BATCH_SEP.join(texts)
        for concept in concepts:
            try:
                found = self.find(concept, joined) if len(texts) > 1 else self.find(concept, texts[0])
            except (KeyError, ValueError):
                continue
            for m in found:
                at = bisect_right(starts, m.start) - 1
                text, base = texts[at], starts[at]
                if m.end - base > len(text):
                    continue  # cannot happen with the separator; never attribute a match to the wrong text
                memo.setdefault((concept, text), []).append(replace(m, start=m.start - base, end=m.end - base))
        return memo

    def find_any(self, concepts: Iterable[str], text: str, langs: Iterable[str] | None = None) -> list[TermMatch]:
        out: list[TermMatch] = []
        for concept in concepts:
            out.extend(self.find(concept, text, langs))
        return sorted(out, key=lambda t: (t.start, -t.end, t.concept))


def _files(languages: tuple[str, ...] | None) -> list[Path]:
    """Each language's file (lexicons/<lang>.yaml), then its topic files (lexicons/<topic>/<lang>.yaml: more
    concepts of that language, e.g. the national items' vocabulary in lexicons/national/)."""
    main = sorted(LEXICON_DIR.glob("*.yaml"))
    topics = sorted(p for p in LEXICON_DIR.glob("*/*.yaml") if (LEXICON_DIR / f"{p.stem}.yaml").is_file())
    files = [*main, *topics]
    return files if languages is None else [f for f in files if f.stem in languages]


@lru_cache(maxsize=16)
def _load_cached(languages: tuple[str, ...] | None) -> Lexicon:
    return Lexicon.from_files(CONCEPTS_FILE, _files(languages))


def snippet(text: str, start: int, end: int, width: int = 60) -> str:
    """The match with up to `width` characters either side, whitespace-collapsed, for evidence."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    out = " ".join(text[left:right].split())
    return ("…" if left else "") + out + ("…" if right < len(text) else "")
