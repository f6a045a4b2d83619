"""What earlier imports appended, so importing the same data again appends nothing.

One small SQLite file (`imports.sqlite3` in the state folder, normally the cache dir) holds, per
source: each record id with a fingerprint of its usage, and each file read to its end with the size
and mtime it had. A record whose usage changed since (a transcript still streaming when it was
first imported) is appended again under the same id; the reader's provider+id dedupe keeps the
last line. Record ids are deterministic too, so even a lost state file cannot double totals.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from types import TracebackType

from vaultledger.record import UsageRecord

STATE_FILE_NAME = "imports.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL, record_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (source, record_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    source TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
"""


def usage_fingerprint(record: UsageRecord) -> str:
    """What decides a record's cost: model and counts. Session or project changes don't re-import."""
    key = (record.provider, record.model, record.input_tokens, record.output_tokens,
           record.cache_read_tokens, record.cache_write_tokens, record.reasoning_tokens, record.cost_usd)
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()


class ImportState:
    """Imported record ids and fully read files of one source (`claude-code`, `codex`, `llm`)."""

    def __init__(self, state_dir: Path, source: str) -> None:
        self.source = source
        self.path = Path(state_dir) / STATE_FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.executescript(SCHEMA)

    def fingerprint_of(self, record_id: str) -> str | None:
        row = self._db.execute(
            "SELECT fingerprint FROM records WHERE source = ? AND record_id = ?", (self.source, record_id)
        ).fetchone()
        return row[0] if row else None

    def remember(self, record_id: str, fingerprint: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (self.source, record_id, fingerprint)
        )

    def file_unchanged(self, path: Path, stat: os.stat_result) -> bool:
        """True when `path` was read to its end before and has the same size and mtime now."""
        row = self._db.execute(
            "SELECT size, mtime_ns FROM files WHERE source = ? AND path = ?", (self.source, str(path))
        ).fetchone()
        return row == (stat.st_size, stat.st_mtime_ns)

    def remember_file(self, path: Path, stat: os.stat_result) -> None:
        """Call after every record of `path` was appended, with the stat taken before reading it."""
        self._db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
            (self.source, str(path), stat.st_size, stat.st_mtime_ns),
        )

    def commit(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    def __enter__(self) -> ImportState:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
