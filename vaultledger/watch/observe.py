"""What wakes a running watch: watchdog events on the logs folder and the vault's settings, and a
socket pair that a signal handler or another thread can poke without taking a lock.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from collections.abc import Callable
from pathlib import Path

from watchdog.events import EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_OPENED, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from vaultledger.errors import ConfigError
from vaultledger.ledger.files import LOG_NAME
from vaultledger.notes.obsidian import SETTINGS_FILES
from vaultledger.watch.live import Signature, _signature, _stat_or_none

# Files in `.obsidian/` whose change can move a note (SPEC §5); workspace.json and friends are noise.
VAULT_SETTINGS_FILES = SETTINGS_FILES
IGNORED_EVENTS = frozenset({EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE})  # our own reads cause these


class Wakeup:
    """A blocking wait that `poke()` ends early. A socket pair rather than a threading.Event: a signal
    handler may write to it without taking a lock, and select() on it works on every platform."""

    def __init__(self) -> None:
        self._receiving, self._sending = socket.socketpair()
        self._receiving.setblocking(False)
        self._sending.setblocking(False)

    def poke(self) -> None:
        with contextlib.suppress(OSError):  # a full socket buffer already means "wake up"
            self._sending.send(b"\0")

    def wait(self, timeout: float) -> None:
        """Sleep until poked or `timeout` seconds passed."""
        readable, _, _ = select.select([self._receiving], [], [], timeout)
        if readable:
            with contextlib.suppress(OSError):
                while self._receiving.recv(4096):
                    pass

    def close(self) -> None:
        self._receiving.close()
        self._sending.close()


def vault_settings_signature(vault: Path) -> tuple[Signature | None, ...]:
    """The state of the vault's note settings files: it changes when one of them does."""
    obsidian = vault / ".obsidian"
    return tuple(
        None if (status := _stat_or_none(obsidian / name)) is None else _signature(status)
        for name in VAULT_SETTINGS_FILES
    )


class _EventSink(FileSystemEventHandler):
    """Runs on watchdog's thread: only tells the watcher which paths moved, never reads anything."""

    def __init__(self, on_path: Callable[[Path], None]) -> None:
        self._on_path = on_path

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in IGNORED_EVENTS:
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                self._on_path(Path(os.fsdecode(raw)))


class FolderObserver:
    """A watchdog observer on the logs folder and the vault's `.obsidian/`; `on_change` runs on its thread
    for every event naming a log file, the logs folder itself, or a note settings file.

    The logs folder is created when missing, and watched again when it was deleted (or replaced).
    """

    def __init__(self, logs_dir: Path, vault: Path, on_change: Callable[[], None]) -> None:
        self.logs_dir, self.vault = logs_dir, vault
        self._on_change = on_change
        self._observer: BaseObserver = Observer()
        self._sink = _EventSink(self._saw)
        self._logs_watch: ObservedWatch | None = None
        self._logs_identity: tuple[int, int] | None = None

    def start(self, warn: Callable[[str], None]) -> None:
        """Watch both folders; ConfigError when the logs folder cannot be made or watched."""
        try:
            self._arm_logs_watch()
        except OSError as error:  # e.g. no permission, or the system's inotify watch limit reached
            raise ConfigError(f"{self.logs_dir}: cannot create or watch the logs folder ({error})") from None
        obsidian = self.vault / ".obsidian"
        try:
            if obsidian.is_dir():
                self._observer.schedule(self._sink, str(obsidian), recursive=True)
        except OSError as error:  # every update re-checks the settings files anyway, so this only costs speed
            warn(f"warning: cannot watch {obsidian} ({error}); vault setting changes show with the next log line")
        self._observer.start()

    def follow(self, folder: Path, recursive: bool, on_path: Callable[[Path], None], warn: Callable[[str], None]) -> None:
        """Also watch `folder` (an agent's logs), telling `on_path` each path an event names."""
        try:
            self._observer.schedule(_EventSink(on_path), str(folder), recursive=recursive)
        except OSError as error:  # e.g. the system's inotify watch limit: the nightly run still imports
            warn(f"warning: cannot watch {folder} ({error}); its usage comes in with the nightly rollup")

    def stop(self) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=2)

    def check_logs_folder(self) -> bool:
        """Watch the logs folder again if it was deleted or re-made; True when it had to be."""
        # A deleted (or deleted and re-made) folder silences its inotify watch: watch the new one.
        status = _stat_or_none(self.logs_dir)
        if status is not None and (status.st_dev, status.st_ino) == self._logs_identity:
            return False
        self._arm_logs_watch()
        return True

    def _arm_logs_watch(self) -> None:
        """Create the logs folder if needed and (re)start watching it."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        if self._logs_watch is not None:
            with contextlib.suppress(KeyError, OSError):
                self._observer.unschedule(self._logs_watch)
        self._logs_watch = self._observer.schedule(self._sink, str(self.logs_dir), recursive=False)
        status = os.stat(self.logs_dir)
        self._logs_identity = (status.st_dev, status.st_ino)

    def _saw(self, path: Path) -> None:
        if path == self.logs_dir or (path.parent == self.logs_dir and LOG_NAME.match(path.name)):
            self._on_change()
        elif self._is_vault_settings_file(path):
            self._on_change()

    def _is_vault_settings_file(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.vault / ".obsidian").as_posix()
        except ValueError:
            return False
        return relative in VAULT_SETTINGS_FILES
