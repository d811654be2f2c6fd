"""What a national (OSI) report adds: the survey's scores, one table per subindex with every item's sector,
verdict, evidence site and URL, the sector × item-family matrix and the bundle's sites. The workbook
(outputs/xlsx.py) and the HTML report (outputs/html_report.py) both read these frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from losi.country import read_bundle_status
from losi.layout import portal_files
from outputs.collect import PortalReport, RunReport
from outputs.scoring import EffectiveFinding
from outputs.survey import SurveyScore, survey_score

ITEM_COLUMNS = [
    "portal", "indicator", "name", "sector", "family", "layer", "verdict", "machine_verdict", "confidence",
    "method", "mode", "evidence_site", "evidence_url", "evidence_snippet", "explanation", "looked_for",
]  # fmt: skip
SURVEY_COLUMNS = ["portal", "framework", "measure", "value", "points", "total", "weight", "note"]
SITE_COLUMNS = ["portal", "site", "roles", "sectors", "url", "reached", "pages", "complete", "reason"]


def national_portals(report: RunReport) -> list[PortalReport]:
    """Portals assessed with a national catalog (one that has sectors)."""
    return [p for p in report.portals if p.catalog.national.sectors]


def portal_survey(portal: PortalReport) -> SurveyScore | None:
    verdicts = {f.indicator: f.verdict for f in portal.findings}
    return survey_score(portal.catalog, verdicts, str(portal.info.get("country") or ""))


def evidence_site(item: EffectiveFinding) -> str:
    first = item.finding.evidence[0] if item.finding.evidence else None
    return first.site if first else ""


def item_row(portal: PortalReport, item: EffectiveFinding) -> dict[str, Any]:
    ind = portal.catalog.get(item.indicator)
    f = item.finding
    first = f.evidence[0] if f.evidence else None
    return {
        "portal": portal.portal_id, "indicator": item.indicator, "name": ind.name if ind else "",
        "sector": ind.sector if ind else "", "family": ind.family if ind else "", "layer": ind.layer if ind else "",
        "verdict": item.verdict.value, "machine_verdict": item.machine_verdict.value,
        "confidence": round(float(f.confidence), 3), "method": item.method, "mode": ind.mode if ind else "",
        "evidence_site": first.site if first else "", "evidence_url": first.url if first else "",
        "evidence_snippet": first.snippet if first else "", "explanation": f.explanation,
        "looked_for": "; ".join(f.looked_for),
    }  # fmt: skip


def subindex_frame(report: RunReport, criterion: str) -> pd.DataFrame:
    rows = [item_row(p, item) for p in national_portals(report) for item in p.findings
            if (ind := p.catalog.get(item.indicator)) is not None and ind.criterion == criterion]  # fmt: skip
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def criteria(report: RunReport) -> list[tuple[str, str]]:
    """(code, name) of the national catalogs' criteria, in catalog order."""
    seen: dict[str, str] = {}
    for p in national_portals(report):
        for c in p.catalog.criteria:
            seen.setdefault(c.code, c.name)
    return list(seen.items())


def matrix(portal: PortalReport) -> dict[tuple[str, str], EffectiveFinding]:
    """(sector, family) -> the finding of that sector's item of that family."""
    out: dict[tuple[str, str], EffectiveFinding] = {}
    for item in portal.findings:
        ind = portal.catalog.get(item.indicator)
        if ind is not None and ind.sector and ind.family:
            out.setdefault((ind.sector, ind.family), item)
    return out


def matrix_frame(report: RunReport) -> pd.DataFrame:
    """One row per portal and sector, one column per item family: 'met (#095)'."""
    rows = []
    families: dict[str, str] = {}
    for p in national_portals(report):
        cells = matrix(p)
        for fam in p.catalog.national.families:
            families.setdefault(fam.code, fam.name)
        for sector in p.catalog.national.sectors:
            row: dict[str, Any] = {"portal": p.portal_id, "sector": sector.name}
            for fam in p.catalog.national.families:
                item = cells.get((sector.code, fam.code))
                row[fam.name] = f"{item.verdict.value} (#{item.indicator})" if item else ""
            met = sum(1 for (s, _), it in cells.items() if s == sector.code and it.verdict.value == "met")
            row["met"] = f"{met}/{sum(1 for (s, _) in cells if s == sector.code)}"
            rows.append(row)
    return pd.DataFrame(rows, columns=["portal", "sector", *families.values(), "met"])


def survey_frame(report: RunReport) -> pd.DataFrame:
    rows = [row for p in national_portals(report) if (s := portal_survey(p)) is not None
            for row in s.rows(p.portal_id)]  # fmt: skip
    return pd.DataFrame(rows, columns=SURVEY_COLUMNS)


def bundle_sites(report: RunReport, portal: PortalReport) -> list[dict[str, Any]]:
    """The bundle's sites as its assessment recorded them (bundle.json in the run's data folder)."""
    data_dir = report.run.get("data_dir")
    if not data_dir:
        return []
    return read_bundle_status(portal_files(Path(str(data_dir)), report.run_id, portal.portal_id).root)


def sites_frame(report: RunReport) -> pd.DataFrame:
    rows = [
        {"portal": p.portal_id, "site": s.get("id"), "roles": ", ".join(s.get("roles") or []),
         "sectors": ", ".join(s.get("sectors") or []), "url": s.get("url"), "reached": s.get("reached"),
         "pages": s.get("pages"), "complete": s.get("complete"), "reason": s.get("reason")}
        for p in national_portals(report) for s in bundle_sites(report, p)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def write_national_sheets(writer: pd.ExcelWriter, report: RunReport) -> None:
    """The national teams' workbook: one sheet per subindex with every item, the sector × family matrix,
    the survey's scores and the bundle's sites (nothing when the run has no national catalog)."""
    from openpyxl.styles import PatternFill

    from outputs.sheets import VERDICT_FILLS, style_sheet, write_frame

    if not national_portals(report):
        return
    for code, _name in criteria(report):
        ws = write_frame(writer, subindex_frame(report, code), code, ITEM_COLUMNS)
        style_sheet(ws, widths={"name": 34, "explanation": 60, "evidence_url": 45, "evidence_snippet": 40,
                                "looked_for": 30}, verdict_columns=("verdict", "machine_verdict"),
                    link_columns=("evidence_url",), wrap_columns=("explanation",))  # fmt: skip
    frame = matrix_frame(report)
    ws = write_frame(writer, frame, "Sectors", list(frame.columns))
    style_sheet(ws, widths={c: 22 for c in frame.columns if c not in ("portal", "met")})
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            verdict = str(cell.value or "").split(" (")[0]
            if verdict in VERDICT_FILLS:
                cell.fill = PatternFill("solid", fgColor=VERDICT_FILLS[verdict])
    ws = write_frame(writer, survey_frame(report), "Survey", SURVEY_COLUMNS)
    style_sheet(ws, widths={"measure": 36, "note": 70})
    ws = write_frame(writer, sites_frame(report), "Sites", SITE_COLUMNS)
    style_sheet(ws, widths={"url": 40, "reason": 60}, link_columns=("url",))
