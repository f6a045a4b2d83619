"""The agents' logs a running watch follows (`[import] sources`): their folders watched by the same
observer as the logs folder, what changed imported just before each update reads the logs folder, so
a Claude Code message shows in today's note as soon as its line is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vaultledger.capture.importers.follow import SourceFollower
from vaultledger.capture.importers.sources import configured_sources
from vaultledger.capture.usage_log import UsageLog
from vaultledger.settings import Settings
from vaultledger.watch.console import Console
from vaultledger.watch.observe import FolderObserver


class AgentLogs:
    """Wires a SourceFollower to the observer, the update and the console (no sources: does nothing).

    Each change to a file a source reads calls `on_change`, which wakes the watch for an update."""

    def __init__(self, settings: Settings, console: Console, observer: FolderObserver,
                 on_change: Callable[[], None]) -> None:
        self.settings, self.console, self._on_change = settings, console, on_change
        names = configured_sources(settings)
        self.follower = SourceFollower(names, settings.cache_dir.value) if names else None
        for root in self.follower.roots if self.follower else []:
            observer.follow(root.folder, root.recursive, self._saw, warn=console.log)

    def _saw(self, path: Path) -> None:
        if self.follower is not None and self.follower.saw(path):
            self._on_change()

    def import_changed(self) -> None:
        """Import what the sources gained; a failure or a skipped line is told, never fatal."""
        if self.follower is None:
            return
        usage_log = UsageLog(self.settings.logs.value, self.settings.timezone.value)
        try:
            imported = self.follower.import_changed(usage_log)
        finally:
            usage_log.close()
        for item in imported:
            if item.error is not None:
                self.console.error(item.describe())
            elif item.summary is not None:
                for reason in item.summary.skipped:
                    self.console.warn_once(f"{item.name}: skipped {reason}")
