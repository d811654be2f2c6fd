"""Real Firefox (WebDriver BiDi) and real WebKit (WebKitWebDriver) on pages served on 127.0.0.1, and #201."""

from __future__ import annotations

import asyncio
import http.server
import os
from pathlib import Path

import pytest
from PIL import Image

from assessors.engines import render_in_engine, render_in_engines
from assessors.engines.firefox import find_firefox
from assessors.engines.webkit import find_webkit
from assessors.rules.technology import browser_compat
from assessors.site import Site
from crawler.scope import Scope
from indicators.catalog import load_catalog
from losi.models import Verdict
from tests.conftest import requires_browser
from tests.test_tech_support import probed_site

DESKTOP = {"width": 1366, "height": 900}
BODY = "<main><h1>City hall</h1>" + "<p>Opening hours, services and contacts of the city hall.</p>" * 20 + \
       '<p><a href="/a.html">Services</a> <a href="/b.html">News</a></p><img src="dot.svg" alt="dot"></main>'
# engine-specific on purpose: the user agent names Chrome only in Chromium (headless shell included)
NOT_CHROMIUM = "!/Chrome\\//.test(navigator.userAgent)"
PAGES = {
    "good": f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Good</title></head><body>{BODY}</body>",
    "js-error": (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Err</title></head><body>{BODY}<script>"
        f"if ({NOT_CHROMIUM}) throw new Error('feature missing at load');</script><script>"
        # a widget that keeps failing after load (polling every 200 ms for 3 s)
        f"const t = setInterval(() => {{ if ({NOT_CHROMIUM}) throw new Error('late failure'); }}, 200);"
        "setTimeout(() => clearInterval(t), 3000);</script></body>"
    ),
    "layout": (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Lay</title></head><body>{BODY}<script>"
        f"if ({NOT_CHROMIUM}) document.querySelector('main').style.display = 'none';</script></body>"
    ),
}
DOT = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20"/></svg>'


def _engines_missing() -> str | None:
    if find_firefox() is None:
        return "firefox-esr is not installed (scripts/setup.sh)"
    try:
        find_webkit()
    except Exception as exc:
        return str(exc)
    return None


requires_engines = pytest.mark.skipif(_engines_missing() is not None, reason=str(_engines_missing()))
INDICATOR = next(i for i in load_catalog("losi-2024").indicators if i.code == "201")


def _site_dir(root: Path, page: str) -> Path:
    folder = root / page
    folder.mkdir()
    (folder / "index.html").write_text(PAGES[page], encoding="utf-8")
    (folder / "dot.svg").write_text(DOT, encoding="utf-8")
    return folder


def _probed(tmp: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> Site:
    import tests.test_tech_support as support

    monkeypatch.setattr(support, "SITES", tmp / "sites")
    (tmp / "sites").mkdir(exist_ok=True)
    _site_dir(tmp / "sites", page)
    return probed_site(page, ["index.html"], tmp / f"run-{page}", axe_pages=1)


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    with pytest.MonkeyPatch.context() as mp:
        return _probed(tmp_path_factory.mktemp("good"), "good", mp)


_PROCESS_HELPERS = (b"multiprocessing.forkserver", b"multiprocessing.resource_tracker")


def _our_processes() -> list[str]:
    """Processes this test process started and left behind (other sessions' browsers are not ours; nor are
    multiprocessing's forkserver and resource tracker, kept for the next parse pool an earlier test started)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            state, ppid = text[text.rindex(")") + 2:].split()[:2]
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(ppid) == os.getpid() and state != "Z" and not any(h in cmdline for h in _PROCESS_HELPERS):
            out.append(text[:200])
    return out


@requires_browser
@requires_engines
def test_good_page_is_met_in_three_engines(good_site: Site) -> None:
    browsers = good_site.probes["browsers"]
    assert browsers["available"] == ["chromium", "firefox", "webkit"], browsers["engines"]
    finding = browser_compat(good_site, INDICATOR)
    assert finding.verdict == Verdict.MET, finding.explanation
    assert len(finding.evidence) == 3
    for ev, name in zip(finding.evidence, ("chromium", "firefox", "webkit"), strict=True):
        assert ev.url == good_site.home_url and ev.snippet.startswith(name)
        with Image.open(good_site.portal_dir / ev.screenshot) as shot:  # something was painted, not a blank page
            assert shot.size == (DESKTOP["width"], DESKTOP["height"])
            assert len(shot.convert("L").getcolors(maxcolors=65536) or []) > 8, ev.screenshot
    fx, wk = browsers["engines"]["firefox"], browsers["engines"]["webkit"]
    assert fx["version"].startswith("Firefox ") and wk["version"].startswith("WebKitGTK ")
    for info in (fx, wk):
        assert info["layout"]["inner_width"] == DESKTOP["width"] and info["layout"]["images"] == 1
        assert info["layout"]["links"] == 2 and info["console_errors"] == []
    assert not _our_processes()


@requires_browser
@requires_engines
def test_error_outside_chromium_is_not_met_naming_the_engine(tmp_path: Path, monkeypatch) -> None:
    site = _probed(tmp_path, "js-error", monkeypatch)
    engines = site.probes["browsers"]["engines"]
    assert engines["chromium"]["console_errors"] == []
    assert any("feature missing at load" in e for e in engines["firefox"]["console_errors"])
    # WebKit's driver has no console log: its collector sees the error after load, not the one during load
    assert any("late failure" in e for e in engines["webkit"]["console_errors"]), engines["webkit"]
    finding = browser_compat(site, INDICATOR)
    assert finding.verdict == Verdict.NOT_MET
    assert "firefox: " in finding.explanation and "webkit: " in finding.explanation
    assert "chromium:" not in finding.explanation and finding.looked_for


@requires_browser
@requires_engines
def test_content_missing_outside_chromium_is_a_layout_difference(tmp_path: Path, monkeypatch) -> None:
    site = _probed(tmp_path, "layout", monkeypatch)
    finding = browser_compat(site, INDICATOR)
    assert finding.verdict == Verdict.NOT_MET
    assert "firefox: visible text length" in finding.explanation and "webkit: visible text length" in (
        finding.explanation)


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(204)
        self.end_headers()


@requires_engines
@pytest.mark.parametrize("engine", ["firefox", "webkit"])
def test_private_addresses_are_blocked(engine: str, serve, tmp_path: Path) -> None:
    other = serve(tmp_path, RecordingHandler)  # another local port: not the portal
    RecordingHandler.seen = []
    folder = _site_dir(tmp_path, "good")
    page = PAGES["good"].replace("</main>", f'<img src="{other.url}spy.png"><iframe src="{other.url}frame">'
                                            "</iframe></main>")  # fmt: skip
    (folder / "index.html").write_text(page, encoding="utf-8")
    portal = serve(folder)
    allowed = Scope(domains=[portal.url.split("/")[2]], allow_private=True)
    result = render_in_engine(engine, portal.url + "index.html", DESKTOP, tmp_path / "shots", allowed)
    assert "error" not in result, result
    assert result["layout"]["images"] == 1  # the portal's own image loads
    assert RecordingHandler.seen == []  # nothing reached the other private port
    refused = render_in_engine(engine, other.url, DESKTOP, tmp_path / "shots", None)
    assert "refused to open" in refused["error"] and RecordingHandler.seen == []
    assert not _our_processes()


def _missing_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict]:
    with monkeypatch.context() as mp:
        mp.setenv("PATH", str(tmp_path))  # an empty folder: no browser binary can be found
        return asyncio.run(render_in_engines("http://example.org/", DESKTOP, tmp_path))


def test_missing_binaries_give_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    result = _missing_engines(tmp_path, monkeypatch)
    assert result["firefox"] == {"error": "firefox-esr is not installed (apt-get install firefox-esr)", "missing": True}
    assert result["webkit"]["missing"] and "apt-get install webkit2gtk-driver" in result["webkit"]["error"]
    assert not list(tmp_path.iterdir())  # nothing started, no screenshot


@requires_browser
def test_chromium_alone_is_needs_review(good_site: Site, tmp_path: Path, monkeypatch) -> None:
    chromium = good_site.probes["browsers"]["engines"]["chromium"]
    probes = {**good_site.probes, "browsers": {"engines": {"chromium": chromium,
                                                           **_missing_engines(tmp_path, monkeypatch)}}}
    alone = Site(portal=good_site.portal, pages=good_site.pages, probes=probes, portal_dir=good_site.portal_dir)
    finding = browser_compat(alone, INDICATOR)
    assert finding.verdict == Verdict.NEEDS_REVIEW
    assert "Only chromium rendered the page here (1 of 3 browsers)" in finding.explanation
    assert "firefox-esr is not installed" in finding.explanation and finding.details["checked"] == ["chromium"]


@requires_engines
def test_alert_does_not_stop_the_engines(serve, tmp_path: Path) -> None:
    folder = _site_dir(tmp_path, "good")
    (folder / "index.html").write_text(PAGES["good"].replace("<main>", "<script>alert('hi')</script><main>"))
    portal = serve(folder)
    allowed = Scope(domains=[portal.url.split("/")[2]], allow_private=True)
    results = asyncio.run(render_in_engines(portal.url + "index.html", DESKTOP, tmp_path / "shots", allowed))
    for name, result in results.items():
        assert "error" not in result, (name, result)
        assert result["layout"]["links"] == 2 and result["seconds"] > 0 and result["peak_rss_mb"] > 0
