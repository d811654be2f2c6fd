"""What the assessing process's memory is made of: the bytes a crawled portal's pages and the rules' tables hold.

    .venv/bin/python -m bench.memory_parts PORTAL_DIR [PORTAL_DIR ...]

Each PORTAL_DIR is a crawled portal's folder (data/runs/<run>/<portal>, as `bench.bench_memory` or `losi run`
leave it). Its captures are parsed and assessed as `losi run` does; then every object the site holds is counted
once (sys.getsizeof), under the first part that reaches it: each field of the pages, the site's own tables, the
concept index, then each table of the rules' shared view (SiteSignals). A template's link that every page holds
counts once. With two folders or more, the growth of each part from one to the next, a page: the parts that
keep memory from being flat over pages. Counted bytes leave out the allocator's own overhead (RSS is more).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from losi.layout import PortalFiles
from losi.models import HELD_FIELDS, PageDoc, PortalConfig, held

_ATOMS = (str, bytes, int, float, bool, type(None))


def _referents(obj: Any) -> Iterable[Any]:
    if isinstance(obj, dict):
        return itertools.chain(obj.keys(), obj.values())
    if isinstance(obj, list | tuple | set | frozenset):
        return obj
    found: list[Any] = []
    for kind in type(obj).__mro__:
        slots = getattr(kind, "__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            with contextlib.suppress(AttributeError):  # a slot never set
                found.append(object.__getattribute__(obj, name))
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        found.append(obj.__dict__)
    return found


def size_of(obj: Any, seen: set[int]) -> int:
    """The bytes of obj and of everything it reaches that is not in seen (which this fills)."""
    total, todo = 0, [obj]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if not isinstance(item, _ATOMS):
            todo.extend(_referents(item))
    return total


def measure(folder: Path) -> tuple[int, dict[str, int]]:
    """The portal's pages and the bytes of each part, counted once each."""
    from assessors.engine import assess_site
    from indicators.catalog import load_catalog
    from losi.pipeline import load_site

    files = PortalFiles(folder)
    portal = PortalConfig.from_dict(json.loads(files.job.read_text(encoding="utf-8")))
    site = load_site(portal, files)
    index = site.concept_index  # the rules take it over: counted as it was before they did
    assess_site(site, load_catalog(portal.framework))
    signals = site.signals
    seen = {id(site), id(site.__dict__), id(signals), id(signals.__dict__), id(signals.lexicon)}
    parts = {"page objects": sum(sys.getsizeof(page) for page in site.pages)}
    seen |= {id(page) for page in site.pages}
    for name in PageDoc.__slots__:
        parts[f"page.{name}"] = sum(
            size_of(held(page, name) if name in HELD_FIELDS else getattr(page, name), seen) for page in site.pages
        )
    parts["concept index"] = size_of(index, seen)
    for name, value in vars(site).items():
        if name not in ("pages", "signals", "concept_index"):
            parts[f"site.{name}"] = size_of(value, seen)
    for name, value in vars(signals).items():
        if name not in ("site", "lexicon"):
            parts[f"signals.{name}"] = size_of(value, seen)
    return len(site.pages), parts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="crawled portals' folders (data/runs/<run>/<portal>)")
    args = parser.parse_args(argv)
    for folder in args.folders:
        if not PortalFiles(folder).job.is_file():
            parser.error(f"{folder}: not a crawled portal's folder (no job file)")
    sizes = [measure(folder) for folder in args.folders]
    for (pages, parts), folder in zip(sizes, args.folders, strict=True):
        print(f"{folder}: {pages} pages, {sum(parts.values()) / 2**20:.1f} MB counted")
        for name, size in sorted(parts.items(), key=lambda item: -item[1]):
            if size >= 1024:
                print(f"  {name:32} {size / 1024:9.0f} KB {size / max(pages, 1):8.0f} B a page")
    for (small, before), (big, after) in itertools.pairwise(sorted(sizes, key=lambda size: size[0])):
        if big <= small:
            continue
        print(f"from {small} to {big} pages, a page adds:")
        grown = {name: (after.get(name, 0) - before.get(name, 0)) / (big - small) for name in after}
        for name, per_page in sorted(grown.items(), key=lambda item: -item[1]):
            if abs(per_page) >= 1:
                print(f"  {name:32} {per_page:8.0f} B")
        print(f"  {'all':32} {sum(grown.values()):8.0f} B")


if __name__ == "__main__":
    main()
