"""`vaultledger merge` (SPEC §2): a conflict copy's lines that the day's files lack are appended to this
machine's own file, the copy is renamed `.merged`; no line is edited or deleted, and a second run
changes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.ops.merge import merge_conflict_copies

runner = CliRunner()
COPY = "2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl"


def line(**fields: object) -> bytes:
    return json.dumps(call(**fields)).encode() + b"\n"


def folder_bytes(logs: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(logs.iterdir())}


def counted(logs: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["report", "--logs", str(logs), "--tz", "UTC", "--day", "2026-03-14", "--format",
                                 "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def conflicted(tmp_path: Path) -> Path:
    """Two machines wrote the shared plain file of a day before they synced."""
    logs = tmp_path / "logs"
    logs.mkdir()
    shared = line(ts="2026-03-14T09:00:00Z", id="a") + line(ts="2026-03-14T09:05:00Z")
    (logs / "2026-03-14.jsonl").write_bytes(shared + line(ts="2026-03-14T10:00:00Z", id="b"))
    (logs / COPY).write_bytes(shared + line(ts="2026-03-14T10:30:00Z", id="c", output_tokens=7)
                              + line(ts="2026-03-14T10:31:00Z"))
    return logs


def test_merge_appends_what_the_day_lacks_to_the_plain_file_and_renames_the_copy(conflicted: Path) -> None:
    before = folder_bytes(conflicted)
    result = merge_conflict_copies(conflicted, None)
    after = folder_bytes(conflicted)
    assert after["2026-03-14.jsonl"] == before["2026-03-14.jsonl"] + before[COPY].splitlines(keepends=True)[2] \
        + before[COPY].splitlines(keepends=True)[3]
    assert after[COPY + ".merged"] == before[COPY] and COPY not in after  # renamed, every byte kept
    assert str(result).splitlines() == [
        f"{COPY}: 2 lines appended to 2026-03-14.jsonl; renamed to {COPY}.merged", "merged 1 conflict copy (2 lines)"]
    report = counted(conflicted)
    assert report["totals"]["calls"] == 5 and report["problems"]["conflict_copies"] == []


def test_with_host_files_the_lines_go_to_this_machines_own_file(conflicted: Path) -> None:
    original = (conflicted / "2026-03-14.jsonl").read_bytes()
    merge_conflict_copies(conflicted, "desk")
    assert (conflicted / "2026-03-14.jsonl").read_bytes() == original  # another machine's file is not written
    assert (conflicted / "2026-03-14.desk.jsonl").read_bytes().count(b"\n") == 2
    assert counted(conflicted)["totals"]["calls"] == 5


def test_a_second_merge_changes_nothing(conflicted: Path) -> None:
    merge_conflict_copies(conflicted, None)
    before = folder_bytes(conflicted)
    assert str(merge_conflict_copies(conflicted, None)) == f"no conflict copies of log files in {conflicted}"
    assert folder_bytes(conflicted) == before


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(conflicted: Path) -> None:
    before = folder_bytes(conflicted)
    result = runner.invoke(app, ["merge", "--logs", str(conflicted), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{COPY}: 2 lines would be appended to 2026-03-14.jsonl; would be renamed to {COPY}.merged" in result.output
    assert "would merge 1 conflict copy (2 lines)" in result.output
    assert folder_bytes(conflicted) == before


def test_the_cli_merges_into_the_host_file_the_config_names(conflicted: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('host_files = true\nhost = "laptop"\n')
    result = runner.invoke(app, ["merge", "--logs", str(conflicted), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"{COPY}: 2 lines appended to 2026-03-14.laptop.jsonl" in result.output


def test_a_line_two_copies_hold_is_appended_once_and_the_original_never_changes(tmp_path: Path) -> None:
    logs = tmp_path
    write_lines(logs / "2026-03-14.laptop.jsonl", call(ts="2026-03-14T09:00:00Z"))
    extra = line(ts="2026-03-14T11:00:00Z")
    (logs / "2026-03-14.laptop 2.jsonl").write_bytes(extra)
    (logs / "2026-03-14.laptop (Anna's conflicted copy 2026-03-14).jsonl").write_bytes(extra + line(ts="2026-03-14T12:00:00Z"))
    merge_conflict_copies(logs, "desk")
    assert (logs / "2026-03-14.desk.jsonl").read_bytes() == extra + line(ts="2026-03-14T12:00:00Z")
    assert counted(logs)["totals"]["calls"] == 3


def test_a_copy_of_an_archived_day_is_read_through_gzip(tmp_path: Path) -> None:
    logs = tmp_path
    old, late = line(ts="2026-03-14T09:00:00Z"), line(ts="2026-03-14T23:00:00Z", id="late")
    (logs / "2026-03-14.jsonl.gz").write_bytes(gzip.compress(old))
    copy = logs / "2026-03-14.jsonl.sync-conflict-20260315-080000-ABCDEF7.gz"
    copy.write_bytes(gzip.compress(old + late))
    merge_conflict_copies(logs, None)
    assert (logs / "2026-03-14.jsonl").read_bytes() == late  # beside the archive, as a late line is
    assert (logs / (copy.name + ".merged")).exists()
    assert counted(logs)["totals"]["calls"] == 2


def test_a_copy_cut_short_gives_what_it_can_and_stays_in_place(tmp_path: Path) -> None:
    logs = tmp_path
    write_lines(logs / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z"))
    whole = gzip.compress(b"".join(line(ts=f"2026-03-14T1{n}:00:00Z") for n in range(5)) * 200)
    copy = logs / "2026-03-14 2.jsonl.gz"
    copy.write_bytes(whole[: len(whole) - 20])
    result = runner.invoke(app, ["merge", "--logs", str(logs)])
    assert result.exit_code == 1
    assert "left in place: unreadable after line" in result.output and "1 left in place" in result.output
    assert copy.exists() and counted(logs)["totals"]["calls"] == 6
    again = runner.invoke(app, ["merge", "--logs", str(logs)])
    assert again.exit_code == 1 and "no line the logs lack" in again.output  # nothing appended twice


def test_an_unfinished_last_line_is_not_merged(tmp_path: Path) -> None:
    logs = tmp_path
    (logs / "2026-03-14 2.jsonl").write_bytes(line(ts="2026-03-14T09:00:00Z") + b'{"ts": "2026-03-14T1')
    result = merge_conflict_copies(logs, None)
    assert (logs / "2026-03-14.jsonl").read_bytes() == line(ts="2026-03-14T09:00:00Z")
    assert "its unfinished last line is no call and stays in it" in str(result)


def test_lines_never_glue_to_a_half_line_a_crashed_writer_left(tmp_path: Path) -> None:
    logs = tmp_path
    (logs / "2026-03-14.jsonl").write_bytes(line(ts="2026-03-14T09:00:00Z") + b'{"ts": "2026')
    (logs / "2026-03-14 2.jsonl").write_bytes(line(ts="2026-03-14T10:00:00Z"))
    merge_conflict_copies(logs, None)
    assert (logs / "2026-03-14.jsonl").read_bytes().endswith(b'{"ts": "2026\n' + line(ts="2026-03-14T10:00:00Z"))
    assert counted(logs)["totals"]["calls"] == 2


def test_a_name_merged_before_is_not_overwritten(tmp_path: Path) -> None:
    """iCloud names the next conflict of a file `NAME 2.jsonl` again."""
    logs = tmp_path
    for hour in (9, 10):
        (logs / "2026-03-14 2.jsonl").write_bytes(line(ts=f"2026-03-14T{hour:02d}:00:00Z"))
        merge_conflict_copies(logs, None)
    assert (logs / "2026-03-14 2.jsonl.merged").read_bytes() == line(ts="2026-03-14T09:00:00Z")
    assert (logs / "2026-03-14 2.jsonl.2.merged").read_bytes() == line(ts="2026-03-14T10:00:00Z")
    assert counted(logs)["totals"]["calls"] == 2


def test_an_own_file_that_cannot_be_written_is_one_clear_error(conflicted: Path) -> None:
    (conflicted / "2026-03-14.jsonl").rename(conflicted / "2026-03-14.desk.jsonl")
    (conflicted / "2026-03-14.jsonl").mkdir()  # a folder where this machine's file of the day belongs
    result = runner.invoke(app, ["merge", "--logs", str(conflicted)])
    assert result.exit_code == 1 and result.output.startswith(f"vaultledger: {conflicted}: cannot merge (")
    assert len(result.output.splitlines()) == 1 and (conflicted / COPY).exists()
