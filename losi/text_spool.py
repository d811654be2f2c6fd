"""Page texts kept in a file instead of in memory, read back when a page's text is asked for.

A portal's pages are held for its assessment, and their main texts were the largest part of them (10 KB a
page on real portals). The concepts in every text were matched where the page was parsed, and the rules look
those matches up by the text's digest; they read a text back only to quote it or to search it for a sentence
(on 3,000 real pages: 4,200 reads of 1,900 texts). So the assessing process keeps each long text in one
unlinked temporary file (PageDoc.text reads it back: see losi.models), and its memory does not grow with them.
"""

from __future__ import annotations

import os
import tempfile
import threading

ENCODING = "utf-8"
ERRORS = "surrogatepass"  # a text with a lone surrogate (broken markup) comes back as it went in


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
        data = text.encode(ENCODING, ERRORS)
        with self._lock:
            at = self._end
            self._end += len(data)
        os.pwrite(self._file.fileno(), data, at)
        return SpooledText(self, at, len(data))

    def read(self, at: int, size: int) -> str:
        return os.pread(self._file.fileno(), size, at).decode(ENCODING, ERRORS)

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._end


class SpooledText:
    """Where one text is in a TextSpool."""

    __slots__ = ("at", "size", "spool")

    def __init__(self, spool: TextSpool, at: int, size: int) -> None:
        self.spool, self.at, self.size = spool, at, size

    def read(self) -> str:
        return self.spool.read(self.at, self.size)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (self.read(),)  # the text itself travels, not a place in another process's file
