"""Light link extraction for crawling: where to go next, and whether a page needs a browser.

The full page parser (crawler/parse.py) builds PageDocs later; this module only finds URLs to follow,
JavaScript redirects, and the signals that say a page is a single-page app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from losi.portal_cache import portal_cache

# Documents and data files: the parser records links to them as documents (budget PDFs, open-data CSVs...).
DOCUMENT_EXTENSIONS: frozenset[str] = frozenset(
    (
        "pdf", "doc", "docx", "xls", "xlsx", "csv", "json", "xml", "ods", "odt", "odp", "ppt", "pptx",
        "zip", "rar", "7z", "rtf", "txt", "geojson", "kml", "kmz", "shp", "tsv", "parquet", "rdf", "djvu",
    )
)  # fmt: skip

# Other files that are not pages: media, archives, installers, signatures.
OTHER_FILE_EXTENSIONS: frozenset[str] = frozenset(
    (
        "xlsm", "gz", "tgz", "tar", "bz2", "jpg", "jpeg", "png", "gif", "svg", "webp", "bmp", "ico", "tif",
        "tiff", "mp3", "mp4", "avi", "mov", "wmv", "webm", "ogg", "wav", "flac", "mkv", "exe", "msi", "dmg",
        "apk", "iso", "epub", "sig", "p7s",
    )
)  # fmt: skip

# The crawler never downloads these; the browser probes never check them as pages.
FILE_EXTENSIONS: frozenset[str] = DOCUMENT_EXTENSIONS | OTHER_FILE_EXTENSIONS

# Query parameters that carry a session id; they are stripped so one page has one URL.
SESSION_PARAMS: frozenset[str] = frozenset(
    ("jsessionid", "phpsessid", "sid", "sessionid", "session_id", "sessid", "aspsessionid", "cfid", "cftoken")
)

_JS_REDIRECT = (
    re.compile(r"""(?<![\w$.])(?:(?:window|document|top|self)\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"""),
    re.compile(r"""location\.(?:replace|assign)\(\s*["']([^"']+)["']\s*\)"""),
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_SPA_ROUTE = re.compile(r"^#!?/")

# A page whose static HTML has less text and fewer links than this, but loads scripts, is rendered.
SPA_MAX_TEXT = 200
SPA_MAX_LINKS = 3


# Where a link sits, for the focused frontier (crawler.focus): the page's menus and footer, or its content.
_REGION_TAGS = {"header": "header", "nav": "nav", "footer": "footer", "main": "main", "aside": "aside"}
_REGION_ROLES = {"banner": "header", "navigation": "nav", "contentinfo": "footer", "main": "main"}
MAX_LABEL = 200


@dataclass(frozen=True)
class Anchor:
    label: str = ""  # anchor text, title and aria-label, whitespace-collapsed
    region: str = "other"  # header | nav | footer | main | aside | other


@dataclass
class PageSignals:
    links: list[str] = field(default_factory=list)  # absolute, canonical, fragments removed
    anchors: dict[str, Anchor] = field(default_factory=dict)  # link -> how the page names it and where
    hash_routes: list[str] = field(default_factory=list)  # absolute URLs ending in "#/route"
    js_redirect: str = ""
    text_chars: int = 0
    scripts: int = 0

    @property
    def looks_like_spa(self) -> bool:
        return self.scripts > 0 and self.text_chars < SPA_MAX_TEXT and len(self.links) < SPA_MAX_LINKS


@portal_cache(1 << 16)  # a template's links repeat on every page
def extension(url: str) -> str:
    """The lower-case file extension of the URL's last path segment ("" when it has none)."""
    name = urlsplit(url).path.lower().rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1] if "." in name else ""


def is_document(url: str) -> bool:
    """A document or data file a person would open (PDF, DOCX, CSV, JSON...)."""
    return extension(url) in DOCUMENT_EXTENSIONS


def is_file(url: str) -> bool:
    """Any file that is not a page: a document, an image, a video, an archive..."""
    return extension(url) in FILE_EXTENSIONS


def canonical(url: str, keep_fragment: bool = False) -> str:
    """Normalise a URL for crawling: lower-case scheme/host, no session ids, no fragment (unless asked)."""
    parts = urlsplit(url.strip())
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k.lower() not in SESSION_PARAMS]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (parts.scheme == "https" and netloc.endswith(":443")):
        netloc = netloc.rsplit(":", 1)[0]
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, query, fragment))


def _absolute(base: str, href: str, keep_fragment: bool = False) -> str | None:
    """The canonical absolute http(s) URL of href, or None (other schemes, malformed URLs)."""
    href = href.strip()
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:", "sms:", "callto:")):
        return None
    try:
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        return canonical(url, keep_fragment=keep_fragment)
    except ValueError:  # e.g. "http://[broken/"
        return None


def extract(body: bytes | str, base_url: str, encoding: str = "utf-8") -> PageSignals:
    """Links, JS redirect and SPA signals of one HTML page. Malformed or empty HTML gives empty signals."""
    signals = PageSignals()
    if not body:
        return signals
    try:
        if isinstance(body, bytes):
            parser = lxml.html.HTMLParser(encoding=encoding or "utf-8")
            root = lxml.html.fromstring(body, parser=parser)
        else:
            root = lxml.html.fromstring(body)
    except (etree.ParserError, ValueError, TypeError, LookupError):
        return signals
    base_tags = root.xpath("//base/@href")
    base = urljoin(base_url, str(base_tags[0]).strip()) if base_tags else base_url

    seen: set[str] = set()
    for el in root.iter("a", "area", "link", "iframe", "frame"):
        if el.tag == "link" and (el.get("rel") or "").lower() not in ("alternate", "next", "prev"):
            continue
        href = el.get("src") if el.tag in ("iframe", "frame") else el.get("href")
        if not href:
            continue
        if _SPA_ROUTE.match(href.strip()):
            if href.strip() in ("#/", "#!/"):  # the app's root route is the page itself
                continue
            route = _absolute(base, href, keep_fragment=True)
            if route and route not in signals.hash_routes:
                signals.hash_routes.append(route)
            continue
        url = _absolute(base, href)
        if url is None:
            continue
        if url not in seen:
            seen.add(url)
            signals.links.append(url)
        if el.tag in ("a", "area") and (url not in signals.anchors or not signals.anchors[url].label):
            signals.anchors[url] = Anchor(_label(el), _region(el))

    scripts = root.xpath("//script")
    signals.scripts = len(scripts)
    for script in scripts:
        code = script.text or ""
        for pattern in _JS_REDIRECT:
            match = pattern.search(code)
            if match:
                target = _absolute(base, match.group(1))
                if target:
                    signals.js_redirect = target
                    break
        if signals.js_redirect:
            break

    for bad in root.xpath("//script|//style|//noscript|//template"):
        if bad.getparent() is not None:
            bad.drop_tree()
    try:
        text = root.text_content()
    except ValueError:
        text = ""
    signals.text_chars = len(" ".join(text.split()))
    return signals


def _label(el: lxml.html.HtmlElement) -> str:
    try:
        text = el.text_content() if el.tag == "a" else ""
    except ValueError:
        text = ""
    parts = [text, el.get("title") or "", el.get("aria-label") or "", el.get("alt") or ""]
    return " ".join(" ".join(parts).split())[:MAX_LABEL]


def _region(el: lxml.html.HtmlElement) -> str:
    for ancestor in el.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in _REGION_TAGS:
            return _REGION_TAGS[tag]
        role = (ancestor.get("role") or "").lower()
        if role in _REGION_ROLES:
            return _REGION_ROLES[role]
    return "other"
