"""History over two runs: index per run, verdicts per indicator, lost and gained first; the CLI around it."""

from __future__ import annotations

import argparse
import csv
import io
import json

import pytest

from outputs import cli
from outputs.collect import ReportError
from outputs.history import portal_history
from tests.test_export_support import CITY_INDICATORS, build_store


def test_portal_history_over_two_runs(tmp_path):
    store, run_id, cats = build_store(tmp_path, two_runs=True)
    h = portal_history(store, "tashkent", cats)
    assert [r.run_id for r in h.runs] == ["20260101-000000-0000", run_id]
    assert [r.met for r in h.runs] == [5, 5]
    assert [(i.code, i.change) for i in h.changes] == [("215", "lost"), ("295", "gained")]
    assert [i.code for i in h.indicators[:2]] == ["215", "295"]  # changes first
    assert h.indicators[0].verdicts == ("met", "not_met")
    assert len(h.indicators) == len(CITY_INDICATORS)
    assert {i.code for i in h.indicators[2:]} == {c for c, _, _ in CITY_INDICATORS} - {"215", "295"}
    table = h.table()
    assert "lost" in table and "gained" in table and "215" in table


def test_single_run_history_and_unknown_portal(tmp_path):
    store, _, cats = build_store(tmp_path)
    h = portal_history(store, "tashkent", cats)
    assert len(h.runs) == 1 and h.changes == ()
    assert "only one run" in h.table()
    with pytest.raises(ReportError, match="in no run"):
        portal_history(store, "atlantis", cats)


def test_history_cli_formats(tmp_path, capsys, monkeypatch):
    store, run_id, cats = build_store(tmp_path, two_runs=True)
    monkeypatch.setattr("outputs.history.catalog_getter", lambda _c: cats.__getitem__)
    parser = argparse.ArgumentParser(prog="losi")
    sub = parser.add_subparsers(dest="command")
    cli.configure_history(sub.add_parser("history"))
    assert cli.run_history(parser.parse_args(["history", "tashkent", "--format", "json"]), store) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["indicators"][0]["change"] == "lost" and len(doc["runs"]) == 2
    assert cli.run_history(parser.parse_args(["history", "tashkent", "--format", "csv"]), store) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[1]["indicator"] == "295" and rows[1][run_id] == "met"
    assert cli.run_history(parser.parse_args(["history", "nowhere"]), store) == 2
    assert "nowhere" in capsys.readouterr().err
