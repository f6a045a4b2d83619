"""update_note against real files: no needless writes, atomic replace, never clobbering the user's edit."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from vaultledger.errors import NoteError
from vaultledger.notes.splice import Splice, splice_section
from vaultledger._fs import atomic_write_text
from vaultledger.notes.write import MAX_ATTEMPTS, update_note

GOLDEN = Path(__file__).parent / "golden" / "splice"


def daily(body: str) -> Callable[[str], Splice]:
    return lambda text: splice_section(text, "daily", body)


def leftover_temp_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob(".*") if path.name.endswith(".tmp")]


def age(path: Path) -> int:
    """Move the note's mtime an hour back, so that any rewrite (even within one clock tick) shows."""
    old_ns = path.stat().st_mtime_ns - 3600 * 10**9
    os.utime(path, ns=(old_ns, old_ns))
    return old_ns


def test_missing_note_is_created_with_parents_from_create_text(tmp_path: Path) -> None:
    note = tmp_path / "Daily" / "2026" / "2026-03-14.md"
    update = update_note(note, daily("3 calls\n"), create_text="# Saturday\n")
    assert (update.changed, update.created, update.before) == (True, True, None)
    assert note.read_bytes() == update.after.encode() == (
        b"# Saturday\n\n## \xf0\x9f\x92\xb0 Token Usage Today\n"
        b"%% vaultledger:begin daily %%\n3 calls\n%% vaultledger:end daily %%\n"
    )
    assert leftover_temp_files(tmp_path) == []


def test_missing_note_without_create_text_is_reported_not_created(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    update = update_note(note, daily("3 calls\n"))
    assert update.missing and not update.changed and not note.exists()


def test_second_rollup_leaves_note_untouched(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes(b"# Saturday\r\n")
    assert update_note(note, daily("3 calls\n")).changed
    old_ns = age(note)
    update = update_note(note, daily("3 calls\n"))
    assert not update.changed and update.before == update.after
    assert note.stat().st_mtime_ns == old_ns


def test_dry_run_reports_the_change_and_writes_nothing(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes(b"# Saturday\n")
    old_ns = age(note)
    update = update_note(note, daily("3 calls\n"), dry_run=True)
    assert update.changed and "vaultledger:begin daily" in update.after
    assert note.read_bytes() == b"# Saturday\n" and note.stat().st_mtime_ns == old_ns
    assert update_note(tmp_path / "new.md", daily("x\n"), create_text="", dry_run=True).created
    assert not (tmp_path / "new.md").exists()


def test_concurrent_user_edit_is_kept_and_the_block_still_written(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes(b"# Saturday\n")
    calls: list[str] = []

    def splice_while_user_types(text: str) -> Splice:
        if not calls:  # the user saves in Obsidian between our read and our write
            note.write_bytes(b"# Saturday\n\nUser's edit.\n")
        calls.append(text)
        return splice_section(text, "daily", "3 calls\n")

    update = update_note(note, splice_while_user_types)
    final = note.read_text(encoding="utf-8")
    assert len(calls) == 2 and "User's edit." in calls[1]
    assert "User's edit." in final and "%% vaultledger:end daily %%" in final
    assert update.after == final
    assert leftover_temp_files(tmp_path) == []


def test_note_that_keeps_changing_is_given_up_on_without_clobbering(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_text("start\n", encoding="utf-8")
    edits = iter(range(MAX_ATTEMPTS))

    def splice_while_user_keeps_typing(text: str) -> Splice:
        note.write_text(f"user edit {next(edits)}\n", encoding="utf-8")
        return splice_section(text, "daily", "3 calls\n")

    with pytest.raises(NoteError, match="kept changing"):
        update_note(note, splice_while_user_keeps_typing)
    assert note.read_text(encoding="utf-8") == f"user edit {MAX_ATTEMPTS - 1}\n"
    assert leftover_temp_files(tmp_path) == []


def test_unbalanced_markers_name_note_and_line_and_leave_it_untouched(tmp_path: Path) -> None:
    note = tmp_path / "Daily" / "2026-03-14.md"
    note.parent.mkdir()
    original = (GOLDEN / "unbalanced_begin.before.md").read_bytes()
    note.write_bytes(original)
    old_ns = age(note)
    with pytest.raises(NoteError, match=r"^Daily/2026-03-14\.md:4: begin marker without end"):
        update_note(note, daily("3 calls\n"), label="Daily/2026-03-14.md")
    assert note.read_bytes() == original and note.stat().st_mtime_ns == old_ns


def test_splice_warnings_are_passed_on_with_the_note_name(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes((GOLDEN / "two_blocks.before.md").read_bytes())
    update = update_note(note, daily("3 calls\n"))
    assert update.warnings == [
        f"{note}:6: a second 'daily' block (the first is at line 2); the first is updated, this one is left as it is"
    ]


def test_note_that_is_not_utf8_is_refused_by_name(tmp_path: Path) -> None:
    note = tmp_path / "latin1.md"
    note.write_bytes("café\n".encode("latin-1"))
    with pytest.raises(NoteError, match=r"latin1\.md: not UTF-8"):
        update_note(note, daily("3 calls\n"))
    assert note.read_bytes() == "café\n".encode("latin-1")


def test_write_failure_raises_note_error_and_leaves_everything_intact(tmp_path: Path) -> None:
    # Root ignores permissions, so make the write fail another way: the note's folder is a file.
    blocker = tmp_path / "Daily"
    blocker.write_bytes(b"not a folder\n")
    with pytest.raises(NoteError, match=r"Daily/2026-03-14\.md: cannot write the note"):
        update_note(blocker / "2026-03-14.md", daily("3 calls\n"), create_text="")
    assert blocker.read_bytes() == b"not a folder\n"
    assert leftover_temp_files(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_raises_note_error_and_keeps_the_note(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes(b"# Saturday\n")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(NoteError, match="cannot write the note"):
            update_note(note, daily("3 calls\n"))
    finally:
        tmp_path.chmod(0o755)
    assert note.read_bytes() == b"# Saturday\n"
    assert leftover_temp_files(tmp_path) == []


def test_file_mode_of_the_note_is_kept(tmp_path: Path) -> None:
    note = tmp_path / "2026-03-14.md"
    note.write_bytes(b"# Saturday\n")
    note.chmod(0o640)
    assert update_note(note, daily("3 calls\n")).changed
    assert stat.S_IMODE(note.stat().st_mode) == 0o640


def test_symlinked_note_is_written_through_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_bytes(b"# Saturday\n")
    link = tmp_path / "2026-03-14.md"
    link.symlink_to(target)
    update_note(link, daily("3 calls\n"))
    assert link.is_symlink() and b"vaultledger:begin daily" in target.read_bytes()


def test_plain_string_transform_and_atomic_write_text(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "state.json"
    atomic_write_text(cache, '{"a": 1}\r\n')
    assert cache.read_bytes() == b'{"a": 1}\r\n'
    update = update_note(cache, lambda text: text.upper())
    assert update.changed and update.warnings == [] and cache.read_bytes() == b'{"A": 1}\r\n'
    assert leftover_temp_files(tmp_path) == []
