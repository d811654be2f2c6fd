"""Helpers for the technology and accessibility tests: a Site built from served pages, a search server."""

from __future__ import annotations

import functools
import html
import http.server
import re
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from assessors.probes import run_probes
from assessors.site import Site
from crawler.parse import parse_page
from crawler.scope import Scope
from indicators.catalog import Indicator
from losi.layout import PortalFiles
from losi.localserve import LocalServer
from losi.models import PortalConfig

SITES = Path(__file__).resolve().parent / "sites"


def site_from(base_url: str, paths: list[str]) -> Site:
    """Fetch and parse the pages (home page first) as the crawl would, into a Site."""
    portal = PortalConfig(id="test", home_url=base_url + paths[0], allow_private=True)
    scope = Scope.for_portal(portal)
    pages = []
    for path in paths:
        url = base_url + path
        with urllib.request.urlopen(url, timeout=10) as resp:
            body, ctype, final = resp.read(), resp.headers.get("Content-Type", "text/html"), resp.url
        page = parse_page(body, url=url, final_url=final, status=200, content_type=ctype, scope=scope)
        assert page is not None
        pages.append(page)
    return Site(portal=portal, pages=pages)


class SearchHandler(http.server.SimpleHTTPRequestHandler):
    """Serves tests/sites/tech-search; /search?q= lists the pages whose text contains q.

    mode "advanced": the result page has refine controls; "basic": none; "dead": /search is a 404; "nothing":
    the result page says (in Uzbek) that nothing was found, with a link that repeats the query.
    """

    mode = "advanced"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/search":
            return super().do_GET()
        if self.mode == "dead":
            self.send_error(404)
            return
        q = (parse_qs(parts.query).get("q") or [""])[0].strip().lower()
        if self.mode == "nothing":  # a results page that echoes the query in a link and finds nothing
            self._send(f'<!DOCTYPE html><html lang="uz"><head><meta charset="utf-8"><title>Qidiruv</title></head><body>'
                       f'<main><h1>Qidiruv natijalari</h1><p>Hech narsa topilmadi.</p>'
                       f'<p><a href="/search?q={html.escape(q)}">{html.escape(q)} bo\'yicha qayta qidirish</a></p>'
                       f"</main></body></html>")
            return
        hits = []
        for f in sorted((SITES / "tech-search").glob("*.html")):
            text = f.read_text(encoding="utf-8")
            body = re.sub(r"<[^>]+>", " ", text.split("<main>", 1)[-1])
            if q and q in body.lower():
                title = re.search(r"<title>(.*?)</title>", text).group(1)
                hits.append(f'<li><a href="/{f.name}">{html.escape(title)}</a>: {html.escape(q)}</li>')
        refine = ""
        if self.mode == "advanced":
            refine = (
                '<select name="section"><option value="">all</option><option>parks</option><option>news</option>'
                '</select><input type="date" name="from"><input type="date" name="to">'
            )
        page = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Results</title></head><body>'
            f'<form action="/search" method="get"><input type="text" name="q" value="{html.escape(q)}">{refine}'
            f'<button type="submit">Go</button></form><ol>{"".join(hits)}</ol></body></html>'
        )
        self._send(page)

    def _send(self, text: str) -> None:
        page = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def search_handler(mode: str) -> type[http.server.BaseHTTPRequestHandler]:
    cls = type(f"SearchHandler_{mode}", (SearchHandler,), {"mode": mode})
    return functools.partial(cls, directory=str(SITES / "tech-search"))  # type: ignore[return-value]


SEARCH_PAGES = ["index.html", "parks.html", "parks-east.html", "library.html", "news.html", "sitemap.html"]


def indicator(code: str, rule: str, **params: object) -> Indicator:
    return Indicator(code=code, criterion="TECH", name=rule, question=rule, yes_when=rule, mode="automated",
                     rule=rule, params=dict(params))  # fmt: skip


def probed_site(directory: str, paths: list[str], tmp: Path, handler: type | None = None, **kwargs: object) -> Site:
    """Serve tests/sites/<directory>, build its Site, run the live probes on it, stop the server."""
    server = LocalServer(SITES / directory, handler)
    try:
        site = site_from(server.url, paths)
        site.portal_dir = tmp
        site.probes = run_probes(site, PortalFiles(tmp), **kwargs)  # type: ignore[arg-type]
    finally:
        server.close()
    return site
