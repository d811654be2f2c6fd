"""The single-file HTML report: escaping, links, thumbnails, what-to-fix-first; rendered in real Chromium."""

from __future__ import annotations

import argparse
import struct
import zlib

import pytest

from losi.layout import portal_files
from losi.models import Evidence, Finding, PageDoc, Verdict
from outputs import cli
from outputs.collect import collect_run
from outputs.html_report import effort_of, fix_first, render_html, safe_url
from outputs.reports import write_reports
from tests.conftest import requires_browser
from tests.test_export_support import build_store, city_findings

HOSTILE_SNIPPET = "<script>window.__pwned=1</script>"
HOSTILE_EXPLANATION = '<img src=x onerror="window.__pwned=2">'


def tiny_png(width: int = 40, height: int = 30) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def hostile_store(tmp_path):
    store, run_id, cats = build_store(tmp_path, two_runs=True)
    files = portal_files(store.data_dir, run_id, "tashkent")
    files.screenshots.mkdir(parents=True)
    (files.screenshots / "home.png").write_bytes(tiny_png())
    (files.root / "secret.txt").write_text("not an image")
    items = city_findings(1)
    items[2] = Finding("296", Verdict.MET, "rule-296", HOSTILE_EXPLANATION, 0.9, evidence=[
        Evidence("https://tashkent.example/news", "main > h1", HOSTILE_SNIPPET, screenshot="screenshots/home.png"),
        Evidence("javascript:window.__pwned=3", "a", "js link"),
        Evidence("https://tashkent.example/x\" onmouseover=\"window.__pwned=4", "a", "quote"),
    ])
    items[3] = Finding("214", Verdict.MET, "rule-214", "contact", 0.9,
                       evidence=[Evidence("https://tashkent.example/c", "a", "c", screenshot="../../../../etc/passwd"),
                                 Evidence("https://tashkent.example/c2", "a", "c", screenshot="secret.txt")])
    store.save_findings(run_id, "tashkent", "test-city", items)
    home = PageDoc(url="https://tashkent.example/", final_url="https://tashkent.example/", status=200,
                   title=HOSTILE_SNIPPET, screenshot="screenshots/home.png")
    store.save_pages(run_id, "tashkent", [home])
    return store, run_id, cats


def test_html_escapes_crawled_text_and_links_only_http(tmp_path):
    store, run_id, cats = hostile_store(tmp_path)
    page = render_html(collect_run(store, run_id, cats), store, cats)
    assert HOSTILE_SNIPPET not in page and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page and "onmouseover=\"window" not in page
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "Toshkent &lt;b&gt;shahri&lt;/b&gt;" in page
    assert "data:image/" in page  # the screenshot is embedded
    assert "etc/passwd" in page and "secret.txt" in page  # named, never embedded
    assert page.count("data:image/") == 2  # home-page thumbnail + the evidence thumbnail, nothing else
    assert safe_url("HTTPS://ok.example/a?b=1") and not safe_url("data:text/html,x") and not safe_url("//x.example")


def test_fix_first_prefers_cheap_gaps(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    city = next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == "tashkent")
    order = [f.indicator for f in fix_first(city)]
    assert set(order) == {"295", "217", "205", "220"}  # not met, needs review; never met or not_applicable
    assert [effort_of(c) for c in order] == sorted((effort_of(c) for c in order),
                                                   key=["easy", "moderate", "hard"].index)
    assert effort_of("253") == "hard" and effort_of("zzz") == "moderate"


def test_html_shows_published_osi_for_national_portals(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    page = render_html(collect_run(store, run_id, cats), store, cats)
    assert "Published OSI 2024 (UN)" in page and "0.7648" in page and "Not the same measure" in page
    assert page.count("Published OSI 2024") == 1  # only the national portal


def test_report_cli_writes_html_only(tmp_path, capsys, monkeypatch):
    store, run_id, cats = build_store(tmp_path)
    monkeypatch.setattr("outputs.collect.load_catalog", cats.__getitem__)
    parser = argparse.ArgumentParser(prog="losi")
    sub = parser.add_subparsers(dest="command")
    cli.configure_report(sub.add_parser("report"))
    args = parser.parse_args(["report", "latest", "--format", "html", "--out", str(tmp_path / "site")])
    assert cli.run_report(args, store) == 0
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["report.html"]
    assert run_id in capsys.readouterr().out
    assert cli.run_report(parser.parse_args(["report", "nope"]), store) == 2
    assert "unknown run" in capsys.readouterr().err


@requires_browser
@pytest.mark.browser
def test_html_report_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    from losi.browser import launch_options

    store, run_id, cats = hostile_store(tmp_path)
    path = write_reports(store, run_id, tmp_path / "out", ["html"], catalogs=cats)["report.html"]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            charts = page.eval_on_selector_all(
                "svg.chart", "els => els.map(e => { const b = e.getBoundingClientRect();"
                " return [e.getAttribute('class'), b.width, b.height,"
                " e.querySelectorAll('rect,polygon,polyline').length] })")
            kinds = {c[0] for c in charts}
            assert {"chart bars", "chart radar", "chart trend"} <= kinds
            assert all(w > 0 and h > 0 and shapes > 0 for _, w, h, shapes in charts)
            radar = page.locator("#p-tashkent svg.radar polygon.area").bounding_box()
            assert radar and radar["width"] > 10 and radar["height"] > 10

            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
            assert hrefs and all(h.startswith(("http://", "https://", "#")) for h in hrefs)
            anchors = [h[1:] for h in hrefs if h.startswith("#")]
            missing = page.evaluate("ids => ids.filter(i => !document.getElementById(i))", anchors)
            assert missing == []

            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert HOSTILE_SNIPPET in page.inner_text("body")
            thumbs = page.eval_on_selector_all("img.thumb", "els => els.map(e => e.naturalWidth)")
            assert thumbs and all(w > 0 for w in thumbs)
            assert all(u.startswith(("file:", "data:")) for u in requests)  # nothing fetched from the network
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
