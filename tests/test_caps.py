"""Nothing hangs: every stage has a cap, every browser call a deadline, and a portal that reaches one is
finished with what was captured and the reason.

Real components only: `losi assess` / `losi run` as subprocesses, HTTP servers on 127.0.0.1 started here,
Scrapy, Chromium through Playwright. The faults are injected when the run's own progress lines say a
stage has started (the server disappears, stops answering, Chromium is killed), so the tests assert on
outcomes and reasons, never on how fast a busy machine is. Caps are small only where hitting them is the
point of the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest

from assessors.browser_pool import PagePool, chromium
from losi.deadline import CallTimeout, bounded
from losi.localserve import LocalServer
from losi.procs import descendants
from losi.store import Store
from tests.conftest import ROOT, requires_browser

LOSI_INDICATORS = 95
RUN_TIMEOUT = 900  # the subprocess guard of these tests: far above every cap they configure


# --------------------------------------------------------------------------- a site that can misbehave on cue


@dataclass
class Site:
    """A small portal (home, a nav of sections, a contact page) whose server can be told to misbehave."""

    sections: int = 9
    mode: str = "normal"  # normal | stall (accept, read nothing, never answer) | gone (closed)
    hits: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    on_request: Callable[[str], None] | None = None
    server: LocalServer | None = None
    home_extra: str = ""

    def page(self, title: str, body: str) -> bytes:
        nav = "".join(f"<li><a href='/section{i}/'>Section {i}</a></li>" for i in range(self.sections))
        return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body>"
                f"<header><nav><ul>{nav}<li><a href='/contact'>Contact us</a></li></ul></nav></header>"
                f"<main><h1>{title}</h1>{body}</main><footer><a href='/privacy'>Privacy policy</a></footer>"
                "</body></html>").encode()  # fmt: skip

    def handler(self) -> type:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.hits.append(self.path)
                if site.on_request is not None:
                    site.on_request(self.path)
                if site.mode == "stall" or self.path.startswith("/never"):
                    site.released.wait(600)  # holds the connection and answers nothing
                    return
                if site.mode == "gone":
                    self.connection.close()
                    return
                path = self.path.split("?")[0]
                if path == "/":
                    body = site.page("City portal", f"<p>{'Welcome to the city. ' * 20}</p>{site.home_extra}")
                elif path.startswith("/section") or path in ("/contact", "/privacy"):
                    body = site.page(f"Page {path}", f"<p>Phone: +1 555 0100. {'Text of the page. ' * 30}</p>")
                else:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        return Handler

    def start(self, tmp: Path) -> str:
        self.server = LocalServer(tmp, self.handler())
        return self.server.url

    def disappear(self) -> None:
        """Stop listening (connections refused from now on), from any thread, without waiting."""
        self.mode = "gone"
        server = self.server
        if server is not None:
            threading.Thread(target=server.close, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        if self.server is not None and self.mode != "gone":
            self.server.close()


@pytest.fixture
def site(tmp_path: Path):
    made: list[Site] = []

    def make(**kwargs: object) -> Site:
        s = Site(**kwargs)  # type: ignore[arg-type]
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


# --------------------------------------------------------------------------- running losi and watching it


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path
    data: Path

    def rows(self) -> list[dict[str, str]]:
        path = self.out / "findings.csv"
        if not path.is_file():
            return []
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    def portal_files(self) -> list[Path]:
        return sorted(p for p in self.data.glob("runs/*/*") if p.is_dir() and p.name != "browser-slots")

    def probes(self) -> dict:
        found = sorted(self.data.glob("runs/*/*/probes.json"))
        return json.loads(found[0].read_text(encoding="utf-8")) if found else {}

    def crawl(self) -> dict:
        found = sorted(self.data.glob("runs/*/*/crawl.json"))
        return json.loads(found[0].read_text(encoding="utf-8")) if found else {}

    def stored_portals(self) -> list[dict]:
        store = Store(data_dir=self.data)
        try:
            run_id = store.latest_run_id()
            return [{**p, "findings": store.findings(run_id, p["portal_id"])} for p in store.portals(run_id)]
        finally:
            store.close()


def run_losi(args: list[str], tmp: Path, triggers: dict[str, Callable[[subprocess.Popen[str]], None]] | None = None,
             env: dict[str, str] | None = None) -> Run:  # fmt: skip
    """Run `losi ARGS` and call triggers[pattern](process) once, when a stderr line first matches pattern."""
    out, data = tmp / "out", tmp / "data"
    command = [sys.executable, "-m", "losi.cli", *args, "--data-dir", str(data), "--out", str(out)]
    environment = {**os.environ, "LOSI_ENGINES": "none", **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)  # fmt: skip
    pending = dict(triggers or {})
    err_lines: list[str] = []
    stdout_box: list[str] = []
    reader = threading.Thread(target=lambda: stdout_box.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    timer = threading.Timer(RUN_TIMEOUT, lambda: process.kill())
    timer.start()
    try:
        for line in process.stderr:  # type: ignore[union-attr]
            err_lines.append(line)
            for pattern in list(pending):
                if re.search(pattern, line):
                    pending.pop(pattern)(process)
        code = process.wait()
    finally:
        timer.cancel()
    reader.join(30)
    assert code != -signal.SIGKILL, "the run did not finish within the test's guard: it hung"
    return Run(code, "".join(stdout_box), "".join(err_lines), out, data)


def assert_finished(run: Run, portals: int = 1) -> None:
    output = run.stdout + run.stderr
    assert run.code == 0, output[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert len(run.rows()) == LOSI_INDICATORS * portals, output[-3000:]


def kill_chromium(process: subprocess.Popen[str]) -> None:
    """SIGKILL the Chromium browser processes below the losi process (a browser crash)."""
    for pid in descendants(process.pid):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"chrom" in cmdline[0] and not any(arg.startswith(b"--type=") for arg in cmdline):
                os.kill(pid, signal.SIGKILL)


def browser_explanations(run: Run) -> str:
    return "\n".join(r["explanation"] for r in run.rows() if r["indicator"] in ("201", "204", "205", "206", "210"))


# --------------------------------------------------------------------------- deadlines on browser calls


def test_bounded_does_not_wait_for_a_call_that_never_cleans_up() -> None:
    """asyncio.wait_for waits for the cancelled call's clean-up; a `finally: await` on a wedged browser never
    ends. bounded() gives up after its grace and reports the deadline."""

    async def wedged() -> None:
        never = asyncio.Event()
        try:
            await never.wait()
        finally:
            await asyncio.Event().wait()  # a clean-up that never finishes (it ends when the loop closes)

    async def main() -> str:
        try:
            await bounded(wedged(), 0.2, "a wedged call")
        except CallTimeout as exc:
            return str(exc)
        return "no timeout"

    message = asyncio.run(asyncio.wait_for(main(), 60))
    assert message == "a wedged call: no answer within 0 s"


@requires_browser
def test_page_pool_replaces_a_page_that_missed_its_deadline(site, tmp_path: Path) -> None:
    portal = site()
    url = portal.start(tmp_path)

    async def main() -> list[object]:
        async with chromium() as browser:
            context = await browser.new_context()

            async def load(page: object, target: str) -> str:
                await page.goto(target, wait_until="load", timeout=600_000)  # type: ignore[attr-defined]
                return await page.title()  # type: ignore[attr-defined]

            pool = PagePool(context, workers=1, item_seconds=30)  # the first item never answers
            return await pool.map([url + "never", url + "contact"], load)

    first, second = asyncio.run(main())
    assert isinstance(first, CallTimeout) and "no answer within 30 s" in str(first), first
    assert second == "Page /contact"  # the next item ran on a fresh page


# --------------------------------------------------------------------------- the server goes away


@pytest.mark.slow
def test_server_disappears_during_the_crawl(site, tmp_path: Path) -> None:
    portal = site(sections=40)
    portal.on_request = lambda path: portal.disappear() if len(portal.hits) == 6 else None
    url = portal.start(tmp_path)
    run = run_losi(["assess", url, "--no-probes", "--format", "csv"], tmp_path)
    assert_finished(run)
    crawl = run.crawl()
    assert crawl["status"] in ("ok", "partial") and 1 <= crawl["pages"] < 40, crawl
    assert crawl["stats"].get("losi/errors", 0) > 0, crawl  # the refused connections are counted
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed" and len(stored["findings"]) == LOSI_INDICATORS


@pytest.mark.slow
@requires_browser
def test_server_disappears_when_the_probes_start(site, tmp_path: Path) -> None:
    portal = site()
    url = portal.start(tmp_path)
    run = run_losi(["assess", url, "--format", "csv"], tmp_path,
                   {"live browser checks": lambda _p: portal.disappear()})  # fmt: skip
    assert_finished(run)
    probes = run.probes()
    assert "ERR_CONNECTION_REFUSED" in probes["https"]["error"] and "error" in probes["mobile"], probes
    assert "error" in probes["axe"] or probes["axe"]["pages_checked"] == 0, probes["axe"]
    assert "probe failed" in browser_explanations(run) or "did not load" in browser_explanations(run)
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed"


@pytest.mark.slow
@requires_browser
def test_server_disappears_during_axe(site, tmp_path: Path) -> None:
    portal = site()
    probing = threading.Event()
    # axe is the only probe that opens the section pages: the first such request after the crawl ends the server
    portal.on_request = lambda path: portal.disappear() if probing.is_set() and path.startswith("/section") else None
    url = portal.start(tmp_path)
    run = run_losi(["assess", url, "--format", "csv"], tmp_path, {"live browser checks": lambda _p: probing.set()})
    assert_finished(run)
    axe = run.probes()["axe"]
    failed = [p for p in axe["pages"] if "error" in p]
    assert failed, axe
    assert len(failed) + axe["pages_checked"] == len(axe["pages"])
    assert "error" not in run.probes()["https"]  # the probes before axe kept their results


# --------------------------------------------------------------------------- pages and servers that never answer


@pytest.mark.slow
@requires_browser
def test_a_home_page_that_never_finishes_loading_hits_the_probe_cap(site, tmp_path: Path) -> None:
    portal = site(home_extra="<iframe src='/never' title='never'></iframe>")  # its load event never fires
    url = portal.start(tmp_path)
    run = run_losi(["assess", url, "--format", "csv", "--probe-seconds", "45"], tmp_path)
    assert_finished(run)
    probes = run.probes()
    assert probes.get("capped") == "probe time cap of 45 s reached", probes.get("capped")
    assert "error" in probes["https"]
    assert any("probe time cap of 45 s" in json.dumps(probes[name]) for name in ("mobile", "search", "axe", "vnu"))
    assert "probe time cap of 45 s reached" in run.stdout  # the portal's status names the cap
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed" and "probe time cap of 45 s reached" in stored["reason"]
    assert "probe time cap" in browser_explanations(run)


@pytest.mark.slow
@requires_browser
def test_a_server_that_stops_answering_during_the_probes(site, tmp_path: Path) -> None:
    portal = site()
    url = portal.start(tmp_path)

    def stall(_process: object) -> None:
        portal.mode = "stall"  # connections are accepted and never answered

    run = run_losi(["assess", url, "--format", "csv", "--probe-seconds", "40"], tmp_path,
                   {"live browser checks": stall})  # fmt: skip
    assert_finished(run)
    probes = run.probes()
    assert probes.get("capped") == "probe time cap of 40 s reached", probes
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed" and "probe time cap of 40 s reached" in stored["reason"]


@pytest.mark.slow
def test_a_server_that_never_answers_is_not_assessed_with_the_reason(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.5)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                accepted.append(listener.accept()[0])  # never read, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        run = run_losi(["assess", url, "--format", "csv", "--max-seconds", "30"], tmp_path)
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()
    assert_finished(run)
    assert {r["verdict"] for r in run.rows()} == {"not_assessed"}
    explanation = run.rows()[0]["explanation"]
    assert "timed out" in explanation or "time cap of 30 s" in explanation, explanation


# --------------------------------------------------------------------------- the browser crashes


@pytest.mark.slow
@requires_browser
def test_chromium_killed_during_the_probes_is_started_again_for_the_probes_not_done(site, tmp_path: Path) -> None:
    portal = site()
    probing, killed = threading.Event(), threading.Event()
    # once the probes run, a section page (only axe opens them) is answered only after Chromium was killed
    portal.on_request = lambda path: killed.wait(300) if probing.is_set() and path.startswith("/section") else None
    url = portal.start(tmp_path)

    def crash(process: subprocess.Popen[str]) -> None:
        kill_chromium(process)
        killed.set()

    run = run_losi(["assess", url, "--format", "csv"], tmp_path,
                   {"live browser checks": lambda _p: probing.set(), r"probe axe": crash})  # fmt: skip
    assert_finished(run)
    probes = run.probes()
    assert probes["browser"]["crashes"] == ["axe"], probes["browser"]
    assert "Chromium crashed during probe axe; starting it again" in run.stderr, run.stderr[-3000:]
    assert "error" not in probes["https"]
    axe = probes["axe"]  # checked again, whole, by the second browser
    assert "error" not in axe and axe["pages_checked"] == len(axe["pages"]) > 1, axe
    assert "error" not in probes["mobile"] and "error" not in probes["vnu"], probes
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed" and len(stored["findings"]) == LOSI_INDICATORS


# --------------------------------------------------------------------------- many portals, one hostile


@pytest.mark.slow
@requires_browser
def test_parallel_run_with_a_hostile_portal(site, tmp_path: Path) -> None:
    portals = [site(), site(sections=4)]
    urls = [p.start(tmp_path / f"s{i}") for i, p in enumerate(portals)]
    hostile = site()
    hostile_url = hostile.start(tmp_path / "h")
    hostile.mode = "stall"  # accepts connections, never answers
    config = tmp_path / "portals.yaml"
    config.write_text(
        "defaults: {allow_private: true, limits: {max_pages: 20, max_seconds: 120}}\nportals:\n"
        f"  - {{id: first, home_url: '{urls[0]}'}}\n"
        f"  - {{id: hostile, home_url: '{hostile_url}', limits: {{max_seconds: 30}}}}\n"
        f"  - {{id: second, home_url: '{urls[1]}'}}\n",
        encoding="utf-8",
    )
    run = run_losi(["run", str(config), "--parallel", "2", "--no-probes", "--format", "csv"], tmp_path)
    assert_finished(run, portals=3)
    assert "3 portals, 2 at a time" in run.stderr
    stored = {p["portal_id"]: p for p in run.stored_portals()}
    assert set(stored) == {"first", "hostile", "second"}
    for portal_id, portal in stored.items():
        assert len(portal["findings"]) == LOSI_INDICATORS, portal_id  # each portal's complete set, once
    assert stored["hostile"]["status"] == "not_assessed"
    assert "timed out" in stored["hostile"]["reason"] or "time cap" in stored["hostile"]["reason"]
    for portal_id in ("first", "second"):
        assert stored[portal_id]["status"] == "assessed" and stored[portal_id]["pages"] >= 3, stored[portal_id]
    store = Store(data_dir=run.data)
    try:
        assert store.list_runs()[-1]["status"] == "finished"
    finally:
        store.close()


def test_live_display_draws_one_line_per_running_portal() -> None:
    from rich.console import Console

    from losi.progress import LiveDisplay

    display = LiveDisplay(total=3)
    display.event("tashkent", {"stage": "crawl", "cap": 600, "pages": 0})
    display.event("tashkent", {"pages": 120})
    display.event("tbilisi", {"stage": "probes", "cap": 300})
    display.event("yerevan", {"stage": "crawl", "cap": 600})
    display.event("yerevan", {"stage": "done"})
    console = Console(file=StringIO(), width=120)
    console.print(display.__rich__())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = [line for line in text.splitlines() if line.strip()]
    assert any(line.split()[:3] == ["tashkent", "crawl", "120"] for line in lines), text
    assert any(line.split()[:2] == ["tbilisi", "probes"] and line.rstrip().endswith("s") for line in lines), text
    assert not any(line.startswith("yerevan") for line in lines), text  # finished: scrolled away
    assert "1/3 done" in text and "2 running" in text


@pytest.mark.slow
def test_assessment_stops_at_its_cap_and_keeps_the_crawl(tmp_path: Path) -> None:
    from bench.sitegen import generate_site

    site_dir = tmp_path / "site"
    site_dir.mkdir()
    server = LocalServer(site_dir)
    try:
        generate_site(site_dir, pages=1000, base_url=server.url)  # parsing 1,000 pages takes seconds anywhere
        config = tmp_path / "portals.yaml"
        config.write_text(
            f"portals:\n  - {{id: big, home_url: '{server.url}', allow_private: true,\n"
            "     limits: {max_pages: 1000, max_depth: 100, assess_seconds: 1},\n"
            "     politeness: {delay: 0, concurrency_per_host: 16}}\n",
            encoding="utf-8",
        )
        run = run_losi(["run", str(config), "--no-probes", "--format", "csv"], tmp_path)
    finally:
        server.close()
    assert_finished(run)
    assert run.crawl()["pages"] == 1000  # the crawl kept everything it fetched
    (stored,) = run.stored_portals()
    assert stored["status"] == "assessed" and "assessment time cap of 1 s reached" in stored["reason"], stored
    capped = [r for r in run.rows() if "assessment time cap of 1 s reached" in r["explanation"]]
    assert len(capped) == LOSI_INDICATORS, run.rows()[:3]  # undecided, each saying why
    assert {r["verdict"] for r in capped} <= {"not_assessed", "not_met", "needs_review"}
