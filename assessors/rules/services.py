"""Services-provision rules: is a given service offered online (on the portal or a linked portal)?

The page must be about THIS service first (its title or a heading names it, or a link naming the service
leads to it), and only then does an online action count: an application form, an apply/pay link, a link
to a linked service portal. The action must sit in the part of the page that names the service (the
section under the last heading before it), so a page that covers water (online) and electricity (paid at
banks) does not make electricity an online service.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from assessors.registry import rule
from assessors.rules.common import candidate_urls, describe, met, not_met, param, review
from assessors.rules.literacy import social_platform
from assessors.signals import CHROME_REGIONS, REVIEW_SCORE, Candidate, SiteSignals, host, signals_for
from assessors.site import Site
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Form, PageDoc

DEFAULT_ACTIONS = ("apply-online", "pay-online", "login")  # concept ids, read from params when given
ACTION_CONCEPTS = frozenset({"apply-online", "pay-online", "login"})
ABOUT_SIGNALS = frozenset({"title", "heading", "anchor"})  # a page about the service, not a mere mention


@dataclass
class Online:
    evidence: Evidence
    position: int  # where its text sits in the page's main text, -1 when it cannot be placed


def service_form(form: Form) -> bool:
    """A form that takes an application (not a site search or a newsletter box)."""
    if form.role == "search":
        return False
    inputs = [f for f in form.fields if f.type not in ("checkbox", "radio")]
    return len(inputs) >= 2 or any(f.type in ("file", "textarea") for f in form.fields)


def _position(text: str, label: str) -> int:
    return text.find(label) if label else -1


WINDOW_CHARS = 150  # text this close to an external link is read as the link's sentence


def online_signals(
    sig: SiteSignals, page: PageDoc, actions: tuple[str, ...], portals: set[str], subjects: tuple[str, ...] = ()
) -> list[Online]:
    """Application forms and online-action links in the page's content (not its menus or footer)."""
    out: list[Online] = []
    text = page.text
    for form in page.forms:
        if service_form(form):
            ev = Evidence(page.url_key, form.selector, form.submit_text or "form", note="application form")
            out.append(Online(ev, _position(text, form.submit_text)))
    for link in page.links:
        if link.region in CHROME_REGIONS or urlsplit(link.url).scheme not in ("http", "https"):
            continue
        pos = _position(text, link.text)
        if portals and host(link.url) in portals:
            note = f"link to service portal: {link.url}"
        elif link.label and any(sig.find(a, link.label) for a in actions):
            note = f"online action: {link.url}"
        elif not link.internal and social_platform(link.url) is None and _external_service(
            sig, link.label, text[max(0, pos - WINDOW_CHARS) : pos + len(link.text) + WINDOW_CHARS] if pos >= 0
            else "", actions, subjects,
        ):  # fmt: skip
            note = f"link to an external service site: {link.url}"
        else:
            continue
        out.append(Online(Evidence(page.url_key, link.selector, link.label or link.url, note=note), pos))
    return out


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
    top = [h.text for h in page.headings if h.level <= 1] or [h.text for h in page.headings[:1]]
    return any(_names_service(sig, subjects, t) for t in [page.title, *top])


def _belongs(sig: SiteSignals, subjects: tuple[str, ...], page: PageDoc, online: Online, about: bool) -> bool:
    """Does this online action belong to the service (and not to another one on the same page)?"""
    if _names_service(sig, subjects, online.evidence.snippet):
        return True
    if online.position < 0:
        return about
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
    "service portal; or when a link names both the service and an online action. A page about the service "
    "without an online action: needs_review; nothing about the service: not_met.",
)
def online_service(site: Site, indicator: Indicator) -> Finding:
    rid = "online-service"
    sig = signals_for(site)
    actions = tuple(param(indicator, "action_concepts", DEFAULT_ACTIONS))
    subjects = subject_concepts(indicator, actions)
    portals = {host(u) for u in site.portal.linked_portals}
    cands: list[Candidate] = [c for c in sig.candidates_any(subjects) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    looked = [*sig.looked_for([*subjects, *actions]), "application forms, apply/pay links near the service name"]
    about_cands = [c for c in cands if c.signals & ABOUT_SIGNALS]
    for c in about_cands[:10]:
        if c.page is None:
            continue
        about = _page_about(sig, subjects, c.page)
        for online in online_signals(sig, c.page, actions, portals, subjects):
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
        if sig.page_for(c.url) is None and not _internal(site, c.url):
            anchors = [h for h in c.hits if h.signal == "anchor"]
            if anchors:
                ev = anchors[0].evidence
                return met(indicator, rid, f"link naming the service leads to {host(c.url)}: {ev.snippet}",
                           [ev], 0.6, urls, {"score": c.score})  # fmt: skip
    # A link naming both the service and an online action ("Apply for a birth certificate online").
    for c in cands:
        for h in c.hits:
            if h.signal == "anchor" and any(sig.find(a, h.evidence.snippet) for a in actions):
                return met(indicator, rid, f"online-service link: {h.evidence.snippet}", [h.evidence], 0.65, urls)
    if about_cands:
        return review(indicator, rid, f"a page about the service, no online action found: {describe(about_cands[0])}",
                      urls, about_cands[0].evidence(), looked, confidence=0.5)  # fmt: skip
    if cands:
        return review(indicator, rid, f"the service is only mentioned: {describe(cands[0])}", urls,
                      cands[0].evidence(), looked, confidence=0.4)  # fmt: skip
    return not_met(indicator, rid, "the service was not found on the portal or linked pages", looked)


def _internal(site: Site, url: str) -> bool:
    """Is the URL on the portal itself (its home page's host)?"""
    home = site.home
    return home is not None and host(url) == host(home.url_key)
