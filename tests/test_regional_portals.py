"""Issue 3: portals written entirely in Georgian, Armenian and Kazakh Cyrillic are assessed in their language.

One real run (Scrapy crawl over HTTP on 127.0.0.1, Chromium for the Kazakh single-page app, the real catalog
and lexicons) of three bundled sample portals. For each: contact (#214), feedback (#271), news (#296) and
privacy (#234) are found with evidence on the right page of that portal, one service the portal really
offers online is met with evidence on that service's page, and one service it does not offer is not met.
samples/README.md says what each portal has and lacks.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from losi.browser import chromium_available
from losi.config import load_portals
from losi.localserve import serve_directory
from losi.pipeline import RunOptions, run_assessment
from tests.conftest import SAMPLES, requires_browser

pytestmark = pytest.mark.slow

REGIONAL = ("mtskheta-ka", "gyumri-hy", "spa-kk")
BROWSER_ONLY = {"spa-kk"}  # a single-page app: nothing to assess without JavaScript

# (portal, indicator, the pages of that portal the first evidence item may point at; "" is the home page).
# Contact details may also be shown by the feedback page: the toolkit's "contact us ... or a form".
FOUND = [
    ("mtskheta-ka", "214", ("contact.html", "feedback.html", "", "index.html")),
    ("mtskheta-ka", "271", ("feedback.html",)),
    ("mtskheta-ka", "296", ("news.html",)),
    ("mtskheta-ka", "234", ("privacy.html",)),
    ("mtskheta-ka", "255", ("service-permit.html",)),  # building permit: online form
    ("gyumri-hy", "214", ("kap.html", "hetadardz-kap.html", "", "index.html")),
    ("gyumri-hy", "271", ("hetadardz-kap.html",)),
    ("gyumri-hy", "296", ("norutyunner/index.html",)),
    ("gyumri-hy", "234", ("gaghtniutyan-kaghakakanutyun.html",)),
    ("gyumri-hy", "259", ("tsarayutyunner/tsnndyan-vkayakan.html",)),  # birth certificate: link to e-gov.am
    ("gyumri-hy", "255", ("tsarayutyunner/shinararutyan-tuyltvutyun.html",)),  # building permit: online form
    ("spa-kk", "214", ("#/contacts", "")),
    ("spa-kk", "296", ("#/news",)),
    ("spa-kk", "234", ("#/privacy",)),
    ("spa-kk", "259", ("#/services",)),  # birth certificate: link to egov.kz
]

# (portal, service indicator the portal does not offer, why): anything but `met`
ABSENT = [
    ("mtskheta-ka", "259", "no birth-certificate service: the phrase does not occur"),
    ("gyumri-hy", "254", "no driving-licence service"),
    ("spa-kk", "255", "no building-permit service"),
]


@dataclass
class RegionalRun:
    base: str
    findings: dict[tuple[str, str], dict[str, Any]]  # (portal, indicator) -> findings.json row

    def finding(self, portal: str, code: str) -> dict[str, Any]:
        return self.findings[(portal, code)]

    def page_of(self, portal: str, url: str) -> str | None:
        """The URL's path inside the portal's folder ("" for its home page), or None when outside it."""
        root = f"{self.base}/{portal}"
        if url == root:
            return ""
        return url.removeprefix(root + "/") if url.startswith(root + "/") else None


@pytest.fixture(scope="module")
def regional_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegionalRun]:
    work = tmp_path_factory.mktemp("regional")
    wanted = {p for p in REGIONAL if chromium_available() or p not in BROWSER_ONLY}
    with serve_directory(SAMPLES) as base:
        portals = [p for p in load_portals(SAMPLES / "portals.yaml", substitutions={"base": base}) if p.id in wanted]
        assert {p.id for p in portals} == wanted, "a regional sample portal is missing from portals.yaml"
        for portal in portals:
            portal.allow_private = True
        options = RunOptions(
            out_dir=work / "out",
            data_dir=work / "data",
            probes=False,
            formats=("csv", "json"),
            progress=lambda _line: None,
        )
        outcome = run_assessment(portals, options)
        assert all(p.status == "assessed" for p in outcome.portals), outcome.portals
        document = json.loads((work / "out" / "findings.json").read_text(encoding="utf-8"))
        findings = {(p["portal"]["portal_id"], f["indicator"]): f for p in document["portals"] for f in p["findings"]}
        yield RegionalRun(base, findings)


def _case(portal: str, *rest: object) -> Any:
    marks = [requires_browser] if portal in BROWSER_ONLY else []
    return pytest.param(portal, *rest, marks=marks, id=f"{portal}-{rest[0]}")


def _opens(url: str) -> int:
    with urllib.request.urlopen(url.split("#")[0], timeout=10) as response:
        return response.status


@pytest.mark.parametrize(("portal", "code", "pages"), [_case(*case) for case in FOUND])
def test_indicator_is_met_with_evidence_on_the_right_page(
    regional_run: RegionalRun, portal: str, code: str, pages: tuple[str, ...]
) -> None:
    finding = regional_run.finding(portal, code)
    assert finding["verdict"] == "met", (finding["explanation"], finding["looked_for"], finding["candidates"])
    assert finding["evidence_snippet"].strip(), finding["evidence"]
    page = regional_run.page_of(portal, finding["evidence_url"])
    assert page is not None, f"evidence outside the portal: {finding['evidence_url']}"
    assert page in pages, f"evidence on {page!r}, expected one of {pages}: {finding['evidence']}"
    assert _opens(finding["evidence_url"]) == 200  # a person can open it


@pytest.mark.parametrize(("portal", "code", "why"), [_case(*case) for case in ABSENT])
def test_service_the_portal_does_not_offer_is_not_met(
    regional_run: RegionalRun, portal: str, code: str, why: str
) -> None:
    finding = regional_run.finding(portal, code)
    assert finding["verdict"] != "met", (why, finding["explanation"], finding["evidence"])


@requires_browser
def test_portal_without_a_feedback_form_does_not_meet_feedback(regional_run: RegionalRun) -> None:
    finding = regional_run.finding("spa-kk", "271")
    assert finding["verdict"] == "not_met", (finding["explanation"], finding["evidence"])
    assert finding["looked_for"]
