"""The change summary of a run against the previous run of the same portal list (scheduled runs).

A run belongs to a list when its note is `list:NAME` (losi.scheduled sets it). Per portal: the index before
and now and its delta, the band, and the indicators gained (now met), lost (met before) and otherwise
changed, with reviewers' decisions counted as in every report. Written as changes.csv (one row per portal's
score, one per changed indicator) and changes.txt (for people: a mail body, a chat message), and shown in
report.html.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losi.store import Store
from outputs.collect import CatalogSource, PortalReport, RunReport, collect_run
from outputs.export import write_csv
from outputs.history import CHANGED, GAINED, LOST, _change

LIST_PREFIX = "list:"
CHANGE_COLUMNS = ["portal", "name", "change", "indicator", "indicator_name", "criterion", "previous", "current",
                  "previous_score", "score", "score_delta"]  # fmt: skip


def list_note(name: str) -> str:
    return f"{LIST_PREFIX}{name}"


def list_of(run: dict[str, Any]) -> str | None:
    note = str(run.get("note") or "")
    return note[len(LIST_PREFIX) :] if note.startswith(LIST_PREFIX) else None


def previous_run_of_list(store: Store, run_id: str) -> dict[str, Any] | None:
    """The latest finished run of the same list that started before this one (None: first of its list, or
    the run belongs to no list)."""
    runs = store.list_runs()  # oldest first
    current = next((r for r in runs if r["id"] == run_id), None)
    if current is None or list_of(current) is None:
        return None
    earlier = [r for r in runs if r["note"] == current["note"] and r["id"] != run_id and r["status"] == "finished"
               and (r["started_at"], r["id"]) < (current["started_at"], current["id"])]  # fmt: skip
    return earlier[-1] if earlier else None


@dataclass(frozen=True)
class IndicatorChange:
    code: str
    name: str
    criterion: str
    change: str  # gained | lost | changed
    previous: str
    current: str


@dataclass
class PortalChange:
    portal_id: str
    name: str
    change: str  # up | down | same | added | removed
    previous_score: float | None
    score: float | None
    previous_band: str = ""
    band: str = ""
    indicators: list[IndicatorChange] = field(default_factory=list)

    @property
    def delta(self) -> float | None:
        if self.previous_score is None or self.score is None:
            return None
        return round(self.score - self.previous_score, 4)

    def of(self, kind: str) -> list[IndicatorChange]:
        return [i for i in self.indicators if i.change == kind]


@dataclass
class ChangeSummary:
    list_name: str
    run: dict[str, Any]
    previous: dict[str, Any] | None
    portals: list[PortalChange]

    @property
    def gained(self) -> int:
        return sum(len(p.of(GAINED)) for p in self.portals)

    @property
    def lost(self) -> int:
        return sum(len(p.of(LOST)) for p in self.portals)

    def rows(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in self.portals:
            out.append({"portal": p.portal_id, "name": p.name, "change": p.change, "indicator": "overall",
                        "indicator_name": "index", "criterion": "", "previous": p.previous_band, "current": p.band,
                        "previous_score": _num(p.previous_score), "score": _num(p.score),
                        "score_delta": _num(p.delta)})  # fmt: skip
            for i in p.indicators:
                out.append({"portal": p.portal_id, "name": p.name, "change": i.change, "indicator": i.code,
                            "indicator_name": i.name, "criterion": i.criterion, "previous": i.previous,
                            "current": i.current, "previous_score": "", "score": "", "score_delta": ""})  # fmt: skip
        return out

    def text(self) -> str:
        run_id = self.run["id"]
        if self.previous is None:
            head = [f"losi: list {self.list_name}, run {run_id} ({self.run.get('started_at')})",
                    "first run of this list: nothing to compare with yet"]  # fmt: skip
        else:
            head = [f"losi: list {self.list_name}, run {run_id} ({self.run.get('started_at')}) against run "
                    f"{self.previous['id']} ({self.previous.get('started_at')})",
                    f"{len(self.portals)} portal(s); {self.gained} indicator(s) gained, {self.lost} lost"]  # fmt: skip
        lines = [*head, ""]
        for p in self.portals:
            score = "-" if p.score is None else f"{p.score:.3f} {p.band}"
            before = "-" if p.previous_score is None else f"{p.previous_score:.3f} {p.previous_band}"
            delta = "" if p.delta is None else f" ({p.delta:+.3f})"
            lines.append(f"{p.portal_id}: {p.change}, index {before} -> {score}{delta}")
            for kind in (GAINED, LOST, CHANGED):
                for i in p.of(kind):
                    lines.append(f"  {kind:<8} {i.code:<6} {i.previous or '-'} -> {i.current or '-'}  {i.name}")
        return "\n".join(lines) + "\n"


def _num(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _portal_change(now: PortalReport | None, before: PortalReport | None) -> PortalChange:
    some = now or before
    assert some is not None
    if now is None or before is None:
        return PortalChange(some.portal_id, some.name, "removed" if now is None else "added",
                            before.score.index if before else None, now.score.index if now else None,
                            before.score.band if before else "", now.score.band if now else "")  # fmt: skip
    earlier = {f.indicator: f.verdict.value for f in before.findings}
    changes = []
    for item in now.findings:
        previous, current = earlier.get(item.indicator), item.verdict.value
        kind = _change(previous, current)
        if kind:
            ind = now.catalog.get(item.indicator)
            changes.append(IndicatorChange(item.indicator, ind.name if ind else "", ind.criterion if ind else "",
                                           kind, previous or "", current))  # fmt: skip
    delta = now.score.index - before.score.index
    direction = "up" if delta > 1e-9 else "down" if delta < -1e-9 else "same"
    return PortalChange(now.portal_id, now.name, direction, before.score.index, now.score.index, before.score.band,
                        now.score.band, changes)  # fmt: skip


def summarise(store: Store, report: RunReport, catalogs: CatalogSource | None = None) -> ChangeSummary | None:
    """The run's changes against the previous run of its list; None when the run belongs to no list."""
    name = list_of(report.run)
    if name is None:
        return None
    previous = previous_run_of_list(store, report.run_id)
    before = {p.portal_id: p for p in collect_run(store, previous["id"], catalogs).portals} if previous else {}
    now = {p.portal_id: p for p in report.portals}
    ids = list(now) + [pid for pid in before if pid not in now]
    return ChangeSummary(name, report.run, previous, [_portal_change(now.get(pid), before.get(pid)) for pid in ids])


def write_changes(summary: ChangeSummary, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = write_csv(summary.rows(), CHANGE_COLUMNS, out_dir / "changes.csv")  # as findings.csv: BOM, no formulas
    text_path = out_dir / "changes.txt"
    text_path.write_text(summary.text(), encoding="utf-8")
    return {"changes.csv": csv_path, "changes.txt": text_path}
