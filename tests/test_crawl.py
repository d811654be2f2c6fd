"""Real crawls of small sites served on 127.0.0.1: scope, robots, redirects, caps, traps, rendering, files."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.sitegen import generate_site
from crawler.captures import iter_captures
from crawler.middlewares import MAX_PER_PATTERN
from crawler.runner import CrawlResult, crawl_portal
from losi.layout import PortalFiles
from losi.localserve import LocalServer, QuietHandler
from losi.models import Limits, Politeness, PortalConfig
from losi.procs import descendants
from tests.conftest import requires_browser

SITES = Path(__file__).resolve().parent / "sites"


def portal_for(url: str, **kwargs: object) -> PortalConfig:
    limits = kwargs.pop("limits", Limits(max_pages=100, max_depth=5, max_seconds=60))
    return PortalConfig(
        id=str(kwargs.pop("id", "test")),
        home_url=url,
        allow_private=bool(kwargs.pop("allow_private", True)),
        politeness=Politeness(delay=0, concurrency_per_host=8),
        limits=limits,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def lines(files: PortalFiles) -> list[dict]:
    return [json.loads(line) for line in files.captures.read_text(encoding="utf-8").splitlines() if line.strip()]


def prepare_basic(dest: Path, linked_url: str) -> tuple[LocalServer, Path]:
    """Copy crawl-basic, serve it, and fill in its own base URL and the linked portal's URL."""
    site_dir = dest / "site"
    shutil.copytree(SITES / "crawl-basic", site_dir)
    site = LocalServer(site_dir)
    for path in site_dir.rglob("*"):
        if path.suffix in (".html", ".xml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("__BASE__", site.url).replace("__LINKED__", linked_url), encoding="utf-8")
    return site, site_dir


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("basic")
    linked = LocalServer(SITES / "crawl-linked")
    site, _ = prepare_basic(tmp, linked.url)
    files = PortalFiles(tmp / "out")
    progress: list[str] = []
    portal = portal_for(site.url, id="basic", linked_portals=[linked.url])
    result = crawl_portal(portal, files, progress=progress.append)
    yield {"result": result, "files": files, "url": site.url, "linked": linked.url, "progress": progress}
    site.close()
    linked.close()


def urls(files: PortalFiles) -> set[str]:
    return {c["url"] for c in lines(files)} | {c["final_url"] for c in lines(files)}


def test_basic_crawl_finishes_with_summary_and_progress(basic: dict) -> None:
    result: CrawlResult = basic["result"]
    assert result.status == "ok", result.reason
    assert result.pages >= 12
    summary = json.loads(basic["files"].crawl_summary.read_text())
    assert summary["status"] == "ok" and summary["pages"] == result.pages
    assert json.loads(basic["files"].job.read_text())["id"] == "basic"
    assert any("pages" in line for line in basic["progress"])
    html = [c for c in lines(basic["files"]) if "html" in c["content_type"]]
    assert len(html) >= result.pages


def test_sitemap_index_from_robots_seeds_pages(basic: dict) -> None:
    assert basic["url"] + "only-in-sitemap.html" in urls(basic["files"])
    assert basic["url"] + "sitemap-pages.xml" in urls(basic["files"])


def test_robots_disallow_respected(basic: dict) -> None:
    assert not any("/private/" in u for u in urls(basic["files"]))
    assert basic["result"].stats.get("robotstxt/forbidden", 0) >= 1


def test_meta_refresh_and_js_redirect_followed(basic: dict) -> None:
    captures = lines(basic["files"])
    refresh = [c for c in captures if c["url"] == basic["url"] + "refresh.html"]
    assert refresh and refresh[0]["final_url"] == basic["url"] + "target-refresh.html"
    js = [c for c in captures if c["url"] == basic["url"] + "target-js.html"]
    assert js and js[0]["referer"] == basic["url"] + "jsredir.html"


def test_scope_internal_external_and_linked_portal(basic: dict) -> None:
    captures = lines(basic["files"])
    seen = urls(basic["files"])
    assert basic["url"] + "about.html" in seen
    assert not any("example.invalid" in u for u in seen)
    service = [c for c in captures if c["url"] == basic["linked"] + "service.html"]
    assert service and service[0]["outside"] is True
    assert basic["linked"] + "further.html" not in seen  # one hop only
    assert all(c["outside"] is False for c in captures if c["url"].startswith(basic["url"]))
    assert basic["url"] + "report.pdf" not in seen  # documents are not downloaded
    assert not any("jsessionid" in u.lower() or "phpsessid" in u.lower() for u in seen)


def test_malformed_html_page_is_kept(basic: dict) -> None:
    item = [c for c in lines(basic["files"]) if c["url"].endswith("news/item-1.html")]
    assert item and item[0]["status"] == 200


@requires_browser
def test_home_page_rendered_with_png_screenshot(basic: dict) -> None:
    home = [c for c in lines(basic["files"]) if c["url"] == basic["url"]]
    assert home and home[0]["rendered"] is True and home[0]["depth"] == 0
    shot = basic["files"].root / home[0]["screenshot"]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_iter_captures_round_trip_and_truncated_files(basic: dict, tmp_path: Path) -> None:
    files: PortalFiles = basic["files"]
    captures = list(iter_captures(files))
    assert len(captures) == len(lines(files))
    home = next(c for c in captures if c.url == basic["url"])
    assert b"Welcome to the basic city portal" in home.body
    assert home.status == 200 and "content-type" in {k.lower() for k in home.headers}
    # A run killed half-way: the last WARC record and the last JSONL line are cut short.
    cut = PortalFiles(tmp_path / "cut")
    shutil.copytree(files.root, cut.root)
    last_offset = lines(files)[-1]["warc_offset"]
    data = files.warc.read_bytes()
    cut.warc.write_bytes(data[: last_offset + (len(data) - last_offset) // 2])
    with cut.captures.open("a", encoding="utf-8") as f:
        f.write('{"url": "http://127.0.0.1/half')
    survived = list(iter_captures(cut))
    assert len(survived) == len(captures) - 1
    assert [c.url for c in survived] == [c.url for c in captures[:-1]]


def test_private_address_refused_without_allow_private(serve, tmp_path: Path) -> None:
    site = serve(SITES / "crawl-spa")
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url, allow_private=False), files)
    assert result.status == "failed" and result.pages == 0
    assert "private" in result.reason and "127.0.0.1" in result.reason
    assert lines(files) == []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_host_fails_with_reason(tmp_path: Path) -> None:
    port = closed_port()
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(f"http://127.0.0.1:{port}/"), files)
    assert result.status == "failed" and result.pages == 0
    assert "could not connect" in result.reason and f"127.0.0.1:{port}" in result.reason
    assert json.loads(files.crawl_summary.read_text())["status"] == "failed"


def test_page_cap_stops_crawl_as_partial(serve, tmp_path: Path) -> None:
    site = serve(generate_site(tmp_path / "site", pages=60))
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url, limits=Limits(max_pages=10, max_depth=10, max_seconds=60)), files)
    assert result.status == "partial" and "cap" in result.reason
    assert result.pages == 10
    assert len([c for c in lines(files) if "html" in c["content_type"] and c["status"] == 200]) == 10


def test_depth_cap(tmp_path: Path) -> None:
    linked = LocalServer(SITES / "crawl-linked")
    site, _ = prepare_basic(tmp_path, linked.url)
    try:
        files = PortalFiles(tmp_path / "out")
        result = crawl_portal(portal_for(site.url, limits=Limits(max_pages=100, max_depth=1, max_seconds=60)), files)
    finally:
        site.close()
        linked.close()
    assert result.status == "ok", result.reason
    seen = urls(files)
    assert site.url + "deep/d1.html" in seen
    assert site.url + "deep/d2.html" not in seen
    assert max(c["depth"] for c in lines(files)) <= 1
    assert result.stats.get("losi/depth_capped", 0) > 0


class CalendarHandler(http.server.BaseHTTPRequestHandler):
    """An endless calendar: every month links to the previous and the next month."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/":
            today = date.today()
            body = f'<h1>City</h1><a href="/calendar?month={today:%Y-%m}">Events</a><a href="/about">About</a>'
        elif parts.path == "/about":
            body = "<h1>About</h1><p>About the city.</p>"
        elif parts.path == "/calendar":
            year, month = (int(x) for x in parse_qs(parts.query)["month"][0].split("-"))
            prev = (year - 1, 12) if month == 1 else (year, month - 1)
            nxt = (year + 1, 1) if month == 12 else (year, month + 1)
            body = (
                f"<h1>Events {year}-{month:02d}</h1>"
                f'<a href="/calendar?month={prev[0]}-{prev[1]:02d}">Previous</a>'
                f'<a href="/calendar?month={nxt[0]}-{nxt[1]:02d}">Next</a>'
            )
        else:
            self.send_error(404)
            return
        data = f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_calendar_trap_stays_bounded(serve, tmp_path: Path) -> None:
    site = serve(tmp_path, handler=CalendarHandler)
    files = PortalFiles(tmp_path / "out")
    portal = portal_for(site.url, limits=Limits(max_pages=400, max_depth=1000, max_seconds=60))
    result = crawl_portal(portal, files)
    assert result.status == "ok", result.reason  # finished by itself, not by a cap
    calendar = [c for c in lines(files) if "/calendar" in c["url"]]
    assert 6 <= len(calendar) <= MAX_PER_PATTERN
    assert result.stats.get("losi/trap/calendar", 0) + result.stats.get("losi/trap/pattern_cap", 0) >= 1


@requires_browser
def test_spa_page_rendered_and_js_links_crawled(serve, tmp_path: Path) -> None:
    site = serve(SITES / "crawl-spa")
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url), files)
    assert result.status == "ok", result.reason
    by_url = {c["url"]: c for c in lines(files)}
    app = by_url[site.url + "app.html"]
    assert app["rendered"] is True
    assert site.url + "js-only.html" in by_url  # the link exists only in the rendered DOM
    route = by_url.get(site.url + "app.html#/news")
    assert route is not None and route["rendered"] is True
    bodies = {c.url: c.body for c in iter_captures(files)}
    assert b"Content inserted by JavaScript" in bodies[site.url + "app.html"]
    assert b"SPA news route" in bodies[site.url + "app.html#/news"]


def _holding(site_dir: Path, ready: Callable[[], bool]) -> tuple[Any, threading.Event]:
    """A handler serving site_dir that holds held.html until ready() (asked every 0.2 s, for at most 120 s),
    and the event set once it was."""
    done = threading.Event()

    class HeldHandler(QuietHandler):
        def do_GET(self) -> None:
            if "held" in self.path:
                give_up = time.monotonic() + 120
                while not done.is_set() and time.monotonic() < give_up:
                    if ready():
                        done.set()
                    else:
                        time.sleep(0.2)
            super().do_GET()

    return functools.partial(HeldHandler, directory=str(site_dir)), done


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


@requires_browser
def test_an_idle_browser_is_closed_and_launched_again_for_the_next_page_to_render(serve, tmp_path: Path) -> None:
    """The home page is rendered (for its screenshot); while the crawl then needs no browser, Chromium is
    closed (it holds ~330 MB), and a page found later that needs rendering launches it again. http and https
    share one Playwright driver."""
    site_dir = tmp_path / "site"
    shutil.copytree(SITES / "crawl-spa", site_dir)
    (site_dir / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>City portal</title></head>"
        "<body><h1>City portal</h1><a href='held.html'>News</a></body></html>"
    )
    (site_dir / "held.html").write_text(
        "<!doctype html><html lang='en'><head><title>News</title></head>"
        "<body><h1>News</h1><a href='app.html'>Open the application</a></body></html>"
    )
    files = PortalFiles(tmp_path / "out")
    handler, closed = _holding(site_dir, lambda: "closing the idle browser" in _text(files.crawl_log))
    site = serve(site_dir, handler)
    result = crawl_portal(portal_for(site.url, limits=Limits(max_pages=20, max_depth=5, max_seconds=300)), files)
    assert result.status == "ok", result.reason
    assert closed.is_set()
    by_url = {c["url"]: c for c in lines(files)}
    assert by_url[site.url]["rendered"] is True and by_url[site.url]["screenshot"]
    assert by_url[site.url + "app.html"]["rendered"] is True
    assert result.stats.get("playwright/browser_count") == 2  # the home page's, then app.html's
    assert files.crawl_log.read_text(errors="replace").count("Starting download handler") == 1


def _crawl_without_browser() -> bool:
    """A crawl this test process started is running, with no Node driver or Chromium process below it."""
    crawls = [pid for pid in descendants(os.getpid()) if "crawler.crawl_one" in _cmdline(pid)]
    browsers = [pid for crawl in crawls for pid in descendants(crawl) if re.search(r"node|chrom", _cmdline(pid))]
    return bool(crawls) and not browsers


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")
    except OSError:
        return ""


@requires_browser
def test_a_crawl_that_renders_only_its_home_page_stops_the_browser_once_it_is_done(serve, tmp_path: Path) -> None:
    """render: never renders the home page alone (for its screenshot): after it, the crawl goes on in plain
    HTTP without Chromium or Playwright's driver. The page after the home page is held until the crawl has
    no browser process left; held past its download timeouts, the page after it is never reached."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "index.html").write_text("<html><body><h1>Home</h1><a href='held.html'>News</a></body></html>")
    (site_dir / "held.html").write_text("<html><body><h1>News</h1><a href='last.html'>More news</a></body></html>")
    (site_dir / "last.html").write_text("<html><body><h1>More news</h1></body></html>")
    handler, gone = _holding(site_dir, _crawl_without_browser)
    site = serve(site_dir, handler)
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url, render="never"), files)
    assert result.status == "ok", result.reason
    by_url = {c["url"]: c for c in lines(files)}
    assert site.url + "last.html" in by_url, "held.html timed out: the browser was not stopped while it was held"
    assert gone.is_set() and by_url[site.url + "last.html"]["rendered"] is False
    assert by_url[site.url]["rendered"] is True and by_url[site.url]["screenshot"]
    assert "nothing more in this crawl is rendered" in files.crawl_log.read_text(errors="replace")


def test_without_browser_crawl_uses_plain_http(serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOSI_CHROMIUM", str(tmp_path / "no-such-chromium"))
    site = serve(SITES / "crawl-spa")
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url), files)
    assert result.status == "ok", result.reason
    assert result.stats["rendering"].startswith("disabled")
    captures = lines(files)
    assert captures and not any(c["rendered"] for c in captures)
    assert not any(c["screenshot"] for c in captures)


HUGE = 11 * 1024 * 1024


class HugeHandler(http.server.BaseHTTPRequestHandler):
    """A home page linking to two responses over the 10 MB limit: one with Content-Length, one without."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/":
            data = b'<html><body><h1>Home</h1><a href="/sized">a</a><a href="/streamed">b</a></body></html>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.path not in ("/sized", "/streamed"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if self.path == "/sized":
            self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        chunk = b"<p>" + b"x" * 65536 + b"</p>"
        try:
            for _ in range(HUGE // len(chunk) + 1):
                self.wfile.write(chunk)
        except OSError:
            pass  # the crawler hung up, as it should


def test_huge_responses_are_skipped_with_a_warning(serve, tmp_path: Path) -> None:
    site = serve(tmp_path, handler=HugeHandler)
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url), files)
    assert result.status == "ok", result.reason
    assert result.pages == 1
    warned = " ".join(result.stats["warnings"])
    assert site.url + "sized" in warned and site.url + "streamed" in warned
    assert result.stats["losi/too_large"] == 2


@requires_browser
@pytest.mark.parametrize("mode", ["always", "never"])
def test_render_modes(serve, tmp_path: Path, mode: str) -> None:
    site = serve(SITES / "crawl-spa")
    files = PortalFiles(tmp_path / "out")
    result = crawl_portal(portal_for(site.url, render=mode), files)
    assert result.status == "ok", result.reason
    pages = {c["url"]: c for c in lines(files) if "html" in c["content_type"] and c["status"] == 200}
    assert pages[site.url]["rendered"] is True  # the home page is rendered in every mode
    others = [c for url, c in pages.items() if url != site.url]
    assert others
    if mode == "always":
        assert all(c["rendered"] for c in others)
    else:
        assert not any(c["rendered"] for c in others)
        assert site.url + "js-only.html" not in pages  # its link exists only after rendering


def test_time_cap_stops_crawl_as_partial(serve, tmp_path: Path) -> None:
    site = serve(generate_site(tmp_path / "site", pages=80))
    files = PortalFiles(tmp_path / "out")
    portal = portal_for(site.url, limits=Limits(max_pages=500, max_depth=50, max_seconds=5))
    portal.politeness = Politeness(delay=0.5, concurrency_per_host=1)
    result = crawl_portal(portal, files)
    assert result.status == "partial" and "time cap" in result.reason
    assert 0 < result.pages < 80
