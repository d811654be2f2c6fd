"""CLI glue for `losi report`, `losi review export|import` and `losi history`.

losi/cli.py builds the top-level parser and calls configure_X(subparser) and run_X(args, store). A user
mistake (unknown run, malformed sheet) prints one clear line on stderr and returns 2, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from losi.store import Store
from outputs.collect import ReportError, resolve_run_id
from outputs.history import portal_history
from outputs.reports import FORMATS, write_reports
from outputs.review import (
    ReviewImportError,
    compare_reviews,
    export_review,
    prepare_review,
    record_reviews,
    write_reconciliation,
)

USAGE_ERROR = 2
USER_ERRORS = (ReportError, ReviewImportError)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE_ERROR


def _out(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "out", None)
    return Path(value) if value else None


def _default_dir(store: Store, run_id: str) -> Path:
    run = store.get_run(run_id) or {}
    return Path(run["out_dir"]) if run.get("out_dir") else store.data_dir / "reports" / run_id


# -------------------------------------------------------------------------------------------- report

REPORT_EPILOG = """examples:
  losi report latest                      every format into the run's output folder
  losi report 20260101-120000-ab12 --format html --out site/
  losi report latest --format csv --format xlsx
"""


def configure_report(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write findings.csv, scores.csv, findings.json, report.xlsx and report.html of a run."
    parser.epilog = REPORT_EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("run", metavar="RUN", help='a run id, or "latest"')
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                        help="a format to write (repeatable; default: all)")
    parser.add_argument("--out", default=argparse.SUPPRESS, help="output folder (default: the run's folder)")


def run_report(args: argparse.Namespace, store: Store) -> int:
    try:
        run_id = resolve_run_id(store, args.run)
        out_dir = _out(args) or _default_dir(store, run_id)
        written = write_reports(store, run_id, out_dir, args.formats or FORMATS)
    except USER_ERRORS as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the report: {exc}")
    print(f"run {run_id}:")
    for path in written.values():
        print(f"  {path}")
    return 0


# -------------------------------------------------------------------------------------------- review

REVIEW_EPILOG = """examples:
  losi review export latest --out review.xlsx
  losi review import review.xlsx --reviewer "Nino B."
  losi review import assessor1.xlsx assessor2.xlsx --reviewer A --reviewer B
      two assessors: records both, prints their agreement per portal (flagged above 5 %), and writes
      reconciliation.xlsx next to the first file with only the items they disagree on
"""


def configure_review(parser: argparse.ArgumentParser) -> None:
    parser.description = "Hand a run's verdicts to people and bring their decisions back."
    parser.epilog = REVIEW_EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="review_command", metavar="{export,import}")
    sub.required = True
    exp = sub.add_parser("export", help="write the review workbook of a run", epilog=REVIEW_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    exp.add_argument("run", metavar="RUN", help='a run id, or "latest"')
    exp.add_argument("--out", default=argparse.SUPPRESS, help="the .xlsx file (or a folder) to write")
    imp = sub.add_parser("import", help="record the decisions of one or two filled workbooks",
                         epilog=REVIEW_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("files", metavar="FILE", nargs="+", help="one workbook, or two (two assessors)")
    imp.add_argument("--reviewer", action="append", default=[],
                     help="the reviewer's name when the sheet's reviewer column is empty (once per file)")
    imp.add_argument("--threshold", type=float, default=0.05,
                     help="flag portals where two assessors disagree on more than this share (default 0.05)")


def _review_export(args: argparse.Namespace, store: Store) -> int:
    run_id = resolve_run_id(store, args.run)
    out = _out(args)
    if out is None:
        path = _default_dir(store, run_id) / f"review-{run_id}.xlsx"
    elif out.suffix.lower() == ".xlsx":
        path = out
    else:
        path = out / f"review-{run_id}.xlsx"
    export_review(store, run_id, path)
    print(f"review workbook for run {run_id}: {path}")
    return 0


def _review_import(args: argparse.Namespace, store: Store) -> int:
    files = [Path(f) for f in args.files]
    if len(files) > 2:
        return _fail("give one workbook, or two (one per assessor)")
    names: list[str] = list(args.reviewer or [])
    if len(names) > len(files):
        return _fail("give at most one --reviewer per file")
    if len(names) == 1 and len(files) == 2:
        return _fail("two files need two reviewer names (--reviewer A --reviewer B) or the reviewer column")
    prepared = [prepare_review(store, f, names[i] if i < len(names) else None) for i, f in enumerate(files)]
    if len(prepared) == 2:
        if prepared[0].run_id != prepared[1].run_id:
            return _fail(f"the two workbooks belong to different runs ({prepared[0].run_id}, {prepared[1].run_id})")
        who = [{d.reviewer for d in p.decisions} for p in prepared]
        if who[0] & who[1]:
            return _fail(f"both workbooks carry decisions by {', '.join(sorted(who[0] & who[1]))}; "
                         "two assessors need two names")
    results = record_reviews(store, prepared)
    for r in results:
        print(f"{r.path.name}: {r.recorded} decision(s) recorded for run {r.run_id} by {', '.join(r.reviewers) or '-'}"
              f" ({r.changed} differ from the machine, {r.skipped} row(s) left empty)")
    if len(prepared) == 2:
        a = sorted({d.reviewer for d in prepared[0].decisions})
        b = sorted({d.reviewer for d in prepared[1].decisions})
        if len(a) != 1 or len(b) != 1:
            print("each workbook should carry one reviewer's decisions: comparison skipped")
            return 0
        comparison = compare_reviews(store, results[0].run_id, args.threshold, (a[0], b[0]))
        print(comparison.summary())
        path = write_reconciliation(comparison, files[0].parent / "reconciliation.xlsx")
        print(f"reconciliation: {path}")
    return 0


def run_review(args: argparse.Namespace, store: Store) -> int:
    try:
        if args.review_command == "export":
            return _review_export(args, store)
        return _review_import(args, store)
    except USER_ERRORS as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(str(exc))


# ------------------------------------------------------------------------------------------- history

HISTORY_EPILOG = """examples:
  losi history tashkent                   index per run, then what changed since the previous run
  losi history tashkent --format csv > tashkent-history.csv
  losi history my-gov-uz --format json
"""


def configure_history(parser: argparse.ArgumentParser) -> None:
    parser.description = "A portal's index over runs and every indicator's verdict; changes first."
    parser.epilog = HISTORY_EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("portal", metavar="PORTAL", help="the portal id (as in portals.yaml)")
    parser.add_argument("--format", dest="history_format", choices=("table", "csv", "json"), default="table")


def run_history(args: argparse.Namespace, store: Store) -> int:
    try:
        history = portal_history(store, args.portal)
    except USER_ERRORS as exc:
        return _fail(str(exc))
    fmt = args.history_format
    if fmt == "json":
        print(json.dumps(history.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        rows = history.rows()
        columns = ["portal", "indicator", "name", "criterion", "change", *[r.run_id for r in history.runs]]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(history.table())
    return 0
