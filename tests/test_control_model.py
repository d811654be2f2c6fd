"""The Control model (PageDoc.controls) and the one layout script shared by Chromium, Firefox and WebKit."""

from __future__ import annotations

import json
from pathlib import Path

from assessors.browser_pool import chromium, run_sync
from assessors.engines import LAYOUT_FUNCTION_JS, MIN_READABLE_PX
from assessors.signals import page_controls
from assessors.site import Site
from crawler.parse import parse_page
from crawler.scope import Scope
from losi.models import Control, PageDoc, PortalConfig
from tests.conftest import requires_browser

URL = "https://city.example.uz/"
HTML = """<html lang="ru"><head><title>Главная</title></head><body>
<header><button class="burger" aria-label="Меню"></button></header><main><h1>Город</h1>
<div id="ai-chat"><button type="button">Открыть чат</button></div><span role="button"></span>
<form action="/find"><input name="q" aria-label="Поиск"><button>Найти</button></form></main></body></html>"""


def _parsed() -> PageDoc:
    page = parse_page(HTML.encode(), url=URL, final_url=URL, status=200, content_type="text/html",
                      scope=Scope(domains=["city.example.uz"]))  # fmt: skip
    assert page is not None
    return page


def test_parse_records_control_objects() -> None:
    page = _parsed()
    assert all(isinstance(c, Control) for c in page.controls)
    assert [c.label for c in page.controls] == ["Меню", "Открыть чат", "Поиск", "Найти"]  # the empty span is dropped
    assert page.controls[1].selector.startswith("#ai-chat")


def test_page_controls_returns_the_model_controls() -> None:
    page = _parsed()
    page.controls.append(Control(selector="div.empty", label=""))
    site = Site(portal=PortalConfig(id="city", home_url=URL), pages=[page])
    ((found_page, controls),) = page_controls(site)
    assert found_page is page
    assert controls == [c for c in page.controls if c.label] and all(isinstance(c, Control) for c in controls)


LAYOUT_PAGE = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"></head><body style="margin:0">
<p style="font-size:20px">Большой текст</p><p style="font-size:{MIN_READABLE_PX - 2}px">мелко</p>
<a href="/a">a</a><div style="width:2000px;height:10px"></div></body></html>"""


@requires_browser
def test_one_layout_script_measures_mobile_and_engine_fields(serve, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(LAYOUT_PAGE, encoding="utf-8")
    server = serve(tmp_path)

    async def measure() -> dict:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 800, "height": 600})
            try:
                page = await context.new_page()
                await page.goto(server.url + "index.html", wait_until="load")
                return json.loads(await page.evaluate(LAYOUT_FUNCTION_JS))
            finally:
                await context.close()

    layout = run_sync(measure)
    # the cross-engine fields (#201)
    assert layout["scroll_width"] == 2000 and layout["inner_width"] == 800 and layout["horizontal_overflow"]
    assert layout["links"] == 1 and layout["images"] == 0 and layout["scroll_height"] > 0
    assert layout["text_chars"] == len("Большой текст мелко a")
    # the mobile fields (#204)
    assert layout["viewport_meta"] == "width=device-width"
    assert layout["min_font_px"] == MIN_READABLE_PX - 2
    assert layout["sized_text_chars"] == len("Большой текст") + len("мелко") + 1
    assert layout["small_text_chars"] == len("мелко")
    assert layout["tap_targets"] == 1 and layout["small_tap_targets"] == 1
