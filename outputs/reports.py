"""write_reports: every export of one run, from the store, into one folder (DESIGN.md interface)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from losi.store import Store
from outputs.collect import CatalogSource, ReportError, collect_run
from outputs.export import write_findings_csv, write_findings_json, write_scores_csv
from outputs.html_report import write_html
from outputs.xlsx import write_xlsx

FORMATS = ("csv", "json", "xlsx", "html")


def write_reports(
    store: Store,
    run_id: str,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    catalogs: CatalogSource | None = None,
) -> dict[str, Path]:
    """Write findings.csv + scores.csv (csv), findings.json (json), report.xlsx, report.html.

    Returns file key -> path: "findings.csv", "scores.csv", "findings.json", "report.xlsx", "report.html".
    Raises ReportError for an unknown run, framework or format.
    """
    wanted = [f.lower() for f in formats]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ReportError(f"unknown format(s) {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    report = collect_run(store, run_id, catalogs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if "csv" in wanted:
        written["findings.csv"] = write_findings_csv(report, out_dir / "findings.csv")
        written["scores.csv"] = write_scores_csv(report, out_dir / "scores.csv")
    if "json" in wanted:
        written["findings.json"] = write_findings_json(report, out_dir / "findings.json")
    if "xlsx" in wanted:
        written["report.xlsx"] = write_xlsx(report, out_dir / "report.xlsx")
    if "html" in wanted:
        written["report.html"] = write_html(report, store, out_dir / "report.html", catalogs)
    return written
