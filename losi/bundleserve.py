"""Serve a static country bundle on 127.0.0.1: every site folder on its own port, for the demo, the accuracy
benchmark and the tests.

A bundle folder holds `country.yaml` and one folder per site (`national/`, `services/`, `health/` ...). In
their text files, `@@<site>@@` becomes that site's address (`@@services@@/apply.html` links across sites) and
`@@date:N@@` the date N days from today (`@@date:-3@@`, `@@date:+20:%d.%m.%Y@@`), so dated pages stay as old
as they were written to be, whenever they are read.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from losi.localserve import LocalServer, QuietHandler

PLACEHOLDER = re.compile(r"@@(date:[+-]?\d+(?::[^@]+)?|[a-z][a-z0-9_-]*)@@")
TEXT_TYPES = (".html", ".htm", ".css", ".js", ".json", ".xml", ".csv", ".yaml", ".txt", ".geojson")


def fill(text: str, bases: dict[str, str], today: date | None = None) -> str:
    """Replace the placeholders of a bundle's text (a site's base URL, a date relative to today)."""
    day = today or date.today()

    def one(m: re.Match[str]) -> str:
        token = m.group(1)
        if token.startswith("date:"):
            _, offset, *fmt = token.split(":", 2)
            when = day + timedelta(days=int(offset))
            return when.strftime(fmt[0]) if fmt else when.isoformat()
        return bases.get(token, m.group(0))

    return PLACEHOLDER.sub(one, text)


class BundleHandler(QuietHandler):
    """Serves a site folder, filling the placeholders of its text files."""

    def __init__(self, *args: Any, bases: dict[str, str], **kwargs: Any) -> None:
        self.bases = bases
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # the http.server name
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix.lower() not in TEXT_TYPES or not path.is_file():
            super().do_GET()
            return
        body = fill(path.read_text(encoding="utf-8"), self.bases).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)) + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_country(folder: Path, work_dir: Path | None = None) -> Iterator[Path]:
    """Serve every site of the bundle in `folder`; yields a filled-in copy of its country.yaml."""
    folder = Path(folder)
    bases: dict[str, str] = {}
    with ExitStack() as stack:
        for site in sorted(p for p in folder.iterdir() if p.is_dir()):
            handler = functools.partial(BundleHandler, directory=str(site), bases=bases)
            server = LocalServer(site, handler)  # type: ignore[arg-type]
            stack.callback(server.close)
            bases[site.name] = server.base
        out_dir = Path(work_dir) if work_dir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        out_dir.mkdir(parents=True, exist_ok=True)
        bundle = out_dir / f"{folder.name}.yaml"
        bundle.write_text(fill((folder / "country.yaml").read_text(encoding="utf-8"), bases), encoding="utf-8")
        yield bundle
