"""Rules against real parsed pages (tests/sites/assess-*), in Uzbek with a Russian version."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from assessors.engine import assess_site
from assessors.registry import load_all_rules
from assessors.signals import SEARCHES_KEPT, Candidate, SiteSignals
from assessors.site import Site
from crawler.parse import parse_page
from crawler.scope import Scope
from indicators.catalog import Catalog, Criterion, Indicator, Scoring
from losi.models import Finding, PageDoc, PortalConfig, Verdict

SITES = Path(__file__).parent / "sites"
HOME = "https://tashkent.example.uz/"


def build_site(name: str, languages: tuple[str, ...] = ("uz",)) -> Site:
    """Parse every page of a fixture site as if crawled from HOME (home page first)."""
    root = SITES / name
    portal = PortalConfig(id=name, home_url=HOME, languages=list(languages))
    scope = Scope.for_portal(portal)
    files = sorted(root.rglob("*.html"), key=lambda p: (p.name != "index.html" or p.parent != root, str(p)))
    pages: list[PageDoc] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        url = HOME + ("" if rel == "index.html" else rel)
        page = parse_page(path.read_bytes(), url=url, final_url=url, status=200, content_type="text/html",
                          scope=scope, fetched_at="2024-03-15T10:00:00Z")  # fmt: skip
        assert page is not None
        pages.append(page)
    return Site(portal=portal, pages=pages)


def ind(rule: str | None, concepts: tuple[str, ...] = (), code: str = "999", **params) -> Indicator:
    return Indicator(code=code, criterion="X", name=rule or "manual", question="?", yes_when="yes",
                     mode="automated", rule=rule, concepts=concepts, params=params,
                     guidance="Open the portal and look.")  # fmt: skip


def check(site: Site, indicator: Indicator) -> Finding:
    rule = load_all_rules()[indicator.rule]
    return rule.check(site, indicator)


@pytest.fixture(scope="module")
def city() -> Site:
    return build_site("assess-city")


@pytest.fixture(scope="module")
def bare() -> Site:
    return build_site("assess-bare")


def assert_openable(finding: Finding) -> None:
    """met needs evidence a person can open: URL, selector and snippet."""
    assert finding.evidence, finding
    for ev in finding.evidence:
        assert ev.url.startswith("http") and ev.snippet, ev
    assert any(ev.selector for ev in finding.evidence)


# --------------------------------------------------------------------------- issue 2


def test_contact_details_met_with_phone_email_form(city: Site) -> None:
    f = check(city, ind("contact-details", ("contact",)))
    assert f.verdict is Verdict.MET and f.confidence >= 0.9, f
    assert_openable(f)
    urls = {ev.url for ev in f.evidence}
    assert HOME + "uz/aloqa.html" in urls
    assert any(ev.selector.endswith("a:nth-of-type(1)") or "form" in ev.selector for ev in f.evidence)


def test_contact_details_not_met_on_bare_site(bare: Site) -> None:
    f = check(bare, ind("contact-details", ("contact",)))
    assert f.verdict is Verdict.NOT_MET
    assert any("aloqa" in item for item in f.looked_for)


def test_privacy_policy_linked_from_footer(city: Site, bare: Site) -> None:
    f = check(city, ind("privacy-policy", ("privacy-policy",)))
    assert f.verdict is Verdict.MET and f.confidence >= 0.9, f
    assert_openable(f)
    assert any(ev.url == HOME for ev in f.evidence)  # the footer link on the home page
    assert check(bare, ind("privacy-policy", ("privacy-policy",))).verdict is Verdict.NOT_MET


def test_social_media_links(city: Site, bare: Site) -> None:
    f = check(city, ind("social-media", ("social-media",)))
    assert f.verdict is Verdict.MET and set(f.details["platforms"]) == {"facebook", "telegram"}
    assert_openable(f)
    assert check(bare, ind("social-media", ("social-media",))).verdict is Verdict.NOT_MET


def test_news_section_with_dated_items(city: Site, bare: Site) -> None:
    f = check(city, ind("news-section", ("news",)))
    assert f.verdict is Verdict.MET, f
    assert f.details["dated_items"] >= 4 and f.details["latest"] == "2024-03-12"
    assert any(ev.url == HOME + "uz/yangiliklar.html" for ev in f.evidence)
    assert check(bare, ind("news-section", ("news",))).verdict is Verdict.NOT_MET


def test_other_language_version(city: Site, bare: Site) -> None:
    f = check(city, ind("other-language"))
    assert f.verdict is Verdict.MET, f
    assert "ru" in f.details["versions"] and f.details["verified"] == ["ru"]
    assert_openable(f)
    assert check(bare, ind("other-language")).verdict is Verdict.NOT_MET


# --------------------------------------------------------------------------- generic rules


def test_concept_page(city: Site, bare: Site) -> None:
    f = check(city, ind("concept-page", ("services-catalogue",)))
    assert f.verdict is Verdict.MET and f.evidence[0].url.startswith(HOME), f
    assert check(bare, ind("concept-page", ("budget",))).verdict is Verdict.NOT_MET


def test_online_service_form_vs_information_only(city: Site) -> None:
    online = check(city, ind("online-service", ("birth-certificate",)))
    assert online.verdict is Verdict.MET, online
    assert any("form" in ev.selector for ev in online.evidence)
    info = check(city, ind("online-service", ("building-permit",)))
    assert info.verdict is Verdict.NEEDS_REVIEW, info
    assert HOME + "uz/qurilish.html" in info.candidates
    missing = check(city, ind("online-service", ("vehicle-registration",)))
    assert missing.verdict is Verdict.NOT_MET and missing.looked_for


def test_concept_documents(tmp_path: Path) -> None:
    def home_with(links: str) -> Site:
        html = (SITES / "assess-city" / "index.html").read_text(encoding="utf-8").replace("</main>", links + "</main>")
        portal = PortalConfig(id="t", home_url=HOME, languages=["uz"])
        page = parse_page(html.encode(), url=HOME, final_url=HOME, status=200, content_type="text/html",
                          scope=Scope.for_portal(portal))  # fmt: skip
        return Site(portal=portal, pages=[page])

    two = home_with('<a href="/files/byudjet-2024.pdf">Shahar byudjeti 2024</a>'
                    '<a href="/files/byudjet-ijrosi-2024.xlsx">Byudjet ijrosi 2024</a>')  # fmt: skip
    f = check(two, ind("concept-documents", ("budget",)))
    assert f.verdict is Verdict.MET and f.evidence[0].snippet == "Shahar byudjeti 2024", f
    # one linked file's title alone is not a section about the budget: a person decides
    one = check(home_with('<a href="/files/byudjet-2024.pdf">Shahar byudjeti 2024</a>'), ind("concept-documents",
                                                                                            ("budget",)))
    assert one.verdict is Verdict.NEEDS_REVIEW and "only one document" in one.explanation, one
    assert check(build_site("assess-bare"), ind("concept-documents", ("budget",))).verdict is Verdict.NOT_MET


def test_mobile_apps_and_feedback(city: Site) -> None:
    apps = check(city, ind("mobile-apps", ("mobile-apps",)))
    assert apps.verdict is Verdict.MET and "google-play" in apps.evidence[0].note
    fb = check(city, ind("feedback-form", ("feedback", "complaint", "contact")))
    assert fb.verdict is Verdict.MET and any("form" in ev.selector for ev in fb.evidence), fb


# --------------------------------------------------------------------------- the engine


def test_engine_one_finding_per_indicator_in_order(city: Site) -> None:
    indicators = (
        ind("contact-details", ("contact",), code="214"),
        ind(None, ("news",), code="217"),
        ind("no-such-rule", ("news",), code="218"),
        ind("concept-page", (), code="219"),  # raises: no concepts
        ind("social-media", code="273"),
    )
    catalog = Catalog("t", "t", "city", (Criterion("X", "x"),), indicators, Scoring(None, ()))
    findings = assess_site(city, catalog)
    assert [f.indicator for f in findings] == ["214", "217", "218", "219", "273"]
    assert findings[0].verdict is Verdict.MET
    assert findings[1].verdict is Verdict.NEEDS_REVIEW and findings[1].method == "human"
    assert findings[1].explanation == "Open the portal and look."
    assert HOME + "uz/yangiliklar.html" in findings[1].candidates
    assert findings[2].verdict is Verdict.NOT_ASSESSED and "not implemented" in findings[2].explanation
    assert findings[2].candidates
    assert findings[3].verdict is Verdict.NOT_ASSESSED and "names no concepts" in findings[3].explanation
    empty = assess_site(Site(portal=city.portal, pages=[]), catalog)
    assert len(empty) == 5 and all(f.verdict is Verdict.NOT_ASSESSED for f in empty)


@pytest.mark.parametrize(
    ("name", "languages"),
    [("assess-city", ("uz",)), ("assess-round2-en", ("en",)), ("real-misleading", ("uz",)), ("real-polysemy", ("ro",))],
)
def test_a_page_whose_title_headings_or_url_name_a_concept_is_filed_under_it(name: str, languages: tuple) -> None:
    """_search scores pages (_page_hits) only among those _where_concepts_may_be filed under the concept: the
    two must look at the same texts, or a page about the concept is never seen."""
    site = build_site(name, languages)
    sig = SiteSignals(site)
    sig.index_pages()
    _rows, filed = sig._where_concepts_may_be()
    scored = 0
    for concept in sig.lexicon.concepts:
        under = {id(page) for page in filed.of(concept)}
        for page in [*site.pages, *site.outside_pages]:
            found: dict[str, Candidate] = {}
            sig._page_hits(concept, page, found, functools.partial(_candidate, found, concept))
            if found:
                scored += 1
                assert id(page) in under, (concept, page.url)
    assert scored >= 3
    assert sum(len(filed.of(c)) for c in sig.lexicon.concepts) < len(sig.lexicon.concepts) * len(site.pages) / 2


def test_a_search_made_again_finds_the_same_and_misleads_no_more() -> None:
    """SiteSignals keeps the last SEARCHES_KEPT concept searches; one asked for again after more are made is made
    again: the same candidates, the same hits and evidence, and the links it found misleading listed once."""
    site = build_site("real-misleading", ("uz",))
    sig = SiteSignals(site)
    sig.index_pages()
    concepts = list(sig.lexicon.concepts)
    assert len(concepts) > 2 * SEARCHES_KEPT

    def seen(cands: list[Candidate]) -> list[tuple]:
        return [(c.url, c.score, [(h.signal, h.weight, h.evidence) for h in c.hits]) for c in cands]

    first = {c: seen(sig.candidates(c)) for c in concepts}
    misled = {c: [m.url for m in found] for c, found in sig.misleading.items()}
    assert misled and len(sig._cache) == SEARCHES_KEPT
    again = {c: seen(sig.candidates(c)) for c in reversed(concepts)}
    assert again == first and sum(map(bool, first.values())) > 10
    assert {c: [m.url for m in found] for c, found in sig.misleading.items()} == misled


def _candidate(found: dict[str, Candidate], concept: str, url: str, page: PageDoc | None) -> Candidate:
    return found.setdefault(url, Candidate(url, concept, page=page))


def test_a_social_platform_is_the_first_in_the_data_whose_domain_is_the_host_or_above_it() -> None:
    """social_platform against the plain reading of social.yaml: for each platform in order, is the host
    (lower case, without www.) one of its domains or below one? Over every link of the bundled portals and
    hosts made to catch a suffix test that is too loose or too strict."""
    from urllib.parse import urlsplit

    from assessors.rules.literacy import social_platform
    from assessors.signals import load_data

    data = load_data("social.yaml")

    def plain(url: str) -> tuple[str, bool] | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        host = (parts.hostname or "").lower().removeprefix("www.")
        for platform, domains in data["platforms"].items():
            if any(host == d or host.endswith("." + d) for d in domains):
                return platform, any(parts.path.lower().startswith(p.lower()) for p in data["share_paths"])
        return None

    urls = {link.url for page in _fixture_pages() for link in page.links}
    for domain in [d for domains in data["platforms"].values() for d in domains]:
        for host in (domain, f"www.{domain}", f"m.{domain}", f"WWW.{domain.upper()}", f"not{domain}",
                     f"{domain}.evil.example", f"a..{domain}", domain.rpartition(".")[2]):  # fmt: skip
            urls |= {f"https://{host}/city", f"http://{host}/sharer/x", f"ftp://{host}/"}
    assert sum(plain(url) is not None for url in urls) > 100
    assert [social_platform(url) for url in sorted(urls)] == [plain(url) for url in sorted(urls)]


def test_an_app_store_page_is_the_first_store_in_the_data_whose_host_and_path_it_has() -> None:
    """app_store_of (decided by host first) against the plain reading of app_stores.yaml, over every link of the
    bundled portals and hosts made to catch a suffix test that is too loose, a www. or a scheme it mishandles."""
    from urllib.parse import urlsplit

    from assessors.rules.content import app_store_of
    from assessors.signals import load_data

    stores = load_data("app_stores.yaml")["stores"]

    def plain(url: str) -> str | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for store, spec in stores.items():
            if any(host == h or host.endswith("." + h) for h in spec["hosts"]) and any(
                parts.path.startswith(p) for p in spec.get("paths", ["/"])
            ):
                return store
        return None

    urls = {link.url for page in _fixture_pages() for link in page.links}
    for spec in stores.values():
        for h in spec["hosts"]:
            for host in (h, f"www.{h}", f"eu.{h}", h.upper(), f"not{h}", f"{h}.evil.example"):
                urls |= {f"https://{host}/store/apps/details?id=uz.city", f"https://{host}/app/x",
                         f"itms-apps://{host}/app/id1", f"https://{host}/"}  # fmt: skip
    assert sum(plain(url) is not None for url in urls) > 20
    assert [app_store_of(url) for url in sorted(urls)] == [plain(url) for url in sorted(urls)]


def test_a_web_url_is_an_http_or_https_one_however_it_is_written() -> None:
    from assessors.signals import is_web_url

    assert all(map(is_web_url, ["https://city.uz/", "http://city.uz", "HTTPS://CITY.UZ/", " https://city.uz/"]))
    assert not any(map(is_web_url, ["mailto:a@city.uz", "tel:+998", "javascript:void(0)", "ftp://[x", "/a", ""]))


def _fixture_pages() -> list[PageDoc]:
    pages = []
    for path in sorted((Path(__file__).parent / "fixtures" / "portals").glob("*/*.html")):
        url = f"https://www.example.gov/{path.parent.name}/{path.name}"
        doc = parse_page(path.read_bytes(), url=url, final_url=url, status=200, content_type="text/html",
                         scope=Scope(domains=["example.gov"]))  # fmt: skip
        if doc is not None:
            pages.append(doc)
    return pages
