"""Generate a static test site of N interlinked pages, with a sitemap.xml, for crawl benchmarks: ~4 KB pages of
generated words, or real saved pages (a corpus folder of .html files, cycled) with the same links added."""

from __future__ import annotations

import random
import re
from pathlib import Path

WORDS = (
    "city", "service", "permit", "budget", "council", "district", "transport", "water", "school", "health",
    "library", "park", "tax", "registry", "housing", "parking", "license", "report", "meeting", "election",
    "notice", "tender", "vacancy", "contact", "mayor",
)
LINKS_PER_PAGE = 6
PARAGRAPHS = 5


def page_name(i: int) -> str:
    return "index.html" if i == 0 else f"pages/p{i:05d}.html"


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(100)).capitalize() + "."


_BODY_TAG = re.compile(rb"<body\b[^>]*>", re.I)
_HEAD_TAG = re.compile(rb"<head\b[^>]*>", re.I)
_TITLE_END = re.compile(rb"</title>", re.I)


def _nav(i: int, pages: int, rng: random.Random, base_url: str = "") -> str:
    # Page i links to the next page (so every page is reachable) and to random others.
    targets = {(i + 1) % pages} | {rng.randrange(pages) for _ in range(LINKS_PER_PAGE - 1)}
    prefix = base_url if base_url else ("" if i == 0 else "../")
    links = "\n".join(f'    <li><a href="{prefix}{page_name(t)}">Page {t}</a></li>' for t in sorted(targets))
    return f"  <nav><ul>\n{links}\n  </ul></nav>\n"


def _page(i: int, pages: int, rng: random.Random) -> str:
    nav = _nav(i, pages, rng)
    body = "\n".join(f"  <p>{_paragraph(rng)}</p>" for _ in range(PARAGRAPHS))
    return (
        f'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Page {i}</title></head>\n'
        f"<body>\n  <h1>Page {i}</h1>\n{nav}{body}\n</body>\n</html>\n"
    )


def _real_page(i: int, pages: int, rng: random.Random, source: bytes, base_url: str) -> bytes:
    """A saved page with the site's links (absolute) put first in its body, its title and a line naming the copy
    (the parse step keeps one page of each text: a portal of copies would shrink to the corpus). Its own relative
    links point at its original site through a <base>, so the crawl reads the pages, not thousands of 404s."""
    nav = (_nav(i, pages, rng, base_url) + f"  <p>Copy {i} of this page.</p>\n").encode()
    source = _TITLE_END.sub(f" (copy {i})</title>".encode(), source, count=1)
    base = b'<base href="https://saved-page.invalid/">'
    head = _HEAD_TAG.search(source)
    source = source[: head.end()] + base + source[head.end() :] if head else base + source
    body = _BODY_TAG.search(source)
    return source[: body.end()] + nav + source[body.end() :] if body else nav + source


def generate_site(
    dest: Path, pages: int = 2000, seed: int = 1, base_url: str = "", corpus: Path | None = None
) -> Path:
    """Write the site into dest and return dest. base_url (e.g. "http://127.0.0.1:8000/") fills sitemap.xml;
    without it the sitemap lists paths relative to the site root. With a corpus folder, page i > 0 is its
    saved page (i - 1) modulo their number, bytes as saved, with the links added."""
    rng = random.Random(seed)
    dest = Path(dest)
    (dest / "pages").mkdir(parents=True, exist_ok=True)
    sources = sorted(Path(corpus).glob("*.htm*")) if corpus else []
    if corpus and not sources:
        raise ValueError(f"no .html files in {corpus}")
    if corpus and not base_url:
        raise ValueError("a site built from saved pages needs its base_url (the links must be absolute)")
    for i in range(pages):
        if sources and i > 0:
            source = sources[(i - 1) % len(sources)].read_bytes()
            (dest / page_name(i)).write_bytes(_real_page(i, pages, rng, source, base_url))
        else:
            (dest / page_name(i)).write_text(_page(i, pages, rng), encoding="utf-8")
    locs = "\n".join(f"  <url><loc>{base_url}{page_name(i)}</loc></url>" for i in range(pages))
    (dest / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{locs}\n</urlset>\n',
        encoding="utf-8",
    )
    return dest
