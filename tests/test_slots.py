"""The run's browser pool: slots shared across processes, freed when their holder ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from losi.slots import BrowserSlots
from tests.conftest import ROOT

TRY_FROM_ANOTHER_PROCESS = (
    "import sys; from pathlib import Path; from losi.slots import BrowserSlots; "
    "slot = BrowserSlots(Path(sys.argv[1]), 1).try_acquire(); print('got' if slot else 'busy')"
)


def other_process_gets_a_slot(folder: Path) -> str:
    result = subprocess.run([sys.executable, "-c", TRY_FROM_ANOTHER_PROCESS, str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return result.stdout.strip()


def test_a_slot_held_here_is_busy_for_other_processes_until_released(tmp_path: Path) -> None:
    slots = BrowserSlots(tmp_path / "slots", 1)
    slot = slots.try_acquire()
    assert slot is not None
    assert other_process_gets_a_slot(tmp_path / "slots") == "busy"
    slot.release()
    assert other_process_gets_a_slot(tmp_path / "slots") == "got"  # and its exit freed it again
    assert slots.acquire(timeout=5) is not None


def test_a_pool_of_two_gives_two_slots_then_none(tmp_path: Path) -> None:
    slots = BrowserSlots(tmp_path / "slots", 2)
    first, second = slots.try_acquire(), slots.try_acquire()
    assert first is not None and second is not None and first.number != second.number
    assert slots.try_acquire() is None
    assert slots.acquire(timeout=0.5) is None  # none came free in time
    first.release()
    assert slots.try_acquire() is not None


def test_the_pool_is_read_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOSI_BROWSER_SLOTS", f"{tmp_path / 'slots'}:3")
    slots = BrowserSlots.from_env()
    assert slots is not None and slots.size == 3 and slots.folder == tmp_path / "slots"
    monkeypatch.setenv("LOSI_BROWSER_SLOTS", "nonsense")
    assert BrowserSlots.from_env() is None
