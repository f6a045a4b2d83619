"""Bring in the usage other tools already log: `vaultledger import claude-code|codex|llm [PATH]`.

Every importer has the signature
`import_X(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary`
(`path=None` means where the tool keeps its logs), reads line by line, and appends through
`ImportRun`, which skips the calls the destination logs folder already holds with the same usage
(see `state.py`: the destination decides; what earlier runs remember only saves reading).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vaultledger.errors import InvalidRecord, VaultledgerError
from vaultledger._faults import step
from vaultledger.capture.importers.state import Destination, ImportState, usage_fingerprint
from vaultledger.capture.logger import UsageLog
from vaultledger.record import UsageRecord, make_record

IMPORTER_NAMES = ("claude-code", "codex", "llm", "gemini-cli", "opencode", "copilot-cli", "qwen-code", "goose")
LARGE_IMPORT_BYTES = 32 * 1024 * 1024  # below this a progress bar only flickers
SKIPPED_PLACES_SHOWN = 3  # per reason: enough to find the lines, short enough to read
PROGRESS_STEP_BYTES = 1024 * 1024
COMMIT_EVERY = 1000

Advance = Callable[[int], None]


class SourceNotFound(VaultledgerError):
    """The tool's logs are not where they were looked for (or hold nothing importable)."""


class Importer(Protocol):
    def __call__(
        self, path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
    ) -> ImportSummary: ...


@dataclass
class ImportSummary:
    """What one import run saw and did; `describe()` is what the CLI prints."""

    source: str
    files: int = 0
    files_unchanged: int = 0
    messages: int = 0
    appended: int = 0
    updated: int = 0
    already_imported: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    first_ts: dt.datetime | None = None
    last_ts: dt.datetime | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_at: dict[str, list[str]] = field(default_factory=dict)  # reason -> first places (file:line)

    def add(self, record: UsageRecord) -> None:
        """Count one appended record."""
        self.appended += 1
        self.input_tokens += record.input_tokens
        self.output_tokens += record.output_tokens
        self.cache_read_tokens += record.cache_read_tokens
        self.cache_write_tokens += record.cache_write_tokens
        self.reasoning_tokens += record.reasoning_tokens
        self.first_ts = min(self.first_ts or record.ts, record.ts)
        self.last_ts = max(self.last_ts or record.ts, record.ts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for `--format json` and tests)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["first_ts"] = self.first_ts.isoformat() if self.first_ts else None
        fields["last_ts"] = self.last_ts.isoformat() if self.last_ts else None
        fields["skipped"] = dict(self.skipped)
        return fields

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """A few human lines: what was appended, from when to when, and what was skipped and why."""
        lines = [
            f"{self.source}: {self.files:,} files ({self.files_unchanged:,} unchanged since the last import), "
            f"{self.messages:,} calls seen, {self.appended:,} appended ({self.updated:,} updated), "
            f"{self.already_imported:,} already imported",
            f"tokens appended: {self.input_tokens:,} input ({self.cache_read_tokens:,} cache read, "
            f"{self.cache_write_tokens:,} cache write), {self.output_tokens:,} output",
        ]
        if self.first_ts and self.last_ts:
            lines.append(f"dates: {self.first_ts.date().isoformat()} to {self.last_ts.date().isoformat()}")
        if self.skipped:
            reasons = "; ".join(f"{count:,} {reason}{self._places(reason)}"
                                for reason, count in self.skipped.most_common())
            total = sum(self.skipped.values())
            lines.append(f"skipped {total:,} line{'s' if total != 1 else ''}: {reasons}")
        return "\n".join(lines)

    def _places(self, reason: str) -> str:
        places = self.skipped_at.get(reason)
        if not places:
            return ""
        more = " …" if self.skipped[reason] > len(places) else ""
        return f" (at {', '.join(places)}{more})"


class ImportRun:
    """Appends an importer's records, except the calls the destination already holds with that usage.

    A call the destination holds under its id with other counts (a transcript still streaming when
    it was first imported) is appended again and counts as updated: the reader keeps the last line.
    A call the destination cancelled with a `void` line stays cancelled.
    """

    def __init__(self, source: str, usage_log: UsageLog, state: ImportState) -> None:
        self.summary = ImportSummary(source)
        self.usage_log = usage_log
        self.state = state
        self.destination = Destination(usage_log.logs_dir, usage_log.zone)
        state.bind(usage_log.logs_dir)
        self._pending = 0

    def offer(self, fields: dict[str, Any], where: str | None = None) -> None:
        """Validate `fields` as a record and append it unless the destination holds it with the same usage;
        `where` (`file:line`) locates the call if it is skipped."""
        self.summary.messages += 1
        try:
            record = make_record(**fields)
        except InvalidRecord as error:
            self.skip(f"invalid record: {error}", where)
            return
        fingerprint = usage_fingerprint(record)
        if record.id and self.state.fingerprint_of(record.id) == fingerprint:
            self.summary.already_imported += 1  # appended by an earlier run into this very folder, still there
            return
        held_in, id_known = self.destination.find(record, fingerprint)
        if held_in is not None:
            self.summary.already_imported += 1
            self.state.remember(record.id or "", fingerprint, held_in)
            return
        self._append(record, fingerprint, updated=id_known, where=where)

    def _append(self, record: UsageRecord, fingerprint: str, *, updated: bool, where: str | None) -> None:
        try:
            path = self.usage_log.append(record)
        except InvalidRecord as error:  # e.g. over the 4 KiB line limit
            self.skip(f"invalid record: {error}", where)
            return
        step("import: record appended")
        self.destination.add(record, fingerprint, path)
        if record.id:
            self.state.remember(record.id, fingerprint, path)
        self.summary.add(record)
        self.summary.updated += updated
        self._pending += 1
        if self._pending >= COMMIT_EVERY:
            self._commit()

    def skip(self, reason: str, where: str | None = None) -> None:
        """Count a line not imported, by reason; `where` (`file:line`) names the first few such lines."""
        self.summary.skipped[reason] += 1
        places = self.summary.skipped_at.setdefault(reason, []) if where else []
        if where and len(places) < SKIPPED_PLACES_SHOWN:
            places.append(where)

    def file_done(self, path: Path, stat: os.stat_result) -> None:
        self.state.remember_file(path, stat)
        self._commit()

    def _commit(self) -> None:
        self.state.commit()
        self._pending = 0
        step("import: hints saved")


def jsonl_files(roots: Iterable[Path], pattern: str = "*.jsonl") -> list[Path]:
    """Every file matching `pattern` under `roots` (a root may be a single file), sorted, deduplicated."""
    found: set[Path] = set()
    for root in roots:
        if root.is_file():
            found.add(root.resolve())
        elif root.is_dir():
            found.update(path.resolve() for path in root.rglob(pattern) if path.is_file())
    return sorted(found)


def existing_roots(candidates: Iterable[Path], what: str) -> list[Path]:
    """The candidates that exist; SourceNotFound naming all of them when none does."""
    candidates = list(candidates)
    roots = [root for root in candidates if root.exists()]
    if not roots:
        looked = ", ".join(str(root) for root in candidates)
        raise SourceNotFound(f"no {what} found (looked in {looked}); pass the path")
    return roots


def read_lines(path: Path, advance: Advance) -> Iterator[bytes]:
    """The lines of `path`, one at a time (memory stays flat whatever the size), reporting progress."""
    unreported = 0
    with path.open("rb") as handle:
        for line in handle:
            unreported += len(line)
            if unreported >= PROGRESS_STEP_BYTES:
                advance(unreported)
                unreported = 0
            yield line
    advance(unreported)


@contextmanager
def progress_bar(description: str, total: int, enabled: bool, large: int = LARGE_IMPORT_BYTES) -> Iterator[Advance]:
    """A rich progress bar on stderr for large imports when stderr is a terminal; else a no-op."""
    if not (enabled and total >= large and sys.stderr.isatty()):
        yield lambda amount: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda amount: bar.advance(task, amount)


def folder_name(cwd: Any) -> str | None:
    """A project name from a working directory: its last component (`/home/dev/orbis` → `orbis`)."""
    if not isinstance(cwd, str):
        return None
    return cwd.rstrip("/\\").replace("\\", "/").rpartition("/")[2] or None


def importer_for(name: str) -> Importer:
    """The importer named on the command line (`claude-code`, `codex`, `llm`)."""
    if name == "claude-code":
        from vaultledger.capture.importers.claude_code import import_claude_code

        return import_claude_code
    if name == "codex":
        from vaultledger.capture.importers.codex import import_codex

        return import_codex
    if name == "llm":
        from vaultledger.capture.importers.llm_db import import_llm

        return import_llm
    from vaultledger.capture.importers.agents import AGENT_MODULES, agent_importer

    if name in AGENT_MODULES:
        return agent_importer(name)
    raise SourceNotFound(f"unknown importer {name!r} (choose one of {', '.join(IMPORTER_NAMES)})")


def run_import(
    name: str, path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
) -> ImportSummary:
    """`vaultledger import NAME [PATH]`: run the named importer (what the CLI calls)."""
    return importer_for(name)(path, usage_log, state_dir, progress)
