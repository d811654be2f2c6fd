"""Distributed runs with the real components on 127.0.0.1: redis-server, PostgreSQL (a fresh cluster), two
`losi worker` processes, `losi run --broker`. A worker is killed with SIGKILL while it holds a portal; the
run still completes with every portal's 95 findings stored once.

Every wait is on a condition with a generous timeout; no elapsed time is asserted (the machine is busy)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from losi.devservers import ServerUnavailable, redis_server
from losi.localserve import LocalServer
from losi.models import Finding, PortalConfig, Verdict
from losi.procs import descendants, kill_tree
from losi.store import ClaimLost, Store, findings
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

PORTALS = [("tashkent", "toshkent-uz", "uz, ru"), ("mtskheta", "mtskheta-ka", "ka, en"),
           ("gyumri", "gyumri-hy", "hy, en"), ("tashkent-2", "toshkent-uz", "uz, ru")]  # fmt: skip
LEASE = "15"  # seconds without a heartbeat before a portal is given to another worker (run --lease)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except ServerUnavailable as exc:
        pytest.skip(str(exc))


_databases = iter(range(1, 16))


@pytest.fixture
def broker(redis_url: str) -> str:
    """The module's Redis, a database of each test's own: what one test leaves queued, no other test sees."""
    return f"{redis_url.rsplit('/', 1)[0]}/{next(_databases)}"


@pytest.fixture(scope="module")
def db(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    server = LocalServer(SAMPLES)
    yield server
    server.close()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def portals_yaml(tmp: Path, site: LocalServer) -> Path:
    """Four portals, crawled politely (one request at a time, 0.3 s apart), so each takes several seconds."""
    lines = ["defaults: {allow_private: true, render: never, politeness: {delay: 0.3, concurrency_per_host: 1}}",
             "portals:"]  # fmt: skip
    for portal_id, folder, languages in PORTALS:
        lines.append(f"  - {{id: {portal_id}, home_url: '{site.base}/{folder}/', languages: [{languages}]}}")
    path = tmp / "portals.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def losi(*args: str) -> list[str]:
    return [sys.executable, "-m", "losi.cli", *args]


class Workers:
    """`losi worker` processes (each its own session, so the test can end each with all it started)."""

    def __init__(self, tmp: Path, broker: str, db: str, *extra: str) -> None:
        self.tmp, self.broker, self.db, self.extra = tmp, broker, db, extra
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int) -> None:
        for number in range(count):
            log = (self.tmp / f"worker{len(self.processes)}.log").open("w")
            self.processes.append(subprocess.Popen(
                losi("worker", "--broker", self.broker, "--db", self.db, "--concurrency", "1",
                     "--name", f"w{len(self.processes)}@%h", *self.extra),
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
            wait_for(lambda n=number: "ready." in (self.tmp / f"worker{n}.log").read_text(errors="replace"),
                     120, "the worker to connect")  # fmt: skip

    def owner(self, pid: int) -> subprocess.Popen | None:
        """The worker whose pool process pid is."""
        return next((w for w in self.processes if pid in descendants(w.pid)), None)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
            kill_tree(process.pid)
            process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker*.log")))


def held_portal(store: Store, workers: Workers, run_id: str | None) -> tuple[str, int] | None:
    """(portal, pool process pid) of a portal a worker is crawling right now."""
    if not run_id:
        return None
    statuses = {p["portal_id"]: p["status"] for p in store.portals(run_id)}
    for portal_id, claim in store.claims(run_id).items():
        if claim["token"] and statuses.get(portal_id) == "pending":
            pid = int(claim["worker"].rsplit(":", 1)[1])
            if workers.owner(pid) is not None:
                return portal_id, pid
    return None


def assert_complete(store: Store, run_id: str) -> None:
    """Every portal assessed, with its 95 findings, each stored once."""
    statuses = {p["portal_id"]: p["status"] for p in store.portals(run_id)}
    assert statuses == {portal_id: "assessed" for portal_id, _, _ in PORTALS}
    with store.engine.connect() as conn:
        rows = conn.execute(select(findings.c.portal_id, func.count()).where(findings.c.run_id == run_id)
                            .group_by(findings.c.portal_id)).all()  # fmt: skip
        twice = (select(findings.c.portal_id, findings.c.indicator).where(findings.c.run_id == run_id)
                 .group_by(findings.c.portal_id, findings.c.indicator).having(func.count() > 1))  # fmt: skip
        copies = conn.execute(select(func.count()).select_from(twice.subquery())).scalar()
    assert dict(rows) == {portal_id: 95 for portal_id, _, _ in PORTALS}
    assert copies == 0


# ------------------------------------------------------------------------------------------- claims


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_claims_take_over_a_lost_worker_and_fence_its_writes(kind: str, tmp_path: Path, request: Any) -> None:
    store = Store(request.getfixturevalue("db") if kind == "postgresql" else None, tmp_path)
    run_id = store.create_run(tmp_path)
    store.add_portal(run_id, PortalConfig(id="city", home_url="https://city.example/"))
    first = store.claim(run_id, "city", "host-a:1", lease_seconds=60)
    assert first is not None and first.attempts == 1
    assert store.claim(run_id, "city", "host-b:2", lease_seconds=60) is None  # alive: nobody else takes it
    store.fence = first
    store.save_findings(run_id, "city", "losi-2024", [Finding("214", Verdict.MET, "r", "first")])
    store.fence = None

    assert store.expire_claims(run_id, "city", worker="host-a:9") == 0  # only the named holder's claim
    assert store.expire_claims(run_id, "city", worker="host-a:1") == 1  # host-a's process died
    second = store.claim(run_id, "city", "host-b:2", lease_seconds=60)
    assert second is not None and second.attempts == 2
    assert not store.heartbeat(first) and store.heartbeat(second)

    store.fence = first  # the lost worker comes back and tries to store its findings: refused, nothing changes
    with pytest.raises(ClaimLost, match="taken over"):
        store.save_findings(run_id, "city", "losi-2024", [Finding("214", Verdict.NOT_MET, "r", "late")])
    store.fence = second
    store.save_findings(run_id, "city", "losi-2024", [Finding("214", Verdict.NOT_MET, "r", "second")])
    store.fence = None
    assert [s.finding.explanation for s in store.findings(run_id)] == ["second"]

    store.release(second)
    third = store.claim(run_id, "city", "host-c:3", lease_seconds=60)  # released: free at once
    assert third is not None and third.attempts == 3
    time.sleep(0.05)
    assert store.claim(run_id, "city", "host-d:4", lease_seconds=0.01) is not None  # silent past its lease
    store.close()


# ---------------------------------------------------------------------------------- killed workers


def test_pool_process_killed_while_it_holds_a_portal(
    broker: str, db: str, site: LocalServer, tmp_path: Path
) -> None:
    """SIGKILL on the process crawling a portal: Celery puts the message back (acks_late, reject on worker
    lost), the claim is expired by the worker's main process, and a worker assesses the portal again. The
    killed process's crawl dies with it. The reports are written when every portal is done."""
    config = portals_yaml(tmp_path, site)
    data = tmp_path / "shared"  # `losi run` creates it; the workers write where the run says
    workers = Workers(tmp_path, broker, db)
    store = Store(db, data)
    try:
        workers.start(2)
        run = subprocess.Popen(
            losi("run", str(config), "--broker", broker, "--db", db, "--data-dir", str(data), "--out",
                 str(tmp_path / "out"), "--no-probes", "--format", "csv,html", "--lease", LEASE,
                 "--idle-timeout", "600"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        run_id = wait_for(lambda: next((r["id"] for r in store.list_runs() if r["data_dir"] == str(data)), None),
                          120, "the run to be created")  # fmt: skip
        portal_id, pid = wait_for(lambda: held_portal(store, workers, run_id), 300, "a worker to crawl a portal")
        crawl = wait_for(lambda: descendants(pid), 60, "the portal's crawl process")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not any(Path(f"/proc/{p}").exists() and "Z" not in _state(p) for p in crawl), 60,
                 "the killed process's crawl to end with it")  # fmt: skip

        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err[-3000:] + workers.logs()[-3000:]
        assert_complete(store, run_id)
        claim = store.claims(run_id)[portal_id]
        assert claim["attempts"] >= 2, claim  # taken again after the kill
        assert claim["worker"] != f"{claim['worker'].rsplit(':', 1)[0]}:{pid}"  # finished by another process
        assert "was lost" in workers.logs()
        for portal_id_, _, _ in PORTALS:
            assert f"{portal_id_}: " in out
        rows = (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8").strip().splitlines()
        assert len(rows) == 1 + 95 * len(PORTALS)

        # the reports can be written later from any machine; one without the shared folder says so
        elsewhere = tmp_path / "elsewhere"
        data.rename(tmp_path / "unmounted")
        report = subprocess.run(losi("report", run_id, "--db", db, "--data-dir", str(elsewhere), "--format", "html",
                                     "--out", str(tmp_path / "later")), cwd=ROOT, capture_output=True, text=True,
                                timeout=300)  # fmt: skip
        assert report.returncode == 0, report.stderr
        html = (tmp_path / "later" / "report.html").read_text(encoding="utf-8")
        assert f"The data directory of this run ({data}) is not reachable from this machine" in html
    finally:
        workers.stop()
        store.close()


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat[stat.rfind(")") + 2 :].split()[0]


def test_worker_machine_lost_and_run_resumed(broker: str, db: str, site: LocalServer, tmp_path: Path) -> None:
    """A whole worker (main process, pool, crawl) is killed while it holds a portal, and so is `losi run`:
    nobody acknowledged the portal's message, so Redis hands it out again after the visibility timeout; the
    surviving worker takes the claim over once the lease has passed and finishes the run alone. `losi run
    --resume RUN --broker` then finds every portal done and writes the reports."""
    config = portals_yaml(tmp_path, site)
    data = tmp_path / "shared"
    data.mkdir()
    workers = Workers(tmp_path, broker, db, "--visibility-timeout", "8", "--data-dir", str(data))
    store = Store(db, data)
    command = losi("run", str(config), "--broker", broker, "--db", db, "--data-dir", str(data), "--out",
                   str(tmp_path / "out"), "--no-probes", "--format", "csv", "--lease", LEASE, "--idle-timeout", "600")
    try:
        workers.start(2)
        run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
        run_id = wait_for(lambda: next((r["id"] for r in store.list_runs() if r["data_dir"] == str(data)), None),
                          120, "the run to be created")  # fmt: skip
        portal_id, pid = wait_for(lambda: held_portal(store, workers, run_id), 300, "a worker to crawl a portal")
        lost = workers.owner(pid)
        assert lost is not None
        os.killpg(run.pid, signal.SIGKILL)  # the coordinator is gone: only Redis can hand the portal out again
        run.wait(timeout=30)
        kill_tree(lost.pid)  # the machine is gone
        lost.wait(timeout=30)

        def all_finished() -> bool:
            return all(p["status"] == "assessed" for p in store.portals(run_id))

        wait_for(all_finished, 900, "the surviving worker to finish every portal", every=1.0)
        assert_complete(store, run_id)
        claim = store.claims(run_id)[portal_id]
        assert claim["attempts"] >= 2 and int(claim["worker"].rsplit(":", 1)[1]) != pid, claim

        resumed = subprocess.run([*command, "--resume", run_id], cwd=ROOT, capture_output=True, text=True,
                                 timeout=600)  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert resumed.stderr.count("already assessed") == len(PORTALS)
        assert store.get_run(run_id)["status"] == "finished"
        rows = (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8").strip().splitlines()
        assert len(rows) == 1 + 95 * len(PORTALS)
    finally:
        workers.stop()
        store.close()


# ------------------------------------------------------------------------------------------ bad input


def _cli(*args: str, prelude: str = "pass", timeout: float = 120) -> subprocess.CompletedProcess:
    code = f"import sys; {prelude}; from losi.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def test_unreachable_broker_and_missing_packages_are_clear_errors(tmp_path: Path, site: LocalServer) -> None:
    config = portals_yaml(tmp_path, site)
    dead = "redis://127.0.0.1:1/0"
    sqlite = f"sqlite:///{tmp_path / 's.sqlite'}"
    for result in (
        _cli("run", str(config), "--broker", dead, "--data-dir", str(tmp_path)),
        _cli("worker", "--broker", dead, "--db", sqlite),
    ):
        assert result.returncode == 2, result.stderr
        assert "cannot reach the broker redis://127.0.0.1:1/0" in result.stderr
        assert "Traceback" not in result.stderr
    assert Store(sqlite).list_runs() == []  # nothing was created for a broker that does not answer

    no_celery = _cli("run", str(config), "--broker", dead, prelude="sys.modules['celery'] = None")
    assert no_celery.returncode == 2 and "pip install 'losi[distributed]'" in no_celery.stderr, no_celery.stderr
    no_driver = _cli("runs", "--db", "postgresql+psycopg://losi@127.0.0.1:1/losi",
                     prelude="sys.modules['psycopg'] = None")  # fmt: skip
    assert no_driver.returncode == 2 and "Traceback" not in no_driver.stderr
    assert "driver for postgresql+psycopg:// URLs (psycopg) is not installed: pip install 'losi[distributed]'" in \
        no_driver.stderr  # fmt: skip
    for bad in (("--broker", "http://queue/0"), ("--broker", dead, "--parallel", "2"), ("--lease", "5")):
        result = _cli("run", str(config), *bad)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_no_worker_then_resume_after_the_broker_lost_its_queue(
    broker: str, db: str, site: LocalServer, tmp_path: Path
) -> None:
    """No worker: `losi run --broker` stops waiting with a clear message (no hang) and the run stays in the
    store. The broker then restarts empty (the queued portals are gone); `--resume` queues what is not
    finished again, and a worker started now assesses every portal."""
    import redis

    config = portals_yaml(tmp_path, site)
    data = tmp_path / "shared"
    command = ["run", str(config), "--broker", broker, "--db", db, "--data-dir", str(data), "--out",
               str(tmp_path / "out"), "--no-probes", "--format", "csv", "--lease", LEASE]  # fmt: skip
    result = _cli(*command, "--idle-timeout", "5", timeout=300)
    assert result.returncode == 2, result.stderr
    assert "no worker took, finished or worked on any portal for 5 s" in result.stderr
    assert "losi worker --broker" in result.stderr and "Traceback" not in result.stderr
    store = Store(db, data)
    run_id = next(r["id"] for r in store.list_runs() if r["data_dir"] == str(data))
    assert {p["status"] for p in store.portals(run_id)} == {"pending"}

    client = redis.Redis.from_url(broker)
    assert client.llen("losi") == len(PORTALS)
    client.flushdb()  # the broker restarted without its queue
    client.close()
    workers = Workers(tmp_path, broker, db)
    try:
        workers.start(1)
        resumed = _cli(*command, "--resume", run_id, "--idle-timeout", "600", timeout=900)
        assert resumed.returncode == 0, resumed.stderr[-3000:] + workers.logs()[-3000:]
        assert_complete(store, run_id)
        assert store.get_run(run_id)["status"] == "finished"
    finally:
        workers.stop()
        store.close()
