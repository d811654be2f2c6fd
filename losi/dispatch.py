"""Distributed runs, the coordinator side: `losi run portals.yaml --broker redis://...`.

The run is created in the store as for a local run (losi.pipeline); then one task per portal goes to the
workers (losi.workers), and progress is read from the store: each portal's status and who holds its claim.
When every portal is finished the pipeline writes the reports, as after a local run. The coordinator holds
no state of its own: stopped, the workers go on, and `losi run ... --resume RUN --broker ...` (or
`losi report RUN` once they are done, from any machine with the store) picks the run up again.

A portal whose worker stopped answering (its claim went stale) is queued again at once; Redis would hand
the lost message out again too, after its visibility timeout, and the claim makes the second copy harmless.
Nothing waits forever: when no worker takes or finishes anything for `idle_seconds`, the coordinator stops
waiting and says how to go on.
"""

from __future__ import annotations

import time
from typing import Any

from losi import workers
from losi.models import PortalConfig, Verdict
from losi.pipeline import PortalOutcome, RunOptions
from losi.store import Store, _safe_url
from losi.workers import (
    DEFAULT_LEASE_SECONDS,
    QUEUE,
    DistributedError,
    assess_portal_task,
    check_broker,
    configure,
    finished,
    portal_time_limit,
)

__all__ = ["assess_on_workers", "check_broker", "enqueue", "workers"]

POLL_SECONDS = 2.0
DEFAULT_IDLE_SECONDS = 1800.0  # no worker took, finished or kept alive any portal for this long: stop waiting
PUBLISH_RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 3}


def enqueue(run_id: str, portal: PortalConfig, settings: dict[str, Any]) -> None:
    try:
        assess_portal_task.apply_async(args=[run_id, portal.id, settings], queue=QUEUE,
                                       time_limit=portal_time_limit(portal), retry=True,
                                       retry_policy=PUBLISH_RETRY)  # fmt: skip
    except Exception as exc:  # kombu's errors differ per transport; all mean the broker did not take it
        raise DistributedError(f"could not queue portal {portal.id} on the broker: {exc}") from exc


def assess_on_workers(
    store: Store, run_id: str, todo: list[tuple[PortalConfig, str]], options: RunOptions
) -> list[PortalOutcome]:
    """Queue the portals of `todo` for the workers and wait until each is finished; outcomes in todo order."""
    assert options.broker
    configure(options.broker)
    say = options.progress
    lease = options.lease_seconds or DEFAULT_LEASE_SECONDS
    settings = {"probes": options.probes, "from_run": options.from_run, "lease": lease,
                "store": _safe_url(store.url)}  # fmt: skip
    claims = store.claims(run_id)
    now = time.time()
    queued_at: dict[str, float] = {}
    for portal, prefix in todo:
        claim = claims.get(portal.id)
        if claim and claim["token"] and now - float(claim["heartbeat"]) < lease:
            say(f"{prefix}: already being assessed by {claim['worker']}")
        else:
            enqueue(run_id, portal, settings)
        queued_at[portal.id] = time.monotonic()
        _event(options, portal.id, {"stage": "queued", "cap": None})
    say(f"run {run_id}: {len(todo)} portal(s) queued on {_safe_url(options.broker)}; waiting for the workers "
        f"(progress from the store {_safe_url(store.url)})")  # fmt: skip
    if store.engine.dialect.name == "sqlite":
        say(f"note: the store is a SQLite file: only workers on this machine, started with --db {store.url}, "
            "can take these portals (use PostgreSQL for several machines)")  # fmt: skip
    return _wait(store, run_id, todo, options, settings, queued_at)


def _wait(
    store: Store, run_id: str, todo: list[tuple[PortalConfig, str]], options: RunOptions, settings: dict[str, Any],
    queued_at: dict[str, float],
) -> list[PortalOutcome]:  # fmt: skip
    say = options.progress
    lease = float(settings["lease"])
    idle_seconds = options.idle_seconds or DEFAULT_IDLE_SECONDS
    outcomes: dict[str, PortalOutcome] = {}
    stages: dict[str, str] = {}
    beats: dict[str, float] = {}
    last_activity = time.monotonic()
    while len(outcomes) < len(todo):
        rows = {p["portal_id"]: p for p in store.portals(run_id)}
        claims = store.claims(run_id)
        now = time.time()
        for portal, prefix in todo:
            if portal.id in outcomes:
                continue
            row, claim = rows.get(portal.id), claims.get(portal.id)
            if claim and float(claim["heartbeat"]) > beats.get(portal.id, 0.0):
                beats[portal.id] = float(claim["heartbeat"])
                last_activity = time.monotonic()
            if finished(row):
                assert row is not None
                outcomes[portal.id] = _outcome(store, run_id, row)
                last_activity = time.monotonic()
                _report(outcomes[portal.id], prefix, claim, options)
                continue
            live = bool(claim and claim["token"] and now - float(claim["heartbeat"]) < lease)
            stage = "queued"
            if live and claim:
                stage = f"{'assessing' if row and row['status'] == 'crawled' else 'crawling'} on {claim['worker']}"
            if stage != stages.get(portal.id):
                stages[portal.id] = stage
                _event(options, portal.id, {"stage": stage, "cap": None,
                                            "pages": int(row.get("pages") or 0) if row else 0})  # fmt: skip
                if live:
                    say(f"{prefix}: {stage}" + (f" (attempt {claim['attempts']})" if claim and
                                                claim["attempts"] > 1 else ""))  # fmt: skip
            lost = bool(claim and claim["token"] and not live)
            if lost and time.monotonic() - queued_at.get(portal.id, 0.0) > lease:
                assert claim is not None
                say(f"{prefix}: its worker {claim['worker']} stopped answering (no heartbeat for "
                    f"{now - float(claim['heartbeat']):.0f} s); queued again")  # fmt: skip
                enqueue(run_id, portal, settings)
                queued_at[portal.id] = time.monotonic()
        if len(outcomes) == len(todo):
            break
        if time.monotonic() - last_activity > idle_seconds:
            waiting = [portal.id for portal, _ in todo if portal.id not in outcomes]
            named = ", ".join(waiting[:5]) + (" ..." if len(waiting) > 5 else "")
            raise DistributedError(
                f"run {run_id}: no worker took, finished or worked on any portal for {idle_seconds:.0f} s; "
                f"{len(waiting)} portal(s) still queued ({named}). "
                f"Start workers with `losi worker --broker {_safe_url(options.broker or '')} --db ...` (the same "
                f"store), then wait again with `losi run ... --resume {run_id} --broker ...`, or write the reports "
                f"later with `losi report {run_id}`"
            )  # fmt: skip
        time.sleep(POLL_SECONDS)
    return [outcomes[portal.id] for portal, _ in todo]


def _outcome(store: Store, run_id: str, row: dict[str, Any]) -> PortalOutcome:
    findings = store.findings(run_id, row["portal_id"])
    return PortalOutcome(row["portal_id"], row["status"], reason=row.get("reason") or "",
                         pages=int(row.get("pages") or 0), total=len(findings),
                         met=sum(s.finding.verdict == Verdict.MET for s in findings))  # fmt: skip


def _report(outcome: PortalOutcome, prefix: str, claim: dict[str, Any] | None, options: RunOptions) -> None:
    where = f" on {claim['worker']}" if claim else ""
    if outcome.status == "assessed":
        options.progress(f"{prefix}: {outcome.met} of {outcome.total} indicators met{where}")
        _event(options, outcome.portal_id, {"stage": "done", "pages": outcome.pages})
    else:
        options.progress(f"{prefix}: NOT ASSESSED: {outcome.reason}")
        _event(options, outcome.portal_id, {"stage": "not assessed"})


def _event(options: RunOptions, portal_id: str, fields: dict[str, Any]) -> None:
    if options.events is not None:
        options.events(portal_id, fields)
