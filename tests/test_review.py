"""The review round-trip: export, fill like a person would (openpyxl), import all-or-nothing, two assessors."""

from __future__ import annotations

import argparse

import pytest
from openpyxl import load_workbook

from outputs import cli
from outputs.collect import collect_run
from outputs.review import (
    ReviewImportError,
    compare_reviews,
    export_review,
    import_review,
    write_reconciliation,
)
from tests.test_export_support import CITY_INDICATORS, NATIONAL_INDICATORS, build_store


def fill(path, decisions: dict[tuple[str, str], tuple[str, str]], reviewer: str | None = None, out=None):
    """Type decisions into the Review sheet: (portal, indicator) -> (decision, comment)."""
    wb = load_workbook(path)
    ws = wb["Review"]
    h = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        key = (row[h.index("portal")].value, row[h.index("indicator")].value)
        if key in decisions:
            row[h.index("decision")].value, row[h.index("comment")].value = decisions[key]
            if reviewer:
                row[h.index("reviewer")].value = reviewer
    wb.save(out or path)
    return out or path


def _score(store, run_id, cats, portal="tashkent"):
    return next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == portal).score


def test_export_review_workbook(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    path = export_review(store, run_id, tmp_path / "review.xlsx", cats)
    wb = load_workbook(path)
    ws = wb["Review"]
    assert [c.value for c in ws[1]] == [
        "run_id", "portal", "indicator", "name", "machine_verdict", "confidence", "evidence_url", "explanation",
        "decision", "comment", "reviewer",
    ]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2 * len(CITY_INDICATORS) + len(NATIONAL_INDICATORS)
    assert all(r[0] == run_id and r[8] is None and r[9] is None for r in rows)
    assert wb["_run"]["B1"].value == run_id and wb["_run"].sheet_state == "hidden"
    assert wb["_run"].protection.sheet and ws.protection.sheet
    assert not ws.cell(2, 9).protection.locked and ws.cell(2, 1).protection.locked
    assert ws.data_validations.dataValidation  # a drop-down of the allowed decisions


def test_import_changes_scores_and_keeps_machine_verdict(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    before = _score(store, run_id, cats)
    path = export_review(store, run_id, tmp_path / "review.xlsx", cats)
    fill(path, {("tashkent", "220"): ("met", "tender list at /tenders"),
                ("tashkent", "296"): ("Not met", "news stale since 2021"),
                ("tashkent", "295"): ("met", "")})
    result = import_review(store, path, reviewer="Nino", catalogs=cats)
    assert (result.recorded, result.changed, result.reviewers) == (3, 3, ("Nino",))
    assert result.skipped == 2 * len(CITY_INDICATORS) + len(NATIONAL_INDICATORS) - 3
    after = _score(store, run_id, cats)
    assert after.overall.met == before.overall.met + 1  # +220 +295 -296
    reviews = store.reviews(run_id, "tashkent")
    assert {(r.indicator, r.decision.value, r.reviewer) for r in reviews} == {
        ("220", "met", "Nino"), ("296", "not_met", "Nino"), ("295", "met", "Nino")}
    assert all(r.source.endswith("review.xlsx") and r.decided_at for r in reviews)
    city = next(p for p in collect_run(store, run_id, cats).portals if p.portal_id == "tashkent")
    news = next(f for f in city.findings if f.indicator == "296")
    assert news.verdict.value == "not_met" and news.machine_verdict.value == "met"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ws, h: ws.cell(3, h["decision"], "yes please"), "row 3: decision 'yes please'"),
        (lambda ws, h: ws.cell(4, h["portal"], "atlantis"), "row 4: unknown portal 'atlantis'"),
        (lambda ws, h: ws.cell(5, h["indicator"], "999"), "row 5: unknown indicator '999'"),
        (lambda ws, h: ws.cell(6, h["run_id"], "other-run"), "row 6: run id 'other-run'"),
    ],
)
def test_malformed_sheet_is_refused_and_nothing_changes(tmp_path, edit, message):
    store, run_id, cats = build_store(tmp_path)
    path = export_review(store, run_id, tmp_path / "review.xlsx", cats)
    fill(path, {("tashkent", "220"): ("met", "ok")}, reviewer="Nino")
    wb = load_workbook(path)
    ws = wb["Review"]
    h = {c.value: c.column for c in ws[1]}
    edit(ws, h)
    wb.save(path)
    with pytest.raises(ReviewImportError, match="nothing was recorded") as info:
        import_review(store, path, catalogs=cats)
    assert message in str(info.value) and "sheet 'Review'" in str(info.value)
    assert store.reviews(run_id) == []


def test_wrong_files_are_clear_errors(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    with pytest.raises(ReviewImportError, match="no such file"):
        import_review(store, tmp_path / "missing.xlsx", "x", cats)
    bogus = tmp_path / "bogus.xlsx"
    bogus.write_text("not a workbook")
    with pytest.raises(ReviewImportError, match="not a readable"):
        import_review(store, bogus, "x", cats)
    path = export_review(store, run_id, tmp_path / "review.xlsx", cats)
    fill(path, {("tashkent", "220"): ("met", "ok")})
    with pytest.raises(ReviewImportError, match="no reviewer name"):
        import_review(store, path, None, cats)
    wb = load_workbook(path)
    wb["_run"]["B1"] = "20990101-000000-dead"
    wb.save(path)
    with pytest.raises(ReviewImportError, match="not in this store"):
        import_review(store, path, "x", cats)
    assert store.reviews(run_id) == []


def _two_assessors(tmp_path, store, run_id, cats):
    blank = export_review(store, run_id, tmp_path / "blank.xlsx", cats)
    codes = [c for c, _, _ in CITY_INDICATORS]
    a = {("tashkent", c): ("met" if c in {"281", "215", "296", "214", "206"} else "not_met", "") for c in codes}
    b = dict(a)
    b["tashkent", "220"] = ("met", "tenders on the national portal")  # one disagreement out of 10
    a["tashkent", "220"] = ("not_met", "no tenders")
    for code in ("010", "014"):
        a["mygov", code] = b["mygov", code] = ("met", "")
    fill(blank, a, reviewer="A", out=tmp_path / "a.xlsx")
    fill(blank, b, reviewer="B", out=tmp_path / "b.xlsx")
    return tmp_path / "a.xlsx", tmp_path / "b.xlsx"


def test_two_assessors_agreement_and_reconciliation(tmp_path):
    store, run_id, cats = build_store(tmp_path)
    a, b = _two_assessors(tmp_path, store, run_id, cats)
    import_review(store, a, catalogs=cats)
    import_review(store, b, catalogs=cats)
    cmp = compare_reviews(store, run_id, threshold=0.05)
    assert (cmp.reviewer_a, cmp.reviewer_b) == ("A", "B")
    city = next(p for p in cmp.portals if p.portal == "tashkent")
    assert (city.compared, city.agreed) == (10, 9) and city.disagreement == pytest.approx(0.1)
    assert city.flagged and cmp.flagged == ("tashkent",)
    # machine: 5 met, 3 not_met, 220 needs_review, 225a not_applicable: each reviewer differs on 220 and 225a
    assert city.machine_agrees_a == pytest.approx(0.8) and city.machine_agrees_b == pytest.approx(0.8)
    national = next(p for p in cmp.portals if p.portal == "mygov")
    assert national.compared == 2 and not national.flagged and national.machine_agrees_a == pytest.approx(1.0)
    assert not compare_reviews(store, run_id, threshold=0.15).portals[1].flagged
    assert [(d.portal, d.indicator, d.decision_a, d.decision_b) for d in cmp.disagreements] == [
        ("tashkent", "220", "not_met", "met")]

    path = write_reconciliation(cmp, tmp_path / "reconciliation.xlsx")
    ws = load_workbook(path)["Disagreements"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    h = [c.value for c in ws[1]]
    assert len(rows) == 1 and rows[0][h.index("indicator")] == "220"
    assert rows[0][h.index("comment_b")] == "tenders on the national portal"


def test_cli_review_export_and_two_file_import(tmp_path, capsys, monkeypatch):
    store, run_id, cats = build_store(tmp_path)
    monkeypatch.setattr("outputs.collect.load_catalog", cats.__getitem__)  # the CLI loads catalogs by name
    parser = argparse.ArgumentParser(prog="losi")
    sub = parser.add_subparsers(dest="command")
    cli.configure_review(sub.add_parser("review"))
    args = parser.parse_args(["review", "export", "latest", "--out", str(tmp_path / "r.xlsx")])
    assert cli.run_review(args, store) == 0
    assert (tmp_path / "r.xlsx").is_file()
    a, b = _two_assessors(tmp_path, store, run_id, cats)
    args = parser.parse_args(["review", "import", str(a), str(b)])
    assert cli.run_review(args, store) == 0
    out = capsys.readouterr().out
    assert "9/10 agree" in out and "DISAGREE" in out
    assert (tmp_path / "reconciliation.xlsx").is_file()

    bad = tmp_path / "bad.xlsx"
    wb = load_workbook(a)
    wb["Review"]["I2"] = "maybe"
    wb.save(bad)
    count = len(store.reviews(run_id))
    assert cli.run_review(parser.parse_args(["review", "import", str(bad)]), store) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "Traceback" not in err
    assert len(store.reviews(run_id)) == count
    assert cli.run_review(parser.parse_args(["review", "export", "nope"]), store) == 2
    assert "unknown run 'nope'" in capsys.readouterr().err
