"""Helpers shared by the rule modules: Finding builders, the generic "is the concept there?" decision,
and the data files under assessors/data/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assessors.signals import MET_SCORE, REVIEW_SCORE, Candidate, SiteSignals, snippet_around
from indicators.catalog import Indicator
from indicators.lexicon import TermMatch
from losi.models import Evidence, Finding, Method, PageDoc, Verdict

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_CANDIDATES = 8
NEWS_CONCEPT = "news"


@cache
def load_data(name: str) -> dict[str, Any]:
    """A YAML data file of assessors/data/ (social networks, app stores, chat widgets, months)."""
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


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
    or URL): a consultations page is participatory land-use planning only if it names the master plan.
    params.needs_page: a bare link (no crawled page behind it) is at most needs_review.
    params.text_context: the text_terms fallback only reads pages about one of these concepts.
    """
    min_score = float(param(indicator, "min_score", MET_SCORE))
    review_score = float(param(indicator, "review_score", REVIEW_SCORE))
    all_cands = sig.candidates_any(concepts)
    urls = candidate_urls(all_cands)
    # A single news item that mentions the topic is not a section about it ("road repairs finished").
    cands = [c for c in all_cands if not is_news_item(sig, c)]
    items = [c for c in all_cands if is_news_item(sig, c) and c.score >= review_score]
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
        if items:
            return review(indicator, rule_id, f"only news items mention {what}: {describe(items[0])}", urls,
                          items[0].evidence(), sig.looked_for(concepts), confidence=0.4)  # fmt: skip
        return not_met(indicator, rule_id, f"no {what} found", sig.looked_for(concepts), candidates=urls)
    best = cands[0]
    lacking = unqualified(sig, indicator, best)
    if lacking and best.score >= min_score:
        good = [c for c in cands if c.score >= min_score and not unqualified(sig, indicator, c)]
        if not good:
            details = {"score": best.score, "signals": sorted(best.signals), "lacks": lacking}
            return review(indicator, rule_id, f"possible {what}, but {lacking}: {describe(best)}", urls,
                          best.evidence(), sig.looked_for([*concepts, *param(indicator, "require_concepts", ())]),
                          confidence=0.45, details=details)  # fmt: skip
        best = good[0]
    details = {"score": best.score, "signals": sorted(best.signals), "terms": best.terms()}
    if best.score >= min_score:
        return met(
            indicator, rule_id, f"{what} found: {describe(best)}", best.evidence(), best.confidence, urls, details
        )
    return review(
        indicator, rule_id, f"possible {what}, weak evidence: {describe(best)}", urls, best.evidence(),
        sig.looked_for(concepts), confidence=0.4, details=details,
    )  # fmt: skip


def unqualified(sig: SiteSignals, indicator: Indicator, c: Candidate) -> str:
    """Why a strong candidate still cannot be met under params.needs_page / require_concepts ("" if it can)."""
    if param(indicator, "needs_page", False) and c.page is None:
        return "it is only a link to another site, no page about it was read"
    for concept in param(indicator, "require_concepts", ()):
        if c.page is None or not page_mentions(sig, concept, c.page):
            return f"the page does not mention {concept}"
    return ""


def page_mentions(sig: SiteSignals, concept: str, page: PageDoc) -> bool:
    """Does the page's title, a heading, its URL or its main text name the concept?"""
    if sig.find(concept, page.title) or sig.url_match(concept, page.url_key):
        return True
    return any(sig.find(concept, h.text) for h in page.headings[:60]) or bool(sig.text_matches(concept, page))


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
    """One dated news item: its URL is a news URL and it carries one or two dates."""
    if page is None or len(set(page.dates)) > 2 or not page.dates:
        return False
    return sig.url_match(NEWS_CONCEPT, page.url_key) is not None


def text_only_page(
    sig: SiteSignals, concepts: Sequence[str], min_terms: int, within: set[str] | None = None
) -> tuple[PageDoc, list[TermMatch]] | None:
    """The page whose main text names most distinct terms of the concepts (at least min_terms), if any;
    only among the pages `within` when given."""
    best: tuple[PageDoc, list[TermMatch]] | None = None
    for page in sig.site.pages:
        if is_news_page(sig, page) or (within is not None and page.url_key not in within):
            continue
        matches = [m for cn in concepts for m in sig.text_matches(cn, page)]
        distinct = {m.term for m in matches}
        if len(distinct) >= min_terms and (best is None or len(distinct) > len({m.term for m in best[1]})):
            best = (page, matches)
    return best


def concepts_or_error(indicator: Indicator) -> tuple[str, ...]:
    if not indicator.concepts:
        raise ValueError(f"indicator {indicator.code} names no concepts for this rule")
    return indicator.concepts
