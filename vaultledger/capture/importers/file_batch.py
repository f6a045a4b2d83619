"""The loop every file-based agent importer runs: skip the files read to their end before and unchanged
since, read the others one by one with a progress bar, and remember each once all its calls are in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vaultledger.capture.importers import Advance, ImportRun, progress_bar
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog

ReadFile = Callable[[Path, Advance], None]


@contextmanager
def import_run(source: str, usage_log: UsageLog, state_dir: Path) -> Iterator[ImportRun]:
    """An ImportRun for `source` with its import state open for the length of the block."""
    with ImportState(state_dir, source) as state:
        yield ImportRun(source, usage_log, state)


def read_changed(run: ImportRun, files: list[Path], read_file: ReadFile, description: str,
                 progress: bool) -> set[Path]:
    """Read every file in `files` that changed since the last import; return the unchanged ones."""
    stats = {}
    for file in files:
        try:
            stats[file] = file.stat()
        except OSError as error:  # gone since it was listed: the agent deleted or moved it
            run.skip(f"file not readable ({error.strerror})", str(file))
    changed = [file for file, stat in stats.items() if not run.state.file_unchanged(file, stat)]
    run.summary.files, run.summary.files_unchanged = len(stats), len(stats) - len(changed)
    with progress_bar(description, sum(stats[file].st_size for file in changed), progress) as advance:
        for file in changed:
            try:
                read_file(file, advance)
            except OSError as error:  # removed or unreadable while it was read: the next run tries again
                run.skip(f"file not readable ({error.strerror or error})", str(file))
                continue
            run.file_done(file, stats[file])
    return set(stats) - set(changed)


def place(path: Path, line: int | str) -> str:
    """Where a skipped line is: `file:line` (or `file:messages[3]` inside one JSON document)."""
    return f"{path}:{line}"
