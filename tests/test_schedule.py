"""Scheduled runs: the systemd units and cron line `losi schedule add` writes, and what their command does
when it is run directly (no root and no running systemd needed: the units go into a folder, the cron line
into a crontab file). Each run takes the schedule's lock, writes a dated folder and ends with the change
summary against the previous run of the same list."""

from __future__ import annotations

import csv
import fcntl
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from losi.localserve import LocalServer
from losi.schedule import systemd_running
from tests.conftest import ROOT, SAMPLES


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {**os.environ, "LOSI_SCHEDULES": str(tmp_path / "schedules"), "LOSI_ENGINES": "none"}
    for key in ("LOSI_SCHEDULE_UNIT_DIR", "LOSI_CRONTAB"):
        values.pop(key, None)
    yield values


def losi(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "losi.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def portal_list(tmp: Path, base: str, max_pages: int) -> Path:
    path = tmp / "cities.yaml"
    path.write_text("defaults: {allow_private: true, render: never}\nportals:\n"
                    f"  - {{id: tashkent, home_url: '{base}/toshkent-uz/', languages: [uz, ru], "
                    f"limits: {{max_pages: {max_pages}}}}}\n"
                    f"  - {{id: gyumri, home_url: '{base}/gyumri-hy/', languages: [hy, en], "
                    "limits: {max_pages: 8}}\n",
                    encoding="utf-8")  # fmt: skip
    return path


def test_units_and_cron_lines(tmp_path: Path, env: dict[str, str]) -> None:
    config = portal_list(tmp_path, "http://127.0.0.1:9", 5)
    units = tmp_path / "units"
    made = losi(env, "schedule", "add", str(config), "--monthly", "--out", str(tmp_path / "reports"),
                "--scheduler", "systemd", "--unit-dir", str(units), "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    timer = (units / "losi-cities.timer").read_text()
    service = (units / "losi-cities.service").read_text()
    assert "OnCalendar=*-*-01 02:00:00\n" in timer and "Persistent=true\n" in timer
    assert "Unit=losi-cities.service\n" in timer and "WantedBy=timers.target\n" in timer
    assert "Type=oneshot\n" in service and f"WorkingDirectory={ROOT}\n" in service
    assert "Environment=LOSI_ENGINES=none\n" in service  # the settings in force when it was added go with it
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert shlex.split(exec_start[len("ExecStart="):]) == [
        sys.executable, "-m", "losi.cli", "schedule", "run", "cities", "--schedules-dir", str(tmp_path / "schedules")]

    crontab = tmp_path / "crontab"
    crontab.write_text("MAILTO=ops@example.org\n17 * * * * /usr/bin/true # someone else's\n")
    for name, every in (("weekly", ["--weekly", "--weekday", "sun", "--at", "03:30"]),
                        ("monthly5", ["--monthly", "--day", "5", "--at", "3:05"]), ("daily", ["--daily"])):  # fmt: skip
        made = losi(env, "schedule", "add", str(config), "--name", name, *every, "--out", str(tmp_path / "r"),
                    "--crontab", str(crontab))  # fmt: skip
        assert made.returncode == 0, made.stderr
    lines = crontab.read_text().splitlines()
    assert lines[:2] == ["MAILTO=ops@example.org", "17 * * * * /usr/bin/true # someone else's"]
    assert [line.split(" cd ")[0] for line in lines[2:]] == ["30 3 * * 0", "5 3 5 * *", "0 2 * * *"]
    assert lines[2].endswith("# losi-schedule:weekly")
    listed = losi(env, "schedule", "list")
    assert listed.returncode == 0 and [line.split()[0] for line in listed.stdout.splitlines()] == [
        "cities", "daily", "monthly5", "weekly"]  # fmt: skip

    removed = losi(env, "schedule", "remove", "monthly5")
    assert removed.returncode == 0, removed.stderr
    assert [line.split(" cd ")[0] for line in crontab.read_text().splitlines()[2:]] == ["30 3 * * 0", "0 2 * * *"]
    removed = losi(env, "schedule", "remove", "cities")
    assert removed.returncode == 0 and not list(units.iterdir())

    for bad, message in (
        (["--monthly", "--day", "31"], "give 1 to 28"),
        (["--monthly", "--at", "25:00"], "HH:MM"),
        (["--weekly", "--weekday", "funday"], "mon, tue"),
        (["--daily", "--name", "weekly"], "exists already"),
    ):
        result = losi(env, "schedule", "add", str(config), *bad, "--out", str(tmp_path / "r"), "--crontab",
                      str(crontab))  # fmt: skip
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    unknown = losi(env, "schedule", "remove", "nope")
    assert unknown.returncode == 2 and "no schedule 'nope'" in unknown.stderr
    if not systemd_running():  # this machine has no systemd: asking for it is a clear error, not a hang
        result = losi(env, "schedule", "add", str(config), "--name", "x", "--monthly", "--out", str(tmp_path / "r"),
                      "--scheduler", "systemd")  # fmt: skip
        assert result.returncode == 2 and "systemd is not running" in result.stderr


def _verdicts(path: Path) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8-sig") as f:
        return {(row["portal"], row["indicator"]): row["verdict"] for row in csv.DictReader(f)}


@pytest.mark.slow
def test_scheduled_runs_lock_date_compare_and_notify(tmp_path: Path, env: dict[str, str]) -> None:
    """First run: from the systemd unit's ExecStart; second: from the cron line, after the list changed
    (fewer pages for one portal, so it loses indicators). The second run's change summary must match what
    the two runs' findings.csv say; --notify gets its path; a run while another holds the lock does nothing."""
    site = LocalServer(SAMPLES)
    try:
        reports, data = tmp_path / "reports", tmp_path / "data"
        config = portal_list(tmp_path, site.base, 40)
        units = tmp_path / "units"
        notified = tmp_path / "notified.txt"
        notify = f"cp {{}} {notified} && echo \"$LOSI_RUN $LOSI_CHANGES_CSV\" >> {notified}"
        common = ["--monthly", "--out", str(reports), "--data-dir", str(data), "--no-probes", "--format", "csv,html",
                  "--notify", notify]  # fmt: skip
        made = losi(env, "schedule", "add", str(config), *common, "--unit-dir", str(units))
        assert made.returncode == 0, made.stderr

        service = (units / "losi-cities.service").read_text()
        workdir = next(line.split("=", 1)[1] for line in service.splitlines() if line.startswith("WorkingDirectory="))
        exec_start = next(line.split("=", 1)[1] for line in service.splitlines() if line.startswith("ExecStart="))
        unit_env = {**env, "LOSI_SCHEDULES": "/nonexistent"}  # the command names its schedules folder itself
        first = subprocess.run(shlex.split(exec_start), cwd=workdir, env=unit_env, capture_output=True, text=True,
                               timeout=900)  # fmt: skip
        assert first.returncode == 0, first.stderr[-3000:]
        today = datetime.now().strftime("%Y-%m-%d")
        assert sorted(p.name for p in reports.iterdir()) == [today]
        assert "first run of this list" in (reports / today / "changes.txt").read_text()

        assert losi(env, "schedule", "remove", "cities").returncode == 0  # now the same list from cron
        crontab = tmp_path / "crontab"
        made = losi(env, "schedule", "add", str(config), *common, "--crontab", str(crontab))
        assert made.returncode == 0, made.stderr
        line = crontab.read_text().strip()
        assert line.startswith("0 2 1 * * ")
        command = line[len("0 2 1 * * "):].rsplit(" # losi-schedule:", 1)[0]

        lock = (tmp_path / "schedules" / "cities.lock").open("a")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run is going on
        held = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=300)
        assert held.returncode == 0
        assert "is still going; this run is skipped" in (tmp_path / "schedules" / "cities.log").read_text()
        assert sorted(p.name for p in reports.iterdir()) == [today]
        lock.close()

        portal_list(tmp_path, site.base, 3)  # next month, the list has changed
        second = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=900)
        assert second.returncode == 0, (tmp_path / "schedules" / "cities.log").read_text()[-3000:]
        assert sorted(p.name for p in reports.iterdir()) == [today, f"{today}-2"]
        now = reports / f"{today}-2"

        before, after = _verdicts(reports / today / "findings.csv"), _verdicts(now / "findings.csv")
        lost = {key for key, verdict in before.items() if verdict == "met" and after[key] != "met"}
        gained = {key for key, verdict in after.items() if verdict == "met" and before[key] != "met"}
        assert lost, "fewer pages should lose indicators"
        with (now / "changes.csv").open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert {(r["portal"], r["indicator"]) for r in rows if r["change"] == "lost"} == lost
        assert {(r["portal"], r["indicator"]) for r in rows if r["change"] == "gained"} == gained
        scores = {r["portal"]: r for r in rows if r["indicator"] == "overall"}
        assert scores["tashkent"]["change"] == "down" and float(scores["tashkent"]["score_delta"]) < 0
        assert abs(float(scores["tashkent"]["score"]) - float(scores["tashkent"]["previous_score"])
                   - float(scores["tashkent"]["score_delta"])) < 1e-3  # fmt: skip
        html = (now / "report.html").read_text(encoding="utf-8")
        assert "Changes since the previous run of list cities" in html
        assert f"{len(lost)} lost" in html

        sent = notified.read_text()
        assert sent.startswith((now / "changes.txt").read_text())
        assert str(now / "changes.csv") in sent.splitlines()[-1]
        listed = losi(env, "schedule", "list")
        assert f"in {now}" in listed.stdout
    finally:
        site.close()
