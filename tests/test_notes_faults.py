"""Notes stay inside the vault, read-only notes stay untouched, and temp files a killed write left are
swept: each finding reproduced through the real CLI on real files, now holding."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger import _fs
from vaultledger._fs import OutsideRootError, resolve_within, stale_temp_files, stale_temp_files_under
from vaultledger.cli import app

runner = CliRunner()
needs_symlinks = pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")


def rollup(*args: str):
    return runner.invoke(app, ["rollup", "--day", "2026-03-14", *args], catch_exceptions=False)


@pytest.fixture
def day_logs(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z"))
    return logs_dir


@pytest.fixture(autouse=True)
def fresh_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each CLI run in a test stands for a new process, which sweeps each folder once.
    monkeypatch.setattr(_fs, "_swept", set())
    monkeypatch.setattr(_fs, "_swept_as_given", set())


# ---------------------------------------------------------------- outside the vault


@needs_symlinks
def test_a_dangling_link_in_the_vault_creates_nothing_outside(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "stolen.md"
    outside.parent.mkdir()
    (vault / "2026-03-14.md").symlink_to(outside)
    result = rollup()
    assert result.exit_code == 1
    assert "2026-03-14.md" in result.output and "does not exist" in result.output
    assert not outside.exists() and list(outside.parent.iterdir()) == []


@needs_symlinks
def test_a_link_to_a_file_outside_the_vault_is_not_written(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("# mine\n")
    (vault / "2026-03-14.md").symlink_to(outside)
    result = rollup()
    assert result.exit_code == 1 and "outside" in result.output
    assert outside.read_text() == "# mine\n"


@needs_symlinks
def test_a_link_to_a_note_inside_the_vault_is_written_through(vault: Path, day_logs: Path) -> None:
    (vault / "Archive").mkdir()
    real = vault / "Archive" / "day.md"
    real.write_text("# day\n")
    (vault / "2026-03-14.md").symlink_to(real)
    assert rollup().exit_code == 0
    assert "vaultledger:begin daily" in real.read_text() and (vault / "2026-03-14.md").is_symlink()


@needs_symlinks
def test_a_symlinked_folder_in_the_vault_is_followed_as_obsidian_does(vault: Path, day_logs: Path,
                                                                     tmp_path: Path) -> None:
    synced = tmp_path / "synced-journal"
    synced.mkdir()
    (vault / "Journal").symlink_to(synced, target_is_directory=True)
    (vault / ".obsidian" / "daily-notes.json").write_text('{"folder": "Journal", "format": "YYYY/MM/YYYY-MM-DD"}')
    assert rollup().exit_code == 0
    assert (synced / "2026" / "03" / "2026-03-14.md").read_text().startswith("## 💰 Token Usage Today")


@needs_symlinks
def test_a_dangling_folder_link_is_not_followed(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    gone = tmp_path / "unmounted"
    (vault / "Journal").symlink_to(gone, target_is_directory=True)
    (vault / ".obsidian" / "daily-notes.json").write_text('{"folder": "Journal"}')
    result = rollup()
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not gone.exists()


@needs_symlinks
def test_a_vault_reached_through_a_link_is_still_the_vault(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    (tmp_path / "vault-link").symlink_to(vault, target_is_directory=True)
    assert rollup("--vault", str(tmp_path / "vault-link")).exit_code == 0
    assert (vault / "2026-03-14.md").exists()


@needs_symlinks
def test_resolve_within_allows_only_the_root_and_its_linked_folders(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "plain").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "escape.md").symlink_to(tmp_path / "secret.md")
    (tmp_path / "secret.md").write_text("x")
    assert resolve_within(root / "plain" / "new" / "a.md", root) == (root / "plain" / "new" / "a.md").resolve()
    assert resolve_within(root / "linked" / "a.md", root) == (elsewhere / "a.md").resolve()
    for bad in (root / "linked" / "escape.md", tmp_path / "beside.md", root / ".." / "x.md"):
        with pytest.raises(OutsideRootError):
            resolve_within(bad, root)


# ---------------------------------------------------------------- read-only notes


def test_a_read_only_note_is_left_alone_with_a_message(vault: Path, day_logs: Path) -> None:
    note = vault / "2026-03-14.md"
    note.write_text("# frozen\n")
    note.chmod(0o444)
    os.utime(note, ns=(10**9, 10**9))
    result = rollup()  # as root too: the mode bits decide, not whether a write would succeed
    assert result.exit_code == 0
    assert f"warning: {note}: read-only" in result.output and "read-only 1" in result.output
    assert note.read_text() == "# frozen\n" and note.stat().st_mtime_ns == 10**9
    assert stat.S_IMODE(note.stat().st_mode) == 0o444


def test_a_read_only_note_that_is_already_current_gets_no_message(vault: Path, day_logs: Path) -> None:
    assert rollup().exit_code == 0
    (vault / "2026-03-14.md").chmod(0o444)
    result = rollup()
    assert result.exit_code == 0 and "read-only" not in result.output and "unchanged 1" in result.output


# ---------------------------------------------------------------- temp files a kill left behind


def aged(path: Path, minutes: float) -> Path:
    when = time.time() - minutes * 60
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def test_stale_temp_files_of_our_pattern_only_are_listed_and_removed(vault: Path, day_logs: Path) -> None:
    left = vault / ".2026-03-14.md.0123abcd.tmp"
    left.write_text("half a no")
    aged(left, 10)
    busy = vault / ".2026-03-13.md.89abcdef.tmp"  # another process is writing it right now
    busy.write_text("")
    lookalikes = [vault / ".2026-03-14.md.0123ABCD.tmp", vault / ".notes.md.tmp", vault / "2026-03-12.md.0123abcd.tmp",
                  vault / ".x.md.0123abcd.tmp.bak", vault / ".x.md.0123abc.tmp"]
    for path in lookalikes:
        path.write_text("mine")
        aged(path, 60)
    (vault / ".d.md.0123abcd.tmp").mkdir()
    aged(vault / ".d.md.0123abcd.tmp", 60)
    assert stale_temp_files(vault) == [left]
    assert stale_temp_files_under(vault.parent) == [left]
    assert rollup().exit_code == 0
    assert not left.exists() and busy.exists() and all(path.exists() for path in lookalikes)
    assert (vault / ".d.md.0123abcd.tmp").is_dir()
    assert stale_temp_files_under(vault) == []


def test_a_later_write_in_the_folder_sweeps_it(tmp_path: Path) -> None:
    left = tmp_path / ".state.json.fedcba98.tmp"
    left.write_text("{")
    aged(left, 30)
    _fs.atomic_write_text(tmp_path / "state.json", "{}")
    assert not left.exists()


# ---------------------------------------------------------------- text from records


def test_a_long_name_is_capped_in_the_note(vault: Path, logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", model="m" * 3800))
    assert rollup().exit_code == 0
    lines = (vault / "2026-03-14.md").read_text().splitlines()
    assert max(map(len, lines)) < 400
    assert any("m" * 99 + "…" in line for line in lines)
