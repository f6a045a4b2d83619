"""A progress bar for long reads, shown only on a terminal and only when a read is big."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Below this a read takes about a second; a bar would only flicker.
PROGRESS_MIN_BYTES = 256 << 20

Advance = Callable[[int], None]


@contextmanager
def no_progress(total_bytes: int) -> Iterator[Advance]:
    yield lambda done: None


@contextmanager
def terminal_progress(total_bytes: int) -> Iterator[Advance]:
    """A rich bar on stderr, counting bytes of log files read; it disappears when done."""
    if total_bytes < PROGRESS_MIN_BYTES:
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("reading logs"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("logs", total=total_bytes)
        yield lambda done: progress.advance(task, done)
