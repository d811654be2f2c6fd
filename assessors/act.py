"""Run axe-core over an ACT Rules test suite (testcases.json + HTML pages) and compare with the expected outcomes.

The suite is the one the W3C ACT Rules publish (a testcases.json whose entries carry testcaseId, ruleId,
ruleName, expected and relativePath), or one of our own in the same shape. Each page is served from
127.0.0.1, axe runs on it in Chromium, and the axe rules mapped to the page's ACT rule
(assessors/data/act-axe.yaml) give our outcome: failed when one of them has a violation, passed when
one of them passed or needs review (axe's "incomplete", ACT's cantTell), inapplicable otherwise.

Per ACT rule the outcomes are summed up the way ACT implementation reports do: consistent (every failed
example caught, no passed/inapplicable example failed), partially consistent (some failed examples caught,
none wrongly failed), inconsistent (a false failure, or no failed example caught), untested (no mapping).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from assessors.axe import RESULT_TYPES, axe_version, run_axe
from assessors.browser_pool import PagePool, chromium, run_sync
from losi.localserve import LocalServer
from outputs.export import write_csv

MAPPING_PATH = Path(__file__).resolve().parent / "data" / "act-axe.yaml"
OUTCOMES = ("passed", "failed", "inapplicable")
CONSISTENCY_LEVELS = ("consistent", "partially consistent", "inconsistent", "untested")
MAX_SUITE_BYTES = 50_000_000  # the full W3C testcases.json is about 1 MB

CASE_COLUMNS = [
    "testcase_id",
    "title",
    "rule_id",
    "rule_name",
    "expected",
    "outcome",
    "agrees",
    "kind",
    "cant_tell",
    "axe_rules",
    "url",
    "source_url",
    "error",
]
RULE_COLUMNS = [
    "rule_id",
    "rule_name",
    "axe_rules",
    "consistency",
    "cases",
    "agree",
    "failed_expected",
    "failed_caught",
    "false_failures",
    "missed_failures",
    "applicability_differences",
    "errors",
    "published",
]


class ActSuiteError(ValueError):
    """The suite path or its testcases.json is unusable; the message says why, in one line."""


@dataclass(frozen=True)
class ActRule:
    rule_id: str
    name: str
    axe_rules: tuple[str, ...]
    published: str = ""


@dataclass(frozen=True)
class ActMapping:
    rules: dict[str, ActRule]
    axe_tags: tuple[str, ...]


@dataclass(frozen=True)
class TestCase:
    testcase_id: str
    rule_id: str
    rule_name: str
    expected: str
    relative_path: str  # of the local file, relative to the suite root ("" when the file is missing)
    source_url: str  # the url given in testcases.json
    title: str = ""  # testcaseTitle ("Failed Example 2") where the suite gives one


@dataclass(frozen=True)
class Suite:
    root: Path
    name: str
    testcases: list[TestCase]


@dataclass
class CaseResult:
    testcase: TestCase
    outcome: str  # passed | failed | inapplicable | untested
    url: str = ""
    cant_tell: bool = False  # our "passed" came from axe's incomplete (needs review) only
    axe_rules: dict[str, str] = field(default_factory=dict)  # axe rule id -> violations | incomplete | passes
    error: str = ""

    @property
    def kind(self) -> str:
        """agree | false_failure | missed_failure | applicability | untested."""
        return compare(self.testcase.expected, self.outcome)

    @property
    def agrees(self) -> bool:
        return self.kind == "agree"


@dataclass
class RuleSummary:
    rule_id: str
    rule_name: str
    axe_rules: list[str]
    consistency: str
    cases: int = 0
    agree: int = 0
    failed_expected: int = 0
    failed_caught: int = 0
    false_failures: int = 0
    missed_failures: int = 0
    applicability_differences: int = 0
    errors: int = 0
    published: str = ""


# --------------------------------------------------------------------------- loading


def load_mapping(path: Path = MAPPING_PATH) -> ActMapping:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = {
        str(rule_id): ActRule(
            str(rule_id), str(entry.get("name", "")), tuple(entry.get("axe") or ()), str(entry.get("published") or "")
        )
        for rule_id, entry in (data.get("rules") or {}).items()
    }
    return ActMapping(rules, tuple(data.get("axe_tags") or ()))


def _suite_file(path: Path) -> Path:
    if path.is_dir():
        path = path / "testcases.json"
    if not path.is_file():
        raise ActSuiteError(f"no ACT suite at {path} (give a folder with testcases.json, or the json file)")
    return path


def _local_file(root: Path, relative: str) -> str:
    """The relativePath resolved inside root; leading folders are dropped until a file is found, so a
    testcases.json kept beside its testcases/ folder works as well as one at the root of a mirror."""
    parts = [p for p in relative.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return ""
    root = root.resolve()
    for i in range(len(parts)):
        candidate = root.joinpath(*parts[i:])
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate.resolve().relative_to(root).as_posix()
    return ""


def load_suite(path: Path | str) -> Suite:
    """Read testcases.json (a folder holding it, or the file); raises ActSuiteError for a user mistake."""
    file = _suite_file(Path(path))
    if file.stat().st_size > MAX_SUITE_BYTES:
        raise ActSuiteError(f"{file} is larger than {MAX_SUITE_BYTES // 1_000_000} MB; is it a testcases.json?")
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ActSuiteError(f"{file} is not valid JSON: {exc}") from exc
    entries = data.get("testcases") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ActSuiteError(f'{file} has no "testcases" list; is it an ACT testcases.json?')
    root = file.parent
    cases = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("testcaseId") or not entry.get("ruleId"):
            continue
        expected = str(entry.get("expected", ""))
        if expected not in OUTCOMES:
            continue
        relative = str(entry.get("relativePath") or "")
        cases.append(
            TestCase(
                testcase_id=str(entry["testcaseId"]),
                rule_id=str(entry["ruleId"]),
                rule_name=str(entry.get("ruleName") or ""),
                expected=expected,
                relative_path=_local_file(root, relative) if relative else "",
                source_url=str(entry.get("url") or ""),
                title=str(entry.get("testcaseTitle") or ""),
            )
        )
    if not cases:
        raise ActSuiteError(f"{file} lists no usable test cases")
    return Suite(root=root.resolve(), name=str(data.get("name") or file.parent.name), testcases=cases)


def select(suite: Suite, rule_ids: Iterable[str]) -> list[TestCase]:
    wanted = {r.strip() for r in rule_ids if r.strip()}
    return [c for c in suite.testcases if not wanted or c.rule_id in wanted]


# --------------------------------------------------------------------------- outcomes


def derive_outcome(axe_result: dict[str, Any], axe_rules: Iterable[str]) -> tuple[str, bool, dict[str, str]]:
    """(outcome, cant_tell, per-rule axe result type) for the given axe rules in one axe result."""
    wanted = set(axe_rules)
    found: dict[str, str] = {}
    for result_type in ("violations", "incomplete", "passes"):  # the strongest result type wins
        for entry in axe_result.get(result_type) or []:
            rule_id = entry.get("id")
            if rule_id in wanted and rule_id not in found:
                found[rule_id] = result_type
    kinds = set(found.values())
    if "violations" in kinds:
        return "failed", False, found
    if "passes" in kinds:
        return "passed", False, found
    if "incomplete" in kinds:
        return "passed", True, found
    return "inapplicable", False, found


def compare(expected: str, outcome: str) -> str:
    if outcome not in OUTCOMES:
        return "untested"
    if outcome == expected:
        return "agree"
    if outcome == "failed":
        return "false_failure"
    if expected == "failed":
        return "missed_failure"
    return "applicability"  # passed <-> inapplicable: harmless for consistency


def consistency(results: list[CaseResult]) -> str:
    tested = [r for r in results if r.outcome in OUTCOMES]
    if not tested:
        return "untested"
    if any(r.kind == "false_failure" for r in tested):
        return "inconsistent"
    failed = [r for r in results if r.testcase.expected == "failed"]
    caught = [r for r in failed if r.outcome == "failed"]
    if not caught:
        return "inconsistent"
    if len(caught) == len(failed) and len(tested) == len(results):
        return "consistent"
    return "partially consistent"


def summarize(results: list[CaseResult], mapping: ActMapping) -> list[RuleSummary]:
    by_rule: dict[str, list[CaseResult]] = {}
    for r in results:
        by_rule.setdefault(r.testcase.rule_id, []).append(r)
    out = []
    for rule_id, rows in by_rule.items():
        rule = mapping.rules.get(rule_id)
        out.append(
            RuleSummary(
                rule_id=rule_id,
                rule_name=rows[0].testcase.rule_name or (rule.name if rule else ""),
                axe_rules=list(rule.axe_rules) if rule else [],
                consistency=consistency(rows) if rule else "untested",
                cases=len(rows),
                agree=sum(r.agrees for r in rows),
                failed_expected=sum(r.testcase.expected == "failed" for r in rows),
                failed_caught=sum(r.testcase.expected == "failed" and r.outcome == "failed" for r in rows),
                false_failures=sum(r.kind == "false_failure" for r in rows),
                missed_failures=sum(r.kind == "missed_failure" for r in rows),
                applicability_differences=sum(r.kind == "applicability" for r in rows),
                errors=sum(bool(r.error) for r in rows),
                published=rule.published if rule else "",
            )
        )
    return out


# --------------------------------------------------------------------------- running


Progress = Callable[[int, int, CaseResult], None]


def _error_text(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:300]


async def _run_cases(
    cases: list[TestCase], mapping: ActMapping, base_url: str, workers: int, timeout_ms: int, progress: Progress | None
) -> list[CaseResult]:
    results: list[CaseResult | None] = [None] * len(cases)
    done = 0

    def finish(i: int, result: CaseResult) -> CaseResult:
        nonlocal done
        results[i] = result
        done += 1
        if progress:
            progress(done, len(cases), result)
        return result

    runnable = []
    for i, case in enumerate(cases):
        rule = mapping.rules.get(case.rule_id)
        if rule is None:
            finish(i, CaseResult(case, "untested", error="no axe rule is mapped to this ACT rule"))
        elif not case.relative_path:
            finish(i, CaseResult(case, "untested", error="test case file not found in the suite folder"))
        else:
            runnable.append(i)
    if not runnable:
        return [r for r in results if r is not None]

    async def one(page: Any, i: int) -> CaseResult:
        case = cases[i]
        url = base_url + quote(case.relative_path)
        try:
            await page.goto(url, wait_until="load", timeout=timeout_ms)
            axe_result = await run_axe(page, tags=mapping.axe_tags, result_types=RESULT_TYPES)
        except Exception as exc:  # one broken page must not stop the suite
            return finish(i, CaseResult(case, "untested", url=url, error=_error_text(exc)))
        outcome, cant_tell, found = derive_outcome(axe_result, mapping.rules[case.rule_id].axe_rules)
        return finish(i, CaseResult(case, outcome, url=url, cant_tell=cant_tell, axe_rules=found))

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            outcomes = await PagePool(context, workers=workers, recycle_after=50).map(runnable, one)
        finally:
            await context.close()
    for i, value in zip(runnable, outcomes, strict=True):
        if isinstance(value, BaseException):
            finish(i, CaseResult(cases[i], "untested", error=_error_text(value)))
    return [r for r in results if r is not None]


@dataclass
class ActRun:
    suite: Suite
    results: list[CaseResult]
    rules: list[RuleSummary]
    seconds: float
    axe_version: str

    @property
    def agreeing(self) -> int:
        return sum(r.agrees for r in self.results)

    def counts(self) -> dict[str, int]:
        return {level: sum(s.consistency == level for s in self.rules) for level in CONSISTENCY_LEVELS}


def run_suite(
    suite: Suite,
    rule_ids: Iterable[str] = (),
    mapping: ActMapping | None = None,
    workers: int = 2,
    timeout_ms: int = 30_000,
    progress: Progress | None = None,
) -> ActRun:
    """Serve the suite folder on 127.0.0.1, run axe on every selected test case, compare, summarize."""
    mapping = mapping or load_mapping()
    cases = select(suite, rule_ids)
    if not cases:
        raise ActSuiteError("no test case matches --rules")
    started = time.perf_counter()
    server = LocalServer(suite.root)
    try:
        results = run_sync(lambda: _run_cases(cases, mapping, server.url, workers, timeout_ms, progress))
    finally:
        server.close()
    return ActRun(suite, results, summarize(results, mapping), time.perf_counter() - started, axe_version())


# --------------------------------------------------------------------------- writing


def case_row(r: CaseResult) -> dict[str, Any]:
    return {
        "testcase_id": r.testcase.testcase_id,
        "title": r.testcase.title,
        "rule_id": r.testcase.rule_id,
        "rule_name": r.testcase.rule_name,
        "expected": r.testcase.expected,
        "outcome": r.outcome,
        "agrees": r.agrees,
        "kind": r.kind,
        "cant_tell": r.cant_tell,
        "axe_rules": " ".join(f"{k}:{v}" for k, v in sorted(r.axe_rules.items())),
        "url": r.url,
        "source_url": r.testcase.source_url,
        "error": r.error,
    }


def report_document(run: ActRun) -> dict[str, Any]:
    """A simple EARL-like report: one assertion per test case, plus the per-rule consistency."""
    return {
        "suite": run.suite.name,
        "assertor": {"name": "losi a11y (axe-core)", "axe_version": run.axe_version},
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(run.seconds, 3),
        "summary": {
            "testcases": len(run.results),
            "agreeing": run.agreeing,
            "rules": len(run.rules),
            **{level.replace(" ", "_"): n for level, n in run.counts().items()},
        },
        "rules": [asdict(s) for s in run.rules],
        "assertions": [
            {
                "testcase": r.testcase.testcase_id,
                "title": r.testcase.title,
                "rule": r.testcase.rule_id,
                "subject": r.testcase.source_url or r.url,
                "expected": r.testcase.expected,
                "outcome": r.outcome,
                "agrees": r.agrees,
                "kind": r.kind,
                "cant_tell": r.cant_tell,
                "axe": r.axe_rules,
                **({"error": r.error} if r.error else {}),
            }
            for r in run.results
        ],
    }


def write_reports(run: ActRun, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "act-results.json"
    json_path.write_text(json.dumps(report_document(run), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    csv_path = write_csv([case_row(r) for r in run.results], CASE_COLUMNS, out_dir / "act-results.csv")
    rules_path = write_csv(
        [{**asdict(s), "axe_rules": " ".join(s.axe_rules)} for s in run.rules],
        RULE_COLUMNS,
        out_dir / "act-rules.csv",
    )
    return {"json": json_path, "csv": csv_path, "rules_csv": rules_path}


def progress_line(done: int, total: int, r: CaseResult) -> str:
    mark = "" if r.agrees else "   <-- differs" if r.outcome in OUTCOMES else f"   ({r.error})"
    width = len(str(total))
    return (
        f"[{done:>{width}}/{total}] {r.testcase.rule_id} {r.testcase.testcase_id[:12]}... "
        f"{r.outcome} (expected {r.testcase.expected}){mark}"
    )


def summary_table(run: ActRun) -> str:
    lines = [f"{'rule':<8} {'consistency':<21} {'agree':>7}  {'axe rules':<40} name"]
    order = {level: i for i, level in enumerate(CONSISTENCY_LEVELS)}
    for s in sorted(run.rules, key=lambda s: (order[s.consistency], s.rule_id)):
        axe = ",".join(s.axe_rules) or "-"
        lines.append(f"{s.rule_id:<8} {s.consistency:<21} {s.agree:>3}/{s.cases:<3}  {axe[:40]:<40} {s.rule_name}")
    counts = run.counts()
    n = len(run.results)
    rate = n / run.seconds if run.seconds else 0.0
    lines.append("")
    lines.append(
        f"rules: {counts['consistent']} consistent, {counts['partially consistent']} partially consistent, "
        f"{counts['inconsistent']} inconsistent, {counts['untested']} untested"
    )
    lines.append(f"test cases agreeing: {run.agreeing} of {n} ({run.agreeing / n:.0%})" if n else "no test cases")
    lines.append(f"axe-core {run.axe_version}; {n} test cases in {run.seconds:.1f} s ({rate:.1f}/s)")
    return "\n".join(lines)
