"""Live-browser probes: measured once per portal after the crawl, stored in probes.json for re-assessment.

One Chromium per call, two contexts (desktop 1366x900 and phone 390x844) whose pages are reused.
Every probe records either its measurements or {"error": "..."}; run_probes itself never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from assessors.axe import CSS_PATH_JS, axe_version, run_extra_checks, summarize_violations
from assessors.browser_pool import NEW_PAGE_SECONDS, NoBrowser, PagePool, chromium, close_quietly, new_page, run_sync
from assessors.engines import LAYOUT_FUNCTION_JS, MIN_READABLE_PX, render_in_engines
from assessors.site import Site
from assessors.templates import SharedTemplates, run_axe_once_per_template
from assessors.vnu import Document, VnuUnavailable, validate
from crawler.links import is_file
from crawler.scope import blocked_address, private_allowed
from losi.deadline import CallTimeout, CapReached, Deadline, bounded
from losi.layout import PortalFiles
from losi.models import Region

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NAV_TIMEOUT_MS = 30_000
SEARCH_WAIT_MS = 10_000
SEARCH_SETTLE_MS = 5_000  # after a script app changed its route, time for its results to arrive
DEFAULT_AXE_PAGES = 8
AXE_WORKERS = 2
# Each probe's own deadline (seconds; the probe set's cap may cut it shorter). Navigations inside use
# NAV_TIMEOUT_MS, so a deadline is what a probe gets when the browser itself stops answering.
STEP_SECONDS = {"contexts": 30.0, "home": 90.0, "browsers": 180.0, "mobile": 75.0, "sitemap-xml": 60.0,
                "search": 75.0, "advanced-search": 75.0, "axe-page": 75.0, "vnu": 180.0}  # fmt: skip
MAX_STYLESHEETS = 40  # stylesheets validated for #209 (linked, inline and imported); more are listed as not checked
MAX_FETCH_BYTES = 5_000_000
MAX_BROWSER_LAUNCHES = 3  # a Chromium that crashes mid-probes is started again, at most this often
BROWSER_PROBES = ("mobile", "search", "advanced-search", "axe", "https", "timing", "browsers", "sitemap-xml")
CERT_FIELDS = ("issuer", "protocol", "subjectName", "validFrom", "validTo")
KEY_REGIONS = (Region.HEADER.value, Region.NAV.value, Region.FOOTER.value)

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- lexicon adapter

# indicators' Lexicon is written in parallel; until a concept exists, lookups return no match and the
# probes and rules fall back to structural signals (input types, roles, form controls).


@cache
def _lexicon() -> Any | None:
    try:
        from indicators.lexicon import Lexicon  # type: ignore[import-not-found]
    except ImportError:
        try:
            from indicators import Lexicon  # type: ignore[attr-defined]
        except ImportError:
            return None
    try:
        return Lexicon.load()
    except Exception:
        return None


def _as_terms(found: Any) -> list[str]:
    if not found:
        return []
    if isinstance(found, str):
        return [found]
    items = found if isinstance(found, (list, tuple, set)) else [found]
    out = []
    for item in items:
        term = item if isinstance(item, str) else getattr(item, "term", None) or getattr(item, "text", None)
        out.append(str(term or "match"))
    return out


def find_terms(concept: str, text: str) -> list[str]:
    """The concept's terms found in text (in any language the lexicon knows); [] without a lexicon."""
    lex = _lexicon()
    if lex is None or not text:
        return []
    try:
        return _as_terms(lex.find(concept, text))
    except Exception:
        return []


def url_matches(concept: str, url: str) -> bool:
    lex = _lexicon()
    if lex is None or not url:
        return False
    try:
        return bool(lex.url_match(concept, url))
    except Exception:
        return False


# --------------------------------------------------------------------------- choices made from the crawl


def query_word(site: Site) -> str:
    """A frequent word of the portal's own page titles (then headings), for the one-word search test.

    Titles come first because every site search indexes them; a word found in many titles (often the
    city's name) must return results on a working search. Words in every title are skipped when there are
    alternatives, as they may be a suffix the search engine ignores.
    """
    in_titles: Counter[str] = Counter()
    in_headings: Counter[str] = Counter()
    for page in site.pages:
        in_titles.update(set(re.findall(r"[^\W\d_]{4,}", page.title.lower())))
        in_headings.update(set(re.findall(r"[^\W\d_]{4,}", page.heading_text().lower())))
    n = len(site.pages)
    ranked = sorted({*in_titles, *in_headings}, key=lambda w: (-in_titles[w], -in_headings[w], -len(w), w))
    for word in ranked:
        if n < 3 or in_titles[word] < n:
            return word
    return ranked[0] if ranked else ""


def key_pages(site: Site, limit: int) -> list[str]:
    """Home page, pages linked from its header/nav/footer, and one page per top-level section."""
    home = site.home
    home_url = site.home_url
    urls: list[str] = [home_url]
    if limit <= 1:
        return urls[:limit]

    def usable(url: str) -> bool:
        if is_file(url) or not url.startswith(("http://", "https://")):
            return False
        page = site.page(url)
        return page is None or page.status < 400

    nav = [link.url for link in (home.links if home else []) if link.internal and link.region in KEY_REGIONS]
    nav = [u for u in dict.fromkeys(nav) if usable(u)]
    crawled = [p.url_key for p in site.pages[1:] if p.status < 400]

    def section(url: str) -> str:
        parts = [p for p in urlsplit(url).path.split("/") if p]
        return parts[0] if parts else ""

    def kept_url(url: str) -> str:
        """A page seen under two URLs is checked once, under the URL the site keeps it ("/", not "/index.html")."""
        page = site.page(url)
        return page.url_key if page is not None else url

    seen_sections = {section(home_url)}
    for url in [*nav, *crawled]:  # one per section first, preferring pages the navigation links to
        url = kept_url(url)
        sec = section(url)
        if sec not in seen_sections and usable(url) and url not in urls:
            seen_sections.add(sec)
            urls.append(url)
    for url in map(kept_url, nav):
        if url not in urls:
            urls.append(url)
    return urls[:limit]


# --------------------------------------------------------------------------- page-side scripts

# Finds the search box: structural signals first, then the texts the lexicon will judge.
FIND_SEARCH_JS = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const cssPath = CSS_PATH;
  const textInputs = Array.from(document.querySelectorAll(
      'input:not([type]), input[type=text], input[type=search]')).filter(visible);
  const out = [];
  for (const inp of textInputs) {
    const form = inp.form;
    const name = (inp.getAttribute('name') || '').toLowerCase();
    let how = '';
    if (inp.type === 'search') how = 'input[type=search]';
    else if (inp.closest('[role=search]')) how = '[role=search]';
    else if (['q', 'query', 'search', 's', 'keyword', 'keywords', 'text', 'searchword'].includes(name))
      how = 'input[name=' + name + ']';
    const labels = [];
    for (const a of ['placeholder', 'aria-label', 'title']) if (inp.getAttribute(a)) labels.push(inp.getAttribute(a));
    if (inp.labels) for (const l of inp.labels) labels.push(l.innerText);
    if (form) for (const b of form.querySelectorAll('button, input[type=submit], input[type=image]'))
      labels.push(b.innerText || b.value || b.getAttribute('aria-label') || b.getAttribute('alt') || '');
    const fields = form ? form.querySelectorAll('input:not([type=hidden]), select, textarea').length : 1;
    const scope = form || inp.parentElement;
    const button = scope ? scope.querySelector('button, input[type=submit], input[type=image], [role=button]') : null;
    out.push({selector: cssPath(inp), how: how, labels: labels.filter(Boolean).join(' | ').slice(0, 300),
              action: form ? form.action : '', fields: fields, html: inp.outerHTML.slice(0, 300),
              button: button ? cssPath(button) : ''});
  }
  return JSON.stringify(out);
}""".replace("CSS_PATH", CSS_PATH_JS)

RESULTS_JS = """(args) => {
  const word = args.word.toLowerCase();
  const home = new Set(args.homeLinks);
  const body = document.body ? document.body.innerText.toLowerCase() : '';
  let occurrences = 0, i = body.indexOf(word);
  while (i !== -1) { occurrences++; i = body.indexOf(word, i + word.length); }
  let newLinks = 0, hits = 0; const sample = [];
  const chrome = 'header, nav, footer, [role=banner], [role=navigation], [role=contentinfo]';
  for (const a of document.querySelectorAll('a[href]')) {
    if (!home.has(a.href)) newLinks++;
    if (a.closest(chrome)) continue;
    const block = (a.closest('li, article, p, div, tr') || a);
    if ((a.innerText + ' ' + block.innerText).toLowerCase().includes(word)) {
      hits++;
      if (sample.length < 5) sample.push({href: a.href, text: a.innerText.trim().slice(0, 120)});
    }
  }
  return JSON.stringify({occurrences, new_links: newLinks, hits, sample, links: document.links.length,
                         title: document.title});
}"""

FORM_CONTROLS_JS = """(word) => {
  const cssPath = CSS_PATH;
  word = (word || '').toLowerCase();
  const out = [];
  for (const f of document.querySelectorAll('form, [role=search]')) {
    const inputs = Array.from(f.querySelectorAll('input:not([type=hidden]), select, textarea'));
    const hasQuery = inputs.some(i => (i.value || '').toLowerCase() === word && word);
    const isSearch = f.getAttribute('role') === 'search' || !!f.querySelector('input[type=search]');
    const c = {select: 0, date: 0, checkbox: 0, radio: 0, text: 0};
    const labels = [];
    for (const i of inputs) {
      const t = i.tagName === 'SELECT' ? 'select' : (i.type || 'text');
      if (t === 'select' && i.options.length > 1) c.select++;
      else if (['date', 'month', 'week', 'datetime-local'].includes(t)) c.date++;
      else if (t === 'checkbox') c.checkbox++;
      else if (t === 'radio') c.radio++;
      else if (['text', 'search'].includes(t)) c.text++;
      if (i.labels) for (const l of i.labels) labels.push(l.innerText);
      for (const a of ['placeholder', 'aria-label', 'title', 'name'])
        if (i.getAttribute(a)) labels.push(i.getAttribute(a));
      if (t === 'select') labels.push(Array.from(i.options).slice(0, 10).map(o => o.text).join(' '));
    }
    for (const l of f.querySelectorAll('legend')) labels.push(l.innerText);
    out.push({selector: cssPath(f), action: f.action || '', has_query: hasQuery, is_search: isSearch, controls: c,
              labels: labels.join(' | ').slice(0, 1000)});
  }
  const links = Array.from(document.querySelectorAll('a[href]')).slice(0, 500)
      .map(a => ({href: a.href, text: (a.innerText || a.getAttribute('aria-label') || '').trim().slice(0, 100)}));
  return JSON.stringify({forms: out, links});
}""".replace("CSS_PATH", CSS_PATH_JS)

STYLESHEETS_JS = """() => Array.from(document.querySelectorAll('link[rel~=stylesheet i][href]')).map(l => l.href)"""
PAGE_TEXT_JS = "() => document.body ? document.body.innerText.slice(0, 20000) : ''"
NAV_TIMING_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return JSON.stringify(n ? n.toJSON() : performance.timing.toJSON());
}"""


# --------------------------------------------------------------------------- the run


def run_probes(
    site: Site,
    files: PortalFiles,
    progress: Progress | None = None,
    *,
    axe_pages: int = DEFAULT_AXE_PAGES,
    cap_seconds: float | None = None,
) -> dict[str, Any]:
    """Run every probe on the portal's home (and key) pages, write files.probes and return the dict.

    The whole set has a cap (cap_seconds, default the portal's limits.probe_seconds) and each probe a deadline
    of its own; a probe that misses either records why ({"error": "... time cap ..."}) and the probes done
    before it are kept. Never raises, never waits past the cap (plus a short grace to stop the browser)."""
    say = progress or (lambda _msg: None)
    home = site.home_url
    cap = float(cap_seconds if cap_seconds is not None else site.portal.limits.probe_seconds)
    deadline = Deadline(cap, "probe")
    out: dict[str, Any] = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "home_url": home}
    started = time.monotonic()
    try:
        run_sync(lambda: _run_all(site, files, say, axe_pages, out, deadline), cap_seconds=cap)
    except NoBrowser as exc:
        say(f"probes: no browser ({exc})")
        for name in BROWSER_PROBES:
            out[name] = {"error": "no browser", "detail": str(exc)}
        out["vnu"] = _vnu_without_browser(home, private_allowed(site.portal))
    except Exception as exc:  # a broken page or browser must not stop the batch
        say(f"probes failed: {exc}")
        for name in (*BROWSER_PROBES, "vnu"):
            out.setdefault(name, {"error": f"probe run failed: {type(exc).__name__}: {exc}"[:500]})
    out = dict(out)  # a snapshot: a browser job abandoned at the cap may still write into the original
    if deadline.expired():
        out["capped"] = deadline.reason
        say(f"probes: {deadline.reason}; the probes done before it are kept")
    for name in (*BROWSER_PROBES, "vnu"):
        out.setdefault(name, {"error": f"not run: {deadline.reason}" if deadline.expired() else "not run"})
    out["seconds"] = round(time.monotonic() - started, 2)
    try:
        files.root.mkdir(parents=True, exist_ok=True)
        files.probes.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:
        say(f"probes: could not write {files.probes}: {exc}")
    return out


class BrowserCrashed(Exception):
    """Chromium went away during a probe; the probes not yet done run again in a new browser."""


class _Steps:
    """Runs each probe within its own deadline and the probe set's cap, recording a result or the reason.

    A probe whose browser died under it does not count as done: its result is replaced by the crash and
    BrowserCrashed ends this browser's sequence, so the next browser runs it (and what follows) again."""

    def __init__(self, out: dict[str, Any], say: Progress, deadline: Deadline):
        self.out, self.say, self.deadline = out, say, deadline
        self.done: set[str] = set()
        self.browser: Any = None

    async def run(self, name: str, make: Callable[[], Any], seconds: float, into: dict[str, Any] | None = None,
                  again: bool = False) -> bool:  # fmt: skip
        """True when the probe answered (with a result or an error of its own); False when it missed a deadline.

        A probe done in an earlier browser is skipped unless `again` (the home page is loaded in each)."""
        if name in self.done and not again:
            return True
        target = self.out if into is None else into
        self.say(f"probe {name}")
        if self.deadline.expired():
            target[name] = {"error": f"not run: {self.deadline.reason}", "capped": True}
            return False
        answered = True
        try:
            target[name] = await bounded(make(), self.deadline.within(seconds), f"probe {name}")
        except CallTimeout as exc:
            why = f"{exc} ({self.deadline.reason})" if self.deadline.expired() else str(exc)
            target[name] = {"error": why, "capped": True}
            answered = False
        except Exception as exc:
            target[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if self.browser is not None and not await _alive(self.browser):
            target[name] = {"error": "Chromium crashed during this probe", "crashed": True}
            raise BrowserCrashed(name)
        self.done.add(name)
        return answered


async def _alive(browser: Any) -> bool:
    """Whether the browser still answers: a crash shows as failed page calls before Playwright notices it."""
    if not browser.is_connected():
        return False
    try:
        context = await bounded(browser.new_context(), NEW_PAGE_SECONDS, "checking that Chromium answers")
    except Exception:
        return False
    await close_quietly(context)
    return True


async def _fresh_page(context: Any, page: Any) -> Any:
    """Close a page that missed a deadline (or crashed) and open another in its place."""
    await close_quietly(page)
    return await new_page(context)


async def _run_all(
    site: Site, files: PortalFiles, say: Progress, axe_pages: int, out: dict[str, Any], deadline: Deadline
) -> None:
    """The probes in one browser; when Chromium crashes, a new one runs the probes not yet done."""
    files.screenshots.mkdir(parents=True, exist_ok=True)
    steps = _Steps(out, say, deadline)
    vnu: dict[str, asyncio.Task[dict[str, Any]]] = {}
    crashes: list[str] = []
    while True:
        try:
            await _run_in_browser(site, files, say, axe_pages, out, steps, vnu)
            return
        except BrowserCrashed as crash:
            crashes.append(str(crash))
            out.setdefault("browser", {})["crashes"] = list(crashes)
            if len(crashes) >= MAX_BROWSER_LAUNCHES or deadline.expired():
                say(f"probes: Chromium crashed {len(crashes)} times; the probes not done are left")
                for name in (*BROWSER_PROBES, "vnu"):
                    if name not in steps.done:
                        out.setdefault(name, {"error": f"not run: Chromium crashed {len(crashes)} times"})
                return
            say(f"probes: Chromium crashed during probe {crash}; starting it again for the probes not done")


async def _run_in_browser(
    site: Site, files: PortalFiles, say: Progress, axe_pages: int, out: dict[str, Any], steps: _Steps,
    vnu: dict[str, asyncio.Task[dict[str, Any]]],
) -> None:  # fmt: skip
    home = site.home_url
    deadline = steps.deadline
    async with chromium() as browser:
        out.setdefault("browser", {}).update({"engine": "chromium", "version": browser.version})
        steps.browser = browser
        allowed = private_allowed(site.portal)
        desktop, phone = await bounded(_open_contexts(browser, allowed), STEP_SECONDS["contexts"], "opening contexts")
        try:
            page = await new_page(desktop)
            loaded: dict[str, Any] = {}
            if not await steps.run("home", lambda: _load_home(page, home, files), STEP_SECONDS["home"], loaded,
                                   again=True):  # fmt: skip
                page = await _fresh_page(desktop, page)
            state = loaded.get("home") or {}
            if cert_error := re.search(r"net::ERR_CERT_[A-Z_]+", str(state.get("error", ""))):
                # Chromium refused the certificate: record that, and let the other probes see the page anyway.
                say(f"probe home: certificate refused ({cert_error.group(0)}), loading it again without the check")
                await close_quietly(desktop)
                await close_quietly(phone)
                desktop, phone = await bounded(_open_contexts(browser, allowed, ignore_https_errors=True),
                                               STEP_SECONDS["contexts"], "opening contexts")  # fmt: skip
                page = await new_page(desktop)
                cert = cert_error.group(0)
                if not await steps.run("home", lambda: _load_home(page, home, files, cert), STEP_SECONDS["home"],
                                       loaded, again=True):  # fmt: skip
                    page = await _fresh_page(desktop, page)
                state = loaded.get("home") or {}
            if "error" in state:
                for name in ("https", "timing", "browsers"):
                    out[name] = {"error": f"home page did not load: {state['error']}"}
            else:
                if "browsers" not in steps.done:  # a page loaded in a later browser does not replace the first
                    out["https"] = state["https"]
                    out["timing"] = state["timing"]
                if not await steps.run("browsers", lambda: _browsers_probe(state, page, home, files, allowed),
                                       STEP_SECONDS["browsers"]):  # fmt: skip
                    page = await _fresh_page(desktop, page)
            if "vnu" not in vnu:
                vnu["vnu"] = asyncio.create_task(asyncio.to_thread(_vnu_probe, state, home, allowed))
            vnu_task = vnu["vnu"]

            async def mobile() -> dict[str, Any]:
                return await _mobile_probe(page, await new_page(phone), home, files, state)

            await steps.run("mobile", mobile, STEP_SECONDS["mobile"])
            await steps.run("sitemap-xml", lambda: _sitemap_xml_probe(desktop, home), STEP_SECONDS["sitemap-xml"])
            if not await steps.run("search", lambda: _search_probe(page, home, site, files, state),
                                   STEP_SECONDS["search"]):  # fmt: skip
                page = await _fresh_page(desktop, page)
            if not await steps.run("advanced-search", lambda: _advanced_search_probe(page, out.get("search") or {}),
                                   STEP_SECONDS["advanced-search"]):  # fmt: skip
                page = await _fresh_page(desktop, page)
            await close_quietly(page)
            urls = key_pages(site, axe_pages)
            axe_seconds = STEP_SECONDS["axe-page"] * max(1, len(urls)) / AXE_WORKERS + STEP_SECONDS["axe-page"]
            await steps.run("axe", lambda: _axe_probe(desktop, urls, say, deadline), axe_seconds)
            steps.browser = None  # the validator runs outside the browser
            await steps.run("vnu", lambda: asyncio.shield(vnu_task), STEP_SECONDS["vnu"])
        finally:
            steps.browser = None
            await close_quietly(desktop)
            await close_quietly(phone)


async def _open_contexts(browser: Any, allowed: Any, ignore_https_errors: bool = False) -> tuple[Any, Any]:
    """The desktop and the phone browser contexts every probe runs in, both behind the private-address guard."""
    desktop = await browser.new_context(viewport=DESKTOP, ignore_https_errors=ignore_https_errors)
    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                      ignore_https_errors=ignore_https_errors)  # fmt: skip
    for context in (desktop, phone):
        await _guard_private(context, allowed)
    return desktop, phone


async def _guard_private(context: Any, allowed: Any) -> None:
    """Crawled pages are untrusted: their frames, scripts and fetches may not reach private addresses
    other than the portal's own (when the user named a private portal)."""

    async def route(request_route: Any) -> None:
        if blocked_address(request_route.request.url, allowed):
            await request_route.abort("blockedbyclient")
        else:
            await request_route.continue_()

    await context.route("**/*", route)


async def _load_home(page: Any, url: str, files: PortalFiles, certificate_error: str = "") -> dict[str, Any]:
    """Load the home page once and measure it. certificate_error: Chromium's error when it refused the
    certificate on a first load (this load then runs in a context that ignores certificate errors)."""
    requests: list[Any] = []
    console: list[str] = []
    listeners = {
        "requestfinished": lambda r: requests.append(r),
        "console": lambda m: console.append(m.text[:300]) if m.type == "error" else None,
        "pageerror": lambda e: console.append(str(e)[:300]),
    }
    for event, fn in listeners.items():
        page.on(event, fn)
    started = time.monotonic()
    try:
        response = await page.goto(url, wait_until="load", timeout=NAV_TIMEOUT_MS)
    finally:
        load_seconds = round(time.monotonic() - started, 3)
        for event, fn in listeners.items():
            page.remove_listener(event, fn)
    if response is None:
        raise RuntimeError("no response for the home page")
    headers = await response.all_headers()
    final = page.url
    body = await response.body()
    layout = json.loads(await page.evaluate(LAYOUT_FUNCTION_JS))  # also the Chromium entry of #201
    shot = files.screenshots / "home-desktop.png"
    await page.screenshot(path=str(shot))
    by_type: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    insecure: list[str] = []
    for req in requests:
        try:
            sizes = await req.sizes()
            size = sizes.get("responseBodySize", 0) + sizes.get("responseHeadersSize", 0)
        except Exception:
            size = 0
        by_type[req.resource_type] += max(size, 0)
        counts[req.resource_type] += 1
        if final.startswith("https://") and req.url.startswith("http://"):
            insecure.append(req.url)
    security = None
    if final.startswith("https://"):
        try:
            security = await response.security_details()
        except Exception:
            security = None
    cert = {k: security.get(k) for k in CERT_FIELDS} if security else {}
    if certificate_error:
        certificate: dict[str, Any] | None = {"valid": False, "error": certificate_error, **cert}
    else:  # a page loaded over https without ignore_https_errors had a certificate Chromium accepted
        certificate = {"valid": True, **cert} if security else None
    timing = json.loads(await page.evaluate(NAV_TIMING_JS))
    keep = ("domContentLoadedEventEnd", "loadEventEnd", "responseEnd", "responseStart", "duration", "transferSize")
    return {
        "final_url": final,
        "status": response.status,
        "html": body,
        "stylesheets": await page.evaluate(STYLESHEETS_JS),
        "home_links": await page.evaluate("() => Array.from(document.links).map(a => a.href)"),
        "https": {
            "scheme": urlsplit(final).scheme,
            "status": response.status,
            "hsts": headers.get("strict-transport-security", ""),
            "mixed_content": insecure[:50],
            "mixed_content_count": len(insecure),
            "certificate": certificate,
        },
        "timing": {
            "load_seconds": load_seconds,
            "navigation": {k: timing.get(k) for k in keep if k in timing},
            "bytes_by_type": dict(by_type),
            "requests_by_type": dict(counts),
            "total_bytes": sum(by_type.values()),
            "requests": len(requests),
        },
        "chromium": {"console_errors": console[:50], "layout_width": layout["scroll_width"], "desktop": layout,
                     "screenshot": _rel(shot, files)},
    }


def _error_text(exc: BaseException) -> str:
    """One line for a failed check: our own deadline messages as they are, others with their type."""
    if isinstance(exc, CapReached):
        return str(exc)[:300]
    return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:300]


def _rel(path: Any, files: PortalFiles) -> str:
    try:
        return str(path.relative_to(files.root))
    except ValueError:
        return str(path)


async def _mobile_probe(desktop_page: Any, page: Any, url: str, files: PortalFiles, state: dict) -> dict[str, Any]:
    try:
        await page.goto(url, wait_until="load", timeout=NAV_TIMEOUT_MS)
        phone = json.loads(await page.evaluate(LAYOUT_FUNCTION_JS))
        shot = files.screenshots / "home-phone.png"
        await page.screenshot(path=str(shot))
    finally:
        await page.close()
    desktop = (state.get("chromium") or {}).get("desktop") or {}
    meta = phone["viewport_meta"]
    device_width = bool(meta and re.search(r"width\s*=\s*device-width", meta, re.I))
    small_share = phone["small_text_chars"] / phone["sized_text_chars"] if phone["sized_text_chars"] else 0.0
    return {
        "viewport": PHONE,
        "viewport_meta": meta,
        "device_width": device_width,
        "phone": phone,
        "desktop": desktop,
        "horizontal_scroll": phone["scroll_width"] > PHONE["width"] + 1 and not phone.get("clipped_x"),
        "clipped_x": phone.get("clipped_x", False),
        "overflow_px": phone.get("overflow_px", max(0, phone["scroll_width"] - PHONE["width"])),
        "overflow_roots": phone.get("overflow_roots"),
        "overflowing": phone.get("overflowing", []),
        "min_font_px": phone["min_font_px"],
        "small_text_share": round(small_share, 4),
        "min_readable_px": MIN_READABLE_PX,
        "screenshot_phone": _rel(shot, files),
        "screenshot_desktop": (state.get("chromium") or {}).get("screenshot", ""),
    }


async def _browsers_probe(
    state: dict[str, Any], page: Any, home: str, files: PortalFiles, allowed: Any
) -> dict[str, Any]:
    """The home page in Chromium (from its load above) and in Firefox and WebKit (assessors.engines)."""
    chromium_state = state["chromium"]
    chromium_entry: dict[str, Any] = {"console_errors": chromium_state["console_errors"],
                                      "layout_width": chromium_state["layout_width"],
                                      "screenshot": chromium_state.get("screenshot", "")}  # fmt: skip
    if chromium_state.get("desktop"):  # measured by the same layout script as the other engines, on the home load
        chromium_entry["layout"] = chromium_state["desktop"]
    try:
        chromium_entry["version"] = f"Chromium {page.context.browser.version}"
    except Exception as exc:
        chromium_entry["version_error"] = f"{type(exc).__name__}: {exc}"[:300]
    url = state.get("final_url") or home  # where the home page landed after redirects
    # when Chromium refused the certificate (and loaded the page anyway), the others compare rendering too
    refused = ((state.get("https") or {}).get("certificate") or {}).get("valid") is False
    others = await render_in_engines(url, DESKTOP, files.screenshots, allowed, accept_insecure_certs=refused)
    for entry in others.values():
        if entry.get("screenshot"):
            entry["screenshot"] = _rel(Path(entry["screenshot"]), files)
    engines = {"chromium": chromium_entry, **others}
    return {"engines": engines, "available": [e for e in engines if "error" not in engines[e]],
            "checked": list(engines), "url": url, "viewport": DESKTOP}  # fmt: skip


async def _sitemap_xml_probe(context: Any, home: str) -> dict[str, Any]:
    origin = f"{urlsplit(home).scheme}://{urlsplit(home).netloc}"
    declared: list[str] = []
    robots = await context.request.get(origin + "/robots.txt", timeout=15_000, fail_on_status_code=False)
    if robots.ok:
        text = (await robots.body())[:200_000].decode("utf-8", "replace")
        declared = [m.strip() for m in re.findall(r"(?im)^\s*sitemap\s*:\s*(\S+)", text)]
    checked = []
    for url in list(dict.fromkeys([*declared[:3], origin + "/sitemap.xml"])):
        try:
            resp = await context.request.get(url, timeout=15_000, fail_on_status_code=False)
            body = (await resp.body())[:MAX_FETCH_BYTES] if resp.ok else b""
            checked.append({"url": url, "status": resp.status, "locs": body.count(b"<loc")})
        except Exception as exc:
            checked.append({"url": url, "error": str(exc)[:200]})
    found = [c["url"] for c in checked if c.get("status") == 200 and c.get("locs", 0) > 0]
    return {"robots_sitemaps": declared, "checked": checked, "found": found}


# --------------------------------------------------------------------------- search


async def _find_search_box(page: Any) -> dict[str, Any] | None:
    candidates = json.loads(await page.evaluate(FIND_SEARCH_JS))
    for c in candidates:  # structural signals are the strongest
        if c["how"]:
            return c
    for c in candidates:
        terms = find_terms("search", c["labels"])
        if terms or url_matches("search", c["action"]):
            c["how"] = f"lexicon: {', '.join(terms) or 'action URL'}"
            return c
    return None


async def _search_probe(page: Any, home: str, site: Site, files: PortalFiles, state: dict) -> dict[str, Any]:
    if page.url != (state.get("final_url") or home):
        await page.goto(home, wait_until="load", timeout=NAV_TIMEOUT_MS)
    box = await _find_search_box(page)
    if box is None:
        looked_for = ["input[type=search]", "[role=search] input", "input[name=q|query|search|s]",
                      "lexicon concept 'search' in labels/placeholder/button text"]
        return {"found": False, "looked_for": looked_for}
    word = query_word(site)
    result: dict[str, Any] = {"found": True, "box": box, "query": word}
    if not word:
        result["error"] = "no word to search for: the crawl found no titles or headings"
        return result
    home_links = state.get("home_links") or await page.evaluate("() => Array.from(document.links).map(a => a.href)")
    before = page.url
    on_home = json.loads(await page.evaluate(RESULTS_JS, {"word": word, "homeLinks": home_links}))
    status = None
    field = page.locator(box["selector"]).first
    await field.fill(word, timeout=5_000)
    before_text = await page.evaluate(PAGE_TEXT_JS)
    try:
        async with page.expect_navigation(timeout=SEARCH_WAIT_MS, wait_until="load") as nav:
            await field.press("Enter")
        response = await nav.value
        status = response.status if response else None
    except Exception:
        # No page load: a script app changes its route or writes the results into the page. Wait for that,
        # and when Enter did nothing, press the form's own button.
        if not await _settled(page, before, before_text) and box.get("button"):
            with contextlib.suppress(Exception):
                await page.locator(box["button"]).first.click(timeout=5_000)
            await _settled(page, before, before_text)
        with contextlib.suppress(Exception):
            await page.wait_for_load_state("networkidle", timeout=SEARCH_SETTLE_MS)
    measured = json.loads(await page.evaluate(RESULTS_JS, {"word": word, "homeLinks": home_links}))
    nothing = find_terms("no-results", await page.evaluate(PAGE_TEXT_JS))
    shot = files.screenshots / "search-results.png"
    await page.screenshot(path=str(shot))
    ok_status = status is None or status < 400
    # Result links outside the page chrome that mention the word; a page that merely looks like the home
    # page again must show more of them than the home page did.
    query_in_url = page.url != before and word in unquote(page.url).lower()
    baseline = 0 if query_in_url else on_home["hits"]
    results = ok_status and measured["hits"] > baseline and not nothing
    result.update(
        {
            "nothing_found": nothing[:3],
            "result_url": page.url,
            "navigated": page.url != before,
            "status": status,
            "hits": measured["hits"],
            "hits_on_home": on_home["hits"],
            "occurrences": measured["occurrences"],
            "new_links": measured["new_links"],
            "sample": measured["sample"],
            "results": bool(results),
            "screenshot": _rel(shot, files),
        }
    )
    return result


async def _changed(page: Any, url: str, text: str) -> bool:
    """Wait (up to SEARCH_WAIT_MS) for the page's address or its text to change; say whether it did."""
    try:
        await page.wait_for_function(
            "([url, text]) => location.href !== url || (document.body ? document.body.innerText : '') !== text",
            arg=[url, text], timeout=SEARCH_WAIT_MS,
        )  # fmt: skip
        return True
    except Exception:
        return False


async def _settled(page: Any, url: str, text: str) -> bool:
    """Wait for the search to show something: the address or the text changes; when only the address did (a
    script app's route), its results are still on their way, so wait for the text too."""
    if not await _changed(page, url, text):
        return False
    if page.url != url and await page.evaluate(PAGE_TEXT_JS) == text:
        await _changed(page, page.url, text)
    return True


async def _advanced_search_probe(page: Any, search: dict[str, Any]) -> dict[str, Any]:
    if "error" in search and not search.get("found"):
        return {"error": f"the search probe failed: {search['error']}"}  # e.g. the home page did not load
    if not search.get("found"):
        return {"error": "no search box on the home page"}
    word = search.get("query", "")
    pages_checked = [page.url]
    data = json.loads(await page.evaluate(FORM_CONTROLS_JS, word))
    controls, terms, forms = _refine_controls(data)
    link = next((lk for lk in data["links"] if find_terms("advanced-search", lk["text"])
                 or url_matches("advanced-search", lk["href"])), None)
    if link and not any(controls.values()):
        try:
            await page.goto(link["href"], wait_until="load", timeout=NAV_TIMEOUT_MS)
            pages_checked.append(page.url)
            data = json.loads(await page.evaluate(FORM_CONTROLS_JS, ""))
            data["forms"] = [dict(f, is_search=True) for f in data["forms"] if f["controls"]["text"]]
            controls, terms2, forms = _refine_controls(data)
            terms = sorted({*terms, *terms2})
        except Exception as exc:
            return {"error": f"advanced search link did not load: {exc}"[:300], "link": link}
    return {"pages": pages_checked, "controls": controls, "terms": terms, "link": link, "forms": forms[:5],
            "options": sum(controls.values())}


def _refine_controls(data: dict[str, Any]) -> tuple[dict[str, int], list[str], list[dict[str, Any]]]:
    forms = [f for f in data["forms"] if f["has_query"] or f["is_search"]]
    controls = Counter[str]()
    for f in forms:
        c = f["controls"]
        controls.update({k: c[k] for k in ("select", "date", "checkbox", "radio")})
        controls["extra_text"] += max(0, c["text"] - 1)  # e.g. separate "exact phrase" / "exclude" fields
    terms = sorted({t for f in forms for t in find_terms("advanced-search", f["labels"])})
    return dict(controls), terms, forms


# --------------------------------------------------------------------------- axe


async def _axe_probe(context: Any, urls: list[str], say: Progress, deadline: Deadline | None = None) -> dict[str, Any]:
    version = axe_version()
    if not version:
        return {"error": "axe-core not found (vendor/axe.min.js or LOSI_AXE)"}

    templates = SharedTemplates()  # the portal's header, navigation and footer are checked once

    async def check(page: Any, url: str) -> dict[str, Any]:
        say(f"axe {url}")
        response = await page.goto(url, wait_until="load", timeout=NAV_TIMEOUT_MS)
        result, left_out = await run_axe_once_per_template(page, url, templates, result_types=("violations",))
        violations = summarize_violations(result)
        return {
            "url": url,
            "final_url": page.url,
            "status": response.status if response else None,
            "violations": violations,
            "violation_count": len(violations),
            "violation_nodes": sum(v["node_count"] for v in violations),
            "incomplete_count": len(result.get("incomplete", [])),
            "passes_count": len(result.get("passes", [])),
            "losi_checks": await run_extra_checks(page),
            "template_excluded": left_out,
        }

    pool = PagePool(context, workers=AXE_WORKERS, recycle_after=25, item_seconds=STEP_SECONDS["axe-page"],
                    deadline=deadline)
    results = await pool.map(urls, check)
    pages = [r if isinstance(r, dict) else {"url": u, "error": _error_text(r)}
             for u, r in zip(urls, results, strict=True)]
    ok = [p for p in pages if "error" not in p]
    rules = Counter(v["id"] for p in ok for v in p["violations"])
    return {
        "axe_version": version,
        "tags": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
        "pages": pages,
        "pages_checked": len(ok),
        "violations_total": sum(p["violation_count"] for p in ok),
        "violation_nodes_total": sum(p["violation_nodes"] for p in ok),
        "rules": dict(rules),
    }


# --------------------------------------------------------------------------- vnu


def _vnu_probe(state: dict[str, Any], home: str, allowed: Any = None) -> dict[str, Any]:
    html = state.get("html")
    if not html:
        return _vnu_without_browser(home, allowed)
    return _validate(home, html, _stylesheets(home, html, state.get("stylesheets", []), allowed))


STYLE_BLOCK = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S)
CSS_IMPORT = re.compile(rb"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""", re.I)


def _stylesheets(home: str, html: bytes, linked: list[str], allowed: Any = None) -> list[tuple[str, bytes | None]]:
    """Every stylesheet of the home page, as the W3C CSS validator reads a page: each linked sheet, each inline
    <style> block and the sheets they @import (one level); None for a sheet that could not be read."""
    sheets: list[tuple[str, bytes | None]] = []
    seen: set[str] = set()

    def add(url: str, body: bytes | None) -> None:
        if url not in seen:
            seen.add(url)
            sheets.append((url, body))

    for number, m in enumerate(STYLE_BLOCK.finditer(html[:MAX_FETCH_BYTES]), start=1):
        add(f"{home}#style-{number}", m.group(1))
    for url in linked:
        add(url, _fetch(url, allowed) if len(seen) < MAX_STYLESHEETS else b"")
    for url, body in list(sheets):
        for m in CSS_IMPORT.finditer(body or b""):
            target = urljoin(url.split("#style-")[0], m.group(1).decode("utf-8", "replace"))
            add(target, _fetch(target, allowed) if len(seen) < MAX_STYLESHEETS else b"")
    return sheets


def _validate(home: str, html: bytes, sheets: list[tuple[str, bytes | None]]) -> dict[str, Any]:
    """vnu over the home page and its stylesheets; an empty body marks a sheet left out past MAX_STYLESHEETS."""
    docs = [Document(home, "html", html)] + [Document(u, "css", b) for u, b in sheets if b]
    try:
        report = validate(docs)
    except VnuUnavailable as exc:
        return {"error": str(exc)}
    report["stylesheets_checked"] = [u for u, b in sheets if b]
    report["stylesheets_unreadable"] = [u for u, b in sheets if b is None]
    report["stylesheets_not_checked"] = [u for u, b in sheets if b == b""]
    return report


def _fetch(url: str, allowed: Any = None) -> bytes | None:
    """url's body (capped), or None; never from a private address the user did not name."""
    if not url.startswith(("http://", "https://")) or blocked_address(url, allowed):
        return None
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.read(MAX_FETCH_BYTES)
    except Exception:
        return None


def _vnu_without_browser(home: str, allowed: Any = None) -> dict[str, Any]:
    html = _fetch(home, allowed)
    if html is None:
        return {"error": f"could not fetch {home} for validation"}
    hrefs = re.findall(rb"""<link[^>]+rel=["']?stylesheet[^>]*>""", html[:MAX_FETCH_BYTES], re.I)
    linked = []
    for tag in hrefs:
        if m := re.search(rb"""href=["']?([^"' >]+)""", tag):
            linked.append(urljoin(home, m.group(1).decode("utf-8", "replace")))
    return _validate(home, html, _stylesheets(home, html, linked, allowed))
