"""Services-provision rules: is a given service offered online (on the portal or a linked portal)?"""

from __future__ import annotations

from assessors.registry import rule
from assessors.rules.common import candidate_urls, concepts_or_error, describe, met, not_met, param, review
from assessors.signals import REVIEW_SCORE, Candidate, SiteSignals, host, signals_for
from assessors.site import Site
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Form, PageDoc

DEFAULT_ACTIONS = ("apply-online", "pay-online", "login")  # concept ids, read from params when given


def service_form(form: Form) -> bool:
    """A form that takes an application (not a site search or a newsletter box)."""
    if form.role == "search":
        return False
    inputs = [f for f in form.fields if f.type not in ("checkbox", "radio")]
    return len(inputs) >= 2 or any(f.type in ("file", "textarea") for f in form.fields)


def online_signals(sig: SiteSignals, page: PageDoc, actions: tuple[str, ...], portals: set[str]) -> list[Evidence]:
    out: list[Evidence] = []
    for form in page.forms:
        if service_form(form):
            out.append(Evidence(page.url_key, form.selector, form.submit_text or "form", note="application form"))
    for link in page.links:
        if portals and host(link.url) in portals:
            out.append(Evidence(page.url_key, link.selector, link.label or link.url, note="link to service portal"))
        elif link.label and any(sig.find(a, link.label) for a in actions):
            out.append(Evidence(page.url_key, link.selector, link.label, note=f"online action: {link.url}"))
    return out


@rule(
    "online-service",
    "The service named by the indicator's concepts can be requested or paid online.",
    "Finds service pages (portal and one-hop linked pages) for the concepts; online when such a page has an "
    "application form, an apply/pay/login action (params.action_concepts) or a link to a linked service "
    "portal. Information only: needs_review with the page; nothing: not_met.",
)
def online_service(site: Site, indicator: Indicator) -> Finding:
    rid = "online-service"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    actions = tuple(param(indicator, "action_concepts", DEFAULT_ACTIONS))
    portals = {host(u) for u in site.portal.linked_portals}
    cands: list[Candidate] = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    for c in cands[:10]:
        if c.page is None:
            continue
        online = online_signals(sig, c.page, actions, portals)
        if online:
            conf = 0.85 if c.strength >= 2 and online[0].note == "application form" else 0.7
            return met(indicator, rid, f"service page {c.url}: {online[0].note}", [*c.evidence(2), *online[:2]],
                       conf, urls, {"score": c.score})  # fmt: skip
    # A link naming both the service and an online action ("Apply for a birth certificate online").
    for c in cands:
        for h in c.hits:
            if h.signal == "anchor" and any(sig.find(a, h.evidence.snippet) for a in actions):
                return met(indicator, rid, f"online-service link: {h.evidence.snippet}", [h.evidence], 0.65, urls)
    if cands:
        return review(indicator, rid, f"information about the service, no online action found: {describe(cands[0])}",
                      urls, cands[0].evidence(), sig.looked_for([*concepts, *actions]), confidence=0.5)  # fmt: skip
    return not_met(indicator, rid, "the service was not found on the portal or linked pages",
                   sig.looked_for([*concepts, *actions]))  # fmt: skip
