"""Which pages the live-browser checks (axe) visit: the home page once, then one page per site section."""

from __future__ import annotations

from pathlib import Path

from assessors.probes import key_pages
from crawler.runner import crawl_portal
from losi.layout import PortalFiles
from losi.pipeline import load_site
from tests.test_crawl import portal_for

NAV = '<nav><a href="/index.html">Home</a> <a href="/news/">News</a> <a href="/services/">Services</a></nav>'


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html lang=en><title>{title}</title><body>{NAV}<main><h1>{title}</h1><p>{body}</p>" \
           "</main></body></html>"


def _site(root: Path) -> None:
    home = _page("City of Example", "Welcome to the city portal.")
    (root / "index.html").write_text(home, encoding="utf-8")  # served at "/" and at "/index.html"
    for section, extra in (("news", ("2026", "2025")), ("services", ("permits", "taxes"))):
        (root / section).mkdir()
        (root / section / "index.html").write_text(_page(section.title(), f"All {section}."), encoding="utf-8")
        for name in extra:
            (root / section / f"{name}.html").write_text(_page(name, f"{section} {name} text."), encoding="utf-8")
        links = "".join(f'<a href="{n}.html">{n}</a>' for n in extra)
        page = _page(section.title(), f"All {section}.").replace("</main>", f"{links}</main>")
        (root / section / "index.html").write_text(page, encoding="utf-8")


def test_home_page_under_two_urls_is_checked_once(serve, tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    _site(root)
    server = serve(root)
    files = PortalFiles(tmp_path / "run")
    files.root.mkdir()
    result = crawl_portal(portal_for(server.url), files)
    assert result.pages >= 5, result

    site = load_site(portal_for(server.url), files)
    assert site.page(server.url + "index.html") is site.home  # the duplicate is known under both URLs

    pages = key_pages(site, 8)
    assert pages[0] == site.home_url
    assert server.url + "index.html" not in pages
    assert len(pages) == len(set(pages))
    sections = {p.removeprefix(server.url).split("/")[0] for p in pages[1:]}
    assert sections == {"news", "services"}, pages
