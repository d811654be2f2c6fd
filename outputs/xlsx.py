"""The report workbook for people: Summary, Scores, Indicators, OSI and Review sheets (pandas + openpyxl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from outputs.collect import PortalReport, RunReport
from outputs.national import portal_survey, write_national_sheets
from outputs.published import NOT_SAME_MEASURE, published
from outputs.review import add_review_sheet
from outputs.scoring import SCORE_COLUMNS, scores_frame
from outputs.sheets import style_sheet, write_frame

INDICATOR_COLUMNS = [
    "portal", "indicator", "criterion", "name", "verdict", "machine_verdict", "confidence", "method",
    "explanation", "evidence_url", "evidence_selector", "evidence_snippet", "more_evidence", "reviewer",
    "review_comment", "looked_for",
]


def _criteria_codes(report: RunReport) -> list[str]:
    return list(dict.fromkeys(c.code for p in report.portals for c in p.catalog.criteria))


def _date(p: PortalReport, report: RunReport) -> str:
    return str(p.info.get("assessed_at") or report.run.get("finished_at") or report.run.get("started_at") or "")


def summary_frame(report: RunReport) -> tuple[pd.DataFrame, list[str]]:
    codes = _criteria_codes(report)
    rows = []
    for p in report.portals:
        s = p.score
        row: dict[str, Any] = {
            "portal": p.portal_id,
            "name": p.name,
            "country": p.info.get("country") or "",
            "level": p.level,
            "framework": p.catalog.id,
            "index": round(s.index, 4),
            "band": s.band,
            "met": s.overall.met,
            "denominator": s.overall.total,
            "decided": s.decided,
            "needs_review": s.counts.get("needs_review", 0),
            "not_assessed": s.counts.get("not_assessed", 0),
        }
        for code in codes:
            c = s.criterion(code)
            row[code] = round(c.score, 4) if c else None
        row.update(
            {
                "pages_crawled": p.info.get("pages") or 0,
                "status": p.info.get("status") or "",
                "reason": p.info.get("reason") or "",
                "date": _date(p, report),
                "home_url": p.info.get("home_url") or "",
            }
        )
        rows.append(row)
    columns = [
        "portal", "name", "country", "level", "framework", "index", "band", "met", "denominator", "decided",
        "needs_review", "not_assessed", *codes, "pages_crawled", "status", "reason", "date", "home_url",
    ]
    return pd.DataFrame(rows, columns=columns), columns


def indicators_frame(report: RunReport) -> pd.DataFrame:
    rows = []
    for p in report.portals:
        for item in p.findings:
            f = item.finding
            ind = p.catalog.get(item.indicator)
            first = f.evidence[0] if f.evidence else None
            rows.append(
                {
                    "portal": p.portal_id,
                    "indicator": str(item.indicator),
                    "criterion": ind.criterion if ind else "",
                    "name": ind.name if ind else "",
                    "verdict": item.verdict.value,
                    "machine_verdict": item.machine_verdict.value,
                    "confidence": round(float(f.confidence), 3),
                    "method": item.method,
                    "explanation": f.explanation,
                    "evidence_url": first.url if first else "",
                    "evidence_selector": first.selector if first else "",
                    "evidence_snippet": first.snippet if first else "",
                    "more_evidence": "\n".join(e.url for e in f.evidence[1:]),
                    "reviewer": item.review.reviewer if item.review else "",
                    "review_comment": item.review.comment if item.review else "",
                    "looked_for": "; ".join(f.looked_for),
                }
            )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def osi_frame(report: RunReport) -> pd.DataFrame:
    """National portals: the tool's subindex shares, beside the published OSI (not the same measure)."""
    rows = []
    for p in report.portals:
        if p.level != "national":
            continue
        row: dict[str, Any] = {"portal": p.portal_id, "country": p.info.get("country") or "",
                               "framework": p.catalog.id}
        for c in p.score.criteria:
            row[f"{c.criterion} share"] = round(c.score, 4)
        row["tool estimate (share met)"] = round(p.score.index, 4)
        if (survey := portal_survey(p)) is not None:  # the survey's way: weighted subindices, reference min/max
            row["estimated OSI"] = round(survey.estimated_osi, 4)
            row["estimated EPI"] = round(survey.estimated_epi, 4)
            row["EPI raw points"] = f"{survey.epi_points}/{survey.epi_max_points}"
        for year in (2024, 2022):
            pub = published(str(p.info.get("country") or ""), year)
            row[f"published OSI {year}"] = pub.osi if pub else None
            row[f"published EPI {year}"] = pub.epi if pub else None
        row["note"] = NOT_SAME_MEASURE
        rows.append(row)
    if not rows:
        return pd.DataFrame([{"portal": "", "note": "no national portal in this run"}])
    return pd.DataFrame(rows)


def write_xlsx(report: RunReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    summary, summary_cols = summary_frame(report)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        ws = write_frame(writer, summary, "Summary", summary_cols)
        style_sheet(ws, widths={"reason": 40, "home_url": 35}, link_columns=("home_url",))
        ws = write_frame(writer, scores_frame(p.score for p in report.portals), "Scores", SCORE_COLUMNS)
        style_sheet(ws)
        ws = write_frame(writer, indicators_frame(report), "Indicators", INDICATOR_COLUMNS)
        style_sheet(
            ws,
            widths={"name": 36, "explanation": 60, "evidence_url": 45, "evidence_snippet": 40,
                    "more_evidence": 40, "looked_for": 40, "evidence_selector": 30},
            verdict_columns=("verdict", "machine_verdict"),
            link_columns=("evidence_url",),
            wrap_columns=("explanation",),
        )
        osi = osi_frame(report)
        ws = write_frame(writer, osi, "OSI", list(osi.columns))
        style_sheet(ws, widths={"note": 80})
        write_national_sheets(writer, report)
        add_review_sheet(writer, report)
    return path
