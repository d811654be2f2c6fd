"""Content-provision rules: contact details, concept pages and documents, news, events, languages, apps."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from assessors.registry import rule
from assessors.rules.common import (
    WHOLE_SITE_NOTE,
    candidate_urls,
    concepts_or_error,
    decide_by_candidates,
    describe,
    met,
    negative_statement,
    not_met,
    param,
    review,
    undecided,
    worth_a_look,
)
from assessors.signals import (
    CHROME_REGIONS,
    REVIEW_SCORE,
    Candidate,
    SiteSignals,
    email_addresses,
    host,
    load_data,
    phone_numbers,
    searched_text,
    signals_for,
    url_key,
)
from assessors.site import Site
from indicators.catalog import Indicator
from indicators.language import language_is_evident, language_versions
from losi.hosts import first_domain_of
from losi.models import Evidence, Finding, PageDoc
from losi.portal_cache import portal_cache

MIN_LANGUAGE_TEXT = 200  # characters of main text before a page's detected language is trusted


def page_day(page: PageDoc) -> date:
    """The day the page was fetched (dates on it are judged against that day)."""
    try:
        return date.fromisoformat(page.fetched_at[:10])
    except ValueError:
        return date.today()


def contact_facts(page: PageDoc) -> list[Evidence]:
    """Phone numbers, e-mail addresses and message forms on a page."""
    facts = [ev for _, ev in phone_numbers(page)[:2]] + [ev for _, ev in email_addresses(page)[:2]]
    for form in page.forms:
        if form.role != "search" and form.has_free_text() and form.sendable:
            facts.append(Evidence(page.url_key, form.selector, form.submit_text or "form", note="message form"))
    return facts


# --------------------------------------------------------------------------- contact details (#214)


@rule(
    "contact-details",
    "The portal has a contact page or section with a phone number, e-mail, postal address or contact form.",
    "Finds contact pages from link text, URL slugs and page titles/headings (concepts of the indicator), "
    "then looks on them for tel:/mailto: links, phone numbers and e-mail addresses in the text, and message "
    "forms that can send. met: such a page has at least one of them; template placeholders (+1 5589 55488 55, "
    "youremail@domain.com) and pages saying their details are illustrative do not count; a home page footer "
    "with phone/e-mail links counts as a contact section. " + WHOLE_SITE_NOTE,
)
def contact_details(site: Site, indicator: Indicator) -> Finding:
    rid = "contact-details"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    for c in cands[:10]:
        if c.page is None or negative_statement(sig, c.page, concepts) is not None:
            continue  # "contact details on this page are illustrative"
        facts = contact_facts(c.page)
        if facts:
            conf = 0.95 if c.strength >= 2 else 0.8
            return met(
                indicator, rid, f"contact page {c.url} with {facts[0].note}", [*c.evidence(2), *facts[:3]],
                conf, urls, {"score": c.score, "facts": len(facts)},
            )  # fmt: skip
    home = site.home
    if home is not None:
        chrome_facts = [
            Evidence(home.url_key, link.selector, link.text or link.url, note="contact link in the home page footer")
            for link in home.links
            if link.region in CHROME_REGIONS and link.url.lower().startswith(("tel:", "mailto:"))
        ]
        if chrome_facts:
            return met(indicator, rid, "contact section on the home page", chrome_facts[:3], 0.7, urls)
    if cands:
        return undecided(
            site, indicator, rid, f"contact page candidate without phone, e-mail or form: {describe(cands[0])}",
            urls, cands[0].evidence(), sig.looked_for(concepts),
        )  # fmt: skip
    looked = [*sig.looked_for(concepts), "tel: and mailto: links", "phone and e-mail patterns", "forms"]
    return not_met(indicator, rid, "no contact page or contact details found", looked)


# --------------------------------------------------------------------------- generic concept page / documents


@rule(
    "concept-page",
    "A page or section about the indicator's concepts exists.",
    "Scores candidate pages by link text, link URL, home-page menu/footer position, target title/headings "
    "and text. met at params.min_score (default 4.5), needs_review for weaker candidates, not_met otherwise. "
    "Set aside: links that lead nowhere ('#', javascript:, error pages), links to pages that never name the "
    "concept or are empty once template filler is dropped, pages that say it is not there ('coming soon', "
    "'under construction', 'only in person'), headings of the site template, and a topic word inside a job "
    "title. A page about another administration (another place or level) is needs_review at most. "
    + WHOLE_SITE_NOTE,
)
def concept_page(site: Site, indicator: Indicator) -> Finding:
    what = param(indicator, "what", indicator.name)
    return decide_by_candidates(signals_for(site), indicator, "concept-page", concepts_or_error(indicator), what)


@rule(
    "concept-documents",
    "Documents (PDF, DOC, XLS, ...) about the indicator's concepts are published.",
    "Documents listed on a page about the concept (its link, title or heading names it), or at least "
    "params.min_documents (default 2) document links whose text or URL names a concept: met. One document "
    "named for it alone is not a section about it, and a page about the concept without documents may still "
    "hold the content: needs_review. Neither: not_met.",
)
def concept_documents(site: Site, indicator: Indicator) -> Finding:
    rid = "concept-documents"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    min_docs = int(param(indicator, "min_documents", 2))
    named: dict[str, Evidence] = {}
    for page in site.pages:
        for doc in page.documents:
            if any(sig.find(c, doc.label) or sig.url_match(c, doc.url) for c in concepts):
                named.setdefault(url_key(doc.url), Evidence(page.url_key, doc.selector, doc.label or doc.url,
                                                            note=f"document {doc.url}"))  # fmt: skip
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    listed: dict[str, Evidence] = {}
    for c in cands[:10]:
        if c.page is not None and c.signals & {"anchor", "title", "heading"}:
            for doc in c.page.documents:
                listed.setdefault(url_key(doc.url), Evidence(c.page.url_key, doc.selector, doc.label or doc.url,
                                                             note=f"document on {c.url}"))  # fmt: skip
    urls = candidate_urls(cands)
    if listed or len(named) >= min_docs:
        found = {**listed, **named}
        ev = list(found.values())[:5]
        return met(indicator, rid, f"{len(found)} document(s) about {', '.join(concepts)}", ev,
                   0.85 if len(found) > 1 else 0.7, urls, {"documents": len(found)})  # fmt: skip
    if named:
        ev = next(iter(named.values()))
        return review(indicator, rid, f"only one document is named for it ({ev.snippet}); no page about it lists "
                      "documents", urls, [ev], sig.looked_for(concepts), confidence=0.5)  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"a page about the concept but no documents: {describe(cands[0])}",
                         urls, cands[0].evidence(), sig.looked_for(concepts),
                         worth_a_look=worth_a_look(sig, cands[0]))  # fmt: skip
    return not_met(indicator, rid, "no documents about the concept found",
                   [*sig.looked_for(concepts), "document links (.pdf .doc .xls ...)"])  # fmt: skip


# --------------------------------------------------------------------------- dated sections: news, events


def _dated_section(site: Site, indicator: Indicator, rid: str, what: str, want_future: bool) -> Finding:
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    min_items = int(param(indicator, "min_items", 3))
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    best: tuple[Candidate, list[str]] | None = None
    for c in cands[:10]:
        if c.page is None or not (c.signals & {"anchor", "title", "heading", "link-url", "page-url"}):
            continue
        dates = sorted(set(c.page.dates))
        if not want_future:  # news dated after the crawl is not published news (template demo content)
            dates = [d for d in dates if d <= page_day(c.page).isoformat()]
        if len(dates) >= min_items and (best is None or _better_dated(dates, best[1], want_future, c.page)):
            best = (c, dates)
    if best is not None:
        c, dates = best
        today = page_day(c.page) if c.page else date.today()
        future = [d for d in dates if d >= today.isoformat()]
        details = {"dated_items": len(dates), "latest": dates[-1], "upcoming": len(future), "score": c.score}
        if want_future and not future:
            return undecided(site, indicator, rid, f"{what} at {c.url} has {len(dates)} dates, none upcoming",
                             urls, c.evidence(), confidence=0.5, details=details)  # fmt: skip
        ev = [*c.evidence(3), Evidence(c.url, "body", f"{len(dates)} dated items, latest {dates[-1]}")]
        conf = 0.95 if c.strength >= 2 else 0.8
        return met(indicator, rid, f"{what} at {c.url} with {len(dates)} dated items (latest {dates[-1]})",
                   ev, conf, urls, details)  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"possible {what} without enough dated items: {describe(cands[0])}",
                         urls, cands[0].evidence(), sig.looked_for(concepts))  # fmt: skip
    return not_met(indicator, rid, f"no {what} found", [*sig.looked_for(concepts), f"pages with >= {min_items} dates"])


def _better_dated(dates: list[str], than: list[str], want_future: bool, page: PageDoc) -> bool:
    """More dated items wins; for events, a page with upcoming dates wins over one with only past ones."""
    if want_future:
        today = page_day(page).isoformat()
        upcoming, other = any(d >= today for d in dates), any(d >= today for d in than)
        if upcoming != other:
            return upcoming
    return len(dates) > len(than)


@rule(
    "news-section",
    "The portal has a news section with several dated items.",
    "A candidate page for the news concepts (link text, URL, title/headings) that shows at least "
    "params.min_items (default 3) distinct dates up to the day of the crawl (items dated in the future are "
    "a template's demo content, not published news).",
)
def news_section(site: Site, indicator: Indicator) -> Finding:
    return _dated_section(site, indicator, "news-section", "news section", want_future=False)


@rule(
    "events-section",
    "The portal has an events section announcing upcoming events.",
    "A candidate page for the events concepts with dated items; met when at least one date is today or "
    "later (as of the crawl), needs_review when all dates are past.",
)
def events_section(site: Site, indicator: Indicator) -> Finding:
    return _dated_section(site, indicator, "events-section", "events section", want_future=True)


# --------------------------------------------------------------------------- other language (#212)


@rule(
    "other-language",
    "Information is available in a language besides the primary one.",
    "Language versions from the home page's language switcher / hreflang links (language_versions), "
    "verified by the language detected on the target page when it was crawled; else crawled pages whose "
    "detected language differs from the portal's primary language, each confirmed by the language it declares "
    "or by that language's stopwords in its text (a guess from letter statistics alone is not a page in it).",
)
def other_language(site: Site, indicator: Indicator) -> Finding:
    rid = "other-language"
    home = site.home
    assert home is not None
    primary = (site.portal.languages[:1] or [_main_language(site) or home.lang_declared])[0].split("-")[0]
    versions = language_versions(home.links, home.url_key)
    others = {lang: url for lang, url in versions.items() if lang.split("-")[0] != primary}
    sig: SiteSignals = signals_for(site)
    stubs: dict[str, str] = {}
    if others:
        evidence: list[Evidence] = []
        verified = []
        for lang, url in others.items():
            target = sig.page_for(url)
            target_lang = (target.lang_detected or target.lang_declared).split("-")[0] if target else ""
            if target is not None and target_lang and target_lang != lang and target_lang == primary:
                stubs[lang] = url  # the switcher promises a version the page does not deliver ("coming soon")
                continue
            link = next((lk for lk in home.links if url_key(lk.url) == url_key(url)), None)
            ev = Evidence(home.url_key, link.selector if link else "", (link.label if link else url) or url,
                          note=f"{lang} version: {url}")  # fmt: skip
            if target is not None:
                verified.append(lang)
                evidence.insert(len(verified) - 1, Evidence(target.url_key, "html", target.title or target.url_key,
                                                            note=f"page in {lang}"))  # fmt: skip
            evidence.append(ev)
        others = {lang: url for lang, url in others.items() if lang not in stubs}
    if others:
        conf = 0.95 if verified else 0.75
        details = {"versions": versions, "verified": verified}
        why = f"language versions besides {primary or 'the primary'}: {', '.join(others)}"
        return met(indicator, rid, why, evidence[:5], conf, list(others.values())[:8], details)
    by_lang: dict[str, list[PageDoc]] = {}
    guessed: dict[str, int] = {}  # pages taken for another language on letter statistics alone
    for page in site.pages:
        lang = page.lang_detected.split("-")[0]  # what the text is in, not what the template declares
        if not lang or lang == primary or len(text := page.text) < MIN_LANGUAGE_TEXT:
            continue
        if language_is_evident(text, lang, page.lang_declared):
            by_lang.setdefault(lang, []).append(page)
        else:
            guessed[lang] = guessed.get(lang, 0) + 1
    langs = {lang: pages for lang, pages in by_lang.items() if len(pages) >= int(param(indicator, "min_pages", 2))}
    if langs:
        ev = [Evidence(p.url_key, "html", p.title or p.url_key, note=f"page in {lang}")
              for lang, pages in langs.items() for p in pages[:2]]  # fmt: skip
        return met(indicator, rid, f"pages in {', '.join(langs)} besides {primary}", ev[:5], 0.7,
                   [e.url for e in ev][:8], {"pages_by_language": {k: len(v) for k, v in by_lang.items()}})  # fmt: skip
    why = f"only {primary or 'one language'} found"
    if stubs:
        why += (
            "; the language links lead to pages in "
            + (primary or "the primary language")
            + ": "
            + ", ".join(stubs.values())
        )
    looked = ["language switcher links, hreflang",
              "detected language of every page, confirmed by the language it declares or by its words"]  # fmt: skip
    details = {"pages_by_language": {k: len(v) for k, v in by_lang.items()}, "guessed_only": guessed}
    return not_met(indicator, rid, why, looked, details=details)


def _main_language(site: Site) -> str:
    """The language most of the portal's text is in (templates often declare lang="en" on any content). Pages
    taken for a language on letter statistics alone do not count: a news archive of word lists is not the
    portal's language."""
    counts: dict[str, int] = {}
    for page in site.pages:
        lang = page.lang_detected
        if lang and len(text := page.text) >= MIN_LANGUAGE_TEXT and language_is_evident(text, lang, page.lang_declared):
            counts[lang] = counts.get(lang, 0) + 1
    return max(counts, key=lambda lang: counts[lang]) if counts else ""


# --------------------------------------------------------------------------- mobile apps (#283)


def app_store_of(url: str) -> str | None:
    """The app store (app_stores.yaml) whose app page the URL is, or None. Asked about every link of every page:
    decided by the URL's host (each host once), and only an app store's URLs are read further."""
    stores = _stores_of_host(host(url))
    if not stores:
        return None
    path = urlsplit(url).path
    return next((store for store, paths in stores if path.startswith(paths)), None)


@portal_cache(1 << 12)  # a portal links to a few thousand hosts
def _stores_of_host(hostname: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The stores on this host (or a host above it), each with the path prefixes of its app pages."""
    return tuple((store, tuple(spec.get("paths", ["/"])))
                 for store, spec in (load_data("app_stores.yaml").get("stores") or {}).items()
                 if first_domain_of(hostname, spec.get("hosts", [])) is not None)  # fmt: skip


@rule(
    "mobile-apps",
    "The city offers mobile apps (links to app-store pages).",
    "Links to app pages on the stores listed in assessors/data/app_stores.yaml; else a page about the "
    "indicator's concepts (needs_review).",
)
def mobile_apps(site: Site, indicator: Indicator) -> Finding:
    rid = "mobile-apps"
    hits: dict[str, Evidence] = {}
    for page, link in site.all_links():
        store = app_store_of(link.url)
        if store and url_key(link.url) not in hits:
            hits[url_key(link.url)] = Evidence(page.url_key, link.selector, link.label or link.url,
                                               note=f"{store}: {link.url}")  # fmt: skip
    if hits:
        return met(indicator, rid, f"{len(hits)} app-store link(s)", list(hits.values())[:5], 0.9,
                   details={"apps": len(hits)})  # fmt: skip
    if indicator.concepts:
        finding = decide_by_candidates(signals_for(site), indicator, rid, indicator.concepts, "mobile-app page")
        if finding.verdict.value == "met":  # a page about apps without store links: a person confirms
            finding = review(indicator, rid, finding.explanation, finding.candidates, finding.evidence)
        return finding
    return not_met(indicator, rid, "no app-store links", ["app-store domains in assessors/data/app_stores.yaml"])


# --------------------------------------------------------------------------- concept pages with a twist


@rule(
    "emergency-alerts",
    "Residents can subscribe to emergency alerts (or a linked alert platform).",
    "A subscription form (an e-mail or phone field) on a page about alerts or emergencies: met; a page about "
    "the alert concept itself (the first concept: subscribing to warnings) strong enough: met; a page about "
    "emergencies only (the other concepts) without a way to subscribe: not_met, naming that page.",
)
def emergency_alerts(site: Site, indicator: Indicator) -> Finding:
    rid = "emergency-alerts"
    concepts = concepts_or_error(indicator)
    sig = signals_for(site)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    urls = candidate_urls(cands)
    for c in cands[:8]:
        if c.page is None:
            continue
        for form in c.page.forms:
            if form.role != "search" and form.sendable and any(f.type in ("email", "tel") for f in form.fields):
                ev = Evidence(c.page.url_key, form.selector, form.submit_text or "subscription form",
                              note="subscription form")  # fmt: skip
                return met(indicator, rid, f"alert subscription form on {c.url}", [*c.evidence(1), ev], 0.85, urls)
    finding = decide_by_candidates(sig, indicator, rid, concepts[:1], "alert subscription")
    if finding.verdict.value != "not_met":
        return finding
    if cands:
        return not_met(indicator, rid, f"emergency information without a way to subscribe to alerts: {cands[0].url}",
                       [*sig.looked_for(concepts[:1]), "subscription forms (e-mail / phone fields)"],
                       confidence=0.6, candidates=urls)  # fmt: skip
    return finding


@rule(
    "satisfaction-results",
    "The portal publishes results of user-satisfaction measurement.",
    "A page about the satisfaction concepts whose text shows a percentage or a rating figure.",
)
def satisfaction_results(site: Site, indicator: Indicator) -> Finding:
    rid = "satisfaction-results"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    cands = [c for c in sig.candidates_any(concepts) if c.score >= REVIEW_SCORE]
    figure = re.compile(r"\d{1,3}(?:[.,]\d+)?\s?%|\b\d(?:[.,]\d)?\s?/\s?(?:5|10)\b")
    for c in cands[:8]:
        if c.page is not None and (m := figure.search(c.page.text)):
            ev = Evidence(c.url, "body", c.page.text[max(0, m.start() - 60) : m.end() + 60], note="figure")
            return met(indicator, rid, f"satisfaction figures on {c.url}", [*c.evidence(2), ev], 0.7,
                       candidate_urls(cands))  # fmt: skip
    # The result stated in a sentence of any page: "87% of respondents are satisfied with the portal".
    for page in site.pages:
        if not (named := [m for cn in concepts for m in sig.text_matches(cn, page)]):
            continue
        text = searched_text(page)
        for m in named:
            window = text[max(0, m.start - FIGURE_NEAR_CHARS) : m.end + FIGURE_NEAR_CHARS]
            if figure.search(window):
                ev = Evidence(page.url_key, "body", window.strip(), note=f"{m.term} next to a figure")
                return met(indicator, rid, f"satisfaction figure on {page.url_key}", [ev], 0.65,
                           candidate_urls(cands) or [page.url_key])  # fmt: skip
    if cands:
        return undecided(site, indicator, rid, f"satisfaction page without figures: {describe(cands[0])}",
                         candidate_urls(cands), cands[0].evidence())  # fmt: skip
    return not_met(indicator, rid, "no satisfaction results found", [*sig.looked_for(concepts), "percent figures"])


FIGURE_NEAR_CHARS = 80  # a figure this close to a satisfaction term is its result
COUNTER_NUMBER = re.compile(r"\s*[:\-–]?\s*\d")  # a counter label is followed by its number
COUNTER_SPAN = 160  # the labels of one counter sit this close together


@rule(
    "usage-statistics",
    "The portal publishes its usage statistics (a statistics page or a visitor counter).",
    "The generic concept decision over the indicator's concepts; else a visitor counter: at least "
    "params.counter_labels (default 2) distinct terms of params.counter_concept each followed by a number, "
    "within 160 characters and next to a usage-statistics term (\"Visitors: today 1 284, total 2 418 336\").",
)
def usage_statistics(site: Site, indicator: Indicator) -> Finding:
    rid = "usage-statistics"
    sig = signals_for(site)
    concepts = concepts_or_error(indicator)
    finding = decide_by_candidates(sig, indicator, rid, concepts, "portal usage statistics")
    if finding.verdict.value == "met":
        return finding
    counter = str(param(indicator, "counter_concept", "visit-counter"))
    min_labels = int(param(indicator, "counter_labels", 2))
    for page in site.pages[:60]:
        if not (labels := sig.text_matches(counter, page)):
            continue
        text = searched_text(page)
        labels = [m for m in labels if COUNTER_NUMBER.match(text, m.end)]
        for i, first in enumerate(labels):
            group = [m for m in labels[i:] if m.start - first.start <= COUNTER_SPAN]
            if len({m.term for m in group}) < min_labels:
                continue
            span = text[max(0, first.start - 60) : group[-1].end + 20]
            if any(sig.find(cn, span) for cn in concepts):
                ev = Evidence(page.url_key, "body", span.strip(), note="visitor counter")
                return met(indicator, rid, f"visitor counter on {page.url_key}", [ev], 0.75,
                           finding.candidates, {"labels": sorted({m.term for m in group})})  # fmt: skip
    finding.looked_for = [*finding.looked_for, *sig.looked_for([counter]), "counter labels followed by numbers"]
    return finding
