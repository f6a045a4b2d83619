"""An archive cut short between placing the .gz and removing the .jsonl never counts a day twice."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.ledger import Ledger
from vaultledger.ledger.archived import archived_prefix, fully_archived, longest_overlap
from vaultledger.ops.archive import archive_logs
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook

TODAY = dt.date(2026, 3, 14)
runner = CliRunner()


def day_without_ids(count: int = 641, day: str = "2025-01-10") -> list[dict]:
    """What log_usage writes by default: no ids, so lines cannot be told apart by id later."""
    return [call(ts=f"{day}T{i // 60 % 24:02d}:{i % 60:02d}:00Z", input_tokens=1000 + i, output_tokens=7)
            for i in range(count)]


def report(logs: Path, *period: str) -> dict:
    result = runner.invoke(app, ["report", "--format", "json", "--logs", str(logs), "--tz", "UTC", *period])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stored_lines(logs: Path) -> Counter[bytes]:
    lines: Counter[bytes] = Counter()
    for path in logs.glob("*.jsonl*"):
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        lines.update(data.splitlines(keepends=True))
    return lines


def gzip_keep(path: Path, data: bytes | None = None) -> Path:
    """`gzip -k`: the state a kill after the .gz was put in place leaves."""
    target = path.with_name(path.name + ".gz")
    target.write_bytes(gzip.compress(path.read_bytes() if data is None else data))
    return target


@pytest.mark.parametrize("name", ["2025-01-10.jsonl", "2025-01-10.laptop.jsonl", "2025-01-10.host_2-b.jsonl"])
def test_a_day_left_in_both_files_counts_once_and_archive_finishes_it(logs_dir: Path, name: str) -> None:
    plain = write_lines(logs_dir / name, *day_without_ids())
    before = report(logs_dir, "--day", "2025-01-10")
    lines = stored_lines(logs_dir)
    gzip_keep(plain)
    assert report(logs_dir, "--day", "2025-01-10")["totals"] == before["totals"]
    assert before["totals"]["calls"] == 641
    result = archive_logs(logs_dir, 90, TODAY)
    assert [(o.path.name, o.action) for o in result.outcomes] == [(name, "finished")]
    assert "removed 1 .jsonl file(s) already inside their .gz" in str(result)
    assert not plain.exists() and stored_lines(logs_dir) == lines  # nothing merged a second time
    assert report(logs_dir, "--day", "2025-01-10")["totals"] == before["totals"]


def test_a_merge_cut_short_keeps_the_late_lines_once(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.jsonl", *day_without_ids(20, "2026-03-01"))
    archive_logs(logs_dir, 0, TODAY)
    write_lines(plain, call(ts="2026-03-01T23:00:00Z", output_tokens=1), call(ts="2026-03-01T23:01:00Z"))
    lines = stored_lines(logs_dir)
    gz = plain.with_name(plain.name + ".gz")
    gzip_keep(plain, gzip.decompress(gz.read_bytes()) + plain.read_bytes())  # the merged .gz, placed; then killed
    assert report(logs_dir, "--day", "2026-03-01")["totals"]["calls"] == 22
    result = archive_logs(logs_dir, 0, TODAY)
    assert [o.action for o in result.outcomes] == ["finished"]
    assert stored_lines(logs_dir) == lines and not plain.exists()
    assert report(logs_dir, "--day", "2026-03-01")["totals"]["calls"] == 22


def test_lines_added_after_the_cut_are_joined_alone(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.jsonl", *day_without_ids(5, "2026-03-01"))
    gzip_keep(plain)
    write_lines(plain, call(ts="2026-03-01T22:00:00Z", output_tokens=3))  # a late writer, after the kill
    lines = stored_lines(logs_dir)
    assert archived_prefix(plain) == plain.stat().st_size - len(json.dumps(call(ts="2026-03-01T22:00:00Z",
                                                                                  output_tokens=3))) - 1
    result = archive_logs(logs_dir, 0, TODAY)
    assert [o.action for o in result.outcomes] == ["merged"]
    assert stored_lines(logs_dir) == Counter(lines.keys())  # every line once
    assert report(logs_dir, "--day", "2026-03-01")["totals"]["calls"] == 6


@pytest.mark.parametrize("cached_before", [False, True], ids=["read now", "its fold cached before the cut"])
def test_late_lines_after_a_cut_archive_count_the_archived_ones_once(
    logs_dir: Path, tmp_path: Path, cached_before: bool
) -> None:
    """A late line appended to the plain file of a day whose archiving was cut short: the lines the .gz
    already holds count once (there), on every path that reads them, cold or warm, and a bad late
    line is named by its own line number in the plain file."""
    day = "2026-03-01"
    plain = write_lines(logs_dir / f"{day}.jsonl", *day_without_ids(5, day))
    span = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    cache = tmp_path / "cache"

    def ledger() -> Ledger:
        return Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache, parallel=False)

    if cached_before:
        assert ledger().usage(span).totals().calls == 5  # kept with where its fold stopped, to read on from
    gzip_keep(plain)
    write_lines(plain, call(ts=f"{day}T22:00:00Z", output_tokens=3))
    with plain.open("a") as handle:
        handle.write('{"not": "a record"}\n')
    for run in ("first", "warm", "warm again"):
        read = ledger()
        assert read.usage(span).totals().calls == 6, run
        stats = read.stats_between(span.start, span.end)
        assert (stats.lines, stats.invalid_lines) == (7, 1), run
        assert [(problem.path.name, problem.line) for problem in stats.problems] == [(plain.name, 7)], run
    assert len(list(ledger().records(span.start, span.end))) == 6
    assert report(logs_dir, "--day", day)["totals"]["calls"] == 6
    # The .gz removed by hand, the plain file unchanged: it now holds every line itself, and no fold
    # kept while its first lines were the .gz's may stand for it.
    plain.with_name(plain.name + ".gz").unlink()
    assert ledger().usage(span).totals().calls == 6


def test_rows_by_an_attr_beside_a_cut_archive_are_never_kept_for_the_plain_file_alone(
    logs_dir: Path, tmp_path: Path
) -> None:
    """`report --by attr.KEY` keeps each file's rows by its signature; a plain file read from where its
    .gz leaves off keeps none, or removing the .gz by hand would leave its first lines uncounted."""
    from vaultledger.reports.breakdown import attr_rows

    day = "2026-03-01"
    calls = [{**row, "attrs": {"branch": "main"}} for row in day_without_ids(5, day)]
    plain = write_lines(logs_dir / f"{day}.jsonl", *calls)
    gzip_keep(plain)
    write_lines(plain, call(ts=f"{day}T22:00:00Z", attrs={"branch": "main"}))
    span = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 1))

    def by_branch() -> dict[str | None, int]:
        read = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), tmp_path / "cache", parallel=False)
        return {value: sums.calls for value, sums in attr_rows(read, span, "branch").items()}

    assert by_branch() == by_branch() == {"main": 6}
    plain.with_name(plain.name + ".gz").unlink()
    assert by_branch() == {"main": 6}


def test_late_lines_beside_an_archive_still_count(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.jsonl", *day_without_ids(3, "2026-03-01"))
    archive_logs(logs_dir, 0, TODAY)
    write_lines(plain, call(ts="2026-03-01T23:00:00Z"))
    assert not fully_archived(plain)
    assert report(logs_dir, "--day", "2026-03-01")["totals"]["calls"] == 4


def test_a_cut_archive_beside_its_plain_file_counts_both_parts(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-01.jsonl", *day_without_ids(200, "2026-03-01"))
    whole = gzip.compress(plain.read_bytes())
    plain.with_name(plain.name + ".gz").write_bytes(whole[: len(whole) // 2])
    assert archived_prefix(plain) == 0  # a cut .gz cannot vouch for anything


@pytest.mark.parametrize(("tail", "head", "expected"), [
    (b"a\nb\n", b"a\nb\n", 4),
    (b"x\na\nb\n", b"a\nb\nc\n", 4),
    (b"x\na\nb\n", b"b\n", 2),
    (b"a\nb\n", b"b\na\nb\n", 2),
    (b"a\nb\n", b"c\nb\n", 0),  # the tail must end with a whole prefix of head
    (b"ab\n", b"b\n", 0),  # only at line starts
    (b"a\n", b"a\na\n", 2),
    (b"a\na\n", b"a\na\n", 4),
    (b"a\nb", b"a\nb", 0),  # a .gz ending mid-line vouches for nothing
    (b"", b"a\n", 0),
])
def test_longest_overlap_of_a_tail_with_a_head(tail: bytes, head: bytes, expected: int) -> None:
    assert longest_overlap(tail, head) == expected


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="kill points need SIGKILL")
def test_a_real_kill_after_the_gz_is_placed_leaves_the_day_counted_once(logs_dir: Path, tmp_path: Path) -> None:
    plain = write_lines(logs_dir / "2025-01-10.jsonl", *day_without_ids(50))
    before = report(logs_dir, "--day", "2025-01-10")["totals"]
    trace = tmp_path / "steps.log"
    env = {**os.environ, "VAULTLEDGER_STEP_LOG": str(trace)}
    command = [sys.executable, "-m", "vaultledger", "archive", "--logs", str(logs_dir), "--tz", "UTC"]
    dry = subprocess.run(command + ["--dry-run"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0 and not trace.exists()  # a dry run passes no write step
    original = plain.read_bytes()
    subprocess.run(command, env=env, check=True, capture_output=True)
    steps = [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]
    assert "archive: 2025-01-10.jsonl.gz in place" in steps
    plain.write_bytes(original)
    plain.with_name(plain.name + ".gz").unlink()
    kill_at = steps.index("archive: 2025-01-10.jsonl.gz in place") + 1
    killed = subprocess.run(command, env={**os.environ, "VAULTLEDGER_KILL_AT": str(kill_at)}, capture_output=True)
    assert killed.returncode == -9
    assert plain.exists() and plain.with_name(plain.name + ".gz").exists()
    assert report(logs_dir, "--day", "2025-01-10")["totals"] == before
    subprocess.run(command, check=True, capture_output=True)
    assert not plain.exists()
    assert report(logs_dir, "--day", "2025-01-10")["totals"] == before
