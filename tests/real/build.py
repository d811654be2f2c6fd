"""Rebuild the real-site corpus (tests/real/sites.yaml) from its source repositories.

The pages are not redistributed with this project. Each site is read from a snapshot of its public
repository (a bare git directory), at the pinned commit, and written as plain files that any static server
can serve: nothing of the repository is built or run.

    python -m tests.real.build                  # every site whose snapshot is present
    python -m tests.real.build --site urganch-uz
    python -m tests.real.build --sources DIR    # where the snapshots are (default $LOSI_REAL_SOURCES or /work/.mirror)

A snapshot of `owner/name` is looked for as DIR/owner+name/repo (a bare git directory) or DIR/owner+name.
Sites are written to $LOSI_REAL_CACHE or .cache/real/<id>/ in the project; a site already built at the same
commit is not written again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SITES_FILE = HERE / "sites.yaml"
LABELS_DIR = HERE / "labels"
DEFAULT_SOURCES = Path("/work/.mirror")
DEFAULT_CACHE = ROOT / ".cache" / "real"
STAMP = ".losi-real-commit"
GIT_TIMEOUT = 120  # seconds for one git command on a local snapshot


@dataclass(frozen=True)
class RealSite:
    id: str
    name: str
    repo: str
    commit: str
    root: str
    home: str
    languages: tuple[str, ...]
    licence: str
    held_out: bool
    notes: str = ""

    @property
    def labels_file(self) -> Path:
        return LABELS_DIR / f"{self.id}.yaml"


class CorpusError(RuntimeError):
    """The corpus description or a snapshot is unusable; the message says which and why."""


def load_sites(path: Path = SITES_FILE) -> list[RealSite]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sites = []
    for entry in data.get("sites") or []:
        try:
            sites.append(
                RealSite(
                    id=entry["id"], name=entry.get("name", entry["id"]), repo=entry["repo"],
                    commit=entry["commit"], root=(entry.get("root") or "").strip("/"),
                    home=entry.get("home", "index.html"), languages=tuple(entry.get("languages") or ()),
                    licence=entry.get("licence", ""), held_out=bool(entry.get("held_out")),
                    notes=entry.get("notes", ""),
                )
            )  # fmt: skip
        except KeyError as exc:
            raise CorpusError(f"{path}: a site lacks {exc}") from None
    return sites


def sources_dir() -> Path:
    return Path(os.environ.get("LOSI_REAL_SOURCES") or DEFAULT_SOURCES)


def cache_dir() -> Path:
    return Path(os.environ.get("LOSI_REAL_CACHE") or DEFAULT_CACHE)


def snapshot_of(site: RealSite, sources: Path) -> Path | None:
    """The bare git directory holding the site's repository, if its snapshot is on this machine."""
    folder = sources / site.repo.replace("/", "+")
    for candidate in (folder / "repo", folder):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def _git(git_dir: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", f"--git-dir={git_dir}", *args], capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusError(f"git {args[0]} on {git_dir} failed: {exc}") from None
    if done.returncode != 0:
        raise CorpusError(f"git {' '.join(args[:2])} on {git_dir}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def build_site(site: RealSite, sources: Path | None = None, cache: Path | None = None) -> Path:
    """Write the site's files at its commit into cache/<id>/ and return that folder.

    Blobs the snapshot lacks (it leaves out files of 4 MiB and more) and symbolic links are skipped; the
    skipped paths are listed in <id>/.losi-missing.txt.
    """
    sources = sources or sources_dir()
    out = (cache or cache_dir()) / site.id
    stamp = out / STAMP
    if stamp.is_file() and stamp.read_text().strip() == site.commit:
        return out
    git_dir = snapshot_of(site, sources)
    if git_dir is None:
        raise CorpusError(
            f"no snapshot of {site.repo} under {sources} (fetch github:{site.repo} with the search tool's "
            "fetch, or point LOSI_REAL_SOURCES at a folder holding owner+name/repo)"
        )
    listing = _git(git_dir, "ls-tree", "-r", "-z", site.commit, *([f"{site.root}/"] if site.root else []))
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    missing: list[str] = []
    prefix = f"{site.root}/" if site.root else ""
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = raw_path.decode("utf-8", errors="surrogateescape")
        relative = path[len(prefix) :] if path.startswith(prefix) else path
        if kind != "blob" or mode == "120000" or ".." in Path(relative).parts:
            missing.append(path)
            continue
        try:
            content = _git(git_dir, "cat-file", "blob", sha)
        except CorpusError:
            missing.append(path)
            continue
        target = tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if not (tmp / site.home).is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise CorpusError(f"{site.id}: the home page {site.home} is not in {site.repo}@{site.commit[:12]}/{site.root}")
    if missing:
        (tmp / ".losi-missing.txt").write_text("\n".join(missing) + "\n", encoding="utf-8")
    (tmp / STAMP).write_text(site.commit + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def available(sites: Sequence[RealSite], sources: Path | None = None, cache: Path | None = None) -> dict[str, Path]:
    """Build what can be built; site id -> its folder. Sites without a snapshot are left out."""
    out: dict[str, Path] = {}
    for site in sites:
        try:
            out[site.id] = build_site(site, sources, cache)
        except CorpusError as exc:
            print(f"real corpus: {site.id} skipped: {exc}", file=sys.stderr)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.real.build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", action="append", help="build only this site (repeatable)")
    parser.add_argument("--sources", type=Path, help="folder of repository snapshots")
    parser.add_argument("--out", type=Path, help="where to write the sites (default .cache/real)")
    args = parser.parse_args(argv)
    sites = load_sites()
    if args.site:
        unknown = set(args.site) - {s.id for s in sites}
        if unknown:
            print(f"unknown site(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        sites = [s for s in sites if s.id in args.site]
    built = available(sites, args.sources, args.out)
    for site in sites:
        where = built.get(site.id)
        print(f"{site.id:<16} {'built ' + str(where) if where else 'NOT BUILT (no snapshot)'}")
    return 0 if built else 1


if __name__ == "__main__":
    sys.exit(main())
