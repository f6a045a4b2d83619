"""The loop every file-based agent importer runs: skip the files read to their end before and unchanged
since, read the others one by one with a progress bar, and remember each once all its calls are in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vaultledger.capture.importers import Advance, ImportRun, ImportSummary, SourceNotFound, progress_bar
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog

ReadFile = Callable[[Path, Advance], None]
ReadRunFile = Callable[[Path, ImportRun, Advance], None]


def files_under(roots: Iterable[Path], pattern: str, wanted: Callable[[Path], bool] = lambda path: True) -> list[Path]:
    """The files matching `pattern` (and `wanted`) under `roots`, a root may be one file; sorted, once each."""
    found: set[Path] = set()
    for root in roots:
        candidates = [root] if root.is_file() else root.rglob(pattern) if root.is_dir() else []
        found.update(candidate.resolve() for candidate in candidates if wanted(candidate) and candidate.is_file())
    return sorted(found)


def require_files(files: list[Path], given: Path | None, what: str) -> list[Path]:
    """`files`; SourceNotFound when a path the user named holds none (a typo, most likely). The agent's
    own folder may hold none yet: that imports nothing, quietly."""
    if given is not None and not files:
        raise SourceNotFound(f"no {what} in {given}")
    return files


def import_files(source: str, usage_log: UsageLog, state_dir: Path, files: list[Path], read_file: ReadRunFile,
                 description: str, progress: bool) -> ImportSummary:
    """Import `files` with `read_file`, skipping those unchanged since the last import; what happened."""
    with import_run(source, usage_log, state_dir) as run:
        read_changed(run, files, lambda file, advance: read_file(file, run, advance), description, progress)
    return run.summary


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
