"""A run killed half-way leaves the store consistent, and `--resume` finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from losi.localserve import serve_directory
from losi.store import Store
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow


def test_killed_run_is_consistent_and_resumable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve_directory(SAMPLES) as base:
        config = tmp_path / "portals.yaml"
        config.write_text(
            "defaults: {allow_private: true, render: never, politeness: {delay: 0.4, concurrency_per_host: 1}}\n"
            "portals:\n"
            f"  - {{id: first, home_url: '{base}/toshkent-uz/', languages: [uz, ru], limits: {{max_pages: 3}}}}\n"
            f"  - {{id: second, home_url: '{base}/mtskheta-ka/', languages: [ka, en]}}\n",
            encoding="utf-8",
        )
        command = [
            sys.executable,
            "-m",
            "losi.cli",
            "run",
            str(config),
            "--no-probes",
            "--format",
            "csv",
            "--data-dir",
            str(data),
            "--out",
            str(tmp_path / "out"),
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        store = Store(data_dir=data)
        deadline = time.monotonic() + 120
        run_id = None
        while time.monotonic() < deadline:  # wait until the first portal is stored, then kill everything
            run_id = store.latest_run_id()
            statuses = {p["portal_id"]: p["status"] for p in store.portals(run_id)} if run_id else {}
            if statuses.get("first") == "assessed":
                break
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert run_id, "the run never stored its first portal"

        statuses = {p["portal_id"]: p["status"] for p in store.portals(run_id)}
        assert statuses["first"] == "assessed"
        assert statuses["second"] in ("pending", "crawled")
        assert len(store.findings(run_id, "first")) == 95
        assert store.findings(run_id, "second") == []  # all or nothing, never a partial set

        resumed = subprocess.run([*command, "--resume", run_id], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert "already assessed" in resumed.stderr
        statuses = {p["portal_id"]: p["status"] for p in store.portals(run_id)}
        assert statuses == {"first": "assessed", "second": "assessed"}
        assert len(store.findings(run_id, "second")) == 95
        store.close()
