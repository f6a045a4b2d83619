"""Sync tools' conflict copies of log files (SPEC §2): recognised in every tool's naming, never counted
(their lines are mostly the original's), never silently ignored (doctor, report warnings, report JSON)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.ledger.conflicts import conflict_original, list_conflict_copies, pending_copies
from vaultledger.ledger.files import file_day, list_log_files

runner = CliRunner()

# (a copy's name, the log file it is a copy of), as each tool names them.
COPIES = [
    ("2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl", "2026-03-14.jsonl"),
    ("2026-03-14.laptop.sync-conflict-20260314-101112-ABCDEF7.jsonl", "2026-03-14.laptop.jsonl"),
    ("2026-03-14.jsonl.sync-conflict-20260314-101112-ABCDEF7.gz", "2026-03-14.jsonl.gz"),
    ("2026-03-14.desk.jsonl.sync-conflict-20260314-101112-Z2Z2Z2Z.gz", "2026-03-14.desk.jsonl.gz"),
    ("2026-03-14.sync-conflict-20260314-101112.jsonl", "2026-03-14.jsonl"),  # Syncthing before device ids
    ("2026-03-14 (Anna's conflicted copy 2026-03-14).jsonl", "2026-03-14.jsonl"),
    ("2026-03-14.laptop (Anna's conflicted copy 2026-03-14).jsonl", "2026-03-14.laptop.jsonl"),
    ("2026-03-14 (conflicted copy 2026-03-14 101112).jsonl.gz", "2026-03-14.jsonl.gz"),
    ("2026-03-14 (Anna (Work)'s Conflicted Copy 2026-03-14 (1)).jsonl", "2026-03-14.jsonl"),
    ("2026-03-14 2.jsonl", "2026-03-14.jsonl"),
    ("2026-03-14.desk 3.jsonl", "2026-03-14.desk.jsonl"),
    ("2026-03-14 2.jsonl.gz", "2026-03-14.jsonl.gz"),
    ("2026-03-14.jsonl 2.gz", "2026-03-14.jsonl.gz"),
]
NOT_COPIES = ["2026-03-14.jsonl", "2026-03-14.laptop.jsonl", "2026-03-14 2.jsonl.merged",
              "2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl.merged", "notes 2.jsonl", "2026-03-14 2.txt",
              "2026-03-14 (Anna's copy).jsonl", ".dropped.jsonl"]


@pytest.mark.parametrize("name,original", COPIES, ids=[name for name, _ in COPIES])
def test_each_tools_conflict_copy_is_known_and_is_no_log_file(name: str, original: str, tmp_path: Path) -> None:
    assert conflict_original(name) == original
    write_lines(tmp_path / name, call())
    assert list_log_files(tmp_path) == []  # its lines are not read as a day's, nor a host's
    assert file_day(tmp_path / name) is None
    [copy] = list_conflict_copies(tmp_path)
    assert (copy.path.name, copy.original, copy.day.isoformat()) == (name, original, "2026-03-14")


@pytest.mark.parametrize("name", NOT_COPIES)
def test_log_files_merged_copies_and_other_files_are_no_conflict_copies(name: str, tmp_path: Path) -> None:
    write_lines(tmp_path / name, call())
    assert conflict_original(name) is None
    assert list_conflict_copies(tmp_path) == []


def test_a_copy_of_a_day_that_does_not_exist_is_not_listed(tmp_path: Path) -> None:
    write_lines(tmp_path / "2026-02-30 2.jsonl", call())  # as 2026-02-30.jsonl is no log file either
    assert list_conflict_copies(tmp_path) == []


def syncthing_day(logs: Path) -> Path:
    """A day two machines wrote before they synced: the copy holds two calls the original lacks."""
    shared = [call(ts="2026-03-14T09:00:00Z", id="a"), call(ts="2026-03-14T09:05:00Z")]
    write_lines(logs / "2026-03-14.jsonl", *shared, call(ts="2026-03-14T10:00:00Z", id="b"))
    write_lines(logs / "2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl", *shared,
                call(ts="2026-03-14T10:30:00Z", id="c", output_tokens=7), call(ts="2026-03-14T10:31:00Z"))
    return logs


def test_a_copy_counts_nowhere_and_the_report_says_how_many_lines_wait(logs_dir: Path) -> None:
    syncthing_day(logs_dir)
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"]["calls"] == 3  # the original's; the copy's two shared lines are not counted twice
    assert report["problems"]["conflict_copies"] == [{
        "file": "2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl", "copy_of": "2026-03-14.jsonl",
        "lines_not_merged": 2}]
    assert ("vaultledger: warning: 2 lines in 1 sync conflict copy (2026-03-14.sync-conflict-20260314-101112-"
            "ABCDEF7.jsonl) not yet merged, so not counted: run `vaultledger merge`") in result.stderr


def test_the_fast_path_warns_as_typer_does(logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    syncthing_day(logs_dir)
    args = ["report", "--day", "2026-03-14", "--format", "csv"]
    by_typer = runner.invoke(app, args)
    assert answer_quickly(args) == 0
    fast = capsys.readouterr()
    assert fast.out + fast.err == by_typer.output and "run `vaultledger merge`" in fast.err


def test_a_report_of_other_days_does_not_mention_the_copy(logs_dir: Path) -> None:
    syncthing_day(logs_dir)
    write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T09:00:00Z"))
    result = runner.invoke(app, ["report", "--day", "2026-03-01"])
    assert result.exit_code == 0 and "conflict" not in result.output


def test_a_copy_holding_nothing_new_is_still_named(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", id="a"))
    (logs_dir / "2026-03-14 2.jsonl").write_bytes((logs_dir / "2026-03-14.jsonl").read_bytes())
    result = runner.invoke(app, ["report", "--day", "2026-03-14"])
    assert "0 lines in 1 sync conflict copy (2026-03-14 2.jsonl) not yet merged" in result.output
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1
    assert ("problem: 2026-03-14 2.jsonl is a sync conflict copy of 2026-03-14.jsonl holding no line the logs "
            "lack: `vaultledger merge` sets it aside") in doctor.output


def test_doctor_names_every_copy_with_the_lines_the_logs_lack(logs_dir: Path) -> None:
    syncthing_day(logs_dir)
    gz = logs_dir / "2026-03-10.jsonl.gz"
    gz.write_bytes(gzip.compress(json.dumps(call(ts="2026-03-10T09:00:00Z")).encode() + b"\n"))
    (logs_dir / "2026-03-10.jsonl.sync-conflict-20260311-080000-QQQQQQQ.gz").write_bytes(
        gzip.compress(json.dumps(call(ts="2026-03-10T09:00:00Z")).encode() + b"\n")[:-6])  # cut short
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1
    problems = [line for line in doctor.output.splitlines() if "conflict copy" in line]
    assert len(problems) == 2, doctor.output
    assert problems[0].startswith("problem: 2026-03-10.jsonl.sync-conflict-20260311-080000-QQQQQQQ.gz is a sync "
                                  "conflict copy of 2026-03-10.jsonl.gz") and "unreadable after line" in problems[0]
    assert problems[1] == ("problem: 2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl is a sync conflict copy "
                           "of 2026-03-14.jsonl with 2 lines the logs lack (not counted): run `vaultledger merge`")


def test_pending_lines_are_compared_with_every_file_of_the_day(tmp_path: Path) -> None:
    """A line another host's file holds, a CRLF twin, a line twice, a blank line, a line two copies share,
    a BOM and an unfinished last line: only calls no file of the day has are pending, each once."""
    logs = tmp_path
    mine, theirs, new = (json.dumps(call(ts=f"2026-03-14T09:0{n}:00Z")).encode() for n in range(3))
    (logs / "2026-03-14.laptop.jsonl").write_bytes(mine + b"\n")
    (logs / "2026-03-14.desk.jsonl").write_bytes(theirs + b"\n")
    (logs / "2026-03-14.laptop 2.jsonl").write_bytes(b"\xef\xbb\xbf" + theirs + b"\n" + mine + b"\r\n\n" + new + b"\n"
                                                     + new + b"\n" + b'{"ts": "2026')
    (logs / "2026-03-14.laptop 3.jsonl").write_bytes(new + b"\n")
    first, second = pending_copies(logs)
    assert (first.lines, first.unfinished, first.error) == ((new + b"\n",), True, None)
    assert (second.lines, second.unfinished) == ((), False)
