"""`losi country` end to end: a small bundle served on 127.0.0.1 (one port per site, an open-data portal where
nothing listens), crawled for real and assessed; what the reports say about sectors, sites and scores."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from losi.bundleserve import serve_country

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "sites" / "country-mini"

pytestmark = pytest.mark.slow


def losi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "losi.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("country")
    with serve_country(MINI, work / "bundle") as bundle:
        result = losi("country", str(bundle), "--no-probes", "--out", str(work / "out"),
                      "--data-dir", str(work / "data"))  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        run_id = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("run "))
        again = losi("run", str(bundle), "--from-run", run_id, "--no-probes", "--format", "csv",
                     "--out", str(work / "again"), "--data-dir", str(work / "data"))  # fmt: skip
    rows = list(csv.DictReader((work / "out" / "findings.csv").open(encoding="utf-8-sig")))
    return {"work": work, "rows": {r["indicator"]: r for r in rows}, "all": rows, "stdout": result.stdout,
            "again": again, "bundle": bundle, "run_id": run_id,
            "json": json.loads((work / "out" / "findings.json").read_text(encoding="utf-8"))}


def test_the_country_is_one_portal_with_every_item(assessed: dict) -> None:
    assert {r["portal"] for r in assessed["all"]} == {"TST"}
    assert len(assessed["all"]) == 182
    assert "TST:" in assessed["stdout"]


def test_evidence_names_the_site_it_came_from(assessed: dict) -> None:
    rows = assessed["rows"]
    assert rows["090"]["verdict"] == "met" and rows["090"]["evidence_site"] == "national"
    assert "@@" not in rows["090"]["evidence_url"]
    assert rows["096"]["verdict"] == "met" and rows["096"]["evidence_site"] == "health"
    sites = {e.get("site") for f in assessed["json"]["portals"][0]["findings"] for e in f["evidence"]}
    assert {"national", "health", "education"} <= sites


def test_an_unreachable_site_makes_its_items_not_assessed_and_the_rest_still_run(assessed: dict) -> None:
    rows = assessed["rows"]
    for code in ("037", "040", "303"):  # looked for on the open-data portal
        assert rows[code]["verdict"] == "not_assessed", (code, rows[code]["explanation"])
        assert "open_data" in rows[code]["explanation"] and "could not be reached" in rows[code]["explanation"]
    assert rows["104"]["verdict"] == "met"  # education policy, from the education ministry
    sites = {s["id"]: s for s in json.loads((assessed["work"] / "data" / "runs").glob("*/TST/bundle.json")
                                            .__next__().read_text(encoding="utf-8"))["sites"]}  # fmt: skip
    assert sites["open_data"]["reached"] is False and "127.0.0.1:9" in sites["open_data"]["reason"]
    assert sites["health"]["reached"] is True and sites["health"]["pages"] >= 3


def test_sector_items_come_from_their_own_sector(assessed: dict) -> None:
    rows = assessed["rows"]
    # the health ministry's consultation on school meals is the health ministry's, not education's
    assert rows["096"]["verdict"] == "met"
    assert rows["109"]["verdict"] == "not_met", rows["109"]["explanation"]
    # a dead link is not a link to the justice ministry; no ministry of employment, no page about it
    assert rows["172"]["verdict"] == "not_met" and "leads nowhere" in rows["172"]["explanation"]
    assert rows["125"]["verdict"] == "not_met" and "nothing speaks for employment" in rows["125"]["explanation"]


def test_the_workbook_and_the_report_show_subindices_sectors_and_the_estimate(assessed: dict) -> None:
    out = assessed["work"] / "out"
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    for sheet in ("IF", "CP", "SP", "EPI", "TECH", "EGL", "Sectors", "Survey", "Sites"):
        assert sheet in wb.sheetnames, sheet
    sp_rows = list(wb["SP"].iter_rows(values_only=True))
    header = sp_rows[0]
    assert {"sector", "verdict", "evidence_site", "evidence_url"} <= set(header)
    assert len(sp_rows) - 1 == 58
    sectors = list(wb["Sectors"].iter_rows(values_only=True))
    assert sectors[0][:3] == ("portal", "sector", "Link to the ministry")
    health = next(r for r in sectors if r[1] == "Health")
    assert health[2] == "met (#090)"
    measures = {r[2]: r for r in wb["Survey"].iter_rows(values_only=True)}
    assert "OSI (estimate)" in measures and "EPI E-consultation (raw points)" in measures
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Sectors × item families" in html and "estimate" in html and "could not be reached" in html


def test_losi_run_takes_the_country_file_too(assessed: dict) -> None:
    again = assessed["again"]
    assert again.returncode == 0, again.stderr[-2000:]
    rows = list(csv.DictReader((assessed["work"] / "again" / "findings.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 182 and {r["portal"] for r in rows} == {"TST"}
    verdicts = {r["indicator"]: r["verdict"] for r in rows}
    assert verdicts["096"] == "met" and verdicts["109"] == "not_met"


def test_a_country_reports_its_stages_and_keeps_to_the_assessment_cap(assessed: dict) -> None:
    """What a parallel run watches (losi.parallel): every site's crawl and parse, then the assessment, each with
    its cap; and the assessment cap holds for a whole country (parsing every site and checking the items)."""
    from losi.bundle import load_run_files
    from losi.pipeline import RunOptions, run_assessment
    from losi.store import Store

    work = assessed["work"]
    events: list[dict] = []

    def options(out: str) -> RunOptions:
        return RunOptions(out_dir=work / out, data_dir=work / "data", from_run=assessed["run_id"], probes=False,
                          formats=["csv"], progress=lambda line: None,
                          events=lambda portal_id, fields: events.append(fields))  # fmt: skip

    (country,) = load_run_files([assessed["bundle"]])
    run_assessment([country], options("staged"))
    stages = [e["stage"] for e in events if "stage" in e]
    assert stages[0].startswith("parse ") and stages[-2:] == ["assess", "done"], stages
    assert {s.removeprefix("parse ") for s in stages if s.startswith("parse ")} == {s["id"] for s in country.sites}
    assert all(e.get("cap") for e in events if e.get("stage", "").startswith(("parse", "assess")))

    (capped,) = load_run_files([assessed["bundle"]])
    capped.limits.assess_seconds = 0
    outcome = run_assessment([capped], options("capped"))
    store = Store(None, work / "data")
    try:
        findings = [s.finding for s in store.findings(outcome.run_id, capped.id)]
        status = next(p for p in store.portals(outcome.run_id) if p["portal_id"] == capped.id)
    finally:
        store.close()
    assert len(findings) == 182 and "assessment time cap of 0 s reached" in status["reason"], status["reason"]
    assert {f.verdict.value for f in findings} == {"not_assessed"}
    assert all("assessment time cap" in f.explanation for f in findings)
