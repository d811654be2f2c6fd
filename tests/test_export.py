"""Exports read back: findings.csv, scores.csv, findings.json and report.xlsx."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook

from losi.models import Evidence, Finding, Verdict
from outputs.collect import ReportError
from outputs.export import FINDING_COLUMNS
from outputs.reports import write_reports
from tests.test_export_support import CITY_INDICATORS, NATIONAL_INDICATORS, build_store


def _csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_write_reports_writes_every_file(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    written = write_reports(store, run_id, tmp_path / "out", catalogs=cats)
    assert set(written) == {"findings.csv", "scores.csv", "findings.json", "report.xlsx", "report.html"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in written.values())


def test_findings_csv_has_every_indicator_of_every_portal(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    rows = _csv(write_reports(store, run_id, tmp_path / "out", ["csv"], catalogs=cats)["findings.csv"])
    assert list(rows[0])[: len(FINDING_COLUMNS)] == FINDING_COLUMNS
    per_portal = {}
    for r in rows:
        per_portal.setdefault(r["portal"], []).append(r["indicator"])
    assert per_portal["tashkent"] == [c for c, _, _ in CITY_INDICATORS]
    assert per_portal["down"] == [c for c, _, _ in CITY_INDICATORS]
    assert per_portal["mygov"] == [c for c, _, _ in NATIONAL_INDICATORS]
    by_key = {(r["portal"], r["indicator"]): r for r in rows}
    news = by_key["tashkent", "296"]
    assert (news["verdict"], news["criterion"], news["evidence_url"]) == ("met", "CP", "https://tashkent.example/news")
    assert news["evidence_snippet"] == "Янгиликлар" and news["evidence_selector"] == "main a"
    assert by_key["tashkent", "225a"]["verdict"] == "not_applicable"
    assert by_key["mygov", "010"]["indicator"] == "010"  # codes stay strings, leading zeros kept
    assert by_key["down", "281"]["verdict"] == "not_assessed"
    assert "connection refused" in by_key["down", "281"]["explanation"]
    assert by_key["tashkent", "295"]["looked_for"] == "term-a; /path-a"
    # crawled text that a spreadsheet would run as a formula is neutralised
    assert by_key["tashkent", "214"]["evidence_snippet"].startswith("'=HYPERLINK")


def test_scores_csv(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    rows = _csv(write_reports(store, run_id, tmp_path / "out", ["csv"], catalogs=cats)["scores.csv"])
    assert list(rows[0]) == ["portal", "framework", "criterion", "met", "total", "score", "band"]
    overall = {r["portal"]: r for r in rows if r["criterion"] == "overall"}
    city = overall["tashkent"]
    assert (city["met"], city["total"], city["score"]) == ("5", "10", "0.5")
    assert overall["mygov"]["band"] == "High" and float(overall["mygov"]["score"]) == pytest.approx(0.6)
    assert {r["criterion"] for r in rows if r["portal"] == "mygov"} == {"IF", "CP", "SP", "TEC", "overall"}


def test_findings_json_has_evidence_run_and_portal_metadata(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    extra = [
        Finding("296", Verdict.MET, "rule-296", "news", 0.9, evidence=[
            Evidence("https://tashkent.example/news", "h1", "Янгиликлар"),
            Evidence("https://tashkent.example/news/2", "article", "second", note="newest item"),
        ], details={"items": 12}),
    ]
    store.save_findings(run_id, "tashkent", "test-city", extra)
    doc = json.loads(write_reports(store, run_id, tmp_path / "out", ["json"], catalogs=cats)["findings.json"]
                     .read_text(encoding="utf-8"))
    assert doc["run"]["id"] == run_id and doc["run"]["status"] == "finished"
    city = next(p for p in doc["portals"] if p["portal"]["portal_id"] == "tashkent")
    assert city["portal"]["config"]["country"] == "UZB" and city["portal"]["pages"] == 42
    news = next(f for f in city["findings"] if f["indicator"] == "296")
    assert [e["url"] for e in news["evidence"]] == ["https://tashkent.example/news", "https://tashkent.example/news/2"]
    assert news["details"] == {"items": 12} and news["explanation"] == "news"
    assert len(city["findings"]) == len(CITY_INDICATORS)  # the others filled as not_assessed
    assert city["scores"]["counts"]["not_assessed"] == 9


def test_report_xlsx_reads_back(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    path = write_reports(store, run_id, tmp_path / "out", ["xlsx"], catalogs=cats)["report.xlsx"]
    wb = load_workbook(path)
    assert wb.sheetnames[:5] == ["Summary", "Scores", "Indicators", "OSI", "Review"]
    summary = wb["Summary"]
    header = [c.value for c in summary[1]]
    for col in ("name", "country", "level", "framework", "index", "band", "IF", "CP", "TECH", "pages_crawled", "date"):
        assert col in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["tashkent"]["index"] == 0.5 and rows["tashkent"]["pages_crawled"] == 42
    assert rows["tashkent"]["name"] == "Toshkent <b>shahri</b>"
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref

    ind = wb["Indicators"]
    h = [c.value for c in ind[1]]
    data = list(ind.iter_rows(min_row=2))
    assert len(data) == 2 * len(CITY_INDICATORS) + len(NATIONAL_INDICATORS)
    news = next(r for r in data if r[0].value == "tashkent" and r[1].value == "296")
    link = news[h.index("evidence_url")]
    assert link.hyperlink is not None and link.hyperlink.target == "https://tashkent.example/news"
    assert news[h.index("verdict")].fill.fgColor.rgb.endswith("C6EFCE")
    contact = next(r for r in data if r[1].value == "214" and r[0].value == "tashkent")
    assert contact[h.index("evidence_snippet")].data_type == "s"  # not a formula
    assert contact[h.index("evidence_snippet")].value.startswith("'=")
    assert ind.freeze_panes == "A2"

    osi = wb["OSI"]
    oh = [c.value for c in osi[1]]
    orow = dict(zip(oh, next(osi.iter_rows(min_row=2, values_only=True)), strict=True))
    assert orow["portal"] == "mygov" and orow["published OSI 2024"] == pytest.approx(0.76484)
    assert orow["tool estimate (share met)"] == pytest.approx(0.6)
    assert "Not the same measure" in orow["note"]
    assert osi.max_row == 2  # city portals are not on the OSI sheet

    review = wb["Review"]
    assert [c.value for c in review[1]][-3:] == ["decision", "comment", "reviewer"]
    assert review.max_row - 1 == len(data)


def test_control_characters_in_crawled_text_do_not_break_the_workbook(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    store.save_findings(run_id, "tashkent", "test-city", [
        Finding("296", Verdict.MET, "r", "bad\x00text\x07", 0.9,
                evidence=[Evidence("javascript:alert(1)", "a", "+SUM(1,2)\x1b")]),
    ])
    path = write_reports(store, run_id, tmp_path / "out", ["xlsx"], catalogs=cats)["report.xlsx"]
    ind = load_workbook(path)["Indicators"]
    h = [c.value for c in ind[1]]
    row = next(r for r in ind.iter_rows(min_row=2) if r[0].value == "tashkent" and r[1].value == "296")
    assert row[h.index("explanation")].value == "badtext"
    assert row[h.index("evidence_snippet")].value == "'+SUM(1,2)"
    assert row[h.index("evidence_url")].hyperlink is None  # only http(s) becomes a link


def test_unknown_format_and_run_are_clear_errors(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    with pytest.raises(ReportError, match="unknown format"):
        write_reports(store, run_id, tmp_path / "out", ["pdf"], catalogs=cats)
    with pytest.raises(ReportError, match="unknown run"):
        write_reports(store, "missing", tmp_path / "out", catalogs=cats)
