"""axe-core in a live Playwright page, plus the project's own checks that axe lacks.

axe is injected once per navigation and its results come back as one JSON string: Playwright's object
serializer is 2.4x slower on big results (stack-notes §4). Our extra checks use ids starting with
"losi-", which axe never uses, so both can sit side by side in one report.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AXE = ROOT / "vendor" / "axe.min.js"
WCAG_TAGS: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
RESULT_TYPES: tuple[str, ...] = ("violations", "incomplete", "passes", "inapplicable")
MIN_TEXT_FOR_LANGUAGE = 200  # characters of page text below which language detection is too unreliable


class AxeNotFound(RuntimeError):
    pass


def axe_path() -> Path:
    return Path(os.environ.get("LOSI_AXE") or DEFAULT_AXE)


@cache
def _axe_source(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def axe_source() -> str:
    path = axe_path()
    if not path.is_file():
        raise AxeNotFound(f"axe-core not found at {path} (run `make setup`, or set LOSI_AXE to axe.min.js)")
    return _axe_source(str(path))


def axe_version() -> str:
    """The version in the banner of the axe.min.js in use ("4.14.1"), or "" when it is missing."""
    try:
        head = axe_source()[:200]
    except AxeNotFound:
        return ""
    m = re.search(r"axe v(\d+\.\d+\.\d+\S*)", head)
    return m.group(1) if m else ""


@cache
def _axe_tags(path: str) -> frozenset[str]:
    source = _axe_source(path)
    return frozenset(
        tag.strip().strip("\"'") for group in re.findall(r"tags:\[([^\]]*)\]", source) for tag in group.split(",")
    )


def axe_tags() -> frozenset[str]:
    """Every tag the rules of the axe.min.js in use carry ("wcag2aa", "best-practice", "EN-301-549", ...)."""
    axe_source()  # raises AxeNotFound with what to do
    return _axe_tags(str(axe_path()))


RUN_AXE_JS = """async (opts) => {
  const options = {resultTypes: opts.resultTypes};
  if (opts.tags && opts.tags.length) options.runOnly = {type: 'tag', values: opts.tags};
  if (opts.reporter) options.reporter = opts.reporter;
  const context = opts.exclude.length ? {exclude: opts.exclude.map(s => [s])} : document;
  const r = await axe.run(context, options);
  return JSON.stringify(r);
}"""
HAS_AXE_JS = "() => typeof window.axe !== 'undefined'"


async def inject_axe(page: Any) -> None:
    """Put axe into the page and every frame in it. axe checks a frame's content only when axe runs inside
    that frame too; without it axe waits 0.5 s per frame for an answer and then skips the frame silently."""
    for frame in page.frames:
        try:
            if not await frame.evaluate(HAS_AXE_JS):
                await frame.evaluate(axe_source())
        except Exception:
            if frame is page.main_frame:
                raise
            # a frame that detached or navigated meanwhile; axe skips it after its ping times out


async def run_axe(
    page: Any,
    tags: tuple[str, ...] | list[str] = WCAG_TAGS,
    result_types: tuple[str, ...] = ("violations",),
    exclude: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """Run axe on the page as loaded now; returns axe's own result object (a dict).

    `exclude` holds CSS selectors of the main document whose elements axe leaves out (template regions
    already checked on another page, see assessors.templates); page-level rules still see the whole page."""
    await inject_axe(page)
    # Without passes in the result, axe's 'no-passes' reporter skips building them (about 17 % faster).
    reporter = "" if "passes" in result_types else "no-passes"
    raw = await page.evaluate(
        RUN_AXE_JS,
        {"tags": list(tags), "resultTypes": list(result_types), "reporter": reporter, "exclude": list(exclude)},
    )
    return json.loads(raw)


def summarize_violations(result: dict[str, Any], max_nodes: int = 20) -> list[dict[str, Any]]:
    """Violations in the compact shape stored in probes.json: rule, impact, WCAG tags, help, nodes."""
    out = []
    for v in result.get("violations", []):
        nodes = v.get("nodes", [])
        out.append(
            {
                "id": v.get("id", ""),
                "impact": v.get("impact") or "",
                "tags": [t for t in v.get("tags", []) if t.startswith("wcag")],
                "help": v.get("help", ""),
                "helpUrl": v.get("helpUrl", ""),
                "node_count": len(nodes),
                "nodes": [
                    {
                        "target": n.get("target", []),
                        "html": (n.get("html") or "")[:300],
                        "failureSummary": (n.get("failureSummary") or "")[:500],
                    }
                    for n in nodes[:max_nodes]
                ],
            }
        )
    return out


# --------------------------------------------------------------------------- our own checks

# A CSS selector for an element: its id, or a child path up to the nearest ancestor with an id. Shared by the
# page-side scripts here and in assessors.probes.
CSS_PATH_JS = """(el) => {
    if (el.id) return '#' + CSS.escape(el.id);
    const parts = [];
    while (el && el.nodeType === 1 && el !== document.documentElement) {
      let sel = el.localName;
      const p = el.parentElement;
      if (p) { const same = Array.from(p.children).filter(c => c.localName === el.localName);
               if (same.length > 1) sel += ':nth-of-type(' + (same.indexOf(el) + 1) + ')'; }
      parts.unshift(sel);
      if (p && p.id) { parts.unshift('#' + CSS.escape(p.id)); break; }
      el = p;
    }
    return parts.join(' > ');
  }"""

# Collects what the extra checks need in one round trip: declared lang, visible text, and large images
# whose alt text reads like a sentence (a likely image of text, WCAG 1.4.5).
COLLECT_JS = """() => {
  const cssPath = CSS_PATH;
  const images = [];
  for (const img of document.images) {
    const r = img.getBoundingClientRect();
    const alt = (img.getAttribute('alt') || '').trim();
    const words = alt.split(/\\s+/).filter(Boolean).length;
    if (r.width >= 200 && r.height >= 40 && words >= opts_min_words) {
      images.push({target: [cssPath(img)], html: img.outerHTML.slice(0, 300), alt: alt.slice(0, 300),
                   width: Math.round(r.width), height: Math.round(r.height)});
    }
  }
  return JSON.stringify({
    lang: document.documentElement.getAttribute('lang') || '',
    xml_lang: document.documentElement.getAttribute('xml:lang') || '',
    text: (document.body ? document.body.innerText : '').slice(0, 20000),
    images: images,
  });
}""".replace("CSS_PATH", CSS_PATH_JS)
TEXT_IMAGE_MIN_ALT_WORDS = 6


def _detect_language(text: str) -> str:
    try:
        from indicators.language import detect_language  # written by the lexicon owner
    except ImportError:
        detect_language = None
    if detect_language is not None:
        try:
            return (detect_language(text) or "").split("-")[0].lower()
        except Exception:
            return ""
    try:
        from langdetect import DetectorFactory, detect

        DetectorFactory.seed = 0
        return detect(text).split("-")[0].lower()
    except Exception:
        return ""


def primary_subtag(lang: str) -> str:
    return lang.strip().replace("_", "-").split("-")[0].lower()


def extra_checks_from(collected: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """Our checks on what COLLECT_JS returned. Each: id, result (violation | incomplete), help, nodes."""
    checks: list[dict[str, Any]] = []
    declared = primary_subtag(collected.get("lang") or collected.get("xml_lang") or "")
    text = collected.get("text") or ""
    detected = _detect_language(text) if len(text.strip()) >= MIN_TEXT_FOR_LANGUAGE else ""
    html_node = {"target": ["html"], "html": f'<html lang="{collected.get("lang", "")}">'}
    if not declared:
        checks.append(
            {
                "id": "losi-lang-missing",
                "result": "violation",
                "impact": "serious",
                "tags": ["wcag2a", "wcag311"],
                "help": "The page does not declare its language"
                + (f"; its text reads as {detected!r}" if detected else ""),
                "detected": detected,
                "nodes": [html_node],
            }
        )
    elif detected and detected != declared:
        checks.append(
            {
                "id": "losi-lang-mismatch",
                "result": "violation",
                "impact": "serious",
                "tags": ["wcag2a", "wcag311"],
                "help": f"<html lang> says {declared!r} but the page text reads as {detected!r}",
                "declared": declared,
                "detected": detected,
                "nodes": [html_node],
            }
        )
    images = collected.get("images") or []
    if images:
        checks.append(
            {
                "id": "losi-text-image",
                "result": "incomplete",
                "impact": "moderate",
                "tags": ["wcag2aa", "wcag145"],
                "help": "Large images whose alternative text reads like a sentence: possibly images of text",
                "nodes": [{"target": i["target"], "html": i["html"], "alt": i["alt"]} for i in images[:20]],
            }
        )
    return checks


async def run_extra_checks(page: Any) -> list[dict[str, Any]]:
    js = COLLECT_JS.replace("opts_min_words", str(TEXT_IMAGE_MIN_ALT_WORDS))
    collected = json.loads(await page.evaluate(js))
    return extra_checks_from(collected, page.url)
