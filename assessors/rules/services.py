"""Services-provision rules: is a given service offered online (on the portal or a linked portal)?

The page must be about THIS service first (its title or a heading names it, or a link naming the service
leads to it), and only then does an online action count: an application form, an apply/pay link, a link
to a linked service portal. The action must sit in the part of the page that names the service (the
section under the last heading before it), so a page that covers water (online) and electricity (paid at
banks) does not make electricity an online service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from assessors.registry import rule
from assessors.rules.common import (
    WHOLE_SITE_NOTE,
    candidate_urls,
    decide_by_candidates,
    describe,
    is_news_page,
    met,
    negative_statement,
    not_met,
    on_home_host,
    param,
    undecided,
    worth_a_look,
)
from assessors.rules.literacy import social_platform
from assessors.signals import (
    CHROME_REGIONS,
    REVIEW_SCORE,
    Candidate,
    SiteSignals,
    host,
    is_web_url,
    load_data,
    searched_text,
    signals_for,
    snippet_around,
)
from assessors.site import Site
from crawler.links import is_file
from indicators.catalog import Indicator
from losi.hosts import first_domain_of
from losi.models import Evidence, Finding, Form, PageDoc, Verdict
from losi.portal_cache import portal_cache

DEFAULT_ACTIONS = ("apply-online", "pay-online", "login")  # concept ids, read from params when given
ACTION_CONCEPTS = frozenset({"apply-online", "pay-online", "login"})
ABOUT_SIGNALS = frozenset({"title", "heading", "anchor"})  # a page about the service, not a mere mention
NOT_SERVICES = ("ministry",)  # a link named for a ministry leads to an organisation, not to a service


@dataclass
class Online:
    evidence: Evidence
    position: int  # where its text sits in the page's main text, -1 when it cannot be placed


def service_form(form: Form) -> bool:
    """A form that takes an application (not a site search or a newsletter box)."""
    if form.role == "search" or not form.sendable:
        return False
    inputs = [f for f in form.fields if f.type not in ("checkbox", "radio")]
    return len(inputs) >= 2 or any(f.type in ("file", "textarea") for f in form.fields)


def _position(text: str, label: str) -> int:
    return text.find(label) if label else -1


WINDOW_CHARS = 150  # text this close to an external link is read as the link's sentence


def online_signals(
    sig: SiteSignals,
    page: PageDoc,
    actions: tuple[str, ...],
    portals: set[str],
    subjects: tuple[str, ...] = (),
    about: bool = False,
    not_services: tuple[str, ...] = (),
) -> list[Online]:
    """Application forms and online-action links in the page's content (not its menus or footer). On a page
    about the service (about), a link in its content out to another site (not a social network, a document, a
    legal database or an organisation named by not_services) is the way to it."""
    out: list[Online] = []
    text = page.text
    for form in page.forms:
        if service_form(form):
            ev = Evidence(page.url_key, form.selector, form.submit_text or "form", note="application form")
            out.append(Online(ev, _position(text, form.submit_text)))
    for link in page.links:
        if link.region in CHROME_REGIONS or not is_web_url(link.url):
            continue
        if information_only(link.url):
            continue  # the regulation on a legal database is information, not the service
        pos = _position(text, link.text)
        if portals and host(link.url) in portals:
            note = f"link to service portal: {link.url}"
        elif link.label and any(sig.find(a, link.label) for a in actions):
            target = sig.page_for(link.url) if link.internal else None
            if target is not None and target is not page and not offers_action(sig, target, portals):
                continue  # "Apply" leads to a page that only describes how to apply
            note = f"online action: {link.url}"
        elif not link.internal and not sig.is_own(link.url) and social_platform(link.url) is None and (
            (about and not is_file(link.url) and not any(sig.find(c, link.label) for c in not_services))
            or _external_service(sig, link.label, text[max(0, pos - WINDOW_CHARS) : pos + len(link.text)
                                 + WINDOW_CHARS] if pos >= 0 else "", actions, subjects)
        ):  # fmt: skip
            note = f"link to an external service site: {link.url}"
        else:
            continue
        out.append(Online(Evidence(page.url_key, link.selector, link.label or link.url, note=note), pos))
    return out


def offers_action(sig: SiteSignals, page: PageDoc, portals: set[str]) -> bool:
    """Does the page itself give a way to act: an application form that sends, or a link in its content out
    to another site (a service portal, a payment or permits system), not a social network, a document or a
    legal database?"""
    if any(service_form(form) for form in page.forms):
        return True
    for link in page.links:
        if link.region in CHROME_REGIONS or link.internal or sig.is_own(link.url) or information_only(link.url):
            continue
        if host(link.url) in portals or (social_platform(link.url) is None and not is_file(link.url)):
            return True
    return False


@portal_cache(1 << 16)  # asked about every external link of every page
def information_only(url: str) -> bool:
    """A legal database or encyclopaedia (assessors/data/information_sites.yaml): never an online service."""
    name = host(url)
    sites = load_data("information_sites.yaml")["information_only"]
    return first_domain_of(name, sites) is not None


def _external_service(
    sig: SiteSignals, label: str, window: str, actions: tuple[str, ...], subjects: tuple[str, ...]
) -> bool:
    """An external link that names the service, or sits in a sentence naming an online action."""
    return any(sig.find(s, label) for s in subjects) or any(sig.find(a, window) for a in actions)


def _section_start(page: PageDoc, position: int) -> int:
    """Start (in the main text) of the heading that opens the section holding `position`; 0 if none."""
    start = 0
    head = page.text[:position]
    for heading in page.headings:
        at = head.rfind(heading.text) if heading.text else -1
        start = max(start, at)
    return start


def _names_service(sig: SiteSignals, subjects: tuple[str, ...], text: str) -> bool:
    return any(sig.find(s, text) for s in subjects)


def _page_about(sig: SiteSignals, subjects: tuple[str, ...], page: PageDoc) -> bool:
    own = sig.own_headings(page)
    top = [h.text for h in own if h.level <= 1] or [h.text for h in own[:1]]
    return any(_names_service(sig, subjects, t) for t in [page.title, *top])


def _belongs(sig: SiteSignals, subjects: tuple[str, ...], page: PageDoc, online: Online, about: bool) -> bool:
    """Does this online action belong to the service (and not to another one on the same page)? On a page
    whose title or main heading names the service, every action does; elsewhere, the section holding the
    action must name it."""
    if about or _names_service(sig, subjects, online.evidence.snippet):
        return True
    if online.position < 0:
        return False
    start = _section_start(page, online.position)
    end = online.position + len(online.evidence.snippet)
    section = page.text[start:end]
    return _names_service(sig, subjects, section)


def subject_concepts(indicator: Indicator, actions: tuple[str, ...]) -> tuple[str, ...]:
    subjects = tuple(c for c in indicator.concepts if c not in actions and c not in ACTION_CONCEPTS)
    if not subjects:
        raise ValueError(f"indicator {indicator.code} names no service concept")
    return subjects


@rule(
    "online-service",
    "The service named by the indicator's concepts can be requested or paid online.",
    "Finds pages about the service (its concepts, without the action concepts) whose title, heading or a "
    "link leading to them names it; online when, in the section of such a page that names the service, "
    "there is an application form, an apply/pay/login action (params.action_concepts) or a link to a linked "
    "service portal; or when a link names both the service and an online action. An 'apply' link counts only "
    "if its page lets a person act (a form that sends, a link out to a service site); a link to a legal "
    "database (assessors/data/information_sites.yaml) is information; on a page about the service, a link in "
    "its content out to another site is the way to it, unless it names an organisation (params.not_services: "
    "ministry). 'Only in person' said of the service "
    "vetoes it. A page about the service without an online action is information, not an online service: "
    + WHOLE_SITE_NOTE,
)
def online_service(site: Site, indicator: Indicator) -> Finding:
    rid = "online-service"
    sig = signals_for(site)
    actions = tuple(param(indicator, "action_concepts", DEFAULT_ACTIONS))
    subjects = subject_concepts(indicator, actions)
    not_services = tuple(param(indicator, "not_services", NOT_SERVICES))
    portals = {host(u) for u in site.portal.linked_portals}
    cands: list[Candidate] = [c for c in sig.candidates_any(subjects) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    looked = [*sig.looked_for([*subjects, *actions]), "application forms, apply/pay links near the service name"]
    about_cands = [c for c in cands if c.signals & ABOUT_SIGNALS]
    vetoes: list[Evidence] = []  # "only in person" / "coming soon" said of the service on its page
    for c in about_cands[:10]:
        if c.page is None:
            continue
        if (veto := negative_statement(sig, c.page, subjects)) is not None:
            vetoes.append(veto)
            continue
        about = _page_about(sig, subjects, c.page)
        for online in online_signals(sig, c.page, actions, portals, subjects, about, not_services):
            if _belongs(sig, subjects, c.page, online, about):
                page_ev = [e for e in c.evidence(3) if e.url == c.page.url_key][:1]
                link_ev = [e for e in c.evidence(3) if e.url != c.page.url_key][:1]
                conf = 0.85 if c.strength >= 2 else 0.7
                return met(indicator, rid, f"service page {c.url}: {online.evidence.note}",
                           [*page_ev, online.evidence, *link_ev], conf, urls, {"score": c.score})  # fmt: skip
    # A link naming the service that leads to another site (the national portal's service, the e-procurement
    # system): the toolkit counts a service the city portal links to.
    for c in about_cands:
        if c.page is not None or urlsplit(c.url).scheme not in ("http", "https") or social_platform(c.url):
            continue
        if sig.page_for(c.url) is None and not on_home_host(site, c.url) and not information_only(c.url):
            anchors = [h for h in c.hits if h.signal == "anchor"
                       and not any(sig.find(n, h.evidence.snippet) for n in not_services)]  # fmt: skip
            if anchors:
                ev = anchors[0].evidence
                return met(indicator, rid, f"link naming the service leads to {host(c.url)}: {ev.snippet}",
                           [ev], 0.6, urls, {"score": c.score})  # fmt: skip
    # A link naming both the service and an online action ("Apply for a birth certificate online").
    for c in cands:
        if c.page is not None and not offers_action(sig, c.page, portals):
            continue  # the link says "apply online" but its page only describes the service
        for h in c.hits:
            if h.signal == "anchor" and any(sig.find(a, h.evidence.snippet) for a in actions):
                return met(indicator, rid, f"online-service link: {h.evidence.snippet}", [h.evidence], 0.65, urls)
    # A sentence naming the service and an online action ("pay the fee online") on a page that is not a news
    # item: the service is offered online as a step of another procedure.
    channel = str(param(indicator, "online_concept", "online-channel"))
    if found := _online_sentence(sig, site, subjects, actions, channel, portals):
        page, sentence = found
        ev = Evidence(page.url_key, "body", sentence[:SENTENCE_CHARS], note="the service and an online action")
        return met(indicator, rid, f"{page.url_key} says the service is done online", [ev], 0.6, urls)
    if vetoes:
        return not_met(indicator, rid, f"the service page says it is not offered online: {vetoes[0].url} "
                       f"({vetoes[0].note})", looked, confidence=0.7, candidates=urls, evidence=vetoes[:2])  # fmt: skip
    if about_cands:
        return undecided(site, indicator, rid, f"a page about the service, no online action found: "
                         f"{describe(about_cands[0])}", urls, about_cands[0].evidence(), looked,
                         confidence=0.5)  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"the service is only mentioned: {describe(cands[0])}", urls,
                         cands[0].evidence(), looked, worth_a_look=worth_a_look(sig, cands[0]))  # fmt: skip
    return not_met(indicator, rid, "the service was not found on the portal or linked pages", looked)


SENTENCE_CHARS = 200  # a "sentence" longer than this is a menu or a list, not one statement
SENTENCE_BREAK = re.compile(r"[.;!?\n]|\s[-–—•|]\s")  # punctuation, not words


def _online_sentence(
    sig: SiteSignals, site: Site, subjects: tuple[str, ...], actions: tuple[str, ...], channel: str, portals: set[str]
) -> tuple[PageDoc, str] | None:
    """A short sentence that names the service (a subject concept), an action (pay / apply) and says it is
    done online (the channel concept), three separate words: "the fee can be paid online by card", on a page
    that gives the way to do it (offers_action)."""
    online = tuple(a for a in actions if a != "login")
    for page in site.pages:
        if is_news_page(sig, page) or not offers_action(sig, page, portals):
            continue  # a page that says "pay online" but links to nothing a person could use
        if not any(sig.text_matches(s, page) for s in subjects):
            continue
        text = searched_text(page)
        for m in (m for s in subjects for m in sig.text_matches(s, page)):
            starts = [b.end() for b in SENTENCE_BREAK.finditer(text, 0, m.start)]
            start = starts[-1] if starts else 0
            stop = SENTENCE_BREAK.search(text, m.end)
            sentence = text[start : stop.start() if stop else len(text)].strip()
            if len(sentence) > SENTENCE_CHARS:
                continue
            subject_spans = [(s.start, s.end) for c in subjects for s in sig.find(c, sentence)]
            channel_spans = [(s.start, s.end) for s in sig.find(channel, sentence)]
            action_spans = [(s.start, s.end) for a in online for s in sig.find(a, sentence)]
            if channel_spans and any(
                not _overlaps(span, [*subject_spans, *channel_spans]) for span in action_spans
            ):
                return page, sentence
    return None


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


@rule(
    "service-catalogue",
    "A catalogue of services where each service comes with its details (documents, time, cost).",
    "The generic concept decision finds the catalogue; it is met only when the catalogue page or a service "
    "page it links to (in its content) names at least params.detail_terms (default 2) distinct terms of "
    "params.details_concept (required documents, processing time, cost). A bare list: needs_review.",
)
def service_catalogue(site: Site, indicator: Indicator) -> Finding:
    rid = "service-catalogue"
    sig = signals_for(site)
    details = str(param(indicator, "details_concept", "service-details"))
    min_terms = int(param(indicator, "detail_terms", 2))
    concepts = tuple(c for c in indicator.concepts if c != details)
    if not concepts:
        raise ValueError(f"indicator {indicator.code} names no catalogue concept")
    finding = decide_by_candidates(sig, indicator, rid, concepts, "service catalogue")
    if finding.verdict != Verdict.MET:
        return finding
    cands = [c for c in sig.candidates_any(concepts) if c.page is not None and c.score >= REVIEW_SCORE]
    for c in cands[:6]:
        assert c.page is not None
        for page in [c.page, *_linked_pages(sig, c.page)]:
            matches = sig.text_matches(details, page)
            terms = sorted({m.term for m in matches})
            if len(terms) >= min_terms:
                m = matches[0]
                ev = Evidence(page.url_key, "body", snippet_around(page.text, m.start, m.end),
                              note=f"service details: {', '.join(terms)}")  # fmt: skip
                return met(indicator, rid, f"service catalogue {c.url} with details ({', '.join(terms)})",
                           [*c.evidence(2), ev], finding.confidence, finding.candidates,
                           {"details": terms})  # fmt: skip
    return undecided(site, indicator, rid, f"a list of services without per-service details (documents, time, cost): "
                  f"{finding.explanation}", finding.candidates, finding.evidence,
                  [*sig.looked_for([details]), f">= {min_terms} detail terms on the catalogue or its service pages"],
                  confidence=0.45)  # fmt: skip


def _linked_pages(sig: SiteSignals, page: PageDoc, limit: int = 30) -> list[PageDoc]:
    """Crawled pages the page links to from its content (not its menus or footer)."""
    out: list[PageDoc] = []
    for link in page.links:
        if link.region in CHROME_REGIONS:
            continue
        target = sig.page_for(link.url)
        if target is not None and target is not page and target not in out:
            out.append(target)
        if len(out) >= limit:
            break
    return out
