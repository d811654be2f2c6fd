"""Institutional-framework rules: the official portal, heads of departments, links to other agencies."""

from __future__ import annotations

from urllib.parse import urlsplit

from assessors.registry import rule
from assessors.rules.common import (
    WHOLE_SITE_NOTE,
    candidate_urls,
    concepts_or_error,
    describe,
    met,
    not_met,
    param,
    review,
    undecided,
)
from assessors.rules.literacy import social_platform
from assessors.signals import (
    CHROME_REGIONS,
    REVIEW_SCORE,
    SiteSignals,
    contact_spots,
    host,
    signals_for,
    snippet_around,
)
from assessors.site import Site
from crawler.links import is_file
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Link, PageDoc


@rule(
    "official-portal",
    "The portal is the city government's official site.",
    "The home page was fetched and its title, headings, site name, text or menus name the city government "
    "(official-city concepts); otherwise a person checks the domain and the footer.",
)
def official_portal(site: Site, indicator: Indicator) -> Finding:
    rid = "official-portal"
    home = site.home
    assert home is not None
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    chrome = " | ".join(lk.label for lk in home.links if lk.region in CHROME_REGIONS and lk.label)[:5_000]
    for field, text, selector in (("title", home.title, "title"), ("heading", home.heading_text(), "h1"),
                                  ("site name", home.meta.get("og:site_name", ""), 'meta[property="og:site_name"]'),
                                  ("text", home.text[:20_000], "body"),
                                  ("menu", chrome, "header, nav, footer")):  # fmt: skip
        for concept in concepts:
            if matches := sig.find(concept, text):
                m = matches[0]
                ev = Evidence(home.url_key, selector, text[max(0, m.start - 60) : m.end + 60].strip(),
                              note=f"{field} names the city government")  # fmt: skip
                conf = 0.9 if field in ("title", "heading", "site name") else 0.7
                return met(indicator, rid, f"home page {field} names the city government", [ev], conf)
    return review(indicator, rid, "the home page does not name the city government; check domain and footer",
                  [home.url_key], looked_for=sig.looked_for(concepts))  # fmt: skip


@rule(
    "heads-of-departments",
    "Names, titles and contact details of the heads of departments are published.",
    "A leadership page (concepts of the indicator) naming at least params.min_contacts (default 2) positions, "
    "each with its own phone or e-mail next to it: met (one head's card repeated counts once). A leadership "
    "page of another administration is needs_review. " + WHOLE_SITE_NOTE,
)
def heads_of_departments(site: Site, indicator: Indicator) -> Finding:
    rid = "heads-of-departments"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    min_contacts = int(param(indicator, "min_contacts", 2))
    leaders = concepts[0]  # the first concept names the leadership; the others (contacts) only find pages
    elsewhere: list[tuple[str, str]] = []  # (page, administration) for leadership pages of another body
    for c in cands[:10]:
        if c.page is not None and (c.concept == leaders or sig.text_matches(leaders, c.page)):
            if other := sig.jurisdiction.other_administration(c.page):
                elsewhere.append((c.url, other))
                continue
            found = leaders_with_contacts(sig, c.page, leaders)
            if len(found) >= min_contacts:
                return met(indicator, rid, f"leadership page {c.url}: {len(found)} heads, each with a contact",
                           [*c.evidence(2), *found[:3]], 0.75, urls)  # fmt: skip
    if elsewhere:
        url, other = elsewhere[0]
        return review(indicator, rid, f"the leadership page {url} is about another administration ({other})",
                      urls, looked_for=sig.looked_for(concepts), confidence=0.4)  # fmt: skip
    about = [c for c in cands if c.concept == leaders and c.page is not None and c.signals & {"title", "heading"}]
    if about:  # the leadership page itself was read and does not give heads with their contacts
        return not_met(indicator, rid, f"the leadership page does not give {min_contacts} heads each with a phone "
                       f"or e-mail: {about[0].url}", [*sig.looked_for([leaders]), "a phone number or e-mail "
                       f"address next to each position (within {NEAR_CONTACT_CHARS} characters)"],
                       confidence=0.6, candidates=urls)  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"leadership page without contact details: {describe(cands[0])}",
                         urls, cands[0].evidence(), sig.looked_for(concepts))  # fmt: skip
    return not_met(indicator, rid, "no leadership page found", sig.looked_for(concepts))


NEAR_CONTACT_CHARS = 300  # a phone or e-mail this close to a position belongs to that person's entry


def leaders_with_contacts(sig: SiteSignals, page: PageDoc, leaders: str) -> list[Evidence]:
    """Positions named on the page (hokim, head of department...) each with its own phone or e-mail nearby:
    one per distinct contact, so a card repeated three times counts once."""
    text = page.text
    spots = contact_spots(page)
    found: dict[str, Evidence] = {}
    for m in sig.text_matches(leaders, page):
        near = [(abs(at - m.start), value) for at, value in spots if abs(at - m.start) <= NEAR_CONTACT_CHARS]
        if not near:
            continue
        value = min(near)[1]
        if value not in found:
            found[value] = Evidence(page.url_key, "body", snippet_around(text, m.start, m.end + 80),
                                    note=f"{m.text} with contact {value}")  # fmt: skip
    return list(found.values())


@rule(
    "agency-links",
    "A section links to other (local, regional, national) government agencies.",
    "A page or section about the concepts that links to at least params.min_hosts (default 3) different "
    "other organisations' sites: to a site or a section, not to one document deep inside it, not a social "
    "network, not the portal's own live address; on pages other than the home page, only links in the "
    "page's own content count (the template's footer is counted on the home page).",
)
def agency_links(site: Site, indicator: Indicator) -> Finding:
    rid = "agency-links"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    min_hosts = int(param(indicator, "min_hosts", 3))
    for c in cands[:10]:
        if c.page is None:
            continue
        external = {host(lk.url): lk for lk in agency_site_links(sig, c.page)}
        if len(external) >= min_hosts:
            ev = [Evidence(c.page.url_key, lk.selector, lk.label or lk.url, note=f"link to {h}")
                  for h, lk in list(external.items())[:3]]  # fmt: skip
            return met(indicator, rid, f"{c.url} links to {len(external)} external sites",
                       [*c.evidence(2), *ev], 0.8, urls)  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"no page about it links to {min_hosts} other organisations' sites: "
                         f"{describe(cands[0])}", urls, cands[0].evidence(), sig.looked_for(concepts))  # fmt: skip
    return not_met(indicator, rid, "no section with links to other agencies", sig.looked_for(concepts))


MAX_AGENCY_PATH_SEGMENTS = 2  # a link to an agency's site, not to one document deep inside it


def agency_site_links(sig: SiteSignals, page: PageDoc) -> list[Link]:
    """Links to other organisations' sites: external, not a social network, to a site's home or a section
    rather than one document; on pages other than the home page, only those in the page's own content
    (the template's footer links are counted once, on the home page)."""
    out = []
    for link in page.links:
        if link.internal or not link.url.startswith(("http:", "https:")) or social_platform(link.url) is not None:
            continue
        if sig.is_own(link.url):
            continue  # the portal's own live address
        if not sig.is_home(page) and link.region in CHROME_REGIONS:
            continue
        segments = [p for p in urlsplit(link.url).path.split("/") if p]
        if len(segments) <= MAX_AGENCY_PATH_SEGMENTS and not is_file(link.url):
            out.append(link)
    return out
