"""The sources `[import] sources` names, and importing them all at once (the nightly run, `watch`, `doctor`).

```toml
[import]
sources = ["claude-code", "codex"]   # or "auto": every supported tool found on this machine
```

The names are those of `vaultledger import NAME`. No `[import]` table imports nothing. A source that
fails (its logs moved, a file it cannot read) is reported with its reason and never stops the others.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultledger.capture.importers import (
    IMPORTER_NAMES, DryRunLog, ImportSummary, found_on_this_machine, importer_module, jsonl_files, run_import,
)
from vaultledger.errors import ConfigError
from vaultledger.settings import Settings

if TYPE_CHECKING:
    from vaultledger.capture.usage_log import UsageLog

AUTO = "auto"
IMPORT_KEYS = ("sources",)


def parse_import_sources(table: Mapping[str, Any], label: str = "config") -> tuple[str, ...] | str:
    """`[import]` → the source names it lists, or "auto"; a ConfigError naming file and key otherwise."""
    unknown = sorted(set(table) - set(IMPORT_KEYS))
    if unknown:
        raise ConfigError(f"{label}: [import] has no key {unknown[0]!r} (it takes: {', '.join(IMPORT_KEYS)})")
    sources = table.get("sources", [])
    if sources == AUTO:
        return AUTO
    if not isinstance(sources, list) or not all(isinstance(name, str) for name in sources):
        raise ConfigError(f"{label}: [import] sources must be a list of source names or \"auto\", got {sources!r}")
    for name in sources:
        if name not in IMPORTER_NAMES:
            raise ConfigError(f"{label}: [import] sources: unknown source {name!r} "
                              f"(choose from {', '.join(IMPORTER_NAMES)}, or sources = \"auto\")")
    return tuple(dict.fromkeys(sources))


def configured_sources(settings: Settings, env: Mapping[str, str] = os.environ) -> list[str]:
    """The sources to import: those the config lists, or for "auto" each tool found on this machine."""
    sources = parse_import_sources(settings.imports, settings.config_label)
    if sources == AUTO:
        return [name for name in IMPORTER_NAMES if _found(name, env)]
    return list(sources)


def found_elsewhere(configured: list[str], env: Mapping[str, str] = os.environ) -> list[str]:
    """The sources found on this machine that are not among `configured` (doctor suggests them)."""
    return [name for name in IMPORTER_NAMES if name not in configured and _found(name, env)]


def _found(name: str, env: Mapping[str, str]) -> bool:
    try:
        return found_on_this_machine(name, env)
    except OSError:  # a home folder we may not read: not found, rather than no nightly run
        return False


@dataclass(frozen=True)
class SourceImport:
    """What importing one source did: its summary, or why it failed."""

    name: str
    summary: ImportSummary | None = None
    error: str | None = None

    def describe(self, *, dry_run: bool = False) -> str:
        """One line for the rollup's summary (a failure is said as a warning by whoever shows it)."""
        if self.summary is None:
            return f"import {self.name} failed: {self.error}"
        return self.summary.one_line(dry_run=dry_run)


def import_sources(
    settings: Settings, names: list[str] | None = None, *, dry_run: bool = False,
    paths: Mapping[str, Path] | None = None,
) -> list[SourceImport]:
    """Import each source (default: the configured ones) into the settings' logs folder.

    With `dry_run` nothing is written, not even the import hints: the summaries say what would be
    appended. `paths` overrides where a source reads (tests; `watch` passes a changed file).
    """
    names = configured_sources(settings) if names is None else names
    if not names:
        return []
    from vaultledger.capture.usage_log import UsageLog

    logs, tz = settings.logs.value, settings.timezone.value
    usage_log = DryRunLog(logs, tz) if dry_run else UsageLog(logs, tz)
    try:
        return [import_one(name, usage_log, settings.cache_dir.value, (paths or {}).get(name)) for name in names]
    finally:
        usage_log.close()


def import_one(name: str, usage_log: UsageLog | DryRunLog, state_dir: Path, path: Path | None = None) -> SourceImport:
    """One source imported, any failure caught and said (one source must not stop the others)."""
    try:
        return SourceImport(name, run_import(name, path, usage_log, state_dir))  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - a bug in one importer is that source's warning, not a failed run
        return SourceImport(name, error=str(error) or type(error).__name__)


@dataclass(frozen=True)
class SessionFiles:
    """A source's session files on disk (for sources that keep one file per session)."""

    count: int
    oldest: dt.datetime | None  # the oldest last-written time among them: how far back the agent still keeps


def session_files(name: str, env: Mapping[str, str] = os.environ) -> SessionFiles | None:
    """How many session files the source holds where it reads by default; None for a source that
    keeps no file per session (a database)."""
    module = importer_module(name)
    pattern = getattr(module, "SESSION_FILES", None)
    if pattern is None:
        return None
    roots = [root for root in module.default_roots(env) if root.is_dir()]
    times = [path.stat().st_mtime for path in jsonl_files(roots, pattern)]
    oldest = dt.datetime.fromtimestamp(min(times), dt.timezone.utc) if times else None
    return SessionFiles(len(times), oldest)
