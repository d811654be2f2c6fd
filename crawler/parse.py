"""The parse step: one captured HTML response -> one PageDoc (language, text, links, forms, dates, ...).

Robust by design: any bytes in, a PageDoc (or None for non-HTML) out. Encoding comes from the BOM, the
Content-Type header or <meta charset>, with a UTF-8 / windows-1251 fallback. Huge bodies are truncated
before parsing and the main text is capped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import yaml
from lxml import etree

from crawler.links import is_document
from crawler.scope import Scope
from indicators.filler import filler_reason
from indicators.language import detect_language, normalize_lang_tag
from indicators.lexicon import Lexicon
from losi.models import Control, Form, FormField, Heading, Link, PageDoc, Region
from losi.portal_cache import portal_cache

MAX_BODY_BYTES = 5_000_000  # parse at most this much of a response
MAX_LINKS = 5_000  # links kept per page (menus of real portals stay far below)
MAX_TEXT_CHARS = 200_000  # main text cap
MAX_DATES = 300
MAX_EMAILS = 20
MAX_NOTICES = 5
NOTICE_CONCEPT = "placeholder-notice"
MAX_HEADINGS = 300
DETECT_CHARS = 5_000  # language detection reads this much of the main text

MONTHS_FILE = Path(__file__).resolve().parent.parent / "assessors" / "data" / "months.yaml"

DROP_TAGS = ("script", "style", "noscript", "template")
BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article", "header", "footer",
    "nav", "aside", "main", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "dl", "blockquote", "pre", "form",
    "fieldset", "label", "option", "figcaption", "address", "hr",
})  # fmt: skip
SKIP_INPUT_TYPES = frozenset({"hidden", "submit", "button", "image", "reset"})
# Inputs a person types into that block a form's implicit submission (the Enter key) when there are several.
TYPED_INPUT_TYPES = frozenset({
    "text", "email", "tel", "search", "url", "number", "password", "date", "datetime-local", "month", "week",
    "time",
})  # fmt: skip
STATIC_EXTENSIONS = (".html", ".htm", ".xhtml")
# Leaf text blocks judged for template filler (containers are judged through their blocks).
FILLER_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "dd", "blockquote", "figcaption", "span",
               "div", "address")  # fmt: skip
MAX_FILLER_SAMPLES = 10
CONTROL_TAGS = frozenset({"button", "summary"})  # elements whose text names what clicking them opens
CONTROL_ATTRS = ("aria-label", "title")
MAX_CONTROLS = 400
MAX_CONTROL_LABEL = 160

REGION_BY_TAG = {
    "header": Region.HEADER, "nav": Region.NAV, "main": Region.MAIN, "aside": Region.ASIDE,
    "footer": Region.FOOTER,
}  # fmt: skip
REGION_BY_ROLE = {
    "banner": Region.HEADER, "navigation": Region.NAV, "main": Region.MAIN, "complementary": Region.ASIDE,
    "contentinfo": Region.FOOTER, "menubar": Region.NAV, "menu": Region.NAV,
}  # fmt: skip
# Conventional id/class names (markup conventions, not page language): "site-footer", "main-menu", "navbar".
REGION_BY_CLASS_TOKEN = {
    "footer": Region.FOOTER, "header": Region.HEADER, "nav": Region.NAV, "navbar": Region.NAV,
    "navigation": Region.NAV, "menu": Region.NAV, "mainmenu": Region.NAV, "topmenu": Region.NAV,
    "sidebar": Region.ASIDE,
}  # fmt: skip
CLASS_PREFIX_TOKENS = frozenset({"site", "page", "main", "top", "bottom", "global", "g"})

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_CSS_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME_ATTR = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})")
_YMD = re.compile(r"\b(\d{4})[./](\d{1,2})[./](\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_LOCAL_PART_CHAR = re.compile(r"[\w.+-]")
_DOMAIN_CHARS = re.compile(r"[\w.-]*")
_HTML_SNIFF = re.compile(rb"<(!doctype\s+html|html|head|body|meta|title|div|p|a)[\s>]", re.I)


def collapse(text: str | None) -> str:
    """Runs of whitespace as one space, none at the ends (str.split's whitespace is the regex \\s; this is
    a few times faster than re.sub on the page-long texts it is given)."""
    return " ".join(text.split()) if text else ""


def find_emails(text: str) -> Iterator[re.Match[str]]:
    """EMAIL_RE's matches in `text`, the same as EMAIL_RE.finditer(text), searched for only around each "@"
    (the regular expression alone tries every position of a page, and most pages have an address or none)."""
    pos = 0
    at = text.find("@")
    while at >= 0:
        start = at
        while start > pos and _LOCAL_PART_CHAR.match(text, start - 1):
            start -= 1
        end = _DOMAIN_CHARS.match(text, at + 1).end()
        if m := EMAIL_RE.search(text, start, end):  # the only "@" between start and end is this one
            yield m
            pos = m.end()
        at = text.find("@", max(at + 1, pos))


# --------------------------------------------------------------------------- encoding


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _try_utf8(body: bytes) -> str | None:
    """UTF-8 when the bytes are UTF-8 (a character cut at the end by truncation is forgiven)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3 and exc.reason == "unexpected end of data":
            return body[: exc.start].decode("utf-8", errors="replace")
        return None


def declared_charset(body: bytes, headers: dict[str, str] | None = None, content_type: str = "") -> str | None:
    """The charset the response declares (HTTP Content-Type first, then <meta charset>), as a Python codec."""
    header_ct = content_type
    for key, value in (headers or {}).items():
        if key.lower() == "content-type":
            header_ct = value or header_ct
    declared = None
    if m := _HEADER_CHARSET.search(header_ct or ""):
        declared = _codec(m.group(1))
    if declared is None and (m := _META_CHARSET.search(body[:8192])):
        declared = _codec(m.group(1).decode("ascii", "ignore"))
    return declared


def decode_body(body: bytes, headers: dict[str, str] | None = None, content_type: str = "") -> str:
    """Bytes -> text. BOM, then HTTP charset, then <meta charset>, then UTF-8, then windows-1251."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace")
    declared = declared_charset(body, headers, content_type)
    utf8 = _try_utf8(body)
    if utf8 is not None and not body.isascii():  # valid UTF-8 beyond ASCII is UTF-8, whatever is declared
        return utf8
    if declared:
        try:
            return body.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass  # a lying declaration: fall through to sniffing
    return utf8 if utf8 is not None else body.decode("windows-1251", errors="replace")


def is_html(body: bytes, content_type: str) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    if "html" in ct:
        return True
    if ct and ct not in ("text/plain", "application/octet-stream", "binary/octet-stream"):
        return False
    return bool(_HTML_SNIFF.search(body[:2048]))


# --------------------------------------------------------------------------- dates


@cache
def _month_table() -> tuple[dict[str, int], list[str]]:
    """form -> month number, and the words that may follow a year ("yil", "г")."""
    try:
        data = yaml.safe_load(MONTHS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}, []
    forms: dict[str, int] = {}
    year_words: list[str] = []
    for spec in (data.get("languages") or {}).values():
        for month, names in (spec.get("months") or {}).items():
            for name in names or []:
                forms.setdefault(str(name).lower(), int(month))
        year_words.extend(str(w).lower() for w in spec.get("year_words") or [])
    return forms, sorted(set(year_words), key=len, reverse=True)


def _trie_regex(words: Iterable[str]) -> str:
    """One alternation of many words as a trie ("jan(?:uary|var)?"...): the regular expression engine tries
    each letter once instead of every word in turn. Longer words are tried first, as in a longest-first list."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@cache
def _worded_date_patterns() -> list[tuple[re.Pattern[str], tuple[str, str, str]]]:
    forms, year_words = _month_table()
    if not forms:
        return []
    months = _trie_regex(forms)
    yw = "|".join(re.escape(w) for w in year_words) or "(?!)"
    sep = r"[\s\-.,]*"
    flags = re.I | re.U
    return [
        # 12 March 2024, 12 марта 2024 г., 12-mart 2024
        (re.compile(rf"\b(\d{{1,2}}){sep}({months})\b\.?{sep}(\d{{4}})\b", flags), ("d", "m", "y")),
        # March 12, 2024
        (re.compile(rf"\b({months})\b\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", flags), ("m", "d", "y")),
        # 2024 yil 12 mart, 2024-yil 12-mart
        (
            re.compile(rf"\b(\d{{4}}){sep}(?:(?:{yw})\b\.?{sep})?(\d{{1,2}}){sep}({months})\b", flags),
            ("y", "d", "m"),
        ),
    ]


@cache
def _month_year_pattern() -> re.Pattern[str] | None:
    """A month name followed by a year ("august 2026")."""
    forms, _ = _month_table()
    if not forms:
        return None
    months = _trie_regex(forms)
    return re.compile(rf"\b({months})\b\.?,?\s+(\d{{4}})\b", re.I | re.U)


def _iso(y: int, m: int, d: int) -> str | None:
    if not 1900 <= y <= 2100:
        return None
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


_YEAR = re.compile(r"(?<!\d)(?:19\d\d|20\d\d|2100)(?!\d)")
# How far a worded date reaches from its year: "12 сентября 2024 г." before it, "2024 yil 12-sentyabr" after it
_WORDED_BEFORE_YEAR = 80
_WORDED_AFTER_YEAR = 80


def _year_windows(text: str) -> list[tuple[int, int]]:
    """The stretches of text around the years it names, merged where they overlap. Every date find_dates
    accepts has such a year; matching dates (the month names: hundreds of forms, every language) only there
    keeps a page of numbers and words without years cheap. Each stretch ends at a non-word character, so no
    word is cut in two."""
    windows: list[tuple[int, int]] = []
    for m in _YEAR.finditer(text):
        start = max(0, m.start() - _WORDED_BEFORE_YEAR)
        end = min(len(text), m.end() + _WORDED_AFTER_YEAR)
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def find_dates(text: str, limit: int = MAX_DATES) -> list[str]:
    """ISO dates written in the text: yyyy-mm-dd, dd.mm.yyyy, yyyy.mm.dd, and month names from months.yaml."""
    found: dict[str, None] = {}
    hits: list[tuple[int, str]] = []

    def add(pos: int, value: str | None) -> None:
        if value:
            hits.append((pos, value))

    windows = _year_windows(text)  # every date _iso accepts has a year from 1900 to 2100, found there
    for m in (m for a, b in windows for m in _ISO_DATE.finditer(text, a, b)):
        add(m.start(), _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in (m for a, b in windows for m in _YMD.finditer(text, a, b)):
        add(m.start(), _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in (m for a, b in windows for m in _DMY.finditer(text, a, b)):
        first, second, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month = (second, first) if second > 12 >= first else (first, second)  # 03/25/2024 is US order
        add(m.start(), _iso(y, month, day))
    forms, _ = _month_table()
    dated = bytearray(len(text))  # 1 where a full worded date stands
    for pattern, order in _worded_date_patterns():
        for m in (m for a, b in windows for m in pattern.finditer(text, a, b)):
            parts = dict(zip(order, m.groups(), strict=True))
            month = forms.get(parts["m"].lower())
            if month:
                add(m.start(), _iso(int(parts["y"]), month, int(parts["d"])))
                dated[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    if month_year := _month_year_pattern():
        for m in (m for a, b in windows for m in month_year.finditer(text, a, b)):
            month = forms.get(m.group(1).lower())  # "August 2026": the month as a whole, dated by its first day
            if month and dated.find(1, m.start(), m.end()) < 0:
                add(m.start(), _iso(int(m.group(2)), month, 1))
    for _, value in sorted(hits):
        found.setdefault(value, None)
        if len(found) >= limit:
            break
    return list(found)


# --------------------------------------------------------------------------- element helpers


_WITH_ID = etree.XPath("//*[@id]")


class _Paths:
    """CSS selectors for elements: an id when it is unique, else tag:nth-of-type steps up to one."""

    def __init__(self, root: Any) -> None:
        counts: dict[str, int] = {}
        for el in _WITH_ID(root):
            if i := el.get("id"):
                counts[i] = counts.get(i, 0) + 1
        self.unique_ids = {i for i, n in counts.items() if n == 1 and _CSS_IDENT.match(i)}
        self.index: dict[Any, int] = {}
        self.cache: dict[Any, str] = {}
        self.regions: dict[Any, _Above] = {}

    def region(self, el: Any) -> str:
        return region_of(el, self.regions)

    def _nth(self, el: Any) -> int:
        if el not in self.index:
            parent = el.getparent()
            if parent is None:
                return 1
            seen: dict[str, int] = {}
            for child in parent:
                if isinstance(child.tag, str):
                    seen[child.tag] = seen.get(child.tag, 0) + 1
                    self.index[child] = seen[child.tag]
        return self.index.get(el, 1)

    def selector(self, el: Any) -> str:
        if el in self.cache:
            return self.cache[el]
        el_id = el.get("id")
        tag = el.tag if isinstance(el.tag, str) else "*"
        parent = el.getparent()
        if el_id in self.unique_ids:
            sel = f"#{el_id}"
        elif parent is None or tag in ("html", "body"):
            sel = tag
        else:
            sel = f"{self.selector(parent)} > {tag}:nth-of-type({self._nth(el)})"
        self.cache[el] = sel
        return sel


_CLASS_TOKEN_SEP = re.compile(r"[-_\s]+")


def _class_region(el: Any) -> Region | None:
    return _region_of_names(el.get("id") or "", el.get("class") or "")


@portal_cache(4096)
def _region_of_names(el_id: str, classes: str) -> Region | None:
    for name in (el_id, *classes.split()):
        tokens = [t for t in _CLASS_TOKEN_SEP.split(name.lower()) if t]
        if not tokens:
            continue
        if tokens[0] in REGION_BY_CLASS_TOKEN:
            return REGION_BY_CLASS_TOKEN[tokens[0]]
        if len(tokens) > 1 and tokens[0] in CLASS_PREFIX_TOKENS and tokens[1] in REGION_BY_CLASS_TOKEN:
            return REGION_BY_CLASS_TOKEN[tokens[1]]
    return None


_Above = tuple[bool, "Region | None"]  # (a footer at or above, the nearest landmark at or above)


def region_of(el: Any, memo: dict[Any, _Above] | None = None) -> str:
    """The page region of an element: a footer anywhere above wins, else the nearest landmark.

    memo (one per document) keeps what was found above each ancestor: a page's links share their menus."""
    parent = el.getparent()
    footer, nearest = _above(parent, {} if memo is None else memo) if parent is not None else (False, None)
    if footer:
        return Region.FOOTER.value
    return (nearest or Region.OTHER).value


def _above(el: Any, memo: dict[Any, _Above]) -> _Above:
    chain: list[Any] = []
    node = el
    while node is not None and node not in memo:
        chain.append(node)
        node = node.getparent()
    footer, nearest = memo[node] if node is not None else (False, None)
    for anc in reversed(chain):  # from the top down
        tag = anc.tag if isinstance(anc.tag, str) else ""
        region = REGION_BY_TAG.get(tag) or REGION_BY_ROLE.get((anc.get("role") or "").strip().lower())
        if region is None and tag not in ("html", "body"):
            region = _class_region(anc)
        footer = footer or region is Region.FOOTER
        nearest = region if region is not None else nearest
        memo[anc] = (footer, nearest)
    return footer, nearest


def _text_of(el: Any) -> str:
    """Visible text of an element, with img alt text."""
    if not len(el) and el.tag != "img" and el.tag not in DROP_TAGS:  # nothing inside but text: most links
        return collapse(el.text)
    return _text_of_nodes(el)


def _text_of_nodes(el: Any) -> str:
    parts: list[str] = []
    for node in el.iter():
        if not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            continue
        if node.tag in DROP_TAGS:
            if node.tail:
                parts.append(node.tail)
            continue
        if node.tag == "img" and node.get("alt"):
            parts.append(" " + node.get("alt") + " ")
        if node.text:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return collapse(" ".join(parts)) if parts else ""


_AUTHORITY_HREF = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^/?#]")  # "https://host/...", "//host/..."


def _absolute(base: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.lower().startswith(("javascript:", "data:", "about:")):
        return None
    # A template's links repeat on every page: resolve each (base part that matters, href) once.
    if href.startswith("/") and not href.startswith("//"):
        return _resolved(_origin(base), href)  # root-relative: only the scheme and host of the base count
    if _AUTHORITY_HREF.match(href):
        return _resolved(_scheme(base), href)  # absolute ("//host" takes the base's scheme)
    return _resolved(base, href)


@portal_cache(1 << 12)
def _origin(base: str) -> str:
    try:
        parts = urlsplit(base)
    except ValueError:
        return base
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else base


@portal_cache(1 << 16)  # a template's links repeat on every page
def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _scheme(base: str) -> str:
    return base.partition(":")[0] + ":" if base.lower().startswith(("http:", "https:")) else base


@portal_cache(1 << 16)
def _resolved(base: str, href: str) -> str | None:
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("mailto", "tel", "sms", "callto", "viber", "whatsapp", "tg"):
        return url
    if scheme not in ("http", "https"):
        return None
    base_part, frag = urldefrag(url)
    if frag.startswith(("/", "!/")):  # a hash route of a single-page app: "#/news", "#!/contacts"
        return url
    return base_part


def placeholder_notices(text: str) -> list[str]:
    """The sentences of the page (header and footer included) that say its content is not real."""
    lexicon = Lexicon.load(None)
    found = lexicon.find(NOTICE_CONCEPT, text)
    out: list[str] = []
    for m in found:
        start = max(text.rfind(".", 0, m.start), text.rfind("!", 0, m.start), text.rfind("?", 0, m.start)) + 1
        stop = min((i for i in (text.find(c, m.end) for c in ".!?") if i >= 0), default=len(text))
        sentence = text[start : stop + 1].strip()[:300]
        if sentence not in out:
            out.append(sentence)
        if len(out) >= MAX_NOTICES:
            break
    return out


def dead_href(href: str | None, anchors: set[str | None]) -> str:
    """Why a link's href leads nowhere ("" when it leads somewhere): a link that is not a feature.

    An empty href, "#", a javascript: URL, or a "#name" jump to an element the page does not have. A jump
    to a section that exists ("#contacts" on a one-page site) and a single-page app's route ("#/news") lead
    somewhere.
    """
    if href is None:
        return "a link without an address (only a script runs)"
    h = href.strip()
    if not h:
        return "an empty link"
    if h.lower().startswith("javascript:"):
        return "a javascript: link"
    if h.startswith("#"):
        fragment = h[1:]
        if fragment.startswith(("/", "!/")):
            return ""
        if fragment in ("", "!", "0", "top"):
            return "a '#' link"
        if fragment not in anchors:
            return f"a jump to a missing anchor {h[:40]}"
    return ""


def _drop_filler(root: Any) -> list[str]:
    """Remove the page's template-filler text blocks (indicators/filler.py); say what was removed."""
    samples: list[str] = []
    for el in list(root.iter(*FILLER_TAGS)):
        if el.getparent() is None or any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el):
            continue  # already removed with a parent, or a container (its own blocks are judged)
        text = _text_of(el)
        if len(text) < 4 or not (why := filler_reason(text)):
            continue
        if len(samples) < MAX_FILLER_SAMPLES:
            samples.append(f"{why}: {text[:80]}")
        _drop_tree(el)
    return samples


# --------------------------------------------------------------------------- forms


def _field_label(el: Any, labels_for: dict[str, str], by_id: dict[str, Any]) -> str:
    el_id = el.get("id")
    if el_id and labels_for.get(el_id):
        return labels_for[el_id]
    for anc in el.iterancestors("label"):
        text = _text_of(anc)
        if text:
            return text
    if el.get("aria-label"):
        return collapse(el.get("aria-label"))
    if el.get("aria-labelledby"):
        texts = [_text_of(by_id[i]) for i in el.get("aria-labelledby").split() if i in by_id]
        if any(texts):
            return collapse(" ".join(texts))
    for attr in ("placeholder", "title"):
        if el.get(attr):
            return collapse(el.get(attr))
    return ""


def _parse_form(
    form: Any, base: str, paths: _Paths, labels_for: dict[str, str], by_id: dict[str, Any], static: bool
) -> Form:
    fields: list[FormField] = []
    groups: dict[str, FormField] = {}
    submit_text = ""
    has_submit = hidden = False
    for el in form.iter("input", "textarea", "select", "button"):
        tag = el.tag
        if tag == "button":
            btype = (el.get("type") or "submit").lower()
            if btype == "submit":
                has_submit = True
                submit_text = submit_text or _text_of(el) or collapse(el.get("value") or el.get("aria-label") or "")
            continue
        ftype = (
            "textarea"
            if tag == "textarea"
            else "select"
            if tag == "select"
            else (el.get("type") or "text").lower()
        )
        if ftype in ("submit", "image"):
            has_submit = True
            submit_text = submit_text or collapse(el.get("value") or el.get("alt") or el.get("aria-label") or "")
        hidden = hidden or ftype == "hidden"
        if ftype in SKIP_INPUT_TYPES:
            continue
        name = (el.get("name") or "").strip()
        label = _field_label(el, labels_for, by_id)
        required = el.get("required") is not None or (el.get("aria-required") or "").lower() == "true"
        if ftype in ("radio", "checkbox") and name:
            if name in groups:
                if label:
                    groups[name].options.append(label)
                groups[name].required = groups[name].required or required
                continue
            field = FormField(
                name=name, id=el.get("id") or "", type=ftype, label=label, required=required,
                options=[label] if label else [],
            )  # fmt: skip
            groups[name] = field
            fields.append(field)
            continue
        options = [collapse(_text_content(o)) for o in el.iter("option")] if tag == "select" else []
        field = FormField(
            name=name, id=el.get("id") or "", type=ftype, label=label, required=required,
            options=[o for o in options if o],
        )  # fmt: skip
        fields.append(field)
    raw_action = (form.get("action") or "").strip()
    action = _absolute(base, raw_action) or base
    same_page = urldefrag(action)[0] == urldefrag(base)[0]
    return Form(
        action=action,
        method=(form.get("method") or "get").strip().lower(),
        selector=paths.selector(form),
        fields=fields,
        submit_text=submit_text,
        role=(form.get("role") or "").strip().lower(),
        region=paths.region(form),
        rejected=form_rejection(fields, raw_action, same_page and static and not hidden, has_submit),
    )


def form_rejection(fields: list[FormField], raw_action: str, to_static_self: bool, has_submit: bool) -> str:
    """Why what a person types into this form would not reach the portal ("" when it would).

    to_static_self: the form sends to the static page it sits on (and carries no hidden server fields).
    """
    typed = [f for f in fields if f.type in TYPED_INPUT_TYPES or f.type == "textarea"]
    if typed and not any(f.name for f in typed):
        return "its fields have no name, so nothing typed into them is sent"
    messages = [f for f in fields if f.type == "textarea"]
    if messages and not any(f.name for f in messages):
        return "its message box has no name, so the message is not sent"
    if not has_submit and sum(f.type in TYPED_INPUT_TYPES for f in fields) != 1:
        return "it has no submit button"
    scheme = raw_action.split(":", 1)[0].lower() if ":" in raw_action else ""
    if scheme == "javascript":
        return "its action is a javascript: URL"
    if scheme == "mailto":
        return "it opens the visitor's mail program instead of sending to the portal"
    if to_static_self:
        return "it sends to the static page it is on, which cannot receive it"
    return ""


def is_static_response(url: str, headers: dict[str, str] | None) -> bool:
    """A plain file served as is (an .html file, or a response with Last-Modified and no session cookie):
    nothing on the server runs to receive a form sent back to it."""
    if urlsplit(url).path.lower().endswith(STATIC_EXTENSIONS):
        return True
    keys = {k.lower() for k in headers or {}}
    return "last-modified" in keys and "set-cookie" not in keys


# --------------------------------------------------------------------------- controls


# Every element _controls may name, found in one pass of lxml's (most elements have none of these)
_CONTROL_CANDIDATES = etree.XPath("//*[{}]".format(" or ".join(
    [*(f"self::{tag}" for tag in sorted(CONTROL_TAGS)), *(f"@{a}" for a in CONTROL_ATTRS), "@role"]
)))


def _controls(root: Any, paths: _Paths) -> list[Control]:
    """Buttons (their text) and elements with an aria-label or title: widgets such as a chat launcher."""
    out: list[Control] = []
    for el in _CONTROL_CANDIDATES(root):  # in document order
        labels = [el.get(a) or "" for a in CONTROL_ATTRS]
        if el.tag in CONTROL_TAGS or (el.get("role") or "").strip().lower() == "button":
            labels.append(_text_content(el))
        label = " ".join(collapse(x) for x in labels if x and x.strip())
        if label:
            out.append(Control(selector=paths.selector(el), label=label[:MAX_CONTROL_LABEL]))
            if len(out) >= MAX_CONTROLS:
                break
    return out


# --------------------------------------------------------------------------- main text


_MAIN_CANDIDATES = etree.XPath("//main | //*[@role='main']")


def _main_element(body: Any) -> Any | None:
    """The first <main>, else the first element with role=main."""
    found = _MAIN_CANDIDATES(body)
    return next((el for el in found if el.tag == "main"), found[0] if found else None)


def _visible_text(el: Any) -> str:
    return collapse(" ".join(el.itertext()))


def _mark_blocks(root: Any) -> None:
    """Make block boundaries visible to itertext(): "<p>a</p><p>b</p>" reads "a b", not "ab"."""
    for el in root.iter(*BLOCK_TAGS):
        el.tail = " " + (el.tail or "")
        el.text = " " + (el.text or "")


CHROME_XPATH = ".//header | .//nav | .//footer | .//*[@role='banner' or @role='navigation' or @role='contentinfo']"


def _text_without_chrome(el: Any, full: str | None = None) -> str:
    """el's visible text without the header, menus and footer inside it (broken markup often nests the site
    footer in <main>); all of its text when that leaves none. full: el's visible text, when known."""
    chrome = el.xpath(CHROME_XPATH)
    if full is None:
        full = _visible_text(el)
    if not chrome:
        return full
    for part in chrome:
        if part.getparent() is not None:
            _drop_tree(part)
    return _visible_text(el) or full


def _main_text(body: Any, visible: str) -> str:
    """The page's own text: its <main> (or role=main), else its articles, else its body, each without chrome.
    visible: the body's visible text."""
    main = _main_element(body)
    if main is not None:
        text = _text_without_chrome(main)
        if text:
            return text
    articles = body.xpath("//article")
    if articles:
        text = collapse(" ".join(_visible_text(a) for a in articles))
        if text:
            return text
    return _text_without_chrome(body, visible)


# --------------------------------------------------------------------------- the parse step


def parse_page(
    body: bytes,
    *,
    url: str,
    final_url: str,
    status: int,
    content_type: str,
    scope: Scope,
    headers: dict[str, str] | None = None,
    depth: int = 0,
    rendered: bool = False,
    fetched_at: str = "",
    screenshot: str = "",
) -> PageDoc | None:
    """Parse one captured response into a PageDoc; None when the response is not HTML."""
    body = body or b""
    if not is_html(body, content_type):
        return None
    base = final_url or url
    page = PageDoc(
        url=url, final_url=base, status=status, content_type=content_type or "text/html", depth=depth,
        rendered=rendered, fetched_at=fetched_at, screenshot=screenshot,
    )  # fmt: skip
    text = _CTRL.sub(" ", _XML_DECL.sub("", decode_body(body[:MAX_BODY_BYTES], headers, content_type)))
    if not text.strip():
        return page
    try:
        # lxml's plain elements: lxml.html's element classes are looked up in Python for every element touched
        root = etree.fromstring(text, etree.HTMLParser(remove_comments=True, remove_pis=True))
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return page
    if root is None:  # nothing but whitespace, comments or processing instructions
        return page
    _fill(page, root, base, scope, headers)
    return page


_text_content = etree.XPath("string()", smart_strings=False)  # lxml.html's text_content(): all text inside


def _drop_tree(el: Any) -> None:
    """Remove the element and what is inside it, keeping the text that follows it (lxml.html's drop_tree)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _fill(page: PageDoc, root: Any, base: str, scope: Scope, headers: dict[str, str] | None = None) -> None:
    for b in root.xpath("//base[@href]")[:1]:
        base = _absolute(base, b.get("href")) or base
    paths = _Paths(root)
    html_el = root if root.tag == "html" else next(root.iterancestors("html"), root)
    page.lang_declared = normalize_lang_tag(html_el.get("lang") or html_el.get("xml:lang") or "")
    if not page.lang_declared:
        for m in root.xpath("//meta[@http-equiv]"):
            if (m.get("http-equiv") or "").lower() == "content-language" and m.get("content"):
                page.lang_declared = normalize_lang_tag(m.get("content").split(",")[0])
    titles = root.xpath("//title")
    page.title = collapse(_text_content(titles[0])) if titles else ""

    for m in root.xpath("//meta"):
        key = m.get("name") or m.get("property") or m.get("http-equiv") or m.get("itemprop")
        if key and m.get("content") is not None:
            page.meta.setdefault(key.strip().lower(), collapse(m.get("content")))
    page.scripts = [u for s in root.xpath("//script[@src]") if (u := _absolute(base, s.get("src")))]
    page.iframes = [u for s in root.xpath("//iframe[@src]") if (u := _absolute(base, s.get("src")))]

    for el in root.xpath("//script | //style | //noscript | //template"):
        if el.getparent() is not None:
            _drop_tree(el)
    page.controls = _controls(root, paths)  # what a visitor can click (scripts and templates dropped)
    page.filler = _drop_filler(root)

    for h in root.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6")[:MAX_HEADINGS]:
        text = _text_of(h)
        if text:
            page.headings.append(Heading(int(h.tag[1]), text, paths.region(h)))

    seen_docs: set[str] = set()
    internal_by_netloc: dict[str, bool] = {}
    with_id = _WITH_ID(root)  # the tree is not changed again before the forms are read
    anchors = {el.get("id") for el in with_id} | {el.get("name") for el in root.xpath("//a[@name]")}
    for a in root.xpath("//a[@href or @onclick] | //area[@href]"):
        if len(page.links) >= MAX_LINKS:
            break
        raw = a.get("href")
        if dead := dead_href(raw, anchors):
            if len(page.dead_links) < MAX_LINKS:
                page.dead_links.append(Link(
                    url=(raw or "").strip()[:200], text=_text_of(a)[:500], region=paths.region(a),
                    title=collapse(a.get("title"))[:300], aria_label=collapse(a.get("aria-label"))[:300],
                    selector=paths.selector(a), dead=dead,
                ))  # fmt: skip
            continue
        href = _absolute(base, raw)
        if not href:
            continue
        netloc = _netloc(href)
        if netloc not in internal_by_netloc:
            internal_by_netloc[netloc] = scope.is_internal(href)
        link = Link(
            url=href,
            text=_text_of(a)[:500],
            region=paths.region(a),
            title=collapse(a.get("title"))[:300],
            aria_label=collapse(a.get("aria-label"))[:300],
            rel=collapse(a.get("rel")),
            hreflang=(a.get("hreflang") or "").strip(),
            selector=paths.selector(a),
            internal=internal_by_netloc[netloc],
        )
        page.links.append(link)
        if is_document(href) and href not in seen_docs:
            seen_docs.add(href)
            page.documents.append(link)

    by_id = {el.get("id"): el for el in with_id}
    labels_for = {lab.get("for"): _text_of(lab) for lab in root.xpath("//label[@for]")}
    static = is_static_response(base, headers)
    page.forms = [_parse_form(f, base, paths, labels_for, by_id, static) for f in root.xpath("//form")]

    time_dates = []
    for t in root.xpath("//time"):
        value = (t.get("datetime") or "").strip()
        if m := _TIME_ATTR.match(value):
            time_dates.append(_iso(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    _mark_blocks(root)
    body = root.find("body") if root.find("body") is not None else root
    visible = _visible_text(body)
    full_text = visible[: MAX_TEXT_CHARS * 2]
    dates = dict.fromkeys(d for d in time_dates if d)
    dates.update(dict.fromkeys(find_dates(full_text)))
    page.dates = list(dates)[:MAX_DATES]
    page.emails = list(dict.fromkeys(m.group().lower() for m in find_emails(full_text)))[:MAX_EMAILS]
    page.notices = placeholder_notices(full_text)
    page.text = _main_text(body, visible)[:MAX_TEXT_CHARS]
    page.lang_detected = detect_language(page.text[:DETECT_CHARS]) if page.text else ""
