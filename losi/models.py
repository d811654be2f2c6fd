"""Shared data models: the contract between the steps of the flow.

crawl -> (captures) -> parse -> PageDoc -> assess -> Finding -> score/export.

Every step imports from here; nothing here imports from the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from losi.text_spool import SpooledText, SpooledValues


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NEEDS_REVIEW = "needs_review"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"


class Method(StrEnum):
    AUTO = "auto"  # decided by a rule from the crawl
    BROWSER = "browser"  # decided by a rule that drove a live browser
    HUMAN = "human"  # left to a person (needs_review / not_assessed)
    REVIEW = "review"  # a reviewer's decision replaced the machine's


class Region(StrEnum):
    """Where a link or element sits on the page."""

    HEADER = "header"
    NAV = "nav"
    MAIN = "main"
    ASIDE = "aside"
    FOOTER = "footer"
    OTHER = "other"


# --------------------------------------------------------------------------- portal configuration


@dataclass
class Limits:
    max_pages: int = 300
    max_depth: int = 5
    max_seconds: int = 600  # the crawl's time cap
    probe_seconds: int = 300  # the live-browser probes, all of them together
    assess_seconds: int = 600  # parsing the captures and checking every indicator
    filler_share: float = 0.15  # share of max_pages for news items, archives, galleries, listings


@dataclass
class Politeness:
    delay: float = 0.25  # seconds between requests to one host
    concurrency_per_host: int = 4
    obey_robots: bool = True


@dataclass
class PortalConfig:
    id: str
    home_url: str
    name: str = ""
    country: str = ""  # ISO 3166 alpha-3
    level: str = "city"  # national | city
    languages: list[str] = field(default_factory=list)  # ISO 639-1, e.g. ["uz", "ru"]
    framework: str = "losi-2024"
    seeds: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)  # in scope; default: home page's registrable domain
    linked_portals: list[str] = field(default_factory=list)  # service portals whose pages count for the city
    limits: Limits = field(default_factory=Limits)
    politeness: Politeness = field(default_factory=Politeness)
    render: str = "auto"  # auto | always | never
    allow_private: bool = False  # allow crawling loopback/private addresses (tests, intranets)
    # A country bundle (losi/bundle.py): the sites assessed together as this portal, each
    # {"id", "url", "roles": [national | services | ...], "sectors": [health | ...]}; empty for one site.
    sites: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PortalConfig:
        data = dict(data)
        limits = Limits(**data.pop("limits", {}) or {})
        politeness = Politeness(**data.pop("politeness", {}) or {})
        return cls(limits=limits, politeness=politeness, **data)


# --------------------------------------------------------------------------- page documents (parse step)


@dataclass(slots=True)
class Link:
    url: str  # absolute, fragment removed
    text: str = ""  # anchor text (incl. img alt), whitespace-collapsed
    region: str = Region.OTHER.value
    title: str = ""
    aria_label: str = ""
    rel: str = ""
    hreflang: str = ""
    selector: str = ""  # CSS selector that finds the <a> on its page
    internal: bool = True  # inside the portal's crawl scope
    dead: str = ""  # why the link leads nowhere ("a '#' link"); only on PageDoc.dead_links

    @property
    def label(self) -> str:
        """Everything a person reads or hears for this link."""
        return " ".join(p for p in (self.text, self.title, self.aria_label) if p)


@dataclass(slots=True)
class FormField:
    name: str = ""  # the name attribute: what the field is sent as ("" = what is typed here is not sent)
    id: str = ""
    type: str = "text"  # input type, or "textarea" / "select"
    label: str = ""  # <label>, aria-label, placeholder, title (first found)
    required: bool = False
    options: list[str] = field(default_factory=list)  # for select / radio groups


@dataclass(slots=True)
class Form:
    action: str = ""  # absolute URL
    method: str = "get"
    selector: str = ""
    fields: list[FormField] = field(default_factory=list)
    submit_text: str = ""
    role: str = ""  # role attribute, e.g. "search"
    region: str = Region.OTHER.value
    rejected: str = ""  # why what a person types here would not reach the portal ("" = it would)

    @property
    def sendable(self) -> bool:
        return not self.rejected

    def has_free_text(self) -> bool:
        return any(f.type == "textarea" for f in self.fields)


@dataclass(slots=True)
class Heading:
    level: int
    text: str
    region: str = Region.OTHER.value  # header, nav and footer headings belong to the site's template


@dataclass(slots=True)
class Control:
    """A clickable widget of a page that the parsed text drops: a chat launcher, a menu toggle.

    Buttons, summaries, role=button and elements with an aria-label or title.
    """

    selector: str = ""  # CSS selector that finds the element on its page
    label: str = ""  # what it says: aria-label, title and (for buttons) its text


@dataclass(slots=True)
class PageDoc:
    url: str  # the URL requested
    final_url: str  # after redirects
    status: int
    content_type: str = "text/html"
    depth: int = 0
    rendered: bool = False  # went through the browser
    fetched_at: str = ""  # ISO 8601
    fetched_as: str = ""  # the crawl's frontier class for it (crawler.focus): "service", "filler:news-item"...
    lang_declared: str = ""  # <html lang>, normalised to ISO 639-1 where possible
    lang_detected: str = ""  # from the main text
    title: str = ""
    headings: list[Heading] = field(default_factory=list)
    text: str = ""  # main text, whitespace-collapsed
    links: list[Link] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    documents: list[Link] = field(
        default_factory=list
    )  # links to PDF, DOC(X), XLS(X), CSV, JSON, XML, ODS...
    dates: list[str] = field(default_factory=list)  # ISO dates found in the text / <time>
    meta: dict[str, str] = field(
        default_factory=dict
    )  # name/property -> content (viewport, description, ...)
    scripts: list[str] = field(default_factory=list)  # script src URLs
    iframes: list[str] = field(default_factory=list)  # iframe src URLs
    screenshot: str = ""  # path relative to the run's portal folder
    warc_file: str = ""
    warc_offset: int = -1
    controls: list[Control] = field(default_factory=list)  # clickable widgets the parsed text drops
    dead_links: list[Link] = field(default_factory=list)  # links that go nowhere ("#", javascript:, missing anchor)
    filler: list[str] = field(default_factory=list)  # template filler dropped from the page: "why: text…"
    emails: list[str] = field(default_factory=list)  # e-mail addresses anywhere on the page (header, footer too)
    # sentences anywhere on the page saying its content is not real ("contact details on this page are
    # illustrative"): they veto what they name
    notices: list[str] = field(default_factory=list)

    @property
    def url_key(self) -> str:
        return self.final_url or self.url

    def heading_text(self) -> str:
        return " ".join(h.text for h in self.headings)


# What the step that holds a portal's pages may keep in their slots instead of the fields' values, to hold
# less: reading a field gives its value all the same, and copies, pickles and comparisons of a page see values.
# - the text, kept in a file (losi.text_spool): its slot holds where, and reading PageDoc.text reads it back;
# - the parts rules read on a few pages only (SPOOLED_PARTS), kept in the same file as one record for the page:
#   each of their slots holds the record's place, and reading one reads the record back;
# - the links, dead links and documents (RUN_FIELDS), held as runs (PartRuns): reading one gives the list.
SPOOLED_PARTS = ("controls", "scripts", "iframes", "meta", "filler", "emails", "notices")
RUN_FIELDS = ("links", "dead_links", "documents")
HELD_FIELDS = ("text", *SPOOLED_PARTS, *RUN_FIELDS)  # the fields whose slots may hold something else (see held)
_slots = {name: getattr(PageDoc, name) for name in HELD_FIELDS}  # the dataclass's slots


def held(page: PageDoc, name: str) -> Any:
    """What a field's slot holds as it is: a spooled text or record, a page's runs of links, or the value."""
    return _slots[name].__get__(page, PageDoc)


class PartRuns(tuple):
    """A page's list of links held as runs (see crawler.shared_parts): each item a link, or a tuple of links that
    other pages hold in the same order too (a template's menu), one object for them all."""

    __slots__ = ()

    def flat(self) -> list[Any]:
        parts: list[Any] = []
        for item in self:
            if type(item) is tuple:
                parts.extend(item)
            else:
                parts.append(item)
        return parts


def _text_field(page: PageDoc) -> str:
    value = held(page, "text")
    return value if isinstance(value, str) else value.read()


def _spooled_part_field(name: str, index: int) -> property:
    def read(page: PageDoc) -> Any:
        value = held(page, name)
        return value.read()[index] if type(value) is SpooledValues else value

    return property(read, _slots[name].__set__)


def _runs_field(name: str) -> property:
    def read(page: PageDoc) -> Any:
        value = held(page, name)
        return value.flat() if type(value) is PartRuns else value

    return property(read, _slots[name].__set__)


PageDoc.text = property(_text_field, _slots["text"].__set__, doc="main text, whitespace-collapsed")  # type: ignore[assignment]
for _index, _name in enumerate(SPOOLED_PARTS):
    setattr(PageDoc, _name, _spooled_part_field(_name, _index))
for _name in RUN_FIELDS:
    setattr(PageDoc, _name, _runs_field(_name))


def spool_text(page: PageDoc, keep: Callable[[str], SpooledText]) -> None:
    """Hand the page's text to a spool (TextSpool.keep); page.text reads it from there from now on."""
    text = held(page, "text")
    if isinstance(text, str):
        _slots["text"].__set__(page, keep(text))


def text_is_spooled(page: PageDoc) -> bool:
    return type(held(page, "text")) is SpooledText


def spool_parts(page: PageDoc, keep: Callable[[tuple[Any, ...]], SpooledValues]) -> None:
    """Hand the page's SPOOLED_PARTS to a spool (TextSpool.keep_values) as one record; they read from there."""
    values = tuple(held(page, name) for name in SPOOLED_PARTS)
    if not any(type(value) is SpooledValues for value in values):
        record = keep(values)
        for name in SPOOLED_PARTS:
            _slots[name].__set__(page, record)


def parts_are_spooled(page: PageDoc) -> bool:
    return any(type(held(page, name)) is SpooledValues for name in SPOOLED_PARTS)


def copy_page(page: PageDoc, **changes: Any) -> PageDoc:
    """dataclasses.replace for a page: the copy holds what the page's slots hold (nothing spooled is read)."""
    return replace(page, **({name: held(page, name) for name in _slots} | changes))


# --------------------------------------------------------------------------- findings (assess step)


@dataclass(slots=True)
class Evidence:
    url: str
    selector: str = ""  # CSS selector (or XPath starting with "/") of the element on that page
    snippet: str = ""  # the text a person will see there
    screenshot: str = ""  # path relative to the run's portal folder
    note: str = ""  # why this item is evidence, one short line
    site: str = ""  # in a country bundle: the id of the site it came from ("national", "health", ...)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Finding:
    indicator: str  # catalog code as a string: "214", "225a"
    verdict: Verdict
    rule: str  # the rule id that decided (or "none")
    explanation: str  # one line, English
    confidence: float = 1.0  # 0..1
    evidence: list[Evidence] = field(default_factory=list)
    looked_for: list[str] = field(default_factory=list)  # what was searched: terms, URL patterns, selectors
    candidates: list[str] = field(default_factory=list)  # candidate page URLs handed to a person
    method: str = Method.AUTO.value
    details: dict[str, Any] = field(default_factory=dict)  # rule-specific extras (counts, measurements)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        d = dict(d)
        d["verdict"] = Verdict(d["verdict"])
        d["evidence"] = [Evidence(**e) for e in d.get("evidence", [])]
        return cls(**d)
