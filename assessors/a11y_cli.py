"""`losi a11y URL [URL ...]`: axe-core (WCAG 2.1 A/AA) and our own checks on live pages.

With --act-suite it runs axe over an ACT Rules test suite (testcases.json + pages) instead, compares each
outcome with the expected one and writes act-results.json and act-results.csv (assessors/act.py).

With --json it prints a JSON array, one object per URL, in axe-core's own shape (violations, incomplete,
passes, inapplicable; each rule with its id and nodes) plus axe_version, and our extra checks under
"losi_checks" (ids start with "losi-", which axe never uses).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assessors import act
from assessors.axe import (
    RESULT_TYPES,
    WCAG_TAGS,
    AxeNotFound,
    axe_source,
    axe_tags,
    axe_version,
    run_extra_checks,
)
from assessors.browser_pool import NoBrowser, PagePool, chromium, run_sync
from assessors.templates import SharedTemplates, run_axe_once_per_template
from crawler.scope import host_of, is_private_host, url_problem

EXAMPLES = """examples:
  losi a11y https://tashkent.uz/
  losi a11y https://tbilisi.gov.ge/ https://yerevan.am/ --json > a11y.json
  losi a11y http://127.0.0.1:8000/ --allow-private --tags wcag2a,wcag2aa
  losi a11y https://city.example/ https://city.example/services https://city.example/news --template-once
  losi a11y --act-suite act-testcases/ --out act-report          # W3C ACT Rules test cases
  losi a11y --act-suite act-testcases/testcases.json --rules 23a2a8,b5c3f8
"""


class UsageError(ValueError):
    pass


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Check pages for WCAG 2.1 A/AA problems with axe-core and losi's own checks."
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("urls", nargs="*", metavar="URL", help="http(s) page(s) to check")
    parser.add_argument("--json", action="store_true", help="print axe-core's raw result shape as JSON")
    parser.add_argument(
        "--tags", default=",".join(WCAG_TAGS),
        help="comma-separated axe tags to run (default: %(default)s); 'all' runs every axe rule",
    )  # fmt: skip
    parser.add_argument(
        "--allow-private", action="store_true", help="allow loopback and private addresses (127.0.0.1, 10.x, intranets)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each page (default 30)")
    parser.add_argument(
        "--template-once", action="store_true",
        help="check a header, navigation or footer repeated unchanged on several pages only on the first page that "
             "shows it (faster over many pages of one portal; each page lists what it left out)",
    )  # fmt: skip
    suite = parser.add_argument_group("ACT rules test suite")
    suite.add_argument(
        "--act-suite",
        type=Path,
        metavar="PATH",
        help="run an ACT test suite: a folder with testcases.json, or the json file",
    )
    suite.add_argument("--rules", default="", metavar="ID,ID", help="only these ACT rule ids (with --act-suite)")
    suite.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for act-results.json and act-results.csv (default: out)"
    )
    suite.add_argument("--workers", type=int, default=2, help="pages checked at once (default 2)")


def check_url(url: str, allow_private: bool) -> str:
    problem = url_problem(url)
    if problem:
        raise UsageError(f"the URL {problem}")
    if not allow_private and is_private_host(host_of(url)):
        raise UsageError(f"{url} is a loopback or private address; pass --allow-private to check it anyway")
    return url.strip()


def _tags(value: str) -> list[str]:
    """The axe tags to run ([] for every rule); a tag no axe rule carries is a usage error, not 0 violations."""
    if value.strip().lower() == "all":
        return []
    tags = [t.strip() for t in value.split(",") if t.strip()]
    if not tags:
        raise UsageError("--tags is empty: give axe tags such as wcag2a,wcag2aa, or 'all'")
    known = axe_tags()
    unknown = [t for t in tags if t not in known]
    if unknown:
        examples = ", ".join(t for t in ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
                             if t in known)
        raise UsageError(f"no axe rule has the tag {', '.join(map(repr, unknown))} (axe tags are e.g. {examples})")
    return tags


async def _check_all(
    urls: list[str], tags: list[str], timeout_ms: int, templates: SharedTemplates | None = None
) -> list[dict[str, Any]]:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1366, "height": 900})

        async def one(page: Any, url: str) -> dict[str, Any]:
            response = await page.goto(url, wait_until="load", timeout=timeout_ms)
            result, left_out = await run_axe_once_per_template(
                page, url, templates, tags=tags, result_types=RESULT_TYPES
            )
            out: dict[str, Any] = {
                "url": url,
                "final_url": page.url,
                "status": response.status if response else None,
                "axe_version": (result.get("testEngine") or {}).get("version", axe_version()),
            }
            for key in RESULT_TYPES:
                out[key] = result.get(key, [])
            for key in ("testEngine", "testRunner", "testEnvironment", "toolOptions", "timestamp"):
                if key in result:
                    out[key] = result[key]
            out["losi_checks"] = await run_extra_checks(page)
            if templates is not None:
                out["template_excluded"] = left_out
            return out

        try:
            results = await PagePool(context, workers=2, recycle_after=50).map(urls, one)
        finally:
            await context.close()
    return [
        r if isinstance(r, dict) else {"url": u, "error": f"{type(r).__name__}: {r}".splitlines()[0][:300]}
        for u, r in zip(urls, results, strict=True)
    ]


def summary(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{result['url']}\n  could not check: {result['error']}\n"
    lines = [f"{result['url']}  (axe-core {result['axe_version']}, HTTP {result.get('status')})"]
    violations = result.get("violations", [])
    lines.append(
        f"  {len(violations)} violations, {len(result.get('incomplete', []))} to review, "
        f"{len(result.get('passes', []))} rules passed"
    )
    for v in violations:
        lines.append(f"  - {v['id']} [{v.get('impact')}] {v.get('help')} ({len(v.get('nodes', []))} elements)")
        for n in v.get("nodes", [])[:5]:
            lines.append(f"      {', '.join(map(str, n.get('target', [])))}")
    for c in result.get("losi_checks", []):
        lines.append(f"  - {c['id']} [{c['result']}] {c.get('help')}")
    for region in result.get("template_excluded", []):
        lines.append(f"  (left out {region['selector']}, {region['elements']} elements: "
                     f"the same as on {region['checked_on']})")
    return "\n".join(lines) + "\n"


def _error(message: object, code: int = 2) -> int:
    """Print the one-line error; 2 for bad usage or input, 1 when the machine lacks something (a browser)."""
    print(f"losi a11y: error: {message}", file=sys.stderr)
    return code


def run_act_suite(args: argparse.Namespace) -> int:
    if args.urls:
        return _error("give either URLs or --act-suite, not both")
    try:
        suite = act.load_suite(args.act_suite)
        axe_source()
    except (act.ActSuiteError, AxeNotFound, OSError) as exc:
        return _error(exc)
    rules = [r for r in args.rules.split(",") if r.strip()]
    timeout_ms = max(1, int(args.timeout * 1000))

    def progress(done: int, total: int, result: act.CaseResult) -> None:
        print(act.progress_line(done, total, result), flush=True)

    try:
        result = act.run_suite(suite, rules, workers=max(1, args.workers), timeout_ms=timeout_ms, progress=progress)
    except act.ActSuiteError as exc:
        return _error(exc)
    except NoBrowser as exc:
        return _error(exc, 1)
    try:
        paths = act.write_reports(result, args.out)
    except OSError as exc:
        return _error(f"cannot write to {args.out}: {exc}")
    print()
    print(act.summary_table(result))
    for kind, path in paths.items():
        print(f"  {kind:<10} {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.act_suite is not None:
        return run_act_suite(args)
    if not args.urls:
        return _error("give at least one URL, or --act-suite PATH")
    try:
        urls = [check_url(u, args.allow_private) for u in args.urls]
        tags = _tags(args.tags)
    except (UsageError, AxeNotFound) as exc:
        return _error(exc)
    timeout_ms = max(1, int(args.timeout * 1000))
    try:
        templates = SharedTemplates() if args.template_once else None
        results = run_sync(lambda: _check_all(urls, tags, timeout_ms, templates))
    except NoBrowser as exc:
        return _error(exc, 1)
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(summary(r) for r in results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="losi a11y")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
