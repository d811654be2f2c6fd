"""Indicator catalogs: versioned YAML data in indicators/catalogs/<framework>.yaml.

A catalog holds the criteria, the indicators and the scoring settings of one survey edition. Code reads
these objects; it never hard-codes an indicator list, a denominator or a band cut-off.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from indicators.national import National, NationalError, indicator_fields, parse_national

CATALOG_DIR = Path(__file__).parent / "catalogs"
MODES = ("automated", "semi-automated", "human")
RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # kebab-case, as assessors/registry.py registers them


class CatalogError(ValueError):
    """A catalog file is missing or malformed. The message names the entry and the field."""


@dataclass(frozen=True)
class Band:
    name: str
    above: float  # a score strictly greater than this (or equal when above == 0) is in the band


@dataclass(frozen=True)
class Scoring:
    denominator: int | None  # None: the number of indicators in the catalog
    bands: tuple[Band, ...]  # highest first
    exclude_not_applicable: bool = False  # not_applicable indicators leave the denominator

    def band(self, score: float) -> str:
        for band in self.bands:
            if score > band.above or (band.above == 0 and score >= 0):
                return band.name
        return self.bands[-1].name if self.bands else ""


@dataclass(frozen=True)
class Criterion:
    code: str  # "IF", "CP", "SP", "PE", "EGL", "TECH"
    name: str


@dataclass(frozen=True)
class Indicator:
    code: str  # "214", "225a"
    criterion: str  # Criterion.code
    name: str  # short name
    question: str  # the yes/no question, in our own words
    yes_when: str  # what counts as yes
    mode: str  # automated | semi-automated | human
    rule: str | None  # id of the assessor rule that decides it; None: a person decides
    concepts: tuple[str, ...] = ()  # concept ids the rule looks for (see indicators/concepts.yaml)
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    guidance: str = ""  # for a person: how to check it by hand
    notes: str = ""  # doubts in the sources
    sector: str = ""  # OSI: the sector it is asked for (indicators/national.py), "" for the whole country
    family: str = ""  # OSI: the kind of sector item (services, consultation, data, ...)
    layer: str = ""  # OSI: the E-Participation layer (information, consultation, decision)
    sites: tuple[str, ...] = ()  # OSI: the bundle's sites it is looked for on (default: the national portal)


@dataclass(frozen=True)
class Catalog:
    id: str  # "losi-2024"
    title: str
    level: str  # city | national
    criteria: tuple[Criterion, ...]
    indicators: tuple[Indicator, ...]
    scoring: Scoring
    source: str = ""
    national: National = field(default_factory=National)  # OSI: sectors, families, the survey scoring

    def get(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def criterion_name(self, code: str) -> str:
        return next((c.name for c in self.criteria if c.code == code), code)

    @property
    def denominator(self) -> int:
        return self.scoring.denominator or len(self.indicators)


def available_catalogs() -> list[str]:
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


@cache
def load_catalog(framework: str) -> Catalog:
    path = CATALOG_DIR / f"{framework}.yaml"
    if not path.is_file():
        known = ", ".join(available_catalogs()) or "none"
        raise CatalogError(f"unknown framework {framework!r} (known: {known})")
    return parse_catalog(path)


def parse_catalog(path: Path) -> Catalog:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path.name}: not valid YAML: {exc}") from exc
    return catalog_from_dict(data, path.name)


def _require(obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in obj or obj[key] is None:
        raise CatalogError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise CatalogError(f"{where}: field {key!r} must be {getattr(kind, '__name__', kind)}")
    return value


@cache
def known_concepts() -> frozenset[str]:
    """Concept ids of indicators/concepts.yaml (what an indicator may name in `concepts`)."""
    from indicators.lexicon import LexiconError, load_concepts

    try:
        return frozenset(load_concepts())
    except LexiconError as exc:
        raise CatalogError(f"concepts.yaml: {exc}") from exc


def catalog_from_dict(data: Any, where: str, *, concept_ids: Collection[str] | None = None) -> Catalog:
    """Build a Catalog from parsed YAML; concept_ids defaults to the ids of indicators/concepts.yaml."""
    concepts_known = known_concepts() if concept_ids is None else concept_ids
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: the catalog must be a mapping")
    cat_id = _require(data, "id", where)
    criteria = []
    for i, c in enumerate(_require(data, "criteria", where, list)):
        cwhere = f"{where}: criteria[{i}]"
        if not isinstance(c, dict):
            raise CatalogError(f"{cwhere}: must be a mapping")
        criteria.append(Criterion(str(_require(c, "code", cwhere)), _require(c, "name", cwhere)))
    criterion_codes = {c.code for c in criteria}
    try:
        national = parse_national(data, where, criterion_codes, concepts_known)
    except NationalError as exc:
        raise CatalogError(str(exc)) from exc

    scoring_raw = _require(data, "scoring", where, dict)
    bands = []
    for i, b in enumerate(_require(scoring_raw, "bands", f"{where}: scoring", list)):
        bwhere = f"{where}: scoring.bands[{i}]"
        bands.append(Band(_require(b, "name", bwhere), float(_require(b, "above", bwhere, (int, float)))))
    bands.sort(key=lambda b: -b.above)
    denominator = scoring_raw.get("denominator")
    if denominator is not None and (not isinstance(denominator, int) or denominator <= 0):
        raise CatalogError(f"{where}: scoring.denominator must be a positive whole number")

    indicators: list[Indicator] = []
    seen: set[str] = set()
    for i, raw in enumerate(_require(data, "indicators", where, list)):
        if not isinstance(raw, dict):
            raise CatalogError(f"{where}: indicators[{i}] must be a mapping")
        code = str(raw.get("code", "")).strip()
        iwhere = f"{where}: indicator {code or f'#{i}'}"
        if not code:
            raise CatalogError(f"{iwhere}: missing field 'code'")
        if code in seen:
            raise CatalogError(f"{iwhere}: code {code!r} appears twice")
        seen.add(code)
        criterion = str(_require(raw, "criterion", iwhere))
        if criterion not in criterion_codes:
            raise CatalogError(
                f"{iwhere}: field 'criterion' is {criterion!r}, not one of {sorted(criterion_codes)}"
            )
        mode = _require(raw, "mode", iwhere)
        if mode not in MODES:
            raise CatalogError(f"{iwhere}: field 'mode' is {mode!r}, not one of {list(MODES)}")
        rule = raw.get("rule")
        if rule is not None and not isinstance(rule, str):
            raise CatalogError(f"{iwhere}: field 'rule' must be a rule id or null")
        if rule is not None and not RULE_ID.match(rule):
            raise CatalogError(f"{iwhere}: field 'rule' is {rule!r}, not a kebab-case rule id (like 'contact-details')")
        concepts = raw.get("concepts") or []
        if not isinstance(concepts, list) or not all(isinstance(c, str) for c in concepts):
            raise CatalogError(f"{iwhere}: field 'concepts' must be a list of concept ids")
        unknown = [c for c in concepts if c not in concepts_known]
        if unknown:
            raise CatalogError(f"{iwhere}: field 'concepts' names unknown concept(s) {unknown} (see concepts.yaml)")
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            raise CatalogError(f"{iwhere}: field 'params' must be a mapping")
        try:
            extra = indicator_fields(raw, iwhere, national, criterion)
        except NationalError as exc:
            raise CatalogError(str(exc)) from exc
        indicators.append(
            Indicator(
                code=code,
                criterion=criterion,
                name=_require(raw, "name", iwhere),
                question=_require(raw, "question", iwhere),
                yes_when=_require(raw, "yes_when", iwhere),
                mode=mode,
                rule=rule,
                concepts=tuple(concepts),
                params=params,
                guidance=str(raw.get("guidance", "") or ""),
                notes=str(raw.get("notes", "") or ""),
                **extra,
            )
        )
    return Catalog(
        id=cat_id,
        title=str(data.get("title", cat_id)),
        level=str(data.get("level", "city")),
        criteria=tuple(criteria),
        indicators=tuple(indicators),
        scoring=Scoring(denominator, tuple(bands), bool(scoring_raw.get("exclude_not_applicable", False))),
        source=str(data.get("source", "")),
        national=national,
    )
