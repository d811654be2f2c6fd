"""OSI over a country: every item of a national catalog decided over the bundle's sites, sector items on their
sector's view (assessors/bundle.py), each evidence item naming the site it came from.

An item is looked for on the sites its catalog entry names (`sites:`; a sector item on its sector's ministry
too); an item whose `sites` is the national portal alone (its site map, its search, its markup) is decided on
the national portal's pages only. When one of those sites could not be reached and the item was not found
elsewhere, the item is not_assessed with the reason: a 0 would blame the country for our failed crawl.
"""

from __future__ import annotations

from assessors.bundle import BundlePart, BundleSite, role_view, sector_view, single_site_bundle
from assessors.engine import assess_indicator
from assessors.registry import load_all_rules
from assessors.rules.common import NOT_FOUND_CONFIDENCE, not_met, review
from assessors.signals import SiteSignals, signals_for
from assessors.site import Site
from indicators.catalog import Catalog, Indicator
from indicators.national import Sector
from losi.deadline import Deadline
from losi.models import Finding, Method, Verdict

# Rules that read the whole bundle for a sector item (a link from the national portal to the ministry).
BUNDLE_WIDE_RULES = frozenset({"ministry-link"})
DEFAULT_SITES = ("national",)
NATIONAL_ONLY = ("national",)  # `sites: [national]` in the catalog: about the national portal itself


def assess_country_site(site: Site, catalog: Catalog, deadline: Deadline | None = None) -> list[Finding]:
    """One Finding per catalog indicator, in catalog order, over a bundle (or one national portal); with a
    deadline, the indicators not reached when it passes are not_assessed with the cap as the reason."""
    bundle = site if isinstance(site, BundleSite) else single_site_bundle(site)
    if not bundle.pages:
        why = "no site of the bundle could be reached: " + "; ".join(
            f"{p.label()}: {p.reason or 'no pages'}" for p in bundle.parts
        )
        return [_not_assessed(i, why) for i in catalog.indicators]
    load_error = ""
    try:
        load_all_rules()
    except Exception as exc:  # a broken rule module: the rules that did register still run
        load_error = f"rule modules failed to load: {type(exc).__name__}: {exc}"
    sig: SiteSignals | None = signals_for(bundle)
    try:
        sig.index_pages()
    except Exception:
        sig = None
    views: dict[str, Site] = {}
    out: list[Finding] = []
    for indicator in catalog.indicators:
        if deadline is not None and deadline.expired():
            out.append(_not_assessed(indicator, f"not assessed: {deadline.reason} before this indicator was reached"))
            continue
        sector = catalog.national.sector(indicator.sector) if indicator.sector else None
        if sector is not None and indicator.rule not in BUNDLE_WIDE_RULES and sig is not None:
            if sector.code not in views:
                views[sector.code] = sector_view(bundle, sig, sector, catalog.national.sectors)
            view = views[sector.code]
            finding = (assess_indicator(view, indicator, signals_for(view), load_error) if view.pages
                       else _no_sector_pages(bundle, sig, indicator, sector))  # fmt: skip
        elif sector is None and indicator.sites == NATIONAL_ONLY and len(bundle.parts) > 1:
            if "national" not in views:
                views["national"] = role_view(bundle, "national")
            view = views["national"]
            finding = (assess_indicator(view, indicator, signals_for(view), load_error) if view.pages
                       else assess_indicator(bundle, indicator, sig, load_error))  # fmt: skip
        else:
            finding = assess_indicator(bundle, indicator, sig, load_error)
        finding = _unreached(bundle, indicator, finding)
        stamp_sites(bundle, finding)
        out.append(finding)
    return out


def item_parts(bundle: BundleSite, indicator: Indicator) -> list[BundlePart]:
    """The bundle's sites an item is looked for on."""
    roles = indicator.sites or DEFAULT_SITES
    parts = [p for p in bundle.parts if set(p.roles) & (set(roles) - {"ministry"})]
    if indicator.sector and ("ministry" in roles or not indicator.sites):
        parts += [p for p in bundle.parts_with(sector=indicator.sector) if p not in parts]
    return parts


def _unreached(bundle: BundleSite, indicator: Indicator, finding: Finding) -> Finding:
    if finding.verdict == Verdict.MET:
        return finding
    missing = [p for p in item_parts(bundle, indicator) if not p.reached]
    if not missing:
        return finding
    why = "; ".join(f"{p.label()} could not be reached ({p.reason or 'no pages'})" for p in missing)
    finding.details["was"] = {"verdict": finding.verdict.value, "explanation": finding.explanation}
    finding.verdict = Verdict.NOT_ASSESSED
    finding.method = Method.HUMAN.value
    finding.confidence = 0.0
    finding.explanation = f"{why}; on the other sites: {finding.explanation}"
    return finding


def _no_sector_pages(bundle: BundleSite, sig: SiteSignals, indicator: Indicator, sector: Sector) -> Finding:
    """No ministry site for the sector and no page of the other sites about it."""
    looked = [*sig.looked_for(sector.concepts), f"a {sector.name.lower()} ministry site in the bundle (ministries:)"]
    why = (f"nothing speaks for {sector.name.lower()}: the bundle names no ministry for it and no page of its sites "
           "is about it (title, top heading or URL)")  # fmt: skip
    if indicator.rule is None:
        return review(indicator, "none", f"{why}; {indicator.guidance or 'a person decides'}", [], looked_for=looked)
    if bundle.crawl_complete:
        return not_met(indicator, indicator.rule, why, looked, confidence=NOT_FOUND_CONFIDENCE)
    return review(indicator, indicator.rule, f"{why} in the pages read (the crawl stopped at a cap)", [],
                  looked_for=looked)  # fmt: skip


def _not_assessed(indicator: Indicator, why: str) -> Finding:
    return Finding(indicator=indicator.code, verdict=Verdict.NOT_ASSESSED, rule=indicator.rule or "none",
                   explanation=why, confidence=0.0, method=Method.HUMAN.value)  # fmt: skip


def stamp_sites(bundle: BundleSite, finding: Finding) -> None:
    """Name on each evidence item the bundle site it came from."""
    for ev in finding.evidence:
        if not ev.site and (part := bundle.part_of(ev.url)) is not None:
            ev.site = part.id
