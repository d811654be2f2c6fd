"""The country bundle file (country.yaml): a country's sites in the shape of the UN Member State Questionnaire.

    country: UZB                      # ISO 3166 alpha-3
    name: Republic of Uzbekistan
    languages: [uz, ru, en]
    framework: osi-2024
    portals:
      national: https://gov.uz/
      services: [https://my.gov.uz/]  # one or more
      open_data: https://data.egov.uz/
      participation: https://meningfikrim.uz/
      procurement: https://xarid.uzex.uz/
    ministries:                       # any of the catalog's sectors; a missing one is simply absent
      health: https://ssv.uz/
      education: https://uzedu.uz/
    other: [https://lex.uz/]          # further official sites to crawl
    limits: {max_pages: 200}          # per site (optional; also politeness, render, allow_private, id)

The bundle becomes one PortalConfig whose id is the country code and whose `sites` list every site with its
roles and sectors; losi/country.py crawls each site with its own budget and assesses them together. Every
mistake is a ConfigError naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assessors.bundle import site_key
from crawler.scope import host_of, url_problem
from indicators.catalog import CatalogError, available_catalogs, load_catalog
from indicators.national import SITE_ROLES
from losi.config import ConfigError, load_portals, portal_from_mapping
from losi.models import PortalConfig

PORTAL_ROLES = ("national", "services", "open_data", "participation", "procurement")  # keys of `portals:`
SINGLE_ROLES = ("national",)  # one URL; the others take one URL or a list
TOP_FIELDS = ("country", "name", "languages", "framework", "portals", "ministries", "other", "id", "limits",
              "politeness", "render", "allow_private")  # fmt: skip
DEFAULT_FRAMEWORK = "osi-2024"
assert set(PORTAL_ROLES) <= set(SITE_ROLES)


def _urls(value: Any, where: str, single: bool = False) -> list[str]:
    """One URL or a list of them, each checked."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or (single and len(values) != 1):
        raise ConfigError(f"{where} must be {'one URL' if single else 'a URL or a list of URLs'}")
    out = []
    for url in values:
        if not isinstance(url, str) or (problem := url_problem(url)):
            raise ConfigError(f"{where}: {problem or f'{url!r} is not a URL'}")
        out.append(url.strip())
    return out


def _sector_codes(framework: str, where: str) -> list[str]:
    try:
        catalog = load_catalog(framework)
    except CatalogError as exc:
        raise ConfigError(f"{where}: field 'framework': {exc}") from exc
    codes = [s.code for s in catalog.national.sectors]
    if not codes:
        raise ConfigError(f"{where}: field 'framework' {framework!r} is not a national catalog with sectors "
                          f"(national catalogs: {', '.join(national_frameworks()) or 'none'})")  # fmt: skip
    return codes


def national_frameworks() -> list[str]:
    out = []
    for framework in available_catalogs():
        try:
            if load_catalog(framework).national.sectors:
                out.append(framework)
        except CatalogError:
            continue
    return out


def bundle_from_mapping(data: Any, where: str) -> PortalConfig:
    """Check a parsed country.yaml and turn it into a PortalConfig with its `sites`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a country bundle must be a mapping (see `losi country --help`)")
    unknown = sorted(set(data) - set(TOP_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(TOP_FIELDS)}")
    country = data.get("country")
    if not country:
        raise ConfigError(f"{where}: missing field 'country' (ISO 3166 alpha-3, e.g. UZB)")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{3}", country.strip()):
        raise ConfigError(f"{where}: field 'country' must be an ISO 3166 alpha-3 code such as UZB, not {country!r}")
    framework = str(data.get("framework") or DEFAULT_FRAMEWORK)
    sectors = _sector_codes(framework, where)
    portals = data.get("portals")
    if not isinstance(portals, dict):
        raise ConfigError(f"{where}: missing field 'portals' (a mapping with at least 'national')")
    if unknown := sorted(set(portals) - set(PORTAL_ROLES)):
        raise ConfigError(f"{where}: portals: unknown kind(s) {', '.join(map(str, unknown))}; "
                          f"known: {', '.join(PORTAL_ROLES)}")  # fmt: skip
    if not portals.get("national"):
        raise ConfigError(f"{where}: missing field 'portals.national' (the national portal's URL)")
    sites: dict[str, dict[str, Any]] = {}  # site key -> site

    def add(url: str, role: str, sector: str = "") -> None:
        key = site_key(url)
        site = sites.get(key)
        if site is None:
            sid = sector or role
            if any(s["id"] == sid for s in sites.values()):
                sid = f"{sid}-{sum(s['id'].startswith(sid) for s in sites.values()) + 1}"
            site = sites[key] = {"id": sid, "url": url, "roles": [], "sectors": []}
        if role not in site["roles"]:
            site["roles"].append(role)
        if sector and sector not in site["sectors"]:
            site["sectors"].append(sector)

    for role in PORTAL_ROLES:
        if portals.get(role) is not None:
            for url in _urls(portals[role], f"{where}: portals.{role}", single=role in SINGLE_ROLES):
                add(url, role)
    ministries = data.get("ministries") or {}
    if not isinstance(ministries, dict):
        raise ConfigError(f"{where}: field 'ministries' must map sectors to URLs")
    for sector, value in ministries.items():
        if sector not in sectors:
            raise ConfigError(f"{where}: ministries: unknown sector {sector!r}; known: {', '.join(sectors)}")
        if value is None:
            continue
        for url in _urls(value, f"{where}: ministries.{sector}"):
            add(url, "ministry", sector)
    for url in _urls(data.get("other") or [], f"{where}: other"):
        add(url, "other")

    languages = data.get("languages") or []
    if isinstance(languages, str):
        languages = [x.strip() for x in re.split(r"[;,]", languages) if x.strip()]
    raw = {
        "id": data.get("id") or country.strip().upper(),
        "name": data.get("name") or "",
        "country": country.strip().upper(),
        "level": "national",
        "languages": languages,
        "framework": framework,
        "home_url": portals["national"] if isinstance(portals["national"], str) else portals["national"][0],
        "linked_portals": [host_of(s["url"]) for s in sites.values() if set(s["roles"]) & {"services", "procurement"}],
        "limits": data.get("limits") or {},
        "politeness": data.get("politeness") or {},
        "render": data.get("render") or "auto",
        "allow_private": data.get("allow_private", False),
    }
    portal = portal_from_mapping(raw, where)
    portal.sites = list(sites.values())
    return portal


def read_yaml(path: Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc


def is_bundle(data: Any) -> bool:
    """A country bundle names its country and maps its portals (a portals list is a list)."""
    return isinstance(data, dict) and "country" in data and not isinstance(data.get("portals"), list)


def load_bundle(path: Path) -> PortalConfig:
    return bundle_from_mapping(read_yaml(path), Path(path).name)


def load_run_files(paths: list[Path]) -> list[PortalConfig]:
    """What `losi run` reads: portals files (portals.yaml / .csv), country bundles, or a list of bundles
    (`countries: [uzb.yaml, geo.yaml]`, paths relative to that file), in any mix."""
    out: list[PortalConfig] = []
    for path in paths:
        path = Path(path)
        data = read_yaml(path) if path.suffix.lower() in (".yaml", ".yml") else None
        if is_bundle(data):
            out.append(load_bundle(path))
        elif isinstance(data, dict) and "countries" in data and "portals" not in data:
            files = data["countries"]
            if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
                raise ConfigError(f"{path.name}: 'countries' must list country bundle files")
            out.extend(load_bundle(path.parent / f) for f in files)
        else:
            out.extend(load_portals(path))
    seen: set[str] = set()
    for portal in out:
        if portal.id in seen:
            raise ConfigError(f"portal id {portal.id!r} appears in more than one file")
        seen.add(portal.id)
    return out
