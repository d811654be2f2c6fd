"""Browser benchmark: render rate, axe-core cost, and the browser's peak memory on generated pages.

    .venv/bin/python -m bench.bench_browser [--medium 40] [--small 200] [--soak 300] [--workers 2] [--recycle 25]

The soak runs axe on --soak pages (medium pages, visited in turn) and prints the browser's memory after every
batch of 50, so a leak shows as a rising series rather than hiding in one peak number.

Pages are generated into a temporary folder and served on 127.0.0.1; the browser is the one losi uses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

from assessors.axe import inject_axe, run_axe
from assessors.browser_pool import PagePool, chromium
from assessors.engines.common import PeakSampler
from assessors.templates import SharedTemplates, run_axe_once_per_template
from losi.localserve import LocalServer


def _main_content(i: int) -> str:
    sections = "".join(
        f"<section><h2>Topic {k}</h2><p>Paragraph {k} with <a href='#s{k}'>a link</a> and <b>bold</b> text.</p>"
        f"<ul>{''.join(f'<li>Item {k}.{j}</li>' for j in range(8))}</ul>"
        f'<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10"{" alt=x" if k % 2 else ""}>'
        "</section>"
        for k in range(60)
    )
    form = "".join(f'<input name="f{k}">' if k % 3 else f'<label>F{k}<input name="f{k}"></label>' for k in range(40))
    rows = "".join(f"<tr><td>{r}</td><td>Value {r}</td><td><a href='#r{r}'>open</a></td></tr>" for r in range(150))
    return (
        f"<main><h1>Medium page {i}</h1>{sections}"
        f'<form action="#">{form}<button></button></form><table>{rows}</table>'
        f'<p style="color:#ccc">low contrast</p></main>'
    )


def _document(i: int, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Medium page {i}</title></head><body>'
        f"{body}</body></html>"
    )


def medium_page(i: int) -> str:
    """About 2,000 elements: nav, sections, a form, a table and images, with a few accessibility errors."""
    nav = "".join(f'<li><a href="m{(i + k) % 40}.html">Section {k}</a></li>' for k in range(30))
    return _document(i, f"<header><nav><ul>{nav}</ul></nav></header>{_main_content(i)}<footer>Footer</footer>")


PORTAL_HEADER = (
    '<header><a href="p0.html">City portal</a><form role="search"><input name="q" aria-label="Search">'
    "<button>Search</button></form><nav><ul>"
    + "".join(
        f"<li><a href='p{m}.html'>Menu {m}</a><ul>"
        + "".join(f"<li><a href='p{(m * 12 + k) % 40}.html'>Service {m}.{k}</a></li>" for k in range(12))
        + "</ul></li>"
        for m in range(10)
    )
    + "</ul></nav></header>"
)
PORTAL_FOOTER = (
    "<footer><ul>"
    + "".join(f"<li><a href='p{k}.html'>Footer link {k}</a> <span>({k})</span></li>" for k in range(30))
    + '</ul><p style="color:#bbb">Copyright, City</p></footer>'
)


def portal_page(i: int) -> str:
    """A medium page inside a portal's template: the same header with a mega-menu and footer on every page."""
    return _document(i, PORTAL_HEADER + _main_content(i) + PORTAL_FOOTER)


def small_page(i: int) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Small {i}</title></head><body>'
        f'<main><h1>Small page {i}</h1><p>Text of page {i}.</p><a href="s{(i + 1) % 200}.html">next</a></main>'
        "</body></html>"
    )


def chromium_rss_kb() -> int:
    """Sum of VmRSS over chromium processes descended from this process (not other users' browsers)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for pid_s in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid_s}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(pid_s)
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        if "chrom" in fields.get("Name", ""):
            rss[pid] = int((fields.get("VmRSS") or "0 kB").split()[0])
    me = os.getpid()
    total = 0
    for pid, kb in rss.items():
        p, hops = pid, 0
        while p and p != me and hops < 50:
            p, hops = parents.get(p, 0), hops + 1
        if p == me:
            total += kb
    return total


SOAK_BATCH = 50


async def bench(base: str, medium: int, small: int, workers: int, recycle: int, soak: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with chromium() as browser:
        context = await browser.new_context()
        pool = PagePool(context, workers=workers, recycle_after=recycle)

        async def render(page: Any, url: str) -> None:
            await page.goto(url, wait_until="load")

        async def axe(page: Any, url: str) -> int:
            await page.goto(url, wait_until="load")
            return len((await run_axe(page))["violations"])

        for label, urls in (
            ("small", [f"{base}s{i}.html" for i in range(small)]),
            ("medium", [f"{base}m{i}.html" for i in range(medium)]),
        ):
            t = time.perf_counter()
            results = await pool.map(urls, render)
            errors = sum(isinstance(r, BaseException) for r in results)
            secs = time.perf_counter() - t
            out[f"render_{label}"] = {"pages": len(urls), "seconds": round(secs, 2),
                                      "pages_per_s": round(len(urls) / secs, 1), "errors": errors}
        for label, urls in (
            ("medium", [f"{base}m{i}.html" for i in range(medium)]),
            ("small", [f"{base}s{i}.html" for i in range(min(small, 100))]),
        ):
            t = time.perf_counter()
            results = await pool.map(urls, axe)
            secs = time.perf_counter() - t
            ok = [r for r in results if isinstance(r, int)]
            out[f"axe_{label}"] = {"pages": len(urls), "seconds": round(secs, 2),
                                   "pages_per_s": round(len(urls) / secs, 2),
                                   "seconds_per_page_per_worker": round(secs * workers / len(urls), 2),
                                   "errors": len(urls) - len(ok), "violations_per_page": ok[0] if ok else None}
        out["axe_latency"] = await _latency(context, [f"{base}m{i}.html" for i in range(medium)], None)
        out["axe_latency_portal"] = await _latency(context, [f"{base}p{i}.html" for i in range(medium)], None)
        out["axe_latency_portal_template_once"] = await _latency(
            context, [f"{base}p{i}.html" for i in range(medium)], SharedTemplates()
        )
        if soak:
            out["axe_soak"] = await _soak(pool, [f"{base}m{i % medium}.html" for i in range(soak)], axe)
        await context.close()
    return out


async def _latency(context: Any, urls: list[str], templates: SharedTemplates | None) -> dict[str, Any]:
    """Seconds axe takes on each page, one page at a time (no other page competing for the cores).

    With `templates`, template regions already checked on an earlier page are left out (the probes' way)."""
    page = await context.new_page()
    seconds: list[float] = []
    try:
        for url in urls:
            await page.goto(url, wait_until="load")
            await inject_axe(page)  # injection is timed apart from the check itself
            started = time.perf_counter()
            await run_axe_once_per_template(page, url, templates)
            seconds.append(time.perf_counter() - started)
    finally:
        await page.close()
    later = sorted(seconds[1:]) or seconds
    return {"pages": len(urls), "first_page_s": round(seconds[0], 2), "median_s_after_first": round(median(later), 2),
            "max_s_after_first": round(later[-1], 2)}


async def _soak(pool: PagePool, urls: list[str], check: Any) -> dict[str, Any]:
    """axe over many pages in batches; the browser's RSS after each batch shows whether memory stays flat."""
    series: list[int] = []
    errors = 0
    started = time.perf_counter()
    for start in range(0, len(urls), SOAK_BATCH):
        results = await pool.map(urls[start:start + SOAK_BATCH], check)
        errors += sum(isinstance(r, BaseException) for r in results)
        series.append(round(chromium_rss_kb() / 1024))
    secs = time.perf_counter() - started
    half = len(series) // 2
    return {"pages": len(urls), "seconds": round(secs, 1), "pages_per_s": round(len(urls) / secs, 2),
            "errors": errors, f"rss_mb_every_{SOAK_BATCH}": series,
            # growth from the first half's average to the second half's: near 0 when memory is flat
            "rss_growth_mb": round(sum(series[half:]) / max(1, len(series) - half) - sum(series[:half]) / max(1, half))
            if half else 0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--medium", type=int, default=40)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--soak", type=int, default=300, help="axe on this many pages, memory sampled (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--recycle", type=int, default=25, help="replace a page after this many uses")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="losi-bench-") as tmp:
        root = Path(tmp)
        for i in range(args.medium):
            (root / f"m{i}.html").write_text(medium_page(i), encoding="utf-8")
            (root / f"p{i}.html").write_text(portal_page(i), encoding="utf-8")
        for i in range(args.small):
            (root / f"s{i}.html").write_text(small_page(i), encoding="utf-8")
        server = LocalServer(root)
        try:
            with PeakSampler(chromium_rss_kb, interval=0.2) as mem:
                started = time.perf_counter()
                results = asyncio.run(bench(server.url, args.medium, args.small, args.workers, args.recycle,
                                                  args.soak))
                total = time.perf_counter() - started
        finally:
            server.close()
    print(f"workers={args.workers} recycle_after={args.recycle} medium={args.medium} small={args.small}")
    for name, r in results.items():
        print(f"{name:14s} " + "  ".join(f"{k}={v}" for k, v in r.items()))
    print(f"peak chromium RSS (sum over processes): {mem.peak_kb / 1024:.0f} MB; total {total:.1f} s")


if __name__ == "__main__":
    main()
