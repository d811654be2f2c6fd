"""The `losi` command line.

Exit codes: 0 when the run finished (even if some portals could not be reached: they are reported as
not_assessed with the reason), 2 for bad usage or bad input, 1 for an internal failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crawler.scope import host_of, is_private_host
from indicators.catalog import CatalogError, available_catalogs
from losi.bundle import load_run_files
from losi.config import ConfigError, portal_from_mapping
from losi.layout import default_data_dir
from losi.parallel import default_parallel
from losi.pipeline import PipelineError, RunOptions, RunOutcome, run_assessment
from losi.schedule import ScheduleError
from losi.store import Store, StoreError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2

Runner = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _add_store_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    """--data-dir and --db; also on a command's own subcommands, so they may come after them."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default,
        help="where runs, captures and the SQLite store live (default: $LOSI_DATA or ./data)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        default=default,
        help="store URL instead of SQLite, e.g. postgresql+psycopg://user:pw@host/losi",
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_store_options(child, default=argparse.SUPPRESS)  # keep the value given before the subcommand


def _add_run_options(parser: argparse.ArgumentParser, default_out: str) -> None:
    parser.add_argument("--out", type=Path, default=Path(default_out), help=f"report folder (default: {default_out})")
    parser.add_argument(
        "--from-run", metavar="RUN", help="re-assess the captures of an earlier run instead of crawling again"
    )
    parser.add_argument(
        "--no-probes",
        action="store_true",
        help="skip live-browser checks (mobile, search, accessibility, validity)",
    )
    parser.add_argument(
        "--format",
        default="csv,json,xlsx,html",
        help="report formats, comma-separated (default: csv,json,xlsx,html)",
    )


ASSESS_EPILOG = """\
examples:
  losi assess https://tashkent.uz/ --lang uz,ru
  losi assess https://my.gov.uz/ --framework osi-2024 --level national --max-pages 2000 --out reports/uz
  losi assess http://127.0.0.1:8000/ --max-pages 50       # a local copy; loopback is allowed when named
  losi assess https://tashkent.uz/ --from-run 20261123-101500-ab12   # re-assess without crawling

writes findings.csv, findings.json, scores.csv, report.xlsx and report.html into --out.
"""

RUN_EPILOG = """\
examples:
  losi run portals.yaml --out reports/2026-11
  losi run portals.csv --db postgresql+psycopg://losi@db/losi
  losi run portals.yaml --resume 20261123-101500-ab12     # finish a run that was interrupted
  losi run portals.yaml --parallel 4                      # four portals at once (default: from the cores)
  losi run portals.yaml --broker redis://queue:6379/0 --db postgresql+psycopg://losi:pw@db/losi \\
      --data-dir /mnt/losi                                # on Celery workers (see `losi worker --help`)
  losi run portals.yaml --broker redis://queue:6379/0 --db postgresql+psycopg://... --resume RUN
      # wait again for a distributed run (the workers went on without this command)

portals.yaml:
  defaults:
    framework: losi-2024
    limits: {max_pages: 500, max_depth: 5, max_seconds: 900, probe_seconds: 300, assess_seconds: 600}
    politeness: {delay: 0.5, concurrency_per_host: 2}
  portals:
    - id: tashkent
      name: Toshkent shahar hokimligi
      country: UZB
      level: city                    # city | national
      home_url: https://tashkent.uz/
      languages: [uz, ru]
      linked_portals: [my.gov.uz]     # service portals whose pages count for the city
      seeds: [https://tashkent.uz/uz/services]

country bundles (see `losi country --help`) may be listed too: losi run uzb.yaml geo.yaml portals.yaml
"""


WORKER_EPILOG = """\
examples:
  losi worker --broker redis://queue:6379/0 --db postgresql+psycopg://losi:pw@db/losi --data-dir /mnt/losi
  losi worker --broker redis://127.0.0.1:6379/0 --db postgresql+psycopg://losi@127.0.0.1/losi --concurrency 2

then, from any machine: losi run portals.yaml --broker redis://queue:6379/0 --db ... --data-dir /mnt/losi
a portal whose worker is killed is assessed again by another worker; each portal's findings are stored once.
deploy/ has a docker-compose.yml and systemd units for workers.
"""


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Runner]]:
    parser = argparse.ArgumentParser(
        prog="losi",
        formatter_class=_formatter,
        description="Crawl government portals and assess them against the UN LOSI / OSI indicators.",
        epilog="run `losi COMMAND --help` for a command's options and examples.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    runners: dict[str, Runner] = {}

    assess = sub.add_parser(
        "assess",
        help="assess one portal",
        formatter_class=_formatter,
        epilog=ASSESS_EPILOG,
        description="Crawl one portal, check every indicator of the framework and write the reports.",
    )
    assess.add_argument("url", help="the portal's home page")
    assess.add_argument("--framework", default="losi-2024", help="indicator catalog (default: losi-2024)")
    assess.add_argument("--lang", default="", help="the portal's languages, e.g. uz,ru (default: detected)")
    assess.add_argument("--max-pages", type=int, default=300, help="page cap (default: 300)")
    assess.add_argument("--max-depth", type=int, default=5, help="link depth cap (default: 5)")
    assess.add_argument("--max-seconds", type=int, default=600, help="crawl time cap (default: 600)")
    assess.add_argument(
        "--probe-seconds", type=int, default=300, help="time cap of all the live-browser checks (default: 300)"
    )
    assess.add_argument(
        "--assess-seconds", type=int, default=600, help="time cap of parsing and checking the indicators (default: 600)"
    )
    assess.add_argument(
        "--render",
        choices=("auto", "always", "never"),
        default="auto",
        help="render pages in Chromium: auto (pages that need JavaScript), always, or never "
        "(the home page is always rendered for its screenshot)",
    )
    assess.add_argument("--id", dest="portal_id", help="portal id in the reports (default: from the host)")
    assess.add_argument("--name", default="", help="portal name for the reports")
    assess.add_argument("--country", default="", help="ISO 3166 alpha-3 code, e.g. UZB")
    assess.add_argument(
        "--level",
        choices=("city", "national"),
        default=None,
        help="city or national (default: from the framework)",
    )
    assess.add_argument(
        "--linked-portal",
        action="append",
        default=[],
        metavar="HOST",
        help="a service portal whose pages count for this one (repeatable)",
    )
    assess.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private/loopback addresses (automatic when the URL you give is one)",
    )
    _add_run_options(assess, "out")
    _add_store_options(assess)
    runners["assess"] = run_assess

    run = sub.add_parser(
        "run",
        help="assess many portals listed in portals.yaml or .csv",
        formatter_class=_formatter,
        epilog=RUN_EPILOG,
        description="Assess every portal of a configuration file, several at once (--parallel).",
    )
    run.add_argument("config", type=Path, nargs="+", help="portals.yaml or portals.csv, or country bundle(s)")
    run.add_argument("--resume", metavar="RUN", help="continue an interrupted run: assessed portals are skipped")
    run.add_argument(
        "--parallel",
        type=int,
        default=None,
        metavar="N",
        help=f"portals assessed at once, each in its own process (default: {default_parallel()}, from the cores); "
        "browsers are shared by all of them through a pool sized to the machine",
    )
    run.add_argument(
        "--broker",
        metavar="URL",
        help="hand the portals to Celery workers on this Redis broker (redis://HOST:6379/0) instead of assessing "
        "them here; needs a --db every worker reaches and a --data-dir every worker mounts",
    )
    run.add_argument(
        "--lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --broker: a portal whose worker sent no heartbeat for this long is given to another worker "
        "(default: 120)",
    )
    run.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --broker: stop waiting when no worker has taken, finished or worked on a portal for this long "
        "(default: 1800); the queued portals stay queued",
    )
    _add_run_options(run, "out")
    _add_store_options(run)
    runners["run"] = run_many

    from losi import country_cli

    country = sub.add_parser("country", help="assess a country bundle (OSI)", formatter_class=_formatter)
    country_cli.configure(country)
    _add_store_options(country)
    runners["country"] = country_cli.run

    worker = sub.add_parser(
        "worker",
        help="assess the portals of distributed runs (a Celery worker)",
        formatter_class=_formatter,
        epilog=WORKER_EPILOG,
        description="Take portals from the broker and assess them, several at once, writing to the shared store "
        "and data directory. Stop it with Ctrl-C or SIGTERM (it finishes its portals first; a second signal "
        "stops at once, and the portals are handed to another worker).",
    )
    worker.add_argument("--broker", metavar="URL", required=True, help="the Redis broker, e.g. redis://queue:6379/0")
    worker.add_argument("--db", metavar="URL", required=True,
                        help="the store every worker and `losi run` share, e.g. postgresql+psycopg://losi:pw@db/losi")
    worker.add_argument("--data-dir", type=Path, default=None,
                        help="where the shared data directory is mounted on this machine (default: the path each "
                        "run names)")  # fmt: skip
    worker.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="portals at once (default: one per core)")
    worker.add_argument("--browsers", type=int, default=None, metavar="N",
                        help="browsers at once on this machine, shared by its workers (default: from the cores and "
                        "memory)")  # fmt: skip
    worker.add_argument("--visibility-timeout", type=float, default=None, metavar="SECONDS",
                        help="Redis hands a portal of a lost machine to another worker after this (default: 3600)")
    worker.add_argument("--name", default=None, help="the worker's name (default: losi@HOST)")
    worker.add_argument("--loglevel", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    runners["worker"] = run_worker

    from losi import schedule_cli

    schedule = sub.add_parser("schedule", help="scheduled runs (systemd timer or cron): add, list, remove, run",
                              formatter_class=_formatter)  # fmt: skip
    schedule_cli.configure(schedule)
    _add_store_options(schedule)
    runners["schedule"] = schedule_cli.run

    runs = sub.add_parser(
        "runs",
        help="list the runs in the store",
        formatter_class=_formatter,
        epilog="example:\n  losi runs --data-dir data",
    )
    _add_store_options(runs)
    runners["runs"] = list_runs

    from indicators import explain

    indicators = sub.add_parser(
        "indicators", help="list the catalog or explain one indicator", formatter_class=_formatter
    )
    explain.configure(indicators)
    runners["indicators"] = explain.run

    from assessors import a11y_cli

    a11y = sub.add_parser("a11y", help="accessibility check of pages (axe-core)", formatter_class=_formatter)
    a11y_cli.configure(a11y)
    runners["a11y"] = a11y_cli.run

    from outputs import cli as outputs_cli

    for name, help_text, configure, run_with_store in (
        (
            "report",
            "regenerate a run's reports from the store",
            outputs_cli.configure_report,
            outputs_cli.run_report,
        ),
        (
            "review",
            "export a review workbook, or import reviewers' decisions",
            outputs_cli.configure_review,
            outputs_cli.run_review,
        ),
        (
            "history",
            "a portal's index and verdicts over runs",
            outputs_cli.configure_history,
            outputs_cli.run_history,
        ),
    ):
        command = sub.add_parser(name, help=help_text, formatter_class=_formatter)
        configure(command)
        _add_store_options(command)
        runners[name] = _with_store(run_with_store)
    return parser, runners


def _open_store(args: argparse.Namespace) -> Store:
    return Store(args.db, args.data_dir or default_data_dir())


def _with_store(run_with_store: Callable[[argparse.Namespace, Store], int]) -> Runner:
    def runner(args: argparse.Namespace) -> int:
        store = _open_store(args)
        try:
            return run_with_store(args, store)
        finally:
            store.close()

    return runner


def _formats(args: argparse.Namespace) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
    unknown = sorted(set(formats) - {"csv", "json", "xlsx", "html"})
    if unknown:
        raise UsageError(f"unknown report format(s): {', '.join(unknown)} (choose from csv, json, xlsx, html)")
    return formats


def _run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        out_dir=args.out.resolve(),
        data_dir=(args.data_dir or default_data_dir()).resolve(),
        db_url=args.db,
        probes=not args.no_probes,
        formats=_formats(args),
        from_run=args.from_run,
        resume_run=getattr(args, "resume", None),
    )


def _finish(outcome: RunOutcome) -> int:
    for portal in outcome.portals:
        if portal.status == "assessed":
            capped = f" ({portal.reason})" if portal.reason else ""
            print(f"{portal.portal_id}: {portal.met}/{portal.total} indicators met, {portal.pages} pages{capped}")
        else:
            print(f"{portal.portal_id}: not assessed: {portal.reason}")
    if outcome.report_problem:
        print(f"reports: {outcome.report_problem}")
    print(f"run {outcome.run_id}")
    for kind, path in sorted(outcome.reports.items()):
        print(f"  {kind:<14} {path}")
    return EXIT_OK


def run_assess(args: argparse.Namespace) -> int:
    if min(args.max_pages, args.max_seconds, args.probe_seconds, args.assess_seconds) < 1 or args.max_depth < 0:
        raise UsageError(
            "--max-pages, --max-seconds, --probe-seconds and --assess-seconds must be at least 1, "
            "--max-depth at least 0"
        )
    if args.framework not in available_catalogs():
        raise UsageError(f"unknown framework {args.framework!r} (known: {', '.join(available_catalogs())})")
    raw = {
        "home_url": args.url,
        "id": args.portal_id,
        "name": args.name,
        "country": args.country,
        "level": args.level or ("national" if args.framework.startswith("osi") else "city"),
        "languages": args.lang,
        "framework": args.framework,
        "linked_portals": args.linked_portal,
        "render": args.render,
        "limits": {"max_pages": args.max_pages, "max_depth": args.max_depth, "max_seconds": args.max_seconds,
                   "probe_seconds": args.probe_seconds, "assess_seconds": args.assess_seconds},
    }
    portal = portal_from_mapping(raw, "command line")
    named_private = is_private_host(host_of(portal.home_url))
    portal.allow_private = args.allow_private or named_private
    if named_private and not args.allow_private:
        print(
            f"note: {host_of(portal.home_url)} is a private or loopback address; crawling it as you named it",
            file=sys.stderr,
        )
    return _finish(run_assessment([portal], _run_options(args)))


def run_many(args: argparse.Namespace) -> int:
    parallel = default_parallel() if args.parallel is None else args.parallel
    if parallel < 1:
        raise UsageError("--parallel must be at least 1")
    if args.broker is None and (args.lease is not None or args.idle_timeout is not None):
        raise UsageError("--lease and --idle-timeout apply to distributed runs (--broker)")
    if args.broker is not None and args.parallel is not None:
        raise UsageError("--parallel applies to runs on this machine; with --broker, each `losi worker "
                         "--concurrency N` decides")  # fmt: skip
    if min(args.lease or 1, args.idle_timeout or 1) <= 0:
        raise UsageError("--lease and --idle-timeout must be positive")
    portals = load_run_files(args.config)
    options = _run_options(args)
    options.parallel = parallel
    options.broker, options.lease_seconds, options.idle_seconds = args.broker, args.lease, args.idle_timeout
    from losi.progress import live_display

    with live_display(options, len(portals)):
        outcome = run_assessment(portals, options)
    return _finish(outcome)


def run_worker(args: argparse.Namespace) -> int:
    if min(args.concurrency or 1, args.browsers or 1) < 1 or (args.visibility_timeout or 1) <= 0:
        raise UsageError("--concurrency and --browsers must be at least 1, --visibility-timeout positive")
    from losi.pipeline import distributed

    workers = distributed().workers
    return workers.run_worker(
        args.broker, args.db, data_dir=args.data_dir.resolve() if args.data_dir else None,
        concurrency=args.concurrency, browsers=args.browsers,
        visibility_seconds=args.visibility_timeout or workers.DEFAULT_VISIBILITY_SECONDS,
        hostname=args.name, loglevel=args.loglevel,
    )  # fmt: skip


def list_runs(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        runs = store.list_runs()
        if not runs:
            print("no runs yet")
        for run in runs:
            portals = store.portals(run["id"])
            assessed = sum(p["status"] == "assessed" for p in portals)
            counts = f"{assessed}/{len(portals)} portals assessed"
            print(f"{run['id']}  {run['started_at']}  {run['status']:<9} {counts}")
    finally:
        store.close()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return runners[args.command](args)
    except (UsageError, ConfigError, CatalogError, PipelineError, StoreError, ScheduleError) as exc:
        print(f"losi {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`losi indicators | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(
            "\ninterrupted: what was assessed is in the store; continue with `losi run ... --resume RUN`",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
