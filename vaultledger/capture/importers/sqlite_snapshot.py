"""An agent's SQLite database (OpenCode's opencode.db, Goose's sessions.db) read without changing anything.

Opened read-only, a database in WAL mode still makes SQLite create `-wal` and `-shm` files beside it
when they are missing and the folder is writable. So:

- a `-wal` file is there (the agent is running, or crashed): open `mode=ro`, which reads the calls
  still in the WAL and creates nothing more than a `-shm` the agent itself would create;
- no `-wal` file: open `immutable=1` when the database is in WAL mode or its folder is not writable:
  nothing is created, and nothing is missed, since no WAL holds anything;
- a `-wal` file in a folder that cannot be written and without its `-shm`: SQLite cannot read the WAL
  there, so the database is read as immutable and the caller is told (`wal_unread`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vaultledger.capture.importers import ImportRun, SourceNotFound
from vaultledger.capture.importers.llm_db import folder_writable

WAL_MODE = 2  # the file format version SQLite writes at offsets 18 and 19 of a WAL-mode database


@dataclass
class Snapshot:
    """An open read-only connection, and whether calls still in the WAL could not be read."""

    db: sqlite3.Connection
    wal_unread: bool = False


@contextmanager
def read_only(path: Path, what: str) -> Iterator[Snapshot]:
    """`path` opened for reading only (see the module doc); SourceNotFound naming `what` if unreadable."""
    path = path.resolve()
    snapshot = _open(path, what, immutable=_immutable(path))
    try:
        yield snapshot
    finally:
        snapshot.db.close()


def _open(path: Path, what: str, immutable: bool) -> Snapshot:
    uri = f"{path.as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        db = sqlite3.connect(uri, uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        if not immutable and not folder_writable(path.parent):
            return Snapshot(_open(path, what, immutable=True).db, wal_unread=True)
        raise SourceNotFound(f"cannot read {path} as {what}: {error}") from None
    db.row_factory = sqlite3.Row
    return Snapshot(db)


def _immutable(path: Path) -> bool:
    if wal_file(path).exists():
        return False
    return in_wal_mode(path) or not folder_writable(path.parent)


def wal_file(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def in_wal_mode(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == WAL_MODE


def table_columns(db: sqlite3.Connection, table: str) -> set[str]:
    """The columns of `table` (empty when there is no such table)."""
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def database_files(path: Path) -> list[tuple[Path, os.stat_result]]:
    """The database and its WAL (when there is one), with their stat: what decides whether it changed."""
    files = [path, wal_file(path)]
    return [(file, file.stat()) for file in files if file.exists()]


def unchanged_since_last_import(run: ImportRun, files: list[tuple[Path, os.stat_result]]) -> bool:
    return all(run.state.file_unchanged(file, stat) for file, stat in files)


def remember_read(run: ImportRun, files: list[tuple[Path, os.stat_result]]) -> None:
    for file, stat in files:
        run.file_done(file, stat)
