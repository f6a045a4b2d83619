"""File-system helpers every layer may use: atomic writes that never leave half a file."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from vaultledger._faults import step


def _real_target(path: Path) -> Path:
    # Replace what a symlink points at, not the link itself.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _create_temp_beside(target: Path) -> Path:
    # A dot name so Obsidian and sync tools ignore it; mode 0o666 so the umask applies as for any file.
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    os.close(os.open(temp, flags, 0o666))
    return temp


def _write_synced(temp: Path, data: bytes, mode: int | None, durable: bool = True) -> None:
    with open(temp, "wb") as stream:
        stream.write(data)
        stream.flush()
        if durable:
            os.fsync(stream.fileno())
    if mode is not None:
        os.chmod(temp, mode)


def sync_folder(folder: Path) -> None:
    """Make renames and removals in `folder` durable (POSIX; folders cannot be opened on Windows)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _existing_mode(target: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return None


def atomic_write_bytes(
    path: Path, data: bytes, *, before_replace: Callable[[], bool] | None = None, durable: bool = True
) -> bool:
    """Write `data` to `path` all at once (temp file beside it, fsync, os.replace), keeping its file mode.

    `before_replace` runs just before the replace; if it returns False nothing is written and the result
    is False. Parent folders are made. Raises OSError on failure; no temp file is left behind.
    `durable=False` skips the fsyncs, for files that can be made again (after a crash such a file
    may be empty or missing, never half of one version and half of another).
    """
    target = _real_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _create_temp_beside(target)
    try:
        step(f"temp file for {target.name}")
        _write_synced(temp, data, _existing_mode(target), durable)
        step(f"temp file written for {target.name}")
        if before_replace is not None and not before_replace():
            return False
        os.replace(temp, target)
        step(f"replaced {target.name}")
    finally:
        temp.unlink(missing_ok=True)
    if durable:
        sync_folder(target.parent)
    return True


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 (no newline translation) atomically; see atomic_write_bytes."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- reading and checking
