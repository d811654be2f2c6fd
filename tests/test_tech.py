"""#201, #204-#209 on small sites served on 127.0.0.1 and probed with real Chromium and vnu."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assessors.probes import BROWSER_PROBES, find_terms, run_probes
from assessors.rules.technology import (
    advanced_search,
    browser_compat,
    css_validity,
    markup_validity,
    mobile_friendly,
    search_box,
    sitemap,
)
from assessors.site import Site
from losi.layout import PortalFiles
from losi.models import PortalConfig, Verdict
from tests.conftest import requires_browser
from tests.test_tech_support import SEARCH_PAGES, SITES, indicator, probed_site, search_handler, site_from

requires_java = pytest.mark.skipif(shutil.which("java") is None, reason="no java for vnu.jar")
MOBILE = indicator("204", "mobile-friendly")
SEARCH = indicator("206", "search-box")
ADVANCED = indicator("207", "advanced-search")


@pytest.fixture(scope="module")
def responsive(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return probed_site("tech-responsive", ["index.html"], tmp_path_factory.mktemp("resp"), axe_pages=1)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return probed_site("tech-fixed", ["index.html"], tmp_path_factory.mktemp("fixed"), axe_pages=1)


@pytest.fixture(scope="module")
def searches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    return {
        mode: probed_site("tech-search", SEARCH_PAGES, tmp_path_factory.mktemp(mode), search_handler(mode), axe_pages=1)
        for mode in ("advanced", "basic", "dead")
    }


@requires_browser
def test_responsive_page_is_mobile_friendly(responsive: Site) -> None:
    finding = mobile_friendly(responsive, MOBILE)
    assert finding.verdict == Verdict.MET, finding.explanation
    shot = finding.evidence[0].screenshot
    assert shot and (responsive.portal_dir / shot).stat().st_size > 1000
    assert json.loads((responsive.portal_dir / "probes.json").read_text())["mobile"]["device_width"] is True


@requires_browser
def test_fixed_width_page_is_not_mobile_friendly(fixed: Site) -> None:
    finding = mobile_friendly(fixed, MOBILE)
    assert finding.verdict == Verdict.NOT_MET
    assert "horizontal scroll" in finding.explanation and "1400px" in finding.explanation
    assert "smaller than 12px" in finding.explanation and "viewport meta" in finding.explanation
    assert finding.looked_for and finding.evidence[0].screenshot


@requires_browser
def test_working_search_is_met_with_results(searches: dict[str, Site]) -> None:
    finding = search_box(searches["advanced"], SEARCH)
    assert finding.verdict == Verdict.MET, finding.explanation
    probe = searches["advanced"].probes["search"]
    assert probe["query"] == "parks" and "q=parks" in probe["result_url"] and probe["hits"] >= 3
    assert any(e.url.endswith("parks-east.html") for e in finding.evidence)
    assert finding.evidence[0].selector and finding.evidence[1].screenshot


@requires_browser
def test_dead_search_box_is_not_met_with_evidence(searches: dict[str, Site]) -> None:
    finding = search_box(searches["dead"], SEARCH)
    assert finding.verdict == Verdict.NOT_MET
    assert finding.details["status"] == 404 and finding.evidence[0].selector
    assert "returned no results" in finding.explanation


@requires_browser
def test_advanced_search_options(searches: dict[str, Site]) -> None:
    met = advanced_search(searches["advanced"], ADVANCED)
    assert met.verdict == Verdict.MET, met.explanation
    assert met.details["controls"] == {"select": 1, "date": 2}
    assert met.evidence[0].selector and "section" in met.evidence[0].snippet
    assert advanced_search(searches["basic"], ADVANCED).verdict == Verdict.NOT_MET


@requires_browser
def test_browser_compat_needs_review_with_one_engine(responsive: Site) -> None:
    browsers = responsive.probes["browsers"]  # the real Chromium entry alone (Firefox/WebKit: tests/test_engines.py)
    alone = {**responsive.probes, "browsers": {**browsers, "engines": {"chromium": browsers["engines"]["chromium"]}}}
    site = Site(portal=responsive.portal, pages=responsive.pages, probes=alone, portal_dir=responsive.portal_dir)
    finding = browser_compat(site, indicator("201", "browser-compat"))
    assert finding.verdict == Verdict.NEEDS_REVIEW
    assert "chromium" in finding.explanation and finding.details["engines"]["chromium"]["layout_width"] == 1366


@requires_browser
def test_https_and_timing_are_recorded(responsive: Site) -> None:
    probes = responsive.probes
    assert probes["https"]["scheme"] == "http" and probes["https"]["certificate"] is None
    timing = probes["timing"]
    assert timing["requests_by_type"].get("stylesheet") == 1 and timing["total_bytes"] > 500


def test_sitemap_page(serve) -> None:
    if not find_terms("sitemap", "Site map"):
        pytest.skip("the lexicon has no English terms for the 'sitemap' concept yet")
    server = serve(SITES / "tech-search")
    site = site_from(server.url, SEARCH_PAGES)
    finding = sitemap(site, indicator("205", "sitemap"))
    assert finding.verdict == Verdict.MET, finding.explanation
    assert finding.evidence[0].url.endswith("sitemap.html")
    no_map = site_from(server.url, SEARCH_PAGES[:-1])
    assert sitemap(no_map, indicator("205", "sitemap")).verdict in (Verdict.NOT_MET, Verdict.NEEDS_REVIEW)


def test_static_search_fallback_without_probes(serve) -> None:
    server = serve(SITES / "tech-search")
    site = site_from(server.url, ["index.html"])
    finding = search_box(site, SEARCH)
    assert finding.verdict == Verdict.NEEDS_REVIEW and finding.confidence <= 0.6
    assert "not tried live" in finding.explanation
    for check, ind in ((mobile_friendly, MOBILE), (advanced_search, ADVANCED), (markup_validity, SEARCH)):
        assert check(site, ind).verdict == Verdict.NOT_ASSESSED


@requires_java
def test_no_browser_records_errors_and_still_validates(serve, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOSI_CHROMIUM", str(tmp_path / "no-such-chromium"))
    server = serve(SITES / "tech-invalid")
    site = Site(portal=PortalConfig(id="t", home_url=server.url + "index.html", allow_private=True), pages=[])
    probes = run_probes(site, PortalFiles(tmp_path))
    assert all(probes[name]["error"] == "no browser" for name in BROWSER_PROBES)
    assert json.loads((tmp_path / "probes.json").read_text())["mobile"]["error"] == "no browser"
    assert probes["vnu"]["html_errors"] > 0 and probes["vnu"]["css_errors"] >= 2
    site.probes = probes
    assert markup_validity(site, indicator("208", "markup-validity")).verdict == Verdict.NOT_MET
    assert mobile_friendly(site, MOBILE).verdict == Verdict.NOT_ASSESSED


@requires_java
@requires_browser
@pytest.mark.parametrize("name", ["tech-valid", "tech-invalid"])
def test_markup_and_css_validity(name: str, tmp_path: Path) -> None:
    site = probed_site(name, ["index.html"], tmp_path, axe_pages=1)
    markup = markup_validity(site, indicator("208", "markup-validity"))
    css = css_validity(site, indicator("209", "css-validity"))
    if name == "tech-valid":
        assert markup.verdict == Verdict.MET and css.verdict == Verdict.MET, (markup.explanation, css.explanation)
        assert css.evidence[0].url.endswith("style.css")
    else:
        assert markup.verdict == Verdict.NOT_MET and css.verdict == Verdict.NOT_MET
        notes = " ".join(e.note for e in markup.evidence)
        assert "center" in notes and not any("CSS:" in e.note for e in markup.evidence)
        assert any("colr" in e.note for e in css.evidence) and css.evidence[0].url.endswith("broken.css")


# --------------------------------------------------------------------------- real-page classes (issue 11)


@requires_browser
def test_a_few_pixels_of_overflow_on_a_reflowing_page_is_still_mobile_friendly(tmp_path: Path) -> None:
    site = probed_site("tech-slight-overflow", ["index.html"], tmp_path, axe_pages=1)
    finding = mobile_friendly(site, MOBILE)
    assert finding.verdict == Verdict.MET, finding.explanation
    assert "stick out by" in finding.explanation
    assert 0 < finding.details["overflow_px"] <= 16 and finding.details["overflow_roots"] == 1


@requires_browser
def test_a_fixed_width_page_records_how_much_sticks_out(fixed: Site) -> None:
    finding = mobile_friendly(fixed, MOBILE)
    assert finding.details["overflow_px"] > 16 and finding.details["overflow_roots"] >= 1


@requires_java
@requires_browser
def test_css_validity_reads_every_stylesheet_the_template_links(tmp_path: Path) -> None:
    site = probed_site("tech-css-many", ["index.html"], tmp_path, axe_pages=1)
    finding = css_validity(site, indicator("209", "css-validity"))
    assert finding.verdict == Verdict.NOT_MET, finding.explanation
    assert any(e.url.endswith("main.css") for e in finding.evidence), finding.evidence
    checked = site.probes["vnu"]["stylesheets_checked"]
    assert len(checked) == 15  # 13 linked (the font sheet, 11 vendor sheets, main.css), 1 imported, 1 inline
    assert any(u.endswith("parts.css") for u in checked) and any("#style-1" in u for u in checked)


@requires_java
@requires_browser
def test_css_validity_reads_the_pages_own_style_block(tmp_path: Path) -> None:
    site = probed_site("tech-css-inline", ["index.html"], tmp_path, axe_pages=1)
    finding = css_validity(site, indicator("209", "css-validity"))
    assert finding.verdict == Verdict.NOT_MET, finding.explanation
    assert any("#style-1" in e.url for e in finding.evidence), finding.evidence


@requires_browser
def test_a_results_page_saying_nothing_found_is_no_result(tmp_path: Path) -> None:
    site = probed_site("tech-search", SEARCH_PAGES, tmp_path, search_handler("nothing"), axe_pages=1)
    finding = search_box(site, SEARCH)
    assert finding.verdict == Verdict.NOT_MET, finding.explanation
    assert "hech narsa topilmadi" in finding.explanation.lower()
    assert site.probes["search"]["hits"] >= 1  # the echoed query alone would have looked like a result


@requires_browser
def test_the_search_of_a_script_app_is_run_and_waited_for(tmp_path: Path) -> None:
    site = probed_site("tech-search-app", ["index.html"], tmp_path, axe_pages=1)
    finding = search_box(site, SEARCH)
    assert finding.verdict == Verdict.MET, finding.explanation
    probe = site.probes["search"]
    assert "#/search?q=" in probe["result_url"] and probe["hits"] >= 2


@requires_browser
def test_an_off_canvas_menu_that_cannot_be_scrolled_to_is_no_horizontal_scroll(tmp_path: Path) -> None:
    site = probed_site("tech-offcanvas", ["index.html"], tmp_path, axe_pages=1)
    finding = mobile_friendly(site, MOBILE)
    assert finding.verdict == Verdict.MET, finding.explanation
    assert finding.details["clipped_x"] is True and finding.details["horizontal_scroll"] is False
