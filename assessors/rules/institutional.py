"""Institutional-framework rules: the official portal, heads of departments, links to other agencies."""

from __future__ import annotations

from assessors.registry import rule
from assessors.rules.common import candidate_urls, concepts_or_error, describe, met, not_met, param, review
from assessors.rules.content import contact_facts
from assessors.signals import REVIEW_SCORE, host, signals_for
from assessors.site import Site
from indicators.catalog import Indicator
from losi.models import Evidence, Finding


@rule(
    "official-portal",
    "The portal is the city government's official site.",
    "The home page was fetched and its title, headings or text name the city government (official-city "
    "concepts); otherwise a person checks the domain and the footer.",
)
def official_portal(site: Site, indicator: Indicator) -> Finding:
    rid = "official-portal"
    home = site.home
    assert home is not None
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    for field, text, selector in (("title", home.title, "title"), ("heading", home.heading_text(), "h1"),
                                  ("text", home.text[:20_000], "body")):  # fmt: skip
        for concept in concepts:
            if matches := sig.find(concept, text):
                m = matches[0]
                ev = Evidence(home.url_key, selector, text[max(0, m.start - 60) : m.end + 60].strip(),
                              note=f"{field} names the city government")  # fmt: skip
                conf = 0.9 if field != "text" else 0.7
                return met(indicator, rid, f"home page {field} names the city government", [ev], conf)
    return review(indicator, rid, "the home page does not name the city government; check domain and footer",
                  [home.url_key], looked_for=sig.looked_for(concepts))  # fmt: skip


@rule(
    "heads-of-departments",
    "Names, titles and contact details of the heads of departments are published.",
    "A leadership page (concepts of the indicator) with contact details (phones, e-mails) on it: met; "
    "without contact details: needs_review.",
)
def heads_of_departments(site: Site, indicator: Indicator) -> Finding:
    rid = "heads-of-departments"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    min_contacts = int(param(indicator, "min_contacts", 2))
    leaders = concepts[0]  # the first concept names the leadership; the others (contacts) only find pages
    for c in cands[:10]:
        if c.page is not None and (c.concept == leaders or sig.text_matches(leaders, c.page)):
            facts = contact_facts(c.page)
            if len(facts) >= min_contacts:
                return met(indicator, rid, f"leadership page {c.url} with {len(facts)} contact details",
                           [*c.evidence(2), *facts[:3]], 0.75, urls)  # fmt: skip
    about = [c for c in cands if c.concept == leaders and c.page is not None and c.signals & {"title", "heading"}]
    if about:  # the leadership page itself was read and lists no phones or e-mails
        return not_met(indicator, rid, f"the leadership page lists no contact details: {about[0].url}",
                       [*sig.looked_for([leaders]), "phone numbers, e-mail addresses, tel:/mailto: links"],
                       confidence=0.6, candidates=urls)  # fmt: skip
    if cands:
        return review(indicator, rid, f"leadership page without contact details: {describe(cands[0])}", urls,
                      cands[0].evidence(), sig.looked_for(concepts))  # fmt: skip
    return not_met(indicator, rid, "no leadership page found", sig.looked_for(concepts))


@rule(
    "agency-links",
    "A section links to other (local, regional, national) government agencies.",
    "A page or section about the concepts that links to at least params.min_hosts (default 3) different "
    "external sites.",
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
        external = {host(lk.url): lk for lk in c.page.links if not lk.internal and lk.url.startswith("http")}
        if len(external) >= min_hosts:
            ev = [Evidence(c.page.url_key, lk.selector, lk.label or lk.url, note=f"link to {h}")
                  for h, lk in list(external.items())[:3]]  # fmt: skip
            return met(indicator, rid, f"{c.url} links to {len(external)} external sites",
                       [*c.evidence(2), *ev], 0.8, urls)  # fmt: skip
    if cands:
        return review(indicator, rid, f"agency-links candidate: {describe(cands[0])}", urls, cands[0].evidence())
    return not_met(indicator, rid, "no section with links to other agencies", sig.looked_for(concepts))
