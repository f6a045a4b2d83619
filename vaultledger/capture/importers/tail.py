"""A session file read a line at a time from where the last read stopped: one importer pass reads a
transcript whole, `watch` keeps reading it as the agent appends (nothing read twice, memory flat).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

PROGRESS_STEP_BYTES = 1024 * 1024

Advance = Callable[[int], None]


def no_progress(amount: int) -> None:
    """An `Advance` that shows nothing."""


class FileTail:
    """The complete lines a file gained since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0  # bytes read so far, always at the start of a line
        self._identity: tuple[int, int] | None = None

    def restarted(self) -> bool:
        """True when the file was replaced, or cut shorter than what was read: it is read again from
        its start, and whoever keeps state about its lines must drop it."""
        try:
            status = os.stat(self.path)
        except OSError:
            return False  # reading it says why
        if self._identity in (None, (status.st_dev, status.st_ino)) and status.st_size >= self.offset:
            return False
        self.offset, self._identity = 0, None
        return True

    def new_lines(self, advance: Advance = no_progress, *, final: bool = True) -> Iterator[bytes]:
        """Each line after `offset`. A last line without its newline may still be being written: it is
        given only when `final` (a one-off import reports it), else kept for the next read."""
        with self.path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            self._identity = (status.st_dev, status.st_ino)
            handle.seek(self.offset)
            unreported = 0
            for line in handle:
                if not line.endswith(b"\n") and not final:
                    break
                self.offset += len(line)
                unreported += len(line)
                if unreported >= PROGRESS_STEP_BYTES:
                    advance(unreported)
                    unreported = 0
                yield line
            advance(unreported)
