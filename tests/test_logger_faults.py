"""The logger never loses, raises or blocks (issue 13, items 1-5): fast cases, in process, real files.

Real subprocesses with rlimits, a full tmpfs, timer signals, `ulimit -n` and FIFOs are in
tests/test_logger_faults_slow.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from typer.testing import CliRunner

import vaultledger.capture.logger
from vaultledger.capture import dropped
from vaultledger.capture.dropped import DROPPED_NAME, DroppedRecords, dropped_records, note_dropped, save_unsaved
from vaultledger.capture.fit import LONG_TEXT
from vaultledger.capture.logger import UsageLog, log_record, log_usage, warn_limited
from vaultledger.capture.response import record_response
from vaultledger.capture.usage_log import LOCK_WAIT, MAX_OPEN_FILES, MAX_WAITING, OpenFiles
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.ledger.files import ReadStats, list_log_files, read_file
from vaultledger.record import MAX_LINE_BYTES, UsageRecord, make_record
from vaultledger.settings import resolve_settings

BASE = dict(provider="openai", model="gpt-4o-mini", input_tokens=1000, output_tokens=100)
DAY = "2026-03-14"
TS = f"{DAY}T12:00:00+00:00"


@pytest.fixture(autouse=True)
def fresh_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every warning shown again, drops saved at once, the state folder inside tmp_path."""
    monkeypatch.setattr(vaultledger.capture.logger, "_warned", set())
    monkeypatch.setattr(dropped, "_unsaved", [])
    monkeypatch.setattr(dropped, "_retry_at", 0.0)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    yield
    vaultledger.capture.logger._process_log.close()


def records_in(logs_dir: Path) -> tuple[list[UsageRecord], ReadStats]:
    """Every record the real reader finds in the folder's log files."""
    stats = ReadStats()
    found = [record for log in list_log_files(logs_dir) for record in read_file(log.path, stats)]
    return found, stats


def call(**fields: Any) -> dict[str, Any]:
    return {**BASE, "ts": TS, **fields}


# 1. A line never follows half a line ------------------------------------------------------------


def test_half_a_line_left_by_another_writer_is_not_glued_onto_the_next(logs_dir: Path) -> None:
    first, second = UsageLog(logs_dir, "UTC"), UsageLog(logs_dir, "UTC")  # two processes' descriptors
    written = [first.append(make_record(**call(id="a")))]
    with (logs_dir / f"{DAY}.jsonl").open("ab") as other:
        other.write(b'{"v":1,"ts":"2026-03-14T12:00:00Z","provider":"openai","mod')  # then its disk filled
    written.append(first.append(make_record(**call(id="b"))))
    written.append(second.append(make_record(**call(id="c"))))
    first.close(), second.close()
    records, stats = records_in(logs_dir)
    assert sorted(record.id for record in records) == ["a", "b", "c"]
    assert stats.invalid_lines == 1 and stats.partial_lines == 0


def test_a_file_truncated_under_us_gets_no_stray_newline(logs_dir: Path) -> None:
    files = OpenFiles()
    path = logs_dir / f"{DAY}.jsonl"
    files.write_line(path, b'{"a":1}\n')
    path.write_bytes(b"")  # truncated under us: the size no longer matches what we left
    files.write_line(path, b'{"a":2}\n')
    files.close()
    assert path.read_bytes() == b'{"a":2}\n'


# 2. Oversized records keep their usage ------------------------------------------------------------

HOSTILE = {
    "long attrs value": dict(attrs={"prompt_preview": "x" * 5000}),
    "many attrs": dict(attrs={f"k{n}": "v" * 100 for n in range(60)}),
    "long attrs key": dict(attrs={"k" * 5000: 1}),
    "long tag": dict(tags=["t" * 5000]),
    "many tags": dict(tags=[f"tag-{n}" for n in range(800)]),
    "long session": dict(session="s" * 5000),
    "long id": dict(id="i" * 5000),
    "long project": dict(project="p" * 5000),
    "long app, use case and unit": dict(app="a" * 1500, use_case="u" * 1500, unit_id="n" * 1500),
    "emoji": dict(session="🦜" * 3000),
    "control characters": dict(project="\x01" * 1000, app="\x02" * 1000, session="\x03" * 1000,
                               use_case="\x04" * 1000, unit_id="\x05" * 1000, id="\x06" * 1000),
    "everything at once": dict(attrs={"a": "x" * 3000}, tags=["t" * 3000], session="s" * 3000, project="p" * 3000,
                               app="a" * 3000, use_case="u" * 3000, unit_id="n" * 3000, id="i" * 3000,
                               service_tier="f" * 3000),
}


@pytest.mark.parametrize("extra", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_oversized_record_is_written_with_its_usage_and_marked(logs_dir: Path, extra: dict[str, Any]) -> None:
    with pytest.warns(RuntimeWarning, match="cut to fit"):
        record = log_usage(**call(cache_read_tokens=200, cost_usd="0.5", **extra))
    assert record is not None and record.attrs and record.attrs["truncated"]
    line = (logs_dir / f"{DAY}.jsonl").read_bytes()
    assert len(line) <= MAX_LINE_BYTES and line.count(b"\n") == 1
    [written], stats = records_in(logs_dir)
    assert stats.invalid_lines == 0
    assert (written.input_tokens, written.output_tokens, written.cache_read_tokens, str(written.cost_usd)) == (
        1000, 100, 200, "0.5")
    assert written == record
    assert set(written.attrs["truncated"].split(",")) <= {*extra, "attrs"}


def test_cut_text_keeps_its_start_and_says_it_was_cut(logs_dir: Path) -> None:
    with pytest.warns(RuntimeWarning):
        record = log_usage(**call(session="abc" * 200, project="orbis", attrs={"keep": 1, "long": "y" * 5000}))
    assert record is not None
    assert record.session == "abc" * 200  # cutting attrs was enough
    assert record.attrs == {"keep": 1, "long": "y" * (LONG_TEXT - 1) + "…", "truncated": "attrs"}
    assert record.project == "orbis"


def test_the_same_long_id_is_cut_the_same_way_so_it_still_counts_once(logs_dir: Path) -> None:
    with pytest.warns(RuntimeWarning):
        first = log_usage(**call(id="r" * 5000, input_tokens=5))
        second = log_usage(**call(id="r" * 5000, input_tokens=9))
    assert first is not None and second is not None and first.id == second.id
    records, stats = records_in(logs_dir)
    assert [record.input_tokens for record in records] == [9] and stats.duplicates == 1


def test_a_model_that_alone_breaks_the_limit_is_a_bad_call_warned_and_counted(logs_dir: Path) -> None:
    logs_dir.mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert log_usage(**call(model="m" * 5000)) is None
        assert log_usage(**call(model="m" * 6000)) is None  # the same problem, within a minute
    assert [str(w.message) for w in caught] == [
        "vaultledger: usage not logged: model alone takes 5,002 bytes: the record cannot fit the 4096-byte "
        "line limit even with its free-text fields cut"]
    assert list_log_files(logs_dir) == []
    assert dropped_records(logs_dir) == DroppedRecords(2, {"too_large": 2})


def test_a_repeated_problem_warns_again_each_minute_with_the_count_held_back() -> None:
    now = [0.0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for second in (0, 1, 2, 30, 61, 62, 200):
            now[0] = float(second)
            warn_limited(f"vaultledger: usage not logged: record is {second} bytes", clock=lambda: now[0])
    assert [str(w.message) for w in caught] == [
        "vaultledger: usage not logged: record is 0 bytes",
        "vaultledger: usage not logged: record is 61 bytes (3 more like it since the last warning)",
        "vaultledger: usage not logged: record is 200 bytes (1 more like it since the last warning)",
    ]


def test_warnings_point_at_the_apps_own_line(logs_dir: Path) -> None:
    with pytest.warns(RuntimeWarning) as caught:
        log_usage(provider="openai", model="m", input_tokens=-1, output_tokens=1)
    assert caught[0].filename == __file__


# 3. Never raise -----------------------------------------------------------------------------------


def blocked_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the logs folder should be")
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(blocker / "logs"))
    monkeypatch.setenv("VAULTLEDGER_TZ", "UTC")
    return blocker / "logs"


NEVER_RAISE: dict[str, Callable[[], object]] = {
    "invalid call": lambda: log_usage(provider="openai", model="gpt-4o", input_tokens=-1, output_tokens=1),
    "unknown field": lambda: log_usage(**call(projekt="x")),
    "valid call, unwritable folder": lambda: log_usage(**call()),
    "garbage response": lambda: record_response(object()),
    "valid response, unwritable folder": lambda: record_response(
        {"id": "r1", "model": "gpt-4o", "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
    "oversized model": lambda: log_usage(**call(model="m" * 5000)),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("act", NEVER_RAISE.values(), ids=NEVER_RAISE.keys())
def test_warnings_as_errors_never_reach_the_app(act: Callable[[], object], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    blocked_logs(tmp_path, monkeypatch)
    warnings.simplefilter("error")
    with caplog.at_level(logging.WARNING, logger="vaultledger"):
        assert act() is None
    assert "usage not logged" in caplog.text  # said through logging instead


@pytest.mark.filterwarnings("error")
def test_a_record_cut_to_fit_is_written_when_warnings_are_errors(logs_dir: Path) -> None:
    assert log_usage(**call(session="s" * 5000)) is not None
    assert len(records_in(logs_dir)[0]) == 1


def test_an_unwritable_folder_counts_each_lost_call_in_the_fallback_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    logs = blocked_logs(tmp_path, monkeypatch)
    with pytest.warns(RuntimeWarning):
        for _ in range(3):
            assert log_usage(**call()) is None
    found = dropped_records(logs)
    assert found.count == 3 and found.reasons == {"unwritable": 3}
    assert (tmp_path / "state" / "vaultledger" / "dropped").is_dir()


# 4. Bounded descriptors ---------------------------------------------------------------------------


def open_descriptors() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return len(os.listdir(folder))
    pytest.skip("no /proc/self/fd or /dev/fd to count open descriptors")


def test_a_backfill_over_400_days_keeps_a_few_descriptors_open(logs_dir: Path) -> None:
    before = open_descriptors()
    start = dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone.utc)
    returned = [log_usage(**BASE, id=f"d{n}", ts=start + dt.timedelta(days=n)) for n in range(400)]
    assert open_descriptors() - before <= MAX_OPEN_FILES
    assert all(returned)
    records, stats = records_in(logs_dir)
    assert len(records) == 400 and len(list_log_files(logs_dir)) == 400 and stats.invalid_lines == 0


def test_today_stays_open_while_old_days_come_and_go(logs_dir: Path) -> None:
    usage_log = UsageLog(logs_dir, "UTC")
    for n in range(20):
        usage_log.append(make_record(**call(id=f"t{n}")))
        usage_log.append(make_record(**BASE, id=f"old{n}", ts=dt.datetime(2025, 1, 1 + n, tzinfo=dt.timezone.utc)))
    assert len(usage_log._files) <= MAX_OPEN_FILES
    usage_log.close()
    assert len(records_in(logs_dir)[0]) == 40


# 5. Never block ----------------------------------------------------------------------------------


def within(seconds: float, action: Callable[[], Any]) -> Any:
    """`action()`'s result, failing the test (instead of hanging it) when it takes longer."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(action()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still blocked after {seconds} s"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_at_the_days_path_is_refused_at_once_and_counted(logs_dir: Path) -> None:
    logs_dir.mkdir()
    os.mkfifo(logs_dir / f"{DAY}.jsonl")
    with pytest.warns(RuntimeWarning, match="not a regular file"):
        returned = within(10, lambda: [log_usage(**call(attrs={"pad": "x" * 3000})) for _ in range(100)])
    assert returned == [None] * 100
    assert log_usage(**call(ts="2026-03-15T12:00:00Z")) is not None  # other days are written as ever
    assert dropped_records(logs_dir) == DroppedRecords(100, {"unwritable": 100})
    assert dropped_records(logs_dir, first=dt.date(2026, 3, 15)).count == 0


def interrupting(code: Any, line_text: str, handler: Callable[[], None]) -> Callable[[FrameType, str, Any], Any]:
    """A trace function that runs `handler` once where a signal handler could run: between two
    bytecodes of `code`, at the line holding `line_text`."""
    fired: list[bool] = []

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and not fired and line_text in _source_line(frame):
            fired.append(True)
            handler()
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code is code and not fired else None

    return tracer


def _source_line(frame: FrameType) -> str:
    import linecache

    return linecache.getline(frame.f_code.co_filename, frame.f_lineno)


def traced(tracer: Callable[..., Any], action: Callable[[], Any]) -> Any:
    sys.settrace(tracer)
    try:
        return action()
    finally:
        sys.settrace(None)


def test_a_log_usage_interrupting_a_write_is_queued_and_written_by_it(logs_dir: Path) -> None:
    inner: list[UsageRecord | None] = []
    tracer = interrupting(OpenFiles.write_line.__code__, "os.write(",
                          lambda: inner.append(log_usage(**call(id="from-handler"))))
    log_usage(**call(id="warm-up"))
    outer = within(10, lambda: traced(tracer, lambda: log_usage(**call(id="interrupted"))))
    assert outer is not None and inner == [None]  # queued: not yet written when the handler returned
    records, stats = records_in(logs_dir)
    assert [record.id for record in records] == ["warm-up", "interrupted", "from-handler"]
    assert stats.invalid_lines == 0 and dropped_records(logs_dir).count == 0


def test_a_log_usage_interrupting_the_first_one_while_it_resolves_settings_is_written(logs_dir: Path) -> None:
    inner: list[UsageRecord | None] = []
    vaultledger.capture.logger._process_log.close()
    vaultledger.capture.logger._process_log._current = None
    tracer = interrupting(resolve_settings.__code__, "config_path = ",
                          lambda: inner.append(log_usage(**call(id="from-handler"))))
    outer = within(10, lambda: traced(tracer, lambda: log_usage(**call(id="first"))))
    assert outer is not None and inner == [None]  # it waited for the settings the first call resolved
    assert [record.id for record in records_in(logs_dir)[0]] == ["from-handler", "first"]


def test_a_log_held_by_a_stuck_thread_queues_records_and_the_next_call_writes_them(logs_dir: Path) -> None:
    usage_log = UsageLog(logs_dir, "UTC")
    held, release = threading.Event(), threading.Event()

    def stuck_writer() -> None:
        with usage_log._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=stuck_writer, daemon=True)
    holder.start()
    held.wait(10)
    first = within(LOCK_WAIT + 10, lambda: log_record(make_record(**call(id="q0")), usage_log))
    rest = within(5, lambda: [log_record(make_record(**call(id=f"q{n}")), usage_log) for n in range(1, 5)])
    assert first is None and rest == [None] * 4  # only the first waited, and only for LOCK_WAIT
    release.set()
    holder.join(10)
    assert log_record(make_record(**call(id="after")), usage_log) is not None
    usage_log.close()
    assert [record.id for record in records_in(logs_dir)[0]] == ["q0", "q1", "q2", "q3", "q4", "after"]


def test_beyond_the_queue_limit_records_are_dropped_and_counted(logs_dir: Path) -> None:
    usage_log = UsageLog(logs_dir, "UTC")
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=lambda: (usage_log._lock.acquire(), held.set(), release.wait(30),
                                              usage_log._lock.release()), daemon=True)
    holder.start()
    held.wait(10)
    with pytest.warns(RuntimeWarning, match="too many records were waiting"):
        results = within(LOCK_WAIT + 30, lambda: [log_record(make_record(**call(id=f"b{n}")), usage_log)
                                                  for n in range(MAX_WAITING + 5)])
    release.set()
    holder.join(10)
    assert results == [None] * (MAX_WAITING + 5)
    usage_log.close()
    assert len(records_in(logs_dir)[0]) == MAX_WAITING
    assert dropped_records(logs_dir) == DroppedRecords(5, {"busy": 5})


# The trace of what was dropped --------------------------------------------------------------------


def test_dropped_records_are_counted_by_day_and_reason(logs_dir: Path) -> None:
    logs_dir.mkdir()
    for day, reason in [(14, "unwritable"), (14, "unwritable"), (15, "invalid"), (20, "too_large")]:
        note_dropped(logs_dir, dt.date(2026, 3, day), reason, "detail")
    assert dropped_records(logs_dir) == DroppedRecords(4, {"invalid": 1, "too_large": 1, "unwritable": 2})
    assert dropped_records(logs_dir, dt.date(2026, 3, 15), dt.date(2026, 3, 15)) == DroppedRecords(1, {"invalid": 1})
    assert dropped_records(logs_dir, last=dt.date(2026, 3, 14)).count == 2
    assert dropped_records(logs_dir, first=dt.date(2026, 3, 16)).count == 1
    assert list_log_files(logs_dir) == []  # the trace is no log file
    assert dropped_records(logs_dir / "elsewhere") == DroppedRecords()


def test_the_reader_skips_half_lines_and_other_damage(logs_dir: Path) -> None:
    logs_dir.mkdir()
    note_dropped(logs_dir, dt.date(2026, 3, 14), "unwritable")
    with (logs_dir / DROPPED_NAME).open("ab") as trace:
        trace.write(b'not json\n{"day":"2026-03-14","reason":"unwritable","count":-4}\n{"day":"2026-03-14","rea')
    note_dropped(logs_dir, dt.date(2026, 3, 14), "unwritable")
    assert dropped_records(logs_dir).count == 2


def test_drops_that_cannot_be_saved_anywhere_are_saved_once_space_returns(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    logs = blocked_logs(tmp_path, monkeypatch)
    (tmp_path / "state").write_text("the state folder cannot be made either")
    with pytest.warns(RuntimeWarning):
        assert log_usage(**call()) is None
        assert log_usage(**call()) is None  # within RETRY_SECONDS: only added up in memory
    assert dropped_records(logs).count == 0 and dropped._unsaved
    (tmp_path / "state").unlink()
    save_unsaved()  # as the next drop after RETRY_SECONDS, the next record written, or exit would
    assert dropped_records(logs) == DroppedRecords(2, {"unwritable": 2}) and not dropped._unsaved


def test_noting_a_drop_never_raises(tmp_path: Path) -> None:
    note_dropped(tmp_path / "\x00bad", dt.date(2026, 3, 14), "unwritable", "x" * 10_000)
    note_dropped(None, None, None)  # type: ignore[arg-type]


# vaultledger log -----------------------------------------------------------------------------------

runner = CliRunner()
CLI = ["log", "--provider", "openai", "--model", "gpt-4o", "--input-tokens", "10", "--output-tokens", "5",
       "--ts", TS]


def both_paths(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[tuple[int, str], tuple[int, str]]:
    by_typer = runner.invoke(app, args)
    code = answer_quickly(args)
    fast = capsys.readouterr()
    return (by_typer.exit_code, by_typer.output), (code or 0, fast.out + fast.err)


def test_log_into_an_unwritable_folder_exits_1_with_one_line_and_is_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    logs = blocked_logs(tmp_path, monkeypatch)
    by_typer, fast = both_paths(CLI, capsys)
    assert by_typer == fast
    code, output = fast
    assert code == 1 and output.count("\n") == 1 and output.startswith(f"vaultledger: {logs}: cannot append")
    assert dropped_records(logs) == DroppedRecords(2, {"unwritable": 2})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_log_onto_a_fifo_exits_1_at_once(logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs_dir.mkdir()
    os.mkfifo(logs_dir / f"{DAY}.jsonl")
    by_typer, fast = within(30, lambda: both_paths(CLI, capsys))
    assert by_typer == fast and fast[0] == 1 and "is not a regular file" in fast[1]


def test_log_with_an_oversized_session_keeps_the_usage_and_says_so(
        logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    by_typer, fast = both_paths([*CLI, "--session", "s" * 5000, "--tag", "t" * 10], capsys)
    assert by_typer == fast and fast[0] == 0
    assert fast[1].splitlines()[1] == ("vaultledger: the record was over the 4 KiB line limit: "
                                      "kept with session cut (attrs.truncated)")
    lines = [json.loads(line) for line in (logs_dir / f"{DAY}.jsonl").read_text().splitlines()]
    assert [(line["input_tokens"], len(line["session"]), line["attrs"]) for line in lines] == [
        (10, LONG_TEXT, {"truncated": "session"})] * 2


def test_log_with_a_model_too_long_for_any_line_exits_1_on_both_paths(
        logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*CLI, "--model", "m" * 5000]
    by_typer, fast = both_paths(args, capsys)
    assert by_typer == fast == (1, "vaultledger: model alone takes 5,002 bytes: the record cannot fit the "
                                   "4096-byte line limit even with its free-text fields cut\n")
    assert list_log_files(logs_dir) == []
