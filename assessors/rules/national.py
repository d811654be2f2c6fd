"""National (OSI) rules: links to the sector ministries, laws and strategies, real-time data, online tools
(a GIS service) and a portal updated in the past month."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from assessors.bundle import BundleSite, on_site
from assessors.registry import rule
from assessors.rules.common import (
    WHOLE_SITE_NOTE,
    candidate_urls,
    concepts_or_error,
    decide_by_candidates,
    describe,
    is_news_page,
    met,
    negative_statement,
    not_met,
    param,
    undecided,
)
from assessors.rules.content import page_day
from assessors.rules.literacy import social_platform
from assessors.rules.participation import DATA_FORMATS, tool_on_page
from assessors.rules.services import information_only
from assessors.signals import (
    REVIEW_SCORE,
    SiteSignals,
    host,
    is_web_url,
    searched_text,
    signals_for,
    snippet_around,
)
from assessors.site import Site
from crawler.links import is_file
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Link, PageDoc, Verdict

# --------------------------------------------------------------------------- links to the sector ministries


def _linking_pages(site: Site, sector: str) -> list[PageDoc]:
    """Pages that may link to a sector's ministry: every page of the bundle but the ministry's own site."""
    if not isinstance(site, BundleSite):
        return site.pages
    own = {p.key for p in site.parts_with(sector=sector)} if sector else set()
    return [p for p in site.pages if (part := site.part_of(p.url_key)) is None or part.key not in own]


def _names_all(sig: SiteSignals, concepts: tuple[str, ...], text: str) -> bool:
    return bool(text) and all(sig.find(c, text) for c in concepts)


@rule(
    "ministry-link",
    "The national portal links to the sector's ministry.",
    "Links from the pages of the bundle's non-ministry sites (the national portal first) to the site the bundle "
    "names as the sector's ministry: met. Without that site in the bundle, a link whose text names the "
    "ministry and the sector (every concept of the indicator: 'Ministry of Health') leading to another site, "
    "or to a page (of the portal too) that was not read or whose title names the ministry: met. A '#' link, a "
    "javascript: link or a link to an error page is not a link: not_met, naming it.",
)
def ministry_link(site: Site, indicator: Indicator) -> Finding:
    rid = "ministry-link"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    ministries = site.parts_with(sector=indicator.sector) if isinstance(site, BundleSite) else []
    keys = [p.key for p in ministries if p.key]
    pages = _linking_pages(site, indicator.sector)
    looked = [*sig.looked_for(concepts), *(f"links to {p.url}" for p in ministries)]
    named: list[tuple[PageDoc, Link]] = []
    for page in pages:
        for link in page.links:
            if not is_web_url(link.url) or link.url in site.broken:
                continue
            if any(on_site(k, link.url) for k in keys):
                ev = Evidence(page.url_key, link.selector, link.label or link.url,
                              note=f"link to the {indicator.sector} ministry's site {link.url}")  # fmt: skip
                return met(indicator, rid, f"{page.url_key} links to the ministry's site: {link.url}", [ev], 0.9)
            if _names_all(sig, concepts, link.label):
                named.append((page, link))
    for page, link in named:
        target = sig.page_for(link.url)
        if social_platform(link.url) is None and (target is None or _names_all(sig, concepts, target.title)):
            # another site, or a page (of this portal too: ministries are often sections of it) about the ministry
            where = host(link.url) if not link.internal and not sig.is_own(link.url) else link.url
            ev = Evidence(page.url_key, link.selector, link.label, note=f"link to {link.url}")
            return met(indicator, rid, f"a link naming the ministry leads to {where}: {link.label}", [ev],
                       0.75 if target is None else 0.7)  # fmt: skip
        for out in (target.links if target is not None else []):
            outside = not out.internal and not sig.is_own(out.url) and social_platform(out.url) is None
            if outside and (_names_all(sig, concepts[:1], out.label) or _names_all(sig, concepts, target.title)):
                ev = [Evidence(page.url_key, link.selector, link.label, note=f"link to {link.url}"),
                      Evidence(target.url_key, out.selector, out.label or out.url, note=f"link to {out.url}")]
                return met(indicator, rid, f"{target.url_key} (about the ministry) links to its site {out.url}",
                           ev, 0.7)  # fmt: skip
    dead = [e for e in sig.dead_links_for(concepts, limit=20) if _names_all(sig, concepts, e.snippet)]
    if dead:
        return not_met(indicator, rid, f"the link named for the ministry leads nowhere: '{dead[0].snippet}' "
                       f"({dead[0].note})", looked, confidence=0.8, evidence=dead[:2])  # fmt: skip
    if named:
        page, link = named[0]
        ev = Evidence(page.url_key, link.selector, link.label, note=f"link to {link.url}")
        return undecided(site, indicator, rid, f"a link names the ministry but stays on the portal: {link.url}",
                         [link.url], [ev], looked, worth_a_look=sig.page_for(link.url) is None)  # fmt: skip
    return undecided(site, indicator, rid, "no link to the ministry found", [], [], looked)


# --------------------------------------------------------------------------- laws and strategies


def _names_document(sig: SiteSignals, topics: tuple[str, ...], kinds: tuple[str, ...], draft: str, text: str) -> bool:
    """A short text (a link, a title, a heading) naming an adopted document: a topic and a kind, not a draft."""
    if not text or not any(sig.find(t, text) for t in topics) or not any(sig.find(k, text) for k in kinds):
        return False
    return not sig.find(draft, text)


def _is_draft(sig: SiteSignals, topics: tuple[str, ...], kinds: tuple[str, ...], draft: str, text: str) -> bool:
    return bool(text) and any(sig.find(t, text) for t in topics) and any(sig.find(k, text) for k in kinds) and bool(
        sig.find(draft, text)
    )


@rule(
    "legal-document",
    "An adopted law or strategy on the topic is published on the portals or linked from them.",
    "A link (to an official legal database, a document, another site or a page), a document or a page title or "
    "top heading that names the topic (the indicator's concepts) and the kind of document (params.kinds: law, "
    "strategy), not a draft: met. A page about the topic that only names it in its text: needs_review; a news "
    "item about it or a draft only: not_met, naming it. " + WHOLE_SITE_NOTE,
)
def legal_document(site: Site, indicator: Indicator) -> Finding:
    rid = "legal-document"
    sig = signals_for(site)
    topics = concepts_or_error(indicator)
    kinds = tuple(param(indicator, "kinds", ("law",)))
    draft = str(param(indicator, "draft_concept", "draft"))
    looked = [*sig.looked_for([*topics, *kinds]), "links, documents and page titles naming both, not drafts"]
    drafts: list[Evidence] = []
    for page in site.pages:
        news = is_news_page(sig, page)
        for link in [*page.links, *page.documents]:
            label = link.label
            if not is_web_url(link.url) or link.url in site.broken:
                continue
            if _is_draft(sig, topics, kinds, draft, label):
                drafts.append(Evidence(page.url_key, link.selector, label, note=f"a draft: {link.url}"))
                continue
            if news or not _names_document(sig, topics, kinds, draft, label):
                continue
            target = sig.page_for(link.url)
            if target is not None and (is_news_page(sig, target) or negative_statement(sig, target, topics)):
                continue
            where = ("the legal database " + host(link.url) if information_only(link.url)
                     else "a document" if is_file(link.url) else link.url)  # fmt: skip
            ev = Evidence(page.url_key, link.selector, label, note=f"link to {where}")
            return met(indicator, rid, f"{page.url_key} links to it: '{label}' -> {link.url}", [ev],
                       0.85 if information_only(link.url) or is_file(link.url) else 0.75)  # fmt: skip
    titled: list[tuple[PageDoc, str]] = []
    for page in site.pages:
        if is_news_page(sig, page) or sig.is_home(page):
            continue
        texts = [page.title, *(h.text for h in sig.own_headings(page) if h.level <= 2)]
        for text in texts:
            if _is_draft(sig, topics, kinds, draft, text):
                drafts.append(Evidence(page.url_key, "title", text[:160], note="a draft"))
            elif _names_document(sig, topics, kinds, draft, text):
                titled.append((page, text))
                break
    for page, text in titled:
        if (veto := negative_statement(sig, page, topics)) is None:
            ev = Evidence(page.url_key, "title" if text == page.title else "h1", text[:160], note="a page about it")
            return met(indicator, rid, f"a page about it: {page.url_key} ('{text[:80]}')", [ev], 0.8)
        drafts.append(veto)
    mentions = _mentions(sig, site, topics, kinds, draft)
    if mentions:
        page, ev = mentions[0]
        if not is_news_page(sig, page):
            return undecided(site, indicator, rid, f"{page.url_key} names it in its text, without a link or a document "
                             "to open", [page.url_key], [ev], looked, worth_a_look=True)  # fmt: skip
    if drafts:
        return not_met(indicator, rid, f"only a draft or a notice is published: {drafts[0].snippet} ({drafts[0].note})",
                       looked, confidence=0.7, evidence=drafts[:2])  # fmt: skip
    if mentions:
        page, ev = mentions[0]
        return undecided(site, indicator, rid, f"only a news item names it: {page.url_key}", [page.url_key], [ev],
                         looked)  # fmt: skip
    return undecided(site, indicator, rid, "no page, document or link names it", [], [], looked)


MENTION_CHARS = 160  # the topic and the kind of document this close together in a text name one document


def _mentions(
    sig: SiteSignals, site: Site, topics: tuple[str, ...], kinds: tuple[str, ...], draft: str
) -> list[tuple[PageDoc, Evidence]]:
    """Pages whose text names the topic with the kind of document close by (not a draft); non-news first."""
    out: list[tuple[PageDoc, Evidence]] = []
    for page in site.pages:
        if sig.is_home(page):
            continue  # the home page's teasers and menus name everything
        if not (named := [m for t in topics for m in sig.text_matches(t, page)]):
            continue
        text = searched_text(page)
        for m in (m for m in named if not sig.in_link_text(page, m)):
            window = text[max(0, m.start - MENTION_CHARS) : m.end + MENTION_CHARS]
            if any(sig.find(k, window) for k in kinds) and not sig.find(draft, window):
                out.append((page, Evidence(page.url_key, "body", snippet_around(text, m.start, m.end),
                                           note="named in the text")))  # fmt: skip
                break
    return sorted(out, key=lambda pe: is_news_page(sig, pe[0]))


# --------------------------------------------------------------------------- real-time data


def _api_links(page: PageDoc) -> list[Link]:
    return [lk for lk in page.links if "api" in urlsplit(lk.url).path.lower().split("/")]


@rule(
    "live-data",
    "Real-time datasets are offered (live data with files or an API to get them).",
    "A page about the indicator's concepts (real-time data; not a news item, not vetoed by 'coming soon'), or a "
    "page whose text says its data are live, that links to data files (params.formats) or to an API (a URL with "
    "an /api/ segment): met. A page that only talks about live data: not_met on a completely read site.",
)
def live_data(site: Site, indicator: Indicator) -> Finding:
    rid = "live-data"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    formats = tuple(param(indicator, "formats", DATA_FORMATS))
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE and c.page is not None]
    urls = candidate_urls(cands)
    looked = [*sig.looked_for(concepts), f"data files ({', '.join(formats)}) or /api/ links on such a page"]
    for c in cands[:10]:
        page = c.page
        assert page is not None
        if is_news_page(sig, page) or negative_statement(sig, page, concepts) is not None:
            continue
        files = [d for d in page.documents if d.url.lower().split("?")[0].rsplit(".", 1)[-1] in formats]
        offered = [*files, *_api_links(page)]
        if offered:
            first = offered[0]
            ev = Evidence(page.url_key, first.selector, first.label or first.url, note=f"live data: {first.url}")
            return met(indicator, rid, f"{page.url_key} offers live data: {first.url}", [*c.evidence(1), ev],
                       0.8, urls)  # fmt: skip
    # Live data are often a property said in a dataset page's text ("updated in real time", "API").
    for page in site.pages:
        if is_news_page(sig, page) or not any(sig.text_matches(c, page) for c in concepts):
            continue
        files = [d for d in page.documents if d.url.lower().split("?")[0].rsplit(".", 1)[-1] in formats]
        offered = [*_api_links(page), *files]
        if offered and negative_statement(sig, page, concepts) is None:
            m = next(m for c in concepts for m in sig.text_matches(c, page))
            ev = [Evidence(page.url_key, "body", snippet_around(page.text, m.start, m.end), note=f"names {m.term}"),
                  Evidence(page.url_key, offered[0].selector, offered[0].label or offered[0].url,
                           note=f"live data: {offered[0].url}")]  # fmt: skip
            return met(indicator, rid, f"{page.url_key} says its data are live and offers {offered[0].url}", ev, 0.7,
                       urls or [page.url_key])  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"pages about live data without files or an API: {describe(cands[0])}",
                         urls, cands[0].evidence(), looked)  # fmt: skip
    return not_met(indicator, rid, "no real-time data found", looked)


# --------------------------------------------------------------------------- an online tool (GIS)


@rule(
    "online-tool",
    "An online tool about the indicator's concepts (e.g. a GIS map service) is offered.",
    "The generic concept decision finds the page about it; met when that page offers the tool itself (a form "
    "that sends, an embedded tool, a link out to the service's site), or when a link naming it leads to another "
    "site. A page that only describes it: not_met on a completely read site, naming it.",
)
def online_tool(site: Site, indicator: Indicator) -> Finding:
    rid = "online-tool"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    what = str(param(indicator, "what", indicator.name))
    finding = decide_by_candidates(sig, indicator, rid, concepts, what)
    if finding.verdict != Verdict.MET:
        return finding
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    for c in cands[:10]:
        if c.page is None:
            if not sig.is_own(c.url) and social_platform(c.url) is None and urlsplit(c.url).scheme in ("http", "https"):
                return met(indicator, rid, f"a link naming it leads to {host(c.url)}", c.evidence(2), 0.7,
                           finding.candidates)  # fmt: skip
            continue
        if is_news_page(sig, c.page):
            continue
        if (tool := tool_on_page(site, c.page)) is not None:
            return met(indicator, rid, f"{what} on {c.url}: {tool.note}", [*c.evidence(2), tool], c.confidence,
                       finding.candidates)  # fmt: skip
    return undecided(site, indicator, rid, f"pages about it offer no tool: {finding.explanation}", finding.candidates,
                     finding.evidence, sig.looked_for(concepts))  # fmt: skip


# --------------------------------------------------------------------------- updated in the past month


@rule(
    "recently-updated",
    "The national portal was updated within the past month.",
    "The latest date written on a page of the national portal (not later than the day it was read): met when "
    "it is at most params.days (default 31) days old; older: not_met, naming it; no dates at all: needs_review "
    "(a person looks at the news).",
)
def recently_updated(site: Site, indicator: Indicator) -> Finding:
    rid = "recently-updated"
    days = int(param(indicator, "days", 31))
    pages = site.pages
    if isinstance(site, BundleSite):
        national = {p.key for p in site.parts_with(role="national")}
        pages = [p for p in site.pages if (part := site.part_of(p.url_key)) is not None and part.key in national]
    latest: tuple[str, PageDoc] | None = None
    for page in pages:
        today = page_day(page).isoformat()
        for d in page.dates:
            if d <= today and (latest is None or d > latest[0]):
                latest = (d, page)
    looked = [f"dates on the national portal's pages within {days} days of the crawl"]
    if latest is None:
        return undecided(site, indicator, rid, "no dated page found on the national portal", [], [], looked,
                         worth_a_look=True)  # fmt: skip
    day, page = latest
    ev = Evidence(page.url_key, "body", f"latest date: {day}", note="the most recent date on the national portal")
    if date.fromisoformat(day) >= page_day(page) - timedelta(days=days):
        return met(indicator, rid, f"{page.url_key} is dated {day}", [ev], 0.85)
    return not_met(indicator, rid, f"the latest date on the national portal is {day}, more than {days} days before "
                   "the crawl", looked, confidence=0.75, evidence=[ev])  # fmt: skip
