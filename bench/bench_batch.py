"""`make bench-batch`: 40 generated portals on 127.0.0.1, politeness on: `losi run` serial vs --parallel 4.

    .venv/bin/python -m bench.bench_batch [--portals 40] [--parallel 4] [--probes]

Each portal is a small city portal (a service catalogue, its services, sections) grown with 60 news items,
served by its own server; politeness stays at its defaults (0.25 s between requests, 4 per host). Prints the
wall time of each run, the ratio, the peak RSS of the whole process tree (losi, its workers, crawlers and
browsers) and its RSS over time, the same for the `losi run` process alone (a serial run assesses every portal
in it), and checks that both runs stored every portal's 95 findings.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.grow import add_filler, small_portal
from bench.rss import rss_kb, tree_rss_kb
from losi.localserve import LocalServer
from losi.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _run(config: Path, work: Path, parallel: int, probes: bool) -> tuple[float, float, list[int], list[int], int]:
    command = [sys.executable, "-m", "losi.cli", "run", str(config), "--parallel", str(parallel), "--format", "csv",
               "--data-dir", str(work / "data"), "--out", str(work / "out")]  # fmt: skip
    if not probes:
        command.append("--no-probes")
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "LOSI_ENGINES": os.environ.get("LOSI_ENGINES", "none")})  # fmt: skip
    series: list[int] = []
    own: list[int] = []  # `losi run` itself: a serial run parses and assesses every portal in this process
    while process.poll() is None:
        series.append(tree_rss_kb(process.pid) // 1024)
        own.append(rss_kb(process.pid) // 1024)
        time.sleep(1.0)
    seconds = time.monotonic() - started
    store = Store(data_dir=work / "data")
    try:
        run_id = store.latest_run_id()
        complete = sum(len(store.findings(run_id, p["portal_id"])) == 95 for p in store.portals(run_id or ""))
    finally:
        store.close()
    return seconds, max(series or [0]), series, own, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--probes", action="store_true", help="run the live-browser probes too (much slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="losi-bench-batch-") as tmp:
        servers = []
        lines = ["defaults: {allow_private: true, languages: [en]}", "portals:"]
        for number in range(args.portals):
            site = small_portal(Path(tmp) / "sites" / f"p{number}")
            add_filler(site, news=60, seed=number)
            server = LocalServer(site)
            servers.append(server)
            lines.append(f"  - {{id: portal{number:02d}, home_url: '{server.url}'}}")
        config = Path(tmp) / "portals.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            print(f"{args.portals} portals, politeness on, probes {'on' if args.probes else 'off'}", flush=True)
            results = {}
            for parallel in (1, args.parallel):
                seconds, peak, series, own, complete = _run(config, Path(tmp) / f"run{parallel}", parallel,
                                                            args.probes)  # fmt: skip
                results[parallel] = seconds
                every = max(1, len(series) // 12)
                print(f"--parallel {parallel}: {seconds:7.1f} s wall, peak RSS {peak} MB, "
                      f"{complete}/{args.portals} portals with all 95 findings", flush=True)  # fmt: skip
                print(f"  RSS over time (MB, every {every} s): {series[::every]}", flush=True)
                print(f"  `losi run` process alone: peak {max(own or [0])} MB, over time {own[::every]}", flush=True)
            print(f"serial / --parallel {args.parallel}: {results[1] / results[args.parallel]:.2f}x")
        finally:
            for server in servers:
                server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
