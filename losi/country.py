"""Assess a country bundle: crawl each of its sites with its own budget, run the browser probes on the national
portal, assess every item of the national catalog over all the sites together and store the result as one
portal whose id is the country code.

    <data_dir>/runs/<run>/<COUNTRY>/bundle.json          every site: roles, sectors, pages, reached, reason
    <data_dir>/runs/<run>/<COUNTRY>/sites/<site id>/     that site's crawl (job, WARC, captures, crawl.json)
    <data_dir>/runs/<run>/<COUNTRY>/probes.json          the national portal's probes (and screenshots/)

A site that cannot be reached does not stop the others: its items are not_assessed with the reason
(assessors/country.py). `losi run` reaches this through pipeline.assess_portal for a PortalConfig with sites.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assessors.bundle import BundlePart, merge_sites
from assessors.site import Site
from indicators.catalog import load_catalog
from losi.deadline import CapReached, Deadline
from losi.layout import PortalFiles, portal_files
from losi.models import PortalConfig, Verdict
from losi.store import ClaimLost, Store

if TYPE_CHECKING:
    from crawler.runner import BackgroundCrawl
    from losi.pipeline import PortalOutcome, RunOptions

BUNDLE_FILE = "bundle.json"


def site_files(files: PortalFiles, site_id: str) -> PortalFiles:
    return PortalFiles(files.root / "sites" / site_id)


def site_config(portal: PortalConfig, part: BundlePart) -> PortalConfig:
    """One site of the bundle as a portal of its own: the bundle's languages, limits and politeness."""
    return replace(
        portal,
        id=f"{portal.id}.{part.id}",
        home_url=part.url,
        seeds=[],
        domains=[],
        linked_portals=portal.linked_portals if "national" in part.roles else [],
        limits=replace(portal.limits),
        sites=[],
    )


def read_bundle_status(root: Path) -> list[dict]:
    """The sites of an assessed bundle as bundle.json records them ([] when there is none)."""
    try:
        data = json.loads((root / BUNDLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data.get("sites", []) if isinstance(data, dict) else []


@dataclass
class _ParseClock:
    """The assessment cap, shared by parsing every site and checking the items: a clock that runs only while
    they do (the crawls and probes between them have caps of their own)."""

    seconds: float
    spent: float = 0.0
    hit: str = ""

    def resume(self) -> Deadline:
        return Deadline(self.seconds, "assessment", started=time.monotonic() - self.spent, hit=self.hit)

    def stop(self, deadline: Deadline) -> None:
        self.spent, self.hit = deadline.elapsed(), self.hit or deadline.hit


def assess_country(
    store: Store, run_id: str, portal: PortalConfig, options: RunOptions, prefix: str
) -> PortalOutcome:
    """Crawl every site of the bundle (each within its own limits), probe the national portal, assess the
    bundle. The same caps and stage events as one portal (losi.pipeline.assess_portal): a parallel run
    watches each stage against its cap, and the assessment stops at limits.assess_seconds."""
    from losi.pipeline import PortalOutcome, _not_assessed, _probes_for, assess_within, stage_events

    progress = options.progress
    tell = stage_events(options, portal.id)

    files = portal_files(options.data_dir, run_id, portal.id)
    files.root.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(portal.framework)
    started = time.monotonic()
    caps: list[str] = []
    try:
        parsing = _ParseClock(portal.limits.assess_seconds)
        crawled = [_crawl_site(portal, BundlePart.from_config(raw), files, options, prefix, tell, parsing)
                   for raw in portal.sites]  # fmt: skip
        if parsing.hit:
            caps.append(parsing.hit)
        bundle = merge_sites(portal, crawled)
        bundle.portal_dir = files.root
        parts = bundle.parts
        _write_status(files.root, parts)
        unreached = [p for p in parts if not p.reached]
        if not bundle.pages:
            reason = "no site of the bundle could be reached: " + "; ".join(f"{p.label()}: {p.reason}" for p in parts)
            return _not_assessed(store, run_id, portal, catalog, reason, prefix, progress, tell)
        store.set_portal_status(run_id, portal.id, "crawled", pages_count=len(bundle.pages),
                                crawl_seconds=time.monotonic() - started)  # fmt: skip
        store.save_pages(run_id, portal.id, bundle.pages)
        tell(pages=len(bundle.pages))
        national = next((s for p, s in crawled if "national" in p.roles and s is not None), None)
        if national is not None and options.probes:
            source = portal_files(options.data_dir, options.from_run, portal.id) if options.from_run else files
            bundle.probes = _probes_for(national, files, source, prefix, progress, tell)
            if bundle.probes.get("capped"):
                caps.append(str(bundle.probes["capped"]))
        progress(f"{prefix}: assessing {len(catalog.indicators)} indicators on {len(bundle.pages)} pages of "
                 f"{len(parts) - len(unreached)} site(s)")  # fmt: skip
        # the assessment cap covers parsing every site and checking the items, not the crawls and probes between
        assessing = parsing.resume()
        tell(stage="assess", cap=assessing.remaining())
        findings = assess_within(bundle, catalog, assessing, caps)
        store.save_findings(run_id, portal.id, catalog.id, findings)
        reasons = [*(f"not reached: {p.label()}: {p.reason}" for p in unreached), *caps]
        reason = "; ".join(reasons)
        store.set_portal_status(run_id, portal.id, "assessed", reason=reason)
        met = sum(f.verdict == Verdict.MET for f in findings)
        progress(f"{prefix}: {met} of {len(findings)} indicators met ({time.monotonic() - started:.1f} s)")
        tell(stage="done", pages=len(bundle.pages))
        return PortalOutcome(portal.id, "assessed", reason=reason, pages=len(bundle.pages), met=met,
                             total=len(findings))  # fmt: skip
    except CapReached as exc:
        return _not_assessed(store, run_id, portal, catalog, str(exc), prefix, progress, tell)
    except ClaimLost:  # a distributed worker whose country another worker took over: nothing of it is stored
        raise
    except Exception as exc:  # one country never stops the batch
        (files.root / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        reason = f"internal error while assessing: {type(exc).__name__}: {exc} (details in {files.root}/error.txt)"
        return _not_assessed(store, run_id, portal, catalog, reason, prefix, progress, tell)


def _crawl_site(
    portal: PortalConfig, part: BundlePart, files: PortalFiles, options: RunOptions, prefix: str,
    tell: Callable[..., None], parsing: _ParseClock,
) -> tuple[BundlePart, Site | None]:  # fmt: skip
    """Crawl (or take from options.from_run) one site and parse it within what is left of `parsing`; a site
    that gives no page comes back unreached."""
    from losi.pipeline import _crawl_outcome, load_site_within

    progress = options.progress
    config = site_config(portal, part)
    own = site_files(files, part.id)
    own.root.mkdir(parents=True, exist_ok=True)
    say = f"{prefix} {part.id}"
    resumed = parsing.resume()
    crawl: BackgroundCrawl | None = None
    if options.from_run:
        source = site_files(portal_files(options.data_dir, options.from_run, portal.id), part.id)
        if not source.captures.is_file():
            return replace(part, reached=False, reason=f"run {options.from_run} holds no captures of this site"), None
        progress(f"{say}: re-assessing the captures of run {options.from_run} (no crawl)")
        tell(stage=f"parse {part.id}", cap=resumed.remaining())
    else:
        from crawler.runner import BackgroundCrawl

        def crawl_ended() -> None:  # the parse clock runs again from the crawl's end
            resumed.restart(parsing.spent)
            tell(stage=f"parse {part.id}", cap=resumed.remaining())

        tell(stage=f"crawl {part.id}", cap=config.limits.max_seconds, pages=0)
        progress(f"{say}: crawling {part.url} (up to {config.limits.max_pages} pages), parsing as it goes")
        crawl = BackgroundCrawl(config, own, lambda line: progress(f"{say}: {line}"), on_end=crawl_ended)
        source = own
    site, result = load_site_within(config, source, resumed, crawl)
    parsing.stop(resumed)
    if result is not None and (failed := _crawl_outcome(result, say, progress, caps=[])):
        return replace(part, reached=False, reason=failed), None
    summary = _read_json(source.crawl_summary)
    if not site.pages:
        why = "no HTML page could be fetched from its home page" + (f": {summary['reason']}" if summary.get("reason")
                                                                     else "")  # fmt: skip
        return replace(part, reached=False, reason=why), None
    for page in site.pages:
        if page.screenshot:
            page.screenshot = f"sites/{part.id}/{page.screenshot}"
    reason = "" if summary.get("status") == "ok" else str(summary.get("reason") or "")
    return replace(part, pages=len(site.pages), complete=site.crawl_complete, reason=reason), site


def _write_status(root: Path, parts: list[BundlePart]) -> None:
    sites = [{"id": p.id, "url": p.url, "roles": list(p.roles), "sectors": list(p.sectors), "reached": p.reached,
              "pages": p.pages, "complete": p.complete, "reason": p.reason} for p in parts]  # fmt: skip
    (root / BUNDLE_FILE).write_text(json.dumps({"sites": sites}, ensure_ascii=False, indent=1), encoding="utf-8")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
