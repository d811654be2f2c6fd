"""Helpers shared by the rule modules: Finding builders, the generic "is the concept there?" decision,
and the data files under assessors/data/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assessors.signals import MET_SCORE, REVIEW_SCORE, Candidate, SiteSignals
from indicators.catalog import Indicator
from losi.models import Evidence, Finding, Method, Verdict

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_CANDIDATES = 8


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
) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.MET, rule=rule_id, explanation=explanation,
        confidence=round(confidence, 2), evidence=list(evidence), candidates=list(candidates),
        details=details or {},
    )  # fmt: skip


def not_met(
    indicator: Indicator,
    rule_id: str,
    explanation: str,
    looked_for: Sequence[str],
    confidence: float = 0.7,
    candidates: Sequence[str] = (),
    details: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        indicator=indicator.code, verdict=Verdict.NOT_MET, rule=rule_id, explanation=explanation,
        confidence=round(confidence, 2), looked_for=list(looked_for), candidates=list(candidates),
        details=details or {},
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
    """
    min_score = float(param(indicator, "min_score", MET_SCORE))
    review_score = float(param(indicator, "review_score", REVIEW_SCORE))
    cands = sig.candidates_any(concepts)
    urls = candidate_urls(cands)
    if not cands or cands[0].score < review_score:
        return not_met(indicator, rule_id, f"no {what} found", sig.looked_for(concepts), candidates=urls)
    best = cands[0]
    details = {"score": best.score, "signals": sorted(best.signals), "terms": best.terms()}
    if best.score >= min_score:
        return met(
            indicator, rule_id, f"{what} found: {describe(best)}", best.evidence(), best.confidence, urls, details
        )
    return review(
        indicator, rule_id, f"possible {what}, weak evidence: {describe(best)}", urls, best.evidence(),
        sig.looked_for(concepts), confidence=0.4, details=details,
    )  # fmt: skip


def concepts_or_error(indicator: Indicator) -> tuple[str, ...]:
    if not indicator.concepts:
        raise ValueError(f"indicator {indicator.code} names no concepts for this rule")
    return indicator.concepts
