"""Run every indicator of a catalog over one Site: exactly one Finding per indicator, in catalog order.

A missing rule, a rule that raises or a site without pages never stops the run: the indicator becomes
not_assessed (or needs_review for indicators a person decides) with the reason and the candidate pages.
"""

from __future__ import annotations

import logging

from assessors.registry import RULES, load_all_rules
from assessors.signals import SiteSignals, signals_for
from assessors.site import Site
from indicators.catalog import Catalog, Indicator
from losi.deadline import Deadline
from losi.models import Finding, Method, Verdict

log = logging.getLogger(__name__)
MAX_CANDIDATES = 8


def _candidates(sig: SiteSignals | None, indicator: Indicator) -> list[str]:
    if sig is None or not indicator.concepts:
        return []
    try:
        cands = sig.candidates_any(indicator.concepts)
    except Exception as exc:  # candidate search is a courtesy here; it must not stop the run
        log.warning("candidate search for %s failed: %s", indicator.code, exc)
        return []
    out: list[str] = []
    for c in cands:
        if c.url not in out:
            out.append(c.url)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _not_assessed(indicator: Indicator, rule: str, why: str, candidates: list[str]) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.NOT_ASSESSED, rule=rule, explanation=why, confidence=0.0,
        candidates=candidates, method=Method.HUMAN.value,
    )  # fmt: skip


def assess_indicator(site: Site, indicator: Indicator, sig: SiteSignals | None, load_error: str = "") -> Finding:
    if indicator.rule is None:
        explanation = indicator.guidance or indicator.yes_when or "decided by a person"
        return Finding(
            indicator=indicator.code, verdict=Verdict.NEEDS_REVIEW, rule="none", explanation=explanation,
            confidence=0.0, candidates=_candidates(sig, indicator), method=Method.HUMAN.value,
        )  # fmt: skip
    rule = RULES.get(indicator.rule)
    if rule is None:
        why = f"rule {indicator.rule} is not implemented yet" + (f" ({load_error})" if load_error else "")
        return _not_assessed(indicator, indicator.rule, why, _candidates(sig, indicator))
    try:
        finding = rule.check(site, indicator)
    except Exception as exc:
        log.exception("rule %s failed on indicator %s", rule.id, indicator.code)
        why = f"rule {rule.id} failed: {type(exc).__name__}: {exc}"
        return _not_assessed(indicator, rule.id, why, _candidates(sig, indicator))
    if not isinstance(finding, Finding):
        return _not_assessed(indicator, rule.id, f"rule {rule.id} returned no Finding", [])
    finding.indicator = indicator.code  # a rule shared by several indicators answers for this one
    if sig is not None and finding.verdict in (Verdict.NOT_MET, Verdict.NEEDS_REVIEW):
        _say_what_was_ignored(finding, site, sig, indicator)
    return finding


def _say_what_was_ignored(finding: Finding, site: Site, sig: SiteSignals, indicator: Indicator) -> None:
    """Tell the reviewer of an unproven indicator what looked like it but was set aside: links named for it
    that lead nowhere, and template filler dropped from the pages it was looked for on."""
    notes: list[str] = []
    if indicator.concepts and (dead := sig.dead_links_for(indicator.concepts)):
        labels = ", ".join(f"'{e.snippet}'" for e in dead[:3])
        notes.append(f"{len(dead)} link(s) named for it lead nowhere ({labels})")
        finding.details["dead_links"] = [f"{e.snippet}: {e.note}" for e in dead]
        if finding.verdict == Verdict.NOT_MET and not finding.evidence:
            finding.evidence = dead[:3]
    misleading = [c for concept in indicator.concepts for c in sig.misleading.get(concept, [])]
    if misleading:
        shown = ", ".join(f"'{(c.hits[0].evidence.snippet if c.hits else '')[:40]}' -> {c.url}" for c in misleading[:3])
        notes.append(f"{len(misleading)} link(s) named for it lead to pages that never mention it ({shown})")
        finding.details["misleading_links"] = [c.url for c in misleading[:10]]
        if finding.verdict == Verdict.NOT_MET and not finding.evidence:  # show the reviewer what was set aside
            finding.evidence = [c.hits[0].evidence for c in misleading[:3] if c.hits]
    looked_at = dict.fromkeys([*(e.url for e in finding.evidence), *finding.candidates])
    filler = {url: page.filler[:2] for url in looked_at if (page := site.page(url)) is not None and page.filler}
    if filler:
        notes.append(f"template filler was ignored on {len(filler)} of the pages looked at")
        finding.details["filler_ignored"] = filler
    if notes:
        finding.explanation = f"{finding.explanation}; {'; '.join(notes)}"


def assess_site(site: Site, catalog: Catalog, deadline: Deadline | None = None) -> list[Finding]:
    """One Finding per catalog indicator, in catalog order.

    With a deadline, indicators not reached when it passes are not_assessed with the cap as the reason (a
    rule interrupted by losi.deadline.time_limit reports the cap as its failure)."""
    if catalog.national.sectors:  # a national catalog: sector items on their sector's pages, sites named
        from assessors.country import assess_country_site

        return assess_country_site(site, catalog, deadline)
    if not site.pages:
        why = "no pages were crawled (the portal could not be reached or returned no HTML)"
        rule_of = {i.code: i.rule or "none" for i in catalog.indicators}
        return [_not_assessed(i, rule_of[i.code], why, []) for i in catalog.indicators]
    load_error = ""
    try:
        load_all_rules()
    except Exception as exc:  # a broken rule module: the rules that did register still run
        log.exception("loading the rule modules failed")
        load_error = f"rule modules failed to load: {type(exc).__name__}: {exc}"
    try:
        sig: SiteSignals | None = signals_for(site)
        sig.index_pages()  # every concept over every page once, before the rules ask
    except Exception:
        log.exception("the concept lexicons could not be loaded")
        sig = None
    findings: list[Finding] = []
    for indicator in catalog.indicators:
        if deadline is not None and deadline.expired():
            why = f"not assessed: {deadline.reason} before this indicator was reached"
            findings.append(_not_assessed(indicator, indicator.rule or "none", why, []))
            continue
        findings.append(assess_indicator(site, indicator, sig, load_error))
    return findings
