"""`make demo`: serve the bundled sample portals and one country bundle (samples/country-uzb, one port per site)
on 127.0.0.1, assess them all (the cities against LOSI, the country against OSI), say where the reports are."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from losi.bundle import load_bundle
from losi.bundleserve import serve_country
from losi.config import load_portals
from losi.localserve import serve_directory
from losi.pipeline import RunOptions, run_assessment

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COUNTRY = SAMPLES / "country-uzb"  # built by tests/fixtures/countries/build.py


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m losi.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="report folder (default: demo-out)")
    parser.add_argument("--data-dir", type=Path, default=None, help="run store and captures (default: OUT/data)")
    parser.add_argument("--no-probes", action="store_true", help="skip the live-browser checks")
    args = parser.parse_args(argv)

    with serve_directory(SAMPLES) as base, serve_country(COUNTRY, args.out.resolve() / "bundle") as bundle:
        portals = load_portals(SAMPLES / "portals.yaml", substitutions={"base": base})
        portals.append(load_bundle(bundle))  # a country: its sites on their own ports (country.yaml in --out)
        for portal in portals:
            portal.allow_private = True  # the samples are served on loopback, by us
        print(f"serving the sample portals at {base}/ and the country bundle {COUNTRY.name}", file=sys.stderr)
        outcome = run_assessment(
            portals,
            RunOptions(
                out_dir=args.out.resolve(),
                data_dir=(args.data_dir or args.out / "data").resolve(),
                probes=not args.no_probes,
            ),
        )
    print()
    for portal in outcome.portals:
        status = f"{portal.met}/{portal.total} met" if portal.status == "assessed" else f"not assessed: {portal.reason}"
        print(f"  {portal.portal_id:<16} {status}")
    print(f"\nreports of run {outcome.run_id}:")
    for kind, path in sorted(outcome.reports.items()):
        print(f"  {kind:<14} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
