"""Language of a text, language tags, and the language versions a page links to.

Detection: the script decides Georgian and Armenian; letters only some alphabets have (ў, ҷ, ә, ө, ə, ă...)
and the stopword lists of the lexicon files decide among the Cyrillic and Latin languages; langdetect is
the fallback for languages without a lexicon. The words themselves are data (indicators/lexicons/*.yaml).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from indicators.lexicon import LanguageInfo, Lexicon, normalize
from indicators.translit import APOSTROPHES, latin_to_cyrillic
from losi.hosts import bare_host, in_domain
from losi.models import Link

# Letters that only some of the alphabets in scope use (Unicode facts, not words).
_CYRILLIC_MARKERS = {
    "uz": "ўқғҳ",
    "tg": "ҷӣӯҳқғ",
    "kk": "әұіңқғөүһ",
    "ky": "өүң",
}
_CYRILLIC_UNIQUE = {"uz": "ў", "tg": "ҷӣӯ", "kk": "әұіһ"}
_LATIN_MARKERS = {"az": "əığşçöü", "ro": "ăâîșțşţ"}
_LATIN_UNIQUE = {"az": "ə", "ro": "ăț"}
_LANG_QUERY_KEYS = {"lang", "language", "lng", "hl", "locale", "lan"}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_APOS = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
_SAMPLE = 6000
_LANGDETECT_SAMPLE = 1000  # langdetect is as sure on 1,000 characters as on 6,000, and faster
# Share of words that are our stopwords of one language above which the text is that language: real English
# prose scores 0.15-0.25, while Dutch or Italian pages reach 0.05 with English or Romanian stopwords.
_SURE_STOPWORD_SHARE = 0.12
# Languages their script alone names: a text in that script is in that language.
_SCRIPT_LANGUAGES = frozenset({"ka", "hy"})
# Share of words that are our stopwords of a language from which a text taken for it is in it (language_is_evident).
# A site's pages score a median of 0.16 to 0.29 in English and Romanian, 0.09 to 0.11 in Uzbek (the real sites and
# fixtures); pages of lists and tables score less, and count when they declare their language, as most do. A font's
# demo page of glyph names taken for Romanian scores 0.04.
_EVIDENT_STOPWORD_SHARE = 0.06


def normalize_lang_tag(tag: str) -> str:
    """"uz-Cyrl-UZ" -> "uz", "ru_RU" -> "ru", "EN" -> "en", "" -> "" (ISO 639-1 where it has one)."""
    tag = (tag or "").strip().lower().replace("_", "-")
    if not tag or tag in {"x-default", "*"}:
        return ""
    primary = tag.split("-")[0]
    three = {"eng": "en", "rus": "ru", "uzb": "uz", "kaz": "kk", "kir": "ky", "kgz": "ky", "tgk": "tg",
             "kat": "ka", "geo": "ka", "hye": "hy", "arm": "hy", "aze": "az", "ron": "ro", "rum": "ro"}  # fmt: skip
    return three.get(primary, primary) if primary.isalpha() else ""


@lru_cache(maxsize=1)
def _infos() -> dict[str, LanguageInfo]:
    return dict(Lexicon.load().language_info)


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for code, info in _infos().items():
        words = {unicodedata.normalize("NFKC", w).translate(_APOS).lower() for w in info.stopwords}
        if code == "uz":  # the same words written in Cyrillic
            words |= {latin_to_cyrillic(w).lower() for w in words}
        out[code] = frozenset(words)
    return out


def _not_letters_of(*blocks: tuple[int, int]) -> re.Pattern[str]:
    """A pattern for runs of anything but the letters (str.isalpha) in the given blocks of code points."""
    letters = [c for a, b in blocks for c in range(a, b + 1) if chr(c).isalpha()]
    ranges: list[list[int]] = []
    for c in letters:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    body = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return re.compile(f"[^{body}]+")


_SCRIPT_LETTERS = {  # what is not a letter of the script, removed (in C) to count what is
    "Geor": _not_letters_of((0x10A0, 0x10FF), (0x1C90, 0x1CBF)),
    "Armn": _not_letters_of((0x0530, 0x058F), (0xFB13, 0xFB17)),
    "Cyrl": _not_letters_of((0x0400, 0x052F)),
    "Latn": _not_letters_of((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x259, 0x259)),
}


def _script_counts(text: str) -> Counter[str]:
    """Letters per script."""
    counts: Counter[str] = Counter()
    for script, not_letters in _SCRIPT_LETTERS.items():
        if n := len(not_letters.sub("", text)):
            counts[script] = n
    if other := sum(map(str.isalpha, text)) - sum(counts.values()):
        counts["other"] = other
    return counts


def _stopword_hits(words: list[str], langs: Iterable[str]) -> dict[str, int]:
    stop = _stopwords()
    return {lang: sum(1 for w in words if w in stop.get(lang, ())) for lang in langs}


def _langdetect(text: str) -> str:
    try:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError:
        return ""
    DetectorFactory.seed = 0
    try:
        best = detect_langs(text[:_LANGDETECT_SAMPLE])[0]
    except (LangDetectException, IndexError):
        return ""
    return normalize_lang_tag(best.lang) if best.prob >= 0.85 else ""


def _sample(text: str) -> str:
    """The part of a text that its language is read from: normalised, apostrophes made one, lower-case."""
    return unicodedata.normalize("NFKC", (text or "")[:_SAMPLE]).translate(_APOS).lower()


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when unsure (too little text, mixed, unknown)."""
    sample = _sample(text)
    scripts = _script_counts(sample)
    letters = sum(scripts.values())
    if letters < 12:
        return ""
    script, count = scripts.most_common(1)[0]
    if count < 0.5 * letters:
        return ""
    if script == "Geor":
        return "ka"
    if script == "Armn":
        return "hy"
    words = _WORD.findall(sample)
    if script == "Cyrl":
        return _cyrillic(sample, words)
    if script == "Latn":
        return _latin(sample, words)
    return _langdetect(sample)


def language_is_evident(text: str, lang: str, declared: str = "") -> bool:
    """Is the text in `lang` by more than a guess from letter statistics? Its script names the language, its page
    declares that language too, or its words are our stopwords of it as running text's are. A page of names or
    keywords that detect_language took for Bulgarian or Indonesian is not a page in that language."""
    if not lang:
        return False
    if lang in _SCRIPT_LANGUAGES or normalize_lang_tag(declared) == lang:
        return True
    if not _stopwords().get(lang):
        return False
    words = _WORD.findall(_sample(text))
    return bool(words) and _stopword_hits(words, (lang,))[lang] >= _EVIDENT_STOPWORD_SHARE * len(words)


def _cyrillic(sample: str, words: list[str]) -> str:
    letters = Counter(filter(str.isalpha, sample))
    total = sum(letters.values()) or 1
    hits = _stopword_hits(words, ("ru", "uz", "kk", "ky", "tg"))
    score: dict[str, float] = {lang: 2.0 * n for lang, n in hits.items()}
    for lang, markers in _CYRILLIC_MARKERS.items():
        score[lang] += sum(letters[c] for c in markers) * 100.0 / total
    for lang, unique in _CYRILLIC_UNIQUE.items():
        if any(letters[c] for c in unique):
            score[lang] += 10
    if letters["ә"] or letters["ұ"] or letters["і"]:
        score["ky"] -= 10  # Kyrgyz has ө ү ң but never ә ұ і
    if not any(letters[c] for c in "ўқғҳҷӣӯәұіңөүһ"):
        score["ru"] += 5
        if letters["ы"] or letters["щ"] or letters["ё"]:
            score["ru"] += 5
    best = max(score, key=lambda lang: score[lang])
    if score[best] <= 0:
        return _langdetect(sample)
    if best == "ru" and not hits["ru"]:
        guess = _langdetect(sample)  # Ukrainian, Bulgarian, Serbian... have no lexicon here
        return guess or "ru"
    return best


def _latin(sample: str, words: list[str]) -> str:
    """Latin script: our scorer knows en, uz, az and ro; langdetect knows 50-odd others but not uz or az.

    Shared little words ("de", "in", "is") make Dutch, Slovene or Italian text score as English or Romanian,
    so our scorer decides alone only on evidence no other language gives (a letter unique to the language,
    or Uzbek's o'/g'). Otherwise langdetect decides, and our scorer is the fallback when it is unsure.
    """
    letters = Counter(filter(str.isalpha, sample))
    total = sum(letters.values()) or 1
    hits = _stopword_hits(words, ("en", "uz", "az", "ro"))
    score: dict[str, float] = {lang: 2.0 * n for lang, n in hits.items()}
    for lang, markers in _LATIN_MARKERS.items():
        score[lang] += sum(letters[c] for c in markers) * 50.0 / total
    distinctive = {lang for lang, unique in _LATIN_UNIQUE.items() if any(letters[c] for c in unique)}
    for lang in distinctive:
        score[lang] += 10
    apostrophes = len(re.findall(r"\b(?:o|g)'\w", sample))
    score["uz"] += 3 * apostrophes
    if apostrophes >= 2:
        distinctive.add("uz")
    best = max(score, key=lambda lang: score[lang])
    n_words = max(len(words), 1)
    if best in distinctive and score[best] >= 12:
        return best
    if best == "uz" and hits["uz"] / n_words >= 0.04:
        return best  # langdetect has no Uzbek: it would name a neighbour
    if hits[best] / n_words >= _SURE_STOPWORD_SHARE:
        return best  # running prose of this language; langdetect would agree, 10 ms later
    return _langdetect(sample) or (best if score[best] >= 4 else "")


# --------------------------------------------------------------------------- language versions


def _same_site(host: str, page_host: str) -> bool:
    host, page_host = bare_host(host), bare_host(page_host)
    return in_domain(host, page_host) or in_domain(page_host, host)


@lru_cache(maxsize=1)
def _switcher_names() -> dict[str, str]:
    """normalized switcher label -> language."""
    names: dict[str, str] = {}
    for code, info in _infos().items():
        for name in (*info.switcher, info.name, code):
            names.setdefault(normalize(name), code)
    return names


@lru_cache(maxsize=1)
def _url_codes() -> dict[str, str]:
    codes: dict[str, str] = {}
    for code, info in _infos().items():
        for value in (code, *info.url_codes):
            codes.setdefault(value.lower(), code)
    return codes


def _label_language(link: Link) -> str:
    names = _switcher_names()
    for label in (link.text, link.title, link.aria_label):
        key = normalize(label).strip(" .:|/()[]")
        if key and key in names:
            return names[key]
    return ""


def _url_language(url: str, page_host: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not _same_site(parts.hostname or "", page_host):
        return ""
    codes = _url_codes()
    for key, value in parse_qsl(parts.query):
        if key.lower() in _LANG_QUERY_KEYS:
            lang = codes.get(value.lower()) or normalize_lang_tag(value)
            if lang:
                return lang
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0].lower() in codes:
        return codes[segments[0].lower()]
    sub = (parts.hostname or "").split(".")[0].lower()
    if sub in codes and sub not in page_host.lower().split(".")[:1]:
        return codes[sub]
    return ""


def language_versions(links: Iterable[Link], page_url: str) -> dict[str, str]:
    """Language -> URL of that language version of the site, from the links of one page.

    Sources, strongest first: hreflang; a switcher anchor naming a language ("English", "Русский",
    "O'zbekcha", "EN"); a same-site URL with a language path segment (/ru/, /en/) or ?lang=xx.
    """
    try:
        page_host = urlsplit(page_url).hostname or ""
    except ValueError:
        page_host = ""
    by_hreflang: dict[str, str] = {}
    by_label: dict[str, str] = {}
    by_url: dict[str, tuple[int, str]] = {}
    for link in links:
        if not link.url:
            continue
        lang = normalize_lang_tag(link.hreflang)
        if lang:
            by_hreflang.setdefault(lang, link.url)
            continue
        lang = _label_language(link)
        url_lang = _url_language(link.url, page_host)
        if lang and (not url_lang or url_lang == lang):
            by_label.setdefault(lang, link.url)
        elif url_lang:
            depth = len([s for s in urlsplit(link.url).path.split("/") if s])
            in_menu = link.region in ("header", "nav")
            rank = depth + (0 if in_menu else 10)
            if url_lang not in by_url or rank < by_url[url_lang][0]:
                by_url[url_lang] = (rank, link.url)
    out: dict[str, str] = {}
    for source in (by_hreflang, by_label, {k: v for k, (_r, v) in by_url.items()}):
        for lang, url in source.items():
            out.setdefault(lang, url)
    page_lang = _url_language(page_url, page_host)
    if page_lang:
        out.setdefault(page_lang, page_url)
    return out


def script_of(text: str) -> str:
    """The dominant script of a text: Latn, Cyrl, Geor, Armn, other, or "" for no letters."""
    counts = _script_counts(text)
    return counts.most_common(1)[0][0] if counts else ""


def uzbek_script(text: str) -> str:
    """For Uzbek text: "Cyrl" or "Latn"."""
    return "Cyrl" if script_of(text) == "Cyrl" else "Latn"


__all__ = ["detect_language", "language_versions", "normalize_lang_tag", "script_of"]
