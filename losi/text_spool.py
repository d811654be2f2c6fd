"""Page texts (and a page's seldom-read parts) kept in a file instead of in memory, read back when asked for.

A portal's pages are held for its assessment, and their main texts were the largest part of them (10 KB a
page on real portals). The concepts in every text were matched where the page was parsed, and the rules look
those matches up by the text's digest; they read a text back only to quote it or to search it for a sentence
(on 3,000 real pages: 4,200 reads of 1,900 texts). So the assessing process keeps each long text in one
unlinked temporary file (PageDoc.text reads it back: see losi.models), and its memory does not grow with them.

A page's parts that rules read on a few pages only (its widgets, script and frame URLs, meta tags, and what the
parser dropped or flagged) go to the same file, in one pickled record a page (PageDoc.SPOOLED_PARTS), and so
do the packed concept matches of the pages' texts (assessors.match_store: MatchStore.settle).
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from typing import Any, NoReturn

ENCODING = "utf-8"
ERRORS = "surrogatepass"  # a text with a lone surrogate (broken markup) comes back as it went in
_SIZE_BITS = 32  # a place in the file is one int: where it starts << _SIZE_BITS | its size (a page holds two)


class TextSpool:
    """One file of texts, written at its end and read by offset. The file has no name (it is gone once
    the last SpooledText that reads it is), so a run that dies leaves nothing behind."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """directory: where the file goes (a run's portal folder, on the disk its results go to); the system's
        temporary folder when it is None or cannot be written."""
        try:
            self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - open as long as the spool is
        except OSError:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._end = 0
        self._lock = threading.Lock()  # keep() from two threads must not write to the same place

    def keep(self, text: str) -> SpooledText:
        return SpooledText(self, self.keep_bytes(text.encode(ENCODING, ERRORS)))

    def keep_values(self, values: tuple[Any, ...]) -> SpooledValues:
        return SpooledValues(self, self.keep_bytes(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)))

    def keep_bytes(self, data: bytes) -> int:
        """Write data at the file's end; its place (read it back with read_bytes)."""
        if len(data) >> _SIZE_BITS:
            raise ValueError(f"{len(data)} bytes: a place in a spool holds less than {1 << _SIZE_BITS}")
        with self._lock:
            at = self._end
            self._end += len(data)
        os.pwrite(self._file.fileno(), data, at)
        return at << _SIZE_BITS | len(data)

    def read_bytes(self, place: int) -> bytes:
        return os.pread(self._file.fileno(), place & ((1 << _SIZE_BITS) - 1), place >> _SIZE_BITS)

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._end


class _Spooled:
    """Where one thing written to a TextSpool is: its place, one int (see keep_bytes)."""

    __slots__ = ("place", "spool")

    def __init__(self, spool: TextSpool, place: int) -> None:
        self.spool, self.place = spool, place

    def data(self) -> bytes:
        return self.spool.read_bytes(self.place)


class SpooledText(_Spooled):
    """Where one text is in a TextSpool."""

    __slots__ = ()

    def read(self) -> str:
        return self.data().decode(ENCODING, ERRORS)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (self.read(),)  # the text itself travels, not a place in another process's file


class SpooledValues(_Spooled):
    """Where one record of values is in a TextSpool: the process's own pickle, read back by it alone."""

    __slots__ = ()

    def read(self) -> tuple[Any, ...]:
        return pickle.loads(self.data())  # written by this process

    def __reduce__(self) -> NoReturn:
        # the fields that hold a record travel as their values (PageDoc pickles its fields' values)
        raise TypeError("a place in a spool's file does not travel: pickle the page, not its slot")
