"""Shared test fixtures: real HTTP servers on 127.0.0.1 and the browser check."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest

from losi.browser import chromium_available
from losi.devservers import ServerUnavailable, postgres_server
from losi.localserve import LocalServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture
def serve() -> Iterator:
    """serve(directory) -> LocalServer with .url ("http://127.0.0.1:PORT/"); stopped after the test."""
    sites: list[LocalServer] = []

    def start(directory: Path, handler: type[http.server.BaseHTTPRequestHandler] | None = None) -> LocalServer:
        site = LocalServer(Path(directory), handler)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.close()


requires_browser = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed (make setup)")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL server on 127.0.0.1 for the tests of one module (skipped where it is not installed)."""
    pytest.importorskip("psycopg")
    try:
        with postgres_server() as url:
            yield url
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
