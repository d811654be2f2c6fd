"""Technology and accessibility rules (LOSI #201, #204-#210), decided from the live-browser probes.

The probes (assessors/probes.py) run once per portal and are stored in probes.json; these rules only read
site.probes, so a run can be re-assessed without a browser. A missing probe gives not_assessed with the
reason; #205 (sitemap) and the #206 fallback read the crawled pages.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from assessors.probes import MIN_READABLE_PX, PHONE, find_terms, url_matches
from assessors.registry import rule
from assessors.rules.common import met, not_assessed, not_met, param, review
from losi.models import Evidence, Finding, Method

if TYPE_CHECKING:
    from assessors.site import Site
    from indicators.catalog import Indicator

MAX_EVIDENCE = 30
SEARCH_FIELD_NAMES = ("q", "query", "search", "s", "keyword", "keywords", "searchword")


def _probe(site: Site, name: str) -> tuple[dict[str, Any] | None, str]:
    """The probe's data, or None and why it cannot be used."""
    data = site.probes.get(name) if site.probes else None
    if data is None:
        return None, f"the {name!r} browser probe was not run for this portal"
    if not isinstance(data, dict):
        return None, f"the {name!r} probe result is malformed"
    if "error" in data:
        return None, f"the {name!r} probe failed: {data['error']}"
    return data, ""


# --------------------------------------------------------------------------- #204 mobile


@rule(
    "mobile-friendly",
    "The home page works at phone width (responsive design)",
    "Reads the 'mobile' probe (home page at 390x844, mobile emulation). met when the page has a viewport meta "
    "with width=device-width, no horizontal scroll at phone width, and readable text (at most "
    "params.max_small_text_share, default 5 %, of the visible text below 12 px). not_met names the failures.",
    needs_browser=True,
)
def mobile_friendly(site: Site, indicator: Indicator) -> Finding:
    rid = "mobile-friendly"
    m, why = _probe(site, "mobile")
    if m is None:
        return not_assessed(indicator, rid, why)
    max_share = float(param(indicator, "max_small_text_share", 0.05))
    phone = m.get("phone") or {}
    width = (m.get("viewport") or PHONE)["width"]
    min_px = m.get("min_font_px")
    share = float(m.get("small_text_share") or 0.0)
    failures = []
    if not m.get("device_width"):
        failures.append(f"no viewport meta with width=device-width (found: {m.get('viewport_meta')!r})")
    if m.get("horizontal_scroll"):
        failures.append(f"horizontal scroll at {width}px: the page is {phone.get('scroll_width')}px wide")
    if share > max_share:
        failures.append(f"{share:.0%} of the text is smaller than {MIN_READABLE_PX}px (smallest {min_px}px)")
    url = site.home_url
    evidence = [
        Evidence(
            url=url,
            selector='meta[name="viewport"]' if m.get("viewport_meta") is not None else "html",
            snippet=f"viewport meta: {m.get('viewport_meta')!r}; width at {width}px: {phone.get('scroll_width')}px; "
            f"smallest text {min_px}px",
            screenshot=m.get("screenshot_phone", ""),
            note=f"home page rendered at phone width ({width}px)",
        )
    ]
    details = {k: m.get(k) for k in ("viewport_meta", "horizontal_scroll", "min_font_px", "small_text_share")}
    details["scroll_width"] = phone.get("scroll_width")
    details["screenshot_desktop"] = m.get("screenshot_desktop", "")
    if failures:
        return not_met(
            indicator, rid, "Not mobile-friendly: " + "; ".join(failures),
            ["meta[name=viewport] with width=device-width", f"document scrollWidth <= {width}px",
             f"visible text >= {MIN_READABLE_PX}px"],
            confidence=0.9, details=details, evidence=evidence, method=Method.BROWSER,
        )  # fmt: skip
    return met(
        indicator, rid, f"Responsive: device-width viewport, no horizontal scroll at {width}px, readable text",
        evidence, 0.9, details=details, method=Method.BROWSER,
    )  # fmt: skip


# --------------------------------------------------------------------------- #206 search box


def _static_search_forms(site: Site) -> list[tuple[Any, str]]:
    home = site.home
    found = []
    for form in home.forms if home else []:
        how = ""
        if form.role == "search":
            how = "form[role=search]"
        elif any(f.type == "search" for f in form.fields):
            how = "input[type=search]"
        elif any(f.name.lower() in SEARCH_FIELD_NAMES for f in form.fields):
            how = "input named like a search field"
        else:
            labels = " ".join([form.submit_text, *(f.label for f in form.fields)])
            terms = find_terms("search", labels)
            if terms:
                how = f"lexicon: {', '.join(terms)}"
            elif url_matches("search", form.action):
                how = "action URL matches the search concept"
        if how:
            found.append((form, how))
    return found


@rule(
    "search-box",
    "A search box on the home page that returns results for a one-word search",
    "Reads the 'search' probe: the home page's search box (input[type=search], role=search, a field named "
    "q/query/search/s, or labels matching the 'search' concept) was filled with a frequent word of the "
    "portal's titles and submitted. met only when results came back; a box whose search fails is not_met. "
    "Without the probe, the home page's parsed forms are checked (needs_review, confidence 0.6).",
    needs_browser=True,
)
def search_box(site: Site, indicator: Indicator) -> Finding:
    rid = "search-box"
    s, why = _probe(site, "search")
    looked_for = ["input[type=search]", "[role=search] input", "input[name=q|query|search|s]",
                  "labels/placeholder/button text of the 'search' concept"]  # fmt: skip
    url = site.home_url
    if s is None:
        forms = _static_search_forms(site)
        if not site.home:
            return not_assessed(indicator, rid, why + "; and no home page was crawled")
        if not forms:
            return not_met(indicator, rid, f"No search form in the home page's HTML ({why})", looked_for,
                           confidence=0.5, details={"probe": why})  # fmt: skip
        form, how = forms[0]
        return review(
            indicator, rid,
            f"A search form is in the home page's HTML ({how}) but the search was not tried live ({why})",
            [url], [Evidence(url=url, selector=form.selector, snippet=f"form action={form.action}", note=how)],
            confidence=0.6, details={"probe": why},
        )  # fmt: skip
    if not s.get("found"):
        return not_met(indicator, rid, "No search box found on the rendered home page",
                       s.get("looked_for") or looked_for, confidence=0.8, method=Method.BROWSER)  # fmt: skip
    box = s.get("box") or {}
    box_ev = Evidence(url=url, selector=box.get("selector", ""), snippet=box.get("html", ""),
                      note=f"search box ({box.get('how', '')})")  # fmt: skip
    details = {k: s.get(k) for k in ("query", "result_url", "status", "hits", "hits_on_home", "occurrences")}
    if "error" in s or "results" not in s:
        return review(indicator, rid, f"A search box is present but was not tested: {s.get('error')}", [url],
                      [box_ev], confidence=0.5, details=details)  # fmt: skip
    result_ev = Evidence(
        url=s.get("result_url", ""), selector="body",
        snippet=f"searched {s.get('query')!r}: HTTP {s.get('status')}, {s.get('hits')} result links mention it",
        screenshot=s.get("screenshot", ""), note="page shown after submitting the one-word search",
    )  # fmt: skip
    sample = [Evidence(url=h["href"], snippet=h["text"], note="a search result") for h in s.get("sample", [])[:3]]
    if s.get("results"):
        return met(
            indicator, rid, f"The home page search returned {s.get('hits')} results for {s.get('query')!r}",
            [box_ev, result_ev, *sample], 0.9, details=details, method=Method.BROWSER,
        )  # fmt: skip
    return not_met(
        indicator, rid,
        f"A search box exists but searching {s.get('query')!r} returned no results "
        f"(HTTP {s.get('status')}, {s.get('hits')} matching links)",
        [f"result links mentioning {s.get('query')!r} outside header/nav/footer"],
        confidence=0.8, details=details, evidence=[box_ev, result_ev], method=Method.BROWSER,
    )  # fmt: skip


# --------------------------------------------------------------------------- #207 advanced search


@rule(
    "advanced-search",
    "The search offers advanced options (exact phrase, date range, section, language, sorting, filters)",
    "Reads the 'advanced-search' probe: the search form on the result page (the one echoing the query, or a "
    "role=search form) and an 'advanced search' page linked from it (found with the 'advanced-search' "
    "concept). met when it has refining controls (selects, date inputs, checkboxes, radios, extra text "
    "fields) or labels matching the concept.",
    needs_browser=True,
)
def advanced_search(site: Site, indicator: Indicator) -> Finding:
    rid = "advanced-search"
    search, why = _probe(site, "search")
    if search is None:
        return not_assessed(indicator, rid, why)
    if not search.get("found"):
        return not_met(indicator, rid, "No search box on the home page, so no advanced search",
                       ["a search box on the home page"], confidence=0.7, method=Method.BROWSER)  # fmt: skip
    a, why = _probe(site, "advanced-search")
    if a is None:
        return not_assessed(indicator, rid, why)
    controls = {k: v for k, v in (a.get("controls") or {}).items() if v}
    terms = a.get("terms") or []
    forms = a.get("forms") or []
    page_url = (a.get("pages") or [search.get("result_url", "")])[-1]
    looked_for = ["select, input[type=date], checkbox, radio in the search form",
                  "labels or links of the 'advanced-search' concept"]  # fmt: skip
    if controls or terms:
        form = next((f for f in forms if any(f["controls"].get(k) for k in ("select", "date", "checkbox", "radio"))
                     or find_terms("advanced-search", f.get("labels", ""))), forms[0] if forms else {})
        listed = ", ".join(f"{v} {k}" for k, v in controls.items())
        return met(
            indicator, rid, f"The search offers refining options: {listed or ', '.join(terms)}",
            [Evidence(url=page_url, selector=form.get("selector", "form"), snippet=form.get("labels", "")[:300],
                      note="search form with refining options")],
            0.75, details={"controls": controls, "terms": terms}, method=Method.BROWSER,
        )  # fmt: skip
    return not_met(
        indicator, rid, "The search has no advanced options (one text field only)", looked_for, confidence=0.7,
        candidates=a.get("pages", []), details={"pages": a.get("pages", [])}, method=Method.BROWSER,
    )  # fmt: skip


# --------------------------------------------------------------------------- #205 sitemap


@rule(
    "sitemap",
    "An HTML sitemap page listing the site's pages",
    "A crawled page whose title or headings match the 'sitemap' concept (or whose URL matches its patterns) "
    "and that links to many pages of the site (params.min_links, default 20, capped at half the crawled "
    "pages). sitemap.xml is reported in details but does not count: the indicator asks for a page.",
)
def sitemap(site: Site, indicator: Indicator) -> Finding:
    rid = "sitemap"
    min_links = int(param(indicator, "min_links", 20))
    needed = max(3, min(min_links, math.ceil(0.5 * len(site.pages))))
    xml, _ = _probe(site, "sitemap-xml")
    details: dict[str, Any] = {"links_needed": needed, "sitemap_xml": (xml or {}).get("found", None)}
    candidates = []
    for page in site.pages:
        terms = find_terms("sitemap", f"{page.title} {page.heading_text()}")
        if not terms and not url_matches("sitemap", page.url_key):
            continue
        internal = {link.url for link in page.links if link.internal and link.url != page.url_key}
        candidates.append((len(internal), page, terms))
    candidates.sort(key=lambda c: -c[0])
    looked_for = ["title/headings of the 'sitemap' concept", "URL patterns of the 'sitemap' concept",
                  f">= {needed} internal links on that page"]  # fmt: skip
    if candidates and candidates[0][0] >= needed:
        count, page, terms = candidates[0]
        heading = next((h for h in page.headings if find_terms("sitemap", h.text)), None)
        return met(
            indicator, rid, f"HTML sitemap page linking to {count} pages of the site",
            [Evidence(url=page.url_key, selector=f"h{heading.level}" if heading else "title",
                      snippet=heading.text if heading else page.title,
                      note=f"matched {', '.join(terms) or 'URL pattern'}; {count} internal links")],
            0.85, details={**details, "links": count},
        )  # fmt: skip
    if candidates:
        count, page, _terms = candidates[0]
        return review(
            indicator, rid, f"A page looks like a sitemap but links to only {count} pages (wanted {needed})",
            [c[1].url_key for c in candidates[:5]], looked_for=looked_for, confidence=0.5, details=details,
        )  # fmt: skip
    linked = [link.url for _p, link in site.all_links()
              if link.internal and (find_terms("sitemap", link.label) or url_matches("sitemap", link.url))]
    if linked:
        return review(indicator, rid, "A link to a sitemap page exists but the page was not crawled",
                      sorted(set(linked))[:5], looked_for=looked_for, confidence=0.5, details=details)  # fmt: skip
    return not_met(indicator, rid, "No HTML sitemap page found among the crawled pages", looked_for,
                   confidence=0.7, details=details)  # fmt: skip


# --------------------------------------------------------------------------- #208 / #209 validity


def _vnu_messages(site: Site, doc: dict[str, Any], css: bool) -> list[Evidence]:
    out = []
    for msg in doc.get("messages", []):
        if msg.get("type") == "error" and bool(msg.get("css")) == css:
            out.append(Evidence(url=doc.get("url", ""), snippet=msg.get("extract", ""),
                                note=f"line {msg.get('line')}: {msg.get('message', '')}"[:300]))  # fmt: skip
    return out


@rule(
    "markup-validity",
    "The home page's HTML has no errors in the Nu HTML Checker",
    "Reads the 'vnu' probe (vnu.jar, offline, on the home page's HTML as fetched). Any error means not_met, "
    "as the W3C validator's 'errors' do in the survey; the messages are the evidence.",
)
def markup_validity(site: Site, indicator: Indicator) -> Finding:
    rid = "markup-validity"
    v, why = _probe(site, "vnu")
    if v is None:
        return not_assessed(indicator, rid, why)
    html_docs = [d for d in v.get("documents", []) if d.get("kind") == "html"]
    if not html_docs:
        return not_assessed(indicator, rid, "the home page's HTML was not validated")
    doc = html_docs[0]
    details = {"errors": doc.get("errors", 0), "warnings": doc.get("warnings", 0), "vnu_version": v.get("vnu_version")}
    if doc.get("errors", 0):
        return not_met(
            indicator, rid, f"The home page has {doc['errors']} markup errors (Nu HTML Checker)",
            ["Nu HTML Checker errors"], confidence=0.95, details=details,
            evidence=_vnu_messages(site, doc, css=False)[:MAX_EVIDENCE],
        )  # fmt: skip
    return met(
        indicator, rid, "The home page's markup has no errors (Nu HTML Checker)",
        [Evidence(url=doc.get("url", ""), selector="html",
                  snippet=f"vnu {v.get('vnu_version')}: 0 errors, {doc.get('warnings', 0)} warnings",
                  note="validated offline as fetched")],
        0.95, details=details,
    )  # fmt: skip


@rule(
    "css-validity",
    "The home page's CSS has no errors",
    "Reads the 'vnu' probe: the home page's stylesheets and <style> contents checked by the Nu checker's CSS "
    "validator. Any CSS error means not_met; unreadable stylesheets with no error found give needs_review.",
)
def css_validity(site: Site, indicator: Indicator) -> Finding:
    rid = "css-validity"
    v, why = _probe(site, "vnu")
    if v is None:
        return not_assessed(indicator, rid, why)
    docs = v.get("documents", [])
    sheets = [d.get("url", "") for d in docs if d.get("kind") == "css"]
    unreadable = v.get("stylesheets_unreadable", [])
    details = {"css_errors": v.get("css_errors", 0), "stylesheets": sheets, "unreadable": unreadable}
    if v.get("css_errors", 0):
        evidence = [e for d in docs for e in _vnu_messages(site, d, css=True)]
        return not_met(indicator, rid, f"{v['css_errors']} CSS errors in the home page's styles",
                       ["CSS validator errors"], confidence=0.9, details=details,
                       evidence=evidence[:MAX_EVIDENCE])  # fmt: skip
    if unreadable:
        return review(indicator, rid, f"No CSS errors, but {len(unreadable)} stylesheets could not be read",
                      unreadable, confidence=0.5, details=details)  # fmt: skip
    url = site.home_url
    return met(
        indicator, rid, f"No CSS errors in {len(sheets)} stylesheets and the page's own styles",
        [Evidence(url=u, selector='link[rel="stylesheet"]', snippet="0 CSS errors", note="validated offline")
         for u in sheets] or [Evidence(url=url, selector="style", snippet="0 CSS errors in inline styles")],
        0.9, details=details,
    )  # fmt: skip


# --------------------------------------------------------------------------- #210 accessibility


def _target(node: dict[str, Any]) -> str:
    parts = []
    for t in node.get("target", []):
        parts.append(" >>> ".join(t) if isinstance(t, list) else str(t))
    return ", ".join(parts)


@rule(
    "accessibility-wcag",
    "No WCAG 2.1 A/AA violations on the home page and key pages",
    "Reads the 'axe' probe: axe-core with tags wcag2a, wcag2aa, wcag21a, wcag21aa on the home page and key "
    "pages (navigation links, one page per section). met only with no violation on any page checked; the "
    "violations with their selectors are the evidence. Our own language checks (losi-lang-*) found with no "
    "axe violation give needs_review.",
    needs_browser=True,
)
def accessibility_wcag(site: Site, indicator: Indicator) -> Finding:
    rid = "accessibility-wcag"
    a, why = _probe(site, "axe")
    if a is None:
        return not_assessed(indicator, rid, why)
    pages = [p for p in a.get("pages", []) if "error" not in p]
    if not pages:
        return not_assessed(indicator, rid, "axe could not check any page: "
                             + "; ".join(p.get("error", "") for p in a.get("pages", []))[:300])
    details = {
        "axe_version": a.get("axe_version"), "pages_checked": len(pages), "violations": a.get("violations_total", 0),
        "violation_nodes": a.get("violation_nodes_total", 0), "rules": a.get("rules", {}),
        "per_page": {p["url"]: p.get("violation_count", 0) for p in pages},
        "pages_failed": [p["url"] for p in a.get("pages", []) if "error" in p],
    }  # fmt: skip
    evidence = [
        Evidence(url=p["url"], selector=_target(n), snippet=n.get("html", ""),
                 note=f"{v['id']} ({v.get('impact')}): {v.get('help')}"[:300])
        for p in pages for v in p.get("violations", []) for n in v.get("nodes", [])[:3]
    ][:MAX_EVIDENCE]  # fmt: skip
    if evidence:
        return not_met(
            indicator, rid,
            f"{details['violations']} WCAG 2.1 A/AA violations ({details['violation_nodes']} elements) "
            f"on {sum(1 for p in pages if p.get('violation_count'))} of {len(pages)} pages",
            [f"axe-core {a.get('axe_version')} rules tagged wcag2a/wcag2aa/wcag21a/wcag21aa"],
            confidence=0.95, details=details, evidence=evidence, method=Method.BROWSER,
        )  # fmt: skip
    own = [(p["url"], c) for p in pages for c in p.get("losi_checks", []) if c.get("result") == "violation"]
    if own:
        return review(
            indicator, rid, f"axe found no violation, but {len(own)} pages failed our language checks",
            sorted({u for u, _ in own}),
            [Evidence(url=u, selector="html", snippet=c.get("help", ""), note=c["id"]) for u, c in own[:10]],
            confidence=0.6, details=details,
        )  # fmt: skip
    return met(
        indicator, rid,
        f"No WCAG 2.1 A/AA violations found by axe-core {a.get('axe_version')} on {len(pages)} pages",
        [Evidence(url=p["url"], selector="html", note="axe-core WCAG 2.1 A/AA",
                  snippet=f"0 violations, {p.get('passes_count', 0)} rules passed") for p in pages],
        0.8, details=details, method=Method.BROWSER,
    )  # fmt: skip


# --------------------------------------------------------------------------- #201 browsers


@rule(
    "browser-compat",
    "The home page works in the three most popular browsers",
    "Reads the 'browsers' probe: the home page rendered in every engine installed here, with console errors "
    "and layout width per engine. With fewer than three engines it is needs_review, saying what was checked.",
    needs_browser=True,
)
def browser_compat(site: Site, indicator: Indicator) -> Finding:
    rid = "browser-compat"
    b, why = _probe(site, "browsers")
    if b is None:
        return not_assessed(indicator, rid, why)
    engines = b.get("engines", {})
    ok = [e for e in b.get("available", []) if "error" not in engines.get(e, {})]
    problems = []
    for name in ok:
        info = engines[name]
        if info.get("console_errors"):
            problems.append(f"{name}: {len(info['console_errors'])} console errors")
    url = site.home_url
    evidence = [Evidence(url=url, selector="html",
                         snippet=f"{n}: layout width {engines[n].get('layout_width')}px, "
                                 f"{len(engines[n].get('console_errors', []))} console errors",
                         note=f"rendered in {n}") for n in ok]  # fmt: skip
    details = {"engines": engines, "checked": b.get("checked", [])}
    needed = int(param(indicator, "engines", 3))
    if len(ok) < needed:
        return review(
            indicator, rid,
            f"Only {', '.join(ok) or 'no engine'} available here ({len(ok)} of {needed} browsers); "
            + ("; ".join(problems) if problems else "no console errors") + "; check the other browsers by hand",
            [url], evidence, confidence=0.4, details=details,
        )  # fmt: skip
    if problems:
        return not_met(indicator, rid, "; ".join(problems), ["console errors per engine"], confidence=0.6,
                       details=details, evidence=evidence, method=Method.BROWSER)  # fmt: skip
    return met(indicator, rid, f"Rendered without console errors in {', '.join(ok)}", evidence, 0.7,
               details=details, method=Method.BROWSER)  # fmt: skip
