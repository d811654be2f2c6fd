"""Gather one run from the store into what every export reads: portals, catalogs, findings, scores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from indicators.catalog import Catalog, CatalogError, load_catalog
from losi.models import Finding, Method, Verdict
from losi.store import Store, StoredFinding
from outputs.scoring import EffectiveFinding, PortalScore, effective_findings, score_findings

CatalogSource = Callable[[str], Catalog] | Mapping[str, Catalog]


class ReportError(ValueError):
    """The run cannot be reported: unknown run id, unknown framework. The message says which."""


def resolve_run_id(store: Store, run: str) -> str:
    """'latest' or a run id -> an existing run id, or ReportError."""
    if run == "latest":
        latest = store.latest_run_id()
        if latest is None:
            raise ReportError("the store has no runs yet (run `losi assess` or `losi run` first)")
        return latest
    if store.get_run(run) is None:
        known = [r["id"] for r in store.list_runs()][-5:]
        hint = f" (recent runs: {', '.join(known)})" if known else " (the store has no runs)"
        raise ReportError(f"unknown run {run!r}{hint}")
    return run


def catalog_getter(catalogs: CatalogSource | None) -> Callable[[str], Catalog]:
    def get(framework: str) -> Catalog:
        try:
            if catalogs is None:
                return load_catalog(framework)
            if isinstance(catalogs, Mapping):
                if framework not in catalogs:
                    raise ReportError(f"no catalog for framework {framework!r}")
                return catalogs[framework]
            return catalogs(framework)
        except CatalogError as exc:
            raise ReportError(str(exc)) from exc

    return get


@dataclass
class PortalReport:
    info: dict[str, Any]  # the portals-table row: portal_id, name, country, level, framework, status, ...
    catalog: Catalog
    findings: list[EffectiveFinding]  # catalog order; stored findings for unknown codes come last
    score: PortalScore
    pages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def portal_id(self) -> str:
        return str(self.info["portal_id"])

    @property
    def name(self) -> str:
        return str(self.info.get("name") or self.portal_id)

    @property
    def level(self) -> str:
        return str(self.info.get("level") or self.catalog.level)


@dataclass
class RunReport:
    run: dict[str, Any]
    portals: list[PortalReport]

    @property
    def run_id(self) -> str:
        return str(self.run["id"])


def _complete(
    catalog: Catalog, portal: dict[str, Any], found: list[EffectiveFinding]
) -> list[EffectiveFinding]:
    """Catalog order; an indicator with no stored finding shows as not_assessed, so none goes missing."""
    by_code = {f.indicator: f for f in found}
    reason = portal.get("reason") or "no finding was recorded for this indicator"
    out = []
    for ind in catalog.indicators:
        item = by_code.pop(ind.code, None)
        if item is None:
            missing = Finding(ind.code, Verdict.NOT_ASSESSED, "none", reason, 0.0, method=Method.HUMAN.value)
            item = EffectiveFinding(portal["portal_id"], catalog.id, missing)
        out.append(item)
    out.extend(by_code.values())
    return out


def collect_portal(
    store: Store, run_id: str, portal: dict[str, Any], catalog: Catalog, stored: list[StoredFinding]
) -> PortalReport:
    pid = portal["portal_id"]
    items = _complete(catalog, portal, effective_findings(stored, store.reviews(run_id, pid)))
    codes = {i.code for i in catalog.indicators}
    score = score_findings(catalog, pid, [f for f in items if f.indicator in codes])
    return PortalReport(portal, catalog, items, score, store.pages(run_id, pid))


def collect_run(store: Store, run_id: str, catalogs: CatalogSource | None = None) -> RunReport:
    run = store.get_run(run_id)
    if run is None:
        raise ReportError(f"unknown run {run_id!r}")
    get = catalog_getter(catalogs)
    by_portal: dict[str, list[StoredFinding]] = {}
    for s in store.findings(run_id):
        by_portal.setdefault(s.portal_id, []).append(s)
    reports = [
        collect_portal(store, run_id, p, get(p["framework"]), by_portal.get(p["portal_id"], []))
        for p in sorted(store.portals(run_id), key=lambda p: p["portal_id"])
    ]
    return RunReport(run, reports)
