"""Scores as the UN survey computes them, for a national catalog (its `survey:` block, indicators/national.py).

- Subindex shares: IF, CP, SP, EPI, TEC, each the share of its items met (items not met, undecided or not
  assessed count 0, as the survey's "not found" does).
- The E-Participation Index by its three layers (e-information, e-consultation, e-decision-making) as raw
  points: one point per item met.
- An ESTIMATED OSI: the weighted subindex shares mapped with the catalog's reference minimum and maximum. The
  published OSI is min-max normalised across 193 countries with weights and raw extremes we could not find;
  the catalog records those doubts and every output says "estimate".
- The country's published OSI and EPI (2024, 2022) beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from indicators.catalog import Catalog
from indicators.national import Reference
from losi.models import Verdict
from outputs.published import PublishedIndices, published

PUBLISHED_EDITIONS = (2024, 2022)
ESTIMATE_LABEL = "estimate"


@dataclass(frozen=True)
class Share:
    code: str
    name: str
    met: int
    total: int
    weight: float = 0.0
    pending: int = 0  # items a person still has to decide (needs_review, not_assessed)

    @property
    def share(self) -> float:
        return self.met / self.total if self.total else 0.0


@dataclass(frozen=True)
class SurveyScore:
    framework: str
    subindices: tuple[Share, ...]
    weighted_share: float  # the weighted mean of the subindex shares (raw OSI)
    estimated_osi: float  # mapped with the reference min / max, within 0..1
    epi_layers: tuple[Share, ...]  # points = met
    epi_points: int
    epi_max_points: int
    estimated_epi: float
    outside: tuple[Share, ...] = ()  # criteria that are not part of the OSI (EGL: HCI)
    published: dict[int, PublishedIndices] = field(default_factory=dict)
    doubts: tuple[str, ...] = ()
    pending: int = 0  # OSI items still undecided: the estimate counts them 0

    def rows(self, portal: str) -> list[dict[str, object]]:
        """One row per measure: the subindices, the layers, the estimates and the published values."""
        out: list[dict[str, object]] = []

        def add(measure: str, value: float | None, points: int | None = None, total: int | None = None,
                weight: float | None = None, note: str = "") -> None:  # fmt: skip
            out.append({"portal": portal, "framework": self.framework, "measure": measure,
                        "value": None if value is None else round(value, 4), "points": points, "total": total,
                        "weight": weight, "note": note})  # fmt: skip

        for s in self.subindices:
            add(f"{s.code} share", s.share, s.met, s.total, s.weight, f"{s.name}; {s.pending} undecided count 0")
        for s in self.epi_layers:
            add(f"EPI {s.name} (raw points)", None, s.met, s.total, note=f"{s.pending} undecided count 0")
        add("EPI raw points", None, self.epi_points, self.epi_max_points)
        add(f"EPI ({ESTIMATE_LABEL})", self.estimated_epi, note="raw points mapped with the reference; an estimate")
        add("OSI weighted share", self.weighted_share, note="weighted mean of the subindex shares")
        add(f"OSI ({ESTIMATE_LABEL})", self.estimated_osi, note="an estimate, not the published index")
        for s in self.outside:
            add(f"{s.code} share (not in the OSI)", s.share, s.met, s.total, note=s.name)
        for year, pub in sorted(self.published.items(), reverse=True):
            add(f"published OSI {year}", pub.osi, note="UN E-Government Survey")
            add(f"published EPI {year}", pub.epi, note="UN E-Government Survey")
        return out


def _map(value: float, ref: Reference, top: float) -> float:
    high = top if ref.max is None else ref.max
    if high <= ref.min:
        return 0.0
    return min(1.0, max(0.0, (value - ref.min) / (high - ref.min)))


def survey_score(catalog: Catalog, verdicts: Mapping[str, Verdict | str], country: str = "") -> SurveyScore | None:
    """The survey's scores of one country from indicator code -> effective verdict; None for a catalog
    without a `survey:` block (LOSI)."""
    survey = catalog.national.survey
    if not survey.subindices:
        return None
    effective = {i.code: Verdict(verdicts.get(i.code, Verdict.NOT_ASSESSED)) for i in catalog.indicators}
    undecided = (Verdict.NEEDS_REVIEW, Verdict.NOT_ASSESSED)

    def share(code: str, name: str, codes: list[str], weight: float = 0.0) -> Share:
        return Share(code, name, sum(effective[c] is Verdict.MET for c in codes), len(codes), weight,
                     sum(effective[c] in undecided for c in codes))  # fmt: skip

    weights = {code: survey.weights.get(code, 1.0) for code in survey.subindices}
    subs = tuple(
        share(code, catalog.criterion_name(code), [i.code for i in catalog.indicators if i.criterion == code],
              weights[code])
        for code in survey.subindices
    )  # fmt: skip
    total_weight = sum(s.weight for s in subs if s.total) or 1.0
    weighted = sum(s.weight * s.share for s in subs if s.total) / total_weight
    epi_items = [i for i in catalog.indicators if i.criterion == survey.epi]
    layers = tuple(share(layer.code, layer.name, [i.code for i in epi_items if i.layer == layer.code])
                   for layer in survey.epi_layers)  # fmt: skip
    points = sum(effective[i.code] is Verdict.MET for i in epi_items)
    max_points = len(epi_items) if survey.epi_reference.max is None else int(survey.epi_reference.max)
    outside = tuple(share(c.code, c.name, [i.code for i in catalog.indicators if i.criterion == c.code])
                    for c in catalog.criteria if c.code not in survey.subindices)  # fmt: skip
    pubs = {year: pub for year in PUBLISHED_EDITIONS if (pub := published(country, year)) is not None}
    doubts = tuple(d for d in (survey.weights_doubt, survey.reference.doubt, survey.epi_reference.doubt) if d)
    return SurveyScore(
        framework=catalog.id,
        subindices=subs,
        weighted_share=weighted,
        estimated_osi=_map(weighted, survey.reference, 1.0),
        epi_layers=layers,
        epi_points=points,
        epi_max_points=max_points,
        estimated_epi=_map(float(points), survey.epi_reference, float(len(epi_items))),
        outside=outside,
        published=pubs,
        doubts=doubts,
        pending=sum(s.pending for s in subs),
    )
