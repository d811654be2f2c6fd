"""Machine-readable exports: findings.csv, findings.json, scores.csv.

Crawled text is untrusted: every text cell that a spreadsheet could read as a formula (it starts with
= + - @, a tab or a carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from outputs.collect import PortalReport, RunReport
from outputs.scoring import SCORE_COLUMNS, EffectiveFinding
from outputs.survey import survey_score

FINDING_COLUMNS = [
    "portal",
    "framework",
    "indicator",
    "criterion",
    "verdict",
    "confidence",
    "evidence_url",
    "evidence_selector",
    "evidence_snippet",
    "method",
    "evidence_site",
    "name",
    "rule",
    "explanation",
    "machine_verdict",
    "reviewer",
    "review_comment",
    "looked_for",
    "candidates",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text value made safe for spreadsheets; numbers and other types are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def finding_row(portal: PortalReport, item: EffectiveFinding) -> dict[str, Any]:
    f = item.finding
    ind = portal.catalog.get(item.indicator)
    first = f.evidence[0] if f.evidence else None
    return {
        "portal": portal.portal_id,
        "framework": portal.catalog.id,
        "indicator": str(item.indicator),
        "criterion": ind.criterion if ind else "",
        "verdict": item.verdict.value,
        "confidence": round(float(f.confidence), 3),
        "evidence_url": first.url if first else "",
        "evidence_selector": first.selector if first else "",
        "evidence_snippet": first.snippet if first else "",
        "method": item.method,
        "evidence_site": first.site if first else "",
        "name": ind.name if ind else "",
        "rule": f.rule,
        "explanation": f.explanation,
        "machine_verdict": item.machine_verdict.value,
        "reviewer": item.review.reviewer if item.review else "",
        "review_comment": item.review.comment if item.review else "",
        "looked_for": "; ".join(f.looked_for),
        "candidates": " ".join(f.candidates),
    }


def finding_rows(report: RunReport) -> list[dict[str, Any]]:
    return [finding_row(p, item) for p in report.portals for item in p.findings]


def write_csv(rows: list[dict[str, Any]], columns: list[str], path: Path) -> Path:
    """UTF-8 with a BOM, so Excel opens Cyrillic, Georgian and Armenian text correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: neutralise(v) for k, v in row.items()})
    return path


def write_findings_csv(report: RunReport, path: Path) -> Path:
    return write_csv(finding_rows(report), FINDING_COLUMNS, path)


def write_scores_csv(report: RunReport, path: Path) -> Path:
    rows = [row for p in report.portals for row in p.score.rows()]
    return write_csv(rows, SCORE_COLUMNS, path)


def _portal_json(portal: PortalReport) -> dict[str, Any]:
    info = {k: v for k, v in portal.info.items() if k != "config"}
    try:
        info["config"] = json.loads(portal.info.get("config") or "{}")
    except ValueError:
        info["config"] = {}
    score = portal.score
    findings = []
    for item in portal.findings:
        row = finding_row(portal, item)
        row["evidence"] = [e.to_dict() for e in item.finding.evidence]
        row["looked_for"] = list(item.finding.looked_for)
        row["candidates"] = list(item.finding.candidates)
        row["details"] = item.finding.details
        row["reviews"] = [
            {"reviewer": r.reviewer, "decision": r.decision.value, "comment": r.comment,
             "decided_at": r.decided_at, "source": r.source}
            for r in item.reviews
        ]
        findings.append(row)
    verdicts = {f.indicator: f.verdict for f in portal.findings}
    survey = survey_score(portal.catalog, verdicts, str(info.get("country") or ""))
    return {
        "portal": info,
        "survey": {"measures": survey.rows(portal.portal_id), "doubts": list(survey.doubts)} if survey else None,
        "scores": {
            "index": round(score.index, 4),
            "band": score.band,
            "counts": score.counts,
            "decided": score.decided,
            "criteria": score.rows(),
        },
        "findings": findings,
    }


def findings_document(report: RunReport) -> dict[str, Any]:
    return {
        "run": report.run,
        "frameworks": sorted({p.catalog.id for p in report.portals}),
        "portals": [_portal_json(p) for p in report.portals],
    }


def write_findings_json(report: RunReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(findings_document(report), ensure_ascii=False, indent=2, default=str), "utf-8")
    return path
