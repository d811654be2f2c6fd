"""CLI glue for `losi schedule add|list|remove|run` (losi.schedule installs, losi.scheduled runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from losi.layout import default_data_dir
from losi.schedule import (
    ScheduleError,
    all_schedules,
    choose_scheduler,
    install,
    last_run,
    load,
    new_schedule,
    schedules_dir,
    uninstall,
)

EPILOG = """\
examples:
  losi schedule add portals.yaml --monthly --out reports/          # the 1st of each month at 02:00
  losi schedule add portals.yaml --monthly --day 5 --at 03:30 --out /srv/losi/reports \\
      --notify 'mail -s "losi: monthly changes" ops@example.org <'
  losi schedule add cities.yaml --name uz-cities --monthly --out reports/ \\
      --broker redis://queue:6379/0 --db postgresql+psycopg://losi:pw@db/losi --data-dir /mnt/losi
  losi schedule list
  losi schedule run uz-cities          # what the timer runs: now, by hand (skipped if a run is still going)
  losi schedule remove uz-cities

Each run takes the schedule's lock (runs never overlap), writes into a dated folder inside --out
(reports/2026-12-01/) and ends with changes.csv, changes.txt and a section in report.html: indicators
gained and lost per portal and score deltas against the previous run of the same list. --notify runs a
command with the path of changes.txt (appended, or where {} stands).
Where systemd runs, a timer is installed (system units as root, user units otherwise); elsewhere a cron
entry. --unit-dir / $LOSI_SCHEDULE_UNIT_DIR and --crontab / $LOSI_CRONTAB write them into a folder or a file
instead (nothing enabled): for packaging, and for tests.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Scheduled runs of a portal list, by the system's scheduler (systemd timer or cron)."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="schedule_command", metavar="{add,list,remove,run}")
    sub.required = True
    add = sub.add_parser("add", help="install a scheduled run", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("config", type=Path, help="portals.yaml or portals.csv")
    add.add_argument("--out", type=Path, required=True, help="folder of the reports; each run gets a dated folder")
    every = add.add_mutually_exclusive_group(required=True)
    for name in ("monthly", "weekly", "daily"):
        every.add_argument(f"--{name}", dest="every", action="store_const", const=name, help=f"run {name}")
    add.add_argument("--day", type=int, default=1, help="--monthly: the day of the month, 1-28 (default: 1)")
    add.add_argument("--weekday", default="mon", help="--weekly: mon ... sun (default: mon)")
    add.add_argument("--at", default="02:00", help="time of day, HH:MM (default: 02:00, the machine's time zone)")
    add.add_argument("--notify", metavar="CMD", default="", help="a command run with the change summary's path")
    add.add_argument("--name", default=None, help="the schedule's name (default: the portal list's file name)")
    add.add_argument("--broker", metavar="URL", help="run on Celery workers (see `losi run --help`)")
    add.add_argument("--parallel", type=int, default=None, metavar="N", help="portals at once on this machine")
    add.add_argument("--no-probes", action="store_true", help="skip the live-browser checks")
    add.add_argument("--format", default="csv,json,xlsx,html", help="report formats (default: csv,json,xlsx,html)")
    add.add_argument("--scheduler", choices=("auto", "systemd", "cron"), default="auto",
                     help="auto: a systemd timer where systemd runs, else cron")
    add.add_argument("--unit-dir", type=Path, default=None,
                     help="write the systemd units into this folder instead (nothing is enabled)")
    add.add_argument("--crontab", type=Path, default=None,
                     help="write the cron entry into this file instead of your crontab")
    lst = sub.add_parser("list", help="the installed schedules, with their last run")
    rm = sub.add_parser("remove", help="uninstall a schedule (its reports stay)")
    rm.add_argument("name", metavar="NAME")
    run = sub.add_parser("run", help="run a schedule now (what its timer or cron line runs)")
    run.add_argument("name", metavar="NAME")
    for command in (add, lst, rm, run):
        command.add_argument("--schedules-dir", type=Path, default=None,
                             help="where schedules are kept (default: $LOSI_SCHEDULES or ~/.config/losi/schedules)")


def run(args: argparse.Namespace) -> int:
    folder = schedules_dir(args.schedules_dir)
    if args.schedule_command == "add":
        return _add(args, folder)
    if args.schedule_command == "list":
        return _list(folder)
    if args.schedule_command == "remove":
        spec = load(folder, args.name)
        for line in uninstall(spec, folder):
            print(line)
        print(f"schedule {spec.name} removed (its reports in {spec.out} stay)")
        return 0
    from losi.scheduled import run_schedule

    return run_schedule(load(folder, args.name), folder)


def _add(args: argparse.Namespace, folder: Path) -> int:
    if not args.config.is_file():
        raise ScheduleError(f"{args.config}: no such portal list")
    from losi.config import load_portals

    load_portals(args.config)  # a list that does not load fails now, not on the 1st of next month
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if unknown := sorted(set(formats) - {"csv", "json", "xlsx", "html"}):
        raise ScheduleError(f"unknown report format(s): {', '.join(unknown)}")
    if args.parallel is not None and args.parallel < 1:
        raise ScheduleError("--parallel must be at least 1")
    data_dir = getattr(args, "data_dir", None) or default_data_dir()
    spec = new_schedule(args.config, args.out, args.every, name=args.name, day=args.day, weekday=args.weekday.lower(),
                        at=args.at, notify=args.notify, data_dir=str(Path(data_dir).resolve()),
                        db=getattr(args, "db", None), broker=args.broker, probes=not args.no_probes,
                        formats=formats, parallel=args.parallel)  # fmt: skip
    if (folder / f"{spec.name}.json").exists():
        raise ScheduleError(f"a schedule {spec.name!r} exists already: `losi schedule remove {spec.name}` first, "
                            "or give another --name")  # fmt: skip
    notes = choose_scheduler(spec, args.scheduler, args.unit_dir, args.crontab)
    for line in install(spec, folder):
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(f"schedule {spec.name}: {spec.config}, {spec.when()}, reports in {spec.out}/<date>/")
    print(f"run it now with: losi schedule run {spec.name}" + (f" --schedules-dir {folder}" if args.schedules_dir
                                                               else ""))  # fmt: skip
    return 0


def _list(folder: Path) -> int:
    schedules = all_schedules(folder)
    if not schedules:
        print(f"no schedules in {folder}")
    for spec in schedules:
        last = last_run(folder, spec.name)
        done = f"last run {last['run']} ({last['finished']}) in {last['folder']}" if last else "not run yet"
        print(f"{spec.name}  {spec.when()}  {spec.config} -> {spec.out}  [{spec.scheduler}: {spec.installed_at}]  "
              f"{done}")
    return 0
