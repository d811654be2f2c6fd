"""Helpers shared by the rule modules: Finding builders, the generic "is the concept there?" decision,
and the data files under assessors/data/."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from assessors.signals import (
    MET_SCORE,
    OTHER_LANGUAGE_FACTOR,
    REVIEW_SCORE,
    SNIPPET_CHARS,
    W_HEADING_TOP,
    Candidate,
    SiteSignals,
    searched_text,
    signals_for,
    snippet_around,
)
from assessors.site import Site
from indicators.catalog import Indicator
from indicators.lexicon import TermMatch
from losi.models import Evidence, Finding, Method, PageDoc, Verdict

MAX_CANDIDATES = 8
NEWS_CONCEPT = "news"
NEWS_ITEM_CLASSES = ("filler:news-item", "filler:listed-item")  # what the crawl fetched as one news item
UNAVAILABLE_CONCEPT = "unavailable"  # "coming soon", "under construction", "nothing found": vetoes a stub page
IN_PERSON_CONCEPT = "in-person-only"  # "only in person", "not available online": vetoes what it is said of
STUB_WORDS = 40  # a page this short (words of main text) that says "coming soon" ...
STUB_REST_WORDS = 12  # ... and says little else besides that sentence is a stub
VETO_WINDOW = 200  # a sentence around a concept's mention reaches at most this far each side
VETO_SPOTS = 5  # mentions of a concept checked per page
MAX_VETO_CHECKS = 10  # candidates checked for a veto
OTHER_ADMINISTRATION = "the page is about another administration"  # needs_review at most: a person decides
WHOLE_SITE_NOTE = (  # how every rule ends on a completely read site, for the rules' help texts
    "When the whole site was read (the crawl hit no cap), a candidate that does not qualify ends as not_met, "
    "named; needs_review is kept for what a person may still find there."
)
NOT_FOUND_CONFIDENCE = 0.6  # not_met on a completely read site where only weak candidates exist
TOP_HEADING_WEIGHT = W_HEADING_TOP * OTHER_LANGUAGE_FACTOR  # an h1/h2 hit, even in another language


def param(indicator: Indicator, key: str, default: Any) -> Any:
    value = indicator.params.get(key, default) if indicator.params else default
    return default if value is None else value


def candidate_urls(cands: Iterable[Candidate], limit: int = MAX_CANDIDATES) -> list[str]:
    out: list[str] = []
    for c in cands:
        if c.url not in out:
            out.append(c.url)
        if len(out) >= limit:
            break
    return out


def met(
    indicator: Indicator,
    rule_id: str,
    explanation: str,
    evidence: Sequence[Evidence],
    confidence: float,
    candidates: Sequence[str] = (),
    details: dict[str, Any] | None = None,
    method: Method = Method.AUTO,
) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.MET, rule=rule_id, explanation=explanation,
        confidence=round(confidence, 2), evidence=list(evidence), candidates=list(candidates),
        method=method.value, details=details or {},
    )  # fmt: skip


def not_met(
    indicator: Indicator,
    rule_id: str,
    explanation: str,
    looked_for: Sequence[str],
    confidence: float = 0.7,
    candidates: Sequence[str] = (),
    details: dict[str, Any] | None = None,
    evidence: Sequence[Evidence] = (),
    method: Method = Method.AUTO,
) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.NOT_MET, rule=rule_id, explanation=explanation,
        confidence=round(confidence, 2), evidence=list(evidence), looked_for=list(looked_for),
        candidates=list(candidates), method=method.value, details=details or {},
    )  # fmt: skip


def review(
    indicator: Indicator,
    rule_id: str,
    explanation: str,
    candidates: Sequence[str],
    evidence: Sequence[Evidence] = (),
    looked_for: Sequence[str] = (),
    confidence: float = 0.4,
    details: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.NEEDS_REVIEW, rule=rule_id, explanation=explanation,
        confidence=round(confidence, 2), evidence=list(evidence), looked_for=list(looked_for),
        candidates=list(candidates), method=Method.HUMAN.value, details=details or {},
    )  # fmt: skip


def undecided(
    site: Site,
    indicator: Indicator,
    rule_id: str,
    explanation: str,
    candidates: Sequence[str],
    evidence: Sequence[Evidence] = (),
    looked_for: Sequence[str] = (),
    *,
    worth_a_look: bool = False,
    confidence: float = 0.4,
    details: dict[str, Any] | None = None,
) -> Finding:
    """A candidate that does not prove the indicator. A person looks at it (needs_review) when it may still
    hold the thing (a link to a page the crawl did not read, a page titled for it) or when the crawl did not
    finish. Otherwise the whole site was read and nothing qualifies: the UN answer is 0 (not_met), with the
    candidate named for whoever wants to check."""
    if worth_a_look or not site.crawl_complete:
        return review(indicator, rule_id, explanation, candidates, evidence, looked_for, confidence, details)
    looked_for = looked_for or signals_for(site).looked_for(indicator.concepts)  # every not_met says what
    return not_met(indicator, rule_id, f"{explanation} (the whole site was read; nothing else qualifies)",
                   looked_for, confidence=NOT_FOUND_CONFIDENCE, candidates=candidates, evidence=evidence,
                   details=details)  # fmt: skip


def worth_a_look(sig: SiteSignals, c: Candidate) -> bool:
    """May the candidate still hold the thing: a link naming it to a page of the portal the crawl did not
    read, or a page whose title or top heading names it."""
    if c.page is None:
        return on_home_host(sig.site, c.url) and any(h.signal == "anchor" for h in c.hits)
    if sig.is_home(c.page):  # the home page's headings are news headlines and teasers of everything
        return False
    return any(h.signal == "title" or (h.signal == "heading" and h.weight >= TOP_HEADING_WEIGHT) for h in c.hits)


def not_assessed(indicator: Indicator, rule_id: str, reason: str) -> Finding:
    """The rule could not decide (a probe missing or failed): a person has to, for the reason given."""
    return Finding(
        indicator=indicator.code, verdict=Verdict.NOT_ASSESSED, rule=rule_id, explanation=reason,
        confidence=0.0, method=Method.HUMAN.value,
    )  # fmt: skip


def describe(c: Candidate) -> str:
    return f"{c.url} (score {c.score}, signals: {', '.join(sorted(c.signals))})"


def decide_by_candidates(
    sig: SiteSignals,
    indicator: Indicator,
    rule_id: str,
    concepts: Sequence[str],
    what: str,
) -> Finding:
    """The generic decision: the best-scored place where the concepts live.

    met when the score reaches params.min_score (default MET_SCORE); needs_review between
    params.review_score (default REVIEW_SCORE) and that; not_met below, with what was looked for.
    params.require_concepts: a met page must also mention each of these concepts (title, headings, text
    or URL): a consultations page is participatory land-use planning only if it names the master plan;
    params.require_in: "heading" to accept only the title, a heading or the URL.
    params.needs_page: a bare link (no crawled page behind it) is at most needs_review.
    params.needs_dates: a met page must carry a date (an outcome is dated).
    params.text_context: the text_terms fallback only reads pages about one of these concepts.
    params.in_person_vetoes: false for information items ("only in person" says the service is not online, not
    that the information is missing).
    """
    min_score = float(param(indicator, "min_score", MET_SCORE))
    review_score = float(param(indicator, "review_score", REVIEW_SCORE))
    all_cands = sig.candidates_any(concepts)
    urls = candidate_urls(all_cands)
    # A single news item that mentions the topic is not a section about it ("road repairs finished").
    cands = [c for c in all_cands if not is_news_item(sig, c)]
    items = [c for c in all_cands if is_news_item(sig, c) and c.score >= review_score]
    # A page about it that says "coming soon" / "only in person" proves the opposite.
    in_person = bool(param(indicator, "in_person_vetoes", True))  # information is there even if the service is not
    vetoes = {c.url: v for c in cands[:MAX_VETO_CHECKS] if c.score >= review_score and c.page is not None
              and (v := negative_statement(sig, c.page, concepts, in_person=in_person)) is not None}  # fmt: skip
    cands = [c for c in cands if c.url not in vetoes]
    text_terms = int(param(indicator, "text_terms", 0))
    weak = not cands or cands[0].score < min_score
    context = tuple(param(indicator, "text_context", ()))
    within = pages_about(sig, context) if context else None
    if text_terms and weak and (found := text_only_page(sig, concepts, text_terms, within)):
        page, matches = found
        ev = Evidence(page.url_key, "body", snippet_around(page.text, matches[0].start, matches[0].end),
                      note=f"the text names {', '.join(sorted({m.term for m in matches}))}")  # fmt: skip
        return met(indicator, rule_id, f"{what}: {page.url_key} names {len(matches)} of its terms", [ev], 0.6,
                   urls, {"terms": sorted({m.term for m in matches})})  # fmt: skip
    if not cands or cands[0].score < review_score:
        if vetoes:
            url, veto = next(iter(vetoes.items()))
            return not_met(indicator, rule_id, f"the page about {what} says it is not there: {url} ({veto.note})",
                           sig.looked_for(concepts), confidence=0.7, candidates=urls, evidence=[veto])  # fmt: skip
        if items:  # a news item about the thing is not the thing: 0 once the whole site was read
            return undecided(sig.site, indicator, rule_id, f"only news items mention {what}: {describe(items[0])}",
                             urls, items[0].evidence(), sig.looked_for(concepts), confidence=0.4)  # fmt: skip
        return not_met(indicator, rule_id, f"no {what} found", sig.looked_for(concepts), candidates=urls)
    best = cands[0]
    lacking = unqualified(sig, indicator, best)
    if lacking and best.score >= min_score:
        good = [c for c in cands if c.score >= min_score and not unqualified(sig, indicator, c)]
        if not good:
            details = {"score": best.score, "signals": sorted(best.signals), "lacks": lacking}
            return undecided(sig.site, indicator, rule_id, f"possible {what}, but {lacking}: {describe(best)}", urls,
                             best.evidence(), sig.looked_for([*concepts, *param(indicator, "require_concepts", ())]),
                             worth_a_look=lacking.startswith(OTHER_ADMINISTRATION), confidence=0.45,
                             details=details)  # fmt: skip
        best = good[0]
    details = {"score": best.score, "signals": sorted(best.signals), "terms": best.terms()}
    if best.score >= min_score:
        return met(
            indicator, rule_id, f"{what} found: {describe(best)}", best.evidence(), best.confidence, urls, details
        )
    return undecided(
        sig.site, indicator, rule_id, f"possible {what}, weak evidence: {describe(best)}", urls, best.evidence(),
        sig.looked_for(concepts), worth_a_look=worth_a_look(sig, best), details=details,
    )  # fmt: skip


def unqualified(sig: SiteSignals, indicator: Indicator, c: Candidate) -> str:
    """Why a strong candidate still cannot be met under params.needs_page / require_concepts ("" if it can)."""
    if param(indicator, "needs_page", False) and c.page is None:
        return "it is only a link to another site, no page about it was read"
    in_text = param(indicator, "require_in", "text") == "text"  # "heading": the title or a heading must name it
    for concept in param(indicator, "require_concepts", ()):
        if c.page is None or not page_mentions(sig, concept, c.page, in_text=in_text):
            return f"the page does not {'mention' if in_text else 'name in its title or headings'} {concept}"
    if param(indicator, "needs_dates", False) and (c.page is None or not c.page.dates):
        return "the page gives no date"
    if c.page is not None and (other := sig.jurisdiction.other_administration(c.page)):
        return f"{OTHER_ADMINISTRATION} ({other})"
    return ""


def page_mentions(sig: SiteSignals, concept: str, page: PageDoc, in_text: bool = True) -> bool:
    """Does the page's title, a heading, its URL or (in_text) its main text name the concept?"""
    if sig.find(concept, page.title) or sig.url_match(concept, page.url_key):
        return True
    if any(sig.find(concept, h.text) for h in sig.own_headings(page)):
        return True
    return in_text and bool(sig.text_matches(concept, page))


def pages_about(sig: SiteSignals, concepts: Sequence[str]) -> set[str]:
    """Pages whose title, headings or URL, or a link leading to them, name one of the concepts."""
    about = {"anchor", "title", "heading", "page-url", "link-url"}
    return {
        c.page.url_key for c in sig.candidates_any(concepts, text=False)
        if c.page is not None and c.signals & about and c.score >= REVIEW_SCORE
    }  # fmt: skip


def is_news_item(sig: SiteSignals, c: Candidate) -> bool:
    return c.page is not None and is_news_page(sig, c.page)


def is_news_page(sig: SiteSignals, page: PageDoc) -> bool:
    """One dated news item: it carries one or two dates, and its URL is a news URL or the crawl fetched it as a
    news item (/post/123-slug, which a news list links to: crawler.focus)."""
    if page is None or len(set(page.dates)) > 2 or not page.dates:
        return False
    return page.fetched_as in NEWS_ITEM_CLASSES or sig.url_match(NEWS_CONCEPT, page.url_key) is not None


def text_only_page(
    sig: SiteSignals, concepts: Sequence[str], min_terms: int, within: set[str] | None = None
) -> tuple[PageDoc, list[TermMatch]] | None:
    """The page whose main text names most distinct terms of the concepts (at least min_terms), if any;
    only among the pages `within` when given."""
    best: tuple[PageDoc, list[TermMatch]] | None = None
    for page in sig.site.pages:
        if is_news_page(sig, page) or (within is not None and page.url_key not in within):
            continue
        matches = [m for cn in concepts for m in sig.text_matches(cn, page) if not sig.in_link_text(page, m)]
        if not matches:
            continue
        if sig.is_home(page):
            continue  # the home page's blurbs are about everything; a section of it has its own heading hit
        distinct = {m.term for m in matches}
        better = len(distinct) >= min_terms and (best is None or len(distinct) > len({m.term for m in best[1]}))
        if better and negative_statement(sig, page, concepts) is None:
            best = (page, matches)
    return best


SENTENCE_END = re.compile(r"[.;!?\n]")


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence of `text` around the span (punctuation bounds it; at most VETO_WINDOW each side)."""
    lo = max(0, start - VETO_WINDOW)
    ends = [m.end() for m in SENTENCE_END.finditer(text, lo, start)]
    stop = SENTENCE_END.search(text, end, end + VETO_WINDOW)
    return text[ends[-1] if ends else lo : stop.start() if stop else end + VETO_WINDOW]


def negative_statement(
    sig: SiteSignals, page: PageDoc, concepts: Sequence[str] = (), *, in_person: bool = True
) -> Evidence | None:
    """A statement on the page that vetoes it as proof: a notice that its content is not real ("contact details
    on this page are illustrative"); "coming soon" / "under construction" in its title or heading, or as nearly
    all a short page says (a stub); "coming soon" or "only in person" in the sentence
    that names one of the concepts ("results will be published later" vetoes the results, not the survey
    described beside them)."""
    text = searched_text(page)
    places: list[tuple[str, str, tuple[str, ...]]] = [(page.title, "title", (UNAVAILABLE_CONCEPT,))]
    places += [(h.text, "heading", (UNAVAILABLE_CONCEPT,)) for h in sig.own_headings(page)[:10]]
    if len(text.split()) <= STUB_WORDS:
        for m in sig.find(UNAVAILABLE_CONCEPT, text)[:1]:
            sentence = sentence_at(text, m.start, m.end)
            if len(text.split()) - len(sentence.split()) <= STUB_REST_WORDS:
                places.append((text, "body", (UNAVAILABLE_CONCEPT,)))
    for source, where, kinds in places:
        if veto := _statement(sig, page, source, where, kinds):
            return veto
    for notice in page.notices:  # "contact details on this page are illustrative" (often in the footer)
        if any(sig.find(c, notice) for c in concepts):
            return Evidence(page.url_key, "body", notice[:SNIPPET_CHARS], note=f"the page says '{notice[:80]}'")
    # Said of the thing itself, in a sentence that names it: "only in person" in any such sentence; "coming
    # soon" only when every such sentence says so (a page may describe the survey it runs and add that its
    # results will be published later).
    sentences = [sentence_at(text, m.start, m.end) for c in concepts for m in sig.text_matches(c, page)[:VETO_SPOTS]]
    for sentence in sentences if in_person else ():
        if veto := _statement(sig, page, sentence, "body", (IN_PERSON_CONCEPT,)):
            return veto
    vetoes = [_statement(sig, page, sentence, "body", (UNAVAILABLE_CONCEPT,)) for sentence in sentences]
    return vetoes[0] if vetoes and all(vetoes) else None


def _statement(sig: SiteSignals, page: PageDoc, source: str, where: str, kinds: Sequence[str]) -> Evidence | None:
    for kind in kinds:
        if found := sig.find(kind, source):
            m = found[0]
            return Evidence(page.url_key, where, snippet_around(source, m.start, m.end),
                            note=f"the page says '{m.text}'")  # fmt: skip
    return None


def on_home_host(site: Site, url: str) -> bool:
    """Is the URL on the portal itself (the host it was read from, or its live address named on it)?"""
    return signals_for(site).is_own(url)


def concepts_or_error(indicator: Indicator) -> tuple[str, ...]:
    if not indicator.concepts:
        raise ValueError(f"indicator {indicator.code} names no concepts for this rule")
    return indicator.concepts
