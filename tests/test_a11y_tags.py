"""`losi a11y --tags`: the real CLI, real Chromium and axe-core, on a page served on 127.0.0.1 that has one
WCAG A violation (image-alt) and one AA-only violation (color-contrast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, requires_browser

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tags</title></head>
<body><main><h1>City services</h1>
<p style="color:#b0b0b0;background:#ffffff">Opening hours: 9 to 18</p>
<img src="map.png"></main></body></html>"""

pytestmark = [requires_browser, pytest.mark.slow]


def a11y(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "losi.cli", "a11y", url, "--allow-private", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)


def violations(url: str, *extra: str) -> dict[str, list[str]]:
    """axe rule id -> its tags, for every violation `losi a11y --json` reports on url."""
    run = a11y(url, "--json", *extra)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    (result,) = json.loads(run.stdout)
    assert "error" not in result, result
    return {v["id"]: v["tags"] for v in result["violations"]}


@pytest.fixture
def page_url(serve, tmp_path: Path) -> str:
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    return serve(tmp_path).url


def test_aa_violation_only_when_its_tag_is_selected(page_url: str) -> None:
    default = violations(page_url)
    level_a = violations(page_url, "--tags", "wcag2a")
    level_aa = violations(page_url, "--tags", "wcag2aa")
    assert {"image-alt", "color-contrast"} <= set(default), default  # default: WCAG 2.1 A and AA
    assert "wcag2aa" in default["color-contrast"] and "wcag2a" in default["image-alt"]
    assert "image-alt" in level_a and "color-contrast" not in level_a, level_a
    assert "color-contrast" in level_aa and "image-alt" not in level_aa, level_aa


def test_text_summary_follows_the_tags(page_url: str) -> None:
    run = a11y(page_url, "--tags", "wcag2a")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "image-alt" in run.stdout and "color-contrast" not in run.stdout, run.stdout


def test_unknown_tag_is_a_usage_error(page_url: str) -> None:
    run = a11y(page_url, "--tags", "no-such-tag")
    assert run.returncode == 2 and "no-such-tag" in run.stderr, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and run.stdout == ""
    empty = a11y(page_url, "--tags", ",")
    assert empty.returncode == 2 and "--tags is empty" in empty.stderr, (empty.returncode, empty.stderr)
