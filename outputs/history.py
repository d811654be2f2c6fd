"""A portal over runs: its index per run and every indicator's verdict, changes since the previous run first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from losi.models import Verdict
from losi.store import Store
from outputs.collect import CatalogSource, ReportError, catalog_getter, collect_portal

LOST, GAINED, CHANGED = "lost", "gained", "changed"
CHANGE_ORDER = {LOST: 0, GAINED: 1, CHANGED: 2, "": 3}


@dataclass(frozen=True)
class RunPoint:
    run_id: str
    started_at: str
    framework: str
    status: str
    index: float
    band: str
    met: int
    total: int


@dataclass(frozen=True)
class IndicatorHistory:
    code: str
    name: str
    criterion: str
    verdicts: tuple[str | None, ...]  # one per run, oldest first; None: not in that run's catalog
    change: str  # lost | gained | changed | "" (since the previous run)

    @property
    def latest(self) -> str | None:
        return self.verdicts[-1] if self.verdicts else None


@dataclass(frozen=True)
class PortalHistory:
    portal_id: str
    name: str
    runs: tuple[RunPoint, ...]
    indicators: tuple[IndicatorHistory, ...]  # lost, gained, changed first; then catalog order

    @property
    def changes(self) -> tuple[IndicatorHistory, ...]:
        return tuple(i for i in self.indicators if i.change)

    def rows(self) -> list[dict[str, Any]]:
        """One row per indicator with a column per run (for CSV)."""
        out = []
        for ind in self.indicators:
            row: dict[str, Any] = {"portal": self.portal_id, "indicator": ind.code, "name": ind.name,
                                   "criterion": ind.criterion, "change": ind.change}
            for run, verdict in zip(self.runs, ind.verdicts, strict=True):
                row[run.run_id] = verdict or ""
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "portal": self.portal_id,
            "name": self.name,
            "runs": [vars(r) for r in self.runs],
            "indicators": [
                {"indicator": i.code, "name": i.name, "criterion": i.criterion, "change": i.change,
                 "verdicts": dict(zip([r.run_id for r in self.runs], i.verdicts, strict=True))}
                for i in self.indicators
            ],
        }

    def table(self) -> str:
        header = f"{'run':<27} {'date':<26} index  band"
        lines = [f"{self.name} ({self.portal_id})", header]
        for r in self.runs:
            lines.append(f"{r.run_id:<27} {r.started_at:<26} {r.index:.3f}  {r.band}  ({r.met}/{r.total})")
        if len(self.runs) < 2:
            lines.append("only one run: no changes to show")
        elif self.changes:
            lines.append("changes since the previous run:")
            for i in self.changes:
                prev = i.verdicts[-2] or "-"
                lines.append(f"  {i.change:<8} {i.code:<6} {prev} -> {i.latest or '-'}  {i.name}")
        else:
            lines.append("no indicator changed since the previous run")
        return "\n".join(lines)


def _change(previous: str | None, latest: str | None) -> str:
    if previous is None or latest is None or previous == latest:
        return ""
    if previous == Verdict.MET.value:
        return LOST
    if latest == Verdict.MET.value:
        return GAINED
    return CHANGED


def portal_history(store: Store, portal_id: str, catalogs: CatalogSource | None = None) -> PortalHistory:
    runs = store.runs_of_portal(portal_id)
    if not runs:
        raise ReportError(f"portal {portal_id!r} is in no run of this store")
    get = catalog_getter(catalogs)
    points: list[RunPoint] = []
    per_run: list[dict[str, str]] = []
    names: dict[str, tuple[str, str]] = {}  # code -> (name, criterion), newest catalog wins
    order: list[str] = []
    for row in runs:
        catalog = get(row["framework"])
        report = collect_portal(store, row["run_id"], row, catalog, store.findings(row["run_id"], portal_id))
        s = report.score
        points.append(RunPoint(row["run_id"], str(row.get("started_at") or ""), catalog.id,
                               str(row.get("status") or ""), s.index, s.band, s.overall.met, s.overall.total))
        per_run.append({f.indicator: f.verdict.value for f in report.findings})
        for ind in catalog.indicators:
            names[ind.code] = (ind.name, ind.criterion)
        order.extend(f.indicator for f in report.findings)
    codes = list(dict.fromkeys(order))
    items = []
    for code in codes:
        verdicts = tuple(r.get(code) for r in per_run)
        change = _change(verdicts[-2], verdicts[-1]) if len(verdicts) >= 2 else ""
        name, criterion = names.get(code, ("", ""))
        items.append(IndicatorHistory(code, name, criterion, verdicts, change))
    position = {c: i for i, c in enumerate(codes)}
    items.sort(key=lambda i: (CHANGE_ORDER[i.change], position[i.code]))
    latest_name = str(runs[-1].get("name") or portal_id)
    return PortalHistory(portal_id, latest_name, tuple(points), tuple(items))
