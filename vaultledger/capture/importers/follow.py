"""Following the agents' logs while they are written (what `watch` runs).

The watch tells `SourceFollower` which paths changed (from the observer's thread) and asks it, on its
own thread, to import them. A session file (the module's `SESSION_FILES`) is read by a reader kept
per file, from where it stopped, through the same `ImportRun` as a one-off import: a message that is
still streaming is appended again, same id, each time its usage grew. A source without session files
is imported whole when anything it reads changed. The first look imports every source whole, as the
nightly run does, so what the agents wrote while nothing watched comes in too.
"""

from __future__ import annotations

import fnmatch
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from vaultledger.capture.importers import ImportRun, SessionReader, importer_module
from vaultledger.capture.importers.sources import SourceImport, import_one
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.usage_log import UsageLog

MAX_READERS = 64  # session files followed at once; the least recently changed is let go (and read again if needed)


@dataclass(frozen=True)
class FollowedRoot:
    """A folder to watch for one source: recursively for its session files, or for one file (a database)."""

    source: str
    folder: Path
    recursive: bool
    pattern: str | None  # the session files' name pattern; None: the source is imported whole
    file_name: str | None = None  # a root that is one file: only it (and its -wal, -journal) counts

    def owns(self, path: Path) -> bool:
        if self.file_name is not None:
            return path.parent == self.folder and path.name.startswith(self.file_name)
        if not path.is_relative_to(self.folder):
            return False
        return self.pattern is None or fnmatch.fnmatch(path.name, self.pattern)


def followed_roots(names: Iterable[str], env: Mapping[str, str] = os.environ) -> list[FollowedRoot]:
    """Where each source reads, as folders a file-system observer can watch (those that exist now)."""
    roots = []
    for name in names:
        module = importer_module(name)
        pattern = getattr(module, "SESSION_FILES", None) if hasattr(module, "session_reader") else None
        for root in module.default_roots(env):
            if root.is_dir():
                roots.append(FollowedRoot(name, root, True, pattern))
            elif root.is_file():
                roots.append(FollowedRoot(name, root.parent, False, None, root.name))
    return roots


class SourceFollower:
    """The changed paths of the sources a watch follows, imported when the watch asks."""

    def __init__(self, names: list[str], state_dir: Path, env: Mapping[str, str] = os.environ) -> None:
        self.names = names
        self.state_dir = state_dir
        self.roots = followed_roots(names, env)
        self._lock = threading.Lock()  # the observer's thread adds paths, the watch's thread takes them
        self._files: dict[str, set[Path]] = {}
        self._whole: set[str] = set(names)
        self._readers: OrderedDict[Path, SessionReader] = OrderedDict()

    def saw(self, path: Path) -> bool:
        """Note a path the observer saw change; True when a followed source reads it."""
        for root in self.roots:
            if root.owns(path):
                with self._lock:
                    if root.pattern is None:
                        self._whole.add(root.source)
                    else:
                        self._files.setdefault(root.source, set()).add(path)
                return True
        return False

    def import_changed(self, usage_log: UsageLog) -> list[SourceImport]:
        """Import what changed since the last call: whole sources first, then session files."""
        with self._lock:
            whole, self._whole = self._whole, set()
            files, self._files = self._files, {}
        done = [import_one(name, usage_log, self.state_dir) for name in self.names if name in whole]
        for name, paths in files.items():
            if name not in whole:
                done.append(self._import_files(name, sorted(paths), usage_log))
        return done

    def _import_files(self, name: str, paths: list[Path], usage_log: UsageLog) -> SourceImport:
        try:
            with ImportState(self.state_dir, name) as state:
                run = ImportRun(name, usage_log, state)
                for path in paths:
                    self._read(name, path, run)
        except Exception as error:  # noqa: BLE001 - one source's failure is its warning, the watch goes on
            return SourceImport(name, error=str(error) or type(error).__name__)
        return SourceImport(name, run.summary)

    def _read(self, name: str, path: Path, run: ImportRun) -> None:
        reader = self._readers.pop(path, None) or importer_module(name).session_reader(path)
        try:
            reader.read_new(run, final=False)  # a line still being written waits for the next change
        except FileNotFoundError:
            return  # deleted since: nothing more to read
        run.summary.files += 1
        self._readers[path] = reader
        if len(self._readers) > MAX_READERS:
            self._readers.popitem(last=False)
