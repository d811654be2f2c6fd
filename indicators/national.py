"""The national (OSI) parts of a catalog: sectors, item families, the sites an item is looked for on, and the
survey's scoring settings (subindices, weights, reference minimum and maximum, E-Participation layers).

    sectors:    [{code: health, name: Health, concepts: [health, health-service]}, ...]
    families:   [{code: services, name: Online services}, ...]   # matrix columns, in order
    survey:     {subindices: [IF, ...], weights: {IF: 0.2, ...}, weights_doubt: "...",
                 reference: {min: 0.0, max: 1.0, doubt: "..."},
                 epi_layers: [{code: information, name: E-information}, ...],
                 epi_reference: {min_points: 0, max_points: 56, doubt: "..."}}
    indicator:  sector: health   family: services   layer: consultation   sites: [open_data]

A catalog without these keys (LOSI) gets empty values; nothing here is required.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

# The sites of a country bundle, as the Member State Questionnaire lists them (losi/bundle.py reads them too).
SITE_ROLES = ("national", "services", "open_data", "participation", "procurement", "ministry", "other")


class NationalError(ValueError):
    """A national block of a catalog is malformed; the catalog turns it into a CatalogError."""


@dataclass(frozen=True)
class Sector:
    code: str  # "health", "social_protection": the key a country bundle's `ministries:` uses
    name: str
    concepts: tuple[str, ...]  # a page about the sector names one of these in its title, top heading or URL


@dataclass(frozen=True)
class Family:
    code: str  # "services"
    name: str


@dataclass(frozen=True)
class Layer:
    code: str  # "information" | "consultation" | "decision"
    name: str


@dataclass(frozen=True)
class Reference:
    """The raw score that the published index maps to 0 and to 1, and why we believe it."""

    min: float
    max: float | None  # None: the number of items (EPI points: every EPI item met)
    doubt: str = ""


@dataclass(frozen=True)
class Survey:
    subindices: tuple[str, ...] = ()  # criteria that make up the OSI (EGL is HCI, not OSI)
    weights: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    weights_doubt: str = ""
    reference: Reference = Reference(0.0, 1.0)
    epi: str = ""  # the criterion code of the E-Participation Index
    epi_layers: tuple[Layer, ...] = ()
    epi_reference: Reference = Reference(0.0, None)


@dataclass(frozen=True)
class National:
    sectors: tuple[Sector, ...] = ()
    families: tuple[Family, ...] = ()
    survey: Survey = Survey()

    def sector(self, code: str) -> Sector | None:
        return next((s for s in self.sectors if s.code == code), None)


def _mapping_list(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    raw = data.get(key) or []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise NationalError(f"{where}: '{key}' must be a list of mappings")
    return raw


def _code_name(raw: dict[str, Any], where: str) -> tuple[str, str]:
    code, name = raw.get("code"), raw.get("name")
    if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
        raise NationalError(f"{where}: needs a 'code' and a 'name'")
    return code, name


def _reference(raw: Any, where: str, default: Reference) -> Reference:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise NationalError(f"{where} must be a mapping with min, max and doubt")
    low = raw.get("min", raw.get("min_points", default.min))
    high = raw.get("max", raw.get("max_points", default.max))
    if not isinstance(low, int | float) or (high is not None and not isinstance(high, int | float)):
        raise NationalError(f"{where}: min and max must be numbers")
    if high is not None and high <= low:
        raise NationalError(f"{where}: max must be above min")
    return Reference(float(low), None if high is None else float(high), str(raw.get("doubt", "") or ""))


def parse_national(data: dict[str, Any], where: str, criteria: Collection[str], concepts: Collection[str]) -> National:
    """The catalog's sectors, families and survey block, checked against its criteria and the known concepts."""
    sectors = []
    for i, raw in enumerate(_mapping_list(data, "sectors", where)):
        swhere = f"{where}: sectors[{i}]"
        code, name = _code_name(raw, swhere)
        cons = raw.get("concepts") or []
        if not isinstance(cons, list) or not cons or not all(isinstance(c, str) for c in cons):
            raise NationalError(f"{swhere}: 'concepts' must be a non-empty list of concept ids")
        if unknown := [c for c in cons if c not in concepts]:
            raise NationalError(f"{swhere}: 'concepts' names unknown concept(s) {unknown} (see concepts.yaml)")
        sectors.append(Sector(code, name, tuple(cons)))
    families = [Family(*_code_name(raw, f"{where}: families[{i}]"))
                for i, raw in enumerate(_mapping_list(data, "families", where))]  # fmt: skip
    raw_survey = data.get("survey") or {}
    if not isinstance(raw_survey, dict):
        raise NationalError(f"{where}: 'survey' must be a mapping")
    swhere = f"{where}: survey"
    subindices = raw_survey.get("subindices") or []
    if not isinstance(subindices, list) or any(s not in criteria for s in subindices):
        raise NationalError(f"{swhere}.subindices must list criteria codes of the catalog ({sorted(criteria)})")
    weights = raw_survey.get("weights") or {}
    if not isinstance(weights, dict) or any(k not in subindices for k in weights):
        raise NationalError(f"{swhere}.weights must map subindices to numbers")
    if any(not isinstance(v, int | float) or v < 0 for v in weights.values()):
        raise NationalError(f"{swhere}.weights must be numbers of 0 or more")
    epi = str(raw_survey.get("epi", "") or "")
    if epi and epi not in subindices:
        raise NationalError(f"{swhere}.epi must be one of the subindices")
    layers = [Layer(*_code_name(raw, f"{swhere}.epi_layers[{i}]"))
              for i, raw in enumerate(_mapping_list(raw_survey, "epi_layers", swhere))]  # fmt: skip
    survey = Survey(
        subindices=tuple(subindices),
        weights={k: float(v) for k, v in weights.items()},
        weights_doubt=str(raw_survey.get("weights_doubt", "") or ""),
        reference=_reference(raw_survey.get("reference"), f"{swhere}.reference", Reference(0.0, 1.0)),
        epi=epi,
        epi_layers=tuple(layers),
        epi_reference=_reference(raw_survey.get("epi_reference"), f"{swhere}.epi_reference", Reference(0.0, None)),
    )
    return National(tuple(sectors), tuple(families), survey)


def indicator_fields(raw: dict[str, Any], where: str, national: National, criterion: str) -> dict[str, Any]:
    """An indicator's sector, family, layer and sites, checked against the catalog's national block."""
    out: dict[str, Any] = {}
    for key, known in (
        ("sector", [s.code for s in national.sectors]),
        ("family", [f.code for f in national.families]),
        ("layer", [layer.code for layer in national.survey.epi_layers]),
    ):
        value = raw.get(key)
        if value is None:
            continue
        if value not in known:
            raise NationalError(f"{where}: field {key!r} is {value!r}, not one of {known}")
        out[key] = value
    if "layer" in out and criterion != national.survey.epi:
        raise NationalError(f"{where}: only {national.survey.epi or 'E-Participation'} items have a layer")
    sites = raw.get("sites") or []
    if not isinstance(sites, list) or any(s not in SITE_ROLES for s in sites):
        raise NationalError(f"{where}: field 'sites' must list site roles of {list(SITE_ROLES)}")
    if sites:
        out["sites"] = tuple(sites)
    return out
