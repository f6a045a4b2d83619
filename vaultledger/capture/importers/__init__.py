"""Bring in the usage other tools already log: `vaultledger import claude-code|codex|llm [PATH]`.

Every importer is one module, registered in `IMPORTERS` with its import function:
`import_X(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary`
(`path=None` means where the tool keeps its logs). It reads line by line (or row by row) and appends
through `ImportRun`, which skips the calls the destination logs folder already holds with the same
usage (see `state.py`: the destination decides; what earlier runs remember only saves reading).
Its records say `app=<its name>`, which is how `doctor` counts the calls a source brought in.

Each module also declares, for `[import] sources = "auto"`, `doctor` and `watch`:

    default_roots(env: Mapping[str, str] = os.environ) -> list[Path]
        where it reads when no PATH is given (folders, or a file such as llm's logs.db)
    found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool
        whether the tool's logs are there: cheap (a stat or two), never raising
    SESSION_FILES = "*.jsonl"                          (optional)
    session_reader(path: Path) -> SessionReader        (optional, with SESSION_FILES)
        files under the roots that each hold one session, appended to as the agent works: `watch`
        keeps one reader per file and imports only the lines it gained. Without them, `watch`
        runs the whole import when anything under the roots changes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vaultledger.errors import InvalidRecord, VaultledgerError
from vaultledger._faults import step
from vaultledger.capture.importers.state import Destination, ImportState, usage_fingerprint
from vaultledger.capture.importers.tail import Advance, FileTail, no_progress
from vaultledger.record import COUNT_FIELDS, UsageRecord, make_record

if TYPE_CHECKING:  # the logger is not loaded to validate `[import]` (every command does that)
    from vaultledger.capture.logger import UsageLog

# One line per importer: its name (`vaultledger import NAME`, `[import] sources`) and "module:function".
IMPORTERS: dict[str, str] = {
    "claude-code": "vaultledger.capture.importers.claude_code:import_claude_code",
    "codex": "vaultledger.capture.importers.codex:import_codex",
    "llm": "vaultledger.capture.importers.llm_db:import_llm",
    "otlp": "vaultledger.capture.importers.otlp:import_otlp",
    "gemini-cli": "vaultledger.capture.importers.gemini_cli:import_gemini_cli",
    "opencode": "vaultledger.capture.importers.opencode:import_opencode",
    "copilot-cli": "vaultledger.capture.importers.copilot_cli:import_copilot_cli",
    "qwen-code": "vaultledger.capture.importers.qwen_code:import_qwen_code",
    "goose": "vaultledger.capture.importers.goose:import_goose",
}
IMPORTER_NAMES = tuple(IMPORTERS)
LARGE_IMPORT_BYTES = 32 * 1024 * 1024  # below this a progress bar only flickers
SKIPPED_PLACES_SHOWN = 3  # per reason: enough to find the lines, short enough to read
COMMIT_EVERY = 1000

__all__ = [
    "IMPORTERS", "IMPORTER_NAMES", "Advance", "DryRunLog", "FileTail", "ImportRun", "ImportSummary", "Importer",
    "SessionReader", "SourceNotFound", "default_roots_of", "existing_roots", "folder_name", "found_on_this_machine",
    "importer_for", "importer_module", "jsonl_files", "no_progress", "progress_bar", "read_lines", "run_import",
]


class SourceNotFound(VaultledgerError):
    """The tool's logs are not where they were looked for (or hold nothing importable)."""


class Importer(Protocol):
    def __call__(
        self, path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
    ) -> ImportSummary: ...


class SessionReader(Protocol):
    """One session file, read as it grows (see the module docstring)."""

    def read_new(self, run: ImportRun, advance: Advance = no_progress, *, final: bool = True) -> None:
        """Offer the calls of the lines appended since the last read; with `final`, a last line
        without its newline is read too (and reported when cut), else it waits for the next read."""


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

    def one_line(self, *, dry_run: bool = False) -> str:
        """What the nightly rollup prints per source: what came in, and what was skipped and why."""
        line = (f"{'would import' if dry_run else 'imported'} {self.source}: "
                f"{self.appended:,} call{'s' if self.appended != 1 else ''} "
                f"({self.updated:,} updated) from {self.files - self.files_unchanged:,} changed of "
                f"{self.files:,} files")
        if self.skipped:
            line += f"; skipped {sum(self.skipped.values()):,} lines: " + "; ".join(
                f"{count:,} {reason}" for reason, count in self.skipped.most_common())
        return line

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


class DryRunLog:
    """Stands in for a UsageLog to count what an import would append (`doctor`): it writes nothing,
    and an ImportRun over it leaves the import hints as they were."""

    def __init__(self, logs_dir: Path, tz: str) -> None:
        self.logs_dir = Path(logs_dir)
        self.zone = zoneinfo.ZoneInfo(tz)

    def append(self, record: UsageRecord) -> Path:
        from vaultledger.capture.usage_log import daily_log_path

        return daily_log_path(self.logs_dir, record.ts.astimezone(self.zone).date())

    def close(self) -> None:
        """Nothing to close (the same shape as UsageLog)."""


class ImportRun:
    """Appends an importer's records, except the calls the destination already holds with that usage.

    A call the destination holds under its id with other counts (a transcript still streaming when
    it was first imported) is appended again and counts as updated: the reader keeps the last line.
    A call the destination cancelled with a `void` line stays cancelled, and a record with every
    count 0 (an agent's zeroed copy of a row) never replaces one the destination holds with usage.
    """

    def __init__(self, source: str, usage_log: UsageLog | DryRunLog, state: ImportState) -> None:
        self.summary = ImportSummary(source)
        self.usage_log = usage_log
        self.state = state
        self.destination = Destination(usage_log.logs_dir, usage_log.zone)
        state.bind(usage_log.logs_dir, read_only=isinstance(usage_log, DryRunLog))
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
        if id_known and not has_usage(record) and self.destination.holds_usage(record):
            self.summary.already_imported += 1
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


def has_usage(record: UsageRecord) -> bool:
    """Whether any count of the record is above 0."""
    return any(getattr(record, name) for name in COUNT_FIELDS)


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
    return FileTail(path).new_lines(advance)


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


def importer_module(name: str) -> Any:
    """The module of the importer named `name` (imported only now: `vaultledger log` never loads them)."""
    if name not in IMPORTERS:
        raise SourceNotFound(f"unknown importer {name!r} (choose one of {', '.join(IMPORTER_NAMES)})")
    return importlib.import_module(IMPORTERS[name].partition(":")[0])


def importer_for(name: str) -> Importer:
    """The importer named on the command line (`claude-code`, `codex`, `llm`, ...)."""
    function: Importer = getattr(importer_module(name), IMPORTERS[name].partition(":")[2])
    return function


def default_roots_of(name: str, env: Mapping[str, str] = os.environ) -> list[Path]:
    """Where the importer `name` reads when no PATH is given."""
    roots: list[Path] = importer_module(name).default_roots(env)
    return roots


def found_on_this_machine(name: str, env: Mapping[str, str] = os.environ) -> bool:
    """Whether the tool behind importer `name` keeps logs on this machine (what `auto` imports)."""
    return bool(importer_module(name).found_on_this_machine(env))


def run_import(
    name: str, path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
) -> ImportSummary:
    """`vaultledger import NAME [PATH]`: run the named importer (what the CLI calls)."""
    return importer_for(name)(path, usage_log, state_dir, progress)
