"""Child processes: finding every descendant of a process (from /proc) and ending them all.

A crawl or a browser that stops answering is ended with everything it started: Playwright's driver starts
Chromium in a process group of its own, so killing one process group is not enough; the tree is read
first (an orphan loses its parent link), then every process in it is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


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
