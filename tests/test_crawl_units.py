"""Link extraction and trap guards, without a network."""

from __future__ import annotations

from datetime import date

from crawler.links import canonical, extract, is_document
from crawler.middlewares import MAX_PER_PATTERN, TrapGuard

BASE = "http://portal.test/dir/page.html"


def test_extract_links_resolves_and_skips_non_http() -> None:
    html = b"""<html><body><a href="a.html#top">A</a><a href="/b?x=1">B</a><a href="mailto:x@y.z">m</a>
    <a href="javascript:void(0)">j</a><a href="https://other.test/">o</a><a href="a.html">again</a></body></html>"""
    signals = extract(html, BASE)
    assert signals.links == ["http://portal.test/dir/a.html", "http://portal.test/b?x=1", "https://other.test/"]


def test_extract_js_redirect_and_spa_signals() -> None:
    redirect = extract(b"<script>location.replace('/new/home');</script>", BASE)
    assert redirect.js_redirect == "http://portal.test/new/home"
    assert extract(b"<script>var mylocation = 'x';</script>", BASE).js_redirect == ""
    spa = extract(b'<html><body><div id="root"></div><script src="app.js"></script></body></html>', BASE)
    assert spa.looks_like_spa
    text = " ".join(["word"] * 100)
    assert not extract(f"<p>{text}</p><script></script>".encode(), BASE).looks_like_spa


def test_extract_hash_routes_and_malformed_html() -> None:
    signals = extract(b'<a href="#/news">n</a><a href="#/">root</a><a href="#top">t</a>', BASE)
    assert signals.hash_routes == ["http://portal.test/dir/page.html#/news"]
    assert extract(b"", BASE).links == []
    assert extract(b'<a href="http://[broken/">x</a><a href="ok.html">ok</a>', BASE).links == [
        "http://portal.test/dir/ok.html"
    ]
    assert extract(b"\x00\xff<<<>>><a href='x.html'", BASE).links in ([], ["http://portal.test/dir/x.html"])


def test_canonical_strips_session_ids_and_default_ports() -> None:
    assert canonical("HTTP://Portal.Test:80/a;jsessionid=XYZ?PHPSESSID=1&q=2#f") == "http://portal.test/a?q=2"
    assert canonical("https://portal.test:443") == "https://portal.test/"
    assert is_document("http://portal.test/files/Budget.PDF") and not is_document("http://portal.test/a.html")


def test_trap_guard_kinds() -> None:
    guard = TrapGuard(today=date(2026, 11, 23))
    assert guard.reason("http://p.test/" + "a" * 500) == "long_url"
    assert guard.reason("http://p.test/a/b/a/b/a/b") == "repeating_path"
    assert guard.reason("http://p.test/s?a=1&b=2&c=3&d=4&e=5") == "faceted_search"
    assert guard.reason("http://p.test/s?f=1&f=2") == "faceted_search"
    assert guard.reason("http://p.test/events?month=2031-01") == "calendar"
    assert guard.reason("http://p.test/events/1999/05/") == "calendar"
    assert guard.reason("http://p.test/events?month=2026-12") is None
    assert guard.reason("http://p.test/news/2015-annual-report") is None  # not calendar-like
    assert guard.reason("http://p.test/page.html") is None


def test_trap_guard_pattern_cap() -> None:
    guard = TrapGuard(today=date(2026, 11, 23))
    allowed = [guard.reason(f"http://p.test/list?page={i}") for i in range(MAX_PER_PATTERN + 5)]
    assert allowed[:MAX_PER_PATTERN] == [None] * MAX_PER_PATTERN
    assert set(allowed[MAX_PER_PATTERN:]) == {"pattern_cap"}
    assert all(guard.reason(f"http://p.test/news/{i}") is None for i in range(MAX_PER_PATTERN + 5))
