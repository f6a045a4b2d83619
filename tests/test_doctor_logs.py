"""`doctor` names what an interrupted archive leaves behind, and what is merely late."""

from __future__ import annotations

import gzip
from pathlib import Path

from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app

runner = CliRunner()


def doctor() -> tuple[int, str]:
    result = runner.invoke(app, ["doctor"])
    return result.exit_code, result.output


def test_a_day_left_in_both_files_is_a_problem(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.laptop.jsonl", call(ts="2026-03-01T10:00:00Z"))
    (logs_dir / "2026-03-01.laptop.jsonl.gz").write_bytes(gzip.compress(plain.read_bytes()))
    code, output = doctor()
    assert code == 1
    assert ("problem: 2026-03-01.laptop.jsonl is already inside 2026-03-01.laptop.jsonl.gz (an archive was cut "
            "short); it counts once, and `vaultledger archive` removes it") in output


def test_lines_after_the_archived_part_are_named(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    (logs_dir / "2026-03-01.jsonl.gz").write_bytes(gzip.compress(plain.read_bytes()))
    write_lines(plain, call(ts="2026-03-01T11:00:00Z"))
    code, output = doctor()
    assert code == 1 and "2026-03-01.jsonl: its first" in output and "joins only the rest" in output


def test_late_lines_beside_an_archive_are_no_problem(logs_dir: Path) -> None:
    (logs_dir / "2026-03-01.jsonl.gz").parent.mkdir(parents=True)
    (logs_dir / "2026-03-01.jsonl.gz").write_bytes(gzip.compress(b""))
    write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    (logs_dir / ".2026-02-01.jsonl.gz.archiving.tmp").write_bytes(b"half")
    code, output = doctor()
    assert code == 0, output
    assert "2026-03-01.jsonl holds calls logged after the day was archived" in output
    assert ".2026-02-01.jsonl.gz.archiving.tmp is left from an archive that was cut short" in output
