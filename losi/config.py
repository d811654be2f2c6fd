"""Reading the list of portals to assess: portals.yaml or portals.csv.

    defaults:                      # optional, applied to every portal
      framework: losi-2024
      limits: {max_pages: 500}
    portals:
      - id: tashkent
        name: Toshkent shahar hokimligi
        country: UZB
        level: city
        home_url: https://tashkent.uz/
        languages: [uz, ru]
        linked_portals: [my.gov.uz]

A CSV file has one portal per row, with the same field names as columns (lists separated by ";").
Every mistake is reported as a ConfigError that names the file, the portal and the field.
"""

from __future__ import annotations

import csv
import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.scope import url_problem
from losi.models import Limits, Politeness, PortalConfig

LEVELS = ("city", "national")
RENDER_MODES = ("auto", "always", "never")
LIST_FIELDS = ("languages", "seeds", "domains", "linked_portals")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")


class ConfigError(ValueError):
    pass


def slug_from_url(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "portal").removeprefix("www.")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-") or "portal"
    return f"{slug}-{parts.port}" if parts.port else slug


def portal_from_mapping(
    raw: dict[str, Any], where: str, defaults: dict[str, Any] | None = None
) -> PortalConfig:
    merged: dict[str, Any] = {**(defaults or {}), **{k: v for k, v in raw.items() if v not in (None, "")}}
    for nested in ("limits", "politeness"):
        merged[nested] = {**((defaults or {}).get(nested) or {}), **(raw.get(nested) or {})}
    known = {f.name for f in fields(PortalConfig)} | {"url", "credentials"}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    merged.pop("credentials", None)  # accepted for forward compatibility; logins are not used yet
    if "url" in merged and "home_url" not in merged:
        merged["home_url"] = merged.pop("url")
    merged.pop("url", None)

    problem = url_problem(merged.get("home_url", ""))
    if problem:
        raise ConfigError(f"{where}: field 'home_url' {problem}")
    merged["home_url"] = merged["home_url"].strip()
    portal_id = str(merged.get("id") or slug_from_url(merged["home_url"]))
    if not ID_PATTERN.match(portal_id):
        raise ConfigError(
            f"{where}: field 'id' {portal_id!r} may only hold letters, digits, '.', '_' and '-'"
        )
    merged["id"] = portal_id

    for name in LIST_FIELDS:
        value = merged.get(name, [])
        if isinstance(value, str):
            value = [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: field {name!r} must be a list of strings")
        merged[name] = value
    for seed in merged["seeds"]:
        problem = url_problem(seed)
        if problem:
            raise ConfigError(f"{where}: a seed {problem}")
    if merged.get("level", "city") not in LEVELS:
        raise ConfigError(f"{where}: field 'level' must be one of {', '.join(LEVELS)}")
    if merged.get("render", "auto") not in RENDER_MODES:
        raise ConfigError(f"{where}: field 'render' must be one of {', '.join(RENDER_MODES)}")
    country = str(merged.get("country", "") or "").upper()
    if country and not re.fullmatch(r"[A-Z]{3}", country):
        raise ConfigError(f"{where}: field 'country' must be an ISO 3166 alpha-3 code such as UZB")
    merged["country"] = country
    merged["allow_private"] = _as_bool(merged.get("allow_private", False), f"{where}: field 'allow_private'")

    merged["limits"] = _sub_config(Limits, merged["limits"], f"{where}: limits")
    limits = merged["limits"]
    for name in ("max_pages", "max_seconds", "probe_seconds", "assess_seconds"):
        if getattr(limits, name) < 1:
            raise ConfigError(f"{where}: limits.{name} must be at least 1")
    if not 0 <= limits.filler_share <= 1:
        raise ConfigError(f"{where}: limits.filler_share must be between 0 and 1 (a share of max_pages)")
    merged["politeness"] = _sub_config(Politeness, merged["politeness"], f"{where}: politeness")
    return PortalConfig(**merged)


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{where} must be true or false")


def _sub_config(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping")
    defaults = cls()
    values = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        default = getattr(defaults, f.name)
        value = raw[f.name]
        try:
            if isinstance(default, bool):
                value = _as_bool(value, f"{where}.{f.name}")
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}.{f.name} must be a number, not {value!r}") from None
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{where}.{f.name} must not be negative")
        values[f.name] = value
    unknown = sorted(set(raw) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    return cls(**values)


def load_portals(path: Path, substitutions: dict[str, str] | None = None) -> list[PortalConfig]:
    """Read portals.yaml (or .yml) or portals.csv. `substitutions` fills {name} placeholders in URLs."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from exc
    for key, value in (substitutions or {}).items():
        text = text.replace("{" + key + "}", value)
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        defaults: dict[str, Any] = {}
        raw_portals: list[Any] = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in rows]
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if isinstance(data, list):
            data = {"portals": data}
        if not isinstance(data, dict) or not isinstance(data.get("portals"), list):
            raise ConfigError(f"{path}: expected a 'portals:' list (see `losi run --help`)")
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            raise ConfigError(f"{path}: 'defaults' must be a mapping")
        raw_portals = data["portals"]
    if not raw_portals:
        raise ConfigError(f"{path}: lists no portals")
    result: list[PortalConfig] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_portals, start=1):
        label = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path.name}: portal #{index}" + (f" ({label})" if label else "")
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a mapping of fields")
        portal = portal_from_mapping(raw, where, defaults)
        if portal.id in seen:
            raise ConfigError(f"{where}: id {portal.id!r} is used twice")
        seen.add(portal.id)
        result.append(portal)
    return result
