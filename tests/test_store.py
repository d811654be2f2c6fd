"""The run store keeps what was assessed consistent, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from losi.models import Evidence, Finding, PortalConfig, Verdict
from losi.store import Review, Store, StoreError


def _finding(code: str, verdict: Verdict = Verdict.MET) -> Finding:
    return Finding(
        code, verdict, "contact-details", "found", evidence=[Evidence("http://x/c", "footer", "tel")]
    )


def exercise(store: Store) -> None:
    run_id = store.create_run("out")
    store.add_portal(run_id, PortalConfig(id="city", home_url="https://city.example/", languages=["uz"]))
    store.save_findings(run_id, "city", "losi-2024", [_finding("214"), _finding("206", Verdict.NOT_MET)])
    # saving again replaces, never duplicates
    store.save_findings(run_id, "city", "losi-2024", [_finding("214", Verdict.NOT_MET)])
    stored = store.findings(run_id)
    assert [(s.portal_id, s.finding.indicator, s.finding.verdict) for s in stored] == [
        ("city", "214", Verdict.NOT_MET)
    ]
    assert stored[0].finding.evidence[0].selector == "footer"
    store.add_reviews([Review(run_id, "city", "214", "ana", Verdict.MET, "seen in footer")])
    assert store.reviews(run_id)[0].decision == Verdict.MET
    assert store.portal_config(run_id, "city").languages == ["uz"]
    store.finish_run(run_id)
    assert store.get_run(run_id)["status"] == "finished"
    assert store.latest_run_id() == run_id
    assert [r["run_id"] for r in store.runs_of_portal("city")] == [run_id]


def test_sqlite_store(tmp_path: Path) -> None:
    store = Store(data_dir=tmp_path)
    exercise(store)
    assert (tmp_path / "losi.sqlite").is_file()


def test_failed_write_leaves_previous_findings(tmp_path: Path) -> None:
    store = Store(data_dir=tmp_path)
    run_id = store.create_run()
    store.add_portal(run_id, PortalConfig(id="city", home_url="https://city.example/"))
    store.save_findings(run_id, "city", "losi-2024", [_finding("214")])
    duplicate = [_finding("206"), _finding("206")]  # primary-key clash half-way through the insert
    with pytest.raises(Exception):  # noqa: B017
        store.save_findings(run_id, "city", "losi-2024", duplicate)
    assert [s.finding.indicator for s in store.findings(run_id)] == ["214"]


def test_unopenable_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_postgresql_store(postgres_url: str, tmp_path: Path) -> None:
    store = Store(postgres_url, tmp_path)
    exercise(store)
    store.close()


def test_processes_opening_one_new_store_at_once(tmp_path: Path) -> None:
    """Two `losi run`s started together both create the tables of a new store; neither may fail."""
    import sys

    code = "import sys; from pathlib import Path; from losi.store import Store; Store(data_dir=Path(sys.argv[1]))"
    for round_ in range(3):
        data = tmp_path / f"data{round_}"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(data)], stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
        errors = [p.communicate()[1] for p in procs if p.wait() != 0]
        assert not errors, errors[0][-500:]
    assert Store(data_dir=tmp_path / "data0").list_runs() == []


def test_connections_racing_to_open_a_new_sqlite_file_all_get_wal(tmp_path: Path) -> None:
    """Sixteen connections open one new file at the same moment, with no busy handler of their own (timeout=0):
    the store's connection set-up waits for the others (before it did, 361 of 480 such opens said "locked")."""
    import sqlite3
    import threading

    from losi.store import _sqlite_pragmas

    failures: list[str] = []
    modes: list[str] = []
    for round_ in range(5):
        path = tmp_path / f"race{round_}.sqlite"
        start = threading.Barrier(16)

        def open_one(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                conn = sqlite3.connect(path, timeout=0)
                _sqlite_pragmas(conn, None)
                modes.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
                conn.close()
            except sqlite3.Error as exc:
                failures.append(str(exc))

        threads = [threading.Thread(target=open_one) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert modes == ["wal"] * 80
