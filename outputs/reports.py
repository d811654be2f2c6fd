"""write_reports: every export of one run, from the store, into one folder (DESIGN.md interface)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from losi.deadline import Deadline
from losi.store import Store
from outputs.changes import summarise, write_changes
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
    deadline: Deadline | None = None,
) -> dict[str, Path]:
    """Write findings.csv + scores.csv (csv), findings.json (json), report.xlsx, report.html.

    Returns file key -> path: "findings.csv", "scores.csv", "findings.json", "report.xlsx", "report.html"; for a
    run of a portal list (a scheduled run) also "changes.csv" and "changes.txt", against the list's previous run.
    Raises ReportError for an unknown run, framework or format. With a deadline, the formats not started
    when it passes are left out and deadline.hit names them.
    """
    wanted = [f.lower() for f in formats]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ReportError(f"unknown format(s) {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    report = collect_run(store, run_id, catalogs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    changes = summarise(store, report, catalogs)  # a run of a portal list: against the list's previous run
    writers: dict[str, Callable[[], dict[str, Path]]] = {
        "csv": lambda: {"findings.csv": write_findings_csv(report, out_dir / "findings.csv"),
                        "scores.csv": write_scores_csv(report, out_dir / "scores.csv")},
        "json": lambda: {"findings.json": write_findings_json(report, out_dir / "findings.json")},
        "xlsx": lambda: {"report.xlsx": write_xlsx(report, out_dir / "report.xlsx")},
        "html": lambda: {"report.html": write_html(report, store, out_dir / "report.html", catalogs, changes)},
    }  # fmt: skip
    written: dict[str, Path] = write_changes(changes, out_dir) if changes is not None else {}
    chosen = [f for f in FORMATS if f in wanted]
    for number, fmt in enumerate(chosen):
        if deadline is not None and deadline.expired():
            deadline.hit = f"{deadline.reason}: {', '.join(chosen[number:])} not written"
            break
        written.update(writers[fmt]())
    return written
