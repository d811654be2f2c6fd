"""Check a portal's page template once: header, navigation and footer regions repeated on every page.

On a real portal the banner, the navigation (often a mega-menu) and the footer are the same on every page,
and axe spends a large share of its time in them. A region is "the same" when its HTML, the computed style
of each of its elements and the backgrounds behind it are identical; the first page that shows it is
checked in full, later pages exclude it from axe and name the page where it was checked. Page-level rules
(title, language, bypass blocks) still see the whole page, and a region that differs in any way (a menu
item marked current, another colour) is checked again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from assessors.axe import run_axe

# Landmarks that hold a page template, outermost only. Regions holding the main content never qualify.
TEMPLATE_SELECTOR = (
    "header, nav, footer, aside, [role=banner], [role=navigation], [role=contentinfo], [role=complementary], "
    "[role=search]"
)
MIN_TEMPLATE_ELEMENTS = 20  # smaller regions cost axe next to nothing
# What decides how a region's text looks to axe's colour, visibility and size rules.
STYLE_PROPERTIES = (
    "color", "background-color", "background-image", "font-size", "font-weight", "display", "visibility",
    "opacity", "position", "text-shadow", "overflow",
)

REGIONS_JS = """(o) => {
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (e.id && document.querySelectorAll('#' + CSS.escape(e.id)).length === 1) {
        parts.unshift('#' + CSS.escape(e.id));
        return parts.join(' > ');
      }
      const nth = Array.prototype.indexOf.call(e.parentElement.children, e) + 1;
      parts.unshift(e.localName + ':nth-child(' + nth + ')');
    }
    return 'html > ' + parts.join(' > ');
  };
  const looks = (e) => { const cs = getComputedStyle(e); return o.props.map(p => cs.getPropertyValue(p)).join('|'); };
  const out = [];
  if (!document.body) return JSON.stringify(out);
  for (const el of document.body.querySelectorAll(o.selector)) {
    if (el.parentElement.closest(o.selector) || el.querySelector('main, [role=main]')) continue;
    const all = [el, ...el.getElementsByTagName('*')];
    if (all.length < o.min) continue;
    const behind = [];
    for (let a = el.parentElement; a; a = a.parentElement) behind.push(looks(a));
    const r = el.getBoundingClientRect();
    out.push({selector: path(el), elements: all.length, html: el.outerHTML,
              style: all.map(looks).join('\\n') + '\\n' + behind.join('\\n') + '\\n' + Math.round(r.width) + 'x' +
                     Math.round(r.height)});
  }
  return JSON.stringify(out);
}"""


@dataclass(frozen=True)
class TemplateRegion:
    selector: str  # where it is on this page (a CSS selector axe accepts in its context)
    elements: int
    digest: str  # of its HTML and computed styles: equal digests look and read the same to axe


async def template_regions(page: Any) -> list[TemplateRegion]:
    """The template landmarks of the page as loaded now."""
    raw = await page.evaluate(
        REGIONS_JS, {"selector": TEMPLATE_SELECTOR, "min": MIN_TEMPLATE_ELEMENTS, "props": list(STYLE_PROPERTIES)}
    )
    regions = []
    for r in json.loads(raw):
        digest = hashlib.sha256(f"{r['html']}\0{r['style']}".encode("utf-8", "surrogatepass")).hexdigest()
        regions.append(TemplateRegion(r["selector"], int(r["elements"]), digest))
    return regions


class SharedTemplates:
    """The template regions of one portal already checked by axe, and the page each was checked on.

    A region counts as checked only once axe finished the page that holds it, so pages checked at the same
    time never leave a region to each other, and a page that fails leaves its regions to the next one."""

    def __init__(self) -> None:
        self._checked_on: dict[str, str] = {}

    def checked_elsewhere(self, regions: list[TemplateRegion]) -> list[tuple[TemplateRegion, str]]:
        return [(r, self._checked_on[r.digest]) for r in regions if r.digest in self._checked_on]

    def mark_checked(self, url: str, regions: list[TemplateRegion]) -> None:
        for r in regions:
            self._checked_on.setdefault(r.digest, url)


async def run_axe_once_per_template(
    page: Any, url: str, templates: SharedTemplates | None, **axe_options: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """axe on the page, leaving out template regions already checked on another page of `templates`.

    Returns axe's result and what was left out: [{"selector", "elements", "checked_on"}]. Without
    `templates` this is run_axe and nothing is left out."""
    if templates is None:
        return await run_axe(page, **axe_options), []
    regions = await template_regions(page)
    skipped = templates.checked_elsewhere(regions)
    result = await run_axe(page, exclude=[r.selector for r, _ in skipped], **axe_options)
    templates.mark_checked(url, regions)
    return result, [{"selector": r.selector, "elements": r.elements, "checked_on": on} for r, on in skipped]
