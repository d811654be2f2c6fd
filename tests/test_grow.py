"""The filler that benchmarks grow portals with (bench/grow.py): it must leave the portal as it was besides."""

from __future__ import annotations

import re
from pathlib import Path

from bench.grow import add_filler, neutral_words, small_portal


def _sitemap(site: Path) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))


def test_the_sitemap_lists_the_filler_then_the_portal_never_its_unlinked_files(tmp_path: Path) -> None:
    site = small_portal(tmp_path / "site")
    (site / "template-leftover.html").write_text("<html><body><main>Lorem</main></body></html>", "utf-8")
    filler = add_filler(site, news=40)
    locs = _sitemap(site)
    assert locs == [f"/{path}" for path in filler] + ["/index.html"]  # the home page: the site had no sitemap


def test_a_home_page_in_a_folder_is_listed_once_under_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    small_portal(site / "city")
    filler = add_filler(site, news=20, home="city/index.html")
    assert _sitemap(site / "city")[len(filler) :] == ["/city/index.html"]


def test_a_site_s_own_sitemap_entries_follow_the_filler(tmp_path: Path) -> None:
    site = small_portal(tmp_path / "site")
    own = ["index.html", "services/index.html", "https://example.org/elsewhere.html", "/contact.html"]
    (site / "sitemap.xml").write_text("<urlset>" + "".join(f"<url><loc>{u}</loc></url>" for u in own) + "</urlset>")
    filler = add_filler(site, news=20)
    assert _sitemap(site)[len(filler) :] == [
        "/index.html", "/services/index.html", "https://example.org/elsewhere.html", "/contact.html",
    ]  # fmt: skip


def test_templated_filler_carries_the_home_page_s_menus_and_footer(tmp_path: Path) -> None:
    site = small_portal(tmp_path / "site")
    home = (site / "index.html").read_text(encoding="utf-8")
    filler = add_filler(site, news=20, template=True)
    item = (site / filler[0]).read_text(encoding="utf-8")
    assert '<base href="/">' in item  # its relative links lead where the home page's do
    for part in ('<a href="/services/">Services</a>', '<a href="/privacy.html">Privacy policy</a>'):
        assert part in home and part in item
    assert "Welcome to the official portal" not in item  # what the home page's <main> held is not repeated
    assert re.search(r"<title>News \d+: [^<]+</title>", item)


def test_neutral_words_are_what_a_page_shows_not_its_styles_or_scripts(tmp_path: Path) -> None:
    page = ("<html><head><style>.flaticon-webfont { color: red }</style><script>var blockquote = 1;</script></head>"
            "<body><!-- fieldset --><p>Riverside gardens blossom</p></body></html>")  # fmt: skip
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    words = neutral_words(tmp_path)
    assert {"riverside", "gardens", "blossom"} <= set(words)
    assert not {"flaticon", "webfont", "blockquote", "fieldset", "color"} & set(words)
