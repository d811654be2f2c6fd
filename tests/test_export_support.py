"""Builders shared by the outputs tests: a small catalog written as YAML, and a store filled directly."""

from __future__ import annotations

from pathlib import Path

import yaml

from indicators.catalog import Catalog, parse_catalog
from losi.models import Evidence, Finding, PortalConfig, Verdict
from losi.store import Store

BANDS = [
    {"name": "Very High", "above": 0.75},
    {"name": "High", "above": 0.5},
    {"name": "Middle", "above": 0.25},
    {"name": "Low", "above": 0},
]

CITY_INDICATORS = [
    ("281", "IF", "Official city portal exists"),
    ("215", "IF", "Organisational chart"),
    ("296", "CP", "News section"),
    ("295", "CP", "Events section"),
    ("217", "CP", "About the city"),
    ("220", "CP", "Procurement announcements"),
    ("214", "TECH", "Contact details"),
    ("205", "TECH", "Sitemap"),
    ("206", "TECH", "Search"),
    ("225a", "TECH", "Free internet access"),
]
NATIONAL_INDICATORS = [
    ("010", "IF", "Organisation chart"),
    ("014", "IF", "Privacy statement"),
    ("015", "CP", "Foreign language"),
    ("043", "SP", "Income tax online"),
    ("005", "TEC", "Sitemap"),
]


def write_catalog(
    path: Path,
    cat_id: str,
    level: str,
    indicators: list[tuple[str, str, str]],
    denominator: int | None = None,
    exclude_not_applicable: bool | None = None,
) -> Catalog:
    criteria = list(dict.fromkeys(c for _, c, _ in indicators))
    scoring: dict = {"bands": BANDS}
    if denominator is not None:
        scoring["denominator"] = denominator
    if exclude_not_applicable is not None:
        scoring["exclude_not_applicable"] = exclude_not_applicable
    data = {
        "id": cat_id,
        "title": cat_id,
        "level": level,
        "criteria": [{"code": c, "name": f"Criterion {c}"} for c in criteria],
        "scoring": scoring,
        "indicators": [
            {"code": code, "criterion": crit, "name": name, "question": f"{name}?", "yes_when": name,
             "mode": "automated", "rule": f"rule-{code}"}
            for code, crit, name in indicators
        ],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return parse_catalog(path)


def catalogs(tmp_path: Path, denominator: int | None = None) -> dict[str, Catalog]:
    return {
        "test-city": write_catalog(tmp_path / "test-city.yaml", "test-city", "city", CITY_INDICATORS, denominator),
        "test-national": write_catalog(
            tmp_path / "test-national.yaml", "test-national", "national", NATIONAL_INDICATORS
        ),
    }


def met(code: str, url: str, snippet: str = "found", selector: str = "main a") -> Finding:
    return Finding(code, Verdict.MET, f"rule-{code}", f"{code} found", 0.9,
                   evidence=[Evidence(url=url, selector=selector, snippet=snippet)])


def not_met(code: str) -> Finding:
    return Finding(code, Verdict.NOT_MET, f"rule-{code}", f"{code} not found", 0.8,
                   looked_for=["term-a", "/path-a"])


def review_needed(code: str) -> Finding:
    return Finding(code, Verdict.NEEDS_REVIEW, f"rule-{code}", f"{code} needs a person", 0.4,
                   candidates=["https://city.example/maybe"], method="human")


def add_portal(store: Store, run_id: str, portal_id: str, framework: str, level: str, country: str,
               name: str | None = None, home: str | None = None) -> PortalConfig:
    cfg = PortalConfig(id=portal_id, home_url=home or f"https://{portal_id}.example/", name=name or portal_id.title(),
                       country=country, level=level, framework=framework)
    store.add_portal(run_id, cfg)
    return cfg


def city_findings(variant: int = 0) -> list[Finding]:
    """All ten city indicators: 5 met, 3 not met, 1 needs review, 1 not applicable (variant 0)."""
    base = "https://tashkent.example"
    items = [
        met("281", f"{base}/", "Тошкент шаҳар ҳокимлиги"),
        met("215", f"{base}/structure", "Структура"),
        met("296", f"{base}/news", "Янгиликлар"),
        met("214", f"{base}/contact", "=HYPERLINK(\"http://evil.example\",\"click\")"),
        met("206", f"{base}/search?q=a", "Search"),
        not_met("295"),
        not_met("217"),
        not_met("205"),
        review_needed("220"),
        Finding("225a", Verdict.NOT_APPLICABLE, "rule-225a", "no wifi programme applies", 0.7),
    ]
    if variant == 1:  # a later run: lost the org chart, gained events
        items[1] = not_met("215")
        items[5] = met("295", f"{base}/events", "Тадбирлар")
    return items


def build_store(tmp_path: Path, two_runs: bool = False) -> tuple[Store, str, dict[str, Catalog]]:
    """A store with one run (city portal 'tashkent', national 'mygov', unreachable city 'down')."""
    cats = catalogs(tmp_path)
    store = Store(data_dir=tmp_path / "data")
    runs = []
    for variant in ((0, 1) if two_runs else (0,)):
        run_id = store.create_run(note=f"variant {variant}", run_id=f"2026010{variant + 1}-000000-000{variant}")
        add_portal(store, run_id, "tashkent", "test-city", "city", "UZB", name="Toshkent <b>shahri</b>")
        store.save_findings(run_id, "tashkent", "test-city", city_findings(variant))
        store.set_portal_status(run_id, "tashkent", "assessed", pages_count=42)
        add_portal(store, run_id, "mygov", "test-national", "national", "UZB", name="my.gov.uz")
        store.save_findings(run_id, "mygov", "test-national", [
            met("010", "https://my.gov.example/org"), met("014", "https://my.gov.example/privacy"),
            met("015", "https://my.gov.example/en"), not_met("043"), not_met("005"),
        ])
        store.set_portal_status(run_id, "mygov", "assessed", pages_count=10)
        add_portal(store, run_id, "down", "test-city", "city", "GEO", name="Unreachable city")
        reason = "could not reach https://down.example/: connection refused"
        store.save_findings(run_id, "down", "test-city", [
            Finding(code, Verdict.NOT_ASSESSED, "none", reason, 0.0, method="human") for code, _, _ in CITY_INDICATORS
        ])
        store.set_portal_status(run_id, "down", "not_assessed", reason=reason)
        store.finish_run(run_id)
        runs.append(run_id)
    return store, runs[-1], cats
