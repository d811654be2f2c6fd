"""A static-file HTTP server on 127.0.0.1 at a free port: for the demo, the benchmarks and the tests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops connections when a crawl opens many at once
    daemon_threads = True


class LocalServer:
    """Serves `directory` (or runs `handler`) in a background thread until close()."""

    def __init__(self, directory: Path, handler: type[http.server.BaseHTTPRequestHandler] | None = None) -> None:
        handler_cls = handler or functools.partial(QuietHandler, directory=str(directory))
        self.httpd = _Server(("127.0.0.1", 0), handler_cls)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve a folder; yields the base URL without a trailing slash."""
    server = LocalServer(directory)
    try:
        yield server.base
    finally:
        server.close()
