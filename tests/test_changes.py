"""The change summary of a list's run against the list's previous run: gained, lost, changed, score deltas,
portals added and removed, reviewers' decisions counted; runs of other lists and unfinished runs ignored."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import update

from indicators.catalog import load_catalog
from losi.models import Finding, PortalConfig, Verdict
from losi.store import Review, Store, runs
from outputs.changes import list_note, previous_run_of_list
from outputs.reports import write_reports


def _run(store: Store, note: str, portals: dict[str, set[str]], finish: bool = True) -> str:
    """A run whose portals meet exactly the given indicators (everything else not_met); one a month, as a
    monthly schedule makes them (start times are kept to the second)."""
    catalog = load_catalog("losi-2024")
    run_id = store.create_run(note=note)
    with store.engine.begin() as conn:
        month = len(store.list_runs())
        conn.execute(update(runs).where(runs.c.id == run_id).values(started_at=f"2026-{month:02d}-01T02:00:00+00:00"))
    for portal_id, met in portals.items():
        store.add_portal(run_id, PortalConfig(id=portal_id, home_url=f"https://{portal_id}.example/"))
        store.save_findings(run_id, portal_id, catalog.id, [
            Finding(i.code, Verdict.MET if i.code in met else Verdict.NOT_MET, "r", "x") for i in catalog.indicators])
        store.set_portal_status(run_id, portal_id, "assessed")
    if finish:
        store.finish_run(run_id)
    return run_id


def test_changes_against_the_previous_run_of_the_same_list(tmp_path: Path) -> None:
    store = Store(data_dir=tmp_path)
    first = _run(store, list_note("cities"), {"tashkent": {"201", "214", "222"}, "gyumri": {"201"}})
    _run(store, list_note("other"), {"tashkent": set()})  # another list: not compared with
    _run(store, list_note("cities"), {"tashkent": set()}, finish=False)  # interrupted: not compared with
    latest = _run(store, list_note("cities"), {"tashkent": {"201", "216", "237"}, "mtskheta": {"201"}})
    store.add_reviews([Review(latest, "tashkent", "222", "nino", Verdict.MET, "seen by hand")])  # counts as met
    assert previous_run_of_list(store, latest)["id"] == first

    written = write_reports(store, latest, tmp_path / "out", ("csv", "html"))
    with written["changes.csv"].open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    changes = {(r["portal"], r["indicator"]): r["change"] for r in rows}
    assert changes == {("tashkent", "overall"): "up", ("tashkent", "214"): "lost", ("tashkent", "216"): "gained",
                       ("tashkent", "237"): "gained", ("mtskheta", "overall"): "added",
                       ("gyumri", "overall"): "removed"}  # fmt: skip
    tashkent = next(r for r in rows if r["portal"] == "tashkent" and r["indicator"] == "overall")
    assert float(tashkent["score_delta"]) > 0  # 3 met before; 4 now, with the reviewer's 222
    assert round(float(tashkent["score"]) - float(tashkent["previous_score"]), 4) == float(tashkent["score_delta"])
    text = written["changes.txt"].read_text()
    assert f"against run {first}" in text and "2 indicator(s) gained, 1 lost" in text
    html = written["report.html"].read_text()
    assert "Changes since the previous run of list cities" in html and "seen by hand" in html

    plain = _run(store, "", {"tashkent": set()})  # a run of no list: no change summary
    assert "changes.csv" not in write_reports(store, plain, tmp_path / "plain", ("csv",))
    store.close()
