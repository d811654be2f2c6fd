"""Grow a portal with the filler real CMS portals carry: thousands of news items, photo galleries, paginated
archives, all listed first in sitemap.xml, and the ten latest news items linked from the home page.

    add_filler(site_dir, news=5000)           # in place, on a copy of a portal's folder
    small_portal(site_dir)                    # a small English city portal to grow (tests, benchmarks)

The filler is neutral (no concept of the catalog on purpose), so whatever a portal's verdicts were without
it, they should stay the same with it at the default page budget.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

WORDS = ("spring", "festival", "river", "bridge", "students", "visit", "delegation", "concert", "museum",
         "weather", "anniversary", "football", "exhibition", "square", "theatre", "week", "award", "choir")  # fmt: skip
NEWS_PER_LISTING = 20
GALLERY_SHARE = 10  # one gallery per this many news items

# what a page holds that nobody reads: its scripts, styles and comments (a template's CSS words are not its language)
_UNSEEN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_LOC = re.compile(r"<loc>\s*([^<]+?)\s*</loc>")


def _words(rng: random.Random, n: int, words: tuple[str, ...] = WORDS) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def neutral_words(site: Path, limit: int = 400) -> tuple[str, ...]:
    """Words of the site's own pages (so the filler is in the portal's language) that name no concept."""
    from indicators.lexicon import Lexicon

    lexicon = Lexicon.load(None)
    seen: dict[str, None] = {}
    for page in sorted(Path(site).rglob("*.html")):
        html = _UNSEEN.sub(" ", page.read_text(encoding="utf-8", errors="replace"))
        text = re.sub(r"<[^>]+>", " ", html)
        for word in re.findall(r"[^\W\d_]{5,}", text):
            seen.setdefault(word.lower(), None)
    neutral = [w for w in seen if not lexicon.find_any(lexicon.concepts, w)
               and not any(lexicon.url_match(c, f"http://x.test/{w}") for c in lexicon.concepts)]  # fmt: skip
    return tuple(neutral[:limit]) or WORDS


def _page(title: str, body: str, lang: str) -> str:
    return (f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body><main><h1>{title}</h1>\n{body}\n</main></body></html>\n")  # fmt: skip


PageMaker = Callable[[str, str, str], str]  # (title, body, lang) -> a page's HTML


def templated(home_html: str, prefix: str = "") -> PageMaker | None:
    """Pages made as a CMS makes them: the home page's header, menus and footer around the filler, in place of
    what its <main> holds (a <base> keeps its relative links leading where they do from the home page). None
    when the home page has no <main>."""
    main = re.search(r"(<main\b[^>]*>)(.*?)(</main\s*>)", home_html, re.IGNORECASE | re.DOTALL)
    if main is None:
        return None
    before, after = home_html[: main.start(2)], home_html[main.end(2) :]
    if not re.search(r"<base\b", before, re.IGNORECASE):
        before = re.sub(r"<head\b[^>]*>", lambda m: f'{m.group()}<base href="/{prefix}">', before, count=1,
                        flags=re.IGNORECASE)  # fmt: skip
    title = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.IGNORECASE | re.DOTALL)

    def page(heading: str, body: str, lang: str) -> str:
        top = title.sub(lambda _: f"<title>{heading}</title>", before, count=1)
        return f"{top}<h1>{heading}</h1>\n{body}\n{after}"

    return page


def add_filler(site: Path, news: int = 5000, lang: str = "en", home: str = "index.html", seed: int = 7,
               words: tuple[str, ...] = WORDS, template: bool = False, items: str = "") -> list[str]:  # fmt: skip
    """Write news items, galleries and listings into `site`, a sitemap listing them first, and link the ten
    latest from the home page. Returns the filler paths (relative to the site). The text is made of `words`
    (neutral_words(site) gives the portal's own words that name no concept). template: each filler page carries
    the home page's header, menus and footer (templated), where the home page has a <main> to put it in.
    items: the folder of the news items, as a CMS names it (post: /post/00001-slug.html, a path that names no
    news); by default novosti/<year>/."""
    rng = random.Random(seed)

    def _words(rng: random.Random, n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    site = Path(site)
    prefix = home.rsplit("/", 1)[0] + "/" if "/" in home else ""
    sitemap = site / f"{prefix}sitemap.xml"
    # after the filler, what the site's own sitemap lists (or its home page, named from the sitemap's folder as
    # its entries are): never every file of the folder, which would make a template's unlinked leftovers part of
    # the portal
    own = (_LOC.findall(sitemap.read_text(encoding="utf-8", errors="replace")) if sitemap.is_file()
           else [home.rsplit("/", 1)[-1]])  # fmt: skip
    home_file = site / home
    make = (templated(home_file.read_text(encoding="utf-8", errors="replace"), prefix) if template else None) or _page
    filler: list[str] = []
    years = {i: 2026 - (news - i) // 2000 for i in range(news, 0, -1)}
    names = {i: f"{items or f'novosti/{year}'}/{i:05d}-{_words(rng, 3).replace(' ', '-')}.html"
             for i, year in years.items()}  # fmt: skip
    for i, path in names.items():
        year = years[i]
        around = "".join(f'<li><a href="/{names[j]}">More news</a></li>' for j in (i - 1, i + 1) if j in names)
        body = (f"<p><time datetime='{year}-05-{1 + i % 28:02d}'>{year}-05-{1 + i % 28:02d}</time></p>"
                f"<p>{_words(rng, 120)}.</p><ul>{around}</ul><a href='/novosti/page/1.html'>All news</a>")  # fmt: skip
        filler.append(path)
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(make(f"News {i}: {_words(rng, 4)}", body, lang), encoding="utf-8")
    for start in range(0, len(filler), NEWS_PER_LISTING):
        number = start // NEWS_PER_LISTING + 1
        items = "".join(f'<li><a href="/{p}">News item</a></li>' for p in filler[start : start + NEWS_PER_LISTING])
        body = f'<ul>{items}</ul><a href="/novosti/page/{number + 1}.html">Next page</a>'
        path = f"novosti/page/{number}.html"
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(make(f"News, page {number}", body, lang), encoding="utf-8")
        filler.append(path)
    for g in range(news // GALLERY_SHARE):
        path = f"gallery/{g:04d}.html"
        body = f"<p>{_words(rng, 30)}</p>" + "".join(f'<img src="/img/{g}-{k}.jpg" alt="photo">' for k in range(6))
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(make(f"Photo gallery {g}", body, lang), encoding="utf-8")
        filler.append(path)
    latest = "".join(f'<li><a href="/{p}">{_words(rng, 5).capitalize()}</a></li>' for p in filler[:10])
    html = home_file.read_text(encoding="utf-8")
    block = f'<section class="latest"><ul>{latest}</ul></section>'
    html = re.sub(r"</main>", block + "</main>", html, count=1) if "</main>" in html else html.replace(
        "</body>", block + "</body>", 1)  # fmt: skip
    home_file.write_text(html, encoding="utf-8")
    locs = [f"/{path}" for path in filler] + [
        loc if loc.startswith("/") or "://" in loc else f"/{prefix}{loc}" for loc in own
    ]
    sitemap.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"  <url><loc>{loc}</loc></url>\n" for loc in locs) + "</urlset>\n",
        encoding="utf-8",
    )  # fmt: skip
    return filler


SERVICES = ("Building permit", "Birth certificate", "Marriage registration", "Business licence", "Parking permit",
            "Property tax", "Water bill payment", "Waste collection", "Kindergarten enrolment", "Tree felling permit",
            "Street trading permit", "Residence registration")  # fmt: skip
SECTIONS = {"contact": "Contact us", "council": "City council meetings", "budget": "City budget",
            "open-data": "Open data", "vacancies": "Job vacancies", "petitions": "Petitions",
            "privacy": "Privacy policy", "about": "About the city"}  # fmt: skip


def small_portal(site: Path) -> Path:
    """A small English city portal: home (menu, footer), a service catalogue and its services, sections."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    nav = "".join(f'<li><a href="/{slug}.html">{title}</a></li>' for slug, title in SECTIONS.items())
    header = f'<header><nav><ul><li><a href="/services/">Services</a></li>{nav}</ul></nav></header>'
    footer = '<footer><a href="/privacy.html">Privacy policy</a> <a href="/contact.html">Contact</a></footer>'

    def page(title: str, body: str) -> str:
        return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>'
                f"{header}<main><h1>{title}</h1>{body}</main>{footer}</body></html>\n")  # fmt: skip

    slugs = [s.lower().replace(" ", "-") for s in SERVICES]
    (site / "index.html").write_text(page("City of Riverton", "<p>Welcome to the official portal.</p>"), "utf-8")
    (site / "services").mkdir(exist_ok=True)
    pairs = list(zip(slugs, SERVICES, strict=True))
    items = "".join(f'<li><a href="/services/{slug}.html">{name}</a></li>' for slug, name in pairs)
    (site / "services" / "index.html").write_text(page("Public services", f"<ul>{items}</ul>"), "utf-8")
    for slug, name in pairs:
        body = ("<p>Required documents: passport, application form. Processing time: 10 days. Fee: 20 EUR.</p>"
                '<a href="/contact.html">Ask a question</a>')  # fmt: skip
        (site / "services" / f"{slug}.html").write_text(page(name, body), "utf-8")
    for slug, title in SECTIONS.items():
        (site / f"{slug}.html").write_text(page(title, f"<p>{title} of the city. Phone: +1 555 0100.</p>"), "utf-8")
    return site
