"""`make bench`: every benchmark, printing its numbers (stage times and pages/s, rendering and axe speed, memory)."""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = ("bench.bench_stages", "bench.bench_browser")


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        print(f"\n=== {name}", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            failed += 1
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"=== {name}: {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
