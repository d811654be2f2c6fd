"""Participation and engagement rules: feedback, e-participation tools, budgeting, meetings, open data."""

from __future__ import annotations

import re
from datetime import timedelta

from assessors.registry import rule
from assessors.rules.common import (
    WHOLE_SITE_NOTE,
    candidate_urls,
    concepts_or_error,
    decide_by_candidates,
    describe,
    is_news_item,
    is_news_page,
    met,
    negative_statement,
    not_met,
    on_home_host,
    param,
    review,
    sentence_at,
    undecided,
)
from assessors.rules.content import page_day
from assessors.rules.literacy import social_platform
from assessors.signals import (
    CHROME_REGIONS,
    MET_SCORE,
    REVIEW_SCORE,
    Candidate,
    SiteSignals,
    email_addresses,
    host,
    searched_text,
    signals_for,
    snippet_around,
    url_key,
)
from assessors.site import Site
from crawler.links import is_file
from crawler.parse import find_dates
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Form, Link, PageDoc, Verdict

NEAR_DATE_CHARS = 150  # an announcement word this close to a future date announces it
NEAR_DATE_SPOTS = 20  # mentions of a concept whose surroundings are read for dates
DATA_FORMATS = ("csv", "json", "xml", "xlsx", "xls", "ods", "geojson", "kml", "tsv", "txt", "rdf", "parquet")


def _cands(site: Site, indicator: Indicator) -> tuple[list[Candidate], list[str]]:
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts_or_error(indicator)) if c.score >= REVIEW_SCORE]
    return cands, candidate_urls(cands)


@rule(
    "feedback-form",
    "Residents can send feedback or complaints online through a form that really sends.",
    "A candidate page for the concepts with a form that has a free-text field and can send it (met). A form "
    "counts only if what a person types would reach the portal: its fields have names, it has a submit "
    "control, and it does not send to the static page it sits on, to javascript: or to the visitor's mail "
    "program; a rejected form is named with the reason. An e-mail address alone is not a feedback form. "
    + WHOLE_SITE_NOTE,
)
def feedback_form(site: Site, indicator: Indicator) -> Finding:
    rid = "feedback-form"
    sig = signals_for(site)
    cands, urls = _cands(site, indicator)
    unsendable: list[Evidence] = []  # message forms that would not deliver what a person types

    def message_form(page: PageDoc, form: Form) -> bool:
        if form.role == "search" or not form.has_free_text():
            return False
        if not form.sendable:
            unsendable.append(Evidence(page.url_key, form.selector, form.submit_text or "form",
                                       note=f"form rejected: {form.rejected}"))  # fmt: skip
        return form.sendable

    for c in cands[:10]:
        if c.page is None:
            continue
        for form in c.page.forms:
            if message_form(c.page, form):
                ev = Evidence(c.page.url_key, form.selector, form.submit_text or "form", note="message form")
                return met(indicator, rid, f"feedback form on {c.url}", [*c.evidence(2), ev], 0.9, urls)
    rejected = f"; a form was rejected: {unsendable[0].note.removeprefix('form rejected: ')}" if unsendable else ""
    # An address alone (a mailto link) is not an online feedback form: a person decides.
    for c in cands[:10]:
        if c.page is not None and (emails := email_addresses(c.page)):
            why = f"only an e-mail address for feedback on {c.url}, no form{rejected}"
            return undecided(site, indicator, rid, why, urls, [*c.evidence(2), emails[0][1], *unsendable[:1]],
                             sig.looked_for(indicator.concepts), confidence=0.5)  # fmt: skip
    # A free-text form anywhere whose labels or button name the concept.
    for page in site.pages:
        for form in page.forms:
            words = " ".join([form.submit_text, *(f.label for f in form.fields)])
            if any(sig.find(cn, words) for cn in indicator.concepts) and message_form(page, form):
                ev = Evidence(page.url_key, form.selector, words[:160], note="message form")
                return met(indicator, rid, f"feedback form on {page.url_key}", [ev], 0.75, urls)
    looked = [*sig.looked_for(indicator.concepts), "forms with a message box that can be sent"]
    if unsendable and not rejected:
        rejected = f"; a form was rejected: {unsendable[0].note.removeprefix('form rejected: ')}"
    if cands:
        return undecided(site, indicator, rid, f"feedback page without a form that sends: {describe(cands[0])}"
                         f"{rejected}", urls, [*cands[0].evidence(), *unsendable[:2]], looked)  # fmt: skip
    return not_met(indicator, rid, f"no feedback form or address found{rejected}", looked,
                   evidence=unsendable[:2], details={"rejected_forms": [e.note for e in unsendable[:5]]})  # fmt: skip


@rule(
    "participation-tool",
    "An online participation tool (petitions, polls, forums, consultations) exists.",
    "A page about the indicator's concepts (the generic concept decision) that offers the tool itself: a form "
    "that sends, an embedded tool (iframe), or a link out to the platform; a link naming the tool that leads "
    "to another site counts too. A page that only describes the process is not_met, naming that page.",
)
def participation_tool(site: Site, indicator: Indicator) -> Finding:
    rid = "participation-tool"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    finding = decide_by_candidates(sig, indicator, rid, concepts, "participation tool")
    in_context = _tool_in_context(sig, indicator, rid, concepts, finding.candidates)
    if finding.verdict != Verdict.MET:
        return in_context or finding
    min_score = float(param(indicator, "min_score", MET_SCORE))
    strong = [c for c in sig.candidates_any(concepts) if c.score >= min_score and not is_news_item(sig, c)]
    for c in strong[:10]:
        if c.page is None:
            if not on_home_host(site, c.url) and social_platform(c.url) is None:
                return met(indicator, rid, f"a link naming the tool leads to {host(c.url)}", c.evidence(2),
                           0.7, finding.candidates)  # fmt: skip
            continue
        if (tool := tool_on_page(site, c.page)) is not None:
            return met(indicator, rid, f"participation tool on {c.url}: {tool.note}", [*c.evidence(2), tool],
                       c.confidence, finding.candidates, {"score": c.score})  # fmt: skip
    if in_context is not None or not strong:
        return in_context or finding
    return not_met(indicator, rid, f"pages about it describe the process but offer no tool (no form that sends, "
                   f"embedded tool or link to a platform): {describe(strong[0])}", [*sig.looked_for(concepts),
                   "forms that send, iframes, links out to a participation platform"], confidence=0.6,
                   candidates=finding.candidates, evidence=strong[0].evidence(2))  # fmt: skip


def _tool_in_context(
    sig: SiteSignals, indicator: Indicator, rid: str, concepts: tuple[str, ...], candidates: list[str]
) -> Finding | None:
    """The tool named in the body of a page about a participation process ("residents voted online on the
    open-budget portal") that links to it or embeds it: the process page is where the tool is offered."""
    for page in _context_pages(sig, tuple(param(indicator, "context_concepts", ()))):
        body = _body_text(page)
        tool = tool_on_page(sig.site, page)
        for concept in concepts:
            if tool is not None and (matches := sig.find(concept, body)):
                m = matches[0]
                ev = Evidence(page.url_key, "body", snippet_around(body, m.start, m.end), note=f"names {m.term}")
                return met(indicator, rid, f"{page.url_key} describes the tool ({m.term}) and {tool.note}",
                           [ev, tool], 0.65, candidates or [page.url_key], {"term": m.term})  # fmt: skip
    return None


EMBED_HOSTS_NOT_TOOLS = ("youtube.com", "youtu.be", "vimeo.com", "google.com/maps", "maps.google", "yandex.ru/map",
                         "yandex.uz/map", "openstreetmap.org", "facebook.com/plugins")  # fmt: skip


SEARCH_FIELDS = frozenset({"q", "query", "s", "search", "text", "keyword", "keywords"})  # markup, not words


def is_search_form(site: Site, form: Form) -> bool:
    """A site search: role=search, or a GET form to the site's search (its URL) or with only a query field."""
    if form.role == "search":
        return True
    if form.method.lower() != "get":
        return False
    inputs = [f for f in form.fields if f.type not in ("hidden", "submit", "button")]
    only_query = bool(inputs) and all(f.name.lower() in SEARCH_FIELDS for f in inputs)
    return only_query or signals_for(site).url_match("search", form.action) is not None


def tool_on_page(site: Site, page: PageDoc) -> Evidence | None:
    """What on the page lets a person take part: a form that sends, an embedded tool, a link out to a platform."""
    for form in page.forms:
        if not is_search_form(site, form) and form.sendable and form.fields:
            return Evidence(page.url_key, form.selector, form.submit_text or "form", note="a form that sends")
    for src in page.iframes:
        if not any(h in src for h in EMBED_HOSTS_NOT_TOOLS):
            return Evidence(page.url_key, f"iframe[src='{src}']", src, note=f"an embedded tool from {host(src)}")
    for link in page.links:
        if link.region in CHROME_REGIONS or link.internal or not link.url.startswith(("http:", "https:")):
            continue
        if social_platform(link.url) is None and not is_file(link.url) and not on_home_host(site, link.url):
            return Evidence(page.url_key, link.selector, link.label or link.url, note=f"a link to {host(link.url)}")
    return None


def _context_pages(sig: SiteSignals, context: tuple[str, ...]) -> list[PageDoc]:
    """Crawled pages whose title, headings or a link leading to them name a context concept (not news items)."""
    if not context:
        return []
    about = {"anchor", "title", "heading", "page-url", "link-url"}
    out: list[PageDoc] = []
    for c in sig.candidates_any(context, text=False):
        page = c.page
        if page is None or page in out or not c.signals & about or c.score < REVIEW_SCORE:
            continue
        if not is_news_page(sig, page):
            out.append(page)
    return out[:10]


def _body_text(page: PageDoc) -> str:
    """The main text from the page's first heading on (menus before it are left out), else all of it."""
    text = searched_text(page)
    for heading in page.headings[:1]:
        at = text.find(heading.text) if heading.text else -1
        if at > 0:
            return text[at:]
    return text


def _dated(site: Site, indicator: Indicator, rid: str, what: str, since_days: int | None) -> Finding:
    """A candidate page with a date in the window [crawl day - since_days, +inf) (None: today onwards)."""
    sig = signals_for(site)
    cands, urls = _cands(site, indicator)
    for c in cands[:10]:
        if c.page is None:
            continue
        today = page_day(c.page)
        start = today - timedelta(days=since_days) if since_days is not None else today
        good = sorted(d for d in dates_near(sig, c.page, indicator.concepts) if d >= start.isoformat())
        if good:
            ev = Evidence(c.url, "body", f"dates next to it: {', '.join(good[-3:])}", note="dated content")
            return met(indicator, rid, f"{what} on {c.url} dated {good[-1]}", [*c.evidence(2), ev],
                       0.85 if c.strength >= 2 else 0.7, urls, {"dates": good[-5:]})  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"{what} candidate without a date in the window: "
                         f"{describe(cands[0])}", urls, cands[0].evidence(),
                         sig.looked_for(indicator.concepts))  # fmt: skip
    return not_met(indicator, rid, f"no {what} found", sig.looked_for(indicator.concepts))


YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def dates_near(sig: SiteSignals, page: PageDoc, concepts: tuple[str, ...]) -> set[str]:
    """The dates written in the sentences that name the concepts (a year alone counts as its last day): the
    date of the item that proves the indicator, not of the list it sits in or of another item."""
    text = searched_text(page)
    found: set[str] = set()
    for concept in concepts:
        for m in sig.text_matches(concept, page)[:NEAR_DATE_SPOTS]:
            sentence = sentence_at(text, m.start, m.end)
            found.update(find_dates(sentence))
            found.update(f"{y}-12-31" for y in YEAR.findall(sentence))
    return found


@rule(
    "participatory-budgeting",
    "Participatory budgeting took place within the last 5 years or is upcoming.",
    "A candidate page for the concepts with a date no older than params.years (default 5) written next to "
    "where it names participatory budgeting (a year alone counts): a list page's or another item's date does "
    "not date it.",
)
def participatory_budgeting(site: Site, indicator: Indicator) -> Finding:
    years = int(param(indicator, "years", 5))
    return _dated(site, indicator, "participatory-budgeting", "participatory budgeting", 365 * years + 1)


@rule(
    "upcoming-participation",
    "Upcoming e-participation activities are announced.",
    "A candidate page for the concepts showing a date today or later (as of the crawl).",
)
def upcoming_participation(site: Site, indicator: Indicator) -> Finding:
    rid = "upcoming-participation"
    sig = signals_for(site)
    marker = str(param(indicator, "marker_concept", "upcoming"))
    near = int(param(indicator, "near_chars", NEAR_DATE_CHARS))
    activities = tuple(c for c in concepts_or_error(indicator) if c != marker)
    cands = [c for c in sig.candidates_any(activities) if c.score >= REVIEW_SCORE and c.page is not None]
    urls = candidate_urls(cands)
    undated: list[tuple[Candidate, list[str]]] = []
    seen: set[str] = set()
    for c in cands[:12]:
        page = c.page
        assert page is not None
        if page.url_key in seen:
            continue
        seen.add(page.url_key)
        today = page_day(page).isoformat()
        text = searched_text(page)
        for m in sig.find(marker, text):
            window = text[max(0, m.start - near) : m.end + near]
            future = sorted(d for d in find_dates(window) if d >= today)
            if future:
                ev = Evidence(page.url_key, "body", window.strip(), note=f"{m.term} … {future[0]}")
                return met(indicator, rid, f"upcoming participation announced on {c.url}: {m.term}, {future[0]}",
                           [*c.evidence(2), ev], 0.85 if c.strength >= 2 else 0.7, urls,
                           {"dates": future[:5], "marker": m.term})  # fmt: skip
        if future := sorted(d for d in page.dates if d >= today):
            undated.append((c, future))
    looked = [*sig.looked_for([marker, *activities]), f"a future date within {near} characters of those words"]
    if undated:  # a closing date of a running poll is not an announcement of a coming activity
        c, future = undated[0]
        return review(indicator, rid, f"{c.url} shows {future[0]} but no announcement word near it (a closing "
                      "date?)", urls, c.evidence(), looked, confidence=0.45, details={"dates": future[:5]})  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"participation pages without an upcoming date: {describe(cands[0])}",
                         urls, cands[0].evidence(), looked)  # fmt: skip
    return not_met(indicator, rid, "no upcoming participation found", looked)


@rule(
    "council-meetings",
    "Council meetings are announced or their minutes/agendas published.",
    "A candidate page for the concepts with dates or documents (minutes, agendas).",
)
def council_meetings(site: Site, indicator: Indicator) -> Finding:
    rid = "council-meetings"
    sig = signals_for(site)
    cands, urls = _cands(site, indicator)
    elsewhere = ""
    for c in cands[:10]:
        if c.page is not None and (other := sig.jurisdiction.other_administration(c.page)):
            elsewhere = elsewhere or f"{c.url} is about another administration ({other})"
            continue
        if c.page is not None and (c.page.dates or c.page.documents):
            ev = [Evidence(c.url, d.selector, d.label or d.url, note="document") for d in c.page.documents[:2]]
            if c.page.dates:
                ev.append(Evidence(c.url, "body", f"dates: {', '.join(sorted(c.page.dates)[-3:])}", note="dated"))
            return met(indicator, rid, f"council meetings on {c.url}", [*c.evidence(2), *ev],
                       0.85 if c.strength >= 2 else 0.7, urls)  # fmt: skip
    if elsewhere:
        return review(indicator, rid, f"the council page {elsewhere}", urls,
                      looked_for=sig.looked_for(indicator.concepts))
    if cands:
        return undecided(site, indicator, rid, f"council page without dates or documents: {describe(cands[0])}",
                         urls, cands[0].evidence(), sig.looked_for(indicator.concepts))  # fmt: skip
    return not_met(indicator, rid, "no council meetings found", sig.looked_for(indicator.concepts))


def _data_files(page: PageDoc, formats: tuple[str, ...]) -> list[Link]:
    return [d for d in page.documents if d.url.lower().split("?")[0].rsplit(".", 1)[-1] in formats]


def _data_pages(site: Site, indicator: Indicator) -> tuple[list[tuple[PageDoc, list[Link]]], list[str]]:
    """Open-data candidate pages and the pages one link away, with their data files."""
    sig = signals_for(site)
    formats = tuple(param(indicator, "formats", DATA_FORMATS))
    cands, urls = _cands(site, indicator)
    out: list[tuple[PageDoc, list[Link]]] = []
    seen: set[str] = set()
    for c in cands[:10]:
        if c.page is None or negative_statement(sig, c.page, indicator.concepts) is not None:
            continue  # "data will be published soon" is no way to data, nor are the pages its menu leads to
        pages = [c.page, *(p for lk in c.page.links[:300]
                           if lk.region not in CHROME_REGIONS and (p := sig.page_for(lk.url)) is not None)]
        for page in pages:
            if url_key(page.url_key) in seen:
                continue
            seen.add(url_key(page.url_key))
            if files := _data_files(page, formats):
                out.append((page, files))
    return out, urls


@rule(
    "open-data",
    "Datasets are downloadable in open formats (CSV, JSON, XML, XLSX...).",
    "Open-data candidate pages (and the pages their content links to, not their menus) with links to files in "
    "params.formats. A page that only talks about open data, or promises it ('coming soon'), is never met.",
)
def open_data(site: Site, indicator: Indicator) -> Finding:
    rid = "open-data"
    found, urls = _data_pages(site, indicator)
    if found:
        files = [(p, f) for p, fs in found for f in fs]
        ev = [Evidence(p.url_key, f.selector, f.label or f.url, note=f"data file {f.url}") for p, f in files[:5]]
        return met(indicator, rid, f"{len(files)} downloadable data file(s) on {len(found)} page(s)", ev,
                   0.9 if len(files) > 1 else 0.75, urls, {"files": len(files)})  # fmt: skip
    sig = signals_for(site)
    if urls:
        looked = [*sig.looked_for(indicator.concepts), f"files: {', '.join(DATA_FORMATS)}"]
        return undecided(site, indicator, rid, "open-data page(s) without downloadable files", urls,
                         looked_for=looked)
    return not_met(indicator, rid, "no open data found",
                   [*sig.looked_for(indicator.concepts), f"files: {', '.join(DATA_FORMATS)}"])  # fmt: skip


@rule(
    "open-data-metadata",
    "Each open dataset has metadata (description, date, author/publisher).",
    "On dataset pages (pages with data files), at least params.min_terms (default 2) different metadata "
    "terms (dataset-metadata concept, from params.metadata_concepts) and a date.",
)
def open_data_metadata(site: Site, indicator: Indicator) -> Finding:
    rid = "open-data-metadata"
    sig = signals_for(site)
    meta_concepts = tuple(param(indicator, "metadata_concepts", ("dataset-metadata",)))
    min_terms = int(param(indicator, "min_terms", 2))
    found, urls = _data_pages(site, indicator)
    for page, files in found:
        matches = [m for cn in meta_concepts for m in sig.text_matches(cn, page)]
        terms = {m.term for m in matches}
        if len(terms) >= min_terms and page.dates:
            m = matches[0]
            ev = Evidence(page.url_key, "body", page.text[max(0, m.start - 60) : m.end + 100], note="metadata")
            return met(indicator, rid, f"dataset page {page.url_key} shows {', '.join(sorted(terms))}",
                       [ev, Evidence(page.url_key, files[0].selector, files[0].label, note="data file")], 0.75,
                       urls)  # fmt: skip
    if found:
        return review(indicator, rid, "data files without visible metadata", [p.url_key for p, _ in found][:8])
    return not_met(indicator, rid, "no dataset pages found", sig.looked_for([*indicator.concepts, *meta_concepts]))
