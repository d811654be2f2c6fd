"""The home page in browser engines other than Chromium: Firefox (Gecko, WebDriver BiDi) and WebKit (WebKitGTK).

render_in_engines never raises for a missing browser or a broken page: each engine's entry is either its
measurements (version, console_errors, layout, screenshot, seconds, peak_rss_mb) or {"error": "..."},
with "missing": True when the engine is not installed (not checked, rather than failed).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assessors.engines.common import LAYOUT_FUNCTION_JS, LAYOUT_JS, MIN_READABLE_PX, EngineError, EngineMissing
from assessors.engines.firefox import render_firefox
from assessors.engines.webkit import render_webkit

Renderer = Callable[[str, dict[str, int], Path, Any, bool], dict[str, Any]]
ENGINES: dict[str, Renderer] = {"firefox": render_firefox, "webkit": render_webkit}

__all__ = ["ENGINES", "LAYOUT_FUNCTION_JS", "LAYOUT_JS", "MIN_READABLE_PX", "EngineError", "EngineMissing",
           "configured_engines", "render_in_engine", "render_in_engines"]


def render_in_engine(name: str, url: str, viewport: dict[str, int], screenshots_dir: Path,
                     allowed_private_host: Any = None, accept_insecure_certs: bool = False,
                     ) -> dict[str, Any]:  # fmt: skip
    """One engine, synchronously: its measurements, or {"error": ...} with the reason."""
    if name not in ENGINES:
        return {"error": f"unknown engine {name!r} (known: {', '.join(ENGINES)})"}
    shot = Path(screenshots_dir) / f"home-desktop-{name}.png"
    try:
        return ENGINES[name](url, viewport, shot, allowed_private_host, accept_insecure_certs)
    except EngineMissing as exc:
        return {"error": str(exc), "missing": True}
    except EngineError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # a broken page or browser must not stop the batch
        return {"error": f"{name}: {type(exc).__name__}: {exc}"[:500]}


def configured_engines() -> tuple[str, ...]:
    """LOSI_ENGINES="firefox,webkit" (the default) picks the engines; "none" or "" turns them off."""
    value = os.environ.get("LOSI_ENGINES", ",".join(ENGINES)).strip().lower()
    return tuple(e.strip() for e in value.split(",") if e.strip() and e.strip() != "none")


async def render_in_engines(url: str, viewport: dict[str, int], screenshots_dir: Path,
                            allowed_private_host: Any = None, engines: tuple[str, ...] | None = None,
                            concurrent: bool = True, accept_insecure_certs: bool = False,
                            ) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Render url in each engine (in worker threads, concurrently unless told not to).

    allowed_private_host is the crawler's private_allowed(portal): None refuses every private address.
    engines defaults to configured_engines(). accept_insecure_certs: load pages whose certificate is invalid.
    """
    engines = configured_engines() if engines is None else engines
    def one(name: str) -> Any:
        return asyncio.to_thread(render_in_engine, name, url, viewport, screenshots_dir, allowed_private_host,
                                 accept_insecure_certs)

    if concurrent:
        results = await asyncio.gather(*(one(name) for name in engines))
    else:
        results = [await one(name) for name in engines]
    return dict(zip(engines, results, strict=True))
