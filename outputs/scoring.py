"""Scoring: effective verdicts (a reviewer's decision wins over the machine's) and per-portal scores.

A portal's score per criterion is met / total, where total is the number of catalog indicators in that
criterion; the overall index is met / catalog.denominator. Bands come from catalog.scoring. Everything
that is not `met` scores 0, as the survey does ("not found" is 0); `not_applicable` leaves the
denominator only when the catalog's scoring says `exclude_not_applicable: true`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from indicators.catalog import Catalog
from losi.models import Finding, Verdict
from losi.store import Review, StoredFinding

OVERALL = "overall"
SCORE_COLUMNS = ["portal", "framework", "criterion", "met", "total", "score", "band"]


@dataclass(frozen=True)
class EffectiveFinding:
    """One portal's finding on one indicator, with the latest reviewer decision if there is one."""

    portal_id: str
    framework: str
    finding: Finding  # the machine's finding, unchanged
    review: Review | None = None  # the latest review decision, if any
    reviews: tuple[Review, ...] = ()  # every decision on this item, oldest first

    @property
    def indicator(self) -> str:
        return self.finding.indicator

    @property
    def machine_verdict(self) -> Verdict:
        return self.finding.verdict

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.review.decision) if self.review else self.finding.verdict

    @property
    def reviewed(self) -> bool:
        return self.review is not None

    @property
    def method(self) -> str:
        return "review" if self.review else self.finding.method


def effective_findings(
    stored: Iterable[StoredFinding], reviews: Iterable[Review]
) -> list[EffectiveFinding]:
    """Pair every stored finding with its review decisions; the latest decision is the effective one.

    `reviews` must be in decision order (Store.reviews returns them so).
    """
    by_item: dict[tuple[str, str], list[Review]] = {}
    for r in reviews:
        by_item.setdefault((r.portal_id, r.indicator), []).append(r)
    out = []
    for s in stored:
        decisions = tuple(by_item.get((s.portal_id, s.finding.indicator), ()))
        out.append(
            EffectiveFinding(s.portal_id, s.framework, s.finding, decisions[-1] if decisions else None, decisions)
        )
    return out


@dataclass(frozen=True)
class CriterionScore:
    criterion: str  # criterion code, or "overall"
    name: str
    met: int
    total: int
    score: float
    band: str


@dataclass(frozen=True)
class PortalScore:
    portal_id: str
    framework: str
    criteria: tuple[CriterionScore, ...]  # in catalog order
    overall: CriterionScore
    counts: dict[str, int] = field(default_factory=dict)  # verdict value -> number of catalog indicators

    @property
    def index(self) -> float:
        return self.overall.score

    @property
    def band(self) -> str:
        return self.overall.band

    @property
    def decided(self) -> int:
        return self.counts.get(Verdict.MET.value, 0) + self.counts.get(Verdict.NOT_MET.value, 0)

    def criterion(self, code: str) -> CriterionScore | None:
        return next((c for c in self.criteria if c.criterion == code), None)

    def rows(self) -> list[dict[str, object]]:
        """scores.csv rows: one per criterion, then `overall`."""
        return [
            {
                "portal": self.portal_id,
                "framework": self.framework,
                "criterion": c.criterion,
                "met": c.met,
                "total": c.total,
                "score": round(c.score, 4),
                "band": c.band,
            }
            for c in (*self.criteria, self.overall)
        ]


def excludes_not_applicable(catalog: Catalog) -> bool:
    """The catalog's setting (scoring.exclude_not_applicable), False when the catalog has none."""
    return bool(getattr(catalog.scoring, "exclude_not_applicable", False))


def score_portal(
    catalog: Catalog,
    portal_id: str,
    verdicts: Mapping[str, Verdict | str],
    exclude_not_applicable: bool | None = None,
) -> PortalScore:
    """Score one portal from indicator code -> effective verdict. Codes missing from `verdicts` score 0."""
    if exclude_not_applicable is None:
        exclude_not_applicable = excludes_not_applicable(catalog)
    effective = {i.code: Verdict(verdicts.get(i.code, Verdict.NOT_ASSESSED)) for i in catalog.indicators}
    counts = Counter(v.value for v in effective.values())
    criteria = []
    for crit in catalog.criteria:
        codes = [i.code for i in catalog.indicators if i.criterion == crit.code]
        met = sum(effective[c] is Verdict.MET for c in codes)
        total = len(codes)
        if exclude_not_applicable:
            total -= sum(effective[c] is Verdict.NOT_APPLICABLE for c in codes)
        score = met / total if total > 0 else 0.0
        criteria.append(CriterionScore(crit.code, crit.name, met, total, score, catalog.scoring.band(score)))
    met_all = counts.get(Verdict.MET.value, 0)
    total_all = catalog.denominator
    if exclude_not_applicable:
        total_all -= counts.get(Verdict.NOT_APPLICABLE.value, 0)
    overall_score = met_all / total_all if total_all > 0 else 0.0
    overall = CriterionScore(
        OVERALL, "Overall", met_all, total_all, overall_score, catalog.scoring.band(overall_score)
    )
    full_counts = {v.value: counts.get(v.value, 0) for v in Verdict}
    return PortalScore(portal_id, catalog.id, tuple(criteria), overall, full_counts)


def score_findings(catalog: Catalog, portal_id: str, items: Iterable[EffectiveFinding]) -> PortalScore:
    return score_portal(catalog, portal_id, {f.indicator: f.verdict for f in items})


def scores_frame(scores: Iterable[PortalScore]) -> pd.DataFrame:
    """Every portal's criterion rows and its overall row, in the scores.csv shape."""
    rows = [row for s in scores for row in s.rows()]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
