"""Distributed runs, the worker side: the Celery app, the portal task and `losi worker`.

Work goes through Celery with a Redis broker; results go to the run store (PostgreSQL for several
machines); captures, screenshots and probe files go under the run's data directory, which every worker
mounts. The unit of work is one portal of a run: crawl, probes and assessment (losi.pipeline.assess_portal).

A portal is never lost and never stored twice:
- the message is acknowledged only when the portal is finished (acks_late); a pool process killed in the
  middle of a portal makes Celery put the message back at once (reject_on_worker_lost); a whole worker (a
  machine) lost leaves it unacknowledged in Redis, which hands it out again after the visibility timeout;
  each process takes one message at a time (prefetch 1);
- the task is idempotent: a portal already finished in the store is not assessed again;
- a worker assessing a portal holds a claim on it in the store (losi.store.claims), kept alive by a
  heartbeat; another delivery of the same portal waits while the claim is alive and takes it over once its
  holder stopped answering for longer than the run's lease. Every write of the holder checks its claim in
  the same transaction (Store.fence), so a worker that lost its claim cannot store anything, and each
  portal's findings are replaced in one transaction: they are stored exactly once.
A portal taken MAX_ATTEMPTS times without being finished (its workers were lost, or could not use the run's
data directory) is stored as not assessed, with the reason, so one portal that kills its workers cannot go
round forever. A worker whose store fails (the database is away) queues the portal again after the lease.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.exceptions import Retry, WorkerLostError
from celery.utils.log import get_logger, get_task_logger
from celery.worker.request import Request

from crawler.parse_pool import share_cores
from indicators.catalog import load_catalog
from losi.models import PortalConfig
from losi.pipeline import PipelineError, RunOptions, _not_assessed, assess_portal
from losi.procs import descendants, kill
from losi.slots import ENV as SLOTS_ENV
from losi.slots import BrowserSlots, default_size
from losi.store import Claim, ClaimLost, Store, StoreError

TASK_NAME = "losi.assess_portal"
QUEUE = "losi"
DEFAULT_LEASE_SECONDS = 120.0  # a claim whose heartbeat is older than this is stale (its worker was lost)
DEFAULT_VISIBILITY_SECONDS = 3600  # Redis hands out an unacknowledged message again after this (a lost machine)
RESTORE_SWEEP_SECONDS = 10  # how often a worker looks for such messages
MAX_ATTEMPTS = 3  # a portal taken this many times without being finished is stored as not assessed
FINISHED = ("assessed", "not_assessed")

log = get_task_logger("losi.worker")  # in a task: lines name the task
main_log = get_logger("losi.worker.main")  # in the worker's main process
app = Celery("losi")
_stores: dict[int, Store] = {}  # one store per process (pool processes are forked: never share a connection)


class DistributedError(PipelineError):
    """The broker or the workers' configuration is not usable; the message says why and what to do."""


def check_broker(url: str, timeout: float = 5.0) -> None:
    """Raise DistributedError unless the broker answers within timeout."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("redis", "rediss"):
        raise DistributedError(f"--broker must be a redis:// or rediss:// URL, e.g. redis://HOST:6379/0 (got {url!r})")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise DistributedError(f"cannot reach the broker {_safe(url)}: {exc} (is redis-server running there, "
                               "and is its address reachable from this machine?)") from exc  # fmt: skip


def _safe(url: str) -> str:
    from losi.store import _safe_url

    return _safe_url(url)


def configure(
    broker: str,
    db_url: str | None = None,
    data_dir: Path | None = None,
    visibility_seconds: float = DEFAULT_VISIBILITY_SECONDS,
) -> Celery:
    """Configure the app for this broker: one message per process, acknowledged once the portal is done."""
    app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=10,
        broker_transport_options={
            "visibility_timeout": visibility_seconds,
            "unacked_restore_interval": min(RESTORE_SWEEP_SECONDS, max(1, int(visibility_seconds // 2))),
            "unacked_restore_throttle": 1,
            "socket_timeout": 30,
            "socket_connect_timeout": 10,
        },
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # the results are the store's findings
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=False,  # the claim keeps a redelivery waiting
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        losi_db=db_url,
        losi_data_dir=str(data_dir) if data_dir else None,
    )
    return app


def worker_name(pid: int | None = None) -> str:
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def _store() -> Store:
    pid = os.getpid()
    store = _stores.get(pid)
    if store is None:
        if not app.conf.get("losi_db"):
            raise DistributedError("this worker has no store: start it with `losi worker --db URL`")
        store = Store(app.conf.losi_db, Path(app.conf.get("losi_data_dir") or "."))
        _stores[pid] = store
    return store


def portal_time_limit(portal: PortalConfig) -> int:
    """The hard limit of one portal's task: every stage's cap and the grace the local run gives it
    (losi.parallel), plus time to wait for a browser. The pipeline stops itself well before."""
    from losi.parallel import CRAWL_GRACE_SECONDS, STAGE_GRACE_SECONDS, START_SECONDS

    limits = portal.limits
    crawls = max(1, len(portal.sites))  # a country bundle crawls its sites one after the other
    return int(START_SECONDS + crawls * (limits.max_seconds + CRAWL_GRACE_SECONDS) + limits.probe_seconds
               + 2 * (limits.assess_seconds + STAGE_GRACE_SECONDS) + 600)  # fmt: skip


# ------------------------------------------------------------------------------------------- the task


class PortalRequest(Request):
    """Runs in the worker's main process, which outlives a pool process that was killed."""

    def on_failure(self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False) -> None:
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)
        exc = getattr(exc_info.exception, "exc", exc_info.exception)
        if isinstance(exc, WorkerLostError) and self.worker_pid:
            # the pool process died holding the portal: its claim is stale now, the redelivery takes it at once
            run_id, portal_id = self.args[0], self.args[1]
            with contextlib.suppress(Exception), _short_store() as store:
                if store.expire_claims(run_id, portal_id, worker=worker_name(self.worker_pid)):
                    main_log.warning("%s: the process assessing it (pid %s) was lost; the portal is queued again",
                                portal_id, self.worker_pid)  # fmt: skip

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if soft:
            return
        run_id, portal_id = self.args[0], self.args[1]
        reason = (f"its worker process did not finish within the task's time limit of {timeout:.0f} s "
                  "and was ended")  # fmt: skip
        try:
            with _short_store() as store:
                claim = store.claim(run_id, portal_id, worker_name(), lease_seconds=0)
                if claim is not None:
                    _store_not_assessed(store, claim, reason)
        except Exception as exc:  # the store is unreachable: the run's coordinator sees the portal unfinished
            main_log.error("%s: could not record the time limit: %s", portal_id, exc)


@contextlib.contextmanager
def _short_store() -> Any:
    store = Store(app.conf.losi_db, Path(app.conf.get("losi_data_dir") or "."))
    try:
        yield store
    finally:
        store.close()


class PortalTask(Task):
    Request = PortalRequest
    acks_late = True
    reject_on_worker_lost = True
    max_retries = None  # retries only wait for a live holder, which its own time limit bounds
    ignore_result = True


class Heartbeat(threading.Thread):
    """Keeps a claim alive. When it finds the claim lost, it ends the portal's crawl and browsers: the
    portal is another worker's now, and they must not write into its folder."""

    def __init__(self, store: Store, claim: Claim, every: float) -> None:
        super().__init__(name=f"heartbeat-{claim.portal_id}", daemon=True)
        self.store, self.claim, self.every = store, claim, every
        self.finished = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.finished.wait(self.every):
            try:
                held = self.store.heartbeat(self.claim)
            except Exception as exc:  # the database is briefly away: the lease allows several missed beats
                log.warning("%s: heartbeat failed: %s", self.claim.portal_id, exc)
                continue
            if not held:
                self.lost = True
                log.error("%s: claim lost to another worker; ending this attempt", self.claim.portal_id)
                kill(descendants(os.getpid()))
                return

    def stop(self) -> None:
        self.finished.set()
        self.join(timeout=30)


def _store_not_assessed(store: Store, claim: Claim, reason: str) -> None:
    config = store.portal_config(claim.run_id, claim.portal_id)
    if config is None:
        return
    store.fence = claim
    try:
        _not_assessed(store, claim.run_id, config, load_catalog(config.framework), reason, claim.portal_id,
                      lambda line: log.warning("%s", line))  # fmt: skip
    finally:
        store.fence = None
        store.release(claim)


def _portal_row(store: Store, run_id: str, portal_id: str) -> dict[str, Any] | None:
    return next((p for p in store.portals(run_id) if p["portal_id"] == portal_id), None)


def finished(row: dict[str, Any] | None) -> bool:
    return bool(row and row["status"] in FINISHED and row.get("assessed_at"))


def _data_dir(run: dict[str, Any]) -> tuple[Path, str]:
    """The data directory this worker writes the run's files to, and why it cannot when it cannot."""
    mounted = app.conf.get("losi_data_dir")
    path = Path(mounted) if mounted else Path(run["data_dir"])
    if not path.is_dir():
        return path, (f"worker {socket.gethostname()} does not see the run's data directory {path} (mount it on "
                      "every worker at the same path, or start the worker with --data-dir)")  # fmt: skip
    if not os.access(path, os.W_OK):
        return path, f"worker {socket.gethostname()} cannot write the run's data directory {path}"
    return path, ""


@app.task(bind=True, base=PortalTask, name=TASK_NAME)
def assess_portal_task(self: Task, run_id: str, portal_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Assess one portal of a run, unless it is finished or another live worker is assessing it."""
    lease = float(settings.get("lease") or DEFAULT_LEASE_SECONDS)
    try:
        return _assess(self, run_id, portal_id, settings, lease)
    except Retry:
        raise
    except Exception as exc:  # the store or this machine failed, not the portal (assess_portal stores those)
        log.error("%s: %s: %s; queued again in %.0f s", portal_id, type(exc).__name__, exc, lease)
        raise self.retry(exc=exc, countdown=lease) from exc


def _assess(task: Task, run_id: str, portal_id: str, settings: dict[str, Any], lease: float) -> dict[str, Any]:
    store = _store()
    run = store.get_run(run_id)
    if run is None:
        log.error("run %s is not in this worker's store %s: start the worker with the --db of `losi run` (%s)",
                  run_id, _safe(store.url), settings.get("store", "?"))  # fmt: skip
        return {"portal_id": portal_id, "status": "unknown run"}
    if finished(_portal_row(store, run_id, portal_id)):
        return {"portal_id": portal_id, "status": "already finished"}
    claim = store.claim(run_id, portal_id, worker_name(), lease)
    if claim is None:  # a live worker holds it; look again later, in case that worker is lost meanwhile
        raise task.retry(countdown=max(2.0, lease / 2))
    if finished(_portal_row(store, run_id, portal_id)):  # finished between the first look and the claim
        store.release(claim)
        return {"portal_id": portal_id, "status": "already finished"}
    data_dir, problem = _data_dir(run)
    if claim.attempts > MAX_ATTEMPTS:
        reason = problem or f"its worker was lost {claim.attempts - 1} times while assessing it; not tried again"
        _store_not_assessed(store, claim, reason)
        return {"portal_id": portal_id, "status": "not_assessed", "reason": reason}
    if problem:  # this worker cannot write the run's files: leave the portal to one that can
        log.error("%s: %s; left for another worker", portal_id, problem)
        store.release(claim)
        raise task.retry(countdown=lease)
    config = store.portal_config(run_id, portal_id)
    assert config is not None
    prefix = f"{portal_id} (run {run_id}, attempt {claim.attempts})"
    options = RunOptions(out_dir=data_dir, data_dir=data_dir, db_url=store.url,
                         probes=bool(settings.get("probes", True)), from_run=settings.get("from_run"),
                         progress=lambda line: log.info("%s", line))  # fmt: skip
    heartbeat = Heartbeat(store, claim, every=max(1.0, lease / 8))
    heartbeat.start()
    store.fence = claim
    try:
        outcome = assess_portal(store, run_id, config, options, prefix)
    except ClaimLost as exc:
        log.error("%s", exc)
        return {"portal_id": portal_id, "status": "claim lost"}
    finally:
        store.fence = None
        heartbeat.stop()
        with contextlib.suppress(Exception):
            store.release(claim)
    return asdict(outcome)


# ---------------------------------------------------------------------------------------- losi worker


def default_concurrency() -> int:
    """Portals at once in one worker: one per core, as `losi run --parallel` does."""
    return max(1, os.cpu_count() or 1)


def browser_pool(size: int | None = None) -> BrowserSlots:
    """The machine's browser pool: one folder of lock files in the machine's temporary directory, so every
    worker of one machine shares it (a folder on a network mount would not lock reliably)."""
    folder = Path(tempfile.gettempdir()) / f"losi-browser-slots-{os.getuid()}"
    return BrowserSlots(folder, size or default_size())


def run_worker(
    broker: str,
    db_url: str,
    data_dir: Path | None = None,
    concurrency: int | None = None,
    browsers: int | None = None,
    visibility_seconds: float = DEFAULT_VISIBILITY_SECONDS,
    hostname: str | None = None,
    loglevel: str = "INFO",
) -> int:
    """Check the broker, the store and the data directory, then run a Celery worker until it is stopped."""
    check_broker(broker)
    try:
        Store(db_url, data_dir).close()
    except StoreError as exc:
        raise DistributedError(str(exc)) from exc
    if data_dir is not None and not (data_dir.is_dir() and os.access(data_dir, os.W_OK)):
        raise DistributedError(f"--data-dir {data_dir} is not a writable directory on this machine")
    pool = browser_pool(browsers)
    os.environ[SLOTS_ENV] = pool.env_value()  # inherited by the pool processes, their crawls and probes
    configure(broker, db_url, data_dir, visibility_seconds)
    processes = concurrency or default_concurrency()
    share_cores(processes)
    print(f"losi worker: {processes} portal(s) at once, browser pool {pool.size} ({pool.folder}), broker "
          f"{_safe(broker)}, store {_safe(db_url)}, data {data_dir or 'as named in each run'}", flush=True)  # fmt: skip
    argv = ["worker", f"--concurrency={processes}", "--pool=prefork", f"--queues={QUEUE}", f"--loglevel={loglevel}",
            "--without-gossip", "--without-mingle", f"--hostname={hostname or 'losi@%h'}"]  # fmt: skip
    try:
        app.worker_main(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int | None) else 1
    return 0
