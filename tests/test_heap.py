"""The assessing process's C heap (losi.heap): large blocks it frees are given back to the system."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _has_mallinfo2() -> bool:  # glibc 2.33 and later
    try:
        return hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _has_mallinfo2(), reason="glibc's mallinfo2 tells what is mapped")
def test_a_large_block_has_a_mapping_of_its_own_after_a_larger_one_was_freed() -> None:
    """Once a block of 4 MB was freed, glibc's own threshold puts a block of 300 KB in the heap (where, freed
    among blocks that live on, it stays the process's); with the threshold fixed, it gets a mapping of its own,
    given back when it is freed. glibc counts the bytes it holds in mappings (mallinfo2: hblkhd)."""
    probe = textwrap.dedent(
        """
        import ctypes, sys
        from losi.heap import keep_large_blocks_out_of_heap
        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in
                        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
        mallinfo2 = ctypes.CDLL(None).mallinfo2
        mallinfo2.restype = MallInfo2
        if sys.argv[1] == "fixed":
            assert keep_large_blocks_out_of_heap()
        big = bytearray(4 << 20)
        big = None  # glibc's own threshold is 4 MB from now on
        before = mallinfo2().hblkhd
        large = bytearray(300 * 1024)
        print(mallinfo2().hblkhd - before)
        """
    )
    run = [sys.executable, "-c", probe]
    mapped = {mode: int(subprocess.run([*run, mode], capture_output=True, text=True, check=True, cwd=REPO).stdout)
              for mode in ("fixed", "glibc")}  # fmt: skip
    assert mapped["fixed"] >= 300 * 1024, mapped
    assert mapped["glibc"] == 0, mapped  # what the fixed threshold is for
