"""A country's sites as the assessors see them: one Site made of every site of the bundle, each page knowing
the site it came from, and per sector a view of the pages that speak for that sector.

The survey asks many national items per sector (health, education, ...). A sector's view holds every page of
the sector's ministry site(s) and the pages of the other bundle sites (national, services, open data,
participation, procurement, other) that are about the sector: their title, a top heading of their own or
their URL names one of the sector's concepts (catalog `sectors:`). Pages of another sector's ministry never
enter it; links from the view's pages to crawled pages outside it, and the header, menu and footer links of
the other sites' pages (that portal's own template), are dropped: nothing is decided from another sector's
pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assessors.signals import CHROME_REGIONS
from assessors.site import ConceptIndex, Site
from crawler.scope import host_of, is_ip, netloc_of
from losi.hosts import in_domain
from losi.models import Link, PageDoc, PortalConfig, copy_page

if TYPE_CHECKING:
    from assessors.signals import SiteSignals
    from indicators.national import Sector

TOP_HEADING_LEVEL = 2  # h1/h2 of a page's own content say what the page is about
TITLE_SEPARATOR = re.compile(r"\s+[|—–:·»-]\s+")  # "Contacts | Ministry of Health", "Ministry - Contacts"
SITE_NAME_SHARE = 0.6  # a title segment on at least this share of a site's pages (and 3 or more) is its name


def site_key(url: str) -> str:
    """What identifies a site: its host (without www; with the port for addresses such as 127.0.0.1:8001)
    and the folder of its home page ("gov.uz/", "gov.uz/ssv/" for a ministry inside the national portal)."""
    host = host_of(url)
    base = netloc_of(url) if is_ip(host) or host == "localhost" else host.removeprefix("www.")
    path = urlsplit(url).path or "/"
    return base + path[: path.rfind("/") + 1]


@dataclass(frozen=True)
class BundlePart:
    """One site of the bundle and how its crawl went."""

    id: str  # "national", "services", "health" ...
    url: str
    roles: tuple[str, ...]  # national | services | open_data | participation | procurement | ministry | other
    sectors: tuple[str, ...] = ()  # the sectors it is the ministry of
    reached: bool = True
    reason: str = ""  # why it was not reached (or why its crawl stopped early)
    pages: int = 0
    complete: bool = False  # the crawl read every page it could reach

    @property
    def key(self) -> str:
        return site_key(self.url)

    def label(self) -> str:
        """"health (ministry of health: https://ssv.uz/)", "national (national: https://gov.uz/)"."""
        what = ", ".join("ministry of " + " and ".join(self.sectors) if r == "ministry" else r for r in self.roles)
        return f"{self.id} ({what}: {self.url})"

    def is_home(self, url: str) -> bool:
        return _home_path(url) == _home_path(self.url) and site_key(url).split("/")[0] == self.key.split("/")[0]

    @classmethod
    def from_config(cls, raw: dict) -> BundlePart:
        return cls(id=str(raw["id"]), url=str(raw["url"]), roles=tuple(raw.get("roles") or ("other",)),
                   sectors=tuple(raw.get("sectors") or ()))  # fmt: skip


def _home_path(url: str) -> str:
    path = urlsplit(url).path
    for index in ("index.html", "index.htm", "index.php"):
        path = path.removesuffix(index)
    return path.rstrip("/")


def on_site(key: str, url: str) -> bool:
    """Is the URL on the site of this key (its host or a host below it, and under its folder)? An address with
    a port, an IP address or localhost has no hosts below it."""
    base, _, folder = key.partition("/")
    host, _, path = site_key(url).partition("/")
    if ":" in base or is_ip(base) or base == "localhost":
        return host == base and path.startswith(folder)
    return in_domain(host, base) and path.startswith(folder)


@dataclass
class BundleSite(Site):
    """Every site of a bundle as one Site (the national portal's home page first)."""

    parts: list[BundlePart] = field(default_factory=list)

    def part_of(self, url: str) -> BundlePart | None:
        """The site a URL belongs to: the longest site key that covers it."""
        found = [p for p in self.parts if on_site(p.key, url)]
        return max(found, key=lambda p: len(p.key)) if found else None

    def parts_with(self, role: str = "", sector: str = "") -> list[BundlePart]:
        return [p for p in self.parts if (not role or role in p.roles) and (not sector or sector in p.sectors)]


def site_name_segment(titles: Sequence[str]) -> str:
    """The part of the titles that a site repeats on most pages (its name), "" when there is none."""
    if len(titles) < 3:
        return ""
    counts = Counter(seg for t in titles for seg in {p.strip() for p in TITLE_SEPARATOR.split(t)} if seg)
    floor = max(3, SITE_NAME_SHARE * len(titles))
    common = [seg for seg, n in counts.items() if n >= floor]
    return max(common, key=len) if common else ""


def without_site_name(pages: list[PageDoc]) -> list[PageDoc]:
    """The pages with the site's name taken out of their titles (for a ministry's site): a ministry whose name
    names three sectors ("... Labour, Health and Social Protection") would otherwise make every page of it about
    all three. (An open-data portal's name, by contrast, says truly what each of its pages is about.)"""
    name = site_name_segment([p.title for p in pages])
    if not name:
        return pages
    out = []
    for page in pages:
        rest = [seg for seg in TITLE_SEPARATOR.split(page.title) if seg.strip() and seg.strip() != name]
        out.append(copy_page(page, title=" — ".join(seg.strip() for seg in rest)) if rest else page)
    return out


def merge_sites(portal: PortalConfig, crawled: list[tuple[BundlePart, Site | None]]) -> BundleSite:
    """One BundleSite from each site's own Site (None for a site that could not be reached)."""
    ordered = sorted(crawled, key=lambda pc: "national" not in pc[0].roles)  # stable: bundle order otherwise
    pages: dict[str, PageDoc] = {}
    outside: dict[str, PageDoc] = {}
    external: dict[str, object] = {}
    aliases: dict[str, str] = {}
    broken: dict[str, int] = {}
    probes: dict = {}
    for part, site in ordered:
        if site is None:
            continue
        for page in without_site_name(site.pages) if "ministry" in part.roles else site.pages:
            pages.setdefault(page.url_key, page)
        for page in site.outside_pages:
            outside.setdefault(page.url_key, page)
        for link in site.external:
            external.setdefault(link.url, link)
        aliases.update({k: v for k, v in site.aliases.items() if k not in aliases})
        broken.update({k: v for k, v in site.broken.items() if k not in broken})
        if "national" in part.roles and site.probes:
            probes = site.probes
    parts = [part for part, _ in crawled]
    reached = [p for p in parts if p.reached]
    # The national home page first (the bundle's home), then every other site's home page (rules that read the
    # first pages, for a chat widget or a search box, see each site), then the rest in crawl order.
    homes = [site.pages[0].url_key for _, site in ordered if site is not None and site.pages]
    ordered_pages = [pages[k] for k in dict.fromkeys(homes) if k in pages]
    ordered_pages += [p for k, p in pages.items() if k not in set(homes)]
    return BundleSite(
        portal=portal,
        pages=ordered_pages,
        external=list(external.values()),  # type: ignore[arg-type]
        probes=probes,
        outside_pages=[p for k, p in outside.items() if k not in pages],
        aliases=aliases,
        broken={u: s for u, s in broken.items() if u not in pages},
        crawl_complete=bool(reached) and all(p.complete for p in reached),
        parts=parts,
        concept_index=ConceptIndex.merged(site.concept_index for _, site in ordered if site is not None),
        text_keys={k: v for _, site in reversed(ordered) if site is not None for k, v in site.text_keys.items()},
    )


def single_site_bundle(site: Site) -> BundleSite:
    """A Site assessed on its own (`losi assess --framework osi-2024`): a bundle of one national portal."""
    part = BundlePart("national", site.portal.home_url, ("national",), reached=bool(site.pages),
                      pages=len(site.pages), complete=site.crawl_complete)  # fmt: skip
    return BundleSite(
        portal=site.portal, pages=site.pages, external=site.external, probes=site.probes,
        portal_dir=site.portal_dir, outside_pages=site.outside_pages, aliases=site.aliases, broken=site.broken,
        crawl_complete=site.crawl_complete, parts=[part], concept_index=site.concept_index, text_keys=site.text_keys,
    )  # fmt: skip


def about_sector(sig: SiteSignals, page: PageDoc, concepts: tuple[str, ...]) -> bool:
    """Is the page about the sector: its title, a top heading of its own content or its URL names a concept?"""
    texts = [page.title, *(h.text for h in sig.own_headings(page) if h.level <= TOP_HEADING_LEVEL)]
    return any(sig.find(c, t) for c in concepts for t in texts if t) or any(
        sig.url_match(c, page.url_key) for c in concepts
    )


def sector_view(bundle: BundleSite, sig: SiteSignals, sector: Sector, sectors: Sequence[Sector] = ()) -> Site:
    """The pages that speak for one sector: its ministry's site(s), and the other sites' pages about it
    (their home pages left out: a portal's home page is about everything). A ministry of several sectors
    (labour, health and social protection) speaks for this one on its home page, its pages about this sector
    and its pages about none of its other sectors."""
    chosen: list[PageDoc] = []
    ministry_pages: list[PageDoc] = []
    by_code = {s.code: s for s in sectors}
    for page in bundle.pages:
        part = bundle.part_of(page.url_key)
        if part is None:
            continue
        if sector.code in part.sectors:
            others = [by_code[c] for c in part.sectors if c != sector.code and c in by_code]
            if not others or part.is_home(page.url_key) or about_sector(sig, page, sector.concepts) or not any(
                about_sector(sig, page, o.concepts) for o in others
            ):
                ministry_pages.append(page)
        elif "ministry" in part.roles:
            continue  # another sector's ministry
        elif not part.is_home(page.url_key) and about_sector(sig, page, sector.concepts):
            chosen.append(page)
    pages = [*ministry_pages, *chosen]
    inside = {p.url_key for p in pages}
    own = {p.url_key for p in ministry_pages}

    def keep(page: PageDoc, link: Link) -> bool:
        """A link to a crawled page outside the view, or in the template of another site's page (that site's
        own menu and footer), does not speak for the sector."""
        if page.url_key not in own and link.region in CHROME_REGIONS:
            return False
        target = sig.page_for(link.url)
        return target is None or target.url_key in inside

    view_pages = [copy_page(p, links=[lk for lk in p.links if keep(p, lk)]) for p in pages]
    linked = {lk.url for p in view_pages for lk in p.links}
    ministries = bundle.parts_with(sector=sector.code)
    relevant = [p for p in bundle.parts if p.reached and (sector.code in p.sectors or "ministry" not in p.roles)]
    home_url = ministries[0].url if ministries and ministry_pages else (pages[0].url_key if pages else bundle.home_url)
    return Site(
        portal=replace(bundle.portal, home_url=home_url, sites=[]),
        pages=view_pages,
        external=[lk for p in view_pages for lk in p.links if not lk.internal],
        probes={},
        portal_dir=bundle.portal_dir,
        outside_pages=[p for p in bundle.outside_pages if p.url_key in linked or p.url in linked],
        aliases={a: k for a, k in bundle.aliases.items() if k in inside},
        broken=bundle.broken,
        crawl_complete=bool(relevant) and all(p.complete for p in relevant),
        text_keys=bundle.text_keys,
    )


def role_view(bundle: BundleSite, role: str) -> Site:
    """The pages of the bundle's sites with a role (the national portal alone, for the items about its own
    structure: its site map, its search, its markup), with the bundle's probes of it."""
    parts = bundle.parts_with(role=role)
    keys = {p.key for p in parts}
    pages = [p for p in bundle.pages if (part := bundle.part_of(p.url_key)) is not None and part.key in keys]
    home_url = parts[0].url if parts else bundle.home_url
    return Site(
        portal=replace(bundle.portal, home_url=home_url, sites=[]),
        pages=pages,
        external=[lk for p in pages for lk in p.links if not lk.internal],
        probes=bundle.probes,
        portal_dir=bundle.portal_dir,
        outside_pages=bundle.outside_pages,
        aliases=bundle.aliases,
        broken=bundle.broken,
        crawl_complete=bool(parts) and all(p.complete for p in parts if p.reached),
        text_keys=bundle.text_keys,
    )
