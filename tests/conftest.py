"""Shared test fixtures: real HTTP servers on 127.0.0.1 and the browser check."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from losi.browser import chromium_available

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPORA = ROOT.parent / "shared" / "corpora"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class ServedSite:
    def __init__(self, directory: Path, handler: type[http.server.BaseHTTPRequestHandler] | None = None):
        handler_cls = handler or functools.partial(QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator:
    """serve(directory) -> ServedSite with .url ("http://127.0.0.1:PORT/"); stopped after the test."""
    sites: list[ServedSite] = []

    def start(directory: Path, handler: type[http.server.BaseHTTPRequestHandler] | None = None) -> ServedSite:
        site = ServedSite(Path(directory), handler)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.close()


requires_browser = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed (make setup)")
