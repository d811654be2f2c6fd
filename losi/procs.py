"""Child processes: finding every descendant of a process (from /proc) and ending them all.

A crawl or a browser that stops answering is ended with everything it started: Playwright's driver starts
Chromium in a process group of its own, so killing one process group is not enough; the tree is read
first (an orphan loses its parent link), then every process in it is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

PARENT_ENV = "LOSI_PARENT_PID"  # set for a child that must not outlive the process that started it
_PR_SET_PDEATHSIG = 1


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can read."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every process below pid (children first, then theirs), read from /proc; [] where /proc is absent."""
    if not Path("/proc/self/stat").exists():
        return []
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        current = todo.pop(0)
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def kill(pids: list[int], sig: int = signal.SIGKILL) -> int:
    """Send sig to each pid that still exists; how many were signalled."""
    sent = 0
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            sent += 1
    return sent


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> int:
    """Kill pid and everything it started (the tree is read before anything is killed)."""
    return kill([*descendants(pid), pid], sig)


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send sig to this process when the process that started it ends (Linux only).

    A crawl whose worker was killed (SIGKILL: no clean-up runs) must not go on writing into the portal's
    folder, where another worker assesses the portal again. The parent names itself in LOSI_PARENT_PID;
    if it already ended before this ran, this process ends now. False where prctl is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    expected = os.environ.get(PARENT_ENV, "")
    if expected.isdigit() and os.getppid() != int(expected):
        os.kill(os.getpid(), sig)  # the parent is gone already
    return True
