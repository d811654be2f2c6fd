"""Orchestration: crawl -> parse -> probe -> assess -> store -> report, for one or many portals.

One portal's failure (unreachable, hostile, broken, or a bug in a rule) never stops the batch: that portal
is stored with every indicator `not_assessed` and the reason, and the run goes on. Every stage has a time
cap (the portal's limits: max_seconds for the crawl, probe_seconds, assess_seconds for parsing and
assessment; RunOptions.report_seconds for the reports): a portal that reaches one is finished with what
was captured, and the cap is named in its status and in the explanations of its undecided findings.
`parallel` > 1 assesses portals in worker processes (losi.parallel).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessors.match_store import MatchStore
from assessors.site import LONG_TEXT, ConceptIndex, Site, TextKey, text_key
from crawler.scope import Scope
from indicators.catalog import Catalog, load_catalog
from losi.deadline import CapReached, Deadline, time_limit
from losi.heap import keep_large_blocks_out_of_heap
from losi.layout import PortalFiles, portal_files
from losi.models import Finding, Link, Method, PageDoc, PortalConfig, Verdict, spool_parts, spool_text
from losi.portal_cache import forget_portal
from losi.store import ClaimLost, Store, _safe_url
from losi.text_spool import TextSpool

if TYPE_CHECKING:
    from crawler.captures import Capture
    from crawler.runner import BackgroundCrawl, CrawlResult

Progress = Callable[[str], None]
Events = Callable[[str, dict[str, Any]], None]  # (portal id, {"stage", "pages", "cap", ...}) for live displays

DEFAULT_FORMATS = ("csv", "json", "xlsx", "html")
DEFAULT_REPORT_SECONDS = 600
# CPU-bound stages are stopped by a signal this long after their cap, if they did not stop at it themselves.
HARD_STOP_GRACE_SECONDS = 30
# A portal's page documents live until it is assessed: every so many pages, those parsed so far are left out of
# the garbage collector's passes (gc.freeze), which would otherwise walk them again and again; assess_portal
# hands them back (gc.unfreeze) when the portal is done.
PAGES_BETWEEN_FREEZES = 250
_CRAWL_PAGES = re.compile(r"\b(\d+) pages\b")


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunOptions:
    out_dir: Path
    data_dir: Path
    db_url: str | None = None
    probes: bool = True  # live-browser checks (mobile, search, axe, vnu)
    formats: Iterable[str] = DEFAULT_FORMATS
    progress: Progress = stderr_progress
    resume_run: str | None = None  # continue this run: portals already assessed in it are skipped
    from_run: str | None = None  # re-assess this run's captures instead of crawling again
    note: str = ""
    parallel: int = 1  # portals assessed at once (worker processes when > 1)
    report_seconds: int = DEFAULT_REPORT_SECONDS
    events: Events | None = None
    broker: str | None = None  # hand the portals to Celery workers on this broker (losi.dispatch)
    lease_seconds: float | None = None  # distributed: a portal whose worker is silent this long is taken again
    idle_seconds: float | None = None  # distributed: stop waiting when no worker does anything for this long


@dataclass
class PortalOutcome:
    portal_id: str
    status: str  # assessed | not_assessed
    reason: str = ""
    pages: int = 0
    met: int = 0
    total: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> seconds (crawl, parse, probes, assess)


@dataclass
class RunOutcome:
    run_id: str
    out_dir: Path
    reports: dict[str, Path] = field(default_factory=dict)
    portals: list[PortalOutcome] = field(default_factory=list)
    report_problem: str = ""  # why some reports were not written (their time cap)
    report_seconds: float = 0.0


class PipelineError(RuntimeError):
    """A problem with the request as a whole (unknown run to resume, unknown framework...)."""


def distributed() -> Any:
    """losi.dispatch, or a clear PipelineError when the distributed extra is not installed."""
    try:
        from losi import dispatch
    except ImportError as exc:
        raise PipelineError(f"distributed runs need Celery and the Redis client ({exc.name} is missing): "
                            "pip install 'losi[distributed]'") from exc  # fmt: skip
    return dispatch


def run_assessment(portals: list[PortalConfig], options: RunOptions) -> RunOutcome:
    if options.broker:  # before anything is created: the broker must answer
        distributed().check_broker(options.broker)
        try:  # the run's data directory, which every worker mounts
            options.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PipelineError(f"cannot create the run's data directory {options.data_dir}: {exc}") from exc
    store = Store(options.db_url, options.data_dir)
    try:
        return _run(store, portals, options)
    finally:
        store.close()


def _run(store: Store, portals: list[PortalConfig], options: RunOptions) -> RunOutcome:
    for portal in portals:
        load_catalog(portal.framework)  # fail early, before any crawl, on an unknown framework
    if options.from_run and not store.get_run(options.from_run):
        raise PipelineError(f"no run {options.from_run!r} in the store (see `losi runs`)")

    done: set[str] = set()
    if options.resume_run:
        if not store.get_run(options.resume_run):
            raise PipelineError(f"no run {options.resume_run!r} to resume (see `losi runs`)")
        run_id = options.resume_run
        known = {p["portal_id"]: p for p in store.portals(run_id)}
        done = {pid for pid, p in known.items() if p["status"] in ("assessed", "not_assessed")}
        for portal in portals:
            if portal.id not in known:
                store.add_portal(run_id, portal)
    else:
        run_id = store.create_run(options.out_dir, note=options.note)
        for portal in portals:
            store.add_portal(run_id, portal)

    progress = options.progress
    progress(f"run {run_id}: {len(portals)} portal(s), store {_safe_url(store.url)}, data {store.data_dir}")
    outcome = RunOutcome(run_id=run_id, out_dir=options.out_dir)
    todo: list[tuple[PortalConfig, str]] = []
    for number, portal in enumerate(portals, start=1):
        prefix = f"[{number}/{len(portals)}] {portal.id}"
        if portal.id in done:
            progress(f"{prefix}: already assessed in run {run_id}, skipped")
            continue
        todo.append((portal, prefix))
    if options.broker and todo:
        outcome.portals.extend(distributed().assess_on_workers(store, run_id, todo, options))
    elif options.parallel > 1 and len(todo) > 1:
        from losi.parallel import assess_in_parallel

        outcome.portals.extend(assess_in_parallel(store, run_id, todo, options))
    else:
        for portal, prefix in todo:
            outcome.portals.append(assess_portal(store, run_id, portal, options, prefix))

    store.finish_run(run_id)
    progress(f"run {run_id}: writing reports to {options.out_dir}")
    write_run_reports(store, run_id, options, outcome)
    return outcome


def write_run_reports(store: Store, run_id: str, options: RunOptions, outcome: RunOutcome) -> None:
    """The run's reports within options.report_seconds; what the cap left out is named in the outcome."""
    from outputs.reports import write_reports

    deadline = Deadline(options.report_seconds, "report")
    try:
        with time_limit(options.report_seconds + HARD_STOP_GRACE_SECONDS, deadline.reason):
            outcome.reports = write_reports(store, run_id, options.out_dir, options.formats, deadline=deadline)
    except CapReached as exc:
        deadline.hit = f"{exc}: the reports were not all written"
    outcome.report_seconds = round(deadline.elapsed(), 2)
    if deadline.hit:
        outcome.report_problem = f"{deadline.hit} (write them again with `losi report {run_id}`)"
        options.progress(f"run {run_id}: {outcome.report_problem}")


def assess_portal(
    store: Store, run_id: str, portal: PortalConfig, options: RunOptions, prefix: str
) -> PortalOutcome:
    try:
        return _assess_portal(store, run_id, portal, options, prefix)
    finally:
        # the portal is done: a process that goes on to the next one (a serial run, a worker) keeps nothing of it
        forget_portal()
        gc.unfreeze()  # the page documents load_site left out of the collector's passes: see PAGES_BETWEEN_FREEZES
        gc.collect()  # its site and the rules' view of it hold each other: gone only when the collector passes


def _assess_portal(
    store: Store, run_id: str, portal: PortalConfig, options: RunOptions, prefix: str
) -> PortalOutcome:
    if portal.sites:  # a country bundle: its sites crawled one by one, assessed together (losi/country.py)
        from losi.country import assess_country

        return assess_country(store, run_id, portal, options, prefix)
    progress = options.progress

    def say(line: str) -> None:
        progress(f"{prefix}: {line}")

    tell = stage_events(options, portal.id)

    files = portal_files(options.data_dir, run_id, portal.id)
    files.root.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(portal.framework)
    started = time.monotonic()
    caps: list[str] = []  # the caps this portal reached, for its status and its undecided findings
    seconds: dict[str, float] = {}
    try:
        assessing = Deadline(portal.limits.assess_seconds, "assessment")
        crawl: BackgroundCrawl | None = None
        if options.from_run:
            source = _captures_of_run(portal, options, prefix)
            if isinstance(source, str):
                return _not_assessed(store, run_id, portal, catalog, source, prefix, progress, tell)
            tell(stage="parse", cap=assessing.seconds)
        else:
            tell(stage="crawl", cap=portal.limits.max_seconds, pages=0)
            crawl, source = _start_crawl(portal, files, prefix, progress, tell, assessing), files
        site, crawled = load_site_within(portal, source, assessing, crawl)
        seconds["crawl"] = crawled.seconds if crawled is not None else 0.0
        seconds["parse"] = round(assessing.elapsed(), 2)  # after the crawl: what parsing alongside left
        if crawled is not None and (failure := _crawl_outcome(crawled, prefix, progress, caps)):
            return _not_assessed(store, run_id, portal, catalog, failure, prefix, progress, tell)
        if assessing.hit:
            caps.append(assessing.hit)
            say(assessing.hit)
        crawl_seconds = time.monotonic() - started
        if not site.pages:
            reason = "no HTML page could be fetched from the home page"
            summary = _read_json(source.crawl_summary)
            if summary.get("reason"):
                reason = f"{reason}: {summary['reason']}"
            return _not_assessed(store, run_id, portal, catalog, reason, prefix, progress, tell)
        store.set_portal_status(
            run_id, portal.id, "crawled", pages_count=len(site.pages), crawl_seconds=crawl_seconds
        )
        store.save_pages(run_id, portal.id, site.pages)
        tell(pages=len(site.pages))

        if options.probes:
            probes_started = time.monotonic()
            site.probes = _probes_for(site, files, source, prefix, progress, tell)
            seconds["probes"] = round(time.monotonic() - probes_started, 2)
            if site.probes.get("capped"):
                caps.append(str(site.probes["capped"]))
        say(f"assessing {len(catalog.indicators)} indicators on {len(site.pages)} pages")
        # the assessment cap covers parsing and checking the indicators, not the probes in between
        assessing = Deadline(assessing.seconds, assessing.stage, started=time.monotonic() - seconds["parse"],
                             hit=assessing.hit)  # fmt: skip
        tell(stage="assess", cap=assessing.remaining())
        assess_started = time.monotonic()
        findings = assess_within(site, catalog, assessing, caps)
        seconds["assess"] = round(time.monotonic() - assess_started, 2)
        store.save_findings(run_id, portal.id, catalog.id, findings)
        store.set_portal_status(run_id, portal.id, "assessed", reason="; ".join(caps))
        met = sum(f.verdict == Verdict.MET for f in findings)
        say(f"{met} of {len(findings)} indicators met ({time.monotonic() - started:.1f} s)")
        tell(stage="done", pages=len(site.pages))
        return PortalOutcome(portal.id, "assessed", reason="; ".join(caps), pages=len(site.pages), met=met,
                             total=len(findings), seconds=seconds)  # fmt: skip
    except CapReached as exc:
        return _not_assessed(store, run_id, portal, catalog, str(exc), prefix, progress, tell)
    except ClaimLost:  # a distributed worker whose portal another worker took over: nothing of it is stored
        raise
    except Exception as exc:  # one portal never stops the batch
        (files.root / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        reason = (
            f"internal error while assessing: {type(exc).__name__}: {exc} (details in {files.root}/error.txt)"
        )
        return _not_assessed(store, run_id, portal, catalog, reason, prefix, progress, tell)


def stage_events(options: RunOptions, portal_id: str) -> Callable[..., None]:
    """tell(stage=..., cap=..., pages=...): a portal's progress for the live display and a parallel run."""

    def tell(**fields: Any) -> None:
        if options.events is not None:
            options.events(portal_id, fields)

    return tell


def assess_within(site: Site, catalog: Catalog, assessing: Deadline, caps: list[str]) -> list[Finding]:
    """Every indicator, within what is left of the assessment cap; the caps reached (`caps`, this one added
    when it ran out) are noted on the findings they may have left undecided."""
    from assessors.engine import assess_site

    try:
        with time_limit(assessing.remaining() + HARD_STOP_GRACE_SECONDS, assessing.reason):
            findings = assess_site(site, catalog, assessing)
    except CapReached as exc:  # stopped inside the signals every rule shares: nothing was decided
        findings = unassessed_findings(catalog, str(exc))
    if assessing.expired() and not assessing.hit:
        caps.append(assessing.reason)
    _note_caps(findings, caps)
    return findings


def _note_caps(findings: list[Finding], caps: list[str]) -> None:
    """An undecided or negative finding on a portal that reached a cap says so: more time might decide it."""
    if not caps:
        return
    note = f" (this portal reached a time cap: {'; '.join(caps)})"
    for finding in findings:
        if finding.verdict in (Verdict.NOT_MET, Verdict.NEEDS_REVIEW) and note not in finding.explanation:
            finding.explanation += note
            finding.details["caps"] = list(caps)


def _captures_of_run(portal: PortalConfig, options: RunOptions, prefix: str) -> PortalFiles | str:
    """The files holding this portal's captures in the run re-assessed, or why there are none."""
    assert options.from_run is not None
    source = portal_files(options.data_dir, options.from_run, portal.id)
    if not source.captures.is_file():
        return f"run {options.from_run} holds no captures for portal {portal.id}"
    options.progress(f"{prefix}: re-assessing the captures of run {options.from_run} (no crawl)")
    return source


def _start_crawl(
    portal: PortalConfig, files: PortalFiles, prefix: str, progress: Progress, tell: Callable[..., None],
    assessing: Deadline,
) -> BackgroundCrawl:  # fmt: skip
    """The portal's crawl, started in the background; its pages are parsed as it captures them. The
    assessment's cap starts when the crawl ends."""
    from crawler.runner import BackgroundCrawl

    def crawl_progress(line: str) -> None:
        progress(f"{prefix}: {line}")
        if match := _CRAWL_PAGES.search(line):
            tell(pages=int(match.group(1)))

    def crawl_ended() -> None:
        assessing.restart()
        tell(stage="parse", cap=assessing.seconds)

    progress(f"{prefix}: crawling {portal.home_url} (up to {portal.limits.max_pages} pages), parsing as it goes")
    return BackgroundCrawl(portal, files, crawl_progress, on_end=crawl_ended)


def _crawl_outcome(result: CrawlResult, prefix: str, progress: Progress, caps: list[str]) -> str:
    """Say how the crawl went; the reason it gave nothing to assess, or "" (a time cap it hit goes to caps)."""
    summary = f"{prefix}: crawl {result.status}: {result.pages} pages in {result.seconds:.1f} s"
    progress(f"{summary} ({result.reason})" if result.reason else summary)
    if result.status == "failed" and result.pages == 0:
        return result.reason or "the crawl failed"
    if "time cap" in result.reason or "time limit" in result.reason:
        caps.append(result.reason)
    return ""


def _probes_for(
    site: Site, files: PortalFiles, source: PortalFiles, prefix: str, progress: Progress, tell: Callable[..., None]
) -> dict:
    if source.root != files.root and source.probes.is_file():
        shutil.copyfile(source.probes, files.probes)
        if source.screenshots.is_dir() and not files.screenshots.exists():
            shutil.copytree(source.screenshots, files.screenshots)
        return _read_json(files.probes)
    from assessors.probes import BROWSER_PROBES, run_probes
    from losi.slots import SLOT_WAIT_SECONDS, browser_slot

    tell(stage="probes: waiting for a browser", cap=None)
    try:
        with browser_slot(SLOT_WAIT_SECONDS):
            progress(f"{prefix}: live browser checks (mobile, search, accessibility, validity)")
            tell(stage="probes", cap=site.portal.limits.probe_seconds)
            return run_probes(site, files, progress=lambda line: progress(f"{prefix}: {line}"))
    except TimeoutError as exc:
        progress(f"{prefix}: probes skipped: {exc}")
        return {name: {"error": f"not run: {exc}"} for name in (*BROWSER_PROBES, "vnu")} | {"capped": str(exc)}


def load_site_within(
    portal: PortalConfig, source: PortalFiles, deadline: Deadline, crawl: BackgroundCrawl | None
) -> tuple[Site, CrawlResult | None]:
    """load_site within the deadline, stopped by a signal if it overruns it (and the crawl's own cap, while
    it parses a running crawl's pages); then the crawl's result. A crawl given up on is stopped."""
    from crawler.runner import KILL_GRACE_SECONDS

    hard_stop = deadline.remaining() + HARD_STOP_GRACE_SECONDS
    if crawl is not None:
        hard_stop += portal.limits.max_seconds + KILL_GRACE_SECONDS
    try:
        with time_limit(hard_stop, deadline.reason):
            site = load_site(portal, source, deadline, crawl)
    except BaseException:
        if crawl is not None:
            crawl.stop()
        raise
    return site, crawl.result() if crawl is not None else None  # it has ended: its captures were read to the end


def load_site(
    portal: PortalConfig,
    files: PortalFiles,
    deadline: Deadline | None = None,
    crawl: BackgroundCrawl | None = None,
) -> Site:
    """Parse every capture once into page documents; the home page comes first.

    With a deadline, parsing stops when it passes and keeps the pages parsed so far (deadline.hit says so).
    With a crawl still running, its captures are parsed as it writes them, until it ends."""
    from assessors.signals import TEXT_SCAN_CHARS, new_site_for_page_index, page_index, searched_text
    from crawler.captures import iter_captures
    from crawler.parse_pool import count_lines, parse_captures

    keep_large_blocks_out_of_heap()  # what a parse reads and drops is given back: see losi.heap
    scope = Scope.for_portal(portal)
    inside: dict[str, PageDoc] = {}
    outside: dict[str, PageDoc] = {}
    seen_content: dict[tuple[str, TextKey], str] = {}  # a page's title and text_key -> the URL it was first seen at
    text_keys: dict[str, TextKey] = {}  # the text_keys of the pages' searched texts: see Site.text_keys
    spool = TextSpool(files.root)
    aliases: dict[str, str] = {}
    home_keys = {portal.home_url, portal.home_url.rstrip("/")}
    home: PageDoc | None = None
    broken: dict[str, int] = {}
    concept_index = ConceptIndex(matches=MatchStore(spool))  # every page's share, copies' too: see page_index

    def pages_to_parse() -> Iterator[Capture]:
        for capture in iter_captures(files) if crawl is None else crawl.captures():
            if capture.aux:  # robots.txt answered with an HTML page is not a page
                continue
            if capture.status >= 400:
                broken.setdefault(capture.url, capture.status)
                continue
            yield capture

    expected = count_lines(files.captures) if crawl is None else None
    new_site_for_page_index()
    with contextlib.closing(parse_captures(pages_to_parse(), scope, expected, also=page_index)) as parsed:
        for capture, doc, index in parsed:
            if doc is None:
                continue
            searched = searched_text(doc)
            key = text_key(searched)
            concept_index.add(*index, keys={searched: key})
            whole = key if len(doc.text) <= TEXT_SCAN_CHARS else text_key(doc.text)
            kept_as = seen_content.setdefault((doc.title, whole), doc.url_key) if doc.text else doc.url_key
            if kept_as != doc.url_key:
                aliases.setdefault(doc.url_key, kept_as)  # the same page under another URL ("/" and "/index.html")
                continue
            target = outside if capture.outside else inside
            previous = target.get(doc.url_key)
            if previous is not None and not (doc.rendered and not previous.rendered):
                continue  # keep the first capture, unless a rendered one replaces a static one
            target[doc.url_key] = doc
            text_keys[doc.url_key] = key
            if len(doc.text) >= LONG_TEXT:
                spool_text(doc, spool.keep)  # read back by the few rules that read it: see losi.text_spool
            spool_parts(doc, spool.keep_values)  # the parts rules read on a few pages only: see SPOOLED_PARTS
            if len(target) % PAGES_BETWEEN_FREEZES == 0:
                gc.freeze()  # the pages so far (and whatever else lives now): see PAGES_BETWEEN_FREEZES
            is_home = capture.url in home_keys or (home is None and capture.depth == 0)
            if not capture.outside and is_home and (home is None or doc.rendered or capture.url in home_keys):
                home = doc
            # the cap runs from the crawl's end (crawl.done): pages parsed while it crawls are within its own cap
            if deadline is not None and (crawl is None or crawl.done.is_set()) and deadline.expired():
                deadline.hit = f"parsing stopped at the {deadline.reason} after {len(inside)} pages"
                break
    pages = list(inside.values())
    if home is not None:
        pages = [home, *[p for p in pages if p.url_key != home.url_key]]
    external: dict[str, Link] = {}
    for page in pages:
        for link in page.links:
            if not link.internal:
                external.setdefault(link.url, link)
    gc.freeze()
    return Site(
        portal=portal,
        pages=pages,
        external=list(external.values()),
        portal_dir=files.root,
        outside_pages=list(outside.values()),
        aliases=aliases,
        broken={url: status for url, status in broken.items() if url not in inside and url not in outside},
        crawl_complete=_read_json(files.crawl_summary).get("status") == "ok",
        concept_index=concept_index,
        text_keys=text_keys,
    )


def unassessed_findings(catalog: Catalog, reason: str) -> list[Finding]:
    return [
        Finding(
            indicator=indicator.code,
            verdict=Verdict.NOT_ASSESSED,
            rule="none",
            explanation=f"portal not assessed: {reason}",
            confidence=0.0,
            method=Method.HUMAN.value,
        )
        for indicator in catalog.indicators
    ]


def _not_assessed(
    store: Store,
    run_id: str,
    portal: PortalConfig,
    catalog: Catalog,
    reason: str,
    prefix: str,
    progress: Progress,
    tell: Callable[..., None] | None = None,
) -> PortalOutcome:
    store.save_findings(run_id, portal.id, catalog.id, unassessed_findings(catalog, reason))
    store.set_portal_status(run_id, portal.id, "not_assessed", reason=reason)
    progress(f"{prefix}: NOT ASSESSED: {reason}")
    if tell is not None:
        tell(stage="not assessed")
    return PortalOutcome(portal.id, "not_assessed", reason=reason, total=len(catalog.indicators))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
