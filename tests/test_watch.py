"""Watch mode through the real thing: a real watchdog observer, real log files, real notes, real processes.

In-process tests run the Watcher in a thread with a wall clock that starts on 2026-03-14 and ticks in
real time, so the day never depends on when the tests run; the midnight test moves that clock itself.
These tests wait for real events (with generous timeouts) and assert what lands in the notes, never how
fast: the timing itself (quiet window, maximum delay, weekly throttle, midnight, idling) is checked on
the pure schedule with a fake clock in test_watch_schedule.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import call, enable_periodic_notes, write_lines
from vaultledger.ledger import Ledger
from vaultledger.notes.vault import note_path
from vaultledger.periods import day_of, week_of, zone_named
from vaultledger.settings import Settings, resolve_settings
from vaultledger.watch import LONGEST_SLEEP, LiveLedger, Refresh, Watcher, seconds_until_midnight, watch_forever

T = TypeVar("T")
UTC = dt.timezone.utc
NOON = dt.datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
DAY = NOON.date()
CALLS = re.compile(r"· ([\d,]+) calls? ·")
DEADLINE = 5.0


class WallClock:
    """A wall clock that starts at `start` and runs as fast as the real one, until a test sets it."""

    def __init__(self, start: dt.datetime) -> None:
        self.set(start)

    def __call__(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._origin)

    def set(self, when: dt.datetime) -> None:
        self._start, self._origin = when, time.monotonic()


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = DEADLINE) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.01)


def text_of(note: Path) -> str:
    try:
        return note.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def calls_in(note: Path) -> int | None:
    """The call count on the first totals line of a note, or None when there is no note or no totals."""
    match = CALLS.search(text_of(note))
    return int(match.group(1).replace(",", "")) if match else None


def wait_for_calls(note: Path, calls: int, timeout: float = DEADLINE) -> None:
    wait_for(f"{calls} calls in {note.name} (now {calls_in(note)})", lambda: calls_in(note) == calls, timeout)


def at(day: dt.date = DAY, clock: str = "12:00:00") -> str:
    return f"{day.isoformat()}T{clock}Z"


@pytest.fixture
def settings(vault: Path, logs_dir: Path) -> Settings:
    enable_periodic_notes(vault, "weekly")
    return resolve_settings(vault=vault, logs=logs_dir, tz="UTC")


@pytest.fixture
def log(logs_dir: Path) -> Path:
    return logs_dir / f"{DAY.isoformat()}.jsonl"


@pytest.fixture
def note(vault: Path) -> Path:
    return vault / f"{DAY.isoformat()}.md"


@contextmanager
def watching(settings: Settings, **options: Any) -> Iterator[Watcher]:
    """A Watcher running in a thread; it must stop within a second when the test is done."""
    options.setdefault("now", WallClock(NOON))
    options.setdefault("quiet", True)
    watcher = Watcher(settings, **options)
    thread = threading.Thread(target=watcher.run, name="watcher")
    thread.start()
    try:
        assert watcher.ready.wait(DEADLINE), "the watcher never became ready"
        yield watcher
    finally:
        watcher.stop()
        thread.join(1.0)
        assert not thread.is_alive(), "the watcher did not stop within a second"


def live_ledger(settings: Settings, today: dt.date = DAY) -> LiveLedger:
    live = LiveLedger.from_settings(settings)
    assert isinstance(live, LiveLedger)
    live.watch_around(today)
    return live


def weekly_note(watcher: Watcher, day: dt.date) -> Path:
    rule = watcher.rollup.week_rule
    return note_path(watcher.vault, watcher.rollup.note_settings["weekly"], week_of(day, rule).start, rule)


# ---------------------------------------------------------------- live updates


def test_appended_line_shows_in_todays_note_with_a_status_line(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()))
    out = io.StringIO()
    with watching(settings, quiet=False, out=out, err=io.StringIO()):
        wait_for_calls(note, 1)
        write_lines(log, call(at(clock="12:00:01"), provider="nobody", model="unknown"))
        wait_for_calls(note, 2)
    assert re.search(r"^12:00:\d\d  today 2 calls  \$\S+  \(1 unpriced\)$", out.getvalue(), re.M), out.getvalue()


def test_half_written_line_waits_for_its_newline(settings: Settings, log: Path) -> None:
    # The watcher rolls only when a refresh says something changed: a half line must not.
    write_lines(log, call(at()))
    live = live_ledger(settings)
    assert live.refresh().changed
    line = json.dumps(call(at(clock="12:00:02"))).encode()
    with log.open("ab") as handle:
        handle.write(line[:40])
    assert live.refresh() == Refresh(changed=False, touched=set())
    assert live.take_problems() == ([], [])
    with log.open("ab") as handle:
        handle.write(line[40:] + b"\n")
    assert live.refresh() == Refresh(changed=True, touched={DAY})
    assert live.days(DAY, DAY)[DAY].totals().calls == 2
    assert live.take_problems() == ([], []) and live.stats_between(DAY, DAY).invalid_lines == 0


def test_invalid_line_is_counted_in_the_note_and_warned_once(settings: Settings, log: Path, note: Path) -> None:
    err = io.StringIO()
    with watching(settings, err=err):
        write_lines(log, call(at()), "{not json")
        wait_for("the invalid line in the note", lambda: "1 invalid log line" in text_of(note))
        for second in range(1, 4):
            write_lines(log, call(at(clock=f"12:00:0{second}")))
            wait_for_calls(note, 1 + second)
    assert err.getvalue().count(f"{log}:2: not JSON") == 1, err.getvalue()
    assert "1 invalid log line" in note.read_text(encoding="utf-8")


def test_repeated_id_counts_once_with_the_last_line_winning(settings: Settings, log: Path, note: Path) -> None:
    with watching(settings):
        write_lines(log, call(at(), id="msg_1", input_tokens=100))
        wait_for_calls(note, 1)
        write_lines(log, call(at(), id="msg_1", input_tokens=7000), call(at(), id="msg_2"))
        wait_for_calls(note, 2)
    assert "8,000 in" in note.read_text(encoding="utf-8")


def test_burst_of_1000_appends_all_reach_the_note(settings: Settings, log: Path, note: Path) -> None:
    with watching(settings):
        with log.open("a", encoding="utf-8") as handle:
            for number in range(1000):
                handle.write(json.dumps(call(at(), id=f"msg_{number}")) + "\n")
                handle.flush()  # one write() per line, as the logger does: 1,000 watchdog events
        wait_for_calls(note, 1000, timeout=15)


def test_weekly_section_waits_for_its_slot_and_stopping_writes_it(settings: Settings, log: Path,
                                                                  note: Path) -> None:
    write_lines(log, call(at()))
    with watching(settings) as watcher:
        week = weekly_note(watcher, DAY)
        wait_for_calls(week, 1)
        write_lines(log, call(at(clock="12:00:01")))
        wait_for_calls(note, 2)
        assert calls_in(week) == 1  # the daily section moved on; the weekly one waits for its slot
    assert calls_in(week) == 2  # ...which stopping does not wait for


def test_idle_watcher_has_nothing_to_wake_for_but_the_clock(settings: Settings, log: Path) -> None:
    write_lines(log, call(at()))
    with watching(settings) as watcher:
        wait_for("an idle schedule", lambda: watcher.schedule.seconds_to_wait() > LONGEST_SLEEP - 1)
        assert not watcher.schedule.due()


# ---------------------------------------------------------------- survival


def test_missing_logs_folder_is_created_and_watched(settings: Settings, logs_dir: Path, log: Path, note: Path) -> None:
    assert not logs_dir.exists()
    with watching(settings):
        assert logs_dir.is_dir()
        write_lines(log, call(at()))
        wait_for_calls(note, 1)


def test_logs_folder_deleted_while_watching_is_made_again(settings: Settings, logs_dir: Path, log: Path,
                                                          note: Path) -> None:
    write_lines(log, call(at()), call(at()))
    with watching(settings):
        wait_for_calls(note, 2)
        shutil.rmtree(logs_dir)
        wait_for("the logs folder again", logs_dir.is_dir)
        write_lines(log, call(at(clock="12:00:05")))
        wait_for_calls(note, 1)


def test_truncated_log_is_read_again_from_its_start(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()), call(at()), call(at()))
    with watching(settings):
        wait_for_calls(note, 3)
        log.write_text("")
        write_lines(log, call(at(clock="12:00:05")))
        wait_for_calls(note, 1)


def test_replaced_log_is_read_again_from_its_start(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()), call(at()), call(at()))
    with watching(settings):
        wait_for_calls(note, 3)
        fresh = write_lines(log.with_name(".replacement"), call(at(), input_tokens=4321))
        os.replace(fresh, log)
        wait_for_calls(note, 1)
    assert "4,321 in" in note.read_text(encoding="utf-8")


def test_log_rewritten_in_place_with_longer_content_is_read_again(settings: Settings, log: Path,
                                                                  note: Path) -> None:
    write_lines(log, call(at(), input_tokens=1))
    with watching(settings):
        wait_for_calls(note, 1)
        inode = log.stat().st_ino
        log.write_text("".join(json.dumps(call(at(), input_tokens=2)) + "\n" for _ in range(2)))
        assert log.stat().st_ino == inode
        wait_for_calls(note, 2)
    assert "4 in" in note.read_text(encoding="utf-8")


def test_deleted_log_forgets_its_calls(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()), call(at()))
    with watching(settings):
        wait_for_calls(note, 2)
        log.unlink()
        wait_for("the empty day", lambda: "No LLM calls logged on 2026-03-14" in text_of(note))


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_note_deleted_or_renamed_is_made_again_on_the_next_change(settings: Settings, log: Path, note: Path,
                                                                  how: str) -> None:
    write_lines(log, call(at()))
    with watching(settings):
        wait_for_calls(note, 1)
        if how == "deleted":
            note.unlink()
        else:
            note.rename(note.with_name("renamed.md"))
        write_lines(log, call(at(clock="12:00:03")))
        wait_for_calls(note, 2)
    if how == "renamed":
        assert calls_in(note.with_name("renamed.md")) == 1


def test_note_edited_while_updates_land_keeps_every_user_line(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()))

    def edit_like_a_user() -> None:
        for number in range(20):
            text = note.read_text(encoding="utf-8")
            scratch = note.with_name(".edit.tmp")
            scratch.write_text(f"user line {number}\n" + text + f"closing thought {number}\n", encoding="utf-8")
            os.replace(scratch, note)  # editors save atomically; update_note must re-read, not overwrite
            time.sleep(0.015)

    with watching(settings):
        wait_for_calls(note, 1)
        user = threading.Thread(target=edit_like_a_user)
        user.start()
        for second in range(40):
            write_lines(log, call(at(clock=f"12:01:{second:02d}")))
            time.sleep(0.01)
        user.join()
        write_lines(log, call(at(clock="12:02:00")))  # the user's last save may hold an older section
        wait_for_calls(note, 42)
    text = note.read_text(encoding="utf-8")
    for number in range(20):
        assert f"user line {number}\n" in text and f"closing thought {number}\n" in text
    assert text.count("%% vaultledger:begin daily %%") == 1


def test_changed_daily_notes_setting_moves_the_note(settings: Settings, vault: Path, log: Path, note: Path) -> None:
    write_lines(log, call(at()))
    daily_notes = vault / ".obsidian" / "daily-notes.json"
    err = io.StringIO()
    with watching(settings, err=err):
        wait_for_calls(note, 1)
        daily_notes.write_text('{"folder": "Jour')  # caught half-way through Obsidian's save
        wait_for("the error", lambda: "daily-notes.json is not valid JSON" in err.getvalue())
        write_lines(log, call(at(clock="12:00:01")))
        wait_for_calls(note, 2)  # the old settings still hold
        daily_notes.write_text(json.dumps({"folder": "Journal", "format": "YYYY/MM-DD"}))
        moved = vault / "Journal" / "2026" / "03-14.md"
        wait_for_calls(moved, 2)  # no new log line needed: the setting alone moves today's section
    assert re.search(r"^2026-03-14 12:00:\d\d vaultledger: error: .*daily-notes.json", err.getvalue(), re.M)


def test_failed_update_is_logged_and_the_next_one_succeeds(settings: Settings, log: Path, note: Path) -> None:
    err = io.StringIO()
    note.mkdir()  # nothing can be written where a folder sits
    with watching(settings, err=err):
        write_lines(log, call(at()))
        wait_for("the error", lambda: "error:" in err.getvalue())
        note.rmdir()
        write_lines(log, call(at(clock="12:00:01")))
        wait_for_calls(note, 2)
    assert re.search(rf"^2026-03-14 12:00:\d\d vaultledger: error: {re.escape(str(note))}", err.getvalue(), re.M)


@pytest.mark.slow
def test_midnight_makes_the_new_day_today_and_gives_yesterday_its_final_numbers(
    settings: Settings, logs_dir: Path, vault: Path
) -> None:
    day, next_day = DAY, DAY + dt.timedelta(days=1)  # Saturday 14th ends the week; Sunday starts the next
    first = write_lines(logs_dir / f"{day}.jsonl", call(at(day, "23:58:00")))
    clock = WallClock(dt.datetime(2026, 3, 14, 23, 59, 0, tzinfo=UTC))  # a minute to spare
    with watching(settings, now=clock) as watcher:
        week = weekly_note(watcher, day)
        assert week != weekly_note(watcher, next_day)
        wait_for_calls(vault / f"{day}.md", 1)
        wait_for_calls(week, 1)
        write_lines(first, call(at(day, "23:59:01")))
        wait_for_calls(vault / f"{day}.md", 2)
        assert calls_in(week) == 1  # the weekly section is throttled to once a minute...
        clock.set(dt.datetime(2026, 3, 15, 0, 0, 0, tzinfo=UTC))
        write_lines(logs_dir / f"{next_day}.jsonl", call(at(next_day, "00:00:01")))  # wakes the watcher now
        wait_for_calls(week, 2)  # ...but midnight gives the ending week its final numbers
        assert watcher.day == next_day
        wait_for_calls(vault / f"{next_day}.md", 1)
        write_lines(first, call(at(day, "23:59:59")))  # a late line for yesterday still lands
        wait_for_calls(vault / f"{day}.md", 3)


def test_watch_forever_returns_when_stop_is_set(settings: Settings, log: Path, note: Path) -> None:
    write_lines(log, call(at()))
    stop = threading.Event()
    thread = threading.Thread(target=watch_forever, args=(settings,),
                              kwargs={"quiet": True, "stop": stop, "now": WallClock(NOON)})
    thread.start()
    wait_for_calls(note, 1)
    stop.set()
    thread.join(1.0)
    assert not thread.is_alive()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_watch_forever_stops_cleanly_on_a_signal(settings: Settings, log: Path, note: Path,
                                                 capsys: pytest.CaptureFixture[str], signum: int) -> None:
    assert threading.current_thread() is threading.main_thread(), "signal handlers need the main thread"
    write_lines(log, call(at()))

    def append_then_signal() -> None:
        wait_for_calls(note, 1)
        write_lines(log, call(at(clock="12:00:01")))
        wait_for_calls(note, 2)
        os.kill(os.getpid(), signum)

    before = signal.getsignal(signum)
    sender = threading.Thread(target=append_then_signal)
    sender.start()
    watch_forever(settings, now=WallClock(NOON))  # returns, rather than raising, once the signal came
    sender.join(DEADLINE)
    assert signal.getsignal(signum) == before  # the previous handler is back
    assert "today 2 calls" in capsys.readouterr().out


def local_zone_near_noon() -> tuple[str, dt.date]:
    """A fixed-offset zone where it is now between 11:00 and 13:00, and its date: a test using the real
    clock there cannot straddle midnight."""
    offset = (12 - dt.datetime.now(UTC).hour + 12) % 24 - 12  # -11 ... +12 hours
    zone = "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # Etc/GMT-3 is three hours ahead of UTC
    return zone, dt.datetime.now(zone_named(zone)).date()


@pytest.mark.slow
def test_watch_command_follows_appends_and_stops_cleanly_on_sigterm(vault: Path, logs_dir: Path) -> None:
    zone, today = local_zone_near_noon()
    command = [sys.executable, "-m", "vaultledger", "watch", "--vault", str(vault), "--logs", str(logs_dir),
               "--tz", zone]
    watch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        log, note = logs_dir / f"{today}.jsonl", vault / f"{today}.md"
        write_lines(log, call(dt.datetime.now(UTC).isoformat()))
        wait_for_calls(note, 1, timeout=15)  # interpreter start-up included
        write_lines(log, call(dt.datetime.now(UTC).isoformat()))
        wait_for_calls(note, 2)
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=10)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    assert "Traceback" not in err
    assert "today 2 calls" in out


# ---------------------------------------------------------------- the parts


def test_live_ledger_fed_in_pieces_equals_reading_the_files_whole(tmp_path: Path) -> None:
    logs = tmp_path / "pieces"
    settings = resolve_settings(logs=logs, tz="Europe/Berlin")
    write_lines(logs / "2026-03-12.jsonl", call("2026-03-12T23:30:00Z", model="gpt-4o"), "oops")
    write_lines(logs / "2026-03-13.jsonl", call("2026-03-13T10:00:00+01:00", id="a", project="x"))
    today = logs / "2026-03-14.jsonl"
    lines = [json.dumps(call(f"2026-03-14T{hour:02d}:30:00Z", id=f"r{hour % 5}", unit_id=f"u{hour}",
                             use_case="poem", input_tokens=100 * hour)) for hour in range(24)]
    blob = ("\n".join([*lines, "[]"]) + "\n").encode()
    live = live_ledger(settings)
    for cut in range(0, len(blob), 997):  # pieces that end mid-line
        with today.open("ab") as handle:
            handle.write(blob[cut:cut + 997])
        live.refresh()
    whole = Ledger.from_settings(settings)
    first, last = dt.date(2026, 3, 10), dt.date(2026, 3, 16)
    assert live.days(first, last) == whole.days(first, last)
    assert live.folds.held(today) is not None and live.folds.held(logs / "2026-03-12.jsonl") is not None
    live_stats, whole_stats = live.stats_between(first, last), whole.stats_between(first, last)
    assert (live_stats.lines, live_stats.invalid_lines, live_stats.duplicates) == (
        whole_stats.lines, whole_stats.invalid_lines, whole_stats.duplicates)
    assert live.take_problems()[0] and live.take_problems() == ([], [])


@pytest.mark.parametrize(("now", "expected"), [
    (dt.datetime(2026, 3, 14, 23, 59, 30, tzinfo=UTC), 30.0),
    # Berlin springs forward on 2026-03-29: that local day is 23 hours long.
    (dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 23 * 3600.0),
    (dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 25 * 3600.0),
])
def test_seconds_until_midnight_counts_real_seconds_across_dst(now: dt.datetime, expected: float) -> None:
    zone = "Europe/Berlin" if now.month != 3 or now.day != 14 else "UTC"
    assert seconds_until_midnight(now, zone_named(zone)) == expected


def test_a_budget_crossed_while_watching_notifies_the_desktop_once(
    vault: Path, logs_dir: Path, log: Path, note: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls_file = tmp_path / "notify-calls"
    fake = bin_dir / "notify-send"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls_file}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "vaultledger.toml"
    config.write_text("[budgets]\ndaily = 0.0005\n")
    settings = resolve_settings(config=config, vault=vault, logs=logs_dir, tz="UTC")
    with watching(settings):
        write_lines(log, call(ts=at(clock="12:00:01")))  # $0.00045: 90 %, a warning
        wait_for("a desktop notification", lambda: calls_file.exists() and calls_file.read_text())
        write_lines(log, call(ts=at(clock="12:00:02")))  # 180 %: over
        wait_for("the 'over' notification", lambda: len(calls_file.read_text().splitlines()) >= 2)
        write_lines(log, call(ts=at(clock="12:00:03")))
        wait_for_calls(note, 3)
    lines = calls_file.read_text().splitlines()
    assert len(lines) == 2 and "Daily budget" in lines[0]  # the warning, then "over" once


def test_watch_writes_the_note_the_nightly_rollup_would_write(settings: Settings, vault: Path, logs_dir: Path) -> None:
    """The issue's reproduction, appended while a real observer watches: an id logged on the 14th
    and again, final, on the 15th, and a line filed three days from its day. The nightly rollup
    over the same logs finds every note watch wrote already right, byte for byte."""
    from vaultledger.notes.rollup import Rollup, open_vault

    day = dt.date(2026, 3, 15)
    now = WallClock(dt.datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
    with watching(settings, now=now):
        write_lines(logs_dir / "2026-03-14.jsonl", call("2026-03-14T23:59:58Z", id="msg_1", output_tokens=1))
        write_lines(logs_dir / "2026-03-13.jsonl", call("2026-03-16T12:00:00Z"))
        write_lines(logs_dir / "2026-03-15.jsonl", call("2026-03-15T00:00:03Z", id="msg_1", output_tokens=500))
        note = vault / "2026-03-15.md"
        wait_for("the 15th's note with the one call, 500 out",
                 lambda: calls_in(note) == 1 and " / 500 out" in text_of(note), timeout=15)
    watched = {path: path.read_bytes() for path in vault.glob("*.md")}
    nightly = Rollup(settings, open_vault(settings), Ledger.from_settings(settings), create=True)
    result = nightly.run([day_of(day - dt.timedelta(days=1)), day_of(day), week_of(day, nightly.week_rule)])
    assert not result.errors
    assert {path: path.read_bytes() for path in vault.glob("*.md")} == watched
