"""WebKit (WebKitGTK's MiniBrowser) driven by WebKitWebDriver over classic W3C WebDriver (HTTP, urllib).

WebKitGTK has no headless mode, so each call starts its own Xvfb display. The driver offers no console log:
a window.onerror / console.error collector is injected after load, so only errors after the load event are
seen (details say so). Private addresses are blocked with a WebKit content-blocker list (--content-filter),
which matches URLs by pattern: literal private IPs and localhost, not names that resolve to private addresses.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import json
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from assessors.engines.common import (
    LAYOUT_JS,
    NAV_TIMEOUT_S,
    SETTLE_S,
    START_TIMEOUT_S,
    EngineError,
    EngineMissing,
    PrivateGuard,
    RssSampler,
    clip_errors,
    start_group,
    stop_group,
    wait_for,
)

DRIVER = "WebKitWebDriver"
MINIBROWSER_GLOBS = ("/usr/lib/*/webkit2gtk-4.1/MiniBrowser", "/usr/lib/*/webkit2gtk-4.0/MiniBrowser",
                     "/usr/lib/*/webkitgtk-6.0/MiniBrowser", "/usr/libexec/webkit2gtk-4.1/MiniBrowser")  # fmt: skip
SESSION_RETRY_PAUSES_S = (1.0, 2.0)  # a session not created is asked for again after each pause
COLLECTOR_NOTE = "console errors are collected by a script injected after load: errors during load are not seen"
PRIVATE_URL_FILTERS = (  # WebKit content-blocker regexes have no alternation: one rule each
    r"^[a-z]+://localhost[:/]", r"^[a-z]+://[^/]*\.localhost[:/]", r"^[a-z]+://127\.", r"^[a-z]+://10\.",
    r"^[a-z]+://192\.168\.", r"^[a-z]+://169\.254\.", r"^[a-z]+://0\.", r"^[a-z]+://\[",
    *(rf"^[a-z]+://172\.{n}\." for n in range(16, 32)), r"^[a-z]+://100\.6[4-9]\.", r"^[a-z]+://100\.[7-9][0-9]\.",
    r"^[a-z]+://100\.1[01][0-9]\.", r"^[a-z]+://100\.12[0-7]\.",
)  # fmt: skip
PAINTED_JS = "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
COLLECT_JS = """
  window.__losiErrors = window.__losiErrors || [];
  const push = m => { if (window.__losiErrors.length < 50) window.__losiErrors.push(String(m).slice(0, 300)); };
  window.addEventListener('error', e => push(e.error ? (e.error.name + ': ' + e.error.message) : e.message));
  window.addEventListener('unhandledrejection', e => push('Unhandled rejection: ' + (e.reason && e.reason.message
    || e.reason)));
  const orig = console.error.bind(console);
  console.error = (...a) => { push(a.map(String).join(' ')); orig(...a); };
"""


def find_webkit() -> tuple[str, str]:
    """(driver, MiniBrowser) paths, or EngineError saying which package is missing."""
    driver = shutil.which(DRIVER)
    if driver is None:
        raise EngineMissing("WebKitWebDriver is not installed (apt-get install webkit2gtk-driver)")
    browsers = sorted(p for pattern in MINIBROWSER_GLOBS for p in glob.glob(pattern))
    if not browsers:
        raise EngineMissing("WebKitGTK's MiniBrowser is not installed (apt-get install webkit2gtk-driver)")
    if shutil.which("Xvfb") is None:
        raise EngineMissing("Xvfb is not installed; WebKitGTK needs a display (apt-get install xvfb)")
    return driver, browsers[-1]


def content_filter(allowed: Any) -> list[dict[str, Any]]:
    """Block private addresses, then let the portal's own hosts through (when the user named a private portal)."""
    rules: list[dict[str, Any]] = [{"trigger": {"url-filter": f}, "action": {"type": "block"}}
                                   for f in PRIVATE_URL_FILTERS]  # fmt: skip
    for domain in getattr(allowed, "domains", None) or []:
        esc = re.escape(domain.lower())
        filters = [rf"^https?://{esc}[/?#]", rf"^https?://{esc}$"] if ":" in domain else [
            rf"^https?://{esc}[:/?#]", rf"^https?://[^/]*\.{esc}[:/?#]"]
        rules += [{"trigger": {"url-filter": f}, "action": {"type": "ignore-previous-rules"}} for f in filters]
    return rules


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_xvfb(viewport: dict[str, int]) -> tuple[subprocess.Popen[bytes], str]:
    size = f"{max(viewport['width'], 1024) + 100}x{max(viewport['height'], 768) + 200}x24"
    proc = start_group(["Xvfb", "-displayfd", "1", "-screen", "0", size, "-nolisten", "tcp"],
                       stdout=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
    line = proc.stdout.readline().decode().strip() if ready else ""
    if not line.isdigit():
        stop_group(proc)
        raise EngineError("Xvfb did not start a display")
    return proc, ":" + line


class WebDriver:
    """Classic W3C WebDriver over HTTP: just the commands this module needs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
        url = self.base + (f"/session/{self.session}" if self.session else "") + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            payload = json.loads(exc.read() or b"{}")
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
            raise EngineError(f"webkit driver: {type(exc).__name__}: {exc}"[:300]) from exc
        value = payload.get("value") if isinstance(payload, dict) else None
        if isinstance(value, dict) and "error" in value:
            raise EngineError(f"webkit {path or '/'}: {value['error']}: {value.get('message', '')}"[:300])
        return value

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False


def render_webkit(url: str, viewport: dict[str, int], screenshot: Path, allowed: Any,
                  accept_insecure_certs: bool = False) -> dict[str, Any]:
    """Load url in a fresh WebKitGTK MiniBrowser; measurements or raise EngineError. Always ends every process."""
    driver_bin, browser_bin = find_webkit()
    guard = PrivateGuard(allowed)
    if guard.refuses(url):
        raise EngineError(f"refused to open {url}: a private address the portal configuration does not allow")
    tmp = Path(tempfile.mkdtemp(prefix="losi-webkit-"))
    xvfb = driver = None
    started = time.monotonic()
    with RssSampler() as rss:
        try:
            xvfb, display = _start_xvfb(viewport)
            rss.pgids.append(xvfb.pid)
            filter_file = tmp / "content-filter.json"
            filter_file.write_text(json.dumps(content_filter(allowed)), encoding="utf-8")
            port = _free_port()
            env = {"DISPLAY": display, "HOME": str(tmp), "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp),
                   "XDG_CACHE_HOME": str(tmp / "cache"), "XDG_DATA_HOME": str(tmp / "data"), "LANG": "C.UTF-8"}
            driver = start_group([driver_bin, f"--port={port}"], env=env)
            rss.pgids.append(driver.pid)
            wd = WebDriver(f"http://127.0.0.1:{port}")
            wait_for(wd.ready, START_TIMEOUT_S, "WebKitWebDriver did not start", driver)
            result = _drive(wd, browser_bin, filter_file, url, viewport, screenshot, accept_insecure_certs)
        finally:
            stop_group(driver)
            stop_group(xvfb)
            shutil.rmtree(tmp, ignore_errors=True)
    result.update(seconds=round(time.monotonic() - started, 2), peak_rss_mb=rss.peak_mb)
    return result


def _drive(wd: WebDriver, browser_bin: str, filter_file: Path, url: str, viewport: dict[str, int],
           screenshot: Path, insecure: bool) -> dict[str, Any]:  # fmt: skip
    options = {"binary": browser_bin, "args": ["--automation", f"--content-filter={filter_file}"]}
    caps = {"capabilities": {"alwaysMatch": {
        "webkitgtk:browserOptions": options, "pageLoadStrategy": "normal", "acceptInsecureCerts": insecure,
        "unhandledPromptBehavior": "dismiss",  # alert() must not stop us
    }}}
    created = _new_session(wd, caps)
    wd.session = created["sessionId"]
    version = (created.get("capabilities") or {}).get("browserVersion", "")
    try:
        wd.call("POST", "/timeouts", {"pageLoad": int(NAV_TIMEOUT_S * 1000), "script": 10_000})
        _set_viewport(wd, viewport)
        try:
            wd.call("POST", "/url", {"url": url}, timeout=NAV_TIMEOUT_S + 5)
        except EngineError as exc:
            raise EngineError(f"the page did not load in webkit: {exc}") from exc
        wd.call("POST", "/execute/sync", {"script": COLLECT_JS, "args": []})
        time.sleep(SETTLE_S)
        layout = json.loads(wd.call("POST", "/execute/sync", {"script": LAYOUT_JS, "args": []}))
        errors = wd.call("POST", "/execute/sync", {"script": "return window.__losiErrors || []", "args": []})
        wd.call("POST", "/execute/async", {"script": PAINTED_JS, "args": []})  # else the snapshot can be blank
        png = wd.call("GET", "/screenshot")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(png))
    finally:
        with contextlib.suppress(EngineError):  # the processes are ended anyway
            wd.call("DELETE", "", timeout=5)
    return {"engine": "webkit", "version": f"WebKitGTK {version}".strip(), "console_errors": clip_errors(errors),
            "console_errors_note": COLLECTOR_NOTE, "layout": layout, "screenshot": str(screenshot)}  # fmt: skip


def _new_session(wd: WebDriver, caps: dict[str, Any]) -> dict[str, Any]:
    """A new session. On a busy machine MiniBrowser sometimes fails to create its first browsing context in
    time ("session not created"), once or twice in a row: it is asked again after each pause."""
    for pause in SESSION_RETRY_PAUSES_S:
        try:
            return wd.call("POST", "/session", caps, timeout=START_TIMEOUT_S)
        except EngineError:
            time.sleep(pause)
    return wd.call("POST", "/session", caps, timeout=START_TIMEOUT_S)  # the last try: its error is the result


def _set_viewport(wd: WebDriver, viewport: dict[str, int]) -> None:
    """Size the window so that the page's viewport (innerWidth x innerHeight) is the one asked for."""
    size = "return [window.innerWidth, window.innerHeight]"
    want_w, want_h = viewport["width"], viewport["height"]
    wd.call("POST", "/window/rect", {"width": want_w, "height": want_h})
    inner_w, inner_h = wd.call("POST", "/execute/sync", {"script": size, "args": []})
    if (inner_w, inner_h) != (want_w, want_h):
        wd.call("POST", "/window/rect", {"width": 2 * want_w - inner_w, "height": 2 * want_h - inner_h})
