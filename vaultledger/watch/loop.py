"""The running watch: watchdog events -> the update schedule -> the live ledger and the same Rollup.

`Watcher` holds no timing logic of its own (that is `UpdateSchedule`) and no message policy (that is
`Console`): it wires the observer to the schedule and carries out what the schedule says is due.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from vaultledger.periods import Period, day_of, week_of, zone_named
from vaultledger.notes.rollup import Rollup, open_vault
from vaultledger.settings import Settings
from vaultledger.watch.console import Console
from vaultledger.ledger.live import LiveLedger
from vaultledger.watch.observe import FolderObserver, Wakeup
from vaultledger.watch.rolling import LiveRollup
from vaultledger.watch.sources import AgentLogs
from vaultledger.watch.schedule import MAX_DELAY, ONE_DAY, QUIET_WINDOW, WEEKLY_EVERY, UpdateSchedule, utc_now


class Watcher:
    """Keeps today's daily section (and, throttled, this week's) current while apps append log lines.

    `run()` blocks until `stop()`; between events it sleeps in one `select()` that only times out for
    midnight. Counters (`updates`, `note_writes`, `wakeups`) are there for tests and the benchmark.
    `now` (the wall clock) and `monotonic` can be injected.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        quiet: bool = False,
        force: bool = False,
        now: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        quiet_window: float = QUIET_WINDOW,
        max_delay: float = MAX_DELAY,
        weekly_every: float = WEEKLY_EVERY,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.settings, self.quiet = settings, quiet
        self.vault = open_vault(settings, force=force)
        self.logs_dir = settings.logs.value
        self.zone = zone_named(settings.timezone.value)
        self._clock = now or utc_now
        self.console = Console(self.zone, quiet=quiet, wall_clock=self._clock, clock=monotonic, out=out, err=err)
        self.ledger = LiveLedger.from_settings(settings)
        self.notes = LiveRollup(settings, self.vault, self.ledger, self.console,
                                lambda: self._clock().astimezone(self.zone))
        self.schedule = UpdateSchedule(
            self._clock().astimezone(self.zone).date(), self.zone, wall_clock=self._clock, clock=monotonic,
            quiet_window=quiet_window, max_delay=max_delay, weekly_every=weekly_every,
        )
        self.ledger.watch_around(self.day)
        self.ready = threading.Event()  # set once the observer runs and the first update is done
        self.wakeups = 0
        self._stopping = False
        self._wakeup = Wakeup()
        self._observer = FolderObserver(self.logs_dir, self.vault, self._saw_change)
        self.agents = AgentLogs(settings, self.console, self._observer, self._saw_change)

    @property
    def day(self) -> dt.date:
        """The local day the watch treats as today."""
        return self.schedule.day

    @property
    def rollup(self) -> Rollup:
        """The Rollup the notes are written through (made again when the vault's note settings change)."""
        return self.notes.rollup

    @property
    def updates(self) -> int:
        """Rollups run so far."""
        return self.notes.updates

    @property
    def note_writes(self) -> int:
        """Notes changed on disk so far."""
        return self.notes.note_writes

    # -- running and stopping

    def run(self) -> None:
        """Watch until `stop()`; errors of one update are logged and the next update tries again."""
        try:
            self._observer.start(warn=self.console.log)
            self.console.say(f"watching {self.logs_dir} for {self.vault} (Ctrl-C to stop)")
            self._update(force=True)
            self.ready.set()
            while not self._stopping:
                self._wakeup.wait(self.schedule.seconds_to_wait())
                self.wakeups += 1
                if not self._stopping:
                    self._tick()
            self._flush()
        finally:
            self._observer.stop()
            self._wakeup.close()

    def stop(self) -> None:
        """Ask `run()` to return; safe from signal handlers and other threads (no locks taken)."""
        self._stopping = True
        self._wakeup.poke()

    def _saw_change(self) -> None:
        if self.schedule.saw_event():  # later events of a burst only move its quiet window
            self._wakeup.poke()

    def _tick(self) -> None:
        self._guarded(self._check_logs_folder)
        due = self.schedule.due()
        if (new_day := due.new_day) is not None:
            self._guarded(lambda: self._turn_page(new_day))
        if due.update:
            self._update()
        elif due.weekly:
            self._guarded(lambda: self._roll(self._due_weeks()))

    def _flush(self) -> None:
        """Stopping: what is still waiting for its quiet window or its weekly slot is written now."""
        if self.schedule.update_waiting:
            self._update()
        self._guarded(lambda: self._roll(self._due_weeks(now_or_never=True)))

    def _check_logs_folder(self) -> None:
        if self._observer.check_logs_folder():
            self._saw_change()

    # -- updating

    def _update(self, *, force: bool = False) -> None:
        """Read the new lines, reload the vault's settings if they changed, and roll what they touched."""
        self.schedule.start_update()

        def work() -> None:
            self.agents.import_changed()  # appended here, its lines are read by this very refresh
            refresh = self.ledger.refresh()
            moved = self.notes.reload_note_settings()
            self.notes.warn_invalid_lines()
            if refresh.changed or moved or force:
                # Today always; yesterday too when late lines for it arrived after midnight.
                shown = sorted({self.day} | {d for d in refresh.touched if self.day - ONE_DAY <= d <= self.day})
                self.schedule.show_in_week(shown)
                self._roll([day_of(day) for day in shown] + self._due_weeks())

        self._guarded(work)

    def _due_weeks(self, *, now_or_never: bool = False) -> list[Period]:
        return self.notes.weeks_of(self.schedule.take_weekly_days(now_or_never=now_or_never))

    def _turn_page(self, day: dt.date) -> None:
        """A new local day: it becomes today, and yesterday (and its week) get their final numbers."""
        yesterday = self.schedule.turn_page(day)
        self.ledger.watch_around(day)
        self.ledger.refresh()
        ending = week_of(yesterday, self.notes.week_rule)
        self.schedule.forget_weekly(ending.contains)
        self._roll(list(dict.fromkeys([day_of(yesterday), ending, day_of(day)])))

    def _roll(self, periods: list[Period]) -> None:
        self.notes.roll(periods, self.day)

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # noqa: BLE001 - one failed update must not end the watch
            self.console.error(error)


# ---------------------------------------------------------------- the command's entry point


def watch_forever(
    settings: Settings,
    *,
    quiet: bool = False,
    force: bool = False,
    stop: threading.Event | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> None:
    """Keep today's note (and this week's) live until Ctrl-C, SIGTERM or `stop` is set; then return.

    Raises VaultledgerError only for problems at start (no vault, logs folder impossible to create).
    """
    try:
        watcher = Watcher(settings, quiet=quiet, force=force, now=now)
        if stop is not None:
            def stop_when_asked() -> None:
                stop.wait()
                watcher.stop()

            threading.Thread(target=stop_when_asked, name="vaultledger-stop", daemon=True).start()
        with _stopping_on_signals(watcher):
            watcher.run()
    except KeyboardInterrupt:
        pass  # Ctrl-C before our handler was installed, or a second one while stopping: no traceback


@contextlib.contextmanager
def _stopping_on_signals(watcher: Watcher) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the watcher to stop; a second one interrupts whatever it is doing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True
        watcher.stop()

    wanted = [signal.SIGINT, signal.SIGTERM]
    previous = {signum: signal.signal(signum, handler) for signum in wanted}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
