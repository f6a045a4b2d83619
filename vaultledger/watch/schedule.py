"""When `vaultledger watch` acts: a pure schedule of updates, driven by events and two clocks.

No I/O and no threads: the watcher tells it that something happened (`saw_event`) and asks it how long
to sleep (`seconds_to_wait`) and what is due when it wakes (`due`). Both clocks are injectable, so tests
drive it with a fake monotonic clock and never sleep (watchfiles expresses the same two ideas as the
`debounce` and `step` parameters of its `watch()`).

- An update of today's note waits for a quiet window without events, but never longer than the maximum
  delay after the first event of a burst: a burst becomes one write, a steady stream still shows.
- The weekly section is rewritten at most once every `weekly_every` seconds; the days it must show wait
  for that slot.
- Local midnight turns the page. The wait for it is cut into pieces of `LONGEST_SLEEP`: a suspended
  laptop's monotonic clock stops, so a single long wait could oversleep midnight by its time asleep.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

QUIET_WINDOW = 0.1  # seconds without events before an update: one write per burst
# ...but a steady stream still updates this often. 0.5 s put the median latency of a 50 lines/s stream
# at ~265 ms, over the 250 ms target; 0.3 s keeps it under ~155 ms at every rate (scripts/bench_watch.py).
MAX_DELAY = 0.3
WEEKLY_EVERY = 60.0  # the weekly section is rewritten at most this often
LONGEST_SLEEP = 300.0  # see the module's docstring: a wait for midnight is cut into pieces this long
SHORTEST_MIDNIGHT_WAIT = 0.05  # a clock a hair before midnight must not make the wait spin at zero
ONE_DAY = dt.timedelta(days=1)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def seconds_until_midnight(now: dt.datetime, zone: dt.tzinfo) -> float:
    """Seconds from `now` to the next local midnight in `zone`, counted in real (UTC) seconds."""
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date() + ONE_DAY, dt.time(), tzinfo=zone)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall clocks, wrong across DST.
    return max((midnight.astimezone(dt.timezone.utc) - now.astimezone(dt.timezone.utc)).total_seconds(), 0.0)


@dataclass(frozen=True)
class Due:
    """What the watcher should do now, in this order."""

    new_day: dt.date | None = None  # local midnight passed: this day is today now
    update: bool = False  # a burst of events went quiet, or waited its maximum delay
    weekly: bool = False  # the weekly slot came and days wait for it

    def __bool__(self) -> bool:
        return self.new_day is not None or self.update or self.weekly


class UpdateSchedule:
    """Deadlines of a watch: update after a quiet window or a maximum delay, weekly throttled, midnight.

    `saw_event` may be called from another thread (watchdog's); everything else from the watcher's.
    """

    def __init__(
        self,
        today: dt.date,
        zone: dt.tzinfo,
        *,
        wall_clock: Callable[[], dt.datetime] = utc_now,
        clock: Callable[[], float] = time.monotonic,
        quiet_window: float = QUIET_WINDOW,
        max_delay: float = MAX_DELAY,
        weekly_every: float = WEEKLY_EVERY,
    ) -> None:
        self.day, self.zone = today, zone
        self.wall_clock, self.clock = wall_clock, clock
        self.quiet_window, self.max_delay, self.weekly_every = quiet_window, max_delay, weekly_every
        self._lock = threading.Lock()  # guards the event times, shared with the thread of `saw_event`
        self._first_event: float | None = None
        self._last_event = 0.0
        self._weekly_days: set[dt.date] = set()
        self._weekly_at = -math.inf

    # -- events

    def saw_event(self) -> bool:
        """Something changed; True for the first event of a burst (the sleeper must be woken for it)."""
        with self._lock:
            first = self._first_event is None
            self._last_event = self.clock()
            if first:
                self._first_event = self._last_event
        return first

    def start_update(self) -> None:
        """An update begins: it reads everything the events so far announced."""
        with self._lock:
            self._first_event = None

    @property
    def update_waiting(self) -> bool:
        with self._lock:
            return self._first_event is not None

    # -- deadlines

    def seconds_to_wait(self) -> float:
        """How long the watcher may sleep before something can be due (events aside)."""
        to_midnight = max(seconds_until_midnight(self.wall_clock(), self.zone), SHORTEST_MIDNIGHT_WAIT)
        now = self.clock()
        deadlines = [now + min(to_midnight, LONGEST_SLEEP)]
        update_at = self._update_deadline()
        if update_at is not None:
            deadlines.append(update_at)
        if self._weekly_days:
            deadlines.append(self._weekly_at + self.weekly_every)
        return max(min(deadlines) - now, 0.0)

    def due(self) -> Due:
        """What is due now: a new day, an update, or (when no update is) the weekly slot."""
        today = self.today()
        update_at, now = self._update_deadline(), self.clock()
        update = update_at is not None and now >= update_at
        return Due(
            new_day=today if today != self.day else None,
            update=update,
            weekly=not update and self._weekly_slot_open(now),
        )

    def _update_deadline(self) -> float | None:
        with self._lock:
            if self._first_event is None:
                return None
            return min(self._last_event + self.quiet_window, self._first_event + self.max_delay)

    # -- the weekly section

    def show_in_week(self, days: Iterable[dt.date]) -> None:
        """These days changed: the weekly section must show them at its next slot."""
        self._weekly_days.update(days)

    def take_weekly_days(self, *, now_or_never: bool = False) -> list[dt.date]:
        """The days waiting for the weekly section if its slot is open (or `now_or_never`), oldest first."""
        if not self._weekly_days or not (now_or_never or self._weekly_slot_open(self.clock())):
            return []
        # Taken before anything can fail, so a failing week cannot become a deadline that is always due.
        days, self._weekly_days = sorted(self._weekly_days), set()
        self._weekly_at = self.clock()
        return days

    def forget_weekly(self, drop: Callable[[dt.date], bool]) -> None:
        """Stop waiting to show the days `drop` picks (their week was just written for good)."""
        self._weekly_days = {day for day in self._weekly_days if not drop(day)}

    def _weekly_slot_open(self, now: float) -> bool:
        return bool(self._weekly_days) and now >= self._weekly_at + self.weekly_every

    # -- days

    def today(self) -> dt.date:
        return self.wall_clock().astimezone(self.zone).date()

    def turn_page(self, day: dt.date) -> dt.date:
        """`day` is today now; returns the day it replaced."""
        yesterday, self.day = self.day, day
        return yesterday
