"""Archiving real log folders: same numbers and same lines before and after, and the writer unharmed."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import call, write_lines
from vaultledger.ops.archive import archive_file, archive_logs, parse_age
from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger.ledger import Ledger
from vaultledger.capture.logger import UsageLog
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook
from vaultledger.record import make_record

TODAY = dt.date(2026, 3, 14)
FIRST_DAY = dt.date(2026, 2, 20)
MODELS = (("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"), ("acme", "m1"))


@pytest.fixture
def busy_logs(logs_dir: Path) -> Path:
    """Every day from Feb 20 to Mar 14: priced, cost_usd, unpriced, duplicate-id and invalid lines."""
    day = FIRST_DAY
    while day <= TODAY:
        lines: list[dict | str] = [
            call(ts=f"{day}T{hour:02d}:00:00Z", provider=provider, model=model, input_tokens=1000 + hour,
                 output_tokens=10 * hour, project="orbis" if hour % 2 else None)
            for hour, (provider, model) in enumerate(MODELS)
        ]
        lines += [call(ts=f"{day}T20:00:00Z", cost_usd="0.125", id=f"r-{day}"),
                  call(ts=f"{day}T20:00:00Z", cost_usd="0.125", id=f"r-{day}"), "not json"]
        write_lines(logs_dir / f"{day}.jsonl", *lines)
        day += dt.timedelta(days=1)
    return logs_dir


def report_numbers(logs_dir: Path) -> tuple:
    """What every report is made of: totals, rows by model and provider, and the read problems."""
    ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"))
    usage = ledger.usage(date_range(FIRST_DAY - dt.timedelta(days=5), TODAY))
    rows = {dimension: [(key, sums.as_dict()) for key, sums in usage.by(dimension)]
            for dimension in ("model", "provider")}
    stats = ledger.stats
    return usage.totals().as_dict(), rows, (stats.lines, stats.invalid_lines, stats.duplicates)


def all_lines(logs_dir: Path) -> Counter[bytes]:
    lines: Counter[bytes] = Counter()
    for path in logs_dir.glob("*.jsonl*"):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        lines.update(data.splitlines(keepends=True))
    return lines


def files_as_they_are(logs_dir: Path) -> dict[str, tuple[int, int, int]]:
    stats = {path.name: path.stat() for path in logs_dir.iterdir()}
    return {name: (stat.st_ino, stat.st_size, stat.st_mtime_ns) for name, stat in stats.items()}


def names(logs_dir: Path) -> set[str]:
    return {path.name for path in logs_dir.iterdir() if not path.name.startswith(".")}


def test_archiving_keeps_every_number_and_every_line(busy_logs: Path) -> None:
    numbers, lines = report_numbers(busy_logs), all_lines(busy_logs)
    result = archive_logs(busy_logs, 0, TODAY)
    assert len(result.archived) == 20 and not result.skipped  # Feb 20 … Mar 11
    assert report_numbers(busy_logs) == numbers
    assert all_lines(busy_logs) == lines
    assert {"2026-03-11.jsonl.gz", "2026-03-12.jsonl", "2026-03-13.jsonl", "2026-03-14.jsonl"} <= names(busy_logs)
    assert "2026-03-11.jsonl" not in names(busy_logs)
    assert not list(busy_logs.glob(".*.tmp"))


def test_today_and_the_two_days_before_are_never_archived(busy_logs: Path) -> None:
    archive_logs(busy_logs, 0, TODAY)
    assert sorted(name for name in names(busy_logs) if name.endswith(".jsonl")) == [
        "2026-03-12.jsonl", "2026-03-13.jsonl", "2026-03-14.jsonl"]
    with pytest.raises(ConfigError):
        archive_logs(busy_logs, -1, TODAY)


def test_only_days_older_than_the_age_are_archived(busy_logs: Path) -> None:
    result = archive_logs(busy_logs, 20, TODAY)  # older than 20 days: Feb 21 and before
    assert [outcome.path.name for outcome in result.archived] == ["2026-02-20.jsonl", "2026-02-21.jsonl"]
    assert str(result).startswith("archived 2 days (2026-02-20 … 2026-02-21): ")


def test_dry_run_writes_nothing(busy_logs: Path) -> None:
    before = files_as_they_are(busy_logs)
    result = archive_logs(busy_logs, 0, TODAY, dry_run=True)
    assert files_as_they_are(busy_logs) == before
    assert len(result.archived) == 20
    assert str(result).startswith("would archive 20 days (2026-02-20 … 2026-03-11), ") and "dry run" in str(result)


def test_a_second_archiver_waits_its_turn(busy_logs: Path) -> None:
    import fcntl
    import os

    descriptor = os.open(busy_logs, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with pytest.raises(VaultledgerError, match="another `vaultledger archive` is running"):
            archive_logs(busy_logs, 0, TODAY)
    finally:
        os.close(descriptor)
    assert len(archive_logs(busy_logs, 0, TODAY).archived) == 20


def test_a_late_line_joins_the_existing_archive(busy_logs: Path) -> None:
    archive_logs(busy_logs, 0, TODAY)
    late = write_lines(busy_logs / "2026-03-01.jsonl", call(ts="2026-03-01T23:59:00Z", cost_usd="2"))
    numbers, lines = report_numbers(busy_logs), all_lines(busy_logs)
    result = archive_logs(busy_logs, 0, TODAY)
    assert [(outcome.path.name, outcome.action) for outcome in result.outcomes] == [("2026-03-01.jsonl", "merged")]
    assert not late.exists()
    assert report_numbers(busy_logs) == numbers and all_lines(busy_logs) == lines
    archived = gzip.decompress((busy_logs / "2026-03-01.jsonl.gz").read_bytes()).splitlines()
    assert b"23:59:00" in archived[-1]  # the earlier lines first, the late one last
    assert "joined an existing .gz" in str(result)


def test_a_partial_last_line_leaves_the_file_for_later(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    with path.open("a") as handle:
        handle.write('{"v": 1, "ts": "2026-03-01T11:')
    content = path.read_bytes()
    result = archive_logs(logs_dir, 0, TODAY)
    assert [outcome.action for outcome in result.outcomes] == ["skipped"]
    assert path.read_bytes() == content and not (logs_dir / "2026-03-01.jsonl.gz").exists()
    assert "skipped 2026-03-01.jsonl: its last line is incomplete" in str(result)


def test_a_file_that_grows_while_being_archived_is_kept(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    outcome = archive_file(path, on_step=lambda step: step == "verified" and write_lines(path, call(id="late")))
    assert outcome.action == "skipped" and "grew" in outcome.reason
    assert len(path.read_bytes().splitlines()) == 2
    assert sorted(p.name for p in logs_dir.iterdir()) == ["2026-03-01.jsonl"]  # no .gz, no temp file


def test_growth_during_a_merge_puts_the_earlier_archive_back(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    archive_logs(logs_dir, 0, TODAY)
    gz = logs_dir / "2026-03-01.jsonl.gz"
    earlier = gz.read_bytes()
    write_lines(path, call(ts="2026-03-01T11:00:00Z"))
    outcome = archive_file(path, on_step=lambda step: step == "verified" and write_lines(path, call(id="late")))
    assert outcome.action == "skipped" and gz.read_bytes() == earlier
    assert len(path.read_bytes().splitlines()) == 2


def test_bytes_appended_just_before_removal_are_not_lost(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    lines = all_lines(logs_dir)
    outcome = archive_file(path, on_step=lambda step: step == "removing" and write_lines(path, call(id="late")))
    assert outcome.action == "archived"
    late_line = (json.dumps(call(id="late")) + "\n").encode()
    assert all_lines(logs_dir) == lines + Counter([late_line])
    assert path.read_bytes() == late_line  # in a fresh .jsonl, for the next run to join


def test_the_logger_keeps_writing_when_its_day_is_archived(logs_dir: Path) -> None:
    usage_log = UsageLog(logs_dir, "UTC")

    def log_call(minute: int) -> None:
        usage_log.append(make_record(provider="openai", model="gpt-4o-mini", input_tokens=100, output_tokens=10,
                                     ts=dt.datetime(2026, 3, 1, 12, minute, tzinfo=dt.timezone.utc)))

    try:
        log_call(0)
        log_call(1)
        archive_logs(logs_dir, 0, TODAY)
        assert names(logs_dir) == {"2026-03-01.jsonl.gz"}
        log_call(2)  # the descriptor it holds points at a removed file: it must open a fresh one
        assert len((logs_dir / "2026-03-01.jsonl").read_bytes().splitlines()) == 1
        archive_logs(logs_dir, 0, TODAY)
        log_call(3)
    finally:
        usage_log.close()
    assert report_numbers(logs_dir)[0]["calls"] == 4
    assert sum(all_lines(logs_dir).values()) == 4


def test_an_unreadable_archive_is_left_alone(logs_dir: Path) -> None:
    (logs_dir / "2026-03-01.jsonl.gz").parent.mkdir(parents=True)
    (logs_dir / "2026-03-01.jsonl.gz").write_bytes(b"not gzip")
    path = write_lines(logs_dir / "2026-03-01.jsonl", call(ts="2026-03-01T10:00:00Z"))
    [outcome] = archive_logs(logs_dir, 0, TODAY).outcomes
    assert outcome.action == "skipped" and "cannot be read" in outcome.reason
    assert path.exists() and (logs_dir / "2026-03-01.jsonl.gz").read_bytes() == b"not gzip"


def test_nothing_to_archive_says_so(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-13.jsonl", call(ts="2026-03-13T10:00:00Z"))
    assert str(archive_logs(logs_dir, 90, TODAY)) == "nothing to archive: no log day on or before 2025-12-13"


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), ("6m", 180), (" 7D ", 7), ("0d", 0)])
def test_ages_are_days_weeks_or_30_day_months(text: str, days: int) -> None:
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["", "90", "d", "1y", "-5d", "5.5d", "ninety days"])
def test_junk_ages_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="90d, 12w or 6m"):
        parse_age(text)
