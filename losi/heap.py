"""Large blocks kept out of the C heap of the process that holds a portal's pages.

glibc serves a block over its mmap threshold (128 KB at first) with a mapping of its own, given back to the
system when the block is freed. But each time it frees such a block it raises the threshold to that block's
size (up to 32 MB), so that soon the large blocks a parse reads and drops (captured pages, a parse process's
chunk of sixteen page documents) come from the heap, and the holes they leave between the page documents
that live on are not given back: the process's RSS grows with the pages parsed beyond what it holds. On
10,000 real pages (bench.bench_memory), a threshold fixed at LARGE_BLOCK keeps 22 MB off the assessing
process's peak.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
LARGE_BLOCK = 256 * 1024  # bytes: a block this large or larger has a mapping of its own


def keep_large_blocks_out_of_heap() -> bool:
    """Fix glibc's mmap threshold at LARGE_BLOCK for this process. False where the C library has no mallopt
    (not glibc) or refuses it: nothing is changed then."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK) == 1
