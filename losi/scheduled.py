"""`losi schedule run NAME`: what a schedule's timer or cron line runs (and a person may run by hand).

1. takes the schedule's lock (a flock on NAME.lock in the schedules folder): while a run of the schedule
   is going, another one says so and exits without doing anything, so runs never overlap;
2. runs the portal list into a dated folder inside the schedule's --out (2026-12-01, then 2026-12-01-2
   for a second run that day), on this machine or on the workers (--broker);
3. the run belongs to the list (its note is `list:NAME`), so its reports end with the change summary
   against the list's previous run: changes.csv, changes.txt and a section in report.html;
4. --notify CMD runs CMD with the path of changes.txt (as its last argument, or where `{}` stands), and
   LOSI_CHANGES, LOSI_CHANGES_CSV, LOSI_REPORT_DIR and LOSI_RUN in its environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from losi.config import load_portals
from losi.pipeline import RunOptions, RunOutcome, run_assessment, stderr_progress
from losi.schedule import Schedule, ScheduleError
from outputs.changes import list_note

NOTIFY_SECONDS = 300


def dated_folder(out: Path, today: str | None = None) -> Path:
    """out/YYYY-MM-DD, or out/YYYY-MM-DD-N when that exists already."""
    day = today or datetime.now().strftime("%Y-%m-%d")
    folder, number = out / day, 1
    while folder.exists():
        number += 1
        folder = out / f"{day}-{number}"
    return folder


@contextlib.contextmanager
def schedule_lock(path: Path) -> Iterator[IO[str] | None]:
    """Hold the schedule's lock while the block runs; yields None when another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).replace(microsecond=0).isoformat()}\n")
        handle.flush()
        yield handle
    finally:
        handle.close()  # the kernel releases the lock with the file, also when the process is killed


def notify(command: str, summary: Path, outcome: RunOutcome) -> str:
    """Run the user's command with the summary's path; "" when it succeeded, else why not."""
    quoted = shlex.quote(str(summary))
    line = command.replace("{}", quoted) if "{}" in command else f"{command} {quoted}"
    env = {**os.environ, "LOSI_CHANGES": str(summary), "LOSI_REPORT_DIR": str(outcome.out_dir),
           "LOSI_RUN": outcome.run_id, "LOSI_CHANGES_CSV": str(outcome.reports.get("changes.csv", ""))}  # fmt: skip
    try:
        result = subprocess.run(["/bin/sh", "-c", line], env=env, capture_output=True, text=True,
                                timeout=NOTIFY_SECONDS)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"--notify command did not finish within {NOTIFY_SECONDS} s"
    except OSError as exc:
        return f"--notify command could not start: {exc}"
    if result.returncode != 0:
        return f"--notify command exited with code {result.returncode}: {result.stderr.strip()[-500:]}"
    return ""


def run_schedule(spec: Schedule, folder: Path, say: Callable[[str], None] = print,
                 progress: Callable[[str], None] = stderr_progress) -> int:  # fmt: skip
    """The scheduled run; the exit code (0 also when skipped because a run is still going)."""
    with schedule_lock(folder / f"{spec.name}.lock") as lock:
        if lock is None:
            holder = (folder / f"{spec.name}.lock").read_text(encoding="utf-8").strip() or "another process"
            say(f"schedule {spec.name}: the previous run ({holder}) is still going; this run is skipped")
            return 0
        out = dated_folder(Path(spec.out))
        portals = load_portals(Path(spec.config))
        options = RunOptions(out_dir=out, data_dir=Path(spec.data_dir), db_url=spec.db, probes=spec.probes,
                             formats=tuple(spec.formats), note=list_note(spec.name), progress=progress,
                             broker=spec.broker, parallel=spec.parallel or 1)  # fmt: skip
        if spec.parallel is None and not spec.broker:
            from losi.parallel import default_parallel

            options.parallel = default_parallel()
        say(f"schedule {spec.name}: {len(portals)} portal(s) into {out}")
        outcome = run_assessment(portals, options)
        summary = outcome.reports.get("changes.txt")
        (folder / f"{spec.name}.last.json").write_text(json.dumps({
            "run": outcome.run_id, "folder": str(out), "finished": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "portals": len(outcome.portals), "assessed": sum(p.status == "assessed" for p in outcome.portals),
            "changes": str(summary or ""),
        }, indent=2) + "\n", encoding="utf-8")  # fmt: skip
        say(f"schedule {spec.name}: run {outcome.run_id} written to {out}")
        if summary is None:
            raise ScheduleError(f"run {outcome.run_id}: the change summary was not written ({outcome.report_problem})")
        say(summary.read_text(encoding="utf-8").rstrip())
        if spec.notify:
            problem = notify(spec.notify, summary, outcome)
            if problem:
                say(f"schedule {spec.name}: {problem} (the run and its reports are stored)")
                return 1
            say(f"schedule {spec.name}: notified ({spec.notify})")
        return 0
