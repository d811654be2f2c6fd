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
from assessors.rules.common import met, not_assessed, not_met, param, review, undecided
from losi.models import Evidence, Finding, Method

if TYPE_CHECKING:
    from assessors.site import Site
    from indicators.catalog import Indicator

MAX_EVIDENCE = 30
SEARCH_FIELD_NAMES = frozenset({"q", "query", "search", "s", "keyword", "keywords", "searchword"})
SLIGHT_OVERFLOW_PX = 16  # at phone width, overflow this small from ...
SLIGHT_OVERFLOW_ELEMENTS = 2  # ... this few elements is not a fixed-width page (both figures are recorded)


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
    slight = ""
    if m.get("horizontal_scroll"):
        overflow_px, roots = int(m.get("overflow_px") or 0), m.get("overflow_roots")
        wide = f"horizontal scroll at {width}px: the page is {phone.get('scroll_width')}px wide"
        if roots is not None and overflow_px <= SLIGHT_OVERFLOW_PX and roots <= SLIGHT_OVERFLOW_ELEMENTS:
            # a person sees a reflowing page with one element a few pixels too wide, not a fixed-width page
            which = ", ".join(m.get("overflowing") or [])
            slight = f"; {wide}, only {roots} element(s) stick out by {overflow_px}px ({which})"
        else:
            failures.append(f"{wide}" + (f" ({roots} element(s) stick out, up to {overflow_px}px)" if roots else ""))
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
    details = {k: m.get(k) for k in ("viewport_meta", "horizontal_scroll", "min_font_px", "small_text_share",
                                     "overflow_px", "overflow_roots", "overflowing", "clipped_x")}  # fmt: skip
    details["scroll_width"] = phone.get("scroll_width")
    details["screenshot_desktop"] = m.get("screenshot_desktop", "")
    if failures:
        return not_met(
            indicator, rid, "Not mobile-friendly: " + "; ".join(failures),
            ["meta[name=viewport] with width=device-width", f"document scrollWidth <= {width}px",
             f"visible text >= {MIN_READABLE_PX}px"],
            confidence=0.9, details=details, evidence=evidence, method=Method.BROWSER,
        )  # fmt: skip
    scroll = "no horizontal scroll" if not slight else "no real horizontal scroll"
    return met(
        indicator, rid, f"Responsive: device-width viewport, {scroll} at {width}px, readable text{slight}",
        evidence, 0.9 if not slight else 0.8, details=details, method=Method.BROWSER,
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
        elif any({f.name.lower(), f.id.lower()} & SEARCH_FIELD_NAMES for f in form.fields):
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
    details = {k: s.get(k) for k in ("query", "result_url", "status", "hits", "hits_on_home", "occurrences",
                                     "nothing_found")}  # fmt: skip
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
    said = f"; the page says '{s['nothing_found'][0]}'" if s.get("nothing_found") else ""
    return not_met(
        indicator, rid,
        f"A search box exists but searching {s.get('query')!r} returned no results "
        f"(HTTP {s.get('status')}, {s.get('hits')} matching links{said})",
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
        return undecided(
            site, indicator, rid, f"A page looks like a sitemap but links to only {count} pages (wanted {needed})",
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
    left_out = v.get("stylesheets_not_checked", [])
    details = {"css_errors": v.get("css_errors", 0), "stylesheets": sheets, "unreadable": unreadable,
               "not_checked": left_out}  # fmt: skip
    if v.get("css_errors", 0):
        evidence = [e for d in docs for e in _vnu_messages(site, d, css=True)]
        return not_met(indicator, rid, f"{v['css_errors']} CSS errors in the home page's styles",
                       ["CSS validator errors"], confidence=0.9, details=details,
                       evidence=evidence[:MAX_EVIDENCE])  # fmt: skip
    if unreadable or left_out:
        why = f"{len(unreadable)} stylesheets could not be read" if unreadable else ""
        why += ("; " if why else "") + (f"{len(left_out)} were left out (more than the cap)" if left_out else "")
        return review(indicator, rid, f"No CSS errors in {len(sheets)} stylesheets, but {why}",
                      [*unreadable, *left_out][:8], confidence=0.5, details=details)  # fmt: skip
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
    "violations with their selectors are the evidence. A header, navigation or footer identical (HTML and computed "
    "style) on several pages is checked on the first page that shows it and left out on the others, which name "
    "that page. Our own language checks (losi-lang-*) found with no axe violation give needs_review.",
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
        "template_left_out": {p["url"]: p["template_excluded"] for p in pages if p.get("template_excluded")},
    }  # fmt: skip
    template_note = ""
    if details["template_left_out"]:
        template_note = (f"; the page template was checked once, on its first page, and left out on "
                         f"{len(details['template_left_out'])} later pages")
    evidence = [
        Evidence(url=p["url"], selector=_target(n), snippet=n.get("html", ""),
                 note=f"{v['id']} ({v.get('impact')}): {v.get('help')}"[:300])
        for p in pages for v in p.get("violations", []) for n in v.get("nodes", [])[:3]
    ][:MAX_EVIDENCE]  # fmt: skip
    if evidence:
        return not_met(
            indicator, rid,
            f"{details['violations']} WCAG 2.1 A/AA violations ({details['violation_nodes']} elements) "
            f"on {sum(1 for p in pages if p.get('violation_count'))} of {len(pages)} pages{template_note}",
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
        f"No WCAG 2.1 A/AA violations found by axe-core {a.get('axe_version')} on {len(pages)} pages{template_note}",
        [Evidence(url=p["url"], selector="html", note="axe-core WCAG 2.1 A/AA",
                  snippet=f"0 violations, {p.get('passes_count', 0)} rules passed") for p in pages],
        0.8, details=details, method=Method.BROWSER,
    )  # fmt: skip


# --------------------------------------------------------------------------- #201 browsers


@rule(
    "browser-compat",
    "The home page works in the three most popular browsers",
    "Reads the 'browsers' probe: the home page rendered in Chromium, Firefox (Gecko) and WebKit. With at least "
    "params.engines (3) engines checked it compares each with Chromium: not_met when the page fails to load in an "
    "engine, shows console errors Chromium does not, overflows horizontally only there, or its scroll width, "
    "scroll height or visible text length differs from Chromium's by more than params.max_size_diff_share / "
    "params.max_text_diff_share (and more than params.min_px_diff / params.min_text_diff absolutely). With fewer "
    "engines it is needs_review, saying what was checked.",
    needs_browser=True,
)
def browser_compat(site: Site, indicator: Indicator) -> Finding:
    rid = "browser-compat"
    b, why = _probe(site, "browsers")
    if b is None:
        return not_assessed(indicator, rid, why)
    engines: dict[str, dict[str, Any]] = b.get("engines", {})
    url = b.get("url") or site.home_url
    ok = [e for e in engines if "error" not in engines[e]]
    failed = [e for e in engines if "error" in engines[e] and not engines[e].get("missing")]
    checked = ok + failed
    evidence = [_compat_evidence(url, n, engines[n]) for n in ok]
    details = {"engines": engines, "checked": checked, "not_installed": [e for e in engines if e not in checked]}
    needed = int(param(indicator, "engines", 3))
    base = engines.get("chromium", {})
    if len(checked) < needed or "chromium" not in ok:
        missing = "; ".join(f"{e}: {engines[e]['error']}" for e in engines if e not in ok)
        return review(
            indicator, rid,
            f"Only {', '.join(ok) or 'no engine'} rendered the page here ({len(ok)} of {needed} browsers)"
            + (f" ({missing})" if missing else "") + "; check the other browsers by hand",
            [url], evidence, confidence=0.4, details=details,
        )  # fmt: skip
    limits = {
        "size": float(param(indicator, "max_size_diff_share", 0.2)),
        "text": float(param(indicator, "max_text_diff_share", 0.2)),
        "min_px": float(param(indicator, "min_px_diff", 50)),
        "min_text": float(param(indicator, "min_text_diff", 40)),
    }
    problems = [f"{e}: the page did not load ({engines[e]['error']})" for e in failed]
    for name in ok:
        if name != "chromium":
            problems += [f"{name}: {p}" for p in _compat_differences(base, engines[name], limits)]
    looked_for = [
        f"page load in {', '.join(checked)}",
        "console errors and uncaught exceptions not seen in Chromium",
        "horizontal overflow at the desktop width not seen in Chromium",
        f"scroll width/height differing from Chromium's by more than {limits['size']:.0%} "
        f"(and {limits['min_px']:.0f}px)",
        f"visible text length differing by more than {limits['text']:.0%} (and {limits['min_text']:.0f} chars)",
    ]
    if problems:
        return not_met(indicator, rid, "Compared with Chromium: " + "; ".join(problems), looked_for, confidence=0.7,
                       details=details, evidence=evidence, method=Method.BROWSER)  # fmt: skip
    shared = len(base.get("console_errors") or [])
    return met(
        indicator, rid,
        f"The home page rendered alike in {', '.join(ok)}: no console errors beyond Chromium's ({shared}), "
        "no engine-only overflow, sizes and text within the thresholds",
        evidence, 0.75, details=details, method=Method.BROWSER,
    )  # fmt: skip


def _compat_evidence(url: str, name: str, info: dict[str, Any]) -> Evidence:
    lay = info.get("layout") or {}
    size = f"{lay.get('scroll_width', info.get('layout_width'))}x{lay.get('scroll_height', '?')}px"
    return Evidence(
        url=url, selector="html", screenshot=str(info.get("screenshot", "")),
        snippet=f"{name}: page {size}, {lay.get('text_chars', '?')} visible text chars, {lay.get('links', '?')} "
                f"links, {lay.get('images', '?')} images, {len(info.get('console_errors') or [])} console errors",
        note=f"home page rendered in {info.get('version') or name}; screenshot {info.get('screenshot', '')}",
    )  # fmt: skip


def _compat_error_key(message: str) -> str:
    """An error message without the engine's wording around it ("Uncaught TypeError: x" -> "x")."""
    text = message.strip().lower()
    for prefix in ("uncaught ", "(in promise) ", "unhandled rejection: "):
        text = text.removeprefix(prefix)
    head, sep, rest = text.partition(": ")
    return rest if sep and head.endswith("error") and " " not in head else text


def _compat_differences(base: dict[str, Any], other: dict[str, Any], limits: dict[str, float]) -> list[str]:
    """What differs in other from Chromium (base), described for a person."""
    out = []
    known = [_compat_error_key(e) for e in base.get("console_errors") or []]
    new = [e for e in other.get("console_errors") or []
           if not any(k and (k in _compat_error_key(e) or _compat_error_key(e) in k) for k in known)]  # fmt: skip
    if new:
        out.append(f"{len(new)} console error(s) not seen in Chromium: {new[0][:120]!r}")
    a, b = base.get("layout") or {}, other.get("layout") or {}
    if not a or not b:
        return out
    if b.get("horizontal_overflow") and not a.get("horizontal_overflow"):
        out.append(f"horizontal overflow ({b.get('scroll_width')}px wide at {b.get('inner_width')}px) not in Chromium")
    for key, what, share, floor in (("scroll_width", "scroll width", limits["size"], limits["min_px"]),
                                    ("scroll_height", "scroll height", limits["size"], limits["min_px"]),
                                    ("text_chars", "visible text length", limits["text"], limits["min_text"])):
        x, y = float(a.get(key) or 0), float(b.get(key) or 0)
        if abs(x - y) > floor and abs(x - y) > share * max(x, 1.0):
            out.append(f"{what} {y:.0f} vs {x:.0f} in Chromium")
    return out


# --------------------------------------------------------------------------- HTTPS (OSI #074)


@rule(
    "https",
    "The portal is served over HTTPS with a certificate the browser accepts",
    "Reads the 'https' probe (the home page loaded in Chromium). met when the home page ends up on https:// with "
    "a certificate Chromium accepted and, unless params.allow_mixed_content, no resource loaded over plain http. "
    "not_met names the failure: plain http, the browser's certificate error (net::ERR_CERT_...), or the mixed "
    "content. HSTS and the certificate's issuer and expiry are recorded as evidence either way.",
    needs_browser=True,
)
def https_valid(site: Site, indicator: Indicator) -> Finding:
    rid = "https"
    h, why = _probe(site, "https")
    if h is None:
        return not_assessed(indicator, rid, why)
    url = site.home_url
    cert = h.get("certificate") or {}
    mixed = int(h.get("mixed_content_count") or 0)
    hsts = h.get("hsts") or ""
    snippet = (
        f"scheme {h.get('scheme')}; certificate "
        + (f"issued by {cert.get('issuer')!r} to {cert.get('subjectName')!r}, valid until {cert.get('validTo')}"
           if cert else "none")
        + f"; HSTS: {hsts or 'not sent'}; {mixed} resources over plain http"
    )  # fmt: skip
    evidence = [Evidence(url=url, selector="html", snippet=snippet, note="home page loaded in Chromium")]
    details = {k: h.get(k) for k in ("scheme", "status", "hsts", "certificate", "mixed_content_count")}
    details["mixed_content"] = (h.get("mixed_content") or [])[:MAX_EVIDENCE]
    looked_for = ["home page on https://", "a certificate the browser accepts", "no resources over plain http"]
    if h.get("scheme") != "https":
        return not_met(indicator, rid, f"The home page is served over {h.get('scheme') or 'an unknown scheme'}, "
                       "not HTTPS", looked_for, confidence=0.9, details=details, evidence=evidence,
                       method=Method.BROWSER)  # fmt: skip
    if not cert:
        why = "The home page is on https:// but the browser reported no certificate details; check it by hand"
        return review(indicator, rid, why, [url], evidence, looked_for, details=details)
    if cert.get("valid") is False:
        why = f"The browser refused the certificate: {cert.get('error')}"
        return not_met(indicator, rid, why, looked_for, 0.9, details=details, evidence=evidence, method=Method.BROWSER)
    if mixed and not param(indicator, "allow_mixed_content", False):
        first = ", ".join(details["mixed_content"][:3])
        why = f"{mixed} resources of the HTTPS home page load over plain http: {first}"
        return not_met(indicator, rid, why, looked_for, 0.8, details=details, evidence=evidence, method=Method.BROWSER)
    why = "The home page is served over HTTPS with a certificate the browser accepts" + ("" if hsts else " (no HSTS)")
    return met(indicator, rid, why, evidence, 0.9, details=details, method=Method.BROWSER)
