"""The `losi` command as a user runs it: help, clear refusals of bad input, unreachable portals."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def losi(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losi.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "command", ["assess", "run", "country", "runs", "indicators", "a11y", "report", "review", "history"]
)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = losi(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout.lower()


def test_no_command_prints_usage() -> None:
    result = losi()
    assert result.returncode == 2
    assert "assess" in result.stdout and "run" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "not a url"], "is not an http(s) URL"),
        (["assess", "ftp://example.org/"], "is not an http(s) URL"),
        (["assess", "https://example.org/", "--framework", "losi-1999"], "unknown framework 'losi-1999'"),
        (["assess", "https://example.org/", "--max-pages", "0"], "--max-pages"),
        (["assess", "https://example.org/", "--format", "pdf"], "unknown report format"),
        (["run", "does-not-exist.yaml"], "no such file"),
        (["assess", "https://example.org/", "--from-run", "no-such-run"], "no run 'no-such-run'"),
    ],
)
def test_user_mistakes_get_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = losi(*args, "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_config_names_the_portal_and_field(tmp_path: Path) -> None:
    config = tmp_path / "portals.yaml"
    config.write_text("portals:\n  - id: yerevan\n    home_url: yerevan.am\n", encoding="utf-8")
    result = losi("run", str(config), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert "portal #1 (yerevan): field 'home_url'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_portal_is_reported_not_assessed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = losi(
        "assess",
        "http://127.0.0.1:9/",
        "--no-probes",
        "--format",
        "csv",
        "--data-dir",
        str(tmp_path / "data"),
        "--out",
        str(out),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "findings.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 95
    assert {r["verdict"] for r in rows} == {"not_assessed"}
    assert "not assessed" in result.stdout


def test_store_commands_share_one_data_dir(tmp_path: Path) -> None:
    """assess, then review export, history and report against the same store, options after the subcommand."""
    data = str(tmp_path / "data")
    assessed = losi(
        "assess",
        "http://127.0.0.1:9/",
        "--no-probes",
        "--format",
        "csv",
        "--data-dir",
        data,
        "--out",
        str(tmp_path / "out"),
        timeout=180,
    )
    assert assessed.returncode == 0, assessed.stderr
    exported = losi("review", "export", "latest", "--data-dir", data, "--out", str(tmp_path / "review.xlsx"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "review.xlsx").stat().st_size > 0
    history = losi("history", "127.0.0.1-9", "--data-dir", data)
    assert history.returncode == 0, history.stderr
    assert "127.0.0.1-9" in history.stdout
    report = losi("report", "latest", "--format", "json", "--data-dir", data, "--out", str(tmp_path / "again"))
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "again" / "findings.json").is_file()
    before = losi("review", "--data-dir", data, "export", "latest", "--out", str(tmp_path / "r2.xlsx"))
    assert before.returncode == 0, before.stderr  # the options may also come before the subcommand
