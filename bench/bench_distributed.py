"""`make bench-distributed`: 20 generated portals on 127.0.0.1, assessed three ways with the same number of
portals at once: `losi run --parallel P` on this machine, one `losi worker --concurrency P`, and two workers
sharing the P (all through a real redis-server and one PostgreSQL store started for the benchmark).

    .venv/bin/python -m bench.bench_distributed [--portals 20] [--parallel 2] [--news 30] [--probes]

Each portal is a small city portal grown with news items, served by its own server; politeness stays at its
defaults. Prints each way's wall time (from `losi run` starting to its reports written, workers already
running; their start-up is printed apart), how many portals were assessed with all 95 findings, and each
way's difference to the local run: the queue's cost (publishing, Redis, progress read from the store) against
what warm worker processes save (the local run starts a fresh process per portal).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.grow import add_filler, small_portal
from losi.devservers import postgres_server, redis_server
from losi.localserve import LocalServer
from losi.procs import kill_tree
from losi.store import Store

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 180.0
RUN_SECONDS = 3600.0


def _losi(*args: str) -> list[str]:
    return [sys.executable, "-m", "losi.cli", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "LOSI_ENGINES": os.environ.get("LOSI_ENGINES", "none")}


def _start_workers(count: int, concurrency: int, broker: str, db: str, logs: Path) -> list[subprocess.Popen]:
    """Start the workers and wait until each is connected (its start-up is not part of the run's time)."""
    started = time.monotonic()
    workers = []
    for number in range(count):
        log = logs / f"worker{number}.log"
        workers.append(subprocess.Popen(
            _losi("worker", "--broker", broker, "--db", db, "--concurrency", str(concurrency), "--name",
                  f"bench{number}@%h"),
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
        ))  # fmt: skip
    deadline = time.monotonic() + READY_SECONDS
    for number in range(count):
        log = logs / f"worker{number}.log"
        while "ready." not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or workers[number].poll() is not None:
                raise SystemExit(f"worker {number} did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
    print(f"  ({count} worker(s) started and connected in {time.monotonic() - started:.1f} s, not counted below)",
          flush=True)
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            kill_tree(worker.pid)
            worker.wait(timeout=30)


def _run(config: Path, work: Path, db: str, probes: bool, extra: list[str]) -> tuple[float, int, str]:
    work.mkdir(parents=True)
    command = _losi("run", str(config), "--db", db, "--data-dir", str(work / "data"), "--out", str(work / "out"),
                    "--format", "csv", *extra)  # fmt: skip
    if not probes:
        command.append("--no-probes")
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=RUN_SECONDS)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    run_id = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("run "))
    store = Store(db, work / "data")
    try:
        complete = sum(p["status"] == "assessed" and len(store.findings(run_id, p["portal_id"])) == 95
                       for p in store.portals(run_id))  # fmt: skip
    finally:
        store.close()
    return seconds, complete, run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=max(2, os.cpu_count() or 2),
                        help="portals at once, in every way (default: the cores, at least 2)")
    parser.add_argument("--news", type=int, default=30, help="news items added to each portal (default: 30)")
    parser.add_argument("--probes", action="store_true", help="run the live-browser probes too (much slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="losi-bench-distributed-") as tmp, redis_server() as broker, \
            postgres_server() as db:  # fmt: skip
        servers = []
        lines = ["defaults: {allow_private: true, languages: [en]}", "portals:"]
        for number in range(args.portals):
            site = small_portal(Path(tmp) / "sites" / f"p{number}")
            add_filler(site, news=args.news, seed=number)
            server = LocalServer(site)
            servers.append(server)
            lines.append(f"  - {{id: portal{number:02d}, home_url: '{server.url}'}}")
        config = Path(tmp) / "portals.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        p = args.parallel
        print(f"{args.portals} portals, {p} at a time in every way, politeness on, probes "
              f"{'on' if args.probes else 'off'}, {os.cpu_count()} cores", flush=True)  # fmt: skip
        results: dict[str, float] = {}
        try:
            ways = [("local --parallel", 0, 0), ("1 worker", 1, p), ("2 workers", 2, max(1, p // 2))]
            for label, count, concurrency in ways:
                work = Path(tmp) / label.replace(" ", "-")
                workers = []
                extra = ["--parallel", str(p)]
                if count:
                    work.mkdir()
                    workers = _start_workers(count, concurrency, broker, db, work)
                    extra = ["--broker", broker, "--idle-timeout", "600"]
                    label = f"{label} (--concurrency {concurrency} each)"
                try:
                    seconds, complete, run_id = _run(config, work / "run", db, args.probes, extra)
                finally:
                    _stop(workers)
                results[label] = seconds
                print(f"{label:<36} {seconds:7.1f} s wall  {args.portals / seconds * 60:5.1f} portals/min  "
                      f"{complete}/{args.portals} portals assessed with all 95 findings  (run {run_id})", flush=True)
            local = next(iter(results.values()))
            for label, seconds in list(results.items())[1:]:
                print(f"{label} against the local run: {seconds - local:+.1f} s ({seconds / local - 1:+.1%})")
            print("(the local run starts a fresh process per portal; a worker's pool processes are started once, "
                  "so what they save can hide what the queue costs)")  # fmt: skip
        finally:
            for server in servers:
                server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
