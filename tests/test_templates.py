"""A portal's page template (banner, navigation, footer) is axe-checked once, on the first page that shows it.

Real axe-core in real Chromium, pages served on 127.0.0.1. The invariant under test: on a later page, what axe
reports with the template left out is exactly what it reports on the whole page minus what lies inside the
regions left out, and a region that differs in HTML or in computed style is checked again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assessors.axe import run_axe
from assessors.browser_pool import chromium, run_sync
from assessors.probes import _axe_probe
from assessors.rules.technology import accessibility_wcag
from assessors.site import Site
from assessors.templates import SharedTemplates, run_axe_once_per_template, template_regions
from losi.models import PortalConfig, Verdict
from tests.conftest import ROOT, requires_browser
from tests.test_tech_support import indicator

CORPUS = ROOT.parent / "shared" / "corpora" / "municipal-services"
NOVA_GORICA = [
    "https_www_nova_gorica_si_za_obcane_postopki_in_obrazci_2011101410574355_.html",
    "https_www_nova_gorica_si_za_obcane_postopki_in_obrazci_2011102511410147_.html",
]

STYLE = "<style>.faint{color:#ccc;background:#fff} .dark header{background:#000;color:#222}</style>"
MENU = ["Services", "Council", "Permits", "Taxes", "Parking", "Schools", "Libraries", "Contact"]


def header(current: str = "") -> str:
    items = "".join(
        f'<li><a href="/{m.lower()}.html"{" aria-current=page" if m == current else ""}>{m}</a>'
        f"<ul><li><a href='/{m.lower()}/a.html'>{m} A</a></li>"
        f"<li><a href='/{m.lower()}/b.html'>{m} B</a></li></ul></li>"
        for m in MENU
    )
    return f'<header><a class="faint" href="/">City of Example</a><nav><ul>{items}</ul></nav></header>'


FOOTER = "<footer><ul>" + "".join(f"<li><a href='/f{k}.html'>Link {k}</a></li>" for k in range(12)) + "</ul></footer>"


def page(title: str, main: str, head: str = "", body_class: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{STYLE}</head>'
        f'<body class="{body_class}">{head or header()}<main><h1>{title}</h1>{main}</main>{FOOTER}</body></html>'
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template-portal")
    pages = {
        "one.html": page("One", '<p>Welcome.</p><img id="m1" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'),
        "two.html": page("Two", '<form><input id="m2" name="email"></form>'),
        "dark.html": page("Dark", "<p>Same header, darker look.</p>", body_class="dark"),
        "current.html": page("Current", "<p>Council page.</p>", head=header(current="Council")),
    }
    for name, html in pages.items():
        (root / name).write_text(html, encoding="utf-8")
    return root


TARGETS_INSIDE_JS = """(o) => o.targets.filter(t => { const el = document.querySelector(t);
  return el && o.regions.some(r => el.closest(r)); })"""


def targets(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v["id"], n["target"][0]) for v in result["violations"] for n in v["nodes"]}


async def _check_in_turn(base: str, names: list[str]) -> list[dict[str, Any]]:
    """Each page in turn with one SharedTemplates; per page: axe with the template left out, and in full."""
    templates = SharedTemplates()
    out = []
    async with chromium() as browser:
        tab = await (await browser.new_context()).new_page()
        for name in names:
            await tab.goto(base + name, wait_until="load")
            result, skipped = await run_axe_once_per_template(tab, base + name, templates)
            full = await run_axe(tab)
            all_targets = sorted(t for _, t in targets(full))
            inside = await tab.evaluate(
                TARGETS_INSIDE_JS, {"targets": all_targets, "regions": [s["selector"] for s in skipped]}
            )
            out.append({"name": name, "result": result, "skipped": skipped, "full": full, "inside": set(inside),
                        "regions": await template_regions(tab)})
    return out


def _without(full: dict[str, Any], inside: set[str]) -> set[tuple[str, str]]:
    return {(rule, t) for rule, t in targets(full) if t not in inside}


@requires_browser
def test_later_page_leaves_out_the_template_checked_on_the_first(serve: Any, portal: Path) -> None:
    site = serve(portal)
    first, second = run_sync(lambda: _check_in_turn(site.url, ["one.html", "two.html"]))
    assert first["skipped"] == [] and len(first["regions"]) == 2  # header and footer, both over 20 elements
    assert ("color-contrast", ".faint") in targets(first["result"])  # the template's defect, reported once
    assert ("image-alt", "#m1") in targets(first["result"])

    skipped = {s["selector"]: s for s in second["skipped"]}
    assert len(skipped) == 2 and all(s["checked_on"] == site.url + "one.html" for s in skipped.values())
    assert sum(s["elements"] for s in skipped.values()) == sum(r.elements for r in second["regions"])
    assert ("color-contrast", ".faint") in targets(second["full"])  # there when the page is checked whole
    assert ".faint" in second["inside"]
    assert ("label", "#m2") in targets(second["result"])  # the page's own content is still checked
    assert targets(second["result"]) == _without(second["full"], second["inside"])


@requires_browser
def test_a_region_that_looks_or_reads_differently_is_checked_again(serve: Any, portal: Path) -> None:
    site = serve(portal)
    _, dark, current = run_sync(lambda: _check_in_turn(site.url, ["one.html", "dark.html", "current.html"]))
    # Same header HTML under a stylesheet rule that darkens it: the header is checked again, the footer is not.
    assert [s["selector"] for s in dark["skipped"]] == ["html > body:nth-child(2) > footer:nth-child(3)"]
    assert ("color-contrast", ".faint") in targets(dark["result"])
    contrast = [t for rule, t in targets(dark["result"]) if rule == "color-contrast"]
    assert len(contrast) > 1  # the darkened menu links fail too, on this page only
    # A menu marking another item as the current page differs in HTML: checked again too.
    assert [s["selector"] for s in current["skipped"]] == ["html > body:nth-child(2) > footer:nth-child(3)"]
    assert ("color-contrast", ".faint") in targets(current["result"])


@requires_browser
@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpora is not beside the project")
def test_real_municipal_template_is_left_out_without_changing_what_axe_finds(serve: Any) -> None:
    site = serve(CORPUS)
    first, second = run_sync(lambda: _check_in_turn(site.url, NOVA_GORICA))
    assert first["skipped"] == []
    left_out = sum(s["elements"] for s in second["skipped"])
    total = sum(r.elements for r in second["regions"])
    assert second["skipped"] and left_out == total and left_out >= 300  # the real header and footer
    assert second["inside"], "the real template has violations of its own, found on the first page"
    assert targets(second["result"]) == _without(second["full"], second["inside"])


@requires_browser
def test_failed_page_leaves_its_template_to_the_next(serve: Any, portal: Path) -> None:
    site = serve(portal)

    async def go() -> tuple[list[Any], list[dict[str, Any]]]:
        templates = SharedTemplates()
        async with chromium() as browser:
            tab = await (await browser.new_context()).new_page()
            await tab.goto(site.url + "one.html")
            await tab.evaluate("window.axe = {run: () => { throw new Error('axe broke'); }}")
            with pytest.raises(Exception, match="axe broke"):
                await run_axe_once_per_template(tab, site.url + "one.html", templates)
            await tab.goto(site.url + "two.html")
            _, skipped = await run_axe_once_per_template(tab, site.url + "two.html", templates)
            await tab.goto(site.url + "one.html")
            _, skipped_after = await run_axe_once_per_template(tab, site.url + "one.html", templates)
        return skipped, skipped_after

    skipped, skipped_after = run_sync(go)
    assert skipped == []  # one.html failed, so two.html checks the template itself
    assert {s["checked_on"] for s in skipped_after} == {site.url + "two.html"}


@requires_browser
def test_a11y_command_template_once(serve: Any, portal: Path) -> None:
    site = serve(portal)
    urls = [site.url + n for n in ("one.html", "two.html", "current.html")]
    command = [sys.executable, "-m", "losi.cli", "a11y", *urls, "--allow-private", "--template-once", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    pages = {p["url"]: p for p in json.loads(done.stdout)}
    # The third page starts only once one of the first two is done; its menu marks another item current, so
    # only its footer is left out, naming the page where it was checked.
    assert pages[urls[0]]["template_excluded"] == []
    footer = pages[urls[2]]["template_excluded"]
    assert [r["selector"] for r in footer] == ["html > body:nth-child(2) > footer:nth-child(3)"]
    assert footer[0]["checked_on"] in urls[:2]
    plain = subprocess.run([c for c in command if c != "--template-once"], cwd=ROOT, capture_output=True,
                           text=True, timeout=180)
    assert all("template_excluded" not in p for p in json.loads(plain.stdout))


@requires_browser
def test_probe_and_210_name_the_template_left_out(serve: Any, portal: Path) -> None:
    site_server = serve(portal)
    urls = [site_server.url + n for n in ("one.html", "two.html", "current.html", "dark.html")]

    async def probe() -> dict[str, Any]:
        async with chromium() as browser:
            return await _axe_probe(await browser.new_context(), urls, lambda _msg: None)

    axe = run_sync(probe)
    pages = {p["url"]: p for p in axe["pages"]}
    assert pages[urls[0]]["template_excluded"] == []
    assert sum(len(p["template_excluded"]) for p in pages.values()) >= 2  # the pages after the first two
    site = Site(portal=PortalConfig(id="t", home_url=urls[0]), pages=[], probes={"axe": axe})
    finding = accessibility_wcag(site, indicator("210", "accessibility-wcag"))
    assert finding.verdict == Verdict.NOT_MET
    assert "template was checked once" in finding.explanation
    left_out = finding.details["template_left_out"]
    assert left_out and all(r["checked_on"] in urls for regions in left_out.values() for r in regions)
    # the template's own defect is still in the evidence, from the page where it was checked
    assert any(e.selector == ".faint" for e in finding.evidence)
