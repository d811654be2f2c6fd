"""What every browser engine shares: the result shape, the layout script, process handling, the private guard."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.scope import blocked_address

NAV_TIMEOUT_S = 30.0
START_TIMEOUT_S = 30.0
SETTLE_S = 0.5  # time after load for late errors (timers, load handlers) to show up
MAX_ERRORS = 50
MAX_ERROR_CHARS = 300

MIN_READABLE_PX = 12  # text smaller than this counts as hard to read on a phone (LOSI #204)

# The one layout script: a plain function body returning a JSON string, the same measurements in every engine
# (Firefox and WebKit run it as a body; Chromium as LAYOUT_FUNCTION_JS). Page geometry, visible text, links
# and images for the cross-engine comparison (#201), and viewport meta, font sizes and tap targets for #204.
# text_chars is the length of the visible innerText; sized_text_chars / small_text_chars count the characters
# of the rendered text nodes whose font size was measured (the base of the small-text share).
LAYOUT_JS = """
  const de = document.documentElement, body = document.body;
  const sw = Math.max(de.scrollWidth, body ? body.scrollWidth : 0);
  // overflow-x: hidden on the root or the body: what sticks out cannot be scrolled to (an off-canvas menu)
  const clips = el => el && ['hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const clippedX = clips(de) || clips(body);
  const sh = Math.max(de.scrollHeight, body ? body.scrollHeight : 0);
  const text = ((body && body.innerText) || '').replace(/\\s+/g, ' ').trim();
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const links = Array.from(document.links).filter(shown).length;
  const images = Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0 && shown(i)).length;
  const meta = document.querySelector('meta[name="viewport" i]');
  let minPx = null, sized = 0, small = 0, count = 0, n;
  const walker = document.createTreeWalker(body || de, NodeFilter.SHOW_TEXT);
  while ((n = walker.nextNode()) && count < 20000) {
    const t = n.nodeValue.trim();
    if (!t) continue;
    const el = n.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    count++;
    if (!shown(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || parseFloat(cs.opacity) === 0) continue;
    const px = parseFloat(cs.fontSize);
    minPx = minPx === null ? px : Math.min(minPx, px);
    sized += t.length;
    if (px < MIN_PX) small += t.length;
  }
  // What sticks out past the right edge: the outermost boxes only (their children stick out with them).
  let overflowRoots = 0, overflowPx = 0; const overflowing = [];
  // a phone without a fitting viewport meta lays the page out wider than its screen: measure against the screen
  const vw = Math.min(window.innerWidth, (window.screen && screen.width) || window.innerWidth), outside = new Set();
  for (const el of (body || de).querySelectorAll('*')) {
    if (outside.size > 20000) break;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 1) continue;
    outside.add(el);
    if (el.parentElement && outside.has(el.parentElement)) continue;
    overflowRoots++;
    overflowPx = Math.max(overflowPx, Math.round(r.right - vw));
    if (overflowing.length < 5) overflowing.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/)[0] : ''));
  }
  let targets = 0, smallTargets = 0;
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    targets++;
    if (r.width < 24 || r.height < 24) smallTargets++;
  }
  return JSON.stringify({
    scroll_width: sw, scroll_height: sh, inner_width: window.innerWidth, inner_height: window.innerHeight,
    text_chars: text.length, links: links, images: images,
    horizontal_overflow: sw > window.innerWidth + 1 && !clippedX, title: document.title.slice(0, 200),
    final_url: location.href,
    viewport_meta: meta ? meta.getAttribute('content') || '' : null,
    min_font_px: minPx, sized_text_chars: sized, small_text_chars: small,
    tap_targets: targets, small_tap_targets: smallTargets,
    overflow_roots: overflowRoots, overflow_px: overflowPx, overflowing: overflowing, clipped_x: clippedX,
  });
""".replace("MIN_PX", str(MIN_READABLE_PX))
LAYOUT_FUNCTION_JS = f"() => {{{LAYOUT_JS}}}"  # the same script as the function Playwright's page.evaluate takes


class EngineError(Exception):
    """A browser engine could not start or could not render the page; the message says why."""


class EngineMissing(EngineError):
    """The engine is not installed here: it was not checked (not a failure of the page)."""


class PrivateGuard:
    """Crawled pages are untrusted: the engine may reach no private address but the portal's own."""

    def __init__(self, allowed: Any) -> None:
        self.allowed = allowed
        self.blocked: list[str] = []
        self._lock = threading.Lock()

    def refuses(self, url: str) -> bool:
        if not blocked_address(url, self.allowed):
            return False
        with self._lock:
            if len(self.blocked) < MAX_ERRORS:
                self.blocked.append(url[:300])
        return True


def clip_errors(errors: list[str]) -> list[str]:
    return [e[:MAX_ERROR_CHARS] for e in errors[:MAX_ERRORS]]


def start_group(cmd: list[str], *, env: dict[str, str] | None = None, stdout: Any = subprocess.DEVNULL,
                stderr: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start cmd in its own process group, so stop_group can end it with every child it spawned."""
    return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            start_new_session=True)  # fmt: skip


def stop_group(proc: subprocess.Popen[bytes] | None, grace: float = 3.0) -> None:
    """SIGTERM the process group, SIGKILL it after grace seconds, and reap the leader (no zombie)."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # children left in the group (content processes, a fork server) exit on SIGKILL; init reaps them
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for(check: Callable[[], Any], timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll check() until it returns something truthy; EngineError on timeout or when proc exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise EngineError(f"{what}: the process exited with code {proc.returncode}")
        time.sleep(0.05)
    raise EngineError(f"{what}: nothing after {timeout:.0f} s")


def group_members(pgid: int) -> list[Path]:
    """The /proc folders of the live (not zombie) processes in the process group."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":  # fields 3 and 5 of stat: state, process group
                out.append(stat.parent)
        except (OSError, ValueError, IndexError):
            continue
    return out


def group_rss_kb(pgid: int) -> int:
    """Resident memory of every process in the group (Linux /proc), in KiB."""
    total = 0
    for folder in group_members(pgid):
        try:
            match = re.search(r"^VmRSS:\s+(\d+)", (folder / "status").read_text(), re.M)
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return total


class PeakSampler:
    """Calls measure() (KiB) every interval seconds in a background thread and keeps the peak."""

    def __init__(self, measure: Callable[[], int], interval: float = 0.25) -> None:
        self.measure = measure
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak_kb = max(self.peak_kb, self.measure())

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)


class RssSampler(PeakSampler):
    """The peak resident memory of the process groups added to pgids while it runs."""

    def __init__(self, interval: float = 0.25) -> None:
        self.pgids: list[int] = []
        super().__init__(lambda: sum(group_rss_kb(p) for p in list(self.pgids)), interval)
