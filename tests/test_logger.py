"""Logging from Python: one valid line per call, whole lines under concurrency, never an exception."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import vaultledger
import vaultledger.capture.logger
from vaultledger.capture.logger import UsageLog, log_usage
from vaultledger.ledger.files import ReadStats, read_file
from vaultledger.errors import InvalidRecord
from vaultledger.record import make_record, parse_line

WRITER = """
import sys
from vaultledger import log_usage
worker, count = int(sys.argv[1]), int(sys.argv[2])
for n in range(count):
    log_usage(provider="openai", model="gpt-4o-mini", input_tokens=n, output_tokens=worker,
              id=f"w{worker}-{n}", app="x" * 300, ts="2026-03-14T12:00:00+00:00")
"""


@pytest.fixture(autouse=True)
def every_warning_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings are rate-limited per problem: each test sees its own first one. Lost calls are
    counted in the state folder when the logs folder cannot be written: keep it in tmp_path."""
    monkeypatch.setattr(vaultledger.capture.logger, "_warned", set())
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_log_usage_appends_one_line_to_the_day_of_ts(logs_dir: Path) -> None:
    record = log_usage(provider="OpenAI", model="gpt-4o-mini", input_tokens=1200, output_tokens=300,
                       project="poetry", tags=["a"], ts="2026-03-14T23:30:00-05:00")
    assert record is not None and record.provider == "openai"
    # 23:30 in New York is the 15th in UTC, the configured zone of this test.
    lines = (logs_dir / "2026-03-15.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) == 1 and lines[0].endswith(b"\n")
    stored = json.loads(lines[0])
    assert stored == {"v": 1, "ts": "2026-03-14T23:30:00-05:00", "provider": "openai", "model": "gpt-4o-mini",
                      "input_tokens": 1200, "output_tokens": 300, "project": "poetry", "tags": ["a"]}


def test_none_and_an_empty_attrs_stand_for_fields_not_given(logs_dir: Path) -> None:
    """An app passes what it has: None for counts, tags or free text it lacks, {} for no attributes.
    The line is the one without them; a field that is wrong beside them is still named."""
    given = dict(provider="openai", model="m", input_tokens=10, output_tokens=2, ts="2026-03-14T12:00:00Z")
    plain = log_usage(**given)
    padded = log_usage(**given, cache_read_tokens=None, reasoning_tokens=None, project=None, tags=None,
                       duration_ms=None, attrs={})
    no_attrs = log_usage(**given, attrs={})
    assert padded == no_attrs == plain and no_attrs is not None and no_attrs.attrs is None
    lines = (logs_dir / "2026-03-14.jsonl").read_bytes().splitlines()
    assert set(lines) == {b'{"v":1,"ts":"2026-03-14T12:00:00Z","provider":"openai","model":"m","input_tokens":10,"output_tokens":2}'}
    assert len(lines) == 3
    with pytest.raises(InvalidRecord, match="output_tokens"):
        make_record(**{**given, "output_tokens": -1}, cache_read_tokens=None, attrs={})


def test_every_line_starts_with_its_records_schema_version(logs_dir: Path) -> None:
    """`v` comes first, whether it is the default the encoder leaves out or a newer one a reader kept,
    and the line reads back as the record written; days written in turn each get their own lines."""
    usage_log = UsageLog(logs_dir, "UTC")
    fields = dict(provider="openai", model="m", input_tokens=1, output_tokens=1)
    written = [make_record(**fields, ts=f"2026-03-{day}T11:00:00Z", v=version)
               for version in (1, 2) for day in (14, 15, 14)]
    for record in written:
        usage_log.append(record)
    usage_log.close()
    lines = [line for day in (14, 15) for line in (logs_dir / f"2026-03-{day}.jsonl").read_bytes().splitlines()]
    assert [line[:7] for line in lines] == [b'{"v":1,', b'{"v":1,', b'{"v":2,', b'{"v":2,', b'{"v":1,', b'{"v":2,']
    assert [parse_line(line) for line in lines] == [written[i] for i in (0, 2, 3, 5, 1, 4)]


def test_log_usage_is_exported_at_the_top_level(logs_dir: Path) -> None:
    assert vaultledger.log_usage is log_usage


def test_time_zone_comes_from_the_environment(logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLEDGER_TZ", "Asia/Tokyo")
    log_usage(provider="openai", model="m", input_tokens=1, output_tokens=1, ts="2026-03-14T20:00:00Z")
    assert (logs_dir / "2026-03-15.jsonl").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"provider": "openai", "model": "m", "input_tokens": -1, "output_tokens": 1},
        {"provider": "openai", "model": "m", "input_tokens": 1},
        {"provider": "openai", "model": "m", "input_tokens": 1, "output_tokens": 1, "input_token": 3},
        {"provider": "openai", "model": "m", "input_tokens": 1, "output_tokens": 1, "ts": "noon"},
        {"provider": "openai", "model": "m", "input_tokens": 1, "output_tokens": 1, "cache_read_tokens": 5},
    ],
)
def test_a_bad_call_warns_and_returns_none_without_raising(logs_dir: Path, fields: dict) -> None:
    with pytest.warns(RuntimeWarning, match="usage not logged"):
        assert log_usage(**fields) is None
    assert not logs_dir.exists()


def test_an_unwritable_logs_folder_warns_once_and_never_raises(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the logs folder should be")
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(blocker / "logs"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert log_usage(provider="openai", model="m", input_tokens=1, output_tokens=1) is None
    assert len([w for w in caught if "usage not logged" in str(w.message)]) == 1


def test_an_oversized_record_keeps_its_usage_with_its_free_text_cut(logs_dir: Path) -> None:
    with pytest.warns(RuntimeWarning, match="cut to fit"):
        record = log_usage(provider="openai", model="m", input_tokens=7, output_tokens=1, app="x" * 5000,
                           ts="2026-03-14T11:00:00Z")
    assert record is not None and record.attrs == {"truncated": "app"}
    [written] = list(read_file(logs_dir / "2026-03-14.jsonl", ReadStats()))
    assert written.input_tokens == 7 and written.app == "x" * 255 + "…"


def test_a_record_whose_model_alone_breaks_the_limit_is_refused_not_split(logs_dir: Path) -> None:
    with pytest.warns(RuntimeWarning, match="model alone takes 5,002 bytes"):
        assert log_usage(provider="openai", model="m" * 5000, input_tokens=1, output_tokens=1) is None
    assert not list(logs_dir.glob("*.jsonl"))


def test_a_partial_line_left_by_a_crash_is_not_glued_to_the_next(logs_dir: Path) -> None:
    logs_dir.mkdir()
    (logs_dir / "2026-03-14.jsonl").write_bytes(b'{"v":1,"ts":"2026-03-14T10:00:00Z","prov')
    usage_log = UsageLog(logs_dir, "UTC")
    usage_log.append(make_record(provider="openai", model="m", input_tokens=1, output_tokens=1,
                                 ts="2026-03-14T11:00:00Z"))
    usage_log.close()
    stats = ReadStats()
    records = list(read_file(logs_dir / "2026-03-14.jsonl", stats))
    assert len(records) == 1 and stats.invalid_lines == 1


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_file_removed_while_open_is_reopened_so_no_line_is_lost(logs_dir: Path, how: str) -> None:
    usage_log = UsageLog(logs_dir, "UTC")
    record = make_record(provider="openai", model="m", input_tokens=1, output_tokens=1, ts="2026-03-14T11:00:00Z")
    path = usage_log.append(record)
    if how == "deleted":
        path.unlink()
    else:
        path.with_suffix(".new").write_bytes(b"")
        path.with_suffix(".new").replace(path)
    usage_log.append(record)
    usage_log.close()
    assert len(path.read_bytes().splitlines()) == 1


@pytest.mark.slow
def test_many_processes_appending_at_once_leave_only_whole_lines(logs_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    workers, count = 6, 400
    processes = [subprocess.Popen([sys.executable, str(script), str(w), str(count)]) for w in range(workers)]
    assert all(process.wait(timeout=60) == 0 for process in processes)
    stats = ReadStats()
    records = list(read_file(logs_dir / "2026-03-14.jsonl", stats))
    assert stats.invalid_lines == 0 and stats.partial_lines == 0 and stats.duplicates == 0
    assert len(records) == workers * count
    assert {(r.output_tokens, r.input_tokens) for r in records} == {
        (w, n) for w in range(workers) for n in range(count)
    }
