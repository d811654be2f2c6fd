"""`make bench`: every benchmark, printing its numbers (stage times and pages/s, rendering and axe speed, memory)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

CITY_BUREAU = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "city-bureau"
BENCHMARKS: tuple[tuple[str, list[str]], ...] = (
    ("bench.bench_stages", []),
    *((("bench.bench_stages", ["--pages", "3000", "--no-probes", "--corpus", str(CITY_BUREAU)]),)
      if CITY_BUREAU.is_dir() else ()),
    ("bench.bench_browser", []),
)  # fmt: skip


def main() -> int:
    failed = 0
    for name, args in BENCHMARKS:
        print(f"\n=== {' '.join([name, *args])}", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(name).main(args)
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            failed += 1
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"=== {name}: {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
