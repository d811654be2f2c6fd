"""`losi run --parallel N`: portals assessed at once, each in a worker process of its own.

Each worker runs the whole pipeline of one portal (crawl subprocess, parse, probes, assessment) and writes
to the store itself; the store replaces a portal's findings in one transaction, so a worker that dies
leaves the store consistent. Workers share the machine's browser pool (losi.slots): a crawl that renders
and the probes of every portal take a slot, so memory stays flat however many portals run.

The parent watches every worker's stage and its cap (the events the pipeline sends): a worker still in a
stage well after the stage's cap (its own caps failed) is ended with everything it started, and the
portal is stored as not assessed with the reason. One slow or hostile portal so never holds up the others
for longer than its own caps.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.parse_pool import ENV as PARSE_ENV
from crawler.parse_pool import share_cores
from indicators.catalog import load_catalog
from losi.models import PortalConfig, Verdict
from losi.pipeline import PortalOutcome, RunOptions, _not_assessed, assess_portal
from losi.procs import kill_tree
from losi.slots import ENV as SLOTS_ENV
from losi.slots import BrowserSlots, default_size
from losi.store import Store

START_SECONDS = 180.0  # a worker's start-up (imports, opening the store) before its first stage
CRAWL_GRACE_SECONDS = 150.0  # the crawl's own kill comes 90 s after its cap (crawler.runner)
STAGE_GRACE_SECONDS = 120.0  # the other stages stop themselves within their cap plus 30 s
POLL_SECONDS = 0.5
FINISHED = ("done", "not assessed")  # the last stages a worker reports


def default_parallel() -> int:
    """Portals at once: one per core (crawls mostly wait on the network, assessment uses a core)."""
    return max(1, os.cpu_count() or 1)


@dataclass
class _Job:
    portal: PortalConfig
    prefix: str
    process: Any
    stage: str = "starting"
    stage_started: float = field(default_factory=time.monotonic)
    cap: float | None = START_SECONDS
    outcome: PortalOutcome | None = None

    def overdue(self, now: float) -> bool:
        if self.cap is None:  # waiting for a browser slot: every holder is bounded by its own caps
            return False
        grace = CRAWL_GRACE_SECONDS if self.stage.startswith("crawl") else STAGE_GRACE_SECONDS
        return now > self.stage_started + self.cap + grace


def _options_for_worker(options: RunOptions) -> dict[str, Any]:
    return {"out_dir": str(options.out_dir), "data_dir": str(options.data_dir), "db_url": options.db_url,
            "probes": options.probes, "from_run": options.from_run}  # fmt: skip


def _work(portal: dict[str, Any], run_id: str, prefix: str, opts: dict[str, Any], queue: Any) -> None:
    """A worker process: one portal through the whole pipeline; progress and the outcome go to `queue`."""
    config = PortalConfig.from_dict(portal)
    options = RunOptions(
        out_dir=Path(opts["out_dir"]),
        data_dir=Path(opts["data_dir"]),
        db_url=opts["db_url"],
        probes=opts["probes"],
        from_run=opts["from_run"],
        progress=lambda line: queue.put(("log", config.id, line)),
        events=lambda portal_id, fields: queue.put(("event", portal_id, fields)),
    )
    store = Store(options.db_url, options.data_dir)
    try:
        outcome = assess_portal(store, run_id, config, options, prefix)
    finally:
        store.close()
    queue.put(("done", config.id, asdict(outcome)))


def assess_in_parallel(
    store: Store, run_id: str, todo: list[tuple[PortalConfig, str]], options: RunOptions
) -> list[PortalOutcome]:
    """Assess the portals `options.parallel` at a time; outcomes in the order of `todo`."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads (display, store)
    queue = context.Queue()
    previous_slots, previous_parse = os.environ.get(SLOTS_ENV), os.environ.get(PARSE_ENV)
    share_cores(options.parallel)
    if previous_slots is None:  # one pool for the run's crawls and probes; the workers inherit it
        os.environ[SLOTS_ENV] = BrowserSlots(options.data_dir / "browser-slots", default_size()).env_value()
    pending = deque(todo)
    running: dict[str, _Job] = {}
    outcomes: dict[str, PortalOutcome] = {}
    say = options.progress
    say(f"run {run_id}: {len(todo)} portals, {options.parallel} at a time, browser pool {os.environ[SLOTS_ENV]}")
    try:
        while pending or running:
            while pending and len(running) < options.parallel:
                portal, prefix = pending.popleft()
                process = context.Process(
                    target=_work, args=(portal.to_dict(), run_id, prefix, _options_for_worker(options), queue),
                    name=f"losi-{portal.id}", daemon=False,
                )  # fmt: skip
                process.start()
                running[portal.id] = _Job(portal, prefix, process)
                _event(options, portal.id, {"stage": "starting", "cap": START_SECONDS})
            _drain(queue, running, options)
            now = time.monotonic()
            for portal_id, job in list(running.items()):
                if job.outcome is not None and not job.process.is_alive():
                    job.process.join()
                    outcomes[portal_id] = job.outcome
                    del running[portal_id]
                elif not job.process.is_alive():
                    job.process.join()
                    _drain(queue, running, options)  # its last messages may still be in the pipe
                    outcomes[portal_id] = job.outcome or _lost(store, run_id, job, options, "ended unexpectedly "
                                                               f"(exit code {job.process.exitcode})")  # fmt: skip
                    del running[portal_id]
                elif job.overdue(now):
                    kill_tree(job.process.pid)
                    job.process.join(10)
                    cap = f"{job.cap:.0f} s" if job.cap else "?"
                    outcomes[portal_id] = _lost(store, run_id, job, options,
                                                f"did not stop at the cap of its {job.stage} stage ({cap}) and was "
                                                "ended")  # fmt: skip
                    del running[portal_id]
    finally:
        for job in running.values():  # interrupted (Ctrl-C): end the workers and what they started
            kill_tree(job.process.pid)
        if previous_slots is None:
            os.environ.pop(SLOTS_ENV, None)
        if previous_parse is None:
            os.environ.pop(PARSE_ENV, None)
    return [outcomes[portal.id] for portal, _ in todo if portal.id in outcomes]


def _event(options: RunOptions, portal_id: str, fields: dict[str, Any]) -> None:
    if options.events is not None:
        options.events(portal_id, fields)


def _drain(queue: Any, running: dict[str, _Job], options: RunOptions) -> None:
    """Relay the workers' messages (log lines, stage events, outcomes) until the queue is empty for a moment."""
    timeout = POLL_SECONDS
    while True:
        try:
            kind, portal_id, payload = queue.get(timeout=timeout)
        except queue_module.Empty:
            return
        timeout = 0.01
        job = running.get(portal_id)
        if kind == "log":
            options.progress(payload)
        elif kind == "event":
            if job is not None and "stage" in payload:
                job.stage = str(payload["stage"])
                job.stage_started = time.monotonic()
                # a finished portal's worker only has to exit: it gets the start-up allowance for that
                job.cap = START_SECONDS if job.stage in FINISHED else payload.get("cap")
            _event(options, portal_id, payload)
        elif kind == "done" and job is not None:
            job.outcome = PortalOutcome(**payload)


def _lost(store: Store, run_id: str, job: _Job, options: RunOptions, what: str) -> PortalOutcome:
    """A worker that ended without its outcome: keep its findings if it stored them, else say why."""
    stored = next((p for p in store.portals(run_id) if p["portal_id"] == job.portal.id), None)
    if stored is not None and stored["status"] in ("assessed", "not_assessed") and stored.get("assessed_at"):
        findings = [stored.finding for stored in store.findings(run_id, job.portal.id)]
        return PortalOutcome(job.portal.id, stored["status"], reason=stored.get("reason") or "",
                             pages=int(stored.get("pages") or 0), total=len(findings),
                             met=sum(f.verdict == Verdict.MET for f in findings))  # fmt: skip
    reason = f"the worker process of this portal {what} during its {job.stage} stage"
    catalog = load_catalog(job.portal.framework)
    return _not_assessed(store, run_id, job.portal, catalog, reason, job.prefix, options.progress,
                         lambda **fields: _event(options, job.portal.id, fields))  # fmt: skip
