"""Accessible / inaccessible twins of one multi-page site, built at test time from real municipal pages.

The real pages (shared/corpora/municipal-services, written by others) are read, never copied into the
repository. Their titles, headings, paragraphs, list items, links, contact links, images and form fields
are parsed into a neutral model; two renderers then write the SAME content and links as two static sites:

* accessible: valid HTML5, a valid linked stylesheet, `lang`, a device-width viewport, a responsive layout,
  alt text, labelled fields, sufficient contrast, a skip link and headings in order;
* inaccessible: the defects real portals have: images without alt, fields without labels, no `lang`,
  low-contrast text, a fixed 1200px layout without viewport meta, invalid markup (stray end tags,
  duplicate ids, obsolete attributes) and invalid CSS property values.

Nothing is special-cased to one page: the transformation is driven by the parsed structure.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import lxml.html

from tests.conftest import CORPORA

CORPUS = CORPORA / "municipal-services"
MIN_INNER, MAX_INNER = 4, 6
MAX_BLOCKS = 30
MAX_LIST_ITEMS = 15
MAX_IMAGES = 4
MAX_FORMS = 2
MIN_PARAGRAPH = 25
SKIP_TAGS = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "select", "button",
             "iframe", "svg", "label"}  # fmt: skip
# Conventional id/class names of page chrome (markup conventions, not page language).
CHROME_NAMES = {"header", "footer", "menu", "nav", "navbar", "navigation", "breadcrumb", "breadcrumbs", "submenu",
                "sidebar", "skip", "cookie", "cookies"}  # fmt: skip
BLOCK_TAGS = {"div", "p", "ul", "ol", "li", "table", "tbody", "thead", "tr", "td", "th", "section", "article", "main",
              "h1", "h2", "h3", "h4", "h5", "h6", "form", "dl", "dd", "dt", "blockquote", "fieldset", "header",
              "footer", "nav", "aside", "figure", "img"}  # fmt: skip
FIELD_TYPES = {"text", "search", "email", "tel", "url", "number", "date", "password"}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
URL_SAFE = ":/?#@!$&'()*+,;=%~-._"
PLACEHOLDER = "placeholder.png"
STYLESHEET = "site.css"
VERSIONS = ("accessible", "inaccessible")


class CorpusMissing(RuntimeError):
    """The shared corpus is not there (or has too few usable pages): tests skip with this reason."""


# --------------------------------------------------------------------------- the neutral model


@dataclass
class Segment:
    text: str
    href: str = ""  # absolute http(s), mailto: or tel:; "" for plain text


@dataclass
class Block:
    kind: str  # "h" | "p" | "li" | "img"
    segments: list[Segment] = field(default_factory=list)
    level: int = 0  # headings: the source level
    width: int = 0  # images
    height: int = 0
    alt: str | None = None  # images: the source alt (None when the source had none)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()


@dataclass
class FormField:
    name: str
    type: str
    label: str


@dataclass
class FormSpec:
    fields: list[FormField]
    submit: str


@dataclass
class SourcePage:
    source: Path
    title: str
    lang: str
    heading: str  # the page's main heading (its first h1, else the title)
    blocks: list[Block]
    forms: list[FormSpec]
    contacts: list[Segment]  # tel: / mailto: links anywhere on the page

    @property
    def images(self) -> int:
        return sum(b.kind == "img" for b in self.blocks)

    @property
    def fields(self) -> int:
        return sum(len(f.fields) for f in self.forms)

    def first_paragraph(self) -> str:
        return next((b.text for b in self.blocks if b.kind == "p"), "")


@dataclass
class TwinSite:
    """One built version: its folder, and what it holds per file (for the assertions)."""

    version: str
    root: Path
    name: str
    lang: str
    pages: dict[str, SourcePage]  # file name -> the real page it was built from ("index.html" -> None-less home)
    images: dict[str, int]  # file name -> <img> count
    fields: dict[str, int]  # file name -> visible form fields
    contacts: list[Segment]

    @property
    def files(self) -> list[str]:
        return list(self.images)


# --------------------------------------------------------------------------- reading the real pages


def _clean(text: str | None) -> str:
    return " ".join(CONTROL_CHARS.sub(" ", text or "").split())


def _decode(raw: bytes) -> str:
    head = raw[:4096].decode("ascii", "replace")
    m = re.search(r"""charset\s*=\s*["']?([\w-]+)""", head, re.I)
    try:
        return raw.decode(m.group(1) if m else "utf-8", "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _base_url(doc: lxml.html.HtmlElement) -> str:
    for xpath in ("//base/@href", "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        found = [v for v in doc.xpath(xpath) if str(v).startswith(("http://", "https://"))]
        if found:
            return str(found[0])
    return ""


def _resolve(href: str | None, base: str) -> str:
    """An absolute, vnu-valid URL, or "" when the link cannot be followed outside its own site."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return ""
    scheme = urlsplit(href).scheme.lower()
    if scheme in ("mailto", "tel"):
        return scheme + ":" + quote(unquote(href.split(":", 1)[1]), safe="@.+-_%")
    if not scheme and base:
        href = urljoin(base, href)
    elif scheme not in ("http", "https"):
        return ""
    if not href.startswith(("http://", "https://")) or not urlsplit(href).netloc:
        return ""
    return quote(CONTROL_CHARS.sub("", href), safe=URL_SAFE)


def _skipped(el: lxml.html.HtmlElement) -> bool:
    role = (el.get("role") or "").lower()
    names = {(el.get("id") or "").lower(), *(el.get("class") or "").lower().split()}
    return (el.tag in SKIP_TAGS or role in ("navigation", "banner", "contentinfo", "search")
            or el.get("hidden") is not None or bool(names & CHROME_NAMES))  # fmt: skip


def _segments(el: lxml.html.HtmlElement, base: str) -> list[Segment]:
    out = [Segment(_clean(el.text))] if _clean(el.text) else []
    for child in el:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == "a":
            text = _clean(child.text_content())
            if text:
                out.append(Segment(text, _resolve(child.get("href"), base)))
        elif child.tag not in SKIP_TAGS:
            text = _clean(child.text_content())
            if text:
                out.append(Segment(text))
        if _clean(child.tail):
            out.append(Segment(_clean(child.tail)))
    return out


def _int(value: str | None, default: int) -> int:
    digits = re.match(r"\d+", (value or "").strip())
    return max(1, min(int(digits.group()), 600)) if digits else default


def _walk(el: lxml.html.HtmlElement, base: str, blocks: list[Block]) -> None:
    if not isinstance(el.tag, str) or _skipped(el) or len(blocks) >= MAX_BLOCKS:
        return
    tag = el.tag
    if re.fullmatch(r"h[1-6]", tag):
        text = _clean(el.text_content())
        if text:
            blocks.append(Block("h", [Segment(text)], level=int(tag[1])))
        return
    if tag == "p":
        segs = _segments(el, base)
        if len(" ".join(s.text for s in segs)) >= MIN_PARAGRAPH:
            blocks.append(Block("p", segs))
        return
    if tag == "li":
        text = _clean(el.text_content())
        links = el.xpath(".//a[@href]")
        if text and sum(b.kind == "li" for b in blocks) < MAX_LIST_ITEMS:
            blocks.append(Block("li", [Segment(text[:200], _resolve(links[0].get("href"), base) if links else "")]))
        return
    if tag == "img":
        if sum(b.kind == "img" for b in blocks) < MAX_IMAGES:
            alt = el.get("alt")
            blocks.append(Block("img", [], width=_int(el.get("width"), 160), height=_int(el.get("height"), 90),
                                alt=_clean(alt) if alt is not None else None))  # fmt: skip
        return
    has_blocks = any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el)
    if not has_blocks:  # a div or cell of running text (CMSs that write <br> instead of <p>)
        segs = _segments(el, base)
        if len(" ".join(s.text for s in segs)) >= MIN_PARAGRAPH:
            blocks.append(Block("p", segs))
            return
    else:
        own = [Segment(t) for t in (_clean(el.text), *(_clean(c.tail) for c in el)) if t]
        if len(" ".join(s.text for s in own)) >= MIN_PARAGRAPH:
            blocks.append(Block("p", own))
    for child in el:
        _walk(child, base, blocks)


def _content_root(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//main", "//*[@role='main']"):
        found = doc.xpath(xpath)
        if found:
            return found[0]
    articles = doc.xpath("//article")
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    return doc.find("body") if doc.find("body") is not None else doc


def _field_label(form: lxml.html.HtmlElement, field_el: lxml.html.HtmlElement) -> str:
    fid = field_el.get("id")
    if fid:
        for label in form.getroottree().xpath("//label[@for=$id]", id=fid):
            if _clean(label.text_content()):
                return _clean(label.text_content())
    for attr in ("aria-label", "placeholder", "title"):
        if _clean(field_el.get(attr)):
            return _clean(field_el.get(attr))
    buttons = form.xpath(".//button | .//input[@type='submit' or @type='image']")
    for b in buttons:
        text = _clean(b.text_content()) or _clean(b.get("value")) or _clean(b.get("alt")) or _clean(b.get("title"))
        if text:
            return text
    return ""  # a bare field name ("page$_ctl00$_searchText") is no text a person reads


def _forms(doc: lxml.html.HtmlElement) -> list[FormSpec]:
    out = []
    for form in doc.xpath("//form"):
        fields = []
        for el in form.xpath(".//input | .//textarea"):
            kind = "textarea" if el.tag == "textarea" else (el.get("type") or "text").lower()
            if kind != "textarea" and kind not in FIELD_TYPES:
                continue
            label = _field_label(form, el)
            name = re.sub(r"[^\w.-]", "_", el.get("name") or "") or f"field{len(fields) + 1}"
            if label:
                fields.append(FormField(name, kind, label))
        if fields:
            buttons = form.xpath(".//button | .//input[@type='submit']")
            submit = next((t for b in buttons if (t := _clean(b.text_content()) or _clean(b.get("value")))), "")
            out.append(FormSpec(fields, submit or fields[0].label))
        if len(out) >= MAX_FORMS:
            break
    return out


def _contacts(doc: lxml.html.HtmlElement) -> list[Segment]:
    seen: dict[str, Segment] = {}
    for a in doc.xpath("//a[@href]"):
        href = _resolve(a.get("href"), "")
        if href.startswith(("mailto:", "tel:")) and href not in seen:
            seen[href] = Segment(_clean(a.text_content()) or unquote(href.split(":", 1)[1]), href)
    return list(seen.values())


def read_page(path: Path) -> SourcePage | None:
    """The page's content, or None when it has no usable title, lang or content."""
    try:
        doc = lxml.html.document_fromstring(_decode(path.read_bytes()))
    except (OSError, ValueError, lxml.etree.ParserError):
        return None
    title = _clean(doc.findtext(".//title"))
    lang = _clean(doc.get("lang") or doc.get("xml:lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang"))
    if not title or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
        return None  # the accessible twin must declare a language the real page vouches for
    base = _base_url(doc)
    blocks: list[Block] = []
    _walk(_content_root(doc), base, blocks)
    if not any(b.kind == "p" for b in blocks) and not any(b.kind == "li" for b in blocks):
        return None
    h1 = next((b.text for b in blocks if b.kind == "h" and b.level == 1), "")
    if h1:  # the main heading is rendered as the page's h1 once
        blocks = [b for b in blocks if not (b.kind == "h" and b.text == h1)]
    return SourcePage(path, title, lang, h1 or title, blocks, _forms(doc), _contacts(doc))


def choose_pages(pages: list[SourcePage], low: int = MIN_INNER, high: int = MAX_INNER) -> list[SourcePage]:
    """Pages of the corpus's most frequent language first (one coherent site), then others up to `low`."""
    primary = Counter(p.lang.split("-")[0].lower() for p in pages)
    ranked = sorted(pages, key=lambda p: (-primary[p.lang.split("-")[0].lower()], p.lang.lower(), p.source.name))
    return ranked[: max(low, min(high, primary.most_common(1)[0][1]))] if ranked else []


def site_name(pages: list[SourcePage]) -> str:
    """The title part the pages share ("X - City of Y" -> "City of Y"), else the first page's title."""
    parts: Counter[str] = Counter()
    for page in pages:
        parts.update({p.strip() for p in re.split(r"\s+[-|–—:]+\s+", page.title) if p.strip()})
    common = [(n, len(p), p) for p, n in parts.items() if n >= 2]
    return max(common)[2] if common else pages[0].title


def load_corpus(corpus: Path = CORPUS) -> list[SourcePage]:
    if not corpus.is_dir():
        raise CorpusMissing(f"the shared corpus is not at {corpus} (shared/corpora/municipal-services)")
    pages = [p for p in (read_page(f) for f in sorted(corpus.glob("*.html"))) if p is not None]
    if len(pages) < MIN_INNER:
        raise CorpusMissing(f"only {len(pages)} usable pages in {corpus}; {MIN_INNER} are needed")
    return pages


# --------------------------------------------------------------------------- rendering


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _inline(segments: list[Segment]) -> str:
    return " ".join(f'<a href="{_e(s.href)}">{_e(s.text)}</a>' if s.href else _e(s.text) for s in segments)


def placeholder_png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG: stands in for every real image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xa0\xa0\xa0" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class PageModel:
    file: str
    title: str
    lang: str
    heading: str
    blocks: list[Block]
    forms: list[FormSpec]


class Renderer:
    """The accessible version; Inaccessible overrides the parts where real portals go wrong."""

    css = """\
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; font-family: Arial, Helvetica, sans-serif; font-size: 1rem; line-height: 1.5;
       color: #1a1a1a; background-color: #ffffff; overflow-wrap: break-word; word-wrap: break-word; }
.skip { position: absolute; left: -10000px; top: auto; width: 1px; height: 1px; overflow: hidden; }
.skip:focus { position: static; width: auto; height: auto; }
header, nav, main, footer { display: block; max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li { display: inline-block; margin: 0 1rem 0.5rem 0; }
a { color: #0645ad; text-decoration: underline; }
img { max-width: 100%; height: auto; }
label { display: block; margin-top: 0.5rem; }
input, textarea, button { font-size: 1rem; max-width: 100%; }
footer { border-top: 1px solid #767676; margin-top: 2rem; }
"""

    def document(self, page: PageModel, nav: list[tuple[str, str]], name: str, contacts: list[Segment]) -> str:
        body = "\n".join([
            self.skip_link(page),
            f"<header>{self.banner(name)}</header>",
            self.nav(nav, name),
            self.main(page),
            self.footer(contacts, name),
        ])  # fmt: skip
        return f"{self.head(page)}\n{self.body_open()}\n{body}\n</body>\n</html>\n"

    def head(self, page: PageModel) -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="{_e(page.lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(page.title)}</title>\n"
            f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>'
        )

    def body_open(self) -> str:
        return "<body>"

    def skip_link(self, page: PageModel) -> str:
        return f'<a class="skip" href="#main">{_e(page.heading)}</a>'

    def banner(self, name: str) -> str:
        return f'<p><a href="index.html">{_e(name)}</a></p>'

    def nav(self, nav: list[tuple[str, str]], name: str) -> str:
        items = "".join(f'<li><a href="{_e(f)}">{_e(t)}</a></li>' for f, t in nav)
        return f'<nav aria-label="{_e(name)}"><ul>{items}</ul></nav>'

    def main(self, page: PageModel) -> str:
        return f'<main id="main">\n{self.content(page)}\n</main>'

    def content(self, page: PageModel) -> str:
        out = [self.heading(1, page.heading, 1)]
        level = 1
        items: list[str] = []
        image = 0
        context = page.heading
        for block in page.blocks:
            if block.kind != "li" and items:
                out.append(self.list(items))
                items = []
            if block.kind == "h":
                level = self.next_level(level, block.level)
                context = block.text
                out.append(self.heading(level, block.text, block.level))
            elif block.kind == "p":
                out.append(self.paragraph(block.segments))
            elif block.kind == "li":
                items.append(f"<li>{_inline(block.segments)}</li>")
            elif block.kind == "img":
                image += 1
                out.append(self.image(block, context, f"{page.file[:-5]}-img{image}"))
        if items:
            out.append(self.list(items))
        for number, form in enumerate(page.forms, start=1):
            out.append(self.form(form, f"{page.file[:-5]}-f{number}"))
        return "\n".join(out)

    def next_level(self, previous: int, source: int) -> int:
        return max(2, min(source, previous + 1))  # headings in order below the page's h1

    def heading(self, level: int, text: str, source_level: int) -> str:
        return f"<h{level}>{_e(text)}</h{level}>"

    def paragraph(self, segments: list[Segment]) -> str:
        return f"<p>{_inline(segments)}</p>"

    def list(self, items: list[str]) -> str:
        return "<ul>\n" + "\n".join(items) + "\n</ul>"

    def image(self, block: Block, context: str, ident: str) -> str:
        alt = block.alt if block.alt is not None else context
        return (f'<p><img id="{ident}" src="{PLACEHOLDER}" width="{block.width}" height="{block.height}" '
                f'alt="{_e(alt)}"></p>')  # fmt: skip

    def form(self, form: FormSpec, ident: str) -> str:
        rows = []
        for i, f in enumerate(form.fields, start=1):
            fid = f"{ident}-{i}"
            control = (f'<textarea id="{fid}" name="{_e(f.name)}"></textarea>' if f.type == "textarea"
                       else f'<input id="{fid}" name="{_e(f.name)}" type="{f.type}">')  # fmt: skip
            rows.append(f'<label for="{fid}">{_e(f.label)}</label>\n{control}')
        rows.append(f'<button type="submit">{_e(form.submit)}</button>')
        return '<form action="index.html" method="get">\n' + "\n".join(rows) + "\n</form>"

    def footer(self, contacts: list[Segment], name: str) -> str:
        items = "".join(f'<li><a href="{_e(c.href)}">{_e(c.text)}</a></li>' for c in contacts)
        return f"<footer>\n<p>{_e(name)}</p>\n" + (f"<ul>{items}</ul>\n" if items else "") + "</footer>"


class Inaccessible(Renderer):
    css = """\
body { width: 1200px; margin: 0; font-family: Arial, Helvetica, sans-serif; font-size: 11px;
       color: #b8b8b8; background-color: #ffffff; display: flexbox; }
#content { padding: 1em 1em 1em 1em 1em; }
p, li, h1, h2, h3, h4, h5, h6 { color: #c4c4c4; }
a { color: #9fc0e8; text-decoration: none; font-weight: bolder-ish; }
nav li { display: inline; float: left; width: 190px; }
footer { clear: both; border-top: 1px solid #eeeeee; margin-top: 30pixels; }
img { border: 0; width: 320px; height: 180px; }
"""

    def head(self, page: PageModel) -> str:  # no lang, no viewport meta
        return (
            f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>{_e(page.title)}</title>\n'
            f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>'
        )

    def body_open(self) -> str:
        return '<body bgcolor="#ffffff">'

    def skip_link(self, page: PageModel) -> str:
        return ""

    def banner(self, name: str) -> str:  # an obsolete element
        return f'<center><a href="index.html">{_e(name)}</a></center>'

    def nav(self, nav: list[tuple[str, str]], name: str) -> str:
        items = "".join(f'<li><a href="{_e(f)}">{_e(t)}</a></li>' for f, t in nav)
        return f"<nav><ul>{items}</ul></nav>"

    def main(self, page: PageModel) -> str:  # a duplicate id and a stray end tag
        return f'<main id="content">\n<div id="content">\n{self.content(page)}\n</div>\n</div>\n</main>'

    def next_level(self, previous: int, source: int) -> int:
        return source  # the CMS's levels as they were

    def heading(self, level: int, text: str, source_level: int) -> str:
        return f'<h{level} align="left">{_e(text)}</h{level}>'

    def paragraph(self, segments: list[Segment]) -> str:
        return f'<p align="justify">{_inline(segments)}</p>'

    def image(self, block: Block, context: str, ident: str) -> str:
        return f'<p><img id="{ident}" src="{PLACEHOLDER}" width="{block.width}" height="{block.height}"></p>'

    def form(self, form: FormSpec, ident: str) -> str:
        rows = []
        for i, f in enumerate(form.fields, start=1):
            fid = f"{ident}-{i}"
            rows.append(f'<textarea id="{fid}" name="{_e(f.name)}"></textarea>' if f.type == "textarea"
                        else f'<input id="{fid}" name="{_e(f.name)}" type="{f.type}">')  # fmt: skip
        rows.append(f'<button type="submit">{_e(form.submit)}</button>')
        return '<form action="index.html" method="get">\n' + "\n".join(rows) + "\n</form>"


RENDERERS: dict[str, Renderer] = {"accessible": Renderer(), "inaccessible": Inaccessible()}


# --------------------------------------------------------------------------- the site


def _home(pages: list[tuple[str, SourcePage]], name: str, lang: str) -> PageModel:
    """The home page: one section per inner page (its title linked, its first paragraph and an image)."""
    blocks: list[Block] = []
    for file, page in pages:
        blocks.append(Block("h", [Segment(page.heading)], level=2))
        teaser = page.first_paragraph()
        blocks.append(Block("p", [Segment(teaser or page.title)]))
        blocks.append(Block("li", [Segment(page.title, file)]))
        image = next((b for b in page.blocks if b.kind == "img"), None)
        if image is not None:
            blocks.append(image)
    forms = next((p.forms[:1] for _f, p in pages if p.forms), [])
    return PageModel("index.html", name, lang, name, blocks, forms)


def build_twins(dest: Path, corpus: Path = CORPUS) -> dict[str, TwinSite]:
    """Write dest/accessible/ and dest/inaccessible/ (home + 4-6 inner pages each) from the real pages."""
    chosen = choose_pages(load_corpus(corpus))
    inner = [(f"page-{i}.html", page) for i, page in enumerate(chosen, start=1)]
    name = site_name(chosen)
    lang = Counter(p.lang for p in chosen).most_common(1)[0][0]
    models = [_home(inner, name, lang)] + [
        PageModel(file, page.title, page.lang, page.heading, page.blocks, page.forms) for file, page in inner
    ]
    nav = [("index.html", name)] + [(file, page.heading) for file, page in inner]
    contacts = list({c.href: c for _f, p in inner for c in p.contacts}.values())[:6]
    out = {}
    for version, renderer in RENDERERS.items():
        root = dest / version
        root.mkdir(parents=True, exist_ok=True)
        (root / PLACEHOLDER).write_bytes(placeholder_png())
        (root / STYLESHEET).write_text(renderer.css, encoding="utf-8")
        for model in models:
            (root / model.file).write_text(renderer.document(model, nav, name, contacts), encoding="utf-8")
        out[version] = TwinSite(
            version=version, root=root, name=name, lang=lang, pages=dict(inner),
            images={m.file: sum(b.kind == "img" for b in m.blocks) for m in models},
            fields={m.file: sum(len(f.fields) for f in m.forms) for m in models},
            contacts=contacts,
        )  # fmt: skip
    return out
