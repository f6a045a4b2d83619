"""File-system helpers every layer may use: atomic writes that never leave half a file."""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

from vaultledger._faults import step


def child_maker(folder: Path) -> Callable[[str], Path]:
    """`folder / name` for the plain names a listing of `folder` finds. Python 3.11's join parses the
    name as a path, 1.5 µs a file (a warm year lists 366 of them on every run); its own way of making
    a listed child, as `iterdir` does, takes 0.3. Later versions join faster than that method."""
    if sys.version_info[:2] == (3, 11):
        return folder._make_child_relpath  # type: ignore[attr-defined,no-any-return]
    return folder.joinpath


def _real_target(path: Path) -> Path:
    # Replace what a symlink points at, not the link itself.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


# `.NAME.XXXXXXXX.tmp`: what _create_temp_beside makes, and the only names the sweep ever removes.
# Compiled on first use (re's cache): most folders swept hold no temp file.
TEMP_NAME = r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp"
# A write finishes within seconds; a temp file this old was left by a process that was killed.
STALE_TEMP_SECONDS = 5 * 60


def _create_temp_beside(target: Path) -> tuple[Path, int]:
    # A dot name so Obsidian ignores it; mode 0o666 so the umask applies as for any file.
    temp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return temp, os.open(temp, flags, 0o666)


def _write_synced(descriptor: int, data: bytes, durable: bool, name: str) -> None:
    """All of `data` through the temp file's own descriptor (no second open), then closed, whatever
    happens (a kill point of the fault suite sits before the write)."""
    try:
        step(f"temp file for {name}")
        with memoryview(data) as view:
            written = 0
            while written < len(view):
                count = os.write(descriptor, view[written:])
                if not count:
                    raise OSError("a write into the temp file wrote nothing (is the disk full?)")
                written += count
        if durable:
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


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
    temp, descriptor = _create_temp_beside(target)
    replaced = False
    try:
        _write_synced(descriptor, data, durable, target.name)
        mode = _existing_mode(target)
        if mode is not None:
            os.chmod(temp, mode)
        step(f"temp file written for {target.name}")
        if before_replace is not None and not before_replace():
            return False
        os.replace(temp, target)
        replaced = True
        step(f"replaced {target.name}")
    finally:
        if not replaced:
            temp.unlink(missing_ok=True)
    if durable:
        sync_folder(target.parent)
    sweep_folder_once(target.parent)
    return True


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 (no newline translation) atomically; see atomic_write_bytes."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- temp files a kill left behind


def stale_temp_files(folder: Path, *, now: float | None = None) -> list[Path]:
    """Our own temp files in `folder` (`.NAME.XXXXXXXX.tmp`) older than STALE_TEMP_SECONDS: left by
    a write that was killed. Sync tools copy them (only Obsidian hides dot files), so they must go."""
    cutoff = (time.time() if now is None else now) - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(Path(entry.path) for entry in entries
                  if entry.name.endswith(".tmp") and re.fullmatch(TEMP_NAME, entry.name) and _older_file(entry, cutoff))


def _older_file(entry: os.DirEntry[str], cutoff: float) -> bool:
    try:
        return entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff
    except OSError:
        return False


def remove_stale_temp_files(folder: Path, *, now: float | None = None) -> list[Path]:
    """Remove what stale_temp_files finds; returns what was removed."""
    removed = []
    for temp in stale_temp_files(folder, now=now):
        try:
            temp.unlink()
        except OSError:
            continue  # someone else removed it, or it cannot be: doctor still lists it
        step(f"removed stale {temp.name}")
        removed.append(temp)
    return removed


def stale_temp_files_under(root: Path, *, now: float | None = None) -> list[Path]:
    """stale_temp_files of `root` and every folder below it, except hidden ones (.obsidian, .git, .trash)."""
    found = []
    for folder, subfolders, _files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += stale_temp_files(Path(folder), now=now)
    return sorted(found)


_swept: set[str] = set()
_swept_as_given: set[str] = set()  # realpath stats every part of a path: asked once per spelling


def sweep_folder_once(folder: Path) -> None:
    """Remove stale temp files from `folder` the first time this process writes or looks there."""
    given = os.fspath(folder)
    if given in _swept_as_given:
        return
    if os.path.isabs(given):  # a relative one may name another folder after a chdir
        _swept_as_given.add(given)
    key = os.path.realpath(folder)
    if key not in _swept:
        _swept.add(key)
        remove_stale_temp_files(folder)


# ---------------------------------------------------------------- staying inside a folder


class OutsideRootError(ValueError):
    """A write would land outside the folder it belongs in, or follow a dangling link."""


def resolve_within(path: Path, root: Path) -> Path:
    """The real file a write to `path` lands on; OutsideRootError when that is outside `root`.

    `path` must lie lexically inside `root`. A symlinked folder inside `root` may lead anywhere
    (Obsidian follows those), so its target counts as inside too; a symlinked file must point
    inside `root` or such a folder, and a dangling link is never followed.
    """
    if not path.is_relative_to(root):
        raise OutsideRootError(f"{path} is not inside {root}")
    inside = [Path(os.path.realpath(root))]
    folder = Path(root)
    for part in path.relative_to(root).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            inside.append(_link_target(folder))
        elif not folder.exists():
            break  # the rest will be made as plain folders
    real = _link_target(path) if path.is_symlink() else Path(os.path.realpath(path))
    if not any(real.is_relative_to(allowed) for allowed in inside):
        raise OutsideRootError(f"{path} leads to {real}, outside {root}")
    return real


def _link_target(link: Path) -> Path:
    if not link.exists():
        raise OutsideRootError(f"{link} is a link to {os.readlink(link)}, which does not exist")
    return Path(os.path.realpath(link))

