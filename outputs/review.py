"""The human review round-trip: export a review workbook, import decisions, compare two assessors.

Import is all or nothing: every row is validated first, and one bad row (wrong run id, unknown portal or
indicator, an invalid decision) refuses the whole file with a message naming the sheet and row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from losi.models import Verdict
from losi.store import Review, Store, now_iso
from outputs.collect import CatalogSource, ReportError, RunReport, catalog_getter, collect_run
from outputs.sheets import style_sheet, write_frame

REVIEW_SHEET = "Review"
META_SHEET = "_run"  # hidden, protected: holds the run id the workbook belongs to
REVIEW_COLUMNS = [
    "run_id",
    "portal",
    "indicator",
    "name",
    "machine_verdict",
    "confidence",
    "evidence_url",
    "explanation",
    "decision",
    "comment",
    "reviewer",
]
EDITABLE = ("decision", "comment", "reviewer")
DECISIONS = (Verdict.MET.value, Verdict.NOT_MET.value, Verdict.NOT_APPLICABLE.value)
MAX_LISTED_ERRORS = 15


class ReviewImportError(ValueError):
    """A review workbook was refused; nothing was recorded. The message names the sheet rows."""


# ------------------------------------------------------------------------------------------- export


def review_rows(report: RunReport) -> list[dict[str, Any]]:
    rows = []
    for p in report.portals:
        for item in p.findings:
            f = item.finding
            ind = p.catalog.get(item.indicator)
            rows.append(
                {
                    "run_id": report.run_id,
                    "portal": p.portal_id,
                    "indicator": str(item.indicator),
                    "name": ind.name if ind else "",
                    "machine_verdict": item.machine_verdict.value,
                    "confidence": round(float(f.confidence), 3),
                    "evidence_url": f.evidence[0].url if f.evidence else (f.candidates[0] if f.candidates else ""),
                    "explanation": f.explanation,
                    "decision": None,
                    "comment": None,
                    "reviewer": None,
                }
            )
    return rows


def add_review_sheet(writer: pd.ExcelWriter, report: RunReport) -> Worksheet:
    """The Review sheet (and the hidden run-id sheet) inside an open workbook writer."""
    ws = write_frame(writer, pd.DataFrame(review_rows(report)), REVIEW_SHEET, REVIEW_COLUMNS)
    style_sheet(
        ws,
        widths={"explanation": 60, "name": 40, "evidence_url": 45, "decision": 16, "comment": 40},
        verdict_columns=("machine_verdict",),
        link_columns=("evidence_url",),
    )
    rows = ws.max_row
    decision_col = get_column_letter(REVIEW_COLUMNS.index("decision") + 1)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose met, not_met or not_applicable (or leave empty)",
    )
    ws.add_data_validation(dv)
    if rows >= 2:
        dv.add(f"{decision_col}2:{decision_col}{rows}")
    # Locked sheet, with only the reviewer's three columns open; no password: it prevents slips, not people.
    for name in EDITABLE:
        col = REVIEW_COLUMNS.index(name) + 1
        for (cell,) in ws.iter_rows(min_row=2, max_row=rows, min_col=col, max_col=col):
            cell.protection = Protection(locked=False)
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False

    meta = writer.book.create_sheet(META_SHEET)
    meta["A1"], meta["B1"] = "run_id", report.run_id
    meta["A2"], meta["B2"] = "exported_at", now_iso()
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    return ws


def export_review(
    store: Store, run_id: str, path: Path, catalogs: CatalogSource | None = None
) -> Path:
    """Write the review workbook of a run: one row per portal and indicator, empty decision columns."""
    report = collect_run(store, run_id, catalogs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        add_review_sheet(writer, report)
    return path


# ------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    run_id: str
    path: Path
    recorded: int  # decisions written to the store
    changed: int  # decisions that differ from the machine's verdict
    skipped: int  # rows left without a decision
    reviewers: tuple[str, ...]
    portals: tuple[str, ...]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text


def normalise_decision(value: Any) -> str:
    return _text(value).lower().replace(" ", "_").replace("-", "_")


def _meta_run_id(wb: Any) -> str:
    if META_SHEET not in wb.sheetnames:
        return ""
    ws = wb[META_SHEET]
    return _text(ws["B1"].value) if _text(ws["A1"].value) == "run_id" else ""


def _read_sheet(path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    try:
        wb = load_workbook(path, read_only=False, data_only=True)
    except FileNotFoundError as exc:
        raise ReviewImportError(f"{path}: no such file") from exc
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ReviewImportError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__})") from exc
    if REVIEW_SHEET not in wb.sheetnames:
        raise ReviewImportError(f"{path}: no sheet named {REVIEW_SHEET!r} (sheets: {', '.join(wb.sheetnames)})")
    ws = wb[REVIEW_SHEET]
    header = [_text(c.value).lower() for c in ws[1]]
    missing = [h for h in ("run_id", "portal", "indicator", "decision") if h not in header]
    if missing:
        raise ReviewImportError(f"sheet {REVIEW_SHEET!r}, row 1: missing column(s) {', '.join(missing)}")
    rows = []
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        row = {h: values[i] if i < len(values) else None for i, h in enumerate(header) if h}
        if any(_text(v) for v in row.values()):
            rows.append((number, row))
    return _meta_run_id(wb), rows


def _known_indicators(store: Store, run_id: str, catalogs: CatalogSource | None) -> dict[str, dict[str, str]]:
    """portal id -> {indicator code: machine verdict} for every portal of the run."""
    get = catalog_getter(catalogs)
    known: dict[str, dict[str, str]] = {}
    for p in store.portals(run_id):
        codes: dict[str, str] = {}
        with contextlib.suppress(ReportError):  # no catalog: the stored findings still name the codes
            codes = {i.code: Verdict.NOT_ASSESSED.value for i in get(p["framework"]).indicators}
        for s in store.findings(run_id, p["portal_id"]):
            codes[s.finding.indicator] = s.finding.verdict.value
        known[p["portal_id"]] = codes
    return known


@dataclass(frozen=True)
class PreparedImport:
    """A validated review workbook, not yet recorded."""

    run_id: str
    path: Path
    decisions: tuple[Review, ...]
    machine: dict[tuple[str, str], str]  # (portal, indicator) -> machine verdict
    skipped: int

    def result(self) -> ImportResult:
        return ImportResult(
            run_id=self.run_id,
            path=self.path,
            recorded=len(self.decisions),
            changed=sum(d.decision.value != self.machine.get((d.portal_id, d.indicator)) for d in self.decisions),
            skipped=self.skipped,
            reviewers=tuple(sorted({d.reviewer for d in self.decisions})),
            portals=tuple(sorted({d.portal_id for d in self.decisions})),
        )


def prepare_review(
    store: Store, path: Path, reviewer: str | None = None, catalogs: CatalogSource | None = None
) -> PreparedImport:
    """Read and validate every row of a filled review workbook; raise ReviewImportError on any problem.

    The reviewer's name comes from the row's `reviewer` cell, else from `reviewer`.
    """
    path = Path(path)
    meta_run, rows = _read_sheet(path)
    run_ids = {_text(r.get("run_id")) for _, r in rows if _text(r.get("run_id"))}
    run_id = meta_run or (run_ids.pop() if len(run_ids) == 1 else "")
    if not run_id:
        raise ReviewImportError(f"{path}: cannot tell which run this workbook belongs to (no run id)")
    if store.get_run(run_id) is None:
        raise ReviewImportError(f"{path}: run {run_id!r} is not in this store")
    known = _known_indicators(store, run_id, catalogs)

    errors: list[str] = []
    decisions: list[Review] = []
    seen: dict[tuple[str, str], int] = {}
    skipped = 0
    source = str(path.resolve())
    stamp = now_iso()
    for number, row in rows:
        where = f"sheet {REVIEW_SHEET!r}, row {number}"
        row_run = _text(row.get("run_id"))
        portal = _text(row.get("portal"))
        code = _text(row.get("indicator"))
        decision = normalise_decision(row.get("decision"))
        if row_run != run_id:
            errors.append(f"{where}: run id {row_run!r} is not this workbook's run {run_id!r}")
            continue
        if portal not in known:
            errors.append(f"{where}: unknown portal {portal!r} in run {run_id}")
            continue
        if code not in known[portal]:
            errors.append(f"{where}: unknown indicator {code!r} for portal {portal!r}")
            continue
        if not decision:
            skipped += 1
            continue
        if decision not in DECISIONS:
            errors.append(
                f"{where}: decision {_text(row.get('decision'))!r} is not one of {', '.join(DECISIONS)}"
            )
            continue
        who = _text(row.get("reviewer")) or (reviewer or "").strip()
        if not who:
            errors.append(f"{where}: no reviewer name (fill the reviewer column or pass --reviewer)")
            continue
        if (portal, code) in seen:
            errors.append(
                f"{where}: portal {portal!r} indicator {code!r} is already decided in row {seen[portal, code]}"
            )
            continue
        seen[portal, code] = number
        decisions.append(
            Review(run_id, portal, code, who, Verdict(decision), _text(row.get("comment")), stamp, source)
        )
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        more = f"\n... and {len(errors) - len(listed)} more" if len(errors) > len(listed) else ""
        raise ReviewImportError(
            f"{path.name}: {len(errors)} problem(s), nothing was recorded:\n" + "\n".join(listed) + more
        )
    machine = {(p, c): v for p, codes in known.items() for c, v in codes.items()}
    return PreparedImport(run_id, path, tuple(decisions), machine, skipped)


def record_reviews(store: Store, prepared: Sequence[PreparedImport]) -> list[ImportResult]:
    """Record validated workbooks in one transaction: all of them or none."""
    store.add_reviews([d for p in prepared for d in p.decisions])
    return [p.result() for p in prepared]


def import_review(
    store: Store, path: Path, reviewer: str | None = None, catalogs: CatalogSource | None = None
) -> ImportResult:
    """Validate every row of a filled review workbook, then record all its decisions (or none)."""
    return record_reviews(store, [prepare_review(store, path, reviewer, catalogs)])[0]


# -------------------------------------------------------------------------------- two assessors


@dataclass(frozen=True)
class Disagreement:
    portal: str
    indicator: str
    machine_verdict: str
    decision_a: str
    comment_a: str
    decision_b: str
    comment_b: str


@dataclass(frozen=True)
class PortalAgreement:
    portal: str
    compared: int  # indicators both reviewers decided
    agreed: int
    machine_agrees_a: float  # share of reviewer A's decisions equal to the machine's verdict
    machine_agrees_b: float
    threshold: float
    decided_a: int = 0
    decided_b: int = 0

    @property
    def agreement(self) -> float:
        return self.agreed / self.compared if self.compared else 0.0

    @property
    def disagreement(self) -> float:
        return 1.0 - self.agreement if self.compared else 0.0

    @property
    def flagged(self) -> bool:
        return self.disagreement > self.threshold


@dataclass(frozen=True)
class ReviewComparison:
    run_id: str
    reviewer_a: str
    reviewer_b: str
    threshold: float
    portals: tuple[PortalAgreement, ...]
    disagreements: tuple[Disagreement, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(p.portal for p in self.portals if p.flagged)

    def summary(self) -> str:
        lines = [
            f"Run {self.run_id}: {self.reviewer_a} (A) vs {self.reviewer_b} (B), "
            f"flag above {self.threshold:.0%} disagreement"
        ]
        for p in self.portals:
            flag = "  DISAGREE" if p.flagged else ""
            lines.append(
                f"  {p.portal}: {p.agreed}/{p.compared} agree ({p.agreement:.1%}), "
                f"machine agrees with A {p.machine_agrees_a:.1%}, with B {p.machine_agrees_b:.1%}{flag}"
            )
        lines.append(f"  {len(self.disagreements)} disagreement(s) to reconcile")
        return "\n".join(lines)


def _latest_by_reviewer(reviews: Sequence[Review]) -> dict[str, dict[tuple[str, str], Review]]:
    out: dict[str, dict[tuple[str, str], Review]] = {}
    for r in reviews:  # oldest first, so later decisions overwrite earlier ones
        out.setdefault(r.reviewer, {})[r.portal_id, r.indicator] = r
    return out


def compare_reviews(
    store: Store,
    run_id: str,
    threshold: float = 0.05,
    reviewers: tuple[str, str] | None = None,
) -> ReviewComparison:
    """Agreement of two reviewers per portal, and the machine's agreement with each."""
    reviews = store.reviews(run_id)
    by_reviewer = _latest_by_reviewer(reviews)
    if reviewers is None:
        order = list(dict.fromkeys(r.reviewer for r in reviews))
        if len(order) < 2:
            raise ReviewImportError(
                f"run {run_id}: comparing needs decisions from two reviewers, found {len(order)}"
                + (f" ({order[0]})" if order else "")
            )
        reviewers = (order[0], order[1])
    a_name, b_name = reviewers
    a, b = by_reviewer.get(a_name, {}), by_reviewer.get(b_name, {})
    machine = {(s.portal_id, s.finding.indicator): s.finding.verdict.value for s in store.findings(run_id)}

    def machine_share(decided: dict[tuple[str, str], Review], portal: str) -> tuple[float, int]:
        mine = [(k, r) for k, r in decided.items() if k[0] == portal]
        if not mine:
            return 0.0, 0
        same = sum(machine.get(k) == r.decision.value for k, r in mine)
        return same / len(mine), len(mine)

    portals = sorted({k[0] for k in (*a, *b)})
    results, disagreements = [], []
    for portal in portals:
        common = sorted(k for k in a if k[0] == portal and k in b)
        agreed = 0
        for key in common:
            ra, rb = a[key], b[key]
            if ra.decision == rb.decision:
                agreed += 1
            else:
                disagreements.append(
                    Disagreement(portal, key[1], machine.get(key, ""), ra.decision.value, ra.comment,
                                 rb.decision.value, rb.comment)
                )
        share_a, n_a = machine_share(a, portal)
        share_b, n_b = machine_share(b, portal)
        results.append(PortalAgreement(portal, len(common), agreed, share_a, share_b, threshold, n_a, n_b))
    return ReviewComparison(run_id, a_name, b_name, threshold, tuple(results), tuple(disagreements))


RECONCILIATION_COLUMNS = [
    "run_id", "portal", "indicator", "machine_verdict", "reviewer_a", "decision_a", "comment_a",
    "reviewer_b", "decision_b", "comment_b", "reconciled_decision", "reconciled_comment",
]


def write_reconciliation(comparison: ReviewComparison, path: Path) -> Path:
    """A workbook listing only the items where the two reviewers disagree, with room for the outcome."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "run_id": comparison.run_id,
            "portal": d.portal,
            "indicator": d.indicator,
            "machine_verdict": d.machine_verdict,
            "reviewer_a": comparison.reviewer_a,
            "decision_a": d.decision_a,
            "comment_a": d.comment_a,
            "reviewer_b": comparison.reviewer_b,
            "decision_b": d.decision_b,
            "comment_b": d.comment_b,
            "reconciled_decision": None,
            "reconciled_comment": None,
        }
        for d in comparison.disagreements
    ]
    agreement = pd.DataFrame(
        [
            {
                "portal": p.portal,
                "compared": p.compared,
                "agreed": p.agreed,
                "agreement": round(p.agreement, 4),
                "disagreement": round(p.disagreement, 4),
                "flagged": "yes" if p.flagged else "no",
                f"machine_vs_{comparison.reviewer_a}": round(p.machine_agrees_a, 4),
                f"machine_vs_{comparison.reviewer_b}": round(p.machine_agrees_b, 4),
            }
            for p in comparison.portals
        ]
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        ws = write_frame(writer, pd.DataFrame(rows), "Disagreements", RECONCILIATION_COLUMNS)
        style_sheet(ws, verdict_columns=("machine_verdict", "decision_a", "decision_b"))
        ws2 = write_frame(writer, agreement, "Agreement", list(agreement.columns) or ["portal"])
        style_sheet(ws2)
    return path


__all__ = [
    "ImportResult",
    "ReviewComparison",
    "ReviewImportError",
    "compare_reviews",
    "export_review",
    "import_review",
    "prepare_review",
    "record_reviews",
    "write_reconciliation",
]
