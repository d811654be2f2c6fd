"""Firefox ESR (Gecko) driven over WebDriver BiDi, which Firefox speaks natively: no geckodriver.

One fresh headless Firefox per call, with a throw-away profile. Every request the page makes is intercepted
(network.addIntercept, phase beforeRequestSent) and failed when it goes to a private address the user did not
name; console errors and uncaught exceptions come from log.entryAdded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

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

BINARIES = ("firefox-esr", "firefox")
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://[\w.\[\]:-]+)")
PREFS = {  # a quiet, offline-friendly profile; the remote agent adds its own recommended prefs too
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "network.prefetch-next": False,
    "network.dns.disablePrefetch": True,
    "network.predictor.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "media.autoplay.default": 5,
}


def find_firefox() -> str | None:
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BidiError(EngineError):
    pass


class Bidi:
    """A minimal synchronous WebDriver BiDi client: commands wait for their reply, events are handled meanwhile."""

    def __init__(self, ws: ClientConnection, guard: PrivateGuard) -> None:
        self.ws = ws
        self.guard = guard
        self.next_id = 0
        self.errors: list[str] = []

    def send(self, method: str, params: dict[str, Any]) -> int:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def call(self, method: str, params: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        wanted = self.send(method, params)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BidiError(f"{method}: no answer after {timeout:.0f} s")
            msg = self._receive(left)
            if msg is None or msg.get("id") != wanted:
                continue
            if msg.get("type") == "error":
                raise BidiError(f"{method}: {msg.get('error')}: {msg.get('message', '')}"[:300])
            return msg.get("result") or {}

    def pump(self, seconds: float) -> None:
        """Handle events for a while (late console errors, requests still being intercepted)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._receive(left)

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        msg = json.loads(raw)
        if msg.get("type") == "event":
            self._on_event(msg.get("method", ""), msg.get("params") or {})
            return None
        return msg

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "log.entryAdded" and params.get("level") == "error":
            self.errors.append(str(params.get("text") or params.get("type") or "error"))
        elif method == "network.beforeRequestSent" and params.get("isBlocked"):
            request = params.get("request") or {}
            rid, url = request.get("request"), str(request.get("url", ""))
            # replies to these are read and dropped by _receive
            self.send("network.failRequest" if self.guard.refuses(url) else "network.continueRequest",
                      {"request": rid})  # fmt: skip


def _start(binary: str, profile: Path, log: Path) -> Any:
    (profile / "user.js").write_text(
        "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in PREFS.items()), encoding="utf-8"
    )
    cmd = [binary, "--headless", "--remote-debugging-port=0", "--profile", str(profile), "--no-remote",
           "about:blank"]  # fmt: skip
    with log.open("wb") as out:
        return start_group(cmd, stdout=out, stderr=out)


def render_firefox(url: str, viewport: dict[str, int], screenshot: Path, allowed: Any,
                   accept_insecure_certs: bool = False) -> dict[str, Any]:
    """Load url in a fresh headless Firefox; measurements or raise EngineError. Always ends the browser."""
    binary = find_firefox()
    if binary is None:
        raise EngineMissing("firefox-esr is not installed (apt-get install firefox-esr)")
    guard = PrivateGuard(allowed)
    if guard.refuses(url):
        raise EngineError(f"refused to open {url}: a private address the portal configuration does not allow")
    tmp = Path(tempfile.mkdtemp(prefix="losi-firefox-"))
    proc = None
    started = time.monotonic()
    with RssSampler() as rss:
        try:
            (tmp / "profile").mkdir()
            log = tmp / "firefox.log"
            proc = _start(binary, tmp / "profile", log)
            rss.pgids.append(proc.pid)

            def listening() -> str | None:
                found = LISTENING.search(log.read_text("utf-8", "replace")) if log.exists() else None
                return found.group(1) if found else None

            endpoint = wait_for(listening, START_TIMEOUT_S, "firefox did not open WebDriver BiDi", proc)
            with connect(endpoint + "/session", open_timeout=10, max_size=64 * 2**20) as ws:
                result = _drive(Bidi(ws, guard), url, viewport, screenshot, accept_insecure_certs)
        except (WebSocketException, OSError, json.JSONDecodeError) as exc:
            raise EngineError(f"firefox: {type(exc).__name__}: {exc}"[:300]) from exc
        finally:
            stop_group(proc)
            shutil.rmtree(tmp, ignore_errors=True)
    result.update(seconds=round(time.monotonic() - started, 2), peak_rss_mb=rss.peak_mb,
                  blocked_private_requests=guard.blocked)  # fmt: skip
    return result


def _drive(bidi: Bidi, url: str, viewport: dict[str, int], screenshot: Path, insecure: bool) -> dict[str, Any]:
    caps = bidi.call("session.new", {"capabilities": {"alwaysMatch": {
        "acceptInsecureCerts": insecure, "unhandledPromptBehavior": {"default": "dismiss"}}}}, 30)
    version = (caps.get("capabilities") or {}).get("browserVersion", "")
    bidi.call("session.subscribe", {"events": ["log.entryAdded", "network.beforeRequestSent"]})
    bidi.call("network.addIntercept", {"phases": ["beforeRequestSent"]})
    contexts = bidi.call("browsingContext.getTree", {}).get("contexts") or []
    ctx = contexts[0]["context"] if contexts else bidi.call("browsingContext.create", {"type": "tab"})["context"]
    bidi.call("browsingContext.setViewport", {"context": ctx, "viewport": viewport})
    try:
        bidi.call("browsingContext.navigate", {"context": ctx, "url": url, "wait": "complete"}, NAV_TIMEOUT_S)
    except BidiError as exc:
        raise EngineError(f"the page did not load in firefox: {exc}") from exc
    bidi.pump(SETTLE_S)
    layout = _evaluate(bidi, ctx, f"(() => {{{LAYOUT_JS}}})()")
    shot = bidi.call("browsingContext.captureScreenshot", {"context": ctx}, 30)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    with contextlib.suppress(EngineError):  # the browser is ended anyway
        bidi.call("session.end", {}, 5)
    return {"engine": "firefox", "version": f"Firefox {version}".strip(), "console_errors": clip_errors(bidi.errors),
            "layout": json.loads(layout), "screenshot": str(screenshot)}  # fmt: skip


def _evaluate(bidi: Bidi, ctx: str, expression: str) -> str:
    res = bidi.call("script.evaluate", {"expression": expression, "target": {"context": ctx}, "awaitPromise": False},
                    30)  # fmt: skip
    if res.get("type") == "exception":
        details = res.get("exceptionDetails") or {}
        raise EngineError(f"firefox: the layout script failed: {details.get('text', '')}"[:300])
    return str((res.get("result") or {}).get("value", "{}"))
