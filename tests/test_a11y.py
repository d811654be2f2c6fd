"""#210 and `losi a11y`: axe-core in real Chromium on an accessible page and its inaccessible twin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assessors.axe import extra_checks_from
from assessors.rules.technology import accessibility_wcag
from assessors.site import Site
from losi.localserve import LocalServer
from losi.models import PortalConfig, Verdict
from tests.conftest import ROOT, requires_browser
from tests.test_tech_support import SITES, indicator, probed_site

WCAG = indicator("210", "accessibility-wcag")


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return {
        name: probed_site(f"a11y-{name}", ["index.html"], tmp_path_factory.mktemp(name), axe_pages=1)
        for name in ("good", "bad")
    }


@requires_browser
def test_accessible_page_meets_210(twins: dict) -> None:
    finding = accessibility_wcag(twins["good"], WCAG)
    assert finding.verdict == Verdict.MET, finding.explanation
    assert finding.details["violations"] == 0 and finding.details["pages_checked"] == 1
    assert finding.evidence and finding.evidence[0].url.endswith("/index.html")
    assert twins["good"].probes["axe"]["axe_version"].startswith("4.")


@requires_browser
def test_inaccessible_twin_fails_210_with_selectors(twins: dict) -> None:
    finding = accessibility_wcag(twins["bad"], WCAG)
    assert finding.verdict == Verdict.NOT_MET
    rules = set(finding.details["rules"])
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= rules
    selectors = {e.selector for e in finding.evidence}
    assert {"#park-map", "#email", ".faint", "html"} <= selectors
    page = twins["bad"].probes["axe"]["pages"][0]
    assert any(c["id"] == "losi-lang-missing" and c["detected"] == "en" for c in page["losi_checks"])
    violation = next(v for v in page["violations"] if v["id"] == "image-alt")
    assert violation["impact"] == "critical" and "wcag2a" in violation["tags"] and violation["helpUrl"]


def test_missing_probe_is_not_assessed() -> None:
    site = Site(portal=PortalConfig(id="x", home_url="http://example.org/"), pages=[])
    finding = accessibility_wcag(site, WCAG)
    assert finding.verdict == Verdict.NOT_ASSESSED and "axe" in finding.explanation


def test_lang_mismatch_check() -> None:
    text = "The city council meets every Tuesday to discuss the budget, new parks and public transport. " * 4
    checks = extra_checks_from({"lang": "ru", "text": text, "images": []}, "http://x/")
    assert [c["id"] for c in checks] == ["losi-lang-mismatch"]
    assert checks[0]["declared"] == "ru" and checks[0]["detected"] == "en"
    assert extra_checks_from({"lang": "en-GB", "text": text, "images": []}, "http://x/") == []


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assessors.a11y_cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip


@requires_browser
def test_cli_json_shape() -> None:
    server = LocalServer(SITES)
    try:
        bad, good = server.url + "a11y-bad/index.html", server.url + "a11y-good/index.html"
        proc = _cli("--json", "--allow-private", bad, good)
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == 2
    bad, good = results
    for result in results:
        assert result["axe_version"].startswith("4.")
        for key in ("violations", "incomplete", "passes", "inapplicable"):
            assert isinstance(result[key], list)
            assert all("id" in r and "nodes" in r for r in result[key])
        assert all(c["id"].startswith("losi-") for c in result["losi_checks"])
    assert {"image-alt", "label"} <= {v["id"] for v in bad["violations"]}
    assert good["violations"] == [] and good["passes"]
    assert [c["id"] for c in bad["losi_checks"]] == ["losi-lang-missing"]


def test_cli_refuses_private_and_bad_urls() -> None:
    proc = _cli("http://127.0.0.1:9/")
    assert proc.returncode == 2 and "--allow-private" in proc.stderr
    proc = _cli("not a url")
    assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr
    assert Path(ROOT / "assessors" / "a11y_cli.py").is_file()


@requires_browser
def test_problems_inside_frames_are_found(tmp_path: Path) -> None:
    """axe checks a frame only when it runs inside that frame too: losi injects it into every frame."""
    (tmp_path / "frame.html").write_text(
        '<!doctype html><html lang="en"><title>Map</title><img src="map.png" width="40" height="40"></html>',
        encoding="utf-8",
    )
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="en"><title>Page</title><main><h1>Page</h1>'
        '<iframe src="frame.html" title="City map"></iframe></main></html>',
        encoding="utf-8",
    )
    server = LocalServer(tmp_path)
    try:
        proc = _cli("--json", "--allow-private", server.url + "index.html")
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    targets = [n["target"] for v in result["violations"] if v["id"] == "image-alt" for n in v["nodes"]]
    assert targets == [["iframe", "img"]], result["violations"]
