"""Parsing while the crawl runs (crawler.runner.BackgroundCrawl): the captures read as the crawl writes them
are the crawl's captures, and a portal assessed that way gets the findings it gets from its finished crawl."""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any

from bench.sitegen import generate_site
from crawler.captures import Capture, iter_captures
from crawler.parse_pool import MIN_PAGES_FOR_POOL
from crawler.runner import BackgroundCrawl
from losi.deadline import Deadline
from losi.layout import PortalFiles
from losi.localserve import LocalServer, QuietHandler
from losi.models import Limits, Politeness, PortalConfig
from losi.pipeline import RunOptions, load_site, run_assessment
from losi.store import Store


def _portal(url: str, pages: int) -> PortalConfig:
    return PortalConfig(
        id="alongside", home_url=url, allow_private=True, languages=["en"], render="never",
        politeness=Politeness(delay=0, concurrency_per_host=4),
        limits=Limits(max_pages=pages, max_depth=100, max_seconds=300),
    )  # fmt: skip


def _gated_handler(gate: threading.Event, directory: Path) -> Any:
    class GatedHandler(QuietHandler):
        """Holds one page until the test opens the gate: the crawl cannot end before that."""

        def do_GET(self) -> None:
            if "gated" in self.path:
                gate.wait(120)
            super().do_GET()

    return functools.partial(GatedHandler, directory=str(directory))


def _key(capture: Capture) -> tuple:
    return capture.url, capture.status, capture.warc_offset, capture.body


PAGES = [f"p{n}.html" for n in range(12)] + ["gated.html"]


def _site(tmp_path: Path) -> Path:
    """A home page linking to twelve pages and to gated.html."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    links = "".join(f"<li><a href='/{name}'>Page {name}</a></li>" for name in PAGES)
    (site_dir / "index.html").write_text(f"<html><body><h1>Home</h1><ul>{links}</ul></body></html>")
    for name in PAGES:
        (site_dir / name).write_text(f"<html><body><h1>{name}</h1><p>{'Text of the page. ' * 20}</p></body></html>")
    return site_dir


def test_captures_read_while_the_crawl_writes_them_are_the_crawls_captures(tmp_path: Path) -> None:
    site_dir = _site(tmp_path)
    gate = threading.Event()
    server = LocalServer(site_dir, _gated_handler(gate, site_dir))
    try:
        files = PortalFiles(tmp_path / "out")
        crawl = BackgroundCrawl(_portal(server.url, 50), files)
        read: list[Capture] = []
        running_when_first_read = None
        for capture in crawl.captures():
            if running_when_first_read is None:
                running_when_first_read = not crawl.done.is_set()
                gate.set()
            read.append(capture)
        result = crawl.result()
    finally:
        gate.set()
        server.close()
    assert running_when_first_read, "the first capture should be read while the crawl is held at the gated page"
    assert result.status == "ok", result
    after = list(iter_captures(files))
    assert [_key(c) for c in read] == [_key(c) for c in after]
    assert {c.url.rsplit("/", 1)[-1] for c in after} >= {"", *PAGES}


def test_the_assessment_cap_runs_from_the_crawls_end(tmp_path: Path) -> None:
    """A cap already used up when the crawl starts (a long crawl) does not cut the pages parsed while the
    crawl runs: the cap starts again when the crawl ends (on_end), with ample time for what is left."""
    site_dir = _site(tmp_path)
    server = LocalServer(site_dir)
    try:
        files = PortalFiles(tmp_path / "out")
        portal = _portal(server.url, 50)
        assessing = Deadline(600, "assessment", started=time.monotonic() - 3600)
        assert assessing.expired()
        crawl = BackgroundCrawl(portal, files, on_end=assessing.restart)
        site = load_site(portal, files, assessing, crawl)
    finally:
        server.close()
    assert not assessing.hit, assessing.hit
    assert len(site.pages) == len(PAGES) + 1


def test_a_crawl_given_up_on_is_stopped_without_waiting_for_it(tmp_path: Path) -> None:
    """The reader fails (or is interrupted) while the crawl is held at a page that never answers: stop()
    kills the crawl, and its captures end, long before the page would have answered."""
    site_dir = _site(tmp_path)
    gate = threading.Event()  # never opened while the crawl runs
    server = LocalServer(site_dir, _gated_handler(gate, site_dir))
    try:
        crawl = BackgroundCrawl(_portal(server.url, 50), PortalFiles(tmp_path / "out"))
        read = []
        for capture in crawl.captures():
            read.append(capture)
            crawl.stop()
        result = crawl.result()
        held = not gate.is_set()
    finally:
        gate.set()
        server.close()
    assert held and read
    assert "gated.html" not in {c.url.rsplit("/", 1)[-1] for c in read}
    assert result.reason.startswith("crawler was stopped because the assessment gave it up"), result


def test_a_crawl_that_captures_nothing_ends_the_reading(tmp_path: Path) -> None:
    crawl = BackgroundCrawl(_portal("http://127.0.0.1:9/", 10), PortalFiles(tmp_path / "out"))
    assert list(crawl.captures()) == []
    assert crawl.result().status == "failed"


def test_a_portal_parsed_alongside_its_crawl_gets_the_findings_of_its_finished_crawl(tmp_path: Path) -> None:
    """A portal big enough for the parse pool to start while the crawl runs; then its captures re-assessed
    after the crawl (--from-run). Same pages, same findings."""
    pages = MIN_PAGES_FOR_POOL + 150
    server = LocalServer(generate_site(tmp_path / "site", pages=pages, base_url="http://127.0.0.1/"))
    try:
        generate_site(tmp_path / "site", pages=pages, base_url=server.url)
        options = RunOptions(out_dir=tmp_path / "reports", data_dir=tmp_path / "data", probes=False,
                             formats=("csv",), progress=lambda line: None)  # fmt: skip
        first = run_assessment([_portal(server.url, pages)], options)
    finally:
        server.close()
    options.from_run, options.out_dir = first.run_id, tmp_path / "again"
    again = run_assessment([_portal(server.url, pages)], options)
    (crawled,), (reread,) = first.portals, again.portals
    assert crawled.status == reread.status == "assessed", (crawled, reread)
    assert crawled.pages == reread.pages >= pages - 5
    store = Store(None, tmp_path / "data")
    try:
        alongside = {f.finding.indicator: f.finding.to_dict() for f in store.findings(first.run_id)}
        after = {f.finding.indicator: f.finding.to_dict() for f in store.findings(again.run_id)}
    finally:
        store.close()
    assert len(alongside) > 90 and any(f["verdict"] == "met" for f in alongside.values())
    assert alongside == after
