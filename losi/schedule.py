"""`losi schedule add|list|remove`: scheduled runs through the system's own scheduler.

losi writes a systemd timer and service (system units as root, user units otherwise) where systemd runs,
else a line in the user's crontab; it runs no daemon of its own. What the timer or the cron line runs is
`losi schedule run NAME` (losi.scheduled): a lock, a dated folder, the run, the change summary, --notify.

Each schedule is a JSON file in the schedules folder (--schedules-dir, $LOSI_SCHEDULES, default
~/.config/losi/schedules), readable by its owner only (it may hold a database password). For tests and for
packaging, the units can be written into another folder ($LOSI_SCHEDULE_UNIT_DIR or --unit-dir: nothing is
enabled) and the cron line into a crontab file ($LOSI_CRONTAB or --crontab) instead of the user's crontab.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEDULES_ENV, UNIT_DIR_ENV, CRONTAB_ENV = "LOSI_SCHEDULES", "LOSI_SCHEDULE_UNIT_DIR", "LOSI_CRONTAB"
CARRIED_ENV = ("LOSI_CHROMIUM", "LOSI_CHROMIUM_ARGS", "LOSI_ENGINES")  # what a scheduled run needs as it was set
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRON_TAG = "# losi-schedule:"
COMMAND_SECONDS = 60  # systemctl and crontab calls


class ScheduleError(RuntimeError):
    """A schedule cannot be added, found or removed; the message says why."""


def schedules_dir(given: Path | None = None) -> Path:
    if given:
        return Path(given).resolve()
    if os.environ.get(SCHEDULES_ENV):
        return Path(os.environ[SCHEDULES_ENV]).resolve()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "losi" / "schedules"


@dataclass
class Schedule:
    name: str
    config: str  # the portal list, absolute
    out: str  # each run writes into a dated folder inside
    every: str  # monthly | weekly | daily
    day: int = 1  # monthly: the day of the month (1-28)
    weekday: str = "mon"  # weekly
    at: str = "02:00"
    notify: str = ""
    data_dir: str = ""
    db: str | None = None
    broker: str | None = None
    probes: bool = True
    formats: list[str] = field(default_factory=lambda: ["csv", "json", "xlsx", "html"])
    parallel: int | None = None
    workdir: str = ""
    python: str = ""
    env: dict[str, str] = field(default_factory=dict)
    scheduler: str = ""  # systemd | cron, as installed
    installed_at: str = ""  # the unit folder, the crontab file, or "crontab of USER"
    system_units: bool = False  # systemd: system units (root), else user units
    manage: bool = True  # systemctl/crontab were called (False: written into a folder for tests or packaging)
    created: str = ""

    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.at.split(":")
        return int(hour), int(minute)

    def on_calendar(self) -> str:
        """systemd's OnCalendar= expression."""
        hour, minute = self.hour_minute()
        time = f"{hour:02d}:{minute:02d}:00"
        if self.every == "monthly":
            return f"*-*-{self.day:02d} {time}"
        if self.every == "weekly":
            return f"{self.weekday.capitalize()} *-*-* {time}"
        return f"*-*-* {time}"

    def cron_time(self) -> str:
        hour, minute = self.hour_minute()
        if self.every == "monthly":
            return f"{minute} {hour} {self.day} * *"
        if self.every == "weekly":
            return f"{minute} {hour} * * {(WEEKDAYS.index(self.weekday) + 1) % 7}"
        return f"{minute} {hour} * * *"

    def when(self) -> str:
        if self.every == "monthly":
            return f"monthly on day {self.day} at {self.at}"
        if self.every == "weekly":
            return f"weekly on {self.weekday} at {self.at}"
        return f"daily at {self.at}"

    def command(self, folder: Path) -> list[str]:
        """What the timer or the cron line runs."""
        return [self.python, "-m", "losi.cli", "schedule", "run", self.name, "--schedules-dir", str(folder)]


def validate(spec: Schedule) -> None:
    if not NAME.match(spec.name):
        raise ScheduleError(f"schedule name {spec.name!r}: use letters, digits, - and _ (up to 64)")
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", spec.at):
        raise ScheduleError(f"--at {spec.at!r}: give a time of day as HH:MM, e.g. 02:00")
    if spec.every == "monthly" and not 1 <= spec.day <= 28:
        raise ScheduleError(f"--day {spec.day}: give 1 to 28 (every month has those days)")
    if spec.every == "weekly" and spec.weekday not in WEEKDAYS:
        raise ScheduleError(f"--weekday {spec.weekday!r}: one of {', '.join(WEEKDAYS)}")
    if spec.every not in ("monthly", "weekly", "daily"):
        raise ScheduleError(f"unknown frequency {spec.every!r}")


# ---------------------------------------------------------------------------------------- installers


def systemd_running() -> bool:
    """As sd_booted(3): the system was booted with systemd (it is PID 1)."""
    return Path("/run/systemd/system").is_dir()


def cron_running() -> bool:
    for entry in Path("/proc").glob("[0-9]*/comm"):
        try:
            if entry.read_text().strip() in ("cron", "crond", "busybox-crond"):
                return True
        except OSError:
            continue
    return False


def _call(command: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScheduleError(f"{' '.join(command)}: {exc}") from exc


def _systemd_quote(arg: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_names(name: str) -> tuple[str, str]:
    return f"losi-{name}.service", f"losi-{name}.timer"


def systemd_units(spec: Schedule, folder: Path) -> dict[str, str]:
    """The service and timer of a schedule: file name -> text."""
    service, timer = unit_names(spec.name)
    env = "".join(f"Environment={_systemd_quote(f'{k}={v}')}\n" for k, v in sorted(spec.env.items()))
    return {
        service: (
            "[Unit]\n"
            f"Description=losi scheduled run {spec.name}: {spec.config}\n"
            "Wants=network-online.target\nAfter=network-online.target\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            f"WorkingDirectory={_systemd_quote(spec.workdir)}\n"
            f"{env}"
            f"ExecStart={' '.join(_systemd_quote(a) for a in spec.command(folder))}\n"
        ),
        timer: (
            "[Unit]\n"
            f"Description=losi scheduled run {spec.name}, {spec.when()}\n\n"
            "[Timer]\n"
            f"OnCalendar={spec.on_calendar()}\n"
            "Persistent=true\n"  # a run missed while the machine was off starts when it is back
            f"Unit={service}\n\n"
            "[Install]\n"
            "WantedBy=timers.target\n"
        ),
    }


def cron_line(spec: Schedule, folder: Path) -> str:
    log = folder / f"{spec.name}.log"
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(spec.env.items()))
    command = shlex.join(spec.command(folder))
    prefix = f"env {env} " if env else ""
    body = f"cd {shlex.quote(spec.workdir)} && {prefix}{command} >> {shlex.quote(str(log))} 2>&1"
    return f"{spec.cron_time()} {body.replace('%', chr(92) + '%')} {CRON_TAG}{spec.name}"  # cron reads % as a newline


def _systemctl(spec: Schedule, *args: str) -> None:
    command = ["systemctl", *([] if spec.system_units else ["--user"]), *args]
    result = _call(command)
    if result.returncode != 0:
        raise ScheduleError(f"{' '.join(command)} failed: {result.stderr.strip() or result.stdout.strip()}")


def _read_crontab(spec: Schedule) -> str:
    if not spec.manage:
        path = Path(spec.installed_at)
        return path.read_text(encoding="utf-8") if path.is_file() else ""
    result = _call(["crontab", "-l"])
    if result.returncode != 0:
        if "no crontab" in result.stderr.lower():
            return ""
        raise ScheduleError(f"crontab -l failed: {result.stderr.strip()}")
    return result.stdout


def _write_crontab(spec: Schedule, text: str) -> None:
    if not spec.manage:
        path = Path(spec.installed_at)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    result = _call(["crontab", "-"], stdin=text)
    if result.returncode != 0:
        raise ScheduleError(f"crontab - failed: {result.stderr.strip()}")


def _without(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if not line.rstrip().endswith(f"{CRON_TAG}{name}")]


def choose_scheduler(spec: Schedule, kind: str = "auto", unit_dir: Path | None = None,
                     crontab: Path | None = None) -> list[str]:  # fmt: skip
    """Decide where the schedule goes (sets spec.scheduler, installed_at, system_units, manage); returns notes."""
    notes: list[str] = []
    unit_dir = unit_dir or (Path(os.environ[UNIT_DIR_ENV]) if os.environ.get(UNIT_DIR_ENV) else None)
    crontab = crontab or (Path(os.environ[CRONTAB_ENV]) if os.environ.get(CRONTAB_ENV) else None)
    if kind == "auto":
        kind = "systemd" if unit_dir or (systemd_running() and not crontab) else "cron"
    spec.scheduler = kind
    spec.system_units = os.geteuid() == 0
    if kind == "systemd":
        if unit_dir:
            spec.installed_at, spec.manage = str(unit_dir.resolve()), False
            notes.append(f"units written into {spec.installed_at}; nothing enabled (install them with systemctl)")
        elif not systemd_running():
            raise ScheduleError("systemd is not running on this machine: use --scheduler cron (or auto)")
        elif spec.system_units:
            spec.installed_at = "/etc/systemd/system"
        else:
            spec.installed_at = str(Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd/user")
            notes.append("user units run while you are logged in; to run them always: "
                         f"loginctl enable-linger {os.environ.get('USER', '$USER')}")  # fmt: skip
        return notes
    if crontab:
        spec.installed_at, spec.manage = str(crontab.resolve()), False
        return notes
    if shutil.which("crontab") is None:
        raise ScheduleError("neither systemd nor cron is available here: install cron (apt-get install cron) or "
                            "run `losi schedule run NAME` from your own scheduler")  # fmt: skip
    spec.installed_at = f"crontab of {os.environ.get('USER') or os.getuid()}"
    if not cron_running():
        notes.append("no cron daemon is running on this machine: the entry is installed but will not fire until "
                     "cron runs (e.g. service cron start)")  # fmt: skip
    return notes


def install(spec: Schedule, folder: Path) -> list[str]:
    """Write the schedule's file and its units or cron line; enable them. Returns what was installed."""
    folder.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    if spec.scheduler == "systemd":
        unit_dir = Path(spec.installed_at)
        unit_dir.mkdir(parents=True, exist_ok=True)
        for name, text in systemd_units(spec, folder).items():
            (unit_dir / name).write_text(text, encoding="utf-8")
            done.append(str(unit_dir / name))
        if spec.manage:
            _systemctl(spec, "daemon-reload")
            _systemctl(spec, "enable", "--now", unit_names(spec.name)[1])
            done.append(f"enabled {unit_names(spec.name)[1]}")
    else:
        lines = _without(_read_crontab(spec), spec.name)
        lines.append(cron_line(spec, folder))
        _write_crontab(spec, "\n".join(lines) + "\n")
        done.append(f"cron entry in the {spec.installed_at}" if spec.manage else f"cron entry in {spec.installed_at}")
    save(spec, folder)
    return done


def uninstall(spec: Schedule, folder: Path) -> list[str]:
    done: list[str] = []
    if spec.scheduler == "systemd":
        if spec.manage:
            _systemctl(spec, "disable", "--now", unit_names(spec.name)[1])
        for name in unit_names(spec.name):
            path = Path(spec.installed_at) / name
            if path.exists():
                path.unlink()
                done.append(f"removed {path}")
        if spec.manage:
            _systemctl(spec, "daemon-reload")
    else:
        before = _read_crontab(spec)
        lines = _without(before, spec.name)
        if len(lines) != len(before.splitlines()):
            _write_crontab(spec, "\n".join(lines) + ("\n" if lines else ""))
            done.append(f"removed the cron entry from the {spec.installed_at}")
    spec_file(folder, spec.name).unlink(missing_ok=True)
    return done


# ------------------------------------------------------------------------------------- schedule files


def spec_file(folder: Path, name: str) -> Path:
    return folder / f"{name}.json"


def save(spec: Schedule, folder: Path) -> None:
    path = spec_file(folder, spec.name)
    path.write_text(json.dumps(asdict(spec), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path.chmod(0o600)


def load(folder: Path, name: str) -> Schedule:
    path = spec_file(folder, name)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return Schedule(**data)
    except FileNotFoundError:
        known = ", ".join(s.name for s in all_schedules(folder)) or "none"
        raise ScheduleError(f"no schedule {name!r} in {folder} (schedules: {known})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise ScheduleError(f"cannot read the schedule {path}: {exc}") from exc


def all_schedules(folder: Path) -> list[Schedule]:
    out = []
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".last.json"):
            continue
        try:
            out.append(Schedule(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
    return out


def last_run(folder: Path, name: str) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / f"{name}.last.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def new_schedule(config: Path, out: Path, every: str, **fields: Any) -> Schedule:
    """A schedule for this machine: absolute paths, this Python, the LOSI_* settings in force now."""
    spec = Schedule(name=fields.pop("name") or config.stem, config=str(config.resolve()), out=str(out.resolve()),
                    every=every, workdir=str(Path.cwd()), python=sys.executable,
                    env={k: os.environ[k] for k in CARRIED_ENV if os.environ.get(k)},
                    created=datetime.now(UTC).replace(microsecond=0).isoformat(), **fields)  # fmt: skip
    validate(spec)
    return spec
