"""The watch's timing, checked on the pure UpdateSchedule with a fake monotonic clock: no sleeps.

`Loop` drives a schedule exactly as `Watcher.run` does (sleep for `seconds_to_wait()` unless the first
event of a burst pokes it, then act on `due()`), so these tests pin when the real watcher wakes and
writes: the quiet window, the maximum delay under a steady stream, the weekly throttle, midnight, and
no wake-ups at all while idle.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from vaultledger.periods import WeekRule, week_of, zone_named
from vaultledger.ledger.files import LineProblem
from vaultledger.watch import (
    ERROR_REPEAT_EVERY,
    LONGEST_SLEEP,
    MAX_DELAY,
    PROBLEMS_SHOWN_PER_FILE,
    QUIET_WINDOW,
    WEEKLY_EVERY,
    Console,
    UpdateSchedule,
)

UTC = dt.timezone.utc
NOON = dt.datetime(2026, 3, 14, 12, 0, tzinfo=UTC)  # a Saturday: with ISO weeks, its week ends tonight
RULE = WeekRule.iso()


class FakeClock:
    """A monotonic clock that moves only when told to, and a wall clock that moves with it."""

    def __init__(self, wall: dt.datetime = NOON) -> None:
        self.seconds = 0.0
        self.wall_start = wall

    def __call__(self) -> float:
        return self.seconds

    def wall(self) -> dt.datetime:
        return self.wall_start + dt.timedelta(seconds=self.seconds)

    def advance_to(self, seconds: float) -> None:
        assert seconds >= self.seconds, "a monotonic clock never goes back"
        self.seconds = seconds


def schedule_on(clock: FakeClock, zone: str = "UTC", **timing: float) -> UpdateSchedule:
    wall_zone = zone_named(zone)
    return UpdateSchedule(clock.wall().astimezone(wall_zone).date(), wall_zone, wall_clock=clock.wall,
                          clock=clock, **timing)


class Loop:
    """Drives a schedule like `Watcher.run`, recording when it woke and what it did."""

    def __init__(self, schedule: UpdateSchedule, clock: FakeClock) -> None:
        self.schedule, self.clock = schedule, clock
        self.woke_at: list[float] = []
        self.actions: list[tuple[float, str]] = []  # (monotonic seconds, "update" | "weekly" | "midnight")

    def run_until(self, end: float, events: Sequence[float] = ()) -> None:
        pending = sorted(events)
        while True:
            wake_at = self.clock() + self.schedule.seconds_to_wait()
            while pending and pending[0] <= min(wake_at, end):
                self.clock.advance_to(pending.pop(0))
                if self.schedule.saw_event():  # only the first event of a burst pokes the sleeper
                    wake_at = self.clock()
                    break
            if wake_at > end:
                self.clock.advance_to(end)
                return
            self.clock.advance_to(wake_at)
            self.woke_at.append(round(wake_at, 6))
            self._act()

    def _act(self) -> None:
        due = self.schedule.due()
        if due.new_day is not None:
            yesterday = self.schedule.turn_page(due.new_day)
            self.schedule.forget_weekly(week_of(yesterday, RULE).contains)
            self.actions.append((self.clock(), "midnight"))
        if due.update:
            self.schedule.start_update()
            self.actions.append((self.clock(), "update"))
            self.schedule.show_in_week([self.schedule.day])
            if self.schedule.take_weekly_days():
                self.actions.append((self.clock(), "weekly"))
        elif due.weekly and self.schedule.take_weekly_days():
            self.actions.append((self.clock(), "weekly"))

    def times_of(self, action: str) -> list[float]:
        return [round(at, 6) for at, what in self.actions if what == action]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_one_event_is_written_after_the_quiet_window(clock: FakeClock) -> None:
    loop = Loop(schedule_on(clock), clock)
    loop.run_until(10.0, events=[1.0])
    assert loop.times_of("update") == [1.0 + QUIET_WINDOW]


def test_a_burst_of_1000_appends_becomes_one_update(clock: FakeClock) -> None:
    loop = Loop(schedule_on(clock), clock)
    burst = [1.0 + n * 0.00005 for n in range(1000)]  # 1,000 appends in 50 ms, as the logger makes them
    loop.run_until(10.0, events=burst)
    assert loop.times_of("update") == [round(burst[-1] + QUIET_WINDOW, 6)]
    # Woken by the first event, then at its stale quiet window, then for the update: later events of the
    # burst never woke the sleeper.
    assert loop.woke_at == [1.0, 1.1, round(burst[-1] + QUIET_WINDOW, 6)]


def test_a_steady_stream_is_shown_within_the_maximum_delay(clock: FakeClock) -> None:
    loop = Loop(schedule_on(clock), clock)
    stream = [0.025 + n * 0.05 for n in range(60)]  # 20 lines/s for 3 s: never a quiet window
    loop.run_until(10.0, events=stream)
    updates = loop.times_of("update")
    latencies = [min(at for at in updates if at >= event) - event for event in stream]
    assert max(latencies) <= MAX_DELAY + 1e-9
    assert 8 <= len(updates) <= 11  # about one per MAX_DELAY, not one per line


def test_the_weekly_section_is_throttled_and_caught_up_at_its_slot(clock: FakeClock) -> None:
    loop = Loop(schedule_on(clock), clock)
    loop.run_until(2 * WEEKLY_EVERY + 30, events=[1.0, 5.0, 30.0])
    assert loop.times_of("update") == [1.1, 5.1, 30.1]
    # The first update takes the free slot; the next two wait for it and share one rewrite.
    assert loop.times_of("weekly") == [1.1, 1.1 + WEEKLY_EVERY]


def test_a_pending_weekly_rewrite_wakes_the_loop_by_itself(clock: FakeClock) -> None:
    schedule = schedule_on(clock)
    loop = Loop(schedule, clock)
    loop.run_until(20.0, events=[0.0, 10.0])
    assert schedule.seconds_to_wait() == pytest.approx(WEEKLY_EVERY + 0.1 - 20.0)


def test_stopping_takes_the_weekly_days_even_before_their_slot(clock: FakeClock) -> None:
    schedule = schedule_on(clock)
    Loop(schedule, clock).run_until(20.0, events=[0.0, 10.0])
    assert schedule.take_weekly_days() == []
    assert schedule.take_weekly_days(now_or_never=True) == [NOON.date()]
    assert schedule.seconds_to_wait() == LONGEST_SLEEP  # nothing waits any more


def test_an_idle_watch_wakes_only_to_check_the_time_every_longest_sleep(clock: FakeClock) -> None:
    loop = Loop(schedule_on(clock), clock)
    loop.run_until(3600.0)
    assert loop.woke_at == [LONGEST_SLEEP * n for n in range(1, 13)]  # noon: midnight is 12 hours away
    assert loop.actions == []


def test_after_a_burst_is_written_the_watch_sleeps_again(clock: FakeClock) -> None:
    schedule = schedule_on(clock)
    loop = Loop(schedule, clock)
    loop.run_until(5.0, events=[1.0, 1.01, 1.02])
    assert schedule.seconds_to_wait() == LONGEST_SLEEP
    assert not schedule.due()


def test_midnight_turns_the_page_on_time_and_forgets_the_ending_week(clock: FakeClock) -> None:
    clock.wall_start = dt.datetime(2026, 3, 14, 23, 59, 0, tzinfo=UTC)
    schedule = schedule_on(clock, weekly_every=3600)
    loop = Loop(schedule, clock)
    loop.run_until(30.0, events=[0.0, 10.0])  # the update at 10.1 waits for the weekly slot
    assert schedule.seconds_to_wait() == pytest.approx(30.0)  # midnight comes before the weekly slot
    loop.run_until(61.0)
    assert loop.times_of("midnight") == [60.0]
    assert schedule.day == dt.date(2026, 3, 15)
    assert schedule.take_weekly_days(now_or_never=True) == []  # that week was written for good at midnight
    assert schedule.seconds_to_wait() == LONGEST_SLEEP  # the next midnight is a day away


def test_a_hair_before_midnight_the_wait_does_not_spin(clock: FakeClock) -> None:
    clock.wall_start = dt.datetime(2026, 3, 14, 23, 59, 59, 999_000, tzinfo=UTC)
    assert schedule_on(clock).seconds_to_wait() == pytest.approx(0.05)


def test_a_laptop_waking_after_midnight_turns_the_page_at_once(clock: FakeClock) -> None:
    clock.wall_start = dt.datetime(2026, 3, 14, 23, 0, tzinfo=UTC)
    schedule = schedule_on(clock)
    assert schedule.seconds_to_wait() == LONGEST_SLEEP  # an hour to midnight, slept in pieces
    clock.wall_start += dt.timedelta(hours=9)  # suspended: the wall clock moved, the monotonic one did not
    clock.advance_to(LONGEST_SLEEP)
    assert schedule.due().new_day == dt.date(2026, 3, 15)


def test_midnight_is_local_midnight(clock: FakeClock) -> None:
    clock.wall_start = dt.datetime(2026, 3, 14, 22, 59, 0, tzinfo=UTC)  # 23:59 in Berlin
    schedule = schedule_on(clock, zone="Europe/Berlin")
    assert schedule.seconds_to_wait() == pytest.approx(60.0)
    clock.advance_to(60.0)
    assert schedule.due().new_day == dt.date(2026, 3, 15)


# ---------------------------------------------------------------- what the user is told


def console_on(clock: FakeClock) -> tuple[Console, io.StringIO]:
    err = io.StringIO()
    return Console(UTC, wall_clock=clock.wall, clock=clock, out=io.StringIO(), err=err), err


def test_a_warning_is_said_once(clock: FakeClock) -> None:
    console, err = console_on(clock)
    assert console.warn_once("disk full") and not console.warn_once("disk full")
    assert err.getvalue() == "2026-03-14 12:00:00 vaultledger: warning: disk full\n"


def test_invalid_lines_are_shown_a_few_per_file_then_summed_up(clock: FakeClock, tmp_path: Path) -> None:
    console, err = console_on(clock)
    noisy, other = tmp_path / "2026-03-14.jsonl", tmp_path / "2026-03-13.jsonl"
    problems = [LineProblem(noisy, line, "not JSON") for line in range(1, 10)] + [LineProblem(other, 1, "not JSON")]
    console.line_problems(problems, ["x.jsonl: cannot read (denied)"])
    lines = err.getvalue().splitlines()
    assert sum(str(noisy) in line and "(line skipped)" in line for line in lines) == PROBLEMS_SHOWN_PER_FILE
    assert sum("more invalid lines" in line for line in lines) == 1
    assert sum(str(other) in line for line in lines) == 1
    assert "cannot read (denied)" in lines[0]


def test_a_repeating_error_is_said_once_a_minute(clock: FakeClock) -> None:
    console, err = console_on(clock)
    console.error("note.md: is a folder")
    clock.advance_to(ERROR_REPEAT_EVERY - 1)
    console.error("note.md: is a folder")
    console.error(OSError("another"))
    clock.advance_to(ERROR_REPEAT_EVERY)
    console.error("note.md: is a folder")
    assert [line.split("vaultledger: ")[1] for line in err.getvalue().splitlines()] == [
        "error: note.md: is a folder", "error: OSError: another", "error: note.md: is a folder"]
